"""`ganstudio tensorboard RUN_FOLDER [--out DIR] [--overwrite]`: write a run's logs and kept previews as
TensorBoard events (the same ones `ganstudio train --tensorboard` writes while training), so that a run
made without the export can be looked at in TensorBoard too. A folder that is not a run folder, an output
that is a file, or tensorboard not installed is one sentence and exit 2."""

from __future__ import annotations

import argparse

NAME = "tensorboard"
DOING = "writing TensorBoard logs"


def add_parser(sub, parents) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME, parents=parents, help="write a run folder's logs and previews as TensorBoard events",
        description="Write a run folder's metrics.jsonl (every logged number, under tags grouped as the Monitor's "
                    "plots: loss/D, loss/G, D(x)/real, ...; evaluations under eval/), its kept previews "
                    "(samples/preview; a 2-D toy's points as samples/points) and its config as TensorBoard "
                    "events: the same events `ganstudio train --tensorboard` writes live. View them with "
                    "`tensorboard --logdir DIR --samples_per_plugin images=1000`. Needs "
                    'pip install "ganstudio[tensorboard]".')
    p.add_argument("folder", metavar="RUN_FOLDER", help="a run folder (holds metrics.jsonl and config.json)")
    p.add_argument("--out", metavar="DIR", help="the log folder to write (default RUN_FOLDER/tensorboard)")
    p.add_argument("--overwrite", action="store_true", help="replace the event files DIR already holds")
    return p


def run(args) -> int:
    from ganstudio.core.train.tensorboard_export import export_run_folder

    done = export_run_folder(args.folder, args.out, overwrite=args.overwrite)
    skipped = []
    if done["skipped_records"]:
        skipped.append(f"{done['skipped_records']} records without a valid step")
    if done["bad_lines"]:
        skipped.append(f"{done['bad_lines']} lines of metrics.jsonl that are not records")
    if done["skipped_previews"]:
        skipped.append(f"{done['skipped_previews']} unreadable previews")
    print(f"ganstudio: wrote {done['scalars']} values of {done['records']} records and {done['images']} previews to "
          f"{done['log_dir']}{'; skipped ' + ', '.join(skipped) if skipped else ''}")
    print(f"ganstudio: view them with: tensorboard --logdir {done['log_dir']}")
    return 0
