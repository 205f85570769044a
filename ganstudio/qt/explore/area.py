"""The Explore area: walk the latent space of a trained generator, reproducibly.

What the user sees: a 4x4 grid of samples (seeded, with truncation and, for conditional models, a
class), the selected sample large, sliders along GANSpace principal directions (and, folded away, one
per z dimension), an interpolation strip through keyframes that plays and exports as PNG/GIF, latent
arithmetic (A - B + C) with a grid of neighbours, and bookmarks: JSON files that
`ganstudio sample CHECKPOINT --latent FILE.json` renders to exactly the pixels on screen.

How it is built (napari's evented model + widgets): `core.latent.explore_state.ExploreState` holds what
the area shows and does the maths on it; one small panel per concern (`model_bar`, `samples`,
`selection`, `directions`, `interpolation`, `arithmetic`, `bookmarks`) writes the state and follows its
events. This class is the shell: it lays the panels out, owns the ModelRenderer and the directions job,
turns the state's render-part events into render requests, puts the results on screen and shows the
area's messages.

How it renders: all drawing requests go through one ModelRenderer (qt/render_worker: newest request
wins). Each part (grid, view, strip, keys, groups, arith) has a version; every submit carries all
pending parts, so a request that the worker drops is covered by the newer one. A slider move changes
only the view: one forward pass of batch 1; the 16-sample grid is one batched pass. The model is
loaded and used only in the render thread; requests and results are plain numpy arrays, strings and
numbers. Principal directions are computed once per weights file in a JobWorker (which opens its own
copy of the model) and cached on disk.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ganstudio.core.errors import GanStudioError
from ganstudio.core.imaging import upscale
from ganstudio.core.latent.explore_state import GRID_COLUMNS, RENDER_PARTS, ExploreState
from ganstudio.qt.explore.arithmetic import ArithmeticPanel
from ganstudio.qt.explore.bookmarks import BookmarksPanel
from ganstudio.qt.explore.directions import DirectionsPanel
from ganstudio.qt.explore.export import tile, write_gif, write_png
from ganstudio.qt.explore.interpolation import InterpolationPanel
from ganstudio.qt.explore.model_bar import ModelBar
from ganstudio.qt.explore.projection import ProjectionPanel
from ganstudio.qt.explore.samples import SamplesPanel
from ganstudio.qt.explore.selection import SelectionPanel
from ganstudio.qt.render_worker import ModelRenderer, PartResult
from ganstudio.qt.widgets.ask import may_open_named_model
from ganstudio.qt.widgets.message_strip import AreaMessages, MessageStrip
from ganstudio.qt.workers import JobError, JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)

__all__ = ["ExplorerArea", "default_cache_dir", "tile", "upscale"]


def default_cache_dir() -> Path:
    """Where principal directions are cached: $GANSTUDIO_CACHE_DIR, else the platform's cache folder."""
    env = os.environ.get("GANSTUDIO_CACHE_DIR")
    if env:
        return Path(env) / "directions"
    base = QStandardPaths.writableLocation(QStandardPaths.CacheLocation) or str(Path.home() / ".cache" / "ganstudio")
    return Path(base) / "directions"


def _explorable(model) -> None:
    """Runs in the render thread after a model is opened: Explore needs an image generator of z."""
    from ganstudio.core.errors import ModelError
    from ganstudio.core.generators.handle import INPUT_LATENT, INPUT_POINTS

    if model.input_kind == INPUT_POINTS:
        raise ModelError(f"{model.path.name} is a 2-D toy model; the Explore area shows image generators.")
    if model.input_kind != INPUT_LATENT:
        raise ModelError(f"{model.path.name} is an image-to-image model without a latent space; open it in the Sketch area.")


def _projection_job(model_path: str, picture: str, settings, use_ema: bool, sha256: str, device: str):
    """Runs in a JobWorker: opens its own copy of the model (the render thread keeps its own), sends the
    target picture, then the projection's reports; returns the final ProjectionResult."""
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.imaging import to_uint8
    from ganstudio.core.latent.projection import load_target, projection_job

    gen = open_generator(model_path, device=device, use_ema=use_ema, sha256=sha256)
    target = load_target(picture, gen.image_size, gen.channels)
    yield ("target", to_uint8(target)[0])
    return (yield from projection_job(gen, target, settings))


def _state_attr(name: str) -> property:
    return property(lambda self: getattr(self.state, name), doc=f"ExploreState.{name} (read only).")


def _panel_attr(panel: str, name: str) -> property:
    return property(lambda self: getattr(getattr(self, panel), name), doc=f"{panel}.{name}.")


class ExplorerArea(AreaMessages, QWidget):
    """The Explore area. `load_generator(path)` opens a checkpoint, run folder, bundled model or
    pytorch/examples `netG_*.pth`; everything else is driven from the panels (and the public methods
    below, which do what the panels do). `device=` ("auto", "cpu", "cuda") is where the render thread
    runs the model; `render_device` says where it does."""

    modelLoaded = Signal(dict)  # model info (path, sha256, z_dim, n_classes, image_size, ...)
    message = Signal(str)  # a short status-bar text
    partsDrawn = Signal(dict)  # {part: version} just put on screen (grid, view, strip, keys, groups, arith)

    # What tests, benchmarks and screenshots read through the area: the state's values ...
    model_info = _state_attr("model_info")
    seed = _state_attr("seed")
    truncation = _state_attr("truncation")
    class_choice = _state_attr("class_choice")
    grid_z, grid_labels, grid_origin = _state_attr("grid_z"), _state_attr("grid_labels"), _state_attr("grid_origin")
    shown_grid_z, shown_grid_labels = _state_attr("shown_grid_z"), _state_attr("shown_grid_labels")
    sel_index, sel_base, sel_label, sel_origin = (_state_attr("sel_index"), _state_attr("sel_base"),
                                                  _state_attr("sel_label"), _state_attr("sel_origin"))
    directions, alphas = _state_attr("directions"), _state_attr("alphas")
    shown_view_z, shown_view_label = _state_attr("shown_view_z"), _state_attr("shown_view_label")
    keyframes, frames_z, frames_labels = _state_attr("keyframes"), _state_attr("frames_z"), _state_attr("frames_labels")
    current_frame = _state_attr("current_frame")
    groups, arith_z, arith_labels = _state_attr("groups"), _state_attr("arith_z"), _state_attr("arith_labels")
    bookmarks = _state_attr("bookmarks")
    # ... and the panels' widgets (docs/ui-objects.md lists their objectNames)
    modelCombo, modelInfoLabel = _panel_attr("model_bar", "modelCombo"), _panel_attr("model_bar", "modelInfoLabel")
    renderTimeLabel = _panel_attr("model_bar", "renderTimeLabel")
    seedSpin, reseedButton = _panel_attr("samples_panel", "seedSpin"), _panel_attr("samples_panel", "reseedButton")
    classCombo = _panel_attr("samples_panel", "classCombo")
    truncationCombo, truncationSpin = _panel_attr("samples_panel", "truncationCombo"), _panel_attr("samples_panel", "truncationSpin")
    latentGrid = _panel_attr("samples_panel", "latentGrid")
    latentView = _panel_attr("selection_panel", "latentView")
    selectionCaption = _panel_attr("selection_panel", "selectionCaption")
    directionRows = _panel_attr("directions_panel", "directionRows")
    directionSliderWidgets = _panel_attr("directions_panel", "directionSliderWidgets")
    directionValueLabels = _panel_attr("directions_panel", "directionValueLabels")
    directionProgress = _panel_attr("directions_panel", "directionProgress")
    rawScroll, rawSliderWidgets = _panel_attr("directions_panel", "rawScroll"), _panel_attr("directions_panel", "rawSliderWidgets")
    keyframeInfo, keyframeStrip = _panel_attr("interpolation_panel", "keyframeInfo"), _panel_attr("interpolation_panel", "keyframeStrip")
    interpolationStrip = _panel_attr("interpolation_panel", "interpolationStrip")
    interpolationPreview = _panel_attr("interpolation_panel", "interpolationPreview")
    fpsSpin, playButton = _panel_attr("interpolation_panel", "fpsSpin"), _panel_attr("interpolation_panel", "playButton")
    _play_timer = _panel_attr("interpolation_panel", "play_timer")
    groupViews, arithmeticGrid = _panel_attr("arithmetic_panel", "groupViews"), _panel_attr("arithmetic_panel", "arithmeticGrid")
    bookmarkList = _panel_attr("bookmarks_panel", "bookmarkList")

    def __init__(self, settings=None, parent: QWidget | None = None, *, cache_dir: str | Path | None = None,
                 direction_samples: int = 3000, n_directions: int = 16, device: str = "auto"):
        super().__init__(parent)
        self.setObjectName("explorerArea")
        self.settings = settings
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.direction_samples = direction_samples
        self.n_directions = n_directions
        self.state = ExploreState()
        self._loading_path: str | None = None
        self._loaded_request: str | None = None  # what load_generator was given for the model shown
        self._after_load: list = []
        # rendering
        self._device_name = device
        self.renderer = ModelRenderer("explorer", parent=self, accept=_explorable, identity=True, device=device)
        self.renderer.loaded.connect(self._on_model_ready)
        self.renderer.loadFailed.connect(self._on_load_failed)
        self.renderer.partsRendered.connect(self._on_rendered)
        self.renderer.renderFailed.connect(self._on_render_failed)
        self.latencies: deque[tuple[tuple[str, ...], float, float]] = deque(maxlen=2000)  # (parts, ms, render ms)
        self.last_render_ms: float | None = None
        self._dir_job: JobWorker | None = None
        self._project_job: JobWorker | None = None
        self._project_latest = None  # the newest progress report of the projection job
        self._project_started = 0.0
        self._closed = False

        self._build()
        for part in RENDER_PARTS:
            self.state.events[part].connect(partial(self._request_part, part))
        self._dir_method = "ganspace"  # the method of the directions job last started
        self.state.events.style.connect(self._on_style_changed)
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
        state = self.state
        self.model_bar = ModelBar(self.settings)
        self.model_bar.modelChosen.connect(self.load_generator)
        self.model_bar.openRequested.connect(self.choose_model_file)
        root.addWidget(self.model_bar)
        self.messageLabel = MessageStrip("explorerMessage")
        root.addWidget(self.messageLabel)

        self.samples_panel = SamplesPanel(state)
        self.selection_panel = SelectionPanel(state)
        self.directions_panel = DirectionsPanel(state, failed=self.show_error)
        self.arithmetic_panel = ArithmeticPanel(state)
        self.bookmarks_panel = BookmarksPanel(state, self._picture_of)
        self.interpolation_panel = InterpolationPanel(state)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("explorerTabs")
        self.tabs.setMinimumWidth(300)
        self.tabs.addTab(self.directions_panel, "Directions")
        self.tabs.addTab(self.arithmetic_panel, "Arithmetic")
        self.tabs.addTab(self.bookmarks_panel, "Bookmarks")
        self.projection_panel = ProjectionPanel()
        self.tabs.addTab(self.projection_panel, "Photo")

        split = QSplitter(Qt.Horizontal)
        split.setObjectName("explorerSplitter")
        split.setChildrenCollapsible(False)
        for i, (panel, stretch) in enumerate(((self.samples_panel, 5), (self.selection_panel, 5), (self.tabs, 4))):
            split.addWidget(panel)
            split.setStretchFactor(i, stretch)
        split.setSizes([430, 420, 380])
        root.addWidget(split, 1)
        root.addWidget(self.interpolation_panel)

        self.samples_panel.failed.connect(self.show_error)
        for panel in (self.samples_panel, self.selection_panel, self.interpolation_panel):
            panel.exportRequested.connect(self._export_dialog)
        for signal in (self.samples_panel.bookmarkRequested, self.selection_panel.bookmarkRequested,
                       self.bookmarks_panel.saveRequested):
            signal.connect(self._bookmark_dialog)
        self.bookmarks_panel.openRequested.connect(self._open_bookmark_dialog)
        self.bookmarks_panel.bookmarkChosen.connect(self.load_bookmark)
        self.projection_panel.openRequested.connect(self._project_dialog)
        self.projection_panel.projectRequested.connect(self.project_photo)
        self.projection_panel.stopRequested.connect(self.stop_projection)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._models_listed:
            self._models_listed = True
            QTimer.singleShot(0, self.refresh_models)

    # ======================================================================================================
    # model list, loading (messages: AreaMessages)
    # ======================================================================================================
    def refresh_models(self) -> None:
        """Fill the model list: bundled models, then the recent checkpoints the app knows."""
        self._models_listed = True
        self.model_bar.refresh(self.state.model_info["path"] if self.state.model_info else None)

    def choose_model_file(self) -> None:
        from ganstudio.core.generators.formats import file_dialog_filter

        start = self.settings.last_folder("explore") if self.settings is not None else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a generator", start, file_dialog_filter())
        if path:
            if self.settings is not None:
                self.settings.set_last_folder("explore", Path(path).parent)
            self.load_generator(path)

    def load_generator(self, path: str | Path) -> None:
        """Open a generator in the background; the grid appears when it has loaded. Errors are shown in
        the area as one sentence; the previous model (if any) stays."""
        self._loading_path = str(path)
        self.clear_message()
        self.model_bar.show_loading(path)
        self.renderer.load(str(path), use_ema=True)  # parts drawn for the previous model are dropped

    def _on_model_ready(self, info: dict[str, Any], _seconds: float = 0.0) -> None:
        if self.settings is not None and hasattr(self.settings, "add_recent_model") and info.get("path"):
            self.settings.add_recent_model(info["path"])
        self._loaded_request, self._loading_path = self._loading_path, None
        self._drop_projection()  # a projection into the previous model's latent no longer applies
        self.state.set_model(info)  # the panels reset themselves
        self.model_bar.show_model(info)
        self.refresh_models()
        self.state.resample_grid(select=0)
        self._start_directions()
        self.modelLoaded.emit(dict(info))
        self.message.emit(f"Explore: loaded {info['name']}")
        after, self._after_load = self._after_load, []
        for fn in after:
            fn()

    @property
    def loading(self) -> bool:
        """A model is being opened (the window's first-use default waits for nothing else)."""
        return self._loading_path is not None

    # --- what the area remembers between sessions ----------------------------------------------------------
    def remembered(self) -> dict[str, Any] | None:
        """The model (bundled name or path), seed, class, truncation, selected cell and direction offsets
        (None without a model): plain values for the settings."""
        return self.state.remembered()

    def restore_session(self, saved: dict[str, Any] | None) -> list[str]:
        """Open what `remembered` kept, or with nothing kept (or its model gone) the bundled digits model:
        a first visit shows samples, not an empty page. Returns what could not be restored."""
        from ganstudio.core.generators.catalogue import list_bundled
        from ganstudio.core.latent.explore_state import model_path_of

        problems: list[str] = []
        path = model_path_of(saved.get("model")) if saved else None
        if saved and path is None:
            problems.append("the Explore model (moved or deleted)")
        if path is not None:
            self._after_load.append(lambda: self._restore_state(saved, path, problems))
        else:
            bundled = [m for m in list_bundled(area="explore") if m.kind == "conditional"] or list_bundled(area="explore")
            if not bundled:
                return problems
            path = str(bundled[0].path)
        self.load_generator(path)
        return problems

    def _restore_state(self, saved: dict[str, Any], path: str, problems: list[str]) -> None:
        if self._loaded_request != path:
            return  # another model was opened meanwhile
        skipped = self.state.restore(saved)
        if skipped:
            self.message.emit(f"Explore: not restored from last time: {', '.join(skipped)}.")

    def set_device(self, device: str) -> None:
        """Render on `device` ("auto", "cpu", "cuda") from now on: the model opens there again with the
        same seed, class, truncation, selection and offsets when it is elsewhere."""
        if device == self._device_name:
            return
        self._device_name = device
        self.renderer.set_device(device)
        saved = self.remembered()
        if saved is not None and (self.renderer.loading or self.renderer.loaded_elsewhere()):
            self.restore_session(saved)

    def set_export_scale(self, scale: int) -> None:
        self.selection_panel.set_export_scale(scale)

    def _on_load_failed(self, error: JobError) -> None:
        if self._closed:
            return
        self._loading_path = None
        self.model_bar.show_model(self.state.model_info)
        self._after_load = []
        self.show_error(error.message)

    # ======================================================================================================
    # render requests and results
    # ======================================================================================================
    def _request_part(self, part: str) -> None:
        """A render part of the state changed: ask for its new content, or forget it when there is none."""
        from ganstudio.core.generators.handle import LatentRequest

        batch = self.state.batch(part)
        if batch is None:
            self.renderer.cancel(part)
            return
        z, labels = batch
        self.renderer.request(part, LatentRequest(np.ascontiguousarray(z, np.float32), labels,
                                                  truncation_psi=self.state.psi, style=self.state.style_of(part)))

    def requested_version(self, part: str) -> int:
        """The newest version of `part` asked for (compare with partsDrawn to measure latency)."""
        return self.renderer.requested_version(part)

    def is_idle(self) -> bool:
        """Nothing waiting to be drawn and nothing being drawn (tests and benchmarks wait for this)."""
        return self.renderer.is_idle()

    @property
    def render_device(self) -> str:
        """Where pictures are made: the loaded model's device ("cpu", "cuda:0"), or before a model has
        loaded the one asked for (`device=` of the constructor: "auto", "cpu" or "cuda")."""
        info = self.state.model_info
        return str(info["device"]) if info is not None and "device" in info else self._device_name

    def _on_rendered(self, parts: dict[str, PartResult], seconds_ms: float, total_ms: float) -> None:
        if self._closed:
            return
        samples, versions_drawn = 0, {}
        for name, part in parts.items():
            req = part.request
            self.state.note_shown(name, req.z, req.labels, req.truncation_psi, req.style)
            self._show_part(name, part.pixels)
            samples += len(part.pixels)
            versions_drawn[name] = part.version
        drawn = sorted(parts)
        self.last_render_ms = seconds_ms
        self.latencies.append((tuple(drawn), total_ms, seconds_ms))
        self.model_bar.show_render_time(seconds_ms, total_ms, drawn, samples)
        self.partsDrawn.emit(versions_drawn)

    def _show_part(self, name: str, pictures: np.ndarray) -> None:
        if name == "grid":
            self.samples_panel.show_grid(pictures)
        elif name == "view":
            self.selection_panel.show_view(pictures[0])
        elif name == "strip":
            self.interpolation_panel.show_strip(pictures)
        elif name == "keys":
            self.interpolation_panel.show_keys(pictures)
        elif name == "groups":
            self.arithmetic_panel.show_groups(pictures)
        elif name == "arith":
            self.arithmetic_panel.show_result(pictures)

    def _on_render_failed(self, error: JobError, _parts: list[str]) -> None:
        if not self._closed:
            self.show_error(error.message)

    # ======================================================================================================
    # what the panels do, as methods (tests, benchmarks and the window call these)
    # ======================================================================================================
    def set_seed(self, seed: int) -> None:
        self.state.set_seed(seed)

    def reseed(self) -> None:
        """A new random seed for the grid (shown in the seed box, so it can be typed in again)."""
        self.state.reseed()

    def set_class(self, k: int | None) -> None:
        """None: mixed classes (cell i shows class i % n_classes); k: every sample of class k."""
        self.state.set_class(k)

    def set_truncation(self, mode: str, value: float | None = None) -> None:
        """mode off / resample / scale (z), or "w" for StyleGAN models (psi toward w_avg)."""
        self.samples_panel.set_truncation(mode, value)

    def set_mixing(self, seed: int | None, layers: str | None = None) -> None:
        """StyleGAN style mixing of the view: `layers` (coarse, middle, fine) from the latent of `seed`."""
        self.directions_panel.style_panel.set_mixing(seed, layers)

    def set_direction_layers(self, layers: str) -> None:
        """StyleGAN: the layers (all, coarse, middle, fine) the principal directions in W move."""
        self.directions_panel.style_panel.set_direction_layers(layers)

    def set_grid_latents(self, z: np.ndarray, labels: list[int] | None = None, origin: str = "bookmark") -> None:
        """Show given latents in the grid (a bookmark of several latents)."""
        self.state.set_grid_latents(z, labels, origin)

    def select_cell(self, index: int, keep_offsets: bool = False) -> None:
        self.state.select_cell(index, keep_offsets)

    def select_arithmetic(self, index: int) -> None:
        self.state.select_arithmetic(index)

    def select_frame(self, index: int) -> None:
        self.state.select_frame(index)

    def view_latent(self) -> np.ndarray | None:
        """The latent of the large view as requested now: the selection plus direction offsets."""
        return self.state.view_latent()

    def set_direction(self, k: int, alpha: float) -> None:
        """Move direction slider k to `alpha` standard deviations (as dragging it would)."""
        self.state.set_direction(k, alpha)

    def reset_directions(self) -> None:
        self.state.reset_directions()

    def set_raw_dimension(self, j: int, value: float) -> None:
        """Set coordinate j of the selected latent (opens the raw section if needed)."""
        self.directions_panel.open_raw()
        self.state.set_raw_dimension(j, value)

    def add_keyframe(self) -> None:
        self.state.add_keyframe()

    def clear_keyframes(self) -> None:
        self.state.clear_keyframes()

    def set_interpolation(self, mode: str | None = None, steps: int | None = None) -> None:
        self.state.set_interpolation(mode, steps)

    def frame_count(self) -> int:
        return self.interpolation_panel.frame_count()

    def play(self, on: bool = True) -> None:
        self.interpolation_panel.play(on)

    def add_to_group(self, group: str) -> None:
        self.state.add_to_group(group)

    def clear_group(self, group: str) -> None:
        self.state.clear_group(group)

    # ======================================================================================================
    # principal directions
    # ======================================================================================================
    def set_direction_method(self, method: str) -> None:
        """StyleGAN: directions in W from "ganspace" (PCA of w) or "sefa" (closed form)."""
        self.directions_panel.style_panel.directionMethodCombo.setCurrentIndex(
            self.directions_panel.style_panel.directionMethodCombo.findData(method))

    def _on_style_changed(self) -> None:
        if self.state.model_info is not None and self.state.direction_method != self._dir_method:
            self._start_directions()

    def _start_directions(self) -> None:
        from ganstudio.core.latent.directions import SEFA, cached_principal_directions

        if self._dir_job is not None:
            self._dir_job.stop()
        info = self.state.model_info
        self._dir_method = self.state.direction_method
        layer = SEFA if self._dir_method == "sefa" else None
        self.directions_panel.show_computing(self.direction_samples)
        self._dir_job = start_job(
            cached_principal_directions, info["path"], self.cache_dir, use_ema=info.get("use_ema", True),
            sha256=info["sha256"], n_samples=self.direction_samples, n_components=self.n_directions, layer=layer,
            name="principal_directions", owner=self, on_progress=self._on_directions_progress,
            on_done=self._on_directions_ready, on_error=self._on_directions_failed)

    def _on_directions_progress(self, value) -> None:
        if self.sender() is self._dir_job and isinstance(value, (int, float)):
            self.directions_panel.show_progress(value)

    def _on_directions_failed(self, error: JobError) -> None:
        if self.sender() is self._dir_job:
            self.directions_panel.show_unavailable(error.message)

    def _on_directions_ready(self, directions) -> None:
        if self.sender() is self._dir_job and not self._closed:
            self.state.set_directions(directions)

    # ======================================================================================================
    # projecting a photo (core.latent.projection in a JobWorker with its own copy of the model)
    # ======================================================================================================
    def project_photo(self, path: str | Path, steps: int = 200, wplus: bool = False, starts: int = 0,
                      seed: int = 0) -> bool:
        """Project the picture at `path` into the open model's latent in the background; the reconstruction
        shows while it optimises and the result becomes the selection. False (and one sentence) when it cannot start."""
        import time

        from ganstudio.core.latent.projection import ProjectSettings

        info = self.state.model_info
        if info is None:
            self.show_error("Open a model before projecting a photo.")
            return False
        if self.projecting:
            self.show_error("A photo is being projected; stop it first.")
            return False
        label = self.state.sel_label if self.state.n_classes else None
        try:
            kind = {} if not starts else {"w_starts" if self.state.is_stylegan else "n_starts": int(starts)}
            settings = ProjectSettings(steps=int(steps), seed=int(seed), wplus=bool(wplus), label=label or 0,
                                       **kind).check()
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        self.clear_message()
        self._project_latest = None
        self._project_started = time.perf_counter()
        self.tabs.setCurrentWidget(self.projection_panel)
        self.projection_panel.show_running(str(path), None)
        self._project_job = start_job(
            _projection_job, info["path"], str(path), settings, info.get("use_ema", True), info["sha256"],
            self.render_device, name="projection", owner=self, on_progress=self._on_projection_progress,
            on_done=self._on_projection_done, on_error=self._on_projection_failed,
            on_cancelled=self._on_projection_cancelled)
        return True

    def _drop_projection(self) -> None:
        if self._project_job is not None:
            if self.projecting:
                self._project_job.stop()
                self.projection_panel.show_failed()
                self.projection_panel.statusLabel.setText("Stopped: another model was opened.")
            self._project_job = None  # its late results are stale

    def stop_projection(self) -> None:
        if self._project_job is not None:
            self._project_job.stop()

    @property
    def projecting(self) -> bool:
        return self._project_job is not None and not self.projection_panel.idle()

    def _project_dialog(self) -> None:
        start = self.settings.last_folder("photos") if self.settings is not None else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Project a photo", start,
                                              "Pictures (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)")
        if path:
            if self.settings is not None:
                self.settings.set_last_folder("photos", Path(path).parent)
            self.projection_panel.request(path)

    def _on_projection_progress(self, value) -> None:
        if self.sender() is not self._project_job:
            return
        if isinstance(value, tuple) and value and value[0] == "target":
            self.projection_panel.targetView.set_image(value[1])
            return
        self._project_latest = value
        self.projection_panel.show_progress(value)

    def _on_projection_done(self, result) -> None:
        if self.sender() is self._project_job and not self._closed:
            self._show_projection(result)

    def _on_projection_cancelled(self) -> None:
        if self.sender() is self._project_job and not self._closed:
            latest = self._project_latest
            if latest is not None:
                latest.stopped = True
            self._show_projection(latest)

    def _show_projection(self, result) -> None:
        import time

        self.projection_panel.show_done(result, time.perf_counter() - self._project_started)
        if result is None:
            return
        name = self._project_job.args[1] if self._project_job is not None else "photo"
        try:
            self.state.select_projection(result, Path(name).name)
        except GanStudioError as exc:
            self.show_error(str(exc))

    def _on_projection_failed(self, error: JobError) -> None:
        if self.sender() is self._project_job:
            self.projection_panel.show_failed()
            self.show_error(error.message)

    # ======================================================================================================
    # bookmarks
    # ======================================================================================================
    def save_bookmark(self, path: str | Path, what: str = "selection") -> Path | None:
        """Write the selection (or the grid) as a JSON bookmark; returns the file written."""
        try:
            written = self.state.save_bookmark(path, what)
        except ValueError:
            self.show_error("There is nothing to bookmark yet; open a model and select a sample first.")
            return None
        except OSError as exc:
            self.show_error(f"Cannot write the bookmark {path}: {exc.strerror or exc}.")
            return None
        self.message.emit(f"Bookmark saved to {written}")
        return written

    def _picture_of(self, what: str) -> np.ndarray | None:
        """The picture on screen of the selection (or the grid's first cell): a new bookmark's icon."""
        pics = self.latentGrid.images() if what == "grid" else [self.latentView.image()]
        return pics[0] if pics and pics[0] is not None else None

    def load_bookmark(self, path: str | Path) -> bool:
        """Show a bookmark: one latent becomes the selection, several the grid. A bookmark of another
        model is shown with a note; when no model is open, the bookmarked one is opened first."""
        from ganstudio.core.latent.bookmarks import load_bookmark

        try:
            bm = load_bookmark(path)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        model_path = bm.model.get("path")
        if self.state.model_info is None:
            if model_path and Path(model_path).is_file():
                if not may_open_named_model(self, self.settings, model_path, named_by=path):
                    self.show_error(f"Open a model first: {Path(path).name} was made with {model_path}.")
                    return False
                self._after_load.append(lambda: self._apply_bookmark(bm, Path(path)))
                self.load_generator(model_path)
                return True
            self.show_error(f"Open a model first: the bookmark's model {model_path or '(unnamed)'} is not on this computer.")
            return False
        return self._apply_bookmark(bm, Path(path))

    def _apply_bookmark(self, bm, path: Path) -> bool:
        try:
            note = self.state.apply_bookmark(bm, path)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        if note:
            self.show_note(note)
        else:
            self.clear_message()
        return True

    def _bookmark_dialog(self, what: str) -> None:
        start = self.settings.last_folder("bookmarks") if self.settings is not None else str(Path.home())
        name = f"{(self.state.model_info or {}).get('name', 'sample')}-{what}-seed{self.state.seed}.json"
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
        return self.selection_panel.export_scale()

    def _written(self, write, path: str | Path) -> Path | None:
        try:
            written = write(Path(path))
        except (OSError, ValueError) as exc:
            self.show_error(f"Cannot write {Path(path)}: {getattr(exc, 'strerror', None) or exc}.")
            return None
        self.message.emit(f"Saved {written}")
        return written

    def export_selection(self, path: str | Path, scale: int | None = None) -> Path | None:
        pic = self.latentView.image()
        if pic is None:
            self.show_error("There is no selected sample to export yet.")
            return None
        return self._written(partial(write_png, upscale(pic, scale or self.export_scale())), path)

    def export_grid(self, path: str | Path, scale: int | None = None) -> Path | None:
        if self.latentGrid.count() == 0:
            self.show_error("There is no sample grid to export yet.")
            return None
        grid = upscale(tile(self.latentGrid.images(), GRID_COLUMNS), scale or self.export_scale())
        return self._written(partial(write_png, grid), path)

    def export_strip(self, path: str | Path, scale: int | None = None) -> Path | None:
        if self.interpolationStrip.count() == 0:
            self.show_error("There is no interpolation to export; add two or more keyframes first.")
            return None
        frames = self.interpolationStrip.images()
        strip = upscale(tile(frames, columns=len(frames), padding=0), scale or self.export_scale())
        return self._written(partial(write_png, strip), path)

    def export_gif(self, path: str | Path, scale: int | None = None, fps: int | None = None) -> Path | None:
        """An animated GIF of the interpolation (one frame per strip frame, looping)."""
        if self.interpolationStrip.count() == 0:
            self.show_error("There is no interpolation to export; add two or more keyframes first.")
            return None
        factor = scale or self.export_scale()
        frames = [upscale(f, factor) for f in self.interpolationStrip.images()]
        return self._written(partial(write_gif, frames, fps=fps or self.interpolation_panel.fps()), path)

    def _export_dialog(self, what: str) -> None:
        start = self.settings.last_folder("export") if self.settings is not None else str(Path.home())
        suffix = "gif" if what == "gif" else "png"
        name = f"{(self.state.model_info or {}).get('name', 'explore')}-{what}.{suffix}"
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
        self.interpolation_panel.play_timer.stop()
        stop_jobs(self, 10000)
        self.renderer.shutdown()
