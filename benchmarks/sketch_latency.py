"""Sketch latency: pen lifted -> new output picture, measured on a real SketchArea (offscreen Qt).

Strokes are synthesized with QTest mouse events on the SketchCanvas (press, moves at ~120 Hz while the
live preview renders in the background, release). The clock starts just before the release event and
stops when the output view has been given the picture made from the finished stroke (and, second
column, when it has painted it). Targets (docs/BENCHMARKS.md): <= 50 ms median and <= 100 ms worst for
the bundled-size model (the bundled sketch recipe's generator: unet_small, 5-channel input + z 8,
128x128, ngf 16, num_downs 7: the bundled sketch model when installed, else an untrained one) on a 2-core CPU.
unet_256 at 256x256 (pix2pix's own generator, imported from a reference-layout .pth) is measured for
reference. The measurement lives in ganstudio.bench.gui.sketch (`ganstudio bench --only gui` runs it too).

    python benchmarks/sketch_latency.py [--strokes 30] [--threads 1] [--skip-256] [--device cpu]

Weights are random (latency does not depend on them). Prints a table and the machine load.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganstudio.bench.gui.common import app_threads, qapp  # noqa: E402
from ganstudio.bench.gui.sketch import sketch_latency, sketch_model, unet_256_pth  # noqa: E402


def _row(name: str, r: dict) -> str:
    return (f"{name:<42} {r['mode']:<9} {r['n']:>3} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} "
            f"{r['painted_p50_ms']:>9.1f} {r['render_p50_ms'] or float('nan'):>8.1f} {r['preview_already_had_stroke']:>7}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=30)
    parser.add_argument("--strokes-256", type=int, default=6)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (default: cores - 1, as the app uses)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: as the app, CUDA when present)")
    parser.add_argument("--skip-256", action="store_true")
    args = parser.parse_args(argv)

    import torch

    threads = args.threads or app_threads()
    torch.set_num_threads(threads)
    app = qapp()
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path, description = sketch_model(tmp / "small")
        models = [(description.split("(", 1)[-1].rstrip(")") +
                   (" (bundled)" if description.startswith("bundled") else " (untrained)"), path, args.strokes)]
        if not args.skip_256:
            models.append(("unet_256 256px ngf64 (pix2pix)", unet_256_pth(tmp), args.strokes_256))
        for name, path, n in models:
            for mode in ("eval", "reference"):
                r = sketch_latency(app, path, mode, n, tmp / "data", args.device)
                rows.append(_row(name, r))
                print(rows[-1], flush=True)
    load_after = os.getloadavg()
    print()
    print(f"pen lifted -> output set, ms ({os.cpu_count()} CPUs, torch {torch.__version__}, {threads} torch thread(s); "
          f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f})")
    print(f"{'model':<42} {'mode':<9} {'n':>3} {'median':>8} {'p95':>8} {'worst':>8} {'painted':>9} {'render':>8} "
          f"{'preview':>7}")
    print("(median / p95 / worst: pen lifted -> picture handed to the output view; painted: median until it was "
          "painted; render: median generator time; preview: strokes whose last live preview already showed the "
          "finished stroke)")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
