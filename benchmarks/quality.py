"""Long quality runs of the presets (not tests): train, evaluate on the way, print a table row.

    python benchmarks/quality.py toy-ring [--minutes 5] [--set KEY=VALUE ...] [--out DIR]

Prints one line per evaluation (step, seconds, metrics) and a final JSON summary, which is what
docs/QUALITY.md records. Wall-clock budget and step count both stop the run, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import torch

from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("preset")
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--out", default=None)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    cfg = preset(args.preset).with_overrides(
        [f"train.eval_every={args.eval_every}", "train.sample_every=0", "train.checkpoint_every=0"] + args.set
    )
    evals = []

    def report(event):
        if event.kind == "eval":
            evals.append(event.data)
            shown = {k: round(v, 4) for k, v in event.data.items() if isinstance(v, float) and k not in ("wall_time",)}
            print(f"step {event.step:6d}  {event.data['wall_time']:7.1f}s  {shown}", flush=True)

    trainer = Trainer(cfg, run_dir=args.out, report=report)
    budget = args.minutes * 60
    t0 = time.perf_counter()
    trainer.run(should_stop=lambda: time.perf_counter() - t0 > budget)
    final = trainer.evaluate(n=10000 if cfg.data.task == "toy" else 2500)
    summary = {
        "preset": args.preset,
        "overrides": args.set,
        "steps": trainer.step_count,
        "seconds": round(time.perf_counter() - t0, 1),
        "final": {k: round(v, 4) for k, v in final.items()},
        "best_hq": max((e.get("hq_fraction", 0) for e in evals), default=None),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}",
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
