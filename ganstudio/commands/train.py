"""`ganstudio train`: train a GAN headless with the app's engine; a run folder, a progress line, a checkpoint
saved on every way out (finished, Ctrl-C, kill, a closed terminal), and torchrun for several GPUs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ganstudio.core.destinations import check_folder_destination
from ganstudio.core.errors import DestinationError, GanStudioError, os_error_sentence
from ganstudio.core.train.form import FOLDER_KINDS
from ganstudio.core.train.runlog import format_hms, new_run_dir

NAME = "train"
DOING = "training"
ORDER = 0  # listed first in `ganstudio --help`: the command most people come for


def add_parser(sub, parents) -> None:
    from ganstudio.core.config import PRESETS

    p = sub.add_parser(NAME, parents=parents, help="train a GAN headless (same engine as the app)",
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
    if cfg.data.path_b and cfg.data.kind != "unpaired":  # found by the campaign: silently ignored before
        raise GanStudioError(
            f"{cfg.name} trains on {cfg.data.kind} data, but a second folder was given (data.path_b "
            f"{cfg.data.path_b!r}); side B's folder is for unpaired data (cyclegan-folders).")
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


def run(args) -> int:
    from ganstudio.cli import EXIT_INTERRUPTED  # cli imports this package; so here, not at the top
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

