"""SketchCanvas: mouse strokes paint the layers, undo/redo restore the pixels exactly, the document replays
to what is on screen, the wheel sizes the brush, dropped files are announced."""

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent
from PySide6.QtTest import QTest

from ganstudio.core.sketch.encoding import default_hint_size, default_line_width
from ganstudio.qt.sketch.canvas import SketchCanvas


def _canvas(qtbot, size=64):
    c = SketchCanvas(size)
    qtbot.addWidget(c)
    c.resize(560, 560)
    c.show()
    qtbot.waitExposed(c)
    return c


def _at(c, fx, fy) -> QPoint:
    r = c.view_rect()
    return QPoint(int(r.x() + fx * r.width()), int(r.y() + fy * r.height()))


def drag(c, points, button=Qt.LeftButton):
    """A stroke with the mouse through points given as fractions of the canvas."""
    QTest.mousePress(c, button, Qt.NoModifier, _at(c, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(c, _at(c, *p))
    QTest.mouseRelease(c, button, Qt.NoModifier, _at(c, *points[-1]))


def state(c):
    return c.display_pixels(), c.model_layers(), [s.to_json() for s in c.document.strokes]


def same(a, b):
    return np.array_equal(a[0], b[0]) and a[1].equals(b[1]) and a[2] == b[2]


def test_mouse_strokes_paint_lines_and_hints_at_both_resolutions(qtbot):
    c = _canvas(qtbot)
    assert c.widths["pen"] == default_line_width(64) and c.widths["hint"] == default_hint_size(64)
    assert c.scale == 8 and c.display_pixels().shape == (512, 512, 3)
    blank = c.display_pixels()
    drag(c, [(0.1, 0.1), (0.3, 0.2), (0.6, 0.5), (0.9, 0.9)])
    assert c.model.lines.sum() > 40 and not c.model.hint_mask.any()
    assert (c.display_pixels() == 0).all(axis=2).sum() > 40 * 8 * 8 // 2  # black line pixels on screen
    assert len(c.document.strokes) == 1 and c.document.strokes[0].tool == "pen"

    c.set_tool("hint")
    c.set_color(QColor(10, 200, 30))
    drag(c, [(0.5, 0.2), (0.55, 0.25)])
    assert c.model.hint_mask.sum() >= 9
    ys, xs = np.nonzero(c.model.hint_mask)
    assert tuple(c.model.hint_rgb[ys[0], xs[0]]) == (10, 200, 30)
    shown = c.display_pixels()
    assert ((shown == [10, 200, 30]).all(axis=2)).sum() > 9 * 8 * 8 // 2
    assert not np.array_equal(shown, blank)
    c.set_color(QColor(255, 255, 255))  # a white hint overlapping the green one shows by its outline
    drag(c, [(0.53, 0.2), (0.6, 0.28)])
    full = c._compose((0, 512, 0, 512))
    assert np.array_equal(c.display_pixels(), full)  # painting stamp by stamp = composing it all at once
    white = c.display.hint_mask.astype(bool) & (c.display.hint_rgb == 255).all(axis=2)
    assert (full[white] < 255).any(axis=1).sum() > 20
    # The document replays to exactly these pixels (what autosave and files rely on).
    doc = c.document_copy()
    assert doc.render(c.scale).equals(c.display) and doc.render(1).equals(c.model)


def test_undo_and_redo_restore_the_canvas_pixels_exactly(qtbot):
    c = _canvas(qtbot)
    states = [state(c)]
    drag(c, [(0.1, 0.5), (0.9, 0.5)])
    states.append(state(c))
    c.set_tool("hint")
    drag(c, [(0.4, 0.4), (0.6, 0.6)])
    states.append(state(c))
    c.set_tool("eraser")
    drag(c, [(0.2, 0.45), (0.8, 0.55)])  # erases parts of both
    states.append(state(c))
    grab_before_clear = c.grab().toImage()
    c.clear()
    assert not c.model.lines.any() and not c.document.strokes
    states.append(state(c))

    for i in range(len(states) - 1, 0, -1):  # Ctrl+Z all the way back
        c.undo()
        assert same(state(c), states[i - 1]), f"undo to state {i - 1}"
    for i in range(1, len(states)):  # and forward again
        c.redo()
        assert same(state(c), states[i]), f"redo to state {i}"
    c.undo()  # before the clear
    assert c.grab().toImage() == grab_before_clear  # the very same pixels on screen


def test_wheel_sets_the_brush_size_and_ctrl_wheel_zooms(qtbot):
    c = _canvas(qtbot)
    seen = []
    c.widthChanged.connect(lambda tool, w: seen.append((tool, w)))
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    def wheel(steps, modifiers=Qt.NoModifier):
        pos = QPointF(_at(c, 0.5, 0.5))
        ev = QWheelEvent(pos, QPointF(c.mapToGlobal(pos.toPoint())), P(0, 0), P(0, 120 * steps), Qt.NoButton,
                         modifiers, Qt.NoScrollPhase, False)
        c.wheelEvent(ev)

    wheel(2)
    assert seen[-1] == ("pen", 2.0)
    c.set_tool("hint")
    wheel(-1)
    assert seen[-1] == ("hint", 2.5)
    wheel(1, Qt.ControlModifier)
    assert c.zoom > 1
    c.zoom_to_fit()
    assert c.zoom == 1.0


def test_dropping_a_file_announces_it(qtbot, tmp_path):
    c = _canvas(qtbot)
    picture = tmp_path / "drop.png"
    picture.write_bytes(b"")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    got = []
    c.fileDropped.connect(got.append)
    ev = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    c.dropEvent(ev)
    assert got == [str(picture)]


def test_tablet_pressure_sets_the_width_and_the_eraser_end_erases(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QInputDevice, QPointingDevice, QPointingDeviceUniqueId, QTabletEvent

    c = _canvas(qtbot)
    c.set_width(4.0, "pen")

    def pen(pointer):
        return QPointingDevice("test pen", 1, QInputDevice.DeviceType.Stylus, pointer,
                               QInputDevice.Capability.Position | QInputDevice.Capability.Pressure, 1, 3, "",
                               QPointingDeviceUniqueId())

    def tablet(kind, device, at, pressure):
        pos = QPointF(_at(c, *at))
        ev = QTabletEvent(kind, device, pos, QPointF(c.mapToGlobal(pos.toPoint())), pressure, 0.0, 0.0, 0.0, 0.0,
                          0.0, Qt.NoModifier, Qt.LeftButton, Qt.LeftButton)
        c.tabletEvent(ev)
        assert ev.isAccepted()

    def stroke(device, y, pressure):
        tablet(QEvent.TabletPress, device, (0.1, y), pressure)
        tablet(QEvent.TabletMove, device, (0.5, y), pressure)
        tablet(QEvent.TabletRelease, device, (0.5, y), 0.0)

    stylus = pen(QPointingDevice.PointerType.Pen)
    stroke(stylus, 0.3, 1.0)
    heavy = int(c.model.lines.sum())
    stroke(stylus, 0.7, 0.1)
    light = int(c.model.lines.sum()) - heavy
    assert [p[2] for p in c.document.strokes[1].points][:2] == [pytest.approx(0.1), pytest.approx(0.1)]
    assert 0 < light < heavy  # a light touch draws a thinner line
    stroke(pen(QPointingDevice.PointerType.Eraser), 0.3, 1.0)  # the pen turned round
    assert c.document.strokes[-1].tool == "eraser" and c.tool == "pen"
    assert int(c.model.lines.sum()) < heavy + light
