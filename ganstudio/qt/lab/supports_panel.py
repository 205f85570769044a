"""Experiment 7 on screen: a generator from fewer dimensions than its samples, and how thin its support is."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from ganstudio.core.lab import supports
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot
from ganstudio.qt.workers import start_job, stop_jobs

SAMPLES = 4000  # on screen: enough to see the manifold


PIXELS = 256
SAMPLE_RGBA = (79, 157, 255, 255)


def occupancy(x: np.ndarray, y: np.ndarray, bins: int = PIXELS) -> tuple[np.ndarray, tuple[float, ...]]:
    """Which of bins x bins cells over the points' square bounds hold a sample: (bins, bins) bool, rows
    along y, and the square (x0, y0, side)."""
    cx, cy = (x.max() + x.min()) / 2, (y.max() + y.min()) / 2
    side = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-9) * 1.04
    x0, y0 = cx - side / 2, cy - side / 2
    ix = np.clip(((x - x0) / side * bins).astype(int), 0, bins - 1)
    iy = np.clip(((y - y0) / side * bins).astype(int), 0, bins - 1)
    grid = np.zeros((bins, bins), bool)
    grid[iy, ix] = True
    return grid, (x0, y0, side)


def show_occupancy(item: pg.ImageItem, x: np.ndarray, y: np.ndarray) -> None:
    grid, (x0, y0, side) = occupancy(x, y)
    rgba = np.zeros(grid.shape + (4,), np.uint8)
    rgba[grid] = SAMPLE_RGBA
    item.setImage(rgba, autoLevels=False)
    item.setRect(QRectF(x0, y0, side, side))
    item.occupied = grid


class SupportsPanel(ExperimentPanel):
    TITLE = "7 · Low-dimensional supports"
    TEXT = ("A generator maps z of dimension k into n > k dimensions, so its Jacobian has rank k and its samples "
            "lie on a thin k-dimensional manifold of volume zero. Real data and such a set almost never overlap, "
            "so a perfect discriminator exists. The ε-tube around the samples shrinks like ε<sup>n−k</sup>.")

    def build(self) -> None:
        row = QHBoxLayout()
        self.zDim = QComboBox()
        self.zDim.setObjectName("supportsZDim")
        self.zDim.addItems(["1", "2"])
        self.xDim = QComboBox()
        self.xDim.setObjectName("supportsXDim")
        self.xDim.addItems(["2", "3"])
        self.xDim.setCurrentText("3")
        for label, combo in (("z dim", self.zDim), ("x dim", self.xDim)):
            row.addWidget(QLabel(label))
            row.addWidget(combo)
            combo.currentTextChanged.connect(self.update_now)
        row.addStretch(1)
        self.left.addLayout(row)
        self.seed = FloatSlider("seed", 0, 50, 0, steps=50, decimals=0, tooltip="which random generator")
        self.seed.valueChanged.connect(self.update_now)
        self.left.addWidget(self.seed)
        self.xyPlot = plot("samples (x₁, x₂)", "x₁", "x₂", legend=False)
        self.xyPlot.setObjectName("supportsXYPlot")
        self.xzPlot = plot("samples (x₁, x₃)", "x₁", "x₃", legend=False)
        self.xzPlot.setObjectName("supportsXZPlot")
        self.tubePlot = plot("fraction of the box within ε of a sample", "log ε", "log fraction")
        self.tubePlot.setObjectName("supportsTubePlot")
        for w in (self.xyPlot, self.xzPlot):
            w.setAspectLocked(True)
        self.plots.addWidget(self.xyPlot, 0, 0)
        self.plots.addWidget(self.xzPlot, 0, 1)
        self.plots.addWidget(self.tubePlot, 1, 0, 1, 2)
        # The samples as the pixels they cover (a 256x256 occupancy image): 4000 scatter points cost pyqtgraph
        # ~11 ms a plot to set up, the image ~2 ms, and a thin support reads as the thin line it is.
        self.xy = pg.ImageItem(axisOrder="row-major")
        self.xz = pg.ImageItem(axisOrder="row-major")
        self.xyPlot.addItem(self.xy)
        self.xzPlot.addItem(self.xz)
        self.tube = self.tubePlot.plot([], [], pen=pen("red"), symbol="o", symbolSize=5, name="measured")
        self.guide = self.tubePlot.plot([], [], pen=pen("white", 1, dashed=True), name="slope n − k")
        self._tube_job = None
        self.tube_result: dict | None = None

    def redraw(self) -> None:
        z_dim, x_dim = int(self.zDim.currentText()), int(self.xDim.currentText())
        self.tube_result = None
        if z_dim >= x_dim:
            self.result = None
            self.numbers.setText("<span style='color:#ff6b6b'>z must have fewer dimensions than x.</span>")
            return
        seed = int(self.seed.value())
        r = supports.manifold(z_dim, x_dim, seed=seed, n=SAMPLES)
        self.result = r
        pts = r["points"]
        show_occupancy(self.xy, pts[:, 0], pts[:, 1])
        self.xzPlot.setVisible(True)
        show_occupancy(self.xz, pts[:, 0], pts[:, 2] if x_dim == 3 else np.zeros(len(pts)))
        self.xzPlot.setTitle("samples (x₁, x₃)" if x_dim == 3 else "samples (x₁, 0): no third axis", size="9pt")
        self._show_numbers()
        # The tube is a Monte Carlo measurement (a k-d tree query per probe, tens of ms): measured in the
        # background so that moving a control redraws within a frame; the newest request wins.
        self._tube_job = start_job(supports.tube, pts, seed, SAMPLES, on_done=self._on_tube, owner=self,
                                   name="lab-supports-tube")

    def _show_numbers(self) -> None:
        r, t = self.result, self.tube_result
        sv = ", ".join(f"{v:.3g}" for v in r["singular_values_min"])
        slope = f"tube slope {t['tube_slope']:.2f}" if t else "tube slope: measuring…"
        self.numbers.setText(f"Jacobian rank {r['jacobian_rank']} of {r['x_dim']}; smallest singular values over "
                             f"the samples: {sv}<br>{slope} (n − k = {r['codimension']})")

    @Slot(object)
    def _on_tube(self, t: dict) -> None:
        if self.sender() is not self._tube_job or self.result is None:
            return
        self.tube_result = t
        le, lf = np.log(t["eps"]), np.log(np.maximum(t["tube_fraction"], 1e-12))
        self.tube.setData(le, lf)
        mid = len(le) // 2
        self.guide.setData(le, lf[mid] + self.result["codimension"] * (le - le[mid]))
        self._show_numbers()

    def shutdown(self) -> None:
        super().shutdown()
        stop_jobs(self)
