"""How long listing a folder of runs takes (`core.train.run_index.scan_runs`: the run browser and
`ganstudio runs`).

    PYTHONPATH=. python benchmarks/run_index.py [--runs 500]

One real short training (toy-ring, 4 steps, evaluated, one torch thread) gives the run files; the folder of
runs holds --runs copies of its config.json, config.toml and checkpoint JSON twins (the .safetensors, which
the listing never opens, are left out to spare the disk), each with a metrics.jsonl of 2000 records, one in
ten of 10^5 records (~40 MB; hard links to one file, so the disk is spared too), and one in fifty broken
(config.json cut in half). The files were just written, so they are in the page cache: a cold disk adds its
seek times. Prints the median of 5 scans, the whole `ganstudio runs` command, and what reading the big logs
whole (as the Monitor does when it opens a run) would cost instead of their tails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def record(step: int) -> bytes:
    return json.dumps({"step": step, "wall_time": step / 50, "d_loss": 1.2, "g_loss": 0.9, "d_real": 0.6, "d_fake": 0.4,
                       "grad_norm_d": 1.1, "grad_norm_g": 0.8, "it_s": 51.0, "lr_g": 5e-4, "lr_d": 5e-4,
                       "sliced_w": 0.05}, separators=(",", ":")).encode() + b"\n"


def make_runs(base: Path, n: int) -> Path:
    import torch

    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    torch.set_num_threads(1)
    real = base / "real"
    cfg = preset("toy-ring").with_overrides(["train.steps=4", "train.log_every=1", "train.eval_every=2",
                                             "train.sample_every=0", "train.checkpoint_every=0"])
    Trainer(cfg, run_dir=real).run(save_at_end="always", evaluate_at_end=True)
    logs = {}
    for records in (2000, 100_000):
        logs[records] = base / f"metrics-{records}.jsonl"
        logs[records].write_bytes(b"".join(record(10 * i) for i in range(1, records + 1)))
    runs = base / "runs"
    for i in range(n):
        run = runs / f"toy-ring-20261201-{i // 60:04d}{i % 60:02d}"
        (run / "checkpoints").mkdir(parents=True)
        for part in ("config.json", "config.toml", "checkpoints/latest.json", "checkpoints/best.json"):
            shutil.copy2(real / part, run / part)
        os.link(logs[100_000 if i % 10 == 0 else 2000], run / "metrics.jsonl")
        os.utime(run / "checkpoints" / "latest.json")  # saved after the last log line, as at a run's end: it is read
        if i % 50 == 7:
            text = (run / "config.json").read_text()
            (run / "config.json").write_text(text[: len(text) // 2])
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    from ganstudio.core.train.run_index import scan_runs
    from ganstudio.core.train.runlog import read_metrics

    with tempfile.TemporaryDirectory() as tmp:
        runs = make_runs(Path(tmp), args.runs)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            scan = scan_runs(runs)
            times.append(time.perf_counter() - t)
        print(f"scan_runs, {args.runs} runs: median {1000 * statistics.median(times):.0f} ms "
              f"(min {1000 * min(times):.0f}, max {1000 * max(times):.0f}); {scan.summary()}")
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ganstudio", "runs", str(runs)], capture_output=True, text=True,
                             cwd=tmp, env=dict(os.environ))
        print(f"`ganstudio runs` whole command (Python start and imports included): {time.perf_counter() - t:.2f} s, "
              f"exit {out.returncode}, {len(out.stdout.splitlines()) - 1} lines")
        big = [r.folder / "metrics.jsonl" for r in scan.runs[::10]][:5]
        t = time.perf_counter()
        for path in big:
            read_metrics(path)
        per = (time.perf_counter() - t) / len(big)
        print(f"reading a 10^5-record metrics.jsonl whole instead of its tail: {per:.2f} s each "
              f"(x{args.runs // 10} such runs here)")


if __name__ == "__main__":
    main()
