"""The Lab area as a user drives it: controls redraw the closed forms, trained parts run in a job that
pauses, stops and is joined on shutdown."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ganstudio.qt.lab.area import LabArea
from ganstudio.qt.workers import live_workers


@pytest.fixture
def lab(qtbot):
    area = LabArea()
    qtbot.addWidget(area)
    area.resize(1140, 540)
    area.show()
    qtbot.waitExposed(area)
    yield area
    area.shutdown()
    assert not [w for w in live_workers() if w.name.startswith("lab-")]


def _curve(plot_item):
    x, y = plot_item.xData, plot_item.yData  # the data as given (getData is log10 on a log axis)
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


def test_every_experiment_explains_itself_and_draws(lab):
    for key, panel in lab.panels.items():
        lab.show_experiment(key)
        assert len(panel.text.text()) > 120 and panel.text.text().count(". ") >= 1
        assert panel.numbers.text() != ""
        assert "redrawn in" in panel.timing.text()


def test_distances_drag_theta_and_widen_the_lines(qtbot, lab):
    p = lab.panels["distances"]
    p.theta.setValue(1.2)
    assert "JS = 0.6931" in p.numbers.text() and "KL(Pr‖Pg) = ∞" in p.numbers.text()
    assert p.marker.value() == pytest.approx(1.2)
    x, js = _curve(p.curves["js"])
    assert np.all(js[np.abs(x) > 0.05] == pytest.approx(math.log(2)))
    p.noise.setValue(0.3)
    assert "∞" not in p.numbers.text()
    assert p.at_theta["kl_rg"] == pytest.approx(1.2 ** 2 / (2 * 0.09))
    _, js = _curve(p.curves["js"])
    assert js.max() < math.log(2) and np.all(np.diff(js[len(js) // 2:]) >= 0)


def test_distances_estimate_runs_pauses_and_lands_on_the_closed_form(qtbot, lab):
    p = lab.panels["distances"]
    p.theta.setValue(0.5)
    qtbot.mouseClick(p.strip.trainButton, Qt.LeftButton)
    assert p.strip.running()
    qtbot.waitUntil(lambda: len(p.js_dots.data) > 0, timeout=60000)
    p.strip.pauseButton.setChecked(True)
    assert p.strip.job is None or p.strip.job.paused
    p.strip.pauseButton.setChecked(False)
    qtbot.waitUntil(lambda: p.strip.status.text().startswith("done"), timeout=120000)
    est = p.estimates[-1]
    assert est["js_est"] == pytest.approx(math.log(2), abs=0.02)
    assert est["w1_est"] == pytest.approx(0.5, abs=0.1)
    assert "estimated" in p.numbers.text()


def test_optimal_d_edits_and_a_trained_d(qtbot, lab):
    p = lab.panels["optimal-d"]
    lab.show_experiment("optimal-d")
    p.genEdit.setText("1:0:x")
    p.genEdit.editingFinished.emit()
    assert "weight:mean:std" in p.numbers.text()
    p.genEdit.setText("1:0.5:1")
    p.genEdit.editingFinished.emit()
    assert p.exact["v_d_star"] == pytest.approx(p.exact["minus_log4_plus_2js"], abs=1e-9)
    before = p.exact["js"]
    p.shift.setValue(2.0)  # p_g moves onto one mode of p_data: closer, so JS falls
    assert p.exact["js"] != before
    qtbot.mouseClick(p.strip.trainButton, Qt.LeftButton)
    qtbot.waitUntil(lambda: p.trained is not None and p.trained["step"] >= 200, timeout=60000)
    x, d = _curve(p.d_trained)
    assert len(d) == len(p.exact["x"]) and np.all((d > 0) & (d < 1))
    qtbot.mouseClick(p.strip.stopButton, Qt.LeftButton)
    assert p.strip.job is None and not p.strip.running()


def test_costs_training_shows_the_minimax_run_stalling(qtbot, lab):
    p = lab.panels["costs"]
    lab.show_experiment("costs")
    qtbot.mouseClick(p.strip.trainButton, Qt.LeftButton)
    qtbot.waitUntil(lambda: p.latest is not None and p.latest["minimax"]["step"][-1] >= 60, timeout=120000)
    p.strip.stop()
    latest = p.latest
    assert latest["nonsaturating"]["distance"][-1] < 1.0 < latest["minimax"]["distance"][-1]
    assert len(_curve(p.runs["minimax"])[0]) >= 10


def test_xy_sliders_redraw_the_spiral(lab):
    p = lab.panels["xy"]
    p.gamma.setValue(0.0)
    p.eta.setValue(0.3)
    r = p.result
    assert r["simultaneous_factor"] == pytest.approx(math.sqrt(1.09))
    _, radius = _curve(p.radii["simultaneous"])
    assert radius[1] / radius[0] == pytest.approx(math.sqrt(1.09))
    _, radius = _curve(p.radii["continuous"])
    assert np.allclose(radius, 1.0)
    assert "1.04403" in p.numbers.text()


def test_cournot_sliders_move_the_equilibrium_and_refuse_a_bad_market(lab):
    p = lab.panels["cournot"]
    p.c1.setValue(3.0)
    assert p.result["q1_star"] == pytest.approx((10 - 6 + 2) / 3)
    assert p.result["q1_final"] == pytest.approx(p.result["q1_star"], abs=0.05)
    p.rule.setCurrentText("best-response")
    assert "best-response after 60 steps" in p.numbers.text()
    p.A.setValue(2.0)
    p.c2.setValue(8.0)
    assert "produces nothing" in p.numbers.text() and p.result is None


def test_supports_show_a_thin_manifold_of_the_chosen_dimensions(qtbot, lab):
    p = lab.panels["supports"]
    lab.show_experiment("supports")
    assert p.result["jacobian_rank"] == 1 and p.result["codimension"] == 2
    assert p.result["points"].shape == (4000, 3)
    covered = p.xy.occupied.mean()  # a curve: a thin line of the 256x256 image
    assert 0.002 < covered < 0.03
    # the tube is measured in the background: its curve and slope arrive after the samples are drawn
    qtbot.waitUntil(lambda: p.tube_result is not None, timeout=30000)
    slope = p.tube_result["tube_slope"]
    assert slope == pytest.approx(2, abs=0.4)  # n - k = 2: the tube around a curve in 3-D shrinks like eps^2
    assert f"tube slope {slope:.2f} (n − k = 2)" in p.numbers.text()
    assert len(p.tube.xData) == 8
    p.zDim.setCurrentText("2")
    assert p.result["jacobian_rank"] == 2 and "n − k = 1" in p.numbers.text()
    p.xDim.setCurrentText("2")  # z 2 into x 2 is not a thin support: said, not drawn
    assert p.result is None and "fewer dimensions" in p.numbers.text()


def test_collapse_trains_in_the_background_and_stops(qtbot, lab):
    p = lab.panels["collapse"]
    lab.show_experiment("collapse")
    p.steps.setValue(5000)  # the longest run: still training when paused below (2000 steps ended first on a quiet CI)
    qtbot.mouseClick(p.strip.trainButton, Qt.LeftButton)
    qtbot.waitUntil(lambda: (p.latest is not None and len(p.latest["step"]) >= 2) or not p.strip.running(),
                    timeout=120000)
    assert p.strip.running(), f"the job ended early: {p.strip.status.text()!r}"
    assert len(p.clouds["plain"][1].data) == 1024 and len(p.modes["unrolled"].xData) >= 2
    assert "modes" in p.numbers.text()
    p.strip.pauseButton.setChecked(True)
    assert p.strip.job.paused
    qtbot.mouseClick(p.strip.stopButton, Qt.LeftButton)
    assert not p.strip.running()
