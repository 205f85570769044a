"""The latent-fit panel of the Sketch area (`editPanel`, unconditional generators only): fit while
drawing, Fit to strokes, Cancel and the fit's progress. The area runs the fit (a JobWorker) and reports
its progress here."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.sketch.session import SketchSession


class FitPanel(QWidget):
    """`startRequested()` / `cancelRequested()`: the buttons (the area starts and stops the fit)."""

    startRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, session: SketchSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName("editPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.autoEditCheck = QCheckBox("Fit while drawing")
        self.autoEditCheck.setObjectName("autoEditCheck")
        self.autoEditCheck.setChecked(session.auto_fit)
        self.autoEditCheck.setToolTip("After each stroke, search the generator's latent space for pictures that "
                                      "follow the colour hints and the lines (iGAN).")
        self.autoEditCheck.toggled.connect(lambda on: setattr(session, "auto_fit", bool(on)))
        lay.addWidget(self.autoEditCheck)
        row = QHBoxLayout()
        self.editButton = QPushButton("Fit to strokes")
        self.editButton.setObjectName("editButton")
        self.editButton.clicked.connect(self.startRequested)
        self.editCancelButton = QPushButton("Cancel")
        self.editCancelButton.setObjectName("editCancelButton")
        self.editCancelButton.clicked.connect(self.cancelRequested)
        self.editCancelButton.setEnabled(False)
        row.addWidget(self.editButton)
        row.addWidget(self.editCancelButton)
        lay.addLayout(row)
        self.editProgress = QProgressBar()
        self.editProgress.setObjectName("editProgress")
        self.editProgress.setRange(0, 100)
        self.editProgress.setValue(0)
        self.editProgress.setTextVisible(True)
        lay.addWidget(self.editProgress)
        self.setFixedWidth(220)

        session.events.controls.connect(self._sync)
        self._sync()

    def set_running(self, on: bool) -> None:
        """A fit started (progress from 0) or ended."""
        self.editCancelButton.setEnabled(on)
        if on:
            self.editProgress.setValue(0)

    def show_progress(self, step: int, steps: int) -> None:
        self.editProgress.setValue(int(100 * step / max(1, steps)))

    def _sync(self) -> None:
        if self.parent() is not None or not self.session.latent:  # never shown as a window of its own
            self.setVisible(self.session.latent)
