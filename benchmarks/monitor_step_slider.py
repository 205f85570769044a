"""The Monitor's global step slider: from a move of the slider to the sample grid (or the Compare view of
several runs) painted at that step, reading each preview from its file as a long run's history is.

    QT_QPA_PLATFORM=offscreen python benchmarks/monitor_step_slider.py [--previews 300] [--runs 4] [--grid 530]

Run folders are written as `ganstudio train` writes an image run (metrics.jsonl, samples/step_N.png: a
530 px preview of 8 x 8 procedural landscapes of 64 px with a sample's grain, or with --noise pure noise). The slider jumps to 30 steps in a random order (each a
preview not shown before, decoded when asked for) and is then dragged through 40 consecutive previews at
60 Hz (the Monitor reads the neighbours of the shown preview ahead), one run shown and then Compare of RUNS
runs; each move is timed to the end of the painted grab of the sample pane. Prints p50 / max
with the load. Target (issue 18): the images move within a frame (16.7 ms at 60 Hz).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def write_run(folder: Path, previews: int, grid: int, seed: int, noise: bool = False) -> None:
    from PIL import Image

    (folder / "samples").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    with open(folder / "metrics.jsonl", "w") as fh:
        for s in range(0, 10 * previews, 10):
            fh.write(json.dumps({"step": s, "wall_time": s / 10, "d_loss": 1.0, "g_loss": 2.0}) + "\n")
    if noise:  # the worst case: PNG cannot shrink pure noise, so it is the slowest to decode
        base = rng.integers(0, 256, (grid, grid, 3), dtype=np.uint8)
    else:  # what a landscape model's previews look like: 8 x 8 scenes of 64 px with a sample's grain
        from ganstudio.core.data.scenes import render_scenes
        from ganstudio.core.imaging import tile_pictures

        base = tile_pictures(render_scenes(64, 64, seed=seed * 64))
        base = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)
    for i in range(previews):
        Image.fromarray(np.roll(base, i, axis=1)).save(folder / "samples" / f"step_{10 * i:07d}.png")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--previews", type=int, default=300)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--grid", type=int, default=530, help="preview size with --noise (the scenes' grid is 530 px)")
    ap.add_argument("--noise", action="store_true", help="previews of pure noise (the slowest PNGs to decode)")
    args = ap.parse_args()
    import torch
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    from ganstudio.qt.monitor.monitor import TrainingMonitor
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / f"run{r}" for r in range(args.runs)]
        for r, folder in enumerate(folders):
            write_run(folder, args.previews, args.grid, seed=r, noise=args.noise)
        monitor = TrainingMonitor(None)
        monitor.resize(1264, 640)
        monitor.show()
        for folder in folders:
            monitor.open_run_folder(folder)
        deadline = time.monotonic() + 120
        while len(monitor.runs) < args.runs or any(len(run.samples) < args.previews for run in monitor.runs):
            app.processEvents()
            if time.monotonic() > deadline:
                raise SystemExit("the run folders did not open within 120 s")
        for run in monitor.runs:
            run.task = "image"
        pane = monitor.sample_pane
        pane.show_current(force=True)
        rng = np.random.default_rng(1)
        results = {}
        for mode in ("one run", f"Compare, {args.runs} runs"):
            pane.compare_check.setChecked(mode != "one run")
            app.processEvents()
            # a jump: a random step, nothing read ahead for it (the next move comes at once)
            jumps = []
            for step in rng.permutation(args.previews)[:30] * 10 + 5:  # between two previews
                t0 = time.perf_counter()
                monitor.step_bar.slider.setValue(int(step))
                pane.grab()  # painted
                jumps.append((time.perf_counter() - t0) * 1000)
            # a drag: the next preview each frame at 60 Hz, the reader working between frames
            drags = []
            start = int(rng.integers(0, args.previews - 40))
            for i in range(start, start + 40):
                t0 = time.perf_counter()
                monitor.step_bar.slider.setValue(10 * i + 5)
                pane.grab()
                drags.append((time.perf_counter() - t0) * 1000)
                while time.perf_counter() - t0 < 1 / 60:
                    app.processEvents()
                    time.sleep(0.001)
            results[mode] = (jumps, drags)
        monitor.shutdown()
    load = os.getloadavg()[0]
    for mode, (jumps, drags) in results.items():
        print(f"step slider -> {mode} ({'noise' if args.noise else 'scene'} previews from PNG): jump p50 "
              f"{np.median(jumps):.1f} / max {max(jumps):.1f} ms; 60 Hz drag p50 {np.median(drags):.1f} / "
              f"max {max(drags):.1f} ms (1 torch thread, load {load:.2f})")

if __name__ == "__main__":
    main()
