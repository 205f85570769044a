"""The Samples panel of the Explore area: seed, Reseed, class, truncation, the 16-sample grid, and the
buttons that add the selection to an arithmetic group or the keyframes. Writes the ExploreState and
listens to its events; the area puts the rendered grid here with `show_grid`."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSpinBox, QVBoxLayout

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.explore_state import (
    GRID_COLUMNS,
    GROUPS,
    SEED_LIMIT,
    TRUNCATION_DEFAULTS,
    TRUNCATION_RANGE,
    W_PSI_RANGE,
    W_TRUNCATION,
    ExploreState,
)
from ganstudio.qt.widgets.image_views import ImageGridView

TRUNCATION_ITEMS = (("Off", "off", "Plain Gaussian z."),
                    ("Resample |z|>t", "resample", "BigGAN's trick: coordinates beyond ±t are drawn again."),
                    ("Scale z·ψ", "scale", "StyleGAN-style: z is shrunk toward the mode by ψ."))
W_ITEM = ("ψ in W", W_TRUNCATION, "StyleGAN's truncation: w is pulled toward the average w_avg by ψ when rendering "
          "(ψ 1: none, 0: the average picture); the same as `ganstudio sample --truncation ψ`.")


class SamplesPanel(QGroupBox):
    """`failed(sentence)`: a setting was refused; `bookmarkRequested(what)` / `exportRequested(what)`:
    the grid's context menu asked for the bookmark or export dialog of the selection."""

    failed = Signal(str)
    bookmarkRequested = Signal(str)
    exportRequested = Signal(str)

    def __init__(self, state: ExploreState, parent=None):
        super().__init__("Samples", parent)
        self.state = state
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Seed"))
        self.seedSpin = QSpinBox()
        self.seedSpin.setObjectName("seedSpin")
        self.seedSpin.setRange(0, SEED_LIMIT)
        self.seedSpin.setToolTip("The grid's 16 latents are drawn from this seed: the same seed gives the same "
                                 "samples, here and in `ganstudio sample --seed`.")
        self.seedSpin.setKeyboardTracking(False)
        self.seedSpin.valueChanged.connect(state.set_seed)
        row.addWidget(self.seedSpin)
        self.reseedButton = QPushButton("⟳ Reseed")
        self.reseedButton.setObjectName("reseedButton")
        self.reseedButton.setToolTip("Draw 16 new samples with a new random seed.")
        self.reseedButton.clicked.connect(state.reseed)
        row.addWidget(self.reseedButton)
        row.addSpacing(8)
        self.classLabel = QLabel("Class")
        row.addWidget(self.classLabel)
        self.classCombo = QComboBox()
        self.classCombo.setObjectName("classCombo")
        self.classCombo.setToolTip("For class-conditional models: the class every sample is drawn from "
                                   "(Mixed cycles through the classes, as `ganstudio sample` does).")
        self.classCombo.currentIndexChanged.connect(self._on_class_combo)
        self.classCombo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.classCombo.setMinimumContentsLength(7)
        row.addWidget(self.classCombo)
        # Hidden for unconditional models, but its room kept: opening a conditional model must not
        # widen the panel (and the area).
        for w in (self.classLabel, self.classCombo):
            policy = w.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            w.setSizePolicy(policy)
        row.addStretch(1)
        lay.addLayout(row)

        row = QHBoxLayout()
        row.addWidget(QLabel("Truncation"))
        self.truncationCombo = QComboBox()
        self.truncationCombo.setObjectName("truncationCombo")
        self.truncationCombo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.truncationCombo.setMinimumContentsLength(8)
        for text, mode, tip in TRUNCATION_ITEMS:
            self.truncationCombo.addItem(text, mode)
            self.truncationCombo.setItemData(self.truncationCombo.count() - 1, tip, Qt.ToolTipRole)
        self.truncationCombo.setToolTip("Truncation trades variety for typical-looking samples.")
        self.truncationCombo.currentIndexChanged.connect(self._on_truncation_mode)
        row.addWidget(self.truncationCombo)
        self.truncationSpin = QDoubleSpinBox()
        self.truncationSpin.setObjectName("truncationSpin")
        self.truncationSpin.setRange(*TRUNCATION_RANGE)
        self.truncationSpin.setSingleStep(0.1)
        self.truncationSpin.setDecimals(2)
        self.truncationSpin.setValue(state.truncation_value)
        self.truncationSpin.setKeyboardTracking(False)
        self.truncationSpin.setToolTip("t (resample) or ψ (scale); smaller means closer to the average sample.")
        self.truncationSpin.valueChanged.connect(self._on_truncation_value)
        row.addWidget(self.truncationSpin)
        row.addStretch(1)
        lay.addLayout(row)

        self.latentGrid = ImageGridView(columns=GRID_COLUMNS, spacing=4,
                                        placeholder="Open a checkpoint, a bundled model or a pytorch/examples "
                                                    "netG_*.pth to see its samples here.")
        self.latentGrid.setObjectName("latentGrid")
        self.latentGrid.setMinimumSize(180, 180)  # at 1280x720 the area gives it ~240
        self.latentGrid.setToolTip("Click a sample to select it; right-click to add it to a group or the keyframes.")
        self.latentGrid.cellClicked.connect(state.select_cell)
        self.latentGrid.cellMenuRequested.connect(self._cell_menu)
        lay.addWidget(self.latentGrid, 1)

        row = QHBoxLayout()
        self.groupButtons: dict[str, QPushButton] = {}
        for g, sign in zip(GROUPS, ("+", "−", "+")):
            b = QPushButton(f"{sign} {g}")
            b.setObjectName(f"addTo{g}Button")
            b.setToolTip(f"Add the selected sample to group {g} of the arithmetic mean(A) − mean(B) + mean(C).")
            b.clicked.connect(lambda _=False, grp=g: state.add_to_group(grp))
            self.groupButtons[g] = b
            row.addWidget(b)
        row.addStretch(1)
        self.addKeyframeButton = QPushButton("+ Keyframe")
        self.addKeyframeButton.setObjectName("addKeyframeButton")
        self.addKeyframeButton.setToolTip("Add the selected sample (with its slider offsets) to the interpolation.")
        self.addKeyframeButton.clicked.connect(state.add_keyframe)
        row.addWidget(self.addKeyframeButton)
        lay.addLayout(row)

        ev = state.events
        ev.model.connect(self._on_model)
        ev.seed.connect(self._on_seed)
        ev.truncation.connect(self._on_truncation)
        ev.class_choice.connect(self._on_class_choice)
        ev.selection.connect(lambda: self.latentGrid.set_current(state.sel_index))
        ev.groups.connect(lambda: self.latentGrid.set_badges(state.group_badges()))
        self._enable(False)

    def show_grid(self, pictures: np.ndarray) -> None:
        self.latentGrid.set_images(pictures)
        self.latentGrid.set_current(self.state.sel_index)
        self.latentGrid.set_badges(self.state.group_badges())

    def set_truncation(self, mode: str, value: float | None) -> None:
        try:
            self.state.set_truncation(mode, value)
        except GanStudioError as exc:
            self.failed.emit(str(exc))

    # --- widgets -> state --------------------------------------------------------------------------------
    def _on_class_combo(self, index: int) -> None:
        if index >= 0:
            self.state.set_class(self.classCombo.itemData(index))

    def _on_truncation_mode(self, _index: int) -> None:
        mode = self.truncationCombo.currentData()
        self.set_truncation(mode, TRUNCATION_DEFAULTS.get(mode))

    def _on_truncation_value(self, value: float) -> None:
        self.set_truncation(self.truncationCombo.currentData(), value)

    def _cell_menu(self, index: int, pos: QPoint) -> None:
        self.state.select_cell(index)
        menu = QMenu(self)
        for g in GROUPS:
            menu.addAction(f"Add to group {g}", lambda grp=g: self.state.add_to_group(grp))
        menu.addSeparator()
        menu.addAction("Add as keyframe", self.state.add_keyframe)
        menu.addAction("Bookmark…", lambda: self.bookmarkRequested.emit("selection"))
        menu.addAction("Export…", lambda: self.exportRequested.emit("selection"))
        menu.popup(pos)

    # --- state -> widgets --------------------------------------------------------------------------------
    def _on_model(self, info: dict) -> None:
        # StyleGAN models offer psi in W (their own truncation); the others keep the z truncations
        has_w = self.truncationCombo.findData(W_TRUNCATION) >= 0
        if self.state.is_stylegan != has_w:
            self.truncationCombo.blockSignals(True)
            if has_w:
                self.truncationCombo.removeItem(self.truncationCombo.findData(W_TRUNCATION))
            else:
                text, mode, tip = W_ITEM
                self.truncationCombo.insertItem(1, text, mode)
                self.truncationCombo.setItemData(1, tip, Qt.ToolTipRole)
            self.truncationCombo.blockSignals(False)
            self._on_truncation()
        n_classes = self.state.n_classes
        self.classCombo.blockSignals(True)
        self.classCombo.clear()
        if n_classes:
            self.classCombo.addItem(f"Mixed (0–{n_classes - 1})", None)
            for k in range(n_classes):
                self.classCombo.addItem(f"Class {k}", k)
        self.classCombo.blockSignals(False)
        self._enable(True)

    def _on_seed(self, seed: int) -> None:
        if self.seedSpin.value() != seed:
            self.seedSpin.blockSignals(True)
            self.seedSpin.setValue(seed)
            self.seedSpin.blockSignals(False)

    def _on_truncation(self) -> None:
        s = self.state
        for w in (self.truncationCombo, self.truncationSpin):
            w.blockSignals(True)
        self.truncationCombo.setCurrentIndex(self.truncationCombo.findData(s.truncation_mode))
        self.truncationSpin.setRange(*(W_PSI_RANGE if s.truncation_mode == W_TRUNCATION else TRUNCATION_RANGE))
        self.truncationSpin.setValue(s.truncation_value)
        for w in (self.truncationCombo, self.truncationSpin):
            w.blockSignals(False)
        self.truncationSpin.setEnabled(s.truncation_mode != "off" and s.model_info is not None)

    def _on_class_choice(self, k: int | None) -> None:
        idx = self.classCombo.findData(k) if k is not None else 0
        if 0 <= idx < self.classCombo.count() and self.classCombo.currentIndex() != idx:
            self.classCombo.blockSignals(True)
            self.classCombo.setCurrentIndex(idx)
            self.classCombo.blockSignals(False)

    def _enable(self, on: bool) -> None:
        for w in (self.seedSpin, self.reseedButton, self.truncationCombo, self.addKeyframeButton,
                  *self.groupButtons.values()):
            w.setEnabled(on)
        self.truncationSpin.setEnabled(on and self.state.truncation_mode != "off")
        conditional = bool(on and self.state.n_classes)
        self.classCombo.setEnabled(conditional)
        self.classCombo.setVisible(conditional)
        self.classLabel.setVisible(conditional)
