"""Background work off the GUI thread: `BackgroundWorker`, the generic `JobWorker` and `start_job`.

Workers (these and the Train area's `train.trainer_worker.TrainerWorker`) run in their own QThread, check stop/pause flags (threading.Event) between units of work, catch
every exception and report it as a `JobError` through the `failed` signal, so the window never freezes
and never dies with the job. Only CPU objects (numbers, numpy arrays, strings) cross to the GUI thread,
through queued signals; progress is coalesced and sent at most every `progress_interval` seconds.

The pattern follows superqt's generator workers: a job is a generator function; each `yield` is a
progress report and a point where the job may be paused or cancelled. Callback-style APIs get a
`progress` callable instead (`pass_progress=True`). `start_job(fn, ..., on_done=..., owner=...)` makes,
wires and starts a job in one call (superqt's `create_worker(..., _connect={...})`).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, SignalInstance, Slot

from ganstudio.core.errors import as_sentence

log = logging.getLogger(__name__)

# Workers whose thread is running: a strong reference so that a running QThread is never garbage
# collected ("QThread: Destroyed while thread is still running"), and so the app can stop them all.
_live_workers: set["BackgroundWorker"] = set()


class JobCancelled(Exception):
    """Raised inside a job (by its progress callback) when the user cancelled it."""


@dataclass(frozen=True)
class JobError:
    """What the GUI shows about a failed job: one sentence, plus the traceback for bugs."""

    message: str
    detail: str = ""
    user_error: bool = True
    kind: str = "error"  # error | out_of_memory | bug


def describe_exception(exc: BaseException) -> JobError:
    """Turn any exception from a job into one sentence for the user."""
    from ganstudio.core.errors import GanStudioError

    if isinstance(exc, GanStudioError):
        return JobError(as_sentence(str(exc)), user_error=True)
    name = type(exc).__name__
    text = str(exc)
    if name == "OutOfMemoryError" or (isinstance(exc, RuntimeError) and "out of memory" in text.lower()):
        return JobError(
            "The GPU ran out of memory; lower the batch size or the model width, or train on the CPU.",
            detail=text, user_error=True, kind="out_of_memory",
        )
    if isinstance(exc, MemoryError):
        return JobError(
            "The computer ran out of memory; lower the batch size, the image size or the model width.",
            detail=text, user_error=True, kind="out_of_memory",
        )
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, OSError):  # a path that cannot be read or written, a full disk: the CLI's sentence
        from ganstudio.core.errors import user_error_message

        message = user_error_message(exc)
        if message:
            return JobError(as_sentence(message), detail=detail, user_error=True)
    short = text.splitlines()[0] if text else ""
    return JobError(
        f"Unexpected error ({name}{': ' + short if short else ''}); this is a bug, the details are in the log.",
        detail=detail, user_error=False, kind="bug",
    )


def live_workers() -> list["BackgroundWorker"]:
    return list(_live_workers)


def stop_all_workers(timeout_s: float = 30.0) -> bool:
    """Ask every running worker to stop and wait for their threads; True when all have ended."""
    workers = live_workers()
    for w in workers:
        w.stop()
    deadline = time.monotonic() + timeout_s
    ok = True
    for w in workers:
        remaining = max(0.0, deadline - time.monotonic())
        ok = w.wait(int(remaining * 1000)) and ok
    return ok


class BackgroundWorker(QObject):
    """Runs `_work()` in its own QThread; stop/pause flags; every exception becomes `failed`."""

    failed = Signal(object)  # JobError
    finished = Signal()  # always last, after succeeded / cancelled / failed

    def __init__(self, name: str = "worker"):
        super().__init__()
        self.name = name
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._thread: QThread | None = None
        self.error: JobError | None = None

    # --- control (any thread) ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was started already")
        thread = QThread()
        thread.setObjectName(self.name)
        self._thread = thread
        self.moveToThread(thread)
        thread.started.connect(self._run)
        thread.finished.connect(self._forget)
        _live_workers.add(self)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._resume.set()  # a paused job must wake up to see the stop flag

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the thread has ended (True) or the timeout passed (False)."""
        if self._thread is None:
            return True
        ended = self._thread.wait(max(0, int(timeout_ms)))
        if ended:
            _live_workers.discard(self)  # the queued _forget may come later (or never, at exit)
        return ended

    # --- inside the thread ---------------------------------------------------------------------------
    def _work(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _wait_while_paused(self, on_idle: Callable[[], None] | None = None) -> bool:
        """Block while paused; False when the job should stop."""
        while not self._resume.is_set() and not self._stop.is_set():
            if on_idle is not None:
                on_idle()
            self._resume.wait(0.05)
        return not self._stop.is_set()

    @Slot()
    def _run(self) -> None:
        try:
            self._work()
        except JobCancelled:
            log.info("%s cancelled", self.name)
        except Exception as exc:  # noqa: BLE001 - every error must reach the GUI, never kill the thread
            self.error = describe_exception(exc)
            if self.error.user_error:
                log.warning("%s failed: %s", self.name, self.error.message)
            else:
                log.error("%s failed with a bug:\n%s", self.name, self.error.detail)
            self.failed.emit(self.error)
        finally:
            self.finished.emit()
            # Hand the object back to the GUI thread so it can be deleted there, then end the thread.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self._thread.quit()

    @Slot()
    def _forget(self) -> None:
        if self._thread is not None:
            self._thread.wait()
        _live_workers.discard(self)


class JobWorker(BackgroundWorker):
    """Runs `fn(*args, **kwargs)` in a thread. A generator function reports progress by yielding.

    Signals: `progress(value)` (throttled to one per `progress_interval` seconds, the newest value
    wins; a yielded None is only a point to pause or stop, never sent), `succeeded(result)` (the return value), `cancelled()`, `failed(JobError)`, `finished()`.
    With `pass_progress=True`, fn also receives `progress=callable`, for callback-style APIs; calling it
    reports progress, blocks while paused and raises JobCancelled after `stop()`.

    Connect its signals to methods of QObjects that live in the GUI thread, not to lambdas: a lambda
    has no thread of its own, so PySide6 would call it in the worker's thread. In such a slot,
    `self.sender()` is the job, which lets a newer job make an older one's result stale.
    """

    progress = Signal(object)
    succeeded = Signal(object)
    cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str | None = None,
                 progress_interval: float = 0.1, pass_progress: bool = False, **kwargs: Any):
        super().__init__(name or getattr(fn, "__name__", "job"))
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.progress_interval = progress_interval
        self.pass_progress = pass_progress
        self._last_progress = 0.0
        self._unsent: list[Any] = []
        self.result: Any = None

    def _offer(self, value: Any) -> None:
        # A generator yielding None only offers a point to pause or stop: it must not replace a report that
        # is still held back by the throttle (it used to, and the Lab lost most of its reports).
        if value is not None:
            self._unsent = [value]
        now = time.perf_counter()
        if self._unsent and now - self._last_progress >= self.progress_interval:
            self._send_progress(now)

    def _send_progress(self, now: float | None = None) -> None:
        if self._unsent:
            self.progress.emit(self._unsent[-1])
            self._unsent = []
        self._last_progress = time.perf_counter() if now is None else now

    def _progress_callback(self, *values: Any) -> None:
        self._offer(values[0] if len(values) == 1 else values)
        if not self._wait_while_paused():
            raise JobCancelled()

    def _work(self) -> None:
        kwargs = dict(self.kwargs)
        if self.pass_progress:
            kwargs["progress"] = self._progress_callback
        try:
            if self._stop.is_set():
                raise JobCancelled()
            result = self.fn(*self.args, **kwargs)
            if inspect.isgenerator(result):
                gen = result
                while True:
                    try:
                        value = next(gen)
                    except StopIteration as done:
                        result = done.value
                        break
                    self._offer(value)
                    if not self._wait_while_paused():
                        gen.close()  # runs the job's finally blocks
                        raise JobCancelled()
        except JobCancelled:
            self._send_progress()
            self.cancelled.emit()
            raise
        self._send_progress()
        self.result = result
        self.succeeded.emit(result)


class _OwnedJobs(QObject):
    """The jobs one owner started that have not finished yet; a child of the owner, so in its thread."""

    def __init__(self, owner: QObject):
        super().__init__(owner)
        self.setObjectName("ownedJobs")
        self.jobs: list[JobWorker] = []

    @Slot()
    def forget(self) -> None:
        job = self.sender()
        if job in self.jobs:
            self.jobs.remove(job)


def _owned(owner: QObject, create: bool = False) -> _OwnedJobs | None:
    found = owner.findChild(_OwnedJobs, "ownedJobs", Qt.FindDirectChildrenOnly)
    if found is None and create:
        found = _OwnedJobs(owner)
    return found


def _check_slot(name: str, callback: Any) -> None:
    # Queued to the GUI thread only when the receiver is a QObject living there; PySide6 would call a
    # plain function or a lambda in the job's own thread.
    ok = isinstance(callback, SignalInstance) or (inspect.ismethod(callback) and isinstance(callback.__self__, QObject))
    if not ok:
        raise TypeError(f"{name} must be a method of a QObject in the GUI thread (or a signal), not {callback!r}")


def start_job(fn: Callable[..., Any], *args: Any, on_done: Callable | None = None, on_error: Callable | None = None,
              on_progress: Callable | None = None, on_cancelled: Callable | None = None, owner: QObject | None = None,
              name: str | None = None, pass_progress: bool = False, progress_interval: float = 0.1,
              **kwargs: Any) -> JobWorker:
    """Run `fn(*args, **kwargs)` in a JobWorker, wired and started in one call; returns the job.

    on_done(result), on_error(JobError), on_progress(value) and on_cancelled() must be methods of QObjects
    in the GUI thread (or signals); in them `self.sender()` is the job, so a newer job can make an older
    one's result stale. `owner` (usually the area) keeps the job until it has finished; `stop_jobs(owner)`
    stops the ones still running when the area shuts down.
    """
    slots = [(signal, label, callback) for signal, label, callback in (
        ("succeeded", "on_done", on_done), ("failed", "on_error", on_error),
        ("progress", "on_progress", on_progress), ("cancelled", "on_cancelled", on_cancelled),
    ) if callback is not None]
    for _signal, label, callback in slots:
        _check_slot(label, callback)
    job = JobWorker(fn, *args, name=name, progress_interval=progress_interval, pass_progress=pass_progress, **kwargs)
    for signal, _label, callback in slots:
        getattr(job, signal).connect(callback)
    if owner is not None:
        owned = _owned(owner, create=True)
        owned.jobs.append(job)
        job.finished.connect(owned.forget)
    job.start()
    return job


def jobs_of(owner: QObject) -> list[JobWorker]:
    """The jobs `owner` started with start_job that have not finished (their end reached the GUI thread)."""
    owned = _owned(owner)
    return list(owned.jobs) if owned is not None else []


def stop_jobs(owner: QObject, timeout_ms: int = 5000) -> bool:
    """Stop the owner's unfinished jobs and wait for each; True when all have ended."""
    ok = True
    for job in jobs_of(owner):
        job.stop()
        ok = job.wait(timeout_ms) and ok
    return ok
