"""The tricks' edges, each held to its exact value or message: what the mutation run of tricks.py showed the
closed-form tests in test_tricks.py left open (bounds, defaults, the exact warning sentences)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganstudio.core.errors import ConfigError
from ganstudio.core.train.tricks import (
    EMA,
    HistoricalAverage,
    InstanceNoise,
    check_combination,
    clip_grad_norm,
    feature_matching_loss,
    grad_norm,
    smooth_labels,
)


def test_smooth_labels_bounds_and_message() -> None:
    assert smooth_labels(0.0) == 1.0 and isinstance(smooth_labels(0), float)
    assert smooth_labels(0.999) == pytest.approx(0.001)
    for bad in (-0.01, 1.0):
        with pytest.raises(ConfigError, match=rf"^The label smoothing {bad!r} is invalid; it must be in \[0, 1\), "
                                              r"typically 0\.1 \(real target 0\.9\)\.$"):
            smooth_labels(bad)


def test_instance_noise_checks_both_ends_and_the_steps() -> None:
    InstanceNoise(0.0, 0.0, anneal_steps=1)  # zero is allowed at both ends, one step too
    for start, end in ((-0.1, 0.0), (0.1, -0.1), (float("nan"), 0.0)):
        with pytest.raises(ConfigError, match=r"^The instance noise std \(.* -> .*\) is invalid; both ends must be "
                                              r"numbers >= 0\.$"):
            InstanceNoise(start, end, anneal_steps=10)
    for steps in (0, -3, 2.5, True):
        with pytest.raises(ConfigError, match=rf"^The instance noise anneal_steps {steps!r} is invalid; it must be "
                                              r"an integer >= 1\.$"):
            InstanceNoise(0.1, anneal_steps=steps)
    noise = InstanceNoise(1, 3, anneal_steps=4)  # it may also grow; ints become floats
    assert noise.std_start == 1.0 and noise.std_end == 3.0 and isinstance(noise.std_start, float)
    assert [noise.std(s) for s in (-5, 0, 1, 2, 4, 9)] == pytest.approx([1.0, 1.0, 1.5, 2.0, 3.0, 3.0])


def test_instance_noise_is_standard_normal_times_std_in_the_inputs_dtype() -> None:
    noise = InstanceNoise(0.5, anneal_steps=2)
    x = torch.ones(3, 4, dtype=torch.float64)
    out = noise.apply(x, 1, generator=torch.Generator().manual_seed(3))  # std 0.25 at step 1 of 2
    expected = x + 0.25 * torch.randn((3, 4), generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert noise.apply(x, 2) is x  # std 0 at the end: the input itself


def test_feature_matching_flattens_trailing_dimensions() -> None:
    real = torch.zeros(4, 2, 3)
    fake = torch.ones(4, 2, 3).requires_grad_(True)
    fake.data[0] = 3.0  # mean of fake features: (3 + 1 + 1 + 1) / 4 = 1.5 in every one of 6 features
    assert feature_matching_loss(real, fake).item() == pytest.approx(6 * 1.5 ** 2)


def test_ema_decay_bounds_warmup_and_mismatched_models() -> None:
    for bad in (-0.1, 1.0):
        with pytest.raises(ConfigError, match=rf"^The EMA decay {bad!r} is invalid; it must be in \[0, 1\), "
                                              r"such as 0\.999\.$"):
            EMA(nn.Linear(2, 2), decay=bad)
    model = nn.Linear(2, 2)
    ema = EMA(model)  # defaults: decay 0.999 with warmup
    assert ema.decay == 0.999 and ema.warmup and not ema.model.training
    assert all(not p.requires_grad for p in ema.model.parameters()) and all(p.requires_grad for p in model.parameters())
    assert ema.current_decay() == pytest.approx(0.1)  # (1 + 0) / (10 + 0)
    ema.num_updates = 5
    assert ema.current_decay() == pytest.approx(6 / 15)
    ema.num_updates = 10 ** 6
    assert ema.current_decay() == 0.999  # the warmup is capped by the decay
    plain = EMA(model, decay=0.0, warmup=False)
    with torch.no_grad():
        model.weight.fill_(4.0)
    plain.update(model)  # decay 0: the average is the model
    torch.testing.assert_close(plain.model.weight, model.weight)
    assert plain.num_updates == 1
    other = nn.Sequential(nn.Linear(2, 2))  # parameters named 0.weight, 0.bias
    with pytest.raises(ValueError, match=r"^EMA.update got a model with parameter '0.weight' where 'weight' was "
                                         r"expected$"):
        plain.update(other)


def test_ema_copies_integer_parameters_and_buffers_and_defaults_a_missing_count() -> None:
    class WithCounts(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))
            self.steps = nn.Parameter(torch.zeros(2, dtype=torch.int64), requires_grad=False)
            self.register_buffer("seen", torch.zeros(3))

    model = WithCounts()
    ema = EMA(model, decay=0.5, warmup=False)
    with torch.no_grad():
        model.w.fill_(2.0)
        model.steps.fill_(7)
        model.seen.fill_(9.0)
    ema.update(model)
    assert ema.model.w.tolist() == [1.0, 1.0]  # halfway
    assert ema.model.steps.tolist() == [7, 7] and ema.model.seen.tolist() == [9.0] * 3  # copied
    state = ema.state_dict()
    assert set(state) == {"model", "decay", "num_updates"} and state["num_updates"] == 1 and state["decay"] == 0.5
    fresh = EMA(WithCounts(), decay=0.25)
    fresh.load_state_dict({"model": state["model"]})  # an older file without decay and count
    assert fresh.decay == 0.25 and fresh.num_updates == 0 and fresh.model.seen.tolist() == [9.0] * 3


def test_historical_average_skips_frozen_parameters_and_is_a_running_mean() -> None:
    layer = nn.Linear(1, 1)
    layer.bias.requires_grad_(False)
    average = HistoricalAverage()
    zero = average.penalty(layer)
    assert zero.shape == () and zero.item() == 0.0 and average.count == 0
    for value in (1.0, 5.0, 6.0, 8.0):  # mean 5
        with torch.no_grad():
            layer.weight.fill_(value)
            layer.bias.fill_(100.0 * value)  # frozen: neither averaged nor penalised
        average.update(layer)
    assert average.count == 4
    with torch.no_grad():
        layer.weight.fill_(7.0)
    assert average.penalty(layer).item() == pytest.approx((7.0 - 5.0) ** 2)
    assert HistoricalAverage().penalty(nn.Module()).item() == 0.0  # nothing to average


def test_grad_norm_takes_parameter_lists_and_skips_missing_gradients() -> None:
    a, b, c = (nn.Parameter(torch.zeros(2)) for _ in range(3))
    a.grad, c.grad = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])
    assert grad_norm([a, b, c]).item() == pytest.approx(5.0)
    assert grad_norm([]).item() == 0.0
    with pytest.raises(ConfigError, match=r"^The gradient clipping norm -1\.0 is invalid; it must be a positive "
                                          r"number\.$"):
        clip_grad_norm([a], -1.0)
    assert clip_grad_norm([a, b, c], 10.0).item() == pytest.approx(5.0)  # under the bound: unchanged
    assert a.grad.tolist() == [3.0, 0.0]
    assert clip_grad_norm([a, b, c], 2.5).item() == pytest.approx(5.0)
    assert a.grad.tolist() == pytest.approx([1.5, 0.0], rel=1e-5) and c.grad.tolist() == pytest.approx([0.0, 2.0], rel=1e-5)


WARNINGS = {
    "batchnorm": (
        "A gradient penalty with BatchNorm in the discriminator is ill-posed, because the penalty constrains each "
        "sample's gradient while BatchNorm makes every score depend on the whole batch (Gulrajani et al. 2017); "
        "use layer, instance or no normalisation in the discriminator."),
    "clip+sn": (
        "Weight clipping and spectral norm both bound the critic's Lipschitz constant, and clipping the raw "
        "weights under spectral norm only distorts them; use one of the two, for example wgan-gp or hinge with "
        "spectral norm."),
    "clip+gp": (
        "Weight clipping together with a gradient penalty keeps the capacity loss of clipping that the penalty "
        "was designed to remove (Gulrajani et al. 2017); use the wgan-gp objective alone."),
    "smoothing": (
        "Label smoothing has no effect with the hinge objective, because its critic outputs scores rather than "
        "probabilities of a label; set label smoothing to 0."),
    "adam": (
        "Weight-clipped WGAN training is unstable with a momentum-based optimizer such as  AdamW  (Arjovsky et al. "
        "2017, sec. 4.3); use RMSprop with lr 5e-5."),
}


def test_check_combination_sentences_word_for_word() -> None:
    assert check_combination(objective="wgan-gp", d_has_batchnorm=True) == [WARNINGS["batchnorm"]]
    assert check_combination(objective="wgan-gp", d_has_batchnorm=True, gradient_penalty_weight=0.0) == []
    assert check_combination(objective="hinge", d_has_batchnorm=True, r1_gamma=0.5) == [WARNINGS["batchnorm"]]
    assert check_combination(objective="wgan", spectral_norm=True) == [WARNINGS["clip+sn"]]
    assert check_combination(objective="wgan", gradient_penalty_weight=0.5) == [WARNINGS["clip+gp"]]
    assert check_combination(objective="hinge", label_smoothing=0.01) == [WARNINGS["smoothing"]]
    assert check_combination(objective="hinge", label_smoothing=0.0) == []
    assert check_combination(objective="wgan", optimizer=" AdamW ") == [WARNINGS["adam"]]
    assert check_combination(objective="wgan", optimizer="Adam")[0].startswith(
        "Weight-clipped WGAN training is unstable with a momentum-based optimizer such as Adam (")
    assert check_combination(objective="wgan", optimizer="sgd") == []
    assert check_combination(objective="wgan-gp", spectral_norm=True, optimizer="adam") == []  # not clipped
    everything = check_combination(objective="wgan", d_has_batchnorm=True, gradient_penalty_weight=1.0,
                                   spectral_norm=True, label_smoothing=0.1, optimizer="adam")
    assert everything == [WARNINGS["batchnorm"], WARNINGS["clip+sn"], WARNINGS["clip+gp"],
                          WARNINGS["smoothing"].replace("hinge", "wgan"), WARNINGS["adam"].replace(" AdamW ", "adam")]


def test_historical_average_refuses_a_module_of_another_shape() -> None:
    layer = nn.Linear(1, 1)
    average = HistoricalAverage()
    average.update(layer)
    with pytest.raises(ValueError):  # zip(strict=True): one more parameter than the running means
        average.penalty(nn.Sequential(layer, nn.Linear(1, 1)))


def test_grad_norm_of_a_single_parameter() -> None:
    a = nn.Parameter(torch.zeros(3))
    assert grad_norm([a]).item() == 0.0
    a.grad = torch.tensor([2.0, 3.0, 6.0])
    assert grad_norm([a]).item() == pytest.approx(7.0)
