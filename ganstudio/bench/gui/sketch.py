"""Sketch: pen lifted -> output picture set, on a real SketchArea with the bundled sketch model's shape
(the bundled one, else an untrained one of its recipe's shape: unet_small 128x128, ngf 16, z 8)."""

from __future__ import annotations

import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ganstudio.bench.gui.common import TARGETS, Progress, guarded, qapp, stats_ms, wait_until


def bundled_sketch_model() -> Path | None:
    """The bundled sketch model's weights when ganstudio.core.bundled lists one (None otherwise)."""
    try:
        from ganstudio.core.generators.catalogue import list_bundled
    except ImportError:
        return None
    for m in list_bundled():
        if m.kind == "sketch":
            return m.path
    return None


def untrained_sketch_checkpoint(folder: Path) -> Path:
    """A sketch-folder checkpoint with the bundled recipe's shape (`bundled.recipes`: size, widths, latent)
    and its initial weights, for when no bundled model is installed (latency does not depend on weights)."""
    import numpy as np
    from PIL import Image

    from ganstudio.core.bundled.recipes import RECIPES
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    recipe = next(r for r in RECIPES if r.name == "sketch-landscapes")
    pics = folder / "pictures"
    pics.mkdir(parents=True, exist_ok=True)
    for i in range(2):
        Image.fromarray(np.full((recipe.scene_size,) * 2 + (3,), 200 + i, np.uint8)).save(pics / f"{i}.png")
    cfg = preset(recipe.preset).with_overrides([*recipe.overrides, f"data.path={pics}", "train.n_preview=2",
                                                "optim.batch_size=2", "train.device=cpu"])
    trainer = Trainer(cfg, run_dir=folder / "run")
    return trainer.save_checkpoint()


def sketch_shape(config: dict) -> str:
    """'unet_small 128x128, ngf 16, z 8' from a run config dict."""
    m, d = config["model"], config["data"]
    z = f", z {m['variant_z']}" if m.get("variant_z") else ""
    return f"{m['generator']} {d['image_size']}x{d['image_size']}, ngf {m['g_width']}{z}"


def sketch_model(folder: Path) -> tuple[Path, str]:
    """(weights, description): the bundled sketch model, else an untrained one of the same shape."""
    import json

    from ganstudio.core.checkpoint import load_checkpoint

    bundled = bundled_sketch_model()
    if bundled is not None:
        config = json.loads(bundled.with_suffix(".json").read_text(encoding="utf-8"))["config"]
        return bundled, f"bundled {bundled.stem} ({sketch_shape(config)})"
    path = folder / "untrained-sketch"
    ckpt = next(path.glob("run/checkpoints/*.safetensors"), None) if path.exists() else None
    ckpt = ckpt or untrained_sketch_checkpoint(path)
    return ckpt, f"untrained sketch-folder generator ({sketch_shape(load_checkpoint(ckpt).config)})"


def unet_256_pth(folder: Path) -> Path:
    """A pix2pix-reference-layout netG unet_256 state dict (3-channel input, batch norm, ngf 64)."""
    import torch

    from ganstudio.core.models.unet import unet_256

    path = folder / "latest_net_G.pth"
    torch.save(unet_256(3, 3, 64, "batch", use_dropout=True).state_dict(), path)
    return path


def pen_strokes(app, area, strokes: int, moves: int = 10, move_interval_s: float = 1 / 120):
    """Draw `strokes` strokes with QTest mouse events; per stroke the time from the release event to the
    picture being set in the output view, and to its paint. Returns (to_set, to_paint, preview_reused)."""
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
    reused_count = 0
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
        if len(area.release_latencies_ms) == done_before:
            raise RuntimeError(f"no picture within 30 s of lifting the pen: {area.error_text() or 'no error shown'}")
        done = area.last_release_done
        reused = area.last_output_time is None or area.last_output_time < t0  # the live preview had it all
        to_set.append((done - t0) * 1000)
        if not reused:
            area.output.repaint()  # paint now, as the next event-loop turn would
            to_paint.append(((area.output.painted_at or done) - t0) * 1000)
        else:
            to_paint.append((done - t0) * 1000)
            reused_count += 1
        pump(0.15)  # the pen is up for a moment before the next stroke
    return to_set, to_paint, reused_count


def sketch_latency(app, path: Path, mode: str | None, strokes: int, data_dir: Path,
                   device: str | None = None) -> dict[str, Any]:
    """One SketchArea, one model, one mode (None: the model's default): pen lifted -> picture."""
    from ganstudio.qt.sketch.area import SketchArea

    # device=None keeps the area's own choice (CUDA when present, else the CPU)
    area = SketchArea(data_dir=data_dir, autosave_ms=600_000, device=device or "auto")
    try:
        area.resize(1300, 820)
        area.show()
        if area.model_path != str(path):
            area.load_model(path)
        if not wait_until(lambda: area.model_ready and area.output.image() is not None, 180):
            raise RuntimeError(f"the Sketch area did not show a first picture: {area.error_text() or 'timeout'}")
        if device is not None and not area.render_device.startswith(device):  # measure where we say we do
            raise RuntimeError(f"the Sketch area renders on {area.render_device}, not {device}")
        if mode is not None:
            index = area.modeCombo.findData(mode)
            if index < 0:
                raise RuntimeError(f"the model has no '{mode}' mode")
            area.modeCombo.setCurrentIndex(index)
        area.lockCandidate.setChecked(True)  # the chosen variant only, as while drawing
        pen_strokes(app, area, 2)  # warm-up
        area.render_ms.clear()
        to_set, to_paint, reused = pen_strokes(app, area, strokes)
        out = {"mode": area.mode, "device": device or "auto",
               **stats_ms(to_set), "painted_p50_ms": round(statistics.median(to_paint), 2),
               "render_p50_ms": round(statistics.median(area.render_ms), 2) if area.render_ms else None,
               "preview_already_had_stroke": reused}
    finally:
        area.shutdown()
        area.deleteLater()
        app.processEvents()
    return out


def measure_sketch(quick: bool, progress: Progress = lambda s: None, *, folder: Path | None = None,
                   strokes: int | None = None, modes: tuple[str | None, ...] | None = None) -> dict[str, Any]:
    """Pen lifted -> picture on CPU (and CUDA when present) with the bundled-size sketch model."""
    import torch

    app = qapp()
    strokes = strokes or (6 if quick else 30)
    modes = modes or ((None,) if quick else ("eval", "reference"))
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ganstudio-bench-sketch-")))
        path, description = sketch_model(folder)
        out: dict[str, Any] = {"model": description, "strokes": strokes, "torch_threads": torch.get_num_threads()}
        for device in devices:
            for mode in modes:
                progress(f"Sketch: pen lifted -> picture, {device}, {mode or 'default'} mode, {strokes} strokes")
                key = f"{device} {mode or 'default'}"
                out[key] = guarded(lambda: sketch_latency(app, path, mode, strokes, folder / "data", device))
    cpu = [v for k, v in out.items() if k.startswith("cpu ") and "p50_ms" in v]
    out["target"] = TARGETS["sketch"]
    out["met"] = bool(cpu) and all(v["p50_ms"] <= 50 and v["max_ms"] <= 100 for v in cpu)
    return out

