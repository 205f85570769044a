"""Sketch latency: pen lifted -> new output picture, measured on a real SketchArea (offscreen Qt).

Strokes are synthesized with QTest mouse events on the SketchCanvas (press, moves at ~120 Hz while the
live preview renders in the background, release). The clock starts just before the release event and
stops when the output view has been given the picture made from the finished stroke (and, second
column, when it has painted it). Targets (docs/BENCHMARKS.md): <= 50 ms median and <= 100 ms worst for
the bundled-size model (unet_small: 5-channel input, 64x64, ngf 32, num_downs 6, the sketch-folder
preset's generator) on a 2-core CPU. unet_256 at 256x256 (pix2pix's own generator, imported from a
reference-layout .pth) is measured for reference.

    python benchmarks/sketch_latency.py [--strokes 30] [--threads 1] [--skip-256]

Weights are random (latency does not depend on them). Prints a table and the machine load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _bundled_size_checkpoint(folder: Path) -> Path:
    """A sketch-folder checkpoint (unet_small, ngf 32, 64 px, dropout) with its initial weights."""
    import numpy as np
    from PIL import Image

    from ganstudio.core.config import preset
    from ganstudio.core.trainer import Trainer

    pics = folder / "pictures"
    pics.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        Image.fromarray(np.full((64, 64, 3), 200 + i, np.uint8)).save(pics / f"{i}.png")
    cfg = preset("sketch-folder").with_overrides([f"data.path={pics}", "train.n_preview=2", "optim.batch_size=2"])
    trainer = Trainer(cfg, run_dir=folder / "run")
    return trainer.save_checkpoint()


def _unet_256_pth(folder: Path) -> Path:
    """A pix2pix-reference-layout netG unet_256 state dict (3-channel input, batch norm, ngf 64)."""
    import torch

    from ganstudio.core.models.unet import unet_256

    path = folder / "latest_net_G.pth"
    torch.save(unet_256(3, 3, 64, "batch", use_dropout=True).state_dict(), path)
    return path


def _measure(app, area, strokes: int, moves: int = 10, move_interval_s: float = 1 / 120):
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
    reused_count = [0]
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
        done = area.last_release_done
        reused = area.last_output_time is None or area.last_output_time < t0  # the live preview had it all
        to_set.append((done - t0) * 1000)
        if not reused:
            area.output.repaint()  # paint now, as the next event-loop turn would
            to_paint.append(((area.output.painted_at or done) - t0) * 1000)
        else:
            to_paint.append((done - t0) * 1000)
            reused_count[0] += 1
        pump(0.15)  # the pen is up for a moment before the next stroke
    return to_set, to_paint, reused_count[0]


def _row(name: str, mode: str, to_set: list[float], to_paint: list[float], render: list[float], reused: int) -> str:
    q = statistics.quantiles(to_set, n=10, method="inclusive")[-1] if len(to_set) >= 2 else to_set[0]
    return (f"{name:<31} {mode:<9} {len(to_set):>3} {statistics.median(to_set):>8.1f} {q:>8.1f} "
            f"{max(to_set):>8.1f} {statistics.median(to_paint):>9.1f} {statistics.median(render):>8.1f} {reused:>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=30)
    parser.add_argument("--strokes-256", type=int, default=6)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default: cores - 1, as the app uses)")
    parser.add_argument("--skip-256", action="store_true")
    args = parser.parse_args(argv)

    import torch
    from PySide6.QtWidgets import QApplication

    threads = args.threads or max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ganstudio.qt import theme
    from ganstudio.qt.sketch_area import SketchArea

    theme.apply_theme(app)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = [("unet_small 64px ngf32 (bundled)", _bundled_size_checkpoint(tmp / "small"), args.strokes)]
        if not args.skip_256:
            models.append(("unet_256 256px ngf64 (pix2pix)", _unet_256_pth(tmp), args.strokes_256))
        for name, path, n in models:
            for mode in ("eval", "reference"):
                area = SketchArea(data_dir=tmp / "data", autosave_ms=600_000)
                area.resize(1300, 820)
                area.show()
                area.load_model(path)
                deadline = time.perf_counter() + 120
                while not (area.model_ready and area.output.image() is not None) and time.perf_counter() < deadline:
                    app.processEvents()
                    time.sleep(0.005)
                area.modeCombo.setCurrentIndex(area.modeCombo.findData(mode))
                area.lockCandidate.setChecked(True)  # the chosen variant only, as while drawing
                _measure(app, area, 2)  # warm-up
                area.render_ms.clear()
                to_set, to_paint, reused = _measure(app, area, n)
                rows.append(_row(name, mode, to_set, to_paint, area.render_ms, reused))
                print(rows[-1], flush=True)
                area.shutdown()
                area.deleteLater()
                app.processEvents()
    load_after = os.getloadavg()
    print()
    print(f"pen lifted -> output set, ms ({os.cpu_count()} CPUs, torch {torch.__version__}, {threads} torch thread(s); "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f})")
    print(f"{'model':<31} {'mode':<9} {'n':>3} {'median':>8} {'p90':>8} {'worst':>8} {'painted':>9} {'render':>8} "
          f"{'preview':>7}")
    print("(median / p90 / worst: pen lifted -> picture handed to the output view; painted: median until it was "
          "painted; render: median generator time; preview: strokes whose last live preview already showed the "
          "finished stroke)")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
