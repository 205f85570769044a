"""The command line of the bundled models: `python -m ganstudio.core.bundled build | evaluate | sheets | list`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import torch

from ganstudio.core.generators.catalogue import (
    list_bundled,
)

log = logging.getLogger(__name__)
from ganstudio.core.bundled.quality import evaluate_generator
from ganstudio.core.bundled.recipes import RECIPES, build, load_bundled_generator, machine_description
from ganstudio.core.bundled.sheets import contact_sheets

# --- command line ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ganstudio.core.bundled", description="Build, evaluate and list the models that ship with GAN Studio.")
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="train the bundled models from scratch")
    b.add_argument("--quick", action="store_true", help="a few steps on a few scenes: a smoke test, not a model")
    b.add_argument("--out", default=None, help="folder for the weights (default: resources/models)")
    b.add_argument("--only", action="append", choices=[r.name for r in RECIPES], help="build only this model")
    b.add_argument("--runs", default=None, help="keep run folders (metrics, sample grids) under this folder")
    b.add_argument("--minutes", type=float, default=None,
                   help="stop each model's training after this many minutes and ship what it learned")
    b.add_argument("--scene-cache", default=None,
                   help="render the training scenes into this folder once and reuse them in later builds")
    b.add_argument("--candidate", action="store_true",
                   help="build models from the successor recipe being tried (recipes.CANDIDATES), not the shipped one")
    b.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (1 is fastest on a machine busy with other work)")
    e = sub.add_parser("evaluate", help="measure the quality of the installed bundled models")
    e.add_argument("--folder", default=None)
    e.add_argument("--size", type=int, default=None,
                   help="measure the sketch model on scenes of this size (e.g. 128 to compare a 64 px model)")
    s = sub.add_parser("sheets", help="write contact sheets of scenes and of each model's outputs")
    s.add_argument("--out", default="docs/screenshots")
    s.add_argument("--folder", default=None)
    sub.add_parser("list", help="list the installed bundled models")
    args = ap.parse_args(argv)

    def say(text: str) -> None:
        print(text, flush=True)

    if args.command == "build":
        if args.threads:
            torch.set_num_threads(args.threads)
        t0 = time.perf_counter()
        results = build(args.out, quick=args.quick, only=args.only, progress=say, runs=args.runs,
                        minutes=args.minutes, scene_cache=args.scene_cache, candidate=args.candidate)
        say(f"built {len(results)} model(s) in {time.perf_counter() - t0:.0f} s on {machine_description()}")
        say(json.dumps(results, indent=2))
    elif args.command == "evaluate":
        for m in list_bundled(args.folder):
            G, _, meta = load_bundled_generator(m.name, args.folder)
            say(f"{m.name}: {json.dumps(evaluate_generator(m.name, G, size=args.size))}")
    elif args.command == "sheets":
        for path in contact_sheets(args.out, args.folder):
            say(f"wrote {path}")
    else:
        for m in list_bundled():
            say(f"{m.name:20s} {m.kind:14s} {m.title}  ({m.path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
