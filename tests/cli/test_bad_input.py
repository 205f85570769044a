"""Bad input of every kind, as a user gives it: each is one sentence on stderr ("ganstudio: error: ..."),
exit status 2, and never a traceback (docs/RELIABILITY.md lists what each one keeps)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from ganstudio.core.config import preset

FAST = ["--steps", "2", "--quiet", "--set", "train.sample_every=0", "--set", "train.eval_every=0"]
QUICK = [*FAST, "--set", "model.g_width=32", "--set", "model.d_width=32"]
MODELS = Path(__file__).resolve().parents[2] / "resources" / "models"
DIGITS = str(MODELS / "digits-conditional.safetensors")
SKETCH = str(MODELS / "sketch-landscapes.safetensors")
HAS_DEV_FULL = Path("/dev/full").exists()


def ganstudio(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("GANSTUDIO_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def assert_one_sentence(out: subprocess.CompletedProcess, fragment: str) -> None:
    assert "Traceback" not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("ganstudio: error")]
    assert len(errors) == 1, out.stderr
    assert fragment in errors[0], out.stderr
    assert out.returncode == 2, out.stderr


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in: chmod for a normal user; root ignores modes, but not sysfs."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if Path("/sys/kernel").is_dir():
        return Path("/sys")
    pytest.skip("no folder is read-only for root here")


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory) -> Path:
    """A finished two-step toy-ring run (trained with Adam)."""
    run = tmp_path_factory.mktemp("ring") / "run"
    out = ganstudio("train", "toy-ring", *QUICK, "--out", str(run), cwd=run.parent)
    assert out.returncode == 0, out.stderr
    return run


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    """Named troublesome places: a file, a folder named like a file, a full disk, a read-only folder."""
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "photos").mkdir()
    Image.new("RGB", (64, 64), (90, 140, 200)).save(tmp_path / "picture.png")
    truncated = tmp_path / "config.json"
    truncated.write_text(preset("toy-ring").to_json()[:200])
    (tmp_path / "nosuchnet.toml").write_text('preset = "toy-ring"\n[model]\ngenerator = "nosuchnet"\n')
    names = {"tmp": str(tmp_path), "afile": str(tmp_path / "afile"), "folder_png": str(tmp_path / "folder.png"),
             "photos": str(tmp_path / "photos"), "picture": str(tmp_path / "picture.png"),
             "truncated": str(truncated), "nosuchnet": str(tmp_path / "nosuchnet.toml")}
    if HAS_DEV_FULL:
        (tmp_path / "full.png").symlink_to("/dev/full")
        names["full_png"] = str(tmp_path / "full.png")
    return names


# (command line with {place} names, the fragment of the one error line)
CONFIG_CASES = {
    "lr nan": (["train", "toy-ring", "--set", "optim.lr_g=nan"], "'optim.lr_g' must be a finite number, not nan"),
    "batch 1e400": (["train", "toy-ring", "--set", "optim.batch_size=1e400"],
                    "'optim.batch_size' must be a whole number, not '1e400'"),
    "hints -1": (["train", "sketch-folder", "--data", "{photos}", "--set", "data.hints_max=-1"],
                 "'data.hints_max' must be between 0 and 500, not -1"),
    "z_dim huge": (["train", "toy-ring", "--set", "model.z_dim=100000000000"], "'model.z_dim' must be between 1 and 1024"),
    "n_preview huge": (["train", "toy-ring", "--set", "train.n_preview=100000000000"],
                       "'train.n_preview' must be between 1 and 4096"),
    "preview too big": (["train", "sketch-folder", "--data", "{photos}", "--set", "data.image_size=256",
                         "--set", "train.n_preview=4096"], "'train.n_preview' 4096 at 256x256 needs about"),
    "width too big": (["train", "digits-dcgan", "--set", "model.g_width=4096"], "billion parameters"),
    "step too big": (["train", "digits-dcgan", "--set", "optim.batch_size=8192", "--set", "model.g_width=1024",
                      "--set", "model.d_width=1024"], "one training step of this run needs about "),
    "truncated config.json": (["train", "{truncated}"], "is not valid JSON"),
    "lr_d inf": (["train", "toy-ring", "--set", "optim.lr_d=inf"], "'optim.lr_d' must be a finite number, not inf"),
    "gp nan": (["train", "toy-ring", "--set", "objective.gp_weight=nan"],
               "'objective.gp_weight' must be a finite number, not nan"),
    "unknown generator": (["train", "{nosuchnet}"], "'model.generator' is 'nosuchnet', which toy data cannot train; choose mlp"),
    "path_b on toy data": (["train", "toy-ring", "--set", "data.path_b=abc"],
                           "toy-ring trains on ring data, but a second folder was given (data.path_b 'abc')"),
    "paired generator": (["train", "sketch-folder", "--data", "{photos}", "--set", "model.generator=dcgan"],
                         "choose unet, unet_128, unet_256 or unet_small"),
}

PLACE_CASES = {
    "train --out under a file": (["train", "toy-ring", *QUICK, "--out", "{afile}/run"],
                                 "cannot write into {afile}/run: {afile} is a file, not a folder"),
    "train --out is a file": (["train", "toy-ring", *QUICK, "--out", "{afile}"],
                              "cannot write into {afile}: it is a file, not a folder"),
    "sample --out is a folder": (["sample", DIGITS, "--n", "4", "--out", "{folder_png}"],
                                 "cannot write {folder_png}: it is a folder, not a file"),
    "sample --out under a file": (["sample", DIGITS, "--n", "4", "--out", "{afile}/x.png"],
                                  "cannot write {afile}/x.png: {afile} is a file, not a folder"),
    "sample folder --out is a file": (["sample", DIGITS, "--n", "4", "--out", "{afile}"],
                                      "cannot write into {afile}: it is a file, not a folder"),
    "translate --out is a folder": (["translate", SKETCH, "{picture}", "--out", "{folder_png}"],
                                    "cannot write {folder_png}: it is a folder, not a file"),
    "translate --out under a file": (["translate", SKETCH, "{picture}", "--out", "{afile}/x.png"],
                                     "cannot write {afile}/x.png: {afile} is a file, not a folder"),
    "bench --out is a folder": (["bench", "--quick", "--only", "training", "--out", "{folder_png}"],
                                "cannot write {folder_png}: it is a folder, not a file"),
    "sample too many": (["sample", DIGITS, "--n", "1000000000000", "--out", "{tmp}/big.png"],
                        "not enough memory for sampling (it tried to allocate"),
    # found by benchmarks/bad_input_campaign.py: an OverflowError from torch's manual_seed (exit 1), and
    # 10^12 colour hints reaching the allocator (7.3 TB) instead of being refused up front
    "sample seed too big": (["sample", DIGITS, "--n", "2", "--seed", str(10**40), "--out", "{tmp}/s.png"],
                            "--seed must be a whole number from 0 to 2147483647, not 1" + "0" * 40),
    "translate too many hints": (["translate", SKETCH, "{picture}", "--hints", "1000000000000", "--out", "{tmp}/t.png"],
                                 "--hints must be between 0 and 500, not 1000000000000"),
}
FULL_DISK_CASES = {
    "sample --out on a full disk": (["sample", DIGITS, "--n", "4", "--out", "{full_png}"],
                                    "cannot write {full_png}: the disk is full"),
    "translate --out on a full disk": (["translate", SKETCH, "{picture}", "--out", "{full_png}"],
                                       "cannot write {full_png}: the disk is full"),
}
READ_ONLY_CASES = {
    "train": (["train", "toy-ring", *QUICK, "--out", "{locked}/run"], "cannot write into {locked}/run: "),
    "sample": (["sample", DIGITS, "--n", "4", "--out", "{locked}/x.png"], "cannot write {locked}/x.png: "),
    "translate": (["translate", SKETCH, "{picture}", "--out", "{locked}/x.png"], "cannot write {locked}/x.png: "),
    "bench": (["bench", "--quick", "--only", "training", "--out", "{locked}/report.json"],
              "cannot write {locked}/report.json: "),
}


def _fill(parts, names):
    return [part.format(**names) for part in parts]


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_config_values_are_one_sentence_before_training(case, places, tmp_path: Path):
    args, fragment = CONFIG_CASES[case]
    out = ganstudio(*_fill(args, places), *FAST, "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert_one_sentence(out, fragment)
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.parametrize("case", list(PLACE_CASES))
def test_unusable_places_are_one_sentence_naming_the_path(case, places, tmp_path: Path):
    args, fragment = PLACE_CASES[case]
    out = ganstudio(*_fill(args, places), cwd=tmp_path)
    assert_one_sentence(out, fragment.format(**places))


@pytest.mark.skipif(not HAS_DEV_FULL, reason="needs /dev/full")
@pytest.mark.parametrize("case", list(FULL_DISK_CASES))
def test_a_full_disk_is_one_sentence_naming_the_path(case, places, tmp_path: Path):
    args, fragment = FULL_DISK_CASES[case]
    out = ganstudio(*_fill(args, places), cwd=tmp_path)
    assert_one_sentence(out, fragment.format(**places))


@pytest.mark.parametrize("case", list(READ_ONLY_CASES))
def test_read_only_places_are_refused_before_any_work(case, places, tmp_path: Path):
    names = dict(places, locked=str(read_only_folder(tmp_path)))
    args, fragment = READ_ONLY_CASES[case]
    started = time.perf_counter()
    out = ganstudio(*_fill(args, names), cwd=tmp_path)
    assert_one_sentence(out, fragment.format(**names))
    assert "ganstudio bench:" not in out.stderr  # nothing was measured first
    assert "training" not in out.stderr.split("ganstudio: error")[0]  # nor trained
    assert time.perf_counter() - started < 120


@pytest.mark.skipif(not HAS_DEV_FULL, reason="needs /dev/full")
def test_a_disk_that_fills_up_during_training_names_the_run_folder(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").symlink_to("/dev/full")  # the first logged line cannot be written
    out = ganstudio("train", "toy-ring", *QUICK, "--set", "train.log_every=1", "--out", str(run), cwd=tmp_path)
    assert_one_sentence(out, f"cannot write in {run}: the disk is full")


def test_resuming_with_another_optimizer_is_refused_up_front(ring_run: Path, tmp_path: Path):
    before = (ring_run / "metrics.jsonl").read_text()
    out = ganstudio("train", "toy-ring", "--steps", "4", "--quiet", "--resume", str(ring_run),
                    "--set", "optim.optimizer=sgd", cwd=tmp_path)
    assert_one_sentence(out, "was trained with optim.optimizer 'adam'; it cannot continue with 'sgd'")
    assert (ring_run / "metrics.jsonl").read_text() == before  # the run is untouched


BUG = ("import sys; from ganstudio import cli\n"
       "def broken(args):\n    raise ValueError('boom\\nsecond line')\n"
       "cli.COMMANDS['info'] = broken\nsys.exit(cli.main(sys.argv[1:]))\n")


def test_a_bug_is_one_internal_error_line_and_debug_shows_the_traceback(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "GANSTUDIO_DEBUG"}
    out = subprocess.run([sys.executable, "-c", BUG, "info", "x"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "ganstudio: internal error: ValueError: boom second line (run with --debug for the traceback)"]
    for extra_args, extra_env in ((["--debug", "info", "x"], {}), (["info", "x", "--debug"], {}),
                                  (["info", "x"], {"GANSTUDIO_DEBUG": "1"})):
        out = subprocess.run([sys.executable, "-c", BUG, *extra_args], capture_output=True, text=True, cwd=tmp_path,
                             env=dict(env, **extra_env), timeout=120)
        assert out.returncode == 1 and "Traceback" in out.stderr and "in broken" in out.stderr, extra_args
        assert out.stderr.strip().splitlines()[-1] == "ganstudio: internal error: ValueError: boom second line"


def test_debug_shows_the_traceback_of_a_user_error_too(tmp_path: Path):
    out = ganstudio("--debug", "info", str(tmp_path / "missing.safetensors"), cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("ganstudio: error: checkpoint")


def test_the_sentences_are_listed_in_reliability_md():
    """docs/RELIABILITY.md's fault table stays in step with these cases (one row per finding)."""
    table = (Path(__file__).resolve().parents[2] / "docs" / "RELIABILITY.md").read_text()
    for fragment in ("must be a finite number", "must be a whole number, not '1e400'", "'data.hints_max'",
                     "'model.z_dim'", "'train.n_preview'", "is not valid JSON", "cannot continue with 'sgd'",
                     "which toy data cannot train", "the disk is full", "is a file, not a folder",
                     "it is a folder, not a file", "internal error", "not enough memory"):
        assert fragment in table, fragment
