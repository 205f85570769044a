"""Where commands write: checked before any work starts, and OSErrors while writing said in one sentence.

`check_file_destination` / `check_folder_destination` refuse, before a model is opened or a step trained, an
output that is a folder where a file belongs (or the reverse), lies under a file, or is in a place that cannot
be written (read-only, no permission). They create nothing: a probe file is made and removed at once in the
first folder that exists. `writing(path)` turns an OSError while writing into a DestinationError naming the
path and the reason ("cannot write /x/y.png: the disk is full."): a disk can fill up after the check.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ganstudio.core.errors import DestinationError, file_in_path, os_error_sentence


def _existing_ancestor(path: Path) -> Path:
    for part in (path, *path.parents):
        if part.exists():
            return part
    return Path(".")


def _probe_folder(folder: Path, path: Path, verb: str) -> None:
    """Create and remove a file in `folder`, the cheapest proof that writing there works."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".ganstudio-probe-"):
            pass
    except OSError as exc:
        raise DestinationError(os_error_sentence(exc, verb, path)) from None


def _refuse_file_in_path(folder: Path, path: Path, verb: str) -> None:
    """A file where `folder` or one of its parents should be a folder."""
    culprit = file_in_path(folder)
    if culprit is not None:
        raise DestinationError(f"{verb} {path}: {culprit} is a file, not a folder.")


def check_file_destination(path: str | Path) -> Path:
    """A file will be written at `path`: refuse a folder there, a file above it, or an unwritable place."""
    path = Path(path)
    if path.is_dir():
        raise DestinationError(f"cannot write {path}: it is a folder, not a file.")
    _refuse_file_in_path(path.parent, path, "cannot write")
    if path.exists():
        try:  # append nothing: opens for writing without touching the contents
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise DestinationError(os_error_sentence(exc, "cannot write", path)) from None
    else:
        _probe_folder(_existing_ancestor(path.parent), path, "cannot write")
    return path


def check_folder_destination(path: str | Path) -> Path:
    """Files will be written into the folder `path` (made if missing): refuse a file there or above it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DestinationError(f"cannot write into {path}: it is a file, not a folder.")
    _refuse_file_in_path(path, path, "cannot write into")
    _probe_folder(_existing_ancestor(path), path, "cannot write into")
    return path


@contextlib.contextmanager
def writing(path: str | Path, verb: str = "cannot write") -> Iterator[None]:
    """OSError inside the block -> DestinationError('cannot write PATH: reason.')."""
    try:
        yield
    except OSError as exc:
        raise DestinationError(os_error_sentence(exc, verb, path)) from None
