"""Training tricks: each checked against what it promises (a value, a norm, a convergence)."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganstudio.core.errors import ConfigError
from ganstudio.core.train.tricks import (
    EMA,
    HistoricalAverage,
    InstanceNoise,
    apply_spectral_norm,
    check_combination,
    clip_grad_norm,
    feature_matching_loss,
    grad_norm,
    smooth_labels,
)


def test_smooth_labels_gives_the_one_sided_real_target() -> None:
    assert smooth_labels() == 1.0
    assert smooth_labels(0.1) == pytest.approx(0.9)
    with pytest.raises(ConfigError, match="1.2"):
        smooth_labels(1.2)


def test_instance_noise_std_anneals_linearly_to_zero_and_then_stays_there() -> None:
    noise = InstanceNoise(0.2, anneal_steps=100)
    assert [noise.std(s) for s in (0, 25, 50, 100, 5000)] == pytest.approx([0.2, 0.15, 0.1, 0.0, 0.0])
    x = torch.zeros(20000, 2)
    assert noise.apply(x, 100) is x
    noisy = noise.apply(x, 50, generator=torch.Generator().manual_seed(1))
    assert noisy.std().item() == pytest.approx(0.1, rel=0.03)
    again = noise.apply(x, 50, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(noisy, again)
    assert InstanceNoise(0.5, 0.1, anneal_steps=4).std(10) == pytest.approx(0.1)
    with pytest.raises(ConfigError, match="anneal_steps"):
        InstanceNoise(0.1, anneal_steps=0)


def test_feature_matching_is_the_squared_distance_of_mean_features_and_trains_only_g() -> None:
    real = torch.randn(32, 8)
    assert feature_matching_loss(real, real.clone()).item() == 0.0
    real = torch.tensor([[1.0, 0.0], [3.0, 2.0]], requires_grad=True)  # mean (2, 1)
    fake = torch.tensor([[0.0, 0.0], [0.0, 0.0]], requires_grad=True)  # mean (0, 0)
    loss = feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(5.0)
    loss.backward()
    assert real.grad is None and fake.grad is not None


def top_singular_value(layer: nn.Module) -> float:
    weight = layer.weight.detach()
    if isinstance(layer, nn.ConvTranspose2d):
        weight = weight.transpose(0, 1)  # spectral_norm normalises along the output-channel dim 1
    return torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2).item()


def test_spectral_norm_makes_top_singular_values_one_and_skips_norms_and_embeddings() -> None:
    torch.manual_seed(0)
    net = nn.ModuleDict({
        "linear": nn.Linear(20, 30), "conv": nn.Conv2d(3, 8, 3), "deconv": nn.ConvTranspose2d(8, 4, 4),
        "batchnorm": nn.BatchNorm1d(30), "embedding": nn.Embedding(10, 5),
    })
    with torch.no_grad():
        for name in ("linear", "conv", "deconv"):
            net[name].weight.mul_(7.0)
    assert top_singular_value(net["linear"]) > 2.0
    assert apply_spectral_norm(apply_spectral_norm(net)) is net  # twice: no double wrapping
    inputs = {"linear": torch.randn(4, 20), "conv": torch.randn(2, 3, 8, 8), "deconv": torch.randn(2, 8, 5, 5)}
    for _ in range(10):  # each training forward runs one power iteration
        for name, x in inputs.items():
            net[name](x)
    for name in inputs:
        assert parametrize.is_parametrized(net[name], "weight")
        assert len(net[name].parametrizations.weight) == 1
        assert top_singular_value(net[name]) == pytest.approx(1.0, abs=0.02), name
    assert not parametrize.is_parametrized(net["batchnorm"])
    assert not parametrize.is_parametrized(net["embedding"])


def make_generator() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_ema_converges_to_constant_weights_and_copies_buffers() -> None:
    torch.manual_seed(0)
    model = make_generator()
    ema = EMA(model, decay=0.9, warmup=False)
    assert not ema.model.training and not any(p.requires_grad for p in ema.model.parameters())
    initial = [p.detach().clone() for p in ema.model.parameters()]
    with torch.no_grad():  # the live model jumps to constant weights and stays there
        for p in model.parameters():
            p.fill_(2.0)
    model.train()
    model(torch.randn(16, 3) + 5.0)  # changes BatchNorm running statistics
    for _ in range(5):
        ema.update(model)
    for start, average in zip(initial, ema.model.parameters()):
        torch.testing.assert_close(average, 2.0 + (start - 2.0) * 0.9**5)
    torch.testing.assert_close(ema.model[1].running_mean, model[1].running_mean)
    for _ in range(300):
        ema.update(model)
    assert all(torch.allclose(p, torch.full_like(p, 2.0), atol=1e-6) for p in ema.model.parameters())
    assert all(p.requires_grad for p in model.parameters())  # the live model is left alone


def test_ema_warmup_follows_the_model_closely_at_first_and_state_round_trips() -> None:
    model = make_generator()
    ema = EMA(model, decay=0.999)
    assert ema.current_decay() == pytest.approx(0.1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    ema.update(model)
    first = next(ema.model.parameters())
    torch.testing.assert_close(first, next(model.parameters()) - 0.1, rtol=0, atol=1e-6)

    restored = EMA(make_generator(), decay=0.5)
    restored.load_state_dict(ema.state_dict())
    assert restored.num_updates == 1 and restored.decay == 0.999
    for a, b in zip(restored.model.state_dict().values(), ema.model.state_dict().values()):
        torch.testing.assert_close(a, b)


def test_ema_of_a_spectrally_normalised_model() -> None:
    model = apply_spectral_norm(nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2)))
    ema = EMA(model, decay=0.5, warmup=False)
    model(torch.randn(4, 3))
    ema.update(model)
    assert ema.model(torch.randn(4, 3)).shape == (4, 2)


def test_historical_average_penalises_distance_to_the_running_mean() -> None:
    layer = nn.Linear(2, 3)
    average = HistoricalAverage()
    assert average.penalty(layer).item() == 0.0
    for value in (1.0, 2.0, 3.0):
        with torch.no_grad():
            for p in layer.parameters():
                p.fill_(value)
        average.update(layer)
    assert average.penalty(layer).item() == pytest.approx(9 * (3.0 - 2.0) ** 2)  # 9 parameters, mean 2
    with torch.no_grad():
        for p in layer.parameters():
            p.fill_(2.0)
    assert average.penalty(layer).item() == pytest.approx(0.0)
    with torch.no_grad():
        layer.weight.fill_(2.5)
    average.penalty(layer).backward()
    torch.testing.assert_close(layer.weight.grad, torch.full((3, 2), 2 * 0.5))  # d/dtheta = 2 (theta - mean)


def test_grad_norm_and_clipping_report_the_total_norm_as_a_tensor() -> None:
    layer = nn.Linear(2, 2)
    assert grad_norm(layer).item() == 0.0
    layer.weight.grad = torch.full((2, 2), 3.0)  # norm 6
    layer.bias.grad = torch.tensor([8.0, 0.0])  # norm 8
    norm = grad_norm(layer)
    assert isinstance(norm, torch.Tensor) and norm.dim() == 0 and norm.item() == pytest.approx(10.0)
    before = clip_grad_norm(layer, 1.0)
    assert before.item() == pytest.approx(10.0)
    assert grad_norm(layer).item() == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(ConfigError):
        clip_grad_norm(layer, 0.0)


def test_check_combination_warns_only_for_known_bad_combinations() -> None:
    assert check_combination(objective="wgan-gp", d_has_batchnorm=False, optimizer="adam") == []
    assert check_combination(objective="nonsaturating", d_has_batchnorm=True, label_smoothing=0.1) == []
    assert check_combination(objective="wgan", optimizer="rmsprop") == []
    assert check_combination(objective="hinge", spectral_norm=True) == []

    cases = {
        "BatchNorm": dict(objective="wgan-gp", d_has_batchnorm=True),
        "BatchNorm ": dict(objective="nonsaturating", d_has_batchnorm=True, r1_gamma=10.0),
        "spectral norm": dict(objective="wgan", spectral_norm=True),
        "gradient penalty": dict(objective="wgan", gradient_penalty_weight=10.0),
        "no effect": dict(objective="hinge", label_smoothing=0.1),
        "RMSprop": dict(objective="wgan", optimizer="adam"),
    }
    for expected, kwargs in cases.items():
        warnings = check_combination(**kwargs)
        assert len(warnings) == 1 and expected.strip() in warnings[0], (kwargs, warnings)
        sentence = re.sub(r"(et al|sec)\. ", "", warnings[0])
        assert sentence.endswith(".") and ". " not in sentence  # one sentence
    with pytest.raises(ConfigError, match="'gan'"):
        check_combination(objective="gan")
