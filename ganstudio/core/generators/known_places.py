"""Whether a model file that a sketch document or a bookmark names may be opened without asking.

A document or bookmark is a file anyone can send; the model path in it could point anywhere on disk.
Models in a *known place* open at once: the bundled models, files inside the user's model and run
folders, and the recent files list. For any other path the app asks first (the question itself is the
GUI's). Paths are compared after resolving `..` and symbolic links, so neither leads out of a known folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.catalogue import bundled_folder
from ganstudio.core.safe_names import check_path_text


def is_known_model_place(path: Any, model_folders: Iterable[str | Path] = (),
                         recent_files: Iterable[str | Path] = ()) -> bool:
    """True when `path` lies inside the bundled models folder or one of `model_folders` (the user's model
    and run folders), or is one of `recent_files` (a checkpoint, its .json twin, or inside a recent run
    folder). False for every other path, and for texts no file system takes."""
    target = _resolved(path)
    if target is None:
        return False
    candidates = {target}
    if target.suffix == ".json":  # a checkpoint's readable twin stands for its weights file
        candidates.add(target.with_suffix(".safetensors"))
    for folder in [bundled_folder(), *model_folders]:
        root = _resolved(folder)
        if root is not None and any(c == root or c.is_relative_to(root) for c in candidates):
            return True
    for recent in recent_files:
        known = _resolved(recent)
        if known is None:
            continue
        if known in candidates or (known.is_dir() and any(c.is_relative_to(known) for c in candidates)):
            return True
    return False


def _resolved(path: Any) -> Path | None:
    """The absolute path with `..`, `~` and links resolved, or None for a text that is no usable path."""
    try:
        text = check_path_text(str(path) if isinstance(path, Path) else path, "the model path")
        return Path(os.path.realpath(Path(text).expanduser()))
    except (GanStudioError, OSError, ValueError, RuntimeError):
        return None
