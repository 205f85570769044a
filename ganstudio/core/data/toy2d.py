"""2-D toy distributions for watching a GAN learn (and fail) in the plane.

The two Gaussian mixtures are the standard mode-collapse benchmarks of VEEGAN (Srivastava et al. 2017)
and PacGAN (Lin et al. 2018): a ring of 8 Gaussians of radius 2 and std 0.02, and a 5x5 grid of 25
Gaussians with means in {-4, -2, 0, 2, 4}^2 and std 0.05. Their exact density is known, which lets
tests and metrics compare a discriminator with the optimal one, D*(x) = p_data / (p_data + p_g).

The other toys (spiral, two moons, swiss roll) are curves blurred by Gaussian noise; they only sample
and report plotting bounds.

    toy = make_toy("ring", n_modes=8, radius=2.0, std=0.02)
    points = toy.sample(512, generator=torch.Generator().manual_seed(0))   # float32 (512, 2)
"""

from __future__ import annotations

import inspect
import logging
import math
from typing import Any, Callable

import torch

from ganstudio.core.errors import ConfigError

logger = logging.getLogger(__name__)

TOY_NAMES: tuple[str, ...] = ("ring", "grid", "spiral", "moons", "swissroll")

Bounds = tuple[float, float, float, float]


class ToyDistribution:
    """A distribution on the plane that can be sampled; subclasses say where it lives (bounds)."""

    name: str = ""

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """`n` points as a float32 CPU tensor of shape (n, 2)."""
        n = _check_count(n)
        return self._sample(n, generator).to(torch.float32)

    def bounds(self) -> Bounds:
        """(xmin, xmax, ymin, ymax): a box that holds practically all samples, with a margin for plots."""
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """The parameters this toy was made with (what make_toy would need to rebuild it)."""
        raise NotImplementedError

    def _sample(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.params().items())
        return f"{type(self).__name__}({self.name!r}, {args})"


class GaussianMixture(ToyDistribution):
    """Equal-weight mixture of isotropic Gaussians N(means[k], std^2 I)."""

    def __init__(self, name: str, means: torch.Tensor, std: float, params: dict[str, Any]):
        self.name = name
        self.means = means.to(torch.float32)
        self.std = float(std)
        self._params = params

    @property
    def n_modes(self) -> int:
        return int(self.means.shape[0])

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def _sample(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        modes = torch.randint(self.n_modes, (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self.means[modes] + self.std * noise

    def log_density(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) of the mixture for points `x` (N, 2); returns (N,) in x's float dtype.

        Computed with logsumexp so that points far from every mode give a finite, very negative value.
        """
        x = torch.as_tensor(x)
        dtype = x.dtype if x.is_floating_point() else torch.float32
        x = x.to(dtype)
        means = self.means.to(device=x.device, dtype=dtype)
        squared = ((x[:, None, :] - means[None, :, :]) ** 2).sum(dim=-1)  # (N, K)
        log_normal = -squared / (2 * self.std**2) - math.log(2 * math.pi * self.std**2)
        return torch.logsumexp(log_normal, dim=1) - math.log(self.n_modes)

    def bounds(self) -> Bounds:
        low = self.means.min(dim=0).values
        high = self.means.max(dim=0).values
        # Wide enough that the modes do not touch the plot's edge even for a large std.
        margin = 4 * self.std + 0.25 * float((high - low).max().clamp(min=1.0))
        return (
            float(low[0]) - margin, float(high[0]) + margin,
            float(low[1]) - margin, float(high[1]) + margin,
        )


class CurveToy(ToyDistribution):
    """Points drawn along a parametric curve, plus isotropic Gaussian noise."""

    def __init__(
        self,
        name: str,
        draw: Callable[[int, torch.Generator | None], torch.Tensor],
        noise: float,
        extent: Bounds,
        params: dict[str, Any],
    ):
        self.name = name
        self._draw = draw
        self.noise = float(noise)
        self._extent = extent  # bounds of the noiseless curve
        self._params = params

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def _sample(self, n: int, generator: torch.Generator | None) -> torch.Tensor:
        clean = self._draw(n, generator)
        return clean + self.noise * torch.randn(n, 2, generator=generator)

    def bounds(self) -> Bounds:
        xmin, xmax, ymin, ymax = self._extent
        margin = 4 * self.noise + 0.1 * max(xmax - xmin, ymax - ymin)
        return (xmin - margin, xmax + margin, ymin - margin, ymax + margin)


# --- the toys --------------------------------------------------------------------------------------


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
    """`n_modes` Gaussians evenly spaced on a circle of `radius` (the first one on the +x axis)."""
    n_modes = _check_int("ring", "n_modes", n_modes, minimum=1)
    radius = _check_float("ring", "radius", radius, positive=True)
    std = _check_float("ring", "std", std, positive=True)
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    means = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return GaussianMixture("ring", means, std, {"n_modes": n_modes, "radius": radius, "std": std})


def grid(n_per_side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """`n_per_side`^2 Gaussians on a square grid centred on the origin, `spacing` apart."""
    n_per_side = _check_int("grid", "n_per_side", n_per_side, minimum=1)
    spacing = _check_float("grid", "spacing", spacing, positive=True)
    std = _check_float("grid", "std", std, positive=True)
    axis = (torch.arange(n_per_side, dtype=torch.float64) - (n_per_side - 1) / 2) * spacing
    xs, ys = torch.meshgrid(axis, axis, indexing="xy")
    means = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
    return GaussianMixture(
        "grid", means, std, {"n_per_side": n_per_side, "spacing": spacing, "std": std}
    )


def spiral(
    turns: float = 2.0, radius: float = 3.0, noise: float = 0.05, arms: int = 1
) -> CurveToy:
    """Archimedean spiral arm(s) from the centre out to `radius` in `turns` turns, evenly spaced arms."""
    turns = _check_float("spiral", "turns", turns, positive=True)
    radius = _check_float("spiral", "radius", radius, positive=True)
    noise = _check_float("spiral", "noise", noise, positive=False)
    arms = _check_int("spiral", "arms", arms, minimum=1)

    def draw(n: int, generator: torch.Generator | None) -> torch.Tensor:
        # sqrt spreads points evenly along the curve's length rather than its angle.
        t = torch.rand(n, generator=generator).sqrt()
        arm = torch.randint(arms, (n,), generator=generator)
        angle = 2 * math.pi * (turns * t + arm / arms)
        r = radius * t
        return torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)

    params = {"turns": turns, "radius": radius, "noise": noise, "arms": arms}
    return CurveToy("spiral", draw, noise, (-radius, radius, -radius, radius), params)


def moons(noise: float = 0.05, scale: float = 2.0) -> CurveToy:
    """Two interleaving half circles (as scikit-learn's make_moons), centred and multiplied by `scale`."""
    noise = _check_float("moons", "noise", noise, positive=False)
    scale = _check_float("moons", "scale", scale, positive=True)

    def draw(n: int, generator: torch.Generator | None) -> torch.Tensor:
        t = math.pi * torch.rand(n, generator=generator)
        lower = torch.rand(n, generator=generator) < 0.5
        x = torch.where(lower, 1 - torch.cos(t), torch.cos(t))
        y = torch.where(lower, 0.5 - torch.sin(t), torch.sin(t))
        # make_moons spans x in [-1, 2], y in [-0.5, 1]; centre it on the origin.
        return scale * torch.stack([x - 0.5, y - 0.25], dim=1)

    extent = (-1.5 * scale, 1.5 * scale, -0.75 * scale, 0.75 * scale)
    return CurveToy("moons", draw, noise, extent, {"noise": noise, "scale": scale})


def swissroll(noise: float = 0.05, radius: float = 3.0) -> CurveToy:
    """The 2-D swiss roll t*(cos t, sin t), t in [1.5 pi, 4.5 pi], scaled so its outer end is at `radius`."""
    noise = _check_float("swissroll", "noise", noise, positive=False)
    radius = _check_float("swissroll", "radius", radius, positive=True)
    t_max = 4.5 * math.pi

    def draw(n: int, generator: torch.Generator | None) -> torch.Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        return (radius / t_max) * torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)

    return CurveToy(
        "swissroll", draw, noise, (-radius, radius, -radius, radius),
        {"noise": noise, "radius": radius},
    )


_BUILDERS: dict[str, Callable[..., ToyDistribution]] = {
    "ring": ring,
    "grid": grid,
    "spiral": spiral,
    "moons": moons,
    "swissroll": swissroll,
}


def toy_parameters(name: str) -> dict[str, Any]:
    """Default parameters of the toy `name` (for config forms and `ganstudio info`)."""
    return make_toy(name).params()


def make_toy(name: str, **params: Any) -> ToyDistribution:
    """Build the toy distribution `name` (one of TOY_NAMES) with keyword parameters.

    Raises ConfigError for an unknown name, an unknown parameter or an invalid value.
    """
    builder = _BUILDERS.get(str(name).strip().lower()) if isinstance(name, str) else None
    if builder is None:
        raise ConfigError(
            f"Unknown toy distribution {name!r}; choose one of {', '.join(TOY_NAMES)}."
        )
    accepted = list(inspect.signature(builder).parameters)
    unknown = [key for key in params if key not in accepted]
    if unknown:
        raise ConfigError(
            f"Unknown parameter {unknown[0]!r} for toy {builder.__name__!r}; "
            f"valid parameters are {', '.join(accepted)}."
        )
    return builder(**params)


# --- validation ------------------------------------------------------------------------------------


def _check_count(n: Any) -> int:
    # __index__ accepts Python and numpy integers but not floats such as 1e3.
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise ConfigError(f"Number of samples {n!r} is not a whole number.")
    if n.__index__() < 0:
        raise ConfigError(f"Number of samples {n!r} is negative.")
    return n.__index__()


def _check_int(toy: str, key: str, value: Any, minimum: int) -> int:
    valid = not isinstance(value, bool)
    try:
        number = int(value)
        valid = valid and number == float(value) and number >= minimum
    except (TypeError, ValueError, OverflowError):
        valid = False
    if not valid:
        raise ConfigError(
            f"Parameter {key}={value!r} of toy {toy!r} must be a whole number of at least {minimum}."
        )
    return number


def _check_float(toy: str, key: str, value: Any, positive: bool) -> float:
    valid = not isinstance(value, bool)
    try:
        number = float(value)
        valid = valid and math.isfinite(number) and (number > 0 if positive else number >= 0)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        need = "a positive number" if positive else "a number of at least 0"
        raise ConfigError(f"Parameter {key}={value!r} of toy {toy!r} must be {need}.")
    return number
