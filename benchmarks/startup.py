"""Time from launching `ganstudio` (no arguments) to the main window's first show event.

Each launch is a fresh process (`python -m ganstudio`) with GANSTUDIO_STARTUP_PROBE=quit: the window
prints when it is first shown (and its process age, read from /proc) and closes itself once the engine
has loaded in the background. Settings go to a temporary XDG_CONFIG_HOME. The measurement lives in
ganstudio.bench.gui.startup (`ganstudio bench --only gui` runs it too); this is its command line.

    python benchmarks/startup.py [--runs 5] [--platform offscreen] [--first-image]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganstudio.bench.gui.sketch import sketch_model  # noqa: E402
from ganstudio.bench.gui.startup import launch_app, launch_first_image  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--platform", default="offscreen", help="Qt platform plugin (offscreen, xcb, ...)")
    ap.add_argument("--first-image", action="store_true",
                    help="also: a first launch of the main window -> the Sketch area's first picture (bundled "
                    "sketch model, or an untrained one of its shape)")
    args = ap.parse_args()
    shown, ages, engine = [], [], []
    with tempfile.TemporaryDirectory() as config_home:
        for i in range(args.runs):
            r = launch_app(args.platform, config_home)
            shown.append(r["shown_s"])
            engine.append(r["engine_s"])
            if r["process_age_s"] is not None:
                ages.append(r["process_age_s"])
            print("   ", r["gui_timer"])
            print(f"launch {i}: window shown after {r['shown_s']:.2f} s (process age {r['process_age_s']} s), "
                  f"engine ready after {r['engine_s']:.2f} s")
        print(f"median over {args.runs}: window shown {statistics.median(shown):.2f} s after launch"
              + (f" ({statistics.median(ages):.2f} s after the process started)" if ages else "")
              + f", engine ready {statistics.median(engine):.2f} s")
        if args.first_image:
            model, description = sketch_model(Path(config_home) / "model")
            firsts = [launch_first_image(model, config_home, args.platform)["first_image_s"] for _ in range(args.runs)]
            print(f"median over {args.runs}: first launch -> first Sketch picture {statistics.median(firsts):.2f} s "
                  f"({description})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
