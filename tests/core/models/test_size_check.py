"""Runs too large for the machine are refused before any memory is spent (core.models.size_check)."""

from __future__ import annotations

import pytest

from ganstudio.core.config import preset
from ganstudio.core.errors import ConfigError
from ganstudio.core.models.size_check import check_step_memory, count_run_parameters, estimate_step_bytes

QUIET = ["train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0"]


def test_the_estimate_counts_weights_and_grows_with_the_batch_as_activations_do():
    small = preset("digits-dcgan").with_overrides(["optim.batch_size=64"])
    large = preset("digits-dcgan").with_overrides(["optim.batch_size=640"])
    n_g, n_d = count_run_parameters(small)
    weights = (n_g + n_d) * 32  # weight, gradient, Adam moments, EMA and rollback copies (float32)
    a, b = estimate_step_bytes(small), estimate_step_bytes(large)
    assert a > weights and b > weights
    assert (b - weights) == pytest.approx(10 * (a - weights), rel=1e-6)  # activations are per sample


@pytest.mark.parametrize("name, extra", [
    ("toy-grid", []),  # packed D input
    ("digits-cdcgan", ["tricks.pack=2", "tricks.minibatch_stddev=true"]),
    ("sketch-folder", []),
    ("toy-ring", ["tricks.minibatch_disc=8"]),
    ("cyclegan-scenes", []),
])
def test_every_kind_of_run_gets_an_estimate(name, extra):
    assert estimate_step_bytes(preset(name).with_overrides(extra)) > 0


def test_a_step_that_does_not_fit_is_one_sentence_naming_the_batch_and_widths():
    cfg = preset("digits-dcgan").with_overrides(["optim.batch_size=512"])
    need = estimate_step_bytes(cfg)
    check_step_memory(cfg, int(need / 0.75) + 1)  # just fits: a run may take 3/4 of the free memory
    with pytest.raises(ConfigError):
        check_step_memory(cfg, need)  # all of it is not left to one run
    check_step_memory(cfg, None)  # unknown free memory: nothing refused
    with pytest.raises(ConfigError, match=r"^one training step of this run needs about .* \(optim.batch_size 512 of "
                       r"32x32 pictures, model.g_width 32 / model.d_width 32\), more than the 0.1 GB a run may take of the "
                       r"0.1 GB free on this machine: lower optim.batch_size or the widths.$"):
        check_step_memory(cfg, 100 * 1024**2)


def test_the_trainer_refuses_a_run_too_large_for_the_free_memory(monkeypatch):
    from ganstudio.core.train import trainer as trainer_module

    monkeypatch.setattr(trainer_module, "free_memory_bytes", lambda device: 200 * 1024**2)
    cfg = preset("digits-dcgan").with_overrides(["optim.batch_size=2048", "train.steps=1", *QUIET])
    with pytest.raises(ConfigError, match="a run may take of the 0.2 GB free on this machine"):
        trainer_module.Trainer(cfg)


def test_unrolled_d_counts_each_look_ahead_step():
    """Each of k look-ahead steps keeps a graph and a copy of D (the GUI monkey found a toy run with 49 of them
    and wide networks OOM-killed at 21 GB)."""
    plain = preset("toy-ring").with_overrides(["model.d_width=1024", "model.d_depth=6"])
    unrolled = plain.with_overrides(["tricks.unrolled_steps=49"])
    n_g, n_d = count_run_parameters(plain)
    assert estimate_step_bytes(unrolled) - estimate_step_bytes(plain) > 49 * n_d * 4 * 4
    with pytest.raises(ConfigError, match="one training step of this run needs about"):
        check_step_memory(unrolled, estimate_step_bytes(plain) * 2)


def test_cyclegan_counts_its_four_networks_and_six_generator_passes(monkeypatch):
    """The CycleGAN trainer goes through the same checks as the others (it once skipped them)."""
    from ganstudio.core.train import trainer as trainer_module
    from ganstudio.core.train.cyclegan import CycleGANTrainer

    cfg = preset("cyclegan-scenes")
    n_g, n_d = count_run_parameters(cfg)
    plain = cfg.with_overrides(["objective.identity_weight=0"])
    assert estimate_step_bytes(cfg) > estimate_step_bytes(plain) > (n_g + n_d) * 32
    big = cfg.with_overrides(["optim.batch_size=64", *QUIET])
    monkeypatch.setattr(trainer_module, "free_memory_bytes", lambda device: estimate_step_bytes(big) - 1)
    with pytest.raises(ConfigError, match=r"optim.batch_size 64 of \d+x\d+ pictures"):
        CycleGANTrainer(big)


def test_minibatch_discrimination_counts_its_pairwise_differences():
    """It compares every pair of samples, (N, N, kernels, kernel_dim) inside one layer: the GUI monkey's toy
    run with batch 8192 and 146 kernels grew the test process to 24 GB before the OOM killer ended it."""
    base = ["optim.batch_size=8192", "model.d_width=4", "model.d_depth=1"]
    plain = preset("toy-ring").with_overrides(base)
    mbd = preset("toy-ring").with_overrides([*base, "tricks.minibatch_disc=146"])
    pairwise = 8192 ** 2 * 146 * 8 * 4  # one float32 (N, N, B, C) tensor
    assert estimate_step_bytes(mbd) - estimate_step_bytes(plain) > 2 * pairwise
    with pytest.raises(ConfigError, match="one training step of this run needs about"):
        check_step_memory(mbd, 24 * 1024**3)
