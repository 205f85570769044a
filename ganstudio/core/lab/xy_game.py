"""Experiment 4: the xy game, V(x, y) = x y, x minimises and y maximises (Goodfellow, NIPS 2016 tutorial,
section 8.2; Mescheder et al. 2017, "The numerics of GANs").

The equilibrium is (0, 0). Gradient dynamics in continuous time, dx/dt = -y and dy/dt = x, circle it:

    x(t) = x0 cos t - y0 sin t,   y(t) = x0 sin t + y0 cos t    (the radius never changes)

Simultaneous gradient steps of size eta, (x, y) <- (x - eta y, y + eta x), multiply the radius by exactly
sqrt(1 + eta^2) each step: they spiral outwards for every eta > 0. Alternating steps (y sees the new x)
have a step matrix of determinant 1 and stay on a closed curve for eta < 2. Consensus optimisation adds
gamma * |grad V|^2 / 2 = gamma (x^2 + y^2) / 2 to both players' losses (a gradient penalty on the game),
(x, y) <- (x - eta (y + gamma x), y + eta (x - gamma y)): radius factor sqrt((1 - eta gamma)^2 + eta^2),
below 1 when eta gamma (2 - eta gamma) > eta^2 (gamma = 1, eta = 0.1: 0.905 per step), so it converges.
"""

from __future__ import annotations

import math

import numpy as np

from ganstudio.core.lab import check_int, check_range

METHODS = ("continuous", "simultaneous", "alternating", "consensus")


def orbit(x0: float, y0: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The continuous-time solution at times t."""
    return x0 * np.cos(t) - y0 * np.sin(t), x0 * np.sin(t) + y0 * np.cos(t)


def steps(method: str, x0: float, y0: float, eta: float, n: int, gamma: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """n discrete steps (n + 1 points, the start included) of one method. Simultaneous and consensus steps
    multiply z = x + iy by a constant, (1 + i eta) and (1 - eta gamma + i eta): computed as powers."""
    if method in ("simultaneous", "consensus"):
        factor = complex(1 - eta * gamma, eta) if method == "consensus" else complex(1, eta)
        z = complex(x0, y0) * factor ** np.arange(n + 1)
        return z.real.copy(), z.imag.copy()
    xs, ys = np.empty(n + 1), np.empty(n + 1)
    x, y = float(x0), float(y0)
    xs[0], ys[0] = x, y
    for i in range(1, n + 1):
        if method == "simultaneous":
            x, y = x - eta * y, y + eta * x
        elif method == "alternating":
            x = x - eta * y
            y = y + eta * x
        elif method == "consensus":
            x, y = x - eta * (y + gamma * x), y + eta * (x - gamma * y)
        else:
            raise ValueError(method)
        xs[i], ys[i] = x, y
    return xs, ys


def radius_factor(method: str, eta: float, gamma: float = 0.0) -> float:
    """The closed-form growth of the radius per step (for alternating steps: its determinant, 1)."""
    if method == "simultaneous":
        return math.sqrt(1 + eta ** 2)
    if method == "consensus":
        return math.sqrt((1 - eta * gamma) ** 2 + eta ** 2)
    return 1.0


def experiment(x0: float = 1.0, y0: float = 0.0, eta: float = 0.1, n: int = 200, gamma: float = 1.0) -> dict:
    """The four trajectories (x, y and radius against step), the orbit sampled at t = eta * step."""
    x0 = check_range("x0", x0, -5.0, 5.0)
    y0 = check_range("y0", y0, -5.0, 5.0)
    eta = check_range("the step size eta", eta, 0.0, 1.0, low_open=True)
    gamma = check_range("the consensus weight gamma", gamma, 0.0, 10.0)
    n = check_int("the number of steps", n, 1, 5000)
    out: dict = {"x0": x0, "y0": y0, "eta": eta, "gamma": gamma, "steps": n, "step": np.arange(n + 1)}
    t = eta * np.arange(n + 1)
    for method in METHODS:
        if method == "continuous":
            x, y = orbit(x0, y0, t)
        else:
            x, y = steps(method, x0, y0, eta, n, gamma)
        out[method] = {"x": x, "y": y, "radius": np.hypot(x, y)}
        out[f"{method}_final_radius"] = float(np.hypot(x[-1], y[-1]))
    out["simultaneous_factor"] = radius_factor("simultaneous", eta)
    out["consensus_factor"] = radius_factor("consensus", eta, gamma)
    return out
