"""Experiment 4 on screen: the xy game's continuous orbit and three kinds of discrete gradient steps."""

from __future__ import annotations

import numpy as np

from ganstudio.core.lab import xy_game
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

COLORS = {"continuous": "white", "simultaneous": "red", "alternating": "blue", "consensus": "green"}


class XyPanel(ExperimentPanel):
    TITLE = "4 · The xy game"
    TEXT = ("x minimises and y maximises V = xy. In continuous time the players circle the equilibrium (0, 0) "
            "for ever; simultaneous gradient steps multiply the radius by √(1 + η²) each step and spiral out; "
            "alternating steps stay on a closed curve; a consensus term γ‖∇V‖²/2 (a gradient penalty) converges.")

    def build(self) -> None:
        self.eta = FloatSlider("η", 0.01, 1.0, 0.1, steps=99, tooltip="the step size")
        self.gamma = FloatSlider("γ", 0.0, 3.0, 1.0, steps=300, tooltip="the consensus (gradient penalty) weight")
        self.x0 = FloatSlider("x₀", -2.0, 2.0, 1.0, steps=400)
        self.y0 = FloatSlider("y₀", -2.0, 2.0, 0.0, steps=400)
        self.n = FloatSlider("steps", 10, 1000, 200, steps=99, decimals=0)
        for w in (self.eta, self.gamma, self.x0, self.y0, self.n):
            self.left.addWidget(w)
            w.valueChanged.connect(self.update_now)
        self.pathPlot = plot("trajectories", "x", "y")
        self.pathPlot.setObjectName("xyPathPlot")
        self.pathPlot.setAspectLocked(True)
        self.radiusPlot = plot("radius √(x² + y²) (log scale)", "step")
        self.radiusPlot.setObjectName("xyRadiusPlot")
        self.radiusPlot.setLogMode(y=True)
        self.plots.addWidget(self.pathPlot, 0, 0)
        self.plots.addWidget(self.radiusPlot, 0, 1)
        self.paths = {m: self.pathPlot.plot([], [], pen=pen(c, 1.5), name=m) for m, c in COLORS.items()}
        self.radii = {m: self.radiusPlot.plot([], [], pen=pen(c), name=m) for m, c in COLORS.items()}

    def redraw(self) -> None:
        r = xy_game.experiment(self.x0.value(), self.y0.value(), self.eta.value(), int(self.n.value()), self.gamma.value())
        self.result = r
        start = max(np.hypot(r["x0"], r["y0"]), 0.1)
        for m in COLORS:
            x, y = r[m]["x"], r[m]["y"]
            keep = np.hypot(x, y) <= 6 * start  # an outward spiral is drawn until it leaves the view
            self.paths[m].setData(x[keep], y[keep])
            self.radii[m].setData(r["step"], np.maximum(r[m]["radius"], 1e-12))
        lim = 3 * start
        self.pathPlot.setRange(xRange=(-lim, lim), yRange=(-lim, lim), padding=0)
        self.numbers.setText(
            f"radius per step: simultaneous √(1+η²) = {r['simultaneous_factor']:.5f}, "
            f"consensus {r['consensus_factor']:.5f}<br>"
            f"after {r['steps']} steps: continuous {r['continuous_final_radius']:.4g}, "
            f"simultaneous {r['simultaneous_final_radius']:.4g}, alternating {r['alternating_final_radius']:.4g}, "
            f"consensus {r['consensus_final_radius']:.3g}")
