"""Experiment 1 on screen: KL, JS, TV and W1 between two parallel lines against theta."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot

from ganstudio.core.lab import distances
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

TOP = 2.2  # the y range of the distances plot; an infinite KL runs along its top


def _fmt(v: float) -> str:
    return "∞" if math.isinf(v) else f"{v:.4f}"


class DistancesPanel(ExperimentPanel):
    TITLE = "1 · Distances between lines that do not overlap"
    TEXT = ("P<sub>r</sub> is the line (0, y) and P<sub>g</sub> the line (θ, y), y ~ U[0, 1]. For every θ ≠ 0 "
            "JS is log 2 and TV is 1, flat in θ (no gradient for the generator), and KL is infinite; W1 = |θ| "
            "slopes towards 0. Widen the lines (instance noise) and the divergences become finite and smooth.")

    def build(self) -> None:
        self.theta = FloatSlider("θ", -2.0, 2.0, 0.5, steps=400, tooltip="how far P_g is from P_r")
        self.noise = FloatSlider("width", 0.0, 1.0, 0.0, steps=200, tooltip="instance noise: each line is blurred "
                                 "in x by N(0, width²)")
        self.left.addWidget(self.theta)
        self.left.addWidget(self.noise)
        self.strip = self.add_training("Estimate at θ", self.start_estimate, self._on_estimate)
        self.strip.setToolTip("Train a discriminator (JS = (log 4 + max V) / 2) and a WGAN-GP critic (W1) on "
                              "samples of the two lines at this θ and width")
        self.distPlot = plot("closed forms (lines) and estimates (dots)", "θ")
        self.distPlot.setObjectName("distancesPlot")
        self.distPlot.setYRange(0, TOP, padding=0)
        self.gradPlot = plot("d/dθ: what a generator moving θ feels", "θ")
        self.gradPlot.setObjectName("distanceGradientPlot")
        self.gradPlot.setYRange(-2, 2, padding=0)
        self.plots.addWidget(self.distPlot, 0, 0)
        self.plots.addWidget(self.gradPlot, 1, 0)
        names = (("kl_rg", "KL(Pr‖Pg) = KL(Pg‖Pr)", "red"), ("js", "JS", "blue"), ("tv", "TV", "green"),
                 ("w1", "W1", "orange"))
        self.curves = {k: self.distPlot.plot([], [], pen=pen(c), name=label) for k, label, c in names}
        self.grads = {k: self.gradPlot.plot([], [], pen=pen(c), name=f"d{label.split(' ')[0]}")
                      for k, label, c in names if k != "kl_rg"}
        self.marker = pg.InfiniteLine(angle=90, pen=pen("white", 1, dashed=True))
        self.distPlot.addItem(self.marker)
        self.js_dots = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#4f9dff"), pen=pg.mkPen("w"), name="JS from a D")
        self.w1_dots = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#ff8c42"), pen=pg.mkPen("w"), name="W1 from a critic")
        self.distPlot.addItem(self.js_dots)
        self.distPlot.addItem(self.w1_dots)
        self.estimates: list[dict] = []  # {"theta", "js_est", "w1_est"} at the current width
        self._width_drawn: float | None = None
        self.theta.valueChanged.connect(self.update_now)
        self.noise.valueChanged.connect(self.update_now)

    def redraw(self) -> None:
        width = self.noise.value()
        if width != self._width_drawn:  # the sweep changes only with the width
            self._width_drawn = width
            s = distances.sweep(width)
            for key, curve in self.curves.items():
                curve.setData(s["theta"], np.minimum(s[key], TOP + 1))
            for key, curve in self.grads.items():
                curve.setData(s["theta"], np.clip(s[f"d_{key}"], -3, 3))
            self.estimates = [e for e in self.estimates if e["width"] == width]
            self._draw_estimates()
        at = distances.at_theta(self.theta.value(), width)
        self.at_theta = at
        self.marker.setValue(at["theta"])
        rows = [f"KL(Pr‖Pg) = {_fmt(at['kl_rg'])}", f"KL(Pg‖Pr) = {_fmt(at['kl_gr'])}", f"JS = {_fmt(at['js'])}",
                f"TV = {_fmt(at['tv'])}", f"W1 = {_fmt(at['w1'])}"]
        near = [e for e in self.estimates if abs(e["theta"] - at["theta"]) < 1e-9]
        if near:
            rows.append(f"estimated: JS ≈ {near[-1]['js_est']:.4f}, W1 ≈ {near[-1]['w1_est']:.4f}")
        self.numbers.setText(f"at θ = {at['theta']:.3f}:<br>" + "<br>".join(rows))

    def start_estimate(self) -> None:
        self._training_at = (self.theta.value(), self.noise.value())
        self.strip.start(distances.train_estimates, *self._training_at, steps=300, seed=0)

    @Slot(object)
    def _on_estimate(self, report) -> None:
        if not report:
            return
        theta, width = self._training_at
        entry = {"theta": theta, "width": width, "js_est": report["js_est"], "w1_est": report["w1_est"]}
        self.estimates = [e for e in self.estimates if not (e["theta"] == theta and e["width"] == width)] + [entry]
        if width == self.noise.value():
            self._draw_estimates()
            self.update_now()
        self.strip.status.setText(f"step {report['step']}: JS ≈ {report['js_est']:.3f}, W1 ≈ {report['w1_est']:.3f}")

    def _draw_estimates(self) -> None:
        self.js_dots.setData([e["theta"] for e in self.estimates], [e["js_est"] for e in self.estimates])
        self.w1_dots.setData([e["theta"] for e in self.estimates], [e["w1_est"] for e in self.estimates])
