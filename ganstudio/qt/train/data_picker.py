"""The Train form's Data group: the data set menu, the folder (edit, Browse…) for the folder kinds, its
background check (`check_data_folder`, newest request wins) with a one-sentence status and thumbnails.
The chosen kind and folder live in the TrainForm; the panel adds the data field rows to `form_layout`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from ganstudio.core.train.form import DATASETS, FOLDER_KINDS, TrainForm
from ganstudio.qt.workers import JobWorker, start_job


def check_data_folder(kind: str, path: str, image_size: int, progress=None, path_b: str = "") -> dict[str, Any]:
    """The folder check as a job. Imported here, in the job's thread: ganstudio.core.data loads PyTorch,
    which the window must not wait for."""
    from ganstudio.core.data.folder_checks import validate_data_folder

    if kind == "unpaired":
        return validate_data_folder(kind, path, image_size, progress=progress, path_b=path_b or None)
    return validate_data_folder(kind, path, image_size, progress=progress)


def array_to_pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w, _ = rgb.shape
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
    return QPixmap.fromImage(image.copy())


class DataPicker(QGroupBox):
    """The "Data" group box. `folder_info` is the newest check's result ({"checking": True} while it runs,
    {"error": sentence} when the folder cannot be used, None before any check)."""

    def __init__(self, form: TrainForm, settings=None, parent=None):
        super().__init__("Data", parent)
        self.train_form = form
        self.settings = settings
        self.folder_info: dict[str, Any] | None = None
        self._folder_job: JobWorker | None = None
        self.form_layout = QFormLayout(self)
        self.form_layout.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form_layout.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)

        self.datasetCombo = QComboBox()
        self.datasetCombo.setObjectName("datasetCombo")
        for kind, label in DATASETS:
            self.datasetCombo.addItem(label, kind)
        self.datasetCombo.setToolTip("What the generator learns to imitate. The 2-D toys train in seconds on a CPU "
                                     "and show the whole game in the 2-D view; digits take minutes.")
        self.datasetCombo.currentIndexChanged.connect(self._on_dataset_changed)
        self.form_layout.addRow("Data set", self.datasetCombo)
        folder_row = QHBoxLayout()
        self.folderEdit = QLineEdit()
        self.folderEdit.setObjectName("folderEdit")
        self.folderEdit.setPlaceholderText("choose a folder of pictures")
        self.folderEdit.textChanged.connect(form.set_folder)
        self.folderEdit.editingFinished.connect(self._on_folder_edited)
        self.browseButton = QPushButton("Browse…")
        self.browseButton.setObjectName("browseFolderButton")
        self.browseButton.clicked.connect(self.choose_folder)
        folder_row.addWidget(self.folderEdit, 1)
        folder_row.addWidget(self.browseButton)
        folder_row.setContentsMargins(0, 0, 0, 0)
        self.folderRow = QWidget()
        self.folderRow.setLayout(folder_row)
        self.folderLabel = QLabel("Folder")
        self.form_layout.addRow(self.folderLabel, self.folderRow)
        # Unpaired data: side B's folder, or empty when the folder above holds trainA/ and trainB/.
        folder_b_row = QHBoxLayout()
        self.folderBEdit = QLineEdit()
        self.folderBEdit.setObjectName("folderBEdit")
        self.folderBEdit.setPlaceholderText("side B (empty: the folder holds trainA/ and trainB/)")
        self.folderBEdit.setToolTip("CycleGAN learns A → B and B → A from two sets of pictures that are not "
                                    "paired. Give side A above and side B here, or leave this empty and give a "
                                    "folder with trainA/ and trainB/ inside, as the reference's data sets are.")
        self.folderBEdit.textChanged.connect(form.set_folder_b)
        self.folderBEdit.editingFinished.connect(self._on_folder_edited)
        self.browseBButton = QPushButton("Browse…")
        self.browseBButton.setObjectName("browseFolderBButton")
        self.browseBButton.clicked.connect(self.choose_folder_b)
        folder_b_row.addWidget(self.folderBEdit, 1)
        folder_b_row.addWidget(self.browseBButton)
        folder_b_row.setContentsMargins(0, 0, 0, 0)
        self.folderBRow = QWidget()
        self.folderBRow.setLayout(folder_b_row)
        self.folderBLabel = QLabel("Folder B")
        self.form_layout.addRow(self.folderBLabel, self.folderBRow)
        self.folderStatus = QLabel("")
        self.folderStatus.setObjectName("folderStatus")
        self.folderStatus.setWordWrap(True)
        self.form_layout.addRow("", self.folderStatus)
        self.thumbnails = QWidget()
        self.thumbnails.setObjectName("folderThumbnails")
        self.thumbLayout = QHBoxLayout(self.thumbnails)
        self.thumbLayout.setContentsMargins(0, 0, 0, 0)
        self.thumbLayout.setSpacing(4)
        self.form_layout.addRow("", self.thumbnails)

        form.events.data_kind.connect(self._show_kind)
        form.events.folder.connect(self.folderEdit.setText)
        form.events.folder_b.connect(self.folderBEdit.setText)
        self._show_kind(form.data_kind)

    def current_data_kind(self) -> str:
        return self.datasetCombo.currentData()

    def _show_kind(self, kind: str) -> None:
        self.datasetCombo.blockSignals(True)
        self.datasetCombo.setCurrentIndex(max(0, self.datasetCombo.findData(kind)))
        self.datasetCombo.blockSignals(False)
        for w in (self.folderLabel, self.folderRow, self.folderStatus, self.thumbnails):
            w.setVisible(kind in FOLDER_KINDS)
        for w in (self.folderBLabel, self.folderBRow):
            w.setVisible(kind == "unpaired")
        self.folderLabel.setText("Folder A" if kind == "unpaired" else "Folder")

    def _on_dataset_changed(self, _index: int) -> None:
        kind = self.current_data_kind()
        self.train_form.set_data_kind(kind)
        self.folder_info = None
        if kind in FOLDER_KINDS and self.folderEdit.text().strip():
            self.validate_folder()

    def set_editable(self, editable: bool) -> None:
        for w in (self.datasetCombo, self.folderEdit, self.browseButton, self.folderBEdit, self.browseBButton):
            w.setEnabled(editable)

    # --- the folder and its check ------------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = self.settings.last_folder("data") if self.settings else ""
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of pictures", start)
        if folder:
            if self.settings:
                self.settings.set_last_folder("data", str(Path(folder).parent))
            self.set_folder(folder)

    def choose_folder_b(self) -> None:
        start = self.settings.last_folder("data") if self.settings else ""
        folder = QFileDialog.getExistingDirectory(self, "Choose side B's folder of pictures", start)
        if folder:
            self.set_folder_b(folder)

    def set_folder_b(self, folder: str) -> JobWorker | None:
        self.folderBEdit.setText(str(folder))
        return self.validate_folder()

    def set_folder(self, folder: str) -> JobWorker | None:
        self.folderEdit.setText(str(folder))
        return self.validate_folder()

    def _on_folder_edited(self) -> None:
        text = self.folderEdit.text().strip()
        text_b = self.folderBEdit.text().strip() if self.current_data_kind() == "unpaired" else ""
        if text and (self.folder_info is None or self.folder_info.get("path") != text
                     or self.folder_info.get("path_b", "") != text_b):
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
        path_b = self.folderBEdit.text().strip() if kind == "unpaired" else ""
        self.folder_info = {"path": path, "path_b": path_b, "checking": True}
        self.folderStatus.setStyleSheet("")
        self.folderStatus.setText("Checking the folder…")
        size = self.train_form.value("data.image_size")
        self._folder_job = start_job(check_data_folder, kind, path, size, pass_progress=True, name="check_data_folder",
                                     path_b=path_b,
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
        if "count_b" in result:
            text = f"side A {result['count']:,}, side B {result['count_b']:,} pictures ready"
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
        self.folder_info = {"path": self.folderEdit.text().strip(), "path_b": self.folderBEdit.text().strip(),
                            "error": err.message}
        self.folderStatus.setStyleSheet("color: #ff8a8a;")
        self.folderStatus.setText(err.message)
        self._clear_thumbnails()

    def _clear_thumbnails(self) -> None:
        while self.thumbLayout.count():
            item = self.thumbLayout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
