"""The Monitor's sample pane: the sample grid of image runs or the 2-D view of toy runs, with the history
slider that scrubs the saved samples (at its right end it follows the newest).

Given a `MonitorState`, the pane shows its current run's saved sample at the state's sample index and the
slider scrubs that index; without one it shows what it is given. The 2-D view itself is `toy_view.ToyView`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QStackedWidget, QVBoxLayout, QWidget

from ganstudio.core.train.monitor_state import MonitorState
from ganstudio.qt.monitor.toy_view import ToyView

log = logging.getLogger(__name__)

TOY_LAYERS = (("heat", "D heat map"), ("real", "real"), ("fake", "generated"), ("arrows", "G's gradient"))


def read_sample_file(path: Path) -> dict[str, Any] | None:
    try:
        if path.suffix == ".npy":
            return {"points": np.load(path, allow_pickle=False)}
        from PIL import Image

        with Image.open(path) as im:
            return {"grid": np.asarray(im.convert("RGB"))}
    except (OSError, ValueError) as exc:
        log.warning("cannot read sample file %s: %s", path, exc)
        return None


class SampleGridView(pg.GraphicsLayoutWidget):
    """The sample grid of the fixed latent batch, shown pixel-exact and aspect-locked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMouse=True)
        self.view.setMenuEnabled(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.step: int | None = None
        self._shape = None

    def show_grid(self, grid: np.ndarray, step: int | None = None) -> None:
        self.step = step
        self.image_item.setImage(np.asarray(grid), autoLevels=False, levels=(0, 255))
        if grid.shape != self._shape:
            self._shape = grid.shape
            self.view.autoRange(padding=0.01)

    def clear_grid(self) -> None:
        self.image_item.clear()
        self.step = None


class SamplePane(QWidget):
    """Title, the stack (empty text | `sampleGrid` | `toyView`), the toy layer boxes and the history row."""

    def __init__(self, state: MonitorState | None = None, parent=None):
        super().__init__(parent)
        self.state = state
        self._shown: tuple[int, int, int] | None = None  # (run, index, step) on screen: not read again
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Samples")
        self.title.setProperty("muted", True)
        layout.addWidget(self.title)
        self.stack = QStackedWidget()
        self.empty = QLabel("Samples of the fixed latent batch appear here while a run trains.")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setProperty("muted", True)
        self.grid = SampleGridView()
        self.toy_view = ToyView()
        for w in (self.empty, self.grid, self.toy_view):
            self.stack.addWidget(w)
        self.stack.setMinimumSize(300, 300)
        layout.addWidget(self.stack, 1)
        self.toy_layers = QWidget()
        layers = QHBoxLayout(self.toy_layers)
        layers.setContentsMargins(0, 0, 0, 0)
        for layer, text in TOY_LAYERS:
            cb = QCheckBox(text)
            cb.setChecked(True)
            cb.toggled.connect(lambda on, l=layer: self.toy_view.set_layer_visible(l, on))
            layers.addWidget(cb)
        layers.addStretch(1)
        layout.addWidget(self.toy_layers)
        history = QHBoxLayout()
        self.history_slider = QSlider(Qt.Horizontal)
        self.history_slider.setObjectName("sampleHistorySlider")
        self.history_slider.setToolTip("Scrub through the samples saved so far; at the right end it follows the newest.")
        self.history_slider.setRange(0, 0)
        self.history_label = QLabel("no samples yet")
        self.history_label.setObjectName("sampleStepLabel")
        self.history_label.setMinimumWidth(110)
        history.addWidget(self.history_slider, 1)
        history.addWidget(self.history_label)
        layout.addLayout(history)
        if state is not None:
            self.history_slider.valueChanged.connect(state.scrub_samples)
            state.events.current.connect(lambda _run: self.show_current(force=True))
            state.events.sample_index.connect(lambda _index: self.show_current())
            self.show_current_kind()

    def show_kind(self, toy: bool, empty: bool) -> None:
        """The 2-D view for toy runs (even before a sample), else the grid, or the empty text."""
        self.toy_layers.setVisible(toy)
        if toy:
            self.stack.setCurrentWidget(self.toy_view)
        elif empty:
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.grid)
        self.title.setText("Generator vs data (2-D)" if toy else "Samples of the fixed latent batch")

    def set_history(self, n: int, follow: bool) -> None:
        """`n` saved samples; `follow` moves the slider to the newest. Emits no valueChanged."""
        self.history_slider.blockSignals(True)
        self.history_slider.setRange(0, max(0, n - 1))
        if follow:
            self.history_slider.setValue(max(0, n - 1))
        self.history_slider.blockSignals(False)

    def reset_toy(self, bounds, real_points) -> None:
        """A toy run newly shown: its plot bounds and real points."""
        self.toy_view.bounds = None
        if bounds is not None:
            self.toy_view.set_bounds(bounds)
        self.toy_view.set_real_points(real_points)

    def show_payload(self, payload: dict[str, Any], step: int) -> None:
        """A saved sample: {"grid": uint8 HxWx3} for image runs, {"points": ...} (a 2-D state) for toys."""
        if "grid" in payload:
            self.grid.show_grid(payload["grid"], step)
        elif "points" in payload:
            self.toy_view.show_state(payload, step)

    # --- the state's current run ----------------------------------------------------------------------
    def show_current_kind(self) -> None:
        run = self.state.current
        self.show_kind(toy=run is not None and run.task == "toy", empty=run is None or not run.samples)

    def show_current(self, force: bool = False) -> None:
        """The current run's sample at the state's index; `force`: a run newly shown (toy bounds and real
        points again, the sample even if it is the one on screen)."""
        state, run = self.state, self.state.current
        self.show_current_kind()
        self.set_history(state.sample_count, follow=state.follows_newest)
        if run is not None and run.task == "toy" and force:
            self.reset_toy(run.bounds, run.real_points)
        index = state.shown_sample_index()
        if index is None:
            self.history_label.setText("no samples yet")
            return
        step, payload = run.samples[index]
        if not force and self._shown == (id(run), index, step):
            return
        self._shown = (id(run), index, step)
        if isinstance(payload, Path):
            payload = read_sample_file(payload)
            if payload is None:
                return
        newest = " (newest)" if index == len(run.samples) - 1 else ""
        self.history_label.setText(f"step {step}{newest}")
        self.show_payload(payload, step)
