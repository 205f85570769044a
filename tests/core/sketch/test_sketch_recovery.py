"""Crash recovery of the sketch being drawn, without Qt: what is offered back, what is kept, what goes."""

import os
import time

from ganstudio.core.sketch.document import SketchDocument, Stroke, load_document
from ganstudio.core.sketch.recovery import SketchRecovery


def drawing(x: float) -> SketchDocument:
    return SketchDocument(size=(32, 32), strokes=[Stroke("pen", 1.0, [(x, 2.0, 1.0), (20.0, 20.0, 1.0)])])


def age(path, seconds: float) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_a_crashed_session_is_offered_back_and_a_clean_exit_offers_nothing(tmp_path):
    first = SketchRecovery(tmp_path)
    assert first.check() is None
    assert first.autosave(drawing(3.0)) and first.recovery_path.is_file()
    # the process dies here: no close(), no clean mark
    second = SketchRecovery(tmp_path)
    assert second.check() == second.recovery_path
    assert load_document(second.take_offered()).strokes[0].points[0][0] == 3.0
    assert second.offered is None
    second.autosave(drawing(5.0))
    second.close()  # a clean exit
    assert not second.recovery_path.exists() and SketchRecovery(tmp_path).check() is None


def test_drawing_before_answering_keeps_the_crashed_sketch_aside_still_on_offer(tmp_path):
    crashed = SketchRecovery(tmp_path)
    crashed.autosave(drawing(7.0))
    age(crashed.recovery_path, 60)
    now = SketchRecovery(tmp_path)
    assert now.check() == now.recovery_path
    assert now.autosave(drawing(9.0))  # new work while the banner is unanswered
    assert now.offered == now.previous_path
    assert load_document(now.previous_path).strokes[0].points[0][0] == 7.0
    assert load_document(now.recovery_path).strokes[0].points[0][0] == 9.0
    now.close()  # exit without answering: the crashed sketch stays on offer, this session's work is safe
    later = SketchRecovery(tmp_path)
    assert later.check() == later.previous_path
    later.discard()
    assert not later.previous_path.exists() and SketchRecovery(tmp_path).check() is None


def test_an_unwritable_folder_fails_the_autosave_without_raising(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert SketchRecovery(blocked).autosave(drawing(1.0)) is False


def test_a_clean_exit_keeps_the_sketch_for_the_next_start(tmp_path):
    first = SketchRecovery(tmp_path)
    assert first.last() is None
    doc = drawing(7.0)
    doc.model_id = "/models/sketch.safetensors"
    assert first.keep_last(doc)
    first.close()
    kept = SketchRecovery(tmp_path).last()
    assert kept.model_id == "/models/sketch.safetensors" and kept.strokes[0].points[0][0] == 7.0
    assert SketchRecovery(tmp_path).check() is None  # kept, not offered as a crash
