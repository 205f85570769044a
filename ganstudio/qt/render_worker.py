"""Interactive rendering off the GUI thread: the newest request wins, stale results are dropped.

Sliders and pen strokes ask for a new picture far faster than a model can paint one. Two layers:

- `RenderWorker`: one background thread that keeps at most one job waiting; a new `submit` replaces the
  waiting one (it is never run).
- `ModelRenderer`: the one render protocol of the Explore and Sketch areas. It owns a generator that
  lives in the worker's thread (opened with `core.generators.handle.open_generator`; only plain data
  crosses threads) and renders named *parts* (Explore: grid, view, strip, ...; Sketch: main, candidates).
  Each `request(part, render_request)` gives the part a new version; every submitted job carries all
  pending parts, so a job the worker drops is covered by the newer one, and a result older than what is
  on screen is never shown. Results carry the render time, shown on screen as in the stylegan3
  visualizer and iGAN.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

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
                if not self._emit(self.failed, request_id, err):
                    return
                continue
            seconds = time.perf_counter() - start
            with self._lock:
                self._busy = False
            if not self._emit(self.rendered, request_id, result, seconds):
                return

    @staticmethod
    def _emit(signal, *args: Any) -> bool:
        """Deliver a result; False when the owner is already gone (nobody is left to receive it)."""
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted": the widget was destroyed unclosed
            return False
        return True


# --- the one render protocol of the interactive areas ----------------------------------------------------------

@dataclass
class PartResult:
    """One part put on screen: its version, uint8 pixels (N, H, W, 3), the request it answers (so the
    widget knows exactly which latents or drawing it shows) and the caller's payload."""

    part: str
    version: int
    pixels: np.ndarray
    request: Any
    payload: Any
    ms: float


def requests_equal(a: Any, b: Any) -> bool:
    """Same render request (numpy fields compared by value)."""
    if type(a) is not type(b):
        return False
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and x.shape == y.shape
                    and x.dtype == y.dtype and np.array_equal(x, y)):
                return False
        elif (tuple(x) if isinstance(x, (list, tuple)) else x) != (tuple(y) if isinstance(y, (list, tuple)) else y):
            return False
    return True


class ModelRenderer(QObject):
    """A generator in a render thread, drawn part by part; the newest version of each part wins.

    Signals (GUI thread): `loaded(info, seconds)` for the newest `load` (info = `Generator.describe()`),
    `loadFailed(JobError)`, `partsRendered({part: PartResult}, render_ms, latency_ms)` with the parts of
    one job that are still current (latency: from the oldest request in the job to now), and
    `renderFailed(JobError, [parts])`.

    `accept(generator)` (run in the render thread after opening) raises a GanStudioError for a model the
    area cannot use; `identity=True` adds the weights hash to the info (bookmarks name it).
    """

    loaded = Signal(dict, float)
    loadFailed = Signal(object)
    partsRendered = Signal(dict, float, float)
    renderFailed = Signal(object, list)

    def __init__(self, name: str, parent: QObject | None = None, *, accept: Callable[[Any], None] | None = None,
                 identity: bool = False, device: str = "auto"):
        super().__init__(parent)
        self._accept, self._identity, self._device = accept, identity, device
        self.worker = RenderWorker(name, parent=self)
        if parent is not None:
            # A widget deleted without shutdown(): join the render thread while the widget's destructor runs,
            # before its children go, so no result is emitted from a half-deleted object. The slot holds the
            # worker's Python side only (its lock and thread), which outlives the C++ object.
            worker = self.worker
            parent.destroyed.connect(lambda *_: worker.close(5.0))
        self.worker.rendered.connect(self._on_rendered)
        self.worker.failed.connect(self._on_failed)
        # render-thread state (touched only by _run)
        self._model: Any = None
        self._model_key = 0
        # GUI-thread state
        self._key = 0  # the model generation the GUI wants
        self._loaded_key = 0  # the generation whose model the render thread holds
        self._load: tuple[int, dict[str, Any]] | None = None
        self._pending: dict[str, tuple[int, Any, Any, float]] = {}  # part -> (version, request, payload, t)
        self._versions: dict[str, int] = {}
        self._shown: dict[str, int] = {}
        self._latest: dict[str, tuple[int, Any]] = {}  # part -> (version, request) last asked for
        self._jobs: dict[int, tuple] = {}  # job id -> (first request time, versions, payloads, carries a load)
        self._schedule = QTimer(self)
        self._schedule.setSingleShot(True)
        self._schedule.setInterval(0)  # coalesce the requests of one event-loop turn into one job
        self._schedule.timeout.connect(self._submit)
        self._closed = False
        self.info: dict[str, Any] | None = None  # the loaded model's description
        self.forward_batches: list[int] = []  # batch of every forward pass (tests and benchmarks read it)

    # --- requests (GUI thread) -------------------------------------------------------------------------------
    def load(self, path: str, use_ema: bool = True) -> int:
        """Open a model in the render thread; parts asked for the previous model are dropped."""
        self._key += 1
        self._load = (self._key, {"path": str(path), "use_ema": use_ema, "device": self._device})
        self._pending.clear()
        self._latest.clear()
        self._shown.clear()
        self._kick()
        return self._key

    @property
    def loading(self) -> bool:
        return self._load is not None

    @property
    def device(self) -> str:
        """Where the next model opens ("auto", "cpu", "cuda")."""
        return self._device

    def set_device(self, device: str) -> None:
        """Open models on `device` from the next load on (the loaded one stays where it is)."""
        self._device = str(device)

    def loaded_elsewhere(self) -> bool:
        """Whether the loaded model is on another device than the next load would use ("auto" on a machine
        without a GPU is the CPU): the areas open it again only then."""
        if self.info is None or "device" not in self.info:
            return False
        import torch

        wanted = "cuda" if self._device == "auto" and torch.cuda.is_available() else self._device
        wanted = "cpu" if wanted == "auto" else wanted
        return str(self.info["device"]).split(":")[0] != wanted.split(":")[0]

    def request(self, part: str, render_request: Any, payload: Any = None, dedupe: bool = False,
                immediate: bool = False, supersedes: tuple[str, ...] = ()) -> int:
        """Ask for a part; returns its version. dedupe=True: if the newest request of this part is the
        same, no new version is made (the one asked for already, or on screen, is that picture).
        immediate=True hands the job to the render thread now instead of after this event-loop turn
        (a pen lifted wants its picture before the canvas repaints; sliders coalesce). A new version
        cancels the parts in `supersedes` first (variants of an older drawing are neither computed nor shown)."""
        latest = self._latest.get(part)
        if dedupe and latest is not None and requests_equal(latest[1], render_request):
            return latest[0]
        for other in supersedes:
            self.cancel(other)
        version = self._versions.get(part, 0) + 1
        self._versions[part] = version
        self._latest[part] = (version, render_request)
        self._pending[part] = (version, render_request, payload, time.perf_counter())
        if immediate and self._load is None:
            self._schedule.stop()
            self._submit()
        else:
            self._kick()
        return version

    def cancel(self, part: str) -> None:
        """Forget a part: a waiting request is dropped and a result in flight will not be shown."""
        self._pending.pop(part, None)
        self._latest.pop(part, None)
        self._versions[part] = self._versions.get(part, 0) + 1
        self._shown[part] = self._versions[part]

    def requested_version(self, part: str) -> int:
        return self._versions.get(part, 0)

    def shown_version(self, part: str) -> int:
        return self._shown.get(part, 0)

    def is_idle(self) -> bool:
        """Nothing waiting, scheduled or being rendered (tests and benchmarks wait for this)."""
        return not self._pending and self._load is None and not self._schedule.isActive() and not self.worker.busy

    @property
    def busy(self) -> bool:
        return not self.is_idle()

    def _kick(self) -> None:
        if not self._closed and not self._schedule.isActive():
            self._schedule.start()

    def _submit(self) -> None:
        if self._closed or (not self._pending and self._load is None):
            return
        # The load rides along with every job until its result is back: the worker may replace a waiting
        # job by a newer one, and the render thread skips a load it has already done.
        load = self._load
        parts = {name: (version, req) for name, (version, req, _payload, _t) in self._pending.items()}
        payloads = {name: payload for name, (_v, _r, payload, _t) in self._pending.items()}
        t0 = min((t for *_rest, t in self._pending.values()), default=time.perf_counter())
        job = self.worker.submit(self._run, self._key, load[1] if load else None, parts)
        self._jobs[job] = (t0, {name: v for name, (v, _r) in parts.items()}, payloads, load is not None)

    # --- the render thread -----------------------------------------------------------------------------------
    def _run(self, key: int, load: dict[str, Any] | None, parts: dict[str, tuple[int, Any]]) -> dict[str, Any]:
        from ganstudio.core.generators.handle import open_generator

        out: dict[str, Any] = {"key": key, "parts": {}, "loaded": None}
        if load is not None and self._model_key != key:
            t0 = time.perf_counter()
            model = open_generator(load["path"], device=load["device"], use_ema=load["use_ema"])
            if self._accept is not None:
                self._accept(model)
            self._model, self._model_key = model, key  # a model that fails to open leaves the previous one
            out["loaded"] = (model.describe(identity=self._identity), time.perf_counter() - t0)
        if self._model is None or self._model_key != key:
            return out  # parts for a model that is no longer (or not yet) loaded
        names = list(parts)
        results = self._model.render_all([parts[name][1] for name in names], passes=self.forward_batches)
        for name, result in zip(names, results):
            version, req = parts[name]
            out["parts"][name] = (version, result, req)
        return out

    # --- results (GUI thread) --------------------------------------------------------------------------------
    def _take_job(self, job: int):
        entry = self._jobs.pop(job, None)
        for old in [j for j in self._jobs if j < job]:  # jobs the worker replaced unrun
            del self._jobs[old]
        return entry

    def _on_rendered(self, job: int, out: dict[str, Any], seconds: float) -> None:
        if self._closed:
            return
        entry = self._take_job(job)
        if out["loaded"] is not None and self._load is not None and out["key"] == self._load[0]:
            self._load = None
            self._loaded_key = out["key"]
            self.info, load_seconds = out["loaded"]
            self.loaded.emit(dict(self.info), load_seconds)
        if out["key"] != self._key:
            return
        payloads = entry[2] if entry is not None else {}
        shown: dict[str, PartResult] = {}
        for name, (version, result, req) in out["parts"].items():
            if self._pending.get(name, (None,))[0] == version:
                del self._pending[name]
            if version < self._shown.get(name, 0):
                continue  # older than what is on screen (or cancelled)
            if result.error is not None:
                self._latest.pop(name, None)
                self.renderFailed.emit(_job_error(result.error), [name])
                continue
            self._shown[name] = version
            shown[name] = PartResult(name, version, result.pixels, req, payloads.get(name), result.ms)
        if shown:
            latency = (time.perf_counter() - entry[0]) * 1000 if entry is not None else float("nan")
            self.partsRendered.emit(shown, seconds * 1000, latency)

    def _on_failed(self, job: int, error: JobError) -> None:
        if self._closed:
            return
        entry = self._take_job(job)
        versions = entry[1] if entry is not None else {}
        for name, version in versions.items():
            if self._pending.get(name, (None,))[0] == version:
                del self._pending[name]
            self._latest.pop(name, None)
        if entry is not None and entry[3] and self._load is not None and self._load[0] == self._key:
            self._load = None
            self._key = self._loaded_key  # the previous model (if any) stays and can still be drawn
            self.loadFailed.emit(error)
            return
        if versions:
            self.renderFailed.emit(error, sorted(versions))

    def shutdown(self) -> None:
        """Stop the render thread and wait for it (an area calls this when it closes)."""
        if self._closed:
            return
        self._closed = True
        self._schedule.stop()
        self.worker.close()


def _job_error(message: str) -> JobError:
    from ganstudio.core.errors import as_sentence

    return JobError(as_sentence(message))
