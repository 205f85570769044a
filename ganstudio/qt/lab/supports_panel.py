"""Experiment 7 on screen: a generator from fewer dimensions than its samples, and how thin its support is."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from ganstudio.core.lab import supports
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot
from ganstudio.qt.workers import start_job, stop_jobs

SAMPLES = 4000  # on screen: enough to see the manifold, redrawn in well under a second on a busy 2-core CPU


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
        self.xy = pg.ScatterPlotItem(size=2, pen=None, brush=pg.mkBrush("#4f9dff"))
        self.xz = pg.ScatterPlotItem(size=2, pen=None, brush=pg.mkBrush("#4f9dff"))
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
        self.xy.setData(pts[:, 0], pts[:, 1])
        self.xzPlot.setVisible(True)
        self.xz.setData(pts[:, 0], pts[:, 2] if x_dim == 3 else np.zeros(len(pts)))
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
