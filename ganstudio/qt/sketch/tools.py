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
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.sketch.canvas import SketchCanvas
from ganstudio.qt.sketch.output_view import OutputView

PALETTE = ("#1b1b1b", "#7f7f7f", "#f2f2f2", "#8c5a3c", "#e8b996", "#d62828", "#f77f00", "#fcbf49",
           "#2a9d3c", "#1d7874", "#277da1", "#3a0ca3", "#9d4edd", "#ff70a6")
DEFAULT_COLOR = PALETTE[5]


def _tool_button(name: str, text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setObjectName(name)
    b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(True)
    b.setToolButtonStyle(Qt.ToolButtonTextOnly)
    b.setMinimumWidth(96)
    return b


class ToolColumn(QWidget):
    """`note(text)`: a one-line note for the area's message strip (a colour picked from the output)."""

    note = Signal(str)

    def __init__(self, canvas: SketchCanvas, output: OutputView, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.output = output
        self.setObjectName("sketchTools")
        self.setFixedWidth(112)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(4)
        self.penTool = _tool_button("penTool", "✎ Pen", "Draw lines (P). Lines are as wide as the training lines.")
        self.eraserTool = _tool_button("eraserTool", "⌫ Eraser", "Erase lines and colour hints (E).")
        self.colorTool = _tool_button("colorTool", "● Colour", "Paint colour hints (B): the model takes these "
                                      "as hints of the colour there.")
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
        self.colorSwatch = QPushButton("")
        self.colorSwatch.setObjectName("colorSwatch")
        self.colorSwatch.setToolTip("The colour of the colour brush. Click for more colours.")
        self.colorSwatch.setFixedHeight(22)
        self.colorSwatch.clicked.connect(self.choose_color)
        col.addWidget(self.colorSwatch)
        grid = QGridLayout()
        grid.setSpacing(2)
        self.paletteButtons: list[QPushButton] = []
        for i, hex_ in enumerate(PALETTE):
            sw = QPushButton("")
            sw.setObjectName(f"paletteSwatch{i}")
            sw.setFixedSize(24, 18)
            sw.setToolTip(hex_)
            sw.setStyleSheet(f"background: {hex_}; border: 1px solid #343842;")
            sw.clicked.connect(lambda _c=False, h=hex_: self.set_color(QColor(h), select_brush=True))
            grid.addWidget(sw, i // 4, i % 4)
            self.paletteButtons.append(sw)
        col.addLayout(grid)
        self.moreColorsButton = QPushButton("More colours…")
        self.moreColorsButton.setObjectName("moreColorsButton")
        self.moreColorsButton.clicked.connect(self.choose_color)
        col.addWidget(self.moreColorsButton)
        self.set_color(QColor(DEFAULT_COLOR))

        col.addSpacing(6)
        col.addWidget(QLabel("Size (px)"))
        self.sizeSpin = QDoubleSpinBox()
        self.sizeSpin.setObjectName("brushSizeSpin")
        self.sizeSpin.setDecimals(1)
        self.sizeSpin.setSingleStep(0.5)
        self.sizeSpin.setRange(0.5, 128)
        self.sizeSpin.setToolTip("Brush width in model pixels (mouse wheel over the canvas, [ and ]). The "
                                 "defaults draw like the training data.")
        self.sizeSpin.valueChanged.connect(lambda v: self.canvas.set_width(v))  # its value: _on_width_changed
        col.addWidget(self.sizeSpin)

        col.addSpacing(6)
        self.undoButton = QPushButton("↶ Undo")
        self.undoButton.setObjectName("undoButton")
        self.undoButton.setToolTip("Undo the last stroke (Ctrl+Z)")
        self.undoButton.clicked.connect(lambda: self.canvas.undo())
        self.redoButton = QPushButton("↷ Redo")
        self.redoButton.setObjectName("redoButton")
        self.redoButton.setToolTip("Redo (Ctrl+Shift+Z)")
        self.redoButton.clicked.connect(lambda: self.canvas.redo())
        self.clearButton = QPushButton("Clear")
        self.clearButton.setObjectName("clearButton")
        self.clearButton.setToolTip("Remove every stroke and the opened picture (undoable)")
        self.clearButton.clicked.connect(lambda: self.canvas.clear())
        self.zoomFitButton = QPushButton("Zoom to fit")
        self.zoomFitButton.setObjectName("zoomFitButton")
        self.zoomFitButton.setToolTip("Show the whole canvas (Ctrl+wheel zooms, middle drag pans)")
        self.zoomFitButton.clicked.connect(lambda: self.canvas.zoom_to_fit())
        for b in (self.undoButton, self.redoButton, self.clearButton, self.zoomFitButton):
            col.addWidget(b)
        self.undoButton.setEnabled(False)
        self.redoButton.setEnabled(False)
        col.addStretch(1)

        canvas.toolChanged.connect(self._on_tool_changed)
        canvas.widthChanged.connect(self._on_width_changed)
        canvas.undo_stack.canUndoChanged.connect(self.undoButton.setEnabled)
        canvas.undo_stack.canRedoChanged.connect(self.redoButton.setEnabled)
        output.colorPicked.connect(self._on_color_picked)

    def install_shortcuts(self, host: QWidget) -> None:
        """The keys of the tools, active while the focus is anywhere in `host` (the area)."""
        for keys, slot in ((QKeySequence.Undo, self.canvas.undo), (QKeySequence("Ctrl+Shift+Z"), self.canvas.redo),
                           (QKeySequence("Ctrl+Y"), self.canvas.redo), (QKeySequence("P"), lambda: self.set_tool("pen")),
                           (QKeySequence("E"), lambda: self.set_tool("eraser")), (QKeySequence("B"), lambda: self.set_tool("hint")),
                           (QKeySequence("I"), lambda: self.eyedropperTool.toggle()),
                           (QKeySequence("["), lambda: self.nudge_width(-1)), (QKeySequence("]"), lambda: self.nudge_width(1))):
            sc = QShortcut(keys, host)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)

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

    def _show_width(self, width: float) -> None:
        self.sizeSpin.blockSignals(True)
        self.sizeSpin.setValue(width)
        self.sizeSpin.blockSignals(False)

    def _on_tool_changed(self, tool: str) -> None:
        {"pen": self.penTool, "eraser": self.eraserTool, "hint": self.colorTool}[tool].setChecked(True)
        self._show_width(self.canvas.width_of(tool))

    def _on_width_changed(self, tool: str, width: float) -> None:
        if tool == self.canvas.tool and abs(self.sizeSpin.value() - width) > 1e-9:
            self._show_width(width)

    def _on_color_picked(self, color: QColor) -> None:
        self.set_color(color, select_brush=True)
        self.eyedropperTool.setChecked(False)
        self.note.emit(f"Picked {color.name()} from the output.")
