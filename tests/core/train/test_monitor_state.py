"""The Monitor's state without Qt: runs and their colours, visibility, the current run and its sample index,
the live run, followed run folders, smoothing and the axes; every change announced once."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.train.monitor_state import MAX_SAMPLE_HISTORY, MonitorEvents, MonitorState
from ganstudio.core.train.runlog import load_run_folder

PALETTE = ("#111111", "#222222", "#333333")


@pytest.fixture
def state():
    return MonitorState(PALETTE)


@pytest.fixture
def heard(state):
    """Every event of the state, as (name, args), in order."""
    log = []
    for name in MonitorEvents.NAMES:
        state.events[name].connect(lambda *args, n=name: log.append((n, args)))
    return log


def names(heard):
    return [n for n, _ in heard]


def test_colours_are_distinct_stable_and_reused_after_a_removal(state):
    a, b, c = (state.add_run(n) for n in "abc")
    assert [a.color, b.color, c.color] == list(PALETTE)
    state.remove_run(b)
    assert (a.color, c.color) == (PALETTE[0], PALETTE[2])  # nobody is recoloured
    d = state.add_run("d")
    assert d.color == PALETTE[1]  # the free colour first
    e = state.add_run("e")  # more runs than colours: they repeat in turn
    assert e.color in PALETTE


def test_add_run_announces_it_and_makes_it_current(state, heard):
    run = state.add_run("a", folder=Path("/x/a"), task="toy")
    assert state.runs == [run] and state.current is run and run.visible and not run.live
    assert heard == [("added", (run,)), ("current", (run,))]


def test_visibility_fires_once_per_change(state, heard):
    a, b = state.add_run("a"), state.add_run("b")
    assert state.several_shown
    heard.clear()
    state.set_visible(a, False)
    state.set_visible(a, False)
    assert heard == [("visible", (a,))] and not a.visible
    assert state.visible_runs() == [b] and not state.several_shown


def test_a_run_made_current_shows_its_sample_at_the_global_step(state, heard):
    a, b = state.add_run("a"), state.add_run("b")
    for step in (10, 20, 30):
        a.add_sample(step, {"points": np.zeros((2, 2))})
    for step in (15, 25):
        b.add_sample(step, {"points": np.zeros((2, 2))})
    state.set_current(a)
    state.scrub_samples(0)
    assert state.step == 10 and state.sample_index == 0 and not state.follows_newest
    heard.clear()
    state.set_current(a)  # the same run: nothing changes
    assert heard == [] and state.sample_index == 0
    state.set_current(b)  # no sample of b by step 10: its first shows
    assert heard == [("current", (b,))] and state.sample_index == 0
    state.set_step(26)
    assert state.sample_index == 1  # step 25, the newest at or before 26
    state.set_current(a)
    assert state.sample_index == 1 and a.samples[1][0] == 20
    state.set_step(None)
    state.set_current(b)
    assert state.sample_index is None and state.shown_sample_index() == 1  # follows the newest again


def test_scrubbing_to_the_end_follows_the_newest(state, heard):
    run = state.add_run("a")
    assert state.shown_sample_index() is None and state.follows_newest
    for step in (10, 20, 30):
        run.add_sample(step, {"points": np.zeros((2, 2))})
    heard.clear()
    state.scrub_samples(1)
    state.scrub_samples(1)
    assert heard == [("step", (20,)), ("sample_index", (1,))] and state.shown_sample_index() == 1
    state.add_samples(run, [(40, {"points": np.zeros((2, 2))})])
    assert state.shown_sample_index() == 1  # scrubbed back: stays there while samples arrive
    state.scrub_samples(3)
    assert state.sample_index is None and state.shown_sample_index() == 3


def test_every_sample_of_a_run_folder_is_kept_and_only_the_newest_stay_decoded(state, tmp_path):
    """A long live run writes a file per preview: all are kept (no cap), the old ones as their files."""
    from ganstudio.core.train.monitor_state import KEEP_DECODED

    folder = tmp_path / "run"
    (folder / "samples").mkdir(parents=True)
    run = state.add_run("live", folder=folder, live=True, task="toy")
    n = 2 * MAX_SAMPLE_HISTORY + 7
    for s in range(n):
        pts = np.full((3, 2), s, np.float32)
        np.save(folder / "samples" / f"step_{s * 10:07d}.npy", pts)
        state.add_samples(run, [(s * 10, {"points": pts, "field": np.zeros((4, 4))})])
    assert [s for s, _ in run.samples] == [s * 10 for s in range(n)]
    decoded = [i for i, (_s, p) in enumerate(run.samples) if not isinstance(p, Path)]
    assert decoded == list(range(n - KEEP_DECODED, n))
    assert run.samples[3][1] == folder / "samples" / "step_0000030.npy"
    assert run.sample_index_at(35) == 3 and run.sample_index_at(30) == 3 and run.sample_index_at(-1) is None
    assert run.sample_index_at(None) == n - 1


def test_a_decoded_sample_without_its_file_stays_decoded(state, tmp_path):
    run = state.add_run("live", folder=tmp_path, live=True)
    for s in range(KEEP := 10):
        state.add_samples(run, [(s, {"grid": np.zeros((2, 2, 3), np.uint8)})])
    assert all(isinstance(p, dict) for _s, p in run.samples) and len(run.samples) == KEEP


def test_long_sample_histories_without_files_are_thinned_keeping_the_first(state):
    run = state.add_run("a")
    state.add_samples(run, [(s, None) for s in range(MAX_SAMPLE_HISTORY + 1)])
    steps = [s for s, _ in run.samples]
    assert steps[0] == 0 and steps[-1] == MAX_SAMPLE_HISTORY and steps == sorted(steps)
    assert len(steps) <= MAX_SAMPLE_HISTORY // 2 + 2
    state.add_samples(run, [(MAX_SAMPLE_HISTORY + 1 + s, None) for s in range(MAX_SAMPLE_HISTORY)])
    assert run.samples[-1][0] == 2 * MAX_SAMPLE_HISTORY and len(run.samples) <= MAX_SAMPLE_HISTORY


def test_removing_the_current_run_makes_its_neighbour_current(state, heard):
    a, b, c = (state.add_run(n) for n in "abc")
    state.set_current(b)
    heard.clear()
    state.remove_run(b)
    assert heard == [("removed", (b, 1)), ("current", (c,))]  # the run that takes its row
    state.remove_run(c)
    assert state.current is a  # the last one removed: the one before it
    heard.clear()
    state.remove_run(a)
    assert heard == [("removed", (a, 0)), ("current", (None,))] and state.runs == []


def test_removing_another_run_keeps_the_current_one(state, heard):
    a, b = state.add_run("a"), state.add_run("b")
    state.scrub_samples(0)
    heard.clear()
    state.remove_run(a)
    assert heard == [("removed", (a, 0))] and state.current is b


def test_live_run_lifecycle(state, heard):
    real = np.zeros((5, 2), np.float32)
    run = state.begin_live({"run_dir": "/runs/toy-ring-1", "task": "toy", "real_points": real, "bounds": (0, 1, 0, 1)})
    assert names(heard) == ["added", "current", "live"]
    assert run.name == "toy-ring-1" and run.live and state.live_run is run and state.current is run
    assert run.real_points is real and run.bounds == (0, 1, 0, 1)
    heard.clear()
    state.add_progress({"scalars": [{"step": 1, "wall_time": 0.1, "d_loss": 1.0}, {"step": 2, "d_loss": 0.5}],
                        "samples": [(2, {"points": real})], "evals": [{"step": 2, "sliced_w": 0.25}]})
    assert names(heard) == ["rows", "samples", "evals"]
    assert heard[0][1][1] >= {"step", "d_loss"} and run.dirty >= {"d_loss"}
    assert run.table.rows == 2 and len(run.samples) == 1 and run.new_samples and run.evals[-1]["sliced_w"] == 0.25
    heard.clear()
    state.add_progress({"scalars": [], "samples": [], "evals": []})
    assert heard == []  # an empty batch changes nothing
    state.end_live()
    assert heard == [("live", (None,))] and state.live_run is None and not run.live and state.runs == [run]
    state.end_live()
    assert heard == [("live", (None,))]  # once
    state.add_progress({"scalars": [{"step": 3, "d_loss": 0.1}]})  # no live run: dropped
    assert run.table.rows == 2


def test_begin_live_without_a_folder_uses_the_name(state):
    assert state.begin_live({"name": "digits"}).name == "digits" and state.begin_live({}).name == "run"


def test_removing_the_live_run_ends_it(state, heard):
    run = state.begin_live({"name": "x"})
    heard.clear()
    state.remove_run(run)
    assert names(heard) == ["live", "removed", "current"] and state.live_run is None


def _run_folder(folder: Path, steps=(5, 10)) -> Path:
    (folder / "samples").mkdir(parents=True)
    with open(folder / "metrics.jsonl", "w") as fh:
        for s in steps:
            fh.write(json.dumps({"step": s, "wall_time": s / 10, "d_loss": 1.0 / s}) + "\n")
        fh.write(json.dumps({"kind": "eval", "step": steps[-1], "sliced_w": 0.5}) + "\n")
    np.save(folder / "samples" / f"step_{steps[-1]:07d}.npy", np.zeros((4, 2), np.float32))
    return folder


def test_a_run_folder_is_read_followed_and_replaced_when_reopened(state, heard, tmp_path):
    folder = _run_folder(tmp_path / "cli-run")
    run = state.open_folder_run(load_run_folder(folder))
    assert names(heard) == ["added", "current"] and state.current is run
    assert run.name == "cli-run" and run.table.rows == 2 and len(run.evals) == 1 and [s for s, _ in run.samples] == [10]
    assert state.followed() == [run] and run.dirty >= {"d_loss"}
    heard.clear()
    state.poll()
    assert heard == []  # nothing new
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 15, "wall_time": 1.5, "d_loss": 0.1}) + "\n")
        fh.write('{"step": 20, "wall')  # still being written
    np.save(folder / "samples" / "step_0000015.npy", np.zeros((4, 2), np.float32))
    state.poll()
    assert names(heard) == ["rows", "samples"] and run.table.rows == 3 and len(run.samples) == 2
    heard.clear()
    again = state.open_folder_run(load_run_folder(folder))
    assert state.runs == [again] and names(heard) == ["removed", "current", "added", "current"]
    assert again.color == run.color  # its colour was free again


def test_smoothing_is_clamped_in_hundredths_and_resets_the_smoothed_values(state, heard):
    run = state.add_run("a")
    run.table.append([{"step": s, "d_loss": float(s % 3)} for s in range(1, 11)])
    state.set_smoothing(0.9)
    smoothed = state.smoothed_values(run, "d_loss")
    assert not np.array_equal(smoothed, run.table.get("d_loss")) and run.smoothed["d_loss"].rows_done == 10
    heard.clear()
    state.set_smoothing(0.904)  # the slider's resolution: the same weight
    assert heard == []
    state.set_smoothing(1.5)
    assert heard == [("smoothing", (0.99,))] and state.smoothing == 0.99 and run.smoothed["d_loss"].rows_done == 0
    state.set_smoothing(0)
    assert not state.shows_raw("d_loss")
    np.testing.assert_array_equal(state.smoothed_values(run, "d_loss"), run.table.get("d_loss"))
    state.set_smoothing(0.5)
    assert state.shows_raw("d_loss") and not state.shows_raw("lr_g")  # learning rates are drawn exactly


def test_log_y_and_x_mode_fire_once_per_change(state, heard):
    state.set_log_y(True)
    state.set_log_y(True)
    state.set_x_mode("wall_time")
    state.set_x_mode("wall_time")
    assert heard == [("log_y", (True,)), ("x_mode", ("wall_time",))]
    with pytest.raises(ValueError):
        state.set_x_mode("epoch")


def test_reading_under_the_crosshair(state):
    run = state.add_run("a")
    run.table.append([{"step": s, "wall_time": s / 2, "d_loss": 1.0 + s, "g_loss": math.nan} for s in (10, 20, 30)])
    state.smoothed_values(run, "d_loss")
    reading = state.reading(run, 19.0, ["d_loss", "g_loss"])
    assert reading.step == 20 and reading.x == 20.0
    assert [(m, y) for m, y, _sm in reading.values] == [("d_loss", 21.0)] and reading.values[0][2] is not None
    state.set_x_mode("wall_time")
    assert state.reading(run, 14.0, ["d_loss"]).x == 15.0
    assert state.reading(run, 14.0, ["g_loss"]) is None  # no finite value there
    assert state.reading(state.add_run("empty"), 1.0, ["d_loss"]) is None


def test_lr_range_covers_the_shown_runs_from_zero(state):
    a, b = state.add_run("a"), state.add_run("b")
    a.table.append([{"step": 1, "lr_g": 1e-4, "lr_d": 2e-4}])
    b.table.append([{"step": 1, "lr_g": 1e-3}])
    assert state.lr_range() == pytest.approx((0.0, 1.2e-3))
    state.set_visible(b, False)
    assert state.lr_range() == pytest.approx((0.0, 2.4e-4))
    state.set_log_y(True)
    assert state.lr_range() is None


def test_eval_summary_of_the_current_run(state):
    run = state.add_run("a")
    assert state.eval_summary() == ""
    state.add_evals(run, [{"step": 15, "sliced_w": 0.25}])
    assert state.eval_summary() == "Evaluation at step 15: sliced W 0.25"
    state.set_current(None)
    assert state.eval_summary() == ""


def test_a_rewritten_metrics_file_replaces_the_runs_table(state, heard, tmp_path):
    """A resumed run cuts metrics.jsonl back to its checkpoint and logs again: no step may show twice."""
    folder = _run_folder(tmp_path / "cli-run")
    run = state.open_folder_run(load_run_folder(folder))
    before = run.table.rows
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    rewritten = [lines[0], json.dumps({"step": 7, "wall_time": 0.7, "d_loss": 0.3})]
    (folder / "metrics.jsonl").write_text("\n".join(rewritten) + "\n")
    state.poll()
    steps = run.table.get("step")
    assert run.follower.restarted and list(steps) == sorted(set(steps)) and run.table.rows == 2 != before + 2


def test_the_global_step_follows_the_newest_past_every_run_and_marks_the_plots(state, heard):
    a = state.add_run("a")
    state.add_rows(a, [{"step": s, "wall_time": 2.0 * s, "loss_g": 1.0} for s in (100, 200, 300)])
    b = state.add_run("b")
    state.add_rows(b, [{"step": s, "wall_time": 1.0, "loss_g": 1.0} for s in (100, 500)])
    assert state.max_step == 500 and state.marker_x() is None
    heard.clear()
    state.set_step(250)
    state.set_step(250)
    assert state.step == 250 and names(heard) == ["step"]
    assert state.marker_x() == 250.0
    state.set_current(a)
    state.set_x_mode("wall_time")
    assert state.marker_x() == 400.0  # a's wall time at its logged step nearest 250 (step 200)
    state.set_step(500)  # the newest of all runs: follows what comes
    assert state.step is None and state.marker_x() is None
    state.set_step(-3)
    assert state.step == 0


def test_samples_at_step_compare_runs_at_the_same_step(state, heard):
    a, b, c = state.add_run("a"), state.add_run("b"), state.add_run("c")
    state.add_samples(a, [(s, {"grid": s}) for s in (100, 200, 300)])
    state.add_samples(b, [(s, {"grid": s}) for s in (150, 350)])
    state.add_samples(c, [(s, {"grid": s}) for s in (400,)])
    state.set_step(260)
    shown = state.samples_at_step()
    assert [(r.name, step) for r, step, _p in shown] == [("a", 200), ("b", 150)]  # c has none by then
    state.set_visible(a, False)
    assert [r.name for r, _s, _p in state.samples_at_step()] == ["b"]
    state.set_step(None)
    assert [(r.name, s) for r, s, _p in state.samples_at_step([a, b, c])] == [("a", 300), ("b", 350), ("c", 400)]
    heard.clear()
    state.set_compare(True)
    state.set_compare(True)
    assert heard == [("compare", (True,))] and state.compare


def test_the_bold_curve_is_time_weighted_by_the_step(state):
    """Logged every 10 steps with step 30 missing, weight 0.5: the history decays by 0.25 over the gap."""
    run = state.add_run("a")
    state.add_rows(run, [{"step": s, "wall_time": 0.1 * s, "g_loss": v} for s, v in ((0, 1.0), (10, 2.0), (20, 3.0))])
    state.set_smoothing(0.5)
    np.testing.assert_allclose(state.smoothed_values(run, "g_loss"), [1.0, 5 / 3, 17 / 7])
    state.add_rows(run, [{"step": 40, "wall_time": 4.0, "g_loss": 4.0}])  # continued row by row
    np.testing.assert_allclose(state.smoothed_values(run, "g_loss"), [1.0, 5 / 3, 17 / 7, 81 / 23])
    assert state.shows_raw("g_loss")  # the raw values faint behind


def test_a_toy_previews_field_file_is_read_only_when_sane(tmp_path):
    """step_N.field.npz is user-reachable data: garbage, a NaN bound or a huge field give {} (the points
    still show), never an exception or an unbounded image."""
    from ganstudio.core.train.monitor_state import read_toy_field, toy_field_path, write_toy_field

    points = tmp_path / "step_0000010.npy"
    np.save(points, np.zeros((4, 2), np.float32))
    assert read_toy_field(points) == {}  # none written
    good = {"field": np.full((40, 40), 0.5), "bounds": (-1, 1, -2, 2), "arrow_points": np.zeros((3, 2)),
            "arrow_dirs": np.ones((3, 2)), "arrow_mags": np.ones(3)}
    write_toy_field(points, good)
    got = read_toy_field(points)
    assert got["bounds"] == (-1, 1, -2, 2) and got["field"].shape == (40, 40) and len(got["arrow_points"]) == 3
    write_toy_field(points, {**good, "arrow_dirs": np.ones((4, 2))})  # arrows that do not match: field only
    assert "arrow_points" not in read_toy_field(points) and "field" in read_toy_field(points)
    for bad in ({**good, "bounds": (np.nan, 1, 0, 1)}, {**good, "field": np.zeros((300, 10))},
                {**good, "field": np.zeros(5)}):
        write_toy_field(points, bad)
        assert read_toy_field(points) == {}
    toy_field_path(points).write_bytes(b"PK\x03\x04 not a zip at all")
    assert read_toy_field(points) == {}
    write_toy_field(points, {"points": np.zeros((4, 2))})  # a payload without a field writes nothing
