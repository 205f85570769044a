"""How responsive is the GUI thread? A periodic QTimer that records how late each tick fires.

A tick that fires 200 ms late means the event loop could not repaint or react to input for 200 ms.
Used by the start-up probe and the benchmarks; costs nothing when not started.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class TimerLatencyProbe(QObject):
    def __init__(self, interval_ms: int = 20, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last: float | None = None
        self.late_ms: list[float] = []

    def start(self) -> None:
        self.late_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.late_ms.append(max(0.0, (now - self._last) * 1000 - self.interval_ms))
        self._last = now

    def summary(self) -> str:
        if not self.late_ms:
            return "no ticks"
        late = np.asarray(self.late_ms)
        return (f"{len(late)} ticks of {self.interval_ms} ms: median late {np.median(late):.1f} ms, "
                f"p99 {np.percentile(late, 99):.1f} ms, worst {late.max():.1f} ms")
