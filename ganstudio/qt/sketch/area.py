"""The Sketch area: draw lines and colour hints, and a picture appears while you draw.

Layout: a tool column (`tools.ToolColumn`: pen, eraser, colour brush, eyedropper, palette, size,
undo/redo, clear, zoom), the canvas (`sketchCanvas`) and the output (`sketchOutput`) side by side, a
bar on top (`top_bar.TopBar`: the model, the mode, the seed, files and exports), and below the strip of
variants (`variants.VariantsPanel`), the latent-fit panel (`fit_panel.FitPanel`) and the model, timing
and message labels. `recovery_banner.RecoveryBanner` offers back a sketch after a crash.

How it is built (as the Explore area): `core.sketch.session.SketchSession` holds what the area shows and
decides what each change renders; the panels write the session and follow its events. This class is the
shell: it lays the panels out, owns the ModelRenderer, the latent-fit job, the autosave timer and the
recovery file, turns the session's `render` events into render requests, puts results on screen and
shows the area's messages.

Generation. The canvas's model-resolution layers become the generator input exactly as auto-paired
training data is built (`translate.input_from_layers` -> `sketch.strokes_to_sketch_input`; 3-channel
models get the lines as a black-on-white picture). Rendering runs in the ModelRenderer's thread (newest
request wins): while the pen moves the output is refreshed at most every `LIVE_INTERVAL_MS` (longer for
slow models), and at once when the pen is lifted; the model lives in the render thread, only numpy
copies and plain dicts cross threads. In "reference" mode (pix2pix's test phase: per-image batch-norm
statistics, dropout on) each variant is one seed: the chosen one is rendered first, the others fill
the strip afterwards; "Lock" keeps the chosen variant and skips the others.

Unconditional generators (DCGANs) have no input to draw into: the strokes steer z instead, with the
iGAN-style optimisation of `ganstudio.core.sketch.fit_latent` in a background JobWorker (progress, cancel), the
best few results shown in the strip as they improve.

Safety. Documents (strokes, colours, size, model, seed, mode) save as JSON atomically. Every
`AUTOSAVE_MS` the document, when changed, is written to a recovery file in `data_dir`; a clean
shutdown (`shutdown()`) or an explicit save marks the work safe. A recovery file newer than the last
clean save (a crash) is offered back on the next start (`recoveryBanner`). Opening, saving, exporting and the
recovery file are the `area_files.SketchFiles` mix-in.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.sketch.session import N_VARIANTS, SketchSession, live_delay_ms
from ganstudio.qt.render_worker import ModelRenderer, PartResult
from ganstudio.qt.sketch.area_files import SketchFiles
from ganstudio.qt.sketch.canvas import SketchCanvas
from ganstudio.qt.sketch.fit_panel import FitPanel
from ganstudio.qt.sketch.output_view import OutputView
from ganstudio.qt.sketch.recovery_banner import RecoveryBanner
from ganstudio.qt.sketch.tools import DEFAULT_COLOR, PALETTE, ToolColumn
from ganstudio.qt.sketch.top_bar import TopBar
from ganstudio.qt.sketch.variants import VariantsPanel
from ganstudio.qt.widgets.message_strip import AreaMessages, MessageStrip
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)

__all__ = ["AUTOSAVE_MS", "LIVE_INTERVAL_MS", "N_CANDIDATES", "PALETTE", "SketchArea", "default_data_dir", "edit_job"]

LIVE_INTERVAL_MS = 40  # output refresh while the pen moves
BOTTOM_HEIGHT = 104  # the variants strip, the fit panel, the model / timing / message labels
AUTOSAVE_MS = 3000
N_CANDIDATES = N_VARIANTS


DATA_DIR_ENV = "GANSTUDIO_DATA_DIR"  # tests and benchmarks keep the app data of each run apart


def default_data_dir() -> Path:
    """The autosave, the last sketch and pasted pictures: $GANSTUDIO_DATA_DIR/sketch, else the platform's
    app data folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env) / "sketch"
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".ganstudio")
    return Path(base) / "sketch"


# --- work done off the GUI thread --------------------------------------------------------------------------

def _sketchable(model) -> None:
    """Runs in the render thread after a model is opened: the Sketch area needs a picture generator."""
    from ganstudio.core.errors import ModelError
    from ganstudio.core.generators.handle import INPUT_POINTS

    if model.input_kind == INPUT_POINTS:
        raise ModelError(f"{model.path.name} is a 2-D toy model; the Sketch area needs an image model.")


_EDIT_MODELS: dict[tuple[str, float, str], Any] = {}


def edit_job(path: str, layers: tuple[np.ndarray, np.ndarray, np.ndarray], z_prev: np.ndarray | None,
             seed: int, n_starts: int = 16, steps: int = 60, device: str = "auto"):
    """Background latent fit (JobWorker): yields EditResults, returns the final one. The generator is
    loaded here (cached per file and device), in the job's own thread, on `device` ("auto": CUDA when
    present, else the CPU)."""
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.sketch.fit_latent import EditSettings, EditTarget, edit_latent

    key = (path, os.path.getmtime(path) if os.path.exists(path) else 0.0, device)
    model = _EDIT_MODELS.get(key)
    if model is None:
        _EDIT_MODELS.clear()
        model = _EDIT_MODELS[key] = open_generator(path, device=device)
    lines, rgb, mask = layers
    target = EditTarget(lines=lines, hint_rgb=rgb, hint_mask=mask)
    settings = EditSettings(n_starts=n_starts, steps=steps, keep=N_CANDIDATES, seed=seed, report_every=5)
    result = yield from edit_latent(model.module, target, model.z_dim, z_prev, settings,
                                    n_classes=model.n_classes, device=model.device)
    return result


# --- the area ----------------------------------------------------------------------------------------------

def _session_attr(name: str, writable: bool = False) -> property:
    def set_(self, value):
        setattr(self.session, name, value)

    return property(lambda self: getattr(self.session, name), set_ if writable else None,
                    doc=f"SketchSession.{name}" + ("" if writable else " (read only)") + ".")


def _panel_attr(panel: str, name: str) -> property:
    return property(lambda self: getattr(getattr(self, panel), name), doc=f"{panel}.{name}.")


class SketchArea(SketchFiles, AreaMessages, QWidget):
    """The Sketch area. `load_model(path)` opens a generator; the rest is driven by the panels (and the
    public methods below, which do what the panels do: open_image, open_sketch, save_sketch,
    export_output, export_side_by_side, choose_candidate, shuffle_candidates, start_edit,
    restore_recovery, shutdown). `device=` ("auto", "cpu", "cuda") is where the model renders and fits;
    `render_device` says where it does."""

    modelLoaded = Signal(dict)
    outputChanged = Signal()
    message = Signal(str)

    # What tests, benchmarks and the window read through the area: the session's values ...
    model_info = _session_attr("model_info")
    model_path = _session_attr("model_path")
    mode = _session_attr("mode")
    z_current = _session_attr("z_current")
    candidate_seeds = _session_attr("variant_seeds")
    current_candidate = _session_attr("chosen")
    edit_settings = _session_attr("fit_settings", writable=True)  # latent fit: random starts, Adam steps
    # ... and the panels' widgets (docs/ui-objects.md lists their objectNames)
    modelCombo, openModelButton = _panel_attr("top_bar", "modelCombo"), _panel_attr("top_bar", "openModelButton")
    modeCombo, seedSpin = _panel_attr("top_bar", "modeCombo"), _panel_attr("top_bar", "seedSpin")
    openImageButton, openSketchButton = _panel_attr("top_bar", "openImageButton"), _panel_attr("top_bar", "openSketchButton")
    saveSketchButton, exportButton = _panel_attr("top_bar", "saveSketchButton"), _panel_attr("top_bar", "exportButton")
    penTool, eraserTool = _panel_attr("tools", "penTool"), _panel_attr("tools", "eraserTool")
    colorTool, eyedropperTool = _panel_attr("tools", "colorTool"), _panel_attr("tools", "eyedropperTool")
    toolGroup, colorSwatch = _panel_attr("tools", "toolGroup"), _panel_attr("tools", "colorSwatch")
    paletteButtons, moreColorsButton = _panel_attr("tools", "paletteButtons"), _panel_attr("tools", "moreColorsButton")
    sizeSpin, undoButton, redoButton = (_panel_attr("tools", "sizeSpin"), _panel_attr("tools", "undoButton"),
                                        _panel_attr("tools", "redoButton"))
    clearButton, zoomFitButton = _panel_attr("tools", "clearButton"), _panel_attr("tools", "zoomFitButton")
    variantsLabel, lockCandidate = _panel_attr("variants_panel", "variantsLabel"), _panel_attr("variants_panel", "lockCandidate")
    shuffleButton, candidateStrip = _panel_attr("variants_panel", "shuffleButton"), _panel_attr("variants_panel", "candidateStrip")
    editPanel = property(lambda self: self.fit_panel, doc="The latent-fit panel (editPanel).")
    autoEditCheck, editButton = _panel_attr("fit_panel", "autoEditCheck"), _panel_attr("fit_panel", "editButton")
    editCancelButton, editProgress = _panel_attr("fit_panel", "editCancelButton"), _panel_attr("fit_panel", "editProgress")
    recoveryBanner = property(lambda self: self.recovery_banner, doc="The recovery banner (recoveryBanner).")
    recoveryLabel, restoreButton = _panel_attr("recovery_banner", "recoveryLabel"), _panel_attr("recovery_banner", "restoreButton")
    discardRecoveryButton = _panel_attr("recovery_banner", "discardRecoveryButton")

    def __init__(self, settings=None, parent: QWidget | None = None, *, data_dir: str | Path | None = None,
                 autosave_ms: int = AUTOSAVE_MS, live_interval_ms: int = LIVE_INTERVAL_MS, device: str = "auto"):
        super().__init__(parent)
        self.setObjectName("sketchArea")
        self._device_name = device  # the render thread and the latent fit open the model here
        self.settings = settings
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.session = SketchSession()
        self._release_time: float | None = None
        self._release_target: int | None = None  # version of "main" that shows the finished stroke
        self.release_latencies_ms: list[float] = []  # pen lifted -> output set
        self.render_ms: list[float] = []
        self.edit_job: JobWorker | None = None
        self._closed = False
        from ganstudio.core.sketch.recovery import SketchRecovery  # no PyTorch

        self.recovery = SketchRecovery(self.data_dir)
        self.last_output_time: float | None = None
        self.last_release_done: float | None = None  # when the picture of the last finished stroke was shown

        # parts: "main" (the chosen variant, or the latent's picture) and "candidates" (the variant strip)
        self.renderer = ModelRenderer("sketch", parent=self, accept=_sketchable, device=device)
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
        events = self.session.events
        events.loading.connect(lambda path: self.modelLabel.setText(f"Loading {Path(path).name}…"))
        events.seed.connect(self._on_seed)
        events.mode.connect(self._on_mode)
        events.chosen.connect(self._on_variant_chosen)
        events.render.connect(self._on_render_wanted)
        events.fit.connect(self.start_edit)
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
        session = self.session

        self.recovery_banner = RecoveryBanner()
        self.recovery_banner.restoreRequested.connect(self.restore_recovery)
        self.recovery_banner.discardRequested.connect(self.discard_recovery)
        root.addWidget(self.recovery_banner)

        self.top_bar = TopBar(session)
        self.top_bar.modelChosen.connect(self.load_model)
        self.top_bar.openModelRequested.connect(self.choose_model_file)
        self.top_bar.openImageRequested.connect(self.choose_image)
        self.top_bar.openSketchRequested.connect(self.choose_sketch)
        self.top_bar.saveSketchRequested.connect(self.choose_save_sketch)
        self.top_bar.exportRequested.connect(self._export_dialog)
        root.addWidget(self.top_bar)

        self.canvas = SketchCanvas(64)
        self.output = OutputView(self.settings)
        self.tools = ToolColumn(self.canvas, self.output)
        self.tools.note.connect(self.show_note)
        self.tools.install_shortcuts(self)
        self.canvas.strokeChanged.connect(self._on_stroke_changed)
        self.canvas.strokeFinished.connect(session.stroke_finished)
        self.canvas.documentChanged.connect(self._on_document_changed)
        self.canvas.fileDropped.connect(self.open_file)
        middle = QHBoxLayout()
        middle.setSpacing(6)
        middle.addWidget(self.tools)
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

        # The strip below has the variants' height: a long message wraps inside it instead of taking
        # height from the canvas (or, at the area's minimum, asking the window for more).
        strip = QWidget()
        strip.setObjectName("sketchBottom")
        strip.setFixedHeight(BOTTOM_HEIGHT)
        bottom = QHBoxLayout(strip)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.setSpacing(8)
        self.variants_panel = VariantsPanel(session)
        strip_smooth = self.variants_panel.candidateStrip.set_smooth  # the variants are shown as the output is
        strip_smooth(not self.output.exact_pixels)
        self.output.exactPixelsChanged.connect(lambda exact: strip_smooth(not exact))
        bottom.addWidget(self.variants_panel, 1)
        self.fit_panel = FitPanel(session)
        self.fit_panel.startRequested.connect(self.start_edit)
        self.fit_panel.cancelRequested.connect(self.cancel_edit)
        bottom.addWidget(self.fit_panel)
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
            w.setMinimumWidth(300)  # a wrapped label's own width is a guess: narrow, its lines outgrew the strip
            right.addWidget(w)
        right.addStretch(1)
        bottom.addLayout(right)
        root.addWidget(strip)
        self.fit_panel.setVisible(session.latent)

    def _list_models_and_load_default(self) -> None:
        self.refresh_models()
        bundled = self.top_bar.first_model()
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
    # tools (what the tool column does)
    # ======================================================================================================
    def set_tool(self, tool: str) -> None:
        self.tools.set_tool(tool)

    def set_color(self, color: QColor, select_brush: bool = False) -> None:
        self.tools.set_color(color, select_brush=select_brush)

    def choose_color(self) -> None:
        self.tools.choose_color()

    @staticmethod
    def canvas_color_default() -> QColor:
        return QColor(DEFAULT_COLOR)

    def output_pick_mode(self, on: bool) -> None:
        self.output.set_pick_mode(on)

    # ======================================================================================================
    # models
    # ======================================================================================================
    def refresh_models(self) -> None:
        self.top_bar.refresh()

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
        self._release_target = None
        self._live.stop()
        self.session.begin_load(path)
        return self.renderer.load(path)

    def set_device(self, device: str) -> None:
        """Render and fit on `device` ("auto", "cpu", "cuda") from now on: the model opens there again when it is
        elsewhere."""
        if device == self._device_name:
            return
        self._device_name = device
        self.renderer.set_device(device)
        if self.model_path is not None and (self.renderer.loading or self.renderer.loaded_elsewhere()):
            self.load_model(self.model_path)

    @property
    def model_ready(self) -> bool:
        return self.session.model_info is not None

    @property
    def render_device(self) -> str:
        """Where pictures are made: the loaded model's device ("cpu", "cuda:0"), or before a model has
        loaded the one asked for (`device=` of the constructor: "auto", "cpu" or "cuda")."""
        info = self.session.model_info
        return str(info["device"]) if info is not None and "device" in info else self._device_name

    def _on_model_loaded(self, info: dict[str, Any], seconds: float) -> None:
        if self._closed:
            return
        if self.settings is not None and hasattr(self.settings, "add_recent_model") and info.get("path"):
            self.settings.add_recent_model(info["path"])
        size = int(info["image_size"])
        if self.canvas.size_px != size:
            had = not self.canvas.is_empty()
            self.canvas.resize_document(size)
            if had:
                self.show_note(f"The sketch was carried over to {size}x{size} pixels, this model's size.")
        kind = {"sketch": "sketch input (lines + colour hints)", "image": "line drawing input (black on white)",
                "latent": "unconditional: strokes steer z (iGAN)"}[info["input_kind"]]
        self.modelLabel.setText(f"{info['title']}\n{size}x{size}, {kind}; loaded in {seconds:.2f} s")
        self.modelLabel.setToolTip(info.get("path", ""))
        self.clear_message()
        self.canvas.document.model_id = info.get("path")
        self.session.set_model(info)  # the panels follow; the picture (and its variants) is asked for
        self.refresh_models()
        self.modelLoaded.emit(dict(info))

    def _on_load_failed(self, err) -> None:
        if self._closed:
            return
        self.session.load_failed()
        self.modelLabel.setText("No model")
        self.refresh_models()
        self.show_error(f"The model could not be opened: {err.message}")

    # --- what the session changed ----------------------------------------------------------------------
    def _on_seed(self, seed: int) -> None:
        self.canvas.document.seed = int(seed)

    def _on_mode(self, mode: str) -> None:
        self.canvas.document.mode = mode

    def _on_variant_chosen(self, index: int) -> None:
        self._show_output(self.candidateStrip.image(index))

    # --- variants ------------------------------------------------------------------------------------
    def choose_candidate(self, index: int) -> None:
        """Make variant `index` of the strip the output."""
        self.session.choose_variant(index)

    def shuffle_candidates(self) -> None:
        self.session.shuffle()

    # ======================================================================================================
    # rendering
    # ======================================================================================================
    def _on_stroke_changed(self) -> None:
        if self.session.translating and not self._live.isActive():
            self._live.start(live_delay_ms(self.render_ms, self._live_interval_ms))

    def _on_document_changed(self) -> None:
        self._live.stop()
        self.session.document_changed()

    def _on_render_wanted(self, release: bool, candidates: bool) -> None:
        if release:
            self._release_time = time.perf_counter()
        self.request_render(release=release, candidates=candidates)

    def request_render(self, release: bool = False, candidates: bool = False) -> int | None:
        """Ask for a new output of the current sketch (the chosen variant); newest request wins.
        candidates=True renders the whole strip instead (the chosen variant among them) where variants
        are wanted. Returns the version of the part asked for."""
        from ganstudio.core.generators.handle import LatentRequest, SketchRequest

        if self._closed:
            return None
        plan = self.session.plan(candidates)
        if plan is None:
            return None
        if plan.z is not None:
            req = LatentRequest(plan.z)
        else:
            layers = self.canvas.model_layers()
            # Mid-stroke previews may run in bf16 where that pays; the picture after pen-up is exact fp32.
            fast = not release and bool((self.session.model_info or {}).get("fast_previews"))
            req = SketchRequest(layers.lines, layers.hint_rgb, layers.hint_mask, mode=self.session.mode, seeds=plan.seeds,
                                fast=fast)
        # The newest request may already cover this exact input (e.g. the live preview caught the last
        # point of the stroke): then it is not computed again. A new drawing's picture supersedes the
        # variants of the older one.
        version = self.renderer.request(plan.part, req, payload=self.session.next_request(), dedupe=True,
                                        immediate=True, supersedes=("candidates",) if plan.part == "main" else ())
        if release and plan.part == "main":
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
        session = self.session
        for name in ("main", "candidates"):
            part = parts.get(name)
            if part is None or not session.take_result(part.payload):
                continue  # an older request finished after a newer one was shown
            self.render_ms.append(part.ms)
            if name == "candidates":
                session.note_variants_shown(len(part.pixels))
                self.variants_panel.show_variants(list(part.pixels), session.chosen)
                self._show_output(part.pixels[session.chosen])
                continue
            self._show_output(part.pixels[0])
            if self._release_target is not None and part.version >= self._release_target:
                self._release_target = None
                self._record_release_latency(self.last_output_time)
                if session.follow_with_variants(part.version, self.renderer.requested_version("main")):
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

    def _on_render_failed(self, err, _parts: list[str]) -> None:
        if not self._closed:
            self.show_error(err.message)

    # ======================================================================================================
    # latent fitting (unconditional generators)
    # ======================================================================================================
    def start_edit(self) -> JobWorker | None:
        start = self.session.fit_start()
        if start is None or self._closed:
            return None
        layers = self.canvas.model_layers()
        if not (layers.lines.any() or layers.hint_mask.any()):
            return None
        self.cancel_edit()
        z_prev, seed = start
        self.edit_job = start_job(edit_job, self.session.model_info["path"], (layers.lines, layers.hint_rgb, layers.hint_mask),
                                  z_prev, seed, on_progress=self._on_edit_progress, on_done=self._on_edit_done,
                                  on_error=self._on_edit_failed, on_cancelled=self._on_edit_cancelled, owner=self,
                                  name="sketch-edit", progress_interval=0.1, device=self._device_name,
                                  **self.session.fit_settings)
        self.fit_panel.set_running(True)
        return self.edit_job

    def cancel_edit(self) -> None:
        if self.edit_job is not None:
            self.edit_job.stop()
            self.edit_job = None
        self.fit_panel.set_running(False)

    def _show_edit(self, result) -> None:
        self.session.note_fit(result.z)
        self.variants_panel.show_fits(list(result.images))
        self._show_output(result.images[0])
        self.fit_panel.show_progress(result.step, result.steps)
        self.latencyLabel.setText(f"fit step {result.step}/{result.steps}, loss {result.best_loss:.3f}")

    def _edit_ended(self) -> None:
        self.edit_job = None
        self.fit_panel.set_running(False)

    def _on_edit_progress(self, result) -> None:
        if self.sender() is self.edit_job:
            self._show_edit(result)

    def _on_edit_done(self, result) -> None:
        if self.sender() is self.edit_job:
            self._show_edit(result)
            self._edit_ended()

    def _on_edit_failed(self, err) -> None:
        if self.sender() is self.edit_job:
            self.show_error(f"Fitting the strokes failed: {err.message}")
            self._edit_ended()

    def _on_edit_cancelled(self) -> None:
        if self.sender() is self.edit_job:
            self._edit_ended()

    def shutdown(self) -> None:
        """Clean exit: stop the workers and mark the work safe (no recovery offer next time)."""
        if self._closed:
            return
        self._closed = True
        self._autosave.stop()
        self._live.stop()
        self.edit_job = None
        stop_jobs(self, 10000)
        self.renderer.shutdown()
        # The sketch itself comes back next time (with the model it names, or the one loading now) ...
        self.recovery.keep_last(self.current_document())
        # ... so this session's work is safe; an unanswered offer of a crashed sketch stays on offer next time.
        self.recovery.close()
