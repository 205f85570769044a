"""Losses checked against closed forms: optimal discriminators, JSD, saturation, penalties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch import nn

from ganstudio.core.errors import ConfigError
from ganstudio.core.train.objectives import (
    OBJECTIVE_NAMES,
    get_objective,
    gradient_penalty,
    r1_penalty,
    weight_clip_,
)

BCE_NAMES = ("minimax", "nonsaturating", "ml")

# Two known 1-D densities: p_data = N(0, 1), p_g = N(2, 1). "Samples" are their quantiles at
# (i + 0.5) / n, so that sample means are accurate quadratures of the expectations.
N_QUANTILES = 20000
_U = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
REAL_X = torch.tensor(norm.ppf(_U), dtype=torch.float64)
FAKE_X = REAL_X + 2.0


def optimal_logit(x: torch.Tensor) -> torch.Tensor:
    """logit of D* = p_data / (p_data + p_g) = log p_data(x) - log p_g(x) for N(0,1) vs N(2,1)."""
    return 2.0 - 2.0 * x


def jsd_by_quadrature() -> float:
    grid = np.linspace(-14.0, 16.0, 300_001)
    p, q = norm.pdf(grid), norm.pdf(grid, loc=2.0)
    m = 0.5 * (p + q)
    integrand = 0.5 * p * np.log(p / m) + 0.5 * q * np.log(q / m)
    return float(np.trapezoid(integrand, grid))


def test_every_name_builds_and_unknown_names_and_settings_are_refused() -> None:
    for name in OBJECTIVE_NAMES:
        assert get_objective(name).name == name
    assert get_objective("WGAN_GP").name == "wgan-gp"
    with pytest.raises(ConfigError, match="'wgan-xx'.*minimax.*pix2pix"):
        get_objective("wgan-xx")
    with pytest.raises(ConfigError, match="'l1_weight'.*'hinge'"):
        get_objective("hinge", l1_weight=5.0)
    with pytest.raises(ConfigError, match="clip_value"):
        get_objective("wgan", clip_value=-1.0)
    assert get_objective("pix2pix", l1_weight=10.0).l1_weight == 10.0
    assert get_objective("nonsaturating", gradient_penalty_weight=5.0).gradient_penalty_weight == 5.0


def test_flags_and_recommended_hyperparameters_follow_the_papers() -> None:
    wgan, gp = get_objective("wgan"), get_objective("wgan-gp")
    assert wgan.lipschitz and gp.lipschitz
    assert not any(get_objective(n).lipschitz for n in OBJECTIVE_NAMES if n not in ("wgan", "wgan-gp"))
    assert wgan.needs_weight_clipping and wgan.clip_value == 0.01 and wgan.gradient_penalty_weight == 0
    assert not gp.needs_weight_clipping and gp.gradient_penalty_weight == 10.0
    assert (wgan.recommended["optimizer"], wgan.recommended["lr"], wgan.recommended["n_critic"]) == ("rmsprop", 5e-5, 5)
    assert (gp.recommended["optimizer"], gp.recommended["lr"], gp.recommended["betas"],
            gp.recommended["n_critic"], gp.recommended["gradient_penalty_weight"]) == ("adam", 1e-4, (0.0, 0.9), 5, 10.0)
    assert get_objective("pix2pix").l1_weight == 100.0
    with pytest.raises(TypeError):
        gp.recommended["lr"] = 1.0  # type: ignore[index]


@pytest.mark.parametrize("name", BCE_NAMES)
def test_bce_loss_of_the_optimal_discriminator_is_log4_minus_2jsd(name: str) -> None:
    objective = get_objective(name)
    loss = objective.d_loss(optimal_logit(REAL_X), optimal_logit(FAKE_X)).item()
    assert loss == pytest.approx(math.log(4.0) - 2.0 * jsd_by_quadrature(), abs=2e-4)
    # Any perturbation of D* does worse.
    for h in (torch.ones_like, lambda x: x, torch.sin):
        for delta in (-0.3, 0.3):
            perturbed = objective.d_loss(optimal_logit(REAL_X) + delta * h(REAL_X),
                                         optimal_logit(FAKE_X) + delta * h(FAKE_X)).item()
            assert perturbed > loss + 1e-4


def test_pix2pix_halves_the_discriminator_loss_and_adds_weighted_l1_for_the_generator() -> None:
    p2p, ns = get_objective("pix2pix"), get_objective("nonsaturating")
    real, fake = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    assert p2p.d_loss(real, fake).item() == pytest.approx(0.5 * ns.d_loss(real, fake).item(), rel=1e-6)
    image, target = torch.zeros(2, 3, 8, 8), torch.full((2, 3, 8, 8), 0.25)
    expected = ns.g_loss(fake).item() + 100.0 * 0.25
    assert p2p.g_loss(fake, fake=image, target=target).item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="target"):
        p2p.g_loss(fake)


def test_patchgan_maps_are_averaged_over_every_element() -> None:
    real, fake = torch.randn(4, 1, 6, 6), torch.randn(4, 1, 6, 6)
    for name in OBJECTIVE_NAMES:
        objective = get_objective(name)
        assert objective.d_loss(real, fake).item() == pytest.approx(
            objective.d_loss(real.flatten(), fake.flatten()).item(), rel=1e-6)
        if name != "pix2pix":
            assert objective.g_loss(fake).item() == pytest.approx(objective.g_loss(fake.flatten()).item(), rel=1e-6)


def test_losses_stay_finite_for_extreme_logits() -> None:
    extreme = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    for name in OBJECTIVE_NAMES:
        objective = get_objective(name)
        for loss in (objective.d_loss(extreme, extreme, real_target=0.9),
                     objective.g_loss(extreme) if name != "pix2pix"
                     else objective.g_loss(extreme, fake=torch.zeros(1), target=torch.ones(1))):
            (grad,) = torch.autograd.grad(loss, extreme)
            assert torch.isfinite(loss) and torch.isfinite(grad).all(), name


def test_label_smoothing_moves_the_bce_optimum_to_the_real_target() -> None:
    objective = get_objective("nonsaturating")
    logits = torch.linspace(-4, 4, 8001)
    losses = torch.stack([objective.d_loss(l.reshape(1), torch.full((1,), -30.0), real_target=0.9)
                          for l in logits[::10]])
    best = torch.sigmoid(logits[::10][losses.argmin()]).item()
    assert best == pytest.approx(0.9, abs=0.01)
    with pytest.raises(ConfigError, match="1.5"):
        objective.d_loss(torch.zeros(1), torch.zeros(1), real_target=1.5)


def test_saturating_generator_gradient_vanishes_where_nonsaturating_does_not() -> None:
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the discriminator confidently rejects the fakes.
    gradients = {}
    for name in ("minimax", "nonsaturating"):
        logit = torch.tensor([-10.0], requires_grad=True)
        (gradients[name],) = torch.autograd.grad(get_objective(name).g_loss(logit), logit)
    assert abs(gradients["minimax"].item()) < 1e-4  # -sigmoid(l)
    assert gradients["nonsaturating"].item() == pytest.approx(-1.0, abs=1e-4)  # -sigmoid(-l)
    # Values: minimax G minimises log(1 - D), non-saturating minimises -log D.
    logit = torch.tensor([0.7, -1.3])
    d = torch.sigmoid(logit)
    assert get_objective("minimax").g_loss(logit).item() == pytest.approx(torch.log(1 - d).mean().item(), rel=1e-5)
    assert get_objective("nonsaturating").g_loss(logit).item() == pytest.approx(-torch.log(d).mean().item(), rel=1e-5)


def test_ml_cost_is_minus_half_exp_logit_with_that_gradient() -> None:
    logits = torch.tensor([-3.0, 0.0, 1.5, 3.0], requires_grad=True)
    loss = get_objective("ml").g_loss(logits)
    d = torch.sigmoid(logits.detach())
    assert loss.item() == pytest.approx((-0.5 * d / (1 - d)).mean().item(), rel=1e-5)  # -1/2 E exp(sigma^-1(D))
    (grad,) = torch.autograd.grad(loss, logits)
    torch.testing.assert_close(grad, -0.5 * torch.exp(logits.detach()) / 4)
    # Past the overflow guard the cost continues along its tangent: finite, monotone, same slope.
    big = torch.tensor([19.0, 25.0, 200.0], requires_grad=True)
    big_loss = get_objective("ml").g_loss(big)
    (big_grad,) = torch.autograd.grad(big_loss, big)
    assert torch.isfinite(big_loss) and big_grad[1].item() == pytest.approx(-0.5 * math.exp(20.0) / 3, rel=1e-5)


def test_lsgan_optimal_discriminator_is_p_data_over_p_data_plus_p_g() -> None:
    objective = get_objective("lsgan")

    def optimal(x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(optimal_logit(x))  # p_d / (p_d + p_g)

    for h in (torch.ones_like, lambda x: x, torch.cos):
        delta = torch.zeros((), dtype=torch.float64, requires_grad=True)
        loss = objective.d_loss(optimal(REAL_X) + delta * h(REAL_X), optimal(FAKE_X) + delta * h(FAKE_X))
        (slope,) = torch.autograd.grad(loss, delta)
        assert abs(slope.item()) < 1e-3  # stationary ...
        for step in (-0.2, 0.2):  # ... and a minimum
            worse = objective.d_loss(optimal(REAL_X) + step * h(REAL_X), optimal(FAKE_X) + step * h(FAKE_X))
            assert worse.item() > loss.item() + 1e-4
    # A different D (constant 1/2) is not stationary.
    delta = torch.zeros((), dtype=torch.float64, requires_grad=True)
    loss = objective.d_loss(0.5 + delta * REAL_X, 0.5 + delta * FAKE_X)
    assert abs(torch.autograd.grad(loss, delta)[0].item()) > 0.1
    # Generator wants c = 1; smoothing moves the real target b.
    assert objective.g_loss(torch.full((3,), 1.0)).item() == 0.0
    assert objective.d_loss(torch.full((3,), 0.9), torch.zeros(3), real_target=0.9).item() == pytest.approx(0.0)


def test_hinge_and_wgan_values_on_constant_scores() -> None:
    real, fake = torch.full((5,), 0.25), torch.full((5,), -2.0)
    hinge, wgan = get_objective("hinge"), get_objective("wgan")
    assert hinge.d_loss(real, fake).item() == pytest.approx(0.75 + 0.0)
    assert hinge.d_loss(fake, real).item() == pytest.approx(3.0 + 1.25)
    assert hinge.g_loss(fake).item() == pytest.approx(2.0)
    assert wgan.d_loss(real, fake).item() == pytest.approx(-2.25)
    assert wgan.g_loss(fake).item() == pytest.approx(2.0)
    # Scores are not probabilities: a smoothed real target changes nothing.
    for objective in (hinge, wgan, get_objective("wgan-gp")):
        assert objective.d_loss(real, fake, real_target=0.9).item() == objective.d_loss(real, fake).item()


def linear_critic(w: torch.Tensor) -> nn.Linear:
    critic = nn.Linear(w.numel(), 1)
    with torch.no_grad():
        critic.weight.copy_(w.reshape(1, -1))
        critic.bias.fill_(0.3)
    return critic


def test_gradient_penalty_of_a_linear_critic_is_lambda_times_norm_minus_one_squared() -> None:
    unit = torch.tensor([0.6, 0.8])
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 3.0
    assert gradient_penalty(linear_critic(unit), real, fake).item() == pytest.approx(0.0, abs=1e-6)
    critic = linear_critic(3.0 * unit)
    penalty = gradient_penalty(critic, real, fake, weight=10.0, generator=torch.Generator().manual_seed(0))
    assert penalty.item() == pytest.approx(10.0 * (3.0 - 1.0) ** 2, rel=1e-5)
    # create_graph=True: the penalty trains the critic, d/dw = 2 lambda (|w| - 1) w / |w|.
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad.flatten(), 2 * 10.0 * 2.0 * unit, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(critic, real, fake[:10])


def test_gradient_penalty_passes_condition_to_the_critic_and_takes_scores_from_tuples() -> None:
    class ConditionalCritic(nn.Module):
        def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
            scores = 2.0 * x.flatten(1).sum(dim=1) * y  # gradient 2*y per pixel
            return scores, x.flatten(1)

    real, fake = torch.randn(4, 1, 2, 2), torch.randn(4, 1, 2, 2)
    y = torch.ones(4)
    # ||grad|| = 2 * sqrt(4 pixels) = 4 -> (4 - 1)^2 = 9
    assert gradient_penalty(ConditionalCritic(), real, fake, weight=1.0, d_kwargs={"y": y}).item() == pytest.approx(9.0)


def test_r1_of_a_linear_critic_is_half_gamma_times_squared_norm() -> None:
    w = torch.tensor([1.0, -2.0, 2.0])
    critic = linear_critic(w)
    real = torch.randn(16, 3).requires_grad_(True)
    penalty = r1_penalty(critic(real), real, gamma=10.0)
    assert penalty.item() == pytest.approx(5.0 * 9.0, rel=1e-6)
    penalty.backward()
    torch.testing.assert_close(critic.weight.grad.flatten(), 10.0 * w)  # d/dw gamma/2 |w|^2
    with pytest.raises(ValueError, match="requires_grad"):
        plain = torch.randn(4, 3)
        r1_penalty(critic(plain), plain)


def test_weight_clipping_bounds_every_parameter() -> None:
    critic = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100.0)
    assert weight_clip_(critic, 0.01) is critic
    assert all(p.abs().max().item() <= 0.01 for p in critic.parameters())
    assert any(p.abs().max().item() == pytest.approx(0.01) for p in critic.parameters())


class SquareCritic(nn.Module):
    """D(x) = c * sum(x^2) per sample: its input gradient 2 c x has a norm that depends on the point."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = nn.Parameter(torch.tensor(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c * x.flatten(1).pow(2).sum(dim=1)


def _points_on_both_sides_of_unit_gradient() -> tuple[torch.Tensor, torch.Tensor]:
    # With c = 0.5 the gradient norm at x is |x|. Each real/fake pair lies on one ray from 0, at two
    # different radii: rows 0-3 stay inside the unit ball whatever the mix, rows 4-7 outside it.
    directions = torch.nn.functional.normalize(torch.randn(8, 3, generator=torch.Generator().manual_seed(5)), dim=1)
    radii = torch.tensor([[0.1, 0.6], [0.3, 0.05], [0.5, 0.2], [0.7, 0.4],
                          [1.5, 3.0], [2.5, 1.2], [4.0, 2.0], [1.3, 2.2]])
    real, fake = directions * radii[:, :1], directions * radii[:, 1:]
    return real.reshape(8, 3, 1, 1), fake.reshape(8, 3, 1, 1)


def test_gradient_penalty_of_a_nonlinear_critic_is_evaluated_at_the_interpolates() -> None:
    real, fake = _points_on_both_sides_of_unit_gradient()
    c, weight, seed = 0.5, 10.0, 123
    critic = SquareCritic(c)
    penalty = gradient_penalty(critic, real, fake, weight=weight, generator=torch.Generator().manual_seed(seed))
    # The interpolation coefficients: one U[0, 1] number per sample, drawn from the given generator.
    alpha = torch.rand((8, 1, 1, 1), generator=torch.Generator().manual_seed(seed))
    x_hat = (alpha * real + (1 - alpha) * fake).double()
    norms = 2 * c * x_hat.flatten(1).norm(dim=1)  # ||grad D(x_hat)|| = 2 c ||x_hat||
    assert (norms < 0.9).sum() >= 4 and (norms > 1.1).sum() >= 4
    expected = weight * ((norms - 1) ** 2).mean()
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    # Sanity of the test: a one-sided penalty or one evaluated at the real points would differ.
    one_sided = weight * (torch.relu(norms - 1) ** 2).mean()
    at_real = weight * ((2 * c * real.double().flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert abs(one_sided - expected) > 0.1 and abs(at_real - expected) > 0.1
    # create_graph=True: d penalty / dc = weight * mean(2 (2c|x| - 1) * 2|x|).
    penalty.backward()
    radius = x_hat.flatten(1).norm(dim=1)
    expected_grad = weight * (2 * (norms - 1) * 2 * radius).mean()
    assert critic.c.grad.item() == pytest.approx(expected_grad.item(), rel=1e-4)


def test_gradient_penalty_is_two_sided_where_real_and_fake_coincide() -> None:
    # real == fake: x_hat is that point whatever the coefficients, so no random numbers are involved.
    real, _ = _points_on_both_sides_of_unit_gradient()
    for c in (0.5, 0.2):
        penalty = gradient_penalty(SquareCritic(c), real, real.clone(), weight=3.0)
        norms = 2 * c * real.double().flatten(1).norm(dim=1)
        assert penalty.item() == pytest.approx(3.0 * ((norms - 1) ** 2).mean().item(), rel=1e-5)
    # Inside the unit ball only: a one-sided penalty would be 0 here.
    inside = real[:4]
    penalty = gradient_penalty(SquareCritic(0.5), inside, inside.clone(), weight=1.0)
    assert penalty.item() == pytest.approx(((inside.double().flatten(1).norm(dim=1) - 1) ** 2).mean().item(), rel=1e-5)
    assert penalty.item() > 0.1


def test_module_names_registry_objectives_and_refuses_other_attributes() -> None:
    import ganstudio.core.train.objectives as objectives
    from ganstudio.core.objective_registry import objective_names

    assert objectives.OBJECTIVE_NAMES == objective_names()  # read at access time, not at import
    with pytest.raises(AttributeError, match="^module 'ganstudio.core.train.objectives' has no attribute 'NO_SUCH_NAME'$"):
        objectives.NO_SUCH_NAME  # noqa: B018


def test_penalty_defaults_and_messages_name_the_fix() -> None:
    w = torch.tensor([1.0, -2.0, 2.0])
    critic = linear_critic(w)
    real = torch.randn(16, 3).requires_grad_(True)
    assert r1_penalty(critic(real), real).item() == pytest.approx(0.5 * 10.0 * 9.0, rel=1e-6)  # gamma 10
    with pytest.raises(ValueError, match=r"^r1_penalty needs real_inputs\.requires_grad_\(True\) to be called "
                                         r"before D\(real_inputs\)$"):
        plain = torch.randn(4, 3)
        r1_penalty(critic(plain), plain)
    unit3 = linear_critic(3.0 * torch.tensor([0.6, 0.8]))
    a, b = torch.randn(8, 2), torch.randn(8, 2)
    assert gradient_penalty(unit3, a, b).item() == pytest.approx(10.0 * 4.0, rel=1e-5)  # weight 10
    with pytest.raises(ValueError, match=r"^gradient_penalty needs real and fake of the same shape, got "
                                         r"\(8, 2\) and \(3, 2\)$"):
        gradient_penalty(unit3, a, b[:3])


def test_gradient_penalty_draws_its_coefficients_in_the_inputs_precision() -> None:
    # float64 inputs: alpha ~ U[0, 1] drawn in float64 from the generator (float32 draws are other numbers).
    real, fake = (t.double() for t in _points_on_both_sides_of_unit_gradient())
    penalty = gradient_penalty(SquareCritic(0.5).double(), real, fake, weight=2.0,
                               generator=torch.Generator().manual_seed(7))
    alpha = torch.rand((8, 1, 1, 1), generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    norms = (alpha * real + (1 - alpha) * fake).flatten(1).norm(dim=1)
    assert penalty.item() == pytest.approx(2.0 * ((norms - 1) ** 2).mean().item(), rel=1e-6)


def test_pix2pix_without_l1_needs_no_images_and_with_any_l1_does() -> None:
    fake_scores = torch.randn(2, 1, 4, 4)
    plain = get_objective("pix2pix", l1_weight=0.0)
    assert plain.g_loss(fake_scores).item() == pytest.approx(get_objective("nonsaturating").g_loss(fake_scores).item())
    with pytest.raises(ValueError, match=r"^pix2pix g_loss needs the generated images `fake` and the `target` "
                                         r"images for its L1 term$"):
        get_objective("pix2pix", l1_weight=1.0).g_loss(fake_scores)


def test_gradient_penalty_stays_finite_where_the_critic_gradient_is_exactly_zero() -> None:
    class FlatCritic(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.tensor(0.0))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.scale * x.flatten(1).sum(dim=1)

    critic = FlatCritic()
    penalty = gradient_penalty(critic, torch.randn(4, 3), torch.randn(4, 3), weight=2.0)
    assert penalty.item() == pytest.approx(2.0, rel=1e-5)  # (0 - 1)^2, the epsilon keeps sqrt defined
    penalty.backward()
    assert torch.isfinite(critic.scale.grad)


def test_settings_are_stored_as_floats_and_refused_with_the_fix() -> None:
    p2p, wgan = get_objective("pix2pix", l1_weight=10), get_objective("wgan", clip_value=1)
    assert type(p2p.l1_weight) is float and p2p.l1_weight == 10.0
    assert type(wgan.clip_value) is float and wgan.clip_value == 1.0
    assert type(get_objective("hinge", gradient_penalty_weight=2).gradient_penalty_weight) is float
    assert get_objective("pix2pix", l1_weight=0).l1_weight == 0.0  # 0 is allowed for L1 ...
    with pytest.raises(ConfigError, match=r"^The pix2pix l1_weight -1\.0 is invalid; it must be a number >= 0 "
                                          r"such as 100\.$"):
        get_objective("pix2pix", l1_weight=-1.0)
    for bad in (0.0, -0.5):  # ... but not for clipping
        with pytest.raises(ConfigError, match=rf"^The WGAN clip_value {bad!r} is invalid; it must be a positive "
                                              r"number such as 0\.01\.$"):
            get_objective("wgan", clip_value=bad)
    with pytest.raises(ConfigError, match=r"^The gradient_penalty_weight -2 is invalid; it must be a number >= 0 "
                                          r"such as 10\.$"):
        get_objective("hinge", gradient_penalty_weight=-2)


def test_pix2pix_smooths_its_real_label_like_the_plain_cgan() -> None:
    real, fake = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    smoothed = get_objective("pix2pix").d_loss(real, fake, real_target=0.9).item()
    assert smoothed == pytest.approx(0.5 * get_objective("nonsaturating").d_loss(real, fake, 0.9).item(), rel=1e-6)
    assert smoothed != pytest.approx(get_objective("pix2pix").d_loss(real, fake).item(), rel=1e-4)


def test_lsgan_generator_loss_is_half_the_squared_distance_to_one() -> None:
    lsgan = get_objective("lsgan")
    assert lsgan.g_loss(torch.tensor([0.0, 3.0])).item() == pytest.approx(0.5 * (1.0 + 4.0) / 2)
    assert lsgan.g_loss(torch.ones(2, 1, 3, 3)).item() == 0.0


def test_real_targets_outside_zero_one_are_refused_with_the_fix() -> None:
    scores = torch.zeros(3)
    for bad in (0.0, -0.1, 1.01):
        with pytest.raises(ConfigError, match=rf"^The real label target {bad!r} is invalid; it must be in \(0, 1\] "
                                              r"\(1\.0 means no label smoothing, 0\.9 is the usual one-sided "
                                              r"smoothing\)\.$"):
            get_objective("nonsaturating").d_loss(scores, scores, real_target=bad)
    with pytest.raises(ConfigError, match=r"^Unknown setting 'l1_weight' for objective 'hinge'; valid settings: "
                                          r"gradient_penalty_weight\.$"):
        get_objective("hinge", l1_weight=5.0)
    with pytest.raises(ConfigError, match=r"valid settings: gradient_penalty_weight, clip_value\.$"):
        get_objective("wgan", l1_weight=5.0)


def test_ml_cost_beyond_the_clip_is_the_tangent_line_of_exp() -> None:
    ml = get_objective("ml")
    for logit in (25.0, 40.0):
        expected = -0.5 * math.exp(20.0) * (1.0 + (logit - 20.0))  # exp(20) + exp(20) (l - 20)
        assert ml.g_loss(torch.tensor([logit])).item() == pytest.approx(expected, rel=1e-5)


def test_pix2pix_needs_both_the_generated_and_the_target_images() -> None:
    p2p, fake_scores, image = get_objective("pix2pix"), torch.randn(2, 1, 4, 4), torch.zeros(2, 3, 8, 8)
    for kwargs in ({"fake": image}, {"target": image}):
        with pytest.raises(ValueError, match="`fake` and the `target`"):
            p2p.g_loss(fake_scores, **kwargs)
