"""Latent space maths behind the Explore area and `ganstudio sample --seed` (no Qt, no model).

- Sampling z (`sample_latents`), seeded exactly like `ganstudio sample --seed`, with truncation.
- Paths through latent space: `lerp`, `slerp`, `interpolate_path` through two or more keyframes.
- Vector arithmetic (Radford et al. 2016): `arithmetic(A, B, C) = mean(A) - mean(B) + mean(C)`.

Latents are float32 numpy arrays `(N, z_dim)`; only numpy crosses threads, so everything here takes
and returns numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ganstudio.core.errors import GanStudioError

# --- sampling -------------------------------------------------------------------------------------------

TRUNCATION_MODES = ("off", "resample", "scale")


@dataclass(frozen=True)
class Truncation:
    """How z is drawn from N(0, I).

    - ``off``: plain Gaussian samples, the same numbers as ``ganstudio sample --seed``.
    - ``resample`` (the BigGAN truncation trick): every coordinate with |z_i| > value is drawn again
      from the same seeded generator until all lie within [-value, value]; a truncated normal.
    - ``scale`` (StyleGAN's psi for a zero-mean prior): z is multiplied by value (0 < value <= 1),
      pulling every sample toward the mode.

    Smaller values trade variety for typical-looking samples in both modes.
    """

    mode: str = "off"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in TRUNCATION_MODES:
            raise GanStudioError(f"truncation mode must be one of {', '.join(TRUNCATION_MODES)}, not {self.mode!r}.")
        v = float(self.value)
        if self.mode == "resample" and not (0.05 <= v <= 10):
            raise GanStudioError(f"the resampling threshold must be between 0.05 and 10, not {v:g}.")
        if self.mode == "scale" and not (0 < v <= 2):
            raise GanStudioError(f"the truncation scale psi must be above 0 and at most 2, not {v:g}.")

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "value": float(self.value)}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Truncation":
        if not d:
            return cls()
        return cls(str(d.get("mode", "off")), float(d.get("value", 1.0)))

    def describe(self) -> str:
        if self.mode == "resample":
            return f"resample |z|>{self.value:g}"
        if self.mode == "scale":
            return f"scale ψ={self.value:g}"
        return "off"


def sample_latents(n: int, z_dim: int, seed: int, truncation: Truncation | None = None) -> np.ndarray:
    """`n` latents (n, z_dim) float32 from N(0, I), reproducible from `seed`.

    Without truncation these are exactly `torch.randn(n, z_dim, generator=Generator().manual_seed(seed))`,
    the numbers `ganstudio sample --seed SEED --n N` renders.
    """
    if n < 0 or z_dim < 1:
        raise GanStudioError(f"cannot draw {n} latents of size {z_dim}.")
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(n, z_dim, generator=gen)
    t = truncation or Truncation()
    if t.mode == "resample":
        limit = float(t.value)
        for _ in range(10_000):  # each round keeps at least P(|x| <= 0.05) ~ 4 % of the outliers
            outside = z.abs() > limit
            count = int(outside.sum())
            if count == 0:
                break
            z[outside] = torch.randn(count, generator=gen)
    elif t.mode == "scale":
        z = z * float(t.value)
    return z.numpy().astype(np.float32, copy=False)


# --- interpolation ----------------------------------------------------------------------------------------

def _as_t(t) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=np.float64)
    return arr.reshape(-1, 1), arr.ndim == 0


def lerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Straight line (1 - t) a + t b; exact at t = 0 and t = 1. `t` scalar -> (d,), array -> (len(t), d)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    tt, scalar = _as_t(t)
    out = (1.0 - tt) * a64 + tt * b64
    out = out.astype(np.result_type(a, b, np.float32), copy=False)
    return out[0] if scalar else out


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between a and b, accurate also for nearly parallel vectors (where arccos(cos) is not)."""
    ua, ub = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return 2.0 * math.atan2(float(np.linalg.norm(ua - ub)), float(np.linalg.norm(ua + ub)))


def slerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016 for GAN latents).

    sin((1-t) W)/sin W * a + sin(t W)/sin W * b, W the angle between a and b. For two vectors of the same
    norm every point keeps that norm (it walks the great circle), which keeps Gaussian latents where the
    generator was trained, unlike lerp whose midpoints are shorter. The angle comes from atan2, so the
    coefficients stay accurate for nearly parallel vectors; only exactly parallel (or zero) vectors fall
    back to lerp. Exact at t = 0 and t = 1.
    """
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not np.any(a64) or not np.any(b64):
        return lerp(a, b, t)
    omega = _angle(a64, b64)
    s = math.sin(omega)
    if s < 1e-12:  # parallel (omega ~ 0) or opposite (omega ~ pi): no unique great circle
        return lerp(a, b, t)
    tt, scalar = _as_t(t)
    out = (np.sin((1.0 - tt) * omega) / s) * a64 + (np.sin(tt * omega) / s) * b64
    out = out.astype(np.result_type(a, b, np.float32), copy=False)
    return out[0] if scalar else out


INTERPOLATIONS = {"lerp": lerp, "slerp": slerp}


def interpolate_path(keyframes: Sequence[np.ndarray] | np.ndarray, steps: int, mode: str = "slerp") -> np.ndarray:
    """Frames through two or more keyframes: `steps` frames per segment, (K - 1) * steps + 1 in all.

    Keyframe k is frame k * steps exactly; the last frame is the last keyframe.
    """
    keys = np.asarray(keyframes)
    if keys.ndim != 2 or keys.shape[0] < 2:
        raise GanStudioError(f"an interpolation needs at least two keyframes, got {0 if keys.ndim != 2 else keys.shape[0]}.")
    if int(steps) < 1:
        raise GanStudioError(f"the number of steps between keyframes must be 1 or more, not {steps}.")
    if mode not in INTERPOLATIONS:
        raise GanStudioError(f"interpolation mode must be lerp or slerp, not {mode!r}.")
    fn = INTERPOLATIONS[mode]
    ts = np.arange(int(steps), dtype=np.float64) / int(steps)
    frames = [fn(keys[i], keys[i + 1], ts) for i in range(keys.shape[0] - 1)]
    frames.append(keys[-1:].astype(np.result_type(keys, np.float32)))
    return np.concatenate(frames, axis=0)


# --- arithmetic --------------------------------------------------------------------------------------------

def _mean(group: Iterable[np.ndarray], name: str) -> np.ndarray:
    arr = np.asarray(list(group) if not isinstance(group, np.ndarray) else group, dtype=np.float64)
    if arr.size == 0:
        raise GanStudioError(f"latent arithmetic needs at least one sample in group {name}.")
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise GanStudioError(f"group {name} holds an array of shape {arr.shape}, not latents (N, z_dim).")
    return arr.mean(axis=0)


def arithmetic(a_list, b_list, c_list) -> np.ndarray:
    """mean(A) - mean(B) + mean(C): the DCGAN paper's "smiling woman - neutral woman + neutral man".

    Averaging each group (the paper used three samples) makes the result depend on what the samples
    share rather than on one sample's quirks.
    """
    a, b, c = _mean(a_list, "A"), _mean(b_list, "B"), _mean(c_list, "C")
    if not (a.shape == b.shape == c.shape):
        raise GanStudioError(f"groups A, B and C hold latents of different sizes ({a.shape[0]}, {b.shape[0]}, {c.shape[0]}).")
    return (a - b + c).astype(np.float32)


def arithmetic_variations(result: np.ndarray, n: int = 9, noise: float = 0.25, seed: int = 0) -> np.ndarray:
    """The result and n - 1 neighbours with uniform noise in [-noise, noise] added (as in the DCGAN
    paper's figure 7), so one can see whether the effect holds around it. Row 0 is `result` exactly."""
    result = np.asarray(result, np.float32)
    rng = np.random.default_rng(seed)
    out = np.repeat(result[None], n, axis=0)
    if n > 1:
        out[1:] += rng.uniform(-noise, noise, size=(n - 1, result.shape[0])).astype(np.float32)
    return out


