"""Experiment 2: the optimal discriminator in 1-D (Goodfellow et al. 2014, proposition 1 and theorem 1).

p_data and p_g are mixtures of Gaussians, each component (weight, mean, std). For a fixed G the best
discriminator is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and the value of the game there is

    V(G, D*) = E_data log D*(x) + E_g log(1 - D*(x)) = -log 4 + 2 JS(p_data || p_g).

Both sides are computed by exact numerical integration on a fine grid (V from D*, JS from the KLs to the
middle mixture: two different sums that must agree). A small discriminator trained on samples converges
to D*; its value on held-out samples approaches V(G, D*) from below.
"""

from __future__ import annotations

import math
from typing import Iterator, Sequence

import numpy as np

from ganstudio.core.lab import LabError, check_int, check_range

X_RANGE = (-6.0, 6.0)
GRID = 1201
MAX_COMPONENTS = 8
DEFAULT_DATA = ((0.5, -1.5, 0.4), (0.5, 1.5, 0.4))
DEFAULT_G = ((1.0, 0.5, 1.0),)


def check_mixture(name: str, mixture: Sequence[Sequence[float]]) -> tuple:
    """((weight, mean, std), ...) with weights > 0 (normalised here), means in X_RANGE, std in [0.05, 3]."""
    comps = tuple(tuple(float(v) for v in c) for c in mixture)
    if not 1 <= len(comps) <= MAX_COMPONENTS or any(len(c) != 3 for c in comps):
        raise LabError(f"{name} must be 1 to {MAX_COMPONENTS} components of weight, mean and std, not {mixture!r}.")
    for w, m, s in comps:
        check_range(f"a weight of {name}", w, 0.0, 1000.0, low_open=True)
        check_range(f"a mean of {name}", m, *X_RANGE)
        check_range(f"a std of {name}", s, 0.05, 3.0)
    total = sum(c[0] for c in comps)
    return tuple((w / total, m, s) for w, m, s in comps)


def parse_mixture(text: str, name: str = "the mixture") -> tuple:
    """'w:m:s,w:m:s' (the CLI's form) -> ((w, m, s), ...)."""
    try:
        comps = [tuple(float(v) for v in part.split(":")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise LabError(f"{name} must look like 0.5:-1.5:0.4,0.5:1.5:0.4 (weight:mean:std per component), "
                       f"not {text!r}.") from None
    if any(len(c) != 3 for c in comps):
        raise LabError(f"{name} must look like 0.5:-1.5:0.4,0.5:1.5:0.4 (weight:mean:std per component), not {text!r}.")
    return check_mixture(name, comps)


def density(mixture, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    for w, m, s in mixture:
        out += w * np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    return out


def _integrate(y: np.ndarray, x: np.ndarray) -> float:
    f = getattr(np, "trapezoid", None) or np.trapz
    return float(f(y, x))


def exact(data=DEFAULT_DATA, gen=DEFAULT_G, points: int = GRID) -> dict:
    """The densities, D* on the grid, V(G, D*) and -log 4 + 2 JS (both by integration)."""
    data, gen = check_mixture("p_data", data), check_mixture("p_g", gen)
    lo = min(X_RANGE[0], *(m - 8 * s for _, m, s in data + gen))
    hi = max(X_RANGE[1], *(m + 8 * s for _, m, s in data + gen))
    x = np.linspace(lo, hi, points)
    p, q = density(data, x), density(gen, x)
    tiny = 1e-300
    d_star = np.where(p + q > tiny, p / np.maximum(p + q, tiny), 0.5)
    v = _integrate(p * np.log(np.maximum(d_star, tiny)) + q * np.log(np.maximum(1 - d_star, tiny)), x)
    m = (p + q) / 2
    kl = lambda a: a * (np.log(np.maximum(a, tiny)) - np.log(np.maximum(m, tiny)))  # noqa: E731
    js = 0.5 * _integrate(kl(p), x) + 0.5 * _integrate(kl(q), x)
    shown = (x >= X_RANGE[0]) & (x <= X_RANGE[1])
    return {"x": x[shown], "p_data": p[shown], "p_g": q[shown], "d_star": d_star[shown], "v_d_star": v, "js": js,
            "minus_log4_plus_2js": -math.log(4.0) + 2 * js}


def sample_mixture(mixture, n: int, generator):
    import torch

    w = torch.tensor([c[0] for c in mixture], dtype=torch.float64)
    idx = torch.multinomial(w, n, replacement=True, generator=generator)
    means = torch.tensor([c[1] for c in mixture])[idx]
    stds = torch.tensor([c[2] for c in mixture])[idx]
    return (means + stds * torch.randn(n, generator=generator)).float().unsqueeze(1)


def train_discriminator(data=DEFAULT_DATA, gen=DEFAULT_G, steps: int = 1500, batch: int = 256, seed: int = 0,
                        report_every: int = 50, hidden: int = 64) -> Iterator[dict]:
    """Train a small D on samples of p_data (label 1) and p_g (label 0); yields {"step", "x", "d_trained",
    "v_trained", "max_gap"} every `report_every` steps (D on the grid, its value on held-out samples, and
    the largest |D - D*| where p_data + p_g is not negligible) and returns the last."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    data, gen = check_mixture("p_data", data), check_mixture("p_g", gen)
    steps = check_int("the training steps", steps, 1, 100000)
    g = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    disc = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
    opt = torch.optim.Adam(disc.parameters(), lr=3e-3)
    ref = exact(data, gen)
    grid = torch.tensor(ref["x"], dtype=torch.float32).unsqueeze(1)
    mass = (ref["p_data"] + ref["p_g"]) > 0.02
    test_r, test_g = sample_mixture(data, 8192, g), sample_mixture(gen, 8192, g)
    last: dict = {}
    for step in range(1, steps + 1):
        real, fake = sample_mixture(data, batch, g), sample_mixture(gen, batch, g)
        loss = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % report_every == 0 or step == steps:
            with torch.no_grad():
                d = torch.sigmoid(disc(grid)).squeeze(1).double().numpy()
                v = -(F.softplus(-disc(test_r)).mean() + F.softplus(disc(test_g)).mean()).item()
            gap = float(np.max(np.abs(d - ref["d_star"])[mass])) if mass.any() else 0.0
            last = {"step": step, "x": ref["x"], "d_trained": d, "v_trained": v, "max_gap": gap}
            yield last
    return last


def experiment(data=DEFAULT_DATA, gen=DEFAULT_G, steps: int = 1500, seed: int = 0, train: bool = True) -> dict:
    out = exact(data, gen)
    out["p_data_mixture"] = [list(c) for c in check_mixture("p_data", data)]
    out["p_g_mixture"] = [list(c) for c in check_mixture("p_g", gen)]
    if train:
        last: dict = {}
        for last in train_discriminator(data, gen, steps=steps, seed=seed):
            pass
        out.update({"d_trained": last["d_trained"], "v_trained": last["v_trained"], "max_gap": last["max_gap"],
                    "steps": last["step"]})
    return out
