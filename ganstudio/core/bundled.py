"""The models that ship with GAN Studio: catalogue, loader, quality numbers and the recipe that builds them.

A fresh install has no data and no network, yet its Explore and Sketch areas open with models that do
something: three generators trained by GAN Studio's own `Trainer` on data the app carries or paints.

    sketch-landscapes   sketch + colour hints -> 64x64 landscape (U-Net, pix2pix), for the Sketch area
    digits-conditional  class-conditional DCGAN of the bundled handwritten digits (32x32), Explore area
    landscapes-dcgan    unconditional DCGAN of 64x64 procedural landscapes, Explore area

The landscapes come from `ganstudio.core.data.scenes`, written to a temporary folder of PNG files and
read back through the same folder and auto-pairing code (`sketch.image_to_sketch_input`) that users'
own photos go through.

Files: resources/models/NAME.safetensors + NAME.json, installed as the package ganstudio.resources and
found through importlib.resources. Each is a GAN Studio checkpoint stripped for shipping: generator
weights only (the EMA weights when the run kept them, stored as part "G"), in float16, with the run's
config and this module's metadata (title, kind, recipe, measured quality) in the JSON. Any checkpoint
reader of the app (`generator_from_checkpoint`, the explorer, the Sketch area) opens them.

Rebuild every bundled model from scratch (no network; about an hour on a 2-core CPU):

    python -m ganstudio.core.bundled build               # into resources/models/
    python -m ganstudio.core.bundled build --quick --out /tmp/models   # seconds: a smoke test
    python -m ganstudio.core.bundled evaluate            # re-measure the shipped models
    python -m ganstudio.core.bundled sheets --out docs/screenshots   # contact sheets

The recipe (`RECIPES`) fixes data, steps and seeds; docs/QUALITY.md records times and numbers.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.errors import CheckpointError, ModelError

log = logging.getLogger(__name__)

KINDS = ("sketch", "conditional", "unconditional")
MODELS_FOLDER = "models"  # under resources/ (ganstudio.resources when installed)
SHIP_DTYPE = torch.float16
HELD_OUT_SEED = 1_000_000  # procedural scenes from this seed on are never trained on
BUILD_COMMAND = "python -m ganstudio.core.bundled build"


@dataclass(frozen=True)
class BundledModel:
    """One shipped model: `name` is the file stem under resources/models/."""

    name: str
    title: str
    kind: str  # sketch | conditional | unconditional
    description: str

    @property
    def path(self) -> Path:
        """The weights file (which may be missing in a checkout that has not built the models)."""
        return bundled_folder() / f"{self.name}.safetensors"


CATALOGUE: tuple[BundledModel, ...] = (
    BundledModel(
        "sketch-landscapes", "Landscape from a sketch", "sketch",
        "Draw mountain outlines, the horizon and trees, dab a few colours; a pix2pix U-Net paints a 64x64 "
        "landscape. Trained on procedural landscapes through the same auto-pairing as your photos.",
    ),
    BundledModel(
        "digits-conditional", "Handwritten digits 0-9", "conditional",
        "Class-conditional DCGAN trained on the bundled UCI handwritten digits (32x32): pick a digit, get a "
        "handwritten one.",
    ),
    BundledModel(
        "landscapes-dcgan", "Procedural landscapes", "unconditional",
        "DCGAN generator of 64x64 procedural landscapes (sky, mountains, lakes, trees): explore its latent "
        "space, interpolate, edit.",
    ),
)
_BY_NAME = {m.name: m for m in CATALOGUE}


def bundled_folder() -> Path:
    """resources/models/ of the installed package (importlib.resources) or of the source checkout."""
    from ganstudio.core.resources import resource_path

    return resource_path(MODELS_FOLDER)


def catalogue_entry(name: str) -> BundledModel:
    if name not in _BY_NAME:
        raise ModelError(f"there is no bundled model '{name}'; bundled models are {', '.join(_BY_NAME)}.")
    return _BY_NAME[name]


def list_bundled(folder: str | Path | None = None) -> list[BundledModel]:
    """The bundled models whose weights are installed, in catalogue order (sketch, digits, landscapes)."""
    folder = Path(folder) if folder is not None else bundled_folder()
    return [m for m in CATALOGUE if (folder / f"{m.name}.safetensors").is_file()]


def load_bundled_generator(name: str, folder: str | Path | None = None, device: str | torch.device = "cpu"):
    """(G, config, meta) for a bundled model: a float32 generator in eval mode, its RunConfig and the
    metadata of its file (title, kind, recipe, quality, ...).

    `folder` overrides where the files are looked for (tests and `build --out`); by default they are
    found through importlib.resources.
    """
    from ganstudio.core.trainer import generator_from_checkpoint

    entry = catalogue_entry(name)
    path = (Path(folder) if folder is not None else bundled_folder()) / f"{entry.name}.safetensors"
    if not path.is_file():
        raise CheckpointError(
            f"the bundled model file {path} is missing; reinstall GAN Studio or rebuild it with "
            f"'{BUILD_COMMAND}'."
        )
    G, cfg, ckpt = generator_from_checkpoint(path, use_ema=True, device=device)
    G.float().eval()
    return G, cfg, ckpt.meta


# --- the recipe --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """How one bundled model is trained: a preset, overrides, data and steps (full and --quick)."""

    name: str
    preset: str
    overrides: tuple[str, ...]
    steps: int
    quick_steps: int
    scenes: int = 0  # procedural training scenes (seeds 0 .. scenes-1); 0: the preset's own data
    quick_scenes: int = 0
    seed: int = 0

    def config(self, data_path: str | None, quick: bool, samples: bool = False):
        from ganstudio.core.config import preset

        steps = self.quick_steps if quick else self.steps
        sample_every = max(1, steps // 10) if samples else 0
        sets = [f"name={self.name}", *self.overrides, f"train.steps={steps}", f"train.seed={self.seed}",
                "train.device=cpu", f"train.sample_every={sample_every}", "train.eval_every=0",
                "train.checkpoint_every=0",
                f"train.log_every={min(100, steps)}"]  # --quick: one log line (each costs a sliced-W sample)
        if data_path is not None:
            sets.append(f"data.path={data_path}")
        return preset(self.preset).with_overrides(sets)

    def describe(self, quick: bool = False) -> dict[str, Any]:
        return {
            "command": BUILD_COMMAND + (" --quick" if quick else ""),
            "preset": self.preset, "overrides": list(self.overrides),
            "steps": self.quick_steps if quick else self.steps, "seed": self.seed,
            "training_scenes": (self.quick_scenes if quick else self.scenes) or None,
        }


SCENE_SIZE = 64
RECIPES: tuple[Recipe, ...] = (
    Recipe("digits-conditional", "digits-cdcgan", (), steps=3000, quick_steps=1),
    Recipe("sketch-landscapes", "sketch-folder", ("optim.lr_decay=linear",),
           steps=2500, quick_steps=1, scenes=1500, quick_scenes=8),
    Recipe("landscapes-dcgan", "digits-dcgan",
           ("data.kind=folder", f"data.image_size={SCENE_SIZE}", "data.channels=3", "model.z_dim=100",
            "model.g_width=32", "model.d_width=32", "optim.batch_size=32", "tricks.ema=0.999",
            # Without these the discriminator wins at once on these smooth pictures (it spots the
            # generator's early checkerboard noise) and the generator stays a grey blur for hundreds of steps.
            "tricks.instance_noise=0.2", "tricks.label_smoothing=0.1"),
           steps=2500, quick_steps=1, scenes=1500, quick_scenes=8),
)
_RECIPES = {r.name: r for r in RECIPES}


def ship_checkpoint(ckpt, entry: BundledModel, recipe: dict[str, Any], quality: dict[str, Any],
                    out_dir: str | Path) -> Path:
    """Write the shipping form of a training checkpoint: generator (EMA) weights in float16 + metadata."""
    from ganstudio.core.checkpoint import Checkpoint, save_checkpoint

    source = "G_ema" if "G_ema" in ckpt.states else "G"
    weights = {k: (v.to(SHIP_DTYPE) if v.is_floating_point() else v) for k, v in ckpt.states[source].items()}
    config = json.loads(json.dumps(ckpt.meta["config"]))
    config["data"]["path"] = None  # the temporary training folder is gone; the architecture is all that matters
    config["train"]["device"] = "auto"
    meta = {
        "name": entry.name, "title": entry.title, "kind": entry.kind, "description": entry.description,
        "bundled": True, "weights": source, "dtype": str(SHIP_DTYPE).replace("torch.", ""),
        "config": config, "step": ckpt.meta["step"], "task": ckpt.meta["task"],
        "n_classes": ckpt.meta["n_classes"], "wall_time": round(float(ckpt.meta["wall_time"]), 1),
        "recipe": recipe, "quality": quality,
        "ganstudio_version": ckpt.meta.get("ganstudio_version"), "torch_version": torch.__version__,
        "machine": machine_description(),
    }
    return save_checkpoint(Path(out_dir) / f"{entry.name}.safetensors", Checkpoint(states={"G": weights}, meta=meta))


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}"


def build(out_dir: str | Path | None = None, quick: bool = False, only: list[str] | None = None,
          progress: Callable[[str], None] | None = None, runs: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Train every bundled model (or those named in `only`) from scratch and write them to `out_dir`.

    `runs`: keep each model's run folder there (config, metrics.jsonl, a sample grid every tenth of the
    run) to watch a build; by default nothing but the shipped files is written.

    Returns {name: {"path", "seconds", "steps", "quality"}}. `quick` trains a few steps on a few scenes
    (a smoke test of the whole path, seconds long; the weights are useless).
    """
    from ganstudio.core.checkpoint import load_checkpoint  # noqa: F401  (fail early on a broken install)
    from ganstudio.core.data.scenes import render_scene_folder
    from ganstudio.core.trainer import Trainer

    say = progress or (lambda text: None)
    out_dir = Path(out_dir) if out_dir is not None else bundled_folder()
    names = only or [r.name for r in RECIPES]
    for name in names:
        catalogue_entry(name)
        if name not in _RECIPES:
            raise ModelError(f"bundled model '{name}' has no build recipe.")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ganstudio-bundled-") as tmp:
        scene_folders: dict[int, Path] = {}
        for name in names:
            recipe, entry = _RECIPES[name], _BY_NAME[name]
            data_path = None
            n_scenes = recipe.quick_scenes if quick else recipe.scenes
            if n_scenes:
                if n_scenes not in scene_folders:
                    t0 = time.perf_counter()
                    scene_folders[n_scenes] = render_scene_folder(Path(tmp) / f"scenes{n_scenes}", n_scenes,
                                                                  SCENE_SIZE, seed=0)
                    say(f"rendered {n_scenes} training scenes in {time.perf_counter() - t0:.1f} s")
                data_path = str(scene_folders[n_scenes])
            cfg = recipe.config(data_path, quick, samples=runs is not None)
            total = cfg.train.steps

            def report(event, name=name, total=total):
                if event.kind == "scalars":
                    d = event.data
                    shown = ", ".join(f"{k} {d[k]:.3f}" for k in ("d_loss", "g_loss", "l1", "sliced_w") if k in d)
                    say(f"{name}: step {event.step}/{total}  {d['wall_time']:.0f} s  {d['it_s']:.2f} it/s  {shown}")
                elif event.kind in ("warning", "error"):
                    say(f"{name}: {event.kind}: {event.data.get('message')}")

            say(f"{name}: training {total} steps ({cfg.model.generator}, {cfg.objective.loss}, data {cfg.data.kind})")
            trainer = Trainer(cfg, run_dir=Path(runs) / name if runs is not None else None, report=report)
            t0 = time.perf_counter()
            trainer.run()
            seconds = time.perf_counter() - t0
            ckpt = trainer.checkpoint()
            # Quality is measured on the generator exactly as shipped (float16 weights read back).
            with tempfile.TemporaryDirectory(prefix="ganstudio-ship-") as staging:
                ship_checkpoint(ckpt, entry, recipe.describe(quick), {}, staging)
                G, _, _ = load_bundled_generator(name, folder=staging)
                say(f"{name}: measuring quality")
                quality = evaluate_generator(name, G, quick=quick)
            quality["train_seconds"] = round(seconds, 1)
            path = ship_checkpoint(ckpt, entry, recipe.describe(quick), quality, out_dir)
            say(f"{name}: {json.dumps(quality)}")
            say(f"{name}: wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
            results[name] = {"path": str(path), "seconds": round(seconds, 1), "steps": trainer.step_count,
                             "quality": quality}
    return results


# --- quality -------------------------------------------------------------------------------------------------

def evaluate_generator(name: str, G: torch.nn.Module, quick: bool = False) -> dict[str, Any]:
    """Honest numbers for one bundled generator (see docs/QUALITY.md for what each means)."""
    if name == "digits-conditional":
        return digits_quality(G, per_class=10 if quick else 100, classifier_steps=30 if quick else 1500)
    if name == "sketch-landscapes":
        return sketch_quality(G, n=8 if quick else 100)
    if name == "landscapes-dcgan":
        return scenes_quality(G, n=16 if quick else 1000)
    raise ModelError(f"no quality measure for '{name}'.")


class DigitClassifier(torch.nn.Module):
    """A small CNN for 32x32 grey digits in [-1, 1] (the judge of the conditional digits model)."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 64, 3, 2, 1), torch.nn.ReLU(),
            torch.nn.Flatten(), torch.nn.Linear(64 * 16, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def train_digit_classifier(steps: int = 1500, seed: int = 0, held_out: float = 0.2):
    """(classifier in eval mode, accuracy on held-out real digits) from the bundled digits at 32x32.

    Random shifts of up to 2 pixels make it judge shapes rather than exact positions.
    """
    from ganstudio.core.data import load_digits

    digits = load_digits(size=32)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(digits), generator=g)
    n_test = int(len(digits) * held_out)
    test, train = order[:n_test], order[n_test:]
    x_train, y_train = digits.images[train], digits.labels[train]
    torch.manual_seed(seed)
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    with torch.enable_grad():
        _fit(model, opt, x_train, y_train, steps, g)
    model.eval()
    with torch.no_grad():
        accuracy = float((model(digits.images[test]).argmax(1) == digits.labels[test]).float().mean())
    return model, accuracy


def _fit(model, opt, x_train: torch.Tensor, y_train: torch.Tensor, steps: int, g: torch.Generator) -> None:
    for _ in range(steps):
        idx = torch.randint(0, len(x_train), (64,), generator=g)
        x = x_train[idx]
        dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
        x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
        loss = F.cross_entropy(model(x), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


@torch.no_grad()
def digits_quality(G: torch.nn.Module, per_class: int = 100, classifier_steps: int = 1500, seed: int = 0,
                   classifier=None) -> dict[str, Any]:
    """Accuracy of a small CNN (trained on real digits) on generated digits, per requested class."""
    if classifier is None:
        classifier, real_accuracy = train_digit_classifier(classifier_steps, seed=seed)
    else:
        real_accuracy = None
    g = torch.Generator().manual_seed(seed + 1)
    y = torch.arange(10).repeat_interleave(per_class)
    z = torch.randn(len(y), G.z_dim, generator=g)
    fake = G(z, y)
    hits = (classifier(fake).argmax(1) == y).float()
    per = hits.view(10, per_class).mean(1)
    return {
        "classifier_real_accuracy": None if real_accuracy is None else round(real_accuracy, 4),
        "generated_accuracy": round(float(hits.mean()), 4),
        "generated_accuracy_per_class": [round(float(v), 3) for v in per],
        "samples_per_class": per_class,
        "pixel_std_over_samples": round(float(fake.std(0).mean()), 4),
    }


def held_out_scenes(n: int, size: int = SCENE_SIZE) -> torch.Tensor:
    """n procedural scenes never trained on (seeds from HELD_OUT_SEED), float32 (n, 3, size, size) in [-1, 1]."""
    from ganstudio.core.data.scenes import render_scenes

    pixels = render_scenes(n, size, seed=HELD_OUT_SEED)
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB between images in [-1, 1], measured on the [0, 1] scale."""
    mse = (((a.clamp(-1, 1) - b.clamp(-1, 1)) / 2) ** 2).flatten(1).mean(1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


@torch.no_grad()
def sketch_quality(G: torch.nn.Module, n: int = 100, batch: int = 25) -> dict[str, Any]:
    """Held-out L1 and PSNR of the sketch model on n unseen procedural scenes, through the auto-pairing code.

    Settings: lines only; 10 colour hints; and a mean-image baseline (what predicting the average
    training scene scores), so the numbers have a scale.
    """
    from ganstudio.core.sketch import image_to_sketch_input

    real = held_out_scenes(n)
    result: dict[str, Any] = {"held_out_scenes": n, "held_out_seeds": f"{HELD_OUT_SEED}..{HELD_OUT_SEED + n - 1}"}
    for label, hints in (("lines_only", 0), ("hints10", 10)):
        g = torch.Generator().manual_seed(0)
        inputs = image_to_sketch_input(real, n_hints=hints, generator=g)
        out = torch.cat([G(inputs[i:i + batch]) for i in range(0, n, batch)])
        result[f"l1_{label}"] = round(float((out - real).abs().mean()), 4)
        result[f"psnr_{label}"] = round(float(psnr(out, real).mean()), 2)
    mean_image = real.mean(0, keepdim=True).expand_as(real)
    result["l1_mean_image_baseline"] = round(float((mean_image - real).abs().mean()), 4)
    result["psnr_mean_image_baseline"] = round(float(psnr(mean_image, real).mean()), 2)
    return result


@torch.no_grad()
def scenes_quality(G: torch.nn.Module, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Sliced Wasserstein distance (pixels, [-1, 1]) between n generated and n held-out scenes, with the
    real-vs-real floor and an untrained generator's distance as the scale."""
    from ganstudio.core import metrics

    real = held_out_scenes(2 * n) if n > 0 else None
    real_a, real_b = real[:n], real[n:]
    g = torch.Generator().manual_seed(seed)
    fake = torch.cat([G(torch.randn(min(200, n - i), G.z_dim, generator=g)) for i in range(0, n, 200)])

    def sw(a, b):
        return round(metrics.sliced_wasserstein(a.flatten(1), b.flatten(1), n_projections=512,
                                                generator=torch.Generator().manual_seed(seed + 7)), 4)

    untrained = _untrained_like(G)
    fresh = untrained(torch.randn(n, G.z_dim, generator=g))
    return {
        "sliced_w": sw(fake, real_a),
        "sliced_w_real_vs_real": sw(real_b, real_a),
        "sliced_w_untrained": sw(fresh, real_a),
        "samples": n,
        "pixel_std_over_samples": round(float(fake.std(0).mean()), 4),
        "pixel_std_real": round(float(real_a.std(0).mean()), 4),
    }


def _untrained_like(G: torch.nn.Module) -> torch.nn.Module:
    import copy

    from ganstudio.core.models.layers import dcgan_init_

    torch.manual_seed(0)
    fresh = copy.deepcopy(G)
    dcgan_init_(fresh)
    for m in fresh.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
    return fresh.train()  # fresh BatchNorm statistics come from the batch


# --- a drawing, as a user would make one ---------------------------------------------------------------------

def demo_sketch_layers(size: int = SCENE_SIZE, sky_rgb: tuple[int, int, int] | None = (60, 120, 230),
                       variant: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canvas layers of a simple drawing: a mountain outline, the horizon, two fir trees, and (when
    `sky_rgb` is given) a colour stroke in the sky and a green one on the ground.

    Returns (lines (H, W) uint8 0/1, hint RGB (3, H, W) uint8, hint mask (H, W) uint8 0/1), as the
    canvas hands them to `sketch.strokes_to_sketch_input`.
    """
    from PIL import Image, ImageDraw

    from ganstudio.core.sketch import default_hint_size, default_line_width

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
    from ganstudio.core.sketch import strokes_to_sketch_input

    lines, rgb, mask = demo_sketch_layers(size, sky_rgb, variant)
    return strokes_to_sketch_input(lines, rgb, mask)[None]


# --- contact sheets -------------------------------------------------------------------------------------------

@torch.no_grad()
def contact_sheets(out_dir: str | Path, folder: str | Path | None = None) -> list[Path]:
    """docs/screenshots/bundled-{scenes,digits,sketch,landscapes}.png from the shipped models."""
    from ganstudio.core.data.scenes import render_scenes
    from ganstudio.core.imaging import make_grid_uint8, save_png, sketch_input_to_rgb
    from ganstudio.core.sketch import image_to_sketch_input

    out_dir = Path(out_dir)
    written = []
    scenes = torch.from_numpy(render_scenes(32, 64, seed=HELD_OUT_SEED)).permute(0, 3, 1, 2).float() / 127.5 - 1
    lines = sketch_input_to_rgb(image_to_sketch_input(scenes, n_hints=0))
    rows = torch.cat([torch.cat([scenes[i:i + 8], lines[i:i + 8]]) for i in range(0, 32, 8)])
    written.append(save_png(_enlarge(make_grid_uint8(rows, nrow=8), 2), out_dir / "bundled-scenes.png"))

    available = {m.name for m in list_bundled(folder)}
    if "digits-conditional" in available:
        G, _, _ = load_bundled_generator("digits-conditional", folder)
        z = torch.randn(100, G.z_dim, generator=torch.Generator().manual_seed(1))
        y = torch.arange(10).repeat(10)  # each row 0..9
        written.append(save_png(_enlarge(make_grid_uint8(G(z, y), nrow=10), 3), out_dir / "bundled-digits.png"))
    if "sketch-landscapes" in available:
        G, _, _ = load_bundled_generator("sketch-landscapes", folder)
        real = scenes[:6]
        inputs = image_to_sketch_input(real, n_hints=torch.tensor([0, 0, 10, 10, 30, 30]),
                                       generator=torch.Generator().manual_seed(0))
        drawn = torch.cat([demo_sketch_input(64, None), demo_sketch_input(64, (60, 120, 230)),
                           demo_sketch_input(64, (250, 150, 70)), demo_sketch_input(64, (60, 120, 230), 1),
                           demo_sketch_input(64, None, 1), demo_sketch_input(64, (40, 30, 90), 1)])
        shown = []
        for x, target in ((inputs, real), (drawn, None)):
            out = G(x)
            for i in range(x.shape[0]):
                trio = [sketch_input_to_rgb(x[i:i + 1]), out[i:i + 1]]
                trio.append(target[i:i + 1] if target is not None else torch.full_like(out[i:i + 1], -0.8))
                shown.append(torch.cat(trio))
        grid = make_grid_uint8(torch.cat(shown), nrow=6)  # each row: two (input | output | target) trios
        written.append(save_png(_enlarge(grid, 2), out_dir / "bundled-sketch.png"))
    if "landscapes-dcgan" in available:
        G, _, _ = load_bundled_generator("landscapes-dcgan", folder)
        z = torch.randn(32, G.z_dim, generator=torch.Generator().manual_seed(2))
        written.append(save_png(_enlarge(make_grid_uint8(G(z), nrow=8), 2), out_dir / "bundled-landscapes.png"))
    return written


def _enlarge(picture: np.ndarray, factor: int) -> np.ndarray:
    return picture.repeat(factor, axis=0).repeat(factor, axis=1)


# --- command line ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ganstudio.core.bundled", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="train the bundled models from scratch")
    b.add_argument("--quick", action="store_true", help="a few steps on a few scenes: a smoke test, not a model")
    b.add_argument("--out", default=None, help="folder for the weights (default: resources/models)")
    b.add_argument("--only", action="append", choices=[r.name for r in RECIPES], help="build only this model")
    b.add_argument("--runs", default=None, help="keep run folders (metrics, sample grids) under this folder")
    b.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (1 is fastest on a machine busy with other work)")
    e = sub.add_parser("evaluate", help="measure the quality of the installed bundled models")
    e.add_argument("--folder", default=None)
    s = sub.add_parser("sheets", help="write contact sheets of scenes and of each model's outputs")
    s.add_argument("--out", default="docs/screenshots")
    s.add_argument("--folder", default=None)
    sub.add_parser("list", help="list the installed bundled models")
    args = ap.parse_args(argv)

    def say(text: str) -> None:
        print(text, flush=True)

    if args.command == "build":
        if args.threads:
            torch.set_num_threads(args.threads)
        t0 = time.perf_counter()
        results = build(args.out, quick=args.quick, only=args.only, progress=say, runs=args.runs)
        say(f"built {len(results)} model(s) in {time.perf_counter() - t0:.0f} s on {machine_description()}")
        say(json.dumps(results, indent=2))
    elif args.command == "evaluate":
        for m in list_bundled(args.folder):
            G, _, meta = load_bundled_generator(m.name, args.folder)
            say(f"{m.name}: {json.dumps(evaluate_generator(m.name, G))}")
    elif args.command == "sheets":
        for path in contact_sheets(args.out, args.folder):
            say(f"wrote {path}")
    else:
        for m in list_bundled():
            say(f"{m.name:20s} {m.kind:14s} {m.title}  ({m.path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
