"""The tool column of the Sketch area (`sketchTools`): pen, eraser, colour brush, eyedropper, palette,
brush size, undo/redo, clear and zoom. The tools live in the canvas (`SketchCanvas`: tool, width,
colour, undo stack); this column sets them and follows the canvas's signals."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.sketch.canvas import SketchCanvas
from ganstudio.qt.sketch.output_view import OutputView

PALETTE = ("#1b1b1b", "#7f7f7f", "#f2f2f2", "#8c5a3c", "#e8b996", "#d62828", "#f77f00", "#fcbf49",
           "#2a9d3c", "#1d7874", "#277da1", "#3a0ca3", "#9d4edd", "#ff70a6")
DEFAULT_COLOR = PALETTE[5]


COLUMN_WIDTH = 124  # seven palette swatches of 16 px; the tool column must leave the canvas room at 1280 px
SWATCH = 16


def _tool_button(name: str, text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setObjectName(name)
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(True)  # checked = the active tool (theme.py highlights it)
    b.setToolButtonStyle(Qt.ToolButtonTextOnly)
    b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
    return b


def _button(name: str, text: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
    b.setMinimumWidth(0)
    return b


class ToolColumn(QWidget):
    """`note(text)`: a one-line note for the area's message strip (a colour picked from the output)."""

    note = Signal(str)

    def __init__(self, canvas: SketchCanvas, output: OutputView, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.output = output
        self.setObjectName("sketchTools")
        self.setFixedWidth(COLUMN_WIDTH)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(4)
        self.penTool = _tool_button("penTool", "✎ Pen", "Pen (P): draw lines. Lines are as wide as the training lines.")
        self.eraserTool = _tool_button("eraserTool", "⌫ Eraser", "Eraser (E): erase lines and colour hints.")
        self.colorTool = _tool_button("colorTool", "● Colour", "Colour brush (B): paint colour hints; the model takes "
                                      "these as hints of the colour there.")
        self.toolGroup = QButtonGroup(self)
        self.toolGroup.setExclusive(True)
        for b, tool in ((self.penTool, "pen"), (self.eraserTool, "eraser"), (self.colorTool, "hint")):
            self.toolGroup.addButton(b)
            b.clicked.connect(lambda _c=False, t=tool: self.set_tool(t))
            col.addWidget(b)
        self.penTool.setChecked(True)
        self.eyedropperTool = _tool_button("eyedropperTool", "Eyedropper", "Eyedropper (I): click the output "
                                           "picture to take its colour for the colour brush.")
        self.eyedropperTool.toggled.connect(self.output.set_pick_mode)
        col.addWidget(self.eyedropperTool)

        col.addSpacing(6)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.colorSwatch = QPushButton("")
        self.colorSwatch.setObjectName("colorSwatch")
        self.colorSwatch.setToolTip("The colour of the colour brush. Click for more colours.")
        self.colorSwatch.setFixedHeight(24)
        self.colorSwatch.clicked.connect(self.choose_color)
        row.addWidget(self.colorSwatch, 1)
        self.moreColorsButton = _button("moreColorsButton", "More…", "More colours: the colour dialog.")
        self.moreColorsButton.clicked.connect(self.choose_color)
        row.addWidget(self.moreColorsButton, 1)
        col.addLayout(row)
        grid = QGridLayout()
        grid.setSpacing(2)
        columns = (COLUMN_WIDTH + 2) // (SWATCH + 2)
        self.paletteButtons: list[QPushButton] = []
        for i, hex_ in enumerate(PALETTE):
            sw = QPushButton("")
            sw.setObjectName(f"paletteSwatch{i}")
            sw.setFixedSize(SWATCH, SWATCH)
            sw.setToolTip(f"Colour brush in {hex_}")
            sw.setStyleSheet(f"background: {hex_}; border: 1px solid #343842; padding: 0;")
            sw.clicked.connect(lambda _c=False, h=hex_: self.set_color(QColor(h), select_brush=True))
            grid.addWidget(sw, i // columns, i % columns)
            self.paletteButtons.append(sw)
        col.addLayout(grid)
        self.set_color(QColor(DEFAULT_COLOR))

        col.addSpacing(6)
        size_label = QLabel("Brush &size")
        col.addWidget(size_label)
        # The width the user sees: screen pixels at the current zoom (the circle under the cursor has this
        # diameter). The canvas keeps widths in model pixels; the label below says how many.
        self.sizeSpin = QDoubleSpinBox()
        self.sizeSpin.setObjectName("brushSizeSpin")
        self.sizeSpin.setDecimals(0)
        self.sizeSpin.setSuffix(" px")
        self.sizeSpin.setRange(1, 4096)
        self.sizeSpin.setKeyboardTracking(False)  # typing "12" must not apply "1" (clamped) on the way
        self.sizeSpin.setToolTip("Brush width on screen, in screen pixels at the current zoom: the circle under "
                                 "the cursor shows it. The model sees its own, larger pixels (the line below). "
                                 "Mouse wheel over the canvas, [ and ] change it. The defaults draw like the "
                                 "training data.")
        self.sizeSpin.valueChanged.connect(self._on_size_spin)
        size_label.setBuddy(self.sizeSpin)
        col.addWidget(self.sizeSpin)
        self.brushModelLabel = QLabel("")
        self.brushModelLabel.setObjectName("brushModelLabel")
        self.brushModelLabel.setProperty("muted", True)
        self.brushModelLabel.setToolTip("The brush width in the model's pixels (the picture the generator sees).")
        col.addWidget(self.brushModelLabel)

        col.addSpacing(6)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.undoButton = _button("undoButton", "↶ Undo", "Undo the last stroke (Ctrl+Z)")
        self.undoButton.clicked.connect(lambda: self.canvas.undo())
        self.redoButton = _button("redoButton", "↷ Redo", "Redo (Ctrl+Shift+Z or Ctrl+Y)")
        self.redoButton.clicked.connect(lambda: self.canvas.redo())
        row.addWidget(self.undoButton)
        row.addWidget(self.redoButton)
        col.addLayout(row)
        self.clearButton = _button("clearButton", "Clear", "Remove every stroke and the opened picture (undoable)")
        self.clearButton.clicked.connect(lambda: self.canvas.clear())
        self.zoomFitButton = _button("zoomFitButton", "Zoom to fit", "Show the whole canvas (Ctrl+wheel zooms, "
                                     "middle drag pans)")
        self.zoomFitButton.clicked.connect(lambda: self.canvas.zoom_to_fit())
        for b in (self.clearButton, self.zoomFitButton):
            col.addWidget(b)
        self.undoButton.setEnabled(False)
        self.redoButton.setEnabled(False)
        col.addStretch(1)

        canvas.toolChanged.connect(self._on_tool_changed)
        canvas.widthChanged.connect(self._on_width_changed)
        canvas.viewChanged.connect(lambda: self._show_width(self.canvas.width_of()))
        canvas.undo_stack.canUndoChanged.connect(self.undoButton.setEnabled)
        canvas.undo_stack.canRedoChanged.connect(self.redoButton.setEnabled)
        output.colorPicked.connect(self._on_color_picked)
        self._show_width(self.canvas.width_of())

    def install_shortcuts(self, host: QWidget) -> None:
        """The keys of the tools, active while the focus is anywhere in `host` (the area)."""
        self.undo_shortcuts: list[QShortcut] = []
        for keys, slot in ((QKeySequence.Undo, self.canvas.undo), (QKeySequence("Ctrl+Shift+Z"), self.canvas.redo),
                           (QKeySequence("Ctrl+Y"), self.canvas.redo), (QKeySequence("P"), lambda: self.set_tool("pen")),
                           (QKeySequence("E"), lambda: self.set_tool("eraser")), (QKeySequence("B"), lambda: self.set_tool("hint")),
                           (QKeySequence("I"), lambda: self.eyedropperTool.toggle()),
                           (QKeySequence("["), lambda: self.nudge_width(-1)), (QKeySequence("]"), lambda: self.nudge_width(1))):
            sc = QShortcut(keys, host)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
            if slot in (self.canvas.undo, self.canvas.redo):
                self.undo_shortcuts.append(sc)

    def release_undo_keys(self) -> None:
        """The window's Edit > Undo / Redo take Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y: two shortcuts for one key
        would be ambiguous in Qt and neither would fire."""
        for sc in self.undo_shortcuts:
            sc.setEnabled(False)

    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)

    def set_color(self, color: QColor, select_brush: bool = False) -> None:
        self.canvas.set_color(color)
        self.colorSwatch.setStyleSheet(f"background: {color.name()}; border: 1px solid #343842;")
        if select_brush:
            self.set_tool("hint")

    def choose_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.color, self, "Colour hint")
        if color.isValid():
            self.set_color(color, select_brush=True)

    def nudge_width(self, steps: int) -> None:
        w = self.canvas.width_of()
        self.canvas.set_width(w + (0.5 if w < 4 else 1.0) * steps)

    def screen_width(self, width: float | None = None) -> float:
        """A brush width in model pixels (default: the current tool's) as screen pixels now."""
        return (self.canvas.width_of() if width is None else width) * self.canvas.screen_scale()

    def _on_size_spin(self, screen_px: float) -> None:
        self.canvas.set_width(screen_px / self.canvas.screen_scale())
        self._show_width(self.canvas.width_of())  # the canvas may have clamped it

    def _show_width(self, width: float) -> None:
        scale = self.canvas.screen_scale()
        self.sizeSpin.blockSignals(True)
        self.sizeSpin.setSingleStep(max(1.0, round(scale / 2)))  # half a model pixel, as the wheel
        self.sizeSpin.setValue(max(1.0, round(width * scale)))
        self.sizeSpin.blockSignals(False)
        self.brushModelLabel.setText(f"= {width:.3g} of {self.canvas.size_px} model px")

    def _on_tool_changed(self, tool: str) -> None:
        {"pen": self.penTool, "eraser": self.eraserTool, "hint": self.colorTool}[tool].setChecked(True)
        self._show_width(self.canvas.width_of(tool))

    def _on_width_changed(self, tool: str, width: float) -> None:
        if tool == self.canvas.tool:
            self._show_width(width)

    def _on_color_picked(self, color: QColor) -> None:
        self.set_color(color, select_brush=True)
        self.eyedropperTool.setChecked(False)
        self.note.emit(f"Picked {color.name()} from the output.")
