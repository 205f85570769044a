"""The "losing training" rows of docs/RELIABILITY.md, measured: each fault done to a real `ganstudio train`
as a user (or a scheduler, or a crash) does it, and what is kept afterwards.

    PYTHONPATH=. python benchmarks/training_faults.py [--only NAME ...] [--skip-torchrun]

Prints one line per fault: exit status, what the user saw (the last stderr line), the checkpoint's step
against the last logged step, leftover temp files, duplicate logged steps, seconds from the fault to exit.
"""

from __future__ import annotations

import argparse
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
import tempfile
import termios
import threading
import time
from pathlib import Path

SMALL = ["--set", "model.g_width=32", "--set", "model.d_width=32", "--set", "train.log_every=5",
         "--set", "train.eval_every=0", "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0"]
SLOW_SAVE = ["--set", "model.g_width=1024", "--set", "model.d_width=1024", "--set", "model.g_depth=4",
             "--set", "model.d_depth=4", "--set", "train.log_every=1", "--set", "train.eval_every=0",
             "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0", "--threads", "1"]
ENV = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")


def train(run: Path, *extra: str, steps: int = 100000, preset: str = "toy-ring") -> list[str]:
    return [sys.executable, "-m", "ganstudio", "train", preset, "--steps", str(steps), "--out", str(run), *extra]


def wait_logged(proc, run: Path, lines: int = 1, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        path = run / "metrics.jsonl"
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the run ended early: {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError("never logged")


def outcome(run: Path, rc, err: str, seconds: float | None) -> dict:
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.errors import GanStudioError

    steps = []
    if (run / "metrics.jsonl").exists():
        for line in (run / "metrics.jsonl").read_text(errors="replace").splitlines():
            try:
                steps.append(json.loads(line)["step"])
            except (ValueError, KeyError, TypeError):
                pass
    try:
        ckpt = load_checkpoint(run / "checkpoints" / "latest.safetensors").step
    except GanStudioError as exc:
        ckpt = f"none ({str(exc)[:40]})"
    lines = [line for line in err.splitlines() if line.strip()]
    return {"rc": rc, "says": lines[-1][:150] if lines else "", "checkpoint_step": ckpt,
            "last_logged": max(steps) if steps else None, "duplicate_steps": len(steps) - len(set(steps)),
            "tmp_files": len(list(run.rglob("*.tmp"))), "lock_left": (run / "run.lock").exists(),
            "fault_to_exit_s": None if seconds is None else round(seconds, 2)}


def signal_once(base: Path, signum, extra=SMALL) -> dict:
    run = base / f"sig-{signum.name}"
    proc = subprocess.Popen(train(run, *extra, "--quiet"), stderr=subprocess.PIPE, text=True, env=ENV)
    wait_logged(proc, run, lines=3)
    t0 = time.time()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=300)
    return outcome(run, proc.returncode, err, time.time() - t0)


def closed_terminal(base: Path) -> dict:
    run = base / "closed-terminal"
    master, slave = pty.openpty()
    proc = subprocess.Popen(train(run, *SMALL), stdin=slave, stdout=slave, stderr=slave, env=ENV,
                            start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    out, stop = bytearray(), threading.Event()

    def drain():
        while not stop.is_set():
            if select.select([master], [], [], 0.05)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                out.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    wait_logged(proc, run, lines=3)
    stop.set()
    reader.join()
    t0 = time.time()
    os.close(master)  # the window closes: SIGHUP, then every write to the terminal fails
    proc.wait(300)
    return outcome(run, proc.returncode, out.decode(errors="replace"), time.time() - t0)


def storm(base: Path, signum, every_s: float, name: str) -> dict:
    run = base / name
    proc = subprocess.Popen(train(run, *SLOW_SAVE, "--quiet"), stderr=subprocess.PIPE, text=True, env=ENV)
    wait_logged(proc, run, lines=2)
    t0, sent = time.time(), 0
    while proc.poll() is None and time.time() - t0 < 120:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            break
        sent += 1
        time.sleep(every_s)
    _, err = proc.communicate(timeout=60)
    result = outcome(run, proc.returncode, err, time.time() - t0)
    result["signals_sent"] = sent
    return result


def second_writer(base: Path) -> dict:
    run = base / "second-writer"
    first = subprocess.Popen(train(run, *SMALL, "--quiet"), stderr=subprocess.PIPE, text=True, env=ENV)
    wait_logged(first, run)
    second = subprocess.run(train(run, *SMALL, "--quiet", steps=50), capture_output=True, text=True, env=ENV)
    time.sleep(1)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=300)
    result = outcome(run, second.returncode, second.stderr, None)
    result["first_rc"] = first.returncode
    return result


def new_run_over_old(base: Path) -> dict:
    run = base / "R"
    subprocess.run(train(run, *SMALL, "--quiet", steps=20), capture_output=True, env=ENV, check=True)
    refused = subprocess.run(train(run, *SMALL, "--quiet", steps=10, preset="toy-spiral"), capture_output=True,
                             text=True, env=ENV)
    result = outcome(run, refused.returncode, refused.stderr, None)
    replaced = subprocess.run(train(run, *SMALL, "--quiet", "--overwrite", steps=10, preset="toy-spiral"),
                              capture_output=True, text=True, env=ENV)
    moved = re.search(r"moved the previous run .*", replaced.stderr)
    result["overwrite"] = {"rc": replaced.returncode, "says": moved.group(0)[:150] if moved else replaced.stderr[-150:]}
    return result


def killed_then_resumed(base: Path) -> dict:
    run = base / "kill9"
    proc = subprocess.Popen(train(run, *SMALL, "--quiet", "--set", "train.checkpoint_every=20"),
                            stderr=subprocess.PIPE, text=True, env=ENV)
    wait_logged(proc, run, lines=3)
    deadline = time.time() + 120
    while time.time() < deadline:  # kill between two checkpoints, with steps logged after the last one
        lines = (run / "metrics.jsonl").read_text().splitlines()
        if lines and json.loads(lines[-1])["step"] % 20 == 15 and json.loads(lines[-1])["step"] > 20:
            break
        time.sleep(0.005)
    proc.kill()
    proc.communicate()
    # what repeated kill -9 during checkpointing leaves: temp files of saves that never finished
    for i in range(3):
        (run / "checkpoints" / f".latest.safetensors.kill{i}xyz.tmp").write_bytes(b"half")
    before = outcome(run, proc.returncode, "", None)
    resumed = subprocess.run(train(run, *SMALL, "--quiet", "--resume", str(run), steps=60), capture_output=True,
                             text=True, env=ENV)
    after = outcome(run, resumed.returncode, resumed.stderr, None)
    after["before_resume"] = {k: before[k] for k in ("checkpoint_step", "last_logged", "tmp_files", "lock_left")}
    after["said"] = [line for line in resumed.stderr.splitlines() if "taking it over" in line or "warning" in line]
    return after


def stale_lock(base: Path) -> dict:
    run = base / "stale"
    run.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / "run.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "2024-05-17T12:00:00"}))
    out = subprocess.run(train(run, *SMALL, "--quiet", steps=10), capture_output=True, text=True, env=ENV)
    result = outcome(run, out.returncode, out.stderr, None)
    result["said"] = [line for line in out.stderr.splitlines() if "taking it over" in line]
    return result


def torchrun_sigterm(base: Path) -> dict:
    run = base / "ddp"
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                             "-m", "ganstudio", "train", "toy-ring", "--steps", "100000", "--device", "cpu",
                             "--out", str(run), *SMALL, "--quiet"], stderr=subprocess.PIPE, text=True, env=ENV,
                            cwd=base, start_new_session=True)
    wait_logged(proc, run, lines=3)
    t0 = time.time()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        err += "\n(hung: killed after 90 s)"
    result = outcome(run, proc.returncode, "\n".join(line for line in err.splitlines() if "ganstudio" in line), time.time() - t0)
    try:
        from ganstudio.core.checkpoint import load_checkpoint

        meta = load_checkpoint(run / "checkpoints" / "latest.safetensors").meta
        sums = meta["replica_checksums"]
        result["ranks_agree"] = sums["G"][0] == sums["G"][1] and sums["D"][0] == sums["D"][1]
        result["world_size"] = meta["world_size"]
    except Exception as exc:  # noqa: BLE001 - a measurement reports what it found
        result["ranks_agree"] = f"no checkpoint ({type(exc).__name__})"
    result["stopped_lines"] = err.count("stopped at step")
    return result


def follower_faults(base: Path) -> dict:
    from ganstudio.core.train.runlog import MetricsFollower, MetricsWriter

    path = base / "follow.jsonl"
    path.write_text('{"step":5}\n{"step":10,"d_lo')
    def steps(records):
        return [r["step"] if isinstance(r, dict) else r for r in records]

    f = MetricsFollower(path)
    first = steps(f.poll())
    with MetricsWriter(path) as w:
        w.write({"step": 15})
    torn = {"before": first, "after_append": steps(f.poll()), "bad_lines": f.bad_lines}
    path.write_text("".join(f'{{"step":{s}}}\n' for s in (1, 2, 3, 4, 5, 6)))
    grown = {"records": steps(f.poll()), "restarted": getattr(f, "restarted", "n/a")}
    path.write_bytes(b'{"step":6}\n42\n[1,2]\n\xff\xfe\n{"step":7,"s":"\xe9"}\n')
    g = MetricsFollower(path)
    try:
        garbage = {"records": steps(g.poll()), "bad_lines": g.bad_lines}
    except Exception as exc:  # noqa: BLE001 - a measurement reports what it found
        garbage = {"raised": type(exc).__name__}
    return {"torn_then_append": torn, "rewritten_then_grown": grown, "garbage": garbage}


def ctrl_c_twice(base: Path) -> dict:
    run = base / "ctrl-c-twice"
    proc = subprocess.Popen(train(run, *SLOW_SAVE, "--quiet"), stderr=subprocess.PIPE, text=True, env=ENV)
    wait_logged(proc, run, lines=2)
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    return outcome(run, proc.returncode, err, time.time() - t0)


FAULTS = {
    "sigterm": lambda b: signal_once(b, signal.SIGTERM),
    "sighup": lambda b: signal_once(b, signal.SIGHUP),
    "closed-terminal": closed_terminal,
    "ctrl-c": lambda b: signal_once(b, signal.SIGINT),
    "ctrl-c-twice": ctrl_c_twice,
    "sigterm-storm": lambda b: storm(b, signal.SIGTERM, 0.002, "sigterm-storm"),
    "ctrl-c-hammered": lambda b: storm(b, signal.SIGINT, 0.35, "ctrl-c-hammered"),
    "second-writer": second_writer,
    "new-run-over-old": new_run_over_old,
    "kill9-then-resume": killed_then_resumed,
    "stale-lock": stale_lock,
    "torchrun-sigterm": torchrun_sigterm,
    "follower": follower_faults,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(FAULTS))
    parser.add_argument("--skip-torchrun", action="store_true")
    args = parser.parse_args()
    names = args.only or [n for n in FAULTS if not (args.skip_torchrun and n == "torchrun-sigterm")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            base = Path(tmp) / name
            base.mkdir()
            t0 = time.time()
            result = FAULTS[name](base)
            print(json.dumps({"fault": name, **result, "wall_s": round(time.time() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
