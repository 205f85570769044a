"""The Sketch area's output: the generated picture (smooth, or exact pixels), and the eyedropper that
picks the model's colour from it."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ganstudio.qt.widgets.scaled_view import ScaledImageView


class OutputView(ScaledImageView):
    """The generated picture; in pick mode a click reads the model pixel under the mouse (eyedropper)."""

    colorPicked = Signal(QColor)

    def __init__(self, settings=None, parent: QWidget | None = None):
        super().__init__("Open a sketch model (or draw: the bundled model loads when present); the "
                         "picture appears here while you draw.", parent, settings=settings, area="sketch")
        self.setObjectName("sketchOutput")
        self.exactPixelsCheck.setObjectName("sketchExactPixels")
        self.pick_mode = False
        self.painted_at: float | None = None

    def set_pick_mode(self, on: bool) -> None:
        self.pick_mode = bool(on)
        self.setCursor(Qt.CrossCursor if on else Qt.ArrowCursor)

    def mousePressEvent(self, event) -> None:
        if self.pick_mode and event.button() == Qt.LeftButton:
            at = self.pixel_at(event.position().toPoint())
            if at is not None:
                r, g, b = (int(v) for v in self.image()[at[1], at[0]])
                self.colorPicked.emit(QColor(r, g, b))
                return
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted_at = time.perf_counter()
