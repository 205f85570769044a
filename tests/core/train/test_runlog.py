"""Run folders: a new one never reuses an existing folder, durations read as users expect, and a folder
written by a run reads back (config, curves, evals, the 2-D view's real points) and can be followed."""

import json
import math
from datetime import datetime
from pathlib import Path

import pytest

from ganstudio.core.config import preset
from ganstudio.core.errors import GanStudioError
from ganstudio.core.train.runlog import MetricsWriter, format_hms, load_run_folder, new_run_dir, run_folder_of

NOON = datetime(2024, 5, 17, 12, 0, 0)


def test_new_run_dir_is_named_after_the_run_and_the_time(tmp_path: Path):
    run_dir = new_run_dir(tmp_path, "toy-ring", now=NOON)
    assert run_dir == tmp_path / "toy-ring-20240517-120000"
    assert not run_dir.exists()  # a name only: the trainer creates the folder


def test_new_run_dir_never_reuses_a_folder_started_in_the_same_second(tmp_path: Path):
    first = new_run_dir(tmp_path, "toy-ring", now=NOON)
    first.mkdir()
    second = new_run_dir(tmp_path, "toy-ring", now=NOON)
    assert second == tmp_path / "toy-ring-20240517-120000-2"
    second.mkdir()
    assert new_run_dir(tmp_path, "toy-ring", now=NOON).name == "toy-ring-20240517-120000-3"
    assert new_run_dir(tmp_path, "digits-dcgan", now=NOON).name == "digits-dcgan-20240517-120000"


def test_a_checkpoint_in_a_run_folder_resumes_into_that_folder(tmp_path: Path):
    run = tmp_path / "toy-ring-20240517-120000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    assert run_folder_of(run / "checkpoints" / "latest.safetensors") == run
    assert run_folder_of(tmp_path / "elsewhere" / "model.safetensors") is None
    (tmp_path / "loose" / "checkpoints").mkdir(parents=True)  # a checkpoints/ folder without a run's config
    assert run_folder_of(tmp_path / "loose" / "checkpoints" / "best.safetensors") is None


@pytest.mark.parametrize("seconds, text", [
    (0, "00:00"), (59.9, "00:59"), (61, "01:01"), (3599, "59:59"), (3600, "1:00:00"), (3 * 3600 + 62, "3:01:02"),
    (-4, "00:00"), (math.inf, "--:--"), (math.nan, "--:--"),
])
def test_format_hms(seconds, text):
    assert format_hms(seconds) == text


def test_cli_and_app_name_durations_and_run_folders_with_the_core_functions():
    """One implementation each: the CLI and the Train panel import them rather than keep copies."""
    import ganstudio.cli as cli

    assert cli.format_hms is format_hms and cli.new_run_dir is new_run_dir
    assert not hasattr(cli, "_hms") and not hasattr(cli, "default_run_dir")


def write_run_folder(folder: Path, kind: str = "ring") -> None:
    cfg = preset(f"toy-{kind}")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(cfg.to_json())
    with MetricsWriter(folder / "metrics.jsonl") as w:
        for step in (5, 10):
            w.write({"step": step, "wall_time": step / 10, "d_loss": 1.0, "g_loss": 0.7})
        w.write({"step": 10, "wall_time": 1.0, "kind": "eval", "sliced_w": 0.5})


def test_load_run_folder_reads_config_curves_evals_and_the_real_points(tmp_path: Path):
    folder = tmp_path / "run"
    write_run_folder(folder)
    loaded = load_run_folder(folder)
    assert loaded["name"] == "run" and loaded["folder"] == folder
    assert loaded["task"] == "toy" and loaded["config"]["data"]["kind"] == "ring"
    assert [r["step"] for r in loaded["scalars"]] == [5, 10]
    assert loaded["evals"] == [{"step": 10, "wall_time": 1.0, "kind": "eval", "sliced_w": 0.5}]
    assert loaded["real_points"].shape == (2000, 2)
    xmin, xmax, ymin, ymax = loaded["bounds"]
    pts = loaded["real_points"]
    assert xmin < pts[:, 0].mean() < xmax and ymin < pts[:, 1].mean() < ymax
    # The same sample every time, so the 2-D view does not jump between openings.
    assert (load_run_folder(folder)["real_points"] == pts).all()


def test_load_run_folder_follows_a_run_that_is_still_writing(tmp_path: Path):
    folder = tmp_path / "run"
    write_run_folder(folder)
    loaded = load_run_folder(folder)
    follower = loaded["follower"]
    assert follower.poll() == []  # everything so far came with the first read
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 15, "d_loss": 0.9}) + "\n" + '{"step": 20, "d_lo')  # a line being written
    assert [r["step"] for r in follower.poll()] == [15]


def test_an_image_run_has_no_real_points(tmp_path: Path):
    folder = tmp_path / "digits"
    folder.mkdir()
    (folder / "config.json").write_text(preset("digits-dcgan").to_json())
    loaded = load_run_folder(folder)
    assert loaded["task"] == "image" and loaded["real_points"] is None and loaded["scalars"] == []


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "is not a run folder"),
    (lambda p: (p.mkdir(), (p / "config.json").write_text("{not json")), "is not readable JSON"),
])
def test_load_run_folder_names_the_folder_at_fault(tmp_path: Path, make, message):
    folder = tmp_path / "nothing-here"
    make(folder)
    with pytest.raises(GanStudioError, match=message) as info:
        load_run_folder(folder)
    assert str(folder) in str(info.value)
