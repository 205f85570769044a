"""Unpaired data for CycleGAN: two sets of pictures, side A and side B, with no pairing between them.

`UnpairedFolders(path, image_size, path_b=None)` reads the reference's layout (`path/trainA/` and
`path/trainB/`) or any two folders (`path` is side A, `path_b` side B). Each side is an `ImageFolder`
(every file decoded once when opened, broken files skipped and counted); a side that is missing, empty or
holds only broken files is one DataError naming the side and its folder.

`scene_sides(count, size, seed)` makes the procedural set of `data.kind = "scenes-daynight"`: side A is
`count` landscapes by day, side B `count` *other* landscapes by night (disjoint seeds, so no scene is on
both sides). `held_out_scenes` gives day and night scenes of seeds no training set uses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ganstudio.core.data.images import ImageFolder
from ganstudio.core.errors import DataError

SIDES = ("A", "B")
HELD_OUT_SEED = 1_000_000  # scenes from here on are never in a training set


def side_folders(path: str | os.PathLike, path_b: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(folder A, folder B): `path/trainA` and `path/trainB`, or `path` and `path_b`."""
    root = Path(path).expanduser()
    if path_b is not None and str(path_b):
        return root, Path(path_b).expanduser()
    if not root.is_dir():
        raise DataError(f"Unpaired folder {root} does not exist." if not root.exists()
                        else f"Unpaired folder {root} is not a folder.")
    missing = [name for name in ("trainA", "trainB") if not (root / name).is_dir()]
    if missing:
        raise DataError(f"Unpaired folder {root} has no {' and no '.join(m + '/' for m in missing)} folder: put "
                        "side A's pictures in trainA/ and side B's in trainB/, or choose two folders.")
    return root / "trainA", root / "trainB"


def _open_side(side: str, folder: Path, image_size: int, progress, cache_limit_bytes: int | None) -> ImageFolder:
    kwargs = {} if cache_limit_bytes is None else {"cache_limit_bytes": cache_limit_bytes}
    try:
        return ImageFolder(folder, image_size, channels=3, progress=progress, **kwargs)
    except DataError as exc:
        raise DataError(f"Side {side} of the unpaired data: {exc}") from None


class UnpairedFolders:
    """Side A and side B as two `ImageFolder`s; `.skipped` lists the broken files of both sides."""

    def __init__(self, path: str | os.PathLike, image_size: int, path_b: str | os.PathLike | None = None,
                 progress: Callable[[int, int], None] | None = None, cache_limit_bytes: int | None = None):
        self.folder_a, self.folder_b = side_folders(path, path_b)
        self.a = _open_side("A", self.folder_a, image_size, progress, cache_limit_bytes)
        self.b = _open_side("B", self.folder_b, image_size, progress, cache_limit_bytes)
        self.skipped = list(self.a.skipped) + list(self.b.skipped)

    @property
    def cached(self) -> bool:
        return self.a.cached and self.b.cached

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))

    def sides(self) -> tuple[ImageFolder, ImageFolder]:
        return self.a, self.b


def _scenes_tensor(seeds, size: int, sky: str) -> torch.Tensor:
    from ganstudio.core.data.scenes import render_scene

    pixels = np.stack([render_scene(int(s), size, sky=sky) for s in seeds])
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()


def scene_sides(count: int, size: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(day scenes of seeds seed .. seed+count-1, night scenes of seeds seed+count .. seed+2*count-1),
    float32 (count, 3, size, size) in [-1, 1]. No seed is on both sides."""
    if count < 1:
        raise DataError(f"data.scene_count must be 1 or more, not {count}.")
    if seed + 2 * count > HELD_OUT_SEED:
        raise DataError(f"scene seeds {seed}..{seed + 2 * count - 1} reach the held-out scenes ({HELD_OUT_SEED} on).")
    day = _scenes_tensor(range(seed, seed + count), size, "day")
    night = _scenes_tensor(range(seed + count, seed + 2 * count), size, "night")
    return day, night


def held_out_scenes(count: int, size: int = 64, sky: str = "day", offset: int = 0) -> torch.Tensor:
    """Scenes no training set holds (seeds from HELD_OUT_SEED + offset), by `sky`."""
    start = HELD_OUT_SEED + offset
    return _scenes_tensor(range(start, start + count), size, sky)
