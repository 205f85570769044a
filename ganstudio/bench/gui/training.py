"""GUI overhead and event-loop lateness while training: the same config trained by the window's
TrainerWorker (monitor open) and by the headless Trainer, alternating; a 10 ms QTimer probe on the GUI
thread during the GUI runs (and idle before them)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ganstudio.bench.gui.common import TARGETS, Progress, close_window, open_window, spin, stats_ms, wait_until


def rate_from_metrics(run_dir: Path, warmup: int) -> float:
    """Steps/s between the first logged step at or after `warmup` and the last one (the trainer's own clock)."""
    import json

    records = [json.loads(line) for line in open(Path(run_dir) / "metrics.jsonl") if line.strip()]
    scalars = [r for r in records if r.get("kind", "scalars") != "eval" and "wall_time" in r]
    first = next(r for r in scalars if r["step"] >= warmup)
    last = scalars[-1]
    if last["step"] <= first["step"]:
        raise RuntimeError(f"too few logged steps in {run_dir} to measure a rate")
    return (last["step"] - first["step"]) / (last["wall_time"] - first["wall_time"])


def headless_rate(cfg, run_dir: Path, warmup: int) -> float:
    from ganstudio.core.train.trainer import Trainer

    Trainer(cfg, run_dir=run_dir).run()  # what `ganstudio train` does
    return rate_from_metrics(run_dir, warmup)


def gui_rate(window, cfg, warmup: int, probe=None, timeout_s: float = 900.0, cpu: dict | None = None) -> float:
    """Train `cfg` through the window (TrainerWorker, monitor shown) with the event loop running. `cpu`, when
    given, receives the GUI thread's CPU seconds and the wall seconds of the run (where the overhead goes)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    worker = window.start_training(cfg)
    if worker is None:
        raise RuntimeError("the window refused to start training (engine not ready or a run in progress)")
    errors: list[str] = []
    worker.failed.connect(lambda err: errors.append(err.message))
    worker.finished.connect(loop.quit)  # queued to the GUI thread
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    if probe is not None:
        probe.start()
    cpu0, wall0 = time.thread_time(), time.perf_counter()  # this is the GUI thread
    loop.exec()  # the app's normal event loop: idle until an event arrives
    if cpu is not None:
        cpu["gui_thread_cpu_s"], cpu["wall_s"] = time.thread_time() - cpu0, time.perf_counter() - wall0
    if probe is not None:
        probe.stop()
    guard.stop()
    if worker.is_running():
        worker.stop()
        worker.wait(60000)
        raise RuntimeError(f"training through the window did not finish within {timeout_s:.0f} s")
    wait_until(lambda: window.worker is None, 30)
    if errors:
        raise RuntimeError(f"training through the window failed: {errors[0]}")
    return rate_from_metrics(worker.run_dir, warmup)



def measure_training_gui(quick: bool, progress: Progress = lambda s: None, *, preset_name: str = "toy-ring",
                         steps: int | None = None, repeats: int | None = None, overrides: tuple[str, ...] = (),
                         interval_ms: int = 10, idle_s: float | None = None,
                         report: Callable[[str], None] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(gui_overhead, event_loop): alternate headless / GUI runs of one config; the 10 ms probe runs during
    the GUI runs (and for `idle_s` before them, with the window idle)."""
    import torch

    from ganstudio.core.config import preset
    from ganstudio.qt.latency import TimerLatencyProbe

    steps = steps or (300 if quick else 1500)
    repeats = repeats or (1 if quick else 3)
    idle_s = (1.0 if quick else 3.0) if idle_s is None else idle_s
    warmup = min(100, steps // 5)
    cfg = preset(preset_name).with_overrides([f"train.steps={steps}", *overrides])
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-gui-") as tmp:
        tmp = Path(tmp)
        window = open_window(tmp)
        try:
            probe = TimerLatencyProbe(interval_ms)
            probe.start()
            spin(idle_s)
            probe.stop()
            idle = list(probe.late_ms)
            rates_h: list[float] = []
            rates_g: list[float] = []
            late: list[float] = []
            per_run: list[dict[str, Any]] = []
            gui_cpu: list[float] = []
            for i in range(repeats):
                progress(f"GUI overhead: {preset_name} {steps} steps, headless run {i + 1}/{repeats}")
                rates_h.append(headless_rate(cfg, tmp / f"headless-{i}", warmup))
                progress(f"GUI overhead: {preset_name} {steps} steps, GUI run {i + 1}/{repeats}")
                cpu: dict[str, float] = {}
                rates_g.append(gui_rate(window, cfg, warmup, probe, cpu=cpu))
                gui_cpu.append(100 * cpu["gui_thread_cpu_s"] / cpu["wall_s"])
                late.extend(probe.late_ms)
                per_run.append(stats_ms(list(probe.late_ms)))
                if report:
                    report(f"repeat {i}: headless {rates_h[-1]:.1f} it/s, GUI {rates_g[-1]:.1f} it/s; "
                           f"GUI timer {probe.summary()}")
            redraw_ms = window.monitor.last_redraw_ms if window.monitor is not None else None
        finally:
            close_window(window)
    h, g = statistics.median(rates_h), statistics.median(rates_g)
    overhead = {
        "preset": preset_name, "overrides": list(overrides), "steps": steps, "warmup_steps": warmup,
        "repeats": repeats, "torch_threads": torch.get_num_threads(),
        "headless_steps_s": [round(r, 2) for r in rates_h], "gui_steps_s": [round(r, 2) for r in rates_g],
        "headless_median": round(h, 2), "gui_median": round(g, 2), "ratio": round(g / h, 3),
        "gui_thread_cpu_percent": [round(c, 1) for c in gui_cpu],  # of the run's wall time, one core = 100
        "last_monitor_redraw_ms": None if redraw_ms is None else round(redraw_ms, 2),
        "target": TARGETS["gui_overhead"], "met": g / h >= 0.97,
    }
    training = stats_ms(late)
    event_loop = {"interval_ms": interval_ms, "while_training": training, "per_run": per_run,
                  "idle": stats_ms(idle), "target": TARGETS["event_loop"],
                  "met": bool(training["n"]) and training["p99_ms"] <= 50.0}
    return overhead, event_loop

