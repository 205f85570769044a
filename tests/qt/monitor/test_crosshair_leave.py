"""The crosshair readout goes when the mouse leaves the plots (it used to keep the last values)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QApplication
from test_monitor import headless_run


def test_the_readout_and_crosshair_go_when_the_mouse_leaves(qtbot, monitor, tmp_path):
    headless_run(tmp_path / "run", steps=30)
    monitor.open_run_folder(tmp_path / "run")
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    plot = monitor.plots["lossPlot"]
    pi = plot.getPlotItem()
    monitor.redraw(force=True)
    pi.setXRange(0, 30, padding=0)
    pi.setYRange(0, 2, padding=0)
    scene_pos = pi.vb.mapViewToScene(QPointF(15, 1))
    monitor.plots_host._on_mouse_moved("lossPlot", scene_pos)  # what pyqtgraph's sigMouseMoved calls
    assert "step 15 " in monitor.readout.text(), monitor.readout.text()
    assert all(line.isVisible() for line in monitor.vlines.values())
    QApplication.sendEvent(plot, QEvent(QEvent.Leave))
    assert monitor.readout.text() == "Move the mouse over a plot to read its values."
    assert not any(line.isVisible() for line in monitor.vlines.values())
