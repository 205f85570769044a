"""The Monitor's metric series without Qt: growing columns, smoothing continued row by row, CSV text."""

import csv
import io
import math
import subprocess
import sys

import numpy as np
import pytest

from ganstudio.core.train.series import GrowingArray, MetricTable, SmoothedSeries, csv_text, ema_smooth, nearest_row


def test_growing_array_keeps_its_values_across_growth():
    a = GrowingArray(capacity=4)
    for chunk in (np.arange(3.0), np.arange(3.0, 10.0), np.arange(10.0, 11.0)):
        a.extend(chunk)
    np.testing.assert_array_equal(a.view(), np.arange(11.0))
    a.pad_to(13)
    assert a.size == 13 and np.isnan(a.view()[11:]).all()


def test_metric_table_ignores_non_numbers_and_reports_touched_columns():
    t = MetricTable()
    touched = t.append([{"step": 1, "d_loss": 1.0, "kind": "scalars", "flag": True}, {"step": 2, "g_loss": math.nan}])
    assert touched == {"step", "d_loss"}  # g_loss got no finite value; strings and booleans are not columns
    assert set(t.columns) == {"step", "d_loss", "g_loss"}
    assert t.get("kind") is None and t.rows == 2


def test_extend_columns_pads_the_other_columns():
    t = MetricTable()
    t.append([{"step": 1, "d_loss": 0.5}])
    t.extend_columns({"step": np.array([2.0, 3.0]), "wall_time": np.array([0.1, 0.2])})
    assert t.rows == 3
    np.testing.assert_array_equal(t.get("step"), [1, 2, 3])
    assert np.isnan(t.get("d_loss")[1:]).all() and np.isnan(t.get("wall_time")[0])


def test_smoothed_series_equals_smoothing_everything_at_once():
    rng = np.random.default_rng(1)
    t = MetricTable()
    s = SmoothedSeries()
    for n in (5, 1, 300, 0, 40):
        t.append([{"d_loss": float(v)} for v in rng.normal(size=n)])
        got = s.update(t.get("d_loss"), 0.9)
    np.testing.assert_allclose(got, ema_smooth(t.get("d_loss"), 0.9)[0], rtol=1e-12)
    s.reset()
    assert s.view() is None
    np.testing.assert_allclose(s.update(t.get("d_loss"), 0.5), ema_smooth(t.get("d_loss"), 0.5)[0], rtol=1e-12)


def test_nearest_row():
    xs = np.array([0.0, 10.0, 20.0])
    assert [nearest_row(xs, x) for x in (-5, 4, 6, 15.1, 99)] == [0, 0, 1, 2, 2]


def test_csv_text_has_one_row_per_run_and_step():
    a, b = MetricTable(), MetricTable()
    a.append([{"step": 1, "wall_time": 0.5, "d_loss": 0.25}, {"step": 2, "wall_time": 1.0}])
    b.append([{"step": 1, "wall_time": 0.1, "critic_gap": 1 / 3}])
    rows = list(csv.reader(io.StringIO(csv_text([("a", a), ("b", b)]))))
    assert rows[0] == ["run", "step", "wall_time", "d_loss", "critic_gap"]
    assert rows[1:] == [["a", "1", "0.5", "0.25", ""], ["a", "2", "1", "", ""], ["b", "1", "0.1", "", "0.333333333"]]


def test_the_series_module_imports_neither_qt_nor_torch():
    code = ("import sys, ganstudio.core.train.series; "
            "print(sorted(m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def twema_reference(x, y, weight):
    """W&B's time-weighted EMA loop (its docs' sample code) with dx measured in the first logging interval
    instead of the plot's range; non-finite values skipped."""
    pts = [(i, xi, yi) for i, (xi, yi) in enumerate(zip(x, y)) if np.isfinite(yi)]
    ref = next(b - a for (_, a, _), (_, b, _) in zip(pts, pts[1:]) if b > a)
    num = den = 0.0
    out, prev = np.array(y, dtype=np.float64), None
    for i, xi, yi in pts:
        dx = 1.0 if prev is None or xi <= prev else (xi - prev) / ref
        adj = weight**dx
        num, den = num * adj + yi, den * adj + 1.0
        out[i] = num / den
        prev = xi
    return out


def test_time_weighted_ema_matches_hand_computed_values():
    from ganstudio.core.train.series import twema_smooth

    # weight 0.5, logged every 10 steps but step 30 is missing: the history decays by 0.5 ** 2 there.
    out, _ = twema_smooth(np.array([0.0, 10, 20, 40]), np.array([1.0, 2, 3, 4]), 0.5)
    np.testing.assert_allclose(out, [1.0, 5 / 3, 17 / 7, 81 / 23], rtol=1e-12)


@pytest.mark.parametrize("weight", [0.3, 0.6, 0.9, 0.99])
def test_time_weighted_ema_on_uneven_steps_matches_the_loop_also_when_continued(weight):
    from ganstudio.core.train.series import TWEMA_START, twema_smooth

    rng = np.random.default_rng(1)
    steps = np.cumsum(rng.choice([5, 5, 5, 10, 15, 2.5], size=2000)).astype(np.float64)
    steps[700] = steps[699]  # a step logged again counts as one interval
    y = rng.normal(3, 1, 2000)
    y[[4, 900]] = np.nan
    expected = twema_reference(steps, y, weight)
    whole, _ = twema_smooth(steps, y, weight)
    first, state = twema_smooth(steps[:777], y[:777], weight, TWEMA_START)
    rest, _ = twema_smooth(steps[777:], y[777:], weight, state)
    np.testing.assert_allclose(whole, expected, rtol=1e-9)
    np.testing.assert_allclose(np.concatenate([first, rest]), expected, rtol=1e-9)


def test_time_weighted_ema_is_tensorboards_where_steps_are_even():
    from ganstudio.core.train.series import ema_smooth, twema_smooth

    y = np.random.default_rng(2).normal(0, 1, 5000)
    steps = np.arange(5000) * 5.0
    np.testing.assert_allclose(twema_smooth(steps, y, 0.95)[0], ema_smooth(y, 0.95)[0], rtol=1e-12)


def test_time_weighted_ema_with_long_even_stretches_and_a_few_gaps_matches_the_loop():
    from ganstudio.core.train.series import twema_smooth

    rng = np.random.default_rng(3)
    steps = np.cumsum(np.where(rng.random(20000) < 0.002, rng.choice([10.0, 35.0, 500.0], 20000), 5.0))
    y = rng.normal(0, 1, 20000)
    for weight in (0.6, 0.99):
        np.testing.assert_allclose(twema_smooth(steps, y, weight)[0], twema_reference(steps, y, weight), rtol=1e-9)
