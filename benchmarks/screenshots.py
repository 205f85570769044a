"""Regenerate docs/screenshots/: the app offscreen, a short toy run and a short digits run.

    QT_QPA_PLATFORM=offscreen python benchmarks/screenshots.py [--out docs/screenshots] [--only sketch,explore]

Writes train.png (the Train area while a run trains), monitor-toy.png (curves and the 2-D GAN Lab view)
and monitor.png (curves and the sample grid of a digits run) -- the slow "training" shots --, sketch.png
(the Sketch area with the bundled sketch model and a drawing made stroke by stroke) and explore.png (the
Explore area with the bundled conditional digits model: grid, a selected cell, principal directions and a
keyframe strip), and lab-NAME.png for each of the Lab's seven experiments (the trained ones after their
training has run). --only picks some of training, sketch, explore, lab. Settings, run folders, caches and the
sketch autosave go to a temporary folder, never to the user's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


SHOTS = ("training", "sketch", "explore", "lab")


def wait(app, condition, timeout=600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for the app")
        app.processEvents()
        time.sleep(0.01)


def set_field(panel, key, value) -> None:
    w = panel.widgets[key]
    if hasattr(w, "setValue"):
        w.setValue(value)
    elif hasattr(w, "setChecked"):
        w.setChecked(bool(value))
    else:
        w.setCurrentIndex(w.findData(value))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--toy-steps", type=int, default=2000)
    ap.add_argument("--digits-steps", type=int, default=400)
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--only", default=",".join(SHOTS),
                    help=f"comma-separated subset of {', '.join(SHOTS)} (train and monitor mean training)")
    args = ap.parse_args()
    only = {{"train": "training", "monitor": "training"}.get(v.strip(), v.strip()) for v in args.only.split(",")}
    unknown = only - set(SHOTS)
    if unknown:
        ap.error(f"unknown shot(s) {', '.join(sorted(unknown))}; choose from {', '.join(SHOTS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    tmp = Path(tempfile.mkdtemp(prefix="gs-shots-"))
    # QStandardPaths (explorer's direction cache, the sketch autosave) follow XDG_*: keep them out of ~.
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        os.environ[var] = str(tmp / var.lower())
    os.environ.pop("GANSTUDIO_CACHE_DIR", None)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp / "settings"))
    app = QApplication.instance() or QApplication(["ganstudio"])
    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.settings import AppSettings
    from ganstudio.qt.theme import apply_theme

    apply_theme(app)
    settings = AppSettings()
    settings.set_runs_folder(tmp / "runs")
    settings.set_smoothing(0.8)
    window = MainWindow(settings=settings)
    window.resize(width, height)
    window.show()
    wait(app, lambda: window.engine_ready, 120)
    if "training" in only:
        training_shots(app, window, args, out)
    if "sketch" in only:
        sketch_shot(app, window, out)
    if "explore" in only:
        explore_shot(app, window, out)
    if "lab" in only:
        lab_shots(app, window, out)
    print(f"wrote {', '.join(p.name for p in sorted(out.glob('*.png')))} to {out}")
    window.close()
    window.deleteLater()
    app.processEvents()
    return 0


def settle(app, n: int = 20) -> None:
    for _ in range(n):
        app.processEvents()
        time.sleep(0.01)


def training_shots(app, window, args, out: Path) -> None:
    from PySide6.QtCore import Qt

    panel = window.train_panel

    # A toy run: the Train area while it trains, then the monitor with the GAN Lab view.
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("toy-ring"))
    set_field(panel, "train.steps", args.toy_steps)
    set_field(panel, "train.sample_every", 100)
    set_field(panel, "train.eval_every", 500)
    panel.request_start()
    wait(app, lambda: window.worker is not None and window.worker.step >= args.toy_steps // 3)
    window.show_area("Train")
    settle(app)
    window.grab().save(str(out / "train.png"))
    window.show_area("Monitor")
    wait(app, lambda: window.worker is None)
    window.monitor.redraw(force=True)
    window.monitor.auto_range()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    window.grab().save(str(out / "monitor-toy.png"))

    # A digits run: curves and the sample grid (class-conditional, so each column is one digit).
    panel.datasetCombo.setCurrentIndex(panel.datasetCombo.findData("digits"))
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("digits-cdcgan"))
    set_field(panel, "train.steps", args.digits_steps)
    set_field(panel, "train.sample_every", 50)
    set_field(panel, "train.log_every", 5)
    set_field(panel, "train.eval_every", 0)
    panel.request_start()
    wait(app, lambda: window.worker is not None)
    wait(app, lambda: window.worker is None)
    if window.errorBanner.isVisible():
        print("the digits run failed:", window.errorBanner.label.text())
    # Show only the digits run's curves; the toy run stays in the list, unticked.
    monitor = window.monitor
    monitor.run_list.item(0).setCheckState(Qt.Unchecked)
    monitor.run_list.setCurrentRow(len(monitor.runs) - 1)
    monitor.redraw(force=True)
    monitor.auto_range()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.01)
    window.grab().save(str(out / "monitor.png"))


def sketch_shot(app, window, out: Path) -> None:
    """The Sketch area with the bundled sketch model and a drawing made as a user would, stroke by stroke:
    the mountain outline, the horizon, two fir trees, a blue hint in the sky and a green one on the ground
    (the drawing of core.bundled.demo_sketch_layers)."""
    from PySide6.QtGui import QColor

    from ganstudio.core.generators.catalogue import catalogue_entry, list_bundled

    area = window.sketch
    window.show_area("Sketch")
    settle(app)
    if area.model_path is None:  # the area loads the bundled model when it is first shown
        if "sketch-landscapes" not in {m.name for m in list_bundled()}:
            raise SystemExit("the bundled sketch model is not installed; build it with python -m ganstudio.core.bundled build")
        area.load_model(catalogue_entry("sketch-landscapes").path)
    wait(app, lambda: area.model_ready, 120)
    canvas = area.canvas
    canvas.clear()
    s = canvas.size_px / 64.0
    peaks = [(0, 34), (10, 26), (18, 30), (30, 12), (40, 24), (48, 18), (63, 32)]
    strokes = [("pen", peaks, None), ("pen", [(0, 38), (63.5, 38)], None)]
    for cx, base, h in ((12, 50, 14), (20, 54, 11)):  # fir trees, one closed outline each
        strokes.append(("pen", [(cx, base - h), (cx - h * 0.3, base), (cx + h * 0.3, base), (cx, base - h)], None))
    strokes += [("hint", [(8, 6), (32, 5), (56, 6)], QColor(60, 120, 230)),
                ("hint", [(36, 48), (58, 56)], QColor(70, 130, 60))]
    for tool, points, color in strokes:
        canvas.draw_stroke(tool, [(x * s, y * s) for x, y in points], color=color)
        settle(app, 3)
    # The picture for the last stroke (the request made when the pen was lifted) is on screen, and the
    # variants strip that follows it has rendered too.
    wait(app, lambda: area.is_idle() and area.release_latencies_ms and area.output.image() is not None, 120)
    settle(app, 30)
    window.grab().save(str(out / "sketch.png"))


def explore_shot(app, window, out: Path) -> None:
    """The Explore area with the bundled conditional digits model: the grid, one selected cell, principal
    directions (waited for) and two keyframes in the interpolation strip."""
    from ganstudio.core.generators.catalogue import catalogue_entry

    ex = window.explorer
    window.show_area("Explore")
    settle(app)
    path = catalogue_entry("digits-conditional").path
    if not path.is_file():
        raise SystemExit(f"{path} is missing; build it with python -m ganstudio.core.bundled build")
    ex.load_generator(path)
    wait(app, lambda: ex.model_info is not None and Path(ex.model_info["path"]).name == path.name
         and ex.shown_grid_z is not None, 120)
    wait(app, ex.is_idle, 120)
    ex.select_cell(0)
    wait(app, ex.is_idle, 60)
    ex.add_keyframe()
    ex.select_cell(5)
    wait(app, ex.is_idle, 60)
    ex.add_keyframe()
    wait(app, lambda: ex.directions is not None or not ex.directionProgress.isVisible(), 300)
    wait(app, ex.is_idle, 60)
    settle(app, 30)
    window.grab().save(str(out / "explore.png"))


def lab_shots(app, window, out: Path) -> None:
    """Each Lab experiment as it opens; the four with a trained part after a full training run (the mode
    collapse comparison shortened to 1500 steps)."""
    window.show_area("Lab")
    lab = window.lab
    settle(app)
    for key, panel in lab.panels.items():
        lab.show_experiment(key)
        strip = getattr(panel, "strip", None)
        if strip is not None:
            if key == "collapse":
                panel.steps.setValue(1500)
            strip.trainButton.click()
            wait(app, lambda: not strip.running(), 900)
        if key == "supports":
            wait(app, lambda: panel.tube_result is not None, 60)
        settle(app, 30)
        window.grab().save(str(out / f"lab-{key}.png"))


if __name__ == "__main__":
    sys.exit(main())
