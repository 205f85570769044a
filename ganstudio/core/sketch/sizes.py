"""Line and hint sizes of sketch inputs, in pixels of the model's image size.

Kept apart from ganstudio.core.sketch.encoding (which needs PyTorch) so the canvas can size its brushes before
the engine has loaded; sketch.py re-exports them.
"""

from __future__ import annotations


def default_line_width(size: int) -> int:
    """Line width in pixels for images `size` pixels high: 1 up to 191 px, then about size / 128."""
    return max(1, round(size / 128))


def default_hint_size(size: int) -> int:
    """Side in pixels of a square colour hint for images `size` pixels high (3 px at 64, 13 at 256)."""
    return max(1, round(size / 20))


def default_blur_sigma(size: int) -> float:
    """Gaussian blur before edge detection: 1 px up to 128 px, wider for bigger images (less texture)."""
    return max(1.0, size / 128)


DISPLAY_SIDE = 512  # about how many pixels per side the canvas shows a document with


def display_scale(size: int) -> int:
    """Integer enlargement of a `size`-pixel model canvas for the screen: 8 at 64, 2 at 256, 1 from 768.
    The canvas draws at this scale; a document's drawing budget counts the work at it."""
    return max(1, round(DISPLAY_SIDE / max(1, size)))
