"""The one reader of JSON that comes from users' files: bounded in bytes and nesting depth.

Sketch documents, recovery files, bookmarks, checkpoint metadata and run configs all go through
`read_json` (a file) or `loads_json` (text already in memory, e.g. a safetensors header). A file that
is too big, nested too deep, not UTF-8 or not JSON raises `error` (a GanStudioError subclass) with one
sentence naming it, never a JSONDecodeError, RecursionError or MemoryError from deep inside the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganstudio.core.errors import GanStudioError, as_sentence

# Deeper than any file GAN Studio writes (a sketch document is 4 levels deep), far below the
# interpreter's recursion limit, so that later code walking the data never recurses out of stack.
MAX_DEPTH = 32
MAX_BYTES = 64 << 20  # the largest sketch document (4096 px with base layers) is well below this


def loads_json(data: bytes | str, where: str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
               error: type[GanStudioError] = GanStudioError) -> Any:
    """Parse `data`; `where` names it in the error ("Bookmark /path/x.json", "the checkpoint header")."""
    if len(data) > max_bytes:
        raise error(as_sentence(f"{where} is larger than {_size(max_bytes)} ({_size(len(data))})"))
    try:
        value = json.loads(data)
    except RecursionError:
        raise error(as_sentence(f"{where} is nested more than {max_depth} levels deep")) from None
    except UnicodeDecodeError:
        raise error(as_sentence(f"{where} is not UTF-8 text")) from None
    except ValueError as exc:  # JSONDecodeError, and integers of more digits than Python converts
        raise error(as_sentence(f"{where} is not valid JSON ({str(exc).splitlines()[0]})")) from None
    opened = data.count(b"{") + data.count(b"[") if isinstance(data, bytes) else data.count("{") + data.count("[")
    if opened > max_depth and _depth_exceeds(value, max_depth):  # fewer brackets than that cannot nest deeper
        raise error(as_sentence(f"{where} is nested more than {max_depth} levels deep"))
    return value


def read_json(path: str | Path, *, what: str = "JSON file", max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH,
              error: type[GanStudioError] = GanStudioError) -> Any:
    """Read and parse a JSON file; its size is checked before a byte is read."""
    path = Path(path)
    where = f"{what} {_short(path)}"
    try:
        if not path.exists():
            raise error(as_sentence(f"{where} does not exist"))
        if not path.is_file():
            raise error(as_sentence(f"{where} is not a file"))
        size = path.stat().st_size
        if size > max_bytes:
            raise error(as_sentence(f"{where} is larger than {_size(max_bytes)} ({_size(size)})"))
        with open(path, "rb") as fh:
            data = fh.read(size + 1)  # read(n) allocates n bytes at once; the file may have grown since stat
    except OSError as exc:  # a name too long, no permission, a device error
        raise error(as_sentence(f"{where} cannot be read ({exc.strerror or exc})")) from None
    return loads_json(data, where, max_bytes=max_bytes, max_depth=max_depth, error=error)


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether containers nest deeper than max_depth (the top-level container is depth 1); no recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n} bytes"


def _short(path: Path, limit: int = 120) -> str:
    """A path for a message: very long names (those the OS refuses) are cut in the middle."""
    text = str(path)
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 2:]}"
