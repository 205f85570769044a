"""The Train area: choose data, a model preset, an objective, tricks and hyperparameters; start/pause/stop.

The form is built from FIELDS, one row per config field worth showing, each with a tooltip that says
what it does and when to use it. `build_config()` starts from `config.preset(name)` and applies the form
with `dataclasses.replace`, then `config.validate`; a ConfigError is shown beside the buttons and
training does not start. The panel only asks for training (signals); qt.train.run_control.RunControl owns
the worker.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core import config as C
from ganstudio.core import objective_registry
from ganstudio.core.errors import ConfigError
from ganstudio.core.train.form import (
    DATASETS,
    FIELDS,
    FOLDER_KINDS,
    LIVE_FIELDS,
    FieldSpec,
    data_task,
    preset_for,
    read_checkpoint_config,
)
from ganstudio.core.train.runlog import format_hms
from ganstudio.qt.train.fields import make_field
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)

def check_data_folder(kind: str, path: str, image_size: int, progress=None) -> dict[str, Any]:
    """The folder check as a job. Imported here, in the job's thread: ganstudio.core.data loads PyTorch,
    which the window must not wait for."""
    from ganstudio.core.data.folder_checks import validate_data_folder

    return validate_data_folder(kind, path, image_size, progress=progress)


def array_to_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(image.copy())


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
        self.specs: dict[str, FieldSpec] = {}
        self.state = "loading"
        self.engine_ready = False
        self.resume_path: str | None = None
        self.folder_info: dict[str, Any] | None = None
        self._folder_job: JobWorker | None = None
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(300)  # debounce: typing "0.0002" sends one change, not six
        self._live_timer.timeout.connect(self._emit_live_settings)
        self._build()
        self.presetCombo.setCurrentIndex(0)
        self.load_preset(self.presetCombo.currentData())
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
        data_box, data_form = self._group("Data")
        self.datasetCombo = QComboBox()
        self.datasetCombo.setObjectName("datasetCombo")
        for kind, label in DATASETS:
            self.datasetCombo.addItem(label, kind)
        self.datasetCombo.setToolTip("What the generator learns to imitate. The 2-D toys train in seconds on a CPU "
                                     "and show the whole game in the 2-D view; digits take minutes.")
        self.datasetCombo.currentIndexChanged.connect(self._on_dataset_changed)
        data_form.addRow("Data set", self.datasetCombo)
        folder_row = QHBoxLayout()
        self.folderEdit = QLineEdit()
        self.folderEdit.setObjectName("folderEdit")
        self.folderEdit.setPlaceholderText("choose a folder of pictures")
        self.folderEdit.editingFinished.connect(self._on_folder_edited)
        self.browseButton = QPushButton("Browse…")
        self.browseButton.setObjectName("browseFolderButton")
        self.browseButton.clicked.connect(self.choose_folder)
        folder_row.addWidget(self.folderEdit, 1)
        folder_row.addWidget(self.browseButton)
        self.folderRow = QWidget()
        self.folderRow.setLayout(folder_row)
        folder_row.setContentsMargins(0, 0, 0, 0)
        self.folderLabel = QLabel("Folder")
        data_form.addRow(self.folderLabel, self.folderRow)
        self.folderStatus = QLabel("")
        self.folderStatus.setObjectName("folderStatus")
        self.folderStatus.setWordWrap(True)
        data_form.addRow("", self.folderStatus)
        self.thumbnails = QWidget()
        self.thumbnails.setObjectName("folderThumbnails")
        self.thumbLayout = QHBoxLayout(self.thumbnails)
        self.thumbLayout.setContentsMargins(0, 0, 0, 0)
        self.thumbLayout.setSpacing(4)
        data_form.addRow("", self.thumbnails)
        self._add_fields("Data", data_form)
        left.addWidget(data_box)

        model_box, model_form = self._group("Model")
        self.presetCombo = QComboBox()
        self.presetCombo.setObjectName("presetCombo")
        for name in C.PRESETS:
            self.presetCombo.addItem(name, name)
        self.presetCombo.setToolTip("A tested recipe: architecture, loss, tricks and hyperparameters that work "
                                    "together. Choosing one resets the form to its values.")
        self.presetCombo.currentIndexChanged.connect(lambda i: self.load_preset(self.presetCombo.itemData(i)))
        model_form.addRow("Preset", self.presetCombo)
        self._add_fields("Model", model_form)
        left.addWidget(model_box)

        obj_box, obj_form = self._group("Objective")
        self.lossCombo = QComboBox()
        self.lossCombo.setObjectName("lossCombo")
        for i, name in enumerate(objective_registry.objective_names()):
            self.lossCombo.addItem(name, name)
            self.lossCombo.setItemData(i, objective_registry.objective_spec(name).tooltip, Qt.ToolTipRole)
        self.lossCombo.setToolTip("The game G and D play. Hover over an entry for what it does.")
        self.lossCombo.currentIndexChanged.connect(self._update_visible_rows)
        obj_form.addRow("Loss", self.lossCombo)
        self.widgets["objective.loss"] = self.lossCombo
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
        self.deviceCombo = QComboBox()
        self.deviceCombo.setObjectName("deviceCombo")
        for d in C.DEVICES:
            self.deviceCombo.addItem({"auto": "auto (GPU if present)", "cpu": "CPU", "cuda": "CUDA GPU"}[d], d)
        self.deviceCombo.setToolTip("Where to train. 'auto' uses a CUDA GPU when PyTorch sees one, else the CPU.")
        self._set_cuda_item(False, "Checking for a CUDA GPU…")
        train_form.addRow("Device", self.deviceCombo)
        self.widgets["train.device"] = self.deviceCombo
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
            label = QLabel(spec.label)
            label.setToolTip(spec.tip)
            form.addRow(label, w)
            self.widgets[spec.key] = w
            self.rows[spec.key] = (label, w)
            self.specs[spec.key] = spec
            if spec.key in LIVE_FIELDS:
                label.setText(spec.label + " ⟳")
                signal = w.valueChanged
                signal.connect(self._on_live_field_changed)

    # --- form <-> config ------------------------------------------------------------------------------
    def _set_widget(self, key: str, value: Any) -> None:
        w = self.widgets[key]
        spec = self.specs.get(key)
        w.blockSignals(True)
        try:
            if isinstance(w, QComboBox):
                idx = w.findData(value)
                if idx < 0 and value is not None:
                    w.addItem(str(value), value)
                    idx = w.count() - 1
                w.setCurrentIndex(max(idx, 0))
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QSpinBox):
                w.setValue(int(value))
            elif isinstance(w, QDoubleSpinBox):
                if spec is not None and spec.kind == "optional_float" and value is None:
                    w.setValue(w.minimum())
                else:
                    w.setValue(float(value))
        finally:
            w.blockSignals(False)

    def _widget_value(self, key: str) -> Any:
        w = self.widgets[key]
        spec = self.specs.get(key)
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return w.value()
        if spec is not None and spec.kind == "optional_float" and w.value() <= w.minimum():
            return None
        return w.value()

    def set_config(self, cfg: C.RunConfig) -> None:
        """Show a config in the form (preset defaults or a checkpoint's settings)."""
        self.datasetCombo.blockSignals(True)
        self.datasetCombo.setCurrentIndex(max(0, self.datasetCombo.findData(cfg.data.kind)))
        self.datasetCombo.blockSignals(False)
        if cfg.data.path:
            self.folderEdit.setText(cfg.data.path)
        for key in self.widgets:
            section, name = key.split(".")
            self._set_widget(key, getattr(getattr(cfg, section), name))
        self._update_visible_rows()

    def load_preset(self, name: str) -> None:
        if not name:
            return
        idx = self.presetCombo.findData(name)
        if idx != self.presetCombo.currentIndex():
            self.presetCombo.blockSignals(True)
            self.presetCombo.setCurrentIndex(idx)
            self.presetCombo.blockSignals(False)
        self.set_config(C.preset(name))
        self.clear_config_error()

    def _on_dataset_changed(self, _index: int) -> None:
        kind = self.current_data_kind()
        preset_name = self.presetCombo.currentData()
        if data_task(kind) != C.preset(preset_name).data.task or (kind == "autopair") != (preset_name == "sketch-folder"):
            self.load_preset(preset_for(kind))
            self.datasetCombo.blockSignals(True)
            self.datasetCombo.setCurrentIndex(self.datasetCombo.findData(kind))
            self.datasetCombo.blockSignals(False)
        if kind == "folder":
            self._set_widget("data.channels", 3)
            self._set_widget("model.class_conditional", False)
        self.folder_info = None
        self._update_visible_rows()
        if kind in FOLDER_KINDS and self.folderEdit.text().strip():
            self.validate_folder()

    def current_data_kind(self) -> str:
        return self.datasetCombo.currentData()

    def _update_visible_rows(self) -> None:
        kind = self.current_data_kind()
        loss = self.lossCombo.currentData()
        folder = kind in FOLDER_KINDS
        for w in (self.folderLabel, self.folderRow, self.folderStatus, self.thumbnails):
            w.setVisible(folder)
        own_settings = objective_registry.objective_spec(loss).settings if loss else {}
        for key, (label, w) in self.rows.items():
            spec = self.specs[key]
            section, name = key.split(".")
            if section == "objective" and name in objective_registry.setting_names():
                visible = name in own_settings
            elif spec.only_for:
                visible = f"data:{kind}" in spec.only_for
            else:
                continue
            label.setVisible(visible)
            w.setVisible(visible)

    def build_config(self) -> C.RunConfig | None:
        """The RunConfig the form describes, validated; None (with the error shown) when it is invalid."""
        try:
            cfg = C.preset(self.presetCombo.currentData())
            values: dict[str, dict[str, Any]] = {}
            for key in self.widgets:
                section, name = key.split(".")
                values.setdefault(section, {})[name] = self._widget_value(key)
            kind = self.current_data_kind()
            values["data"]["kind"] = kind
            values["data"]["path"] = self.folderEdit.text().strip() or None if kind in FOLDER_KINDS else None
            if kind == "digits":
                values["data"]["channels"] = 1
            sections = {s: replace(getattr(cfg, s), **v) for s, v in values.items()}
            cfg = replace(cfg, name=self._run_name(cfg.name, kind), **sections)
            cfg = C.validate(cfg)
        except ConfigError as exc:
            self.show_config_error(str(exc))
            return None
        self.clear_config_error()
        return cfg

    def _run_name(self, preset_name: str, kind: str) -> str:
        if kind in C.TOY_DATA:
            return f"toy-{kind}"
        if kind in FOLDER_KINDS and self.folderEdit.text().strip():
            return f"{preset_name}-{Path(self.folderEdit.text().strip()).name}"
        return preset_name

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
        self.liveSettingsChanged.emit({
            "lr_g": self._widget_value("optim.lr_g"),
            "lr_d": self._widget_value("optim.lr_d"),
            "n_critic": self._widget_value("optim.n_critic"),
        })

    def set_live_values(self, lr_g: float, lr_d: float, n_critic: int) -> None:
        """The trainer's actual values (after a change or a resume)."""
        for key, value in (("optim.lr_g", lr_g), ("optim.lr_d", lr_d), ("optim.n_critic", n_critic)):
            self._set_widget(key, value)

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
        for w in (self.datasetCombo, self.presetCombo, self.folderEdit, self.browseButton):
            w.setEnabled(idle)
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

    def show_progress(self, step: int, total: int, it_s: float) -> None:
        self.progressBar.setRange(0, max(total, 1))
        self.progressBar.setValue(min(step, total))
        self.progressBar.setFormat(f"step {step:,} / {total:,}")
        eta = (total - step) / it_s if it_s > 0 else math.inf
        eta_text = "" if not math.isfinite(eta) else f" · {format_hms(eta)} left"
        self.statusLabel.setText(f"{it_s:,.1f} it/s{eta_text}")

    def log_message(self, text: str) -> None:
        self.messageLog.appendPlainText(f"{datetime.now().strftime('%H:%M:%S')}  {text}")

    # --- folders -------------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = self.settings.last_folder("data") if self.settings else ""
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures", start)
        if folder:
            if self.settings:
                self.settings.set_last_folder("data", str(Path(folder).parent))
            self.set_folder(folder)

    def set_folder(self, folder: str) -> JobWorker | None:
        self.folderEdit.setText(str(folder))
        return self.validate_folder()

    def _on_folder_edited(self) -> None:
        text = self.folderEdit.text().strip()
        if text and (self.folder_info is None or self.folder_info.get("path") != text):
            self.validate_folder()

    def validate_folder(self) -> JobWorker | None:
        """Check the folder in the background; the newest request wins, stale results are dropped."""
        path = self.folderEdit.text().strip()
        kind = self.current_data_kind()
        if not path or kind not in FOLDER_KINDS:
            return None
        if self._folder_job is not None:
            self._folder_job.stop()
        self._clear_thumbnails()
        self.folder_info = {"path": path, "checking": True}
        self.folderStatus.setStyleSheet("")
        self.folderStatus.setText("Checking the folder…")
        size = self._widget_value("data.image_size")
        self._folder_job = start_job(check_data_folder, kind, path, size, pass_progress=True, name="check_data_folder",
                                     on_progress=self._on_folder_progress, on_done=self._on_folder_checked,
                                     on_error=self._on_folder_failed, owner=self)
        return self._folder_job

    def _on_folder_progress(self, p) -> None:
        if self.sender() is self._folder_job and isinstance(p, tuple):
            done, total = p
            self.folderStatus.setText(f"Checking the folder… {done:,} of {total:,} files")

    def _on_folder_checked(self, result: dict[str, Any]) -> None:
        if self.sender() is not self._folder_job:  # a stale result: the user chose another folder since
            return
        self.folder_info = result
        what = result["what"]
        text = f"{result['count']:,} {what}{'s' if result['count'] != 1 else ''} ready"
        if result["broken"]:
            text += f"; {result['broken']:,} broken file{'s' if result['broken'] != 1 else ''} will be skipped"
            example = result["skipped"][0] if result["skipped"] else None
            if example:
                text += f" (e.g. {Path(example[0]).name}: {example[1]})"
        self.folderStatus.setStyleSheet("color: #7bd389;" if not result["broken"] else "color: #f7d154;")
        self.folderStatus.setText(text + ".")
        self._clear_thumbnails()
        for arr in result["thumbnails"]:
            lab = QLabel()
            lab.setPixmap(array_to_pixmap(arr))
            self.thumbLayout.addWidget(lab)
        self.thumbLayout.addStretch(1)

    def _on_folder_failed(self, err) -> None:
        if self.sender() is not self._folder_job:
            return
        self.folder_info = {"path": self.folderEdit.text().strip(), "error": err.message}
        self.folderStatus.setStyleSheet("color: #ff8a8a;")
        self.folderStatus.setText(err.message)
        self._clear_thumbnails()

    def _clear_thumbnails(self) -> None:
        while self.thumbLayout.count():
            item = self.thumbLayout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

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
        cfg: C.RunConfig = result["config"]
        step = int(result["step"])
        preset_idx = self.presetCombo.findData(cfg.name)
        if preset_idx >= 0:
            self.presetCombo.blockSignals(True)
            self.presetCombo.setCurrentIndex(preset_idx)
            self.presetCombo.blockSignals(False)
        self.set_config(cfg)
        if cfg.train.steps <= step:
            self._set_widget("train.steps", step + max(1000, cfg.train.steps // 2))
        self.resume_path = result["path"]
        self.resumeLabel.setText(f"Start continues {Path(result['path']).name} from step {step:,}. "
                                 "Choose a preset to start a new run instead.")
        self.resumeLabel.show()
        self.presetCombo.currentIndexChanged.connect(self._forget_resume)
        self.message.emit(f"Loaded the settings of {result['path']} (step {step:,}).")

    def _forget_resume(self, *_args) -> None:
        self.resume_path = None
        self.resumeLabel.hide()
        try:
            self.presetCombo.currentIndexChanged.disconnect(self._forget_resume)
        except (RuntimeError, TypeError):
            pass

    def _on_checkpoint_failed(self, err) -> None:
        self.resume_path = None
        self.resumeLabel.hide()
        self.show_config_error(err.message)

    def shutdown(self) -> None:
        stop_jobs(self)
