"""The Monitor's global step: one slider for every plot (a marker line at the step) and every sample view
(each shows its newest sample saved at or before it). At its right end, or with Newest, it follows the
newest as runs train. The step is the `MonitorState`'s; the bar writes it and follows its events.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from ganstudio.core.train.monitor_state import MonitorState


class StepBar(QWidget):
    """"Step", `globalStepSlider`, `globalStepLabel` and `followNewestButton`."""

    def __init__(self, state: MonitorState, parent=None):
        super().__init__(parent)
        self.state = state
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Step"))
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("globalStepSlider")
        self.slider.setToolTip("One step for every plot (the marker line) and every sample shown: each shows its "
                               "newest sample saved at or before it. At the right end it follows the newest.")
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(120)
        self.label = QLabel("newest")
        self.label.setObjectName("globalStepLabel")
        self.label.setMinimumWidth(72)
        self.newest_button = QPushButton("Newest")
        self.newest_button.setObjectName("followNewestButton")
        self.newest_button.setToolTip("Follow the newest step again.")
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.newest_button)
        self.slider.valueChanged.connect(state.set_step)
        self.newest_button.clicked.connect(lambda: state.set_step(None))
        events = state.events
        events.step.connect(lambda _step: self.follow())
        events.rows.connect(lambda _run, _metrics: self.follow())
        events.samples.connect(lambda _run: self.follow())
        events.added.connect(lambda _run: self.follow())
        events.removed.connect(lambda _run, _index: self.follow())
        self.follow()

    def follow(self) -> None:
        """The range up to the state's newest step and the handle at its step (emits no valueChanged)."""
        top, step = self.state.max_step, self.state.step
        self.slider.blockSignals(True)
        try:
            if self.slider.maximum() != top:
                self.slider.setRange(0, top)
            self.slider.setValue(top if step is None else step)
        finally:
            self.slider.blockSignals(False)
        self.label.setText("newest" if step is None else f"step {step}")
        self.newest_button.setEnabled(step is not None)
