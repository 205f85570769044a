"""The run index on real run folders made by short trainings: a finished run with a best checkpoint, one
stopped early, one whose lock is held, one a killed owner left locked, broken and half-written ones,
runs one level down, and a metrics log whose tail is all that is read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import torch

from ganstudio.core.config import preset
from ganstudio.core.train.run_index import RunIndexError, scan_runs, sort_runs
from ganstudio.core.train.run_lock import RunLock
from ganstudio.core.train.runlog import new_run_dir, read_metrics

SETS = ["train.log_every=1", "train.eval_every=2", "train.sample_every=0", "train.checkpoint_every=0",
        "train.best_metric=sliced_w", "model.g_width=32", "model.d_width=32", "optim.batch_size=32"]


def train(folder: Path, steps: int, max_steps: int | None = None, extra: tuple[str, ...] = ()) -> Path:
    from ganstudio.core.train.trainer import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = preset("toy-ring").with_overrides([*SETS, f"train.steps={steps}", *extra])
        Trainer(cfg, run_dir=folder).run(max_steps=max_steps, save_at_end="always", evaluate_at_end=True)
    finally:
        torch.set_num_threads(threads)
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("made")
    return {"finished": train(new_run_dir(base, "toy-ring"), 6), "stopped": train(base / "stopped", 10, max_steps=3)}


def copy(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def test_a_finished_and_a_stopped_run_are_summarised_from_their_files(made, tmp_path):
    finished = copy(made["finished"], tmp_path / made["finished"].name)
    copy(made["stopped"], tmp_path / "stopped")
    scan = scan_runs(tmp_path)
    by_name = {r.name: r for r in scan.runs}
    assert set(by_name) == {finished.name, "stopped"} and scan.not_runs == [] and scan.left_out == 0
    done = by_name[finished.name]
    assert (done.state, done.steps_done, done.steps_planned) == ("finished", 6, 6)
    assert (done.config_name, done.task, done.objective) == ("toy-ring", "toy", "nonsaturating")
    # the best checkpoint is the evaluation with the lowest sliced W (lower is better), at its step
    evals = [r for r in read_metrics(finished / "metrics.jsonl") if r.get("kind") == "eval"]
    best = min(evals, key=lambda r: r["sliced_w"])
    assert done.best_metric == "sliced_w"
    assert done.best_value == pytest.approx(best["sliced_w"]) and done.best_step == best["step"]
    # started: the time new_run_dir wrote into the name; last written: the newest file
    stamp = finished.name.rsplit("-", 2)
    assert datetime.fromtimestamp(done.started).strftime("%Y%m%d-%H%M%S") == f"{stamp[1]}-{stamp[2]}"
    assert done.last_written == pytest.approx(max(os.stat(finished / p).st_mtime for p in
                                                  ("metrics.jsonl", "config.json", "checkpoints/latest.json",
                                                   "checkpoints/best.json")))
    stopped = by_name["stopped"]
    assert (stopped.state, stopped.steps_done, stopped.steps_planned) == ("stopped", 3, 10)
    assert stopped.state_label == "stopped early" and stopped.reason == ""
    assert stopped.started == pytest.approx(os.stat(tmp_path / "stopped" / "config.json").st_mtime)  # no time in its name
    assert "2 runs" in scan.summary() and "1 finished, 1 stopped early" in scan.summary()


def test_a_run_whose_lock_is_held_is_running_and_a_dead_owners_lock_is_not(made, tmp_path):
    run = copy(made["stopped"], tmp_path / "live")
    with RunLock(run):
        entry = scan_runs(run).runs[0]
        assert entry.state == "running" and f"pid {os.getpid()}" in entry.owner
    assert scan_runs(run).runs[0].state == "stopped"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          cwd=tmp_path).stdout.strip()
    (run / "run.lock").write_text(json.dumps({"pid": int(gone), "host": os.uname().nodename, "started": "2026-01-01T00:00:00"}))
    entry = scan_runs(run).runs[0]
    assert entry.state == "stopped" and f"pid {gone}" in entry.note and "no longer runs" in entry.note


def test_broken_and_half_written_runs_are_listed_unreadable_with_a_reason(made, tmp_path):
    torn = copy(made["stopped"], tmp_path / "torn-config")
    text = (torn / "config.json").read_text()
    (torn / "config.json").write_text(text[: len(text) // 2])
    listed = copy(made["stopped"], tmp_path / "list-config")
    (listed / "config.json").write_text("[1, 2]")
    half = tmp_path / "half"
    half.mkdir()
    (half / "metrics.jsonl").write_bytes(b'{"step": 1, "d_loss": 0.5}\n{"step": 2, "d_l')
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a run")
    scan = scan_runs(tmp_path)
    by_name = {r.name: r for r in scan.runs}
    assert by_name["torn-config"].state == "unreadable" and "config.json is not valid JSON" in by_name["torn-config"].reason
    assert "holds no settings table" in by_name["list-config"].reason
    assert by_name["half"].state == "unreadable" and "has no config.json" in by_name["half"].reason
    assert by_name["half"].steps_done == 1  # the torn second record is not counted
    assert all(r.reason.endswith(".") for r in scan.runs if r.state == "unreadable")
    assert scan.not_runs == ["notes"] and scan.count("unreadable") == 3
    assert "3 unreadable" in scan.summary() and "1 folder without a run (notes)" in scan.summary()


def test_a_run_stopped_between_two_log_steps_counts_the_steps_its_checkpoint_saved(tmp_path):
    run = train(tmp_path / "run", 20, max_steps=7, extra=("train.log_every=5", "train.eval_every=0"))
    logged = [r["step"] for r in read_metrics(run / "metrics.jsonl") if r.get("kind") != "eval"]
    assert max(logged) == 5  # steps 6 and 7 logged no training record; the save at the stop holds step 7
    entry = scan_runs(run).runs[0]
    assert (entry.steps_done, entry.state) == (7, "stopped")


def test_a_torn_last_line_keeps_the_last_complete_step_and_says_so(made, tmp_path):
    run = copy(made["stopped"], tmp_path / "run")
    (run / "checkpoints" / "latest.json").unlink()
    with open(run / "metrics.jsonl", "ab") as fh:
        fh.write(b'{"step": 99, "d_lo')
    entry = scan_runs(run).runs[0]
    assert entry.steps_done == 3 and "torn" in entry.note and entry.state == "stopped"


def test_only_the_tail_of_a_big_metrics_log_is_read(made, tmp_path):
    run = copy(made["stopped"], tmp_path / "run")
    (run / "checkpoints" / "latest.json").unlink()
    early = json.dumps({"step": 777, "d_loss": 0.5}).encode() + b"\n"
    with open(run / "metrics.jsonl", "wb") as fh:
        fh.write(early * 2000)
        fh.write(b'{"step": 5, "pad": "' + b"x" * (2 << 20) + b'"}\n')  # one record longer than the tail read
    assert scan_runs(run).runs[0].steps_done == 0  # no complete record in the last MAX_TAIL_BYTES: 777 is never read
    with open(run / "metrics.jsonl", "ab") as fh:
        fh.write(b'{"step": 8, "d_loss": 0.4}\n')
    assert scan_runs(run).runs[0].steps_done == 8


def test_runs_one_level_down_a_single_run_and_the_limit(made, tmp_path):
    copy(made["stopped"], tmp_path / "sweep" / "a")
    copy(made["stopped"], tmp_path / "sweep" / "b")
    copy(made["finished"], tmp_path / "top")
    scan = scan_runs(tmp_path)
    assert sorted(r.name for r in scan.runs) == ["sweep/a", "sweep/b", "top"]
    single = scan_runs(tmp_path / "sweep" / "a")
    assert [r.name for r in single.runs] == ["a"] and single.runs[0].folder == tmp_path / "sweep" / "a"
    limited = scan_runs(tmp_path, limit=2)
    assert len(limited.runs) == 2 and limited.left_out == 1 and "1 more run folders not read" in limited.summary()


def test_sorting_by_name_date_steps_and_best(made, tmp_path):
    copy(made["finished"], tmp_path / "b-finished")
    copy(made["stopped"], tmp_path / "a-stopped")
    broken = tmp_path / "c-broken"
    broken.mkdir()
    (broken / "config.json").write_text("{")
    os.utime(tmp_path / "a-stopped" / "config.json", (1e9, 1e9))  # started long ago
    runs = scan_runs(tmp_path).runs
    assert [r.name for r in sort_runs(runs, "name")] == ["a-stopped", "b-finished", "c-broken"]
    assert [r.name for r in sort_runs(runs, "steps")] == ["b-finished", "a-stopped", "c-broken"]
    assert [r.name for r in sort_runs(runs, "date")] == ["c-broken", "b-finished", "a-stopped"]  # newest first
    values = {r.name: r.best_value for r in runs}
    best_first = [r.name for r in sort_runs(runs, "best")]
    lower = min(("a-stopped", "b-finished"), key=values.get)  # sliced W: lower is better
    assert best_first[0] == lower and best_first[-1] == "c-broken"


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p / "gone", "does not exist"),
    (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "is not a folder of runs"),
])
def test_a_folder_that_cannot_be_listed_is_one_sentence(tmp_path, make, fragment):
    with pytest.raises(RunIndexError, match=fragment) as info:
        scan_runs(make(tmp_path))
    assert str(info.value).endswith(".") and str(tmp_path) in str(info.value)
