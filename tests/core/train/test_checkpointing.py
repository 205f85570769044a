"""Checkpoints of a training run: a resume continues the same run exactly, a checkpoint of another
architecture is refused, and a NaN either stops the run without a NaN file or rolls back to the last
saved state."""

import copy
from pathlib import Path

import pytest
import torch

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import preset
from ganstudio.core.errors import CheckpointError, TrainingError
from ganstudio.core.train.trainer import Trainer

SMALL = ["model.g_width=32", "model.d_width=32", "model.z_dim=4", "optim.batch_size=32",
         "train.log_every=5", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
         "train.n_preview=64"]


def small_toy(*extra: str, steps: int = 20):
    return preset("toy-ring").with_overrides(SMALL + [f"train.steps={steps}", *extra])


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.G.parameters()] + [p.detach().clone() for p in trainer.D.parameters()]


def test_resume_continues_the_same_run_exactly(tmp_path: Path):
    straight = Trainer(small_toy("tricks.ema=0.9", steps=20))
    straight.run()
    first = Trainer(small_toy("tricks.ema=0.9", steps=20), run_dir=tmp_path)
    first.run(max_steps=10)
    path = first.save_checkpoint()
    second = Trainer(small_toy("tricks.ema=0.9", steps=20), resume=path)
    assert second.step_count == 10
    second.run()
    assert all(torch.equal(x, y) for x, y in zip(_weights(straight), _weights(second)))
    assert all(torch.equal(x, y) for x, y in zip(straight.ema.model.parameters(), second.ema.model.parameters()))


def test_resume_refuses_a_different_architecture(tmp_path: Path):
    t = Trainer(small_toy(steps=2), run_dir=tmp_path)
    t.run()
    path = t.save_checkpoint()
    with pytest.raises(CheckpointError, match="different model setup.*model.g_width=32"):
        Trainer(small_toy("model.g_width=48", steps=2), resume=path)


def test_resume_refuses_another_optimizer_for_every_caller(tmp_path: Path):
    """The Trainer checks it (the app's TrainerWorker and the CLI both resume through it): Adam's moments are
    no SGD momentum."""
    t = Trainer(small_toy(steps=2), run_dir=tmp_path)
    t.run()
    path = t.save_checkpoint()
    with pytest.raises(CheckpointError, match="optim.optimizer 'adam'; it cannot continue with 'sgd'"):
        Trainer(small_toy("optim.optimizer=sgd", "optim.beta1=0", steps=4), resume=path)
    assert Trainer(small_toy(steps=4), resume=path).step_count == 2


def _force_rates(t: Trainer, lr: float) -> None:
    t.base_lr_g = t.base_lr_d = lr
    t._apply_learning_rates()


def test_non_finite_loss_stops_with_a_clear_message_and_no_nan_checkpoint(tmp_path: Path):
    t = Trainer(small_toy("objective.r1_gamma=0", steps=40), run_dir=tmp_path)
    _force_rates(t, 1e30)  # far above what a config or a live change may hold (FIELD_RULES): a run that must diverge
    with pytest.raises(TrainingError, match="became NaN or infinite"):
        t.run()
    assert not (tmp_path / "checkpoints" / "latest.safetensors").exists()


def test_non_finite_loss_can_roll_back(tmp_path: Path):
    events = []
    t = Trainer(small_toy("objective.r1_gamma=0", "train.nan_policy=rollback", steps=40), report=events.append)
    _force_rates(t, 1e30)  # far above what a config or a live change may hold (FIELD_RULES): a run that must diverge
    with pytest.raises(TrainingError):
        t.run()  # three rollbacks with halved rates still explode at 1e30: then it stops
    warnings = [e.data["message"] for e in events if e.kind == "warning"]
    assert sum("rolled back" in w for w in warnings) == 3


def _state(trainer: Trainer) -> dict[str, dict]:
    """Deep copies of everything a rollback must restore."""
    return {
        "G": copy.deepcopy(trainer.G.state_dict()),
        "D": copy.deepcopy(trainer.D.state_dict()),
        "G_ema": copy.deepcopy(trainer.ema.model.state_dict()),
        "opt_G": copy.deepcopy(trainer.opt_G.state_dict()["state"]),
        "opt_D": copy.deepcopy(trainer.opt_D.state_dict()["state"]),
    }


def _assert_same_state(actual: dict, expected: dict) -> None:
    for part in ("G", "D", "G_ema"):
        assert actual[part].keys() == expected[part].keys()
        for key in expected[part]:
            assert torch.equal(actual[part][key], expected[part][key]), f"{part}.{key}"
    for part in ("opt_G", "opt_D"):
        for index, slots in expected[part].items():
            for name, value in slots.items():
                assert torch.equal(torch.as_tensor(actual[part][index][name]), torch.as_tensor(value)), f"{part}.{index}.{name}"


def _poison_batch(trainer: Trainer, at_call: int) -> None:
    """The at_call-th batch drawn from now on holds NaN (a corrupt image, an overflow upstream)."""
    draw, calls = trainer.data.next, {"n": 0}

    def next_batch(n):
        batch = draw(n)
        calls["n"] += 1
        if calls["n"] == at_call:
            batch.real = torch.full_like(batch.real, float("nan"))
        return batch

    trainer.data.next = next_batch


@pytest.mark.parametrize("bad_step", [4, 6])
def test_rollback_restores_exactly_the_last_good_checkpointed_state(tmp_path: Path, bad_step: int):
    events = []
    cfg = small_toy("train.nan_policy=rollback", "train.log_every=1", "train.checkpoint_every=3", "tricks.ema=0.9",
                    "model.g_width=16", "model.d_width=16", "optim.batch_size=16",
                    "optim.lr_decay=none", "optim.lr_g=1e-3", "optim.lr_d=4e-4", steps=50)
    t = Trainer(cfg, run_dir=tmp_path, report=events.append)
    for _ in range(3):
        t.step()  # step 3 writes a checkpoint: the last good state
    good = _state(t)
    on_disk = load_checkpoint(tmp_path / "checkpoints" / "latest.safetensors")
    assert on_disk.step == 3
    _poison_batch(t, at_call=bad_step - 3)  # one batch per step (n_critic 1, the fake batch is reused)
    while t.step_count < bad_step - 1:
        t.step()
    if bad_step == 4:
        assert all(torch.equal(a, b) for a, b in zip(_state(t)["G"].values(), good["G"].values()))
    t.step()  # the bad step: NaN losses, NaN weights, then the rollback
    assert t.rollbacks == 1 and t.step_count == 3
    _assert_same_state(_state(t), good)
    live = {"G": t.G.state_dict(), "D": t.D.state_dict(), "G_ema": t.ema.model.state_dict()}
    for part, state in live.items():  # which is also what the checkpoint on disk holds
        assert all(torch.equal(state[key], value) for key, value in on_disk.states[part].items()), part
    assert t.learning_rates == pytest.approx((5e-4, 2e-4))  # halved
    warnings = [e.data["message"] for e in events if e.kind == "warning"]
    assert any(f"at step {bad_step}; rolled back to step 3" in w for w in warnings), warnings
    t.step()  # training goes on from the restored state, with finite numbers
    assert t.step_count == 4
    assert all(torch.isfinite(p).all() for p in list(t.G.parameters()) + list(t.D.parameters()))
    assert all(torch.isfinite(v).all() for s in t.opt_D.state.values() for v in s.values())


def test_rollback_also_restores_the_historical_averages_and_the_ema_count(tmp_path: Path):
    # The bad step feeds NaN weights into the running means of historical averaging; unless they are
    # rolled back too, every later penalty is NaN and the run dies after three futile rollbacks.
    cfg = small_toy("train.nan_policy=rollback", "train.log_every=1", "train.checkpoint_every=3", "tricks.ema=0.9",
                    "tricks.historical_averaging=0.01", "model.g_width=16", "model.d_width=16",
                    "optim.batch_size=16", "optim.lr_decay=none", steps=50)
    t = Trainer(cfg, run_dir=tmp_path)
    for _ in range(3):
        t.step()
    means = {name: ([m.clone() for m in h._means], h.count) for name, h in (("G", t.hist_G), ("D", t.hist_D))}
    ema_updates = t.ema.num_updates
    _poison_batch(t, at_call=1)
    t.step()
    assert t.rollbacks == 1 and t.step_count == 3
    for name, h in (("G", t.hist_G), ("D", t.hist_D)):
        saved, count = means[name]
        assert h.count == count and all(torch.equal(a, b) for a, b in zip(h._means, saved, strict=True)), name
    assert t.ema.num_updates == ema_updates
    for _ in range(3):
        t.step()
    assert t.rollbacks == 1 and t.step_count == 6
    assert all(torch.isfinite(p).all() for p in list(t.G.parameters()) + list(t.D.parameters()))


# --- what killed runs leave behind: cleaned up on the next start or resume -------------------------------

def _steps(run: Path) -> list[int]:
    import json

    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()
            if line.startswith("{") and line.endswith("}")]


def _orphans(run: Path) -> list[Path]:
    return sorted(p for p in run.rglob(".*.tmp"))


def test_a_resume_removes_unfinished_saves_and_the_records_it_logs_again(tmp_path: Path):
    run = tmp_path / "run"
    first = Trainer(small_toy("train.checkpoint_every=20", steps=40), run_dir=run)
    first.run(max_steps=30)  # saves at step 20, logs 25 and 30, then dies before its next checkpoint
    ckpt = run / "checkpoints" / "latest.safetensors"
    with open(run / "metrics.jsonl", "a") as fh:
        fh.write('{"step":35,"d_lo')  # kill -9 in the middle of a line
    # kill -9 during saves: the temp files of atomic writes (and files that only look alike)
    for name in (".latest.safetensors.ab12cd34.tmp", ".latest.json.x_9yz012.tmp", ".best.safetensors.00000000.tmp"):
        (run / "checkpoints" / name).write_bytes(b"partial")
    (run / ".metrics.jsonl.qwertyui.tmp").write_bytes(b"partial")
    keep = [run / "checkpoints" / "notes.tmp", run / "checkpoints" / ".mine.tmp", run / ".latest.safetensors.tmp"]
    for path in keep:
        path.write_text("not ours")
    assert _steps(run) == [5, 10, 15, 20, 25, 30]

    warnings = []
    second = Trainer(small_toy(steps=40), run_dir=run, resume=ckpt,
                     report=lambda e: warnings.append(e.data["message"]) if e.kind == "warning" else None)
    assert second.step_count == 20
    assert _orphans(run) == sorted(p for p in keep if p.name.startswith("."))
    assert all(p.is_file() for p in keep)
    assert _steps(run) == [5, 10, 15, 20]  # what the resumed run will log again is gone, the torn line too
    assert any("removed 4 unfinished files" in w for w in warnings), warnings
    assert any("dropped 2 records logged after step 20" in w and "1 torn line" in w for w in warnings), warnings
    second.run(max_steps=35)
    assert _steps(run) == [5, 10, 15, 20, 25, 30, 35]  # every step once


def test_a_new_start_removes_unfinished_saves_but_keeps_the_metrics(tmp_path: Path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / ".latest.safetensors.ab12cd34.tmp").write_bytes(b"partial")
    (run / "metrics.jsonl").write_text('{"step":50}\n')
    Trainer(small_toy(steps=2), run_dir=run)
    assert not (run / "checkpoints" / ".latest.safetensors.ab12cd34.tmp").exists()
    assert _steps(run) == [50]  # not a resume: nothing is logged again, nothing is cut


def test_a_resume_leaves_a_clean_metrics_file_untouched(tmp_path: Path):
    run = tmp_path / "run"
    first = Trainer(small_toy(steps=10), run_dir=run)
    first.run()
    ckpt = first.save_checkpoint()
    before = (run / "metrics.jsonl").stat()
    Trainer(small_toy(steps=20), run_dir=run, resume=ckpt).finish()
    after = (run / "metrics.jsonl").stat()
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)  # not rewritten: a follower goes on
