"""Names and paths that come from files and command lines, made safe before they touch the disk.

- `safe_folder_name(name)`: a run name as one folder name inside its parent (no separators, no `..`, no
  hidden or option-like names, no names Windows reserves), so `--set name=/abs/path` or
  `name = "../../.."` in a TOML cannot place a run folder anywhere else.
- `check_path_text(value, what, error)`: a path written in a document or bookmark is a string that a file
  system can take (no NUL, not absurdly long), so that looking it up raises no OSError (ENAMETOOLONG).
"""

from __future__ import annotations

import re
from typing import Any

from ganstudio.core.errors import GanStudioError, as_sentence

MAX_NAME_CHARS = 64  # a run folder is NAME-YYYYmmdd-HHMMSS(-n): well below the 255 bytes of a name
MAX_PATH_CHARS = 4096  # PATH_MAX on Linux; Windows and macOS allow less
MAX_PART_BYTES = 255  # one file or folder name, in bytes (NAME_MAX)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_SEPARATORS = re.compile(r"[/\\]+")
_DASHES = re.compile(r"-{2,}")


def safe_folder_name(name: Any) -> str:
    """`name` as a single, portable folder name: separators and unsafe characters become '-', '..' and
    leading dots vanish, at most MAX_NAME_CHARS characters; "run" when nothing usable is left."""
    parts = [p for p in _SEPARATORS.split(str(name)) if p.strip(". ~")]
    text = "-".join(parts)
    text = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
    text = _DASHES.sub("-", text).strip("-._ ")[:MAX_NAME_CHARS].rstrip("-. ")
    if not text:
        return "run"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text += "_"
    return text


def check_path_text(value: Any, what: str, error: type[GanStudioError] = GanStudioError) -> str:
    """`value` when it is a path string a file system can look up; else `error` naming `what`."""
    if not isinstance(value, str) or not value:
        raise error(as_sentence(f"{what} must be a file path, not {_preview(value)}"))
    if "\0" in value:
        raise error(as_sentence(f"{what} holds a NUL character, which no file path can"))
    if len(value) > MAX_PATH_CHARS:
        raise error(as_sentence(f"{what} is {len(value)} characters long; file paths have at most {MAX_PATH_CHARS}"))
    longest = max(_SEPARATORS.split(value), key=lambda p: len(p.encode("utf-8", "surrogatepass")))
    if len(longest.encode("utf-8", "surrogatepass")) > MAX_PART_BYTES:
        raise error(as_sentence(f"{what} has a name of {len(longest)} characters; file names have at most {MAX_PART_BYTES} bytes"))
    return value


def _preview(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
