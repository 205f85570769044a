"""The Lab: the lectures' small experiments, Qt-free (closed forms, exact numerical integrals and small
sample-based estimates). One module per experiment; every function returns a plain dict of numbers and
numpy arrays whose keys are named as the Lab area and `ganstudio lab NAME --json` show them.

`EXPERIMENTS` lists the experiments in the order the area and the CLI show them.
"""

from __future__ import annotations

from ganstudio.core.errors import GanStudioError

EXPERIMENTS = ("distances", "optimal-d", "costs", "xy", "cournot", "collapse", "supports")


class LabError(GanStudioError):
    """A Lab setting outside the range an experiment takes (one sentence naming the value)."""


def check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> float:
    """`value` as a float when low <= value <= high (low < value with low_open); else one LabError sentence."""
    import math

    v = float(value)
    ok = math.isfinite(v) and (v > low if low_open else v >= low) and v <= high
    if not ok:
        bound = f"more than {low:g} and at most {high:g}" if low_open else f"from {low:g} to {high:g}"
        raise LabError(f"{name} must be {bound}, not {value!r}.")
    return v


def check_int(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or int(value) != value or not low <= int(value) <= high:
        raise LabError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")
    return int(value)
