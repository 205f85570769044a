"""StyleGAN controls of the Explore area's Directions tab: the layers the principal directions in W move, and
style mixing of the large view (coarse / middle / fine layers from the latent of a second seed). Shown for
StyleGAN models only (hidden, its room kept, for the others); writes the ExploreState, follows its events."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QLabel, QSpinBox, QWidget

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.explore_state import SEED_LIMIT, ExploreState

RANGE_TIPS = {"all": "every layer", "coarse": "the 4-8 px layers: pose, face shape, layout",
              "middle": "the 16-32 px layers: features, hair style, eyes open or closed",
              "fine": "the 64 px and finer layers: colour scheme, micro-structure"}


def _combo(name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)
    return combo


class StylePanel(QWidget):
    """`failed(sentence)` is the area's show_error, passed in (a refused setting is shown, never raised)."""

    def __init__(self, state: ExploreState, failed=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stylePanel")
        self.state = state
        self._failed = failed
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        grid.addWidget(QLabel("Directions"), 2, 0)
        self.directionMethodCombo = _combo("directionMethodCombo", "Where the directions in W come from.")
        self.directionMethodCombo.addItem("GANSpace", "ganspace")
        self.directionMethodCombo.setItemData(0, "PCA of w over sampled latents (Härkönen et al. 2020).", 3)
        self.directionMethodCombo.addItem("SeFa", "sefa")
        self.directionMethodCombo.setItemData(1, "Closed form: eigenvectors of the style layers' weights "
                                                 "(Shen & Zhou 2021), no sampling.", 3)
        self.directionMethodCombo.currentIndexChanged.connect(self._on_method)
        grid.addWidget(self.directionMethodCombo, 2, 1, 1, 3)
        grid.addWidget(QLabel("Move layers"), 0, 0)
        self.directionLayersCombo = _combo("directionLayersCombo", "The layers of w the principal directions move "
                                           "(GANSpace edits a layer range: coarse for pose, fine for colour).")
        self.directionLayersCombo.currentIndexChanged.connect(self._on_direction_layers)
        grid.addWidget(self.directionLayersCombo, 0, 1, 1, 3)
        self.mixCheck = QCheckBox("Mix")
        self.mixCheck.setObjectName("mixCheck")
        self.mixCheck.setToolTip("Style mixing: the chosen layers of the large view take the styles of the first "
                                 "sample of the mixing seed.")
        self.mixCheck.toggled.connect(self._on_mix)
        grid.addWidget(self.mixCheck, 1, 0)
        self.mixSeedSpin = QSpinBox()
        self.mixSeedSpin.setObjectName("mixSeedSpin")
        self.mixSeedSpin.setRange(0, SEED_LIMIT)
        self.mixSeedSpin.setValue(1)
        self.mixSeedSpin.setKeyboardTracking(False)
        self.mixSeedSpin.setToolTip("The second sample: the first grid cell of this seed.")
        self.mixSeedSpin.valueChanged.connect(self._on_mix)
        grid.addWidget(self.mixSeedSpin, 1, 1)
        self.mixLayersCombo = _combo("mixLayersCombo", "The layers that take the second sample's styles.")
        self.mixLayersCombo.currentIndexChanged.connect(self._on_mix)
        grid.addWidget(self.mixLayersCombo, 1, 2, 1, 2)
        grid.setColumnStretch(3, 1)
        # Hidden for other models without keeping its room: their direction sliders take it (the sliders
        # scroll, so a StyleGAN's panel never grows the window either).
        state.events.model.connect(self._on_model)
        state.events.style.connect(self._on_style)
        self.setVisible(False)

    # --- what the area's methods call ----------------------------------------------------------------------
    def set_mixing(self, seed: int | None, layers: str | None = None) -> None:
        try:
            self.state.set_mixing(seed, layers)
        except GanStudioError as exc:
            self._report(str(exc))

    def set_direction_layers(self, layers: str) -> None:
        try:
            self.state.set_direction_layers(layers)
        except GanStudioError as exc:
            self._report(str(exc))

    def _report(self, sentence: str) -> None:
        if self._failed is not None:
            self._failed(sentence)

    # --- widgets -> state ------------------------------------------------------------------------------------
    def _on_direction_layers(self, index: int) -> None:
        if index >= 0:
            self.set_direction_layers(self.directionLayersCombo.itemData(index))

    def _on_method(self, index: int) -> None:
        if index >= 0:
            try:
                self.state.set_direction_method(self.directionMethodCombo.itemData(index))
            except GanStudioError as exc:
                self._report(str(exc))

    def _on_mix(self, *_args) -> None:
        layers = self.mixLayersCombo.currentData()
        self.set_mixing(self.mixSeedSpin.value() if self.mixCheck.isChecked() else None, layers)

    # --- state -> widgets ------------------------------------------------------------------------------------
    def _on_model(self, _info: dict) -> None:
        ranges = self.state.layer_ranges
        for combo in (self.directionLayersCombo, self.mixLayersCombo):
            combo.blockSignals(True)
            combo.clear()
            for name, (start, stop) in ranges.items():
                combo.addItem(name, name)
                combo.setItemData(combo.count() - 1, f"{RANGE_TIPS.get(name, name)} (w {start} to {stop - 1})", 3)
            combo.blockSignals(False)
        self._on_style()
        self.setVisible(self.state.is_stylegan)

    def _on_style(self) -> None:
        s = self.state
        widgets = (self.directionLayersCombo, self.mixLayersCombo, self.mixCheck, self.mixSeedSpin,
                   self.directionMethodCombo)
        for w in widgets:
            w.blockSignals(True)
        self.directionLayersCombo.setCurrentIndex(max(0, self.directionLayersCombo.findData(s.direction_layers)))
        self.mixLayersCombo.setCurrentIndex(max(0, self.mixLayersCombo.findData(s.mix_range)))
        self.mixCheck.setChecked(s.mix_seed is not None)
        self.directionMethodCombo.setCurrentIndex(max(0, self.directionMethodCombo.findData(s.direction_method)))
        if s.mix_seed is not None:
            self.mixSeedSpin.setValue(s.mix_seed)
        for w in widgets:
            w.blockSignals(False)
