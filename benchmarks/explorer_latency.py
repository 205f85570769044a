"""Explore-area latency on this machine: slider move -> new large view, and a fresh 16-sample grid.

Drives a real ExplorerArea offscreen with 64x64 DCGAN generators (z 100, nc 3) of several widths, saved
in pytorch/examples' layout and opened through the importer (the bundled landscapes model is ngf 48).
Times are measured from the user's action (slider value set, Reseed clicked) to the moment the new
picture is set in its widget (the area's partsDrawn signal, emitted after set_image), so they include
the event-loop hop, the queue to the render thread, the forward pass, the uint8 conversion and the
queued signal back. Paint time of the large view is measured separately (a synchronous repaint).

    python benchmarks/explorer_latency.py                    # ngf 64, 48 and 32
    python benchmarks/explorer_latency.py --ngf 64 --moves 200 --threads 2

Targets (docs/BENCHMARKS.md): slider -> view <= 16 ms median; 16-sample grid <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def p50_95(values: list[float]) -> str:
    return f"{pct(values, 50):6.1f} / {pct(values, 95):6.1f}"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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
    """model.render (forward + uint8) without Qt, batch 1 and 16, in this thread."""
    from ganstudio.core.latent import open_generator, sample_latents

    model = open_generator(path)
    out: dict[str, list[float]] = {}
    for n in (1, 16):
        z = sample_latents(n, model.z_dim, seed=1)
        for _ in range(3):
            model.render(z)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model.render(z)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"b{n}"] = times
    return out


class Driver:
    """Waits on the area's partsDrawn signal (no busy polling, which would steal a core)."""

    def __init__(self, app, area):
        from PySide6.QtCore import QEventLoop, QTimer

        self.app, self.area = app, area
        self.QEventLoop, self.QTimer = QEventLoop, QTimer
        self.draws: list[tuple[float, dict[str, int]]] = []
        area.partsDrawn.connect(self._on_drawn)

    def _on_drawn(self, versions: dict) -> None:
        self.draws.append((time.perf_counter(), dict(versions)))

    def wait(self, cond, timeout_s: float = 120.0) -> bool:
        if cond():
            return True
        loop = self.QEventLoop()

        def check(*_):
            if cond():
                loop.quit()

        self.area.partsDrawn.connect(check)
        poll = self.QTimer()
        poll.timeout.connect(check)
        poll.start(25)
        guard = self.QTimer()
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


def measure_area(app, path: Path, moves: int, grids: int, cache_dir: Path) -> dict[str, object]:
    from ganstudio.qt.explorer import ExplorerArea

    area = ExplorerArea(cache_dir=cache_dir)
    area.resize(1240, 820)
    area.show()
    drv = Driver(app, area)
    t0 = time.perf_counter()
    area.load_generator(path)
    assert drv.wait(lambda: area.model_info is not None and area.latentView.image() is not None and area.is_idle()), \
        area.error_text()
    first_grid_s = time.perf_counter() - t0
    assert drv.wait(lambda: area.directions is not None, 600), "principal directions did not arrive"
    directions_s = time.perf_counter() - t0

    # 1. one slider move at a time: move -> view picture set
    slider, paint = [], []
    for i in range(moves):
        value = 2.5 * ((i % 11) / 5.0 - 1.0)  # -2.5 .. 2.5 in 11 steps, never the same twice in a row
        t = time.perf_counter()
        area.set_direction(0, value)
        want = area.requested_version("view")
        assert drv.wait(lambda: drv.drawn_version("view") >= want)
        slider.append((drv.first_draw_after("view", want, t) - t) * 1000)
        tp = time.perf_counter()
        area.latentView.repaint()
        paint.append((time.perf_counter() - tp) * 1000)
    recent = [entry for entry in list(area.latencies)[-moves:] if entry[0] == ("view",)]
    render_only = [ms for _parts, _total, ms in recent]
    submit_to_set = [total for _parts, total, _ms in recent]

    # 2. a drag: moves every 16 ms (60 Hz) without waiting; newest request wins
    drag_moves: list[tuple[float, int]] = []
    before = len(area._engine.forward_batches)
    timer = drv.QTimer()
    timer.setInterval(16)
    values = [3.0 * ((i % 40) / 20.0 - 1.0) for i in range(max(60, moves))]

    def step():
        if not values:
            timer.stop()
            return
        area.set_direction(1, values.pop(0))
        drag_moves.append((time.perf_counter(), area.requested_version("view")))

    timer.timeout.connect(step)
    timer.start()
    drv.wait(lambda: not values and not timer.isActive())
    drv.wait(area.is_idle)
    drag = []
    for t, v in drag_moves:
        done = drv.first_draw_after("view", v, t)
        if done is not None:
            drag.append((done - t) * 1000)
    drag_renders = len(area._engine.forward_batches) - before

    # 3. Reseed: a new 16-sample grid (one batched pass) plus the selection's view
    grid = []
    grid_render = []
    for _ in range(grids):
        t = time.perf_counter()
        area.reseed()
        want_g, want_v = area.requested_version("grid"), area.requested_version("view")
        assert drv.wait(lambda: drv.drawn_version("grid") >= want_g and drv.drawn_version("view") >= want_v)
        grid.append((drv.first_draw_after("grid", want_g, t) - t) * 1000)
        last = list(area.latencies)[-1]
        grid_render.append(last[2])
    area.shutdown()
    area.deleteLater()
    return {"slider": slider, "slider_render": render_only, "slider_submit": submit_to_set, "paint": paint, "drag": drag,
            "drag_moves": len(drag_moves), "drag_renders": drag_renders, "grid": grid, "grid_render": grid_render,
            "first_grid_s": first_grid_s, "directions_s": directions_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ngf", type=int, nargs="+", default=[64, 48, 32])
    parser.add_argument("--moves", type=int, default=100, help="slider moves measured one at a time")
    parser.add_argument("--grids", type=int, default=30, help="reseeds measured")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads; default as in the app: $GANSTUDIO_TORCH_THREADS or cores - 1")
    args = parser.parse_args(argv)

    import torch
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.theme import apply_theme

    # the app keeps one core for the window (main_window.load_engine); the render thread inherits this
    threads = args.threads or int(os.environ.get("GANSTUDIO_TORCH_THREADS", "0") or 0) or max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(threads)
    sys.setswitchinterval(0.001)  # as the app does once the engine has loaded (main_window.load_engine)
    app = QApplication.instance() or QApplication(["explorer_latency"])
    apply_theme(app)
    load_before = os.getloadavg()
    print(f"# Explore latency — {cpu_name()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} intra-op threads, Python {platform.python_version()}")
    print(f"# load average before: {load_before[0]:.2f} (1 min), {load_before[1]:.2f} (5 min)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ngf in args.ngf:
            path = Path(tmp) / f"netG_ngf{ngf}.pth"
            save_reference_generator(path, ngf)
            raw = raw_forward(path, repeats=max(20, args.moves // 2))
            res = measure_area(app, path, args.moves, args.grids, Path(tmp) / "cache")
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
          "targets: slider→view <= 16 ms p50, 16-grid <= 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
