"""`ganstudio bench`'s GUI section on real widgets with tiny counts: every measurement yields numbers, and a
measurement that breaks is recorded as an error while the others go on. No timing asserts (benchmarks
are not tests): the numbers only have to be real (positive, finite, counted)."""

import math

from ganstudio.bench import gui


def _is_stats(s, n=None):
    assert set(s) >= {"n", "p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert s["n"] >= 1 if n is None else s["n"] == n
    assert 0 <= s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] <= s["max_ms"] and math.isfinite(s["max_ms"])
    return True


def test_monitor_redraw_numbers(qtbot):
    out = gui.measure_monitor(True, sizes=(10_000,))
    r = out["10000"]
    assert "error" not in r, r
    assert r["points"] == 10_000 and r["plot_items"] > 6
    assert r["first_draw_ms"] > 0 and r["all_plots_ms"] > 0 and _is_stats(r["tick"], n=6)
    assert out["met"] is None  # the target is stated at 10^6 points only


def test_gui_overhead_and_event_loop_while_training(qtbot):
    overhead, loop = gui.measure_training_gui(True, steps=60, repeats=1, idle_s=0.2)
    assert overhead["steps"] == 60 and len(overhead["headless_steps_s"]) == len(overhead["gui_steps_s"]) == 1
    assert overhead["headless_median"] > 0 and overhead["gui_median"] > 0
    assert abs(overhead["ratio"] - overhead["gui_median"] / overhead["headless_median"]) < 0.01
    assert isinstance(overhead["met"], bool)
    assert loop["interval_ms"] == 10 and _is_stats(loop["while_training"]) and _is_stats(loop["idle"])
    assert loop["while_training"]["n"] >= 10  # a 10 ms timer kept firing for the whole GUI run


def test_sketch_pen_latency_and_first_picture_of_a_fresh_process(qtbot, tmp_path):
    out = gui.measure_sketch(True, folder=tmp_path, strokes=2)
    r = out["cpu default"]
    assert "error" not in r, r
    assert _is_stats(r, n=2) and r["mode"] in ("eval", "reference") and r["device"] == "cpu"
    assert r["painted_p50_ms"] >= 0 and "unet_small" in out["model"]  # the bundled sketch model's shape
    assert r["render_p50_ms"] is None or r["render_p50_ms"] > 0  # None: every stroke's last preview had it all
    model, _ = gui.sketch_model(tmp_path)  # the checkpoint made above is reused
    first = gui.launch_first_image(model if gui.bundled_sketch_model() is None else None, str(tmp_path))
    assert 0 < first["window_shown_s"] < first["first_image_s"]
    assert first["shown_in"] == "main window, Sketch area shown first"  # a first launch opens on Sketch


def test_explorer_slider_and_grid_latency(qtbot):
    out = gui.measure_explorer(True, ngfs=(32,), moves=3, grids=2, drag_moves=5)
    r = out["ngf 32"]
    assert "error" not in r, r
    assert _is_stats(r["slider_to_view"], n=3) and _is_stats(r["grid16"], n=2)
    assert _is_stats(r["forward_b1"]) and _is_stats(r["forward_b16"])
    assert r["drag_60hz"]["moves"] == 5 and 1 <= r["drag_60hz"]["renders"] <= 5
    assert isinstance(out["met_slider"], bool) and isinstance(out["met_grid"], bool)


def test_startup_of_the_app_process(qtbot):
    out = gui.measure_startup(True, runs=1, first_image=False)
    assert 0 < out["window_shown_s"] < out["engine_ready_s"]
    train = out["opening_on_train"]
    assert 0 < train["window_shown_s"] < train["engine_ready_s"] and len(train["launches"]) == 1
    assert out["attempts"] == 2 + len(out["failed_launches"])
    assert "ticks of 20 ms" in out["gui_timer_while_engine_loads"]


def test_a_failing_measurement_is_recorded_and_the_rest_goes_on(qtbot, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("the monitor is on fire")

    monkeypatch.setattr(gui, "measure_monitor", broken)
    monkeypatch.setattr(gui, "measure_explorer", lambda quick, progress: {"ran": True})
    out = gui.run(quick=True, only=("monitor", "explorer"))
    assert out["monitor"]["error"] == "ValueError: the monitor is on fire" and out["monitor"]["seconds"] >= 0
    assert out["explorer"]["ran"] is True
    assert out["environment"]["qt_platform"] == "offscreen" and "gui_overhead" not in out
