"""Drawing on the Translate area's input picture: the input view that takes brush strokes, and the brush bar.

`DrawableInputView` is the input's `ScaledImageView`; a left-button drag on the picture paints a stroke into
a Qt-free `core.generators.picture_edits.PictureEdits` (the maths of the brush is there) and shows it as it
goes; `strokeFinished` says a stroke has changed the picture (the area translates it then). A circle under
the cursor shows the brush's size on screen. `BrushBar` holds the brush's colour (swatch, a few colours, the
colour dialog), its size in the picture's pixels, Undo stroke and Clear (back to the picture as opened).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QColorDialog, QHBoxLayout, QLabel, QPushButton, QSpinBox, QWidget

from ganstudio.core.generators.picture_edits import PictureEdits
from ganstudio.qt.widgets.scaled_view import ScaledImageView

BRUSH_COLOURS = ("#ffffff", "#000000", "#d94f3d", "#f2c14e", "#4f9d4a", "#3d7dd9")
DEFAULT_COLOUR = "#ffffff"
DEFAULT_DIAMETER = 4


class DrawableInputView(ScaledImageView):
    """The input picture; drag with the left button to draw on it (`strokeFinished()` after each stroke)."""

    strokeFinished = Signal()

    def __init__(self, edits: PictureEdits, placeholder: str = "", *, settings=None, area: str = "",
                 toggle: bool = False):
        super().__init__(placeholder, settings=settings, area=area, toggle=toggle)
        self.edits = edits
        self.colour = QColor(DEFAULT_COLOUR)
        self.diameter = float(DEFAULT_DIAMETER)
        self._hover: QPointF | None = None
        self.setMouseTracking(True)

    def set_brush(self, colour: QColor | None = None, diameter: float | None = None) -> None:
        if colour is not None:
            self.colour = QColor(colour)
        if diameter is not None:
            self.diameter = float(diameter)
        self.update()

    def show_edits(self) -> None:
        """Show the picture as drawn (a copy: the edits go on changing theirs)."""
        picture = self.edits.picture
        self.set_image(None if picture is None else picture.copy())
        if picture is None:
            self.unsetCursor()
        else:
            self.setCursor(Qt.CrossCursor)

    def picture_point(self, pos: QPointF) -> tuple[float, float] | None:
        """The point of the picture under the screen point `pos`, in the picture's pixels (floats)."""
        pic = self.image()
        target = self.target_rect()
        if pic is None or target.isEmpty():
            return None
        x = (pos.x() - target.x()) * pic.shape[1] / target.width()
        y = (pos.y() - target.y()) * pic.shape[0] / target.height()
        return x, y

    def _on_picture(self, pos: QPointF) -> bool:
        target = self.target_rect()
        return target.x() <= pos.x() < target.x() + target.width() and target.y() <= pos.y() < target.y() + target.height()

    # --- mouse ---------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        pos = event.position()
        if event.button() != Qt.LeftButton or self.edits.picture is None or not self._on_picture(pos):
            super().mousePressEvent(event)
            return
        x, y = self.picture_point(pos)
        self.edits.begin_stroke(x, y, self.colour.getRgb()[:3], self.diameter)
        self.show_edits()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        self._hover = pos if self._on_picture(pos) else None
        if self.edits.drawing:
            point = self.picture_point(pos)
            if point is not None:
                version = self.edits.version
                self.edits.extend_stroke(*point)
                if self.edits.version != version:
                    self.show_edits()
            event.accept()
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.edits.drawing:
            point = self.picture_point(event.position())
            if point is not None:
                self.edits.extend_stroke(*point)
            changed = self.edits.end_stroke()
            self.show_edits()
            event.accept()
            if changed:
                self.strokeFinished.emit()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    # --- painting ------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        pic = self.image()
        if self._hover is None or pic is None:
            return
        scale = self.target_rect().width() / pic.shape[1]
        radius = max(1.0, self.diameter * scale / 2)
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        for colour, width in ((QColor(0, 0, 0, 160), 3), (QColor(255, 255, 255, 220), 1)):
            p.setPen(QPen(colour, width))
            p.drawEllipse(self._hover, radius, radius)


def _small_button(name: str, text: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    return b


class BrushBar(QWidget):
    """The brush: colour swatches and More…, size in picture pixels, Undo stroke, Clear."""

    undoRequested = Signal()
    clearRequested = Signal()

    def __init__(self, view: DrawableInputView, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = view
        self.setObjectName("translateBrushBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        label = QLabel("Draw on the input:")
        label.setToolTip("Drag on the input picture to paint on it; the translation follows each stroke.")
        row.addWidget(label)
        self.colourSwatch = _small_button("translateBrushColour", "", "The brush colour. Click for the colour dialog.")
        self.colourSwatch.setFixedSize(40, 24)
        self.colourSwatch.clicked.connect(self.choose_colour)
        row.addWidget(self.colourSwatch)
        self.swatches: list[QPushButton] = []
        for i, hex_ in enumerate(BRUSH_COLOURS):
            sw = _small_button(f"translateBrushSwatch{i}", "", f"Brush colour {hex_}")
            sw.setFixedSize(20, 20)
            sw.setStyleSheet(f"background: {hex_}; border: 1px solid #343842; padding: 0;")
            sw.clicked.connect(lambda _c=False, h=hex_: self.set_colour(QColor(h)))
            row.addWidget(sw)
            self.swatches.append(sw)
        size_label = QLabel("&Size")
        row.addSpacing(8)
        row.addWidget(size_label)
        self.sizeSpin = QSpinBox()
        self.sizeSpin.setObjectName("translateBrushSize")
        self.sizeSpin.setRange(1, 128)
        self.sizeSpin.setSuffix(" px")
        self.sizeSpin.setKeyboardTracking(False)
        self.sizeSpin.setToolTip("The brush's diameter in the picture's own pixels (the circle under the cursor "
                                 "shows it on screen).")
        self.sizeSpin.setValue(int(view.diameter))
        self.sizeSpin.valueChanged.connect(lambda v: self.view.set_brush(diameter=v))
        size_label.setBuddy(self.sizeSpin)
        row.addWidget(self.sizeSpin)
        row.addSpacing(8)
        self.undoButton = _small_button("translateUndoStroke", "↶ Undo stroke",
                                        "Take the last stroke (or Clear) back (Ctrl+Z).")
        self.undoButton.clicked.connect(self.undoRequested)
        self.clearButton = _small_button("translateClearDrawing", "Clear drawing",
                                         "Back to the picture as opened (undoable).")
        self.clearButton.clicked.connect(self.clearRequested)
        row.addWidget(self.undoButton)
        row.addWidget(self.clearButton)
        row.addStretch(1)
        self.set_colour(view.colour)
        self.sync()

    @property
    def colour(self) -> QColor:
        return QColor(self.view.colour)

    def set_colour(self, colour: QColor) -> None:
        self.view.set_brush(colour=colour)
        self.colourSwatch.setStyleSheet(f"background: {colour.name()}; border: 1px solid #343842; padding: 0;")

    def choose_colour(self) -> None:
        colour = QColorDialog.getColor(self.view.colour, self, "Brush colour")
        if colour.isValid():
            self.set_colour(colour)

    def sync(self) -> None:
        edits = self.view.edits
        has_picture = edits.picture is not None
        for w in [self.colourSwatch, self.sizeSpin, *self.swatches]:
            w.setEnabled(has_picture)
        self.undoButton.setEnabled(edits.can_undo)
        self.clearButton.setEnabled(has_picture and edits.edited and not edits.drawing)

