"""Drawing on the Translate area's input: pen-up -> the new translation on screen (docs/BENCHMARKS.md).

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. python benchmarks/translate_drawing.py [--size 128] [--strokes 10]
        [--model cyclegan-scenes|cyclegan-folders] [--threads 1]

Builds the preset's CycleGAN generators (freshly initialised: the time does not depend on the weights), opens
a size x size picture in a real `TranslateArea` (960x560, offscreen), draws `strokes` strokes with mouse
events, each one after the previous translation is on screen, and times from the mouse release to the
output shown (the background translation, the result's trip to the GUI thread, the views' rescale). Prints
the median and the worst in milliseconds with the thread count and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--strokes", type=int, default=10)
    parser.add_argument("--model", default="cyclegan-scenes", choices=("cyclegan-scenes", "cyclegan-folders"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import numpy as np
    import torch
    from PIL import Image
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(args.threads)
    app = QApplication.instance() or QApplication([])
    from ganstudio.core.checkpoint import Checkpoint, save_checkpoint
    from ganstudio.core.config import preset
    from ganstudio.core.models.from_config import build_models
    from ganstudio.qt.translate.area import TranslateArea

    def wait(condition, timeout_s: float = 600.0) -> None:
        end = time.perf_counter() + timeout_s
        while not condition():
            if time.perf_counter() > end:
                raise TimeoutError("the Translate area did not finish in time")
            app.processEvents()
            time.sleep(0.001)

    cfg = preset(args.model)
    G, D = build_models(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cyclegan.safetensors"
        save_checkpoint(path, Checkpoint(states={"G": G.state_dict(), "D": D.state_dict()},
                                         meta={"config": cfg.to_dict(), "step": 0, "task": "unpaired"}))
        photo = Path(tmp) / "photo.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (args.size, args.size, 3), np.uint8)).save(photo)
        area = TranslateArea(device="cpu")
        area.resize(960, 560)
        area.show()
        area.load_model(path)
        wait(lambda: area.model_info is not None)
        area.open_picture(photo)
        wait(lambda: area.outputView.image() is not None and area.is_idle())
        view = area.inputView
        rng = np.random.default_rng(1)
        times = []
        for _ in range(args.strokes):
            r = view.target_rect()
            points = [QPoint(int(r.x() + r.width() * fx), int(r.y() + r.height() * fy))
                      for fx, fy in rng.uniform(0.1, 0.9, (6, 2))]
            before = area.outputView.image()
            QTest.mousePress(view, Qt.LeftButton, Qt.NoModifier, points[0])
            for p in points[1:]:
                QTest.mouseMove(view, p)
            t0 = time.perf_counter()
            QTest.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, points[-1])
            wait(lambda: area.is_idle() and area.outputView.image() is not before)
            times.append((time.perf_counter() - t0) * 1000)
        area.shutdown()
    times.sort()
    print(json.dumps({"model": args.model, "size": args.size, "threads": args.threads, "strokes": args.strokes,
                      "median_ms": round(times[len(times) // 2], 1), "worst_ms": round(times[-1], 1),
                      "load_average": [round(v, 2) for v in os.getloadavg()]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
