"""Questions the areas ask before doing something a file asked for."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget


def may_open_named_model(parent: QWidget, settings, model_path: str | Path, named_by: str | Path) -> bool:
    """A sketch or bookmark names a model file: open it without asking when it lies in a known place
    (bundled, the user's model and run folders, recent files), else ask. A file must not silently make the
    app open whatever it names anywhere on disk."""
    if settings is None or not hasattr(settings, "is_known_model_place") or settings.is_known_model_place(model_path):
        return True
    box = QMessageBox(QMessageBox.Question, "Open the model this file names?",
                      f"{Path(named_by).name} was made with the model {model_path}, which is outside your model "
                      "folders and recent files. Open that model?", parent=parent)
    box.setObjectName("openNamedModelBox")
    yes = box.addButton("Open the model", QMessageBox.AcceptRole)
    yes.setObjectName("openNamedModelYes")
    no = box.addButton("Not now", QMessageBox.RejectRole)
    no.setObjectName("openNamedModelNo")
    box.setDefaultButton(no)
    box.exec()
    return box.clickedButton() is yes
