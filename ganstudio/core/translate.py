"""Apply a sketch / pix2pix generator to a sketch or a picture (no Qt): the engine of the Sketch area
and of `ganstudio translate`.

Three kinds of generator load through `load_generator(path)`:

- GAN Studio checkpoints of paired runs: `data.kind = autopair` models take the 5-channel sketch input
  of `ganstudio.core.sketch` (input kind "sketch"); `data.kind = paired` models take a 3-channel
  picture (input kind "image"), to which a drawing is fed as black lines on white paper, the way
  edges2shoes-style data looks.
- `.pth` state dicts saved by pytorch-CycleGAN-and-pix2pix (netG unet_128 / unet_256 ...), imported
  safely by `importers.import_pix2pix_generator` (input kind "image" for 3 input channels).
- Unconditional GAN Studio generators (input kind "latent"), which the Sketch area steers with the
  iGAN-style latent optimisation of `ganstudio.core.editing` instead of translating.

Two ways to run a translation generator:

- "eval": deterministic; batch norm uses its running statistics and dropout is off (model.eval()).
- "reference": what the pix2pix reference's test.py does without `--eval` (it never calls eval()):
  batch norm normalises each image with its own statistics (the test batch size is 1) and dropout
  stays on. Dropout masks are drawn from per-image seeds, so a variant depends only on its seed and
  the sketch, never on which other variants were computed in the same batch. Running statistics are
  left untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.errors import CheckpointError, GanStudioError, ModelError

log = logging.getLogger(__name__)

MODES = ("eval", "reference")
INPUT_SKETCH = "sketch"  # 5 channels: lines, hint RGB, hint mask
INPUT_IMAGE = "image"  # 3-channel picture
INPUT_LATENT = "latent"  # unconditional generator: z
FOREIGN_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".pkl")


# --- known models ----------------------------------------------------------------------------------------
# Bundled models live in resources/models/NAME.safetensors (GAN Studio checkpoints with their NAME.json
# twin), found by `latent.known_models`, the one list of bundled generators; the Sketch area offers the
# image-to-image ones (config data.task "paired"), the Explore area the others. No weights ship with
# this module: the bundled sketch model comes with its own issue.

def sketch_models(folder: str | Path | None = None) -> list[Any]:
    """Bundled sketch / pix2pix models (the catalogue's entries of kind "sketch")."""
    from ganstudio.core.bundled import list_bundled

    return [m for m in list_bundled(folder) if m.kind == "sketch"]


# --- the loaded generator ---------------------------------------------------------------------------------

@dataclass
class LoadedGenerator:
    """A generator ready to apply, with what the GUI and CLI need to know about it."""

    module: nn.Module
    input_kind: str  # sketch | image | latent
    image_size: int
    name: str
    source: str  # ganstudio | pix2pix-reference
    path: str = ""
    model_id: str = ""
    z_dim: int = 0
    n_classes: int = 0
    out_channels: int = 3
    default_mode: str = "eval"
    info: dict[str, Any] = field(default_factory=dict)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_translation(self) -> bool:
        return self.input_kind in (INPUT_SKETCH, INPUT_IMAGE)

    @property
    def in_channels(self) -> int:
        return 5 if self.input_kind == INPUT_SKETCH else 3

    @property
    def has_dropout(self) -> bool:
        return any(isinstance(m, nn.Dropout) for m in self.module.modules())

    @property
    def has_batchnorm(self) -> bool:
        return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.module.modules())

    @property
    def is_stochastic(self) -> bool:
        """True when "reference" mode gives different variants for different seeds."""
        return self.is_translation and self.has_dropout

    def summary(self) -> dict[str, Any]:
        """CPU-only facts for the GUI (this crosses threads; the module never does)."""
        return {
            "name": self.name, "path": self.path, "model_id": self.model_id, "input_kind": self.input_kind,
            "image_size": self.image_size, "source": self.source, "z_dim": self.z_dim,
            "n_classes": self.n_classes, "default_mode": self.default_mode, "stochastic": self.is_stochastic,
            "has_batchnorm": self.has_batchnorm, "out_channels": self.out_channels, **self.info,
        }

    # --- inputs ------------------------------------------------------------------------------------------
    def input_from_layers(self, lines: np.ndarray, hint_rgb: np.ndarray, hint_mask: np.ndarray) -> torch.Tensor:
        """Generator input (C, H, W) from canvas layers at model resolution (uint8 (H, W), (H, W, 3), (H, W))."""
        return input_from_layers(self.input_kind, lines, hint_rgb, hint_mask)

    def input_from_image(self, image: torch.Tensor, n_hints: int = 10, seed: int = 0) -> torch.Tensor:
        """Generator input (C, H, W) from a picture (3, H, W) in [-1, 1]: for sketch models its lines and
        `n_hints` colour hints (image_to_sketch_input, as training pairs are made); else the picture."""
        if self.input_kind == INPUT_SKETCH:
            from ganstudio.core.sketch import image_to_sketch_input

            g = torch.Generator().manual_seed(int(seed))
            return image_to_sketch_input(image, n_hints=n_hints, generator=g)
        if self.input_kind == INPUT_IMAGE:
            return image
        raise ModelError(f"{self.name} is an unconditional generator; it does not translate pictures.")

    # --- running ------------------------------------------------------------------------------------------
    def translate(self, inputs: torch.Tensor, mode: str = "eval", seeds: Sequence[int] | None = None) -> torch.Tensor:
        """inputs (N, C, H, W) or (C, H, W) in [-1, 1] -> outputs (N, 3, H, W) float32 on the CPU.

        mode "eval" is deterministic; "reference" runs as the pix2pix reference's test phase (per-image
        batch-norm statistics, dropout on, masks drawn from `seeds`, one per image; default 0, 1, ...).
        """
        if not self.is_translation:
            raise ModelError(f"{self.name} is an unconditional generator; it does not translate pictures.")
        if mode not in MODES:
            raise ModelError(f"mode {mode!r} is not one of {', '.join(MODES)}.")
        x = inputs[None] if inputs.dim() == 3 else inputs
        if x.shape[1] != self.in_channels:
            raise ModelError(
                f"{self.name} takes {self.in_channels}-channel inputs, got {x.shape[1]} channels."
            )
        x = x.to(self.device, torch.float32)
        if seeds is None:
            seeds = list(range(x.shape[0]))
        if len(seeds) != x.shape[0]:
            raise ModelError(f"{len(seeds)} seeds given for {x.shape[0]} inputs; give one per input.")
        with self._lock, torch.inference_mode():
            self.module.eval()
            if mode == "reference":
                with reference_mode(self.module, seeds):
                    out = self.module(x)
            else:
                out = self.module(x)
        return out.float().cpu()

    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Unconditional generators: z (N, z_dim) -> images (N, 3, H, W) float32 on the CPU (grey as RGB)."""
        if self.input_kind != INPUT_LATENT:
            raise ModelError(f"{self.name} translates pictures; it takes no latent vector.")
        with torch.inference_mode():
            self.module.eval()
            out = run_unconditional(self.module, z.to(self.device), y, self.n_classes)
        out = out.float().cpu()
        return out.expand(-1, 3, -1, -1) if out.shape[1] == 1 else out

    def to_pixels(self, outputs: torch.Tensor) -> np.ndarray:
        """(N, 3, H, W) in [-1, 1] -> uint8 (N, H, W, 3). Imported reference models convert as the
        reference's tensor2im does ((x + 1) / 2 * 255, truncated); GAN Studio's own models round."""
        if self.source == "pix2pix-reference":
            return reference_pixels(outputs)
        from ganstudio.core.imaging import to_uint8

        return to_uint8(outputs)


def run_unconditional(module: nn.Module, z: torch.Tensor, y: torch.Tensor | None, n_classes: int) -> torch.Tensor:
    if n_classes:
        if y is None:
            y = torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        return module(z, y)
    return module(z)


def reference_pixels(outputs: torch.Tensor) -> np.ndarray:
    """pix2pix's util.tensor2im for a batch: float32 (x + 1) / 2 * 255, cast to uint8 (truncation)."""
    x = outputs.detach().float().cpu().numpy().transpose(0, 2, 3, 1)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    return ((x + 1) / 2.0 * 255.0).astype(np.uint8)


def input_from_layers(input_kind: str, lines: np.ndarray, hint_rgb: np.ndarray, hint_mask: np.ndarray) -> torch.Tensor:
    """Canvas layers at model resolution -> generator input (C, H, W).

    sketch: `strokes_to_sketch_input`, the encoding of the auto-paired training inputs;
    image: the line drawing as a picture, black lines on white paper (colour hints are not part of
    such models' inputs).
    """
    if input_kind == INPUT_SKETCH:
        from ganstudio.core.sketch import strokes_to_sketch_input

        rgb = np.ascontiguousarray(np.asarray(hint_rgb, np.uint8).transpose(2, 0, 1))
        return strokes_to_sketch_input(np.asarray(lines) > 0, rgb, np.asarray(hint_mask) > 0)
    if input_kind == INPUT_IMAGE:
        on = torch.from_numpy(np.asarray(lines) > 0)
        picture = torch.where(on, torch.tensor(-1.0), torch.tensor(1.0))
        return picture[None].expand(3, -1, -1).contiguous()
    raise ModelError("an unconditional generator takes no sketch input.")


# --- reference mode --------------------------------------------------------------------------------------

def _per_image_batch_norm(module: nn.modules.batchnorm._BatchNorm, x: torch.Tensor) -> torch.Tensor:
    # Batch norm in training mode over a batch of one image, for every image of the batch at once:
    # statistics per image and channel over H, W (biased variance), then the module's affine weights.
    # F.instance_norm computes exactly that (it is batch_norm over the (1, N*C, H, W) view).
    return F.instance_norm(x, None, None, module.weight, module.bias, use_input_stats=True, eps=module.eps)


def dropout_keep_mask(seed: int, layer: int, shape: Sequence[int], p: float) -> torch.Tensor:
    """The keep mask (bool, `shape` = one image's C, H, W) of the `layer`-th dropout (in module order)
    for a variant seed in reference mode: each element kept with probability 1 - p."""
    g = torch.Generator().manual_seed(_mix_seed(seed, layer))
    return torch.rand(tuple(shape), generator=g) >= p


def _seeded_dropout(module: nn.Dropout, layer: int, seeds: Sequence[int], x: torch.Tensor) -> torch.Tensor:
    p = module.p
    if p <= 0:
        return x
    if p >= 1:
        return torch.zeros_like(x)
    keep = torch.stack([dropout_keep_mask(seed, layer, x.shape[1:], p) for seed in seeds])
    return x * keep.to(x.device, x.dtype) / (1 - p)


def _mix_seed(seed: int, layer: int) -> int:
    digest = hashlib.blake2b(f"{int(seed)}:{layer}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


@contextlib.contextmanager
def reference_mode(module: nn.Module, seeds: Sequence[int]):
    """Within the block, batch norms use per-image statistics and dropouts drop with per-image seeds.

    The modules' own state (running statistics, training flags) is never changed; their forward is
    swapped for the duration of the block only (callers hold the generator's lock).
    """
    swapped: list[nn.Module] = []
    try:
        layer = 0
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.forward = types.MethodType(_per_image_batch_norm, m)
                swapped.append(m)
            elif isinstance(m, nn.Dropout):
                m.forward = types.MethodType(
                    lambda self, x, _layer=layer: _seeded_dropout(self, _layer, seeds, x), m
                )
                swapped.append(m)
                layer += 1
        yield module
    finally:
        for m in swapped:
            del m.forward


# --- loading ------------------------------------------------------------------------------------------------

def _is_ganstudio_safetensors(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            if n <= 0 or n > 100_000_000:
                return False
            header = json.loads(fh.read(n))
    except (OSError, ValueError):
        return True  # let load_checkpoint report what is wrong with the file
    return "ganstudio" in (header.get("__metadata__") or {})


def load_generator(path: str | Path, device: str | torch.device = "cpu", use_ema: bool = True,
                   model_id: str | None = None) -> LoadedGenerator:
    """Load any generator the Sketch area can use; one GanStudioError naming the file otherwise."""
    path = Path(path)
    device = torch.device(device)
    if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"):
        raise CheckpointError(f"{path.name} is a picture, not a model: give the checkpoint or .pth first.")
    if path.suffix.lower() in FOREIGN_SUFFIXES or (
        path.suffix == ".safetensors" and path.is_file() and not _is_ganstudio_safetensors(path)
    ):
        return _load_foreign(path, device, model_id)
    from ganstudio.core.trainer import generator_from_checkpoint

    G, cfg, ckpt = generator_from_checkpoint(path, use_ema=use_ema, device=device)
    task = cfg.data.task
    if task == "toy":
        raise ModelError(f"{path} is a 2-D toy model; the Sketch area needs an image model.")
    if task == "paired":
        input_kind = INPUT_SKETCH if cfg.data.kind == "autopair" else INPUT_IMAGE
        return LoadedGenerator(
            module=G, input_kind=input_kind, image_size=cfg.data.image_size,
            name=f"{cfg.name} ({cfg.model.generator}, step {ckpt.step})", source="ganstudio",
            path=str(path), model_id=model_id or str(path), default_mode="eval", device=device,
            info={"data_kind": cfg.data.kind},
        )
    n_classes = int(ckpt.meta.get("n_classes", 0)) if cfg.model.class_conditional else 0
    return LoadedGenerator(
        module=G, input_kind=INPUT_LATENT, image_size=cfg.data.image_size,
        name=f"{cfg.name} ({cfg.model.generator}, step {ckpt.step})", source="ganstudio",
        path=str(path), model_id=model_id or str(path), z_dim=cfg.model.z_dim, n_classes=n_classes,
        out_channels=1 if cfg.data.kind == "digits" else cfg.data.channels, default_mode="eval", device=device,
    )


def _load_foreign(path: Path, device: torch.device, model_id: str | None) -> LoadedGenerator:
    """Weights saved by another program: pix2pix U-Nets translate; pytorch/examples DCGANs (main.N
    keys) are unconditional generators the Sketch area steers by latent optimisation."""
    from ganstudio.core.checkpoint import read_foreign_state_dict
    from ganstudio.core.importers import import_dcgan_generator, import_pix2pix_generator

    keys = list(read_foreign_state_dict(path))  # safe: weights_only, refuses pickled code
    if keys and all(k.startswith("main.") for k in keys):
        imported = import_dcgan_generator(path)
        s = imported.settings
        imported.model.to(device).eval()
        return LoadedGenerator(
            module=imported.model, input_kind=INPUT_LATENT, image_size=s["image_size"],
            name=f"{path.name} (pytorch/examples DCGAN)", source="pytorch-examples-dcgan", path=str(path),
            model_id=model_id or str(path), z_dim=s["nz"], out_channels=s["nc"], device=device,
        )
    imported = import_pix2pix_generator(path)
    s = imported.settings
    if s["input_nc"] not in (3, 5):
        raise CheckpointError(
            f"{path.name} is a U-Net with {s['input_nc']} input channels; the Sketch area feeds 3 "
            "(a line drawing as a picture) or 5 (GAN Studio's sketch encoding)."
        )
    if s["output_nc"] not in (1, 3):
        raise CheckpointError(f"{path.name} makes {s['output_nc']}-channel images; only 1 or 3 can be shown.")
    imported.model.to(device).eval()
    return LoadedGenerator(
        module=imported.model, input_kind=INPUT_SKETCH if s["input_nc"] == 5 else INPUT_IMAGE,
        image_size=s["image_size"], name=f"{path.name} (pix2pix {s['netG']}, {s['norm']} norm)",
        source="pix2pix-reference", path=str(path), model_id=model_id or str(path), default_mode="reference",
        out_channels=s["output_nc"], info={"architecture": {k: v for k, v in s.items() if k != "dropped_keys"}},
        device=device,
    )


# --- one-shot translation (CLI) ------------------------------------------------------------------------------

def translate_file(model: LoadedGenerator, input_path: str | Path, mode: str = "reference", seed: int = 0,
                   n_hints: int = 10) -> np.ndarray:
    """Translate a picture file or a saved sketch document (.json): uint8 (H, W, 3)."""
    input_path = Path(input_path)
    if not model.is_translation:
        raise ModelError(f"{model.path} is an unconditional generator; `translate` needs a sketch or pix2pix model.")
    if not input_path.is_file():
        raise GanStudioError(f"Input file {input_path} does not exist.")
    if input_path.suffix.lower() == ".json":
        from ganstudio.core.sketch_doc import load_document

        doc = load_document(input_path)
        if doc.size != (model.image_size, model.image_size):
            raise GanStudioError(
                f"Sketch document {input_path} was drawn at {doc.size[1]}x{doc.size[0]} pixels; "
                f"{Path(model.path).name} works at {model.image_size}x{model.image_size}."
            )
        layers = doc.render(1)
        x = model.input_from_layers(layers.lines, layers.hint_rgb, layers.hint_mask)
    else:
        from ganstudio.core.data import load_image

        image = load_image(input_path, model.image_size, channels=3)
        x = model.input_from_image(image, n_hints=n_hints, seed=seed)
    out = model.translate(x[None], mode=mode, seeds=[seed])
    return model.to_pixels(out)[0]
