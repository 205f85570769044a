"""The Sketch area's files: opening pictures, sketches and dropped files, pasting, saving and exporting,
and the recovery file (autosave, the sketch kept at exit, the offer after a crash).

A mix-in of `SketchArea` (it uses the area's canvas, session, renderer, settings and messages).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication, QFileDialog

from ganstudio.qt.widgets.ask import may_open_named_model

log = logging.getLogger(__name__)

IMAGE_FILTER = "Pictures (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"
SKETCH_FILTER = "Sketch documents (*.json)"


class SketchFiles:
    """Files in and out of the Sketch area."""

    def open_file(self, path: str) -> None:
        """What a file dropped on the canvas does: pictures and sketches open, generators load."""
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            from ganstudio.core.errors import GanStudioError
            from ganstudio.core.safe_json import read_json
            from ganstudio.core.sketch.document import MAX_DOCUMENT_BYTES

            try:  # bounded: a deeply nested or huge file is one sentence, not a RecursionError
                head = read_json(path, what="File", max_bytes=MAX_DOCUMENT_BYTES)
            except GanStudioError as exc:
                self.show_error(str(exc))
                return
            if isinstance(head, dict) and head.get("format") == "ganstudio-sketch":
                self.open_sketch(path)
            else:
                self.load_model(path)
        elif suffix in (".safetensors", ".pth", ".pt"):
            self.load_model(path)
        else:
            self.open_image(path)

    def choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Start from a picture", self._dialog_folder("sketch"), IMAGE_FILTER)
        if path:
            self._remember_folder("sketch", path)
            self.open_image(path)

    def paste_picture(self) -> bool:
        """Edit > Paste picture (Ctrl+V): the clipboard's picture, opened as Open picture… does. Undoable."""
        from ganstudio.qt.sketch.clipboard import NoPicture, picture_file_from_clipboard

        try:
            path = picture_file_from_clipboard(QApplication.clipboard(), self.data_dir)
        except NoPicture as exc:
            self.show_note(str(exc))
            return False
        except OSError as exc:
            self.show_error(f"The pasted picture could not be kept in {self.data_dir}: {exc.strerror or exc}.")
            return False
        return self.open_image(path, label="the pasted picture" if path.parent == self.data_dir else None)

    def open_image(self, path: str | Path, n_hints: int = 12, *, label: str | None = None) -> bool:
        """Put a picture's lines and `n_hints` colour hints on the canvas (image_to_sketch_input, the code
        that builds training pairs). Undoable."""
        from ganstudio.core.data import load_image
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import document_from_image

        size = self.canvas.size_px
        try:
            image = load_image(path, size, channels=3)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        doc = document_from_image(image, size, n_hints=n_hints, seed=self.session.seed)
        doc.extra["image"] = str(path)
        self.canvas.set_document(doc, undoable=True, text="open picture")
        self.show_note(f"Started from {label or Path(path).name}: its lines and {n_hints} colour hints.")
        return True

    def choose_sketch(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a sketch", self._dialog_folder("sketch"), SKETCH_FILTER)
        if path:
            self._remember_folder("sketch", path)
            self.open_sketch(path)

    def open_sketch(self, path: str | Path) -> bool:
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import load_document

        try:
            doc = load_document(path)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return False
        self._adopt_document(doc, named_by=path)
        self.show_note(f"Opened {Path(path).name}.")
        return True

    def _adopt_document(self, doc, named_by: str | Path = "The recovered sketch", *, undoable: bool = True,
                        ask: bool = True) -> None:
        """Show a saved or recovered document: its seed and mode, and its model when it is not loaded.
        Undoable when it has the canvas's size. `ask=False`: the app's own file, whose model opens without asking."""
        self.canvas.set_document(doc, undoable=undoable and doc.size == self.canvas.document.size, text="open sketch")
        wanted = doc.model_id
        if wanted and wanted != self.model_path and Path(wanted).exists() \
                and (not ask or may_open_named_model(self, self.settings, wanted, named_by=named_by)):
            self.load_model(wanted)  # its size is applied when it has loaded
        elif self.model_info is not None and self.canvas.size_px != self.model_info["image_size"]:
            self.canvas.resize_document(int(self.model_info["image_size"]))
        self.session.adopt_document(int(doc.seed), doc.mode)  # the mode only when a model is loaded
        self.canvas.document.mode = doc.mode

    def current_document(self):
        doc = self.canvas.document_copy()
        doc.model_id = self.session.model_path
        doc.seed = int(self.session.seed)
        doc.mode = self.session.mode
        return doc

    def choose_save_sketch(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the sketch", self._dialog_folder("sketch"), SKETCH_FILTER)
        if path:
            if not path.lower().endswith(".json"):
                path += ".json"
            self._remember_folder("sketch", path)
            self.save_sketch(path)

    def save_sketch(self, path: str | Path) -> Path | None:
        from ganstudio.core.sketch.document import save_document

        try:
            written = save_document(self.current_document(), path)
        except OSError as exc:
            self.show_error(f"The sketch could not be saved to {path}: {exc.strerror or exc}.")
            return None
        self.recovery.mark_clean()
        self.show_note(f"Saved {Path(path).name}.")
        return written

    def _export_dialog(self, what: str) -> None:
        if what in ("output", "output_shown"):
            self.choose_export_output(shown=what == "output_shown")
        else:
            self.choose_export_side_by_side()

    def choose_export_output(self, shown: bool = False) -> None:
        title = "Export the output as shown" if shown else "Export the output at the model's size"
        path, _ = QFileDialog.getSaveFileName(self, title, self._dialog_folder("export"), "PNG (*.png)")
        if path:
            self._remember_folder("export", path)
            self.export_output(path if path.lower().endswith(".png") else path + ".png", shown=shown)

    def choose_export_side_by_side(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export sketch | output", self._dialog_folder("export"), "PNG (*.png)")
        if path:
            self._remember_folder("export", path)
            self.export_side_by_side(path if path.lower().endswith(".png") else path + ".png")

    def export_output(self, path: str | Path, shown: bool = False) -> Path | None:
        """The output picture at the model's resolution (its exact pixels), or `shown=True` as the view
        shows it: at the view's size, enlarged smoothly or in exact pixels as toggled."""
        from ganstudio.core.imaging import save_png

        pic = self.output.displayed_picture() if shown else self.output.image()
        if pic is None:
            self.show_error("There is no output picture to export yet.")
            return None
        try:
            written = save_png(pic, path)
        except OSError as exc:
            self.show_error(f"The output could not be exported to {path}: {exc.strerror or exc}.")
            return None
        h, w = pic.shape[:2]
        self.show_note(f"Exported {Path(path).name} ({w}x{h}).")
        return written

    def side_by_side(self) -> np.ndarray:
        """The canvas as shown | the output enlarged to the same height (smooth or exact pixels, as the
        output view shows it), uint8 (H, W, 3)."""
        left = self.canvas.display_pixels()
        h = left.shape[0]
        pic = self.output.image()
        if pic is None:
            right = np.full_like(left, 255)
        else:
            from ganstudio.qt.widgets.scaled_view import scaled_picture

            right = scaled_picture(pic, h * pic.shape[1] // pic.shape[0], h, self.output.exact_pixels)
        gap = np.full((h, 8, 3), 255, np.uint8)
        return np.concatenate([left, gap, right], axis=1)

    def export_side_by_side(self, path: str | Path) -> Path:
        from ganstudio.core.imaging import save_png

        written = save_png(self.side_by_side(), path)
        self.show_note(f"Exported {Path(path).name}.")
        return written

    # autosave and recovery
    @property
    def recovery_path(self) -> Path:
        return self.recovery.recovery_path

    def autosave_now(self) -> bool:
        """Write the document to the recovery file when it changed since the last autosave."""
        if not self.session.dirty or self._closed:
            return False
        if not self.recovery.autosave(self.current_document()):
            return False
        self.session.dirty = False
        return True

    def recovery_available(self) -> bool:
        return self.recovery.unsaved() is not None

    def _check_recovery(self) -> None:
        offered = self.recovery.check()
        if offered is not None:
            self.recovery_banner.offer(offered)

    def restore_recovery(self) -> bool:
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.sketch.document import load_document

        self.recovery_banner.hide()
        offered = self.recovery.take_offered()
        try:
            doc = load_document(offered)
        except GanStudioError as exc:
            self.show_error(f"The recovered sketch could not be read: {exc}")
            return False
        self._adopt_document(doc)
        self.session.dirty = offered != self.recovery.recovery_path  # autosave it again unless the recovery file holds it
        self.show_note("Restored the unsaved sketch.")
        return True

    def restore_last_sketch(self) -> list[str]:
        """Open the sketch of the last clean exit with its model (at start, when no crashed sketch is on
        offer: that one is newer). Returns what could not be restored."""
        from ganstudio.core.errors import GanStudioError

        if self.recovery.offered is not None or self._closed:
            return []
        try:
            doc = self.recovery.last()
        except GanStudioError as exc:
            log.warning("%s", exc)
            return ["the last sketch (its file is damaged)"]
        if doc is None:
            return []
        problems = []
        if doc.model_id and not Path(doc.model_id).exists():
            from ganstudio.core.generators.catalogue import list_bundled

            # a bundled model of an app installed elsewhere since: the same model here
            same = [m for m in list_bundled(area="sketch") if m.path.name == Path(doc.model_id).name]
            if same:
                doc.model_id = str(same[0].path)
            else:
                problems.append("the sketch's model (moved or deleted)")
        self._adopt_document(doc, undoable=False, ask=False)
        self.session.dirty = False  # the file holds it; the autosave writes only new strokes
        return problems

    def discard_recovery(self) -> None:
        self.recovery_banner.hide()
        self.recovery.discard()
