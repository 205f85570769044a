"""The Explore area: walk the latent space of a trained generator, reproducibly.

What the user sees: a 4x4 grid of samples (seeded, with truncation and, for conditional models, a
class), the selected sample large, sliders along GANSpace principal directions (and, folded away, one
per z dimension), an interpolation strip through keyframes that plays and exports as PNG/GIF, latent
arithmetic (A - B + C) with a grid of neighbours, and bookmarks: JSON files that
`ganstudio sample CHECKPOINT --latent FILE.json` renders to exactly the pixels on screen.

How it renders: all drawing requests go through one RenderWorker (newest request wins). The area
keeps a set of *pending parts* (grid, view, strip, keyframes, groups, arithmetic), each with a version
number; every submit carries all pending parts, so a request that the worker drops is covered by the
newer one, and a part leaves the pending set once a result of its latest version has been shown. A
slider move makes only the large view pending: one forward pass of batch 1. The model is loaded and
used only in the render thread (`_RenderEngine`); requests and results are plain numpy arrays,
strings and numbers. Principal directions are computed once per weights file in a JobWorker (which
opens its own copy of the model) and cached on disk.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QSize, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt import theme
from ganstudio.qt.render_worker import ModelRenderer, PartResult
from ganstudio.qt.widgets.image_views import ImageGridView, PixelImageView, to_qimage
from ganstudio.qt.widgets.message_strip import MessageStrip
from ganstudio.qt.workers import JobError, JobWorker

log = logging.getLogger(__name__)

GRID_SIZE = 16
GRID_COLUMNS = 4
DIRECTION_RANGE = 3.0  # direction sliders span +-3 standard deviations
RAW_RANGE = 4.0  # raw z sliders span [-4, 4]
SLIDER_UNITS = 100  # slider ticks per unit (0.01 std or 0.01 in z)
ARITH_VARIATIONS = 9
GROUPS = ("A", "B", "C")



def default_cache_dir() -> Path:
    """Where principal directions are cached: $GANSTUDIO_CACHE_DIR, else the platform's cache folder."""
    env = os.environ.get("GANSTUDIO_CACHE_DIR")
    if env:
        return Path(env) / "directions"
    base = QStandardPaths.writableLocation(QStandardPaths.CacheLocation) or str(Path.home() / ".cache" / "ganstudio")
    return Path(base) / "directions"


def tile(pictures: np.ndarray | list[np.ndarray], columns: int | None = None, padding: int = 2,
         pad_value: int = 24) -> np.ndarray:
    """uint8 pictures (N, H, W, 3) side by side in rows: the layout of the CLI's and monitor's grids."""
    from ganstudio.core.imaging import tile_pictures

    return tile_pictures(pictures, columns, padding, pad_value)


def upscale(picture: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by an integer factor (crisp pixels)."""
    if factor <= 1:
        return picture
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def _model_label(path: str | Path) -> str:
    """RUN / FILE for checkpoints inside a run folder, the file name otherwise."""
    p = Path(path)
    if p.parent.name == "checkpoints":
        return f"{p.parent.parent.name} / {p.name}"
    return p.name


def _explorable(model) -> None:
    """Runs in the render thread after a model is opened: Explore needs an image generator of z."""
    from ganstudio.core.errors import ModelError
    from ganstudio.core.generators.handle import INPUT_LATENT, INPUT_POINTS

    if model.input_kind == INPUT_POINTS:
        raise ModelError(f"{model.path.name} is a 2-D toy model; the Explore area shows image generators.")
    if model.input_kind != INPUT_LATENT:
        raise ModelError(f"{model.path.name} is an image-to-image model without a latent space; open it in the Sketch area.")


class ExplorerArea(QWidget):
    """The Explore area. `load_generator(path)` opens a checkpoint, run folder, bundled model or
    pytorch/examples `netG_*.pth`; everything else is driven from the widgets (and the public methods
    below, which the widgets call)."""

    modelLoaded = Signal(dict)  # model info (path, sha256, z_dim, n_classes, image_size, ...)
    message = Signal(str)  # a short status-bar text
    partsDrawn = Signal(dict)  # {part: version} just put on screen (grid, view, strip, keys, groups, arith)

    def __init__(self, settings=None, parent: QWidget | None = None, *, cache_dir: str | Path | None = None,
                 direction_samples: int = 3000, n_directions: int = 16):
        super().__init__(parent)
        self.setObjectName("explorerArea")
        self.settings = settings
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.direction_samples = direction_samples
        self.n_directions = n_directions

        # model
        self.model_info: dict[str, Any] | None = None
        self._loading_path: str | None = None
        self._after_load: list = []
        # grid
        self.seed = 0
        self.truncation = None  # core.latent.Truncation, set once the core is imported
        self.class_choice: int | None = None  # None: mixed (cell i gets class i % n_classes)
        self.grid_z: np.ndarray | None = None
        self.grid_labels: list[int] | None = None
        self.grid_origin = "seed"
        self.shown_grid_z: np.ndarray | None = None
        self.shown_grid_labels: list[int] | None = None
        # selection
        self.sel_index: int | None = None
        self.sel_base: np.ndarray | None = None
        self.sel_label: int | None = None
        self.sel_origin = ""
        self.alphas = np.zeros(0, np.float32)
        self.directions = None  # core.latent.PrincipalDirections
        self.shown_view_z: np.ndarray | None = None
        self.shown_view_label: int | None = None
        # interpolation, arithmetic, bookmarks
        self.keyframes: list[tuple[np.ndarray, int | None]] = []
        self.frames_z: np.ndarray | None = None
        self.frames_labels: list[int] | None = None
        self.current_frame = 0
        self.groups: dict[str, list[tuple[np.ndarray, int | None]]] = {g: [] for g in GROUPS}
        self.arith_z: np.ndarray | None = None
        self.arith_labels: list[int] | None = None
        self.bookmarks: list[dict[str, Any]] = []
        # rendering
        self.renderer = ModelRenderer("explorer", parent=self, accept=_explorable, identity=True)
        self.renderer.loaded.connect(self._on_model_ready)
        self.renderer.loadFailed.connect(self._on_load_failed)
        self.renderer.partsRendered.connect(self._on_rendered)
        self.renderer.renderFailed.connect(self._on_render_failed)
        self.latencies: deque[tuple[tuple[str, ...], float, float]] = deque(maxlen=2000)  # (parts, ms, render ms)
        self.last_render_ms: float | None = None
        self._dir_job: JobWorker | None = None
        self._closed = False

        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._advance_frame)

        self._build()
        self._set_enabled(False)
        self._models_listed = False  # filled on first show: listing imports the engine (PyTorch)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ======================================================================================================
    # layout
    # ======================================================================================================
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(10, 8, 10, 8)
        root.setSpacing(6)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model"))
        self.modelCombo = QComboBox()
        self.modelCombo.setObjectName("modelCombo")
        self.modelCombo.setMinimumWidth(260)
        self.modelCombo.setToolTip("Bundled models and recent checkpoints; pick one to explore it.")
        self.modelCombo.activated.connect(self._on_model_chosen)
        bar.addWidget(self.modelCombo)
        self.openModelButton = QPushButton("Open…")
        self.openModelButton.setObjectName("openModelButton")
        self.openModelButton.setToolTip("Open a GAN Studio checkpoint or run folder, or a generator saved by "
                                        "pytorch/examples dcgan (netG_epoch_N.pth; read without running any code).")
        self.openModelButton.clicked.connect(self.choose_model_file)
        bar.addWidget(self.openModelButton)
        self.modelInfoLabel = QLabel("No model loaded.")
        self.modelInfoLabel.setObjectName("modelInfoLabel")
        self.modelInfoLabel.setProperty("muted", True)
        self.modelInfoLabel.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # clip, never squeeze the rest
        self.modelInfoLabel.setMinimumWidth(80)
        bar.addWidget(self.modelInfoLabel, 1)
        self.renderTimeLabel = QLabel("render – ms")
        self.renderTimeLabel.setObjectName("renderTimeLabel")
        self.renderTimeLabel.setToolTip("Time of the last render in the background thread (forward pass and "
                                        "conversion), and the time from request to picture on screen.")
        self.renderTimeLabel.setStyleSheet(f"color: {theme.MUTED}; font-family: monospace;")
        self.renderTimeLabel.setMinimumWidth(self.renderTimeLabel.fontMetrics().horizontalAdvance("render 9999.9 ms · 99 samples") + 8)
        self.renderTimeLabel.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        bar.addWidget(self.renderTimeLabel)
        root.addLayout(bar)

        self.messageLabel = MessageStrip("explorerMessage")
        root.addWidget(self.messageLabel)

        split = QSplitter(Qt.Horizontal)
        split.setObjectName("explorerSplitter")
        split.setChildrenCollapsible(False)
        split.addWidget(self._build_samples())
        split.addWidget(self._build_selection())
        split.addWidget(self._build_tabs())
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 5)
        split.setStretchFactor(2, 4)
        split.setSizes([430, 420, 380])
        root.addWidget(split, 1)
        root.addWidget(self._build_interpolation())

    def _build_samples(self) -> QWidget:
        box = QGroupBox("Samples")
        lay = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Seed"))
        self.seedSpin = QSpinBox()
        self.seedSpin.setObjectName("seedSpin")
        self.seedSpin.setRange(0, 2**31 - 1)
        self.seedSpin.setToolTip("The grid's 16 latents are drawn from this seed: the same seed gives the same "
                                 "samples, here and in `ganstudio sample --seed`.")
        self.seedSpin.setKeyboardTracking(False)
        self.seedSpin.valueChanged.connect(self.set_seed)
        row.addWidget(self.seedSpin)
        self.reseedButton = QPushButton("⟳ Reseed")
        self.reseedButton.setObjectName("reseedButton")
        self.reseedButton.setToolTip("Draw 16 new samples with a new random seed.")
        self.reseedButton.clicked.connect(self.reseed)
        row.addWidget(self.reseedButton)
        row.addStretch(1)
        lay.addLayout(row)

        row = QHBoxLayout()
        self.classLabel = QLabel("Class")
        row.addWidget(self.classLabel)
        self.classCombo = QComboBox()
        self.classCombo.setObjectName("classCombo")
        self.classCombo.setToolTip("For class-conditional models: the class every sample is drawn from "
                                   "(Mixed cycles through the classes, as `ganstudio sample` does).")
        self.classCombo.currentIndexChanged.connect(self._on_class_combo)
        row.addWidget(self.classCombo)
        row.addSpacing(8)
        row.addWidget(QLabel("Truncation"))
        self.truncationCombo = QComboBox()
        self.truncationCombo.setObjectName("truncationCombo")
        for text, mode, tip in (("Off", "off", "Plain Gaussian z."),
                                ("Resample |z|>t", "resample", "BigGAN's trick: coordinates beyond ±t are drawn again."),
                                ("Scale z·ψ", "scale", "StyleGAN-style: z is shrunk toward the mode by ψ.")):
            self.truncationCombo.addItem(text, mode)
            self.truncationCombo.setItemData(self.truncationCombo.count() - 1, tip, Qt.ToolTipRole)
        self.truncationCombo.setToolTip("Truncation trades variety for typical-looking samples.")
        self.truncationCombo.currentIndexChanged.connect(self._on_truncation_mode)
        row.addWidget(self.truncationCombo)
        self.truncationSpin = QDoubleSpinBox()
        self.truncationSpin.setObjectName("truncationSpin")
        self.truncationSpin.setRange(0.1, 3.0)
        self.truncationSpin.setSingleStep(0.1)
        self.truncationSpin.setDecimals(2)
        self.truncationSpin.setValue(1.0)
        self.truncationSpin.setKeyboardTracking(False)
        self.truncationSpin.setToolTip("t (resample) or ψ (scale); smaller means closer to the average sample.")
        self.truncationSpin.valueChanged.connect(self._on_truncation_widgets)
        row.addWidget(self.truncationSpin)
        row.addStretch(1)
        lay.addLayout(row)

        self.latentGrid = ImageGridView(columns=GRID_COLUMNS, spacing=4,
                                        placeholder="Open a checkpoint, a bundled model or a pytorch/examples "
                                                    "netG_*.pth to see its samples here.")
        self.latentGrid.setObjectName("latentGrid")
        self.latentGrid.setMinimumSize(260, 260)
        self.latentGrid.setToolTip("Click a sample to select it; right-click to add it to a group or the keyframes.")
        self.latentGrid.cellClicked.connect(self.select_cell)
        self.latentGrid.cellMenuRequested.connect(self._cell_menu)
        lay.addWidget(self.latentGrid, 1)

        row = QHBoxLayout()
        self.groupButtons: dict[str, QPushButton] = {}
        for g, sign in zip(GROUPS, ("+", "−", "+")):
            b = QPushButton(f"{sign} {g}")
            b.setObjectName(f"addTo{g}Button")
            b.setToolTip(f"Add the selected sample to group {g} of the arithmetic mean(A) − mean(B) + mean(C).")
            b.clicked.connect(lambda _=False, grp=g: self.add_to_group(grp))
            self.groupButtons[g] = b
            row.addWidget(b)
        row.addStretch(1)
        self.addKeyframeButton = QPushButton("+ Keyframe")
        self.addKeyframeButton.setObjectName("addKeyframeButton")
        self.addKeyframeButton.setToolTip("Add the selected sample (with its slider offsets) to the interpolation.")
        self.addKeyframeButton.clicked.connect(self.add_keyframe)
        row.addWidget(self.addKeyframeButton)
        lay.addLayout(row)
        return box

    def _build_selection(self) -> QWidget:
        box = QGroupBox("Selection")
        lay = QVBoxLayout(box)
        self.latentView = PixelImageView("The selected sample appears here, large.")
        self.latentView.setObjectName("latentView")
        self.latentView.setMinimumSize(220, 220)
        lay.addWidget(self.latentView, 1)
        self.selectionCaption = QLabel("")
        self.selectionCaption.setObjectName("selectionCaption")
        self.selectionCaption.setProperty("muted", True)
        self.selectionCaption.setWordWrap(True)
        self.selectionCaption.setAlignment(Qt.AlignCenter)
        lay.addWidget(self.selectionCaption)
        row = QHBoxLayout()
        row.addWidget(QLabel("Export"))
        self.exportScaleCombo = QComboBox()
        self.exportScaleCombo.setObjectName("exportScaleCombo")
        self.exportScaleCombo.addItem("model size", 1)
        self.exportScaleCombo.addItem("×4 nearest", 4)
        self.exportScaleCombo.setToolTip("Size of exported pictures: the model's own pixels, or enlarged four "
                                         "times without smoothing.")
        row.addWidget(self.exportScaleCombo)
        self.exportSelectionButton = QPushButton("Selection…")
        self.exportSelectionButton.setObjectName("exportSelectionButton")
        self.exportSelectionButton.setToolTip("Save the selected sample as a PNG.")
        self.exportSelectionButton.clicked.connect(lambda: self._export_dialog("selection"))
        row.addWidget(self.exportSelectionButton)
        self.exportGridButton = QPushButton("Grid…")
        self.exportGridButton.setObjectName("exportGridButton")
        self.exportGridButton.setToolTip("Save the sample grid as a PNG.")
        self.exportGridButton.clicked.connect(lambda: self._export_dialog("grid"))
        row.addWidget(self.exportGridButton)
        row.addStretch(1)
        self.bookmarkButton = QPushButton("★ Bookmark…")
        self.bookmarkButton.setObjectName("bookmarkButton")
        self.bookmarkButton.setToolTip("Save the selected sample's exact latent as a JSON bookmark.")
        self.bookmarkButton.clicked.connect(lambda: self._bookmark_dialog("selection"))
        row.addWidget(self.bookmarkButton)
        lay.addLayout(row)
        return box

    def _build_tabs(self) -> QWidget:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("explorerTabs")
        self.tabs.setMinimumWidth(300)
        self.tabs.addTab(self._build_directions(), "Directions")
        self.tabs.addTab(self._build_arithmetic(), "Arithmetic")
        self.tabs.addTab(self._build_bookmarks(), "Bookmarks")
        return self.tabs

    def _build_directions(self) -> QWidget:
        page = QWidget()
        page.setObjectName("directionSliders")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 8, 6, 6)
        self.directionStatus = QLabel("Principal directions appear once a model is loaded.")
        self.directionStatus.setObjectName("directionStatus")
        self.directionStatus.setWordWrap(True)
        self.directionStatus.setProperty("muted", True)
        lay.addWidget(self.directionStatus)
        self.directionProgress = QProgressBar()
        self.directionProgress.setObjectName("directionProgress")
        self.directionProgress.setRange(0, 100)
        self.directionProgress.setTextVisible(False)
        self.directionProgress.setFixedHeight(6)
        self.directionProgress.hide()
        lay.addWidget(self.directionProgress)

        self.directionRows = QWidget()
        self.directionGrid = QGridLayout(self.directionRows)
        self.directionGrid.setContentsMargins(0, 0, 4, 0)
        self.directionGrid.setHorizontalSpacing(6)
        self.directionGrid.setVerticalSpacing(2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.directionRows)
        scroll.setFrameShape(QFrame.NoFrame)
        lay.addWidget(scroll, 3)
        self.directionSliderWidgets: list[QSlider] = []
        self.directionValueLabels: list[QLabel] = []

        row = QHBoxLayout()
        self.resetSlidersButton = QPushButton("Reset sliders")
        self.resetSlidersButton.setObjectName("resetSlidersButton")
        self.resetSlidersButton.setToolTip("Put every direction slider back to 0.")
        self.resetSlidersButton.clicked.connect(self.reset_directions)
        row.addWidget(self.resetSlidersButton)
        row.addStretch(1)
        lay.addLayout(row)

        self.rawToggle = QToolButton()
        self.rawToggle.setObjectName("rawToggle")
        self.rawToggle.setText("Raw z dimensions")
        self.rawToggle.setCheckable(True)
        self.rawToggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.rawToggle.setArrowType(Qt.RightArrow)
        self.rawToggle.setAutoRaise(True)
        self.rawToggle.setToolTip("One slider per coordinate of z (the selected sample before direction offsets).")
        self.rawToggle.toggled.connect(self._on_raw_toggled)
        lay.addWidget(self.rawToggle)
        self.rawRows = QWidget()
        self.rawGrid = QGridLayout(self.rawRows)
        self.rawGrid.setContentsMargins(0, 0, 4, 0)
        self.rawGrid.setHorizontalSpacing(6)
        self.rawGrid.setVerticalSpacing(1)
        self.rawScroll = QScrollArea()
        self.rawScroll.setObjectName("rawSliders")
        self.rawScroll.setWidgetResizable(True)
        self.rawScroll.setWidget(self.rawRows)
        self.rawScroll.setFrameShape(QFrame.NoFrame)
        self.rawScroll.hide()
        lay.addWidget(self.rawScroll, 3)
        self.rawSliderWidgets: list[QSlider] = []
        self.rawValueLabels: list[QLabel] = []
        return page

    def _build_arithmetic(self) -> QWidget:
        page = QWidget()
        page.setObjectName("arithmeticPanel")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 8, 6, 6)
        help_ = QLabel("Select samples and add them with + A, − B, + C (or right-click a sample). The result is "
                       "mean(A) − mean(B) + mean(C), shown with eight noisy neighbours (DCGAN, Radford et al.).")
        help_.setWordWrap(True)
        help_.setProperty("muted", True)
        lay.addWidget(help_)
        self.groupViews: dict[str, ImageGridView] = {}
        self.groupCounts: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        for r, (g, sign) in enumerate(zip(GROUPS, ("", "−", "+"))):
            name = QLabel(f"{sign} {g}".strip())
            name.setStyleSheet("font-weight: 600;")
            grid.addWidget(name, r, 0)
            view = ImageGridView(spacing=2, placeholder="empty", single_row=True)
            view.setObjectName(f"group{g}View")
            view.setFixedHeight(44)
            self.groupViews[g] = view
            grid.addWidget(view, r, 1)
            clear = QToolButton()
            clear.setText("✕")
            clear.setAutoRaise(True)
            clear.setToolTip(f"Empty group {g}.")
            clear.clicked.connect(lambda _=False, grp=g: self.clear_group(grp))
            grid.addWidget(clear, r, 2)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        eq = QLabel("= result")
        eq.setStyleSheet("font-weight: 600;")
        lay.addWidget(eq)
        self.arithmeticGrid = ImageGridView(columns=3, spacing=3, placeholder="Fill A, B and C to see the result.")
        self.arithmeticGrid.setObjectName("arithmeticGrid")
        self.arithmeticGrid.setToolTip("Top left: the result itself; the others add uniform noise of ±0.25. "
                                       "Click one to select it.")
        self.arithmeticGrid.cellClicked.connect(self.select_arithmetic)
        lay.addWidget(self.arithmeticGrid, 1)
        return page

    def _build_bookmarks(self) -> QWidget:
        page = QWidget()
        page.setObjectName("bookmarksPanel")
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 8, 6, 6)
        row = QHBoxLayout()
        b = QPushButton("Selection…")
        b.setObjectName("bookmarkSelectionButton")
        b.setToolTip("Save the selected sample's exact latent as a JSON bookmark.")
        b.clicked.connect(lambda: self._bookmark_dialog("selection"))
        row.addWidget(b)
        b = QPushButton("Grid…")
        b.setObjectName("bookmarkGridButton")
        b.setToolTip("Save all 16 latents of the grid as one bookmark.")
        b.clicked.connect(lambda: self._bookmark_dialog("grid"))
        row.addWidget(b)
        b = QPushButton("Open…")
        b.setObjectName("openBookmarkButton")
        b.setToolTip("Open a bookmark: one latent becomes the selection, several become the grid.")
        b.clicked.connect(self._open_bookmark_dialog)
        row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.bookmarkList = QListWidget()
        self.bookmarkList.setObjectName("bookmarkList")
        self.bookmarkList.setIconSize(QSize(40, 40))
        self.bookmarkList.setToolTip("Click a bookmark to show it again.")
        self.bookmarkList.itemActivated.connect(self._on_bookmark_item)
        self.bookmarkList.itemClicked.connect(self._on_bookmark_item)
        lay.addWidget(self.bookmarkList, 1)
        help_ = QLabel("A bookmark holds the exact latents, class labels, truncation, seed and the model's file "
                       "hash. <code>ganstudio sample CHECKPOINT --latent FILE.json --out x.png</code> renders the "
                       "same pixels.")
        help_.setWordWrap(True)
        help_.setProperty("muted", True)
        help_.setTextFormat(Qt.RichText)
        lay.addWidget(help_)
        return page

    def _build_interpolation(self) -> QWidget:
        box = QGroupBox("Interpolation")
        box.setObjectName("interpolationPanel")
        outer = QVBoxLayout(box)
        outer.setSpacing(4)
        row = QHBoxLayout()
        self.keyframeInfo = QLabel("Add two or more keyframes: select a sample, then + Keyframe.")
        self.keyframeInfo.setObjectName("keyframeInfo")
        self.keyframeInfo.setProperty("muted", True)
        row.addWidget(self.keyframeInfo, 1)
        row.addWidget(QLabel("Path"))
        self.interpModeCombo = QComboBox()
        self.interpModeCombo.setObjectName("interpModeCombo")
        self.interpModeCombo.addItem("slerp", "slerp")
        self.interpModeCombo.addItem("lerp", "lerp")
        self.interpModeCombo.setToolTip("slerp follows the sphere where Gaussian latents live (the default); "
                                        "lerp is the straight line, whose middle is shorter than typical z.")
        self.interpModeCombo.currentIndexChanged.connect(self._update_path)
        row.addWidget(self.interpModeCombo)
        row.addWidget(QLabel("Steps"))
        self.stepsSpin = QSpinBox()
        self.stepsSpin.setObjectName("stepsSpin")
        self.stepsSpin.setRange(1, 60)
        self.stepsSpin.setValue(8)
        self.stepsSpin.setToolTip("Frames from one keyframe to the next.")
        self.stepsSpin.valueChanged.connect(self._update_path)
        row.addWidget(self.stepsSpin)
        row.addWidget(QLabel("FPS"))
        self.fpsSpin = QSpinBox()
        self.fpsSpin.setObjectName("fpsSpin")
        self.fpsSpin.setRange(1, 60)
        self.fpsSpin.setValue(12)
        self.fpsSpin.setToolTip("Playback and GIF speed, frames per second.")
        self.fpsSpin.valueChanged.connect(self._on_fps)
        row.addWidget(self.fpsSpin)
        self.playButton = QPushButton("▶ Play")
        self.playButton.setObjectName("playButton")
        self.playButton.setCheckable(True)
        self.playButton.setToolTip("Play the interpolation in a loop.")
        self.playButton.toggled.connect(self.play)
        row.addWidget(self.playButton)
        self.exportStripButton = QPushButton("PNG strip…")
        self.exportStripButton.setObjectName("exportStripButton")
        self.exportStripButton.clicked.connect(lambda: self._export_dialog("strip"))
        row.addWidget(self.exportStripButton)
        self.exportGifButton = QPushButton("GIF…")
        self.exportGifButton.setObjectName("exportGifButton")
        self.exportGifButton.clicked.connect(lambda: self._export_dialog("gif"))
        row.addWidget(self.exportGifButton)
        self.clearKeyframesButton = QPushButton("Clear")
        self.clearKeyframesButton.setObjectName("clearKeyframesButton")
        self.clearKeyframesButton.setToolTip("Remove all keyframes.")
        self.clearKeyframesButton.clicked.connect(self.clear_keyframes)
        row.addWidget(self.clearKeyframesButton)
        outer.addLayout(row)

        row = QHBoxLayout()
        self.keyframeStrip = ImageGridView(spacing=3, placeholder="keyframes", single_row=True)
        self.keyframeStrip.setObjectName("keyframeStrip")
        self.keyframeStrip.setFixedWidth(190)
        row.addWidget(self.keyframeStrip)
        arrow = QLabel("→")
        arrow.setProperty("muted", True)
        row.addWidget(arrow)
        self.interpolationPreview = PixelImageView("")
        self.interpolationPreview.setObjectName("interpolationPreview")
        self.interpolationPreview.setMinimumSize(72, 72)
        self.interpolationPreview.setFixedWidth(84)
        row.addWidget(self.interpolationPreview)
        self.interpolationStrip = ImageGridView(spacing=2, placeholder="The frames of the interpolation appear here.",
                                                single_row=True)
        self.interpolationStrip.setObjectName("interpolationStrip")
        self.interpolationStrip.setToolTip("Click a frame to select it.")
        self.interpolationStrip.cellClicked.connect(self.select_frame)
        row.addWidget(self.interpolationStrip, 1)
        outer.addLayout(row)
        box.setFixedHeight(140)
        return box

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._models_listed:
            self._models_listed = True
            QTimer.singleShot(0, self.refresh_models)

    # ======================================================================================================
    # enabling, messages, model list
    # ======================================================================================================
    def _set_enabled(self, on: bool) -> None:
        for w in (self.seedSpin, self.reseedButton, self.truncationCombo, self.truncationSpin, self.addKeyframeButton,
                  self.exportSelectionButton, self.exportGridButton, self.bookmarkButton, self.resetSlidersButton,
                  self.rawToggle, self.playButton, self.exportStripButton, self.exportGifButton, *self.groupButtons.values()):
            w.setEnabled(on)
        self.truncationSpin.setEnabled(on and self.truncationCombo.currentData() != "off")
        conditional = bool(on and self.model_info and self.model_info.get("n_classes"))
        self.classCombo.setEnabled(conditional)
        self.classCombo.setVisible(conditional)
        self.classLabel.setVisible(conditional)

    def show_error(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_error(text))

    def show_note(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_note(text))

    def clear_message(self) -> None:
        self.messageLabel.clear_message()

    def error_text(self) -> str:
        """The error sentence shown in the area, or "" (for tests)."""
        return self.messageLabel.text_of("error")

    def note_text(self) -> str:
        return self.messageLabel.text_of("note")

    def refresh_models(self) -> None:
        """Fill the model list: bundled models, then the recent checkpoints the app knows."""
        from ganstudio.core.generators.catalogue import list_bundled

        self._models_listed = True
        self.modelCombo.blockSignals(True)
        self.modelCombo.clear()
        self.modelCombo.addItem("Choose a model…", None)
        for m in list_bundled(area="explore"):
            self.modelCombo.addItem(f"★ {m.title}", str(m.path))
            self.modelCombo.setItemData(self.modelCombo.count() - 1, m.description or str(m.path), Qt.ToolTipRole)
        recent = self.settings.recent_checkpoints() if self.settings is not None else []
        for path in recent:
            if Path(path).exists():
                self.modelCombo.addItem(_model_label(path), path)
                self.modelCombo.setItemData(self.modelCombo.count() - 1, path, Qt.ToolTipRole)
        if self.model_info is not None:
            current = self.model_info["path"]
            idx = self.modelCombo.findData(current)
            if idx < 0:
                self.modelCombo.insertItem(1, _model_label(current), current)
                self.modelCombo.setItemData(1, current, Qt.ToolTipRole)
                idx = 1
            self.modelCombo.setCurrentIndex(idx)
        self.modelCombo.blockSignals(False)

    def _on_model_chosen(self, index: int) -> None:
        path = self.modelCombo.itemData(index)
        if path:
            self.load_generator(path)

    def choose_model_file(self) -> None:
        from ganstudio.core.generators.formats import file_dialog_filter

        start = self.settings.last_folder("explore") if self.settings is not None else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a generator", start, file_dialog_filter())
        if path:
            if self.settings is not None:
                self.settings.set_last_folder("explore", Path(path).parent)
            self.load_generator(path)

    # ======================================================================================================
    # loading
    # ======================================================================================================
    def load_generator(self, path: str | Path) -> None:
        """Open a generator in the background; the grid appears when it has loaded. Errors are shown in
        the area as one sentence; the previous model (if any) stays."""
        self._loading_path = str(path)
        self.clear_message()
        self.modelInfoLabel.setText(f"Loading {Path(path).name}…")
        self.renderer.load(str(path), use_ema=True)  # parts drawn for the previous model are dropped

    def _on_model_ready(self, info: dict[str, Any], _seconds: float = 0.0) -> None:
        from ganstudio.core.latent.space import Truncation

        self.model_info = info
        self._loading_path = None
        self.truncation = self.truncation or Truncation()
        self.directions = None
        self.alphas = np.zeros(0, np.float32)
        self.keyframes.clear()
        self.frames_z = None
        self.groups = {g: [] for g in GROUPS}
        self.arith_z = None
        self.shown_view_z = None
        self.latentView.set_image(None)
        self.interpolationStrip.set_images(None)
        self.interpolationPreview.set_image(None)
        self.keyframeStrip.set_images(None)
        self.arithmeticGrid.set_images(None)
        for g in GROUPS:
            self.groupViews[g].set_images(None)
        self._stop_playing()
        self._clear_direction_rows()
        self._clear_raw_rows()
        n_classes = int(info.get("n_classes", 0))
        self.classCombo.blockSignals(True)
        self.classCombo.clear()
        if n_classes:
            self.classCombo.addItem(f"Mixed (0–{n_classes - 1})", None)
            for k in range(n_classes):
                self.classCombo.addItem(f"Class {k}", k)
        self.classCombo.blockSignals(False)
        self.class_choice = None
        self.rawToggle.setText(f"Raw z dimensions ({info['z_dim']})")
        parts = [info.get("description") or info["name"], f"{info['parameters']:,} parameters"]
        self.modelInfoLabel.setText(" · ".join(parts))
        self.modelInfoLabel.setToolTip(f"{' · '.join(parts)}\n{info['path']}\nsha256 {info['sha256']}")
        self._set_enabled(True)
        self.refresh_models()
        self._update_keyframe_info()
        self._resample_grid(select=0)
        self._start_directions()
        self.modelLoaded.emit(dict(info))
        self.message.emit(f"Explore: loaded {info['name']}")
        after, self._after_load = self._after_load, []
        for fn in after:
            fn()

    # ======================================================================================================
    # render requests
    # ======================================================================================================
    def _labels(self, label: int | None, n: int = 1) -> list[int] | None:
        if not self.model_info or not self.model_info.get("n_classes"):
            return None
        return [int(label if label is not None else 0)] * n

    def _request(self, part: str, payload: tuple[np.ndarray, list[int] | None]) -> None:
        from ganstudio.core.generators.handle import LatentRequest

        z, labels = payload
        self.renderer.request(part, LatentRequest(np.ascontiguousarray(z, np.float32), labels))

    def requested_version(self, part: str) -> int:
        """The newest version of `part` asked for (compare with partsDrawn to measure latency)."""
        return self.renderer.requested_version(part)

    def is_idle(self) -> bool:
        """Nothing waiting to be drawn and nothing being drawn (tests and benchmarks wait for this)."""
        return self.renderer.is_idle()

    def _on_rendered(self, parts: dict[str, PartResult], seconds_ms: float, total_ms: float) -> None:
        if self._closed:
            return
        samples, versions_drawn = 0, {}
        for name, part in parts.items():
            self._apply(name, part.pixels, part.request.z, part.request.labels)
            samples += len(part.pixels)
            versions_drawn[name] = part.version
        drawn = sorted(parts)
        self.last_render_ms = seconds_ms
        self.latencies.append((tuple(drawn), total_ms, seconds_ms))
        what = "1 sample" if samples == 1 else f"{samples} samples"
        self.renderTimeLabel.setText(f"render {seconds_ms:.1f} ms · {what}")
        self.renderTimeLabel.setToolTip(
            f"Last render: {seconds_ms:.1f} ms in the background thread for {', '.join(drawn)}; "
            f"{total_ms:.1f} ms from request to picture.")
        self.partsDrawn.emit(versions_drawn)

    def _on_load_failed(self, error: JobError) -> None:
        if self._closed:
            return
        self._loading_path = None
        self.modelInfoLabel.setText(
            "No model loaded." if self.model_info is None else
            " · ".join([self.model_info.get("description") or self.model_info["name"],
                        f"{self.model_info['parameters']:,} parameters"]))
        self._after_load = []
        self.show_error(error.message)

    def _on_render_failed(self, error: JobError, _parts: list[str]) -> None:
        if not self._closed:
            self.show_error(error.message)

    # --- applying results ------------------------------------------------------------------------------
    def _apply(self, name: str, pics: np.ndarray, z: np.ndarray, labels) -> None:
        if name == "grid":
            self.shown_grid_z, self.shown_grid_labels = z, labels
            self.latentGrid.set_images(pics)
            self.latentGrid.set_current(self.sel_index)
            self._update_badges()
        elif name == "view":
            self.shown_view_z = z[0]
            self.shown_view_label = None if labels is None else int(labels[0])
            self.latentView.set_image(pics[0])
        elif name == "strip":
            self.interpolationStrip.set_images(pics)
            self.current_frame = min(self.current_frame, len(pics) - 1)
            self.interpolationStrip.set_current(self.current_frame)
            self.interpolationPreview.set_image(pics[self.current_frame])
        elif name == "keys":
            self.keyframeStrip.set_images(pics)
            self.keyframeStrip.set_badges({i: f"K{i + 1}" for i in range(len(pics))})
        elif name == "groups":
            start = 0
            for g in GROUPS:
                n = len(self.groups[g])
                self.groupViews[g].set_images(pics[start : start + n] if n else None)
                start += n
        elif name == "arith":
            self.arithmeticGrid.set_images(pics)

    # ======================================================================================================
    # grid
    # ======================================================================================================
    def set_seed(self, seed: int) -> None:
        seed = int(seed)
        if self.seedSpin.value() != seed:
            self.seedSpin.blockSignals(True)
            self.seedSpin.setValue(seed)
            self.seedSpin.blockSignals(False)
        self.seed = seed
        if self.model_info is not None:
            self._resample_grid(select=self.sel_index if self.sel_index is not None else 0)

    def reseed(self) -> None:
        """A new random seed for the grid (shown in the seed box, so it can be typed in again)."""
        new = secrets.randbelow(2**31 - 1)
        while new == self.seed:
            new = secrets.randbelow(2**31 - 1)
        self.set_seed(new)

    def set_class(self, k: int | None) -> None:
        """None: mixed classes (cell i shows class i % n_classes); k: every sample of class k."""
        idx = self.classCombo.findData(k) if k is not None else 0
        if idx >= 0 and self.classCombo.currentIndex() != idx:
            self.classCombo.setCurrentIndex(idx)  # -> _on_class_combo
        else:
            self._apply_class(k)

    def _on_class_combo(self, index: int) -> None:
        if index >= 0:
            self._apply_class(self.classCombo.itemData(index))

    def _apply_class(self, k: int | None) -> None:
        self.class_choice = k
        if self.model_info is None or not self.model_info.get("n_classes"):
            return
        n = len(self.grid_z) if self.grid_z is not None else GRID_SIZE
        self.grid_labels = self._grid_labels(n)
        self._request("grid", (self.grid_z, self.grid_labels))
        if k is not None:
            self.sel_label = int(k)
        elif self.sel_index is not None:
            self.sel_label = self.grid_labels[self.sel_index]
        self._request_view()
        self._update_path()
        self._update_arithmetic()

    def _grid_labels(self, n: int) -> list[int] | None:
        n_classes = int(self.model_info.get("n_classes", 0)) if self.model_info else 0
        if not n_classes:
            return None
        if self.class_choice is None:
            return [i % n_classes for i in range(n)]
        return [int(self.class_choice)] * n

    def set_truncation(self, mode: str, value: float | None = None) -> None:
        idx = self.truncationCombo.findData(mode)
        if idx < 0:
            raise ValueError(f"unknown truncation mode {mode!r}")
        self.truncationCombo.blockSignals(True)
        self.truncationSpin.blockSignals(True)
        self.truncationCombo.setCurrentIndex(idx)
        if value is not None:
            self.truncationSpin.setValue(float(value))
        self.truncationCombo.blockSignals(False)
        self.truncationSpin.blockSignals(False)
        self._on_truncation_widgets()

    def _on_truncation_mode(self, _index: int) -> None:
        # a sensible starting value for each mode; the spin box's signal then resamples once
        default = {"resample": 1.0, "scale": 0.7}.get(self.truncationCombo.currentData())
        if default is not None and self.truncationSpin.value() != default:
            self.truncationSpin.setValue(default)  # -> _on_truncation_widgets
        else:
            self._on_truncation_widgets()

    def _on_truncation_widgets(self, *_args) -> None:
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.latent.space import Truncation

        mode = self.truncationCombo.currentData()
        self.truncationSpin.setEnabled(mode != "off" and self.model_info is not None)
        try:
            self.truncation = Truncation(mode, self.truncationSpin.value() if mode != "off" else 1.0)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return
        if self.model_info is not None:
            self._resample_grid(select=self.sel_index if self.sel_index is not None else 0)

    def _resample_grid(self, select: int | None = None) -> None:
        from ganstudio.core.latent.space import sample_latents

        self.grid_origin = "seed"
        self.grid_z = sample_latents(GRID_SIZE, int(self.model_info["z_dim"]), self.seed, self.truncation)
        self.grid_labels = self._grid_labels(GRID_SIZE)
        self._request("grid", (self.grid_z, self.grid_labels))
        if select is not None:
            self.select_cell(min(select, GRID_SIZE - 1), keep_offsets=True)

    def set_grid_latents(self, z: np.ndarray, labels: list[int] | None = None, origin: str = "bookmark") -> None:
        """Show given latents in the grid (a bookmark of several latents)."""
        self.grid_origin = origin
        self.grid_z = np.asarray(z, np.float32)
        self.grid_labels = labels if labels is not None else self._grid_labels(len(self.grid_z))
        self._request("grid", (self.grid_z, self.grid_labels))
        self.select_cell(0)

    # ======================================================================================================
    # selection, directions, raw dimensions
    # ======================================================================================================
    def select_cell(self, index: int, keep_offsets: bool = False) -> None:
        if self.grid_z is None or not 0 <= index < len(self.grid_z):
            return
        label = self.grid_labels[index] if self.grid_labels is not None else None
        origin = f"grid cell {index + 1}" + (f" · seed {self.seed}" if self.grid_origin == "seed" else f" · {self.grid_origin}")
        self._select(self.grid_z[index], label, origin, index=index, keep_offsets=keep_offsets)

    def select_arithmetic(self, index: int) -> None:
        if self.arith_z is None or not 0 <= index < len(self.arith_z):
            return
        label = self.arith_labels[index] if self.arith_labels else None
        self._select(self.arith_z[index], label, "arithmetic result" + (f" (neighbour {index})" if index else ""))

    def select_frame(self, index: int) -> None:
        if self.frames_z is None or not 0 <= index < len(self.frames_z):
            return
        self.current_frame = index
        self.interpolationStrip.set_current(index)
        if 0 <= index < self.interpolationStrip.count():
            self.interpolationPreview.set_image(self.interpolationStrip.image(index))
        label = self.frames_labels[index] if self.frames_labels else None
        self._select(self.frames_z[index], label, f"interpolation frame {index + 1}/{len(self.frames_z)}")

    def _select(self, z: np.ndarray, label: int | None, origin: str, index: int | None = None,
                keep_offsets: bool = False) -> None:
        self.sel_index = index
        self.sel_base = np.array(z, dtype=np.float32, copy=True)
        self.sel_label = label
        self.sel_origin = origin
        self.latentGrid.set_current(index)
        if not keep_offsets:
            self._reset_alphas()
        self._sync_raw_sliders()
        self._request_view()

    def view_latent(self) -> np.ndarray | None:
        """The latent of the large view as requested now: the selection plus direction offsets."""
        if self.sel_base is None:
            return None
        z = self.sel_base.copy()
        if self.directions is not None and np.any(self.alphas):
            z = z + self.directions.offset(self.alphas)
        return z.astype(np.float32)

    def _request_view(self) -> None:
        z = self.view_latent()
        if z is None or self.model_info is None:
            return
        self._request("view", (z[None], self._labels(self.sel_label)))
        self._update_caption()

    def _update_caption(self) -> None:
        bits = [self.sel_origin] if self.sel_origin else []
        if self.sel_label is not None:
            bits.append(f"class {self.sel_label}")
        moved = [(k, a) for k, a in enumerate(self.alphas) if a]
        if moved:
            bits.append(", ".join(f"PC{k + 1} {a:+.2f}σ" for k, a in moved[:4]) + (" …" if len(moved) > 4 else ""))
        if self.truncation is not None and self.truncation.mode != "off" and self.grid_origin == "seed":
            bits.append(f"truncation {self.truncation.describe()}")
        self.selectionCaption.setText(" · ".join(bits))

    # --- principal directions ---------------------------------------------------------------------------
    def _start_directions(self) -> None:
        from ganstudio.core.latent.directions import cached_principal_directions

        if self._dir_job is not None:
            self._dir_job.stop()
        info = self.model_info
        job = JobWorker(cached_principal_directions, info["path"], self.cache_dir, use_ema=info.get("use_ema", True),
                        sha256=info["sha256"], n_samples=self.direction_samples, n_components=self.n_directions,
                        name="principal_directions")
        job.progress.connect(self._on_directions_progress)
        job.succeeded.connect(self._on_directions_ready)
        job.failed.connect(self._on_directions_failed)
        self._dir_job = job
        self.directionStatus.setText(f"Finding principal directions (PCA of the first block over "
                                     f"{self.direction_samples} samples)…")
        self.directionProgress.setValue(0)
        self.directionProgress.show()
        job.start()

    def _on_directions_progress(self, value) -> None:
        if self.sender() is self._dir_job and isinstance(value, (int, float)):
            self.directionProgress.setValue(int(100 * value))

    def _on_directions_failed(self, error: JobError) -> None:
        if self.sender() is not self._dir_job:
            return
        self.directionProgress.hide()
        self.directionStatus.setText("Principal directions are not available: " + error.message)

    def _on_directions_ready(self, directions) -> None:
        if self.sender() is not self._dir_job or self._closed:
            return
        self.directions = directions
        self.directionProgress.hide()
        total = float(np.sum(directions.explained)) * 100
        self.directionStatus.setText(
            f"{len(directions.stds)} principal directions of layer {directions.layer} ({total:.0f}% of its variance; "
            f"GANSpace). Sliders move ±{DIRECTION_RANGE:g} standard deviations.")
        self._build_direction_rows()
        self.alphas = np.zeros(len(directions.stds), np.float32)

    def _clear_direction_rows(self) -> None:
        for w in self.directionSliderWidgets + self.directionValueLabels:
            w.deleteLater()
        while self.directionGrid.count():
            item = self.directionGrid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.directionSliderWidgets, self.directionValueLabels = [], []

    def _build_direction_rows(self) -> None:
        self._clear_direction_rows()
        d = self.directions
        limit = int(DIRECTION_RANGE * SLIDER_UNITS)
        for k in range(len(d.stds)):
            name = QLabel(f"PC{k + 1}")
            name.setToolTip(f"Direction {k + 1}: {100 * float(d.explained[k]):.1f}% of the activation variance; "
                            f"one unit = {float(d.stds[k]):.2f} in z.")
            share = QLabel(f"{100 * float(d.explained[k]):4.1f}%")
            share.setProperty("muted", True)
            slider = QSlider(Qt.Horizontal)
            slider.setObjectName(f"directionSlider{k}")
            slider.setRange(-limit, limit)
            slider.setPageStep(SLIDER_UNITS // 2)
            slider.setValue(0)
            slider.valueChanged.connect(lambda v, i=k: self._on_direction_slider(i, v))
            value = QLabel("+0.00σ")
            value.setMinimumWidth(48)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            value.setStyleSheet("font-family: monospace;")
            self.directionGrid.addWidget(name, k, 0)
            self.directionGrid.addWidget(share, k, 1)
            self.directionGrid.addWidget(slider, k, 2)
            self.directionGrid.addWidget(value, k, 3)
            self.directionSliderWidgets.append(slider)
            self.directionValueLabels.append(value)
        self.directionGrid.setColumnStretch(2, 1)
        self.directionGrid.setRowStretch(len(d.stds), 1)

    def set_direction(self, k: int, alpha: float) -> None:
        """Move direction slider k to `alpha` standard deviations (as dragging it would)."""
        self.directionSliderWidgets[k].setValue(int(round(alpha * SLIDER_UNITS)))

    def _on_direction_slider(self, k: int, value: int) -> None:
        if k >= len(self.alphas):
            return
        self.alphas[k] = value / SLIDER_UNITS
        self.directionValueLabels[k].setText(f"{value / SLIDER_UNITS:+.2f}σ")
        self._request_view()

    def _reset_alphas(self) -> None:
        self.alphas = np.zeros(len(self.directionSliderWidgets), np.float32)
        for s, lab in zip(self.directionSliderWidgets, self.directionValueLabels):
            s.blockSignals(True)
            s.setValue(0)
            s.blockSignals(False)
            lab.setText("+0.00σ")

    def reset_directions(self) -> None:
        self._reset_alphas()
        self._request_view()

    # --- raw dimensions ------------------------------------------------------------------------------
    def _on_raw_toggled(self, on: bool) -> None:
        self.rawToggle.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        if on and not self.rawSliderWidgets and self.model_info is not None:
            self._build_raw_rows()
        self.rawScroll.setVisible(on)

    def _clear_raw_rows(self) -> None:
        while self.rawGrid.count():
            item = self.rawGrid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.rawSliderWidgets, self.rawValueLabels = [], []
        if self.rawToggle.isChecked():
            self.rawToggle.setChecked(False)

    def _build_raw_rows(self) -> None:
        limit = int(RAW_RANGE * SLIDER_UNITS)
        for j in range(int(self.model_info["z_dim"])):
            name = QLabel(f"z{j}")
            name.setProperty("muted", True)
            slider = QSlider(Qt.Horizontal)
            slider.setObjectName(f"rawSlider{j}")
            slider.setRange(-limit, limit)
            slider.valueChanged.connect(lambda v, i=j: self._on_raw_slider(i, v))
            value = QLabel("")
            value.setMinimumWidth(44)
            value.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            value.setStyleSheet("font-family: monospace;")
            self.rawGrid.addWidget(name, j, 0)
            self.rawGrid.addWidget(slider, j, 1)
            self.rawGrid.addWidget(value, j, 2)
            self.rawSliderWidgets.append(slider)
            self.rawValueLabels.append(value)
        self.rawGrid.setColumnStretch(1, 1)
        self._sync_raw_sliders()

    def _sync_raw_sliders(self) -> None:
        if not self.rawSliderWidgets or self.sel_base is None:
            return
        for j, (s, lab) in enumerate(zip(self.rawSliderWidgets, self.rawValueLabels)):
            s.blockSignals(True)
            s.setValue(int(round(float(self.sel_base[j]) * SLIDER_UNITS)))
            s.blockSignals(False)
            lab.setText(f"{float(self.sel_base[j]):+.2f}")

    def set_raw_dimension(self, j: int, value: float) -> None:
        """Set coordinate j of the selected latent (opens the raw section if needed)."""
        if not self.rawSliderWidgets:
            self.rawToggle.setChecked(True)
        self.rawSliderWidgets[j].setValue(int(round(value * SLIDER_UNITS)))

    def _on_raw_slider(self, j: int, value: int) -> None:
        if self.sel_base is None:
            return
        self.sel_base[j] = value / SLIDER_UNITS
        self.rawValueLabels[j].setText(f"{value / SLIDER_UNITS:+.2f}")
        if "edited" not in self.sel_origin:
            self.sel_origin = (self.sel_origin + " · edited").strip(" ·")
        self._request_view()

    # ======================================================================================================
    # interpolation
    # ======================================================================================================
    def add_keyframe(self) -> None:
        z = self.view_latent()
        if z is None:
            return
        self.keyframes.append((z, self.sel_label))
        self._request("keys", (np.stack([k for k, _ in self.keyframes]),
                               self._label_list([lab for _, lab in self.keyframes])))
        self._update_path()

    def clear_keyframes(self) -> None:
        self.keyframes.clear()
        self._stop_playing()
        self.keyframeStrip.set_images(None)
        self.renderer.cancel("keys")
        self._update_path()

    def set_interpolation(self, mode: str | None = None, steps: int | None = None) -> None:
        if mode is not None:
            self.interpModeCombo.setCurrentIndex(self.interpModeCombo.findData(mode))
        if steps is not None:
            self.stepsSpin.setValue(int(steps))

    def _label_list(self, labels: list[int | None]) -> list[int] | None:
        if not self.model_info or not self.model_info.get("n_classes"):
            return None
        return [int(lab or 0) for lab in labels]

    def _update_path(self, *_args) -> None:
        from ganstudio.core.latent.space import interpolate_path

        self._update_keyframe_info()
        if len(self.keyframes) < 2 or self.model_info is None:
            self.frames_z = None
            self.interpolationStrip.set_images(None)
            self.interpolationPreview.set_image(None)
            self.renderer.cancel("strip")
            return
        steps = self.stepsSpin.value()
        keys = np.stack([k for k, _ in self.keyframes])
        self.frames_z = interpolate_path(keys, steps, self.interpModeCombo.currentData())
        # a class label cannot be interpolated: each segment keeps its first keyframe's class
        seg_labels = [lab for _, lab in self.keyframes]
        labels = [seg_labels[min(i // steps, len(seg_labels) - 1)] for i in range(len(self.frames_z))]
        labels[-1] = seg_labels[-1]
        self.frames_labels = self._label_list(labels)
        self.current_frame = min(self.current_frame, len(self.frames_z) - 1)
        self._request("strip", (self.frames_z, self.frames_labels))
        self._update_keyframe_info()

    def _update_keyframe_info(self) -> None:
        n = len(self.keyframes)
        if n == 0:
            self.keyframeInfo.setText("Add two or more keyframes: select a sample, then + Keyframe.")
        elif n == 1:
            self.keyframeInfo.setText("1 keyframe; add another to interpolate.")
        else:
            frames = (n - 1) * self.stepsSpin.value() + 1
            self.keyframeInfo.setText(f"{n} keyframes · {frames} frames · {self.interpModeCombo.currentData()}")

    def frame_count(self) -> int:
        return self.interpolationStrip.count()

    def play(self, on: bool = True) -> None:
        if self.playButton.isChecked() != on:
            self.playButton.setChecked(on)  # -> play(on) again through toggled
            return
        if on and self.frames_z is not None:
            self._play_timer.start(int(1000 / self.fpsSpin.value()))
            self.playButton.setText("⏸ Pause")
        else:
            self._play_timer.stop()
            self.playButton.setText("▶ Play")
            if on:
                self.playButton.setChecked(False)

    def _stop_playing(self) -> None:
        self.play(False)

    def _on_fps(self, fps: int) -> None:
        if self._play_timer.isActive():
            self._play_timer.setInterval(int(1000 / fps))

    def _advance_frame(self) -> None:
        n = self.interpolationStrip.count()
        if n == 0:
            return
        self.current_frame = (self.current_frame + 1) % n
        self.interpolationStrip.set_current(self.current_frame)
        self.interpolationPreview.set_image(self.interpolationStrip.image(self.current_frame))

    # ======================================================================================================
    # arithmetic
    # ======================================================================================================
    def add_to_group(self, group: str) -> None:
        z = self.view_latent()
        if z is None:
            return
        self.groups[group].append((z, self.sel_label))
        self._request_groups()
        self._update_arithmetic()

    def clear_group(self, group: str) -> None:
        self.groups[group] = []
        self._request_groups()
        self._update_arithmetic()

    def _request_groups(self) -> None:
        members = [m for g in GROUPS for m in self.groups[g]]
        for g in GROUPS:
            if not self.groups[g]:
                self.groupViews[g].set_images(None)
        if members:
            self._request("groups", (np.stack([z for z, _ in members]), self._label_list([lab for _, lab in members])))
        else:
            self.renderer.cancel("groups")
        self._update_badges()

    def _update_arithmetic(self) -> None:
        from ganstudio.core.latent.space import arithmetic, arithmetic_variations

        if any(not self.groups[g] for g in GROUPS) or self.model_info is None:
            self.arith_z = None
            self.arithmeticGrid.set_images(None)
            self.renderer.cancel("arith")
            return
        result = arithmetic(*[[z for z, _ in self.groups[g]] for g in GROUPS])
        self.arith_z = arithmetic_variations(result, ARITH_VARIATIONS, noise=0.25, seed=0)
        # the class of the result: C's first sample's (the thing "added")
        label = self.groups["C"][0][1]
        if self.class_choice is not None:
            label = self.class_choice
        self.arith_labels = self._label_list([label] * ARITH_VARIATIONS)
        self._request("arith", (self.arith_z, self.arith_labels))

    def _update_badges(self) -> None:
        badges: dict[int, str] = {}
        if self.grid_z is not None:
            for g in GROUPS:
                for z, _ in self.groups[g]:
                    for i, gz in enumerate(self.grid_z):
                        if np.array_equal(z, gz):
                            badges[i] = badges.get(i, "") + g
        self.latentGrid.set_badges(badges)

    def _cell_menu(self, index: int, pos: QPoint) -> None:
        self.select_cell(index)
        menu = QMenu(self)
        for g in GROUPS:
            menu.addAction(f"Add to group {g}", lambda grp=g: self.add_to_group(grp))
        menu.addSeparator()
        menu.addAction("Add as keyframe", self.add_keyframe)
        menu.addAction("Bookmark…", lambda: self._bookmark_dialog("selection"))
        menu.addAction("Export…", lambda: self._export_dialog("selection"))
        menu.popup(pos)

    # ======================================================================================================
    # bookmarks
    # ======================================================================================================
    def _bookmark_of(self, what: str):
        from ganstudio.core.latent.bookmarks import Bookmark

        if self.model_info is None:
            raise ValueError("no model")
        model = {k: self.model_info[k] for k in ("path", "sha256", "name", "source", "use_ema")}
        if what == "grid":
            z, labels = self.shown_grid_z, self.shown_grid_labels
            meta = {"what": "grid", "origin": self.grid_origin, "columns": GRID_COLUMNS}
        else:
            # exactly the latent of the picture on screen (not one still being drawn)
            z = None if self.shown_view_z is None else self.shown_view_z[None]
            labels = None if self.shown_view_label is None else [self.shown_view_label]
            meta = {"what": "selection", "origin": self.sel_origin, "cell": self.sel_index,
                    "directions": {f"PC{k + 1}": float(a) for k, a in enumerate(self.alphas) if a}}
        if z is None:
            raise ValueError("nothing shown")
        return Bookmark(latents=np.asarray(z, np.float32), model=model, labels=labels, truncation=self.truncation,
                        seed=self.seed if self.grid_origin == "seed" else None, metadata=meta)

    def save_bookmark(self, path: str | Path, what: str = "selection") -> Path | None:
        """Write the selection (or the grid) as a JSON bookmark; returns the file written."""
        from ganstudio.core.latent.bookmarks import save_bookmark

        try:
            bm = self._bookmark_of(what)
            written = save_bookmark(path, bm)
        except ValueError:
            self.show_error("There is nothing to bookmark yet; open a model and select a sample first.")
            return None
        except OSError as exc:
            self.show_error(f"Cannot write the bookmark {path}: {exc.strerror or exc}.")
            return None
        pics = self.latentGrid.images() if what == "grid" else [self.latentView.image()]
        self._add_bookmark_item(written, bm, pics[0] if pics and pics[0] is not None else None)
        self.message.emit(f"Bookmark saved to {written}")
        return written

    def _add_bookmark_item(self, path: Path, bm, picture: np.ndarray | None) -> None:
        n = len(bm.latents)
        text = f"{path.stem}\n{n} latent{'s' if n != 1 else ''} · {bm.model.get('name', '?')}"
        item = QListWidgetItem(text)
        item.setData(Qt.UserRole, str(path))
        item.setToolTip(str(path))
        if picture is not None:
            qimg, arr = to_qimage(picture)
            item.setIcon(QIcon(QPixmap.fromImage(qimg.copy())))
        self.bookmarkList.insertItem(0, item)
        self.bookmarks.insert(0, {"path": str(path), "latents": n})

    def load_bookmark(self, path: str | Path) -> bool:
        """Show a bookmark: one latent becomes the selection, several the grid. A bookmark of another
        model is shown with a note; when no model is open, the bookmarked one is opened first."""
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.latent.bookmarks import load_bookmark

        try:
            bm = load_bookmark(path)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        model_path = bm.model.get("path")
        if self.model_info is None:
            if model_path and Path(model_path).is_file():
                self._after_load.append(lambda: self._apply_bookmark(bm, Path(path)))
                self.load_generator(model_path)
                return True
            self.show_error(f"Open a model first: the bookmark's model {model_path or '(unnamed)'} is not on this computer.")
            return False
        return self._apply_bookmark(bm, Path(path))

    def _apply_bookmark(self, bm, path: Path) -> bool:
        z_dim = int(self.model_info["z_dim"])
        if bm.latents.shape[1] != z_dim:
            self.show_error(f"The bookmark {path.name} holds latents of size {bm.latents.shape[1]}, but this model "
                            f"needs {z_dim}.")
            return False
        if bm.model.get("sha256") and bm.model["sha256"] != self.model_info["sha256"]:
            self.show_note(f"The bookmark {path.name} was made with {Path(bm.model.get('path', '?')).name}, another "
                           "model: its pictures here differ from the bookmarked ones.")
        else:
            self.clear_message()
        labels = bm.labels if self.model_info.get("n_classes") else None
        if len(bm.latents) == 1:
            self._select(bm.latents[0], labels[0] if labels else None, f"bookmark {path.stem}")
        else:
            self.set_grid_latents(bm.latents, labels, origin=f"bookmark {path.stem}")
        if not any(b["path"] == str(path) for b in self.bookmarks):
            self._add_bookmark_item(path, bm, None)
        return True

    def _on_bookmark_item(self, item: QListWidgetItem) -> None:
        self.load_bookmark(item.data(Qt.UserRole))

    def _bookmark_dialog(self, what: str) -> None:
        start = self.settings.last_folder("bookmarks") if self.settings is not None else str(Path.home())
        name = f"{(self.model_info or {}).get('name', 'sample')}-{what}-seed{self.seed}.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save bookmark", str(Path(start) / name), "Bookmarks (*.json)")
        if path:
            if self.settings is not None:
                self.settings.set_last_folder("bookmarks", Path(path).parent)
            self.save_bookmark(path, what)

    def _open_bookmark_dialog(self) -> None:
        start = self.settings.last_folder("bookmarks") if self.settings is not None else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open bookmark", start, "Bookmarks (*.json)")
        if path:
            self.load_bookmark(path)

    # ======================================================================================================
    # export
    # ======================================================================================================
    def export_scale(self) -> int:
        return int(self.exportScaleCombo.currentData())

    def _save_picture(self, picture: np.ndarray, path: str | Path) -> Path | None:
        from PIL import Image

        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(picture).save(path)
        except (OSError, ValueError) as exc:
            self.show_error(f"Cannot write {path}: {getattr(exc, 'strerror', None) or exc}.")
            return None
        self.message.emit(f"Saved {path}")
        return path

    def export_selection(self, path: str | Path, scale: int | None = None) -> Path | None:
        pic = self.latentView.image()
        if pic is None:
            self.show_error("There is no selected sample to export yet.")
            return None
        return self._save_picture(upscale(pic, scale or self.export_scale()), path)

    def export_grid(self, path: str | Path, scale: int | None = None) -> Path | None:
        if self.latentGrid.count() == 0:
            self.show_error("There is no sample grid to export yet.")
            return None
        return self._save_picture(upscale(tile(self.latentGrid.images(), GRID_COLUMNS), scale or self.export_scale()), path)

    def export_strip(self, path: str | Path, scale: int | None = None) -> Path | None:
        if self.interpolationStrip.count() == 0:
            self.show_error("There is no interpolation to export; add two or more keyframes first.")
            return None
        frames = self.interpolationStrip.images()
        strip = tile(frames, columns=len(frames), padding=0)
        return self._save_picture(upscale(strip, scale or self.export_scale()), path)

    def export_gif(self, path: str | Path, scale: int | None = None, fps: int | None = None) -> Path | None:
        """An animated GIF of the interpolation (one frame per strip frame, looping)."""
        from PIL import Image

        if self.interpolationStrip.count() == 0:
            self.show_error("There is no interpolation to export; add two or more keyframes first.")
            return None
        factor = scale or self.export_scale()
        frames = [Image.fromarray(upscale(f, factor)) for f in self.interpolationStrip.images()]
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            frames[0].save(path, save_all=True, append_images=frames[1:], loop=0, optimize=False,
                           duration=max(20, int(1000 / (fps or self.fpsSpin.value()))), disposal=1)
        except (OSError, ValueError) as exc:
            self.show_error(f"Cannot write {path}: {getattr(exc, 'strerror', None) or exc}.")
            return None
        self.message.emit(f"Saved {path}")
        return path

    def _export_dialog(self, what: str) -> None:
        start = self.settings.last_folder("export") if self.settings is not None else str(Path.home())
        suffix = "gif" if what == "gif" else "png"
        name = f"{(self.model_info or {}).get('name', 'explore')}-{what}.{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {what}", str(Path(start) / name),
                                              "GIF animation (*.gif)" if what == "gif" else "PNG image (*.png)")
        if not path:
            return
        if self.settings is not None:
            self.settings.set_last_folder("export", Path(path).parent)
        {"selection": self.export_selection, "grid": self.export_grid, "strip": self.export_strip,
         "gif": self.export_gif}[what](path)

    # ======================================================================================================
    # shutdown
    # ======================================================================================================
    def shutdown(self) -> None:
        """Stop the render thread, the directions job and the animation (the window calls this on close)."""
        if self._closed:
            return
        self._closed = True
        self._play_timer.stop()
        if self._dir_job is not None:
            self._dir_job.stop()
            self._dir_job.wait(10000)
        self.renderer.shutdown()
