"""What the TensorBoard export costs: per logged record and per preview (the live sink's work on the training
thread), converting a run folder of many records (`ganstudio tensorboard`), and a short toy-ring training with
and without the export (runs interleaved, the median of each kept).

    PYTHONPATH=. python benchmarks/tensorboard_export.py [--records 10000] [--steps 2000] [--repeats 3]

One torch thread. Report the machine's load (uptime) beside the numbers: on a shared machine they swing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def record(step: int, rng: np.random.Generator) -> dict:
    names = ("d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "r1_penalty", "lr_g", "lr_d",
             "it_s", "sliced_w")
    return {"step": step, "wall_time": step / 50.0, **{n: float(v) for n, v in zip(names, rng.random(len(names)))}}


def per_event(tmp: Path, n: int) -> dict[str, float]:
    from ganstudio.core.train.tensorboard_export import TensorBoardExport

    rng = np.random.default_rng(0)
    records = [record(10 * (i + 1), rng) for i in range(n)]
    grid = rng.integers(0, 255, (8 * 66 + 2, 8 * 66 + 2, 3), dtype=np.uint8)  # 64 previews of 64 px, as digits runs
    with TensorBoardExport(tmp / "per-event") as export:
        t = time.perf_counter()
        for r in records:
            export.write_record(r)
        export.flush()
        per_record = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for i in range(20):
            export.write_preview(i, {"grid": grid})
        export.flush()
        per_grid = (time.perf_counter() - t) / 20
        points = rng.standard_normal((512, 2))
        t = time.perf_counter()
        for i in range(20):
            export.write_preview(i, {"points": points})
        export.flush()
        per_points = (time.perf_counter() - t) / 20
    return {"per_record_ms": 1000 * per_record, "per_grid_ms": 1000 * per_grid, "per_points_ms": 1000 * per_points}


def convert(tmp: Path, n: int) -> float:
    from ganstudio.core.train.tensorboard_export import export_run_folder

    run = tmp / "run"
    run.mkdir()
    rng = np.random.default_rng(1)
    (run / "metrics.jsonl").write_text("".join(json.dumps(record(10 * (i + 1), rng)) + "\n" for i in range(n)))
    (run / "config.json").write_text("{}")
    t = time.perf_counter()
    export_run_folder(run)
    return time.perf_counter() - t


def train_rate(tmp: Path, steps: int, export: bool, k: int) -> float:
    from ganstudio.core.config import preset
    from ganstudio.core.train.tensorboard_export import attach
    from ganstudio.core.train.trainer import Trainer

    cfg = preset("toy-ring").with_overrides([f"train.steps={steps}", "train.eval_every=0", "train.checkpoint_every=0"])
    run = tmp / f"train-{export}-{k}"
    trainer = Trainer(cfg, run_dir=run)
    sink = attach(trainer, run / "tensorboard") if export else None
    try:
        t = time.perf_counter()
        trainer.run()
        return steps / (time.perf_counter() - t)
    finally:
        if sink is not None:
            sink.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    print(f"load before: {os.getloadavg()[0]:.1f}; torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for k, v in per_event(tmp, min(args.records, 2000)).items():
            print(f"{k}: {v:.3f}")
        print(f"convert {args.records} records: {convert(tmp, args.records):.2f} s")
        rates: dict[bool, list[float]] = {False: [], True: []}
        for k in range(args.repeats):
            for export in (False, True):
                rates[export].append(train_rate(tmp, args.steps, export, k))
        for export in (False, True):
            print(f"toy-ring {args.steps} steps {'with' if export else 'without'} the export: "
                  f"{statistics.median(rates[export]):.0f} it/s (runs: {', '.join(f'{r:.0f}' for r in rates[export])})")
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
