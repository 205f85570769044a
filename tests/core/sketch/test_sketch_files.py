"""Sketch documents and recovery files from untrusted hands: bounded work, one sentence, no crash."""

import base64
import json
import tracemalloc
import zlib

import pytest

from ganstudio.core.errors import DataError
from ganstudio.core.sketch.document import (
    MAX_RENDER_WORK,
    SEED_MAX,
    STAMP_OVERHEAD,
    SketchDocument,
    Stroke,
    load_document,
    render_work,
    save_document,
)
from ganstudio.core.sketch.recovery import SketchRecovery


def _doc(**changes):
    d = {"format": "ganstudio-sketch", "version": 1, "size": [64, 64], "seed": 3, "mode": "eval", "base": None,
         "strokes": [{"tool": "pen", "width": 1.0, "color": None, "points": [[1.0, 2.0, 1.0], [30.0, 40.0, 0.5]]}]}
    d.update(changes)
    return d


def _write(tmp_path, doc, name="doc.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _bomb(n_bytes: int) -> str:
    """base64 of zlib data that inflates to n_bytes zeros."""
    co = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    data = b"".join(co.compress(chunk) for _ in range(n_bytes >> 20)) + co.flush()
    return base64.b64encode(data).decode()


def test_a_base_layer_that_inflates_beyond_its_size_is_refused_without_inflating_it(tmp_path):
    small = base64.b64encode(zlib.compress(b"\0" * 64 * 64 * 3)).decode()
    doc = _doc(base={"lines": _bomb(128 << 20), "hint_rgb": small, "hint_mask": small})
    path = _write(tmp_path, doc)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"doc.json.*base layer lines"):
            load_document(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # the 128 MB were never inflated


def test_a_base_layer_is_inflated_no_further_than_its_size(tmp_path):
    # Short enough text for a 4096-pixel layer, but it would inflate to 256 MB: stopped at 16 MB.
    small = base64.b64encode(zlib.compress(b"\0" * 10)).decode()
    doc = _doc(size=[4096, 4096], strokes=[], base={"lines": _bomb(256 << 20), "hint_rgb": small, "hint_mask": small})
    path = _write(tmp_path, doc)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"doc.json.*base layer lines.*inflates"):
            load_document(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_a_document_asking_for_too_much_drawing_is_refused_at_load(tmp_path):
    # 4096 px, strokes as wide as the canvas, 1000 points: minutes of rendering before; refused now.
    points = [[float(i % 4096), float((i * 7) % 4096), 1.0] for i in range(1000)]
    doc = _doc(size=[4096, 4096], strokes=[{"tool": "pen", "width": 4096.0, "color": None, "points": points}])
    with pytest.raises(DataError, match=r"doc.json.*too much"):
        load_document(_write(tmp_path, doc))


def test_render_work_counts_the_pixels_the_stamps_visit():
    doc = SketchDocument(size=(64, 64), strokes=[Stroke("pen", 1.0, [(10.0, 10.0, 1.0)])])
    assert 0 < render_work(doc.size, doc.strokes) - STAMP_OVERHEAD < 64
    wide = SketchDocument(size=(64, 64), strokes=[Stroke("pen", 200.0, [(10.0, 10.0, 1.0)] * 10)])
    assert render_work(wide.size, wide.strokes) == 10 * (64 * 64 + STAMP_OVERHEAD)  # clipped to the canvas
    # The canvas shows a 64-pixel model 8 times enlarged: the work counts that too.
    assert render_work(wide.size, wide.strokes, scale=8) == 10 * (512 * 512 + STAMP_OVERHEAD)
    assert MAX_RENDER_WORK > render_work(wide.size, wide.strokes, scale=8)


def test_render_work_of_several_strokes_is_each_strokes_boxes_by_hand():
    # A dot then a segment (10,10)->(30,10), radius 2 (width 4, full pressure): the dot's box is rows and
    # columns floor(10-2-0.5)=7 .. ceil(10+2+0.5)+1=14, 7x7; the segment's 7 rows x (34-7)=27 columns.
    one = Stroke("pen", 4.0, [(10.0, 10.0, 1.0), (30.0, 10.0, 1.0)])
    expected = 7 * 7 + 7 * 27 + 2 * STAMP_OVERHEAD
    assert render_work((64, 64), [one]) == expected
    # Strokes are counted apart (a stroke's first stamp is a dot, not a segment from the stroke before),
    # and empty strokes count nothing: campaign documents of 100 000 strokes are counted in one array pass.
    moved = Stroke("pen", 4.0, [(40.0, 50.0, 1.0), (60.0, 50.0, 1.0)])
    assert render_work((64, 64), [one, Stroke("pen", 4.0, []), moved, one]) == 3 * expected
    assert render_work((64, 64), [Stroke("pen", 1.0, [])]) == 0


def test_an_ordinary_heavy_drawing_still_opens(tmp_path):
    # 256 px, a 2000-point scribble with a wide eraser and hints: what a long session produces.
    pts = [[float(i % 256), float((i * 3) % 256), 1.0] for i in range(2000)]
    doc = _doc(size=[256, 256], strokes=[
        {"tool": "pen", "width": 2.0, "color": None, "points": pts},
        {"tool": "eraser", "width": 40.0, "color": None, "points": pts},
        {"tool": "hint", "width": 13.0, "color": [10, 20, 30], "points": pts},
    ])
    assert len(load_document(_write(tmp_path, doc)).strokes) == 3


@pytest.mark.parametrize("seed", [10**40, -1, SEED_MAX + 1, 1.5, True, "7"])
def test_seeds_outside_what_the_seed_box_takes_are_refused(tmp_path, seed):
    with pytest.raises(DataError, match=r"doc.json.*seed"):
        load_document(_write(tmp_path, _doc(seed=seed)))


def test_the_largest_seed_the_box_takes_loads(tmp_path):
    assert load_document(_write(tmp_path, _doc(seed=SEED_MAX))).seed == SEED_MAX


@pytest.mark.parametrize("point", [[1e308, 2.0, 1.0], [2.0, -1e308, 1.0], [1e9, 2.0, 1.0], [2.0, 2.0, 1e308],
                                   ["nan", 2.0, 1.0], [2.0, "1e308", 1.0]])
def test_points_far_outside_the_canvas_or_not_finite_are_refused(tmp_path, point):
    doc = _doc(strokes=[{"tool": "pen", "width": 1.0, "color": None, "points": [[1.0, 1.0, 1.0], point]}])
    with pytest.raises(DataError, match=r"doc.json.*stroke 1"):
        load_document(_write(tmp_path, doc))


def test_a_stroke_that_left_the_canvas_while_drawing_still_loads(tmp_path):
    doc = _doc(strokes=[{"tool": "pen", "width": 1.0, "color": None, "points": [[10.0, 10.0, 1.0], [-300.0, 500.0, 1.0]]}])
    assert load_document(_write(tmp_path, doc)).strokes[0].points[-1] == (-300.0, 500.0, 1.0)


@pytest.mark.parametrize("model_id", ["x" * 5000, "a/" + "b" * 300 + "/c.safetensors", "bad\0name", 42, ["a"]])
def test_model_paths_that_are_not_sane_paths_are_refused(tmp_path, model_id):
    with pytest.raises(DataError, match=r"doc.json.*model"):
        load_document(_write(tmp_path, _doc(model_id=model_id)))


def test_deeply_nested_documents_are_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "ganstudio-sketch", "version": 1, "size": [64, 64], "extra": '
                    + "[" * 50_000 + "]" * 50_000 + "}")
    with pytest.raises(DataError, match=r"deep.json.*nested"):
        load_document(path)


def test_too_many_strokes_or_points_are_refused_before_drawing(tmp_path):
    doc = _doc(strokes=[{"tool": "pen", "width": 1.0, "color": None, "points": [[1.0, 1.0, 1.0]]}] * 200_001)
    with pytest.raises(DataError, match=r"doc.json.*strokes"):
        load_document(_write(tmp_path, doc))


def test_a_corrupt_clean_mark_does_not_stop_the_sketch_area(tmp_path):
    rec = SketchRecovery(tmp_path)
    for text in ["[" * 100_000 + "]" * 100_000, '{"time": 1e999}', '{"time": "soon"}', "[]", "\xff"]:
        rec.clean_path.write_text(text)
        assert rec.last_clean_time() == 0.0
        assert rec.check() is None


def test_recovery_files_go_through_the_same_checks(tmp_path):
    rec = SketchRecovery(tmp_path)
    save_document(SketchDocument(size=(64, 64)), rec.recovery_path)
    rec.recovery_path.write_text(json.dumps(_doc(seed=10**40)))
    assert rec.check() == rec.recovery_path
    with pytest.raises(DataError, match="seed"):
        load_document(rec.take_offered())


def test_the_budget_counts_at_the_scale_the_canvas_draws():
    canvas = pytest.importorskip("ganstudio.qt.sketch.canvas")  # needs PySide6
    from ganstudio.core.sketch.sizes import display_scale

    assert all(canvas.display_scale(n) == display_scale(n) for n in (16, 32, 64, 100, 128, 256, 512, 1024, 4096))


def test_seed_range_is_the_seed_boxes_range():
    from ganstudio.core.sketch.session import SEED_LIMIT

    assert SEED_MAX == SEED_LIMIT
