"""Regenerate docs/screenshots/: the app offscreen, a short toy run and a short digits run.

    QT_QPA_PLATFORM=offscreen python benchmarks/screenshots.py [--out docs/screenshots]

Writes train.png (the Train area while a run trains), monitor-toy.png (curves and the 2-D GAN Lab view)
and monitor.png (curves and the sample grid of a digits run). Settings and run folders go to a
temporary folder, never to the user's.
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
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.split("x"))

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    tmp = Path(tempfile.mkdtemp(prefix="gs-shots-"))
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
    panel = window.train_panel

    # A toy run: the Train area while it trains, then the monitor with the GAN Lab view.
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("toy-ring"))
    set_field(panel, "train.steps", args.toy_steps)
    set_field(panel, "train.sample_every", 100)
    set_field(panel, "train.eval_every", 500)
    panel.request_start()
    wait(app, lambda: window.worker is not None and window.worker.step >= args.toy_steps // 3)
    window.show_area("Train")
    for _ in range(20):
        app.processEvents()
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
    print(f"wrote {', '.join(p.name for p in sorted(out.glob('*.png')))} to {out}")
    window.close()
    window.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
