"""Variants of a translating model with a latent input (a U-Net with `latent_dim` > 0, BicycleGAN-style).

A variant seed names one latent: seed 0 is z = 0, the prior's mean (the picture `translate` gives by default,
and the one a model trained with `tricks.diversity_anchor` learns under the full L1), so the Sketch strip opens
on it with alternatives beside it; any other seed is z = N(0, 1) of `latent_dim` values drawn by numpy's
default_rng(seed). A variant depends only on its seed (never on the other variants of the strip, the device or
torch's RNG), and the Sketch strip, `ganstudio translate --variant-seed` and the quality measures agree on it.
No seed (deterministic mode, the CLI's default) is z = 0 too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch


def variant_latent(seed: int, dim: int) -> np.ndarray:
    """The latent of one variant seed: float32 (dim,); zeros for seed 0, else standard normal."""
    if int(seed) == 0:
        return np.zeros(int(dim), np.float32)
    return np.random.default_rng(int(seed)).standard_normal(int(dim)).astype(np.float32)


def variant_latents(seeds: Sequence[int] | None, dim: int, n: int | None = None) -> torch.Tensor:
    """float32 (N, dim): one latent per seed, or zeros (the mean) for N = n inputs when `seeds` is None."""
    if seeds is None:
        return torch.zeros(int(n or 1), int(dim))
    return torch.from_numpy(np.stack([variant_latent(s, dim) for s in seeds])) if len(seeds) else torch.zeros(0, dim)
