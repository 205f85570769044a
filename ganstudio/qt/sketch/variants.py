"""The variants strip of the Sketch area: reference-mode variants (one seed each: dropout masks, or the
seed's z for models with a latent input) or the best latent fits, with Lock and Shuffle. Clicking a variant chooses it in the SketchSession; the area puts the
rendered variants here with `show_variants` / `show_fits`."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.sketch.session import SketchSession
from ganstudio.qt.widgets.image_views import ImageGridView


class VariantsPanel(QWidget):
    def __init__(self, session: SketchSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(8)
        left = QVBoxLayout()
        self.variantsLabel = QLabel("Variants")
        self.variantsLabel.setObjectName("variantsLabel")
        left.addWidget(self.variantsLabel)
        self.lockCandidate = QCheckBox("Lock")
        self.lockCandidate.setObjectName("lockCandidate")
        self.lockCandidate.setToolTip("Keep the chosen variant: only it is computed while you draw.")
        self.lockCandidate.toggled.connect(session.set_locked)
        left.addWidget(self.lockCandidate)
        self.shuffleButton = QPushButton("Shuffle")
        self.shuffleButton.setObjectName("shuffleButton")
        self.shuffleButton.setToolTip("New variants in the other slots (the chosen one stays).")
        self.shuffleButton.clicked.connect(lambda: session.shuffle())
        left.addWidget(self.shuffleButton)
        left.addStretch(1)
        bar.addLayout(left)
        self.candidateStrip = ImageGridView(columns=session.n_variants, placeholder="")
        self.candidateStrip.setObjectName("candidateStrip")
        self.candidateStrip.setFixedHeight(104)
        self.candidateStrip.setToolTip("Variants of the picture; click one to choose it.")
        self.candidateStrip.cellClicked.connect(session.choose_variant)
        bar.addWidget(self.candidateStrip, 1)

        session.events.lock.connect(self._on_lock)
        session.events.chosen.connect(self.candidateStrip.set_current)
        session.events.variants_cleared.connect(lambda: self.candidateStrip.set_images(None))
        session.events.controls.connect(self._sync)
        self._sync()

    def show_variants(self, pictures: Sequence[np.ndarray], chosen: int) -> None:
        self.candidateStrip.set_images(list(pictures))
        self.candidateStrip.set_current(chosen)

    def show_fits(self, pictures: Sequence[np.ndarray]) -> None:
        """The best latent fits, best first (the first is the output)."""
        self.show_variants(pictures, 0)

    def _on_lock(self, on: bool) -> None:
        self.lockCandidate.blockSignals(True)
        self.lockCandidate.setChecked(on)
        self.lockCandidate.blockSignals(False)
        self.candidateStrip.setEnabled(not on)

    def _sync(self) -> None:
        s = self.session
        self.lockCandidate.setVisible(not s.latent)
        self.shuffleButton.setVisible(not s.latent)
        self.lockCandidate.setEnabled(s.stochastic)
        self.shuffleButton.setEnabled(s.stochastic and not s.locked)
        if s.latent:
            self.candidateStrip.placeholder = "Draw: the best latent fits appear here."
        elif s.translating and not s.stochastic:
            self.candidateStrip.placeholder = "Variants need Reference mode and a model with dropout or a latent z."
        else:
            self.candidateStrip.placeholder = "Variants appear here when you lift the pen."
        self.candidateStrip.update()
