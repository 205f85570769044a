"""The one way an area shows a message: an error or a note, one sentence, selectable, hidden when empty."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ganstudio.core.errors import as_sentence
from ganstudio.qt import theme

log = logging.getLogger(__name__)

LEVELS = ("error", "note")




class MessageStrip(QLabel):
    """An area's message line. `compact` strips (in a tool bar) colour the text only; full-width ones
    draw a box. `level` ("error", "note" or "") and `text()` say what is shown."""

    def __init__(self, object_name: str, parent: QWidget | None = None, *, compact: bool = False):
        super().__init__("", parent)
        self.setObjectName(object_name)
        self.compact = compact
        self.level = ""
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        if compact:  # in a bar: stays in place (empty) so that the widgets beside it do not jump
            self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        else:
            self.hide()

    def _style(self, level: str) -> str:
        if self.compact:
            return f"color: {theme.ERROR if level == 'error' else theme.MUTED};"
        if level == "error":
            return (f"color: #ffd9d9; background: {theme.ERROR_BG}; border: 1px solid #8c3a42; "
                    "border-radius: 4px; padding: 6px 8px;")
        return (f"color: #ffeec2; background: {theme.WARNING_BG}; border: 1px solid #8c7332; "
                "border-radius: 4px; padding: 6px 8px;")

    def show_message(self, text: str, level: str) -> str:
        if level not in LEVELS:
            raise ValueError(f"message level must be one of {LEVELS}, not {level!r}")
        text = as_sentence(text)
        if level == "error":
            log.warning("%s: %s", self.objectName(), text)
        self.level = level
        self.setProperty("level", level)
        self.setStyleSheet(self._style(level))
        self.setText(text)
        self.show()
        return text

    def show_error(self, text: str) -> str:
        return self.show_message(text, "error")

    def show_note(self, text: str) -> str:
        return self.show_message(text, "note")

    def clear_message(self) -> None:
        self.level = ""
        self.setProperty("level", "")
        self.clear()
        if not self.compact:
            self.hide()

    def text_of(self, level: str) -> str:
        """The sentence shown at `level`, or ""."""
        return self.text() if self.level == level and not self.isHidden() else ""


class AreaMessages:
    """An area's message methods, for areas that hold a MessageStrip as `messageLabel` and a `message`
    signal (the status bar's copy of the sentence)."""

    messageLabel: MessageStrip

    def show_error(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_error(text))

    def show_note(self, text: str) -> None:
        self.message.emit(self.messageLabel.show_note(text))

    def clear_message(self) -> None:
        self.messageLabel.clear_message()

    def error_text(self) -> str:
        """The error sentence shown in the area, or "" (tests read it)."""
        return self.messageLabel.text_of("error")

    def note_text(self) -> str:
        return self.messageLabel.text_of("note")
