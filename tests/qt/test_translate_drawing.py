"""Drawing on the Translate area's input: a stroke changes the input where drawn, the output follows and is
the headless translation (`ganstudio translate --eval`'s path) of the picture as drawn, strokes drawn while a
translation runs make one more translation, undo and clear go back."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from tiny_runs import train_tiny_cyclegan

from ganstudio.qt.translate.area import TranslateArea

WIDTH, HEIGHT = 48, 40


def open_photo_and_model(qtbot, area, checkpoint, tmp_path, seed: int) -> None:
    """A random photo and the CycleGAN opened in a Translate area, its first translation done."""
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(photo)
    area.load_model(checkpoint)
    qtbot.waitUntil(lambda: area.model_info is not None, timeout=30000)
    area.open_picture(photo)
    qtbot.waitUntil(lambda: area.outputView.image() is not None and area.is_idle(), timeout=30000)


@pytest.fixture(scope="module")
def cyclegan_checkpoint(tmp_path_factory):
    run = tmp_path_factory.mktemp("translate-drawing") / "run"
    return train_tiny_cyclegan(run) / "checkpoints" / "latest.safetensors"


@pytest.fixture
def area(qtbot, cyclegan_checkpoint, tmp_path):
    widget = TranslateArea(device="cpu")
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    open_photo_and_model(qtbot, widget, cyclegan_checkpoint, tmp_path, seed=11)
    yield widget
    widget.shutdown()


def _screen(view, x: float, y: float) -> QPoint:
    """The screen point over picture point (x, y) (in the picture's pixels)."""
    r = view.target_rect()
    pic = view.image()
    return QPoint(round(r.x() + x * r.width() / pic.shape[1]), round(r.y() + y * r.height() / pic.shape[0]))


def _stroke(view, points) -> None:
    QTest.mousePress(view, Qt.LeftButton, Qt.NoModifier, _screen(view, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(view, _screen(view, *p))
    QTest.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, _screen(view, *points[-1]))


def _headless(checkpoint, picture: np.ndarray, tmp_path, direction: str = "AtoB") -> np.ndarray:
    """What `ganstudio translate CHECKPOINT drawn.png --direction D --eval` makes of the picture as drawn."""
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.generators.translate import translate_file

    path = tmp_path / "drawn.png"
    Image.fromarray(picture).save(path)
    model = open_generator(checkpoint, device="cpu")
    model.set_direction(direction)
    return translate_file(model, path, mode="eval")


def test_a_stroke_changes_the_input_there_and_the_output_follows(qtbot, area, cyclegan_checkpoint, tmp_path):
    opened = area.inputView.image().copy()
    first = area.outputView.image().copy()
    assert opened.shape == (HEIGHT, WIDTH, 3) and area.brushBar.colourSwatch.isEnabled()
    assert not area.brushBar.undoButton.isEnabled() and not area.brushBar.clearButton.isEnabled()
    qtbot.mouseClick(area.brushBar.swatches[2], Qt.LeftButton)  # "#d94f3d"
    area.brushBar.sizeSpin.setValue(3)
    _stroke(area.inputView, [(6.5, 20.5), (15.5, 20.5), (30.5, 20.5), (40.5, 20.5)])

    drawn = area.inputView.image().copy()
    changed = np.any(drawn != opened, axis=2)
    assert changed[20, 10:37].all()  # along the stroke
    assert not changed[:16].any() and not changed[25:].any() and not changed[:, :4].any()  # nowhere else
    assert np.all(drawn[changed] == (0xD9, 0x4F, 0x3D))
    assert area.brushBar.undoButton.isEnabled() and area.brushBar.clearButton.isEnabled()

    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    output = area.outputView.image().copy()
    assert not np.array_equal(output, first)
    assert np.array_equal(output, _headless(cyclegan_checkpoint, drawn, tmp_path))
    area.export_input(tmp_path / "input.png")  # the input as drawn, as a file `ganstudio translate` takes
    assert np.array_equal(np.asarray(Image.open(tmp_path / "input.png")), drawn)

    qtbot.mouseClick(area.brushBar.undoButton, Qt.LeftButton)
    assert np.array_equal(area.inputView.image(), opened)
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert np.array_equal(area.outputView.image(), first)
    assert not area.brushBar.undoButton.isEnabled()


def test_strokes_drawn_during_a_translation_make_one_more_translation(qtbot, area, cyclegan_checkpoint, tmp_path):
    asked: list[np.ndarray] = []
    hold = threading.Event()
    translate_pixels = area.session.translate_pixels

    def counted(pixels, direction=None):
        asked.append(pixels.copy())
        if len(asked) == 1:
            hold.wait(30)  # the first translation runs while three more strokes are drawn
        return translate_pixels(pixels, direction)

    area.session.translate_pixels = counted
    try:
        _stroke(area.inputView, [(4.5, 8.5), (44.5, 8.5)])
        qtbot.waitUntil(lambda: len(asked) == 1, timeout=30000)  # its translation has begun
        for y in (18.5, 28.5, 36.5):
            _stroke(area.inputView, [(4.5, y), (44.5, y)])
        assert len(asked) == 1 and not area.is_idle()
    finally:
        hold.set()
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert len(asked) == 2  # the three strokes drawn meanwhile: one translation of the newest picture
    final = area.inputView.image()
    assert np.array_equal(asked[1], final) and not np.array_equal(asked[0], final)
    assert np.array_equal(area.outputView.image(), _headless(cyclegan_checkpoint, final, tmp_path))


def test_clear_goes_back_to_the_opened_picture_and_undo_brings_the_drawing_back(qtbot, area):
    opened = area.inputView.image().copy()
    first = area.outputView.image().copy()
    _stroke(area.inputView, [(5.5, 5.5), (20.5, 30.5)])
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    _stroke(area.inputView, [(30.5, 5.5), (30.5, 35.5)])
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    drawn, drawn_output = area.inputView.image().copy(), area.outputView.image().copy()
    qtbot.mouseClick(area.brushBar.clearButton, Qt.LeftButton)
    assert np.array_equal(area.inputView.image(), opened) and not area.brushBar.clearButton.isEnabled()
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert np.array_equal(area.outputView.image(), first)
    area.undo_stroke()  # the clear
    assert np.array_equal(area.inputView.image(), drawn)
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert np.array_equal(area.outputView.image(), drawn_output)


def test_after_swap_the_translation_is_drawn_on_and_translated_back(qtbot, area, cyclegan_checkpoint, tmp_path):
    a_to_b = area.outputView.image().copy()
    qtbot.mouseClick(area.swapButton, Qt.LeftButton)
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert area.direction == "BtoA" and np.array_equal(area.inputView.image(), a_to_b)
    assert not area.brushBar.undoButton.isEnabled()  # a new picture to draw on
    _stroke(area.inputView, [(10.5, 10.5), (30.5, 12.5)])
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    drawn = area.inputView.image()
    assert not np.array_equal(drawn, a_to_b)
    assert np.array_equal(area.outputView.image(), _headless(cyclegan_checkpoint, drawn, tmp_path, "BtoA"))
    area.clear_drawing()
    assert np.array_equal(area.inputView.image(), a_to_b)  # clear: back to the picture swapped in


def test_edit_undo_takes_back_the_last_stroke_in_the_translate_area(qtbot, window, cyclegan_checkpoint, tmp_path):
    from PySide6.QtWidgets import QApplication

    area = window.translate_area
    window.show_area("Translate")
    open_photo_and_model(qtbot, area, cyclegan_checkpoint, tmp_path, seed=2)
    opened = area.inputView.image().copy()
    assert not window.actUndo.isEnabled()
    _stroke(area.inputView, [(5.5, 5.5), (40.5, 30.5)])
    assert window.actUndo.isEnabled() and window.actUndo.text() == "&Undo stroke"
    window.activateWindow()
    area.inputView.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is area.inputView, timeout=5000)
    QTest.keyClick(area.inputView, Qt.Key_Z, Qt.ControlModifier)  # Edit > Undo's key
    assert np.array_equal(area.inputView.image(), opened) and not window.actUndo.isEnabled()
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    window.show_area("Sketch")
    assert window.actUndo.text() != "&Undo stroke"


def test_swap_during_a_translation_swaps_the_newest_output(qtbot, area, cyclegan_checkpoint, tmp_path):
    hold = threading.Event()
    started = threading.Event()
    translate_pixels = area.session.translate_pixels

    def held(pixels, direction=None):
        started.set()
        hold.wait(30)
        return translate_pixels(pixels, direction)

    area.session.translate_pixels = held
    try:
        _stroke(area.inputView, [(4.5, 20.5), (44.5, 24.5)])
        qtbot.waitUntil(started.is_set, timeout=30000)
        drawn = area.inputView.image().copy()
        area.swap()  # the output on screen is the opened picture's: Swap waits for the drawn one's
        assert area.direction == "AtoB" and np.array_equal(area.inputView.image(), drawn)
    finally:
        area.session.translate_pixels = translate_pixels
        hold.set()
    qtbot.waitUntil(lambda: area.is_idle() and area.direction == "BtoA", timeout=30000)
    translated = _headless(cyclegan_checkpoint, drawn, tmp_path, "AtoB")
    assert np.array_equal(area.inputView.image(), translated)
    qtbot.waitUntil(lambda: area.is_idle(), timeout=30000)
    assert np.array_equal(area.outputView.image(), _headless(cyclegan_checkpoint, translated, tmp_path, "BtoA"))
