"""A generated picture shown larger than the model made it: smooth by default, exact pixels on request.

`ScaledImageView` is a `PixelImageView` whose picture, when the view is larger than the model's size, is
resampled smoothly (Qt's SmoothTransformation: bilinear when enlarging) instead of drawn as
nearest-neighbour blocks; its "Exact pixels" check box (top right, remembered in the settings under
`view/exact_pixels/<area>`) brings back the blocks at a crisp whole-number zoom. The picture on screen is
one array, `displayed_picture()`, so "export as shown" writes exactly what the user sees, and
`pixel_at(pos)` maps a screen point back to the model pixel under it in either mode.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QCheckBox, QWidget

from ganstudio.qt import theme
from ganstudio.qt.widgets.image_views import EMPTY_TEXT, FRAME, PixelImageView, fit_rect, to_qimage

MARGIN = 8  # free border around the picture, as PixelImageView


def fill_rect(area: QRect, w: int, h: int) -> QRect:
    """The largest rectangle with aspect w:h centred in `area` (any zoom: smooth pictures need no whole factor)."""
    if w <= 0 or h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRect()
    scale = min(area.width() / w, area.height() / h)
    tw, th = max(1, int(w * scale)), max(1, int(h * scale))
    return QRect(area.x() + (area.width() - tw) // 2, area.y() + (area.height() - th) // 2, tw, th)


def nearest_picture(picture: np.ndarray, width: int, height: int) -> np.ndarray:
    """`picture` (H, W, 3) uint8 at (height, width) by nearest neighbour: screen pixel x shows model pixel
    x * W // width (the mapping `ScaledImageView.pixel_at` uses)."""
    h, w = picture.shape[:2]
    rows = np.minimum(np.arange(height) * h // max(1, height), h - 1)
    cols = np.minimum(np.arange(width) * w // max(1, width), w - 1)
    return np.ascontiguousarray(np.take(np.take(picture, rows, axis=0), cols, axis=1))  # take: ~30x faster than [rows][:, cols]


def smooth_picture(picture: np.ndarray, width: int, height: int) -> np.ndarray:
    """`picture` (H, W, 3) uint8 resampled to (height, width) with Qt's SmoothTransformation."""
    if picture.shape[1] == width and picture.shape[0] == height:
        return np.ascontiguousarray(picture, dtype=np.uint8)
    qimage, _keep = to_qimage(picture)
    scaled = qimage.scaled(width, height, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
    scaled = scaled.convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(scaled.constBits(), np.uint8).reshape(height, scaled.bytesPerLine())
    return rows[:, : 3 * width].reshape(height, width, 3).copy()  # a copy: `scaled` owns those bytes


def scaled_picture(picture: np.ndarray, width: int, height: int, exact: bool) -> np.ndarray:
    """The one way a picture is enlarged for the screen and for "export as shown"."""
    return nearest_picture(picture, width, height) if exact else smooth_picture(picture, width, height)


class ScaledImageView(PixelImageView):
    """One picture as large as fits: smooth, or exact pixels (the check box; `exactPixelsChanged(bool)`).

    `settings` (an AppSettings, optional) keeps the choice under `area`'s name between sessions;
    `toggle=False` hides the check box (a view that follows another's `exactPixelsChanged`)."""

    exactPixelsChanged = Signal(bool)

    def __init__(self, placeholder: str = "", parent: QWidget | None = None, *, settings=None, area: str = "",
                 toggle: bool = True):
        super().__init__(placeholder, parent)
        self._toggle = toggle
        self._settings = settings if settings is not None and hasattr(settings, "exact_pixels") else None
        self._area = area
        self._shown: tuple[tuple, np.ndarray, QImage] | None = None  # (key, array, QImage viewing it)
        self.exactPixelsCheck = QCheckBox(self)
        self.exactPixelsCheck.setObjectName(f"{area}ExactPixels" if area else "exactPixels")
        self.exactPixelsCheck.setText("Exact pixels")
        self.exactPixelsCheck.setCheckable(True)
        self.exactPixelsCheck.setToolTip("On: each model pixel as a sharp block (whole-number zoom). Off: the "
                                          "picture enlarged smoothly. The eyedropper reads the model's pixel either way.")
        self.exactPixelsCheck.setChecked(bool(self._settings.exact_pixels(area)) if self._settings else False)
        self.exactPixelsCheck.toggled.connect(self._on_exact_toggled)
        self.exactPixelsCheck.hide()

    # --- the mode ------------------------------------------------------------------------------------
    @property
    def exact_pixels(self) -> bool:
        return self.exactPixelsCheck.isChecked()

    def set_exact_pixels(self, on: bool) -> None:
        self.exactPixelsCheck.setChecked(bool(on))

    def _on_exact_toggled(self, on: bool) -> None:
        if self._settings is not None:
            self._settings.set_exact_pixels(self._area, on)
        self.update()
        self.exactPixelsChanged.emit(on)

    # --- geometry and pixels -------------------------------------------------------------------------
    def set_image(self, picture: np.ndarray | None) -> None:
        self._shown = None
        super().set_image(picture)
        self.exactPixelsCheck.setVisible(self._toggle and picture is not None)
        self._place_button()

    def target_rect(self) -> QRect:
        """Where the picture is drawn: crisp whole-number zoom for exact pixels, all the room when smooth."""
        pic = self.image()
        if pic is None:
            return QRect()
        # the check box sits above the picture (the same room in a view without one: side by side they match)
        top = MARGIN + self.exactPixelsCheck.sizeHint().height() + 2
        area = self.rect().adjusted(MARGIN, top, -MARGIN, -MARGIN)
        h, w = pic.shape[:2]
        if self.exact_pixels:
            return fit_rect(area, w, h)
        target = fill_rect(area, w, h)
        if target.width() < w:  # smaller than the model made it: the same as exact (no enlargement)
            return fit_rect(area, w, h)
        return target

    def displayed_picture(self) -> np.ndarray | None:
        """The picture exactly as shown (H, W, 3) uint8 at the view's size, or None."""
        shown = self._displayed()
        return None if shown is None else shown[1]

    def _displayed(self):
        pic = self.image()
        target = self.target_rect()
        if pic is None or target.isEmpty():
            return None
        key = (target.width(), target.height(), self.exact_pixels)
        if self._shown is None or self._shown[0] != key:
            array = scaled_picture(pic, target.width(), target.height(), self.exact_pixels)
            qimage, array = to_qimage(array)
            self._shown = (key, array, qimage)
        return self._shown

    def pixel_at(self, pos: QPoint) -> tuple[int, int] | None:
        """The model pixel (x, y) under the screen point `pos`, or None outside the picture."""
        pic = self.image()
        target = self.target_rect()
        if pic is None or not target.contains(pos):
            return None
        x = (pos.x() - target.x()) * pic.shape[1] // max(1, target.width())
        y = (pos.y() - target.y()) * pic.shape[0] // max(1, target.height())
        return int(min(x, pic.shape[1] - 1)), int(min(y, pic.shape[0] - 1))

    # --- painting ------------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_button()

    def _place_button(self) -> None:
        b = self.exactPixelsCheck
        b.adjustSize()
        b.move(max(0, self.width() - b.width() - 4), 4)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        shown = self._displayed()
        if shown is None:
            p.setPen(EMPTY_TEXT)
            p.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignCenter | Qt.TextWordWrap, self.placeholder)
            return
        target = self.target_rect()
        p.drawImage(target.topLeft(), shown[2])  # already at the target size: drawn 1:1
        p.setPen(QPen(FRAME, 1))
        p.drawRect(target.adjusted(-1, -1, 0, 0))
