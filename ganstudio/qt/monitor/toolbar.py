"""The Monitor's toolbar: Open run folder, Browse runs, smoothing, log y, the x axis, Auto-range and Export.

Smoothing, log y and the x axis are the `MonitorState`'s: the controls write it and follow its events (so a
change made elsewhere, e.g. the View menu's Log y, shows here too). The buttons are requests for the shell.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QMenu, QPushButton, QSlider, QToolButton, QWidget

from ganstudio.core.train.monitor_state import MonitorState


class MonitorToolbar(QWidget):
    """`openRunButton`, `browseRunsButton`, `smoothingSlider`, `logYCheck`, `xAxisCombo`, `autoRangeButton`, `exportButton`."""

    open_requested = Signal()
    browse_requested = Signal()
    auto_range_requested = Signal()
    export_csv_requested = Signal()
    export_png_requested = Signal()

    def __init__(self, state: MonitorState, parent=None):
        super().__init__(parent)
        self.state = state
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        self.open_button = QPushButton("Open…")
        self.open_button.setObjectName("openRunButton")
        self.open_button.setToolTip("Open one run folder written by `ganstudio train` (or by this app) and follow it live.")
        self.open_button.clicked.connect(lambda: self.open_requested.emit())
        bar.addWidget(self.open_button)
        self.browse_button = QPushButton("Browse runs…")
        self.browse_button.setObjectName("browseRunsButton")
        self.browse_button.setToolTip("List a folder of runs (name, state, steps, best metric, dates) and open the "
                                      "ones you pick.")
        self.browse_button.clicked.connect(lambda: self.browse_requested.emit())
        bar.addWidget(self.browse_button)
        bar.addSpacing(6)
        bar.addWidget(QLabel("Smoothing"))
        self.smoothing_slider = QSlider(Qt.Horizontal)
        self.smoothing_slider.setObjectName("smoothingSlider")
        self.smoothing_slider.setRange(0, 99)  # hundredths of the weight, up to monitor_state.SMOOTHING_MAX
        self.smoothing_slider.setValue(int(round(state.smoothing * 100)))
        self.smoothing_slider.setFixedWidth(96)
        self.smoothing_slider.setToolTip("Debiased exponential moving average as in TensorBoard, weighted by the spacing of the steps where it "
                                         "is uneven (as W&B's): raw values faint, smoothed bold.")
        self.smoothing_label = QLabel(f"{state.smoothing:.2f}")
        self.smoothing_label.setMinimumWidth(32)
        self.smoothing_slider.valueChanged.connect(lambda v: state.set_smoothing(v / 100.0))
        bar.addWidget(self.smoothing_slider)
        bar.addWidget(self.smoothing_label)
        bar.addSpacing(6)
        self.log_y_check = QCheckBox("Log y")
        self.log_y_check.setObjectName("logYCheck")
        self.log_y_check.setChecked(state.log_y)
        self.log_y_check.setToolTip("Logarithmic y axes (zero and negative values are not drawn).")
        self.log_y_check.toggled.connect(state.set_log_y)
        bar.addWidget(self.log_y_check)
        bar.addSpacing(6)
        bar.addWidget(QLabel("x axis"))
        self.x_combo = QComboBox()
        self.x_combo.setObjectName("xAxisCombo")
        self.x_combo.addItem("Step", "step")
        self.x_combo.addItem("Wall time (s)", "wall_time")
        self.x_combo.setCurrentIndex(self.x_combo.findData(state.x_mode))
        self.x_combo.currentIndexChanged.connect(lambda i: state.set_x_mode(self.x_combo.itemData(i)))
        bar.addWidget(self.x_combo)
        self.auto_button = QPushButton("Auto-range")
        self.auto_button.setObjectName("autoRangeButton")
        self.auto_button.setToolTip("Fit every plot to its data again (double-click a plot does the same).")
        self.auto_button.clicked.connect(lambda: self.auto_range_requested.emit())
        bar.addWidget(self.auto_button)
        self.export_button = QToolButton()
        self.export_button.setObjectName("exportButton")
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Metrics as CSV…", self.export_csv_requested.emit)
        menu.addAction("Plots as PNG…", self.export_png_requested.emit)
        self.export_button.setMenu(menu)
        bar.addWidget(self.export_button)
        bar.addStretch(1)
        state.events.smoothing.connect(self._show_smoothing)
        state.events.log_y.connect(self._show_log_y)
        state.events.x_mode.connect(self._show_x_mode)

    def _show_smoothing(self, weight: float) -> None:
        self.smoothing_label.setText(f"{weight:.2f}")
        value = int(round(weight * 100))
        if self.smoothing_slider.value() != value:
            self.smoothing_slider.blockSignals(True)
            self.smoothing_slider.setValue(value)
            self.smoothing_slider.blockSignals(False)

    def _show_log_y(self, on: bool) -> None:
        if self.log_y_check.isChecked() != on:
            self.log_y_check.blockSignals(True)
            self.log_y_check.setChecked(on)
            self.log_y_check.blockSignals(False)

    def _show_x_mode(self, mode: str) -> None:
        index = self.x_combo.findData(mode)
        if self.x_combo.currentIndex() != index:
            self.x_combo.blockSignals(True)
            self.x_combo.setCurrentIndex(index)
            self.x_combo.blockSignals(False)
