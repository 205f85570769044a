"""`ganstudio train --tensorboard` and `ganstudio tensorboard RUN_FOLDER` as a user runs them: the events
read back with TensorBoard's reader hold every number of metrics.jsonl at its step (a stopped run's too),
the converter writes the same ones, and bad input is one sentence and exit 2 before any work."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_input import assert_one_sentence, ganstudio
from test_train_interruptions import ENV, finish, wait_for_metrics

from ganstudio.core.train import tensorboard_export as tb
from ganstudio.core.train.runlog import read_metrics

RUN = ["--steps", "30", "--quiet", "--threads", "1", "--set", "model.g_width=16", "--set", "model.d_width=16",
       "--set", "train.log_every=5", "--set", "train.sample_every=10", "--set", "train.eval_every=10",
       "--set", "train.checkpoint_every=0"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("tensorboard")
    out = ganstudio("train", "toy-ring", *RUN, "--out", str(base / "run"), "--tensorboard", cwd=base)
    assert out.returncode == 0, out.stderr
    assert f"TensorBoard logs in {base / 'run' / 'tensorboard'}" in out.stderr
    return base / "run"


def test_train_writes_every_logged_number_and_preview(trained: Path):
    records = read_metrics(trained / "metrics.jsonl")
    assert [r["step"] for r in records if r.get("kind") != "eval"] == [5, 10, 15, 20, 25, 30]
    # The end-of-run evaluation of step 30 came after the one of the loop (logged): one point a step.
    assert tb.read_scalars(trained / "tensorboard") == tb.expected_scalars(records)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(trained / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    assert [(e.step, e.width, e.height) for e in acc.Images(tb.POINTS_TAG)] == [
        (10, 256, 256), (20, 256, 256), (30, 256, 256)]


def test_the_converter_writes_the_same_events_and_refuses_bad_places(trained: Path, tmp_path: Path):
    out = ganstudio("tensorboard", str(trained), "--out", str(tmp_path / "logs"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stdout and str(tmp_path / "logs") in out.stdout
    assert tb.read_scalars(tmp_path / "logs") == tb.read_scalars(trained / "tensorboard")

    again = ganstudio("tensorboard", str(trained), "--out", str(tmp_path / "logs"), cwd=tmp_path)
    assert_one_sentence(again, "already holds TensorBoard events")
    replaced = ganstudio("tensorboard", str(trained), "--out", str(tmp_path / "logs"), "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert len(list((tmp_path / "logs").glob(tb.EVENT_FILE_PREFIX + "*"))) == 1

    assert_one_sentence(ganstudio("tensorboard", str(tmp_path / "missing"), cwd=tmp_path), "does not exist")
    (tmp_path / "empty").mkdir()
    assert_one_sentence(ganstudio("tensorboard", str(tmp_path / "empty"), cwd=tmp_path), "is not a run folder")
    (tmp_path / "a-file").write_text("x")
    assert_one_sentence(ganstudio("tensorboard", str(trained), "--out", str(tmp_path / "a-file"), cwd=tmp_path),
                        "is a file, not a folder")


def test_train_refuses_a_log_folder_that_is_a_file_before_training(tmp_path: Path):
    (tmp_path / "a-file").write_text("x")
    out = ganstudio("train", "toy-ring", *RUN, "--out", str(tmp_path / "run"), "--tensorboard", str(tmp_path / "a-file"),
                    cwd=tmp_path)
    assert_one_sentence(out, "is a file, not a folder")
    assert not (tmp_path / "run").exists()


def test_without_tensorboard_train_names_what_to_install_before_training(tmp_path: Path):
    code = ("import sys; sys.modules['tensorboard'] = None; sys.modules['torch.utils.tensorboard'] = None; "
            "from ganstudio.cli import main; sys.exit(main(sys.argv[1:]))")
    out = subprocess.run([sys.executable, "-c", code, "train", "toy-ring", *RUN, "--out", str(tmp_path / "run"),
                          "--tensorboard"], capture_output=True, text=True, timeout=240, cwd=tmp_path, env=ENV)
    assert_one_sentence(out, 'install it with pip install "ganstudio[tensorboard]"')
    assert not (tmp_path / "run").exists()  # refused before the run folder was made


def test_a_stopped_run_leaves_readable_events_up_to_where_it_stopped(tmp_path: Path):
    run = tmp_path / "run"
    args = [sys.executable, "-m", "ganstudio", "train", "toy-ring", "--steps", "100000", "--out", str(run), "--quiet",
            "--threads", "1", "--set", "train.log_every=5", "--set", "train.sample_every=0", "--set",
            "train.eval_every=0", "--set", "train.checkpoint_every=0", "--tensorboard"]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path)
    try:
        wait_for_metrics(proc, run, lines=3)
        proc.send_signal(signal.SIGTERM)
    finally:
        err = finish(proc)
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(records) >= 3
    assert tb.read_scalars(run / "tensorboard") == tb.expected_scalars(records)
