"""Output places checked before work starts, and OSError / out-of-memory said in one sentence
(core.destinations, core.errors.user_error_message)."""

import errno
import os
import re
from pathlib import Path

import pytest

from ganstudio.core.destinations import check_file_destination, check_folder_destination, writing
from ganstudio.core.errors import DestinationError, user_error_message


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in: chmod for a normal user; root ignores modes, but not sysfs."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if Path("/sys/kernel").is_dir():
        return Path("/sys")
    pytest.skip("no folder is read-only for root here")


def test_a_file_destination_refuses_a_folder_a_file_above_it_and_a_locked_place(tmp_path: Path):
    (tmp_path / "pic.png").mkdir()
    with pytest.raises(DestinationError, match=re.escape(f"cannot write {tmp_path / 'pic.png'}: it is a folder, not a file")):
        check_file_destination(tmp_path / "pic.png")
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "deeper" / "x.png"
    with pytest.raises(DestinationError, match=re.escape(f"cannot write {target}: {tmp_path / 'afile'} is a file, not a folder")):
        check_file_destination(target)
    locked = read_only_folder(tmp_path)
    with pytest.raises(DestinationError, match=re.escape(f"cannot write {locked / 'x.png'}: ")):
        check_file_destination(locked / "x.png")


def test_a_good_destination_is_left_as_it_was(tmp_path: Path):
    existing = tmp_path / "old.png"
    existing.write_bytes(b"keep")
    assert check_file_destination(existing) == existing and existing.read_bytes() == b"keep"
    assert check_file_destination(tmp_path / "new" / "deep" / "x.png")
    assert check_folder_destination(tmp_path / "run" / "a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]  # nothing created, no probe left


def test_a_folder_destination_refuses_a_file(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DestinationError, match=re.escape("it is a file, not a folder")):
        check_folder_destination(tmp_path / "afile")
    with pytest.raises(DestinationError, match=re.escape(f"{tmp_path / 'afile'} is a file, not a folder")):
        check_folder_destination(tmp_path / "afile" / "run")
    locked = read_only_folder(tmp_path)
    with pytest.raises(DestinationError, match=re.escape(f"cannot write into {locked / 'run'}: ")):
        check_folder_destination(locked / "run")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_writing_names_the_path_when_the_disk_is_full(tmp_path: Path):
    full = tmp_path / "full.png"
    full.symlink_to("/dev/full")
    with pytest.raises(DestinationError, match=re.escape(f"cannot write {full}: the disk is full")):
        with writing(full):
            with open(full, "wb") as fh:
                fh.write(b"x" * 10)


@pytest.mark.parametrize("exc, expected", [
    (PermissionError(errno.EACCES, "Permission denied", "/x/y.png"), "cannot use /x/y.png: permission denied."),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full."),
    (OSError(errno.EROFS, "Read-only file system", "/mnt/r"), "cannot use /mnt/r: it is on a read-only file system."),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "out.png"), "cannot use out.png: it is a folder, not a file."),
    (MemoryError(), "not enough memory for sampling;"),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 256000000000000 bytes."),
     "not enough memory for sampling (it tried to allocate 232.8 TB);"),
    (RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB"), "(it tried to allocate 20.00 GiB)"),
])
def test_user_errors_without_a_ganstudio_error_are_sentences(exc, expected):
    assert expected in user_error_message(exc, doing="sampling")


@pytest.mark.parametrize("exc", [ValueError("x"), KeyError("momentum"), OSError(errno.EBADF, "Bad file descriptor"),
                                 RuntimeError("shape mismatch")])
def test_bugs_are_not_user_errors(exc):
    assert user_error_message(exc) is None


def test_torch_out_of_memory_is_a_user_error():
    torch = pytest.importorskip("torch")
    assert "not enough memory for training" in user_error_message(torch.OutOfMemoryError("CUDA out of memory"), "training")
