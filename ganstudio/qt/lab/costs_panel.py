"""Experiment 3 on screen: the generator costs against D(G(z)), and one 1-D run per cost."""

from __future__ import annotations

from PySide6.QtCore import Slot

from ganstudio.core.lab import costs
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

COLORS = {"minimax": "red", "nonsaturating": "blue", "ml": "green"}
NAMES = {"minimax": "minimax log(1−D)", "nonsaturating": "non-saturating −log D", "ml": "max. likelihood −D/(1−D)"}


class CostsPanel(ExperimentPanel):
    TITLE = "3 · Generator costs"
    TEXT = ("Early on D rejects the fakes, D(G(z)) ≈ 0. There the minimax cost log(1 − D) is flat: its gradient "
            "through D's logit is −D ≈ 0, so G stalls. The non-saturating −log D pushes hardest there; the "
            "maximum-likelihood cost only once D is fooled. Train the three side by side against a strong D.")

    def build(self) -> None:
        self.d_steps = FloatSlider("D steps", 1, 20, 5, steps=19, decimals=0, tooltip="discriminator steps per "
                                   "generator step: a stronger D makes the minimax cost saturate")
        self.left.addWidget(self.d_steps)
        self.strip = self.add_training("Train all three", self.start_training, self._on_report)
        self.costPlot = plot("J(G) against D(G(z))", "D(G(z))")
        self.costPlot.setObjectName("costPlot")
        self.costPlot.setYRange(-6, 5, padding=0)
        self.gradPlot = plot("dJ / d(D's logit)", "D(G(z))")
        self.gradPlot.setObjectName("costGradientPlot")
        self.gradPlot.setYRange(-3, 0.1, padding=0)
        self.runPlot = plot("|mean of G − mean of data| while training", "generator step")
        self.runPlot.setObjectName("costRunPlot")
        self.plots.addWidget(self.costPlot, 0, 0)
        self.plots.addWidget(self.gradPlot, 0, 1)
        self.plots.addWidget(self.runPlot, 1, 0, 1, 2)
        c = costs.curves()
        for name, color in COLORS.items():
            self.costPlot.plot(c["d"], c[name], pen=pen(color), name=NAMES[name])
            self.gradPlot.plot(c["d"], c[f"{name}_grad_logit"], pen=pen(color), name=name)
        self.runs = {name: self.runPlot.plot([], [], pen=pen(color), name=name) for name, color in COLORS.items()}
        self.latest: dict | None = None

    def redraw(self) -> None:
        if not self.latest:
            self.numbers.setText("each run: G(z) = a z + b from 4 away from the data, against a D trained 200 steps "
                                 "first and k steps per G step")
            return
        rows = [f"{NAMES[n]}: distance {h['distance'][-1]:.3f}, D(G(z)) = {h['d_of_g'][-1]:.3f}"
                for n, h in self.latest.items()]
        self.numbers.setText(f"step {int(next(iter(self.latest.values()))['step'][-1])}<br>" + "<br>".join(rows))

    def start_training(self) -> None:
        for curve in self.runs.values():
            curve.setData([], [])
        self.latest = None
        self.strip.start(costs.train_side_by_side, steps=300, d_steps=int(self.d_steps.value()), seed=0, report_every=5)

    @Slot(object)
    def _on_report(self, report) -> None:
        if not report:
            return
        self.latest = report
        for name, curve in self.runs.items():
            curve.setData(report[name]["step"], report[name]["distance"])
        self.update_now()
