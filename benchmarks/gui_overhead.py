"""How much does watching cost? Steps/s of the GUI's TrainerWorker (monitor open) vs headless Trainer.

Both train the same config into a temporary run folder; the rate is read from the trainer's own
metrics.jsonl (wall_time at the first logged step after the warm-up and at the last), so both sides are
measured the same way. Runs alternate (headless, GUI, headless, GUI, ...) to spread the noise of a shared
machine; the medians are compared. A QTimer on the GUI thread records how late it fires during the GUI
runs. The measurement lives in ganstudio.bench.gui.training (`ganstudio bench --only gui` runs it too).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --steps 1500 --repeats 3
    QT_QPA_PLATFORM=offscreen python benchmarks/gui_overhead.py --training-budget 0.05   # before, for an A/B
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="toy-ring")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: the app's rule, cores - 1)")
    ap.add_argument("--probe-ms", type=int, default=10, help="interval of the GUI-thread timer probe")
    ap.add_argument("--set", action="append", default=[], help="config overrides, as for `ganstudio train`")
    ap.add_argument("--training-budget", type=float, default=None,
                    help="the monitor's refresh budget while the app trains (default: the app's "
                         "REDRAW_BUDGET_WHILE_TRAINING), for A/B runs")
    args = ap.parse_args()
    if args.training_budget is not None:
        from ganstudio.qt.monitor import monitor

        monitor.REDRAW_BUDGET_WHILE_TRAINING = args.training_budget
    if args.threads:
        # The window's engine loader sets PyTorch's threads from this; the headless runs share the
        # process, so both sides always train with the same number of threads.
        os.environ["GANSTUDIO_TORCH_THREADS"] = str(args.threads)

    from ganstudio.bench.gui.training import measure_training_gui

    overhead, loop = measure_training_gui(False, preset_name=args.preset, steps=args.steps, repeats=args.repeats,
                                          overrides=tuple(args.set), interval_ms=args.probe_ms,
                                          report=lambda s: print(s, flush=True))
    print(f"{args.preset}, {args.steps} steps, torch threads {overhead['torch_threads']}: headless "
          f"{overhead['headless_median']:.1f} it/s, GUI with monitor {overhead['gui_median']:.1f} it/s, "
          f"ratio GUI/headless {overhead['ratio']:.3f} (median of {args.repeats})")
    t, idle = loop["while_training"], loop["idle"]
    print(f"{args.probe_ms} ms GUI timer late while training: p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms, "
          f"max {t['max_ms']} ms ({t['n']} ticks); idle: p99 {idle['p99_ms']} ms")
    print(f"monitor redraw: last {overhead['last_monitor_redraw_ms']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
