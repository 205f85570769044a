"""2-D toy distributions: sample shapes, mode statistics, exact mixture density, parameter errors."""

import math

import numpy as np
import pytest
import torch

from ganstudio.core.data.toy2d import TOY_NAMES, GaussianMixture, make_toy
from ganstudio.core.errors import ConfigError


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", TOY_NAMES)
def test_every_toy_samples_float32_points_inside_its_bounds(name):
    toy = make_toy(name)
    points = toy.sample(2000, generator=seeded())
    assert points.shape == (2000, 2)
    assert points.dtype == torch.float32
    assert torch.isfinite(points).all()
    xmin, xmax, ymin, ymax = toy.bounds()
    inside = (
        (points[:, 0] > xmin) & (points[:, 0] < xmax) & (points[:, 1] > ymin) & (points[:, 1] < ymax)
    )
    assert inside.all()
    # The samples fill the box rather than a corner of it: the plot is not mostly empty.
    assert points[:, 0].max() - points[:, 0].min() > 0.5 * (xmax - xmin)


@pytest.mark.parametrize("name", TOY_NAMES)
def test_same_generator_seed_gives_same_points(name):
    toy = make_toy(name)
    assert torch.equal(toy.sample(100, seeded(3)), toy.sample(100, seeded(3)))
    assert not torch.equal(toy.sample(100, seeded(3)), toy.sample(100, seeded(4)))


def test_ring_has_eight_modes_on_radius_two_and_samples_stay_near_them():
    ring = make_toy("ring")
    assert isinstance(ring, GaussianMixture)
    assert ring.means.shape == (8, 2)
    assert ring.std == pytest.approx(0.02)
    assert torch.allclose(ring.means.norm(dim=1), torch.full((8,), 2.0))
    angles = torch.atan2(ring.means[:, 1], ring.means[:, 0]).sort().values
    assert torch.allclose(angles.diff(), torch.full((7,), math.pi / 4), atol=1e-5)

    n = 20000
    points = ring.sample(n, seeded(1))
    distance, nearest = torch.cdist(points, ring.means).min(dim=1)
    # For a 2-D isotropic Gaussian P(|x - mu| < 3 std) = 1 - exp(-9/2) = 0.9889.
    within = (distance < 3 * ring.std).float().mean().item()
    assert within == pytest.approx(1 - math.exp(-4.5), abs=0.004)
    # Each coordinate separately follows the 1-D three-sigma rule (99.73 %).
    offsets = points - ring.means[nearest]
    assert (offsets.abs() < 3 * ring.std).float().mean().item() == pytest.approx(0.9973, abs=0.002)
    counts = torch.bincount(nearest, minlength=8).float()
    assert (counts / (n / 8) - 1).abs().max() < 0.1


def test_grid_means_are_exactly_the_benchmark_grid():
    grid = make_toy("grid")
    values = [-4.0, -2.0, 0.0, 2.0, 4.0]
    expected = {(x, y) for x in values for y in values}
    assert grid.means.shape == (25, 2)
    assert {tuple(m) for m in grid.means.tolist()} == expected
    assert grid.std == pytest.approx(0.05)
    points = grid.sample(10000, seeded(2))
    offsets = points - grid.means[torch.cdist(points, grid.means).argmin(dim=1)]
    assert offsets.std(dim=0).numpy() == pytest.approx([0.05, 0.05], rel=0.05)


def test_parameters_change_the_mixture():
    ring = make_toy("ring", n_modes=5, radius=3.0, std=0.1)
    assert ring.means.shape == (5, 2)
    assert torch.allclose(ring.means.norm(dim=1), torch.full((5,), 3.0))
    grid = make_toy("grid", n_per_side=3, spacing=1.5, std=0.01)
    assert sorted(set(grid.means[:, 0].tolist())) == [-1.5, 0.0, 1.5]
    assert ring.params() == {"n_modes": 5, "radius": 3.0, "std": 0.1}


def mixture_log_density_by_hand(points: np.ndarray, means: np.ndarray, std: float) -> np.ndarray:
    densities = [
        np.exp(-((points - mean) ** 2).sum(axis=1) / (2 * std**2)) / (2 * np.pi * std**2)
        for mean in means
    ]
    return np.log(np.mean(densities, axis=0))


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_log_density_matches_the_mixture_formula(name):
    toy = make_toy(name, std=0.3)
    points = torch.cat([toy.sample(200, seeded(5)), torch.empty(50, 2).uniform_(-5, 5)])
    expected = mixture_log_density_by_hand(
        points.double().numpy(), toy.means.double().numpy(), toy.std
    )
    assert toy.log_density(points.double()).numpy() == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", ["ring", "grid"])
def test_density_integrates_to_one_over_the_plot_bounds(name):
    toy = make_toy(name, std=0.1)
    xmin, xmax, ymin, ymax = toy.bounds()
    steps = 400
    xs = torch.linspace(xmin, xmax, steps, dtype=torch.float64)
    ys = torch.linspace(ymin, ymax, steps, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    density = toy.log_density(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)).exp()
    cell = (xs[1] - xs[0]) * (ys[1] - ys[0])
    assert float(density.sum() * cell) == pytest.approx(1.0, abs=1e-3)


def test_log_density_is_finite_far_from_every_mode_and_peaks_at_the_means():
    ring = make_toy("ring")
    far = torch.tensor([[100.0, 100.0], [0.0, 0.0]])
    values = ring.log_density(far)
    assert torch.isfinite(values).all()
    assert (values < -1000).all()
    at_mean = ring.log_density(ring.means)
    # Modes are far apart compared with std: p(mean) = 1 / (K 2 pi std^2).
    expected = -math.log(8 * 2 * math.pi * 0.02**2)
    assert torch.allclose(at_mean, torch.full((8,), expected), atol=1e-4)


def test_optimal_discriminator_in_closed_form():
    """D*(x) = p_data / (p_data + p_g) is 1/2 where the two agree and near 1 on data-only modes."""
    data = make_toy("ring")
    collapsed = make_toy("ring", n_modes=4, radius=2.0, std=0.02)  # covers every other data mode
    points = data.means
    d_star = torch.sigmoid(data.log_density(points) - collapsed.log_density(points))
    # Modes 0, 2, 4, 6 are in both (data weight 1/8 vs generator 1/4), the others only in the data.
    assert torch.allclose(d_star[0::2], torch.full((4,), 1 / 3), atol=1e-4)
    assert (d_star[1::2] > 0.999).all()


@pytest.mark.parametrize(
    "name, scale_key",
    [("spiral", "radius"), ("swissroll", "radius"), ("moons", "scale")],
)
def test_curve_toys_scale_with_their_size_parameter(name, scale_key):
    small = make_toy(name, **{scale_key: 1.0, "noise": 0.0}).sample(2000, seeded(0))
    large = make_toy(name, **{scale_key: 3.0, "noise": 0.0}).sample(2000, seeded(0))
    assert torch.allclose(large, 3 * small, atol=1e-5)


def test_moons_are_two_separate_half_circles():
    moons = make_toy("moons", noise=0.0, scale=1.0)
    points = moons.sample(1000, seeded(0)) + torch.tensor([0.5, 0.25])
    upper = (points - torch.tensor([0.0, 0.0])).norm(dim=1)
    lower = (points - torch.tensor([1.0, 0.5])).norm(dim=1)
    on_a_circle = torch.isclose(upper, torch.ones(1000), atol=1e-5) | torch.isclose(
        lower, torch.ones(1000), atol=1e-5
    )
    assert on_a_circle.all()


def test_unknown_toy_names_the_value_and_the_choices():
    with pytest.raises(ConfigError, match="'rings'.*ring, grid, spiral, moons, swissroll"):
        make_toy("rings")


@pytest.mark.parametrize(
    "name, params, fragment",
    [
        ("ring", {"modes": 3}, "'modes'.*n_modes, radius, std"),
        ("ring", {"std": 0}, "std=0"),
        ("ring", {"std": -0.1}, "std=-0.1"),
        ("ring", {"n_modes": 0}, "n_modes=0"),
        ("ring", {"n_modes": 2.5}, "n_modes=2.5"),
        ("grid", {"spacing": float("nan")}, "spacing=nan"),
        ("spiral", {"noise": -1}, "noise=-1"),
        ("moons", {"scale": "big"}, "scale='big'"),
    ],
)
def test_bad_parameters_raise_config_error_naming_them(name, params, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make_toy(name, **params)


def test_bad_sample_count_is_a_config_error():
    with pytest.raises(ConfigError, match="-5"):
        make_toy("ring").sample(-5)
    with pytest.raises(ConfigError, match="2.5"):
        make_toy("ring").sample(2.5)
    assert make_toy("ring").sample(0).shape == (0, 2)
