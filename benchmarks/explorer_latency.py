"""Explore-area latency on this machine: slider move -> new large view, and a fresh 16-sample grid.

Drives a real ExplorerArea offscreen with 64x64 DCGAN generators (z 100, nc 3) of several widths, saved
in pytorch/examples' layout and opened through the importer. Times are measured from the user's action
(slider value set, Reseed clicked) to the moment the new picture is set in its widget (the area's
partsDrawn signal, emitted after set_image), so they include the event-loop hop, the queue to the render
thread, the forward pass, the uint8 conversion and the queued signal back. Paint time of the large view
is measured separately (a synchronous repaint). The measurement lives in ganstudio.bench.gui.explore
(`ganstudio bench --only gui` runs it too); this is its command line and table.

    python benchmarks/explorer_latency.py                    # ngf 64, 48 and 32
    python benchmarks/explorer_latency.py --ngf 64 --moves 200 --threads 2
    python benchmarks/explorer_latency.py --ngf 64 --grids 30 [--no-split]   # the batch split, A/B

Targets (docs/BENCHMARKS.md): slider -> view <= 16 ms median; 16-sample grid <= 40 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganstudio.bench.gui.common import app_threads, pct  # noqa: E402
from ganstudio.bench.gui.explore import explore_latency, raw_forward, save_reference_generator  # noqa: E402


def p50_95(values: list[float]) -> str:
    return f"{pct(values, 50):6.1f} / {pct(values, 95):6.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ngf", type=int, nargs="+", default=[64, 48, 32])
    parser.add_argument("--moves", type=int, default=100, help="slider moves measured one at a time")
    parser.add_argument("--grids", type=int, default=30, help="reseeds measured")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads; default as in the app: $GANSTUDIO_TORCH_THREADS or cores - 1")
    parser.add_argument("--no-split", action="store_true",
                        help="render each batch in one forward pass (as before generators.batch_split), for A/B runs")
    args = parser.parse_args(argv)
    if args.no_split:
        from ganstudio.core.generators import handle

        handle.parts_for = lambda n, device: 1

    import torch

    from ganstudio.bench import machine
    from ganstudio.bench.gui.common import qapp

    # the app keeps one core for the window (main_window.load_engine); the render thread inherits this
    torch.set_num_threads(args.threads or app_threads())
    sys.setswitchinterval(0.001)  # as the app does once the engine has loaded (main_window.load_engine)
    app = qapp()
    load_before = os.getloadavg()
    print(f"# Explore latency — {machine()['cpu']}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} intra-op threads, Python {platform.python_version()}")
    print(f"# load average before: {load_before[0]:.2f} (1 min), {load_before[1]:.2f} (5 min)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ngf in args.ngf:
            path = Path(tmp) / f"netG_ngf{ngf}.pth"
            save_reference_generator(path, ngf)
            raw = raw_forward(path, repeats=max(20, args.moves // 2))
            res = explore_latency(app, path, args.moves, args.grids, Path(tmp) / "cache")
            rows.append((ngf, raw, res))
            print(f"  ngf {ngf}: first grid after {res['first_grid_s']:.2f} s, principal directions after "
                  f"{res['directions_s']:.1f} s; drag: {res['drag_renders']} renders for {res['drag_moves']} moves",
                  file=sys.stderr)
    load_after = os.getloadavg()
    print()
    print("| 64x64 DCGAN, z 100 | forward+uint8 b1 p50/p95 ms | b16 p50/p95 ms | slider→view set p50/p95 ms "
          "| submit→view set | render thread | drag 60 Hz p50/p95 ms | Reseed→16-grid set p50/p95 ms "
          "| grid+view render | view paint p50 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for ngf, raw, res in rows:
        print(f"| ngf {ngf} | {p50_95(raw['b1'])} | {p50_95(raw['b16'])} | {p50_95(res['slider'])} | "
              f"{p50_95(res['slider_submit'])} | {p50_95(res['slider_render'])} | {p50_95(res['drag'])} | {p50_95(res['grid'])} | "
              f"{p50_95(res['grid_render'])} | {statistics.median(res['paint']):.2f} |")
    print()
    print(f"# load average after: {load_after[0]:.2f} (1 min), {load_after[1]:.2f} (5 min); "
          "targets: slider→view <= 16 ms p50, 16-grid <= 40 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
