"""`ganstudio diagnose RUN_FOLDER [--json]`: the training doctor on a run folder (finished or still
training), one finding a line; `--json` prints them as a JSON list. Exit 0 whatever it finds (a finding is
an answer, not a failure); a folder that is not a run folder is one sentence and exit 2."""

from __future__ import annotations

import argparse
import json

NAME = "diagnose"
DOING = "diagnosing the run"


def add_parser(sub, parents) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME, parents=parents, help="read a run folder's curves and previews and say what is wrong",
        description="Read a run folder (written by the app or `ganstudio train`, finished or still training) "
                    "and report findings: the discriminator winning, vanishing or exploding gradients, mode "
                    "collapse or hopping, oscillation, an unconstrained WGAN critic, stalled progress, NaNs. "
                    "Each finding names the steps, the numbers, and settings to try (KEY=VALUE for "
                    "`ganstudio train --set`; [live] ones can be changed on a running trainer). "
                    "docs/DOCTOR.md documents the thresholds.")
    p.add_argument("folder", metavar="RUN_FOLDER", help="a run folder (holds metrics.jsonl and config.json)")
    p.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    return p


def run(args) -> int:
    from ganstudio.core.train.diagnosis import diagnose_folder

    findings = diagnose_folder(args.folder)
    if args.json:
        print(json.dumps([f.to_json() for f in findings], indent=1))
    else:
        for f in findings:
            print(f.line())
    return 0
