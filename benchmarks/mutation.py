"""Mutation testing of the core that users' results depend on, one module at a time, with mutmut.

Each module is paired with the focused test files that cover it, so that a mutant is judged by a few
seconds of tests. The run happens in a scratch copy of the repository (build/mutation/MODULE/): mutmut
writes its mutated copy (mutants/) there, never in the working tree. One worker, mutmut's fork server (torch
is not fork-safe after it has run), a per-mutant time limit from the clean run's durations.

    python -m benchmarks.mutation MODULE [--max-children 1] [--keep]   run one module, print the score
    python -m benchmarks.mutation --list                               the modules and their tests
    python -m benchmarks.mutation MODULE --again                       the last run's survivors, new tests
    python -m benchmarks.mutation MODULE --again --checked-only        ... only those a stopped run checked
    python -m benchmarks.mutation MODULE --show NAME                   the diff of one mutant (after a run)
    python -m benchmarks.mutation MODULE --only 'x_save_*'             only the functions matching a glob

The summary (mutants, killed, survivors by name) is printed and written to build/mutation/MODULE.json; the
scores are recorded in docs/TESTING.md. Exit status 0 when the run finished, whatever the score.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module short name -> (source file, the test files that cover it)
MODULES: dict[str, tuple[str, list[str]]] = {
    # test_step.py holds the objectives and tricks as the trainer applies them; it trains small models
    # (a minute), so the mutants here are judged by the closed-form tests of the module alone.
    "objectives": ("ganstudio/core/train/objectives.py", [
        "tests/core/train/test_objectives.py"]),
    "tricks": ("ganstudio/core/train/tricks.py", [
        "tests/core/train/test_tricks.py", "tests/core/train/test_tricks_details.py"]),
    "checkpoint": ("ganstudio/core/checkpoint.py", [
        "tests/core/test_checkpoint.py", "tests/core/test_checkpoint_files.py",
        "tests/core/test_checkpoint_save_path.py"]),
    # The save and load path alone (atomic writes, the temp-file clean-up, load_checkpoint's refusals), with
    # the tests that need no trained model: test_checkpoint_files.py trains a toy run first (7 s a mutant).
    # Run it with --only on those functions (see docs/TESTING.md).
    "checkpoint-save": ("ganstudio/core/checkpoint.py", [
        "tests/core/test_checkpoint.py", "tests/core/test_checkpoint_save_path.py"]),
    # The metadata, optimizer and weight checks of load_checkpoint and the loading into modules and
    # optimizers, with test_checkpoint_checks.py: a checkpoint of tiny networks built by hand as the trainer
    # builds one (no Trainer run: a fraction of a second a mutant). Run it with --only on those functions.
    "checkpoint-checks": ("ganstudio/core/checkpoint.py", [
        "tests/core/test_checkpoint.py", "tests/core/test_checkpoint_save_path.py",
        "tests/core/test_checkpoint_checks.py"]),
    # Other programs' weight files (read_foreign_weights and its helpers), with the tests that read small files
    # written on the spot. Run it with --only on those functions.
    "checkpoint-foreign": ("ganstudio/core/checkpoint.py", [
        "tests/core/test_checkpoint.py", "tests/core/test_foreign_weights.py",
        "tests/core/models/test_importers_refusals.py"]),
    "encoding": ("ganstudio/core/sketch/encoding.py", [
        "tests/core/sketch/test_sketch.py", "tests/core/sketch/test_encoding_reference.py"]),
    "imaging": ("ganstudio/core/imaging.py", [
        "tests/core/test_imaging.py"]),
    "metrics": ("ganstudio/core/train/metrics.py", [
        "tests/core/train/test_metrics.py", "tests/core/train/test_metrics_values.py"]),
    # the latent maths only: the other tests of the file train a digits generator first (per mutant)
    "space": ("ganstudio/core/latent/space.py", [
        f"tests/core/latent/test_latent.py::{name}" for name in (
            "test_sampling_matches_the_cli_seed_and_truncation_bounds_or_scales",
            "test_slerp_endpoints_are_exact_and_equal_norms_stay_on_the_sphere",
            "test_slerp_is_accurate_for_nearly_parallel_and_falls_back_for_parallel",
            "test_interpolate_path_passes_through_every_keyframe",
            "test_arithmetic_a_minus_b_plus_c_properties",
            "test_arithmetic_needs_every_group_and_variations_keep_the_result_first")]
        + ["tests/core/latent/test_truncation.py", "tests/core/latent/test_space_values.py"]),
    "importers": ("ganstudio/core/models/importers.py", [
        "tests/core/models/test_importers_dcgan.py", "tests/core/models/test_importers_pix2pix.py",
        "tests/core/models/test_importers_resnet.py", "tests/core/models/test_importers_sequential.py",
        "tests/core/models/test_importers_refusals.py", "tests/core/models/test_import_convert.py",
        "tests/core/models/test_importers_messages.py",
        # the StyleGAN branches (NVlabs pickles, rosinality .pt, their converted files): 7 s together
        "tests/core/models/test_import_convert_stylegan.py", "tests/core/models/test_rosinality.py"]),
}

MUTMUT = [sys.executable, "-m", "mutmut"]
KILLED = ("killed", "timeout", "killed earlier")


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(name: str) -> Path:
    """A scratch copy of the repository with a [tool.mutmut] section for this module."""
    work = ROOT / "build" / "mutation" / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for folder in ("ganstudio", "tests", "resources"):
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore, symlinks=True)
    write_settings(name, work)
    return work


def write_settings(name: str, work: Path) -> None:
    """pyproject.toml of the scratch copy: the project's, with mutmut's settings and the module's tests as
    MODULES pairs them now (so that `--again` runs test files paired since the first run too)."""
    source, tests = MODULES[name]
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    pyproject += f"""
[tool.mutmut]
source_paths = ["ganstudio"]
only_mutate = [{json.dumps(source)}]
also_copy = ["resources"]
pytest_add_cli_args_test_selection = {_toml_list(tests)}
pytest_add_cli_args = ["-q", "-x", "-p", "no:cacheprovider", "-p", "no:random_order", "-W", "ignore::DeprecationWarning"]
process_isolation = "forkserver"
timeout_multiplier = 5.0
timeout_constant = 20.0
use_git_change_detection = false
"""
    (work / "pyproject.toml").write_text(pyproject, "utf-8")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)  # the mutated copy must be the ganstudio that the tests import
    return env


def _run_group(cmd: list[str], cwd: Path) -> int:
    """Run mutmut in its own process group and end the whole group (fork server, mutants) when this
    command is interrupted or ends, so that no mutant keeps running in the background."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), start_new_session=True)
    try:
        return proc.wait()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _mutant_globs(name: str, only: list[str]) -> list[str]:
    """`--only` function-name globs ("x_save_checkpoint*", "xǁCheckpointPartsǁ*") as mutmut's mutant names."""
    dotted = MODULES[name][0].removesuffix(".py").replace("/", ".")
    return [f"{dotted}.{glob}" for glob in only]


def summarise(name: str, work: Path, only: list[str] | None = None, survivors_before: set[str] | None = None,
              unchecked_before: set[str] = frozenset()) -> dict:
    """The run's verdicts. After `--again` (survivors_before: the last run's survivors) mutmut reports the mutants
    it did not rerun as "not checked" when the settings changed (a test file paired since): those the last run
    had killed keep that verdict, as "killed earlier" (the tests only grew since)."""
    out = subprocess.run(MUTMUT + ["results", "--all", "true"], cwd=work, env=_env(),
                         capture_output=True, text=True)
    status: dict[str, list[str]] = {}
    for line in out.stdout.splitlines():
        if ":" not in line:
            continue
        mutant, state = (s.strip() for s in line.rsplit(":", 1))
        if only and not any(fnmatch.fnmatch(mutant, glob) for glob in _mutant_globs(name, only)):
            continue
        if survivors_before is not None and state == "not checked" and mutant not in survivors_before \
                and mutant not in unchecked_before:
            state = "killed earlier"
        status.setdefault(state, []).append(mutant)
    total = sum(len(v) for v in status.values())
    killed = sum(len(status.get(k, [])) for k in KILLED)
    scored = total  # a mutant that no test reaches ("no tests") counts as a survivor
    summary = {
        "module": MODULES[name][0], "tests": MODULES[name][1], "only": only or None, "mutants": total, "killed": killed,
        "score": round(100.0 * killed / scored, 1) if scored else None,
        "by_status": {k: len(v) for k, v in sorted(status.items())},
        "survivors": sorted(m for k, v in status.items() if k not in KILLED for m in v),
        "not_checked": sorted(status.get("not checked", [])),  # a stopped run's mutants that never ran
    }
    checked = total - len(summary["not_checked"])
    if summary["not_checked"]:
        summary["checked"] = checked
        summary["score_of_checked"] = round(100.0 * killed / checked, 1) if checked else None
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__.splitlines()[0])
    ap.add_argument("module", nargs="?", choices=sorted(MODULES))
    ap.add_argument("--list", action="store_true", help="the modules and the tests paired with each")
    ap.add_argument("--max-children", type=int, default=1, help="parallel mutants (default 1)")
    ap.add_argument("--show", metavar="MUTANT", help="print one mutant's diff from the last run")
    ap.add_argument("--summary-only", action="store_true", help="re-read the last run's results")
    ap.add_argument("--again", action="store_true",
                    help="rerun only the last run's survivors, with the tests as they are now")
    ap.add_argument("--checked-only", action="store_true",
                    help="with --again: rerun only the survivors the last run checked (after a stopped run)")
    ap.add_argument("--only", action="append", metavar="GLOB", default=[],
                    help="mutate only the functions whose mutmut name matches (x_NAME* for a function, "
                         "xǁCLASSǁ* for a class's methods); repeatable; the score counts those mutants only")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` or kill: still end the mutants
    if args.list or not args.module:
        for key, (source, tests) in MODULES.items():
            print(f"{key:11s} {source}\n{'':11s}   <- {' '.join(tests)}")
        return 0
    work = ROOT / "build" / "mutation" / args.module
    if args.show:
        return subprocess.run(MUTMUT + ["show", args.show], cwd=work, env=_env()).returncode
    survivors_before, unchecked_before = None, set()
    if args.again:
        # The survivors of the last run only, judged by the tests as they are now (new tests are traced
        # for coverage first); every other mutant keeps its verdict.
        last = json.loads((work.parent / f"{args.module}.json").read_text("utf-8"))
        survivors_before = set(last["survivors"])
        unchecked_before = set(last.get("not_checked", []))
        args.only = args.only or last.get("only") or []
        shutil.rmtree(work / "tests")
        shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        write_settings(args.module, work)
        again = last["survivors"]
        if args.checked_only:
            unchecked = set(last.get("not_checked", []))
            again = [m for m in again if m not in unchecked]
        if again:
            t0 = time.monotonic()
            rc = _run_group(MUTMUT + ["run", "--max-children", str(args.max_children), *again], work)
            print(f"mutmut run (the {len(again)} survivors again): exit {rc} after "
                  f"{time.monotonic() - t0:.0f} s")
    elif args.summary_only:
        last_file = work.parent / f"{args.module}.json"
        if not args.only and last_file.is_file():
            args.only = json.loads(last_file.read_text("utf-8")).get("only") or []
    else:
        missing = [t for t in MODULES[args.module][1] if not (ROOT / t.split("::")[0]).is_file()]
        if missing:
            print(f"missing test files: {missing}", file=sys.stderr)
            return 2
        work = prepare(args.module)
        t0 = time.monotonic()
        globs = _mutant_globs(args.module, args.only)
        rc = _run_group(MUTMUT + ["run", "--max-children", str(args.max_children), *globs], work)
        print(f"mutmut run: exit {rc} after {time.monotonic() - t0:.0f} s")
    summary = summarise(args.module, work, args.only, survivors_before, unchecked_before)
    (work.parent / f"{args.module}.json").write_text(json.dumps(summary, indent=1), "utf-8")
    print(f"{summary['module']}: {summary['mutants']} mutants, {summary['killed']} killed, "
          f"score {summary['score']} %  {summary['by_status']}")
    if summary.get("checked") is not None:
        print(f"  (a stopped run: {summary['checked']} mutants checked, {summary['score_of_checked']} % of them killed)")
    for m in summary["survivors"]:
        print("  survived:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
