"""RunControl, the app's training run without the window: start, pause, resume, live learning rate, stop;
the checkpoint is written and the monitor wired to it has the curves."""

import os
import subprocess
import sys

import numpy as np
import pytest

from ganstudio.core.config import preset
from ganstudio.core.train.run_lock import RunFolderBusy, RunLock
from ganstudio.qt.train.run_control import RunControl

TOY = ["model.g_width=32", "model.d_width=32", "train.log_every=5", "train.sample_every=20", "train.eval_every=0",
       "train.checkpoint_every=0", "optim.lr_decay=none"]


def step_of(run: RunControl) -> int:
    w = run.worker
    return w.trainer.step_count if (w is not None and w.trainer is not None) else -1


def test_start_pause_resume_change_lr_and_stop(qtbot, settings, monitor, tmp_path, watch_pause):
    run = RunControl(settings)
    states, live, messages, ended, steps = [], [], [], [], []
    run.stateChanged.connect(states.append)
    run.liveValuesChanged.connect(lambda g, d, n: live.append((g, d, n)))
    run.message.connect(messages.append)
    run.runEnded.connect(lambda: ended.append(True))
    run.stepChanged.connect(lambda step, total, it_s: steps.append((step, total)))
    # The monitor is wired the way the window wires it.
    run.runStarted.connect(monitor.begin_live_run)
    run.progressed.connect(monitor.add_progress)
    run.runEnded.connect(monitor.end_live_run)

    cfg = preset("toy-ring").with_overrides([*TOY, "train.steps=100000"])
    worker = run.start(cfg)
    assert worker is run.worker and run.state == "starting"
    assert run.start(cfg) is None  # one run at a time
    qtbot.waitUntil(lambda: run.state == "running" and step_of(run) >= 5, timeout=30000)
    assert live[0] == (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.n_critic)  # the panel learns the trainer's values
    live_run = monitor.live_run
    assert live_run is not None and live_run.live and live_run.task == "toy"

    waited = watch_pause(worker)
    run.set_paused(True)
    assert run.state == "paused" and run.paused
    qtbot.waitUntil(lambda: waited() >= 1, timeout=30000)  # the step that was running has ended
    paused_at = step_of(run)
    qtbot.waitUntil(lambda: waited() >= 10, timeout=30000)  # ten rounds of waiting later: no step
    assert step_of(run) == paused_at
    qtbot.waitUntil(lambda: steps and steps[-1][0] == paused_at, timeout=5000)  # the pause showed where it stopped

    run.set_live_settings({"lr_g": 5e-5, "lr_d": cfg.optim.lr_d, "n_critic": 2})  # applied while paused, too
    qtbot.waitUntil(lambda: live[-1] == (5e-5, cfg.optim.lr_d, 2), timeout=10000)
    trainer = worker.trainer
    assert trainer.opt_G.param_groups[0]["lr"] == 5e-5 and trainer.n_critic == 2
    assert step_of(run) == paused_at  # changing a value does not unpause

    run.set_paused(False)
    assert run.state == "running"
    qtbot.waitUntil(lambda: step_of(run) > paused_at + 10, timeout=30000)
    qtbot.waitUntil(lambda: np.any(live_run.table.get("lr_g") == 5e-5), timeout=10000)

    run.stop()
    assert run.state == "stopping"
    qtbot.waitUntil(lambda: run.worker is None and run.state == "idle", timeout=30000)
    assert not worker.is_running() and ended == [True]
    assert states == ["starting", "running", "paused", "running", "stopping", "idle"]
    ckpt = worker.last_checkpoint
    assert ckpt is not None and ckpt.endswith("checkpoints/latest.safetensors")
    assert ckpt.startswith(str(tmp_path / "runs"))
    assert settings.recent_checkpoints()[0] == ckpt
    assert any(m.startswith("Training stopped at step") and ckpt in m for m in messages)
    # The monitor got the run's scalars and keeps them after the run.
    assert live_run.table.rows >= 3 and np.isfinite(live_run.table.get("d_loss")).sum() >= 3
    assert monitor.live_run is None and not live_run.live


def test_a_failed_run_is_one_sentence_and_returns_to_idle(qtbot, settings, tmp_path):
    run = RunControl(settings)
    errors, states = [], []
    run.error.connect(errors.append)
    run.stateChanged.connect(states.append)
    cfg = preset("digits-dcgan").with_overrides(["data.kind=folder", f"data.path={tmp_path / 'missing'}"])
    run.start(cfg)
    qtbot.waitUntil(lambda: run.worker is None, timeout=30000)
    assert len(errors) == 1 and str(tmp_path / "missing") in errors[0] and errors[0].endswith(".")
    assert states == ["starting", "idle"]


def test_shutdown_stops_the_run_and_returns_its_checkpoint(qtbot, settings):
    run = RunControl(settings)
    run.start(preset("toy-ring").with_overrides([*TOY, "train.steps=100000"]))
    qtbot.waitUntil(lambda: step_of(run) >= 3, timeout=30000)
    worker = run.worker
    ckpt = run.shutdown()  # blocks, as closing the window does
    assert not worker.is_running()
    assert ckpt is not None and ckpt == worker.last_checkpoint
    assert settings.recent_checkpoints()[0] == ckpt
    assert run.start(preset("toy-ring")) is None  # closing: no new run


# --- one writer per run folder ------------------------------------------------------------------------------

HOLD_LOCK = """
import sys, time
from ganstudio.core.train.run_lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


def hold_run_folder(folder):
    """Another process owning the run folder, as a `ganstudio train` into it does."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "held"
    return proc


def checkpoint_in_run_folder(run_dir):
    from ganstudio.core.train.trainer import Trainer

    trainer = Trainer(preset("toy-ring").with_overrides([*TOY, "train.steps=5"]), run_dir=run_dir)
    trainer.run()
    return trainer.save_checkpoint()


def test_a_run_folder_another_process_trains_into_is_refused(qtbot, settings, tmp_path):
    run_dir = tmp_path / "runs" / "ring"
    ckpt = checkpoint_in_run_folder(run_dir)
    holder = hold_run_folder(run_dir)
    run = RunControl(settings)
    errors, states, messages = [], [], []
    run.error.connect(errors.append)
    run.stateChanged.connect(states.append)
    run.message.connect(messages.append)
    cfg = preset("toy-ring").with_overrides([*TOY, "train.steps=10"])
    try:
        assert run.start(cfg, resume=str(ckpt)) is None
        assert run.worker is None and run.state == "idle" and states == []
        assert len(errors) == 1 and str(run_dir) in errors[0] and f"pid {holder.pid}" in errors[0]
    finally:
        holder.kill()
        holder.wait()
    # That process is gone (killed, its lock file left behind): the app takes the folder over.
    assert run.start(cfg, resume=str(ckpt)) is not None
    qtbot.waitUntil(lambda: run.worker is None and run.state == "idle", timeout=30000)
    assert any("taking it over" in m and f"pid {holder.pid}" in m for m in messages)
    assert not (run_dir / "run.lock").exists()


def test_the_app_owns_its_run_folder_while_it_trains(qtbot, settings):
    run = RunControl(settings)
    info = []
    run.runStarted.connect(info.append)
    run.start(preset("toy-ring").with_overrides([*TOY, "train.steps=100000"]))
    qtbot.waitUntil(lambda: bool(info) and step_of(run) >= 3, timeout=30000)
    run_dir = info[0]["run_dir"]
    with pytest.raises(RunFolderBusy, match=f"pid {os.getpid()}"):  # what `ganstudio train --out` meets
        RunLock(run_dir).acquire()
    run.stop()
    qtbot.waitUntil(lambda: run.worker is None, timeout=30000)
    with RunLock(run_dir):  # free again once the run has ended
        pass
