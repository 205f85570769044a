"""Experiment 6 on screen: the same small GAN trained four ways on the ring of 8 Gaussians, side by side."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot

from ganstudio.core.lab import collapse
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

COLORS = {"plain": "red", "unrolled": "blue", "pacgan": "green", "minibatch": "orange"}
NAMES = {"plain": "plain", "unrolled": "unrolled D", "pacgan": "PacGAN (pack 2)", "minibatch": "minibatch discr."}


class CollapsePanel(ExperimentPanel):
    TITLE = "6 · Mode collapse and its remedies"
    TEXT = ("The same small MLP GAN (the project's own networks and training step) learns the ring of 8 "
            "Gaussians four ways: plain, with D unrolled k steps inside G's update, with PacGAN packing and with "
            "minibatch discrimination. A plain GAN tends to cover a few modes and hop between them; "
            "the curves count the modes each one captures.")

    def build(self) -> None:
        self.unrolled = FloatSlider("unroll k", 1, 10, 3, steps=9, decimals=0, tooltip="unrolled D steps")
        self.steps = FloatSlider("steps", 200, 5000, 2000, steps=48, decimals=0, tooltip="training steps of each GAN")
        self.left.addWidget(self.unrolled)
        self.left.addWidget(self.steps)
        self.strip = self.add_training("Train the four", self.start_training, self._on_report)
        self.clouds = {}
        for i, (v, color) in enumerate(COLORS.items()):
            w = plot(NAMES[v], legend=False)
            w.setObjectName(f"collapse-{v}")
            w.setMinimumSize(150, 150)
            w.setAspectLocked(True)
            w.setRange(xRange=(-2.6, 2.6), yRange=(-2.6, 2.6), padding=0)
            modes = pg.ScatterPlotItem(size=9, pen=pg.mkPen("w"), brush=None, symbol="o")
            cloud = pg.ScatterPlotItem(size=2, pen=None, brush=pg.mkBrush(pen(color).color()))
            w.addItem(modes)
            w.addItem(cloud)
            self.clouds[v] = (modes, cloud)
            self.plots.addWidget(w, 0, i)
        self.modesPlot = plot("modes captured (of 8)", "step")
        self.modesPlot.setObjectName("collapseModesPlot")
        self.modesPlot.setYRange(0, 8.5, padding=0)
        self.plots.addWidget(self.modesPlot, 1, 0, 1, 4)
        self.modes = {v: self.modesPlot.plot([], [], pen=pen(c), name=NAMES[v]) for v, c in COLORS.items()}
        self.latest: dict | None = None

    def redraw(self) -> None:
        if not self.latest:
            self.numbers.setText("ring of 8 Gaussians, radius 2, std 0.05; a mode is captured when 1% of 1024 "
                                 "samples lie within 3 std of it")
            return
        r = self.latest
        rows = [f"{NAMES[v]}: {int(r[v]['modes'][-1])} modes, {100 * r[v]['hq_fraction'][-1]:.0f}% near one"
                for v in COLORS]
        self.numbers.setText(f"step {int(r['step'][-1])}<br>" + "<br>".join(rows))

    def start_training(self) -> None:
        self.latest = None
        for curve in self.modes.values():
            curve.setData([], [])
        self.strip.start(collapse.train_side_by_side, steps=int(self.steps.value()), report_every=50, seed=0,
                         unrolled=int(self.unrolled.value()))

    @Slot(object)
    def _on_report(self, report) -> None:
        if not report:
            return
        self.latest = report
        means = report["means"]
        for v, (modes, cloud) in self.clouds.items():
            modes.setData(means[:, 0], means[:, 1])
            pts = np.asarray(report[v]["points"])
            cloud.setData(pts[:, 0], pts[:, 1])
            self.modes[v].setData(report["step"], report[v]["modes"])
        self.update_now()
