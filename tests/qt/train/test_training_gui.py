"""Training from the window: start, watch curves, pause/resume/stop, live learning rates, close, errors."""

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def curve_points(window, plot_name: str, metric: str) -> int:
    run = window.monitor.live_run or (window.monitor.runs[-1] if window.monitor.runs else None)
    if run is None:
        return 0
    curve = run.curves.get((plot_name, metric))
    if curve is None:
        return 0
    x, y = curve.smooth.getOriginalDataset()
    return 0 if y is None else int(np.isfinite(y).sum())


def click(qtbot, window, name):
    from PySide6.QtWidgets import QPushButton

    button = window.findChild(QPushButton, name)
    assert button is not None and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.LeftButton)


def trainer_step(window) -> int:
    w = window.worker
    return w.trainer.step_count if (w is not None and w.trainer is not None) else -1


def test_start_toy_training_draws_curves_and_the_2d_view(qtbot, fill_form, window, tmp_path):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 60})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: curve_points(window, "lossPlot", "d_loss") >= 3, timeout=30000)
    assert curve_points(window, "lossPlot", "g_loss") >= 3
    # The plots are refreshed one per timer tick, so the next ones follow shortly.
    qtbot.waitUntil(lambda: curve_points(window, "wassersteinPlot", "sliced_w") >= 3, timeout=10000)
    qtbot.waitUntil(lambda: curve_points(window, "dOutputPlot", "d_fake") >= 3, timeout=10000)
    assert window.current_area() == "Monitor"
    # The GAN Lab view: generated points, D's heat map and G's arrows, real points behind them.
    toy = window.monitor.toy_view
    qtbot.waitUntil(lambda: toy.fake.data is not None and len(toy.fake.data) > 0, timeout=30000)
    assert window.monitor.sample_stack.currentWidget() is toy
    assert len(toy.real.data) == 2000
    assert toy.heat.image is not None and toy.heat.image.shape == (40, 40)
    assert len(toy.arrows.getOriginalDataset()[0]) > 0
    # The run finishes by itself and leaves a checkpoint in its run folder.
    qtbot.waitUntil(lambda: window.worker is None, timeout=60000)
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1
    assert (runs[0] / "checkpoints" / "latest.safetensors").is_file()
    assert (runs[0] / "metrics.jsonl").is_file()
    assert window.statusStep.text() == "Step 60"
    assert window.statusDevice.text().startswith(("CPU", "GPU"))
    assert window.train_panel.startButton.isEnabled()


def test_pause_resume_and_stop(qtbot, fill_form, window, tmp_path, watch_pause):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: trainer_step(window) >= 5, timeout=30000)
    waited = watch_pause(window.worker)
    pause = window.train_panel.pauseButton
    click(qtbot, window, "trainPauseButton")
    assert pause.text() == "Resume"
    qtbot.waitUntil(lambda: waited() >= 1, timeout=30000)  # the step that was running has finished
    paused_at = trainer_step(window)
    qtbot.waitUntil(lambda: waited() >= 10, timeout=30000)  # the thread waited 10 more rounds ...
    assert trainer_step(window) == paused_at  # ... and made no step
    click(qtbot, window, "trainPauseButton")
    assert pause.text() == "Pause"
    qtbot.waitUntil(lambda: trainer_step(window) > paused_at + 3, timeout=30000)
    worker = window.worker
    click(qtbot, window, "trainStopButton")
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)
    assert not worker.is_running()
    assert worker.trainer.step_count < 100000
    ckpt = next((tmp_path / "runs").iterdir()) / "checkpoints" / "latest.safetensors"
    assert ckpt.is_file()
    assert str(ckpt) in window.settings.recent_checkpoints()
    assert "stopped at step" in window.train_panel.messageLog.toPlainText()


def test_learning_rates_change_while_training(qtbot, fill_form, window):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: trainer_step(window) >= 5, timeout=30000)
    lr_field = window.train_panel.widgets["optim.lr_g"]
    assert lr_field.isEnabled()  # live fields stay editable while training
    assert not window.train_panel.widgets["optim.batch_size"].isEnabled()
    lr_field.setValue(5e-5)
    window.train_panel.widgets["optim.n_critic"].setValue(2)
    trainer = window.worker.trainer
    qtbot.waitUntil(lambda: trainer.opt_G.param_groups[0]["lr"] == 5e-5 and trainer.n_critic == 2, timeout=10000)
    changed_at = trainer.step_count
    qtbot.waitUntil(lambda: trainer.step_count > changed_at + 5, timeout=30000)  # training goes on
    assert trainer.opt_D.param_groups[0]["lr"] == trainer.cfg.optim.lr_d  # the other player's rate is untouched
    # The new rate reaches the learning-rate curve.
    qtbot.waitUntil(lambda: np.any(window.monitor.live_run.table.get("lr_g") == 5e-5), timeout=10000)
    window.stop_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)


def test_closing_the_window_while_training_saves_and_joins(qtbot, fill_form, settings, tmp_path, answer_next_question):
    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.workers import live_workers

    w = MainWindow(settings=settings)
    w.show()
    qtbot.waitUntil(lambda: w.engine_ready, timeout=60000)
    fill_form(w.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, w, "trainStartButton")
    qtbot.waitUntil(lambda: trainer_step(w) >= 5, timeout=30000)
    worker = w.worker
    # The window asks first; "Keep training" (also Escape) keeps the window and the run.
    answer_next_question("closeWhileTrainingNo")
    assert not w.close()
    assert w.isVisible() and worker.is_running()
    step = trainer_step(w)
    qtbot.waitUntil(lambda: trainer_step(w) > step, timeout=30000)
    answer_next_question("closeWhileTrainingYes")
    assert w.close()  # blocks until the training thread has saved and ended
    assert not worker.is_running()
    assert worker.last_checkpoint is not None
    ckpt = Path(worker.last_checkpoint)
    assert ckpt.is_file() and ckpt.name == "latest.safetensors"
    assert ckpt.parent.parent.parent == tmp_path / "runs"
    assert not live_workers()
    assert settings.recent_checkpoints()[0] == str(ckpt)
    w.deleteLater()


def test_a_live_learning_rate_beyond_the_rules_is_refused_and_training_goes_on(qtbot, fill_form, window):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: window.worker is not None and window.train_panel.state == "running", timeout=60000)
    before = window.worker.trainer.learning_rates
    window.train_panel.widgets["optim.lr_g"].setMaximum(1e31)  # what a hand-edited form could send
    window.train_panel.widgets["optim.lr_g"].setValue(1e30)
    qtbot.waitUntil(lambda: window.warningBanner.isVisible(), timeout=30000)
    assert "'optim.lr_g' must be between 1e-08 and 1, not 1e+30." in window.warningBanner.text()
    step = trainer_step(window)
    qtbot.waitUntil(lambda: trainer_step(window) > step + 2, timeout=30000)
    assert window.worker.is_running()
    assert window.worker.trainer.learning_rates == before  # the refused change changed nothing
    window.run_control.shutdown()


def test_non_finite_loss_is_reported_and_the_app_keeps_running(qtbot, fill_form, window, monkeypatch):
    from ganstudio.core.train import trainer as trainer_module

    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: window.worker is not None and window.train_panel.state == "running", timeout=60000)
    # A learning rate of 1e30 blows the weights up within a few steps (deterministic on every machine). Neither a
    # config nor a live change may hold more than 1 (config.FIELD_RULES): the rule is lifted for this run.
    monkeypatch.setattr(trainer_module, "check_field", lambda *a, **k: None)
    window.train_panel.widgets["optim.lr_g"].setMaximum(1e31)
    window.train_panel.widgets["optim.lr_d"].setMaximum(1e31)
    window.train_panel.widgets["optim.lr_g"].setValue(1e30)
    window.train_panel.widgets["optim.lr_d"].setValue(1e30)
    banner = window.findChild(QLabel, "errorBanner")
    qtbot.waitUntil(lambda: window.errorBanner.isVisible(), timeout=30000)
    assert "NaN or infinite" in banner.text()
    assert banner.text()[0].isupper() and banner.text().rstrip().endswith(".")
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)
    # The app is still usable: the form is enabled and a sensible run starts.
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 10, "optim.lr_g": 1e-4, "optim.lr_d": 1e-4})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: window.worker is None and window.train_panel.state == "idle", timeout=30000)
    assert "finished at step 10" in window.train_panel.messageLog.toPlainText()


def test_broken_image_folder_shows_one_sentence(qtbot, window, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for i in range(3):
        (folder / f"img{i}.png").write_bytes(b"not a png at all")
    panel = window.train_panel
    panel.datasetCombo.setCurrentIndex(panel.datasetCombo.findData("folder"))
    assert panel.folderEdit.isVisible()
    panel.set_folder(str(folder))
    qtbot.waitUntil(lambda: "no readable image" in panel.folderStatus.text(), timeout=30000)
    # Start refuses with the same sentence beside the buttons.
    click(qtbot, window, "trainStartButton")
    assert panel.configErrorLabel.isVisible()
    assert "no readable image" in panel.configErrorLabel.text()
    assert window.worker is None
    # The worker's own error path: the trainer hits the same folder and the banner says so.
    cfg = panel.build_config()
    assert cfg is not None
    window.start_training(cfg)
    qtbot.waitUntil(lambda: window.errorBanner.isVisible(), timeout=30000)
    assert str(folder) in window.findChild(QLabel, "errorBanner").text()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)


def test_good_image_folder_is_counted_with_thumbnails(qtbot, window, tmp_path):
    from PIL import Image

    folder = tmp_path / "pics"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(5):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    (folder / "bad.jpg").write_bytes(b"\xff\xd8 broken")
    panel = window.train_panel
    panel.datasetCombo.setCurrentIndex(panel.datasetCombo.findData("folder"))
    assert panel.presetCombo.currentData() == "digits-dcgan"  # the image preset follows the data
    panel.set_folder(str(folder))
    qtbot.waitUntil(lambda: "ready" in panel.folderStatus.text(), timeout=30000)
    assert panel.folderStatus.text().startswith("5 images ready; 1 broken file will be skipped")
    assert len(panel.thumbnails.findChildren(QLabel)) == 5


def test_invalid_form_shows_config_error_and_does_not_start(qtbot, fill_form, window):
    fill_form(window.train_panel, "toy-ring", **{"tricks.pack": 4, "optim.batch_size": 250})
    click(qtbot, window, "trainStartButton")
    label = window.train_panel.configErrorLabel
    assert label.isVisible()
    assert "multiple of 'tricks.pack'" in label.text()
    assert window.worker is None


def test_resume_from_checkpoint_continues_the_run(qtbot, fill_form, window, tmp_path):
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    run_dir = tmp_path / "earlier"
    cfg = preset("toy-ring").with_overrides(["train.steps=20", "train.log_every=5", "train.sample_every=0",
                                             "train.eval_every=0", "model.g_width=64", "model.d_width=64"])
    trainer = Trainer(cfg, run_dir=run_dir)
    trainer.run()
    ckpt = trainer.save_checkpoint()
    panel = window.train_panel
    panel.load_checkpoint(str(ckpt))
    qtbot.waitUntil(lambda: panel.resume_path == str(ckpt), timeout=30000)
    assert "from step 20" in panel.resumeLabel.text()
    assert panel.widgets["model.g_width"].value() == 64  # the checkpoint's settings fill the form
    panel.widgets["train.steps"].setValue(30)
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: window.worker is None and "finished at step 30" in panel.messageLog.toPlainText(),
                    timeout=30000)
    assert "from step 20" in panel.messageLog.toPlainText()
    steps = [json.loads(line)["step"] for line in open(run_dir / "metrics.jsonl") if '"kind"' not in line]
    assert steps == [5, 10, 15, 20, 25, 30]  # the same run folder, continued


def test_a_run_folder_in_use_by_another_process_is_refused_in_the_train_area(qtbot, window, tmp_path):
    import os
    import subprocess
    import sys

    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    run_dir = tmp_path / "busy"
    cfg = preset("toy-ring").with_overrides(["train.steps=5", "train.sample_every=0", "train.eval_every=0",
                                             "model.g_width=32", "model.d_width=32"])
    trainer = Trainer(cfg, run_dir=run_dir)
    trainer.run()
    ckpt = trainer.save_checkpoint()
    hold = ("import sys, time\nfrom ganstudio.core.train.run_lock import RunLock\n"
            "lock = RunLock(sys.argv[1]).acquire()\nprint('held', flush=True)\ntime.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", hold, str(run_dir)], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert holder.stdout.readline().strip() == "held"
        assert window.start_training(cfg.with_overrides(["train.steps=10"]), str(ckpt)) is None
        assert window.worker is None
        banner = window.findChild(QLabel, "errorBanner").text()
        assert str(run_dir) in banner and f"pid {holder.pid}" in banner
        assert f"pid {holder.pid}" in window.train_panel.messageLog.toPlainText()
    finally:
        holder.kill()
        holder.wait()
