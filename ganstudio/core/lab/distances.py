"""Experiment 1: distances between distributions that do not overlap (Arjovsky, Chintala & Bottou 2017,
example 1, the parallel lines).

P_r = (0, y) and P_g = (theta, y) with y ~ U[0, 1]. Both are lines; for theta != 0 they do not overlap, so

    KL(P_r || P_g) = KL(P_g || P_r) = inf,   JS = log 2,   TV = 1,   W1 = |theta|.

JS and TV are flat in theta (zero gradient for a generator that moves theta), W1 is not.

With a width (instance noise) each line is blurred in x by N(0, width^2). The y factor is the same for both
distributions, so every f-divergence equals that of the x factors N(0, s^2) and N(theta, s^2):

    KL = theta^2 / (2 s^2) both ways,   TV = 2 Phi(|theta| / (2 s)) - 1,   W1 = |theta| (a translation),
    JS = 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q) / 2, by exact numerical integration (log base e).

The sample estimates train small networks on samples: a WGAN-GP critic (W1 ~ E f(real) - E f(fake)) and a
discriminator for JS (JS ~ (log 4 + max_D V(G, D)) / 2, since max_D V = -log 4 + 2 JS).
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

import numpy as np

from ganstudio.core.lab import check_int, check_range

THETA_LIMIT = 2.0  # the slider's range: theta in [-2, 2]
WIDTH_LIMIT = 1.0
LOG2 = math.log(2.0)


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(x)


def js_gaussian_shift(theta: np.ndarray, width: float, points: int = 401) -> np.ndarray:
    """JS(N(0, s^2) || N(theta, s^2)) (nats) for each theta, by the trapezoid rule on a grid that covers
    both densities to 12 standard deviations (the integrand is smooth and the rule converges fast: 401 points agree with 4001 to 1e-15)."""
    theta = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    s = float(width)
    half = np.abs(theta)[:, None] / 2.0
    u = np.linspace(-1.0, 1.0, points)[None, :]
    x = u * (half + 12.0 * s)  # centred between the two means
    lp = -0.5 * ((x + half) / s) ** 2  # log densities up to the same constant
    lq = -0.5 * ((x - half) / s) ** 2
    lm = np.logaddexp(lp, lq) - LOG2
    norm = 1.0 / (s * math.sqrt(2 * math.pi))
    p, q = norm * np.exp(lp), norm * np.exp(lq)
    integrand = 0.5 * p * (lp - lm) + 0.5 * q * (lq - lm)
    return np.trapezoid(integrand, x, axis=1) if hasattr(np, "trapezoid") else np.trapz(integrand, x, axis=1)


def closed_forms(theta, width: float = 0.0) -> dict:
    """KL both ways, JS, TV and W1 at each theta (array in, arrays out) for lines of the given width."""
    theta = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    width = check_range("the width", width, 0.0, WIDTH_LIMIT)
    a = np.abs(theta)
    if width == 0.0:
        apart = a > 0
        kl = np.where(apart, np.inf, 0.0)
        js = np.where(apart, LOG2, 0.0)
        tv = np.where(apart, 1.0, 0.0)
    else:
        kl = a ** 2 / (2 * width ** 2)
        js = np.clip(js_gaussian_shift(theta, width), 0.0, LOG2)
        tv = 2 * _normal_cdf(a / (2 * width)) - 1
    return {"theta": theta, "kl_rg": kl, "kl_gr": kl.copy(), "js": js, "tv": tv, "w1": a}


def gradients(curves: dict) -> dict:
    """d/dtheta of each finite curve (central differences): JS and TV give 0 on parallel lines, W1 +-1."""
    theta = curves["theta"]
    out = {}
    for key in ("kl_rg", "js", "tv", "w1"):
        y = curves[key]
        if np.all(np.isfinite(y)) and len(theta) > 2:
            out[f"d_{key}"] = np.gradient(y, theta)
        else:
            out[f"d_{key}"] = np.full_like(theta, np.nan)
    return out


def sweep(width: float = 0.0, points: int = 201) -> dict:
    """The curves against theta over the slider's range (what the plot draws)."""
    theta = np.linspace(-THETA_LIMIT, THETA_LIMIT, points)
    curves = closed_forms(theta, width)
    curves.update(gradients(curves))
    return curves


def at_theta(theta: float, width: float = 0.0) -> dict:
    """The five numbers at one theta."""
    theta = check_range("theta", theta, -THETA_LIMIT, THETA_LIMIT)
    c = closed_forms([theta], width)
    return {"theta": theta, "width": float(width), **{k: float(v[0]) for k, v in c.items() if k != "theta"}}


# --- estimates from samples ------------------------------------------------------------------------------

def sample_lines(n: int, theta: float, width: float, generator) -> tuple:
    """n points of P_r and of P_g (torch tensors (n, 2)), the x of each blurred by N(0, width^2)."""
    import torch

    y_r = torch.rand(n, 1, generator=generator)
    y_g = torch.rand(n, 1, generator=generator)
    x_r = width * torch.randn(n, 1, generator=generator)
    x_g = theta + width * torch.randn(n, 1, generator=generator)
    return torch.cat([x_r, y_r], 1), torch.cat([x_g, y_g], 1)


def _mlp(hidden: int = 32):
    import torch.nn as nn

    return nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, 1))


def train_estimates(theta: float, width: float = 0.0, steps: int = 300, batch: int = 256, seed: int = 0,
                    report_every: int = 25) -> Iterator[dict]:
    """Train a discriminator (JS) and a WGAN-GP critic (W1) on samples at one theta, side by side; yields
    {"step", "js_est", "w1_est"} every `report_every` steps (a generator, so a worker can pause it) and
    returns the last one. The estimates are measured on fresh held-out samples."""
    import torch
    import torch.nn.functional as F

    theta = check_range("theta", theta, -THETA_LIMIT, THETA_LIMIT)
    width = check_range("the width", width, 0.0, WIDTH_LIMIT)
    steps = check_int("the training steps", steps, 1, 100000)
    g = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    disc, critic = _mlp(), _mlp()
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    test_r, test_g = sample_lines(4096, theta, width, g)
    last: dict = {}
    for step in range(1, steps + 1):
        real, fake = sample_lines(batch, theta, width, g)
        # discriminator: maximise V = E log D(real) + E log(1 - D(fake))
        loss_d = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # critic: maximise E f(real) - E f(fake) - 10 (||grad f(x_hat)|| - 1)^2
        eps = torch.rand(batch, 1, generator=g)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
        penalty = ((grad.norm(dim=1) - 1) ** 2).mean()
        loss_c = critic(fake).mean() - critic(real).mean() + 10.0 * penalty
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        if step % report_every == 0 or step == steps:
            with torch.no_grad():
                v = -(F.softplus(-disc(test_r)).mean() + F.softplus(disc(test_g)).mean()).item()
                w1 = (critic(test_r).mean() - critic(test_g).mean()).item()
            last = {"step": step, "js_est": max(0.0, (math.log(4.0) + v) / 2), "w1_est": abs(w1), "v_max": v}
            yield last
    return last


def run_estimates(theta: float, width: float = 0.0, steps: int = 300, seed: int = 0,
                  progress: Callable[[dict], None] | None = None) -> dict:
    """train_estimates run to its end (the CLI's call)."""
    last: dict = {}
    for last in train_estimates(theta, width, steps=steps, seed=seed):
        if progress is not None:
            progress(last)
    return last


def experiment(theta: float = 0.5, width: float = 0.0, steps: int = 300, seed: int = 0, estimate: bool = True) -> dict:
    """Everything the figure shows: the sweep, the numbers at theta and (optionally) the estimates."""
    out = {"at_theta": at_theta(theta, width), "sweep": sweep(width)}
    if estimate:
        est = run_estimates(theta, width, steps=steps, seed=seed)
        out["at_theta"].update({"js_est": est["js_est"], "w1_est": est["w1_est"], "steps": est["step"]})
    return out
