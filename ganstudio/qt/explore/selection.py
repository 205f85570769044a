"""The Selection panel of the Explore area: the selected sample large, its caption, and the export and
bookmark buttons. The caption is the ExploreState's; the area puts the rendered view here with `show_view`."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ganstudio.core.latent.explore_state import ExploreState
from ganstudio.qt.settings import EXPORT_SCALES
from ganstudio.qt.widgets.image_views import PixelImageView


class SelectionPanel(QGroupBox):
    """`exportRequested(what)` ("selection" or "grid") and `bookmarkRequested("selection")` ask the area
    for the file dialogs."""

    exportRequested = Signal(str)
    bookmarkRequested = Signal(str)

    def __init__(self, state: ExploreState, parent=None):
        super().__init__("Selection", parent)
        self.state = state
        lay = QVBoxLayout(self)
        self.latentView = PixelImageView("The selected sample appears here, large.")
        self.latentView.setObjectName("latentView")
        self.latentView.setMinimumSize(180, 180)
        lay.addWidget(self.latentView, 1)
        # The caption and Bookmark share a row, the export controls have the next: one row of all of
        # them made the panel (and the area) too wide for a 1280-pixel screen.
        row = QHBoxLayout()
        self.selectionCaption = QLabel("")
        self.selectionCaption.setObjectName("selectionCaption")
        self.selectionCaption.setProperty("muted", True)
        self.selectionCaption.setWordWrap(True)
        self.selectionCaption.setAlignment(Qt.AlignCenter)
        row.addWidget(self.selectionCaption, 1)
        self.bookmarkButton = QPushButton("★ Bookmark…")
        self.bookmarkButton.setObjectName("bookmarkButton")
        self.bookmarkButton.setToolTip("Save the selected sample's exact latent as a JSON bookmark.")
        self.bookmarkButton.clicked.connect(lambda: self.bookmarkRequested.emit("selection"))
        row.addWidget(self.bookmarkButton)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Export"))
        self.exportScaleCombo = QComboBox()
        self.exportScaleCombo.setObjectName("exportScaleCombo")
        for scale in EXPORT_SCALES:
            self.exportScaleCombo.addItem("model size" if scale == 1 else f"×{scale} nearest", scale)
        self.exportScaleCombo.setToolTip("Size of exported pictures: the model's own pixels, or enlarged an "
                                         "integer number of times without smoothing (Preferences sets the default).")
        row.addWidget(self.exportScaleCombo)
        self.exportSelectionButton = QPushButton("Selection…")
        self.exportSelectionButton.setObjectName("exportSelectionButton")
        self.exportSelectionButton.setToolTip("Save the selected sample as a PNG.")
        self.exportSelectionButton.clicked.connect(lambda: self.exportRequested.emit("selection"))
        row.addWidget(self.exportSelectionButton)
        self.exportGridButton = QPushButton("Grid…")
        self.exportGridButton.setObjectName("exportGridButton")
        self.exportGridButton.setToolTip("Save the sample grid as a PNG.")
        self.exportGridButton.clicked.connect(lambda: self.exportRequested.emit("grid"))
        row.addWidget(self.exportGridButton)
        row.addStretch(1)
        lay.addLayout(row)

        state.events.model.connect(self._on_model)
        state.events.view.connect(lambda: self.selectionCaption.setText(state.caption()))
        self._enable(False)

    def show_view(self, picture: np.ndarray) -> None:
        self.latentView.set_image(picture)

    def export_scale(self) -> int:
        return int(self.exportScaleCombo.currentData())

    def set_export_scale(self, scale: int) -> None:
        index = self.exportScaleCombo.findData(int(scale))
        if index >= 0:
            self.exportScaleCombo.setCurrentIndex(index)

    def _on_model(self, _info: dict) -> None:
        self.latentView.set_image(None)
        self._enable(True)

    def _enable(self, on: bool) -> None:
        for w in (self.exportSelectionButton, self.exportGridButton, self.bookmarkButton):
            w.setEnabled(on)
