"""`ganstudio runs` on what `ganstudio train` wrote: one run a line, a running run (its lock held by this
process) said so, a broken one listed as unreadable, --json and --sort, the app's runs folder by default,
and a folder that cannot be listed is one sentence (exit 2)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_input import assert_one_sentence, ganstudio

from ganstudio.core.train.run_lock import RunLock

SHORT = ["--quiet", "--threads", "1", "--set", "train.log_every=1", "--set", "train.sample_every=0",
         "--set", "train.eval_every=2", "--set", "train.checkpoint_every=0", "--set", "model.g_width=32",
         "--set", "model.d_width=32", "--set", "optim.batch_size=32", "--set", "train.best_metric=sliced_w"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("runs-cli")
    out = ganstudio("train", "toy-ring", "--steps", "4", *SHORT, "--out", str(base / "runs" / "done"), cwd=base)
    assert out.returncode == 0, out.stderr
    shutil.copytree(base / "runs" / "done", base / "runs" / "live")
    broken = base / "runs" / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"name": "toy-ring", "da')
    return base / "runs"


def rows(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    assert lines[0].startswith("NAME") and "BEST" in lines[0]
    return {line.split()[0]: line for line in lines[1:]}


def test_one_run_a_line_with_its_state_steps_and_best(runs):
    with RunLock(runs / "live"):  # another process trains into it (this one, as far as the command can tell)
        out = ganstudio("runs", str(runs), cwd=runs.parent)
    assert out.returncode == 0, out.stderr
    listed = rows(out.stdout)
    assert set(listed) == {"done", "live", "broken"}
    assert " finished " in listed["done"] and "4/4" in listed["done"] and "toy-ring (toy)" in listed["done"]
    assert "sliced_w " in listed["done"] and "@ " in listed["done"]
    assert " running " in listed["live"]
    assert " unreadable " in listed["broken"] and "config.json is not valid JSON" in listed["broken"]
    assert "3 runs in" in out.stderr and "1 unreadable" in out.stderr and "Traceback" not in out.stderr


def test_json_and_sort(runs):
    out = ganstudio("runs", str(runs), "--json", "--sort", "name", cwd=runs.parent)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["name"] for r in data["runs"]] == ["broken", "done", "live"]
    done = data["runs"][1]
    assert (done["state"], done["steps_done"], done["steps_planned"], done["task"]) == ("finished", 4, 4, "toy")
    assert done["best_metric"] == "sliced_w" and done["best_value"] > 0 and done["folder"] == str(runs / "done")
    by_steps = json.loads(ganstudio("runs", str(runs), "--json", "--sort", "steps", cwd=runs.parent).stdout)
    assert by_steps["runs"][-1]["name"] == "broken"  # no steps known: last


def test_without_a_folder_it_lists_the_app_runs_folder(runs, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(runs / "done", home / "GAN Studio" / "runs" / "mine")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    out = subprocess.run([sys.executable, "-m", "ganstudio", "runs"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert list(rows(out.stdout)) == ["mine"]


def test_a_folder_that_cannot_be_listed_is_one_sentence(runs, tmp_path):
    assert_one_sentence(ganstudio("runs", str(tmp_path / "gone"), cwd=tmp_path), "does not exist")
    assert_one_sentence(ganstudio("runs", str(runs / "broken" / "config.json"), cwd=tmp_path), "is not a folder of runs")
    bad = ganstudio("runs", str(runs), "--sort", "colour", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
