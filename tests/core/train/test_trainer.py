"""The training engine: it learns, it is reproducible, it reports, and it takes live changes between steps
(resuming and failing safely: test_checkpointing.py)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ganstudio.core import objective_registry
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import OBJECTIVES, preset
from ganstudio.core.errors import ConfigError
from ganstudio.core.train.trainer import Trainer

SMALL = ["model.g_width=32", "model.d_width=32", "model.z_dim=4", "optim.batch_size=32",
         "train.log_every=5", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
         "train.n_preview=64"]


def small_toy(*extra: str, steps: int = 20):
    return preset("toy-ring").with_overrides(SMALL + [f"train.steps={steps}", *extra])


def test_events_metrics_file_and_checkpoints(tmp_path: Path):
    events = []
    cfg = small_toy("train.sample_every=10", "train.eval_every=10", "train.checkpoint_every=10")
    trainer = Trainer(cfg, run_dir=tmp_path, report=events.append)
    trainer.run()
    kinds = {e.kind for e in events}
    assert {"scalars", "samples", "eval", "checkpoint"} <= kinds
    scalars = [e.data for e in events if e.kind == "scalars"]
    assert [s["step"] for s in scalars] == [5, 10, 15, 20]
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "grad_norm_g", "grad_norm_d", "lr_g", "lr_d", "sliced_w"):
        assert np.isfinite(scalars[-1][key]), key
    samples = [e.data for e in events if e.kind == "samples"]
    assert samples[-1]["points"].shape == (64, 2) and samples[-1]["field"].ndim == 2
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert sum(1 for r in lines if r.get("kind") != "eval") == 4
    assert (tmp_path / "config.toml").is_file() and (tmp_path / "samples" / "step_0000010.npy").is_file()
    assert load_checkpoint(tmp_path / "checkpoints" / "latest.safetensors").step == 20
    assert (tmp_path / "checkpoints" / "best.safetensors").is_file()


def _weights(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in trainer.G.parameters()] + [p.detach().clone() for p in trainer.D.parameters()]


def test_same_seed_gives_identical_weights():
    a = Trainer(small_toy(steps=10))
    a.run()
    b = Trainer(small_toy(steps=10))
    b.run()
    assert all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(b)))
    c = Trainer(small_toy("train.seed=1", steps=10))
    c.run()
    assert not all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(c)))


def test_learning_rate_change_keeps_adam_state():
    t = Trainer(small_toy(steps=10))
    t.run(max_steps=5)
    state_before = {k: v["exp_avg"].clone() for k, v in enumerate(t.opt_G.state.values())}
    t.set_learning_rates(g=1e-3, d=5e-4)
    assert t.learning_rates == (1e-3, 5e-4)
    assert all(torch.equal(state_before[i], s["exp_avg"]) for i, s in enumerate(t.opt_G.state.values()))
    t.set_n_critic(3)
    t.run(max_steps=6)
    assert t.step_count == 6 and t.n_critic == 3


def test_should_stop_ends_between_steps():
    t = Trainer(small_toy(steps=1000))
    calls = {"n": 0}

    def stop_after_three():
        calls["n"] += 1
        return calls["n"] > 3

    t.run(should_stop=stop_after_three)
    assert t.step_count == 3


@pytest.mark.parametrize("loss", [o for o in OBJECTIVES if "toy" in objective_registry.objective_spec(o).tasks])
def test_every_objective_trains_with_finite_numbers(loss):
    extra = [f"objective.loss={loss}"]
    if loss == "wgan":
        extra += ["optim.optimizer=rmsprop", "optim.n_critic=2"]
    t = Trainer(small_toy(*extra, steps=10))
    records = []
    t._report_fn = lambda e: records.append(e)
    t.run()
    scalars = [e.data for e in records if e.kind == "scalars"]
    assert scalars and all(np.isfinite(s["d_loss"]) and np.isfinite(s["g_loss"]) for s in scalars)
    if loss in ("wgan", "wgan-gp"):
        assert "critic_gap" in scalars[-1]
    if loss == "wgan":
        assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.01 + 1e-7


@pytest.mark.parametrize(
    "tricks",
    [
        ["tricks.label_smoothing=0.1"],
        ["tricks.instance_noise=0.1"],
        ["tricks.feature_matching=1.0", "tricks.pack=1"],
        ["tricks.minibatch_stddev=true", "tricks.pack=1"],
        ["tricks.minibatch_disc=5", "tricks.pack=1"],
        ["tricks.spectral_norm=true"],
        ["tricks.unrolled_steps=2"],
        ["tricks.historical_averaging=0.01"],
        ["tricks.grad_clip=1.0"],
        ["optim.optimizer=sgd", "optim.lr_g=0.01", "optim.lr_d=0.01"],
        ["objective.loss=wgan-gp", "objective.r1_gamma=0", "optim.n_critic=2"],
    ],
)
def test_every_trick_trains(tricks):
    t = Trainer(small_toy(*tricks, steps=5))
    before = [p.detach().clone() for p in t.G.parameters()]
    t.run()
    assert t.step_count == 5
    assert any(not torch.equal(a, b) for a, b in zip(before, t.G.parameters()))
    assert all(torch.isfinite(p).all() for p in t.G.parameters())


def test_batchnorm_critic_with_gradient_penalty_is_warned_about():
    events = []
    cfg = preset("digits-dcgan").with_overrides(["objective.loss=wgan-gp", "model.d_norm=batch", "train.steps=1",
                                                 "model.g_width=8", "model.d_width=8", "optim.batch_size=8",
                                                 "train.n_preview=4"])
    t = Trainer(cfg, report=events.append)
    assert any("BatchNorm" in w for w in t.warnings)
    assert any(e.kind == "warning" and "BatchNorm" in e.data["message"] for e in events)


def test_unrolled_look_ahead_changes_the_generator_update():
    plain = Trainer(small_toy(steps=3))
    plain.run()
    unrolled = Trainer(small_toy("tricks.unrolled_steps=3", steps=3))
    unrolled.run()
    assert not all(torch.equal(a, b) for a, b in zip(plain.G.parameters(), unrolled.G.parameters()))


def test_digits_dcgan_conditional_steps_and_previews(tmp_path: Path):
    cfg = preset("digits-cdcgan").with_overrides(["train.steps=4", "model.g_width=8", "model.d_width=8",
                                                  "optim.batch_size=16", "train.n_preview=20",
                                                  "train.sample_every=2", "train.log_every=2"])
    events = []
    t = Trainer(cfg, run_dir=tmp_path, report=events.append)
    t.run()
    grid = [e.data["grid"] for e in events if e.kind == "samples"][-1]
    assert grid.dtype == np.uint8 and grid.ndim == 3 and grid.shape[2] == 3
    assert (tmp_path / "samples" / "step_0000004.png").is_file()
    out = t.generate(z=t.fixed_z[:10], y=torch.arange(10))
    assert out.shape == (10, 1, 32, 32) and np.abs(out).max() <= 1.0


def test_toy_ring_learns_in_a_short_run():
    """A few hundred steps move the generator from noise onto the ring: sliced W drops a lot."""
    cfg = preset("toy-ring").with_overrides(["train.steps=1000", "train.eval_every=0", "train.sample_every=0", "tricks.pack=1",
                                             "train.log_every=50", "train.checkpoint_every=0",
                                             "model.g_width=64", "model.d_width=64", "optim.lr_g=5e-4",
                                             "optim.lr_d=5e-4", "tricks.ema=0", "optim.lr_decay=none"])
    t = Trainer(cfg)
    start = t.evaluate()["sliced_w"]
    t.run()
    end = t.evaluate()
    assert end["sliced_w"] < 0.5 * start, (start, end)


def test_unconditional_digits_preset_trains():
    cfg = preset("digits-dcgan").with_overrides(["train.steps=2", "model.g_width=8", "model.d_width=8",
                                                 "optim.batch_size=8", "train.n_preview=4", "train.log_every=1"])
    t = Trainer(cfg)
    t.run()
    assert t.step_count == 2


@pytest.mark.parametrize("change, message", [
    (dict(g=float("inf")), "'optim.lr_g' must be a finite number"),
    (dict(d=5.0), "'optim.lr_d' must be between"),
    (dict(g=0.0), "'optim.lr_g' must be between"),
])
def test_live_learning_rates_obey_the_config_rules_and_change_nothing_when_refused(change, message):
    t = Trainer(small_toy(steps=1))
    before = t.learning_rates
    with pytest.raises(ConfigError, match=message):
        t.set_learning_rates(**change)
    assert t.learning_rates == before


def test_live_n_critic_obeys_the_config_rule():
    t = Trainer(small_toy(steps=1))
    with pytest.raises(ConfigError, match="'optim.n_critic' must be between 1 and 100, not 1000"):
        t.set_n_critic(1000)
    assert t.n_critic == 1
