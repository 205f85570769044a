"""Writing what the Explore area shows: pictures as PNG (grid and strip laid out as the CLI lays them
out), the interpolation as a looping GIF. Plain numpy and Pillow; errors are OSError / ValueError."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tile(pictures: np.ndarray | list[np.ndarray], columns: int | None = None, padding: int = 2,
         pad_value: int = 24) -> np.ndarray:
    """uint8 pictures (N, H, W, 3) side by side in rows: the layout of the CLI's and monitor's grids."""
    from ganstudio.core.imaging import tile_pictures

    return tile_pictures(pictures, columns, padding, pad_value)


def write_png(picture: np.ndarray, path: str | Path) -> Path:
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path)
    return path


def write_gif(frames: list[np.ndarray], path: str | Path, fps: int) -> Path:
    """One GIF frame per picture, looping, at `fps` frames per second (at most 50, GIF's limit)."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], loop=0, optimize=False,
                   duration=max(20, int(1000 / fps)), disposal=1)
    return path
