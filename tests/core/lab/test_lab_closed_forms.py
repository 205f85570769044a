"""The Lab's experiments held to their closed forms (issue 19, "Rules")."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganstudio.core.lab import LabError, costs, cournot, distances, optimal_d, xy_game

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- 1. distances ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("theta", [-1.7, -0.3, 0.01, 0.5, 2.0])
def test_parallel_lines_js_is_log2_tv_is_1_kl_infinite_w1_is_abs_theta(theta):
    c = distances.at_theta(theta)
    assert c["js"] == pytest.approx(math.log(2))
    assert c["tv"] == 1.0
    assert math.isinf(c["kl_rg"]) and math.isinf(c["kl_gr"])
    assert c["w1"] == pytest.approx(abs(theta))


def test_at_theta_zero_everything_vanishes_and_js_is_flat_elsewhere():
    c = distances.at_theta(0.0)
    assert (c["js"], c["tv"], c["kl_rg"], c["w1"]) == (0.0, 0.0, 0.0, 0.0)
    s = distances.sweep(0.0)
    away = np.abs(s["theta"]) > 0.05
    assert np.all(s["js"][away] == math.log(2))
    assert np.allclose(np.abs(s["d_w1"][away]), 1.0)


def test_width_makes_the_divergences_finite_and_matches_the_gaussian_closed_forms():
    theta, s = 0.7, 0.3
    c = distances.at_theta(theta, s)
    assert c["kl_rg"] == pytest.approx(theta ** 2 / (2 * s ** 2))
    from scipy.stats import norm

    assert c["tv"] == pytest.approx(2 * norm.cdf(theta / (2 * s)) - 1)
    # JS by an independent quadrature of the same integral
    from scipy.integrate import quad

    p = lambda x: norm.pdf(x, 0, s)  # noqa: E731
    q = lambda x: norm.pdf(x, theta, s)  # noqa: E731
    m = lambda x: (p(x) + q(x)) / 2  # noqa: E731
    f = lambda x: 0.5 * p(x) * math.log(p(x) / m(x)) + 0.5 * q(x) * math.log(q(x) / m(x))  # noqa: E731
    assert c["js"] == pytest.approx(quad(f, -8, 8.7, limit=200)[0], abs=1e-9)
    assert 0 < c["js"] < math.log(2)
    # smooth: the JS gradient in theta is no longer zero away from 0
    sweep = distances.sweep(0.3)
    assert np.all(np.isfinite(sweep["kl_rg"]))
    assert sweep["d_js"][np.argmin(np.abs(sweep["theta"] - 0.5))] > 0.1


def test_widening_the_lines_to_nothing_gives_back_the_parallel_lines():
    assert distances.at_theta(0.5, 1e-3)["js"] == pytest.approx(math.log(2), abs=1e-9)
    assert distances.at_theta(0.5, 1e-3)["tv"] == pytest.approx(1.0)


def test_trained_critic_and_discriminator_estimate_w1_and_js():
    est = distances.run_estimates(0.5, 0.0, steps=300, seed=0)
    assert est["js_est"] == pytest.approx(math.log(2), abs=0.02)
    assert est["w1_est"] == pytest.approx(0.5, abs=0.08)
    near = distances.run_estimates(0.0, 0.2, steps=200, seed=1)
    assert near["js_est"] < 0.02 and near["w1_est"] < 0.08


def test_bad_theta_is_one_sentence():
    with pytest.raises(LabError, match="theta must be"):
        distances.at_theta(7.0)
    with pytest.raises(LabError, match="width"):
        distances.at_theta(0.5, float("nan"))


# --- 2. optimal discriminator ----------------------------------------------------------------------------------

def test_d_star_is_the_ratio_of_the_exact_densities():
    from scipy.stats import norm

    data, gen = ((0.3, -1.0, 0.5), (0.7, 2.0, 0.8)), ((1.0, 0.5, 1.2),)
    e = optimal_d.exact(data, gen)
    x = e["x"]
    p = 0.3 * norm.pdf(x, -1.0, 0.5) + 0.7 * norm.pdf(x, 2.0, 0.8)
    q = norm.pdf(x, 0.5, 1.2)
    assert np.allclose(e["p_data"], p) and np.allclose(e["p_g"], q)
    assert np.allclose(e["d_star"], p / (p + q))


def test_value_at_d_star_is_minus_log4_plus_2js():
    e = optimal_d.exact()
    assert e["v_d_star"] == pytest.approx(e["minus_log4_plus_2js"], abs=1e-9)
    same = optimal_d.exact(((1.0, 0.0, 1.0),), ((1.0, 0.0, 1.0),))
    assert same["js"] == pytest.approx(0.0, abs=1e-12) and same["v_d_star"] == pytest.approx(-math.log(4))
    assert np.allclose(same["d_star"], 0.5)


def test_a_trained_discriminator_converges_to_d_star():
    hist = list(optimal_d.train_discriminator(steps=800, seed=0, report_every=100))
    e = optimal_d.exact()
    assert hist[-1]["max_gap"] < 0.2 and hist[-1]["max_gap"] < hist[0]["max_gap"]
    assert hist[-1]["v_trained"] == pytest.approx(e["v_d_star"], abs=0.05)


def test_bad_mixtures_are_one_sentence():
    with pytest.raises(LabError, match="weight:mean:std"):
        optimal_d.parse_mixture("1:x:2")
    with pytest.raises(LabError, match="std"):
        optimal_d.parse_mixture("1:0:0")


# --- 3. generator costs --------------------------------------------------------------------------------------

def test_cost_curves_and_their_gradients():
    c = costs.curves(points=20001)
    d = c["d"]
    for name in costs.COSTS:  # the gradient with respect to D is the derivative of the curve
        inner = (d > 0.02) & (d < 0.98)
        assert np.allclose(np.gradient(c[name], d)[inner], c[f"{name}_grad_d"][inner], rtol=1e-4)
        # through the logit a: dJ/da = dJ/dD * D (1 - D)
        assert np.allclose(c[f"{name}_grad_logit"], c[f"{name}_grad_d"] * d * (1 - d))
    low = d < 0.01  # D rejects the samples: the minimax cost saturates, the non-saturating one does not
    assert np.all(np.abs(c["minimax_grad_logit"][low]) < 0.01)
    assert np.all(np.abs(c["nonsaturating_grad_logit"][low]) > 0.99)


def test_the_minimax_generator_stalls_against_a_strong_discriminator():
    runs = {cost: list(costs.train_run(cost, steps=120, seed=0))[-1] for cost in ("minimax", "nonsaturating")}
    assert runs["nonsaturating"]["distance"] < 0.5
    assert runs["minimax"]["distance"] > 3.5  # started 4 away
    assert runs["minimax"]["d_of_g"] < 0.01


# --- 4. the xy game --------------------------------------------------------------------------------------

def test_continuous_orbit_keeps_its_radius_and_solves_the_ode():
    t = np.linspace(0, 20, 2001)
    x, y = xy_game.orbit(0.6, -0.8, t)
    assert np.allclose(np.hypot(x, y), 1.0)
    assert np.allclose(np.gradient(x, t)[1:-1], -y[1:-1], atol=1e-3)  # dx/dt = -dV/dx = -y
    assert np.allclose(np.gradient(y, t)[1:-1], x[1:-1], atol=1e-3)  # dy/dt = +dV/dy = x


@pytest.mark.parametrize("eta", [0.05, 0.3, 1.0])
def test_simultaneous_steps_grow_the_radius_by_sqrt_1_plus_eta2(eta):
    r = xy_game.experiment(x0=0.3, y0=0.4, eta=eta, n=50, gamma=0.0)
    radius = r["simultaneous"]["radius"]
    assert np.allclose(radius[1:] / radius[:-1], math.sqrt(1 + eta ** 2))
    assert r["simultaneous_final_radius"] == pytest.approx(0.5 * (1 + eta ** 2) ** 25)


def test_alternating_steps_stay_bounded_and_consensus_converges():
    r = xy_game.experiment(x0=1.0, y0=0.0, eta=0.2, n=2000, gamma=1.0)
    assert r["alternating"]["radius"].max() < 1.2 and r["alternating"]["radius"].min() > 0.8
    assert r["consensus_final_radius"] < 1e-6
    radius = r["consensus"]["radius"]
    assert np.allclose(radius[1:50] / radius[:49], r["consensus_factor"])


# --- 5. Cournot ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", cournot.RULES)
@pytest.mark.parametrize("market", [(10.0, 1.0, 2.0), (20.0, 3.0, 3.0), (7.0, 0.5, 2.5)])
def test_cournot_dynamics_reach_the_nash_equilibrium(rule, market):
    A, c1, c2 = market
    r = cournot.experiment(A, c1, c2, q1=0.0, q2=A / 2, rule=rule, eta=0.2, n=300)
    assert r["q1_star"] == pytest.approx((A - 2 * c1 + c2) / 3)
    assert r["q1_final"] == pytest.approx(r["q1_star"], abs=1e-6)
    assert r["q2_final"] == pytest.approx((A - 2 * c2 + c1) / 3, abs=1e-6)
    # at the equilibrium neither firm gains by moving alone
    u1, _ = cournot.profits(r["q1_star"], r["q2_star"], A, c1, c2)
    for dq in (-0.1, 0.1):
        assert cournot.profits(r["q1_star"] + dq, r["q2_star"], A, c1, c2)[0] < u1


def test_cournot_refuses_a_market_without_an_inner_equilibrium():
    with pytest.raises(LabError, match="produces nothing"):
        cournot.experiment(A=3.0, c1=1.0, c2=5.0)


# --- 7. low-dimensional supports ---------------------------------------------------------------------------

@pytest.mark.parametrize("z_dim,x_dim", [(1, 2), (1, 3), (2, 3)])
def test_a_generator_from_fewer_dimensions_has_a_rank_k_jacobian_and_a_thin_support(z_dim, x_dim):
    from ganstudio.core.lab import supports

    r = supports.experiment(z_dim, x_dim, seed=3, n=6000, n_probe=6000)
    assert r["jacobian_rank"] == z_dim
    assert np.all(r["singular_values_max"][z_dim:] == 0.0)
    assert r["points"].shape == (6000, x_dim)
    # the eps-tube around the samples has volume ~ eps^(n - k): its log-log slope is the codimension
    assert r["tube_slope"] == pytest.approx(x_dim - z_dim, abs=0.4)


def test_the_exact_jacobian_matches_finite_differences():
    from ganstudio.core.lab import supports

    g = supports.make_generator(2, 3, seed=1)
    z = np.array([[0.3, -0.2], [-0.7, 0.5]])
    _, jac = supports.generate(g, z)
    h = 1e-6
    for j in range(2):
        dz = np.zeros(2)
        dz[j] = h
        num = (supports.generate(g, z + dz)[0] - supports.generate(g, z - dz)[0]) / (2 * h)
        assert np.allclose(jac[:, :, j], num, atol=1e-6)


def test_supports_refuse_z_as_large_as_x():
    from ganstudio.core.lab import supports

    with pytest.raises(LabError, match="z smaller than x"):
        supports.experiment(2, 2)


# --- 6. mode collapse (the project's own trainer; only the counting is held to an exact answer here) ----------

def test_collapse_trains_four_variants_side_by_side_and_counts_modes():
    from ganstudio.core.lab import collapse
    from ganstudio.core.train.metrics import mode_statistics

    reports = [r for r in collapse.train_side_by_side(steps=4, report_every=2, n_samples=256, width=16) if r]
    assert [int(s) for s in reports[-1]["step"]] == [0, 2, 4]
    means = reports[-1]["means"]
    assert means.shape == (8, 2) and np.allclose(np.hypot(means[:, 0], means[:, 1]), 2.0)
    for v in collapse.VARIANTS:
        assert reports[-1][v]["points"].shape == (256, 2)
        assert len(reports[-1][v]["modes"]) == 3 and all(0 <= m <= 8 for m in reports[-1][v]["modes"])
    # the count the curves show: samples of the ring itself capture all 8 modes, one mode's samples 1
    rng = np.random.default_rng(0)
    ring = means[rng.integers(0, 8, 1024)] + 0.05 * rng.normal(size=(1024, 2))
    assert mode_statistics(ring, means, 0.05, min_count=10)["modes_captured"] == 8
    assert mode_statistics(means[[3]] + 0.05 * rng.normal(size=(1024, 2)), means, 0.05, min_count=10)["modes_captured"] == 1


@pytest.mark.parametrize("z_dim, x_dim", [(1, 2), (1, 3), (2, 3)])
def test_supports_singular_values_in_closed_form_match_an_svd(z_dim, x_dim):
    from ganstudio.core.lab import supports

    g = supports.make_generator(z_dim, x_dim, seed=5)
    z = np.random.default_rng(0).uniform(-1, 1, (300, z_dim))
    _, jac = supports.generate(g, z)
    padded = np.concatenate([jac, np.zeros((300, x_dim, x_dim - z_dim))], axis=2)
    np.testing.assert_allclose(supports.jacobian_singular_values(jac), np.linalg.svd(padded, compute_uv=False),
                               rtol=1e-9, atol=1e-12)
