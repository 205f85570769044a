"""The monitor on its own: run folders written headless, smoothing, export, crosshair, 10^6 points."""

import csv
import json
import math
import time

import numpy as np
import pytest
from PySide6.QtGui import QImage

from ganstudio.qt.monitor.monitor import PLOTS, MetricTable, ema_smooth


def tensorboard_smooth(values, weight):
    """TensorBoard's reference loop (vz_line_chart2 resmoothDataset)."""
    last, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.05, 0.6, 0.95, 0.99])
def test_smoothing_matches_tensorboard_also_when_continued(weight):
    rng = np.random.default_rng(0)
    v = rng.normal(10, 3, 3000)
    v[[3, 700, 2999]] = np.nan
    expected = tensorboard_smooth(v, weight)
    whole, _ = ema_smooth(v, weight)
    first, state = ema_smooth(v[:1111], weight)
    rest, _ = ema_smooth(v[1111:], weight, state)
    np.testing.assert_allclose(whole, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(np.concatenate([first, rest]), expected, rtol=1e-10, atol=1e-10)


def test_metric_table_pads_missing_values():
    t = MetricTable()
    t.append([{"step": 1, "d_loss": 1.0}, {"step": 2, "d_loss": None}])
    t.append([{"step": 3, "critic_gap": 0.5}])
    assert t.rows == 3
    np.testing.assert_array_equal(t.get("step"), [1, 2, 3])
    assert np.isnan(t.get("d_loss")[1:]).all()
    assert np.isnan(t.get("critic_gap")[:2]).all() and t.get("critic_gap")[2] == 0.5


def headless_run(folder, steps=30, **overrides):
    """What `ganstudio train` writes: the same Trainer, no Qt."""
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    sets = {"train.steps": steps, "train.log_every": 5, "train.sample_every": 10, "train.eval_every": 0,
            "train.checkpoint_every": 0, "model.g_width": 32, "model.d_width": 32, **overrides}
    cfg = preset("toy-ring").with_overrides([f"{k}={v}" for k, v in sets.items()])
    trainer = Trainer(cfg, run_dir=folder)
    trainer.run()
    return trainer


def test_follow_a_run_folder_written_headless(qtbot, monitor, tmp_path):
    folder = tmp_path / "cli-run"
    headless_run(folder, steps=30)
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    run = monitor.runs[0]
    assert run.task == "toy" and run.table.rows == 6
    x, y = run.curves[("lossPlot", "d_loss")].smooth.getOriginalDataset()
    np.testing.assert_array_equal(x, [5, 10, 15, 20, 25, 30])
    assert np.isfinite(y).all()
    assert [s for s, _ in run.samples] == [10, 20, 30]
    assert monitor.toy_view.fake.data is not None and len(monitor.toy_view.fake.data) == 512
    assert len(monitor.toy_view.real.data) == 2000
    # The run is still being written: new lines and samples appear without reopening.
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 35, "wall_time": 9.0, "d_loss": 1.2, "g_loss": 0.8}) + "\n")
        fh.write('{"step": 40, "wall_ti')  # a line still being written is not read yet
    np.save(folder / "samples" / "step_0000040.npy", np.zeros((512, 2), np.float32))
    qtbot.waitUntil(lambda: run.table.rows == 7 and len(run.samples) == 4, timeout=10000)
    qtbot.waitUntil(lambda: len(run.curves[("lossPlot", "d_loss")].smooth.getOriginalDataset()[0]) == 7, timeout=10000)
    assert monitor.history_label.text() == "step 40 (newest)"
    # Scrubbing the history shows an older state.
    monitor.history_slider.setValue(0)
    assert monitor.history_label.text() == "step 10"
    assert monitor.toy_view.step == 10


def test_several_runs_overlaid_each_in_its_own_colour(qtbot, monitor, tmp_path):
    headless_run(tmp_path / "a", steps=10)
    headless_run(tmp_path / "b", steps=10, **{"train.seed": 1})
    monitor.open_run_folder(tmp_path / "a")
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    monitor.open_run_folder(tmp_path / "b")
    qtbot.waitUntil(lambda: len(monitor.runs) == 2, timeout=30000)
    a, b = monitor.runs
    assert a.color != b.color
    pen_a = a.curves[("lossPlot", "d_loss")].smooth.opts["pen"].color().name()
    pen_b = b.curves[("lossPlot", "d_loss")].smooth.opts["pen"].color().name()
    assert (pen_a, pen_b) == (a.color, b.color)
    text = monitor.readout_text("lossPlot", 5.0)
    assert "a:" in text and "b:" in text and "D loss" in text


def test_missing_folder_is_one_sentence(qtbot, monitor, tmp_path):
    with qtbot.waitSignal(monitor.error, timeout=10000) as sig:
        monitor.open_run_folder(tmp_path / "nope")
    assert sig.args[0] == f"Run folder {tmp_path / 'nope'} does not exist."


def test_smoothing_log_y_wall_time_and_export(qtbot, monitor, tmp_path):
    run = monitor.add_run("synthetic")
    steps = np.arange(1, 201, dtype=float)
    rng = np.random.default_rng(1)
    run.dirty |= run.table.extend_columns({"step": steps, "wall_time": steps * 0.5,
                                            "d_loss": 1 + rng.normal(0, 0.3, 200), "g_loss": np.exp(-steps / 50)})
    monitor.redraw()
    curve = run.curves[("lossPlot", "d_loss")]
    monitor.set_smoothing(0.9)
    smoothed = curve.smooth.getOriginalDataset()[1]
    raw = curve.raw.getOriginalDataset()[1]
    assert np.std(np.diff(smoothed)) < 0.3 * np.std(np.diff(raw))  # the bold curve is smoother
    assert curve.raw.opts["pen"].color().alpha() < curve.smooth.opts["pen"].color().alpha()  # raw is faint
    monitor.set_smoothing(0.0)
    np.testing.assert_array_equal(curve.smooth.getOriginalDataset()[1], raw)
    assert not curve.raw.isVisible()
    monitor.set_log_y(True)
    assert monitor.plots["lossPlot"].getPlotItem().ctrl.logYCheck.isChecked()
    monitor.set_x_mode("wall_time")
    assert curve.smooth.getOriginalDataset()[0][-1] == 100.0
    text = monitor.readout_text("lossPlot", 50.0)
    assert "step 100" in text and "G loss" in text
    csv_path = monitor.export_csv(tmp_path / "m.csv")
    rows = list(csv.reader(open(csv_path)))
    assert rows[0][:3] == ["run", "step", "wall_time"] and len(rows) == 201
    png = monitor.export_png(tmp_path / "p.png")
    image = QImage(str(png))
    assert image.width() == 2 * monitor.plots_host.width() and image.height() > 100


def test_a_million_points_stay_responsive(qtbot, monitor, capsys):
    """Not a timing assert: prints the redraw time for docs/BENCHMARKS.md."""
    n = 1_000_000
    run = monitor.add_run("big")
    steps = np.arange(1, n + 1, dtype=float)
    rng = np.random.default_rng(0)
    cols = {"step": steps, "wall_time": steps / 300.0}
    for name in ("d_loss", "g_loss", "sliced_w", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "lr_g", "lr_d"):
        cols[name] = rng.normal(1, 0.2, n)
    run.dirty |= run.table.extend_columns(cols)
    t0 = time.perf_counter()
    monitor.redraw(force=True)  # smoothing + setData of every curve of 10^6 points
    monitor.plots_host.grab()  # forces the repaint (downsampled, clipped to view)
    first = time.perf_counter() - t0
    # Live: 1,000 more points arrive; a timer tick refreshes one plot (setData + repaint)...
    more = {k: v[:1000] + (n if k == "step" else 0) for k, v in cols.items()}
    run.dirty |= run.table.extend_columns(more)
    t0 = time.perf_counter()
    monitor.redraw()
    refreshed = PLOTS[monitor._last_refreshed][0]
    monitor.plots[refreshed].grab()
    tick = time.perf_counter() - t0
    # ...and all six at once (what a forced refresh costs).
    t0 = time.perf_counter()
    monitor.redraw(force=True)
    monitor.plots_host.grab()
    everything = time.perf_counter() - t0
    assert len(run.curves[("lossPlot", "d_loss")].raw.getOriginalDataset()[0]) == n + 1000
    fed = sum(1 + monitor._shows_raw(c.metric) for c in run.curves.values())
    with capsys.disabled():
        print(f"\n[benchmark] 10^6 points, {fed} plot items: first draw {first * 1000:.0f} ms; +1000 points: "
              f"one-plot tick {tick * 1000:.0f} ms, all plots {everything * 1000:.0f} ms")


def test_removing_the_selected_run_shows_the_one_that_takes_its_row(qtbot, monitor):
    a = monitor.add_run("a", task="image")
    b = monitor.add_run("b", task="image")
    monitor.add_progress({"samples": [(10, {"grid": np.zeros((4, 4, 3), np.uint8)})]}, run=b)
    monitor.run_list.setCurrentRow(0)
    assert monitor.current is a and monitor.history_label.text() == "no samples yet"
    monitor.remove_current_run()
    assert monitor.runs == [b] and monitor.current is b and monitor.run_list.currentRow() == 0
    assert monitor.history_label.text() == "step 10 (newest)" and monitor.sample_grid.step == 10


def test_a_followed_toy_run_shows_ds_heat_map_and_gs_gradient_or_says_why_not(qtbot, monitor, tmp_path):
    """They were drawn only for the live run: a folder kept the points alone, and the two layer boxes did
    nothing. Now each preview keeps its field beside its points; an older folder says why they are off."""
    from ganstudio.core.train.monitor_state import read_toy_field, toy_field_path

    folder = tmp_path / "cli-run"
    headless_run(folder, steps=20)
    last = folder / "samples" / "step_0000020.npy"
    field = read_toy_field(last)
    assert field["field"].shape == (40, 40) and field["arrow_points"].shape == (200, 2)
    assert ((0 <= field["field"]) & (field["field"] <= 1)).all()  # D's probabilities (toy-ring: logits)
    toy_field_path(folder / "samples" / "step_0000010.npy").unlink()  # as an older GAN Studio wrote it
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    view, boxes = monitor.toy_view, monitor.sample_pane.layer_boxes
    qtbot.waitUntil(lambda: view.step == 20, timeout=10000)
    assert view.heat.isVisible() and view.heat.image.shape == (40, 40)
    assert len(view.arrows.xData) == 400 and boxes["heat"].isEnabled() and boxes["arrows"].isEnabled()
    boxes["heat"].setChecked(False)
    assert not view.heat.isVisible()
    monitor.sample_pane.history_slider.setValue(0)  # step 10: its field file is gone
    qtbot.waitUntil(lambda: view.step == 10, timeout=10000)
    assert not view.heat.isVisible() and (view.arrows.xData is None or len(view.arrows.xData) == 0)
    assert not boxes["heat"].isEnabled() and "keeps only the points" in boxes["heat"].toolTip()
    monitor.sample_pane.history_slider.setValue(1)  # back to step 20: the user's unticked heat map stays off
    qtbot.waitUntil(lambda: view.step == 20, timeout=10000)
    assert not view.heat.isVisible() and boxes["heat"].isEnabled()
    boxes["heat"].setChecked(True)
    assert view.heat.isVisible()
    monitor.sample_pane.history_slider.setValue(0)
    qtbot.waitUntil(lambda: view.step == 10, timeout=10000)
    assert not boxes["heat"].isEnabled() and "keeps only the points" in boxes["heat"].toolTip()


def test_coming_back_to_the_monitor_shows_every_plot_at_the_same_step(qtbot, monitor):
    """Hidden, it skips its refresh; shown again, all plots catch up at once (one per tick left them at
    different steps for seconds)."""
    monitor.begin_live_run({"name": "live", "task": "toy"})

    def feed(first, last):
        rows = [{"step": s, "wall_time": 0.01 * s, "d_loss": 1.0, "g_loss": 0.7, "d_real": 0.6, "d_fake": 0.4,
                 "grad_norm_d": 1.0, "grad_norm_g": 0.5, "lr_g": 2e-4, "lr_d": 2e-4, "it_s": 50.0}
                for s in range(first, last + 1, 10)]
        monitor.add_progress({"scalars": rows, "samples": [], "evals": []})

    feed(10, 100)
    monitor.redraw(force=True)
    monitor.hide()
    feed(110, 2200)
    for _ in range(6):
        monitor.redraw()  # hidden: nothing pushed
    monitor.show()
    qtbot.waitExposed(monitor)

    def newest_x():
        return {key: curve.smooth.getOriginalDataset()[0][-1] for key, curve in monitor.live_run.curves.items()
                if curve.smooth.getOriginalDataset()[0] is not None}

    qtbot.waitUntil(lambda: set(newest_x().values()) == {2200}, timeout=5000)
    assert {key for key, _m in newest_x()} >= {"lossPlot", "dOutputPlot", "gradNormPlot", "lrPlot", "speedPlot"}


def test_the_refresh_interval_keeps_to_a_smaller_budget_while_the_apps_own_run_trains(qtbot, monitor):
    """The tick interval is what the last refresh cost (push + paint) over the budget: 5 % of the GUI
    thread for followed folders, 2 % while the app's trainer shares the process (and its GIL)."""
    from ganstudio.qt.monitor import monitor as monitor_module

    def interval_after(paint_s):
        monitor.paint_clock[0] = paint_s
        monitor.redraw()
        return monitor._redraw_timer.interval(), monitor.last_cost_ms

    interval, cost = interval_after(0.01)
    assert interval == int(min(2000, max(monitor_module.REDRAW_MS, cost / monitor_module.REDRAW_BUDGET)))
    monitor.begin_live_run({"name": "live", "task": "toy"})
    interval, cost = interval_after(0.01)
    assert interval == int(min(2000, max(monitor_module.REDRAW_MS, cost / 0.02))) and interval >= 500
    monitor.end_live_run()
    interval, cost = interval_after(0.01)
    assert interval == int(min(2000, max(monitor_module.REDRAW_MS, cost / 0.05)))
