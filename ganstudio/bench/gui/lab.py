"""The Lab: a control moved -> the experiment redrawn and painted, for each of its seven experiments."""

from __future__ import annotations

import time
from typing import Any

from ganstudio.bench.gui.common import TARGETS, Progress, guarded, qapp, stats_ms


def _moves(panel) -> list:
    """Callables that each move one control of `panel` to a new value (the first slider, through 12 of its
    ticks; the Supports' seed)."""
    from ganstudio.qt.lab.controls import FloatSlider

    slider = panel.findChildren(FloatSlider)[0]
    ticks = [round(i * slider.steps / 12) for i in range(1, 13)]
    return [lambda t=t: slider.slider.setValue(t) for t in ticks]


def lab_redraw(app, key: str, panel) -> dict[str, Any]:
    """Control -> redraw (the panel's own timing: closed forms and setData) and -> painted (redraw plus a
    grab of the panel, which paints every plot), over 12 moves of one control."""
    redraw_ms, painted_ms = [], []
    for move in _moves(panel):
        t0 = time.perf_counter()
        move()  # the slider's valueChanged runs update_now
        redraw_ms.append(panel.redraw_ms)
        panel.grab()
        painted_ms.append((time.perf_counter() - t0) * 1000)
        app.processEvents()
    return {"redraw": stats_ms(redraw_ms, 2), "painted": stats_ms(painted_ms, 1)}


def measure_lab(quick: bool, progress: Progress = lambda s: None) -> dict[str, Any]:
    from ganstudio.qt.lab.area import LabArea
    from ganstudio.qt.theme import configure_pyqtgraph

    app = qapp()
    configure_pyqtgraph()
    progress("Lab: control -> redrawn, each experiment")
    t0 = time.perf_counter()
    area = LabArea()
    area.resize(1264, 640)
    area.show()
    app.processEvents()
    out: dict[str, Any] = {"first_open_ms": round((time.perf_counter() - t0) * 1000, 1)}
    try:
        for key, panel in area.panels.items():
            area.show_experiment(key)
            app.processEvents()
            out[key] = guarded(lambda key=key, panel=panel: lab_redraw(app, key, panel))
    finally:
        area.shutdown()
        area.deleteLater()
        app.processEvents()
    p50s = [r["redraw"]["p50_ms"] for k, r in out.items() if isinstance(r, dict) and "redraw" in r]
    out["target"] = TARGETS["lab"]
    out["met"] = bool(p50s) and max(p50s) <= 16
    return out
