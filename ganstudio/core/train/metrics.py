"""Numbers that say how well a GAN is doing, all returned as plain Python values (safe to log as JSON
and to send across threads).

- `critic_gap`: E[D(x)] - E[D(G(z))]; a Wasserstein-1 estimate only for Lipschitz critics
  (`Objective.lipschitz`), otherwise just a measure of how easily D separates the two.
- `sliced_wasserstein`: average 1-D W1 over random directions; cheap in any dimension.
- `exact_w1_2d`: the exact W1 between two equal-size point sets (optimal assignment); small sets only.
- `mode_statistics`: coverage of a known mixture of Gaussians (modes captured, high-quality fraction,
  reverse KL over modes), the evaluation of VEEGAN and PacGAN on the 2-D ring and grid.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from torch import Tensor


def critic_gap(real_scores: Tensor, fake_scores: Tensor) -> float:
    """E[D(x)] - E[D(G(z))] over all elements of the score tensors."""
    return float(real_scores.detach().float().mean() - fake_scores.detach().float().mean())


def _as_points(x: Tensor | np.ndarray) -> Tensor:
    points = torch.as_tensor(x).detach()
    if points.dim() == 1:
        points = points[:, None]  # a batch of scalars is a batch of 1-D points
    return points.float().flatten(1)


def _projection_directions(dim: int, n_projections: int, generator: torch.Generator | None,
                           device: torch.device) -> Tensor:
    """Unit directions as the columns of a (dim, n) matrix."""
    if dim == 1:
        return torch.ones(1, 1, device=device)  # the only direction (up to sign): W1 is exact
    gen_device = generator.device if generator is not None else device
    if dim == 2:
        # Evenly spaced angles over [0, pi) with a random offset: an unbiased estimate with far less
        # variance than independent random angles (u and -u give the same 1-D W1).
        offset = torch.rand((), generator=generator, device=gen_device, dtype=torch.float64)
        steps = torch.arange(n_projections, device=gen_device, dtype=torch.float64)
        angles = (steps + offset) * (math.pi / n_projections)
        return torch.stack([torch.cos(angles), torch.sin(angles)]).float().to(device)
    directions = torch.randn(dim, n_projections, generator=generator, device=gen_device)
    return (directions / torch.linalg.vector_norm(directions, dim=0, keepdim=True)).to(device)


def _w1_of_sorted(px: Tensor, py: Tensor) -> Tensor:
    """1-D W1 between the empirical distributions of each column of px (N, P) and py (M, P), sorted.

    W1 = integral over t in (0, 1) of |F^-1(t) - G^-1(t)|; both quantile functions are step functions,
    so the integral is exact on the union of their breakpoints i/N and j/M.
    """
    n, m = px.shape[0], py.shape[0]
    if n == m:
        return (px - py).abs().mean(dim=0)
    device = px.device
    levels = torch.cat([torch.arange(1, n + 1, device=device, dtype=torch.float64) / n,
                        torch.arange(1, m + 1, device=device, dtype=torch.float64) / m]).unique()
    widths = torch.diff(levels, prepend=levels.new_zeros(1))
    middles = levels - widths / 2
    ix = torch.floor(middles * n).long().clamp_(max=n - 1)
    iy = torch.floor(middles * m).long().clamp_(max=m - 1)
    return (widths.float()[:, None] * (px[ix] - py[iy]).abs()).sum(dim=0)


def sliced_wasserstein(
    x: Tensor | np.ndarray,
    y: Tensor | np.ndarray,
    n_projections: int = 128,
    generator: torch.Generator | None = None,
) -> float:
    """Sliced Wasserstein-1 distance: the mean over unit directions u of W1(<u, x>, <u, y>).

    x (N, ...) and y (M, ...) are flattened to (N, d) and (M, d); N and M may differ (exact 1-D W1
    between the empirical quantile functions). In 2-D the directions are evenly spaced angles with
    a random offset; in higher dimensions they are uniform on the sphere. For a pure shift by v the
    result is |v| * E|<u, e1>|, which is |v| * 2/pi in 2-D. `generator` makes the directions
    reproducible.
    """
    px_points = _as_points(x)
    py_points = _as_points(y).to(px_points.device)
    if px_points.shape[1] != py_points.shape[1]:
        raise ValueError(f"sliced_wasserstein needs points of the same dimension, got "
                         f"{px_points.shape[1]} and {py_points.shape[1]}")
    if px_points.shape[0] == 0 or py_points.shape[0] == 0:
        raise ValueError("sliced_wasserstein needs at least one point in each set")
    directions = _projection_directions(px_points.shape[1], n_projections, generator, px_points.device)
    px = torch.sort(px_points @ directions, dim=0).values
    py = torch.sort(py_points @ directions, dim=0).values
    return float(_w1_of_sorted(px, py).mean())


def exact_w1_2d(x: Tensor | np.ndarray, y: Tensor | np.ndarray) -> float:
    """Exact W1 between two equal-size point sets: the mean Euclidean cost of the optimal assignment.

    Meant for 2-D toy samples; it works in any dimension, but the assignment costs O(N^3) time and
    O(N^2) memory, so keep N to a few thousand.
    """
    a = _as_points(x).cpu().double().numpy()
    b = _as_points(y).cpu().double().numpy()
    if a.shape != b.shape:
        raise ValueError(f"exact_w1_2d needs two point sets of the same shape, got {a.shape} and {b.shape}")
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def mode_statistics(
    samples: Tensor | np.ndarray,
    means: Tensor | np.ndarray,
    std: float | Sequence[float] | Tensor,
    n_sigma: float = 3.0,
    min_count: int = 1,
    weights: Sequence[float] | Tensor | None = None,
) -> dict[str, Any]:
    """Coverage of a mixture of K isotropic Gaussians by generated samples.

    The rule follows VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018; their public code
    for the 2-D ring and grid): each sample is assigned to its nearest mode; it is *high quality* when
    its distance to that mode is below n_sigma standard deviations; a mode is *captured* when it
    receives at least `min_count` high-quality samples (1 in those papers, which draw 2500 samples).

    Returns a dict of plain values:
    - `counts`: high-quality samples per mode (list of K ints);
    - `modes_captured`: number of modes with counts >= min_count;
    - `hq_fraction`: fraction of all samples that are high quality. For perfect samples it is
      P(|noise| < n_sigma * std): 99.7 % for 3 sigma in 1-D, but 1 - exp(-4.5) = 98.9 % in 2-D;
    - `reverse_kl`: KL(q || p) where q is the distribution of high-quality samples over modes
      (counts / sum) and p the true mode weights (`weights`, uniform by default). Empty modes add
      exactly 0 (q log q -> 0) and p > 0, so no epsilon is needed; a generator collapsed onto one of
      K equal modes scores log K. NaN when there is no high-quality sample at all (undefined).
    - `n_modes`, `n_samples`.
    `std` is one number or one per mode.
    """
    points = _as_points(samples).cpu().double()
    centres = _as_points(means).cpu().double()
    k = centres.shape[0]
    if points.shape[1] != centres.shape[1]:
        raise ValueError(f"mode_statistics needs samples and means of the same dimension, got "
                         f"{points.shape[1]} and {centres.shape[1]}")
    stds = torch.as_tensor(std, dtype=torch.float64).flatten()
    if stds.numel() == 1:
        stds = stds.expand(k)
    if stds.shape[0] != k or not bool((stds > 0).all()):
        raise ValueError(f"mode_statistics needs one positive std or one per mode ({k}), got {std!r}")
    n = points.shape[0]
    if n == 0:
        raise ValueError("mode_statistics needs at least one sample")
    distances = torch.cdist(points, centres, compute_mode="donot_use_mm_for_euclid_dist") / stds[None, :]
    nearest_distance, nearest = distances.min(dim=1)
    high_quality = nearest_distance < n_sigma
    counts = torch.bincount(nearest[high_quality], minlength=k)

    if weights is None:
        p = torch.full((k,), 1.0 / k, dtype=torch.float64)
    else:
        p = torch.as_tensor(weights, dtype=torch.float64).flatten()
        if p.shape[0] != k or not bool((p > 0).all()):
            raise ValueError(f"mode_statistics needs {k} positive mode weights, got {weights!r}")
        p = p / p.sum()
    total = int(counts.sum())
    if total == 0:
        reverse_kl = float("nan")
    else:
        q = counts.double() / total
        present = q > 0
        reverse_kl = float((q[present] * torch.log(q[present] / p[present])).sum())

    return {
        "counts": [int(c) for c in counts.tolist()],
        "modes_captured": int((counts >= min_count).sum()),
        "hq_fraction": float(high_quality.double().mean()),
        "reverse_kl": reverse_kl,
        "n_modes": k,
        "n_samples": n,
    }
