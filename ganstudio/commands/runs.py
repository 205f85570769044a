"""`ganstudio runs [FOLDER] [--json] [--sort name|date|steps|best]`: the runs in a folder, one a line (name,
state, config, steps done/planned, best metric, started, last written; why for an unreadable one), then one
summary line on stderr. Without FOLDER: the app's runs folder (Preferences, else ~/GAN Studio/runs). A
folder that cannot be listed is one sentence and exit 2; broken runs are listed as unreadable, exit 0."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "runs"
DOING = "listing the runs"


def add_parser(sub, parents) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME, parents=parents, help="list the runs in a folder: name, config, steps, best metric, dates",
        description="List the run folders in FOLDER (a folder of runs, one run folder, or folders of runs one "
                    "level down), one a line: name, state (running, finished, stopped early, unreadable), the "
                    "config's name and task, steps done/planned, the best checkpoint's metric, value and step, "
                    "when it started and was last written. Only small files and the tail of each metrics.jsonl "
                    "are read, so a folder of hundreds of runs lists in a moment. Without FOLDER: the runs "
                    "folder of the app's Preferences (by default ~/GAN Studio/runs).")
    p.add_argument("folder", metavar="FOLDER", nargs="?", help="a folder of runs or a run folder")
    p.add_argument("--json", action="store_true", help="print the whole list as one JSON object")
    p.add_argument("--sort", choices=("name", "date", "steps", "best"), default="date",
                   help="name A-Z, date newest first (default), steps most first, best best first (per metric)")
    return p


def app_runs_folder() -> Path:
    """The runs folder of the app's Preferences; the default one where the app's settings cannot be read."""
    from ganstudio.core.train.run_index import default_runs_folder

    try:
        from ganstudio.qt.settings import AppSettings
    except ImportError:  # no PySide6 on a headless machine: the app's default
        return default_runs_folder()
    return AppSettings().runs_folder()


def run(args) -> int:
    from ganstudio.core.train.run_index import format_date, scan_runs, sort_runs

    folder = Path(args.folder) if args.folder else app_runs_folder()
    scan = scan_runs(folder)
    runs = sort_runs(scan.runs, args.sort)
    if args.json:
        data = scan.to_json()
        data["runs"] = [r.to_json() for r in runs]
        print(json.dumps(data, indent=1))
        return 0
    rows = [(r.name, r.state_label, r.preset_text(), r.steps_text(), r.best_text(), format_date(r.started),
             format_date(r.last_written), r.reason or r.note) for r in runs]
    header = ("NAME", "STATE", "CONFIG", "STEPS", "BEST", "STARTED", "LAST WRITTEN", "")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows] if rows else []:
        print(("  ".join(text.ljust(w) for text, w in zip(row, widths)) + f"  {row[-1]}").rstrip())
    print(scan.summary(), file=sys.stderr)
    return 0
