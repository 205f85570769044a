"""The Directions tab of the Explore area: one slider per GANSpace principal direction (offsets of the
large view in standard deviations) and, folded away, one per raw z coordinate of the selection. The
sliders write the ExploreState and follow its events; the area reports the directions job here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.latent.explore_state import DIRECTION_RANGE, RAW_RANGE, SLIDER_UNITS, ExploreState
from ganstudio.qt.explore.style_panel import StylePanel


def _value_label(width: int) -> QLabel:
    label = QLabel("")
    label.setMinimumWidth(width)
    label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
    label.setStyleSheet("font-family: monospace;")
    return label


def _slider(name: str, limit: float) -> QSlider:
    slider = QSlider(Qt.Horizontal)
    slider.setObjectName(name)
    slider.setRange(-int(limit * SLIDER_UNITS), int(limit * SLIDER_UNITS))
    return slider


def _set_quietly(slider: QSlider, value: float) -> None:
    slider.blockSignals(True)
    slider.setValue(int(round(value * SLIDER_UNITS)))
    slider.blockSignals(False)


def _scroll(rows: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(rows)
    scroll.setFrameShape(QFrame.NoFrame)
    return scroll


def _grid(rows: QWidget, vertical_spacing: int) -> QGridLayout:
    grid = QGridLayout(rows)
    grid.setContentsMargins(0, 0, 4, 0)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(vertical_spacing)
    return grid


def _clear(grid: QGridLayout) -> None:
    while grid.count():
        item = grid.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()


class DirectionsPanel(QWidget):
    def __init__(self, state: ExploreState, parent: QWidget | None = None, failed=None):
        super().__init__(parent)
        self.setObjectName("directionSliders")
        self.state = state
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 8, 6, 6)
        self.directionStatus = QLabel("Principal directions appear once a model is loaded.")
        self.directionStatus.setObjectName("directionStatus")
        self.directionStatus.setWordWrap(True)
        self.directionStatus.setProperty("muted", True)
        lay.addWidget(self.directionStatus)
        self.style_panel = StylePanel(state, failed)  # StyleGAN only: layer range, style mixing
        lay.addWidget(self.style_panel)
        self.directionProgress = QProgressBar()
        self.directionProgress.setObjectName("directionProgress")
        self.directionProgress.setRange(0, 100)
        self.directionProgress.setTextVisible(False)
        self.directionProgress.setFixedHeight(6)
        self.directionProgress.hide()
        lay.addWidget(self.directionProgress)

        self.directionRows = QWidget()
        self.directionGrid = _grid(self.directionRows, 2)
        lay.addWidget(_scroll(self.directionRows), 3)
        self.directionSliderWidgets: list[QSlider] = []
        self.directionValueLabels: list[QLabel] = []

        row = QHBoxLayout()
        self.resetSlidersButton = QPushButton("Reset sliders")
        self.resetSlidersButton.setObjectName("resetSlidersButton")
        self.resetSlidersButton.setToolTip("Put every direction slider back to 0.")
        self.resetSlidersButton.clicked.connect(state.reset_directions)
        row.addWidget(self.resetSlidersButton)
        row.addStretch(1)
        lay.addLayout(row)

        self.rawToggle = QToolButton()
        self.rawToggle.setObjectName("rawToggle")
        self.rawToggle.setText("Raw z dimensions")
        self.rawToggle.setCheckable(True)
        self.rawToggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.rawToggle.setArrowType(Qt.RightArrow)
        self.rawToggle.setAutoRaise(True)
        self.rawToggle.setToolTip("One slider per coordinate of z (the selected sample before direction offsets).")
        self.rawToggle.toggled.connect(self._on_raw_toggled)
        lay.addWidget(self.rawToggle)
        self.rawRows = QWidget()
        self.rawGrid = _grid(self.rawRows, 1)
        self.rawScroll = _scroll(self.rawRows)
        self.rawScroll.setObjectName("rawSliders")
        self.rawScroll.hide()
        lay.addWidget(self.rawScroll, 3)
        self.rawSliderWidgets: list[QSlider] = []
        self.rawValueLabels: list[QLabel] = []

        ev = state.events
        ev.model.connect(self._on_model)
        ev.directions.connect(self._on_directions)
        ev.offsets.connect(self._on_offsets)
        ev.selection.connect(self._sync_raw)
        ev.raw.connect(self._sync_raw)
        self._enable(False)

    # --- the directions job (reported by the area) -----------------------------------------------------
    def show_computing(self, n_samples: int) -> None:
        what = "w" if self.state.is_stylegan else "the first block"
        self.directionStatus.setText(f"Finding principal directions (PCA of {what} over {n_samples} samples)…")
        self.directionProgress.setValue(0)
        self.directionProgress.show()

    def show_progress(self, fraction: float) -> None:
        self.directionProgress.setValue(int(100 * fraction))

    def show_unavailable(self, sentence: str) -> None:
        self.directionProgress.hide()
        self.directionStatus.setText("Principal directions are not available: " + sentence)

    def open_raw(self) -> None:
        """Unfold the raw z sliders (built on first use)."""
        if not self.rawSliderWidgets:
            self.rawToggle.setChecked(True)

    # --- state -> widgets --------------------------------------------------------------------------------
    def _on_model(self, info: dict) -> None:
        self._clear_direction_rows()
        _clear(self.rawGrid)
        self.rawSliderWidgets, self.rawValueLabels = [], []
        if self.rawToggle.isChecked():
            self.rawToggle.setChecked(False)
        self.rawToggle.setText(f"Raw z dimensions ({info['z_dim']})")
        self._enable(True)

    def _on_directions(self) -> None:
        self.directionProgress.hide()
        total, rows = self.state.direction_summary()
        space = self.state.directions.space
        where = "in W" if space == "w" else f"of layer {self.state.directions.layer}"
        source = "SeFa, closed form" if self.state.directions.layer == "sefa" else "GANSpace"
        self.directionStatus.setText(
            f"{len(rows)} principal directions {where} ({total:.0f}% of its variance; "
            f"{source}). Sliders move ±{DIRECTION_RANGE:g} standard deviations.")
        self._clear_direction_rows()
        for k, (share, std) in enumerate(rows):
            name = QLabel(f"PC{k + 1}")
            name.setToolTip(f"Direction {k + 1}: {share:.1f}% of the variance; one unit = {std:.2f} in {space}.")
            percent = QLabel(f"{share:4.1f}%")
            percent.setProperty("muted", True)
            slider = _slider(f"directionSlider{k}", DIRECTION_RANGE)
            slider.setPageStep(SLIDER_UNITS // 2)
            slider.valueChanged.connect(lambda v, i=k: self.state.set_direction(i, v / SLIDER_UNITS))
            value = _value_label(48)
            value.setText("+0.00σ")
            for col, w in enumerate((name, percent, slider, value)):
                self.directionGrid.addWidget(w, k, col)
            self.directionSliderWidgets.append(slider)
            self.directionValueLabels.append(value)
        self.directionGrid.setColumnStretch(2, 1)
        self.directionGrid.setRowStretch(len(rows), 1)

    def _on_offsets(self, k: int | None) -> None:
        for i in range(len(self.directionSliderWidgets)) if k is None else (k,):
            alpha = float(self.state.alphas[i]) if i < len(self.state.alphas) else 0.0
            _set_quietly(self.directionSliderWidgets[i], alpha)
            self.directionValueLabels[i].setText(f"{alpha:+.2f}σ")

    def _sync_raw(self, j: int | None = None) -> None:
        base = self.state.sel_base
        if not self.rawSliderWidgets or base is None:
            return
        for i in range(len(self.rawSliderWidgets)) if j is None else (j,):
            _set_quietly(self.rawSliderWidgets[i], float(base[i]))
            self.rawValueLabels[i].setText(f"{float(base[i]):+.2f}")

    def _clear_direction_rows(self) -> None:
        _clear(self.directionGrid)
        self.directionSliderWidgets, self.directionValueLabels = [], []

    # --- raw z sliders ---------------------------------------------------------------------------------
    def _on_raw_toggled(self, on: bool) -> None:
        self.rawToggle.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        if on and not self.rawSliderWidgets and self.state.model_info is not None:
            for j in range(self.state.z_dim):
                name = QLabel(f"z{j}")
                name.setProperty("muted", True)
                slider = _slider(f"rawSlider{j}", RAW_RANGE)
                slider.valueChanged.connect(lambda v, i=j: self.state.set_raw_dimension(i, v / SLIDER_UNITS))
                value = _value_label(44)
                for col, w in enumerate((name, slider, value)):
                    self.rawGrid.addWidget(w, j, col)
                self.rawSliderWidgets.append(slider)
                self.rawValueLabels.append(value)
            self.rawGrid.setColumnStretch(1, 1)
            self._sync_raw()
        self.rawScroll.setVisible(on)

    def _enable(self, on: bool) -> None:
        self.resetSlidersButton.setEnabled(on)
        self.rawToggle.setEnabled(on)
