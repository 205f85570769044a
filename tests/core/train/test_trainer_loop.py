"""Trainer.run's hooks, the ones the app's TrainerWorker and `ganstudio train` drive the one loop with:
stop, pause, live changes between steps, progress, and the close-and-save path."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer

SMALL = ["model.g_width=32", "model.d_width=32", "model.z_dim=4", "optim.batch_size=32",
         "train.log_every=5", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
         "train.n_preview=64"]


def small_toy(*extra: str, steps: int = 12):
    return preset("toy-ring").with_overrides(SMALL + [f"train.steps={steps}", *extra])


def test_a_finished_run_saves_and_evaluates_once_at_the_end(tmp_path: Path):
    events = []
    t = Trainer(small_toy(), run_dir=tmp_path, report=events.append)
    result = t.run(save_at_end="always", evaluate_at_end=True)
    assert result.reason == "finished" and result.step == 12
    assert result.checkpoint == str(tmp_path / "checkpoints" / "latest.safetensors")
    assert load_checkpoint(result.checkpoint).step == 12
    assert "sliced_w" in result.metrics and result.metrics["modes_captured"] >= 0
    assert [e.kind for e in events].count("eval") == 1
    assert t.writer is None  # metrics.jsonl closed before the checkpoint is written, and after the evaluation
    from ganstudio.core.train.runlog import read_metrics

    last = read_metrics(tmp_path / "metrics.jsonl")[-1]  # the final evaluation reached the log (it used not to)
    assert last["kind"] == "eval" and last["step"] == 12 and last["sliced_w"] == pytest.approx(result.metrics["sliced_w"])


def test_nothing_is_saved_unless_asked(tmp_path: Path):
    result = Trainer(small_toy(), run_dir=tmp_path).run()
    assert result.reason == "finished" and result.checkpoint is None and result.metrics == {}
    assert not (tmp_path / "checkpoints").exists()


def test_a_stopped_run_saves_only_when_always_is_asked_and_is_not_evaluated(tmp_path: Path):
    t = Trainer(small_toy(steps=1000), run_dir=tmp_path / "a")
    result = t.run(should_stop=lambda: t.step_count >= 4, save_at_end="finished", evaluate_at_end=True)
    assert result.reason == "stopped" and result.step == 4
    assert result.checkpoint is None and result.metrics == {}
    t = Trainer(small_toy(steps=1000), run_dir=tmp_path / "b")
    result = t.run(should_stop=lambda: t.step_count >= 4, save_at_end="always", evaluate_at_end=True)
    assert result.reason == "stopped" and load_checkpoint(result.checkpoint).step == 4 and result.metrics == {}


def test_the_pause_wait_runs_before_every_step_and_can_end_the_run():
    t = Trainer(small_toy(steps=1000))
    waits = []

    def wait_if_paused():
        waits.append(t.step_count)
        return t.step_count < 3  # "Stop pressed while paused" after three steps

    result = t.run(wait_if_paused=wait_if_paused)
    assert result.reason == "stopped" and t.step_count == 3
    assert waits == [0, 1, 2, 3]


def test_live_changes_apply_between_steps_and_keep_the_optimizer_state():
    t = Trainer(small_toy("optim.lr_decay=none", steps=10))
    seen = []

    def apply_changes(trainer):
        seen.append(trainer.step_count)
        if trainer.step_count == 5:
            state_before = [s["exp_avg"].clone() for s in trainer.opt_G.state.values()]
            trainer.set_learning_rates(g=1e-3)
            trainer.set_n_critic(2)
            assert all(torch.equal(a, s["exp_avg"]) for a, s in zip(state_before, trainer.opt_G.state.values()))

    steps_after = []
    t.run(apply_changes=apply_changes, on_step=lambda trainer: steps_after.append((trainer.step_count, trainer.n_critic)))
    assert seen == list(range(10)) + [10]  # before each step, and once more for what came during the last
    assert steps_after[4] == (5, 1) and steps_after[5] == (6, 2)
    assert t.learning_rates[0] == 1e-3


def test_an_error_closes_the_metrics_file_and_skips_the_save(tmp_path: Path):
    t = Trainer(small_toy(steps=100), run_dir=tmp_path)

    def boom(trainer):
        if trainer.step_count == 6:
            raise RuntimeError("the GUI went away")

    with pytest.raises(RuntimeError):
        t.run(on_step=boom, save_at_end="always")
    assert t.writer is None
    assert (tmp_path / "metrics.jsonl").read_text().count("\n") == 1  # step 5 was written, flushed on close
    assert not (tmp_path / "checkpoints").exists()


def test_save_at_end_is_checked():
    with pytest.raises(ValueError, match="save_at_end"):
        Trainer(small_toy()).run(save_at_end="yes")


def test_the_2d_view_scores_its_grid_a_training_batch_at_a_time():
    """Minibatch discrimination compares every pair of what D sees: the 1600 grid points of the D heat map in
    one pass asked for 24 GB where the training batch had passed the memory check. Scored in batches of the
    training batch, a plain D gives the same field to the last digit."""
    seen = []
    t = Trainer(small_toy("tricks.minibatch_disc=4"))  # batch 32
    hook = t.D.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape[0]))
    try:
        field = t.toy_field(resolution=40, n_arrows=200)
    finally:
        hook.remove()
    assert field["field"].shape == (40, 40) and len(field["arrow_points"]) == 200
    assert max(seen) <= 32 and sum(seen) == 1600 + 200
    plain = Trainer(small_toy())
    chunked = plain.toy_field(resolution=40)
    plain.cfg = plain.cfg.with_overrides(["optim.batch_size=4096"])  # one pass, as before
    whole = plain.toy_field(resolution=40)
    np.testing.assert_allclose(chunked["field"], whole["field"], rtol=1e-5, atol=1e-6)
