"""Experiment 3: the generator's cost as a function of D(G(z)) (Goodfellow, NIPS 2016 tutorial, figure 16).

With D(G(z)) = sigmoid(a), a the discriminator's logit:

    minimax           J = log(1 - D)       dJ/dD = -1 / (1 - D)    dJ/da = -D
    non-saturating    J = -log D           dJ/dD = -1 / D          dJ/da = -(1 - D)
    maximum likelihood J = -D / (1 - D)    dJ/dD = -1 / (1 - D)^2  dJ/da = -D / (1 - D)   (= -exp(a))

Early in training D rejects the samples (D(G(z)) near 0): the minimax cost is flat there (its gradient
through the logit is -D, about 0), so G stalls; the non-saturating one is steepest there. The live run
trains the same 1-D GAN with each cost against a strong discriminator.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ganstudio.core.lab import LabError, check_int, check_range

COSTS = ("minimax", "nonsaturating", "ml")
LABELS = {"minimax": "minimax log(1 - D)", "nonsaturating": "non-saturating -log D", "ml": "maximum likelihood -D/(1 - D)"}


def curves(points: int = 400, low: float = 1e-3, high: float = 1 - 1e-3) -> dict:
    """Each cost and its gradients (with respect to D and to D's logit) on a grid of D(G(z))."""
    d = np.linspace(low, high, points)
    return {
        "d": d,
        "minimax": np.log1p(-d), "nonsaturating": -np.log(d), "ml": -d / (1 - d),
        "minimax_grad_d": -1 / (1 - d), "nonsaturating_grad_d": -1 / d, "ml_grad_d": -1 / (1 - d) ** 2,
        "minimax_grad_logit": -d, "nonsaturating_grad_logit": -(1 - d), "ml_grad_logit": -d / (1 - d),
    }


def _g_loss(cost: str, logits):
    import torch.nn.functional as F

    if cost == "minimax":  # log(1 - sigmoid(a)) = -softplus(a)
        return -F.softplus(logits).mean()
    if cost == "nonsaturating":  # -log sigmoid(a) = softplus(-a)
        return F.softplus(-logits).mean()
    if cost == "ml":  # -D/(1-D) = -exp(a), clamped so a very confident D cannot overflow it
        return -logits.clamp(max=20.0).exp().mean()
    raise LabError(f"the cost must be one of {', '.join(COSTS)}, not {cost!r}.")


def train_run(cost: str, steps: int = 400, d_steps: int = 5, data_mean: float = 2.0, start_mean: float = -2.0,
              seed: int = 0, batch: int = 128, report_every: int = 10) -> Iterator[dict]:
    """A 1-D GAN, G(z) = a z + b with z ~ N(0, 1), data N(data_mean, 0.5^2), trained with one cost against a
    discriminator that is trained first (200 steps) and `d_steps` times per G step, so it is strong.
    Yields {"step", "g_mean", "distance", "d_of_g"} (|mean of G - data mean| and the mean D(G(z)))."""
    import torch
    import torch.nn as nn

    if cost not in COSTS:
        raise LabError(f"the cost must be one of {', '.join(COSTS)}, not {cost!r}.")
    steps = check_int("the training steps", steps, 1, 100000)
    d_steps = check_int("the D steps per G step", d_steps, 1, 50)
    data_mean = check_range("the data mean", data_mean, -5.0, 5.0)
    start_mean = check_range("the start mean", start_mean, -5.0, 5.0)
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))
    a = torch.tensor([0.5], requires_grad=True)
    b = torch.tensor([start_mean], requires_grad=True)
    disc = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_g = torch.optim.SGD([a, b], lr=0.05)

    def d_step():
        import torch.nn.functional as F

        real = data_mean + 0.5 * torch.randn(batch, 1, generator=gen)
        with torch.no_grad():
            fake = a * torch.randn(batch, 1, generator=gen) + b
        loss = F.softplus(-disc(real)).mean() + F.softplus(disc(fake)).mean()
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()

    for _ in range(200):
        d_step()
    last: dict = {}
    for step in range(0, steps + 1):
        if step > 0:
            for _ in range(d_steps):
                d_step()
            z = torch.randn(batch, 1, generator=gen)
            loss = _g_loss(cost, disc(a * z + b))
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
        if step % report_every == 0 or step == steps:
            with torch.no_grad():
                d_of_g = torch.sigmoid(disc(a * torch.randn(1024, 1, generator=gen) + b)).mean().item()
            g_mean = b.item()
            last = {"step": step, "g_mean": g_mean, "distance": abs(g_mean - data_mean), "d_of_g": d_of_g}
            yield last
    return last


def experiment(steps: int = 300, d_steps: int = 5, seed: int = 0, train: bool = True) -> dict:
    out = {"curves": curves()}
    if train:
        runs: dict = {}
        for runs in train_side_by_side(steps=steps, d_steps=d_steps, seed=seed):
            pass
        out["runs"] = runs
        out["final_distance"] = {c: float(runs[c]["distance"][-1]) for c in COSTS}
    return out



def train_side_by_side(steps: int = 300, d_steps: int = 5, seed: int = 0, report_every: int = 10) -> Iterator[dict]:
    """The three runs of `train_run` advanced together (same seed, same data); yields
    {cost: {"step", "g_mean", "distance", "d_of_g"} as arrays so far} after each report."""
    runs = {cost: train_run(cost, steps=steps, d_steps=d_steps, seed=seed, report_every=report_every) for cost in COSTS}
    hist: dict = {cost: [] for cost in COSTS}
    keys = ("step", "g_mean", "distance", "d_of_g")
    for reports in zip(*runs.values()):
        for cost, rep in zip(COSTS, reports):
            hist[cost].append(rep)
        yield {cost: {k: np.array([h[k] for h in hist[cost]]) for k in keys} for cost in COSTS}
