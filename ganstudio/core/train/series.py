"""The Monitor's metric series, without Qt: numpy columns that grow as records arrive, TensorBoard's
smoothing and the CSV text of every run.

Records (dicts, as written to metrics.jsonl) are appended to a `MetricTable` of growing float64 columns, one
per metric, with the `step` and `wall_time` axes among them; a missing value is NaN. `SmoothedSeries` keeps
the smoothed copy of one column and smooths only the rows that arrived since it was last read, with the
time-weighted debiased EMA of `twema_smooth` (TensorBoard's EMA where the steps are evenly spaced). numpy only:
no Qt, no torch (the GUI's monitor draws these columns; tests read them directly).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

X_AXES = ("step", "wall_time")  # the two x axes a plot can use; both are columns of every run


class GrowingArray:
    """A float64 column that grows by doubling (amortised O(1) append); `view()` is the live slice."""

    def __init__(self, capacity: int = 1024):
        self._data = np.empty(capacity)  # only [:size] is ever read
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        n = len(values)
        need = self.size + n
        if need > len(self._data):
            cap = max(need, 2 * len(self._data))
            grown = np.empty(cap)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size: need] = values
        self.size = need

    def pad_to(self, size: int) -> None:
        if size > self.size:
            self.extend(np.full(size - self.size, np.nan))

    def view(self) -> np.ndarray:
        return self._data[: self.size]


class MetricTable:
    """Columns of numbers keyed by name, one row per record; a missing value is NaN."""

    def __init__(self):
        self.columns: dict[str, GrowingArray] = {}
        self.rows = 0

    def append(self, records: list[dict[str, Any]]) -> set[str]:
        """Append records; returns the names of the columns that got a finite value."""
        if not records:
            return set()
        keys: set[str] = set()
        for r in records:
            keys.update(k for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
        touched = set()
        for k in keys:
            col = self.columns.get(k)
            if col is None:
                col = self.columns[k] = GrowingArray()
                col.pad_to(self.rows)
            values = np.array([_number(r.get(k)) for r in records], dtype=np.float64)
            col.extend(values)
            if np.isfinite(values).any():
                touched.add(k)
        self.rows += len(records)
        for col in self.columns.values():
            col.pad_to(self.rows)
        return touched

    def extend_columns(self, columns: dict[str, np.ndarray]) -> set[str]:
        """Append whole columns at once (fast path for big files and benchmarks)."""
        n = len(next(iter(columns.values())))
        for k, values in columns.items():
            col = self.columns.get(k)
            if col is None:
                col = self.columns[k] = GrowingArray(max(1024, n))
                col.pad_to(self.rows)
            col.extend(np.asarray(values, dtype=np.float64))
        self.rows += n
        for col in self.columns.values():
            col.pad_to(self.rows)
        return {k for k, v in columns.items() if np.isfinite(v).any()}

    def get(self, name: str) -> np.ndarray | None:
        col = self.columns.get(name)
        return col.view() if col is not None else None


def _number(v: Any) -> float:
    if v is None or isinstance(v, bool):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def smooth_block_size(weight: float) -> int:
    # Largest block for which weight**-block stays below 1e6, so the in-block sums keep their precision.
    return max(1, int(6.0 / -math.log10(weight)))


def ema_smooth(values: np.ndarray, weight: float, state: tuple[float, int] = (0.0, 0)) -> tuple[np.ndarray, tuple[float, int]]:
    """TensorBoard's debiased exponential moving average; returns (smoothed, state to continue from).

    Non-finite values are passed through and do not update the average (as TensorBoard does).
    Vectorised in blocks: within a block the recurrence is a scaled cumulative sum, and only one carry
    per block is computed in Python, so a million points take a few milliseconds.
    """
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    last, count = state
    if weight <= 0.0 or len(values) == 0:
        finite = values[np.isfinite(values)]
        if len(finite):
            last, count = float(finite[-1]), count + len(finite)
        return out, (last, count)
    weight = min(weight, 0.999999)
    mask = np.isfinite(values)
    x = values[mask]
    n = len(x)
    if n == 0:
        return out, state
    block = min(smooth_block_size(weight), n)
    nb = -(-n // block)
    padded = np.zeros(nb * block)
    padded[:n] = x
    X = padded.reshape(nb, block)
    j = np.arange(block)
    up = weight ** -j.astype(np.float64)
    down = weight ** j.astype(np.float64)
    # local[k, j] = (1 - w) * sum_{i <= j} w^(j - i) x[k, i]: the average within a block started from 0.
    local = (1.0 - weight) * np.cumsum(X * up, axis=1) * down
    # The average carried into block k: c_k = W^k c_0 + sum_{m<k} W^(k-1-m) end_m with W = w^block <= 1e-6,
    # so four terms of the sum are exact to double precision; no Python loop over blocks.
    wb = weight ** block
    ends = local[:, -1]
    carries = last * wb ** np.arange(nb, dtype=np.float64)
    for d in range(4):
        if d + 1 < nb + 1:
            carries[d + 1:] += wb ** d * ends[: nb - d - 1]
    ema = (local + np.outer(carries, weight * down)).ravel()[:n]
    # Debiasing 1 - w^count is 1 to double precision once w^count < 1e-17.
    debias = np.ones(n)
    head = min(n, int(math.ceil(17.0 / -math.log10(weight))) + 1)
    debias[:head] = 1.0 - weight ** (count + np.arange(1, head + 1, dtype=np.float64))
    smoothed = ema / debias
    out[mask] = smoothed
    return out, (float(ema[-1]), count + n)


VECTOR_RUN = 64  # evenly spaced stretches at least this long are smoothed vectorised
TWEMA_START = (0.0, 1.0, None, None)  # (ema, q, x of the last finite point, reference spacing)


def twema_smooth(x: np.ndarray | None, values: np.ndarray, weight: float,
                 state: tuple[float, float, float | None, float | None] = TWEMA_START) -> tuple[np.ndarray, tuple]:
    """A debiased exponential moving average weighted by the spacing of x (W&B's time-weighted EMA, TWEMA);
    returns (smoothed, state to continue from).

    Each point has weight 1 and the history before it decays by a = weight ** (dx / ref), where dx is its x
    distance from the previous finite point and ref the series' first such distance (its logging interval):
    smoothed_i = sum_k (prod_{k<j<=i} a_j) y_k / sum_k (prod_{k<j<=i} a_j). A gap of two intervals thus decays
    the history like two steps, not one, so thinly logged stretches are not over-smoothed. Where the points
    are evenly spaced every a is `weight` and this is exactly TensorBoard's debiased EMA (`ema_smooth`), whose
    vectorised recurrence computes those stretches. W&B scales dx by the plot's x range instead, which
    re-smooths the whole history as a run grows; the logging interval keeps what is drawn fixed. A dx <= 0 (a
    step logged again) counts as one interval. Non-finite values are passed through and do not update the
    average; x None: evenly spaced.

    State: ema = (1 - w) * sum of the weighted values, and q with 1 - q = (1 - w) * sum of the weights (q is
    w ** count for evenly spaced points, TensorBoard's debiasing term).
    """
    values = np.asarray(values, dtype=np.float64)
    ema, q, last_x, ref = state
    out = values.copy()
    finite = np.isfinite(values)
    if x is None:
        x = np.arange(len(values), dtype=np.float64) + (0.0 if last_x is None else last_x + 1.0)
        ref = 1.0
    x = np.asarray(x, dtype=np.float64)
    out[finite & ~np.isfinite(x)] = np.nan  # no x: not placed, not counted
    idx = np.flatnonzero(finite & np.isfinite(x))
    if not len(idx):
        return out, state
    if weight <= 0.0:
        return out, (float(values[idx[-1]]), 0.0, float(x[idx[-1]]), ref)
    w = min(weight, 0.999999)
    xs, ys = x[idx], values[idx]
    dx = np.diff(xs, prepend=xs[0] if last_x is None else last_x)
    if ref is None:
        positive = dx[dx > 0]
        ref = float(positive[0]) if len(positive) else None
    ratio = np.ones(len(xs)) if ref is None else np.where(dx > 0, dx / ref, 1.0)
    uneven = np.flatnonzero(np.abs(ratio - 1.0) > 1e-9)
    smoothed = np.empty(len(ys))
    start = 0
    for i in [*uneven.tolist(), len(ys)]:
        if i - start >= VECTOR_RUN:  # a long evenly spaced stretch: TensorBoard's recurrence, vectorised
            n = i - start  # (count inf: ema_smooth does not debias; q does it here)
            raw, _ = ema_smooth(ys[start:i], w, (ema, math.inf))
            head = min(n, int(math.ceil(17.0 / -math.log10(w))) + 1)  # past it q * w**k < 1e-17
            smoothed[start:i] = raw
            smoothed[start:start + head] /= 1.0 - q * w ** np.arange(1, head + 1, dtype=np.float64)
            ema, q = float(raw[-1]), q * w**n
            start = i
        stop = min(i + 1, len(ys))
        if stop > start:  # the uneven point and the short even stretch before it, one by one
            for j, (y, a) in enumerate(zip(ys[start:stop].tolist(), (w ** ratio[start:stop]).tolist()), start):
                ema = ema * a + (1.0 - w) * y
                q = w - a + a * q
                smoothed[j] = ema / (1.0 - q)
        start = i + 1
    out[idx] = smoothed
    return out, (float(ema), float(q), float(xs[-1]), ref)


class SmoothedSeries:
    """The smoothed copy of one column, extended only by the rows added since the last `update`."""

    def __init__(self):
        self.values: GrowingArray | None = None
        self.state: tuple = TWEMA_START
        self.rows_done = 0

    def reset(self) -> None:
        """Forget the smoothed values (the weight changed); the next `update` smooths from the start."""
        self.values, self.state, self.rows_done = None, TWEMA_START, 0

    def update(self, y: np.ndarray, weight: float, x: np.ndarray | None = None) -> np.ndarray:
        """Smoothed `y` with `weight`, time-weighted by `x` (the step column; None: evenly spaced); only rows
        beyond the last call are computed (O(new rows))."""
        rows = len(y)
        if self.values is None or self.rows_done > rows:
            self.values, self.state, self.rows_done = GrowingArray(max(1024, rows * 3 // 2)), TWEMA_START, 0
        if rows > self.rows_done:
            new, self.state = twema_smooth(None if x is None else x[self.rows_done:rows], y[self.rows_done:],
                                           weight, self.state)
            self.values.extend(new)
            self.rows_done = rows
        return self.values.view()

    def view(self) -> np.ndarray | None:
        return self.values.view() if self.values is not None else None


def nearest_row(xs: np.ndarray, x: float) -> int:
    """The row whose x is nearest to `x` (xs ascending, not empty)."""
    i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
    if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
        i -= 1
    return i


def csv_columns(tables: Iterable[MetricTable]) -> list[str]:
    """`step`, `wall_time`, then every other column in the order the runs first logged it."""
    names: list[str] = list(X_AXES)
    for table in tables:
        names += [k for k in table.columns if k not in names]
    return names


def write_csv(fh, runs: Iterable[tuple[str, MetricTable]]) -> None:
    """Every logged value of every (name, table) run, one row per run and step; missing values empty."""
    runs = list(runs)
    names = csv_columns(t for _n, t in runs)
    w = csv.writer(fh)
    w.writerow(["run", *names])
    for name, table in runs:
        cols = [table.get(k) for k in names]
        for i in range(table.rows):
            w.writerow([name, *("" if c is None or not math.isfinite(c[i]) else f"{c[i]:.9g}" for c in cols)])


def csv_text(runs: Iterable[tuple[str, MetricTable]]) -> str:
    """The CSV export of `write_csv` as a string."""
    out = io.StringIO(newline="")
    write_csv(out, runs)
    return out.getvalue()
