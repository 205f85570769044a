"""Experiment 7: low-dimensional supports (Arjovsky & Bottou 2017, "Towards principled methods").

A generator G maps z of dimension k (1 or 2) into n dimensions (2 or 3) with k < n. Its Jacobian has rank at
most k, so at every sample n - k of its singular values are exactly 0: the generated distribution lies on a
k-dimensional manifold of volume zero in R^n. Such a set and the data's support almost never overlap, so a
perfect discriminator exists (and JS is log 2, as in experiment 1). Measured: the fraction of uniform points
of the box that lie within eps of the generated samples shrinks like eps^(n - k); the log-log slope is shown.

G is a fixed random tanh MLP (seeded), written in numpy with its exact Jacobian.
"""

from __future__ import annotations

import numpy as np

from ganstudio.core.lab import LabError, check_int

HIDDEN = 32


def make_generator(z_dim: int, x_dim: int, seed: int = 0) -> dict:
    if z_dim not in (1, 2) or x_dim not in (2, 3) or z_dim >= x_dim:
        raise LabError(f"z must have 1 or 2 dimensions and x 2 or 3, with z smaller than x; not z {z_dim!r}, x {x_dim!r}.")
    check_int("the seed", seed, 0, 2 ** 31 - 1)
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(0, 1.5, (HIDDEN, z_dim)), "b1": rng.normal(0, 0.5, HIDDEN),
            "W2": rng.normal(0, 1.5 / np.sqrt(HIDDEN), (HIDDEN, HIDDEN)), "b2": rng.normal(0, 0.3, HIDDEN),
            "W3": rng.normal(0, 1.0 / np.sqrt(HIDDEN), (x_dim, HIDDEN))}


def generate(g: dict, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G(z) (N, n) and its Jacobian dG/dz (N, n, k), exactly (chain rule through the tanh layers)."""
    a1 = z @ g["W1"].T + g["b1"]
    h1 = np.tanh(a1)
    a2 = h1 @ g["W2"].T + g["b2"]
    h2 = np.tanh(a2)
    x = h2 @ g["W3"].T
    # Chain rule with the k input directions as rows, so each layer is one (N k, H) x (H, H) product
    # (a batched (H, H) @ (N, H, k) is N small products, 5x slower at N = 4000)
    n, k = z.shape
    d1 = (1 - h1 ** 2)[:, None, :] * g["W1"].T[None]  # (N, k, H)
    d2 = (1 - h2 ** 2)[:, None, :] * (d1.reshape(n * k, -1) @ g["W2"].T).reshape(n, k, -1)
    jac = (d2.reshape(n * k, -1) @ g["W3"].T).reshape(n, k, -1).transpose(0, 2, 1)  # (N, n, k)
    return x, jac


def jacobian_singular_values(jac: np.ndarray) -> np.ndarray:
    """The n singular values of each (n, k) Jacobian padded to n x n, descending: for k = 1 the column's
    length, for k = 2 the roots of the 2x2 Gram matrix's eigenvalues (closed forms, ~10x faster than a
    batched SVD), then the n - k exact zeros that the padding adds."""
    n, x_dim, k = jac.shape
    if k == 1:
        s = np.linalg.norm(jac[:, :, 0], axis=1)[:, None]
    else:
        a = np.einsum("ni,ni->n", jac[:, :, 0], jac[:, :, 0])
        b = np.einsum("ni,ni->n", jac[:, :, 0], jac[:, :, 1])
        c = np.einsum("ni,ni->n", jac[:, :, 1], jac[:, :, 1])
        mid, rad = (a + c) / 2, np.sqrt(((a - c) / 2) ** 2 + b ** 2)
        s = np.sqrt(np.maximum(np.stack([mid + rad, mid - rad], axis=1), 0))
    return np.concatenate([s, np.zeros((n, x_dim - k))], axis=1)


def tube_fractions(samples: np.ndarray, eps: np.ndarray, n_probe: int, rng) -> np.ndarray:
    """The fraction of uniform points of the samples' bounding box within each eps of a sample."""
    from scipy.spatial import cKDTree

    lo, hi = samples.min(0), samples.max(0)
    probe = rng.uniform(lo, hi, size=(n_probe, samples.shape[1]))
    dist, _ = cKDTree(samples).query(probe, distance_upper_bound=float(np.max(eps)) * 1.0001)
    return np.array([(dist <= e).mean() for e in eps])


def manifold(z_dim: int = 1, x_dim: int = 2, seed: int = 0, n: int = 20000) -> dict:
    """The samples and what their Jacobians say (rank, singular values): the part drawn at once."""
    n = check_int("the number of samples", n, 100, 200000)
    g = make_generator(z_dim, x_dim, seed)
    rng = np.random.default_rng(seed + 1)
    z = rng.uniform(-1, 1, size=(n, z_dim))
    x, jac = generate(g, z)
    full = jacobian_singular_values(jac)
    return {"z_dim": z_dim, "x_dim": x_dim, "seed": seed, "points": x, "z": z,
            "singular_values_min": full.min(0), "singular_values_max": full.max(0),
            "jacobian_rank": int(np.max(np.sum(full > 1e-9 * full.max(), axis=1))), "codimension": x_dim - z_dim}


def tube(points: np.ndarray, seed: int = 0, n_probe: int = 20000) -> dict:
    """The measured part: the fraction of the box within eps of the samples, and its log-log slope."""
    rng = np.random.default_rng(seed + 2)
    span = float(np.max(points.max(0) - points.min(0)))
    eps = span * np.geomspace(0.01, 0.08, 8)
    frac = tube_fractions(points, eps, check_int("the number of probes", n_probe, 100, 200000), rng)
    good = frac > 0
    slope = float(np.polyfit(np.log(eps[good]), np.log(frac[good]), 1)[0]) if good.sum() >= 2 else float("nan")
    return {"eps": eps, "tube_fraction": frac, "tube_slope": slope}


def experiment(z_dim: int = 1, x_dim: int = 2, seed: int = 0, n: int = 20000, n_probe: int = 20000) -> dict:
    r = manifold(z_dim, x_dim, seed, n)
    return {**r, **tube(r["points"], seed, n_probe)}
