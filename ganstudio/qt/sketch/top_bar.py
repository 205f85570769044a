"""The bar at the top of the Sketch area: the model list and Open model…, the mode and the seed (which
write the SketchSession), and the file buttons (which ask the area for its dialogs)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSpinBox, QWidget

from ganstudio.core.sketch.session import SEED_LIMIT, SketchSession

log = logging.getLogger(__name__)

MODES = (("Deterministic", "eval", "Batch norm running statistics, no dropout, z = 0 for models with a latent "
                                   "input: one picture per sketch."),
         ("Reference (variants)", "reference", "As the pix2pix test script runs: batch norm on each picture's "
                                               "own statistics, dropout on; each seed gives a variant. Models "
                                               "with a latent input draw each seed's z instead."))


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A label whose Alt+letter puts the focus on `widget`."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class TopBar(QWidget):
    """`modelChosen(path)` a model of the list was picked; `openModelRequested()`, `openImageRequested()`,
    `openSketchRequested()`, `saveSketchRequested()`, `exportRequested(what)` ("output": at the model's
    size, "output_shown": as the output view shows it, or "side_by_side"): the buttons, for the area's file dialogs."""

    modelChosen = Signal(str)
    openModelRequested = Signal()
    openImageRequested = Signal()
    openSketchRequested = Signal()
    saveSketchRequested = Signal()
    exportRequested = Signal(str)

    def __init__(self, session: SketchSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        # One row that fits a 1280-pixel screen (with the tool column and the area list beside it): the
        # combos size to a few characters, not to their longest item, and say the rest in tooltips.
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        self.modelCombo = QComboBox()
        self.modelCombo.setObjectName("sketchModelCombo")
        self.modelCombo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.modelCombo.setMinimumContentsLength(12)
        self.modelCombo.setToolTip("Bundled models and the models opened in this session: sketch models turn the "
                                   "drawing into a picture; unconditional ones (latent fit) search their latent "
                                   "space for a picture that follows the strokes.")
        self.modelCombo.activated.connect(self._on_model_chosen)
        bar.addWidget(_buddy("&Model", self.modelCombo))
        bar.addWidget(self.modelCombo, 1)
        self.openModelButton = QPushButton("Open model…")
        self.openModelButton.setObjectName("sketchOpenModelButton")
        self.openModelButton.setToolTip("A GAN Studio checkpoint or run folder (sketch / pix2pix runs translate, image "
                                        "runs are steered by latent fitting), or a pix2pix reference netG .pth.")
        self.openModelButton.clicked.connect(self.openModelRequested)
        bar.addWidget(self.openModelButton)
        bar.addSpacing(4)
        self.modeCombo = QComboBox()
        self.modeCombo.setObjectName("sketchModeCombo")
        self.modeCombo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.modeCombo.setMinimumContentsLength(13)  # "Reference (variants)" whole
        for text, mode, tip in MODES:
            self.modeCombo.addItem(text, mode)
            self.modeCombo.setItemData(self.modeCombo.count() - 1, tip, Qt.ToolTipRole)
        self.modeCombo.setToolTip("Deterministic: batch norm running statistics, no dropout (z = 0). Reference: "
                                  "as the pix2pix test script runs (batch norm on each picture's own statistics, "
                                  "dropout on): each seed gives a variant; a model with a latent input (the bundled "
                                  "sketch model) draws each seed's z.")
        self.modeCombo.setCurrentIndex(max(0, self.modeCombo.findData(session.mode)))
        self.modeCombo.currentIndexChanged.connect(lambda _i: session.set_mode(self.modeCombo.currentData()))
        bar.addWidget(_buddy("M&ode", self.modeCombo))
        bar.addWidget(self.modeCombo)
        self.seedSpin = QSpinBox()
        self.seedSpin.setObjectName("sketchSeedSpin")
        self.seedSpin.setRange(0, SEED_LIMIT)
        self.seedSpin.setValue(session.seed)
        self.seedSpin.setToolTip("The chosen variant: dropout masks in Reference mode, the starting latent for "
                                 "unconditional models.")
        self.seedSpin.valueChanged.connect(session.set_seed)
        bar.addWidget(_buddy("See&d", self.seedSpin))
        bar.addWidget(self.seedSpin)
        bar.addSpacing(4)
        self.openImageButton = QPushButton("Open picture…")
        self.openImageButton.setObjectName("openImageButton")
        self.openImageButton.setToolTip("Start from a picture: its lines and a few colour hints, made exactly as "
                                        "training pairs are. Undoable. Edit > Paste picture (Ctrl+V) starts from the "
                                        "picture on the clipboard.")
        self.openImageButton.clicked.connect(self.openImageRequested)
        bar.addWidget(self.openImageButton)
        self.openSketchButton = QPushButton("Open sketch…")
        self.openSketchButton.setObjectName("openSketchButton")
        self.openSketchButton.setToolTip("Open a sketch saved with Save sketch… (its strokes, colours, model and seed).")
        self.openSketchButton.clicked.connect(self.openSketchRequested)
        bar.addWidget(self.openSketchButton)
        self.saveSketchButton = QPushButton("Save sketch…")
        self.saveSketchButton.setObjectName("saveSketchButton")
        self.saveSketchButton.setToolTip("Save the strokes, colours, model and seed as a sketch document (JSON).")
        self.saveSketchButton.clicked.connect(self.saveSketchRequested)
        bar.addWidget(self.saveSketchButton)
        self.exportButton = QPushButton("Export")
        self.exportButton.setObjectName("sketchExportButton")
        self.exportButton.setToolTip("Save the output picture (at the model's size, or as shown: enlarged smoothly "
                                     "or in exact pixels), or the sketch and the output side by side, as PNG.")
        menu = QMenu(self.exportButton)
        menu.addAction("Output picture, model size (PNG)…", lambda: self.exportRequested.emit("output"))
        menu.addAction("Output picture as shown (PNG)…", lambda: self.exportRequested.emit("output_shown"))
        menu.addAction("Sketch | output side by side (PNG)…", lambda: self.exportRequested.emit("side_by_side"))
        self.exportButton.setMenu(menu)
        bar.addWidget(self.exportButton)

        session.events.mode.connect(self._show_mode)
        session.events.seed.connect(self._show_seed)
        session.events.controls.connect(self._sync)
        self._sync()

    def refresh(self) -> None:
        """Fill the list: the bundled sketch models, and the session's model when it is not one of them."""
        current, info = self.session.model_path, self.session.model_info
        combo = self.modelCombo
        combo.blockSignals(True)
        combo.clear()
        try:
            from ganstudio.core.generators.catalogue import list_bundled

            for m in list_bundled(area="sketch"):
                latent = m.kind != "sketch"
                combo.addItem(f"{m.title} (latent fit)" if latent else m.title, str(m.path))
                combo.setItemData(combo.count() - 1, m.description, Qt.ToolTipRole)
        except Exception as exc:  # noqa: BLE001 - a broken bundled file must not break the area
            log.warning("listing bundled sketch models failed: %s", exc)
        if current and combo.findData(current) < 0:
            combo.addItem(info["title"] if info and info.get("path") == current else Path(current).name, current)
        if combo.count() == 0:
            combo.addItem("No model: open one…", None)
        idx = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(0, idx))
        combo.blockSignals(False)

    def first_model(self) -> Any:
        """The first model of the list (the bundled sketch model, when installed), or None."""
        return self.modelCombo.itemData(0)

    def _on_model_chosen(self, index: int) -> None:
        path = self.modelCombo.itemData(index)
        if path and path != self.session.model_path:
            self.modelChosen.emit(path)

    def _show_mode(self, mode: str) -> None:
        self.modeCombo.blockSignals(True)
        self.modeCombo.setCurrentIndex(max(0, self.modeCombo.findData(mode)))
        self.modeCombo.blockSignals(False)

    def _show_seed(self, seed: int) -> None:
        self.seedSpin.blockSignals(True)
        self.seedSpin.setValue(int(seed))
        self.seedSpin.blockSignals(False)

    def _sync(self) -> None:
        self.modeCombo.setEnabled(self.session.translating)
