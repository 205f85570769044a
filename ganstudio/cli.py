"""Headless commands: `ganstudio train | sample | info | translate | import | bench`. With no subcommand, `ganstudio` opens
the app.

Every exception that reaches `run_command` becomes one line on stderr: a user error (a GanStudioError, an
OSError naming a path, running out of memory) prints `ganstudio: error: ...` and exits with status 2; a bug
prints `ganstudio: internal error: <type>: <message>` and exits with 1. `--debug` (or GANSTUDIO_DEBUG=1) adds
the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from ganstudio import __version__
from ganstudio.commands import command_modules
from ganstudio.core.destinations import check_file_destination, check_folder_destination, writing
from ganstudio.core.errors import DestinationError, GanStudioError, os_error_sentence, user_error_message
from ganstudio.core.train.runlog import format_hms, new_run_dir

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130
DEBUG_HELP = "show the traceback of an error (also GANSTUDIO_DEBUG=1)"


def build_parser() -> argparse.ArgumentParser:
    from ganstudio.core.config import PRESETS

    parser = argparse.ArgumentParser(
        prog="ganstudio",
        description="GAN Studio: train, watch, explore and sketch with GANs. "
        "Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"ganstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    # --debug after the command too; SUPPRESS keeps an absent one from overwriting the top-level value
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", parents=[debug], help="train a GAN headless (same engine as the app)",
                       description="Train a GAN from a preset or a TOML config. Presets: " + ", ".join(PRESETS) + ".")
    p.add_argument("config", help="a preset name or a CONFIG.toml file")
    p.add_argument("--data", help="image folder for folder / paired / autopair data")
    p.add_argument("--steps", type=int, help="number of generator steps")
    p.add_argument("--out", help="run folder (default: runs/NAME-DATE-TIME)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where to train (default auto: CUDA if present)")
    p.add_argument("--seed", type=int, help="random seed")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting, e.g. --set optim.lr_g=1e-4 (repeatable)")
    p.add_argument("--resume", metavar="CHECKPOINT", help="continue from a checkpoint (.safetensors or run folder)")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in an --out folder that holds one: its files move to OUT-replaced-DATE-TIME")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: 1 for 2-D toys, all CPUs but one for image models)")
    p.add_argument("--tensorboard", nargs="?", const="", metavar="DIR",
                   help="also write TensorBoard logs (scalars, previews, config) to DIR (default RUN_FOLDER/tensorboard; "
                        "give DIR as --tensorboard=DIR or put the flag after the config); "
                        'needs pip install "ganstudio[tensorboard]"')

    p = sub.add_parser("sample", parents=[debug], help="generate samples from a checkpoint")
    p.add_argument("checkpoint", help="a .safetensors checkpoint, a run folder, a DCGAN generator saved by another "
                   "program (.pth, .pt, .tar, .ckpt, .bin), a rosinality stylegan2-pytorch .pt or an NVlabs StyleGAN2-ADA "
                   "network-snapshot .pkl (read without running pickled code)")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--out", required=True, help="PATH.png for a grid, PATH.npy for 2-D points, or a folder for one PNG per sample")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent", metavar="FILE", help="exact latent vectors to render (.npy of shape (N, z_dim), or a bookmark .json)")
    p.add_argument("--class", dest="class_id", type=int, metavar="K", help="class to generate (conditional models)")
    p.add_argument("--truncation", type=float, metavar="PSI", default=None,
                   help="truncation psi (default 1: none, or a bookmark's): StyleGAN pulls w toward its average "
                        "w_avg; other models draw z scaled by psi (0 < psi <= 2)")
    p.add_argument("--class-count", type=int, metavar="K",
                   help="a foreign DCGAN's number of classes, whose one-hot labels are concatenated to z "
                   "(its weights cannot tell label channels from z's)")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator instead of its EMA copy")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to render (default auto: CUDA if present, as the app does)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: all CPUs but one)")

    p = sub.add_parser("info", parents=[debug], help="describe a checkpoint (model, training, metrics) or another program's generator (a StyleGAN .pkl, a .pth, a converted file)")
    p.add_argument("checkpoint")

    p = sub.add_parser("bench", parents=[debug], help="measure training throughput and interactive latency; writes JSON",
                       description="Measure what users feel (see docs/BENCHMARKS.md). Benchmarks are not tests.")
    p.add_argument("--quick", action="store_true", help="a short smoke run (CI uses it)")
    p.add_argument("--out", metavar="FILE.json", help="write the full report here")
    p.add_argument("--only", choices=("training", "gui"), help="run one section")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")

    p = sub.add_parser("translate", parents=[debug], help="apply a sketch / pix2pix model to a picture or a sketch document",
                       description="Apply a sketch or pix2pix generator headless. MODEL is a GAN Studio checkpoint "
                       "(or run folder) of a paired / autopair run, or a pytorch-CycleGAN-and-pix2pix U-Net or "
                       "ResNet (CycleGAN) .pth (read without running pickled code). U-Nets take the picture "
                       "cropped and resized to their size; ResNets keep its size, each side rounded to a multiple "
                       "of 4 as the reference's --preprocess none does. For sketch (autopair) models a picture INPUT is turned "
                       "into lines and colour hints exactly as training pairs are; a saved sketch document (.json) "
                       "is replayed stroke by stroke.")
    p.add_argument("model", metavar="CHECKPOINT_OR_PTH")
    p.add_argument("input", metavar="INPUT", help="a picture (.png, .jpg, ...) or a sketch document (.json)")
    p.add_argument("--out", required=True, help="the output picture (.png)")
    p.add_argument("--eval", action="store_true",
                   help="deterministic: batch norm running statistics, no dropout (default: the pix2pix "
                   "reference's test mode, per-image statistics and dropout on, seeded by --seed)")
    p.add_argument("--seed", type=int, default=0, help="variant seed (dropout masks, colour-hint places)")
    p.add_argument("--variant-seed", type=int, default=None, metavar="N",
                   help="models with a latent input (the bundled sketch model): the variant of seed N, as the "
                   "Sketch area's strip draws it (default: z = 0, the mean, one deterministic picture)")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), default=None,
                   help="CycleGAN checkpoints (unpaired runs): translate A to B (the default) or B to A")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto: CUDA if present, as the app does)")
    p.add_argument("--hints", type=int, default=10, metavar="N",
                   help="colour hints taken from a picture INPUT for sketch models (default 10)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: all CPUs but one)")

    p = sub.add_parser("import", parents=[debug], help="convert a generator saved by another program to a safe file",
                       description="Convert a generator saved by another program (DCGAN-style Sequential generators "
                       "such as pytorch/examples' and the PyTorch DCGAN tutorial's, pytorch-CycleGAN-and-pix2pix U-Net "
                       "and ResNet generators, NVlabs StyleGAN2-ADA / StyleGAN3 pickles, rosinality stylegan2-pytorch .pt "
                       "checkpoints; a state dict or a training checkpoint's dict, read with weights_only=True) once into a .safetensors file holding its weights and a JSON description. "
                       "Every area and command opens the converted file as the same network, without PyTorch pickles.")
    p.add_argument("file", metavar="FILE", help="the weights file (.pth, .pt, .tar, .ckpt, .bin or .safetensors)")
    p.add_argument("--out", required=True, metavar="MODEL.safetensors", help="the converted model")
    p.add_argument("--class-count", type=int, metavar="K",
                   help="a DCGAN's number of classes, whose one-hot labels are concatenated to z (stored in the "
                   "converted file)")
    for module in command_modules():
        module.add_parser(sub, [debug])
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    if not argv:
        return launch_app([])
    if argv[0] not in all_commands() and not argv[0].startswith("-"):
        return open_in_app(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="ganstudio: %(levelname)s: %(message)s")
    debug = args.debug or os.environ.get("GANSTUDIO_DEBUG", "") not in ("", "0")
    return run_command(all_commands()[args.command], args, debug=debug)


# What each command is doing, for "not enough memory for ...".
DOING = {"train": "training", "sample": "sampling", "info": "reading the checkpoint", "bench": "the benchmark",
         "translate": "translating", "import": "importing the model"}


def run_command(command, args, debug: bool = False) -> int:
    """Run one subcommand; every exception leaving it becomes one line on stderr (see the module docstring)."""
    try:
        return command(args)
    except KeyboardInterrupt:  # Ctrl-C outside the training loop (which saves and exits itself)
        print("ganstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        name = getattr(args, "command", "")
        doing = DOING.get(name) or {m.NAME: m.DOING for m in command_modules()}.get(name, "this command")
        return report_exception(exc, doing=doing, debug=debug)


def report_exception(exc: BaseException, doing: str = "this command", debug: bool = False, stream=None) -> int:
    """Print the one line of an exception (after its traceback with debug) and return the exit status."""
    stream = stream or sys.stderr
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=stream)
    message = user_error_message(exc, doing=doing)
    if message is not None:
        print(f"ganstudio: error: {_one_line(message)}", file=stream)
        return EXIT_USER_ERROR
    text = _one_line(str(exc))
    hint = "" if debug else " (run with --debug for the traceback)"
    print(f"ganstudio: internal error: {type(exc).__name__}{': ' + text if text else ''}{hint}", file=stream)
    return EXIT_INTERNAL_ERROR


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def all_commands() -> dict:
    """Every sub-command: those written here and those of `ganstudio.commands` modules."""
    found = dict(COMMANDS)
    found.update({module.NAME: module.run for module in command_modules()})
    return found


def open_in_app(paths: list[str]) -> int:
    """`ganstudio FILE...`: open each in the area that fits it; what cannot be opened is said before the window."""
    from ganstudio.core.open_target import classify

    try:
        for path in paths:
            classify(path)
    except GanStudioError as exc:
        print(f"ganstudio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return launch_app([], open_paths=paths)


def launch_app(qt_argv: list[str], open_paths: list[str] | None = None) -> int:
    """Open the desktop app, or say in one sentence why it cannot start here (before Qt aborts)."""
    from ganstudio.system_libraries import desktop_problem

    problem = desktop_problem()
    if problem:
        print(f"ganstudio: error: {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    from ganstudio.qt.app import run_app

    code = run_app(qt_argv, open_paths)
    # Everything is saved when the window closes (settings, checkpoint, sketch); Python's teardown of torch,
    # Qt and pyqtgraph would add ~1.2 s (measured) before the process is gone, so a quick relaunch could meet
    # the old process still holding its run folder.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- train -----------------------------------------------------------------------------------------

def _config_from_args(args):
    from ganstudio.core.config import resolve, validate

    cfg = resolve(args.config)
    sets = list(args.set)
    if args.data:
        sets.append(f"data.path={args.data}")
    if args.steps is not None:
        sets.append(f"train.steps={args.steps}")
    if args.device:
        sets.append(f"train.device={args.device}")
    if args.threads is not None:
        sets.append(f"train.threads={args.threads}")
    if args.seed is not None:
        sets.append(f"train.seed={args.seed}")
    cfg = validate(cfg.with_overrides(sets))
    if args.resume:
        _check_resume(cfg, args.resume)
    if cfg.data.path and cfg.data.kind not in FOLDER_KINDS:
        raise GanStudioError(
            f"{cfg.name} trains on {cfg.data.kind} data, which reads no folder, but a data folder was given "
            f"({cfg.data.path}); folders are read by image-folder, paired and sketch presets "
            "(e.g. pix2pix-folder, sketch-folder) or with --set data.kind=folder.")
    return cfg


def _saved_config(resume: str) -> dict | None:
    """The config stored in a checkpoint's header (read without its tensors), or None if it cannot be read:
    the trainer's own load then says what is wrong with the file."""
    import json

    from safetensors import safe_open

    path = Path(resume)
    if path.is_dir():
        path = next((p for p in (path / "checkpoints" / "latest.safetensors", path / "latest.safetensors")
                     if p.is_file()), path)
    if path.suffix == ".json":
        path = path.with_suffix(".safetensors")
    try:
        with safe_open(str(path), framework="pt") as fh:
            return json.loads((fh.metadata() or {})["ganstudio"]).get("config")
    except Exception:  # not readable here; Trainer.load reports it in one sentence
        return None


def _check_resume(cfg, resume: str) -> None:
    from ganstudio.core.config import resume_conflict

    saved = _saved_config(resume)
    problem = resume_conflict(cfg, saved, f"checkpoint {resume}") if saved else None
    if problem:
        raise GanStudioError(problem)


FOLDER_KINDS = ("folder", "paired", "autopair", "unpaired")
DATA_NOUNS = {"folder": "pictures", "paired": "pairs", "autopair": "pictures (each its own sketch pair)",
              "digits": "digits", "unpaired": "pictures on the larger side",
              "scenes-daynight": "landscapes per side (procedural)"}


def _data_line(cfg, trainer) -> str | None:
    """'data: 412 pairs from ~/facades (3 files skipped)': what the run found, said before it trains."""
    data = getattr(trainer, "data", None)
    count = getattr(data, "n_items", None)
    if cfg.data.kind not in DATA_NOUNS or not count:
        return None
    where = f" from {cfg.data.path}" if cfg.data.path else " (bundled)"
    skipped = len(getattr(data, "skipped", []) or [])
    return f"data: {count} {DATA_NOUNS[cfg.data.kind]}{where}" + (f" ({skipped} files skipped)" if skipped else "")


def _resume_run_dir(resume: str) -> Path | None:
    """Resuming continues in the checkpoint's own run folder (or the run folder given)."""
    from ganstudio.core.train.runlog import run_folder_of

    path = Path(resume)
    if path.is_dir() and (path / "config.json").is_file():
        return path
    return run_folder_of(path)


class ProgressBar:
    """A one-line progress display on stderr: step, it/s, losses, ETA. Plain lines when not a terminal."""

    def __init__(self, total: int, start: int = 0, stream=sys.stderr):
        self.total, self.start = total, start
        self.stream = stream
        self.tty = stream.isatty()
        self.t0 = time.perf_counter()
        self.last_draw = 0.0
        self.last_pct = -1
        self.last_step = -1
        self.scalars: dict[str, float] = {}

    def update(self, step: int, force: bool = False) -> None:
        now = time.perf_counter()
        pct = int(100 * step / max(self.total, 1))
        if not force:
            if self.tty and now - self.last_draw < 0.2:
                return
            if not self.tty and pct // 10 == self.last_pct // 10:
                return
        elif not self.tty and step == self.last_step:
            return  # plain lines: the final update repeats the line of the last step
        self.last_draw, self.last_pct, self.last_step = now, pct, step
        done = step - self.start
        rate = done / max(now - self.t0, 1e-9)
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        width = 24
        filled = int(width * step / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        losses = " ".join(f"{k} {v:.3g}" for k, v in self.scalars.items() if k in ("d_loss", "g_loss", "sliced_w", "l1", "cycle_A", "cycle_B"))
        line = f"step {step}/{self.total} [{bar}] {pct:3d}% {rate:6.1f} it/s {losses} ETA {format_hms(eta)}"
        _say("\r" + line[:160].ljust(120) if self.tty else line + "\n", self.stream, end="")

    def close(self) -> None:
        if self.tty:
            _say("", self.stream)


def _say(text: str, stream=None, end: str = "\n") -> None:
    """Print to stderr; a terminal that was closed (SIGHUP, then EIO) must not stop the run from saving."""
    stream = stream or sys.stderr
    try:
        stream.write(text + end)
        stream.flush()
    except (OSError, ValueError):
        pass


STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")  # Ctrl-C, kill / a job scheduler, a closed terminal
FORCE_QUIT_PRESSES = 3  # the Ctrl-C that quits without waiting for the save
PRESS_GAP_S = 0.3  # SIGINTs closer than this are one press (torchrun passes on the terminal's own)


class _StopOnSignals:
    """Ctrl-C, SIGTERM and SIGHUP ask the trainer to stop between two steps, so the checkpoint it then
    saves is consistent. More signals while it finishes the step or saves wait for the save (whose rename
    is atomic); only a third Ctrl-C quits at once (a save can hang on a dead network disk), and then the
    atomic write removes its temp file and the previous checkpoint stays. Before `arm()` (the run is being
    set up, there is nothing to save yet) a signal quits at once."""

    def __init__(self) -> None:
        self.flag = False
        self.signal_name: str | None = None  # the first stop signal
        self.armed = False
        self.presses = 0
        self._last_press = -PRESS_GAP_S
        self._previous: dict[int, object] = {}

    def arm(self) -> None:
        self.armed = True

    def _handle(self, signum, frame) -> None:
        import signal

        if not self.armed:
            raise KeyboardInterrupt
        if not self.flag:
            self.flag, self.signal_name = True, signal.Signals(signum).name
        if signum == signal.SIGINT:
            now = time.monotonic()
            if now - self._last_press >= PRESS_GAP_S:
                self.presses += 1
            self._last_press = now
            if self.presses >= FORCE_QUIT_PRESSES:
                raise KeyboardInterrupt

    def __enter__(self) -> "_StopOnSignals":
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in STOP_SIGNALS:
                signum = getattr(signal, name, None)
                # An ignored signal stays ignored: `nohup ganstudio train` must outlive its terminal.
                if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for signum, previous in self._previous.items():
            # After a stop the process is on its way out with its checkpoint saved: a late signal of a storm
            # would only turn the exit status into "killed" and leave the run's lock file behind.
            signal.signal(signum, signal.SIG_IGN if self.flag else previous)
        self._previous.clear()


RUN_OUTPUTS = ("checkpoints", "metrics.jsonl", "samples", "config.json", "config.toml", "tensorboard")  # what a run writes


def _run_held_in(run_dir: Path) -> str | None:
    """What a training already left in `run_dir` that a new run would replace, in a few words; None when
    there is nothing to lose (no checkpoint, no logged step)."""
    checkpoints = sorted((run_dir / "checkpoints").glob("*.safetensors"))
    metrics = run_dir / "metrics.jsonl"
    if not checkpoints and not (metrics.is_file() and metrics.stat().st_size > 0):
        return None
    if not checkpoints:
        return "its logged steps"
    try:
        import json

        step = json.loads((run_dir / "checkpoints" / "latest.json").read_text(encoding="utf-8"))["step"]
        return f"a checkpoint at step {int(step)}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a checkpoint"


def _claim_run_folder(run_dir: Path, args, lock) -> None:
    """Rank 0, before the trainer writes: own the folder, and refuse to start a new run over one that is
    there unless the user said --overwrite (the old files then move aside, never deleted)."""
    lock.acquire()
    if lock.took_over is not None:
        _say(f"ganstudio: {run_dir} was left locked by {lock.took_over.describe()}, which no longer runs; "
             "taking it over")
    if args.resume:
        return
    held = _run_held_in(run_dir)
    if held is None:
        return
    if not args.overwrite:
        raise GanStudioError(
            f"{run_dir} already holds a run ({held}): continue it with --resume {run_dir}, start again "
            "with --overwrite (its files move aside), or choose another --out.")
    aside = new_run_dir(run_dir.parent, f"{run_dir.name}-replaced")
    aside.mkdir()
    for name in RUN_OUTPUTS:
        if (run_dir / name).exists():
            (run_dir / name).rename(aside / name)
    _say(f"ganstudio: --overwrite: moved the previous run ({held}) to {aside}; delete that folder to free its space")


def _tensorboard_dir(args, run_dir: Path) -> Path | None:
    """Where --tensorboard writes, checked before any training (tensorboard installed, a folder we can write)."""
    if args.tensorboard is None:
        return None
    from ganstudio.core.train.tensorboard_export import check_log_dir, default_log_dir, require_tensorboard

    require_tensorboard()
    return check_log_dir(Path(args.tensorboard) if args.tensorboard else default_log_dir(run_dir))


def cmd_train(args) -> int:
    from ganstudio.core.device import apply_threads, device_description
    from ganstudio.core.models.size_check import check_model_size
    from ganstudio.core.train.distributed import DistributedContext
    from ganstudio.core.train.run_lock import RunLock
    from ganstudio.core.train.trainer import Trainer

    cfg = _config_from_args(args)
    check_model_size(cfg)
    if args.overwrite and args.resume:
        raise GanStudioError("--overwrite starts a new run and --resume continues one: give only one of them.")
    resumed_in = _resume_run_dir(args.resume) if args.resume and not args.out else None
    run_dir = Path(args.out) if args.out else resumed_in or new_run_dir("runs", cfg.name)
    check_folder_destination(run_dir)  # before minutes of loading data, not at the first save
    tensorboard_dir = _tensorboard_dir(args, run_dir)
    dist = DistributedContext.from_environment(cfg.train.device)
    apply_threads("toy" if cfg.data.task == "toy" else "image", cfg.train.threads)
    lock = RunLock(run_dir) if dist.is_main else None  # only rank 0 writes, so only rank 0 owns the folder
    bar: ProgressBar | None = None
    messages: list[str] = []

    def report(event) -> None:
        if event.kind == "scalars" and bar is not None:
            bar.scalars = event.data
        elif event.kind == "warning":
            messages.append(event.data["message"])
            _say(f"ganstudio: warning: {event.data['message']}")
        elif event.kind == "eval" and not args.quiet and dist.is_main:
            shown = {k: v for k, v in event.data.items() if k in ("modes_captured", "hq_fraction", "sliced_w", "l1", "reverse_kl",
                                                                 "colour_gap", "edge_agreement")}
            if shown and bar is not None and not bar.tty:
                _say("eval " + " ".join(f"{k} {v:.4g}" for k, v in shown.items()))

    def show_progress(trainer) -> None:
        if bar is not None and not stop.flag:  # after SIGHUP the terminal is gone
            bar.update(trainer.step_count)

    stop = _StopOnSignals()
    trainer = export = None
    with stop:  # to the very end: the lock is released and the exit status is ours even in a signal storm
        try:
            if lock is not None:
                _claim_run_folder(run_dir, args, lock)
            trainer = Trainer(cfg, run_dir=run_dir if dist.is_main else None, report=report if dist.is_main else None,
                              resume=args.resume,
                              rank=dist.rank, world_size=dist.world_size, distributed=dist)
            if dist.is_main and tensorboard_dir is not None:
                from ganstudio.core.train.tensorboard_export import attach

                export = attach(trainer, tensorboard_dir)
                _say(f"ganstudio: TensorBoard logs in {tensorboard_dir} (tensorboard --logdir {tensorboard_dir})")
            if dist.is_main:
                _say(f"ganstudio: training {cfg.name} on {device_description(trainer.device)}"
                     f"{f' x{dist.world_size} processes' if dist.world_size > 1 else ''}; run folder {run_dir}")
                line = _data_line(cfg, trainer)
                if line:
                    _say(f"ganstudio: {line}")
            if not args.quiet and dist.is_main:
                bar = ProgressBar(cfg.train.steps, start=trainer.step_count)
            vote = dist.stop_vote()  # every rank stops at the same step, whichever got the signal
            stop.arm()
            # The app's loop too: save when the loop ends (finished or stopped), evaluate when finished.
            result = trainer.run(should_stop=lambda: vote(stop.flag), on_step=show_progress,
                                 save_at_end="always", evaluate_at_end=True)
            vote.close()
            if bar:
                if not stop.flag:
                    bar.update(trainer.step_count, force=True)
                bar.close()
            if stop.flag or result.reason == "stopped":
                if dist.is_main:
                    _say(f"ganstudio: {stop.signal_name or 'a stop signal'}: stopped at step {trainer.step_count}; "
                         f"checkpoint saved to {result.checkpoint}")
                return EXIT_INTERRUPTED
            if dist.is_main:
                summary = " ".join(f"{k} {v:.4g}" for k, v in result.metrics.items() if k != "n_modes")
                _say(f"ganstudio: finished {trainer.step_count} steps in {format_hms(trainer.elapsed)}; {summary}")
                _say(f"ganstudio: checkpoint {result.checkpoint}")
            return 0
        except KeyboardInterrupt:  # a signal while setting up, or the Ctrl-C that quits without waiting
            stop.flag = True  # the process ends now: late signals are ignored
            if bar:
                bar.close()
            if dist.is_main:
                if trainer is None or not stop.armed:
                    _say("\nganstudio: interrupted before training began; nothing was saved")
                else:
                    held = _run_held_in(run_dir) if (run_dir / "checkpoints").is_dir() else None
                    kept = f"{run_dir} keeps {held}" if held and held != "its logged steps" else "no checkpoint was kept"
                    _say(f"\nganstudio: quit at step {trainer.step_count} without waiting for the save; {kept}")
            return EXIT_INTERRUPTED
        except OSError as exc:
            if exc.filename is not None:
                raise
            # A write that names no file (a full disk inside a checkpoint or log write): name the run folder.
            raise DestinationError(os_error_sentence(exc, "cannot write in", run_dir)) from None
        finally:
            if export is not None:
                export.close()  # stopped, finished or failed: the events written so far stay readable
            if lock is not None:
                lock.release()
            dist.close()


def _apply_render_threads(requested: int | None) -> None:
    from ganstudio.core.device import apply_threads

    if requested is not None and requested < 1:
        raise GanStudioError(f"--threads must be 1 or more, not {requested}.")
    apply_threads("image", requested)


# --- sample ----------------------------------------------------------------------------------------

def cmd_sample(args) -> int:
    import numpy as np
    import torch

    from ganstudio.core.generators.handle import INPUT_POINTS, open_generator
    from ganstudio.core.imaging import make_grid_uint8, save_png, to_uint8

    if args.n < 1:
        raise GanStudioError(f"--n must be 1 or more, not {args.n}.")
    out_path = Path(args.out)
    if out_path.suffix:  # a .png grid or .npy points; no suffix: a folder of PNGs
        check_file_destination(out_path)
    else:
        check_folder_destination(out_path)
    _apply_render_threads(args.threads)
    model = open_generator(args.checkpoint, device=args.device, use_ema=not args.no_ema, class_count=args.class_count)
    if model.is_translation:
        raise GanStudioError(f"{args.checkpoint} is an image-to-image model; use `ganstudio translate` for it.")
    labels = None
    style = None
    if args.latent:
        from ganstudio.core.latent.bookmarks import bookmark_model_warning, read_latents

        z_np, labels, bookmark = read_latents(args.latent, model.z_dim)
        z = torch.from_numpy(z_np)
        if bookmark is not None:  # an Explore bookmark names the weights it was made with
            warning = bookmark_model_warning(bookmark, args.checkpoint, use_ema=not args.no_ema)
            if warning:
                print(f"ganstudio: warning: {warning}", file=sys.stderr)
            # a StyleGAN bookmark's psi in W and its style edit (mixing, W offsets) render as on screen
            style = bookmark.style
            if args.truncation is None and bookmark.truncation_psi != 1.0:
                args.truncation = bookmark.truncation_psi
    else:
        z = torch.randn(args.n, model.z_dim, generator=torch.Generator().manual_seed(args.seed))
    z, psi_in_w = _sample_truncation(model, z, args)
    if model.n_classes:
        if args.class_id is not None:
            if not 0 <= args.class_id < model.n_classes:
                raise GanStudioError(f"--class must be between 0 and {model.n_classes - 1}, not {args.class_id}.")
            labels = [args.class_id] * z.shape[0]
    elif args.class_id is not None:
        raise GanStudioError(f"{args.checkpoint} is not class-conditional; drop --class.")
    else:
        labels = None
    if model.input_kind == INPUT_POINTS and out_path.suffix != ".npy":
        raise GanStudioError(f"a 2-D model writes points: give --out a path ending in .npy, not {out_path.name}.")
    if model.input_kind != INPUT_POINTS and out_path.suffix and out_path.suffix.lower() != ".png":
        raise GanStudioError(f"--out must end in .png (a grid) or name a folder (one PNG per sample), not {out_path.name}.")
    out = model.generate(z, labels, truncation_psi=psi_in_w, style=style)
    if model.input_kind == INPUT_POINTS:
        with writing(out_path):
            out_path.parent.mkdir(parents=True, exist_ok=True)
            np.save(out_path, out.numpy())
        print(f"ganstudio: wrote {out.shape[0]} points to {out_path}", file=sys.stderr)
        return 0
    if out_path.suffix:
        with writing(out_path):
            save_png(make_grid_uint8(out), out_path)
        print(f"ganstudio: wrote a grid of {out.shape[0]} sample{'s' if out.shape[0] != 1 else ''} to {out_path}", file=sys.stderr)
    else:
        pics = to_uint8(out)
        for i, pic in enumerate(pics):
            with writing(out_path / f"sample_{i:05d}.png"):
                save_png(pic, out_path / f"sample_{i:05d}.png")
        print(f"ganstudio: wrote {len(pics)} PNG files to {out_path}", file=sys.stderr)
    return 0


def _sample_truncation(model, z, args):
    """`--truncation PSI`: StyleGAN models take psi in W at render time (returned); the others keep the
    Explore area's 'scale' truncation of z (z * psi, the same numbers as a scaled seeded draw)."""
    import math

    psi = 1.0 if args.truncation is None else float(args.truncation)
    if not math.isfinite(psi):
        raise GanStudioError(f"--truncation must be a finite number, not {args.truncation}.")
    if model.truncates_in_w or psi == 1.0:
        return z, psi
    if args.latent:
        raise GanStudioError(f"{args.checkpoint} truncates z, and --latent gives latents as they are; drop --truncation "
                             "or --latent.")
    from ganstudio.core.latent.space import Truncation

    Truncation("scale", psi)  # the range check of the Explore area's psi
    return z * psi, 1.0


# --- info ------------------------------------------------------------------------------------------

def cmd_info(args) -> int:
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.generators import formats
    from ganstudio.core.models.from_config import build_models, config_from_checkpoint
    from ganstudio.core.models.registry import count_parameters

    source = Path(args.checkpoint)
    if source.is_file() and formats.is_foreign(source):  # another program's weights, or a file `import` converted
        return _foreign_info(source)
    ckpt = load_checkpoint(args.checkpoint)
    cfg = config_from_checkpoint(ckpt)
    G, D = build_models(cfg, int(ckpt.meta.get("n_classes", 0)))
    m, d, o, t, opt = cfg.model, cfg.data, cfg.objective, cfg.tricks, cfg.optim
    data_desc = d.kind + (f" from {d.path}" if d.path else "")
    if d.task != "toy":
        data_desc += f", {d.image_size}x{d.image_size}"
    tricks_on = [f"{k}={v}" for k, v in vars(t).items() if v not in (0, 0.0, False, 1) or (k == "pack" and v > 1)]
    lines = [
        f"checkpoint   {args.checkpoint}",
        f"run          {cfg.name} (ganstudio {ckpt.meta.get('ganstudio_version', '?')}, torch {ckpt.meta.get('torch_version', '?')})",
        f"task         {d.task}: {data_desc}",
        f"generator    {m.generator}: {type(G).__name__}, {count_parameters(G):,} parameters, z_dim {m.z_dim if d.task not in ('paired', 'unpaired') else '-'}"
        + (", class-conditional" if m.class_conditional else ""),
        f"critic       {m.discriminator}: {type(D).__name__}, {count_parameters(D):,} parameters, norm {m.d_norm}",
        f"objective    {o.loss}" + (f", R1 gamma {o.r1_gamma}" if o.r1_gamma else "") + (f", GP {o.gp_weight}" if o.gp_weight else ""),
        f"tricks       {', '.join(tricks_on) or 'none'}",
        f"optimizer    {opt.optimizer}, lr G {opt.lr_g:g} / D {opt.lr_d:g}, batch {opt.batch_size}, n_critic {ckpt.meta.get('n_critic', opt.n_critic)}",
        f"trained      {ckpt.step} steps in {format_hms(float(ckpt.meta.get('wall_time', 0)))} on {ckpt.meta.get('device', '?')}",
        f"EMA weights  {'yes' if 'G_ema' in ckpt.states else 'no'}",
    ]
    metrics = ckpt.meta.get("metrics") or {}
    if metrics:
        lines.append("metrics      " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
    if ckpt.meta.get("best_metric"):
        lines.append(f"best by      {ckpt.meta['best_metric']} = {ckpt.meta.get('best_value'):.4g}")
    print("\n".join(lines))
    return 0


# --- translate -------------------------------------------------------------------------------------

def cmd_translate(args) -> int:
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.generators.translate import translate_file
    from ganstudio.core.imaging import save_png

    out_path = Path(args.out)
    if out_path.suffix.lower() != ".png":
        raise GanStudioError(f"--out must end in .png, not {out_path.name}.")
    if args.hints < 0:
        raise GanStudioError(f"--hints must be 0 or more, not {args.hints}.")
    if args.variant_seed is not None and not 0 <= args.variant_seed <= 2**31 - 1:
        raise GanStudioError(f"--variant-seed must be between 0 and {2**31 - 1}, not {args.variant_seed}.")
    check_file_destination(out_path)
    _apply_render_threads(args.threads)
    model = open_generator(args.model, device=args.device)
    mode = "eval" if args.eval else "reference"
    if args.direction is not None:
        model.set_direction(args.direction)
    if args.variant_seed is not None and not model.variant_z:
        raise GanStudioError(f"--variant-seed is for models with a latent input; {Path(args.model).name} has none "
                             f"(its variants come from --seed).")
    picture = translate_file(model, args.input, mode=mode, seed=args.seed, n_hints=args.hints,
                             variant_seed=args.variant_seed)
    with writing(out_path):
        save_png(picture, out_path)
    height, width = picture.shape[:2]
    how = f"{model.direction}" if model.directions else f"{mode} mode, seed {args.seed}"
    if model.variant_z:
        how = "z = 0 (the mean)" if args.variant_seed is None else f"the variant of seed {args.variant_seed}"
    print(f"ganstudio: {model.title}, {how}: wrote {out_path} ({width}x{height})", file=sys.stderr)
    return 0


# --- import ----------------------------------------------------------------------------------------

def cmd_import(args) -> int:
    from ganstudio.core.generators import formats
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.models.importers import export_imported, import_foreign_generator

    source, out_path = Path(args.file), Path(args.out)
    if out_path.suffix != ".safetensors":
        raise GanStudioError(f"--out must end in .safetensors, not {out_path.name}.")
    check_file_destination(out_path)
    if out_path.exists() and source.exists() and out_path.resolve() == source.resolve():
        raise GanStudioError(f"--out names {source.name} itself; give another file so that the original stays.")
    if not source.is_file():
        raise GanStudioError(f"{source} does not exist." if not source.exists() else f"{source} is not a file.")
    if not formats.is_foreign(source):
        raise GanStudioError(f"{source.name} is a GAN Studio checkpoint, which opens as it is; `ganstudio import` "
                             f"converts weights files of other programs ({', '.join(formats.FOREIGN_SUFFIXES)}).")
    imported = import_foreign_generator(source, class_count=args.class_count)
    with writing(out_path):
        export_imported(imported, out_path)
    model = open_generator(out_path, device="cpu")  # what every area will open: said, and checked, once
    print(f"ganstudio: {source.name}: {model.description}", file=sys.stderr)
    print(f"ganstudio: wrote {out_path}", file=sys.stderr)
    return 0


def _foreign_info(path: Path) -> int:
    """What a foreign generator is: for a StyleGAN its family, resolution, z / w sizes, mapping layers, styles
    and classes; for the others what the importer read off the tensors."""
    from ganstudio.core.generators.handle import open_generator

    model = open_generator(path, device="cpu")
    d = model.describe()
    arch = d.get("architecture") if isinstance(d.get("architecture"), dict) else {}
    lines = [f"file         {path}", f"model        {model.description}", f"source       {model.source}",
             f"takes        {model.input_kind}" + (f" z of {model.z_dim}" if model.has_latent else "")
             + (f", {model.n_classes} classes" if model.n_classes else ""),
             f"pictures     {model.image_size} px, {model.channels} channel{'s' if model.channels != 1 else ''}",
             f"parameters   {d['parameters']:,}"]
    if model.is_stylegan:
        family = "StyleGAN3" if arch.get("family") == "stylegan3" else "StyleGAN2"
        maker = "rosinality" if model.source == "rosinality-stylegan2" else "NVlabs"
        lines[1:1] = [f"family       {maker} {family} ({arch.get('architecture')}), {arch.get('network')} weights"]
        lines += [f"W space      w {d['w_dim']}, {d['num_ws']} styles, {arch.get('mapping_layers')} mapping layers, "
                  f"truncation psi around w_avg" if d.get("truncation") == "w" else "no w_avg (no truncation)"]
    print("\n".join(lines))
    return 0


# --- bench -----------------------------------------------------------------------------------------

def cmd_bench(args) -> int:
    from ganstudio.bench import SECTIONS, format_table, main_progress, run_bench, write_report

    if args.out:
        check_file_destination(args.out)  # a report that cannot be written must not cost the whole run first
    sections = (args.only,) if args.only else SECTIONS
    report = run_bench(quick=args.quick, sections=sections, device=args.device, progress=main_progress)
    print(format_table(report))
    if args.out:
        print(f"ganstudio: wrote {write_report(report, args.out)}", file=sys.stderr)
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "info": cmd_info, "bench": cmd_bench,
            "translate": cmd_translate, "import": cmd_import}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
