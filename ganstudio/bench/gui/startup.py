"""Start-up: fresh `python -m ganstudio` processes until the main window is shown and the engine has
loaded (opening on Sketch, as a first launch, and on Train), and a fresh process starting the main
window on its first launch until the Sketch area's first picture (`python -m ganstudio.bench.gui
--first-image-probe` runs `first_image_probe` below in the child)."""

from __future__ import annotations

import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ganstudio.bench.gui.common import TARGETS, Progress, app_data_env, guarded
from ganstudio.bench.gui.sketch import bundled_sketch_model, sketch_model

START_AREAS = ("Sketch", "Train")  # the start-up is measured opening on each


def _package_parent() -> str:
    import ganstudio

    return str(Path(ganstudio.__file__).resolve().parents[1])


def _child_env(config_home: str, platform: str | None, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_CONFIG_HOME=config_home, **app_data_env(Path(config_home)), **extra)
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


def first_image_probe(model: str | None, timeout_s: float = 170.0) -> int:
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

