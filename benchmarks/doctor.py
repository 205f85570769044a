"""How long the training doctor takes on a 10^5-step run: the rules on ready columns (what the Monitor's
Diagnosis panel does on each refresh) and the whole `diagnose_folder` (reading metrics.jsonl too).

    PYTHONPATH=. python benchmarks/doctor.py [--records 100000]

The metrics file is synthetic (healthy noise around the toy presets' values, with a D that wins in the last
fifth so that a rule fires and reports). numpy only: no torch threads matter; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_records(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1) * 10
    wins = steps > steps[int(0.8 * n)]
    d_real = np.where(wins, 0.99, 0.6) + 0.02 * rng.standard_normal(n)
    d_fake = np.where(wins, 0.01, 0.4) + 0.02 * rng.standard_normal(n)
    d_loss = np.where(wins, 0.02, 1.2) + 0.01 * np.abs(rng.standard_normal(n))
    g_loss = np.where(wins, 4.0, 1.0) + 0.1 * rng.standard_normal(n)
    gn = np.abs(1 + 0.3 * rng.standard_normal((2, n)))
    return [{"step": int(s), "wall_time": float(s) / 50, "d_loss": float(a), "g_loss": float(b), "d_real": float(c),
             "d_fake": float(d), "grad_norm_d": float(e), "grad_norm_g": float(f), "lr_g": 2e-4, "lr_d": 2e-4,
             "it_s": 50.0, "sliced_w": 0.3}
            for s, a, b, c, d, e, f in zip(steps, d_loss, g_loss, d_real, d_fake, gn[0], gn[1])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    from ganstudio.core import config as C
    from ganstudio.core.train import diagnosis

    records = synthetic_records(args.records)
    cfg = C.preset("digits-dcgan").to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.json").write_text(json.dumps(cfg))
        from ganstudio.core.train.runlog import MetricsWriter

        with MetricsWriter(folder / "metrics.jsonl") as writer:  # the trainer's own writer: its compact lines
            for r in records:
                writer.write(r)
        diagnosis.diagnose_folder(folder)  # imports and caches warm
        whole = cpu = float("inf")
        for _ in range(3):  # best of three, as wall and as CPU time (on a loaded machine the CPU time says more)
            t0, c0 = time.perf_counter(), time.process_time()
            findings = diagnosis.diagnose_folder(folder)
            whole, cpu = min(whole, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        from ganstudio.core.train.runlog import read_metrics

        t0 = time.perf_counter()
        read_metrics(folder / "metrics.jsonl")
        parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    columns, _nf, _rb = diagnosis.columns_of_records(records)
    to_columns = time.perf_counter() - t0
    ev = diagnosis.RunEvidence(columns=columns, config=cfg)
    t0 = time.perf_counter()
    diagnosis.diagnose(ev)
    rules = time.perf_counter() - t0
    print(f"{args.records} records: rules {rules * 1000:.1f} ms; records to columns {to_columns * 1000:.0f} ms; "
          f"diagnose_folder {whole * 1000:.0f} ms ({cpu * 1000:.0f} ms CPU), of which the runlog reader's JSON parsing {parse * 1000:.0f} ms")
    for f in findings:
        print("  " + f.line()[:150])


if __name__ == "__main__":
    main()
