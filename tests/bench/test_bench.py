"""`ganstudio bench`: the training section end to end on the toy case, and the table a user reads.

Benchmarks are not tests: nothing here asserts a time, only that the command measures something real
(positive, finite rates) and reports it in the JSON and the table.
"""

import json
import math

import pytest

from ganstudio import cli
from ganstudio.bench import format_table, training


@pytest.fixture
def toy_only(monkeypatch):
    """The real training section, with its case list cut to the toy MLP (the images cases take minutes)."""
    real_cases = training.cases

    def cases(device, root):
        return [c for c in real_cases(device, root) if c.name.startswith("toy")]

    monkeypatch.setattr(training, "cases", cases)


def test_bench_training_quick_writes_json_and_table(toy_only, tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert cli.main(["bench", "--quick", "--only", "training", "--device", "cpu", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["quick"] is True and "gui" not in report
    assert {"cpu", "cores", "torch"} <= set(report["machine"])
    tr = report["training"]
    assert tr["device"].startswith("CPU") and tr["matmul_peak_flops_s"] > 0
    (case,) = tr["cases"]
    assert case["case"].startswith("toy") and case["variant"] == "fp32"
    for key in ("plain_steps_s", "trainer_steps_s", "ratio", "images_s", "flops_per_step", "achieved_flops_s",
                "fraction_of_peak"):
        assert math.isfinite(case[key]) and case[key] > 0, key
    assert case["ratio"] == pytest.approx(case["trainer_steps_s"] / case["plain_steps_s"])
    table = capsys.readouterr().out
    assert "training throughput on CPU" in table and case["case"] in table and f"{case['ratio']:5.2f}x" in table


def _gui_report():
    stats = {"n": 100, "p50_ms": 1.5, "p95_ms": 9.0, "p99_ms": 20.0, "max_ms": 80.0}
    return {
        "machine": {"cpu": "Test CPU", "cores": 2, "gpu": None, "torch": "2.x"},
        "seconds": 12.0,
        "gui": {
            "environment": {"qt_platform": "offscreen", "torch_threads": 1, "load_before": 0.5, "load_after": 0.6},
            "gui_overhead": {"preset": "toy-ring", "steps": 300, "repeats": 1, "headless_median": 100.0,
                             "gui_median": 97.0, "ratio": 0.97, "met": True},
            "event_loop": {"interval_ms": 10, "while_training": stats, "idle": stats, "met": True},
            "sketch": {"error": "RuntimeError: the Sketch area did not show a first picture: timeout"},
            "explorer": {"ngf 64": {"slider_to_view": stats, "grid16": stats, "drag_60hz": stats,
                                    "forward_b1": stats, "forward_b16": stats},
                         "met_slider": True, "met_grid": False},
            "startup": {"runs": 1, "window_shown_s": 0.7, "window_shown_process_age_s": 0.69, "engine_ready_s": 4.2,
                        "opening_on_train": {"window_shown_s": 0.4, "window_shown_process_age_s": 0.39,
                                             "engine_ready_s": 3.1},
                        "first_sketch_picture": {"error": "RuntimeError: no first picture reported"}},
            "monitor": {"1000000": {"first_draw_ms": 1200.0, "tick": stats, "all_plots_ms": 300.0}, "met": False},
            "lab": {"first_open_ms": 900.0, "xy": {"redraw": stats, "painted": stats},
                    "collapse": {"error": "RuntimeError: boom"}, "met": True},
        },
    }


def test_table_shows_every_gui_number_and_each_failed_measurement():
    table = format_table(_gui_report())
    assert "ratio 0.970  [target met]" in table
    assert "late while training: p50 1.5 / p99 20.0 / max 80.0 ms" in table
    assert "Sketch               error: RuntimeError: the Sketch area did not show a first picture" in table
    assert "ngf 64: slider -> view p50 1.5 / p95 9.0 ms" in table and "grid  [target MISSED]" in table
    assert "opening on Sketch: window shown 0.70 s" in table and "opening on Train: window shown 0.40 s" in table
    assert "first Sketch picture: error: RuntimeError" in table
    assert "1,000,000 points: first draw 1200 ms" in table
    assert "first open 900 ms" in table and "xy: p50 1.5 / max 80.0 ms (p50 1.5 / max 80.0 ms)" in table
    assert "collapse: error: RuntimeError: boom" in table


def test_table_survives_a_section_it_does_not_know_the_shape_of():
    report = _gui_report()
    report["gui"]["explorer"] = {"ngf 64": {"slider_to_view": "not a dict"}}
    table = format_table(report)
    assert "Explore" in table and "not a dict" in table  # shown raw, not a crash


def test_the_lab_section_moves_a_control_of_each_experiment_and_times_it(qtbot):
    from ganstudio.bench.gui.lab import measure_lab
    from ganstudio.qt.lab.area import PANELS

    r = measure_lab(quick=True)
    for key, _label, _cls in PANELS:
        assert r[key]["redraw"]["n"] == 12 and r[key]["painted"]["p50_ms"] >= r[key]["redraw"]["p50_ms"]
    assert r["first_open_ms"] > 0 and isinstance(r["met"], bool)
