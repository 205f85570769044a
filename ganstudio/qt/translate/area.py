"""The Translate area: apply a CycleGAN (or pix2pix picture) model to a photo, input and output side by side.

Model… and Picture… open files (a picture can also be dropped on the area); the direction menu chooses
A → B or B → A and translates again; Swap makes the output the input and turns the direction round;
the output is enlarged smoothly (or in exact pixels, its toggle remembered in the settings); Export writes
it as PNG at the model's size or as shown. The input can be drawn on (`drawing`: a brush of a colour and a
size, Undo stroke, Clear back to the picture as opened or swapped in); the translation follows each stroke.
The work runs in background jobs over a Qt-free `core.generators.translate_session.TranslateSession` (only
numpy pictures and plain dicts come back to this thread); `shutdown()` stops and joins them. One
translation runs at a time: what is asked while it runs (strokes, a direction) waits, and only the newest
request runs after it, so strokes drawn during a translation make one more translation, not one each;
a result older than the newest request is dropped.
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

from ganstudio.core.generators.translate_session import OTHER_WAY
from ganstudio.qt.translate.drawing import BrushBar, DrawableInputView
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
    editsChanged = Signal()  # a stroke, undo, clear or a new input: what Edit > Undo can do may have changed

    def __init__(self, device: str = "auto", parent: QWidget | None = None, *, settings=None):
        super().__init__(parent)
        from ganstudio.core.generators.picture_edits import PictureEdits
        from ganstudio.core.generators.translate_session import TranslateSession

        self.setObjectName("translateArea")
        self.setAcceptDrops(True)
        self.session = TranslateSession(device=device)
        self.model_info: dict | None = None
        self.picture_path: str | None = None
        self.edits = PictureEdits()
        self._translation_job = None  # the one translation running
        self._wanted = 0  # translation requests made; the newest is the one shown
        self._started = 0  # the request the running (or last) translation answers
        self._swap_waiting = False  # Swap asked for while a translation ran: done when the newest is shown

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
                                     "(enlarged smoothly or in exact pixels); or the input as drawn.")
        menu = QMenu(self.exportButton)
        menu.addAction("Output, model size (PNG)…", lambda: self._choose_export(shown=False))
        menu.addAction("Output as shown (PNG)…", lambda: self._choose_export(shown=True))
        menu.addSeparator()
        menu.addAction("Input as drawn (PNG)…", self._choose_export_input)
        self.exportButton.setMenu(menu)
        for w in (self.modelButton, self.pictureButton):
            bar.addWidget(w)
        bar.addWidget(self.modelLabel, 1)
        for w in (self.directionCombo, self.swapButton, self.exportButton):
            bar.addWidget(w)

        views = QHBoxLayout()
        self.inputView = DrawableInputView(self.edits, "Open or drop a picture, then draw on it", settings=settings,
                                           area="translate", toggle=False)
        self.inputView.strokeFinished.connect(self._on_stroke)
        self.inputView.setObjectName("translateInput")
        self.outputView = ScaledImageView("The translation shows here", settings=settings, area="translate")
        self.outputView.setObjectName("translateOutput")
        self.outputView.exactPixelsChanged.connect(self.inputView.set_exact_pixels)  # both shown the same way
        views.addWidget(self.inputView, 1)
        views.addWidget(self.outputView, 1)

        self.brushBar = BrushBar(self.inputView)
        self.brushBar.undoRequested.connect(self.undo_stroke)
        self.brushBar.clearRequested.connect(self.clear_drawing)

        self.messageStrip = MessageStrip("translateMessage")
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.brushBar)
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
        """Translate the input as drawn, in the direction chosen. While a translation runs the request waits;
        the newest waiting one runs when it ends (requests in between are never computed)."""
        if self.edits.picture is None or self.model_info is None:
            return
        self._wanted += 1
        if self._translation_job is None:
            self._start_translation()

    def _start_translation(self) -> None:
        self._started = self._wanted
        self._translation_job = start_job(
            self.session.translate_pixels, self.edits.picture.copy(), self.direction if self._two_way else None,
            on_done=self._on_output, on_error=self._on_translate_error, on_cancelled=self._on_translate_cancelled,
            owner=self, name="translate")
        self._sync_buttons()

    @Slot()
    def swap(self) -> None:
        """The output becomes the input (to draw on, too) and is translated the other way."""
        if not self._two_way or self.outputView.image() is None:
            self.messageStrip.show_error("Translate a picture with a CycleGAN model first; Swap turns its "
                                         "translation round.")
            return
        if self._translation_job is not None:  # the output shown is not the newest yet: swap that one
            self._swap_waiting = True
            return
        self._swap_waiting = False
        self.edits.open(self.outputView.image().copy())
        self.inputView.show_edits()
        self.directionCombo.blockSignals(True)
        self.set_direction(OTHER_WAY[self.direction])
        self.directionCombo.blockSignals(False)
        self.editsChanged.emit()
        self.translate()

    # --- drawing -----------------------------------------------------------------------------------------
    @Slot()
    def undo_stroke(self) -> None:
        if self.edits.undo():
            self._after_edit()

    @Slot()
    def clear_drawing(self) -> None:
        if self.edits.clear():
            self._after_edit()

    def can_undo(self) -> bool:
        return self.edits.can_undo

    @Slot()
    def _on_stroke(self) -> None:
        self._after_edit(shown=True)

    def _after_edit(self, shown: bool = False) -> None:
        if not shown:
            self.inputView.show_edits()
        self.brushBar.sync()
        self.editsChanged.emit()
        self.translate()

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

    def export_input(self, path: str | Path) -> None:
        """The input as drawn, at its own size (the picture the model was given: `ganstudio translate` of this
        file makes the output shown)."""
        from ganstudio.core.imaging import save_png

        if self.edits.picture is None:
            self.messageStrip.show_error("Nothing to export yet: open a picture first.")
            return
        try:
            save_png(self.edits.picture, Path(path))
        except OSError as exc:
            self.messageStrip.show_error(f"Could not write {path}: {exc.strerror or exc}.")
            return
        self.message.emit(f"Exported {path}")

    def is_idle(self) -> bool:
        """No job running and the newest translation asked for is on screen (or failed)."""
        return self._translation_job is None and not any(job.is_running() for job in jobs_of(self))

    def error_text(self) -> str:
        return self.messageStrip.text_of("error")

    def shutdown(self) -> None:
        stop_jobs(self)
        self._translation_job = None

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

    def _choose_export_input(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the input as drawn", "drawn.png", "PNG (*.png)")
        if path:
            self.export_input(path if path.lower().endswith(".png") else path + ".png")

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
        self.brushBar.sync()

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
        # The same picture again (the model opened again on another device): the drawing on it stays.
        same = self.edits.base is not None and np.array_equal(self.edits.base, picture)
        if not same:
            self.edits.open(picture)
        self.inputView.show_edits()
        self.outputView.set_image(None)
        self._sync_buttons()
        self.editsChanged.emit()
        self.translate()

    def _translation_ended(self) -> bool:
        """The running translation has ended; True when it answered the newest request (else the newest starts)."""
        self._translation_job = None
        if self._started != self._wanted and self.edits.picture is not None and self.model_info is not None:
            self._start_translation()
            return False
        return True

    @Slot(object)
    def _on_output(self, picture: np.ndarray) -> None:
        if self.sender() is not self._translation_job:
            return
        if self._translation_ended():
            self.outputView.set_image(picture)
            if self._swap_waiting:
                self.swap()
        self._sync_buttons()

    @Slot(object)
    def _on_translate_error(self, error) -> None:
        if self.sender() is not self._translation_job:
            return
        if self._translation_ended():
            self._swap_waiting = False
            self._on_error(error)

    @Slot()
    def _on_translate_cancelled(self) -> None:
        if self.sender() is self._translation_job:
            self._translation_job = None

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
