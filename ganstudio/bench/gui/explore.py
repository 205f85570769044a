"""Explore: direction slider -> large view set (one move at a time, and a 60 Hz drag) and Reseed ->
16-sample grid set, on a real ExplorerArea with 64x64 DCGAN generators; forward + uint8 without Qt for
reference."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ganstudio.bench.gui.common import TARGETS, Progress, guarded, qapp, stats_ms, wait_until


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
        return wait_until(cond, timeout_s, poll_ms=25, wake=self.area.partsDrawn)

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
        device = area.render_device
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
            "grid_render": grid_render, "first_grid_s": first_grid_s, "directions_s": directions_s, "device": device}


def measure_explorer(quick: bool, progress: Progress = lambda s: None, *, ngfs: tuple[int, ...] | None = None,
                     moves: int | None = None, grids: int | None = None, drag_moves: int | None = None,
                     direction_samples: int | None = None) -> dict[str, Any]:
    """Slider -> view and Reseed -> 16-grid on 64x64 DCGAN generators, rendered where the area's own device
    choice puts them (CUDA when present, else the CPU; "device" in the result says which)."""
    import torch

    app = qapp()
    ngfs = ngfs or ((64,) if quick else (64, 32))
    moves = moves or (12 if quick else 100)
    grids = grids or (5 if quick else 30)
    direction_samples = direction_samples or 3000  # the area's own default
    out: dict[str, Any] = {"model": "64x64 DCGAN, z 100, pytorch/examples layout, random weights",
                           "device": "auto", "moves": moves, "grids": grids,  # the area's device, once loaded
                           "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-explore-") as tmp:
        for ngf in ngfs:
            progress(f"Explore: ngf {ngf}, {moves} slider moves, {grids} Reseeds")

            def one(ngf=ngf) -> dict[str, Any]:
                path = Path(tmp) / f"netG_ngf{ngf}.pth"
                save_reference_generator(path, ngf)
                raw = raw_forward(path, repeats=max(5, moves // 2))
                res = explore_latency(app, path, moves, grids, Path(tmp) / "cache", drag_moves, direction_samples)
                out["device"] = res["device"]
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
    out["met_grid"] = "grid16" in head and head["grid16"]["p50_ms"] <= 40
    return out

