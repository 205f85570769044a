"""Experiment 7 on screen: a generator from fewer dimensions than its samples, and how thin its support is."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from ganstudio.core.lab import supports
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

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

    def redraw(self) -> None:
        z_dim, x_dim = int(self.zDim.currentText()), int(self.xDim.currentText())
        if z_dim >= x_dim:
            self.result = None
            self.numbers.setText("<span style='color:#ff6b6b'>z must have fewer dimensions than x.</span>")
            return
        r = supports.experiment(z_dim, x_dim, seed=int(self.seed.value()), n=SAMPLES, n_probe=SAMPLES)
        self.result = r
        pts = r["points"]
        self.xy.setData(pts[:, 0], pts[:, 1])
        self.xzPlot.setVisible(True)
        self.xz.setData(pts[:, 0], pts[:, 2] if x_dim == 3 else np.zeros(len(pts)))
        self.xzPlot.setTitle("samples (x₁, x₃)" if x_dim == 3 else "samples (x₁, 0): no third axis", size="9pt")
        le, lf = np.log(r["eps"]), np.log(np.maximum(r["tube_fraction"], 1e-12))
        self.tube.setData(le, lf)
        mid = len(le) // 2
        self.guide.setData(le, lf[mid] + r["codimension"] * (le - le[mid]))
        sv = ", ".join(f"{v:.3g}" for v in r["singular_values_min"])
        self.numbers.setText(f"Jacobian rank {r['jacobian_rank']} of {x_dim}; smallest singular values over the "
                             f"samples: {sv}<br>tube slope {r['tube_slope']:.2f} (n − k = {r['codimension']})")
