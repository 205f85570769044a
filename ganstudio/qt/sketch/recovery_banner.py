"""The banner at the top of the Sketch area after a crash: a sketch was not saved, restore it?"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ganstudio.qt import theme


class RecoveryBanner(QFrame):
    """`restoreRequested()` / `discardRequested()`: the buttons; `offer(path)` shows the banner."""

    restoreRequested = Signal()
    discardRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recoveryBanner")
        self.setStyleSheet(f"QFrame#recoveryBanner {{ background: {theme.WARNING_BG}; border-radius: 4px; }}")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.recoveryLabel = QLabel("")
        self.recoveryLabel.setObjectName("recoveryLabel")
        row.addWidget(self.recoveryLabel, 1)
        self.restoreButton = QPushButton("Restore")
        self.restoreButton.setObjectName("restoreButton")
        self.restoreButton.clicked.connect(self.restoreRequested)
        self.discardRecoveryButton = QPushButton("Discard")
        self.discardRecoveryButton.setObjectName("discardRecoveryButton")
        self.discardRecoveryButton.clicked.connect(self.discardRequested)
        row.addWidget(self.restoreButton)
        row.addWidget(self.discardRecoveryButton)
        self.hide()

    def offer(self, path: Path) -> None:
        """Show the banner for the recovery file `path` (its time is when it was last autosaved)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        self.recoveryLabel.setText(f"A sketch from {when} was not saved when GAN Studio last closed. Restore it?")
        self.show()
