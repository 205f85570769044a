"""Monitor scalability: a TrainingMonitor redrawing one run of 10^4, 10^5 and 10^6 points per curve."""

from __future__ import annotations

import time
from typing import Any

from ganstudio.bench.gui.common import TARGETS, Progress, guarded, qapp, stats_ms

MONITOR_METRICS = ("d_loss", "g_loss", "sliced_w", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "lr_g", "lr_d")


def monitor_redraw(app, n: int, ticks: int = 3) -> dict[str, Any]:
    """A TrainingMonitor holding one run of `n` rows (9 metrics on 6 plots): the first full draw, a live
    refresh tick (1,000 new rows, one plot pushed and painted) and a forced refresh of every plot."""
    import numpy as np

    from ganstudio.qt.monitor.monitor import PLOTS, TrainingMonitor
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    monitor = TrainingMonitor(None)
    try:
        monitor.resize(1200, 800)
        monitor.show()
        app.processEvents()
        run = monitor.add_run(f"{n} points")
        steps = np.arange(1, n + 1, dtype=float)
        rng = np.random.default_rng(0)
        cols = {"step": steps, "wall_time": steps / 300.0}
        for name in MONITOR_METRICS:
            cols[name] = rng.normal(1, 0.2, n)
        run.dirty |= run.table.extend_columns(cols)
        t0 = time.perf_counter()
        monitor.redraw(force=True)  # smoothing + setData of every curve
        monitor.plots_host.grab()  # forces the repaint (downsampled, clipped to view)
        first = (time.perf_counter() - t0) * 1000
        tick_ms = []
        rows = n
        for _ in range(ticks * len(PLOTS)):  # every plot refreshed `ticks` times, round-robin as the timer does
            more = {k: v[:1000] + (rows if k == "step" else 0) for k, v in cols.items()}
            rows += 1000
            run.dirty |= run.table.extend_columns(more)
            t0 = time.perf_counter()
            monitor.redraw()
            monitor.plots[PLOTS[monitor._last_refreshed][0]].grab()
            tick_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        monitor.redraw(force=True)
        monitor.plots_host.grab()
        everything = (time.perf_counter() - t0) * 1000
        fed = sum(1 + monitor._shows_raw(c.metric) for c in run.curves.values())
    finally:
        monitor.shutdown()
        monitor.deleteLater()
        app.processEvents()
    return {"points": n, "plot_items": fed, "first_draw_ms": round(first, 1),
            "tick": stats_ms(tick_ms, 1), "all_plots_ms": round(everything, 1)}


def measure_monitor(quick: bool, progress: Progress = lambda s: None, *,
                    sizes: tuple[int, ...] = (10**4, 10**5, 10**6), ticks: int | None = None) -> dict[str, Any]:
    app = qapp()
    ticks = ticks or (1 if quick else 3)
    out: dict[str, Any] = {}
    for n in sizes:
        progress(f"monitor redraw: {n:,} points per curve")
        out[f"{n}"] = guarded(lambda n=n: monitor_redraw(app, n, ticks))
    big = out.get(str(max(sizes)), {})
    out["target"] = TARGETS["monitor"]
    out["met"] = "tick" in big and big["tick"]["max_ms"] <= 50 if max(sizes) >= 10**6 else None
    return out

