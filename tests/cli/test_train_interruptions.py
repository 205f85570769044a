"""`ganstudio train` keeps the training: SIGTERM, SIGHUP (a closed terminal) and Ctrl-C stop between two
steps and save; more signals wait for the save; a run folder has one writer; a new run never silently
replaces an old one; what a killed run left is cleaned on the next start. Real processes, real signals."""

import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from ganstudio.core.checkpoint import load_checkpoint

SMALL = ["--set", "model.g_width=32", "--set", "model.d_width=32", "--set", "train.log_every=5",
         "--set", "train.eval_every=0", "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0"]
# A model whose checkpoint (88 MB) takes about a second to write: signals land inside the save.
SLOW_SAVE = ["--set", "model.g_width=1024", "--set", "model.d_width=1024", "--set", "model.g_depth=4",
             "--set", "model.d_depth=4", "--set", "train.log_every=1", "--set", "train.eval_every=0",
             "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0", "--threads", "1"]
ENV = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")


def train_cmd(run: Path, *extra: str, steps: int = 100000) -> list[str]:
    return [sys.executable, "-m", "ganstudio", "train", "toy-ring", "--steps", str(steps), "--out", str(run), *extra]


def start(run: Path, *extra: str, quiet: bool = True) -> subprocess.Popen:
    args = train_cmd(run, *(SMALL if not extra else extra), *(["--quiet"] if quiet else []))
    return subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=ENV)


def wait_for_metrics(proc: subprocess.Popen, run: Path, lines: int = 1, timeout: float = 240) -> None:
    """Until the run has logged `lines` steps (a loaded machine takes a while to import torch)."""
    metrics = run / "metrics.jsonl"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if metrics.exists() and metrics.read_bytes().count(b"\n") >= lines:
            return
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "the run ended"
        time.sleep(0.1)
    raise AssertionError("training never logged a step")


def finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:  # never leave a 100000-step run behind
            proc.kill()
            proc.wait()
    return err or ""


def logged_steps(run: Path) -> list[int]:
    """The steps of the training records (the final evaluation, at the last step, is a record of its own)."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in records if r.get("kind") != "eval"]


def temp_files(run: Path) -> list[Path]:
    return sorted(run.rglob("*.tmp"))


def stopped_step(err: str) -> int:
    match = re.search(r"stopped at step (\d+); checkpoint saved to (\S+)", err)
    assert match, err
    return int(match.group(1))


# --- signals ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_between_two_steps_and_save(tmp_path: Path, signum):
    run = tmp_path / "run"
    proc = start(run)
    try:
        wait_for_metrics(proc, run)
        proc.send_signal(signum)
    finally:
        err = finish(proc)
    assert proc.returncode == 130, err
    assert f"{signum.name}: stopped at step" in err
    ckpt = load_checkpoint(run / "checkpoints" / "latest.safetensors")
    assert ckpt.step == stopped_step(err) >= max(logged_steps(run)) > 0
    assert temp_files(run) == [] and not (run / "run.lock").exists()


def test_under_nohup_a_hangup_is_ignored_and_sigterm_still_saves(tmp_path: Path):
    run = tmp_path / "run"
    proc = subprocess.Popen(["nohup", *train_cmd(run, *SMALL, "--quiet")], stderr=subprocess.PIPE, text=True,
                            env=ENV, cwd=tmp_path)
    try:
        wait_for_metrics(proc, run)
        proc.send_signal(signal.SIGHUP)  # nohup: the user asked to outlive the terminal
        logged = len(logged_steps(run))
        deadline = time.time() + 60
        while len(logged_steps(run)) < logged + 3 and time.time() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        assert proc.poll() is None and len(logged_steps(run)) >= logged + 3  # still training
        proc.send_signal(signal.SIGTERM)
    finally:
        err = finish(proc)
    assert proc.returncode == 130, err
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == stopped_step(err)


class Terminal:
    """A process in its own pseudo-terminal, as in a terminal window; hang_up() closes the window."""

    def __init__(self, args: list[str]):
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=ENV, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.master, self.output = master, bytearray()
        self._hang_up = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._hang_up.is_set():
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    break
                if not data:
                    break
                self.output += data
        os.close(self.master)  # the kernel sends SIGHUP; the process's writes to the terminal now fail

    def hang_up(self) -> None:
        self._hang_up.set()
        self._reader.join(10)


def test_closing_the_terminal_saves_even_though_the_progress_bar_can_no_longer_write(tmp_path: Path):
    run = tmp_path / "run"
    term = Terminal(train_cmd(run, *SMALL))  # not --quiet: a progress bar redrawn on the terminal
    try:
        wait_for_metrics(term.proc, run)
        deadline = time.monotonic() + 60  # wait for the bar to draw (a fixed 0.5 s was a race under load)
        while b"it/s" not in term.output and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"it/s" in term.output  # the bar was drawing
        term.hang_up()
        term.proc.wait(120)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()
    assert term.proc.returncode == 130
    ckpt = load_checkpoint(run / "checkpoints" / "latest.safetensors")
    assert ckpt.step >= max(logged_steps(run)) > 0
    assert temp_files(run) == []


def storm(proc: subprocess.Popen, signum, every_s: float, until_s: float = 60) -> int:
    """Send `signum` again and again until the process ends; returns how many were sent."""
    sent, deadline = 0, time.time() + until_s
    while proc.poll() is None and time.time() < deadline:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            break
        sent += 1
        time.sleep(every_s)
    return sent


def test_a_sigterm_storm_waits_for_the_save(tmp_path: Path):
    run = tmp_path / "run"
    proc = start(run, *SLOW_SAVE)
    try:
        wait_for_metrics(proc, run)
        sent = storm(proc, signal.SIGTERM, every_s=0.002)  # through the last step, the save and the exit
    finally:
        err = finish(proc)
    assert sent > 100
    assert proc.returncode == 130, err
    ckpt = load_checkpoint(run / "checkpoints" / "latest.safetensors")
    assert ckpt.step == stopped_step(err)
    assert temp_files(run) == []


def test_ctrl_c_twice_in_quick_succession_still_saves(tmp_path: Path):
    run = tmp_path / "run"
    proc = start(run, *SLOW_SAVE)
    try:
        wait_for_metrics(proc, run)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.4)  # inside the last step or the save
        proc.send_signal(signal.SIGINT)
    finally:
        err = finish(proc)
    assert proc.returncode == 130, err
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == stopped_step(err)
    assert temp_files(run) == [] and "Traceback" not in err


def test_a_third_ctrl_c_quits_but_never_leaves_a_half_written_file(tmp_path: Path):
    run = tmp_path / "run"
    proc = start(run, *SLOW_SAVE)
    try:
        wait_for_metrics(proc, run)
        storm(proc, signal.SIGINT, every_s=0.35)  # distinct presses, as a user hammering Ctrl-C
    finally:
        err = finish(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert temp_files(run) == []
    if "without waiting for the save" in err:  # the third press came during the save: nothing half-written
        latest = run / "checkpoints" / "latest.safetensors"
        if latest.exists():  # the press came after the rename (while the .json twin or the snapshot was made)
            assert f"keeps a checkpoint at step {load_checkpoint(latest).step}" in err
        else:
            assert "no checkpoint was kept" in err
    else:  # the save was quicker than three presses
        assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == stopped_step(err)


# --- one writer per run folder ------------------------------------------------------------------------------

def test_a_second_training_on_the_same_out_is_refused_naming_the_folder_and_the_owner(tmp_path: Path):
    run = tmp_path / "run"
    first = start(run)
    try:
        wait_for_metrics(first, run)
        for extra in ([], ["--resume", str(run)]):
            second = subprocess.run(train_cmd(run, *SMALL, "--quiet", *extra, steps=5), capture_output=True,
                                    text=True, env=ENV, timeout=240)
            assert second.returncode == 2, second.stderr
            errors = [line for line in second.stderr.splitlines() if line.startswith("ganstudio: error:")]
            assert len(errors) == 1 and "Traceback" not in second.stderr
            assert str(run) in errors[0] and f"pid {first.pid}" in errors[0]
        first.send_signal(signal.SIGTERM)
    finally:
        err = finish(first)
    assert first.returncode == 130, err
    steps = logged_steps(run)
    assert len(steps) == len(set(steps)) and steps == sorted(steps)  # one writer: no step twice


def test_the_lock_of_a_killed_run_is_taken_over_and_its_leftovers_cleaned(tmp_path: Path):
    run = tmp_path / "run"
    proc = start(run, *SMALL, "--set", "train.checkpoint_every=10")
    try:
        wait_for_metrics(proc, run, lines=3)  # step 15: a checkpoint at 10, step 15 logged after it
        for _ in range(200):  # frozen, then killed, between two checkpoints with a step logged after the last
            proc.send_signal(signal.SIGSTOP)
            time.sleep(0.05)
            if logged_steps(run)[-1] % 10 == 5:
                break
            proc.send_signal(signal.SIGCONT)
            time.sleep(0.01)
        proc.kill()  # kill -9: no handler runs
        proc.wait()
    finally:
        finish(proc)
    assert json.loads((run / "run.lock").read_text())["pid"] == proc.pid  # left behind
    saved_at = load_checkpoint(run / "checkpoints" / "latest.safetensors").step
    assert max(logged_steps(run)) > saved_at
    (run / "checkpoints" / ".latest.safetensors.k9x2mm1a.tmp").write_bytes(b"half a checkpoint")
    out = subprocess.run(train_cmd(run, *SMALL, "--quiet", "--resume", str(run), steps=saved_at + 10),
                         capture_output=True, text=True, env=ENV, timeout=240)
    assert out.returncode == 0, out.stderr
    assert f"left locked by pid {proc.pid}" in out.stderr and "taking it over" in out.stderr
    assert "removed 1 unfinished files (.latest.safetensors.*.tmp)" in out.stderr
    assert f"logged after step {saved_at}" in out.stderr
    steps = logged_steps(run)
    assert len(steps) == len(set(steps)) and max(steps) == saved_at + 10
    assert temp_files(run) == [] and not (run / "run.lock").exists()


def test_a_stale_lock_file_from_a_dead_pid_is_taken_over(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / "run.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "2024-05-17T12:00:00"}))
    out = subprocess.run(train_cmd(run, *SMALL, "--quiet", steps=5), capture_output=True, text=True, env=ENV, timeout=240)
    assert out.returncode == 0, out.stderr
    assert f"left locked by pid {dead.pid}" in out.stderr
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == 5


def test_a_new_run_into_an_existing_run_folder_needs_resume_or_overwrite(tmp_path: Path):
    run = tmp_path / "R"
    first = subprocess.run(train_cmd(run, *SMALL, "--quiet", steps=5), capture_output=True, text=True, env=ENV, timeout=240)
    assert first.returncode == 0, first.stderr
    before = (run / "checkpoints" / "latest.safetensors").read_bytes()
    spiral = [sys.executable, "-m", "ganstudio", "train", "toy-spiral", "--steps", "5", "--out", str(run), *SMALL, "--quiet"]

    refused = subprocess.run(spiral, capture_output=True, text=True, env=ENV, timeout=240)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert f"{run} already holds a run (a checkpoint at step 5)" in refused.stderr
    assert "--resume" in refused.stderr and "--overwrite" in refused.stderr
    assert (run / "checkpoints" / "latest.safetensors").read_bytes() == before  # untouched
    assert logged_steps(run) == [5]

    both = subprocess.run([*spiral, "--overwrite", "--resume", str(run)], capture_output=True, text=True, env=ENV, timeout=240)
    assert both.returncode == 2 and "give only one of them" in both.stderr

    replaced = subprocess.run([*spiral, "--overwrite"], capture_output=True, text=True, env=ENV, timeout=240)
    assert replaced.returncode == 0, replaced.stderr
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("R-replaced-")]
    assert f"moved the previous run (a checkpoint at step 5) to {aside}" in replaced.stderr
    assert (aside / "checkpoints" / "latest.safetensors").read_bytes() == before  # moved aside, not deleted
    assert json.loads((aside / "config.json").read_text())["data"]["kind"] == "ring"
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").config["data"]["kind"] == "spiral"
    assert logged_steps(run) == [5]  # the new run's steps only


# --- torchrun ----------------------------------------------------------------------------------------------

def test_sigterm_to_torchrun_stops_every_rank_at_one_step_and_rank_0_saves(tmp_path: Path):
    run = tmp_path / "ddp"
    proc = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "ganstudio", "train", "toy-ring", "--steps", "100000", "--device", "cpu", "--out", str(run),
         *SMALL, "--quiet"], stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path, start_new_session=True)
    try:
        wait_for_metrics(proc, run, timeout=300)
        proc.send_signal(signal.SIGTERM)  # torchrun passes it on to both workers
        err = finish(proc, timeout=60)  # well inside torchrun's 30 s before it kills them
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert err.count("stopped at step") == 1, err[-3000:]  # rank 0 alone talks and writes
    ckpt = load_checkpoint(run / "checkpoints" / "latest.safetensors")
    assert ckpt.step == stopped_step(err) and ckpt.meta["world_size"] == 2
    sums = ckpt.meta["replica_checksums"]
    assert sums["G"][0] == sums["G"][1] and sums["D"][0] == sums["D"][1]  # both ranks stopped at that step
    assert temp_files(run) == [] and not (run / "run.lock").exists()
