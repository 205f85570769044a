"""The Train area's worker: a core Trainer driven through `Trainer.run` in a QThread."""

from __future__ import annotations

import logging
import queue
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal

from ganstudio.core.errors import as_sentence
from ganstudio.qt.workers import BackgroundWorker, describe_exception

log = logging.getLogger(__name__)


class TrainerWorker(BackgroundWorker):
    """Runs a core Trainer in a QThread through the trainer's own loop, `Trainer.run`, the one that
    `ganstudio train` runs: the GUI's controls are its hooks (stop flag, pause wait, live changes between
    steps, throttled progress), the close-and-save path is run's save_at_end / evaluate_at_end.

    Signals (all queued to the GUI thread, all carrying CPU data):
      started(info)         once the trainer is built: device, step, task, run_dir, real toy points...
      progress(batch)       at most every `progress_interval` s: {"scalars": [records], "samples":
                            [(step, data)], "evals": [records], "step": int, "it_s": float}
      checkpoint_saved(path), warning(message), learning_rates_changed((lr_g, lr_d, n_critic))
      stopped(summary)      {"step", "reason": finished|stopped|error, "checkpoint": path or None}
      failed(JobError), finished()
    """

    started = Signal(object)
    progress = Signal(object)
    checkpoint_saved = Signal(str)
    warning = Signal(str)
    learning_rates_changed = Signal(object)
    stopped = Signal(object)

    def __init__(self, config, run_dir: str | Path | None, resume: str | Path | None = None,
                 max_steps: int | None = None, progress_interval: float = 0.1,
                 save_on_stop: bool = True, initial_preview: bool = True,
                 tensorboard_dir: str | Path | None = None):
        super().__init__("TrainerWorker")
        self.config = config
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.resume_from = resume
        self.max_steps = max_steps
        self.progress_interval = progress_interval
        self.save_on_stop = save_on_stop
        self.initial_preview = initial_preview
        self.tensorboard_dir = Path(tensorboard_dir) if tensorboard_dir is not None else None  # also TensorBoard logs there
        self._tensorboard = None  # the export, opened and closed in the worker thread
        self.trainer = None  # touched only in the worker thread, except by tests after the thread ended
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._scalars: list[dict] = []
        self._samples: list[tuple[int, dict]] = []
        self._evals: list[dict] = []
        self._last_flush = 0.0
        self._last_flush_step = 0
        self._next_flush = 0.0
        self.step = 0  # last step reported to the GUI
        self.last_checkpoint: str | None = None

    # --- commands from the GUI (applied between steps) -------------------------------------------------
    def set_learning_rates(self, g: float | None = None, d: float | None = None) -> None:
        self._commands.put(("lr", g, d))

    def set_n_critic(self, n: int) -> None:
        self._commands.put(("n_critic", int(n)))

    def save_checkpoint(self, path: str | Path | None = None) -> None:
        self._commands.put(("save", path))

    def _apply_commands(self, _trainer=None) -> None:
        """Trainer.run's apply_changes hook (and the idle call while paused)."""
        while not self._commands.empty():
            cmd = self._commands.get()
            try:
                if cmd[0] == "lr":
                    self.trainer.set_learning_rates(g=cmd[1], d=cmd[2])
                    self._announce_rates()
                elif cmd[0] == "n_critic":
                    self.trainer.set_n_critic(cmd[1])
                    self._announce_rates()
                elif cmd[0] == "save":
                    self._save(cmd[1])
            except Exception as exc:  # noqa: BLE001 - a bad command must not end training
                err = describe_exception(exc)
                log.warning("command %s failed: %s", cmd[0], err.message)
                self.warning.emit(err.message)

    def _announce_rates(self) -> None:
        lr_g, lr_d = self.trainer.learning_rates
        self.learning_rates_changed.emit((lr_g, lr_d, self.trainer.n_critic))

    def _save(self, path=None) -> str | None:
        if path is None and self.run_dir is None:
            self.warning.emit("This run has no run folder, so there is nowhere to save a checkpoint.")
            return None
        written = self.trainer.save_checkpoint(path)
        return str(written) if written is not None else None

    # --- hooks of Trainer.run (worker thread) ----------------------------------------------------------
    def _wait_if_paused(self) -> bool:
        """Trainer.run's wait_if_paused hook: False when Stop came during the pause."""
        if self._resume.is_set():
            return True
        self._flush()  # the GUI shows the step the run paused at
        if not self._wait_while_paused(on_idle=self._apply_commands):
            return False
        self._last_flush = time.perf_counter()  # the pause is not training time
        self._next_flush = self._last_flush + self.progress_interval
        return True

    def _on_step(self, _trainer) -> None:
        """Trainer.run's on_step hook: a clock read per step, a progress batch every progress_interval."""
        now = time.perf_counter()
        if now >= self._next_flush:
            self._flush(now)
            self._next_flush = now + self.progress_interval

    # --- events from the trainer (worker thread) -----------------------------------------------------
    def _on_event(self, event) -> None:
        kind = event.kind
        if kind == "scalars":
            self._scalars.append(dict(event.data))
        elif kind == "samples":
            self._samples.append((event.step, event.data))
        elif kind == "eval":
            self._evals.append(dict(event.data))
        elif kind == "checkpoint":
            self.last_checkpoint = str(event.data.get("path"))
            self.checkpoint_saved.emit(self.last_checkpoint)
        elif kind == "warning":
            self.warning.emit(as_sentence(str(event.data.get("message", ""))))

    def _flush(self, now: float | None = None, final: bool = False) -> None:
        now = time.perf_counter() if now is None else now
        step = self.trainer.step_count if self.trainer is not None else self.step
        dt = now - self._last_flush
        # The final flush comes after saving and evaluating: its rate would not be a training speed.
        it_s = (step - self._last_flush_step) / dt if dt > 0 and self._last_flush > 0 and not final else 0.0
        batch = {"scalars": self._scalars, "samples": self._samples, "evals": self._evals,
                 "step": step, "it_s": it_s}
        self._scalars, self._samples, self._evals = [], [], []
        self._last_flush, self._last_flush_step = now, step
        self.step = step
        self.progress.emit(batch)

    # --- the run -------------------------------------------------------------------------------------
    def _work(self) -> None:
        from ganstudio.core.device import apply_threads, device_description
        from ganstudio.core.train.runlog import real_toy_points
        from ganstudio.core.train.trainer import Trainer

        summary: dict[str, Any] = {"step": 0, "reason": "error", "checkpoint": None}
        try:
            self.trainer = trainer = Trainer(self.config, run_dir=self.run_dir, report=self._on_event,
                                             resume=self.resume_from)
            if self.tensorboard_dir is not None:
                from ganstudio.core.train.tensorboard_export import attach

                self._tensorboard = attach(trainer, self.tensorboard_dir)
            total = self.max_steps if self.max_steps is not None else trainer.cfg.train.steps
            # the CLI's thread policy, so a run trains as fast here as headless (the app's count comes back after)
            apply_threads("toy" if trainer.task == "toy" else "image", trainer.cfg.train.threads)
            info: dict[str, Any] = {
                "device": device_description(trainer.device), "step": trainer.step_count, "total": total,
                "task": trainer.task, "run_dir": str(self.run_dir) if self.run_dir else None,
                "name": trainer.cfg.name, "learning_rates": trainer.learning_rates, "n_critic": trainer.n_critic,
                "config": trainer.cfg,
                "tensorboard_dir": str(self.tensorboard_dir) if self._tensorboard is not None else None,
            }
            if trainer.task == "toy":
                # The real distribution behind the GAN Lab view (its own RNG: the run draws the batches
                # it would draw headless).
                info["real_points"], info["bounds"] = real_toy_points(trainer.data.toy)
            self.started.emit(info)
            self._last_flush_step = trainer.step_count
            self._last_flush = time.perf_counter()
            self._next_flush = self._last_flush + self.progress_interval
            if self.initial_preview and trainer.task == "toy":
                trainer.emit_preview()  # the starting point: G's initial samples, D's initial field
            result = trainer.run(
                total, should_stop=self._stop.is_set, on_step=self._on_step,
                wait_if_paused=self._wait_if_paused, apply_changes=self._apply_commands,
                save_at_end="always" if self.save_on_stop else "finished", evaluate_at_end=True,
            )
            summary.update(reason=result.reason, step=result.step, checkpoint=result.checkpoint)
        finally:
            apply_threads("image")
            if self.trainer is not None:
                try:
                    self.trainer.finish()  # run() has done it, unless the error came before the loop
                except Exception:  # noqa: BLE001 - closing must not hide the real error
                    log.exception("closing the trainer failed")
                summary["step"] = self.trainer.step_count
            if self._tensorboard is not None:
                try:
                    self._tensorboard.close()  # stopped, finished or failed: its thread is joined here
                except Exception:  # noqa: BLE001 - closing must not hide the real error
                    log.exception("closing the TensorBoard logs failed")
                self._tensorboard = None
            if self.trainer is not None or self._scalars or self._samples:
                self._flush(final=True)
            self.stopped.emit(summary)
