"""Run folders: a new one never reuses an existing folder, durations read as users expect, and a folder
written by a run reads back (config, curves, evals, the 2-D view's real points) and can be followed."""

import json
import math
from datetime import datetime
from pathlib import Path

import pytest

from ganstudio.core.config import preset
from ganstudio.core.errors import GanStudioError
from ganstudio.core.train.runlog import (
    MetricsFollower,
    MetricsWriter,
    format_hms,
    load_run_folder,
    new_run_dir,
    parse_record,
    parse_records,
    read_metrics,
    run_folder_of,
)

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
    import ganstudio.commands.train as train_command

    assert train_command.format_hms is format_hms and train_command.new_run_dir is new_run_dir
    assert not hasattr(train_command, "_hms") and not hasattr(train_command, "default_run_dir")


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
    (lambda p: (p.mkdir(), (p / "config.json").write_text("{not json")), "is not valid JSON"),
])
def test_load_run_folder_names_the_folder_at_fault(tmp_path: Path, make, message):
    folder = tmp_path / "nothing-here"
    make(folder)
    with pytest.raises(GanStudioError, match=message) as info:
        load_run_folder(folder)
    assert str(folder) in str(info.value)


# --- metrics.jsonl after crashes, resumes and rewrites ---------------------------------------------------

def test_a_writer_after_a_torn_line_starts_on_a_fresh_line_so_no_record_is_swallowed(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 5, "d_loss": 1.0}\n{"step": 10, "d_lo')  # killed mid-line
    follower = MetricsFollower(path)
    assert [r["step"] for r in follower.poll()] == [5]
    with MetricsWriter(path) as w:  # a resumed run appends
        w.write({"step": 15, "d_loss": 0.8})
    assert [r["step"] for r in follower.poll()] == [15]
    assert follower.bad_lines == 1  # the torn line, counted
    assert [r["step"] for r in read_metrics(path)] == [5, 15]


def test_a_writer_on_a_file_that_ends_cleanly_adds_no_blank_line(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    with MetricsWriter(path) as w:
        w.write({"step": 1})
    with MetricsWriter(path) as w:
        w.write({"step": 2})
    assert path.read_text() == '{"step":1}\n{"step":2}\n'


def test_the_follower_starts_again_when_the_file_is_cut_back(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (5, 10, 15, 20)))
    follower = MetricsFollower(path)
    assert len(follower.poll()) == 4 and follower.restarts == 0
    path.write_text(json.dumps({"step": 5}) + "\n")  # rewritten shorter (a resume cut it back)
    assert [r["step"] for r in follower.poll()] == [5]
    assert follower.restarted and follower.restarts == 1
    assert follower.poll() == [] and not follower.restarted


def test_the_follower_notices_a_rewrite_that_grew_past_where_it_was(tmp_path: Path):
    """Cut back and longer again before the next poll: same inode, bigger size; only the bytes tell."""
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (5, 10)))
    follower = MetricsFollower(path)
    assert len(follower.poll()) == 2
    with open(path, "w") as fh:  # in place: the inode stays
        fh.write("".join(json.dumps({"step": s, "resumed": True}) + "\n" for s in (5, 10, 15, 20, 25)))
    assert [r["step"] for r in follower.poll()] == [5, 10, 15, 20, 25]
    assert follower.restarts == 1


def test_the_follower_notices_a_file_replaced_under_its_name(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"step": 5}) + "\n")
    follower = MetricsFollower(path)
    assert len(follower.poll()) == 1
    other = tmp_path / "new.jsonl"
    other.write_text("".join(json.dumps({"step": s}) + "\n" for s in (1, 2, 3)))
    other.replace(path)  # an atomic rewrite: another inode
    assert [r["step"] for r in follower.poll()] == [1, 2, 3]
    assert follower.restarts == 1


def test_the_follower_skips_lines_that_are_not_objects_and_bytes_that_are_not_utf8(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"step": 1}\n42\n[1, 2]\n"text"\nnull\n{"step": 2, "name": "caf\xe9"}\n\xff\xfe{\n{"step": 3}\n')
    follower = MetricsFollower(path)
    records = follower.poll()  # no UnicodeDecodeError
    assert [r["step"] for r in records] == [1, 2, 3]
    assert all(isinstance(r, dict) for r in records)
    assert records[1]["name"] == "caf\ufffd"  # the bad byte replaced, the record kept
    assert follower.bad_lines == 5


def test_a_run_name_cannot_place_the_run_folder_elsewhere(tmp_path):
    from ganstudio.core.train.runlog import new_run_dir

    for name in ("../../escape", "/abs/path", ".."):
        run = new_run_dir(tmp_path, name)
        assert run.parent == tmp_path and ".." not in run.name.split("-")[0]


def test_a_deep_or_non_table_config_is_one_sentence(tmp_path):
    import pytest

    from ganstudio.core.config import load_json
    from ganstudio.core.errors import GanStudioError
    from ganstudio.core.train.runlog import load_run_folder

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("[" * 50000 + "]" * 50000)
    with pytest.raises(GanStudioError):
        load_run_folder(run)
    with pytest.raises(GanStudioError, match="nested"):
        load_json(run / "config.json")
    (run / "config.json").write_text("[1, 2]")
    with pytest.raises(GanStudioError, match="run config"):
        load_json(run / "config.json")
    with pytest.raises(GanStudioError, match="run config"):
        load_run_folder(run)


def test_the_step_rate_reads_the_last_30_seconds_so_a_save_does_not_swing_the_time_left():
    from ganstudio.core.train.runlog import StepRate

    rate = StepRate(window_s=30)
    assert rate.rate() == 0 and rate.seconds_left(100) == float("inf")
    t = 0.0
    for step in range(0, 401, 10):  # 10 steps every 0.25 s: 40 it/s
        rate.add(t, step)
        t += 0.25
    assert rate.rate() == pytest.approx(40)
    before = rate.seconds_left(10000)
    t += 2.0  # a checkpoint save: 2 s without a step
    rate.add(t, 410)
    after = rate.seconds_left(10000)
    # the last batch alone read 10 / 2.25 = 4.4 it/s, 9x the time left; the window moves it ~20 %
    assert before == pytest.approx((10000 - 400) / 40) and 1.0 < after / before < 1.25
    for _ in range(200):  # 50 s more at 40 it/s: the save has left the window
        t += 0.25
        rate.add(t, rate.readings[-1][1] + 10)
    assert rate.rate() == pytest.approx(40, rel=0.01)
    assert len(rate.readings) <= 30 / 0.25 + 2  # bounded however long the run
    rate.add(t + 1, 5)  # a new run: starts over
    assert rate.readings == [(t + 1, 5)]


def _one_by_one(lines: list[bytes]) -> tuple[list, int]:
    parsed = [parse_record(line) for line in lines]
    return [r for r in parsed if r is not None], sum(r is None for r in parsed)


GOOD = [b'{"step":1,"d_loss":0.5}', b'{"step":2,"note":"a},{b"}', b' {"step":3,"g_loss":NaN} \r']
TRICKY = [
    [b'{"a":"}', b'{","b":1}', b'{"c":1},{"d":2}'],  # torn lines that pair up into as many objects
    [b'{"step":1}', b'{"step":2},{"step":3}'],  # two objects on one line
    [b'{"step":1}', b"42", b"[1, 2]"],  # JSON that is not an object
    [b'{"step":1}', b'{"step":2,"d_lo'],  # the torn last line of a killed run
    [b'{"step":1}', b'{"bad":"\xff\xfe"}'],  # not UTF-8: replaced, still a record
    [b'{"step":1}', b"[" * 100_000 + b"]" * 100_000, b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}"],
    [b'{"a":[1}', b'{2]}'],
]


@pytest.mark.parametrize("lines", [GOOD, *TRICKY])
def test_the_one_pass_reader_reads_every_log_as_the_line_by_line_one(lines):
    """parse_records decodes a whole log at once; whatever the lines, the records and the bad-line count
    must be those of parse_record called on each line."""


    records, bad = parse_records(lines)
    expected, expected_bad = _one_by_one(lines)
    assert bad == expected_bad
    assert json.dumps(records, sort_keys=True) == json.dumps(expected, sort_keys=True)  # NaN == NaN here


def test_the_follower_counts_bad_lines_in_a_long_log_read_in_one_pass(tmp_path: Path):
    path = tmp_path / "metrics.jsonl"
    good = [json.dumps({"step": i, "d_loss": i / 7}).encode() for i in range(1, 2001)]
    path.write_bytes(b"\n".join(good[:1000] + [b'{"a":"}', b'{","b":1}', b'{"c":1},{"d":2}'] + good[1000:]) + b"\n")
    follower = MetricsFollower(path)
    records = follower.poll()
    assert [r["step"] for r in records] == list(range(1, 2001)) and follower.bad_lines == 3
