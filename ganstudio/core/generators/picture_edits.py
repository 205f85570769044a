"""Brush strokes drawn on a picture before it is translated (the Translate area's drawing), without Qt.

`PictureEdits` holds the picture as opened (`base`), the picture as drawn (`picture`, uint8 (H, W, 3)) and
one undo step per stroke. A stroke is a round brush of a colour and a diameter in the picture's own pixels:
`begin_stroke(x, y, colour, diameter)` paints a dot, each `extend_stroke(x, y)` the segment from the last
point, `end_stroke()` closes it. A pixel is painted when its centre lies within diameter / 2 of the stroke's
path (coordinates are in pixels, (0, 0) the top-left corner of the top-left pixel, so pixel (i, j) has its
centre at (i + 0.5, j + 0.5)); hard edges, no blending, so what is painted is exactly the colour chosen.
`undo()` takes the last stroke back, `clear()` goes back to the picture as opened (itself undoable).
"""

from __future__ import annotations

import numpy as np

from ganstudio.core.errors import GanStudioError
from ganstudio.core.imaging import segment_coverage

MAX_UNDO = 50  # strokes kept for undo; each holds the pixels of the picture before it
MAX_DIAMETER = 512.0


class PictureEdits:
    def __init__(self) -> None:
        self.base: np.ndarray | None = None
        self.picture: np.ndarray | None = None
        self._undo: list[np.ndarray] = []
        self._stroke: tuple[tuple[int, int, int], float] | None = None
        self._last: tuple[float, float] | None = None
        self.version = 0  # counts every change of `picture`

    # --- the picture --------------------------------------------------------------------------------
    def open(self, picture: np.ndarray) -> None:
        """A new picture to draw on (opened, or swapped in): the strokes and their undo are forgotten."""
        picture = np.asarray(picture)
        if picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
            raise GanStudioError(f"A picture to draw on is uint8 (H, W, 3), not {picture.dtype} {picture.shape}.")
        self.base = picture.copy()
        self.picture = picture.copy()
        self._undo.clear()
        self._stroke = self._last = None
        self.version += 1

    @property
    def edited(self) -> bool:
        return self.picture is not None and not np.array_equal(self.picture, self.base)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) and self._stroke is None

    @property
    def drawing(self) -> bool:
        return self._stroke is not None

    # --- strokes ------------------------------------------------------------------------------------
    def begin_stroke(self, x: float, y: float, colour: tuple[int, int, int], diameter: float) -> None:
        if self.picture is None:
            raise GanStudioError("Open a picture first, then draw on it.")
        if not (np.isfinite(diameter) and 0 < diameter <= MAX_DIAMETER):
            raise GanStudioError(f"The brush diameter is {diameter}; it must be above 0 and at most {MAX_DIAMETER:g} pixels.")
        colour = tuple(int(c) for c in colour)
        if len(colour) != 3 or not all(0 <= c <= 255 for c in colour):
            raise GanStudioError(f"The brush colour {colour} is not three values from 0 to 255.")
        if self._stroke is not None:
            self.end_stroke()
        self._undo.append(self.picture.copy())
        del self._undo[:-MAX_UNDO]
        self._stroke = (colour, float(diameter))
        self._last = (float(x), float(y))
        self._paint_segment(self._last, self._last)

    def extend_stroke(self, x: float, y: float) -> None:
        if self._stroke is None:
            return
        point = (float(x), float(y))
        self._paint_segment(self._last, point)
        self._last = point

    def end_stroke(self) -> bool:
        """Close the stroke; True when it changed the picture (a stroke that changed nothing leaves no undo step)."""
        if self._stroke is None:
            return False
        self._stroke = self._last = None
        if np.array_equal(self._undo[-1], self.picture):
            self._undo.pop()
            return False
        return True

    def undo(self) -> bool:
        """The picture as it was before the last stroke (or clear); False when there is nothing to undo."""
        if not self.can_undo:
            return False
        self.picture = self._undo.pop()
        self.version += 1
        return True

    def clear(self) -> bool:
        """Back to the picture as opened (undoable); False when it already is."""
        if self.picture is None or self._stroke is not None or not self.edited:
            return False
        self._undo.append(self.picture.copy())
        del self._undo[:-MAX_UNDO]
        self.picture = self.base.copy()
        self.version += 1
        return True

    def _paint_segment(self, a: tuple[float, float], b: tuple[float, float]) -> None:
        colour, diameter = self._stroke
        found = segment_coverage(self.picture.shape[:2], a, b, diameter / 2, diameter / 2)
        if found is not None:
            (top, bottom, left, right), inside = found
            self.picture[top:bottom, left:right][inside] = colour
            self.version += 1
