"""The Sketch area: draw lines and colour hints, and a picture appears while you draw.

Layout: a tool column (pen, eraser, colour brush, eyedropper, palette, size, undo/redo, clear, zoom),
the canvas (`sketchCanvas`) and the output (`sketchOutput`) side by side, a strip of variants
(`candidateStrip`) below, and a bar with the model, the mode, the seed, files and exports.

Generation. The canvas's model-resolution layers become the generator input exactly as auto-paired
training data is built (`translate.input_from_layers` -> `sketch.strokes_to_sketch_input`; 3-channel
models get the lines as a black-on-white picture). Rendering runs in a `RenderWorker` thread (newest
request wins): while the pen moves the output is refreshed at most every `LIVE_INTERVAL_MS` (longer for slow models), and at
once when the pen is lifted; the model lives in the render thread (`_SketchEngine`), only numpy copies
and plain dicts cross threads. In "reference" mode (pix2pix's test phase: per-image batch-norm
statistics, dropout on) each variant is one seed: the chosen one is rendered first, the others fill
the strip afterwards; "Lock" keeps the chosen variant and skips the others.

Unconditional generators (DCGANs) have no input to draw into: the strokes steer z instead, with the
iGAN-style optimisation of `ganstudio.core.sketch.fit_latent` in a background JobWorker (progress, cancel), the
best few results shown in the strip as they improve.

Safety. Documents (strokes, colours, size, model, seed, mode) save as JSON atomically. Every
`AUTOSAVE_MS` the document, when changed, is written to a recovery file in `data_dir`; a clean
shutdown (`shutdown()`) or an explicit save marks the work safe. A recovery file newer than the last
clean save (a crash) is offered back on the next start (`recoveryBanner`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt import theme
from ganstudio.qt.render_worker import ModelRenderer, PartResult
from ganstudio.qt.sketch.canvas import SketchCanvas
from ganstudio.qt.sketch.output_view import OutputView
from ganstudio.qt.widgets.image_views import ImageGridView
from ganstudio.qt.widgets.message_strip import MessageStrip
from ganstudio.qt.workers import JobWorker

log = logging.getLogger(__name__)

LIVE_INTERVAL_MS = 40  # output refresh while the pen moves
AUTOSAVE_MS = 3000
N_CANDIDATES = 4
IMAGE_FILTER = "Pictures (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"
SKETCH_FILTER = "Sketch documents (*.json)"
PALETTE = ("#1b1b1b", "#7f7f7f", "#f2f2f2", "#8c5a3c", "#e8b996", "#d62828", "#f77f00", "#fcbf49",
           "#2a9d3c", "#1d7874", "#277da1", "#3a0ca3", "#9d4edd", "#ff70a6")


def default_data_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".ganstudio")
    return Path(base) / "sketch"


# --- work done off the GUI thread --------------------------------------------------------------------------

def _sketchable(model) -> None:
    """Runs in the render thread after a model is opened: the Sketch area needs a picture generator."""
    from ganstudio.core.errors import ModelError
    from ganstudio.core.generators.handle import INPUT_POINTS

    if model.input_kind == INPUT_POINTS:
        raise ModelError(f"{model.path.name} is a 2-D toy model; the Sketch area needs an image model.")


def _device():
    """CUDA when present (the model and its tensors stay in the worker thread), else the CPU."""
    from ganstudio.core.device import resolve_device

    return resolve_device("auto")


_EDIT_MODELS: dict[tuple[str, float], Any] = {}


def edit_job(path: str, layers: tuple[np.ndarray, np.ndarray, np.ndarray], z_prev: np.ndarray | None,
             seed: int, n_starts: int = 16, steps: int = 60):
    """Background latent fit (JobWorker): yields EditResults, returns the final one. The generator is
    loaded here (cached per file), in the job's own thread."""
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.sketch.fit_latent import EditSettings, EditTarget, edit_latent

    key = (path, os.path.getmtime(path) if os.path.exists(path) else 0.0)
    model = _EDIT_MODELS.get(key)
    if model is None:
        _EDIT_MODELS.clear()
        model = _EDIT_MODELS[key] = open_generator(path, device=_device())
    lines, rgb, mask = layers
    target = EditTarget(lines=lines, hint_rgb=rgb, hint_mask=mask)
    settings = EditSettings(n_starts=n_starts, steps=steps, keep=N_CANDIDATES, seed=seed, report_every=5)
    result = yield from edit_latent(model.module, target, model.z_dim, z_prev, settings,
                                    n_classes=model.n_classes, device=model.device)
    return result


# --- widgets -----------------------------------------------------------------------------------------------

class SketchArea(QWidget):
    """The Sketch area. `load_model(path)` opens a generator; the rest is driven by the widgets (and the
    public methods they call: open_image, open_sketch, save_sketch, export_output, export_side_by_side,
    restore_recovery, shutdown)."""

    modelLoaded = Signal(dict)
    outputChanged = Signal()
    message = Signal(str)

    def __init__(self, settings=None, parent: QWidget | None = None, *, data_dir: str | Path | None = None,
                 autosave_ms: int = AUTOSAVE_MS, live_interval_ms: int = LIVE_INTERVAL_MS):
        super().__init__(parent)
        self.setObjectName("sketchArea")
        self.settings = settings
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.model_info: dict[str, Any] | None = None
        self.model_path: str | None = None
        self._seq = 0  # every render request is numbered; the output never goes back to an older one
        self._shown_seq = 0
        self._release_time: float | None = None
        self._release_target: int | None = None  # version of "main" that shows the finished stroke
        self.release_latencies_ms: list[float] = []  # pen lifted -> output set
        self.render_ms: list[float] = []
        self.candidate_seeds = list(range(N_CANDIDATES))
        self.current_candidate = 0
        self.z_current: np.ndarray | None = None  # unconditional models
        self.edit_job: JobWorker | None = None
        self.edit_settings = {"n_starts": 16, "steps": 60}  # latent fit: random starts, Adam steps
        self._edit_candidates: np.ndarray | None = None  # z of the strip (editing)
        self._dirty = False
        self._closed = False
        from ganstudio.core.sketch.recovery import SketchRecovery  # no PyTorch

        self.recovery = SketchRecovery(self.data_dir)
        self.last_output_time: float | None = None
        self.last_release_done: float | None = None  # when the picture of the last finished stroke was shown

        # parts: "main" (the chosen variant, or the latent's picture) and "candidates" (the variant strip)
        self.renderer = ModelRenderer("sketch", parent=self, accept=_sketchable)
        self.renderer.loaded.connect(self._on_model_loaded)
        self.renderer.loadFailed.connect(self._on_load_failed)
        self.renderer.partsRendered.connect(self._on_rendered)
        self.renderer.renderFailed.connect(self._on_render_failed)
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live_interval_ms = live_interval_ms
        self._live.timeout.connect(lambda: self.request_render())
        self._autosave = QTimer(self)
        self._autosave.setInterval(autosave_ms)
        self._autosave.timeout.connect(self.autosave_now)

        self._build()
        self._sync_controls()
        self._autosave.start()
        self._check_recovery()
        self._models_listed = False  # listing models imports PyTorch: done when the area is first shown
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ======================================================================================================
    # layout
    # ======================================================================================================
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 6, 8, 6)
        root.setSpacing(6)

        # recovery banner (shown after a crash)
        self.recoveryBanner = QFrame()
        self.recoveryBanner.setObjectName("recoveryBanner")
        self.recoveryBanner.setStyleSheet(f"QFrame#recoveryBanner {{ background: {theme.WARNING_BG}; border-radius: 4px; }}")
        rb = QHBoxLayout(self.recoveryBanner)
        rb.setContentsMargins(8, 4, 8, 4)
        self.recoveryLabel = QLabel("")
        self.recoveryLabel.setObjectName("recoveryLabel")
        rb.addWidget(self.recoveryLabel, 1)
        self.restoreButton = QPushButton("Restore")
        self.restoreButton.setObjectName("restoreButton")
        self.restoreButton.clicked.connect(self.restore_recovery)
        self.discardRecoveryButton = QPushButton("Discard")
        self.discardRecoveryButton.setObjectName("discardRecoveryButton")
        self.discardRecoveryButton.clicked.connect(self.discard_recovery)
        rb.addWidget(self.restoreButton)
        rb.addWidget(self.discardRecoveryButton)
        self.recoveryBanner.hide()
        root.addWidget(self.recoveryBanner)

        root.addLayout(self._build_top_bar())

        self.canvas = SketchCanvas(64)
        self.output = OutputView()
        middle = QHBoxLayout()
        middle.setSpacing(6)
        middle.addWidget(self._build_tools())
        self.canvas.strokeChanged.connect(self._on_stroke_changed)
        self.canvas.strokeFinished.connect(self._on_stroke_finished)
        self.canvas.documentChanged.connect(self._on_document_changed)
        self.canvas.widthChanged.connect(self._on_width_changed)
        self.canvas.toolChanged.connect(self._on_tool_changed)
        self.canvas.fileDropped.connect(self.open_file)
        self.canvas.undo_stack.canUndoChanged.connect(self.undoButton.setEnabled)
        self.canvas.undo_stack.canRedoChanged.connect(self.redoButton.setEnabled)
        self.output.colorPicked.connect(self._on_color_picked)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("sketchSplitter")
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(self.output)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self._split_evenly = True  # on first show: sketch and picture get the same room
        middle.addWidget(self.splitter, 1)
        root.addLayout(middle, 1)

        root.addLayout(self._build_bottom_bar())

        for keys, slot in ((QKeySequence.Undo, self.canvas.undo), (QKeySequence("Ctrl+Shift+Z"), self.canvas.redo),
                           (QKeySequence("Ctrl+Y"), self.canvas.redo), (QKeySequence("P"), lambda: self.set_tool("pen")),
                           (QKeySequence("E"), lambda: self.set_tool("eraser")), (QKeySequence("B"), lambda: self.set_tool("hint")),
                           (QKeySequence("I"), lambda: self.eyedropperTool.toggle()),
                           (QKeySequence("["), lambda: self._nudge_width(-1)), (QKeySequence("]"), lambda: self._nudge_width(1))):
            sc = QShortcut(keys, self)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)

    def _build_top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Model"))
        self.modelCombo = QComboBox()
        self.modelCombo.setObjectName("sketchModelCombo")
        self.modelCombo.setMinimumWidth(220)
        self.modelCombo.setToolTip("Bundled sketch models and the models opened in this session.")
        self.modelCombo.activated.connect(self._on_model_chosen)
        bar.addWidget(self.modelCombo, 1)
        self.openModelButton = QPushButton("Open model…")
        self.openModelButton.setObjectName("sketchOpenModelButton")
        self.openModelButton.setToolTip("A GAN Studio checkpoint or run folder (sketch / pix2pix runs translate, image "
                                        "runs are steered by latent fitting), or a pix2pix reference netG .pth.")
        self.openModelButton.clicked.connect(self.choose_model_file)
        bar.addWidget(self.openModelButton)
        bar.addSpacing(10)
        bar.addWidget(QLabel("Mode"))
        self.modeCombo = QComboBox()
        self.modeCombo.setObjectName("sketchModeCombo")
        self.modeCombo.addItem("Deterministic (eval)", "eval")
        self.modeCombo.addItem("Reference (dropout, per-image norm)", "reference")
        self.modeCombo.setToolTip("Deterministic: batch norm running statistics, no dropout. Reference: as the "
                                  "pix2pix test script runs (batch norm on each picture's own statistics, dropout "
                                  "on): each seed gives a variant.")
        self.modeCombo.currentIndexChanged.connect(self._on_mode_changed)
        bar.addWidget(self.modeCombo)
        bar.addWidget(QLabel("Seed"))
        self.seedSpin = QSpinBox()
        self.seedSpin.setObjectName("sketchSeedSpin")
        self.seedSpin.setRange(0, 2**31 - 1)
        self.seedSpin.setToolTip("The chosen variant: dropout masks in Reference mode, the starting latent for "
                                 "unconditional models.")
        self.seedSpin.valueChanged.connect(self._on_seed_changed)
        bar.addWidget(self.seedSpin)
        bar.addSpacing(10)
        self.openImageButton = QPushButton("Open picture…")
        self.openImageButton.setObjectName("openImageButton")
        self.openImageButton.setToolTip("Start from a picture: its lines and a few colour hints, made exactly as "
                                        "training pairs are. Undoable.")
        self.openImageButton.clicked.connect(self.choose_image)
        bar.addWidget(self.openImageButton)
        self.openSketchButton = QPushButton("Open sketch…")
        self.openSketchButton.setObjectName("openSketchButton")
        self.openSketchButton.clicked.connect(self.choose_sketch)
        bar.addWidget(self.openSketchButton)
        self.saveSketchButton = QPushButton("Save sketch…")
        self.saveSketchButton.setObjectName("saveSketchButton")
        self.saveSketchButton.clicked.connect(self.choose_save_sketch)
        bar.addWidget(self.saveSketchButton)
        self.exportButton = QPushButton("Export")
        self.exportButton.setObjectName("sketchExportButton")
        menu = QMenu(self.exportButton)
        menu.addAction("Output picture (PNG)…", self.choose_export_output)
        menu.addAction("Sketch | output side by side (PNG)…", self.choose_export_side_by_side)
        self.exportButton.setMenu(menu)
        bar.addWidget(self.exportButton)
        return bar

    def _tool_button(self, name: str, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setObjectName(name)
        b.setText(text)
        b.setToolTip(tip)
        b.setCheckable(True)
        b.setToolButtonStyle(Qt.ToolButtonTextOnly)
        b.setMinimumWidth(96)
        return b

    def _build_tools(self) -> QWidget:
        box = QWidget()
        box.setObjectName("sketchTools")
        box.setFixedWidth(112)
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(4)
        self.penTool = self._tool_button("penTool", "✎ Pen", "Draw lines (P). Lines are as wide as the training lines.")
        self.eraserTool = self._tool_button("eraserTool", "⌫ Eraser", "Erase lines and colour hints (E).")
        self.colorTool = self._tool_button("colorTool", "● Colour", "Paint colour hints (B): the model takes these "
                                           "as hints of the colour there.")
        self.toolGroup = QButtonGroup(self)
        self.toolGroup.setExclusive(True)
        for b, tool in ((self.penTool, "pen"), (self.eraserTool, "eraser"), (self.colorTool, "hint")):
            self.toolGroup.addButton(b)
            b.clicked.connect(lambda _c=False, t=tool: self.set_tool(t))
            col.addWidget(b)
        self.penTool.setChecked(True)
        self.eyedropperTool = self._tool_button("eyedropperTool", "Eyedropper", "Eyedropper (I): click the output "
                                                "picture to take its colour for the colour brush.")
        self.eyedropperTool.toggled.connect(self.output_pick_mode)
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
        self.set_color(self.canvas_color_default())

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
        return box

    def _build_bottom_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(8)
        left = QVBoxLayout()
        self.variantsLabel = QLabel("Variants")
        self.variantsLabel.setObjectName("variantsLabel")
        left.addWidget(self.variantsLabel)
        self.lockCandidate = QCheckBox("Lock")
        self.lockCandidate.setObjectName("lockCandidate")
        self.lockCandidate.setToolTip("Keep the chosen variant: only it is computed while you draw.")
        self.lockCandidate.toggled.connect(self._on_lock_toggled)
        left.addWidget(self.lockCandidate)
        self.shuffleButton = QPushButton("Shuffle")
        self.shuffleButton.setObjectName("shuffleButton")
        self.shuffleButton.setToolTip("New variants in the other slots (the chosen one stays).")
        self.shuffleButton.clicked.connect(self.shuffle_candidates)
        left.addWidget(self.shuffleButton)
        left.addStretch(1)
        bar.addLayout(left)
        self.candidateStrip = ImageGridView(columns=N_CANDIDATES, placeholder="")
        self.candidateStrip.setObjectName("candidateStrip")
        self.candidateStrip.setFixedHeight(104)
        self.candidateStrip.setToolTip("Variants of the picture; click one to choose it.")
        self.candidateStrip.cellClicked.connect(self.choose_candidate)
        bar.addWidget(self.candidateStrip, 1)

        self.editPanel = QWidget()
        self.editPanel.setObjectName("editPanel")
        ep = QVBoxLayout(self.editPanel)
        ep.setContentsMargins(0, 0, 0, 0)
        self.autoEditCheck = QCheckBox("Fit while drawing")
        self.autoEditCheck.setObjectName("autoEditCheck")
        self.autoEditCheck.setChecked(True)
        self.autoEditCheck.setToolTip("After each stroke, search the generator's latent space for pictures that "
                                      "follow the colour hints and the lines (iGAN).")
        ep.addWidget(self.autoEditCheck)
        row = QHBoxLayout()
        self.editButton = QPushButton("Fit to strokes")
        self.editButton.setObjectName("editButton")
        self.editButton.clicked.connect(self.start_edit)
        self.editCancelButton = QPushButton("Cancel")
        self.editCancelButton.setObjectName("editCancelButton")
        self.editCancelButton.clicked.connect(self.cancel_edit)
        self.editCancelButton.setEnabled(False)
        row.addWidget(self.editButton)
        row.addWidget(self.editCancelButton)
        ep.addLayout(row)
        self.editProgress = QProgressBar()
        self.editProgress.setObjectName("editProgress")
        self.editProgress.setRange(0, 100)
        self.editProgress.setValue(0)
        self.editProgress.setTextVisible(True)
        ep.addWidget(self.editProgress)
        self.editPanel.setFixedWidth(220)
        bar.addWidget(self.editPanel)

        right = QVBoxLayout()
        self.modelLabel = QLabel("No model")
        self.modelLabel.setObjectName("sketchModelLabel")
        self.modelLabel.setWordWrap(True)
        self.modelLabel.setMaximumWidth(360)
        self.latencyLabel = QLabel("–")
        self.latencyLabel.setObjectName("latencyLabel")
        self.latencyLabel.setToolTip("Time of the last generator run, and from lifting the pen to the new picture.")
        self.messageLabel = MessageStrip("sketchMessage", compact=True)
        self.messageLabel.setMaximumWidth(360)
        for w in (self.modelLabel, self.latencyLabel, self.messageLabel):
            w.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
            right.addWidget(w)
        right.addStretch(1)
        bar.addLayout(right)
        return bar

    def _list_models_and_load_default(self) -> None:
        self.refresh_models()
        bundled = self.modelCombo.itemData(0)
        if bundled and self.model_path is None:
            self.load_model(bundled)  # the bundled sketch model, when installed

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._models_listed:
            self._models_listed = True
            # Listing models imports PyTorch: do it after this paint, so the window is on screen first.
            QTimer.singleShot(0, self._list_models_and_load_default)
        if self._split_evenly:
            self._split_evenly = False
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total // 2, total - total // 2])

    # ======================================================================================================
    # tools
    # ======================================================================================================
    def set_tool(self, tool: str) -> None:
        self.canvas.set_tool(tool)

    def _on_tool_changed(self, tool: str) -> None:
        {"pen": self.penTool, "eraser": self.eraserTool, "hint": self.colorTool}[tool].setChecked(True)
        self.sizeSpin.blockSignals(True)
        self.sizeSpin.setValue(self.canvas.width_of(tool))
        self.sizeSpin.blockSignals(False)

    def _on_width_changed(self, tool: str, width: float) -> None:
        if tool == self.canvas.tool and abs(self.sizeSpin.value() - width) > 1e-9:
            self.sizeSpin.blockSignals(True)
            self.sizeSpin.setValue(width)
            self.sizeSpin.blockSignals(False)

    def _nudge_width(self, steps: int) -> None:
        w = self.canvas.width_of()
        self.canvas.set_width(w + (0.5 if w < 4 else 1.0) * steps)

    def set_color(self, color: QColor, select_brush: bool = False) -> None:
        self.canvas.set_color(color)
        self.colorSwatch.setStyleSheet(f"background: {color.name()}; border: 1px solid #343842;")
        if select_brush:
            self.set_tool("hint")

    @staticmethod
    def canvas_color_default() -> QColor:
        return QColor(PALETTE[5])

    def choose_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.color, self, "Colour hint")
        if color.isValid():
            self.set_color(color, select_brush=True)

    def output_pick_mode(self, on: bool) -> None:
        self.output.set_pick_mode(on)

    def _on_color_picked(self, color: QColor) -> None:
        self.set_color(color, select_brush=True)
        self.eyedropperTool.setChecked(False)
        self.show_note(f"Picked {color.name()} from the output.")

    # ======================================================================================================
    # models
    # ======================================================================================================
    def refresh_models(self) -> None:
        current = self.model_path
        self.modelCombo.blockSignals(True)
        self.modelCombo.clear()
        try:
            from ganstudio.core.generators.catalogue import list_bundled

            for m in list_bundled(area="sketch"):
                self.modelCombo.addItem(m.title, str(m.path))
        except Exception as exc:  # noqa: BLE001 - a broken bundled file must not break the area
            log.warning("listing bundled sketch models failed: %s", exc)
        if current and self.modelCombo.findData(current) < 0:
            info = self.model_info
            self.modelCombo.addItem(info["title"] if info and info.get("path") == current else Path(current).name, current)
        if self.modelCombo.count() == 0:
            self.modelCombo.addItem("No model: open one…", None)
        idx = self.modelCombo.findData(current) if current else 0
        self.modelCombo.setCurrentIndex(max(0, idx))
        self.modelCombo.blockSignals(False)

    def _on_model_chosen(self, index: int) -> None:
        path = self.modelCombo.itemData(index)
        if path and path != self.model_path:
            self.load_model(path)

    def _dialog_folder(self, purpose: str) -> str:
        if self.settings is not None and hasattr(self.settings, "last_folder"):
            return self.settings.last_folder(purpose)
        return str(Path.home())

    def _remember_folder(self, purpose: str, path: str) -> None:
        if self.settings is not None and hasattr(self.settings, "set_last_folder"):
            self.settings.set_last_folder(purpose, str(Path(path).parent))

    def choose_model_file(self) -> None:
        from ganstudio.core.generators.formats import file_dialog_filter

        path, _ = QFileDialog.getOpenFileName(self, "Open a generator", self._dialog_folder("sketch-models"), file_dialog_filter())
        if path:
            self._remember_folder("sketch-models", path)
            self.load_model(path)

    def load_model(self, path: str | Path) -> int:
        """Open a generator in the background (the render thread); returns the load's number."""
        path = str(path)
        self.cancel_edit()
        self.model_path = path
        self.model_info = None
        self._release_target = None
        self._live.stop()
        self.modelLabel.setText(f"Loading {Path(path).name}…")
        self._sync_controls()
        return self.renderer.load(path)

    @property
    def model_ready(self) -> bool:
        return self.model_info is not None

    def _on_model_loaded(self, info: dict[str, Any], seconds: float) -> None:
        if self._closed:
            return
        self.model_info = info
        size = int(info["image_size"])
        if self.canvas.size_px != size:
            had = not self.canvas.is_empty()
            self.canvas.resize_document(size)
            if had:
                self.show_note(f"The sketch was carried over to {size}x{size} pixels, this model's size.")
        self.modeCombo.blockSignals(True)
        self.modeCombo.setCurrentIndex(max(0, self.modeCombo.findData(info["default_mode"])))
        self.modeCombo.blockSignals(False)
        kind = {"sketch": "sketch input (lines + colour hints)", "image": "line drawing input (black on white)",
                "latent": "unconditional: strokes steer z (iGAN)"}[info["input_kind"]]
        self.modelLabel.setText(f"{info['title']}\n{size}x{size}, {kind}; loaded in {seconds:.2f} s")
        self.modelLabel.setToolTip(info.get("path", ""))
        if info["input_kind"] == "latent":
            rng = np.random.default_rng(self.seedSpin.value())
            self.z_current = rng.standard_normal((1, int(info["z_dim"]))).astype(np.float32)
            self._edit_candidates = None
            self.candidateStrip.set_images(None)
        self.refresh_models()
        self._sync_controls()
        self.clear_message()
        self.canvas.document.model_id = info.get("path")
        self.request_render(release=False, candidates=True)
        self.modelLoaded.emit(dict(info))

    def _sync_controls(self) -> None:
        info = self.model_info
        latent = info is not None and info["input_kind"] == "latent"
        translation = info is not None and not latent
        stochastic = translation and info["stochastic"] and self.mode == "reference"
        self.modeCombo.setEnabled(translation)
        self.editPanel.setVisible(latent)
        self.lockCandidate.setVisible(not latent)
        self.shuffleButton.setVisible(not latent)
        self.lockCandidate.setEnabled(stochastic)
        self.shuffleButton.setEnabled(stochastic and not self.lockCandidate.isChecked())
        if latent:
            self.candidateStrip.placeholder = "Draw: the best latent fits appear here."
        elif translation and not stochastic:
            self.candidateStrip.placeholder = ("Variants need Reference mode and a model with dropout." if translation
                                               else "")
            self.candidateStrip.set_images(None)
        else:
            self.candidateStrip.placeholder = "Variants appear here when you lift the pen."
        self.candidateStrip.update()

    @property
    def mode(self) -> str:
        return self.modeCombo.currentData() or "eval"

    def _on_mode_changed(self, _index: int) -> None:
        self.canvas.document.mode = self.mode
        self._dirty = True
        self._sync_controls()
        self.request_render(candidates=True)

    def _on_seed_changed(self, value: int) -> None:
        self.canvas.document.seed = int(value)
        self._dirty = True
        if self.model_info is not None and self.model_info["input_kind"] == "latent":
            rng = np.random.default_rng(int(value))
            self.z_current = rng.standard_normal((1, int(self.model_info["z_dim"]))).astype(np.float32)
            self.request_render()
            return
        if self.candidate_seeds[self.current_candidate] != value:
            self.candidate_seeds[self.current_candidate] = int(value)
            self.request_render(candidates=True)

    # --- variants ------------------------------------------------------------------------------------
    def choose_candidate(self, index: int) -> None:
        """Make variant `index` of the strip the output."""
        if self.model_info is None:
            return
        if self.model_info["input_kind"] == "latent":
            if self._edit_candidates is not None and index < len(self._edit_candidates):
                self.z_current = self._edit_candidates[index:index + 1].copy()
                self.candidateStrip.set_current(index)
                self._show_output(self.candidateStrip.image(index))
            return
        if self.lockCandidate.isChecked() or index >= self.candidateStrip.count():
            return
        self.current_candidate = index
        self.candidateStrip.set_current(index)
        self.seedSpin.blockSignals(True)
        self.seedSpin.setValue(self.candidate_seeds[index])
        self.seedSpin.blockSignals(False)
        self.canvas.document.seed = self.candidate_seeds[index]
        self._show_output(self.candidateStrip.image(index))

    def shuffle_candidates(self) -> None:
        rng = np.random.default_rng()
        for i in range(N_CANDIDATES):
            if i != self.current_candidate:
                self.candidate_seeds[i] = int(rng.integers(0, 2**31 - 1))
        self.request_render(candidates=True)

    def _on_lock_toggled(self, on: bool) -> None:
        self.candidateStrip.setEnabled(not on)
        self._sync_controls()
        if not on:
            self.request_render(candidates=True)

    # ======================================================================================================
    # rendering
    # ======================================================================================================
    def _translating(self) -> bool:
        return self.model_info is not None and self.model_info["input_kind"] != "latent"

    def _on_stroke_changed(self) -> None:
        if self._translating() and not self._live.isActive():
            # Leave the render thread idle part of the time, so that when the pen is lifted the final
            # picture rarely has to wait for a preview still being computed: at least LIVE_INTERVAL_MS,
            # and 1.5 times the recent render time for slow models.
            recent = sorted(self.render_ms[-5:])
            slow = 1.5 * recent[len(recent) // 2] if recent else 0.0
            self._live.start(int(max(self._live_interval_ms, slow)))

    def _on_document_changed(self) -> None:
        self._dirty = True
        self._live.stop()
        if self._translating():
            self._release_time = time.perf_counter()
            self.request_render(release=True)

    def _on_stroke_finished(self) -> None:
        if self.model_info is not None and self.model_info["input_kind"] == "latent" and self.autoEditCheck.isChecked():
            self.start_edit()

    def _wants_candidates(self) -> bool:
        info = self.model_info
        return (info is not None and info["input_kind"] != "latent" and info["stochastic"]
                and self.mode == "reference" and not self.lockCandidate.isChecked())

    def request_render(self, release: bool = False, candidates: bool = False) -> int | None:
        """Ask for a new output of the current sketch (the chosen variant); newest request wins.
        candidates=True renders the whole strip instead (the chosen variant among them). Returns the
        version of the part asked for."""
        from ganstudio.core.generators.handle import LatentRequest, SketchRequest

        if self.model_info is None or self._closed:
            return None
        if self.model_info["input_kind"] == "latent":
            if self.z_current is None:
                return None
            part, req = "main", LatentRequest(self.z_current.copy())
        else:
            layers = self.canvas.model_layers()
            part = "candidates" if candidates and self._wants_candidates() else "main"
            seeds = tuple(self.candidate_seeds) if part == "candidates" else (self.candidate_seeds[self.current_candidate],)
            req = SketchRequest(layers.lines, layers.hint_rgb, layers.hint_mask, mode=self.mode, seeds=seeds)
        before = self.renderer.requested_version(part)
        self._seq += 1
        # The newest request may already cover this exact input (e.g. the live preview caught the last
        # point of the stroke): then it is not computed again.
        version = self.renderer.request(part, req, payload=self._seq, dedupe=True)
        if part == "main" and version > before:
            self.renderer.cancel("candidates")  # variants of an older drawing must not come back
        if release and part == "main":
            self._release_target = version
            if self.renderer.shown_version("main") >= version:  # already on screen
                self._record_release_latency(time.perf_counter())
        return version

    def is_idle(self) -> bool:
        """Nothing waiting or being drawn (tests, benchmarks and screenshots wait for this)."""
        return self.renderer.is_idle()

    def _on_rendered(self, parts: dict[str, PartResult], render_ms: float, _latency_ms: float) -> None:
        if self._closed:
            return
        for name in ("main", "candidates"):
            part = parts.get(name)
            if part is None or (part.payload is not None and part.payload < self._shown_seq):
                continue  # an older request finished after a newer one was shown
            if part.payload is not None:
                self._shown_seq = part.payload
            self.render_ms.append(part.ms)
            if name == "candidates":
                self.candidateStrip.set_images(list(part.pixels))
                self.candidateStrip.set_current(self.current_candidate)
                self._show_output(part.pixels[self.current_candidate])
                continue
            self._show_output(part.pixels[0])
            if self._release_target is not None and part.version >= self._release_target:
                self._release_target = None
                self._record_release_latency(self.last_output_time)
                if self._wants_candidates() and self.renderer.requested_version("main") == part.version:
                    self.request_render(candidates=True)  # the other variants, after the chosen one is on screen

    def _show_output(self, picture: np.ndarray) -> None:
        self.output.set_image(picture)
        self.last_output_time = time.perf_counter()
        self._update_latency_label()
        self.outputChanged.emit()

    def _record_release_latency(self, now: float) -> None:
        """The picture for the finished stroke is on screen: note how long after the pen was lifted."""
        if self._release_time is not None:
            self.release_latencies_ms.append((now - self._release_time) * 1000)
            self._release_time = None
        self.last_release_done = now
        self._update_latency_label()

    def _update_latency_label(self) -> None:
        parts = []
        if self.render_ms:
            parts.append(f"render {self.render_ms[-1]:.0f} ms")
        if self.release_latencies_ms:
            parts.append(f"pen lifted → picture {self.release_latencies_ms[-1]:.0f} ms")
        self.latencyLabel.setText(" · ".join(parts) or "–")

    def _on_load_failed(self, err) -> None:
        if self._closed:
            return
        self.model_info = None
        self.model_path = None
        self.modelLabel.setText("No model")
        self._sync_controls()
        self.refresh_models()
        self.show_error(f"The model could not be opened: {err.message}")

    def _on_render_failed(self, err, _parts: list[str]) -> None:
        if not self._closed:
            self.show_error(err.message)

    # ======================================================================================================
    # latent editing (unconditional generators)
    # ======================================================================================================
    def start_edit(self) -> JobWorker | None:
        info = self.model_info
        if info is None or info["input_kind"] != "latent" or self._closed:
            return None
        layers = self.canvas.model_layers()
        if not (layers.lines.any() or layers.hint_mask.any()):
            return None
        self.cancel_edit()
        job = JobWorker(edit_job, info["path"], (layers.lines, layers.hint_rgb, layers.hint_mask),
                        None if self.z_current is None else self.z_current[0].copy(), self.seedSpin.value(),
                        name="sketch-edit", progress_interval=0.1, **self.edit_settings)
        job.progress.connect(self._on_edit_progress)
        job.succeeded.connect(self._on_edit_done)
        job.failed.connect(self._on_edit_failed)
        job.finished.connect(self._on_edit_finished)
        self.edit_job = job
        self.editCancelButton.setEnabled(True)
        self.editProgress.setValue(0)
        job.start()
        return job

    def cancel_edit(self) -> None:
        if self.edit_job is not None:
            self.edit_job.stop()
            self.edit_job = None
        self.editCancelButton.setEnabled(False)

    def _show_edit(self, result) -> None:
        self._edit_candidates = result.z
        self.candidateStrip.set_images(list(result.images))
        self.candidateStrip.set_current(0)
        self.z_current = result.z[:1].copy()
        self._show_output(result.images[0])
        self.editProgress.setValue(int(100 * result.step / max(1, result.steps)))
        self.latencyLabel.setText(f"fit step {result.step}/{result.steps}, loss {result.best_loss:.3f}")

    def _on_edit_progress(self, result) -> None:
        if self.sender() is self.edit_job:
            self._show_edit(result)

    def _on_edit_done(self, result) -> None:
        if self.sender() is self.edit_job:
            self._show_edit(result)

    def _on_edit_failed(self, err) -> None:
        if self.sender() is self.edit_job:
            self.show_error(f"Fitting the strokes failed: {err.message}")

    def _on_edit_finished(self) -> None:
        job = self.sender()
        if job is self.edit_job:
            self.edit_job = None
            self.editCancelButton.setEnabled(False)

    # ======================================================================================================
    # files
    # ======================================================================================================
    def open_file(self, path: str) -> None:
        """What a file dropped on the canvas does: pictures and sketches open, generators load."""
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            try:
                head = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                head = {}
            if isinstance(head, dict) and head.get("format") == "ganstudio-sketch":
                self.open_sketch(path)
            else:
                self.load_model(path)
        elif suffix in (".safetensors", ".pth", ".pt"):
            self.load_model(path)
        else:
            self.open_image(path)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Start from a picture", self._dialog_folder("sketch"), IMAGE_FILTER)
        if path:
            self._remember_folder("sketch", path)
            self.open_image(path)

    def open_image(self, path: str | Path, n_hints: int = 12) -> bool:
        """Put a picture's lines and `n_hints` colour hints on the canvas (image_to_sketch_input, the code
        that builds training pairs). Undoable."""
        from ganstudio.core.data import load_image
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import document_from_image

        size = self.canvas.size_px
        try:
            image = load_image(path, size, channels=3)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        doc = document_from_image(image, size, n_hints=n_hints, seed=self.seedSpin.value())
        doc.extra["image"] = str(path)
        self.canvas.set_document(doc, undoable=True, text="open picture")
        self.show_note(f"Started from {Path(path).name}: its lines and {n_hints} colour hints.")
        return True

    def choose_sketch(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a sketch", self._dialog_folder("sketch"), SKETCH_FILTER)
        if path:
            self._remember_folder("sketch", path)
            self.open_sketch(path)

    def open_sketch(self, path: str | Path) -> bool:
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import load_document

        try:
            doc = load_document(path)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        self._adopt_document(doc)
        self.show_note(f"Opened {Path(path).name}.")
        return True

    def _adopt_document(self, doc) -> None:
        """Show a saved or recovered document: its seed and mode, and its model when it is not loaded.
        Undoable when it has the canvas's size."""
        self.canvas.set_document(doc, undoable=doc.size == self.canvas.document.size, text="open sketch")
        self.seedSpin.blockSignals(True)
        self.seedSpin.setValue(int(doc.seed))
        self.seedSpin.blockSignals(False)
        self.candidate_seeds[self.current_candidate] = int(doc.seed)
        wanted = doc.model_id
        if wanted and wanted != self.model_path and Path(wanted).exists():
            self.load_model(wanted)  # its size is applied when it has loaded
        elif self.model_info is not None and self.canvas.size_px != self.model_info["image_size"]:
            self.canvas.resize_document(int(self.model_info["image_size"]))
        if self.model_info is not None and doc.mode != self.mode:
            self.modeCombo.setCurrentIndex(max(0, self.modeCombo.findData(doc.mode)))
        self.canvas.document.mode = doc.mode

    def current_document(self):
        doc = self.canvas.document_copy()
        doc.model_id = self.model_path
        doc.seed = int(self.seedSpin.value())
        doc.mode = self.mode
        return doc

    def choose_save_sketch(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the sketch", self._dialog_folder("sketch"), SKETCH_FILTER)
        if path:
            if not path.lower().endswith(".json"):
                path += ".json"
            self._remember_folder("sketch", path)
            self.save_sketch(path)

    def save_sketch(self, path: str | Path) -> Path | None:
        from ganstudio.core.sketch.document import save_document

        try:
            written = save_document(self.current_document(), path)
        except OSError as exc:
            self.show_error(f"The sketch could not be saved to {path}: {exc.strerror or exc}.")
            return None
        self.recovery.mark_clean()
        self.show_note(f"Saved {Path(path).name}.")
        return written

    def choose_export_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the output", self._dialog_folder("export"), "PNG (*.png)")
        if path:
            self._remember_folder("export", path)
            self.export_output(path if path.lower().endswith(".png") else path + ".png")

    def choose_export_side_by_side(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export sketch | output", self._dialog_folder("export"), "PNG (*.png)")
        if path:
            self._remember_folder("export", path)
            self.export_side_by_side(path if path.lower().endswith(".png") else path + ".png")

    def export_output(self, path: str | Path) -> Path | None:
        """The output picture at the model's resolution (its exact pixels)."""
        from ganstudio.core.imaging import save_png

        pic = self.output.image()
        if pic is None:
            self.show_error("There is no output picture to export yet.")
            return None
        written = save_png(pic, path)
        self.show_note(f"Exported {Path(path).name}.")
        return written

    def side_by_side(self) -> np.ndarray:
        """The canvas as shown | the output enlarged to the same height (nearest), uint8 (H, W, 3)."""
        left = self.canvas.display_pixels()
        h = left.shape[0]
        pic = self.output.image()
        if pic is None:
            right = np.full_like(left, 255)
        else:
            factor = max(1, h // pic.shape[0])
            right = np.repeat(np.repeat(pic, factor, axis=0), factor, axis=1)[:h, :h]
        gap = np.full((h, 8, 3), 255, np.uint8)
        return np.concatenate([left, gap, right], axis=1)

    def export_side_by_side(self, path: str | Path) -> Path:
        from ganstudio.core.imaging import save_png

        written = save_png(self.side_by_side(), path)
        self.show_note(f"Exported {Path(path).name}.")
        return written

    # ======================================================================================================
    # autosave and recovery
    # ======================================================================================================
    @property
    def recovery_path(self) -> Path:
        return self.recovery.recovery_path

    def autosave_now(self) -> bool:
        """Write the document to the recovery file when it changed since the last autosave."""
        if not self._dirty or self._closed:
            return False
        if not self.recovery.autosave(self.current_document()):
            return False
        self._dirty = False
        return True

    def recovery_available(self) -> bool:
        return self.recovery.unsaved() is not None

    def _check_recovery(self) -> None:
        offered = self.recovery.check()
        if offered is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(offered.stat().st_mtime))
            self.recoveryLabel.setText(f"A sketch from {when} was not saved when GAN Studio last closed. Restore it?")
            self.recoveryBanner.show()

    def restore_recovery(self) -> bool:
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import load_document

        self.recoveryBanner.hide()
        offered = self.recovery.take_offered()
        try:
            doc = load_document(offered)
        except GanStudioError as exc:
            self.show_error(f"The recovered sketch could not be read: {exc}")
            return False
        self._adopt_document(doc)
        self._dirty = offered != self.recovery.recovery_path  # autosave it again unless the recovery file holds it
        self.show_note("Restored the unsaved sketch.")
        return True

    def discard_recovery(self) -> None:
        self.recoveryBanner.hide()
        self.recovery.discard()

    def shutdown(self) -> None:
        """Clean exit: stop the workers and mark the work safe (no recovery offer next time)."""
        if self._closed:
            return
        self._closed = True
        self._autosave.stop()
        self._live.stop()
        if self.edit_job is not None:
            job = self.edit_job
            job.stop()
            job.wait(10000)
            self.edit_job = None
        self.renderer.shutdown()
        # This session's work is safe (or deliberately left unsaved); an unanswered offer of a crashed
        # sketch stays on offer next time.
        self.recovery.close()

    # ======================================================================================================
    # messages
    # ======================================================================================================
    def show_error(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_error(text))

    def show_note(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_note(text))

    def clear_message(self) -> None:
        self.messageLabel.clear_message()

    def error_text(self) -> str:
        return self.messageLabel.text_of("error")
