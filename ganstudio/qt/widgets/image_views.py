"""Pixel-exact picture widgets for generated images: one picture, a clickable grid, a film strip.

Pictures are uint8 numpy arrays (H, W, 3) drawn with nearest-neighbour scaling (integer factors when
they fit), so a 32-pixel sample shows crisp pixels rather than a blur. The widgets paint with QPainter
directly: no scene graph, a repaint of a 4x4 grid costs well under a millisecond.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.qt import theme

FRAME = QColor("#343842")
EMPTY_TEXT = QColor(theme.MUTED)
SELECTED = QColor(theme.ACCENT)
HOVER = QColor("#6b7280")
BADGE_COLORS = {"A": "#2ec4b6", "B": "#ff6b9a", "C": "#f7d154", "K": "#c77dff"}


def to_qimage(picture: np.ndarray) -> tuple[QImage, np.ndarray]:
    """A QImage viewing `picture` (H, W, 3) uint8; the array returned must outlive the QImage."""
    pic = np.ascontiguousarray(picture, dtype=np.uint8)
    if pic.ndim == 2:
        pic = np.ascontiguousarray(np.repeat(pic[:, :, None], 3, axis=2))
    h, w = pic.shape[:2]
    return QImage(pic.data, w, h, 3 * w, QImage.Format_RGB888), pic


def crisp_scale(scale: float) -> float:
    """Round a zoom factor down to a whole number when that loses little (every model pixel then
    covers the same number of screen pixels); keep it when rounding would waste much of the space."""
    if scale >= 1 and math.floor(scale) / scale >= 0.8:
        return float(math.floor(scale))
    return scale


def fit_rect(area: QRect, w: int, h: int) -> QRect:
    """The largest rectangle with aspect w:h centred in `area`, at a crisp zoom."""
    if w <= 0 or h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRect()
    scale = crisp_scale(min(area.width() / w, area.height() / h))
    tw, th = max(1, int(w * scale)), max(1, int(h * scale))
    return QRect(area.x() + (area.width() - tw) // 2, area.y() + (area.height() - th) // 2, tw, th)


class PixelImageView(QWidget):
    """One picture, as large as fits, nearest-neighbour; a hint text while empty."""

    def __init__(self, placeholder: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._qimage: QImage | None = None
        self._array: np.ndarray | None = None
        self.placeholder = placeholder
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(96, 96)

    def set_image(self, picture: np.ndarray | None) -> None:
        if picture is None:
            self._qimage, self._array = None, None
        else:
            self._qimage, self._array = to_qimage(picture)
        self.update()

    def image(self) -> np.ndarray | None:
        """The picture shown (H, W, 3) uint8, or None."""
        return self._array

    def sizeHint(self) -> QSize:
        return QSize(320, 320)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        if self._qimage is None:
            p.setPen(EMPTY_TEXT)
            p.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignCenter | Qt.TextWordWrap, self.placeholder)
            return
        target = fit_rect(self.rect().adjusted(8, 8, -8, -8), self._qimage.width(), self._qimage.height())
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)
        p.drawImage(target, self._qimage)
        p.setPen(QPen(FRAME, 1))
        p.drawRect(target.adjusted(-1, -1, 0, 0))


class ImageGridView(QWidget):
    """Pictures in a grid of `columns`; click selects (cellClicked), right click asks for a menu.

    `set_badges({index: "A"})` marks cells with small coloured letters (arithmetic groups, keyframes);
    `current` is drawn with the accent frame. `columns=None` makes a square-ish grid; `single_row=True`
    puts every picture in one row (film strips). `smooth = True` enlarges the pictures smoothly
    instead of in nearest-neighbour blocks (the Sketch variants follow the output's Exact pixels).
    """

    cellClicked = Signal(int)
    cellMenuRequested = Signal(int, QPoint)  # index, global position

    def __init__(self, columns: int | None = None, spacing: int = 4, placeholder: str = "",
                 single_row: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.columns = columns
        self.single_row = single_row
        self.spacing = spacing
        self.placeholder = placeholder
        self._images: list[QImage] = []
        self._arrays: list[np.ndarray] = []
        self.current: int | None = None
        self.badges: dict[int, str] = {}
        self.smooth = False
        self._hover: int | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)  # arrow keys move the selection
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(64, 48)

    # --- content ---------------------------------------------------------------------------------------
    def set_images(self, pictures: np.ndarray | list[np.ndarray] | None) -> None:
        self._images, self._arrays = [], []
        for pic in ([] if pictures is None else pictures):
            q, arr = to_qimage(pic)
            self._images.append(q)
            self._arrays.append(arr)
        if self.current is not None and self.current >= len(self._images):
            self.current = None
        self.update()

    def count(self) -> int:
        return len(self._images)

    def image(self, index: int) -> np.ndarray:
        return self._arrays[index]

    def images(self) -> list[np.ndarray]:
        return list(self._arrays)

    def set_current(self, index: int | None) -> None:
        self.current = index
        self.update()

    def set_smooth(self, on: bool) -> None:
        self.smooth = bool(on)
        self.update()

    def set_badges(self, badges: dict[int, str]) -> None:
        self.badges = dict(badges)
        self.update()

    # --- geometry --------------------------------------------------------------------------------------
    def _layout(self) -> tuple[int, int, int, int, QRect]:
        """(columns, rows, cell_w, cell_h, bounding rect of all cells)."""
        n = len(self._images)
        if n == 0:
            return 0, 0, 0, 0, QRect()
        cols = n if self.single_row else (self.columns or int(math.ceil(math.sqrt(n))))
        cols = max(1, min(cols, n))
        rows = int(math.ceil(n / cols))
        iw, ih = self._images[0].width(), self._images[0].height()
        s = self.spacing
        avail_w = self.width() - s * (cols + 1)
        avail_h = self.height() - s * (rows + 1)
        scale = crisp_scale(max(0.05, min(avail_w / (cols * iw), avail_h / (rows * ih))))
        cw, ch = max(1, int(iw * scale)), max(1, int(ih * scale))
        tw, th = cols * cw + (cols - 1) * s, rows * ch + (rows - 1) * s
        box = QRect((self.width() - tw) // 2, (self.height() - th) // 2, tw, th)
        return cols, rows, cw, ch, box

    def cell_rect(self, index: int) -> QRect:
        cols, _rows, cw, ch, box = self._layout()
        if cols == 0 or not 0 <= index < len(self._images):
            return QRect()
        r, c = divmod(index, cols)
        return QRect(box.x() + c * (cw + self.spacing), box.y() + r * (ch + self.spacing), cw, ch)

    def index_at(self, pos: QPoint) -> int | None:
        for i in range(len(self._images)):
            if self.cell_rect(i).adjusted(-2, -2, 2, 2).contains(pos):
                return i
        return None

    # --- events ----------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        index = self.index_at(event.position().toPoint())
        if index is None:
            return super().mousePressEvent(event)
        if event.button() == Qt.LeftButton:
            self.cellClicked.emit(index)
        elif event.button() == Qt.RightButton:
            self.cellMenuRequested.emit(index, event.globalPosition().toPoint())

    def keyPressEvent(self, event) -> None:
        n = len(self._images)
        cols = self._layout()[0]
        steps = {Qt.Key_Left: -1, Qt.Key_Right: 1, Qt.Key_Up: -cols, Qt.Key_Down: cols}
        if n == 0 or event.key() not in steps:
            return super().keyPressEvent(event)
        start = self.current if self.current is not None else 0
        target = start + steps[event.key()] if self.current is not None else 0
        if 0 <= target < n:
            self.cellClicked.emit(target)

    def mouseMoveEvent(self, event) -> None:
        index = self.index_at(event.position().toPoint())
        if index != self._hover:
            self._hover = index
            self.update()

    def leaveEvent(self, _event) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        if self.hasFocus() and self._images:
            p.setPen(QPen(QColor("#3a3f4b"), 1))
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if not self._images:
            if self.placeholder:
                p.setPen(EMPTY_TEXT)
                p.drawText(self.rect().adjusted(8, 4, -8, -4), Qt.AlignCenter | Qt.TextWordWrap, self.placeholder)
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, self.smooth)
        for i, img in enumerate(self._images):
            r = self.cell_rect(i)
            p.drawImage(r, img)
        font = QFont(p.font())
        font.setPixelSize(10)
        font.setBold(True)
        p.setFont(font)
        for i, text in self.badges.items():
            if not 0 <= i < len(self._images):
                continue
            r = self.cell_rect(i)
            color = QColor(BADGE_COLORS.get(text[:1], theme.ACCENT))
            badge = QRect(r.x() + 2, r.y() + 2, 8 + 7 * len(text), 14)
            p.setPen(Qt.NoPen)
            p.setBrush(color)
            p.drawRoundedRect(badge, 3, 3)
            p.setPen(QColor("#0b0d10"))
            p.drawText(badge, Qt.AlignCenter, text)
        p.setBrush(Qt.NoBrush)
        if self._hover is not None and self._hover != self.current and self._hover < len(self._images):
            p.setPen(QPen(HOVER, 1))
            p.drawRect(self.cell_rect(self._hover).adjusted(-2, -2, 1, 1))
        if self.current is not None and self.current < len(self._images):
            p.setPen(QPen(SELECTED, 2))
            p.drawRect(self.cell_rect(self.current).adjusted(-2, -2, 1, 1))
