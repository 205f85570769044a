"""The Sketch area's output: the generated picture, and the eyedropper that picks a colour from it."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ganstudio.qt.widgets.image_views import PixelImageView, fit_rect


class OutputView(PixelImageView):
    """The generated picture; in pick mode a click reads the colour under the mouse (eyedropper)."""

    colorPicked = Signal(QColor)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Open a sketch model (or draw: the bundled model loads when present); the "
                         "picture appears here while you draw.", parent)
        self.setObjectName("sketchOutput")
        self.pick_mode = False
        self.painted_at: float | None = None

    def set_pick_mode(self, on: bool) -> None:
        self.pick_mode = bool(on)
        self.setCursor(Qt.CrossCursor if on else Qt.ArrowCursor)

    def pixel_at(self, pos: QPoint) -> tuple[int, int] | None:
        pic = self.image()
        if pic is None:
            return None
        target = fit_rect(self.rect().adjusted(8, 8, -8, -8), pic.shape[1], pic.shape[0])
        if not target.contains(pos):
            return None
        x = (pos.x() - target.x()) * pic.shape[1] // max(1, target.width())
        y = (pos.y() - target.y()) * pic.shape[0] // max(1, target.height())
        return int(min(x, pic.shape[1] - 1)), int(min(y, pic.shape[0] - 1))

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
