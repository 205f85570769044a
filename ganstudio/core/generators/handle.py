"""One handle for "open a generator and render it", used by Sketch, Explore, `sample` and `translate`.

`open_generator(path, class_count=None)` accepts every format of `formats` (GAN Studio checkpoints and run
folders, the bundled models, weights saved by other programs: DCGAN-style Sequential generators such as
pytorch/examples dcgan and the PyTorch DCGAN tutorial's, pytorch-CycleGAN-and-pix2pix U-Net and ResNet
generators, files `ganstudio import` converted, and NVlabs
StyleGAN2-ADA pickles) and returns a `Generator` that says what it takes:

- input kind "latent": an image generator of z (and a class label for conditional models);
- "points": a 2-D toy generator of z (`ganstudio sample` writes its points);
- "sketch": a U-Net taking the 5-channel sketch encoding of `ganstudio.core.sketch.encoding`;
- "image": a U-Net taking a 3-channel picture (a drawing is fed as black lines on white paper).

`Generator.render(request)` turns a `LatentRequest` or `SketchRequest` (plain numpy data) into a
`RenderResult` (uint8 pixels, the user-facing error if any, and the time it took): the one render call
of both interactive areas. The same numbers come out of `generate` / `translate` for the CLI.

Devices: one policy (`device.resolve_device`, CUDA when present). Rendering is fp32, and on CUDA with
TF32 off, so a bookmark reproduces the same pixels on the same device.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ganstudio.core.device import adopt_torch_threads
from ganstudio.core.errors import CheckpointError, GanStudioError, ModelError
from ganstudio.core.generators import formats
from ganstudio.core.generators.batch_split import forward_in_parts, parts_for
from ganstudio.core.generators.reference_mode import MODES, reference_mode, reference_pixels
from ganstudio.core.generators.style_edit import StyleEdit

INPUT_LATENT = "latent"  # image generator of z
INPUT_POINTS = "points"  # 2-D toy generator of z
INPUT_SKETCH = "sketch"  # 5 channels: lines, hint RGB, hint mask
INPUT_IMAGE = "image"  # 3-channel picture
INPUT_KINDS = (INPUT_LATENT, INPUT_POINTS, INPUT_SKETCH, INPUT_IMAGE)

# Where a generator came from; bookmarks store it, and imported pix2pix models convert to pixels as
# the reference code does.
SOURCE_CHECKPOINT = "checkpoint"
SOURCE_BUNDLED = "bundled"
SOURCE_DCGAN_EXAMPLE = "pytorch-examples-dcgan"
SOURCE_PIX2PIX = "pix2pix-reference"
SOURCE_NVLABS_STYLEGAN2 = "nvlabs-stylegan2-ada"
SOURCE_ROSINALITY_STYLEGAN2 = "rosinality-stylegan2"

# StyleGAN truncation: psi pulls w toward the generator's w_avg (psi 1: none, 0: the average picture).
# Other generators truncate z instead (core.latent.space.Truncation).
TRUNCATION_PSI_RANGE = (-2.0, 2.0)


# --- requests and results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LatentRequest:
    """Pictures for latents z (N, z_dim) float32; `labels` one class per latent (conditional models;
    default: cell i gets class i % n_classes); `truncation_psi` in W for StyleGAN models (1: none);
    `style` a `style_edit.StyleEdit` of their ws (style mixing, a direction in W), StyleGAN models only."""

    z: np.ndarray
    labels: Sequence[int] | None = None
    truncation_psi: float = 1.0
    style: StyleEdit | None = None


@dataclass(frozen=True)
class SketchRequest:
    """Pictures for one drawing at model resolution: lines (H, W), hint colours (H, W, 3) and hint mask
    (H, W), all uint8; one output per seed (`mode` "reference" draws dropout masks from each seed)."""

    lines: np.ndarray
    hint_rgb: np.ndarray
    hint_mask: np.ndarray
    mode: str = "eval"
    seeds: Sequence[int] = (0,)
    fast: bool = False  # a live preview mid-stroke: bf16 / channels_last where that pays (Generator.fast_previews)


@dataclass
class RenderResult:
    """What a render gives back: uint8 pixels (N, H, W, 3) or None, the one-sentence user error that
    stopped it (None on success) and the milliseconds it took in the rendering thread."""

    pixels: np.ndarray | None
    error: str | None
    ms: float


# --- the handle ---------------------------------------------------------------------------------------------

@dataclass
class Generator:
    """An opened generator, with what the GUI and the CLI need to know about it."""

    module: nn.Module
    input_kind: str
    image_size: int  # 0 for 2-D points
    name: str  # short: the run's name, the bundled model's or the file's
    title: str  # for a model list: name plus architecture and step
    source: str
    path: Path  # the weights file
    z_dim: int = 0
    n_classes: int = 0
    channels: int = 3  # of the output pictures (1: grey, shown as RGB)
    size_multiple: int = 0  # fully convolutional models take any size that is a multiple of this; 0: image_size only
    use_ema: bool = True
    variant_z: int = 0  # a latent input's dims (U-Nets trained with model.variant_z): variants come from z
    directions: tuple[str, ...] = ()  # CycleGAN checkpoints: ("AtoB", "BtoA"); () for one-way models
    direction: str = ""  # the way `translate` goes for a model with directions (set_direction)
    description: str = ""
    default_mode: str = "eval"
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    info: dict[str, Any] = field(default_factory=dict)
    _sha256: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- facts ---------------------------------------------------------------------------------------------
    @property
    def sha256(self) -> str:
        """Content hash of the weights file (computed on first use: bookmarks and caches key on it)."""
        if self._sha256 is None:
            self._sha256 = formats.file_sha256(self.path)
        return self._sha256

    @property
    def is_translation(self) -> bool:
        return self.input_kind in (INPUT_SKETCH, INPUT_IMAGE)

    def set_direction(self, direction: str) -> None:
        """A CycleGAN model translates A to B ("AtoB") or B to A ("BtoA"); one-way models take no direction."""
        if not self.directions:
            raise ModelError(f"{self.name} translates one way only; a direction is for CycleGAN models (unpaired runs).")
        if direction not in self.directions:
            raise ModelError(f"direction {direction!r} is not one of {', '.join(self.directions)}.")
        self.direction = direction

    def _network(self) -> nn.Module:
        """The module `translate` runs: for a CycleGAN model the generator of the chosen direction."""
        return self.module.direction(self.direction) if self.directions else self.module

    @property
    def has_latent(self) -> bool:
        return self.input_kind in (INPUT_LATENT, INPUT_POINTS)

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
    def truncates_in_w(self) -> bool:
        """True for StyleGAN models: `truncation_psi` pulls w toward w_avg at render time."""
        return self.info.get("truncation") == "w"

    @property
    def is_stochastic(self) -> bool:
        """True when "reference" mode gives different variants for different seeds (dropout masks, or a
        latent input's z)."""
        return self.is_translation and (self.has_dropout or self.variant_z > 0)

    def model_id(self) -> dict[str, Any]:
        """What a bookmark stores to name the model (the file and its content hash)."""
        return {"path": str(self.path), "sha256": self.sha256, "name": self.name, "source": self.source,
                "use_ema": self.use_ema}

    def describe(self, identity: bool = False) -> dict[str, Any]:
        """Plain values describing the model, safe to send to the GUI thread (the module never is).
        identity=True adds the content hash (hashing a large file takes a moment)."""
        out = {
            "name": self.name, "title": self.title, "path": str(self.path), "source": self.source,
            "input_kind": self.input_kind, "image_size": self.image_size, "z_dim": self.z_dim,
            "variant_z": self.variant_z,
            "n_classes": self.n_classes, "channels": self.channels, "out_channels": self.channels,
            "fast_previews": self.fast_previews,
            "size_multiple": self.size_multiple, "directions": list(self.directions),
            "use_ema": self.use_ema, "description": self.description, "default_mode": self.default_mode,
            "stochastic": self.is_stochastic, "has_batchnorm": self.has_batchnorm, "device": str(self.device),
            "parameters": int(sum(p.numel() for p in self.module.parameters())), **self.info,
        }
        if identity:
            out["sha256"] = self.sha256
        return out

    # --- latent generators ---------------------------------------------------------------------------------
    def labels_for(self, n: int, labels: Sequence[int] | np.ndarray | None = None) -> torch.Tensor | None:
        """Class labels for n latents (None for unconditional models); default i % n_classes."""
        if not self.n_classes:
            return None
        if labels is None:
            return torch.arange(n) % self.n_classes
        y = torch.as_tensor(np.asarray(labels), dtype=torch.long).reshape(-1)
        if y.shape[0] != n:
            raise GanStudioError(f"{y.shape[0]} class labels given for {n} latents; give one per latent.")
        if n and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
            raise GanStudioError(f"{self.name} has classes 0 to {self.n_classes - 1}, not {int(y.max())}.")
        return y

    def generate(self, z: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray | None = None,
                 truncation_psi: float = 1.0, style: StyleEdit | None = None) -> torch.Tensor:
        """Raw outputs for latents z (N, z_dim): images (N, C, H, W) in [-1, 1] or points (N, 2), float32
        on the CPU. The numbers `ganstudio sample` writes and the Explore area shows. `truncation_psi` != 1
        and `style` only for models that `truncates_in_w` (StyleGAN)."""
        if not self.has_latent:
            raise ModelError(f"{self.name} translates pictures; it takes no latent vector.")
        adopt_torch_threads()  # a render thread's first op may be a convolution (see core.device)
        zt = torch.as_tensor(np.ascontiguousarray(z, dtype=np.float32)) if not torch.is_tensor(z) else z.float()
        if zt.dim() == 1:
            zt = zt[None]
        if zt.dim() != 2 or zt.shape[1] != self.z_dim:
            raise GanStudioError(f"{self.name} takes latents of shape (N, {self.z_dim}), not {tuple(zt.shape)}.")
        y = self.labels_for(zt.shape[0], labels)
        extra = self._truncation_kwargs(truncation_psi)
        if style is not None and not style.is_identity:
            extra["style"] = self._checked_style(style)
        with self._lock, _exact_fp32(self.device), torch.inference_mode():
            self.module.eval()
            zd = zt.to(self.device)
            yd = y.to(self.device) if y is not None else None
            # StyleGAN's modulated convolutions are grouped per sample, and oneDNN picks their kernels by
            # batch size: parts would differ from one pass in the last bits (a bookmark must not).
            parts = 1 if self.is_stylegan else parts_for(zd.shape[0], self.device)
            if parts > 1:
                out = forward_in_parts(lambda *args: self.module(*args, **extra), zd, yd, parts)
            else:
                out = self.module(zd, yd, **extra) if yd is not None else self.module(zd, **extra)
        return out.float().cpu()

    def _truncation_kwargs(self, psi: float) -> dict[str, float]:
        psi = float(psi)
        if psi == 1.0:
            return {}
        if not self.truncates_in_w:
            raise GanStudioError(f"{self.name} truncates its latents z, not w: draw z with a truncation instead "
                                 "of passing psi.")
        low, high = TRUNCATION_PSI_RANGE
        if not (low <= psi <= high):  # also refuses NaN
            raise GanStudioError(f"the truncation psi must be between {low:g} and {high:g}, not {psi:g}.")
        return {"truncation_psi": psi}

    def _checked_style(self, style: StyleEdit) -> StyleEdit:
        if not self.is_stylegan:
            raise GanStudioError(f"{self.name} is no StyleGAN: it has no per-layer styles to mix or move.")
        style.check(self.z_dim, int(self.info["w_dim"]), int(self.info["num_ws"]), self.n_classes,
                    where=f"the style edit for {self.name}")
        return style

    @property
    def is_stylegan(self) -> bool:
        """A generator of per-layer styles ws (N, num_ws, w_dim): style mixing and directions in W apply."""
        return "num_ws" in self.info and "w_dim" in self.info

    def mapped_w(self, z: np.ndarray | torch.Tensor, labels: Sequence[int] | np.ndarray | None = None,
                 truncation_psi: float = 1.0, style: StyleEdit | None = None) -> torch.Tensor:
        """ws (N, num_ws, w_dim) float32 on the CPU: what a StyleGAN's synthesis network draws from."""
        if not self.is_stylegan:
            raise ModelError(f"{self.name} is no StyleGAN; it has no W space.")
        zt = torch.as_tensor(np.ascontiguousarray(z, dtype=np.float32)) if not torch.is_tensor(z) else z.float()
        zt = zt[None] if zt.dim() == 1 else zt
        y = self.labels_for(zt.shape[0], labels)
        extra = self._truncation_kwargs(truncation_psi)
        if style is not None and not style.is_identity:
            extra["style"] = self._checked_style(style)
        with self._lock, _exact_fp32(self.device), torch.inference_mode():
            ws = self.module.mapped(zt.to(self.device), None if y is None else y.to(self.device), **extra)
        return ws.float().cpu()

    def render_latents(self, z: np.ndarray, labels: Sequence[int] | np.ndarray | None = None,
                       truncation_psi: float = 1.0, style: StyleEdit | None = None) -> np.ndarray:
        """uint8 pictures (N, H, W, 3) for latents (N, z_dim)."""
        from ganstudio.core.imaging import to_uint8

        if self.input_kind != INPUT_LATENT:
            raise ModelError(f"{self.name} makes 2-D points, not pictures." if self.input_kind == INPUT_POINTS
                             else f"{self.name} translates pictures; it takes no latent vector.")
        return to_uint8(self.generate(z, labels, truncation_psi, style))

    # --- translation generators ----------------------------------------------------------------------------
    def input_from_layers(self, lines: np.ndarray, hint_rgb: np.ndarray, hint_mask: np.ndarray) -> torch.Tensor:
        """Generator input (C, H, W) from canvas layers at model resolution (uint8 (H, W), (H, W, 3), (H, W))."""
        return input_from_layers(self.input_kind, lines, hint_rgb, hint_mask)

    def input_from_image(self, image: torch.Tensor, n_hints: int = 10, seed: int = 0) -> torch.Tensor:
        """Generator input (C, H, W) from a picture (3, H, W) in [-1, 1]: for sketch models its lines and
        `n_hints` colour hints (image_to_sketch_input, as training pairs are made); else the picture."""
        if self.input_kind == INPUT_SKETCH:
            from ganstudio.core.sketch.encoding import image_to_sketch_input

            g = torch.Generator().manual_seed(int(seed))
            return image_to_sketch_input(image, n_hints=n_hints, generator=g)
        if self.input_kind == INPUT_IMAGE:
            return image
        raise ModelError(f"{self.name} is an unconditional generator; it does not translate pictures.")

    @property
    def fast_previews(self) -> bool:
        """Whether live previews run faster in bf16 autocast + channels_last than in exact fp32: on CUDA, and
        on CPUs with native bf16 (AVX512-BF16 / AMX); elsewhere bf16 is emulated and slower, so no."""
        if self.device.type == "cuda":
            return True
        from ganstudio.core.device import cpu_has_native_bf16

        return self.device.type == "cpu" and cpu_has_native_bf16() is True

    def translate(self, inputs: torch.Tensor, mode: str = "eval", seeds: Sequence[int] | None = None,
                  fast: bool = False) -> torch.Tensor:
        """inputs (N, C, H, W) or (C, H, W) in [-1, 1] -> outputs (N, 3, H, W) float32 on the CPU.

        mode "eval" is deterministic; "reference" runs as the pix2pix reference's test phase (per-image
        batch-norm statistics, dropout on, masks drawn from `seeds`, one per image; default 0, 1, ...).
        A model with a latent input (`variant_z`) runs in eval mode either way: "eval" with z = 0 (the mean),
        "reference" with each seed's latent (`latent_variants.variant_latent`).
        fast=True (live previews only; pictures that are kept are exact fp32) runs under bf16 autocast with
        the input in channels_last: within bf16 rounding of the exact picture, not equal to it.
        """
        if not self.is_translation:
            raise ModelError(f"{self.name} is an unconditional generator; it does not translate pictures.")
        adopt_torch_threads()  # a render thread's first op may be a convolution (see core.device)
        if mode not in MODES:
            raise ModelError(f"mode {mode!r} is not one of {', '.join(MODES)}.")
        x = inputs[None] if inputs.dim() == 3 else inputs
        if x.shape[1] != self.in_channels:
            raise ModelError(f"{self.name} takes {self.in_channels}-channel inputs, got {x.shape[1]} channels.")
        x = x.to(self.device, torch.float32)
        seeds = list(range(x.shape[0])) if seeds is None else list(seeds)
        if len(seeds) != x.shape[0]:
            raise ModelError(f"{len(seeds)} seeds given for {x.shape[0]} inputs; give one per input.")
        if fast:
            precision = torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
            x = x.contiguous(memory_format=torch.channels_last)
        else:
            precision = _exact_fp32(self.device)
        with self._lock, precision, torch.inference_mode():
            self.module.eval()
            network = self._network()
            if self.variant_z:
                from ganstudio.core.generators.latent_variants import variant_latents

                z = variant_latents(seeds if mode == "reference" else None, self.variant_z, n=x.shape[0])
                out = network(x, z.to(self.device))
            elif mode == "reference":
                with reference_mode(network, seeds):
                    out = network(x)
            else:
                out = network(x)
        return out.float().cpu()

    def to_pixels(self, outputs: torch.Tensor) -> np.ndarray:
        """(N, C, H, W) in [-1, 1] -> uint8 (N, H, W, 3). Imported reference models convert as the
        reference's tensor2im does ((x + 1) / 2 * 255, truncated); GAN Studio's own models round."""
        if self.source == SOURCE_PIX2PIX:
            return reference_pixels(outputs)
        from ganstudio.core.imaging import to_uint8

        return to_uint8(outputs)

    # --- the one render call -------------------------------------------------------------------------------
    def render(self, request: LatentRequest | SketchRequest) -> RenderResult:
        """Pixels for a request; a user error (wrong shapes, a model that takes the other kind of input)
        comes back as `error`, never as an exception. Bugs still raise."""
        t0 = time.perf_counter()
        try:
            if isinstance(request, LatentRequest):
                pixels = self.render_latents(request.z, request.labels, request.truncation_psi, request.style)
            elif isinstance(request, SketchRequest):
                x = self.input_from_layers(request.lines, request.hint_rgb, request.hint_mask)
                seeds = list(request.seeds)
                out = self.translate(x[None].expand(len(seeds), -1, -1, -1), mode=request.mode, seeds=seeds,
                                     fast=request.fast and self.fast_previews)
                pixels = self.to_pixels(out)
            else:
                raise TypeError(f"cannot render a {type(request).__name__}")
        except GanStudioError as exc:
            return RenderResult(None, str(exc), (time.perf_counter() - t0) * 1000)
        return RenderResult(pixels, None, (time.perf_counter() - t0) * 1000)

    def render_all(self, requests: Sequence[LatentRequest | SketchRequest],
                   passes: list[int] | None = None) -> list[RenderResult]:
        """`render` of each request, with the latent requests of a plain (non-StyleGAN) model that share a
        truncation and have no style edit made in one forward pass (a Reseed's 16-sample grid and the view
        of its selected cell: one batch, split over the idle cores, instead of two passes). The same
        pixels as one `render` each (tests/core/generators/test_batch_split.py); should the joint pass meet
        a user error, each request is rendered alone so that each gets its own. `passes`, when given, gets
        the batch size of each forward pass made (benchmarks and tests count them)."""
        results: list[RenderResult | None] = [None] * len(requests)
        groups: dict[float, list[int]] = {}
        if not self.is_stylegan and self.input_kind == INPUT_LATENT:
            for i, req in enumerate(requests):
                if isinstance(req, LatentRequest) and req.style is None:
                    groups.setdefault(float(req.truncation_psi), []).append(i)
        for psi, members in groups.items():
            if len(members) < 2:
                continue
            t0 = time.perf_counter()
            try:
                zs = [np.asarray(requests[i].z, np.float32).reshape(-1, self.z_dim) for i in members]
                labels = None
                if self.n_classes:
                    labels = np.concatenate([self.labels_for(len(z), requests[i].labels).numpy()
                                             for i, z in zip(members, zs)])
                pixels = self.render_latents(np.concatenate(zs), labels, psi)
            except (GanStudioError, ValueError):
                continue  # rendered one by one below, each with its own error
            ms = (time.perf_counter() - t0) * 1000
            if passes is not None:
                passes.append(len(pixels))
            start = 0
            for i, z in zip(members, zs):
                results[i] = RenderResult(pixels[start:start + len(z)], None, ms)
                start += len(z)
        for i, req in enumerate(requests):
            if results[i] is None:
                results[i] = self.render(req)
                if passes is not None and results[i].pixels is not None:
                    passes.append(len(results[i].pixels))
        return results  # type: ignore[return-value]


@contextlib.contextmanager
def _exact_fp32(device: torch.device):
    # cuDNN convolutions default to TF32 on Ampere and newer; full fp32 keeps a bookmark's pixels.
    if device.type == "cuda":
        with torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True, allow_tf32=False):
            yield
    else:
        yield


def input_from_layers(input_kind: str, lines: np.ndarray, hint_rgb: np.ndarray, hint_mask: np.ndarray) -> torch.Tensor:
    """Canvas layers at model resolution -> generator input (C, H, W).

    sketch: `strokes_to_sketch_input`, the encoding of the auto-paired training inputs;
    image: the line drawing as a picture, black lines on white paper (colour hints are not part of
    such models' inputs).
    """
    if input_kind == INPUT_SKETCH:
        from ganstudio.core.sketch.encoding import strokes_to_sketch_input

        rgb = np.ascontiguousarray(np.asarray(hint_rgb, np.uint8).transpose(2, 0, 1))
        # the layers are 0/1 uint8: the encoding reads "on" above 0.5, the one place lines are binarised
        return strokes_to_sketch_input(np.asarray(lines), rgb, np.asarray(hint_mask))
    if input_kind == INPUT_IMAGE:
        on = torch.from_numpy(np.asarray(lines) > 0)
        picture = torch.where(on, torch.tensor(-1.0), torch.tensor(1.0))
        return picture[None].expand(3, -1, -1).contiguous()
    raise ModelError("an unconditional generator takes no sketch input.")


# --- opening ------------------------------------------------------------------------------------------------

def open_generator(path: str | Path, device: str | torch.device = "auto", use_ema: bool = True,
                   sha256: str | None = None, class_count: int | None = None) -> Generator:
    """Open any generator the app knows, in eval mode on `device` ("auto": CUDA when present); one
    GanStudioError naming the file otherwise. `sha256` spares hashing a file whose hash is known.
    `class_count`: the classes of a foreign DCGAN whose one-hot labels are concatenated to z (its shapes
    cannot tell label channels from z's); a GAN Studio checkpoint knows its own and must agree."""
    from ganstudio.core.device import resolve_device
    from ganstudio.core.safe_names import check_path_text

    device = resolve_device(device)
    given = Path(check_path_text(str(path), "the model path", CheckpointError))  # before any lookup can raise ENAMETOOLONG
    if given.suffix.lower() in formats.PICTURE_SUFFIXES:
        raise CheckpointError(f"{given.name} is a picture, not a model: give the checkpoint or weights file first.")
    file = formats.weights_file(given)
    if not file.exists():
        raise CheckpointError(f"model file {path} does not exist.")
    if file.is_dir():
        raise CheckpointError(f"{path} is a folder without a checkpoint (checkpoints/latest.safetensors).")
    if formats.is_foreign(file):
        gen = _open_foreign(file, device, class_count)
    else:
        gen = _open_checkpoint(file, device, use_ema)
        if class_count is not None and class_count != gen.n_classes:
            raise CheckpointError(f"{file.name} is a GAN Studio checkpoint with {gen.n_classes} classes; its class "
                                  "count comes from the checkpoint (drop the class count).")
    gen._sha256 = sha256
    return gen


def _open_checkpoint(file: Path, device: torch.device, use_ema: bool) -> Generator:
    from ganstudio.core.generators.catalogue import is_bundled
    from ganstudio.core.models.from_config import generator_from_checkpoint

    G, cfg, ckpt = generator_from_checkpoint(file, use_ema=use_ema, device=device)
    bundled = is_bundled(file)
    name = file.stem if bundled else cfg.name
    source = SOURCE_BUNDLED if bundled else SOURCE_CHECKPOINT
    title = f"{cfg.name} ({cfg.model.generator}, step {ckpt.step})"
    ema_used = bool(use_ema and "G_ema" in ckpt.states)
    common = dict(module=G, name=name, title=title, source=source, path=file, use_ema=use_ema, device=device)
    task = cfg.data.task
    if task == "toy":
        return Generator(input_kind=INPUT_POINTS, image_size=0, z_dim=int(cfg.model.z_dim), channels=0,
                         description=f"{cfg.name}, step {ckpt.step}, 2-D {cfg.data.kind}", **common)
    if task == "unpaired":
        from ganstudio.core.models.cyclegan import DIRECTIONS

        return Generator(input_kind=INPUT_IMAGE, image_size=int(cfg.data.image_size), size_multiple=G.size_multiple,
                         directions=DIRECTIONS, direction=DIRECTIONS[0],
                         description=f"{cfg.name}, step {ckpt.step}, CycleGAN {cfg.model.generator} A↔B, "
                                     f"{cfg.data.image_size} px", info={"data_kind": cfg.data.kind}, **common)
    if task == "paired":
        kind = INPUT_SKETCH if cfg.data.kind == "autopair" else INPUT_IMAGE
        nz = int(getattr(G, "latent_dim", 0) or 0)
        latent = f", z {nz} (variants from z)" if nz else ""
        return Generator(input_kind=kind, image_size=int(cfg.data.image_size), variant_z=nz,
                         default_mode="reference" if nz else "eval",
                         description=f"{cfg.name}, step {ckpt.step}, {cfg.model.generator}, {cfg.data.image_size} px"
                                     f"{latent}", info={"data_kind": cfg.data.kind}, **common)
    channels, size = G.output_shape[0], G.output_shape[-1]
    n_classes = int(getattr(G, "n_classes", 0) or 0)
    desc = f"{cfg.name}, step {ckpt.step}, z {G.z_dim}, {size} px" + (f", {n_classes} classes" if n_classes else "")
    return Generator(input_kind=INPUT_LATENT, image_size=int(size), z_dim=int(G.z_dim), n_classes=n_classes,
                     channels=int(channels), description=desc + (", EMA weights" if ema_used else ""), **common)


def _open_foreign(file: Path, device: torch.device, class_count: int | None = None) -> Generator:
    """Weights saved by another program (or converted by `ganstudio import`): DCGAN-style Sequential
    generators and StyleGANs (NVlabs, rosinality) are latent generators, pix2pix U-Nets and CycleGAN ResNets
    translate."""
    from ganstudio.core.models.importers import describe_sequential, import_foreign_generator

    imported = import_foreign_generator(file, class_count=class_count)
    s = imported.settings
    module = imported.model.to(device).eval()
    if imported.family in ("stylegan2", "stylegan3"):  # NVlabs pickles, rosinality .pt, and their conversions
        return _nvlabs_stylegan_generator(file, module, s, device, _origin_note(imported), imported.program)
    origin = _origin_note(imported)
    if imported.family == "sequential":
        kind = "pytorch/examples DCGAN" if s["pytorch_examples_layout"] else "DCGAN-style generator"
        classes = f", {s['n_classes']} classes (one-hot after z)" if s["n_classes"] else ""
        desc = (f"{kind}, nz {s['nz']}, ngf {s['ngf']}, {s['image_size']} px{classes}; "
                f"{describe_sequential(s)}{origin}")
        return Generator(module=module, input_kind=INPUT_LATENT, image_size=s["image_size"], name=file.name,
                         title=f"{file.name} ({kind}, {s['image_size']} px)", source=SOURCE_DCGAN_EXAMPLE, path=file,
                         z_dim=s["nz"], n_classes=s["n_classes"], channels=s["nc"], use_ema=False, description=desc,
                         device=device, info={"architecture": imported.architecture})
    if s["input_nc"] not in (3, 5):
        raise CheckpointError(
            f"{file.name} is a {s['netG']} generator with {s['input_nc']} input channels; GAN Studio feeds 3 "
            "(a picture, or a line drawing as one) or 5 (its sketch encoding)."
        )
    if s["output_nc"] not in (1, 3):
        raise CheckpointError(f"{file.name} makes {s['output_nc']}-channel images; only 1 or 3 can be shown.")
    family = "CycleGAN" if imported.family == "resnet" else "pix2pix"
    title = f"{file.name} ({family} {s['netG']}, {s['norm']} norm)"
    size_note = (f", any size that is a multiple of {s['size_multiple']} (canvas {s['image_size']} px)"
                 if imported.family == "resnet" else f", {s['image_size']} px")
    return Generator(module=module, input_kind=INPUT_SKETCH if s["input_nc"] == 5 else INPUT_IMAGE,
                     image_size=s["image_size"], name=file.name, title=title, source=SOURCE_PIX2PIX, path=file,
                     channels=s["output_nc"], use_ema=False, description=title + size_note + origin,
                     default_mode="reference", size_multiple=int(s.get("size_multiple", 0)),
                     info={"architecture": imported.architecture}, device=device)


def _origin_note(imported) -> str:
    """Where in the file the weights were: the training checkpoint's entry, the file a conversion came from."""
    note = ""
    if imported.converted_from:
        note += f"; converted from {imported.converted_from}"
    if imported.entry:
        note += f"; generator weights from the file's {imported.entry!r} entry"
    if imported.note:
        note += f"; {imported.note}"
    return note


def _nvlabs_stylegan_generator(file: Path, module: nn.Module, s: dict[str, Any], device: torch.device,
                               origin: str = "", program: str = "") -> Generator:
    """An NVlabs StyleGAN2-ADA or StyleGAN3 pickle (or a rosinality StyleGAN2, rebuilt with NVlabs' names): a latent
    generator of z (N, z_dim), one-hot classes for c_dim > 0, truncation psi in W around w_avg; rendered with the
    stored noise (noise_mode 'const')."""
    from ganstudio.core.models import rosinality

    if s["img_channels"] not in (1, 3):
        raise CheckpointError(f"{file.name} makes {s['img_channels']}-channel images; only 1 or 3 can be shown.")
    res = s["img_resolution"]
    family = "StyleGAN3" if s.get("family") == "stylegan3" else "StyleGAN2"
    ros = program == rosinality.PROGRAM
    maker, variant = ("rosinality", "StyleGAN2") if ros else \
        ("NVlabs", "StyleGAN3" if family == "StyleGAN3" else "StyleGAN2-ADA")
    title = f"{file.name} ({maker} {family}, {res} px)"
    desc = (f"{maker} {variant} {'g_ema' if ros and s['network'] == 'G_ema' else s['network']}, z {s['z_dim']}, "
            f"w {s['w_dim']}, {res} px, "
            f"{s['mapping_layers']} mapping layers, {s['architecture']}"
            + (f", {s['c_dim']} classes" if s["c_dim"] else "") + origin)
    from ganstudio.core.models.stylegan2 import w_resolutions

    info = {"architecture": dict(s), "truncation": s["truncation"], "w_dim": s["w_dim"], "num_ws": s["num_ws"],
            "w_resolutions": w_resolutions(module.G)}
    return Generator(module=module, input_kind=INPUT_LATENT, image_size=res, name=file.name, title=title,
                     source=SOURCE_ROSINALITY_STYLEGAN2 if ros else SOURCE_NVLABS_STYLEGAN2, path=file, z_dim=s["z_dim"], n_classes=s["c_dim"],
                     channels=s["img_channels"], use_ema=s["network"] == "G_ema", description=desc, info=info,
                     device=device)
