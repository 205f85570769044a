"""The Translate area: apply a CycleGAN (or pix2pix picture) model to a photo, input and output side by side.

Model… and Picture… open files (a picture can also be dropped on the area); the direction menu chooses
A → B or B → A and translates again; Swap makes the output the input and turns the direction round;
the output is enlarged smoothly (or in exact pixels, its toggle remembered in the settings); Export writes
it as PNG at the model's size or as shown. The work runs in background jobs over a Qt-free
`core.generators.translate_session.TranslateSession` (one at a time; only numpy pictures and plain dicts
come back to this thread); `shutdown()` stops and joins them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.widgets.message_strip import MessageStrip
from ganstudio.qt.widgets.scaled_view import ScaledImageView
from ganstudio.qt.workers import jobs_of, start_job, stop_jobs

log = logging.getLogger(__name__)

DIRECTION_LABELS = (("AtoB", "A → B"), ("BtoA", "B → A"))
PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"
MODEL_FILTER = "Models (*.safetensors *.pth *.pt *.pkl);;All files (*)"


# There is no bundled CycleGAN: the first visit says where one comes from.
NO_MODEL = ("No model: open a CycleGAN checkpoint (the cyclegan-scenes preset trains one, day <-> night, in about "
            "15 minutes on 2 CPU cores) or a pix2pix picture model.")

class TranslateArea(QWidget):
    message = Signal(str)

    def __init__(self, device: str = "auto", parent: QWidget | None = None, *, settings=None):
        super().__init__(parent)
        from ganstudio.core.generators.translate_session import TranslateSession

        self.setObjectName("translateArea")
        self.setAcceptDrops(True)
        self.session = TranslateSession(device=device)
        self.model_info: dict | None = None
        self.picture_path: str | None = None

        bar = QHBoxLayout()
        self.modelButton = QPushButton("Model…")
        self.modelButton.setObjectName("translateModelButton")
        self.modelButton.setToolTip("Open a CycleGAN checkpoint (a run folder of an unpaired run) or a pix2pix "
                                    "picture model.")
        self.modelButton.clicked.connect(self._choose_model)
        self.modelLabel = QLabel(NO_MODEL)
        self.modelLabel.setObjectName("translateModelLabel")
        self.modelLabel.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.pictureButton = QPushButton("Picture…")
        self.pictureButton.setObjectName("translatePictureButton")
        self.pictureButton.setToolTip("Open the picture to translate (or drop one on the area).")
        self.pictureButton.clicked.connect(self._choose_picture)
        self.directionCombo = QComboBox()
        self.directionCombo.setObjectName("translateDirection")
        for key, label in DIRECTION_LABELS:
            self.directionCombo.addItem(label, key)
        self.directionCombo.setToolTip("A → B uses the generator G_A, B → A the generator G_B.")
        self.directionCombo.currentIndexChanged.connect(self._on_direction_changed)
        self.swapButton = QPushButton("Swap ⇄")
        self.swapButton.setObjectName("translateSwap")
        self.swapButton.setToolTip("The output becomes the input and the direction turns round (A → B → A).")
        self.swapButton.clicked.connect(self.swap)
        self.exportButton = QPushButton("Export")
        self.exportButton.setObjectName("translateExport")
        self.exportButton.setToolTip("Save the output picture as PNG: at the size the model made it, or as shown "
                                     "(enlarged smoothly or in exact pixels).")
        menu = QMenu(self.exportButton)
        menu.addAction("Output, model size (PNG)…", lambda: self._choose_export(shown=False))
        menu.addAction("Output as shown (PNG)…", lambda: self._choose_export(shown=True))
        self.exportButton.setMenu(menu)
        for w in (self.modelButton, self.pictureButton):
            bar.addWidget(w)
        bar.addWidget(self.modelLabel, 1)
        for w in (self.directionCombo, self.swapButton, self.exportButton):
            bar.addWidget(w)

        views = QHBoxLayout()
        self.inputView = ScaledImageView("Open or drop a picture", settings=settings, area="translate", toggle=False)
        self.inputView.setObjectName("translateInput")
        self.outputView = ScaledImageView("The translation shows here", settings=settings, area="translate")
        self.outputView.setObjectName("translateOutput")
        self.outputView.exactPixelsChanged.connect(self.inputView.set_exact_pixels)  # both shown the same way
        views.addWidget(self.inputView, 1)
        views.addWidget(self.outputView, 1)

        self.messageStrip = MessageStrip("translateMessage")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.messageStrip)
        layout.addLayout(views, 1)
        self._sync_buttons()

    # --- what the user does ------------------------------------------------------------------------------
    def load_model(self, path: str | Path) -> None:
        self.messageStrip.clear_message()
        self.modelLabel.setText(f"Opening {Path(path).name}…")
        start_job(self.session.open_model, str(path), on_done=self._on_model, on_error=self._on_error, owner=self,
                  name="translate-open-model")

    def set_device(self, device: str) -> None:
        """The Preferences' device: the open model opens again there (the picture stays)."""
        if device == self.session.device:
            return
        self.session.device = device
        if self.session.model is not None:
            self.load_model(self.session.model.path)

    def open_picture(self, path: str | Path) -> None:
        self.messageStrip.clear_message()
        self.picture_path = str(path)
        start_job(self.session.open_picture, str(path), on_done=self._on_picture, on_error=self._on_error,
                  owner=self, name="translate-open-picture")

    @property
    def direction(self) -> str:
        return self.directionCombo.currentData()

    def set_direction(self, direction: str) -> None:
        self.directionCombo.setCurrentIndex([k for k, _ in DIRECTION_LABELS].index(direction))

    def translate(self) -> None:
        start_job(self.session.translate, self.direction if self._two_way else None, on_done=self._on_output,
                  on_error=self._on_error, owner=self, name="translate")

    @Slot()
    def swap(self) -> None:
        start_job(self.session.swap, on_done=self._on_swapped, on_error=self._on_error, owner=self,
                  name="translate-swap")

    def export(self, path: str | Path, shown: bool = False) -> None:
        """The output at the model's size, or `shown=True` as the view shows it (smooth or exact pixels)."""
        from ganstudio.core.imaging import save_png

        picture = self.outputView.displayed_picture() if shown else self.outputView.image()
        if picture is None:
            self.messageStrip.show_error("Nothing to export yet: translate a picture first.")
            return
        try:
            save_png(picture, Path(path))
        except OSError as exc:
            self.messageStrip.show_error(f"Could not write {path}: {exc.strerror or exc}.")
            return
        self.message.emit(f"Exported {path}")

    def is_idle(self) -> bool:
        return not any(job.is_running() for job in jobs_of(self))

    def error_text(self) -> str:
        return self.messageStrip.text_of("error")

    def shutdown(self) -> None:
        stop_jobs(self)

    # --- dialogs and drops -------------------------------------------------------------------------------
    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a translation model", "", MODEL_FILTER)
        if path:
            self.load_model(path)

    def _choose_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a picture", "", PICTURE_FILTER)
        if path:
            self.open_picture(path)

    def _choose_export(self, shown: bool = False) -> None:
        title = "Export the translation as shown" if shown else "Export the translation at the model's size"
        path, _ = QFileDialog.getSaveFileName(self, title, "translation.png", "PNG (*.png)")
        if path:
            self.export(path if path.lower().endswith(".png") else path + ".png", shown=shown)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            (self.load_model if urls[0].lower().endswith((".safetensors", ".pth", ".pt")) else self.open_picture)(urls[0])
            event.acceptProposedAction()

    # --- results (GUI thread) ----------------------------------------------------------------------------
    @property
    def _two_way(self) -> bool:
        return bool(self.model_info and self.model_info.get("directions"))

    def _sync_buttons(self) -> None:
        ready = self.model_info is not None
        self.pictureButton.setEnabled(ready)
        self.directionCombo.setEnabled(self._two_way)
        self.swapButton.setEnabled(self._two_way and self.outputView.image() is not None)
        self.exportButton.setEnabled(self.outputView.image() is not None)

    @Slot(object)
    def _on_model(self, info: dict) -> None:
        self.model_info = info
        self.modelLabel.setText(info.get("description") or info.get("title", ""))
        self.modelLabel.setToolTip(info.get("path", ""))
        self.outputView.set_image(None)
        if self.picture_path:
            self.open_picture(self.picture_path)
        self._sync_buttons()

    @Slot(object)
    def _on_picture(self, picture: np.ndarray) -> None:
        self.inputView.set_image(picture)
        self.outputView.set_image(None)
        self._sync_buttons()
        self.translate()

    @Slot(object)
    def _on_output(self, picture: np.ndarray) -> None:
        self.outputView.set_image(picture)
        self._sync_buttons()

    @Slot(object)
    def _on_swapped(self, result) -> None:
        shown, output, direction = result
        self.inputView.set_image(shown)
        self.outputView.set_image(output)
        self.directionCombo.blockSignals(True)
        self.set_direction(direction)
        self.directionCombo.blockSignals(False)
        self._sync_buttons()

    @Slot(int)
    def _on_direction_changed(self, _index: int) -> None:
        if self.inputView.image() is not None and self.model_info is not None:
            self.translate()

    @Slot(object)
    def _on_error(self, error) -> None:
        text = getattr(error, "message", None) or str(error)
        self.messageStrip.show_error(text)
        if self.model_info is None:
            self.modelLabel.setText(NO_MODEL)
        self._sync_buttons()
