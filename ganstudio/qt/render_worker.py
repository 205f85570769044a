"""Interactive rendering off the GUI thread: the newest request wins, stale ones are dropped.

Sliders and pen strokes ask for a new picture far faster than a model can paint one. `RenderWorker`
keeps at most one request waiting: a new `submit` replaces the waiting one (it is never run), and a
result that arrives after a newer request was submitted is still delivered with its id so the widget
can tell it is stale (`is_latest`). As in the stylegan3 visualizer and iGAN, the render time is
reported with each result so it can be shown on screen.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ganstudio.qt.workers import JobError, describe_exception

log = logging.getLogger(__name__)


class RenderWorker(QObject):
    """One background thread that runs the newest submitted render function.

    Signals (queued to the GUI thread): `rendered(request_id, result, seconds)` and
    `failed(request_id, JobError)`. `result` must be CPU data (numpy arrays, numbers).
    """

    rendered = Signal(int, object, float)
    failed = Signal(int, object)

    def __init__(self, name: str = "render", parent: QObject | None = None):
        super().__init__(parent)
        self._name = name
        self._lock = threading.Condition()
        self._pending: tuple[int, Callable[..., Any], tuple, dict] | None = None
        self._latest_id = 0
        self._closing = False
        self._busy = False
        self.dropped = 0  # requests replaced before they ran (shown in benchmarks)
        self._thread = threading.Thread(target=self._loop, name=f"ganstudio-{name}", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        """Queue fn(*args, **kwargs); returns the request id. A waiting older request is dropped."""
        with self._lock:
            self._latest_id += 1
            if self._pending is not None:
                self.dropped += 1
            self._pending = (self._latest_id, fn, args, kwargs)
            self._lock.notify()
            return self._latest_id

    def is_latest(self, request_id: int) -> bool:
        return request_id == self._latest_id

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy or self._pending is not None

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Block until nothing is queued or running (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.busy:
                return True
            time.sleep(0.002)
        return False

    def close(self, timeout_s: float = 10.0) -> None:
        with self._lock:
            self._closing = True
            self._pending = None
            self._lock.notify()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._pending is None and not self._closing:
                    self._lock.wait()
                if self._closing:
                    return
                request_id, fn, args, kwargs = self._pending
                self._pending = None
                self._busy = True
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # every failure reaches the GUI as a message, never kills the thread
                err: JobError = describe_exception(exc)
                if not err.user_error:
                    log.error("render job failed: %s", err.detail)
                with self._lock:
                    self._busy = False
                self.failed.emit(request_id, err)
                continue
            seconds = time.perf_counter() - start
            with self._lock:
                self._busy = False
            self.rendered.emit(request_id, result, seconds)
