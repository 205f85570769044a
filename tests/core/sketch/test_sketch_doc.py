"""Sketch documents: strokes replay to exactly the pixels drawn live, files round-trip, bad files fail."""

import json

import numpy as np
import pytest
import torch

from ganstudio.core.errors import DataError
from ganstudio.core.sketch.document import (
    SketchDocument,
    SketchLayers,
    Stroke,
    document_from_image,
    draw_stroke,
    load_document,
    save_document,
    stamp,
)


def _strokes():
    return [
        Stroke("pen", 1.0, [(5.2, 5.1, 1.0), (20.7, 9.3, 0.8), (40.1, 30.5, 0.3)]),
        Stroke("hint", 3.0, [(30.0, 10.0, 1.0), (33.0, 12.5, 1.0)], color=(200, 30, 40)),
        Stroke("eraser", 4.0, [(20.0, 9.0, 1.0)]),
        Stroke("pen", 2.0, [(60.0, 2.0, 0.5), (1.0, 62.0, 1.0)]),
    ]


@pytest.mark.parametrize("scale", [1, 4])
def test_live_point_by_point_drawing_equals_replay(scale):
    doc = SketchDocument(size=(64, 64), strokes=_strokes())
    live = SketchLayers.blank(64 * scale, 64 * scale)
    for stroke in doc.strokes:  # as the canvas does: one stamp per incoming point
        growing = Stroke(stroke.tool, stroke.width, [], stroke.color)
        for point in stroke.points:
            growing.points.append(point)
            stamp(live, growing, len(growing.points) - 1, scale)
    replay = doc.render(scale)
    assert replay.equals(live)
    assert replay.lines.any() and replay.hint_mask.any()
    # the eraser removed part of the first line
    without_eraser = SketchDocument(size=(64, 64), strokes=[s for s in doc.strokes if s.tool != "eraser"]).render(scale)
    assert without_eraser.lines.sum() > replay.lines.sum()


def test_pen_draws_an_unbroken_one_pixel_line_at_model_resolution():
    layers = SketchLayers.blank(64, 64)
    draw_stroke(layers, Stroke("pen", 1.0, [(3.5, 10.5, 1.0), (60.5, 30.5, 1.0)]))
    cols = np.nonzero(layers.lines.any(axis=0))[0]
    assert cols.min() == 3 and cols.max() == 60 and len(cols) == 58  # every column crossed
    assert layers.lines.sum(axis=0).max() <= 2  # thin, like the training lines (1 px at 64)


def test_hint_colour_and_mask_are_painted():
    layers = SketchLayers.blank(16, 16)
    draw_stroke(layers, Stroke("hint", 3.0, [(8.5, 8.5, 1.0)], color=(10, 20, 30)))
    assert layers.hint_mask[8, 8] == 1 and tuple(layers.hint_rgb[8, 8]) == (10, 20, 30)
    assert layers.hint_mask.sum() == 9  # a 3-pixel dot centred on a pixel covers 3x3 pixels, like a training hint
    rgb = layers.to_rgb()
    assert tuple(rgb[8, 8]) == (10, 20, 30) and tuple(rgb[0, 0]) == (255, 255, 255)


def test_document_file_round_trip_replays_exactly(tmp_path):
    image = torch.rand(3, 64, 64) * 2 - 1
    image[:, 20:40, 20:40] = torch.tensor([0.8, -0.5, 0.1]).view(3, 1, 1)
    doc = document_from_image(image, 64, n_hints=5, seed=3)
    doc.strokes = _strokes()
    doc.model_id, doc.seed, doc.mode = "some/model.safetensors", 7, "reference"
    path = save_document(doc, tmp_path / "a.json")
    again = load_document(path)
    assert again.size == (64, 64) and again.seed == 7 and again.mode == "reference"
    assert again.model_id == "some/model.safetensors"
    assert [s.to_json() for s in again.strokes] == [s.to_json() for s in doc.strokes]
    assert again.render(8).equals(doc.render(8))
    assert again.base.equals(doc.base) and doc.base.lines.any() and doc.base.hint_mask.any()


def test_bad_documents_fail_with_one_sentence(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_document(bad)
    bad.write_text(json.dumps({"format": "ganstudio-sketch", "version": 1, "size": [64, 64],
                               "strokes": [{"tool": "spray", "width": 1, "points": [[0, 0, 1]]}]}))
    with pytest.raises(DataError, match="unknown stroke tool 'spray'"):
        load_document(bad)
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(DataError, match="not a GAN Studio sketch document"):
        load_document(bad)
