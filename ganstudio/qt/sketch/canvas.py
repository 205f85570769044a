"""SketchCanvas: the drawing surface of the Sketch area (pen, eraser, colour hints, undo, zoom).

The canvas edits a `SketchDocument` (ganstudio.core.sketch.document): vector strokes over an optional base
taken from a picture. It keeps two sets of raster layers, painted stamp by stamp as points arrive:

- model layers at the generator's resolution: exactly what `sketch.strokes_to_sketch_input` encodes for
  the generator, with lines `default_line_width` and hints `default_hint_size` wide by default, like
  the auto-paired training inputs;
- display layers at an integer multiple of it (about 512 pixels a side), drawn on screen with
  nearest-neighbour zoom so what is shown is what was rasterized.

Every stroke, clear and document change is a QUndoCommand holding the exact pixels it replaced, so undo
and redo restore the layers bit for bit, and the document's stroke list follows. Mouse, tablet (pressure
scales the width; the pen's eraser end erases) and the wheel (brush size; Ctrl+wheel zooms, middle drag
pans) drive it. Files dropped on it are announced with `fileDropped`; the Sketch area opens them.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QSizePolicy, QWidget

from ganstudio.core.sketch.document import (
    SketchDocument,
    SketchLayers,
    Stroke,
    stamp,
    union_box,
)
from ganstudio.core.sketch.sizes import DISPLAY_SIDE, display_scale  # the drawing budget counts at this scale
from ganstudio.qt import theme

log = logging.getLogger(__name__)

TOOLS = ("pen", "eraser", "hint")
DROP_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".json",
                 ".safetensors", ".pth", ".pt"}
_MIN_STEP = 0.05  # model pixels: closer points add nothing to a stroke




def default_widths(size: int) -> dict[str, float]:
    """Brush widths in model pixels that draw like the training data: lines default_line_width, hints
    default_hint_size; the eraser a little wider than a hint."""
    from ganstudio.core.sketch.sizes import default_hint_size, default_line_width  # no torch: start-up stays fast

    hint = float(default_hint_size(size))
    return {"pen": float(default_line_width(size)), "hint": hint, "eraser": max(2.0, hint + 1)}


class _Snapshot:
    """Everything a document change replaces: strokes, base and both layer sets (full copies)."""

    def __init__(self, doc: SketchDocument, display: SketchLayers, model: SketchLayers):
        self.strokes = list(doc.strokes)
        self.base = doc.base
        self.display = display.copy()
        self.model = model.copy()


class _StrokeCommand(QUndoCommand):
    def __init__(self, canvas: "SketchCanvas", stroke: Stroke, boxes, before, after):
        super().__init__(f"{stroke.tool} stroke")
        self.canvas, self.stroke = canvas, stroke
        self.boxes, self.before, self.after = boxes, before, after  # per layer set: "display", "model"
        self._painted = True  # the first redo() comes from push(): the stroke is on the canvas already

    def redo(self) -> None:
        self.canvas.document.strokes.append(self.stroke)
        if self._painted:
            self._painted = False
            return
        self.canvas._paste(self.boxes, self.after)

    def undo(self) -> None:
        strokes = self.canvas.document.strokes
        assert strokes and strokes[-1] is self.stroke
        strokes.pop()
        self.canvas._paste(self.boxes, self.before)


class _ReplaceCommand(QUndoCommand):
    """Clear, or put a whole other document (an opened picture) on the canvas."""

    def __init__(self, canvas: "SketchCanvas", text: str, before: _Snapshot, after: _Snapshot):
        super().__init__(text)
        self.canvas, self.before, self.after = canvas, before, after

    def redo(self) -> None:
        self.canvas._restore(self.after)

    def undo(self) -> None:
        self.canvas._restore(self.before)


class SketchCanvas(QWidget):
    """The drawing surface. Signals:

    strokeChanged()       a stroke grew (while the pen is down)
    strokeFinished()      the pen was lifted (the stroke is on the undo stack)
    documentChanged()     strokes or base changed (stroke, undo, redo, clear, new document)
    widthChanged(str, float)  a tool's width (model pixels) changed, e.g. by the wheel
    toolChanged(str)
    fileDropped(str)      a file was dropped on the canvas
    viewChanged()         the canvas is drawn at another size on screen (resize, zoom, model size)
    """

    viewChanged = Signal()
    strokeChanged = Signal()
    strokeFinished = Signal()
    documentChanged = Signal()
    widthChanged = Signal(str, float)
    toolChanged = Signal(str)
    fileDropped = Signal(str)

    def __init__(self, size: int = 64, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sketchCanvas")
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(160, 160)
        self.setToolTip("Draw lines with the pen, colour hints with the brush. Wheel: brush size; "
                        "Ctrl+wheel: zoom; middle drag: pan. Drop a picture or a sketch file here to open it.")
        self.undo_stack = QUndoStack(self)
        self.undo_stack.indexChanged.connect(self._on_undo_index_changed)
        self._tool = "pen"
        self._color = QColor(220, 60, 50)
        self._zoom = 1.0  # relative to "fit"
        self._pan = QPointF(0, 0)
        self._hover: QPointF | None = None
        self._stroke: Stroke | None = None
        self._stroke_start: tuple[SketchLayers, SketchLayers] | None = None
        self._stroke_boxes: dict[str, tuple | None] = {}
        self._panning: QPointF | None = None
        self._tablet_down = False
        self._pressure = 1.0
        self.strokes_drawn = 0
        self._reset(SketchDocument(size=(size, size)))

    # --- document -------------------------------------------------------------------------------------
    def _reset(self, doc: SketchDocument) -> None:
        self.document = doc
        self.size_px = doc.size[0]
        self.scale = display_scale(max(doc.size))
        self._widths: dict[str, float] | None = None  # defaults for this size, computed when first needed
        self.display = doc.render(self.scale)
        self.model = doc.render(1)
        self._rgb = self.display.to_rgb()
        self._refresh(None)
        self._qimage = QImage(self._rgb.data, self._rgb.shape[1], self._rgb.shape[0], 3 * self._rgb.shape[1],
                              QImage.Format_RGB888)
        self.undo_stack.clear()
        self.update()
        self.viewChanged.emit()
        if self.isVisible():
            self.widthChanged.emit(self._tool, self.widths[self._tool])  # widths follow the model size

    @property
    def widths(self) -> dict[str, float]:
        """Brush width per tool in model pixels (computed on first use: the defaults come from
        ganstudio.core.sketch.encoding, which imports PyTorch, so a canvas can be built before it has loaded)."""
        if self._widths is None:
            self._widths = default_widths(self.size_px)
        return self._widths

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.widthChanged.emit(self._tool, self.widths[self._tool])

    def _on_undo_index_changed(self, _index: int) -> None:
        self.documentChanged.emit()

    def new_document(self, size: int | None = None) -> None:
        """A blank canvas (not undoable: the undo history starts again)."""
        self.cancel_stroke()
        self._reset(SketchDocument(size=(size or self.size_px,) * 2, model_id=self.document.model_id,
                                   seed=self.document.seed, mode=self.document.mode))
        self.documentChanged.emit()

    def set_document(self, doc: SketchDocument, undoable: bool = False, text: str = "open") -> None:
        """Show a document. undoable=True (same size only) puts the change on the undo stack."""
        self.cancel_stroke()
        if undoable and doc.size == self.document.size:
            before = _Snapshot(self.document, self.display, self.model)
            after = _Snapshot(doc, doc.render(self.scale), doc.render(1))
            self.undo_stack.push(_ReplaceCommand(self, text, before, after))
            return
        self._reset(doc)
        self.documentChanged.emit()

    def document_copy(self) -> SketchDocument:
        """The document as it is now (strokes list copied; layers are shared, never mutated in place)."""
        d = self.document
        return SketchDocument(size=d.size, strokes=list(d.strokes), base=d.base, model_id=d.model_id,
                              seed=d.seed, mode=d.mode, extra=dict(d.extra))

    def resize_document(self, size: int) -> None:
        """Carry the drawing over to another model size: strokes scaled, pen widths set so lines stay
        as wide as training lines at the new size; the base is enlarged or reduced (nearest)."""
        old = self.document
        if old.size == (size, size):
            return
        from ganstudio.core.sketch.sizes import default_line_width

        factor = size / old.size[0]
        line_ratio = default_line_width(size) / default_line_width(old.size[0])
        strokes = [
            Stroke(s.tool, s.width * (line_ratio if s.tool == "pen" else factor),
                   [(x * factor, y * factor, p) for x, y, p in s.points], s.color)
            for s in old.strokes
        ]
        base = None
        if old.base is not None:
            idx = np.minimum((np.arange(size) / factor).astype(int), old.size[0] - 1)
            b = old.base
            base = SketchLayers(b.lines[idx][:, idx].copy(), b.hint_rgb[idx][:, idx].copy(), b.hint_mask[idx][:, idx].copy())
        self.cancel_stroke()
        self._reset(SketchDocument(size=(size, size), strokes=strokes, base=base, model_id=old.model_id,
                                   seed=old.seed, mode=old.mode, extra=old.extra))
        self.documentChanged.emit()

    def clear(self) -> None:
        """Remove every stroke and the base (undoable)."""
        if not self.document.strokes and self.document.base is None:
            return
        blank = SketchDocument(size=self.document.size)
        self.set_document(blank, undoable=True, text="clear")

    def undo(self) -> None:
        if self._stroke is None:
            self.undo_stack.undo()

    def redo(self) -> None:
        if self._stroke is None:
            self.undo_stack.redo()

    def model_layers(self) -> SketchLayers:
        """Copies of the layers at model resolution (safe to hand to another thread)."""
        return self.model.copy()

    def display_pixels(self) -> np.ndarray:
        """What the canvas shows, uint8 (H * scale, W * scale, 3), a copy (hint regions outlined)."""
        return self._rgb.copy()

    def is_empty(self) -> bool:
        return not self.document.strokes and self.document.base is None

    # --- tools ----------------------------------------------------------------------------------------
    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}")
        if tool != self._tool:
            self._tool = tool
            self.toolChanged.emit(tool)
            self.update()

    @property
    def color(self) -> QColor:
        return QColor(self._color)

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.update()

    def width_of(self, tool: str | None = None) -> float:
        return self.widths[tool or self._tool]

    def set_width(self, width: float, tool: str | None = None) -> None:
        tool = tool or self._tool
        width = float(min(max(width, 0.5), max(1.0, self.size_px / 2)))
        if width != self.widths[tool]:
            self.widths[tool] = width
            self.widthChanged.emit(tool, width)
            self.update()

    # --- geometry -------------------------------------------------------------------------------------
    def view_rect(self) -> QRectF:
        """Where the canvas layers are drawn, in widget coordinates."""
        h, w = self._rgb.shape[:2]
        area = self.rect().adjusted(6, 6, -6, -6)
        if area.width() <= 0 or area.height() <= 0:
            return QRectF()
        fit = min(area.width() / w, area.height() / h)
        if fit >= 1:
            fit = math.floor(fit)
        z = fit * self._zoom
        tw, th = w * z, h * z
        cx = area.x() + area.width() / 2 + self._pan.x()
        cy = area.y() + area.height() / 2 + self._pan.y()
        return QRectF(cx - tw / 2, cy - th / 2, tw, th)

    def to_model(self, pos: QPointF) -> tuple[float, float]:
        r = self.view_rect()
        n = self.size_px
        return ((pos.x() - r.x()) / r.width() * n, (pos.y() - r.y()) / r.height() * n)

    def from_model(self, x: float, y: float) -> QPointF:
        r = self.view_rect()
        n = self.size_px
        return QPointF(r.x() + x / n * r.width(), r.y() + y / n * r.height())

    def _widget_rect(self, box: tuple[int, int, int, int]) -> QRect:
        y0, y1, x0, x1 = box
        s = self.scale
        a, b = self.from_model(x0 / s, y0 / s), self.from_model(x1 / s, y1 / s)
        return QRectF(a, b).toAlignedRect().adjusted(-2, -2, 2, 2)

    def screen_scale(self) -> float:
        """Screen pixels per model pixel as the canvas is drawn now (before it is first laid out: its
        display enlargement). A brush `w` model pixels wide covers w * screen_scale() screen pixels."""
        r = self.view_rect()
        return r.width() / self.size_px if r.width() > 0 else float(self.scale)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.viewChanged.emit()

    def zoom_to_fit(self) -> None:
        self._zoom, self._pan = 1.0, QPointF(0, 0)
        self.update()
        self.viewChanged.emit()

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        zoom = float(min(max(zoom, 0.25), 16.0))
        if anchor is not None:
            before = self.to_model(anchor)
            self._zoom = zoom
            after = self.from_model(*before)
            self._pan += anchor - after
        else:
            self._zoom = zoom
        self.update()
        self.viewChanged.emit()

    def sizeHint(self) -> QSize:
        return QSize(DISPLAY_SIDE + 12, DISPLAY_SIDE + 12)

    # --- strokes ----------------------------------------------------------------------------------------
    def begin_stroke(self, x: float, y: float, pressure: float = 1.0) -> None:
        """Start a stroke of the current tool at model coordinates (x, y)."""
        if self._stroke is not None:
            self.end_stroke()
        color = None
        if self._tool == "hint":
            c = self._color
            color = (c.red(), c.green(), c.blue())
        self._stroke = Stroke(self._tool, self.widths[self._tool], [], color)
        self._stroke_start = (self.display.copy(), self.model.copy())
        self._stroke_boxes = {"display": None, "model": None}
        self._add_point(x, y, pressure)

    def extend_stroke(self, x: float, y: float, pressure: float = 1.0) -> None:
        if self._stroke is None:
            return
        lx, ly, _ = self._stroke.points[-1]
        if math.hypot(x - lx, y - ly) < _MIN_STEP:
            return
        self._add_point(x, y, pressure)

    def _add_point(self, x: float, y: float, pressure: float) -> None:
        stroke = self._stroke
        stroke.points.append((float(x), float(y), float(pressure)))
        i = len(stroke.points) - 1
        box = stamp(self.display, stroke, i, self.scale)
        mbox = stamp(self.model, stroke, i, 1)
        self._stroke_boxes["display"] = union_box(self._stroke_boxes["display"], box)
        self._stroke_boxes["model"] = union_box(self._stroke_boxes["model"], mbox)
        if box is not None:
            self._refresh(box)
        self.strokeChanged.emit()

    def end_stroke(self) -> None:
        """Lift the pen: the stroke goes on the undo stack (nothing happens for a stroke that changed
        no pixel, e.g. one entirely outside the canvas)."""
        stroke, start = self._stroke, self._stroke_start
        self._stroke, self._stroke_start = None, None
        if stroke is None:
            return
        boxes = dict(self._stroke_boxes)
        if boxes["display"] is None and boxes["model"] is None:
            self.strokeFinished.emit()
            return
        before, after = {}, {}
        for name, start_layers, now in (("display", start[0], self.display), ("model", start[1], self.model)):
            if boxes[name] is not None:
                before[name] = start_layers.crop(boxes[name])
                after[name] = now.crop(boxes[name])
        self.undo_stack.push(_StrokeCommand(self, stroke, boxes, before, after))
        self.strokes_drawn += 1
        self.strokeFinished.emit()

    def cancel_stroke(self) -> None:
        """Drop a stroke in progress, restoring the pixels it painted."""
        if self._stroke is None:
            return
        start = self._stroke_start
        self._stroke, self._stroke_start = None, None
        self.display.assign(start[0])
        self.model.assign(start[1])
        self._refresh(None)

    @property
    def drawing(self) -> bool:
        return self._stroke is not None

    def draw_stroke(self, tool: str, points: list[tuple[float, float]], width: float | None = None,
                    color: QColor | None = None) -> None:
        """Draw a whole stroke programmatically (model coordinates), as the mouse would."""
        old_tool, old_color = self._tool, self._color
        self.set_tool(tool)
        if width is not None:
            self.set_width(width, tool)
        if color is not None:
            self._color = QColor(color)
        self.begin_stroke(*points[0])
        for x, y in points[1:]:
            self.extend_stroke(x, y)
        self.end_stroke()
        self.set_tool(old_tool)
        self._color = old_color

    # --- pixels ------------------------------------------------------------------------------------------
    def _paste(self, boxes, patches) -> None:
        if "display" in patches:
            self.display.paste(boxes["display"], patches["display"])
            self._refresh(boxes["display"])
        if "model" in patches:
            self.model.paste(boxes["model"], patches["model"])

    def _restore(self, snap: _Snapshot) -> None:
        self.document.strokes = list(snap.strokes)
        self.document.base = snap.base
        self.display.assign(snap.display)
        self.model.assign(snap.model)
        self._refresh(None)

    def _refresh(self, box: tuple[int, int, int, int] | None) -> None:
        full = box is None
        h, w = self._rgb.shape[:2]
        if full:
            box = (0, h, 0, w)
        else:  # a changed hint pixel can change whether its neighbours are on an outline
            box = (max(0, box[0] - 1), min(h, box[1] + 1), max(0, box[2] - 1), min(w, box[3] + 1))
        y0, y1, x0, x1 = box
        self._rgb[y0:y1, x0:x1] = self._compose(box)
        self.update() if full else self.update(self._widget_rect(box))

    def _compose(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """The screen pixels of a box: the layers' picture (black lines over hint colours on white), with
        each hint region outlined in a darker shade of its colour so that white or pale hints show."""
        rgb = self.display.to_rgb(box)
        y0, y1, x0, x1 = box
        h, w = self.display.shape
        ty, tx = min(1, y0), min(1, x0)  # one pixel of context around the box
        m = self.display.hint_mask[y0 - ty:min(h, y1 + 1), x0 - tx:min(w, x1 + 1)].astype(bool)
        if not m.any():
            return rgb
        p = np.pad(m, 1, mode="edge")  # the canvas edge is no hint boundary
        inner = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
        edge = (m & ~inner)[ty:ty + (y1 - y0), tx:tx + (x1 - x0)]
        edge &= ~self.display.lines[y0:y1, x0:x1].astype(bool)
        rgb[edge] = (rgb[edge] * 0.7).astype(np.uint8)
        return rgb

    # --- painting ----------------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BASE))
        r = self.view_rect()
        if r.isEmpty():
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, False)
        p.drawImage(r, self._qimage)
        p.setPen(QPen(QColor("#343842"), 1))
        p.drawRect(r.adjusted(-1, -1, 0, 0))
        if self._hover is not None and self._panning is None:
            radius = self.widths[self._tool] / 2 / self.size_px * r.width()
            p.setRenderHint(QPainter.Antialiasing, True)
            if self._tool == "hint":
                fill = QColor(self._color)
                fill.setAlpha(110)
                p.setBrush(fill)
            else:
                p.setBrush(Qt.NoBrush)
            # The brush's true size on screen, in its tool's colour, with a faint dark ring just outside
            # so that it shows on white paper and on black lines alike.
            ring = max(radius, 1.5)
            p.setPen(QPen(QColor(theme.ACCENT) if self._tool != "eraser" else QColor("#ff8c42"), 1.5))
            p.drawEllipse(self._hover, ring, ring)
            p.setBrush(Qt.NoBrush)
            p.setPen(QPen(QColor(0, 0, 0, 90), 1))
            p.drawEllipse(self._hover, ring + 1.5, ring + 1.5)

    def _cursor_rect(self, pos: QPointF | None) -> QRect:
        if pos is None:
            return QRect()
        r = self.view_rect()
        radius = self.widths[self._tool] / 2 / self.size_px * max(r.width(), 1) + 5
        return QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius).toAlignedRect()

    def _set_hover(self, pos: QPointF | None) -> None:
        old = self._cursor_rect(self._hover)
        self._hover = pos
        self.update(old.united(self._cursor_rect(pos)))

    # --- mouse, tablet, wheel ----------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        pos = event.position()
        if event.button() == Qt.MiddleButton:
            self._panning = pos
            return
        if event.button() == Qt.LeftButton and not self._tablet_down:
            self.begin_stroke(*self.to_model(pos), 1.0)
        self._set_hover(pos)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._panning is not None:
            self._pan += pos - self._panning
            self._panning = pos
            self.update()
            return
        if self._stroke is not None and (event.buttons() & Qt.LeftButton) and not self._tablet_down:
            self.extend_stroke(*self.to_model(pos), 1.0)
        self._set_hover(pos)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton:
            self._panning = None
            return
        if event.button() == Qt.LeftButton and not self._tablet_down:
            if self._stroke is not None:
                self.extend_stroke(*self.to_model(event.position()), 1.0)
            self.end_stroke()

    def leaveEvent(self, _event) -> None:
        self._set_hover(None)

    def tabletEvent(self, event) -> None:
        """Pen tablets: pressure scales the stroke width; the pen's eraser end erases."""
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QPointingDevice

        pos = event.position()
        pressure = float(event.pressure()) if event.pressure() > 0 else 0.0
        kind = event.type()
        if kind == QEvent.TabletPress:
            self._tablet_down = True
            self._tool_before_eraser = None
            if event.pointerType() == QPointingDevice.PointerType.Eraser and self._tool != "eraser":
                self._tool_before_eraser = self._tool
                self._tool = "eraser"
            self.begin_stroke(*self.to_model(pos), pressure)
        elif kind == QEvent.TabletMove:
            if self._stroke is not None:
                self.extend_stroke(*self.to_model(pos), pressure)
            self._set_hover(pos)
        elif kind == QEvent.TabletRelease:
            self.end_stroke()
            self._tablet_down = False
            if getattr(self, "_tool_before_eraser", None):
                self._tool = self._tool_before_eraser
                self._tool_before_eraser = None
        event.accept()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps == 0:
            return
        if event.modifiers() & Qt.ControlModifier:
            self.set_zoom(self._zoom * (1.25 ** steps), event.position())
        else:
            width = self.widths[self._tool]
            step = 0.5 if width < 4 else 1.0
            self.set_width(width + step * steps)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self._stroke is not None:
            self.cancel_stroke()
            return
        super().keyPressEvent(event)

    # --- drag and drop -----------------------------------------------------------------------------------
    @staticmethod
    def _dropped_file(event) -> str | None:
        mime = event.mimeData()
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in DROP_SUFFIXES:
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event)
        if path:
            event.acceptProposedAction()
            self.fileDropped.emit(path)
