"""How each bundled model is trained from scratch and shipped (float16 generator weights + metadata)."""

from __future__ import annotations

import json
import logging
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ganstudio.core.errors import CheckpointError, ModelError
from ganstudio.core.generators.catalogue import (
    _BY_NAME,
    BUILD_COMMAND,
    BundledModel,
    bundled_folder,
    catalogue_entry,
)

log = logging.getLogger(__name__)
from ganstudio.core.bundled.quality import SCENE_SIZE, evaluate_generator

SHIP_DTYPE = torch.float16


def load_bundled_generator(name: str, folder: str | Path | None = None, device: str | torch.device = "cpu"):
    """(G, config, meta) for a bundled model: a float32 generator in eval mode, its RunConfig and the
    metadata of its file (title, kind, recipe, quality, ...).

    `folder` overrides where the files are looked for (tests and `build --out`); by default they are
    found through importlib.resources.
    """
    from ganstudio.core.models.from_config import generator_from_checkpoint

    entry = catalogue_entry(name)
    path = (Path(folder) if folder is not None else bundled_folder()) / f"{entry.name}.safetensors"
    if not path.is_file():
        raise CheckpointError(
            f"the bundled model file {path} is missing; reinstall GAN Studio or rebuild it with "
            f"'{BUILD_COMMAND}'."
        )
    G, cfg, ckpt = generator_from_checkpoint(path, use_ema=True, device=device)
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
    scene_size: int = SCENE_SIZE  # pixels of the rendered training scenes

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
            "scene_size": self.scene_size if self.scenes else None,
        }


RECIPES: tuple[Recipe, ...] = (
    Recipe("digits-conditional", "digits-cdcgan", (), steps=3000, quick_steps=1),
    # 128 px with a latent input (8 dims, BicycleGAN-style, tiled onto the input) and the diversity-sensitive
    # term, so that variants differ; no dropout (z is the noise). ngf 16 for pen-up -> picture within 50 ms
    # on a 2-core CPU (benchmarks/sketch_latency.py); ndf 16 halves a step (D's stride-1 layer dominates at
    # 128 px). The first latent of each pair is z = 0 with the full L1 (the picture the Sketch area shows),
    # the second a random one with a quarter of it, pushed away from the first; 8 inputs a step.
    Recipe("sketch-landscapes", "sketch-folder",
           ("data.image_size=128", "model.g_width=16", "model.d_width=16", "model.dropout=false", "model.variant_z=8",
            "tricks.diversity=20", "tricks.diversity_clip=0.3", "tricks.diversity_anchor=true",
            "tricks.variant_l1=0.25", "optim.batch_size=16", "optim.lr_decay=linear"),
           steps=4800, quick_steps=1, scenes=1500, quick_scenes=8, scene_size=128),
    Recipe("landscapes-dcgan", "digits-dcgan",
           ("data.kind=folder", f"data.image_size={SCENE_SIZE}", "data.channels=3", "model.z_dim=100",
            "model.g_width=32", "model.d_width=32", "optim.batch_size=32", "tricks.ema=0.999",
            # Without these the discriminator wins at once on these smooth pictures (it spots the
            # generator's early checkerboard noise) and the generator stays a grey blur for hundreds of steps.
            "tricks.instance_noise=0.2", "tricks.label_smoothing=0.1"),
           steps=2500, quick_steps=1, scenes=1500, quick_scenes=8),
)
_RECIPES = {r.name: r for r in RECIPES}

# Recipes tried as successors of a shipped model, built with `build --candidate` (never by default, so that
# RECIPES always makes the files that ship); docs/QUALITY.md has how each measured against the shipped one.
CANDIDATES: dict[str, Recipe] = {}  # none being tried now (the 128 px sketch model with z was one; it ships)


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
          progress: Callable[[str], None] | None = None, runs: str | Path | None = None,
          minutes: float | None = None, scene_cache: str | Path | None = None,
          candidate: bool = False) -> dict[str, dict[str, Any]]:
    """Train every bundled model (or those named in `only`) from scratch and write them to `out_dir`.

    `runs`: keep each model's run folder there (config, metrics.jsonl, a sample grid every tenth of the
    run) to watch a build; by default nothing but the shipped files is written.
    `minutes`: stop each model's training after this many minutes of training, between two steps, and ship
    what it learned (the shipped metadata says so: `recipe.time_limit_minutes`, and `step` is the steps
    trained); on a busy machine the result then depends on its speed.
    `candidate`: build the models that have one from their CANDIDATES recipe instead (a successor being
    tried; the shipped files come from RECIPES).
    `scene_cache`: render the procedural scenes into this folder once and reuse them in later builds (the
    same seeds and size give the same pictures); by default they live in a temporary folder.

    Returns {name: {"path", "seconds", "steps", "quality"}}. `quick` trains a few steps on a few scenes
    (a smoke test of the whole path, seconds long; the weights are useless).
    """
    from ganstudio.core.checkpoint import load_checkpoint  # noqa: F401  (fail early on a broken install)
    from ganstudio.core.data.scenes import render_scene_folder
    from ganstudio.core.train.trainer import Trainer

    say = progress or (lambda text: None)
    out_dir = Path(out_dir) if out_dir is not None else bundled_folder()
    names = only or [r.name for r in RECIPES]
    for name in names:
        catalogue_entry(name)
        if name not in _RECIPES:
            raise ModelError(f"bundled model '{name}' has no build recipe.")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ganstudio-bundled-") as tmp:
        scene_folders: dict[tuple[int, int], Path] = {}
        for name in names:
            recipe, entry = (CANDIDATES.get(name) if candidate else None) or _RECIPES[name], _BY_NAME[name]
            data_path = None
            n_scenes = recipe.quick_scenes if quick else recipe.scenes
            if n_scenes:
                key = (n_scenes, recipe.scene_size)
                if key not in scene_folders:
                    t0 = time.perf_counter()
                    where = Path(scene_cache) if scene_cache is not None else Path(tmp)
                    folder = where / f"scenes{n_scenes}_{recipe.scene_size}"
                    if scene_cache is not None and len(list(folder.glob("scene_*.png"))) == n_scenes:
                        say(f"reusing {n_scenes} training scenes ({recipe.scene_size} px) in {folder}")
                    else:
                        render_scene_folder(folder, n_scenes, recipe.scene_size, seed=0)
                        say(f"rendered {n_scenes} training scenes ({recipe.scene_size} px) in "
                            f"{time.perf_counter() - t0:.1f} s")
                    scene_folders[key] = folder
                data_path = str(scene_folders[key])
            cfg = recipe.config(data_path, quick, samples=runs is not None)
            total = cfg.train.steps

            def report(event, name=name, total=total):
                if event.kind == "scalars":
                    d = event.data
                    shown = ", ".join(f"{k} {d[k]:.3f}" for k in ("d_loss", "g_loss", "l1", "diversity", "sliced_w")
                                      if k in d)
                    say(f"{name}: step {event.step}/{total}  {d['wall_time']:.0f} s  {d['it_s']:.2f} it/s  {shown}")
                elif event.kind in ("warning", "error"):
                    say(f"{name}: {event.kind}: {event.data.get('message')}")

            say(f"{name}: training {total} steps ({cfg.model.generator}, {cfg.objective.loss}, data {cfg.data.kind})")
            trainer = Trainer(cfg, run_dir=Path(runs) / name if runs is not None else None, report=report)
            t0 = time.perf_counter()
            limit = None if minutes is None else t0 + 60 * float(minutes)
            trainer.run(should_stop=None if limit is None else (lambda limit=limit: time.perf_counter() > limit))
            seconds = time.perf_counter() - t0
            if trainer.step_count < total:
                say(f"{name}: stopped at step {trainer.step_count}/{total} (the {minutes:g}-minute limit)")
            ckpt = trainer.checkpoint()
            described = recipe.describe(quick)
            if minutes is not None:
                described["time_limit_minutes"] = float(minutes)
                described["steps_trained"] = trainer.step_count
            # Quality is measured on the generator exactly as shipped (float16 weights read back).
            with tempfile.TemporaryDirectory(prefix="ganstudio-ship-") as staging:
                ship_checkpoint(ckpt, entry, described, {}, staging)
                G, _, _ = load_bundled_generator(name, folder=staging)
                say(f"{name}: measuring quality")
                quality = evaluate_generator(name, G, quick=quick)
            quality["train_seconds"] = round(seconds, 1)
            path = ship_checkpoint(ckpt, entry, described, quality, out_dir)
            say(f"{name}: {json.dumps(quality)}")
            say(f"{name}: wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
            results[name] = {"path": str(path), "seconds": round(seconds, 1), "steps": trainer.step_count,
                             "quality": quality}
    return results


