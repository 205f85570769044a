"""The Monitor keeps and compares everything: every preview a run folder holds is browsable, one global
step moves the plots' marker and the samples, and Compare shows the ticked runs side by side at that step."""

import json
import threading

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


def test_the_neighbours_of_the_shown_preview_are_decoded_ahead_of_the_slider(qtbot, monitor, tmp_path, monkeypatch):
    write_image_run(tmp_path / "r", range(0, 400, 10), range(0, 400, 10), lambda s: s // 2)
    run = open_folder(qtbot, monitor, tmp_path / "r")
    files = monitor.sample_pane.files
    monitor.step_bar.slider.setValue(100)  # shows step 100, index 10
    paths = dict(run.samples)
    ahead = [paths[s] for s in (60, 70, 80, 90, 110, 120, 130, 140)]  # READ_AHEAD = 4 on each side
    qtbot.waitUntil(lambda: all(files.cached(p) for p in ahead), timeout=10000)
    assert not files.cached(paths[50]) and not files.cached(paths[150])
    # the next move shows the decoded picture without reading its file on the GUI thread
    from ganstudio.qt.monitor import samples as S

    files.shutdown()  # the reader has finished with these; the next move starts it again
    reads = []
    real_read = S.read_sample_file
    monkeypatch.setattr(S, "read_sample_file", lambda path: reads.append(path) or real_read(path))
    reader_free = threading.Event()
    monkeypatch.setattr(files, "read_ahead", lambda paths: reader_free.set())  # no reader: only GUI-thread reads
    monitor.step_bar.slider.setValue(115)
    assert monitor.sample_grid.step == 110 and int(monitor.sample_grid.image_item.image[0, 0, 0]) == 55
    assert reads == [] and reader_free.is_set()
    files.shutdown()
    assert files._reader is None or not files._reader.is_alive()


def test_a_file_the_reader_holds_is_waited_for_and_the_cache_keeps_the_newest(tmp_path):
    from ganstudio.qt.monitor import samples as S

    for i in range(6):
        Image.fromarray(np.full((300, 300, 3), i, np.uint8)).save(tmp_path / f"step_{i:07d}.png")
    paths = [tmp_path / f"step_{i:07d}.png" for i in range(6)]
    files = S.SampleFiles(size=3)
    files.read_ahead(paths)
    first = files.load(paths[0])  # read now, maybe while the reader holds it: one decoded result either way
    assert int(first["grid"][0, 0, 0]) == 0
    files.shutdown()  # stops the reader after its current file
    for p in paths:
        assert int(files.load(p)["grid"][5, 5, 1]) == int(p.stem[-1])
    assert [files.cached(p) for p in paths] == [False, False, False, True, True, True]  # 3 kept, newest used
    assert files.load({"grid": 1}) == {"grid": 1}  # a payload that is no file is given back as it is
    assert S.around([(s, s) for s in range(10)], 0, 2) == [1, 2] and S.around([(s, s) for s in range(10)], 5, 2) == [6, 4, 7, 3]


def test_compare_moves_to_another_step_without_laying_its_cells_out_again(qtbot, monitor, tmp_path):
    write_image_run(tmp_path / "a", range(0, 301, 50), (100, 200, 300), lambda s: s // 10)
    write_image_run(tmp_path / "b", range(0, 401, 50), (150, 350), lambda s: s // 10)
    open_folder(qtbot, monitor, tmp_path / "a")
    open_folder(qtbot, monitor, tmp_path / "b")
    pane = monitor.sample_pane
    pane.compare_check.setChecked(True)
    monitor.step_bar.slider.setValue(360)
    view = pane.compare_view
    images = [cell["image"] for cell in view._cells]
    assert view.shown == [("a", 300), ("b", 350)] and [int(i.image[0, 0, 0]) for i in images] == [30, 35]
    monitor.step_bar.slider.setValue(250)
    assert view.shown == [("a", 200), ("b", 150)]
    assert [cell["image"] for cell in view._cells] == images  # the same items, new pictures
    assert [int(i.image[0, 0, 0]) for i in images] == [20, 15]
    assert "step 150" in view._cells[1]["title"].text
    monitor.step_bar.slider.setValue(120)  # b has no sample that early: its cell changes kind, laid out again
    assert view.shown == [("a", 100), ("b", None)] and "no sample by step 120" in view._cells[1]["title"].text
