"""The app's training run: one `RunControl` owns the TrainerWorker and the run's state.

The Train panel asks (start, pause, stop, save, live settings); RunControl acts on the worker and tells
the panel, the monitor and the window what happens through its signals, all emitted in the GUI thread
and carrying CPU data. The window only wires them; nothing here knows a widget.

States: idle -> starting (models being built) -> running <-> paused -> stopping -> idle.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from ganstudio.core.train.run_lock import RunFolderBusy, RunLock
from ganstudio.core.train.runlog import new_run_dir, run_folder_of
from ganstudio.qt.train.trainer_worker import TrainerWorker

log = logging.getLogger(__name__)


class RunControl(QObject):
    """Starts and controls the app's one training run; the worker's signals, re-told for the areas."""

    stateChanged = Signal(str)  # idle | starting | running | paused | stopping
    runStarted = Signal(object)  # the worker's info: device, step, total, task, run_dir, real toy points...
    progressed = Signal(object)  # one coalesced batch: {"scalars", "samples", "evals", "step", "it_s"}
    stepChanged = Signal(int, int, float)  # step, total steps, it/s (0 when not measured)
    liveValuesChanged = Signal(float, float, int)  # lr_g, lr_d, n_critic as the trainer has them now
    checkpointSaved = Signal(str)
    runEnded = Signal()  # the training thread has ended: the run is no longer live
    message = Signal(str)  # a line for the Train panel's message log
    statusMessage = Signal(str)  # a short note for the status bar
    warning = Signal(str)  # one sentence for the warning banner
    error = Signal(str)  # one sentence for the error banner

    def __init__(self, settings, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("runControl")
        self.settings = settings
        self.worker: TrainerWorker | None = None
        self.state = "idle"
        self.total = 0
        self._closing = False
        self._lock: RunLock | None = None  # the run folder's, held from start until the training thread ends

    # --- what the areas ask ----------------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.worker is not None and self.worker.paused

    def start(self, cfg, resume: str | None = None) -> TrainerWorker | None:
        """Train `cfg` (resuming a checkpoint: in its own run folder when it has one); None while a run is on,
        or when another process trains into that folder (the error signal says which)."""
        if self.worker is not None or self._closing:
            return None
        run_dir = (run_folder_of(resume) if resume else None) or new_run_dir(self.settings.runs_folder(), cfg.name)
        if not self._own_run_folder(run_dir):
            return None
        worker = TrainerWorker(cfg, run_dir, resume=resume, tensorboard_dir=self._tensorboard_dir(run_dir))
        # Methods of this object, never lambdas: PySide6 would call a lambda in the worker's thread.
        worker.started.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.checkpoint_saved.connect(self._on_checkpoint_saved)
        worker.warning.connect(self._on_warning)
        worker.learning_rates_changed.connect(self._on_rates_changed)
        worker.stopped.connect(self._on_stopped)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self.worker = worker
        self.total = cfg.train.steps
        self._set_state("starting")
        self.message.emit(f"Starting {cfg.name} in {run_dir}")
        worker.start()
        return worker

    def _tensorboard_dir(self, run_dir):
        """RUN_FOLDER/tensorboard when the Preferences ask for TensorBoard logs and tensorboard is installed."""
        if not self.settings.tensorboard_logs():
            return None
        from ganstudio.core.train.tensorboard_export import default_log_dir, missing_sentence, tensorboard_installed

        if not tensorboard_installed():
            self.warning.emit(missing_sentence()[:-1] + "; this run writes no TensorBoard logs.")
            return None
        return default_log_dir(run_dir)

    def _own_run_folder(self, run_dir) -> bool:
        """Take the run folder's lock: a `ganstudio train` (or another window) writing there refuses this run."""
        lock = RunLock(run_dir)
        try:
            lock.acquire()
        except RunFolderBusy as exc:
            self.error.emit(str(exc))
            return False
        except OSError as exc:
            self.error.emit(f"Cannot write in the run folder {run_dir}: {exc.strerror or exc}.")
            return False
        self._lock = lock
        if lock.took_over is not None:
            self.message.emit(f"{run_dir} was left locked by {lock.took_over.describe()}, which no longer runs; "
                              "taking it over.")
        return True

    def _release_run_folder(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def set_paused(self, pause: bool) -> None:
        if self.worker is None:
            return
        if pause:
            self.worker.pause()
            self._set_state("paused")
            self.statusMessage.emit("Paused; Resume goes on from the same step.")
        else:
            self.worker.resume()
            self._set_state("running")

    def stop(self) -> None:
        """Stop between two steps; the worker saves a checkpoint in the run folder."""
        if self.worker is not None:
            self.worker.stop()
            self._set_state("stopping")

    def save_checkpoint(self) -> None:
        if self.worker is not None:
            self.worker.save_checkpoint()

    def set_live_settings(self, values: dict[str, Any]) -> None:
        """{"lr_g", "lr_d", "n_critic"}: applied between two steps, optimizer state kept."""
        if self.worker is not None:
            self.worker.set_learning_rates(g=values["lr_g"], d=values["lr_d"])
            self.worker.set_n_critic(values["n_critic"])

    def shutdown(self, timeout_ms: int = 120000) -> str | None:
        """The window is closing: stop the run and wait for its thread (the worker saves a checkpoint
        first). Blocks; returns the last checkpoint. The queued signals will not be delivered any more,
        so the checkpoint is added to the recent list here."""
        self._closing = True
        worker = self.worker
        if worker is None or not worker.is_running():
            return None
        worker.stop()
        if not worker.wait(timeout_ms):
            log.error("the training thread did not stop within %.0f s", timeout_ms / 1000)
            return None  # the lock stays: the thread may still write (the process's end frees it)
        self._release_run_folder()
        if worker.last_checkpoint:
            self.settings.add_recent_checkpoint(worker.last_checkpoint)
        return worker.last_checkpoint

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    # --- what the worker tells (queued to the GUI thread) ---------------------------------------------
    @Slot(object)
    def _on_started(self, info: dict[str, Any]) -> None:
        self.total = info["total"]
        self._set_state("running")
        lr_g, lr_d = info["learning_rates"]
        self.liveValuesChanged.emit(lr_g, lr_d, info["n_critic"])
        self.runStarted.emit(info)
        self.message.emit(f"Training on {info['device']} from step {info['step']:,}.")
        if info.get("tensorboard_dir"):
            self.message.emit(f"TensorBoard logs in {info['tensorboard_dir']} (tensorboard --logdir that folder).")

    @Slot(object)
    def _on_progress(self, batch: dict[str, Any]) -> None:
        self.progressed.emit(batch)
        self.stepChanged.emit(batch["step"], self.total, batch["it_s"])

    @Slot(str)
    def _on_checkpoint_saved(self, path: str) -> None:
        self.settings.add_recent_checkpoint(path)
        self.checkpointSaved.emit(path)
        self.message.emit(f"Checkpoint saved: {path}")
        self.statusMessage.emit(f"Checkpoint saved to {path}")

    @Slot(str)
    def _on_warning(self, text: str) -> None:
        self.warning.emit(text)

    @Slot(object)
    def _on_rates_changed(self, values) -> None:
        lr_g, lr_d, n_critic = values
        self.liveValuesChanged.emit(lr_g, lr_d, n_critic)
        self.message.emit(f"Now lr G {lr_g:g}, lr D {lr_d:g}, {n_critic} D step(s) per G step.")

    @Slot(object)
    def _on_stopped(self, summary: dict[str, Any]) -> None:
        reason = summary["reason"]
        if reason == "error":
            text = f"Training ended with an error at step {summary['step']:,}."
        else:
            where = f"; checkpoint {summary['checkpoint']}" if summary.get("checkpoint") else ""
            text = f"Training {'finished' if reason == 'finished' else 'stopped'} at step {summary['step']:,}{where}."
        self.message.emit(text)
        self.statusMessage.emit(text)

    @Slot(object)
    def _on_failed(self, err) -> None:
        last = self.worker.last_checkpoint if self.worker is not None else None
        keep = f" The last good checkpoint is {last}." if last else ""
        self.error.emit(err.message + keep)
        if err.detail and not err.user_error:
            self.message.emit(err.detail)

    @Slot()
    def _on_finished(self) -> None:
        if self.worker is not None:
            self.worker.wait(10000)
        self.worker = None
        self._release_run_folder()
        self.runEnded.emit()
        if not self._closing:
            self._set_state("idle")
