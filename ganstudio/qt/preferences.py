"""Edit > Preferences…: where runs go, CPU threads, the device, the default export size, TensorBoard logs.

The dialog only shows and edits the values; the window stores them in `AppSettings` and applies them when
the dialog is accepted (`MainWindow.apply_preferences`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.settings import DEVICE_CHOICES, EXPORT_SCALES, MAX_THREADS, AppSettings, default_runs_folder

DEVICE_LABELS = {"auto": "auto (GPU if present)", "cpu": "CPU", "cuda": "CUDA GPU"}


@dataclass(frozen=True)
class Preferences:
    runs_folder: Path
    threads: int  # 0: chosen for the machine and the model (core.device.choose_threads)
    device: str  # auto | cpu | cuda
    export_scale: int
    tensorboard: bool = False  # new runs also write TensorBoard logs (RUN_FOLDER/tensorboard)

    @classmethod
    def from_settings(cls, settings: AppSettings) -> Preferences:
        return cls(settings.runs_folder(), settings.threads(), settings.device(), settings.export_scale(),
                   settings.tensorboard_logs())

    def save(self, settings: AppSettings) -> None:
        settings.set_runs_folder(self.runs_folder)
        settings.set_threads(self.threads)
        settings.set_device(self.device)
        settings.set_export_scale(self.export_scale)
        settings.set_tensorboard_logs(self.tensorboard)


class PreferencesDialog(QDialog):
    """`preferencesDialog`. `cuda_available`: None while the engine loads (the CUDA item waits for it)."""

    def __init__(self, prefs: Preferences, cuda_available: bool | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        root = QVBoxLayout(self)
        form = QFormLayout()
        root.addLayout(form)

        row = QHBoxLayout()
        self.runsFolderEdit = QLineEdit(str(prefs.runs_folder))
        self.runsFolderEdit.setObjectName("prefRunsFolderEdit")
        self.runsFolderEdit.setMinimumWidth(320)
        self.runsFolderEdit.setToolTip("Training runs started in the app get a folder here (config, metrics, "
                                       "samples, checkpoints). Empty: the default, " + str(default_runs_folder()) + ".")
        row.addWidget(self.runsFolderEdit, 1)
        self.browseButton = QPushButton("Browse…")
        self.browseButton.setObjectName("prefRunsBrowseButton")
        self.browseButton.setToolTip("Choose the folder new runs are written to.")
        self.browseButton.clicked.connect(self.choose_runs_folder)
        row.addWidget(self.browseButton)
        form.addRow("Runs folder", row)

        self.threadsSpin = QSpinBox()
        self.threadsSpin.setObjectName("prefThreadsSpin")
        self.threadsSpin.setRange(0, MAX_THREADS)
        self.threadsSpin.setSpecialValueText("automatic")
        self.threadsSpin.setValue(prefs.threads)
        cpus = os.cpu_count() or 1
        self.threadsSpin.setToolTip(f"PyTorch CPU threads of the app, and of new runs unless their form says "
                                    f"otherwise. Automatic: 1 for 2-D toys, all CPUs but one for images "
                                    f"(this machine has {cpus}).")
        form.addRow("CPU threads", self.threadsSpin)

        self.deviceCombo = QComboBox()
        self.deviceCombo.setObjectName("prefDeviceCombo")
        for name in DEVICE_CHOICES:
            self.deviceCombo.addItem(DEVICE_LABELS[name], name)
        self.deviceCombo.setToolTip("Where new runs train and where Explore and Sketch draw. 'auto' uses a CUDA "
                                    "GPU when PyTorch sees one, else the CPU.")
        cuda = self.deviceCombo.model().item(self.deviceCombo.findData("cuda"))
        if not cuda_available:
            cuda.setEnabled(False)
            cuda.setToolTip("Checking for a CUDA GPU…" if cuda_available is None else
                            "PyTorch sees no CUDA GPU on this machine.")
        wanted = prefs.device if (prefs.device != "cuda" or cuda_available) else "auto"
        self.deviceCombo.setCurrentIndex(self.deviceCombo.findData(wanted))
        form.addRow("Device", self.deviceCombo)

        self.exportScaleCombo = QComboBox()
        self.exportScaleCombo.setObjectName("prefExportScaleCombo")
        for scale in EXPORT_SCALES:
            self.exportScaleCombo.addItem("model size" if scale == 1 else f"×{scale} nearest", scale)
        self.exportScaleCombo.setCurrentIndex(max(0, self.exportScaleCombo.findData(prefs.export_scale)))
        self.exportScaleCombo.setToolTip("The size Explore exports pictures at, to start with: the model's own "
                                         "pixels or enlarged without smoothing.")
        form.addRow("Default export size", self.exportScaleCombo)

        from ganstudio.core.train.tensorboard_export import INSTALL, tensorboard_installed

        self.tensorboardCheck = QCheckBox("Also write TensorBoard logs")
        self.tensorboardCheck.setObjectName("prefTensorBoardCheck")
        if tensorboard_installed():
            self.tensorboardCheck.setChecked(prefs.tensorboard)
            self.tensorboardCheck.setToolTip("New runs also write their numbers, previews and config as TensorBoard "
                                             "events in RUN_FOLDER/tensorboard (tensorboard --logdir that folder).")
        else:
            self.tensorboardCheck.setEnabled(False)
            self._tensorboard_wanted = prefs.tensorboard  # kept as it was, for when tensorboard is installed
            self.tensorboardCheck.setToolTip(f"The tensorboard package is not installed; install it with {INSTALL} "
                                             "and open Preferences again.")
        form.addRow("TensorBoard", self.tensorboardCheck)

        note = QLabel("Applied when you press OK.")
        note.setProperty("muted", True)
        root.addWidget(note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        root.addWidget(self.buttons)

    def choose_runs_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for new runs", self.runsFolderEdit.text())
        if folder:
            self.runsFolderEdit.setText(folder)

    def preferences(self) -> Preferences:
        """What the dialog shows now."""
        text = self.runsFolderEdit.text().strip()
        folder = Path(text).expanduser().absolute() if text else default_runs_folder()  # not relative to where the app started
        tensorboard = (self.tensorboardCheck.isChecked() if self.tensorboardCheck.isEnabled()
                       else self._tensorboard_wanted)
        return Preferences(folder, int(self.threadsSpin.value()), str(self.deviceCombo.currentData()),
                           int(self.exportScaleCombo.currentData()), tensorboard)
