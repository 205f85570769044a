"""Conversions between model tensors in [-1, 1] and 8-bit pictures, shared by previews, CLI and GUI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# torch is imported inside the functions that need it: the GUI tiles pictures before torch is loaded.


def to_uint8(images) -> np.ndarray:
    """(N, C, H, W) or (C, H, W) in [-1, 1] -> (N, H, W, 3) or (H, W, 3) uint8; grey becomes RGB."""
    import torch

    x = torch.as_tensor(images).detach().float().cpu()
    single = x.dim() == 3
    if single:
        x = x.unsqueeze(0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return x[0] if single else x


def make_grid_uint8(images, nrow: int | None = None, padding: int = 2, pad_value: int = 24) -> np.ndarray:
    """Tile a batch of model images into one HxWx3 uint8 picture, `nrow` images per row."""
    return tile_pictures(to_uint8(images), nrow, padding, pad_value)


def tile_pictures(pictures, columns: int | None = None, padding: int = 2, pad_value: int = 24) -> np.ndarray:
    """uint8 pictures (N, H, W, 3) side by side in rows of `columns` (default: a square-ish grid)."""
    pics = np.asarray(pictures, dtype=np.uint8)
    n, h, w = pics.shape[:3]
    cols = columns or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding, 3), pad_value, np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        grid[y : y + h, x : x + w] = pics[i]
    return grid


def upscale(picture: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an array (H, W, ...) by an integer factor (crisp pixels)."""
    if factor <= 1:
        return picture
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def save_png(picture: np.ndarray, path: str | Path) -> Path:
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path)
    return path


def sketch_input_to_rgb(sketch):
    """Show a 5-channel sketch input (see ganstudio.core.sketch.encoding) as a picture: black lines on white
    paper with the colour hints painted in. (N, 5, H, W) -> (N, 3, H, W) in [-1, 1]."""
    import torch

    lines = sketch[:, 0:1] > 0
    hint_rgb = sketch[:, 1:4]
    in_hint = sketch[:, 4:5] > 0
    paper = torch.ones_like(hint_rgb)
    picture = torch.where(in_hint, hint_rgb, paper)
    return torch.where(lines, -torch.ones_like(picture), picture)


def segment_coverage(shape: tuple[int, int], a: tuple[float, float], b: tuple[float, float], r0: float,
                     r1: float) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The pixels of an (height, width) picture a round brush covers from point a (radius r0) to point b
    (radius r1): pixel (i, j) when its centre (j + 0.5, i + 0.5) lies within the radius, interpolated along
    the segment, of the segment's nearest point. Returns (box (top, bottom, left, right), boolean mask of
    the box), or None when nothing is covered. The one geometry of the Sketch canvas's and the Translate
    input's strokes."""
    ax, ay = a
    bx, by = b
    height, width = shape
    reach = max(r0, r1)
    top = max(0, int(math.floor(min(ay, by) - reach - 0.5)))
    bottom = min(height, int(math.ceil(max(ay, by) + reach + 0.5)) + 1)
    left = max(0, int(math.floor(min(ax, bx) - reach - 0.5)))
    right = min(width, int(math.ceil(max(ax, bx) + reach + 0.5)) + 1)
    if top >= bottom or left >= right:
        return None
    # Pixel centres of the box, in the same float64 arithmetic for every caller.
    cy = np.arange(top, bottom, dtype=np.float64)[:, None] + 0.5
    cx = np.arange(left, right, dtype=np.float64)[None, :] + 0.5
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0:  # the nearest point of the segment to each pixel centre
        t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / length2, 0.0, 1.0)
    else:
        t = np.zeros((bottom - top, right - left))
    dist2 = (cx - (ax + t * dx)) ** 2 + (cy - (ay + t * dy)) ** 2
    radius = r0 + t * (r1 - r0)
    covered = dist2 <= radius * radius
    if not covered.any():
        return None
    return (top, bottom, left, right), covered

