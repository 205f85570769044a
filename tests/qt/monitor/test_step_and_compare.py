"""The Monitor keeps and compares everything: every preview a run folder holds is browsable, one global
step moves the plots' marker and the samples, and Compare shows the ticked runs side by side at that step."""

import json

import numpy as np
from PIL import Image

from ganstudio.core.train.monitor_state import MAX_SAMPLE_HISTORY


def write_image_run(folder, steps, sample_steps, shade):
    """A run folder as `ganstudio train` writes it for an image run (no config: the task is set below)."""
    (folder / "samples").mkdir(parents=True)
    with open(folder / "metrics.jsonl", "w") as fh:
        for s in steps:
            fh.write(json.dumps({"step": s, "wall_time": s / 10, "d_loss": 1.0, "g_loss": 2.0}) + "\n")
    for s in sample_steps:
        Image.fromarray(np.full((6, 6, 3), shade(s), np.uint8)).save(folder / "samples" / f"step_{s:07d}.png")


def open_folder(qtbot, monitor, folder, task="image"):
    n = len(monitor.runs)
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == n + 1, timeout=30000)
    run = monitor.runs[-1]
    run.task = task
    monitor.sample_pane.show_current(force=True)
    return run


def test_every_preview_of_a_long_run_is_kept_and_the_global_step_shows_it(qtbot, monitor, tmp_path):
    n = MAX_SAMPLE_HISTORY + 100  # more than the Monitor used to keep
    write_image_run(tmp_path / "long", range(0, 10 * n, 10), range(0, 10 * n, 10), lambda s: (s // 10) % 251)
    run = open_folder(qtbot, monitor, tmp_path / "long")
    assert [s for s, _ in run.samples] == list(range(0, 10 * n, 10))
    assert monitor.history_slider.maximum() == n - 1
    bar = monitor.step_bar
    assert bar.slider.maximum() == 10 * (n - 1) and bar.label.text() == "newest"
    assert not any(line.isVisible() for line in monitor.plots_host.step_lines.values())
    bar.slider.setValue(1234)  # between two previews: the one at or before it
    assert monitor.state.step == 1234 and bar.label.text() == "step 1234"
    assert monitor.sample_grid.step == 1230 and monitor.history_label.text() == "step 1230"
    assert int(monitor.sample_grid.image_item.image[0, 0, 0]) == 123
    assert monitor.history_slider.value() == 123
    for line in monitor.plots_host.step_lines.values():
        assert line.isVisible() and line.value() == 1234
    monitor.x_combo.setCurrentIndex(monitor.x_combo.findData("wall_time"))
    assert monitor.plots_host.step_lines["lossPlot"].value() == 123.0  # wall time at step 1230
    monitor.history_slider.setValue(5)  # the history slider moves the global step too
    assert monitor.state.step == 50 and bar.slider.value() == 50 and monitor.sample_grid.step == 50
    bar.newest_button.click()
    assert monitor.state.step is None and monitor.sample_grid.step == 10 * (n - 1)
    assert not monitor.plots_host.step_lines["lossPlot"].isVisible() and not bar.newest_button.isEnabled()


def test_compare_shows_the_ticked_runs_at_the_same_step(qtbot, monitor, tmp_path):
    write_image_run(tmp_path / "a", range(0, 301, 50), (100, 200, 300), lambda s: 10)
    write_image_run(tmp_path / "b", range(0, 401, 50), (150, 350), lambda s: 20)
    write_image_run(tmp_path / "c", range(0, 401, 50), (400,), lambda s: 30)
    a, b, c = (open_folder(qtbot, monitor, tmp_path / n) for n in "abc")
    pane = monitor.sample_pane
    pane.compare_check.setChecked(True)
    assert monitor.state.compare and pane.stack.currentWidget() is pane.compare_view
    assert pane.compare_view.shown == [("a", 300), ("b", 350), ("c", 400)]
    monitor.step_bar.slider.setValue(260)
    assert pane.compare_view.shown == [("a", 200), ("b", 150), ("c", None)]
    assert pane.title.text() == "Ticked runs at step 260"
    monitor.state.set_visible(c, False)
    assert pane.compare_view.shown == [("a", 200), ("b", 150)]
    pane.compare_check.setChecked(False)
    assert pane.stack.currentWidget() is pane.grid and monitor.state.current is c
    assert monitor.sample_grid.step == 400 and monitor.history_label.text() == "step 400 (its first)"
    monitor.state.set_current(b)
    assert monitor.sample_grid.step == 150 and monitor.history_label.text() == "step 150"
