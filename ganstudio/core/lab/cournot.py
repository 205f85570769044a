"""Experiment 5: a game from economics, the Cournot duopoly.

Two firms choose quantities q1, q2 >= 0; the price is A - q1 - q2 and firm i's unit cost c_i, so its profit
is u_i = q_i (A - c_i - q1 - q2). Each firm's best response to the other is BR_i(q_j) = max(0, (A - c_i - q_j) / 2)
and the Nash equilibrium (both best-respond) is

    q1* = (A - 2 c1 + c2) / 3,   q2* = (A - 2 c2 + c1) / 3.

Best-response dynamics (simultaneous or alternating) contract towards it by a factor 1/2 per step. Gradient
play, q_i <- q_i + eta du_i/dq_i = q_i + eta (A - c_i - 2 q_i - q_j), has the step matrix
[[1 - 2 eta, -eta], [-eta, 1 - 2 eta]] with eigenvalues 1 - eta and 1 - 3 eta: it converges for
0 < eta < 2/3, unlike the same gradient play on the xy game (whose eigenvalues 1 +- i eta lie outside
the unit circle): here each player's own payoff is concave in its own quantity.
"""

from __future__ import annotations

import numpy as np

from ganstudio.core.lab import LabError, check_int, check_range

RULES = ("best-response", "alternating", "gradient")


def equilibrium(A: float, c1: float, c2: float) -> tuple[float, float]:
    return (A - 2 * c1 + c2) / 3, (A - 2 * c2 + c1) / 3


def profits(q1, q2, A: float, c1: float, c2: float):
    price = A - q1 - q2
    return q1 * (price - c1), q2 * (price - c2)


def check_market(A: float, c1: float, c2: float) -> tuple[float, float, float]:
    A = check_range("the demand intercept A", A, 0.0, 1000.0, low_open=True)
    c1 = check_range("the cost c1", c1, 0.0, 1000.0)
    c2 = check_range("the cost c2", c2, 0.0, 1000.0)
    q1, q2 = equilibrium(A, c1, c2)
    if q1 <= 0 or q2 <= 0:
        raise LabError(f"with A = {A:g}, c1 = {c1:g} and c2 = {c2:g} a firm produces nothing at the equilibrium "
                       f"(q1* = {q1:g}, q2* = {q2:g}); make A larger than 2 c_i - c_j for both firms.")
    return A, c1, c2


def play(rule: str, A: float, c1: float, c2: float, q1: float, q2: float, n: int, eta: float = 0.1):
    """n steps of one rule from (q1, q2); arrays of n + 1 quantities each."""
    br = lambda c, other: max(0.0, (A - c - other) / 2)  # noqa: E731
    out1, out2 = [q1], [q2]
    for _ in range(n):
        if rule == "best-response":
            q1, q2 = br(c1, q2), br(c2, q1)
        elif rule == "alternating":
            q1 = br(c1, q2)
            q2 = br(c2, q1)
        elif rule == "gradient":
            q1, q2 = (max(0.0, q1 + eta * (A - c1 - 2 * q1 - q2)), max(0.0, q2 + eta * (A - c2 - 2 * q2 - q1)))
        else:
            raise LabError(f"the step rule must be one of {', '.join(RULES)}, not {rule!r}.")
        out1.append(q1)
        out2.append(q2)
    return np.array(out1), np.array(out2)


def experiment(A: float = 10.0, c1: float = 1.0, c2: float = 2.0, q1: float = 0.0, q2: float = 8.0,
               rule: str = "gradient", eta: float = 0.1, n: int = 60) -> dict:
    """The best-response lines, the path of the chosen rule and of the others, and the equilibrium."""
    A, c1, c2 = check_market(A, c1, c2)
    q1 = check_range("the start q1", q1, 0.0, A)
    q2 = check_range("the start q2", q2, 0.0, A)
    eta = check_range("the step size eta", eta, 0.0, 1.0, low_open=True)
    n = check_int("the number of steps", n, 1, 5000)
    if rule not in RULES:
        raise LabError(f"the step rule must be one of {', '.join(RULES)}, not {rule!r}.")
    s1, s2 = equilibrium(A, c1, c2)
    grid = np.linspace(0.0, A, 101)
    out: dict = {"A": A, "c1": c1, "c2": c2, "rule": rule, "eta": eta, "steps": n, "q1_star": s1, "q2_star": s2,
                 "grid": grid, "br1": np.maximum(0.0, (A - c1 - grid) / 2), "br2": np.maximum(0.0, (A - c2 - grid) / 2)}
    for r in RULES:
        p1, p2 = play(r, A, c1, c2, q1, q2, n, eta)
        u1, u2 = profits(p1, p2, A, c1, c2)
        out[r] = {"q1": p1, "q2": p2, "u1": u1, "u2": u2, "distance": np.hypot(p1 - s1, p2 - s2)}
    out["q1_final"] = float(out[rule]["q1"][-1])
    out["q2_final"] = float(out[rule]["q2"][-1])
    return out
