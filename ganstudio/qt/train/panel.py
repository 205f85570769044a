"""The Train area: choose data, a model preset, an objective, tricks and hyperparameters; start/pause/stop.

The panel is the shell: the buttons, the progress line, the two columns of groups and the log. What the
form holds is `core.train.form.TrainForm` (Qt-free: values, presets, which rows show, the RunConfig and
the checkpoint to resume); the panel shows its events and passes the user's edits back. Each config field
is a widget of `qt.train.fields`, the Data group is `qt.train.data_picker.DataPicker`. `build_config()`
shows a ConfigError beside the buttons and training does not start. The panel only asks for training
(signals); qt.train.run_control.RunControl owns the worker.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core import config as C
from ganstudio.core import objective_registry
from ganstudio.core.errors import ConfigError
from ganstudio.core.train.form import FIELDS, FOLDER_KINDS, LIVE_FIELDS, SPECS, TrainForm, read_checkpoint_config
from ganstudio.core.train.runlog import StepRate, format_hms
from ganstudio.qt.train.data_picker import DataPicker
from ganstudio.qt.train.fields import ChoiceField, make_field
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)


class TrainPanel(QWidget):
    """The training form and its buttons. Emits requests; RunControl runs the TrainerWorker."""

    startRequested = Signal(object, object)  # (RunConfig, resume checkpoint path or None)
    pauseToggled = Signal(bool)  # True: pause
    stopRequested = Signal()
    saveRequested = Signal()
    liveSettingsChanged = Signal(object)  # {"lr_g": .., "lr_d": .., "n_critic": ..}
    message = Signal(str)

    def __init__(self, settings=None, parent=None):
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self.settings = settings
        self.widgets: dict[str, QWidget] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self.specs = SPECS
        self.state = "loading"
        self.step_rate = StepRate()
        self.engine_ready = False
        self.form = TrainForm()
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(300)  # debounce: typing "0.0002" sends one change, not six
        self._live_timer.timeout.connect(self._emit_live_settings)
        self._build()
        events = self.form.events
        events.values.connect(self._show_values)
        events.preset.connect(self._show_preset)
        events.rows.connect(self._update_visible_rows)
        events.resume.connect(self._show_resume)
        self.load_preset(self.presetCombo.itemData(0))
        self.set_state("loading")

    # --- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 10, 12, 10)

        buttons = QHBoxLayout()
        self.startButton = QPushButton("Start training")
        self.startButton.setObjectName("trainStartButton")
        self.startButton.setToolTip("Build the models from this form and start training in the background.")
        self.startButton.clicked.connect(self.request_start)
        self.pauseButton = QPushButton("Pause")
        self.pauseButton.setObjectName("trainPauseButton")
        self.pauseButton.setToolTip("Pause between two steps; Resume goes on exactly where it stopped.")
        self.pauseButton.clicked.connect(self._on_pause_clicked)
        self.stopButton = QPushButton("Stop")
        self.stopButton.setObjectName("trainStopButton")
        self.stopButton.setToolTip("Stop after the current step and save a checkpoint in the run folder.")
        self.stopButton.clicked.connect(self.stopRequested)
        self.saveButton = QPushButton("Save checkpoint")
        self.saveButton.setObjectName("trainSaveButton")
        self.saveButton.setToolTip("Save the current state to the run folder's checkpoints/latest.safetensors.")
        self.saveButton.clicked.connect(self.saveRequested)
        self.resumeButton = QPushButton("Resume from checkpoint…")
        self.resumeButton.setObjectName("trainResumeButton")
        self.resumeButton.setToolTip("Load a checkpoint's settings into this form; Start then continues that run.")
        self.resumeButton.clicked.connect(self.choose_resume_checkpoint)
        for b in (self.startButton, self.pauseButton, self.stopButton, self.saveButton):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.resumeButton)
        root.addLayout(buttons)

        self.configErrorLabel = QLabel("")
        self.configErrorLabel.setObjectName("configErrorLabel")
        self.configErrorLabel.setWordWrap(True)
        self.configErrorLabel.hide()
        root.addWidget(self.configErrorLabel)

        self.resumeLabel = QLabel("")
        self.resumeLabel.setObjectName("resumeLabel")
        self.resumeLabel.setWordWrap(True)
        self.resumeLabel.hide()
        root.addWidget(self.resumeLabel)

        status = QHBoxLayout()
        self.progressBar = QProgressBar()
        self.progressBar.setObjectName("trainProgress")
        self.progressBar.setTextVisible(True)
        self.progressBar.setFormat("not started")
        self.progressBar.setRange(0, 1)
        self.progressBar.setValue(0)
        status.addWidget(self.progressBar, 1)
        self.statusLabel = QLabel("Loading the training engine…")
        self.statusLabel.setObjectName("trainStatusLabel")
        self.statusLabel.setMinimumWidth(260)
        status.addWidget(self.statusLabel)
        root.addLayout(status)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 4, 6, 4)
        columns.setSpacing(14)
        # Two independent columns, so a short group is not stretched to its neighbour's height.
        left, right = QVBoxLayout(), QVBoxLayout()
        left.setSpacing(10)
        right.setSpacing(10)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        # Column 1: what to learn and with what model and loss.
        self.picker = DataPicker(self.form, self.settings)
        for name in ("datasetCombo", "folderEdit", "browseButton", "folderRow", "folderLabel", "folderStatus",
                     "thumbnails", "thumbLayout"):
            setattr(self, name, getattr(self.picker, name))
        self._add_fields("Data", self.picker.form_layout)
        left.addWidget(self.picker)

        model_box, model_form = self._group("Model")
        self.presetCombo = ChoiceField(tuple(C.PRESETS))
        self.presetCombo.setObjectName("presetCombo")
        self.presetCombo.setToolTip("A tested recipe: architecture, loss, tricks and hyperparameters that work "
                                    "together. Choosing one resets the form to its values.")
        self.presetCombo.fieldChanged.connect(self._on_preset_chosen)
        model_form.addRow("Preset", self.presetCombo)
        self._add_fields("Model", model_form)
        left.addWidget(model_box)

        obj_box, obj_form = self._group("Objective")
        names = objective_registry.objective_names()
        self.lossCombo = ChoiceField(names, tips=[objective_registry.objective_spec(n).tooltip for n in names])
        self.lossCombo.setObjectName("lossCombo")
        self.lossCombo.setToolTip("The game G and D play. Hover over an entry for what it does.")
        obj_form.addRow("Loss", self.lossCombo)
        self._add_widget("objective.loss", self.lossCombo)
        self._add_fields("Objective", obj_form)
        left.addWidget(obj_box)

        # Column 2: how to train.
        opt_box, opt_form = self._group("Optimizer")
        self._add_fields("Optimizer", opt_form)
        live_note = QLabel("Learning rates and D steps can be changed while training.")
        live_note.setProperty("muted", True)
        live_note.setWordWrap(True)
        opt_form.addRow("", live_note)
        right.addWidget(opt_box)

        train_box, train_form = self._group("Training")
        labels = {"auto": "auto (GPU if present)", "cpu": "CPU", "cuda": "CUDA GPU"}
        self.deviceCombo = ChoiceField(C.DEVICES, labels=[labels[d] for d in C.DEVICES])
        self.deviceCombo.setObjectName("deviceCombo")
        self.deviceCombo.setToolTip("Where to train. 'auto' uses a CUDA GPU when PyTorch sees one, else the CPU.")
        self._set_cuda_item(False, "Checking for a CUDA GPU…")
        train_form.addRow("Device", self.deviceCombo)
        self._add_widget("train.device", self.deviceCombo)
        self._add_fields("Training", train_form)
        right.addWidget(train_box)

        tricks_box, tricks_form = self._group("Tricks")
        self._add_fields("Tricks", tricks_form)
        right.addWidget(tricks_box)

        log_box = QGroupBox("Messages")
        log_layout = QVBoxLayout(log_box)
        self.messageLog = QPlainTextEdit()
        self.messageLog.setObjectName("trainLog")
        self.messageLog.setReadOnly(True)
        self.messageLog.setMaximumBlockCount(500)
        self.messageLog.setMinimumHeight(90)
        log_layout.addWidget(self.messageLog)
        left.addWidget(log_box, 1)
        right.addStretch(1)
        scroll.setWidget(body)
        root.addWidget(scroll, 1)

    def _group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        return box, form

    def _add_fields(self, group: str, form: QFormLayout) -> None:
        for spec in FIELDS[group]:
            w = make_field(spec)
            label = QLabel(spec.label + (" ⟳" if spec.key in LIVE_FIELDS else ""))
            label.setToolTip(spec.tip)
            form.addRow(label, w)
            self.rows[spec.key] = (label, w)
            self._add_widget(spec.key, w)

    def _add_widget(self, key: str, w: QWidget) -> None:
        self.widgets[key] = w
        w.fieldChanged.connect(lambda value, key=key: self.form.set_value(key, value))
        if key in LIVE_FIELDS:
            w.fieldChanged.connect(self._on_live_field_changed)

    # --- form <-> widgets -----------------------------------------------------------------------------
    def _show_values(self, keys: tuple[str, ...]) -> None:
        """Show values the form set; the form keeps what the widget shows (a spin box clamps to its range)."""
        for key in keys:
            w = self.widgets[key]
            w.set_field_value(self.form.values[key])
            self.form.values[key] = w.field_value()

    def _show_preset(self, name: str) -> None:
        self.presetCombo.set_field_value(name)

    def _on_preset_chosen(self, name: str) -> None:
        self.form.choose_preset(name)
        self.clear_config_error()

    def set_config(self, cfg: C.RunConfig) -> None:
        """Show a config in the form (preset defaults or a checkpoint's settings)."""
        self.form.set_config(cfg)

    def load_preset(self, name: str) -> None:
        self.form.load_preset(name)
        self.clear_config_error()

    def restore_form(self, saved: dict[str, Any]) -> list[str]:
        """Show a form remembered from last time (ConfigError when it no longer validates: the form stays);
        returns what could not come back with it (a data folder that is gone)."""
        self.form.restore(saved)
        self.clear_config_error()
        if not self.form.is_folder_kind or not self.form.folder:
            return []
        self.picker.validate_folder()  # shows the folder's pictures again, or why it cannot be used
        return [] if Path(self.form.folder).expanduser().is_dir() else ["the Train data folder (moved or deleted)"]

    def current_data_kind(self) -> str:
        return self.form.data_kind

    @property
    def folder_info(self) -> dict[str, Any] | None:
        return self.picker.folder_info

    @property
    def resume_path(self) -> str | None:
        return self.form.resume_path

    def set_folder(self, folder: str) -> JobWorker | None:
        return self.picker.set_folder(folder)

    def validate_folder(self) -> JobWorker | None:
        return self.picker.validate_folder()

    def choose_folder(self) -> None:
        self.picker.choose_folder()

    def _update_visible_rows(self) -> None:
        for key, (label, w) in self.rows.items():
            visible = self.form.row_visible(key)
            if visible is not None:
                label.setVisible(visible)
                w.setVisible(visible)

    def build_config(self) -> C.RunConfig | None:
        """The RunConfig the form describes, validated; None (with the error shown) when it is invalid."""
        try:
            cfg = self.form.config()
        except ConfigError as exc:
            self.show_config_error(str(exc))
            return None
        self.clear_config_error()
        return cfg

    def show_config_error(self, text: str) -> None:
        text = text.strip()
        text = text[0].upper() + text[1:] if text else text
        self.configErrorLabel.setText(text)
        self.configErrorLabel.show()

    def clear_config_error(self) -> None:
        self.configErrorLabel.clear()
        self.configErrorLabel.hide()

    # --- buttons ---------------------------------------------------------------------------------------
    def request_start(self) -> None:
        if self.state != "idle":
            return
        cfg = self.build_config()
        if cfg is None:
            return
        kind = cfg.data.kind
        if kind in FOLDER_KINDS and self.folder_info is not None and self.folder_info.get("error"):
            self.show_config_error(self.folder_info["error"])
            return
        self.startRequested.emit(cfg, self.resume_path)

    def _on_pause_clicked(self) -> None:
        self.pauseToggled.emit(self.state == "running")

    def _on_live_field_changed(self, *_args) -> None:
        if self.state in ("running", "paused"):
            self._live_timer.start()

    def _emit_live_settings(self) -> None:
        self.liveSettingsChanged.emit(self.form.live_settings())

    def set_live_values(self, lr_g: float, lr_d: float, n_critic: int) -> None:
        """The trainer's actual values (after a change or a resume)."""
        self.form.set_live_values(lr_g, lr_d, n_critic)

    def set_state(self, state: str) -> None:
        """loading | idle | starting | running | paused | stopping: enables what makes sense."""
        self.state = state
        idle = state == "idle"
        active = state in ("running", "paused")
        self.startButton.setEnabled(idle)
        self.pauseButton.setEnabled(active)
        self.pauseButton.setText("Resume" if state == "paused" else "Pause")
        self.stopButton.setEnabled(active)
        self.saveButton.setEnabled(active)
        self.resumeButton.setEnabled(idle)
        for key, w in self.widgets.items():
            w.setEnabled(idle or (active and key in LIVE_FIELDS))
        self.picker.set_editable(idle)
        self.presetCombo.setEnabled(idle)
        if state == "loading":
            self.startButton.setToolTip("The training engine (PyTorch) is still loading…")
            self.statusLabel.setText("Loading the training engine…")
        elif idle:
            self.startButton.setToolTip("Build the models from this form and start training in the background.")
            if self.statusLabel.text().startswith("Loading"):
                self.statusLabel.setText("Ready.")
        elif state == "starting":
            self.statusLabel.setText("Building the models…")
        elif state == "stopping":
            self.statusLabel.setText("Stopping and saving a checkpoint…")
        elif state == "paused":  # not the speed before the pause
            self.statusLabel.setText("Paused.")
        if state != "running":
            self.step_rate.clear()  # a pause, a stop or a new run: the time left is measured afresh

    def set_engine_ready(self, cuda_available: bool, device_text: str = "") -> None:
        self.engine_ready = True
        self._set_cuda_item(cuda_available, device_text if cuda_available else
                            "PyTorch sees no CUDA GPU on this machine.")
        if self.state == "loading":
            self.set_state("idle")

    def _set_cuda_item(self, available: bool, tip: str) -> None:
        idx = self.deviceCombo.findData("cuda")
        item = self.deviceCombo.model().item(idx)
        item.setEnabled(available)
        item.setToolTip(tip)
        if not available and self.deviceCombo.currentData() == "cuda":
            self.deviceCombo.setCurrentIndex(self.deviceCombo.findData("auto"))

    def show_progress(self, step: int, total: int, it_s: float, now: float | None = None) -> None:
        """`it_s` is the speed of the last progress batch (shown as it is); the time left comes from the
        steps of the last 30 s (StepRate), so a checkpoint save does not make it jump."""
        self.progressBar.setRange(0, max(total, 1))
        self.progressBar.setValue(min(step, total))
        self.progressBar.setFormat(f"step {step:,} / {total:,}")
        self.step_rate.add(time.monotonic() if now is None else now, step)
        eta = self.step_rate.seconds_left(total)
        eta_text = "" if not math.isfinite(eta) else f" · {format_hms(eta)} left"
        if self.state != "paused":  # the progress flushed on pausing keeps "Paused."
            self.statusLabel.setText(f"{it_s:,.1f} it/s{eta_text}")

    def log_message(self, text: str) -> None:
        self.messageLog.appendPlainText(f"{datetime.now().strftime('%H:%M:%S')}  {text}")

    # --- resume ----------------------------------------------------------------------------------------
    def choose_resume_checkpoint(self) -> None:
        start = self.settings.last_folder("checkpoints") if self.settings else ""
        path, _ = QFileDialog.getOpenFileName(self, "Resume from a checkpoint", start, "Checkpoints (*.safetensors)")
        if path:
            if self.settings:
                self.settings.set_last_folder("checkpoints", str(Path(path).parent))
            self.load_checkpoint(path)

    def load_checkpoint(self, path: str) -> JobWorker:
        """Read a checkpoint's settings in the background; Start then resumes it."""
        self.resumeLabel.setText(f"Reading {path}…")
        self.resumeLabel.show()
        return start_job(read_checkpoint_config, str(path), name="read_checkpoint_config",
                         on_done=self._on_checkpoint_read, on_error=self._on_checkpoint_failed, owner=self)

    def _on_checkpoint_read(self, result: dict[str, Any]) -> None:
        self.form.set_resume(result["path"], result["config"], int(result["step"]))
        self.message.emit(f"Loaded the settings of {result['path']} (step {self.form.resume_step:,}).")

    def _show_resume(self, path: str | None) -> None:
        if path is None:
            self.resumeLabel.hide()
            return
        self.resumeLabel.setText(f"Start continues {Path(path).name} from step {self.form.resume_step:,}. "
                                 "Choose a preset to start a new run instead.")
        self.resumeLabel.show()

    def _on_checkpoint_failed(self, err) -> None:
        self.form.forget_resume()
        self.resumeLabel.hide()
        self.show_config_error(err.message)

    def shutdown(self) -> None:
        stop_jobs(self.picker)
        stop_jobs(self)
