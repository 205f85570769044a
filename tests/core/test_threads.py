"""One CPU-thread policy for the CLI and the app (issue: headless training was 3-10x slower than the app)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from ganstudio.core import device
from ganstudio.core.errors import ConfigError


def test_small_models_get_one_thread_and_image_models_all_cpus_but_one(monkeypatch):
    monkeypatch.delenv(device.THREADS_ENV, raising=False)
    monkeypatch.setattr(device, "available_cpus", lambda: 16)
    assert device.choose_threads("toy") == 1
    assert device.choose_threads("image") == 15
    monkeypatch.setattr(device, "available_cpus", lambda: 1)
    assert device.choose_threads("image") == 1


def test_a_request_beats_the_environment_which_beats_the_policy(monkeypatch):
    monkeypatch.setattr(device, "available_cpus", lambda: 16)
    monkeypatch.setenv(device.THREADS_ENV, "3")
    assert device.choose_threads("toy") == 3
    assert device.choose_threads("toy", requested=5) == 5
    assert device.choose_threads("image", requested=0) == 3  # 0 means "choose"
    monkeypatch.setenv(device.THREADS_ENV, "many")
    with pytest.raises(ConfigError, match="GANSTUDIO_TORCH_THREADS"):
        device.choose_threads("image")


def test_more_threads_than_cpus_are_never_asked_of_torch(monkeypatch):
    """torch's thread count is process-wide: train.threads = 1024 (the field allows it) slowed the app's
    rendering and the Lab's jobs to a crawl on 2 cores."""
    monkeypatch.setattr(device, "available_cpus", lambda: 2)
    monkeypatch.delenv(device.THREADS_ENV, raising=False)
    assert device.choose_threads("image", requested=1024) == 2
    monkeypatch.setenv(device.THREADS_ENV, "64")
    assert device.choose_threads("toy") == 2


def test_apply_sets_torch(monkeypatch):
    before = torch.get_num_threads()
    try:
        assert device.apply_threads("image", requested=1) == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def _train(tmp_path, *flags):
    code = ("import sys, torch; from ganstudio.cli import main; rc = main(sys.argv[1:]); "
            "print('THREADS', torch.get_num_threads()); sys.exit(rc)")
    env_clean = {k: v for k, v in __import__("os").environ.items() if k != device.THREADS_ENV}
    return subprocess.run([sys.executable, "-c", code, "train", "toy-ring", "--steps", "2", "--quiet",
                           "--out", str(tmp_path / "run"), *flags], capture_output=True, text=True, timeout=300,
                          env=env_clean)


def test_cli_train_uses_the_policy_and_the_flag(tmp_path):
    done = _train(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "THREADS 1" in done.stdout  # a toy: one thread, whatever the machine
    done = _train(tmp_path / "b", "--threads", "2")
    assert done.returncode == 0, done.stderr
    assert "THREADS 2" in done.stdout
    saved = json.loads((tmp_path / "b" / "run" / "config.json").read_text())
    assert saved["train"]["threads"] == 2
    bad = _train(tmp_path / "c", "--threads", "-1")
    assert bad.returncode == 2 and "train.threads" in bad.stderr and "Traceback" not in bad.stderr
