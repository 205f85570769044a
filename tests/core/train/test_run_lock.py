"""A run folder has one writer: its lock refuses a second one with one sentence naming the folder and the
owner's pid, and a lock whose owner died (kill -9 included) is taken over."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganstudio.core.train import run_lock
from ganstudio.core.train.run_lock import LOCK_NAME, RunFolderBusy, RunLock, read_owner

HOLD = """
import sys, time
from ganstudio.core.train.run_lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def hold_in_another_process(folder: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_the_lock_names_its_owner_and_goes_with_the_release(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    with RunLock(run) as lock:
        assert lock.held
        owner = read_owner(run)
        assert owner.pid == os.getpid() and owner.host == socket.gethostname()
        assert lock.took_over is None
    assert not (run / LOCK_NAME).exists() and run.is_dir()


def test_a_second_writer_is_refused_with_the_folder_and_the_owner_pid(tmp_path: Path):
    run = tmp_path / "run"
    proc = hold_in_another_process(run)
    try:
        with pytest.raises(RunFolderBusy) as info:
            RunLock(run).acquire()
        text = str(info.value)
        assert str(run) in text and f"pid {proc.pid}" in text and text.endswith(".")
    finally:
        proc.kill()
        proc.wait()
    # kill -9 frees the folder: the kernel dropped the lock, the file still names the dead owner
    assert read_owner(run).pid == proc.pid
    with RunLock(run) as lock:
        assert lock.took_over is not None and lock.took_over.pid == proc.pid
        assert read_owner(run).pid == os.getpid()


def test_one_process_cannot_take_the_same_folder_twice(tmp_path: Path):
    with RunLock(tmp_path / "run"):
        with pytest.raises(RunFolderBusy, match=f"pid {os.getpid()}"):
            RunLock(tmp_path / "run").acquire()


def test_a_stale_lock_file_from_a_dead_pid_is_taken_over(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    pid = dead_pid()
    (run / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": socket.gethostname(), "started": "2024-05-17T12:00:00"}))
    with RunLock(run) as lock:
        assert lock.took_over.pid == pid


def test_a_folder_the_lock_created_goes_again_if_nothing_was_written(tmp_path: Path):
    run = tmp_path / "new" / "run"
    with RunLock(run):
        assert run.is_dir()
    assert not run.exists()
    with RunLock(run):
        (run / "metrics.jsonl").write_text("")
    assert run.is_dir()


@pytest.fixture
def no_flock(monkeypatch):
    """A filesystem without flock (some network mounts): the pid in the file decides."""
    monkeypatch.setattr(run_lock.RunLock, "_lock", lambda self, fd: None)


def test_without_flock_a_live_owner_refuses_and_a_dead_one_is_stale(tmp_path: Path, no_flock):
    run = tmp_path / "run"
    run.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        (run / LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid, "host": socket.gethostname(), "started": "x"}))
        with pytest.raises(RunFolderBusy, match=f"pid {sleeper.pid}.*delete {run / LOCK_NAME}"):
            RunLock(run).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    deadline = time.time() + 10
    while run_lock.pid_running(sleeper.pid) and time.time() < deadline:
        time.sleep(0.05)
    with RunLock(run) as lock:
        assert lock.took_over.pid == sleeper.pid
        with pytest.raises(RunFolderBusy, match=f"pid {os.getpid()}"):
            RunLock(run).acquire()
    assert not (run / LOCK_NAME).exists()


def test_without_flock_an_owner_on_another_host_is_honoured(tmp_path: Path, no_flock):
    run = tmp_path / "run"
    run.mkdir()
    (run / LOCK_NAME).write_text(json.dumps({"pid": dead_pid(), "host": "elsewhere.example", "started": "x"}))
    with pytest.raises(RunFolderBusy, match="on elsewhere.example"):
        RunLock(run).acquire()
