"""Brush strokes on a picture (the Translate area's drawing): which pixels a round brush paints, undo, clear."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.picture_edits import PictureEdits

RED = (200, 10, 20)


def _edits(h: int = 12, w: int = 16) -> PictureEdits:
    edits = PictureEdits()
    edits.open(np.full((h, w, 3), 90, np.uint8))
    return edits


def _painted(edits: PictureEdits) -> np.ndarray:
    return np.any(edits.picture != edits.base, axis=2)


def test_a_dot_paints_the_pixels_whose_centres_are_within_the_radius():
    edits = _edits()
    edits.begin_stroke(6.0, 5.0, RED, 4.0)  # a point on pixel corners; radius 2
    assert edits.end_stroke()
    # centres (i + .5, j + .5) within 2 of (6, 5): |dx|, |dy| in {0.5, 1.5} with dx^2 + dy^2 <= 4
    expected = np.zeros((12, 16), bool)
    expected[3:7, 5:7] = True  # dx = +-0.5: dy up to +-1.5
    expected[4:6, 4:8] = True  # dy = +-0.5: dx up to +-1.5 (1.5^2 + 0.5^2 = 2.5 <= 4)
    assert np.array_equal(_painted(edits), expected)
    assert np.all(edits.picture[expected] == RED)  # hard edges: exactly the colour chosen


def test_a_stroke_paints_a_capsule_along_its_path():
    edits = _edits()
    edits.begin_stroke(2.5, 5.5, RED, 3.0)
    edits.extend_stroke(6.5, 5.5)
    edits.extend_stroke(10.5, 5.5)
    edits.end_stroke()
    # radius 1.5 around the segment y = 5.5, x in [2.5, 10.5]: rows 4..6 over columns 2..10; beyond the
    # ends, columns 1 and 11 have centres 1 away along x (1^2 + 1^2 <= 2.25), columns 0 and 12 are 2 away
    expected = np.zeros((12, 16), bool)
    expected[4:7, 1:12] = True
    assert np.array_equal(_painted(edits), expected)


def test_undo_takes_back_one_stroke_and_clear_goes_back_to_the_opened_picture():
    edits = _edits()
    assert not edits.can_undo and not edits.clear()
    edits.begin_stroke(3, 3, RED, 2)
    edits.end_stroke()
    one = edits.picture.copy()
    edits.begin_stroke(12, 8, (0, 0, 255), 2)
    edits.extend_stroke(14, 10)
    edits.end_stroke()
    two = edits.picture.copy()
    assert not np.array_equal(one, two) and edits.edited
    assert edits.clear()
    assert np.array_equal(edits.picture, edits.base) and not edits.edited
    assert edits.undo()  # the clear
    assert np.array_equal(edits.picture, two)
    assert edits.undo()
    assert np.array_equal(edits.picture, one)
    assert edits.undo()
    assert np.array_equal(edits.picture, edits.base)
    assert not edits.undo()


def test_a_stroke_outside_the_picture_or_in_its_own_colour_leaves_no_undo_step():
    edits = _edits()
    edits.begin_stroke(-10, -10, RED, 2)
    edits.extend_stroke(-20, 30)
    assert not edits.end_stroke() and not edits.can_undo
    edits.begin_stroke(3, 3, (90, 90, 90), 4)  # the picture's own colour
    assert not edits.end_stroke() and not edits.can_undo


def test_opening_a_picture_forgets_the_strokes():
    edits = _edits()
    edits.begin_stroke(3, 3, RED, 2)
    edits.end_stroke()
    other = np.zeros((8, 8, 3), np.uint8)
    edits.open(other)
    assert np.array_equal(edits.picture, other) and not edits.can_undo and not edits.edited


@pytest.mark.parametrize("colour, diameter, what", [
    (RED, 0.0, "diameter"), (RED, float("nan"), "diameter"), ((300, 0, 0), 2.0, "colour"), ((1, 2), 2.0, "colour"),
])
def test_a_bad_brush_is_refused_in_one_sentence(colour, diameter, what):
    edits = _edits()
    with pytest.raises(GanStudioError, match=what):
        edits.begin_stroke(3, 3, colour, diameter)
    assert not edits.drawing and not edits.can_undo


def test_drawing_needs_a_picture_and_a_picture_is_uint8_rgb():
    edits = PictureEdits()
    with pytest.raises(GanStudioError, match="Open a picture"):
        edits.begin_stroke(1, 1, RED, 2)
    with pytest.raises(GanStudioError, match="uint8"):
        edits.open(np.zeros((4, 4), np.float32))
