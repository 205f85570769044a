"""Metrics checked against closed forms: shifts, Gaussians, collapsed and perfect generators."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from ganstudio.core.train.metrics import critic_gap, exact_w1_2d, mode_statistics, sliced_wasserstein


def sliced_shift_factor(d: int) -> float:
    """E|<u, e1>| for u uniform on the unit sphere of R^d: Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2))."""
    return math.exp(math.lgamma(d / 2) - math.lgamma((d + 1) / 2)) / math.sqrt(math.pi)


def ring(k: int = 8, radius: float = 2.0) -> torch.Tensor:
    angles = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
    return torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], dim=1)


def test_critic_gap_is_the_difference_of_mean_scores() -> None:
    assert critic_gap(torch.full((4, 1, 2, 2), 1.5), torch.tensor([-0.5, 0.5])) == pytest.approx(1.5)


def test_exact_w1_of_a_shifted_sample_is_the_length_of_the_shift() -> None:
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
    v = torch.tensor([0.3, -0.4])
    assert exact_w1_2d(x, x + v) == pytest.approx(0.5, rel=1e-6)  # float32 rounding of x + v
    assert exact_w1_2d(x, x[torch.randperm(200)]) == pytest.approx(0.0, abs=1e-12)
    assert exact_w1_2d([[0.0, 0.0], [1.0, 0.0]], np.array([[1.0, 3.0], [0.0, 3.0]])) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="same shape"):
        exact_w1_2d(x, x[:10])


def test_sliced_w1_of_a_shift_is_its_length_times_the_projection_factor() -> None:
    assert sliced_shift_factor(2) == pytest.approx(2 / math.pi)
    x = torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
    v = torch.tensor([1.2, 0.5])  # |v| = 1.3
    estimate = sliced_wasserstein(x, x + v, generator=torch.Generator().manual_seed(2))
    assert estimate == pytest.approx(1.3 * 2 / math.pi, rel=1e-3)
    # Higher dimension: random directions on the sphere, E|u1| = 1/2 in 3-D.
    x3 = torch.randn(300, 3, generator=torch.Generator().manual_seed(3))
    v3 = torch.tensor([0.0, 2.0, 0.0])
    estimate3 = sliced_wasserstein(x3, x3 + v3, n_projections=20000, generator=torch.Generator().manual_seed(4))
    assert estimate3 == pytest.approx(2.0 * sliced_shift_factor(3), rel=0.02)


def test_sliced_w1_in_one_dimension_is_the_w1_between_gaussians() -> None:
    # W1(N(0,1), N(mu,1)) = |mu|; quantile "samples" of unequal sizes exercise the interpolation.
    mu = 0.7
    x = norm.ppf((np.arange(1000) + 0.5) / 1000)
    y = mu + norm.ppf((np.arange(1500) + 0.5) / 1500)
    assert sliced_wasserstein(torch.tensor(x), torch.tensor(y)) == pytest.approx(mu, abs=2e-3)
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(20000, 1, generator=g), mu + torch.randn(15000, 1, generator=g)
    assert sliced_wasserstein(a, b) == pytest.approx(mu, abs=0.03)


def test_sliced_w1_with_unequal_sizes_is_exact_on_a_small_case() -> None:
    # Quantile functions {0 on (0,1/2], 1 on (1/2,1]} and {0, 0.5, 1 on thirds} differ by 0.5 on
    # (1/3, 2/3): W1 = 1/6.
    assert sliced_wasserstein(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.5, 1.0])) == pytest.approx(1 / 6)
    images = torch.randn(16, 3, 4, 4)
    assert sliced_wasserstein(images, images.flip(0)) == pytest.approx(0.0, abs=1e-6)


def test_collapsed_generator_captures_one_mode_with_reverse_kl_log_k() -> None:
    means = ring()
    stats = mode_statistics(means[2].expand(1000, 2), means, std=0.05)
    assert stats["modes_captured"] == 1 and stats["hq_fraction"] == 1.0
    assert stats["reverse_kl"] == pytest.approx(math.log(8))
    assert stats["counts"] == [0, 0, 1000, 0, 0, 0, 0, 0]


def test_perfect_samples_capture_every_mode_with_the_gaussian_hq_fraction() -> None:
    g = torch.Generator().manual_seed(0)
    means, std = ring(), 0.05
    samples = means.repeat_interleave(5000, dim=0) + std * torch.randn(40000, 2, generator=g, dtype=torch.float64)
    stats = mode_statistics(samples, means, std, n_sigma=3.0)
    assert stats["modes_captured"] == 8
    # In 2-D, |noise| / std is Rayleigh distributed: P(< 3) = 1 - exp(-9/2) = 98.9 %.
    assert stats["hq_fraction"] == pytest.approx(1 - math.exp(-4.5), abs=0.003)
    assert stats["reverse_kl"] == pytest.approx(0.0, abs=1e-3)
    # In 1-D the three-sigma rule gives 99.7 %.
    means_1d = torch.tensor([[0.0], [10.0], [20.0]])
    samples_1d = means_1d.repeat_interleave(20000, dim=0) + torch.randn(60000, 1, generator=g)
    stats_1d = mode_statistics(samples_1d, means_1d, 1.0)
    assert stats_1d["hq_fraction"] == pytest.approx(0.9973, abs=0.002)
    assert stats_1d["modes_captured"] == 3


def test_mode_capture_threshold_weights_and_off_mode_samples() -> None:
    means = ring(k=4)
    samples = torch.cat([means[0].expand(50, 2), means[1].expand(3, 2), torch.full((10, 2), 50.0)])
    stats = mode_statistics(samples, means, 0.1, min_count=5)
    assert stats["counts"] == [50, 3, 0, 0] and stats["modes_captured"] == 1
    assert stats["hq_fraction"] == pytest.approx(53 / 63)
    assert mode_statistics(samples, means, 0.1)["modes_captured"] == 2
    # Samples in the true proportions have zero reverse KL against those weights.
    weighted = torch.cat([means[0].expand(30, 2), means[1].expand(10, 2), means[2].expand(10, 2), means[3].expand(50, 2)])
    assert mode_statistics(weighted, means, 0.1, weights=[3, 1, 1, 5])["reverse_kl"] == pytest.approx(0.0, abs=1e-12)
    # One std per mode: a sample 0.5 from mode 1 is high quality only if that mode is wide.
    near = (means[1] + torch.tensor([0.5, 0.0], dtype=torch.float64))[None]
    assert mode_statistics(near, means, [0.1, 1.0, 0.1, 0.1])["counts"] == [0, 1, 0, 0]
    assert mode_statistics(near, means, 0.1)["counts"] == [0, 0, 0, 0]
    nothing = mode_statistics(torch.full((5, 2), 50.0), means, 0.1)
    assert nothing["modes_captured"] == 0 and nothing["hq_fraction"] == 0.0 and math.isnan(nothing["reverse_kl"])
