"""The doctor on deliberately sick (and healthy) short runs: trains each case (CPU, 1 thread) unless its run
folder exists already, then diagnoses the finished run and, as the Monitor's live panel would have, the
run as it stood at each logged step, to give the step where each finding first appeared.

    PYTHONPATH=. python benchmarks/doctor_cases.py --out /tmp/doctor-cases [--only NAME ...]

Prints the Markdown rows of docs/DOCTOR.md's table of measured detections.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

CASES = {  # name -> (preset, steps, --set overrides, what it is)
    "d-wins-digits": ("digits-dcgan", 300, ["objective.loss=minimax", "optim.lr_d=2e-3", "optim.lr_g=2e-4"],
                      "minimax, lr_D 10x lr_G"),
    "d-wins-ring": ("toy-ring", 600, ["objective.loss=minimax", "optim.lr_d=5e-3", "optim.lr_g=5e-4",
                                      "objective.r1_gamma=0", "optim.lr_decay=none"], "minimax, lr_D 10x lr_G (toy)"),
    "free-critic": ("toy-ring", 600, ["objective.loss=wgan-gp", "objective.gp_weight=0", "objective.r1_gamma=0"],
                    "WGAN without any constraint"),
    "huge-lr-adam": ("toy-ring", 600, ["optim.lr_g=1.0", "optim.lr_d=1.0", "objective.r1_gamma=0",
                                       "train.nan_policy=stop"], "Adam at lr 1"),
    "huge-lr-sgd": ("toy-ring", 600, ["optim.optimizer=sgd", "optim.lr_g=1.0", "optim.lr_d=1.0", "objective.r1_gamma=0",
                                      "train.nan_policy=rollback", "optim.lr_decay=none"], "SGD at lr 1 (NaN)"),
    "collapse-ring": ("toy-ring", 2000, ["objective.r1_gamma=0", "tricks.ema=0", "optim.lr_decay=none",
                                         "optim.lr_g=2e-3", "optim.lr_d=2e-3", "optim.beta1=0.9", "model.z_dim=2",
                                         "train.sample_every=100"], "no R1/EMA, lr 2e-3, beta1 0.9, z_dim 2"),
    "collapse-recovers": ("toy-ring", 2000, ["objective.r1_gamma=0", "tricks.ema=0", "optim.lr_decay=none",
                                             "optim.lr_g=1e-3", "optim.lr_d=1e-3", "train.sample_every=100"],
                          "no R1/EMA, lr 1e-3"),
    "ok-toy-ring": ("toy-ring", 1000, [], "preset"),
    "ok-toy-grid": ("toy-grid", 1000, [], "preset"),
    "ok-toy-spiral": ("toy-spiral", 1000, [], "preset"),
    "ok-toy-moons": ("toy-moons", 1000, [], "preset"),
    "ok-digits-dcgan": ("digits-dcgan", 300, [], "preset"),
}


def command(name: str, out: Path) -> list[str]:
    preset, steps, sets, _what = CASES[name]
    args = ["train", preset, "--steps", str(steps), "--quiet", "--threads", "1", "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    return args


def first_detections(folder: Path) -> tuple[list, dict[str, int]]:
    """The findings of the finished run, and per warning/error rule the first logged step at which the run
    up to then already showed it."""
    from ganstudio.core.train import diagnosis as D
    from ganstudio.core.train.monitor_state import scan_sample_files
    from ganstudio.core.train.runlog import load_run_folder

    loaded = load_run_folder(folder)
    previews = D.measure_previews(scan_sample_files(folder, set()), loaded["config"])
    real = loaded.get("real_points")
    real_div = D.preview_diversity(real) if real is not None else None
    scalars, evals = loaded["scalars"], loaded["evals"]
    final = D.diagnose_folder(folder)
    first: dict[str, int] = {}
    for i in range(D.MIN_RECORDS, len(scalars) + 1):
        cut = scalars[i - 1].get("step", 0)
        part = {"diversity": [p for p in previews["diversity"] if p[0] <= cut],
                "modes": [p for p in previews["modes"] if p[0] <= cut], "n_modes": previews["n_modes"]}
        ev = D.evidence_of(scalars[:i], loaded["config"], [e for e in evals if e.get("step", 0) <= cut], part,
                           real_diversity=real_div)
        for f in D.diagnose(ev):
            if f.severity in ("error", "warning"):
                first.setdefault(f.rule, int(cut))
    return final, first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/doctor-cases")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    base = Path(args.out)
    base.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    print("| case | config | finding of the finished run | first seen live at step |")
    print("|---|---|---|---|")
    for name in args.only or CASES:
        folder = base / name
        if not (folder / "metrics.jsonl").is_file():
            subprocess.run([sys.executable, "-m", "ganstudio", *command(name, folder)], env=env, check=False,
                           capture_output=True)
        final, first = first_detections(folder)
        preset, steps, sets, what = CASES[name]
        found = "; ".join(f"{f.severity} `{f.rule}`" + (f" (step {f.step})" if f.step is not None else "")
                          for f in final)
        seen = ", ".join(f"`{r}` {s}" for r, s in first.items()) or "none"
        cfg = f"`{preset} --steps {steps}" + "".join(f" --set {s}" for s in sets) + f"` ({what})"
        print(f"| {name} | {cfg} | {found} | {seen} |", flush=True)


if __name__ == "__main__":
    main()
