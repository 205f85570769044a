"""The Monitor's sample pane: the sample grid of image runs or the 2-D view of toy runs, with the history
slider that scrubs the saved samples (at its right end it follows the newest).

The pane shows what it is given; which run and which saved sample is the monitor's choice. The 2-D view
itself is `toy_view.ToyView`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QStackedWidget, QVBoxLayout, QWidget

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

    def __init__(self, parent=None):
        super().__init__(parent)
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
