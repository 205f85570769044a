"""The Monitor with many runs open: first draw and refresh tick with RUNS runs of ROWS logged steps each.

    QT_QPA_PLATFORM=offscreen python benchmarks/monitor_many_runs.py [--runs 20] [--rows 100000] [--cpu-time]
        [--samples-per-pixel 5 --plain-curves]     # the Monitor as it was before (pyqtgraph's defaults)

One run receives 100 new rows a tick; each tick pushes the data of one plot and grabs (paints) that plot, as
the Monitor's timer does. Prints the first draw and the tick's median and worst, with the load.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cpu-time", action="store_true", help="time each tick as this process's CPU time (a loaded machine)")
    ap.add_argument("--samples-per-pixel", type=float, help="peak-downsampling bins per device pixel (default: the Monitor's)")
    ap.add_argument("--plain-curves", action="store_true", help="pyqtgraph's PlotDataItem instead of plots.SteadyCurve")
    args = ap.parse_args()
    import torch
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    import pyqtgraph as pg

    from ganstudio.bench.gui.monitor import MONITOR_METRICS
    from ganstudio.qt.monitor import plots
    from ganstudio.qt.monitor.monitor import PLOTS, TrainingMonitor

    if args.samples_per_pixel is not None:
        plots.SAMPLES_PER_PIXEL = args.samples_per_pixel
    if args.plain_curves:
        plots.SteadyCurve = pg.PlotDataItem
    clock = time.process_time if args.cpu_time else time.perf_counter
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    monitor = TrainingMonitor(None)
    monitor.resize(1264, 640)
    monitor.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    runs = []
    for r in range(args.runs):
        run = monitor.add_run(f"run {r}")
        steps = np.arange(1, args.rows + 1, dtype=float)
        cols = {"step": steps, "wall_time": steps / 300.0, **{k: rng.normal(1, 0.2, args.rows) for k in MONITOR_METRICS}}
        run.dirty |= run.table.extend_columns(cols)
        runs.append((run, cols))
    t0 = time.perf_counter()
    monitor.redraw(force=True)
    monitor.plots_host.grab()
    first = (time.perf_counter() - t0) * 1000
    ticks, rows = [], args.rows
    for i in range(3 * len(PLOTS)):
        run, cols = runs[i % len(runs)]
        run.dirty |= run.table.extend_columns({k: v[:100] + (rows if k == "step" else 0) for k, v in cols.items()})
        rows += 100
        t0 = clock()
        monitor.redraw()
        monitor.plots[PLOTS[monitor._last_refreshed][0]].grab()
        ticks.append((clock() - t0) * 1000)
    monitor.shutdown()
    what = "CPU time" if args.cpu_time else "wall time"
    print(f"{args.runs} runs x {args.rows} rows: first draw {first:.0f} ms; tick ({what}) p50 {np.median(ticks):.1f} / "
          f"max {max(ticks):.1f} ms (1 torch thread, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
