"""A drawing as a user would make one, and contact sheets of the shipped models."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from ganstudio.core.generators.catalogue import (
    list_bundled,
)

log = logging.getLogger(__name__)
from ganstudio.core.bundled.quality import HELD_OUT_SEED, SCENE_SIZE
from ganstudio.core.bundled.recipes import load_bundled_generator

# --- a drawing, as a user would make one ---------------------------------------------------------------------

def demo_sketch_layers(size: int = SCENE_SIZE, sky_rgb: tuple[int, int, int] | None = (60, 120, 230),
                       variant: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canvas layers of a simple drawing: a mountain outline, the horizon, two fir trees, and (when
    `sky_rgb` is given) a colour stroke in the sky and a green one on the ground.

    Returns (lines (H, W) uint8 0/1, hint RGB (3, H, W) uint8, hint mask (H, W) uint8 0/1), as the
    canvas hands them to `sketch.strokes_to_sketch_input`.
    """
    from PIL import Image, ImageDraw

    from ganstudio.core.sketch.encoding import default_hint_size, default_line_width

    s = size / 64.0
    line_img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(line_img)
    w = default_line_width(size)
    peaks = [[(0, 34), (10, 26), (18, 30), (30, 12), (40, 24), (48, 18), (63, 32)],
             [(0, 30), (14, 16), (24, 28), (36, 20), (50, 8), (63, 26)]][variant % 2]
    draw.line([(x * s, y * s) for x, y in peaks], fill=1, width=w)
    draw.line([(0, 38 * s), (size, 38 * s)], fill=1, width=w)  # the horizon
    for cx, base, h in ((12, 50, 14), (20, 54, 11)):
        draw.polygon([(cx * s, (base - h) * s), ((cx - h * 0.3) * s, base * s), ((cx + h * 0.3) * s, base * s)],
                     outline=1)
    lines = (np.asarray(line_img) > 0).astype(np.uint8)
    rgb = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    if sky_rgb is not None:
        hint = Image.new("RGB", (size, size))
        hint_mask = Image.new("L", (size, size), 0)
        width = default_hint_size(size)
        for pts, colour in (([(8, 6), (56, 6)], tuple(sky_rgb)), ([(36, 48), (58, 56)], (70, 130, 60))):
            scaled = [(x * s, y * s) for x, y in pts]
            ImageDraw.Draw(hint).line(scaled, fill=colour, width=width)
            ImageDraw.Draw(hint_mask).line(scaled, fill=1, width=width)
        rgb = np.asarray(hint)
        mask = (np.asarray(hint_mask) > 0).astype(np.uint8)
    return lines, np.ascontiguousarray(rgb.transpose(2, 0, 1)), mask


def demo_sketch_input(size: int = SCENE_SIZE, sky_rgb=(60, 120, 230), variant: int = 0) -> torch.Tensor:
    """The drawing of `demo_sketch_layers` encoded as the sketch model's input (1, 5, H, W)."""
    from ganstudio.core.sketch.encoding import strokes_to_sketch_input

    lines, rgb, mask = demo_sketch_layers(size, sky_rgb, variant)
    return strokes_to_sketch_input(lines, rgb, mask)[None]


# --- contact sheets -------------------------------------------------------------------------------------------

@torch.no_grad()
def contact_sheets(out_dir: str | Path, folder: str | Path | None = None) -> list[Path]:
    """docs/screenshots/bundled-{scenes,digits,sketch,sketch-variants,landscapes}.png from the shipped models."""
    from ganstudio.core.data.scenes import render_scenes
    from ganstudio.core.imaging import make_grid_uint8, save_png, sketch_input_to_rgb, upscale
    from ganstudio.core.sketch.encoding import image_to_sketch_input

    out_dir = Path(out_dir)
    written = []
    scenes = torch.from_numpy(render_scenes(32, 64, seed=HELD_OUT_SEED)).permute(0, 3, 1, 2).float() / 127.5 - 1
    lines = sketch_input_to_rgb(image_to_sketch_input(scenes, n_hints=0))
    rows = torch.cat([torch.cat([scenes[i:i + 8], lines[i:i + 8]]) for i in range(0, 32, 8)])
    written.append(save_png(upscale(make_grid_uint8(rows, nrow=8), 2), out_dir / "bundled-scenes.png"))

    available = {m.name for m in list_bundled(folder)}
    if "digits-conditional" in available:
        G, _, _ = load_bundled_generator("digits-conditional", folder)
        z = torch.randn(100, G.z_dim, generator=torch.Generator().manual_seed(1))
        y = torch.arange(10).repeat(10)  # each row 0..9
        written.append(save_png(upscale(make_grid_uint8(G(z, y), nrow=10), 3), out_dir / "bundled-digits.png"))
    if "sketch-landscapes" in available:
        from ganstudio.core.bundled.quality import held_out_scenes, model_size, translate_variants

        G, _, _ = load_bundled_generator("sketch-landscapes", folder)
        size = model_size(G)
        zoom = max(1, 128 // size)  # the sheet shows 128 px cells whatever the model's size
        real = held_out_scenes(6, size)
        inputs = image_to_sketch_input(real, n_hints=torch.tensor([0, 0, 10, 10, 30, 30]),
                                       generator=torch.Generator().manual_seed(0))
        drawn = torch.cat([demo_sketch_input(size, None), demo_sketch_input(size, (60, 120, 230)),
                           demo_sketch_input(size, (250, 150, 70)), demo_sketch_input(size, (60, 120, 230), 1),
                           demo_sketch_input(size, None, 1), demo_sketch_input(size, (40, 30, 90), 1)])
        shown = []
        for x, target in ((inputs, real), (drawn, None)):
            out = G(x)
            for i in range(x.shape[0]):
                trio = [sketch_input_to_rgb(x[i:i + 1]), out[i:i + 1]]
                trio.append(target[i:i + 1] if target is not None else torch.full_like(out[i:i + 1], -0.8))
                shown.append(torch.cat(trio))
        grid = make_grid_uint8(torch.cat(shown), nrow=6)  # each row: two (input | output | target) trios
        written.append(save_png(upscale(grid, zoom), out_dir / "bundled-sketch.png"))
        # Each row: the input, then the four variants the Sketch strip shows for seeds 0-3.
        picked = torch.cat([inputs[[0, 1, 2]], drawn[[0, 1, 4]]])
        variants = translate_variants(G, picked, [0, 1, 2, 3])
        rows = torch.cat([torch.cat([sketch_input_to_rgb(picked[i:i + 1]), variants[i]]) for i in range(len(picked))])
        written.append(save_png(upscale(make_grid_uint8(rows, nrow=5), zoom), out_dir / "bundled-sketch-variants.png"))
    if "landscapes-dcgan" in available:
        G, _, _ = load_bundled_generator("landscapes-dcgan", folder)
        z = torch.randn(32, G.z_dim, generator=torch.Generator().manual_seed(2))
        written.append(save_png(upscale(make_grid_uint8(G(z), nrow=8), 2), out_dir / "bundled-landscapes.png"))
    return written



