"""What every GUI benchmark shares: targets, statistics, the guard, the QApplication, event-loop waits,
isolated settings and app data, and opening / closing a MainWindow.

Nothing here imports Qt or PyTorch at module level (the first-image probe starts a fresh process
through this package and must pay those imports itself, inside the measurement).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterator

Progress = Callable[[str], None]

TARGETS = {
    "gui_overhead": "GUI / headless steps/s >= 0.97",
    "event_loop": "p99 lateness of a 10 ms timer <= 50 ms while training",
    "sketch": "pen lifted -> picture p50 <= 50 ms, worst <= 100 ms (the bundled sketch model, CPU)",
    "explorer_slider": "slider -> view p50 <= 16 ms",
    "explorer_grid": "Reseed -> 16-sample grid p50 <= 40 ms",
    "monitor": "one refresh tick (one plot, 1,000 new points) <= 50 ms at 10^6 points",
    "startup": "none set (reported)",
    "lab": "a Lab control moved -> experiment redrawn p50 <= 16 ms (each of the seven)",
}


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


def error_record(exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__name__}: {exc}".strip()
    return {"error": text, "where": traceback.format_exc(limit=-3).strip().splitlines()[-3:]}


def guarded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """fn() with its seconds and the machine load, or {"error": ...}: a benchmark never crashes the command."""
    t0 = time.perf_counter()
    load = load_average()
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - recorded, the next measurement goes on
        out = error_record(exc)
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


def wait_until(cond: Callable[[], bool], timeout_s: float, poll_ms: int = 10, wake=None) -> bool:
    """Run the Qt event loop (no busy polling) until cond() or the timeout; `wake`, a signal, checks at once
    when it fires (a drawn part ends the wait without waiting for the next poll)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return True
    loop = QEventLoop()

    def check(*_):
        if cond():
            loop.quit()

    if wake is not None:
        wake.connect(check)
    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(poll_ms)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(timeout_s * 1000))
    loop.exec()
    poll.stop()
    guard.stop()
    if wake is not None:
        wake.disconnect(check)
    return cond()


def spin(seconds: float) -> None:
    """Let the event loop run for a while (idle)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def isolate_settings(folder: Path) -> None:
    """Every QSettings(IniFormat, UserScope) of this process goes to `folder`, never the user's."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(folder))


APP_DATA_VARS = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "GANSTUDIO_CACHE_DIR", "GANSTUDIO_DATA_DIR")


def app_data_env(folder: Path) -> dict[str, str]:
    """Environment that sends the app's data (sketch autosave, direction caches) into `folder`."""
    return {"XDG_DATA_HOME": str(folder / "data"), "XDG_CACHE_HOME": str(folder / "cache"),
            "GANSTUDIO_CACHE_DIR": str(folder / "cache"), "GANSTUDIO_DATA_DIR": str(folder / "data")}


@contextlib.contextmanager
def isolated_app_data(folder: Path) -> Iterator[None]:
    """While widgets are built: their data folders (QStandardPaths, read from the environment) in `folder`."""
    before = {k: os.environ.get(k) for k in APP_DATA_VARS}
    os.environ.update(app_data_env(folder))
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v



def open_window(folder: Path, timeout_s: float = 180.0):
    """A MainWindow with its settings in `folder`, shown, engine loaded, Monitor area showing."""
    # pyqtgraph imported here, on the GUI thread: the window imports it in its engine-loading thread, which
    # crashes now and then while the GUI thread runs (see the start-up section's failed launches).
    import pyqtgraph  # noqa: F401

    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.settings import AppSettings

    qapp()
    isolate_settings(folder / "settings")
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

