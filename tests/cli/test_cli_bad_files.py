"""Broken checkpoints on the command line: `info` and `train --resume` end with one line naming the
file and the user-error exit status, never a traceback (real processes, as a user runs them)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from checkpoint_variants import write_variant

from ganstudio.cli import EXIT_USER_ERROR


def ganstudio(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "ganstudio", *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def toy_ckpt(tmp_path_factory) -> Path:
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    cfg = preset("toy-ring").with_overrides(["train.steps=2", "train.log_every=1", "train.eval_every=0",
                                             "train.sample_every=0", "train.checkpoint_every=0"])
    trainer = Trainer(cfg, run_dir=tmp_path_factory.mktemp("toy") / "run")
    trainer.run()
    return trainer.save_checkpoint()


def _drop(prefix):
    return lambda t: [t.pop(k) for k in list(t) if k.startswith(prefix)]


CASES = {
    "meta not JSON": dict(raw_meta="{not json"),
    "meta a list": dict(raw_meta="[1, 2]"),
    "step abc": dict(meta_edit=lambda m: m.__setitem__("step", "abc")),
    "metric bad": dict(meta_edit=lambda m: m.__setitem__("metrics", {"sliced_w": "bad"})),
    "G missing": dict(tensor_edit=_drop("G.")),
    "opt D state missing": dict(tensor_edit=_drop("opt_D.")),
    "rng garbage": dict(tensor_edit=lambda t: t.__setitem__("rng.trainer", torch.full((5056,), 255, dtype=torch.uint8))),
    "G NaN": dict(tensor_edit=lambda t: t.__setitem__("G.body.0.bias", torch.full_like(t["G.body.0.bias"], float("nan")))),
}


def _one_line_error(out: subprocess.CompletedProcess, name: str) -> None:
    assert out.returncode == EXIT_USER_ERROR, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("ganstudio: error:")]
    assert len(errors) == 1 and name in errors[0], out.stderr


# Real processes are slow: the rest of the damage is covered in-process by tests/core/test_checkpoint_files.py.
@pytest.mark.parametrize("case", ["meta not JSON", "meta a list", "step abc", "metric bad", "G missing"])
def test_info_on_a_broken_checkpoint_is_one_line(toy_ckpt, tmp_path, case):
    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **CASES[case])
    _one_line_error(ganstudio("info", str(bad)), "bad.safetensors")


@pytest.mark.parametrize("case", ["step abc", "opt D state missing", "rng garbage", "G NaN"])
def test_resuming_a_broken_checkpoint_is_one_line(toy_ckpt, tmp_path, case):
    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **CASES[case])
    out = ganstudio("train", "toy-ring", "--resume", str(bad), "--steps", "4", "--out", str(tmp_path / "run"), "--quiet")
    _one_line_error(out, "bad.safetensors")
