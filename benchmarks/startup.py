"""Time from launching `ganstudio` (no arguments) to the main window's first show event.

Each launch is a fresh process (`python -m ganstudio`) with GANSTUDIO_STARTUP_PROBE=quit: the window
prints when it is first shown (and its process age, read from /proc) and closes itself once the engine
has loaded in the background. Settings go to a temporary XDG_CONFIG_HOME.

    python benchmarks/startup.py [--runs 5] [--platform offscreen]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def launch(platform: str, config_home: str) -> tuple[float, float | None, float]:
    env = dict(os.environ, GANSTUDIO_STARTUP_PROBE="quit", QT_QPA_PLATFORM=platform,
               XDG_CONFIG_HOME=config_home, PYTHONPATH=str(ROOT))
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "ganstudio"], env=env, cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    shown = age = engine = None
    for line in proc.stdout:
        if line.startswith("ganstudio-window-shown"):
            shown = float(re.search(r"unix=([\d.]+)", line).group(1)) - t0
            m = re.search(r"process_age=([\d.]+)", line)
            age = float(m.group(1)) if m else None
        elif line.startswith("ganstudio-engine-ready"):
            engine = float(re.search(r"unix=([\d.]+)", line).group(1)) - t0
            print("   ", line.split("gui_timer:")[-1].strip())
    proc.wait(timeout=120)
    if shown is None or engine is None:
        raise RuntimeError(f"the app did not report its start (exit code {proc.returncode})")
    return shown, age, engine


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--platform", default="offscreen", help="Qt platform plugin (offscreen, xcb, ...)")
    args = ap.parse_args()
    shown, ages, engine = [], [], []
    with tempfile.TemporaryDirectory() as config_home:
        for i in range(args.runs):
            s, a, e = launch(args.platform, config_home)
            shown.append(s)
            engine.append(e)
            if a is not None:
                ages.append(a)
            print(f"launch {i}: window shown after {s:.2f} s (process age {a} s), engine ready after {e:.2f} s")
    print(f"median over {args.runs}: window shown {statistics.median(shown):.2f} s after launch"
          + (f" ({statistics.median(ages):.2f} s after the process started)" if ages else "")
          + f", engine ready {statistics.median(engine):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
