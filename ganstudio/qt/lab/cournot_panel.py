"""Experiment 5 on screen: the Cournot duopoly, best responses and gradient play."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox

from ganstudio.core.errors import GanStudioError
from ganstudio.core.lab import cournot
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot

COLORS = {"best-response": "blue", "alternating": "green", "gradient": "red"}


class CournotPanel(ExperimentPanel):
    TITLE = "5 · A game from economics: Cournot duopoly"
    TEXT = ("Two firms choose quantities; firm i earns u<sub>i</sub> = q<sub>i</sub>(A − c<sub>i</sub> − q₁ − q₂). "
            "Best responses meet at the Nash equilibrium q₁* = (A − 2c₁ + c₂)/3. The same gradient play that "
            "spirals out on the xy game converges here for η &lt; 2/3: each profit is concave in the firm's own q.")

    def build(self) -> None:
        self.A = FloatSlider("A", 1.0, 30.0, 10.0, steps=290, decimals=1, tooltip="price = A − q1 − q2")
        self.c1 = FloatSlider("c₁", 0.0, 10.0, 1.0, steps=100, decimals=1, tooltip="firm 1's unit cost")
        self.c2 = FloatSlider("c₂", 0.0, 10.0, 2.0, steps=100, decimals=1, tooltip="firm 2's unit cost")
        self.eta = FloatSlider("η", 0.01, 1.0, 0.1, steps=99, tooltip="gradient play's step size")
        self.rule = QComboBox()
        self.rule.setObjectName("cournotRule")
        self.rule.addItems(cournot.RULES)
        self.rule.setCurrentText("gradient")
        self.rule.setToolTip("the step rule drawn in the best-response plot")
        for w in (self.A, self.c1, self.c2, self.eta):
            self.left.addWidget(w)
            w.valueChanged.connect(self.update_now)
        self.left.addWidget(self.rule)
        self.rule.currentTextChanged.connect(self.update_now)
        self.brPlot = plot("best responses and the path of the rule", "q₁", "q₂")
        self.brPlot.setObjectName("cournotPlot")
        self.brPlot.setAspectLocked(True)
        self.distPlot = plot("distance to (q₁*, q₂*) (log scale)", "step")
        self.distPlot.setObjectName("cournotDistancePlot")
        self.distPlot.setLogMode(y=True)
        self.plots.addWidget(self.brPlot, 0, 0)
        self.plots.addWidget(self.distPlot, 0, 1)
        self.br1 = self.brPlot.plot([], [], pen=pen("cyan", 1.5), name="BR₁(q₂)")
        self.br2 = self.brPlot.plot([], [], pen=pen("yellow", 1.5), name="BR₂(q₁)")
        self.path = self.brPlot.plot([], [], pen=pen("red"), name="path")
        self.nash = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("w"), symbol="star", name="Nash")
        self.brPlot.addItem(self.nash)
        self.dists = {r: self.distPlot.plot([], [], pen=pen(c), name=r) for r, c in COLORS.items()}

    def redraw(self) -> None:
        try:
            r = cournot.experiment(self.A.value(), self.c1.value(), self.c2.value(), q1=0.0, q2=self.A.value() * 0.8,
                                   rule=self.rule.currentText(), eta=self.eta.value(), n=60)
        except GanStudioError as exc:
            self.result = None
            self.numbers.setText(f"<span style='color:#ff6b6b'>{exc}</span>")
            return
        self.result = r
        self.br1.setData(r["br1"], r["grid"])
        self.br2.setData(r["grid"], r["br2"])
        path = r[r["rule"]]
        self.path.setData(path["q1"], path["q2"])
        self.path.setPen(pen(COLORS[r["rule"]]))
        self.nash.setData([r["q1_star"]], [r["q2_star"]])
        for rule, curve in self.dists.items():
            curve.setData(np.arange(len(r[rule]["distance"])), np.maximum(r[rule]["distance"], 1e-12))
        self.brPlot.setRange(xRange=(0, r["A"]), yRange=(0, r["A"]), padding=0.02)
        self.numbers.setText(f"Nash: q₁* = {r['q1_star']:.4f}, q₂* = {r['q2_star']:.4f}<br>"
                             f"{r['rule']} after 60 steps: q₁ = {r['q1_final']:.4f}, q₂ = {r['q2_final']:.4f}")
