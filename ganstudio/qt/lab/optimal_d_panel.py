"""Experiment 2 on screen: the optimal discriminator of two editable 1-D mixtures, and a D trained to it."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QLabel, QLineEdit

from ganstudio.core.errors import GanStudioError
from ganstudio.core.lab import optimal_d
from ganstudio.qt.lab.controls import ExperimentPanel, FloatSlider, pen, plot


def _text(mixture) -> str:
    return ",".join(f"{w:g}:{m:g}:{s:g}" for w, m, s in mixture)


class OptimalDPanel(ExperimentPanel):
    TITLE = "2 · The optimal discriminator"
    TEXT = ("For a fixed generator the best discriminator is D*(x) = p<sub>data</sub>(x) / (p<sub>data</sub>(x) + "
            "p<sub>g</sub>(x)), and there the game's value is V(G, D*) = −log 4 + 2 JS(p<sub>data</sub> ‖ "
            "p<sub>g</sub>). Edit the mixtures (weight:mean:std, comma-separated), move p<sub>g</sub>, and train "
            "a small D to watch it converge to D*.")

    def build(self) -> None:
        self.dataEdit = QLineEdit(_text(optimal_d.DEFAULT_DATA))
        self.dataEdit.setObjectName("pDataEdit")
        self.genEdit = QLineEdit(_text(optimal_d.DEFAULT_G))
        self.genEdit.setObjectName("pGEdit")
        for label, edit in (("p_data", self.dataEdit), ("p_g", self.genEdit)):
            edit.setToolTip("weight:mean:std per component, comma-separated (up to 8 components)")
            self.left.addWidget(QLabel(label))
            self.left.addWidget(edit)
            edit.editingFinished.connect(self.update_now)
        self.shift = FloatSlider("shift p_g", -3.0, 3.0, 0.0, steps=300, tooltip="move every component of p_g")
        self.left.addWidget(self.shift)
        self.shift.valueChanged.connect(self.update_now)
        self.strip = self.add_training("Train a D", self.start_training, self._on_report)
        self.densityPlot = plot("densities", "x")
        self.densityPlot.setObjectName("densityPlot")
        self.dPlot = plot("D*(x) exact and a trained D", "x")
        self.dPlot.setObjectName("optimalDPlot")
        self.dPlot.setYRange(0, 1, padding=0.02)
        self.plots.addWidget(self.densityPlot, 0, 0)
        self.plots.addWidget(self.dPlot, 1, 0)
        self.p_curve = self.densityPlot.plot([], [], pen=pen("blue"), name="p_data")
        self.g_curve = self.densityPlot.plot([], [], pen=pen("orange"), name="p_g")
        self.d_star = self.dPlot.plot([], [], pen=pen("white"), name="D* exact")
        self.d_trained = self.dPlot.plot([], [], pen=pen("red", 2, dashed=True), name="trained D")
        self.trained: dict | None = None
        self.mixtures = (optimal_d.DEFAULT_DATA, optimal_d.DEFAULT_G)

    def current_mixtures(self):
        data = optimal_d.parse_mixture(self.dataEdit.text(), "p_data")
        gen = optimal_d.parse_mixture(self.genEdit.text(), "p_g")
        shift = self.shift.value()
        gen = tuple((w, min(max(m + shift, optimal_d.X_RANGE[0]), optimal_d.X_RANGE[1]), s) for w, m, s in gen)
        return data, gen

    def redraw(self) -> None:
        try:
            data, gen = self.current_mixtures()
        except GanStudioError as exc:
            self.numbers.setText(f"<span style='color:#ff6b6b'>{exc}</span>")
            return
        if (data, gen) != self.mixtures:  # a trained D belongs to the mixtures it was trained on
            self.trained = None
            self.d_trained.setData([], [])
        self.mixtures = (data, gen)
        e = optimal_d.exact(data, gen)
        self.exact = e
        self.p_curve.setData(e["x"], e["p_data"])
        self.g_curve.setData(e["x"], e["p_g"])
        self.d_star.setData(e["x"], e["d_star"])
        text = (f"V(G, D*) = {e['v_d_star']:.5f}<br>−log 4 + 2 JS = {e['minus_log4_plus_2js']:.5f}"
                f"<br>JS = {e['js']:.5f} (of at most log 2 = 0.69315)")
        if self.trained:
            text += (f"<br>trained D, step {self.trained['step']}: V = {self.trained['v_trained']:.4f}, "
                     f"max |D − D*| = {self.trained['max_gap']:.3f}")
        self.numbers.setText(text)

    def start_training(self) -> None:
        self.update_now()
        data, gen = self.mixtures
        self._training_for = self.mixtures
        self.strip.start(optimal_d.train_discriminator, data, gen, steps=2000, seed=0, report_every=20)

    @Slot(object)
    def _on_report(self, report) -> None:
        if not report or self._training_for != self.mixtures:
            return
        self.trained = report
        self.d_trained.setData(report["x"], report["d_trained"])
        self.strip.status.setText(f"step {report['step']}: max |D − D*| = {report['max_gap']:.3f}")
        self.update_now()
