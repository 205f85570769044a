"""The Diagnosis panel's buttons in the window: a live suggestion reaches the running trainer and the Train
form; another fills the Train form with the run's settings and the change, and shows the Train area."""

from __future__ import annotations

from test_training_gui import click, trainer_step

from ganstudio.core import config as C


def test_a_live_suggestion_reaches_the_running_trainer(qtbot, fill_form, window):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: trainer_step(window) >= 5, timeout=30000)
    trainer = window.worker.trainer
    window.monitor.diagnosis.liveChangeRequested.emit("optim.lr_d", 1e-4)
    qtbot.waitUntil(lambda: trainer.opt_D.param_groups[0]["lr"] == 1e-4, timeout=10000)
    assert trainer.opt_G.param_groups[0]["lr"] == trainer.cfg.optim.lr_g  # the other rate is untouched
    assert window.train_panel.form.values["optim.lr_d"] == 1e-4  # and the form shows it
    window.stop_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)


def test_a_new_run_suggestion_fills_the_train_form(qtbot, window):
    window.show_area("Monitor")
    cfg = C.preset("digits-dcgan").to_dict()
    window.monitor.diagnosis.newRunRequested.emit(cfg, ["tricks.label_smoothing=0.1", "objective.r1_gamma=1"])
    assert window.current_area() == "Train"
    form = window.train_panel.form
    assert form.data_kind == "digits"
    assert form.values["tricks.label_smoothing"] == 0.1 and form.values["objective.r1_gamma"] == 1.0
    assert form.config().optim.lr_g == 2e-4  # the rest is the run's
