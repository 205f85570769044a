"""What the app feels like: GUI overhead, event-loop lateness, pen and slider latency, start-up, monitor redraw.

`run(quick, progress)` drives real widgets (offscreen unless QT_QPA_PLATFORM says otherwise) and returns a
JSON-able dict with one entry per measurement; a measurement that fails records {"error": "..."} and the
others go on. The scripts in benchmarks/ (gui_overhead.py, explorer_latency.py, sketch_latency.py,
startup.py) are thin command lines around the functions here, so `ganstudio bench` from an installed
wheel and the scripts measure the same way.

    gui_overhead  the same toy config trained by the window's TrainerWorker (monitor open) and by the
                  headless Trainer, alternating; steps/s read from each run's metrics.jsonl; ratio of medians
    event_loop    lateness of a 10 ms QTimer on the GUI thread while the TrainerWorker trains (and idle)
    sketch        pen lifted -> output picture set, SketchArea with a unet_small 64x64 sketch model
    explorer      slider -> large view set and Reseed -> 16-sample grid set, ExplorerArea, 64x64 DCGAN
    startup       `python -m ganstudio` -> main window shown / engine loaded; a fresh process starting the
                  main window on its first launch -> the Sketch area's first picture
    monitor       training monitor redraw with 10^4, 10^5, 10^6 points per curve

Nothing here imports Qt or PyTorch at module level (the first-image probe runs this file as a fresh
process and must pay those imports itself).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

Progress = Callable[[str], None]

TARGETS = {
    "gui_overhead": "GUI / headless steps/s >= 0.95",
    "event_loop": "p99 lateness of a 10 ms timer <= 50 ms while training",
    "sketch": "pen lifted -> picture p50 <= 50 ms, worst <= 100 ms (unet_small 64x64, CPU)",
    "explorer_slider": "slider -> view p50 <= 16 ms",
    "explorer_grid": "Reseed -> 16-sample grid p50 <= 50 ms",
    "monitor": "one refresh tick (one plot, 1,000 new points) <= 50 ms at 10^6 points",
    "startup": "none set (reported)",
}
SECTIONS = ("monitor", "gui_overhead", "sketch", "explorer", "startup")  # gui_overhead also yields event_loop
START_AREAS = ("Sketch", "Train")  # the start-up is measured opening on each


# --- small helpers --------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); nan for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def stats_ms(values: list[float], digits: int = 2) -> dict[str, Any]:
    """n, p50, p95, p99 and max of a list of milliseconds."""
    r = lambda v: round(v, digits) if math.isfinite(v) else None  # noqa: E731
    return {"n": len(values), "p50_ms": r(pct(values, 50)), "p95_ms": r(pct(values, 95)),
            "p99_ms": r(pct(values, 99)), "max_ms": r(max(values) if values else float("nan"))}


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def _error(exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__name__}: {exc}".strip()
    return {"error": text, "where": traceback.format_exc(limit=-3).strip().splitlines()[-3:]}


def guarded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """fn() with its seconds and the machine load, or {"error": ...}: a benchmark never crashes the command."""
    t0 = time.perf_counter()
    load = load_average()
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - recorded, the next measurement goes on
        out = _error(exc)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    out["load_before"], out["load_after"] = load, load_average()
    return out


def qapp():
    """The QApplication (made offscreen when no platform is asked for), themed as the app is."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(["ganstudio-bench"])
        from ganstudio.qt.theme import apply_theme

        apply_theme(app)
    return app


def app_threads() -> int:
    """The torch threads the app trains and renders with (main_window.load_engine): cores - 1."""
    return int(os.environ.get("GANSTUDIO_TORCH_THREADS", "0") or 0) or max(1, (os.cpu_count() or 2) - 1)


@contextlib.contextmanager
def app_like_process() -> Iterator[int]:
    """Torch threads and the GIL switch interval as the app sets them; restored afterwards."""
    import torch

    threads, interval = torch.get_num_threads(), sys.getswitchinterval()
    torch.set_num_threads(app_threads())
    sys.setswitchinterval(0.001)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(threads)
        sys.setswitchinterval(interval)


def wait_until(cond: Callable[[], bool], timeout_s: float, poll_ms: int = 10) -> bool:
    """Run the Qt event loop (no busy polling) until cond() or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: cond() and loop.quit())
    poll.start(poll_ms)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    loop.exec()
    poll.stop()
    guard.stop()
    return cond()


def spin(seconds: float) -> None:
    """Let the event loop run for a while (idle)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _isolate_settings(folder: Path) -> None:
    """Every QSettings(IniFormat, UserScope) of this process goes to `folder`, never the user's."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))


APP_DATA_VARS = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "GANSTUDIO_CACHE_DIR")


def _app_data_env(folder: Path) -> dict[str, str]:
    """Environment that sends the app's data (sketch autosave, direction caches) into `folder`."""
    return {"XDG_DATA_HOME": str(folder / "data"), "XDG_CACHE_HOME": str(folder / "cache"),
            "GANSTUDIO_CACHE_DIR": str(folder / "cache")}


@contextlib.contextmanager
def isolated_app_data(folder: Path) -> Iterator[None]:
    """While widgets are built: their data folders (QStandardPaths, read from the environment) in `folder`."""
    before = {k: os.environ.get(k) for k in APP_DATA_VARS}
    os.environ.update(_app_data_env(folder))
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# --- 2 + 3. GUI overhead and event-loop lateness while training ------------------------------------------

def rate_from_metrics(run_dir: Path, warmup: int) -> float:
    """Steps/s between the first logged step at or after `warmup` and the last one (the trainer's own clock)."""
    import json

    records = [json.loads(line) for line in open(Path(run_dir) / "metrics.jsonl") if line.strip()]
    scalars = [r for r in records if r.get("kind", "scalars") != "eval" and "wall_time" in r]
    first = next(r for r in scalars if r["step"] >= warmup)
    last = scalars[-1]
    if last["step"] <= first["step"]:
        raise RuntimeError(f"too few logged steps in {run_dir} to measure a rate")
    return (last["step"] - first["step"]) / (last["wall_time"] - first["wall_time"])


def headless_rate(cfg, run_dir: Path, warmup: int) -> float:
    from ganstudio.core.train.trainer import Trainer

    Trainer(cfg, run_dir=run_dir).run()  # what `ganstudio train` does
    return rate_from_metrics(run_dir, warmup)


def gui_rate(window, cfg, warmup: int, probe=None, timeout_s: float = 900.0, cpu: dict | None = None) -> float:
    """Train `cfg` through the window (TrainerWorker, monitor shown) with the event loop running. `cpu`, when
    given, receives the GUI thread's CPU seconds and the wall seconds of the run (where the overhead goes)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    worker = window.start_training(cfg)
    if worker is None:
        raise RuntimeError("the window refused to start training (engine not ready or a run in progress)")
    errors: list[str] = []
    worker.failed.connect(lambda err: errors.append(err.message))
    worker.finished.connect(loop.quit)  # queued to the GUI thread
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    if probe is not None:
        probe.start()
    cpu0, wall0 = time.thread_time(), time.perf_counter()  # this is the GUI thread
    loop.exec()  # the app's normal event loop: idle until an event arrives
    if cpu is not None:
        cpu["gui_thread_cpu_s"], cpu["wall_s"] = time.thread_time() - cpu0, time.perf_counter() - wall0
    if probe is not None:
        probe.stop()
    guard.stop()
    if worker.is_running():
        worker.stop()
        worker.wait(60000)
        raise RuntimeError(f"training through the window did not finish within {timeout_s:.0f} s")
    wait_until(lambda: window.worker is None, 30)
    if errors:
        raise RuntimeError(f"training through the window failed: {errors[0]}")
    return rate_from_metrics(worker.run_dir, warmup)


def open_window(folder: Path, timeout_s: float = 180.0):
    """A MainWindow with its settings in `folder`, shown, engine loaded, Monitor area showing."""
    # pyqtgraph imported here, on the GUI thread: the window imports it in its engine-loading thread, which
    # crashes now and then while the GUI thread runs (see the start-up section's failed launches).
    import pyqtgraph  # noqa: F401

    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.settings import AppSettings

    qapp()
    _isolate_settings(folder / "settings")
    settings = AppSettings()
    settings.set_runs_folder(folder / "gui-runs")
    settings.set_last_area("Train")  # not the first-launch Sketch area (it would load and run a model)
    with isolated_app_data(folder):
        window = MainWindow(settings=settings)
        window.resize(1400, 900)
        window.show()
    if not wait_until(lambda: window.engine_ready or window.errorBanner.isVisible(), timeout_s):
        close_window(window)
        raise RuntimeError(f"the window's engine did not load within {timeout_s:.0f} s")
    if not window.engine_ready:
        text = window.errorBanner.label.text()
        close_window(window)
        raise RuntimeError(f"the window's engine failed to load: {text}")
    window.show_area("Monitor")
    return window


def close_window(window) -> None:
    from PySide6.QtWidgets import QApplication

    window.close()
    window.deleteLater()
    QApplication.processEvents()


def measure_training_gui(quick: bool, progress: Progress = lambda s: None, *, preset_name: str = "toy-ring",
                         steps: int | None = None, repeats: int | None = None, overrides: tuple[str, ...] = (),
                         interval_ms: int = 10, idle_s: float | None = None,
                         report: Callable[[str], None] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(gui_overhead, event_loop): alternate headless / GUI runs of one config; the 10 ms probe runs during
    the GUI runs (and for `idle_s` before them, with the window idle)."""
    import torch

    from ganstudio.core.config import preset
    from ganstudio.qt.latency import TimerLatencyProbe

    steps = steps or (300 if quick else 1500)
    repeats = repeats or (1 if quick else 3)
    idle_s = (1.0 if quick else 3.0) if idle_s is None else idle_s
    warmup = min(100, steps // 5)
    cfg = preset(preset_name).with_overrides([f"train.steps={steps}", *overrides])
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-gui-") as tmp:
        tmp = Path(tmp)
        window = open_window(tmp)
        try:
            probe = TimerLatencyProbe(interval_ms)
            probe.start()
            spin(idle_s)
            probe.stop()
            idle = list(probe.late_ms)
            rates_h: list[float] = []
            rates_g: list[float] = []
            late: list[float] = []
            per_run: list[dict[str, Any]] = []
            gui_cpu: list[float] = []
            for i in range(repeats):
                progress(f"GUI overhead: {preset_name} {steps} steps, headless run {i + 1}/{repeats}")
                rates_h.append(headless_rate(cfg, tmp / f"headless-{i}", warmup))
                progress(f"GUI overhead: {preset_name} {steps} steps, GUI run {i + 1}/{repeats}")
                cpu: dict[str, float] = {}
                rates_g.append(gui_rate(window, cfg, warmup, probe, cpu=cpu))
                gui_cpu.append(100 * cpu["gui_thread_cpu_s"] / cpu["wall_s"])
                late.extend(probe.late_ms)
                per_run.append(stats_ms(list(probe.late_ms)))
                if report:
                    report(f"repeat {i}: headless {rates_h[-1]:.1f} it/s, GUI {rates_g[-1]:.1f} it/s; "
                           f"GUI timer {probe.summary()}")
            redraw_ms = window.monitor.last_redraw_ms if window.monitor is not None else None
        finally:
            close_window(window)
    h, g = statistics.median(rates_h), statistics.median(rates_g)
    overhead = {
        "preset": preset_name, "overrides": list(overrides), "steps": steps, "warmup_steps": warmup,
        "repeats": repeats, "torch_threads": torch.get_num_threads(),
        "headless_steps_s": [round(r, 2) for r in rates_h], "gui_steps_s": [round(r, 2) for r in rates_g],
        "headless_median": round(h, 2), "gui_median": round(g, 2), "ratio": round(g / h, 3),
        "gui_thread_cpu_percent": [round(c, 1) for c in gui_cpu],  # of the run's wall time, one core = 100
        "last_monitor_redraw_ms": None if redraw_ms is None else round(redraw_ms, 2),
        "target": TARGETS["gui_overhead"], "met": g / h >= 0.95,
    }
    training = stats_ms(late)
    event_loop = {"interval_ms": interval_ms, "while_training": training, "per_run": per_run,
                  "idle": stats_ms(idle), "target": TARGETS["event_loop"],
                  "met": bool(training["n"]) and training["p99_ms"] <= 50.0}
    return overhead, event_loop


# --- 4a. Sketch: pen lifted -> picture ---------------------------------------------------------------------

def bundled_sketch_model() -> Path | None:
    """The bundled sketch model's weights when ganstudio.core.bundled lists one (None otherwise)."""
    try:
        from ganstudio.core.generators.catalogue import list_bundled
    except ImportError:
        return None
    for m in list_bundled():
        if m.kind == "sketch":
            return m.path
    return None


def untrained_sketch_checkpoint(folder: Path) -> Path:
    """A sketch-folder checkpoint (unet_small, ngf 32, 64 px, dropout) with its initial weights: the
    bundled model's shape, for when no bundled model is installed (latency does not depend on weights)."""
    import numpy as np
    from PIL import Image

    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    pics = folder / "pictures"
    pics.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        Image.fromarray(np.full((64, 64, 3), 200 + i, np.uint8)).save(pics / f"{i}.png")
    cfg = preset("sketch-folder").with_overrides([f"data.path={pics}", "train.n_preview=2", "optim.batch_size=2",
                                                  "train.device=cpu"])
    trainer = Trainer(cfg, run_dir=folder / "run")
    return trainer.save_checkpoint()


def sketch_model(folder: Path) -> tuple[Path, str]:
    """(weights, description): the bundled sketch model, else an untrained one of the same shape."""
    bundled = bundled_sketch_model()
    if bundled is not None:
        return bundled, f"bundled {bundled.stem} (unet_small 64x64)"
    path = folder / "untrained-sketch"
    ckpt = next(path.glob("run/checkpoints/*.safetensors"), None) if path.exists() else None
    return (ckpt or untrained_sketch_checkpoint(path)), "untrained sketch-folder generator (unet_small 64x64, ngf 32)"


def unet_256_pth(folder: Path) -> Path:
    """A pix2pix-reference-layout netG unet_256 state dict (3-channel input, batch norm, ngf 64)."""
    import torch

    from ganstudio.core.models.unet import unet_256

    path = folder / "latest_net_G.pth"
    torch.save(unet_256(3, 3, 64, "batch", use_dropout=True).state_dict(), path)
    return path


@contextlib.contextmanager
def sketch_device(device: str | None) -> Iterator[None]:
    """Make the Sketch area render on `device` (it picks CUDA when present; None leaves that alone)."""
    from ganstudio.qt.sketch import area as sketch_area

    if device is None:
        yield
        return
    import torch

    before = sketch_area._device
    sketch_area._device = lambda: torch.device(device)
    try:
        yield
    finally:
        sketch_area._device = before


def pen_strokes(app, area, strokes: int, moves: int = 10, move_interval_s: float = 1 / 120):
    """Draw `strokes` strokes with QTest mouse events; per stroke the time from the release event to the
    picture being set in the output view, and to its paint. Returns (to_set, to_paint, preview_reused)."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    c = area.canvas
    r = c.view_rect()

    def at(fx: float, fy: float) -> QPoint:
        return QPoint(int(r.x() + fx * r.width()), int(r.y() + fy * r.height()))

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    to_set, to_paint = [], []
    reused_count = 0
    for k in range(strokes):
        y0 = 0.1 + 0.8 * ((k * 0.37) % 1.0)
        QTest.mousePress(c, Qt.LeftButton, Qt.NoModifier, at(0.1, y0))
        for j in range(1, moves + 1):
            QTest.mouseMove(c, at(0.1 + 0.8 * j / moves, y0 + 0.05 * ((j % 3) - 1)))
            pump(move_interval_s)
        done_before = len(area.release_latencies_ms)
        t0 = time.perf_counter()
        QTest.mouseRelease(c, Qt.LeftButton, Qt.NoModifier, at(0.9, y0))
        deadline = t0 + 30
        while len(area.release_latencies_ms) == done_before and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        if len(area.release_latencies_ms) == done_before:
            raise RuntimeError(f"no picture within 30 s of lifting the pen: {area.error_text() or 'no error shown'}")
        done = area.last_release_done
        reused = area.last_output_time is None or area.last_output_time < t0  # the live preview had it all
        to_set.append((done - t0) * 1000)
        if not reused:
            area.output.repaint()  # paint now, as the next event-loop turn would
            to_paint.append(((area.output.painted_at or done) - t0) * 1000)
        else:
            to_paint.append((done - t0) * 1000)
            reused_count += 1
        pump(0.15)  # the pen is up for a moment before the next stroke
    return to_set, to_paint, reused_count


def sketch_latency(app, path: Path, mode: str | None, strokes: int, data_dir: Path,
                   device: str | None = None) -> dict[str, Any]:
    """One SketchArea, one model, one mode (None: the model's default): pen lifted -> picture."""
    from ganstudio.qt.sketch.area import SketchArea

    with sketch_device(device):
        area = SketchArea(data_dir=data_dir, autosave_ms=600_000)
        try:
            area.resize(1300, 820)
            area.show()
            if area.model_path != str(path):
                area.load_model(path)
            if not wait_until(lambda: area.model_ready and area.output.image() is not None, 180):
                raise RuntimeError(f"the Sketch area did not show a first picture: {area.error_text() or 'timeout'}")
            if mode is not None:
                index = area.modeCombo.findData(mode)
                if index < 0:
                    raise RuntimeError(f"the model has no '{mode}' mode")
                area.modeCombo.setCurrentIndex(index)
            area.lockCandidate.setChecked(True)  # the chosen variant only, as while drawing
            pen_strokes(app, area, 2)  # warm-up
            area.render_ms.clear()
            to_set, to_paint, reused = pen_strokes(app, area, strokes)
            out = {"mode": area.mode, "device": device or "auto",
                   **stats_ms(to_set), "painted_p50_ms": round(statistics.median(to_paint), 2),
                   "render_p50_ms": round(statistics.median(area.render_ms), 2) if area.render_ms else None,
                   "preview_already_had_stroke": reused}
        finally:
            area.shutdown()
            area.deleteLater()
            app.processEvents()
    return out


def measure_sketch(quick: bool, progress: Progress = lambda s: None, *, folder: Path | None = None,
                   strokes: int | None = None, modes: tuple[str | None, ...] | None = None) -> dict[str, Any]:
    """Pen lifted -> picture on CPU (and CUDA when present) with the bundled-size sketch model."""
    import torch

    app = qapp()
    strokes = strokes or (6 if quick else 30)
    modes = modes or ((None,) if quick else ("eval", "reference"))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ganstudio-bench-sketch-")))
        path, description = sketch_model(folder)
        out: dict[str, Any] = {"model": description, "strokes": strokes, "torch_threads": torch.get_num_threads()}
        for device in devices:
            for mode in modes:
                progress(f"Sketch: pen lifted -> picture, {device}, {mode or 'default'} mode, {strokes} strokes")
                key = f"{device} {mode or 'default'}"
                out[key] = guarded(lambda: sketch_latency(app, path, mode, strokes, folder / "data", device))
    cpu = [v for k, v in out.items() if k.startswith("cpu ") and "p50_ms" in v]
    out["target"] = TARGETS["sketch"]
    out["met"] = bool(cpu) and all(v["p50_ms"] <= 50 and v["max_ms"] <= 100 for v in cpu)
    return out


# --- 4b. Explore: slider -> view, Reseed -> 16-grid -------------------------------------------------------

def save_reference_generator(path: Path, ngf: int, z_dim: int = 100, seed: int = 0) -> None:
    """A DCGAN generator with DCGAN initialisation and plausible BatchNorm statistics, saved as
    pytorch/examples does (torch.save of the state dict)."""
    import torch

    from ganstudio.core.models.dcgan import DCGANGenerator

    torch.manual_seed(seed)
    G = DCGANGenerator(z_dim=z_dim, ngf=ngf, nc=3, image_size=64)
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    torch.save(G.state_dict(), path)


def raw_forward(path: Path, repeats: int) -> dict[str, list[float]]:
    """model.render (forward + uint8) without Qt, batch 1 and 16, in this thread (ms)."""
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.latent.space import sample_latents

    model = open_generator(path)
    out: dict[str, list[float]] = {}
    for n in (1, 16):
        z = sample_latents(n, model.z_dim, seed=1)
        for _ in range(3):
            model.render_latents(z)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.render_latents(z)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"b{n}"] = times
    return out


class ExploreDriver:
    """Waits on the area's partsDrawn signal (no busy polling, which would steal a core)."""

    def __init__(self, area):
        self.area = area
        self.draws: list[tuple[float, dict[str, int]]] = []
        area.partsDrawn.connect(self._on_drawn)

    def _on_drawn(self, versions: dict) -> None:
        self.draws.append((time.perf_counter(), dict(versions)))

    def wait(self, cond, timeout_s: float = 120.0) -> bool:
        from PySide6.QtCore import QEventLoop, QTimer

        if cond():
            return True
        loop = QEventLoop()

        def check(*_):
            if cond():
                loop.quit()

        self.area.partsDrawn.connect(check)
        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(25)
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        guard.start(int(timeout_s * 1000))
        loop.exec()
        poll.stop()
        guard.stop()
        self.area.partsDrawn.disconnect(check)
        return cond()

    def drawn_version(self, part: str) -> int:
        return max((v[part] for _, v in self.draws if part in v), default=0)

    def first_draw_after(self, part: str, version: int, since: float) -> float | None:
        for t, v in self.draws:
            if t >= since and v.get(part, 0) >= version:
                return t
        return None

    def latency_ms(self, part: str, version: int, since: float) -> float:
        done = self.first_draw_after(part, version, since)
        if done is None:
            raise RuntimeError(f"the Explore area never drew {part} version {version}")
        return (done - since) * 1000


def explore_latency(app, path: Path, moves: int, grids: int, cache_dir: Path, drag_moves: int | None = None,
                    direction_samples: int = 3000) -> dict[str, Any]:
    """A real ExplorerArea on one generator: slider moves one at a time, a 60 Hz drag, Reseeds (ms lists)."""
    from PySide6.QtCore import QTimer

    from ganstudio.qt.explore.area import ExplorerArea

    area = ExplorerArea(cache_dir=cache_dir, direction_samples=direction_samples)
    area.resize(1240, 820)
    area.show()
    try:
        drv = ExploreDriver(area)
        t0 = time.perf_counter()
        area.load_generator(path)
        if not drv.wait(lambda: (area.model_info is not None and area.latentView.image() is not None
                                 and area.is_idle()) or bool(area.error_text())):
            raise RuntimeError(f"the Explore area did not show the model: {area.error_text() or 'timeout'}")
        if area.error_text():
            raise RuntimeError(area.error_text())
        first_grid_s = time.perf_counter() - t0
        if not drv.wait(lambda: area.directions is not None, 600):
            raise RuntimeError("the principal directions did not arrive within 600 s")
        directions_s = time.perf_counter() - t0

        # 1. one slider move at a time: move -> view picture set
        slider, paint = [], []
        for i in range(moves):
            value = 2.5 * ((i % 11) / 5.0 - 1.0)  # -2.5 .. 2.5 in 11 steps, never the same twice in a row
            t = time.perf_counter()
            area.set_direction(0, value)
            want = area.requested_version("view")
            if not drv.wait(lambda: drv.drawn_version("view") >= want):
                raise RuntimeError("a slider move was never drawn")
            slider.append(drv.latency_ms("view", want, t))
            tp = time.perf_counter()
            area.latentView.repaint()
            paint.append((time.perf_counter() - tp) * 1000)
        recent = [entry for entry in list(area.latencies)[-moves:] if entry[0] == ("view",)]
        render_only = [ms for _parts, _total, ms in recent]
        submit_to_set = [total for _parts, total, _ms in recent]

        # 2. a drag: moves every 16 ms (60 Hz) without waiting; newest request wins
        drag_log: list[tuple[float, int]] = []
        before = len(area.renderer.forward_batches)
        timer = QTimer()
        timer.setInterval(16)
        values = [3.0 * ((i % 40) / 20.0 - 1.0) for i in range(drag_moves if drag_moves is not None else max(60, moves))]

        def step():
            if not values:
                timer.stop()
                return
            area.set_direction(1, values.pop(0))
            drag_log.append((time.perf_counter(), area.requested_version("view")))

        timer.timeout.connect(step)
        timer.start()
        drv.wait(lambda: not values and not timer.isActive())
        drv.wait(area.is_idle)
        drag = []
        for t, v in drag_log:
            done = drv.first_draw_after("view", v, t)
            if done is not None:
                drag.append((done - t) * 1000)
        drag_renders = len(area.renderer.forward_batches) - before

        # 3. Reseed: a new 16-sample grid (one batched pass) plus the selection's view
        grid, grid_render = [], []
        for _ in range(grids):
            t = time.perf_counter()
            area.reseed()
            want_g, want_v = area.requested_version("grid"), area.requested_version("view")
            if not drv.wait(lambda: drv.drawn_version("grid") >= want_g and drv.drawn_version("view") >= want_v):
                raise RuntimeError("a Reseed was never drawn")
            grid.append(drv.latency_ms("grid", want_g, t))
            grid_render.append(list(area.latencies)[-1][2])
    finally:
        area.shutdown()
        area.deleteLater()
        app.processEvents()
    return {"slider": slider, "slider_render": render_only, "slider_submit": submit_to_set, "paint": paint,
            "drag": drag, "drag_moves": len(drag_log), "drag_renders": drag_renders, "grid": grid,
            "grid_render": grid_render, "first_grid_s": first_grid_s, "directions_s": directions_s}


def measure_explorer(quick: bool, progress: Progress = lambda s: None, *, ngfs: tuple[int, ...] | None = None,
                     moves: int | None = None, grids: int | None = None, drag_moves: int | None = None,
                     direction_samples: int | None = None) -> dict[str, Any]:
    """Slider -> view and Reseed -> 16-grid on 64x64 DCGAN generators (the area renders on the CPU)."""
    import torch

    app = qapp()
    ngfs = ngfs or ((64,) if quick else (64, 32))
    moves = moves or (12 if quick else 100)
    grids = grids or (5 if quick else 30)
    direction_samples = direction_samples or 3000  # the area's own default
    out: dict[str, Any] = {"model": "64x64 DCGAN, z 100, pytorch/examples layout, random weights",
                           "device": "cpu (the Explore area renders on the CPU)", "moves": moves, "grids": grids,
                           "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-explore-") as tmp:
        for ngf in ngfs:
            progress(f"Explore: ngf {ngf}, {moves} slider moves, {grids} Reseeds")

            def one(ngf=ngf) -> dict[str, Any]:
                path = Path(tmp) / f"netG_ngf{ngf}.pth"
                save_reference_generator(path, ngf)
                raw = raw_forward(path, repeats=max(5, moves // 2))
                res = explore_latency(app, path, moves, grids, Path(tmp) / "cache", drag_moves, direction_samples)
                return {"slider_to_view": stats_ms(res["slider"]), "slider_render": stats_ms(res["slider_render"]),
                        "slider_submit_to_set": stats_ms(res["slider_submit"]),
                        "drag_60hz": {**stats_ms(res["drag"]), "moves": res["drag_moves"], "renders": res["drag_renders"]},
                        "grid16": stats_ms(res["grid"]), "grid16_render": stats_ms(res["grid_render"]),
                        "view_paint_p50_ms": round(statistics.median(res["paint"]), 2),
                        "forward_b1": stats_ms(raw["b1"]), "forward_b16": stats_ms(raw["b16"]),
                        "first_grid_s": round(res["first_grid_s"], 2), "directions_s": round(res["directions_s"], 2)}

            out[f"ngf {ngf}"] = guarded(one)
    head = out.get(f"ngf {ngfs[0]}", {})
    out["target_slider"], out["target_grid"] = TARGETS["explorer_slider"], TARGETS["explorer_grid"]
    out["met_slider"] = "slider_to_view" in head and head["slider_to_view"]["p50_ms"] <= 16
    out["met_grid"] = "grid16" in head and head["grid16"]["p50_ms"] <= 50
    return out


# --- 5. Start-up ---------------------------------------------------------------------------------------

def _package_parent() -> str:
    import ganstudio

    return str(Path(ganstudio.__file__).resolve().parents[1])


def _child_env(config_home: str, platform: str | None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_CONFIG_HOME=config_home, **_app_data_env(Path(config_home)), **extra)
    env["QT_QPA_PLATFORM"] = platform or os.environ.get("QT_QPA_PLATFORM", "offscreen")
    # the child imports the same ganstudio as this process (a checkout or the installed wheel)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_parent(), os.environ.get("PYTHONPATH")) if p)
    return env


def _run_child(cmd: list[str], env: dict[str, str], cwd: str, timeout_s: float) -> tuple[float, str, str, int]:
    t0 = time.time()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RuntimeError(f"{' '.join(cmd[1:])} did not finish within {timeout_s:.0f} s") from None
    return t0, out, err, proc.returncode


def _why(code: int, out: str, err: str) -> str:
    """One line on how a child ended: exit code or signal, and where it crashed (faulthandler) or its last words."""
    import signal

    text = f"exit code {code}"
    if code < 0:
        with contextlib.suppress(ValueError):
            text = f"killed by {signal.Signals(-code).name}"
    lines = [ln.strip() for ln in (out + "\n" + err).splitlines()
             if ln.strip() and "propagateSizeHints" not in ln and not ln.startswith("Extension modules")]
    if "Fatal Python error" in err:
        frames = [ln for ln in err.splitlines() if ln.strip().startswith("File ")]
        fatal = next(ln.strip() for ln in err.splitlines() if "Fatal Python error" in ln)
        if frames:  # the innermost frame of the first thread listed (faulthandler)
            return f"{text}; {fatal} in {frames[0].strip()}"
        return f"{text}; {fatal}"
    return f"{text}; {lines[-1]}" if lines else text


def _stamp(text: str, tag: str, t0: float) -> tuple[float | None, float | None]:
    """(seconds after t0, process age) from a `tag unix=... process_age=...` line."""
    m = re.search(rf"^{tag} unix=([\d.]+)(?: process_age=([\d.]+|None))?", text, re.M)
    if not m:
        return None, None
    age = float(m.group(2)) if m.group(2) and m.group(2) != "None" else None
    return float(m.group(1)) - t0, age


def set_start_area(config_home: str, area: str) -> None:
    """The area the app opens on next time it runs with XDG_CONFIG_HOME=config_home (as if the user left it there)."""
    from PySide6.QtCore import QSettings

    from ganstudio.qt.settings import APPLICATION, ORGANIZATION, AppSettings

    ini = QSettings(str(Path(config_home) / ORGANIZATION / f"{APPLICATION}.ini"), QSettings.IniFormat)
    AppSettings(ini).set_last_area(area)
    ini.sync()


def launch_app(platform: str | None, config_home: str, timeout_s: float = 180.0, area: str | None = None) -> dict[str, Any]:
    """One `python -m ganstudio` with GANSTUDIO_STARTUP_PROBE=quit: the window prints when it is first shown
    (and its process age, from /proc) and when the engine has loaded, then closes itself. `area`: the area
    it opens on (None: whatever the settings in config_home say; a first launch opens on Sketch)."""
    if area is not None:
        set_start_area(config_home, area)
    env = _child_env(config_home, platform, GANSTUDIO_STARTUP_PROBE="quit", PYTHONFAULTHANDLER="1")
    t0, out, err, code = _run_child([sys.executable, "-m", "ganstudio"], env, config_home, timeout_s)
    shown, age = _stamp(out, "ganstudio-window-shown", t0)
    engine, _ = _stamp(out, "ganstudio-engine-ready", t0)
    if shown is None or engine is None or code != 0:
        raise RuntimeError(f"the app did not start and quit cleanly ({_why(code, out, err)})")
    timer = re.search(r"gui_timer: (.*)$", out, re.M)
    return {"shown_s": shown, "process_age_s": age, "engine_s": engine,
            "gui_timer": timer.group(1).strip() if timer else None}


def launch_first_image(model: Path | None, config_home: str, platform: str | None = None,
                       timeout_s: float = 180.0) -> dict[str, Any]:
    """A fresh process starts the app's main window as `ganstudio` does, on its first launch (it opens on the
    Sketch area, which loads the bundled sketch model, or `model`), and reports its first picture."""
    cmd = [sys.executable, "-m", "ganstudio.bench.gui", "--first-image-probe"]
    if model is not None:
        cmd += ["--model", str(model)]
    home = tempfile.mkdtemp(prefix="first-launch-", dir=config_home)  # fresh settings: a first launch
    t0, out, err, code = _run_child(cmd, _child_env(home, platform, PYTHONFAULTHANDLER="1"), home, timeout_s)
    shown, shown_age = _stamp(out, "ganstudio-window-shown", t0)
    first, first_age = _stamp(out, "ganstudio-first-image", t0)
    if first is None:
        raise RuntimeError(f"no first picture reported ({_why(code, out, err)})")
    where = re.search(r"^ganstudio-first-image-in (.*)$", out, re.M)
    return {"window_shown_s": shown, "window_shown_process_age_s": shown_age, "first_image_s": first,
            "first_image_process_age_s": first_age, "shown_in": where.group(1) if where else None}


def _first_image_probe(model: str | None, timeout_s: float = 170.0) -> int:
    """Child side of launch_first_image (`python -m ganstudio.bench.gui --first-image-probe`): what run_app
    does, plus a print when the Sketch area first shows a picture."""
    launch = time.perf_counter()
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.app import process_age_s
    from ganstudio.qt.settings import APPLICATION, ORGANIZATION

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication(["ganstudio"])
    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.theme import apply_theme

    apply_theme(app)
    window = MainWindow(launch_time=launch)
    window.show()
    print(f"ganstudio-window-shown unix={time.time():.6f} process_age={process_age_s()}", flush=True)
    area = getattr(window, "sketch", None)
    if area is None:  # a main window without the Sketch area: the area alone
        from ganstudio.qt.sketch.area import SketchArea

        area = SketchArea(autosave_ms=600_000)
        area.resize(1300, 820)
        area.show()
        where = "SketchArea alone"
    else:
        where = f"main window, {window.current_area()} area shown first"
        if window.current_area() != "Sketch":
            window.show_area("Sketch")
    print(f"ganstudio-first-image-in {where}", flush=True)
    state = {"code": 1}

    def on_output() -> None:
        if state["code"] == 1:
            state["code"] = 0
            print(f"ganstudio-first-image unix={time.time():.6f} process_age={process_age_s()}", flush=True)
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, app.quit)

    area.outputChanged.connect(on_output)

    def load_if_needed() -> None:  # the area loads the bundled model when first shown; else ours
        if model and area.model_path is None:
            area.load_model(model)

    QTimer.singleShot(0, load_if_needed)
    QTimer.singleShot(int(timeout_s * 1000), app.quit)
    app.exec()
    if state["code"]:
        print(f"ganstudio-first-image-error {area.error_text() or 'timeout'}", flush=True)
        window.close()
    return state["code"]


def measure_startup(quick: bool, progress: Progress = lambda s: None, *, runs: int | None = None,
                    first_image: bool = True, platform: str | None = None,
                    sketch_folder: Path | None = None) -> dict[str, Any]:
    """Medians over fresh `python -m ganstudio` processes: window shown and engine loaded, opening on Sketch (a
    first launch) and on Train; and a first launch until the Sketch area's first picture."""
    runs = runs or (1 if quick else 5)
    launches: dict[str, list[dict[str, Any]]] = {area: [] for area in START_AREAS}
    failures: list[str] = []
    with contextlib.ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="ganstudio-bench-start-"))
        attempt = 0
        # Alternate the area the window opens on: Sketch (a first launch; it builds its page at once) and
        # Train (a returning user who left it there). A crashed launch is recorded and one more is tried.
        while min(len(v) for v in launches.values()) < runs and attempt < len(START_AREAS) * (runs + 2):
            area = min(START_AREAS, key=lambda a: len(launches[a]))
            attempt += 1
            progress(f"start-up: launch {attempt} of python -m ganstudio, opening on {area}")
            try:
                launches[area].append(launch_app(platform, home, area=area))
            except RuntimeError as exc:
                failures.append(f"launch {attempt} ({area}): {exc}")
        if not all(launches.values()):
            raise RuntimeError(f"every launch failed: {failures[0]}")

        def summary(runs_: list[dict[str, Any]]) -> dict[str, Any]:
            med = lambda key: (round(statistics.median(v), 3)  # noqa: E731
                               if (v := [x[key] for x in runs_ if x[key] is not None]) else None)
            return {"window_shown_s": med("shown_s"), "window_shown_process_age_s": med("process_age_s"),
                    "engine_ready_s": med("engine_s"), "gui_timer_while_engine_loads": runs_[-1]["gui_timer"],
                    "launches": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in x.items()} for x in runs_]}

        out: dict[str, Any] = {
            "runs": runs, "platform": platform or os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "opens_on": "Sketch (as on a first launch)", **summary(launches["Sketch"]),
            "opening_on_train": summary(launches["Train"]),
            "failed_launches": failures, "attempts": attempt,
        }
        if first_image:
            def first() -> dict[str, Any]:
                folder = sketch_folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ganstudio-bench-m-")))
                bundled = bundled_sketch_model()
                model, description = (None, f"bundled {bundled.stem}") if bundled else sketch_model(folder)
                progress(f"start-up: fresh process -> first Sketch picture ({description})")
                probes: list[dict[str, Any]] = []
                failed: list[str] = []
                for i in range(runs + 2):  # as above: a crashed launch is recorded, and one more is tried
                    if len(probes) == runs:
                        break
                    try:
                        probes.append(launch_first_image(model, home, platform))
                    except RuntimeError as exc:
                        failed.append(f"launch {i + 1}: {exc}")
                if not probes:
                    raise RuntimeError(f"every launch failed: {failed[0]}")
                res = {k: (round(statistics.median([p[k] for p in probes if p[k] is not None]), 3)
                           if any(isinstance(p[k], float) for p in probes) else probes[-1][k]) for k in probes[0]}
                return {"model": description, **res, "runs": len(probes), "failed_launches": failed}

            out["first_sketch_picture"] = guarded(first)
    out["target"] = TARGETS["startup"]
    return out


# --- 6. Monitor scalability -------------------------------------------------------------------------------

MONITOR_METRICS = ("d_loss", "g_loss", "sliced_w", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "lr_g", "lr_d")


def monitor_redraw(app, n: int, ticks: int = 3) -> dict[str, Any]:
    """A TrainingMonitor holding one run of `n` rows (9 metrics on 6 plots): the first full draw, a live
    refresh tick (1,000 new rows, one plot pushed and painted) and a forced refresh of every plot."""
    import numpy as np

    from ganstudio.qt.monitor.monitor import PLOTS, TrainingMonitor
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    monitor = TrainingMonitor(None)
    try:
        monitor.resize(1200, 800)
        monitor.show()
        app.processEvents()
        run = monitor.add_run(f"{n} points")
        steps = np.arange(1, n + 1, dtype=float)
        rng = np.random.default_rng(0)
        cols = {"step": steps, "wall_time": steps / 300.0}
        for name in MONITOR_METRICS:
            cols[name] = rng.normal(1, 0.2, n)
        run.dirty |= run.table.extend_columns(cols)
        t0 = time.perf_counter()
        monitor.redraw(force=True)  # smoothing + setData of every curve
        monitor.plots_host.grab()  # forces the repaint (downsampled, clipped to view)
        first = (time.perf_counter() - t0) * 1000
        tick_ms = []
        rows = n
        for _ in range(ticks * len(PLOTS)):  # every plot refreshed `ticks` times, round-robin as the timer does
            more = {k: v[:1000] + (rows if k == "step" else 0) for k, v in cols.items()}
            rows += 1000
            run.dirty |= run.table.extend_columns(more)
            t0 = time.perf_counter()
            monitor.redraw()
            monitor.plots[PLOTS[monitor._last_refreshed][0]].grab()
            tick_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        monitor.redraw(force=True)
        monitor.plots_host.grab()
        everything = (time.perf_counter() - t0) * 1000
        fed = sum(1 + monitor._shows_raw(c.metric) for c in run.curves.values())
    finally:
        monitor.shutdown()
        monitor.deleteLater()
        app.processEvents()
    return {"points": n, "plot_items": fed, "first_draw_ms": round(first, 1),
            "tick": stats_ms(tick_ms, 1), "all_plots_ms": round(everything, 1)}


def measure_monitor(quick: bool, progress: Progress = lambda s: None, *,
                    sizes: tuple[int, ...] = (10**4, 10**5, 10**6), ticks: int | None = None) -> dict[str, Any]:
    app = qapp()
    ticks = ticks or (1 if quick else 3)
    out: dict[str, Any] = {}
    for n in sizes:
        progress(f"monitor redraw: {n:,} points per curve")
        out[f"{n}"] = guarded(lambda n=n: monitor_redraw(app, n, ticks))
    big = out.get(str(max(sizes)), {})
    out["target"] = TARGETS["monitor"]
    out["met"] = "tick" in big and big["tick"]["max_ms"] <= 50 if max(sizes) >= 10**6 else None
    return out


# --- the whole section -----------------------------------------------------------------------------------

def run(quick: bool = False, progress: Progress = lambda s: None, *,
        only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Every GUI measurement (or those in `only`, names from SECTIONS); never raises."""
    only = tuple(only or SECTIONS)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    try:
        app = qapp()
        out["environment"] = {"qt_platform": app.platformName(), "torch_threads": app_threads(),
                              "load_before": load_average()}
    except Exception as exc:  # noqa: BLE001 - no Qt (or no display): the other sections still ran
        return {"error": _error(exc)["error"]}
    with app_like_process(), tempfile.TemporaryDirectory(prefix="ganstudio-bench-gui-") as tmp:
        folder = Path(tmp)
        if "monitor" in only:
            out["monitor"] = guarded(lambda: measure_monitor(quick, progress))
        if "gui_overhead" in only:
            both: dict[str, Any] = {}

            def training() -> dict[str, Any]:
                both["gui_overhead"], both["event_loop"] = measure_training_gui(quick, progress)
                return {}

            result = guarded(training)
            if "error" in result:
                out["gui_overhead"] = result
                out["event_loop"] = {"error": result["error"]}
            else:
                for key in ("gui_overhead", "event_loop"):
                    out[key] = {**both[key], **result}
        if "sketch" in only:
            out["sketch"] = guarded(lambda: measure_sketch(quick, progress, folder=folder))
        if "explorer" in only:
            out["explorer"] = guarded(lambda: measure_explorer(quick, progress))
        if "startup" in only:
            out["startup"] = guarded(lambda: measure_startup(quick, progress, sketch_folder=folder))
    out["environment"]["load_after"] = load_average()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="GUI benchmarks (see `ganstudio bench --only gui`).")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", choices=SECTIONS)
    ap.add_argument("--first-image-probe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.first_image_probe:
        return _first_image_probe(args.model)
    import json

    report = run(args.quick, lambda s: print(f"bench gui: {s}", file=sys.stderr, flush=True), only=args.only)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
