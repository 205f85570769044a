"""The app's TrainerWorker trains through Trainer.run, the loop `ganstudio train` runs: one loop."""

from PySide6.QtCore import QObject, Slot

from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer
from ganstudio.qt.train.trainer_worker import TrainerWorker

TINY = ["model.g_width=32", "model.d_width=32", "train.log_every=5", "train.sample_every=0", "train.eval_every=0",
        "train.checkpoint_every=0"]


class Receiver(QObject):
    def __init__(self):
        super().__init__()
        self.batches, self.summaries, self.finished = [], [], 0

    @Slot(object)
    def on_progress(self, batch):
        self.batches.append(batch)

    @Slot(object)
    def on_stopped(self, summary):
        self.summaries.append(summary)

    @Slot()
    def on_finished(self):
        self.finished += 1


def test_the_worker_drives_trainer_run_with_its_hooks(qtbot, monkeypatch, tmp_path):
    calls = []
    real_run = Trainer.run

    def counting_run(self, *args, **kwargs):
        calls.append(kwargs)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "run", counting_run)
    worker = TrainerWorker(preset("toy-ring").with_overrides([*TINY, "train.steps=15"]), tmp_path / "run")
    r = Receiver()
    worker.progress.connect(r.on_progress)
    worker.stopped.connect(r.on_stopped)
    worker.finished.connect(r.on_finished)
    worker.start()
    qtbot.waitUntil(lambda: r.finished == 1, timeout=60000)
    assert worker.wait(10000)
    assert len(calls) == 1
    hooks = calls[0]
    for name in ("should_stop", "on_step", "wait_if_paused", "apply_changes"):
        assert callable(hooks[name]), name
    assert hooks["save_at_end"] == "always" and hooks["evaluate_at_end"] is True
    assert worker.trainer.step_count == 15
    assert r.summaries == [{"step": 15, "reason": "finished", "checkpoint": str(tmp_path / "run" / "checkpoints" / "latest.safetensors")}]
    scalars = [s for b in r.batches for s in b["scalars"]]
    assert [s["step"] for s in scalars] == [5, 10, 15]
    assert sum(len(b["evals"]) for b in r.batches) == 1  # the end-of-run evaluation reached the GUI


def test_the_worker_trains_a_cyclegan_run_as_headless(qtbot, tmp_path):
    cfg = preset("cyclegan-scenes").with_overrides([
        "data.image_size=32", "data.scene_count=8", "model.g_width=4", "model.d_width=4", "model.g_depth=1",
        "train.steps=4", "train.log_every=2", "train.sample_every=4", "train.eval_every=0",
        "train.checkpoint_every=0", "train.n_preview=1", "train.threads=1",
    ])
    worker = TrainerWorker(cfg, tmp_path / "run")
    r = Receiver()
    worker.progress.connect(r.on_progress)
    worker.stopped.connect(r.on_stopped)
    worker.finished.connect(r.on_finished)
    worker.start()
    qtbot.waitUntil(lambda: r.finished == 1, timeout=120000)
    assert worker.wait(10000)
    assert r.summaries[0]["reason"] == "finished" and r.summaries[0]["step"] == 4
    scalars = [s for b in r.batches for s in b["scalars"]]
    assert [s["step"] for s in scalars] == [2, 4] and all("cycle_A" in s and "D_B" in s for s in scalars)
    evals = [e for b in r.batches for e in b["evals"]]
    assert evals and "colour_gap" in evals[-1]
