"""Checkpoints: atomic, never unpickled, and every broken file gives one clear sentence."""

import builtins
import io
import json
import os
from pathlib import Path

import pytest
import torch

from ganstudio.core import checkpoint as ck
from ganstudio.core.checkpoint import Checkpoint, load_checkpoint, load_state_into, read_foreign_state_dict, save_checkpoint
from ganstudio.core.errors import CheckpointError


def _ckpt(value: float = 1.0) -> Checkpoint:
    net = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(net.weight, value)
    return Checkpoint(states={"G": net.state_dict()}, meta={"config": {"name": "t"}, "step": 7})


def test_round_trip_keeps_tensors_and_metadata(tmp_path: Path):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt(0.5))
    assert path.with_suffix(".json").is_file()
    back = load_checkpoint(path)
    assert back.step == 7 and back.config == {"name": "t"}
    assert torch.equal(back.states["G"]["weight"], torch.full((2, 3), 0.5))
    # A run folder resolves to its latest checkpoint.
    save_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors", _ckpt(2.0))
    assert load_checkpoint(tmp_path / "run").states["G"]["weight"][0, 0] == 2.0


def test_failed_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt(1.0))
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ck.os, "fsync", disk_full)
    with pytest.raises(OSError):
        save_checkpoint(path, _ckpt(3.0))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no litter


def test_non_finite_weights_are_never_written(tmp_path: Path):
    bad = _ckpt()
    bad.states["G"]["weight"][0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        save_checkpoint(tmp_path / "nan.safetensors", bad)
    assert not (tmp_path / "nan.safetensors").exists()


def test_truncated_and_corrupted_files_name_the_file(tmp_path: Path):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt())
    data = path.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="trunc.safetensors.*(truncated|corrupted)"):
        load_checkpoint(tmp_path / "trunc.safetensors")
    (tmp_path / "zero.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="zero.safetensors is truncated"):
        load_checkpoint(tmp_path / "zero.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_mismatched_weights_name_the_tensors(tmp_path: Path):
    other = torch.nn.Linear(4, 2).state_dict()
    with pytest.raises(CheckpointError, match=r"wrong shape 1 \(weight \(2, 4\) vs \(2, 3\)\)"):
        load_state_into(torch.nn.Linear(3, 2), other, "generator", tmp_path / "x.safetensors")
    with pytest.raises(CheckpointError, match="missing 1 \\(bias\\)"):
        load_state_into(torch.nn.Linear(3, 2), {"weight": torch.zeros(2, 3)}, "generator", "x")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch EVIL_RAN",))


def test_a_pth_with_pickled_code_is_refused_without_running_it(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "netG.pth"
    torch.save({"weight": torch.zeros(2), "payload": _Evil()}, path)
    with pytest.raises(CheckpointError, match="refused: it needs pickled code"):
        read_foreign_state_dict(path)
    assert not (tmp_path / "EVIL_RAN").exists()
    # And a .pth handed to the native loader is refused up front.
    with pytest.raises(CheckpointError, match="PyTorch pickle file"):
        load_checkpoint(path)


def test_a_plain_state_dict_pth_imports(tmp_path: Path):
    path = tmp_path / "plain.pth"
    net = torch.nn.Linear(3, 2)
    torch.save({"module." + k: v for k, v in net.state_dict().items()}, path)
    state = read_foreign_state_dict(path)
    assert set(state) == {"weight", "bias"}
    assert torch.equal(state["weight"], net.weight.detach())


# --- atomicity under faults at every step of a save ----------------------------------------------------
#
# DiskSpy wraps the file-system calls a save can make (open in write mode, os.open, write, flush,
# fsync, replace, rename), numbers each one, and can make the k-th fail like a full disk: a failing
# write first writes half of its bytes. At the fault it also copies the folder as it is on disk then,
# which is what a reader would find if the process had died there instead of raising.

def _fixed_ckpt(value: float) -> Checkpoint:
    """The same bytes on every save of a value; weights and metadata both differ between values."""
    state = {"weight": torch.full((2, 3), value), "bias": torch.zeros(2)}
    return Checkpoint(states={"G": state}, meta={"config": {"name": "t"}, "step": int(value)})


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return f"<fd {fd}>"


class _SpiedFile:
    def __init__(self, spy: "DiskSpy", fh, path: str) -> None:
        self._spy, self._fh, self._path = spy, fh, path

    def write(self, data):
        def half_then_fail():
            view = memoryview(data).cast("B") if not isinstance(data, str) else data
            self._fh.write(view[: len(view) // 2])
            self._fh.flush()

        self._spy.step("write", self._path, before_fault=half_then_fail)
        return self._fh.write(data)

    def flush(self):
        self._spy.step("flush", self._path)
        return self._fh.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()
        return False

    def __getattr__(self, name):
        return getattr(self._fh, name)


class DiskSpy:
    def __init__(self, folder: Path, fail_at: int | None = None) -> None:
        self.folder = folder
        self.fail_at = fail_at
        self.ops: list[tuple[str, str]] = []  # (operation, path) in call order
        self.opened_for_writing: list[str] = []
        self.crash_state: dict[str, bytes] | None = None
        self.raised = False  # the save failed with the injected error (the final directory fsync may swallow it)
        self._real_open = io.open
        self._real = {name: getattr(os, name) for name in ("open", "write", "fsync", "replace", "rename")}

    def install(self, monkeypatch) -> None:
        monkeypatch.setattr(builtins, "open", self._open)
        monkeypatch.setattr(io, "open", self._open)
        monkeypatch.setattr(os, "open", self._os_open)
        monkeypatch.setattr(os, "write", self._os_write)
        monkeypatch.setattr(os, "fsync", self._fsync)
        monkeypatch.setattr(os, "replace", self._replace)
        monkeypatch.setattr(os, "rename", self._rename)

    def step(self, op: str, path: str, before_fault=None) -> None:
        self.ops.append((op, path))
        if self.fail_at is not None and len(self.ops) - 1 == self.fail_at:
            if before_fault is not None:
                before_fault()
            self.crash_state = {p.name: self._read(p) for p in self.folder.iterdir() if p.is_file()}
            raise OSError(28, f"No space left on device (injected at {op} {Path(path).name})")

    def _read(self, path: Path) -> bytes:
        with self._real_open(path, "rb") as fh:
            return fh.read()

    def _open(self, file, mode="r", *args, **kwargs):
        fh = self._real_open(file, mode, *args, **kwargs)
        if not any(c in mode for c in "wax+"):
            return fh
        path = _fd_path(file) if isinstance(file, int) else os.path.realpath(os.fspath(file))
        if not isinstance(file, int):
            self.opened_for_writing.append(path)
        return _SpiedFile(self, fh, path)

    def _os_open(self, path, flags, *args, **kwargs):
        if flags & _WRITE_FLAGS:
            self.opened_for_writing.append(os.path.realpath(os.fspath(path)))
        return self._real["open"](path, flags, *args, **kwargs)

    def _os_write(self, fd, data):
        path = _fd_path(fd)
        self.step("write", path, before_fault=lambda: self._real["write"](fd, bytes(data)[: len(data) // 2]))
        return self._real["write"](fd, data)

    def _fsync(self, fd):
        self.step("fsync", _fd_path(fd))
        return self._real["fsync"](fd)

    def _replace(self, src, dst, *args, **kwargs):
        self.step("replace", os.path.realpath(os.fspath(dst)))
        return self._real["replace"](src, dst, *args, **kwargs)

    def _rename(self, src, dst, *args, **kwargs):
        self.step("rename", os.path.realpath(os.fspath(dst)))
        return self._real["rename"](src, dst, *args, **kwargs)


def _spied_save(monkeypatch, folder: Path, ckpt: Checkpoint, fail_at: int | None = None) -> DiskSpy:
    spy = DiskSpy(folder, fail_at)
    with monkeypatch.context() as patch:
        spy.install(patch)
        try:
            save_checkpoint(folder / "a.safetensors", ckpt)
        except OSError as exc:
            if fail_at is None or "injected" not in str(exc):
                raise
            spy.raised = True
    return spy


def _assert_is_one_whole_version(files: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes], where: str) -> None:
    for name in ("a.safetensors", "a.json"):
        assert name in files, f"{where}: {name} is missing"
        assert files[name] in (old[name], new[name]), f"{where}: {name} is neither the old nor the new file"
        if name == "a.json":
            json.loads(files[name])  # a readable sidecar, never a half-written one


def test_a_fault_at_any_step_of_a_save_leaves_a_whole_loadable_checkpoint_pair(tmp_path: Path, monkeypatch):
    # Reference versions: what a clean save of the old and of the new checkpoint puts on disk.
    ref = tmp_path / "ref"
    ref.mkdir()
    versions = []
    for value in (1.0, 3.0):
        save_checkpoint(ref / "a.safetensors", _fixed_ckpt(value))
        versions.append({n: (ref / n).read_bytes() for n in ("a.safetensors", "a.json")})
    old, new = versions

    clean = tmp_path / "clean"
    clean.mkdir()
    save_checkpoint(clean / "a.safetensors", _fixed_ckpt(1.0))
    ops = _spied_save(monkeypatch, clean, _fixed_ckpt(3.0)).ops
    final = {os.path.realpath(clean / n) for n in ("a.safetensors", "a.json")}
    assert sum(op == "replace" and path in final for op, path in ops) == 2  # both files are renamed into place
    assert any(op == "write" for op, _ in ops) and any(op == "fsync" for op, _ in ops)

    for k in range(len(ops)):
        folder = tmp_path / f"fault{k}"
        folder.mkdir()
        save_checkpoint(folder / "a.safetensors", _fixed_ckpt(1.0))
        spy = _spied_save(monkeypatch, folder, _fixed_ckpt(3.0), fail_at=k)
        where = f"fault at step {k} ({ops[k][0]} {Path(ops[k][1]).name})"
        assert spy.crash_state is not None, where
        if not spy.raised:  # a fault the save may shrug off (the folder's fsync): then it must have finished
            assert (folder / "a.safetensors").read_bytes() == new["a.safetensors"], where
            assert (folder / "a.json").read_bytes() == new["a.json"], where
        # Had the process died at the fault, readers would find one whole version of each file ...
        _assert_is_one_whole_version(spy.crash_state, old, new, where + ", on disk at the crash")
        # ... and after the error was raised: the same, no temporary files left behind ...
        after = {p.name: p.read_bytes() for p in folder.iterdir()}
        assert set(after) == {"a.safetensors", "a.json"}, where
        _assert_is_one_whole_version(after, old, new, where)
        # ... and a checkpoint that loads, through either file name.
        loaded = load_checkpoint(folder / "a.safetensors")
        expected = 3.0 if after["a.safetensors"] == new["a.safetensors"] else 1.0
        assert torch.equal(loaded.states["G"]["weight"], torch.full((2, 3), expected)), where
        assert loaded.step == int(expected), where  # weights and metadata of the same save
        assert load_checkpoint(folder / "a.json").step == int(expected), where


def test_a_crash_between_the_two_renames_loads_the_new_weights(tmp_path: Path, monkeypatch):
    save_checkpoint(tmp_path / "a.safetensors", _fixed_ckpt(1.0))
    old_json = (tmp_path / "a.json").read_text()
    probe = tmp_path / "probe"
    probe.mkdir()
    save_checkpoint(probe / "a.safetensors", _fixed_ckpt(1.0))
    ops = _spied_save(monkeypatch, probe, _fixed_ckpt(3.0)).ops
    json_path = os.path.realpath(probe / "a.json")
    renames = [i for i, (op, path) in enumerate(ops) if op == "replace" and path == json_path]
    assert renames, f"the sidecar is not renamed into place: {ops}"
    k = renames[0]

    spy = _spied_save(monkeypatch, tmp_path, _fixed_ckpt(3.0), fail_at=k)
    assert spy.crash_state is not None
    # The weights file is the new one, the sidecar still the old one: loading trusts the weights file
    # only, so weights and metadata come from one consistent save, whichever file is named.
    assert (tmp_path / "a.json").read_text() == old_json
    for name in ("a.safetensors", "a.json"):
        loaded = load_checkpoint(tmp_path / name)
        assert torch.equal(loaded.states["G"]["weight"], torch.full((2, 3), 3.0))
        assert loaded.step == 3 and loaded.config == {"name": "t"}


def test_a_save_never_opens_the_final_files_for_writing(tmp_path: Path, monkeypatch):
    save_checkpoint(tmp_path / "a.safetensors", _fixed_ckpt(1.0))  # the files exist: a rewrite is the risky case
    spy = _spied_save(monkeypatch, tmp_path, _fixed_ckpt(3.0))
    final = {os.path.realpath(tmp_path / n) for n in ("a.safetensors", "a.json")}
    assert spy.opened_for_writing, "the spy saw no file being opened"
    assert not final & set(spy.opened_for_writing), spy.opened_for_writing
    assert not any(op in ("write", "flush") and path in final for op, path in spy.ops), spy.ops
    # Temporary files live in the same folder (a rename across file systems would not be atomic).
    assert all(Path(p).parent == tmp_path.resolve() for p in spy.opened_for_writing)
    # Each file is fsynced before it is renamed over the old one, so the rename never exposes lost data.
    for i, (op, dst) in enumerate(spy.ops):
        if op == "replace" and dst in final:
            assert any(o == "fsync" and p not in final for o, p in spy.ops[:i]), spy.ops[: i + 1]


def test_a_reader_of_the_old_files_keeps_seeing_them_whole(tmp_path: Path):
    path = save_checkpoint(tmp_path / "a.safetensors", _fixed_ckpt(1.0))
    old = {p: p.read_bytes() for p in (path, path.with_suffix(".json"))}
    readers = {p: open(p, "rb") for p in old}  # e.g. the GUI loading the previous checkpoint
    try:
        save_checkpoint(path, _fixed_ckpt(3.0))
        for p, fh in readers.items():
            assert fh.read() == old[p], f"{p.name} was overwritten in place"
    finally:
        for fh in readers.values():
            fh.close()
    assert load_checkpoint(path).states["G"]["weight"][0, 0] == 3.0
    assert path.with_suffix(".json").read_bytes() != old[path.with_suffix(".json")]
