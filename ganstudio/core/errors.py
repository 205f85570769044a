"""User-facing errors. Each carries one clear sentence naming the file or value at fault.

Anything that is not a GanStudioError is a bug and may show a traceback; a GanStudioError is shown to
the user as its message alone (CLI: one line on stderr and a non-zero exit; GUI: a message box).
`user_error_message` also turns the exceptions users cause without a GanStudioError (a full disk, a folder
where a file belongs, too little memory) into one sentence.
"""

from __future__ import annotations

import errno
import re
import sys
from pathlib import Path


def as_sentence(text: str) -> str:
    """Capitalised and ending in a full stop, as every message the app shows reads. A sentence that
    starts with a file name or a path keeps it as it is ("latest.safetensors is a 2-D toy model")."""
    text = text.strip()
    first = text.split(maxsplit=1)[0] if text else ""
    names_a_file = "/" in first or "\\" in first or "." in first.rstrip(".,;:")
    if text and text[0].islower() and not names_a_file:
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


class GanStudioError(Exception):
    """Base class of every error caused by the user's input rather than by a bug."""


class ConfigError(GanStudioError):
    """An unknown preset, an unknown key or an invalid value in a configuration."""


class DataError(GanStudioError):
    """A data set that cannot be used: missing or empty folder, no readable image, unpaired files."""


class ModelError(GanStudioError):
    """A model name or shape that does not fit (unknown architecture, wrong image size, ...)."""


class CheckpointError(GanStudioError):
    """A checkpoint or weight file that is missing, truncated, corrupted, unsafe or mismatched."""


class TrainingError(GanStudioError):
    """Training cannot go on: a non-finite loss, out of memory, ..."""


class DestinationError(GanStudioError):
    """An output place that cannot be written: read-only, full, a file where a folder belongs or the reverse."""


# --- turning the exceptions that users cause into sentences -----------------------------------------------
# The CLI's boundary (cli.run_command) calls user_error_message on every exception that reaches it; None means
# a bug. Kept free of torch and Qt: the GUI's job workers can use it too.

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "it is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EEXIST: "something is already there",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file would be too large",
    errno.EIO: "the disk reported an input/output error",
}
# Errors of the place itself rather than of a path: a user error even when the OSError names no file.
_PLACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}


def file_in_path(path: str | Path) -> Path | None:
    """The first part of `path` that exists as a file, where a folder was expected (ENOTDIR's culprit)."""
    path = Path(path)
    for part in reversed((path, *path.parents)):
        if part.exists() and not part.is_dir():
            return part
    return None


def os_error_reason(exc: OSError, path: str | Path | None = None) -> str:
    """Why an OSError happened, in words: 'permission denied', 'the disk is full', 'x is a file, not a folder'."""
    if exc.errno == errno.ENOTDIR and (path or exc.filename):
        culprit = file_in_path(path or exc.filename)
        if culprit is not None:
            return f"{culprit} is a file, not a folder"
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc) or type(exc).__name__).strip().rstrip(".").lower()


def os_error_sentence(exc: OSError, verb: str = "cannot use", path: str | Path | None = None) -> str:
    """'cannot write /x/y.png: permission denied' for an OSError, naming `path` or the file it names."""
    path = path if path is not None else exc.filename
    reason = os_error_reason(exc, path)
    return f"{verb} {path}: {reason}." if path is not None else f"{reason}."


def _memory_detail(text: str) -> str:
    """' (it tried to allocate 93.1 TB)' from torch's CPU or CUDA out-of-memory message, else ''."""
    found = re.search(r"allocate ([0-9.]+) ?(bytes|[KMGT]i?B)", text, re.IGNORECASE)
    if not found:
        return ""
    amount, unit = found.groups()
    if unit.lower() == "bytes":
        size = float(amount)
        for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
            if size < 1024 or unit == "PB":
                break
            size /= 1024
        amount = f"{size:.1f}" if unit != "bytes" else f"{size:.0f}"
    return f" (it tried to allocate {amount} {unit})"


def is_out_of_memory(exc: BaseException) -> bool:
    """MemoryError, torch's OutOfMemoryError, or the RuntimeError torch's CPU allocator raises."""
    if isinstance(exc, MemoryError):
        return True
    torch = sys.modules.get("torch")  # never import torch for this: if it is not loaded, it raised nothing
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(getattr(torch, "cuda", None), "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text)


def user_error_message(exc: BaseException, doing: str = "this") -> str | None:
    """The sentence a user sees for an exception they caused, or None when it is a bug.

    GanStudioError: its message. Out of memory: 'not enough memory for <doing> ...'. OSError: the path and the
    reason ('cannot use /x: permission denied'); without a path only a full, read-only or failing disk counts.
    """
    if isinstance(exc, GanStudioError):
        return str(exc)
    if is_out_of_memory(exc):
        return (f"not enough memory for {doing}{_memory_detail(str(exc))}; use smaller settings "
                "(batch size, model widths, image size, number of samples) or another device.")
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno in _PLACE_ERRNOS):
        return os_error_sentence(exc)
    return None
