"""Checking a data folder before training: is it readable as the chosen kind, how many items, which files
are broken, and a few thumbnails to show. No Qt: the Train panel runs it in a background job."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

THUMBNAILS = 6  # how many of the first files are shown
THUMB_HEIGHT = 56


def validate_data_folder(kind: str, path: str | Path, image_size: int,
                         progress: Callable[[int, int], None] | None = None,
                         path_b: str | Path | None = None) -> dict[str, Any]:
    """Open the folder exactly as training will (every file is decoded once) and describe it.

    `kind` is a data kind with a folder: "folder", "paired", "autopair" or "unpaired" (`path` holding trainA/
    and trainB/, or side A with side B in `path_b`; "count" is then side A's, "count_b" side B's). `progress(done, total)` is
    called while files are checked. Returns {"kind", "path", "count", "what" ("image" or "pair"),
    "broken" (files skipped), "skipped" (up to 3 (path, reason) examples), "thumbnails" (uint8 HxWx3
    arrays)}. A folder with nothing readable raises DataError naming the folder.
    """
    from PIL import Image

    from ganstudio.core.data import AutoPairedFolder, ImageFolder, PairedFolder

    extra: dict[str, Any] = {}
    if kind == "unpaired":
        from ganstudio.core.data.unpaired import UnpairedFolders

        ds = UnpairedFolders(path, image_size, path_b=path_b or None, progress=progress, cache_limit_bytes=0)
        half = THUMBNAILS // 2
        files, count, what = ds.a.files[:half] + ds.b.files[:half], len(ds.a), "picture"
        extra = {"count_b": len(ds.b), "path_b": str(path_b or "")}
    elif kind == "paired":
        ds = PairedFolder(path, image_size, progress=progress, cache_limit_bytes=0)
        files = [a for a, _b in ds.pairs]
        count, what = len(ds.pairs), "pair"
    elif kind == "autopair":
        ds = AutoPairedFolder(path, image_size, progress=progress, cache_limit_bytes=0)
        files, count, what = ds.images.files, len(ds), "image"
    else:
        ds = ImageFolder(path, image_size, progress=progress, cache_limit_bytes=0)
        files, count, what = ds.files, len(ds), "image"
    thumbs = []
    for f in files[:THUMBNAILS]:
        try:
            with Image.open(f) as im:
                im = im.convert("RGB")
                # A side-by-side pair is shown whole, so it gets a wider box.
                im.thumbnail((96 if kind == "paired" else THUMB_HEIGHT, THUMB_HEIGHT))
                thumbs.append(np.ascontiguousarray(np.asarray(im)))
        except OSError:
            continue
    return {"kind": kind, "path": str(path), "count": count, "what": what, "broken": len(ds.skipped),
            "skipped": [(str(p), r) for p, r in ds.skipped[:3]], "thumbnails": thumbs, **extra}
