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
    return ask_yes_no(parent, "openNamedModel", "Open the model this file names?",
                      f"{Path(named_by).name} was made with the model {model_path}, which is outside your model "
                      "folders and recent files. Open that model?", yes="Open the model", no="Not now",
                      default_yes=False)


def ask_yes_no(parent: QWidget, name: str, title: str, text: str, *, yes: str, no: str,
               default_yes: bool) -> bool:
    """A modal question with two buttons, named `{name}Box`, `{name}Yes`, `{name}No` (tests click them);
    Escape answers no. True when the user chose yes."""
    box = QMessageBox(QMessageBox.Question, title, text, parent=parent)
    box.setObjectName(f"{name}Box")
    yes_button = box.addButton(yes, QMessageBox.AcceptRole)
    yes_button.setObjectName(f"{name}Yes")
    no_button = box.addButton(no, QMessageBox.RejectRole)
    no_button.setObjectName(f"{name}No")
    box.setDefaultButton(yes_button if default_yes else no_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button
