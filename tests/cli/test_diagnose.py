"""`ganstudio diagnose` on real short runs: a healthy preset gets no warning, a WGAN critic without any
constraint is named, --json is machine-readable, and a folder that is not a run is one sentence (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_bad_input import assert_one_sentence, ganstudio

SHORT = ["--steps", "120", "--quiet", "--threads", "1", "--set", "train.log_every=10", "--set", "train.sample_every=40",
         "--set", "train.eval_every=0", "--set", "train.checkpoint_every=0"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("doctor")
    made = {}
    for name, extra in {"healthy": [], "free_critic": ["--set", "objective.loss=wgan-gp", "--set", "objective.gp_weight=0",
                                                      "--set", "objective.r1_gamma=0"]}.items():
        out = ganstudio("train", "toy-ring", *SHORT, *extra, "--out", str(base / name), cwd=base)
        assert out.returncode == 0, out.stderr
        made[name] = base / name
    return made


def test_a_healthy_preset_gets_no_warning(runs):
    out = ganstudio("diagnose", str(runs["healthy"]), cwd=runs["healthy"].parent)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines and lines[-1].startswith("OK healthy"), out.stdout
    assert not any(line.startswith(("WARNING", "ERROR")) for line in lines), out.stdout


def test_an_unconstrained_wgan_critic_is_named(runs):
    out = ganstudio("diagnose", str(runs["free_critic"]), "--json", cwd=runs["free_critic"].parent)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    f = next(f for f in found if f["rule"] == "critic_not_lipschitz")
    assert f["severity"] == "error"
    assert "objective.gp_weight=10" in [s["set"] for s in f["suggestions"]]


def test_a_folder_that_is_not_a_run_is_one_sentence(tmp_path):
    assert_one_sentence(ganstudio("diagnose", str(tmp_path), cwd=tmp_path), "is not a run folder")
    assert_one_sentence(ganstudio("diagnose", str(tmp_path / "gone"), cwd=tmp_path), "does not exist")
