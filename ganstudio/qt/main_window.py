"""The main window: the Train, Monitor, Explore and Sketch areas, menus, toolbar and status bar.

The window is shown before PyTorch is imported: the engine (torch, the core trainer, pyqtgraph) loads
in a background job after the first paint, with a visible "Loading engine…" state. The window is a shell
that wires the areas: the training run itself lives in `qt.train.run_control.RunControl`, whose signals
go to the train panel, the monitor and the status bar.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.settings import AppSettings
from ganstudio.qt.train.panel import TrainPanel
from ganstudio.qt.train.run_control import RunControl
from ganstudio.qt.train.trainer_worker import TrainerWorker
from ganstudio.qt.widgets.banner import AreaPage, Banner
from ganstudio.qt.window_menus import AREAS, WindowMenus
from ganstudio.qt.window_session import WindowSession, area_device
from ganstudio.qt.workers import JobWorker, start_job, stop_all_workers

log = logging.getLogger(__name__)

MIN_AREA = QSize(480, 320)  # below this the area page scrolls rather than squeeze


def load_engine(threads: int = 0) -> dict[str, Any]:
    """Import the heavy parts (PyTorch, the core trainer) off the GUI thread; `threads` is the Preferences'
    CPU threads (0 chooses).

    pyqtgraph is not imported here: importing it on a background thread while the GUI thread runs Qt
    crashed about one launch in six on a loaded machine; the monitor imports it on the GUI thread once
    this job is done (after the first paint).
    """
    t0 = time.perf_counter()
    import torch

    from ganstudio.core.device import apply_threads

    # Keep one core for the window (the CLI's policy for image models; a training run sets its own count
    # for the model it trains, see TrainerWorker). The Preferences, then GANSTUDIO_TORCH_THREADS, override it.
    threads = apply_threads("image", threads)
    # The trainer thread runs Python between its tensor ops and holds the GIL; the GUI thread asks for it
    # for every paint. A 1 ms switch interval (default 5 ms) keeps painting from queueing behind it.
    sys.setswitchinterval(0.001)

    import ganstudio.core.data  # noqa: F401
    from ganstudio.core.device import device_description, resolve_device

    cuda = bool(torch.cuda.is_available())
    return {
        "cuda": cuda,
        "device": device_description(resolve_device("auto")),
        "torch": torch.__version__,
        "threads": threads,
        "seconds": time.perf_counter() - t0,
    }


class MainWindow(WindowMenus, WindowSession, QMainWindow):
    engineReady = Signal(object)

    def __init__(self, settings: AppSettings | None = None, launch_time: float | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("GAN Studio")
        self.settings = settings or AppSettings()
        self.launch_time = launch_time
        self.shown_after_s: float | None = None
        self.engine_info: dict[str, Any] | None = None
        self.monitor = None
        self.run_control = RunControl(self.settings, self)
        self._engine_job: JobWorker | None = None
        self._first_show = True
        self._closing = False
        self._help: QDialog | None = None
        self._opening_model: str | None = None
        self._visited: set[str] = set()  # areas shown once (Explore and Sketch restore on their first visit)
        self._not_restored: list[str] = []
        self._build()
        self._build_actions()
        self.train_panel.form.set_run_defaults(self._run_defaults())
        self._restore_train_form()
        self._place_on_screen()
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    # --- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.areaList = QListWidget()
        self.areaList.setObjectName("areaList")
        self.areaList.addItems(AREAS)
        self.areaList.setFixedWidth(104)  # the longest name ("Monitor") and its padding
        self.areaList.setFocusPolicy(Qt.NoFocus)
        outer.addWidget(self.areaList)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        self.errorBanner = Banner("errorBanner")
        self.warningBanner = Banner("warningBanner")
        right.addWidget(self.errorBanner)
        right.addWidget(self.warningBanner)
        self.stack = QStackedWidget()
        self.stack.setObjectName("areaStack")
        # The areas are laid out to fit a 1280x720 screen (tests/qt/test_layout_fits.py). On a smaller
        # window the area scrolls instead: nothing an area shows (a message, a model with more
        # controls) may grow the window by itself.
        self.areaScroll = QScrollArea()
        self.areaScroll.setObjectName("areaScroll")
        self.areaScroll.setWidgetResizable(True)
        self.areaScroll.setFrameShape(QFrame.NoFrame)
        self.areaScroll.setMinimumSize(MIN_AREA)
        self.areaScroll.setWidget(AreaPage(self.stack))
        right.addWidget(self.areaScroll, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)

        self.train_panel = TrainPanel(self.settings)
        self.stack.addWidget(self.train_panel)
        self.monitor_placeholder = self._placeholder("Monitor", "Loading engine…",
                                                     "The plots appear as soon as the plotting library has loaded.")
        self.monitor_placeholder.setObjectName("monitorPlaceholder")
        self.stack.addWidget(self.monitor_placeholder)
        # Both areas import PyTorch only when first shown. The Sketch area (where a first launch opens) is
        # built now; the Explore area just after the window is first shown (or when asked for), so that
        # its panels do not delay the first picture of the window.
        from ganstudio.qt.sketch.area import SketchArea

        self._explorer = None
        explore_placeholder = self._placeholder("Explore", "Opening the Explore area…", "")
        explore_placeholder.setObjectName("explorePlaceholder")
        self.stack.addWidget(explore_placeholder)
        self.sketch = SketchArea(self.settings, device=area_device(self.settings.device()))
        self.sketch.message.connect(self.show_status_message)
        self.sketch.tools.release_undo_keys()  # Edit > Undo / Redo are those keys (see _build_actions)
        self.stack.addWidget(self.sketch)
        from ganstudio.qt.translate.area import TranslateArea

        self.translate_area = TranslateArea(device=area_device(self.settings.device()), settings=self.settings)
        self.translate_area.message.connect(self.show_status_message)
        self.stack.addWidget(self.translate_area)
        self._lab = None  # the Lab area, built when first shown (see lab)
        self.stack.addWidget(self._placeholder("Lab", "Opening the Lab…", ""))
        self.areaList.currentRowChanged.connect(self._on_area_changed)

        self._wire_training()

        sb = self.statusBar()
        self.statusEngine = QLabel("Loading engine…")
        self.statusEngine.setObjectName("statusEngine")
        self.engineBusy = QProgressBar()
        self.engineBusy.setRange(0, 0)  # busy indicator
        self.engineBusy.setFixedWidth(90)
        self.engineBusy.setFixedHeight(12)
        self.engineBusy.setTextVisible(False)
        self.statusDevice = QLabel("Device: …")
        self.statusDevice.setObjectName("statusDevice")
        self.statusStep = QLabel("Step –")
        self.statusStep.setObjectName("statusStep")
        self.statusSpeed = QLabel("– it/s")
        self.statusSpeed.setObjectName("statusSpeed")
        # What could not come back from last time: on the right, so that other messages do not hide it
        # (for a minute; the tooltip lists every item).
        self.statusNotRestored = QLabel("")
        self.statusNotRestored.setObjectName("statusNotRestored")
        self.statusNotRestored.hide()
        self._not_restored_timer = QTimer(self)
        self._not_restored_timer.setSingleShot(True)
        self._not_restored_timer.setInterval(60000)
        self._not_restored_timer.timeout.connect(self.statusNotRestored.hide)
        sb.addWidget(self.statusEngine)
        sb.addWidget(self.engineBusy)
        for w in (self.statusNotRestored, self.statusStep, self.statusSpeed, self.statusDevice):
            sb.addPermanentWidget(w)

    def _wire_training(self) -> None:
        """The Train panel asks the run control; the run control tells the panel and the status bar (and
        the monitor, once it exists: _on_engine_loaded)."""
        panel, run = self.train_panel, self.run_control
        panel.startRequested.connect(self.start_training)
        panel.pauseToggled.connect(run.set_paused)
        panel.stopRequested.connect(run.stop)
        panel.saveRequested.connect(run.save_checkpoint)
        panel.liveSettingsChanged.connect(run.set_live_settings)
        panel.message.connect(self.show_status_message)
        run.stateChanged.connect(self._on_train_state)
        run.runStarted.connect(self._on_run_started)
        run.liveValuesChanged.connect(panel.set_live_values)
        run.stepChanged.connect(panel.show_progress)
        run.stepChanged.connect(self._show_step)
        run.message.connect(panel.log_message)
        run.statusMessage.connect(self.show_status_message)
        run.warning.connect(self.show_warning)
        run.error.connect(self.show_error)

    def _placeholder(self, area: str, title: str, text: str) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        head = QLabel(title)
        head.setAlignment(Qt.AlignCenter)
        head.setStyleSheet("font-size: 18px; font-weight: 600;")
        body = QLabel(text)
        body.setAlignment(Qt.AlignCenter)
        body.setWordWrap(True)
        body.setProperty("muted", True)
        body.setMaximumWidth(560)
        layout.addWidget(head)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(body)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

    def _on_train_state(self, state: str) -> None:
        if state == "starting":  # a new run: the last run's messages are old news
            self.errorBanner.hide()
            self.warningBanner.hide()
        self.train_panel.set_state(state)
        if state != "running":  # a paused or ended run has no speed: not its last one
            self.statusSpeed.setText("paused" if state == "paused" else "– it/s")
        self._sync_actions()

    # --- areas ---------------------------------------------------------------------------------------
    def show_area(self, name: str) -> None:
        self.areaList.setCurrentRow(AREAS.index(name))

    def current_area(self) -> str:
        return AREAS[max(0, self.areaList.currentRow())]

    def _on_area_changed(self, row: int) -> None:
        if row >= 0:
            name = AREAS[row]
            if name == "Explore":
                self.explorer  # noqa: B018 - builds the area on first use
            if name == "Lab":
                self.lab  # noqa: B018 - builds the area on first use
            if name not in self._visited:
                self._visited.add(name)
                self._restore_on_first_visit(name)
            self.stack.setCurrentIndex(row)
        self._sync_area_actions()

    @property
    def explorer(self):
        """The Explore area, built on first use (see _build)."""
        if self._explorer is None:
            from ganstudio.qt.explore.area import ExplorerArea

            area = ExplorerArea(self.settings, device=area_device(self.settings.device()))
            area.set_export_scale(self.settings.export_scale())
            area.message.connect(self.show_status_message)
            self._explorer = area
            self.set_area_widget("Explore", area)
        return self._explorer

    @property
    def lab(self):
        """The Lab area, built on first use."""
        if self._lab is None:
            from ganstudio.qt.lab.area import LabArea

            self._lab = LabArea()
            self.set_area_widget("Lab", self._lab)
        return self._lab

    def area_widget(self, name: str) -> QWidget:
        return self.stack.widget(AREAS.index(name))

    def set_area_widget(self, name: str, widget: QWidget) -> None:
        """Put an area's real page in place of its placeholder (for the Explore and Sketch issues)."""
        index = AREAS.index(name)
        old = self.stack.widget(index)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.stack.insertWidget(index, widget)
        self.stack.setCurrentIndex(max(0, self.areaList.currentRow()))

    # --- start-up ------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if self.launch_time is not None:
                self.shown_after_s = time.perf_counter() - self.launch_time
            QTimer.singleShot(0, lambda: self.explorer)  # the Explore area, once the window is on screen
            # First launch opens on Sketch, where the bundled model answers a drawing at once.
            last = self.settings.last_area()
            self.areaList.setCurrentRow(AREAS.index(last) if last in AREAS else AREAS.index("Sketch"))
            if last not in AREAS:
                self.show_status_message("Draw a mountain outline, then drop a blue hint in the sky: the picture "
                                         "follows your strokes. F1 explains each area.")
            probe = os.environ.get("GANSTUDIO_STARTUP_PROBE")
            if probe:
                from ganstudio.qt.app import process_age_s
                from ganstudio.qt.latency import TimerLatencyProbe

                print(f"ganstudio-window-shown unix={time.time():.6f} process_age={process_age_s()}", flush=True)
                self._latency = TimerLatencyProbe(20, self)  # is the window responsive while the engine loads?
                self._latency.start()
            # Load the engine after this first paint, so the window is on screen first.
            QTimer.singleShot(0, self.load_engine)

    @property
    def engine_ready(self) -> bool:
        return self.engine_info is not None

    def load_engine(self) -> None:
        if self._engine_job is not None:
            return
        self._engine_job = start_job(load_engine, self.settings.threads(), name="load_engine", on_done=self._on_engine_loaded,
                                     on_error=self._on_engine_failed, owner=self)

    def _on_engine_loaded(self, info: dict[str, Any]) -> None:
        if self._closing:
            return
        from ganstudio.qt.monitor.monitor import TrainingMonitor
        from ganstudio.qt.theme import configure_pyqtgraph

        configure_pyqtgraph()
        self.monitor = TrainingMonitor(self.settings)
        self.monitor.message.connect(self.show_status_message)
        self.monitor.error.connect(self.show_error)
        self.set_area_widget("Monitor", self.monitor)
        self.run_control.runStarted.connect(self.monitor.begin_live_run)
        self.run_control.progressed.connect(self.monitor.add_progress)
        self.run_control.runEnded.connect(self.monitor.end_live_run)
        self.run_control.runEnded.connect(self._apply_app_threads)  # a run set its own count
        self.monitor.state.events.log_y.connect(self._show_log_y)
        self._show_log_y(self.monitor.state.log_y)
        self.monitor.runsReopened.connect(self._on_runs_reopened)
        self.monitor.diagnosis.liveChangeRequested.connect(self.apply_live_setting)
        self.monitor.diagnosis.newRunRequested.connect(self.prepare_new_run)
        self.monitor.reopen_run_folders(self.settings.remembered("monitor"))
        self.engine_info = info
        self.engineBusy.hide()
        self.statusEngine.setText(f"Engine ready (PyTorch {info['torch']})")
        self.statusDevice.setText(info["device"])
        self.train_panel.set_engine_ready(info["cuda"], info["device"])
        self._sync_actions()
        log.info("engine loaded in %.2f s in the background", info["seconds"])
        if os.environ.get("GANSTUDIO_STARTUP_PROBE"):
            self._latency.stop()
            print(f"ganstudio-engine-ready unix={time.time():.6f} gui_timer: {self._latency.summary()}", flush=True)
            if os.environ.get("GANSTUDIO_STARTUP_PROBE") == "quit":
                QTimer.singleShot(0, self.close)
        self.engineReady.emit(info)

    def _on_engine_failed(self, err) -> None:
        self.engineBusy.hide()
        self.statusEngine.setText("Engine failed to load")
        self.show_error(f"The training engine could not be loaded: {err.message}")

    def _show_log_y(self, on: bool) -> None:
        if self.actLogY.isChecked() != bool(on):
            self.actLogY.blockSignals(True)
            self.actLogY.setChecked(bool(on))
            self.actLogY.blockSignals(False)

    # --- messages ------------------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """A clear sentence in the red banner (never a modal box: the app keeps running)."""
        log.warning("shown to the user: %s", text)
        self.errorBanner.show_message(text)
        self.train_panel.log_message(f"Error: {text}")

    def show_warning(self, text: str) -> None:
        self.warningBanner.show_message(text)
        self.train_panel.log_message(f"Warning: {text}")

    def show_status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # --- training (RunControl runs it) -----------------------------------------------------------------
    @property
    def worker(self) -> TrainerWorker | None:
        """The running TrainerWorker, None when no run is on."""
        return self.run_control.worker

    def start_training(self, cfg, resume: str | None = None) -> TrainerWorker | None:
        if not self.engine_ready:
            return None
        return self.run_control.start(cfg, resume)

    def apply_live_setting(self, key: str, value) -> None:
        """The Diagnosis panel's live suggestion (a learning rate, n_critic): shown in the Train form and
        applied to the running trainer, as an edit of that field would be."""
        self.train_panel.form.set_value(key, value)
        self.run_control.set_live_settings(self.train_panel.form.live_settings())

    def prepare_new_run(self, config: dict, sets: list) -> None:
        """The Diagnosis panel's other suggestions: the Train form gets the run's settings with the change."""
        from ganstudio.core.config import RunConfig
        from ganstudio.core.errors import GanStudioError

        try:
            cfg = RunConfig.from_dict(config, source="the run's config").with_overrides(list(sets))
        except GanStudioError as exc:
            self.show_error(str(exc))
            return
        self.train_panel.form.show_new_run(cfg)
        self.show_area("Train")
        self.show_status_message(f"Train form: this run's settings with {', '.join(sets)}; press Start for a new run.")

    def set_paused(self, pause: bool) -> None:
        self.run_control.set_paused(pause)

    def stop_training(self) -> None:
        self.run_control.stop()

    def save_checkpoint(self) -> None:
        self.run_control.save_checkpoint()

    def _on_run_started(self, info: dict[str, Any]) -> None:
        self.statusDevice.setText(info["device"])
        if self.monitor is not None:
            self.show_area("Monitor")

    def _show_step(self, step: int, _total: int, it_s: float) -> None:
        self.statusStep.setText(f"Step {step:,}")
        if it_s > 0 and self.train_panel.state == "running":  # the flush on pausing must not bring it back
            self.statusSpeed.setText(f"{it_s:,.1f} it/s")

    # --- files ---------------------------------------------------------------------------------------
    def open_checkpoint_dialog(self) -> None:
        self.show_area("Train")
        self.train_panel.choose_resume_checkpoint()
        if self.train_panel.resume_path:
            self.settings.add_recent_checkpoint(self.train_panel.resume_path)

    def open_checkpoint(self, path: str) -> None:
        if not Path(path).is_file():
            self.show_error(f"Checkpoint {path} no longer exists.")
            return
        self.settings.add_recent_checkpoint(path)
        self.show_area("Train")
        self.train_panel.load_checkpoint(path)

    # --- opening what the app is given (ganstudio FILE) ----------------------------------------------
    def open_path(self, text: str) -> None:
        """Open a checkpoint, generator, bundled model, run folder, sketch, bookmark or picture in the area
        that fits it (core.open_target); a generator is opened in the background to see which area."""
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.open_target import classify

        try:
            target = classify(text)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return
        if target.kind == "model":
            self._opening_model = str(target.path)
            from ganstudio.core.open_target import model_area

            self.show_status_message(f"Opening {target.path.name}…")
            start_job(model_area, str(target.path), on_done=self._open_model_in, on_error=self._on_open_failed,
                      owner=self, name="open-model")
            return
        self.show_area(target.area)
        if target.kind == "run_folder":
            self._when_monitor_ready(lambda: self.monitor.open_run_folder(target.path))
        elif target.kind == "sketch_document":
            self.sketch.open_sketch(target.path)
        elif target.kind == "picture":
            self.sketch.open_image(target.path)
        elif target.kind == "bookmark":
            self.explorer.load_bookmark(target.path)

    def _when_monitor_ready(self, fn: Callable[[], Any]) -> None:
        if self.monitor is not None:
            fn()
        else:
            self.engineReady.connect(lambda _info: fn(), Qt.SingleShotConnection)

    @Slot(object)
    def _open_model_in(self, area: str) -> None:
        path, self._opening_model = self._opening_model, None
        if path is None or self._closing:
            return
        self.show_area(area)
        if area == "Sketch":
            self.sketch.load_model(path)
        elif area == "Translate":
            self.translate_area.load_model(path)
        else:
            self.explorer.load_generator(path)

    @Slot(object)
    def _on_open_failed(self, err) -> None:
        self._opening_model = None
        self.show_error(err.message)

    def open_run_folder_dialog(self) -> None:
        if self.monitor is None:
            self.show_status_message("The monitor is still loading; try again in a moment.")
            return
        self.show_area("Monitor")
        self.monitor.choose_run_folder()

    # --- closing -------------------------------------------------------------------------------------
    def ask_close_while_training(self) -> bool:
        """Closing while a run trains: stop it (saving a checkpoint) and quit, or keep training. True to quit."""
        from ganstudio.qt.widgets.ask import ask_yes_no

        return ask_yes_no(self, "closeWhileTraining", "Training is running",
                          f"A training run is at step {self.worker.step}. Stop it between two steps, save a "
                          "checkpoint and quit, or keep training?", yes="Stop, save and quit", no="Keep training",
                          default_yes=True)

    def closeEvent(self, event) -> None:
        if self.worker is not None and self.worker.is_running() and not self._closing:
            if not self.ask_close_while_training():
                event.ignore()
                return
        self._closing = True
        self._remember_session()
        self.settings.set_geometry(self.saveGeometry(), self.screen_key(self.screen()))
        self.settings.set_window_state(self.saveState())
        self.settings.set_last_area(self.current_area())
        if self.worker is not None and self.worker.is_running():
            self.statusBar().showMessage("Stopping training and saving a checkpoint…")
        self.run_control.shutdown()  # stops between two steps and waits for the checkpoint
        if self.monitor is not None:
            self.monitor.shutdown()
        if self._explorer is not None:
            self._explorer.shutdown()
        if self._lab is not None:
            self._lab.shutdown()
        self.sketch.shutdown()  # a clean quit: the sketch is not offered back as a crash recovery
        self.translate_area.shutdown()
        self.train_panel.shutdown()
        if not stop_all_workers(10.0):
            log.error("some background jobs did not stop")
        self.settings.sync()
        super().closeEvent(event)
