"""What the app feels like: GUI overhead, event-loop lateness, pen and slider latency, start-up, monitor redraw.

`run(quick, progress)` drives real widgets (offscreen unless QT_QPA_PLATFORM says otherwise) and returns a
JSON-able dict with one entry per measurement; a measurement that fails records {"error": "..."} and the
others go on. The scripts in benchmarks/ (gui_overhead.py, explorer_latency.py, sketch_latency.py,
startup.py) are thin command lines around the functions here, so `ganstudio bench` from an installed
wheel and the scripts measure the same way. One module per measurement, beside `common`:

    gui_overhead  training.py: the same toy config trained by the window's TrainerWorker (monitor open)
                  and by the headless Trainer, alternating; steps/s read from each run's metrics.jsonl;
                  ratio of medians
    event_loop    training.py: lateness of a 10 ms QTimer on the GUI thread while the TrainerWorker
                  trains (and idle)
    sketch        sketch.py: pen lifted -> output picture set, SketchArea with the bundled sketch model
    explorer      explore.py: slider -> large view set and Reseed -> 16-sample grid set, ExplorerArea,
                  64x64 DCGAN
    startup       startup.py: `python -m ganstudio` -> main window shown / engine loaded; a fresh process
                  starting the main window on its first launch -> the Sketch area's first picture
    monitor       monitor.py: training monitor redraw with 10^4, 10^5, 10^6 points per curve
    lab           lab.py: a Lab control moved -> the experiment redrawn (and painted), each of the seven

Nothing here imports Qt or PyTorch at module level (the first-image probe runs this package as a fresh
process, `python -m ganstudio.bench.gui --first-image-probe`, and must pay those imports itself).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ganstudio.bench.gui.common import (
    TARGETS,
    Progress,
    app_like_process,
    app_threads,
    error_record,
    guarded,
    load_average,
    pct,
    qapp,
    stats_ms,
)
from ganstudio.bench.gui.explore import measure_explorer
from ganstudio.bench.gui.lab import measure_lab
from ganstudio.bench.gui.monitor import measure_monitor
from ganstudio.bench.gui.sketch import bundled_sketch_model, measure_sketch, sketch_model
from ganstudio.bench.gui.startup import first_image_probe, launch_app, launch_first_image, measure_startup
from ganstudio.bench.gui.training import measure_training_gui

__all__ = [
    "SECTIONS", "TARGETS", "app_threads", "bundled_sketch_model", "launch_app", "launch_first_image", "main",
    "measure_explorer", "measure_lab", "measure_monitor", "measure_sketch", "measure_startup", "measure_training_gui", "pct",
    "qapp", "run", "sketch_model", "stats_ms",
]

SECTIONS = ("monitor", "gui_overhead", "sketch", "explorer", "startup", "lab")  # gui_overhead also yields event_loop


# run() looks the measure_* functions up in this module, so a test can replace one here.
def run(quick: bool = False, progress: Progress = lambda s: None, *,
        only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every GUI measurement (or those in `only`, names from SECTIONS); never raises."""
    only = tuple(only or SECTIONS)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        app = qapp()
        out["environment"] = {"qt_platform": app.platformName(), "torch_threads": app_threads(),
                              "load_before": load_average()}
    except Exception as exc:  # noqa: BLE001 - no Qt (or no display): the other sections still ran
        return {"error": error_record(exc)["error"]}
    with app_like_process(), tempfile.TemporaryDirectory(prefix="ganstudio-bench-gui-") as tmp:
        folder = Path(tmp)
        if "monitor" in only:
            out["monitor"] = guarded(lambda: measure_monitor(quick, progress))
        if "gui_overhead" in only:
            both: dict[str, Any] = {}

            def training() -> dict[str, Any]:
                both["gui_overhead"], both["event_loop"] = measure_training_gui(quick, progress)
                return {}

            result = guarded(training)
            if "error" in result:
                out["gui_overhead"] = result
                out["event_loop"] = {"error": result["error"]}
            else:
                for key in ("gui_overhead", "event_loop"):
                    out[key] = {**both[key], **result}
        if "sketch" in only:
            out["sketch"] = guarded(lambda: measure_sketch(quick, progress, folder=folder))
        if "explorer" in only:
            out["explorer"] = guarded(lambda: measure_explorer(quick, progress))
        if "startup" in only:
            out["startup"] = guarded(lambda: measure_startup(quick, progress, sketch_folder=folder))
        if "lab" in only:
            out["lab"] = guarded(lambda: measure_lab(quick, progress))
    out["environment"]["load_after"] = load_average()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ganstudio.bench.gui",
                                 description="GUI benchmarks (see `ganstudio bench --only gui`).")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", choices=SECTIONS)
    ap.add_argument("--first-image-probe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.first_image_probe:
        return first_image_probe(args.model)
    import json

    report = run(args.quick, lambda s: print(f"bench gui: {s}", file=sys.stderr, flush=True), only=args.only)
    print(json.dumps(report, indent=2))
    return 0

