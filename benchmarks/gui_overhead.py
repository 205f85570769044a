"""How much does watching cost? Steps/s of the GUI's TrainerWorker (monitor open) vs headless Trainer.

Both train the same config into a temporary run folder; the rate is read from the trainer's own
metrics.jsonl (wall_time at the first logged step after the warm-up and at the last), so both sides are
measured the same way. Runs alternate (headless, GUI, headless, GUI, ...) to spread the noise of a shared
machine; the medians are compared.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --steps 1500 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rate_from_metrics(run_dir: Path, warmup: int) -> float:
    records = [json.loads(line) for line in open(run_dir / "metrics.jsonl") if line.strip()]
    scalars = [r for r in records if r.get("kind", "scalars") != "eval"]
    first = next(r for r in scalars if r["step"] >= warmup)
    last = scalars[-1]
    return (last["step"] - first["step"]) / (last["wall_time"] - first["wall_time"])


def headless(cfg, run_dir: Path) -> float:
    from ganstudio.core.trainer import Trainer

    trainer = Trainer(cfg, run_dir=run_dir)
    trainer.run()  # what `ganstudio train` does
    return rate_from_metrics(run_dir, WARMUP)


def with_gui(cfg, window, probe=None) -> float:
    from PySide6.QtCore import QEventLoop

    loop = QEventLoop()
    worker = window.start_training(cfg)
    assert worker is not None, "the window refused to start"
    worker.finished.connect(loop.quit)  # loop lives in the GUI thread: a queued call
    if probe is not None:
        probe.start()
    loop.exec()  # the app's normal event loop: idle until an event arrives
    if probe is not None:
        probe.stop()
    return rate_from_metrics(worker.run_dir, WARMUP)


WARMUP = 100


def main() -> int:
    global WARMUP
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="toy-ring")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    ap.add_argument("--set", action="append", default=[], help="config overrides, as for `ganstudio train`")
    args = ap.parse_args()
    WARMUP = min(100, args.steps // 5)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    tmp = Path(tempfile.mkdtemp(prefix="gs-overhead-"))
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "settings"))
    app = QApplication.instance() or QApplication(["bench"])
    import torch

    if args.threads:
        # The window's engine loader sets PyTorch's threads from this; the headless runs below share
        # the process, so both sides always train with the same number of threads.
        os.environ["GANSTUDIO_TORCH_THREADS"] = str(args.threads)
    from ganstudio.core.config import preset
    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.settings import AppSettings
    from ganstudio.qt.theme import apply_theme

    cfg = preset(args.preset).with_overrides([f"train.steps={args.steps}", *args.set])
    apply_theme(app)
    settings = AppSettings()
    settings.set_runs_folder(tmp / "gui-runs")
    window = MainWindow(settings=settings)
    window.resize(1400, 900)
    window.show()
    while not window.engine_ready:
        app.processEvents()
        time.sleep(0.01)
    window.show_area("Monitor")

    from ganstudio.qt.latency import TimerLatencyProbe

    probe = TimerLatencyProbe(50)  # a 50 ms timer in the GUI thread: how late does it fire while training?
    rates_h, rates_g = [], []
    for i in range(args.repeats):
        rates_h.append(headless(cfg, tmp / f"headless-{i}"))
        rates_g.append(with_gui(cfg, window, probe))
        print(f"repeat {i}: headless {rates_h[-1]:.1f} it/s, GUI {rates_g[-1]:.1f} it/s; GUI timer {probe.summary()}",
              flush=True)
    h, g = statistics.median(rates_h), statistics.median(rates_g)
    print(f"{args.preset}, {args.steps} steps, torch threads {torch.get_num_threads()}: headless {h:.1f} it/s, "
          f"GUI with monitor {g:.1f} it/s, ratio GUI/headless {g / h:.3f} (median of {args.repeats})")
    print(f"monitor redraw: last {window.monitor.last_redraw_ms:.1f} ms")
    window.close()
    window.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
