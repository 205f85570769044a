"""Latent-space tools behind the Explore area and `ganstudio sample --latent`. No Qt.

- Opening a generator to explore (`open_generator`): a GAN Studio checkpoint or run folder, a bundled
  model (`known_models`), or a generator saved by pytorch/examples dcgan (see `importers`).
- Sampling z (`sample_latents`), seeded exactly like `ganstudio sample --seed`, with truncation.
- Paths through latent space: `lerp`, `slerp`, `interpolate_path` through two or more keyframes.
- Vector arithmetic (Radford et al. 2016): `arithmetic(A, B, C) = mean(A) - mean(B) + mean(C)`.
- Principal directions in the manner of GANSpace (Härkönen et al. 2020): PCA of early-layer
  activations, mapped back to z by least squares; cached on disk per weights file and settings.
- Bookmarks: latents plus everything needed to render them again, as JSON, so that
  `ganstudio sample CHECKPOINT --latent BOOKMARK.json --out x.png` reproduces the screen exactly.

Latents are float32 numpy arrays `(N, z_dim)`; only numpy crosses threads, so everything here takes
and returns numpy. Rendering gives uint8 `(N, H, W, 3)` pictures (`imaging.to_uint8`).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Generator, Iterable, Sequence

import numpy as np
import torch

from ganstudio.core.errors import CheckpointError, GanStudioError, ModelError

log = logging.getLogger(__name__)

__all__ = [
    "Truncation", "sample_latents", "lerp", "slerp", "interpolate_path", "arithmetic", "arithmetic_variations",
    "ExplorableGenerator", "KnownModel", "known_models", "open_generator", "weights_file", "file_sha256",
    "PrincipalDirections", "compute_principal_directions", "cached_principal_directions", "directions_cache_path",
    "Bookmark", "save_bookmark", "load_bookmark", "bookmark_model_warning",
]

# --- sampling -------------------------------------------------------------------------------------------

TRUNCATION_MODES = ("off", "resample", "scale")


@dataclass(frozen=True)
class Truncation:
    """How z is drawn from N(0, I).

    - ``off``: plain Gaussian samples, the same numbers as ``ganstudio sample --seed``.
    - ``resample`` (the BigGAN truncation trick): every coordinate with |z_i| > value is drawn again
      from the same seeded generator until all lie within [-value, value]; a truncated normal.
    - ``scale`` (StyleGAN's psi for a zero-mean prior): z is multiplied by value (0 < value <= 1),
      pulling every sample toward the mode.

    Smaller values trade variety for typical-looking samples in both modes.
    """

    mode: str = "off"
    value: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in TRUNCATION_MODES:
            raise GanStudioError(f"truncation mode must be one of {', '.join(TRUNCATION_MODES)}, not {self.mode!r}.")
        v = float(self.value)
        if self.mode == "resample" and not (0.05 <= v <= 10):
            raise GanStudioError(f"the resampling threshold must be between 0.05 and 10, not {v:g}.")
        if self.mode == "scale" and not (0 < v <= 2):
            raise GanStudioError(f"the truncation scale psi must be above 0 and at most 2, not {v:g}.")

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "value": float(self.value)}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Truncation":
        if not d:
            return cls()
        return cls(str(d.get("mode", "off")), float(d.get("value", 1.0)))

    def describe(self) -> str:
        if self.mode == "resample":
            return f"resample |z|>{self.value:g}"
        if self.mode == "scale":
            return f"scale ψ={self.value:g}"
        return "off"


def sample_latents(n: int, z_dim: int, seed: int, truncation: Truncation | None = None) -> np.ndarray:
    """`n` latents (n, z_dim) float32 from N(0, I), reproducible from `seed`.

    Without truncation these are exactly `torch.randn(n, z_dim, generator=Generator().manual_seed(seed))`,
    the numbers `ganstudio sample --seed SEED --n N` renders.
    """
    if n < 0 or z_dim < 1:
        raise GanStudioError(f"cannot draw {n} latents of size {z_dim}.")
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(n, z_dim, generator=gen)
    t = truncation or Truncation()
    if t.mode == "resample":
        limit = float(t.value)
        for _ in range(10_000):  # each round keeps at least P(|x| <= 0.05) ~ 4 % of the outliers
            outside = z.abs() > limit
            count = int(outside.sum())
            if count == 0:
                break
            z[outside] = torch.randn(count, generator=gen)
    elif t.mode == "scale":
        z = z * float(t.value)
    return z.numpy().astype(np.float32, copy=False)


# --- interpolation ----------------------------------------------------------------------------------------

def _as_t(t) -> tuple[np.ndarray, bool]:
    arr = np.asarray(t, dtype=np.float64)
    return arr.reshape(-1, 1), arr.ndim == 0


def lerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Straight line (1 - t) a + t b; exact at t = 0 and t = 1. `t` scalar -> (d,), array -> (len(t), d)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    tt, scalar = _as_t(t)
    out = (1.0 - tt) * a64 + tt * b64
    out = out.astype(np.result_type(a, b, np.float32), copy=False)
    return out[0] if scalar else out


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between a and b, accurate also for nearly parallel vectors (where arccos(cos) is not)."""
    ua, ub = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return 2.0 * math.atan2(float(np.linalg.norm(ua - ub)), float(np.linalg.norm(ua + ub)))


def slerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016 for GAN latents).

    sin((1-t) W)/sin W * a + sin(t W)/sin W * b, W the angle between a and b. For two vectors of the same
    norm every point keeps that norm (it walks the great circle), which keeps Gaussian latents where the
    generator was trained, unlike lerp whose midpoints are shorter. The angle comes from atan2, so the
    coefficients stay accurate for nearly parallel vectors; only exactly parallel (or zero) vectors fall
    back to lerp. Exact at t = 0 and t = 1.
    """
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if not np.any(a64) or not np.any(b64):
        return lerp(a, b, t)
    omega = _angle(a64, b64)
    s = math.sin(omega)
    if s < 1e-12:  # parallel (omega ~ 0) or opposite (omega ~ pi): no unique great circle
        return lerp(a, b, t)
    tt, scalar = _as_t(t)
    out = (np.sin((1.0 - tt) * omega) / s) * a64 + (np.sin(tt * omega) / s) * b64
    out = out.astype(np.result_type(a, b, np.float32), copy=False)
    return out[0] if scalar else out


INTERPOLATIONS = {"lerp": lerp, "slerp": slerp}


def interpolate_path(keyframes: Sequence[np.ndarray] | np.ndarray, steps: int, mode: str = "slerp") -> np.ndarray:
    """Frames through two or more keyframes: `steps` frames per segment, (K - 1) * steps + 1 in all.

    Keyframe k is frame k * steps exactly; the last frame is the last keyframe.
    """
    keys = np.asarray(keyframes)
    if keys.ndim != 2 or keys.shape[0] < 2:
        raise GanStudioError(f"an interpolation needs at least two keyframes, got {0 if keys.ndim != 2 else keys.shape[0]}.")
    if int(steps) < 1:
        raise GanStudioError(f"the number of steps between keyframes must be 1 or more, not {steps}.")
    if mode not in INTERPOLATIONS:
        raise GanStudioError(f"interpolation mode must be lerp or slerp, not {mode!r}.")
    fn = INTERPOLATIONS[mode]
    ts = np.arange(int(steps), dtype=np.float64) / int(steps)
    frames = [fn(keys[i], keys[i + 1], ts) for i in range(keys.shape[0] - 1)]
    frames.append(keys[-1:].astype(np.result_type(keys, np.float32)))
    return np.concatenate(frames, axis=0)


# --- arithmetic --------------------------------------------------------------------------------------------

def _mean(group: Iterable[np.ndarray], name: str) -> np.ndarray:
    arr = np.asarray(list(group) if not isinstance(group, np.ndarray) else group, dtype=np.float64)
    if arr.size == 0:
        raise GanStudioError(f"latent arithmetic needs at least one sample in group {name}.")
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise GanStudioError(f"group {name} holds an array of shape {arr.shape}, not latents (N, z_dim).")
    return arr.mean(axis=0)


def arithmetic(a_list, b_list, c_list) -> np.ndarray:
    """mean(A) - mean(B) + mean(C): the DCGAN paper's "smiling woman - neutral woman + neutral man".

    Averaging each group (the paper used three samples) makes the result depend on what the samples
    share rather than on one sample's quirks.
    """
    a, b, c = _mean(a_list, "A"), _mean(b_list, "B"), _mean(c_list, "C")
    if not (a.shape == b.shape == c.shape):
        raise GanStudioError(f"groups A, B and C hold latents of different sizes ({a.shape[0]}, {b.shape[0]}, {c.shape[0]}).")
    return (a - b + c).astype(np.float32)


def arithmetic_variations(result: np.ndarray, n: int = 9, noise: float = 0.25, seed: int = 0) -> np.ndarray:
    """The result and n - 1 neighbours with uniform noise in [-noise, noise] added (as in the DCGAN
    paper's figure 7), so one can see whether the effect holds around it. Row 0 is `result` exactly."""
    result = np.asarray(result, np.float32)
    rng = np.random.default_rng(seed)
    out = np.repeat(result[None], n, axis=0)
    if n > 1:
        out[1:] += rng.uniform(-noise, noise, size=(n - 1, result.shape[0])).astype(np.float32)
    return out


# --- generators to explore ------------------------------------------------------------------------------

def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def weights_file(path: str | Path) -> Path:
    """The file behind a checkpoint argument: run folders and .json twins resolve to the .safetensors file
    (the same rules as `checkpoint.load_checkpoint`)."""
    path = Path(path).expanduser()
    if path.is_dir():
        for candidate in (path / "checkpoints" / "latest.safetensors", path / "latest.safetensors"):
            if candidate.is_file():
                return candidate.resolve()
    if path.suffix == ".json" and path.with_suffix(".safetensors").is_file():
        path = path.with_suffix(".safetensors")
    return path.resolve() if path.exists() else path


FOREIGN_SUFFIXES = (".pth", ".pt")


@dataclass
class ExplorableGenerator:
    """A generator ready to render latents, plus the identity that bookmarks and caches refer to."""

    generator: torch.nn.Module
    z_dim: int
    n_classes: int
    image_size: int
    channels: int
    name: str
    source: str  # checkpoint | bundled | pytorch-examples-dcgan
    path: Path  # the weights file
    sha256: str
    use_ema: bool = True
    description: str = ""

    def model_id(self) -> dict[str, Any]:
        """What a bookmark stores to name the model (the file and its content hash)."""
        return {"path": str(self.path), "sha256": self.sha256, "name": self.name, "source": self.source,
                "use_ema": self.use_ema}

    def info(self) -> dict[str, Any]:
        """Plain values describing the model (safe to send to the GUI thread)."""
        return {**self.model_id(), "z_dim": self.z_dim, "n_classes": self.n_classes, "image_size": self.image_size,
                "channels": self.channels, "description": self.description,
                "parameters": int(sum(p.numel() for p in self.generator.parameters()))}

    @torch.inference_mode()
    def generate(self, z: np.ndarray, labels: Sequence[int] | np.ndarray | None = None) -> torch.Tensor:
        """Raw images (N, C, H, W) in [-1, 1], computed exactly as `ganstudio sample` computes them."""
        zt = torch.from_numpy(np.ascontiguousarray(z, dtype=np.float32))
        if zt.dim() == 1:
            zt = zt[None]
        if self.n_classes:
            if labels is None:
                labels = np.arange(zt.shape[0]) % self.n_classes
            y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
            return self.generator(zt, y)
        return self.generator(zt)

    def render(self, z: np.ndarray, labels: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
        """uint8 pictures (N, H, W, 3) for latents (N, z_dim)."""
        from ganstudio.core.imaging import to_uint8

        return to_uint8(self.generate(z, labels))


@dataclass(frozen=True)
class KnownModel:
    """A model the app ships (resources/models/NAME.safetensors, a GAN Studio checkpoint, with an
    optional NAME.json beside it giving "title", "description", "kind" and "task"; see core.bundled)."""

    name: str
    path: Path
    title: str
    description: str = ""


def known_models(folder: str | Path | None = None) -> list[KnownModel]:
    """The bundled generators, sorted by title; empty when none are installed."""
    if folder is None:
        from ganstudio.core.resources import resource_path

        folder = resource_path("models")
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.safetensors")):
        title, description = path.stem, ""
        side = path.with_suffix(".json")
        if side.is_file():
            try:
                doc = json.loads(side.read_text())
            except (OSError, ValueError):
                log.warning("ignoring unreadable model description %s", side)
                doc = {}
            if doc.get("task") in ("paired", "toy") or doc.get("kind") == "sketch":
                continue  # image-to-image and 2-D models have no latent space to explore
            title = str(doc.get("title") or doc.get("name") or title)
            description = str(doc.get("description", ""))
        found.append(KnownModel(path.stem, path, title, description))
    return sorted(found, key=lambda m: m.title.lower())


def _is_bundled(path: Path) -> bool:
    from ganstudio.core.resources import resource_path

    try:
        return path.resolve().is_relative_to(resource_path("models").resolve())
    except (OSError, ValueError):
        return False


def open_generator(path: str | Path, use_ema: bool = True, sha256: str | None = None) -> ExplorableGenerator:
    """Load an image generator with a latent z for exploring, in eval mode on the CPU.

    Accepts a GAN Studio checkpoint (.safetensors, its .json twin or a run folder), a bundled model, or
    a pytorch/examples dcgan `netG_epoch_N.pth` (read without executing pickled code). Models without a
    latent (2-D toys, image-to-image) are refused with one sentence.
    """
    file = weights_file(path)
    if not file.is_file():
        raise CheckpointError(f"model file {path} does not exist.")
    digest = sha256 or file_sha256(file)
    if file.suffix in FOREIGN_SUFFIXES:
        from ganstudio.core.importers import import_dcgan_generator

        imported = import_dcgan_generator(file)
        s = imported.settings
        return ExplorableGenerator(
            generator=imported.model, z_dim=s["nz"], n_classes=0, image_size=s["image_size"], channels=s["nc"],
            name=file.name, source="pytorch-examples-dcgan", path=file, sha256=digest, use_ema=False,
            description=f"pytorch/examples DCGAN, nz {s['nz']}, ngf {s['ngf']}, {s['image_size']} px",
        )
    from ganstudio.core.trainer import generator_from_checkpoint

    G, cfg, ckpt = generator_from_checkpoint(file, use_ema=use_ema)
    if cfg.data.task == "toy":
        raise ModelError(f"{file.name} is a 2-D toy model; the Explore area shows image generators.")
    if cfg.data.task == "paired" or not hasattr(G, "z_dim"):
        raise ModelError(f"{file.name} is an image-to-image model without a latent space; open it in the Sketch area.")
    channels, size = G.output_shape[0], G.output_shape[-1]
    n_classes = int(getattr(G, "n_classes", 0) or 0)
    bundled = _is_bundled(file)
    name = cfg.name if not bundled else file.stem
    desc = f"{cfg.name}, step {ckpt.step}, z {G.z_dim}, {size} px" + (f", {n_classes} classes" if n_classes else "")
    return ExplorableGenerator(
        generator=G, z_dim=int(G.z_dim), n_classes=n_classes, image_size=int(size), channels=int(channels),
        name=name, source="bundled" if bundled else "checkpoint", path=file, sha256=digest,
        use_ema=use_ema, description=desc + (", EMA weights" if use_ema and "G_ema" in ckpt.states else ""),
    )


# --- principal directions (GANSpace) ---------------------------------------------------------------------

DIRECTIONS_VERSION = 1


@dataclass
class PrincipalDirections:
    """Unit directions in z (K, z_dim), ordered by the activation variance they explain.

    `stds[k]` is the standard deviation of z . directions[k] over the samples, so a slider at +-3
    moves a latent by +-3 typical spreads along that direction. `explained[k]` is the fraction of the
    layer's activation variance that component k carries.
    """

    directions: np.ndarray
    stds: np.ndarray
    explained: np.ndarray
    layer: str
    n_samples: int
    seed: int

    def offset(self, alphas: np.ndarray | Sequence[float]) -> np.ndarray:
        """The z offset for slider values `alphas` (in stds): sum_k alpha_k std_k u_k."""
        a = np.zeros(len(self.stds), np.float64)
        given = np.asarray(alphas, np.float64)[: len(a)]
        a[: len(given)] = given
        return ((a * self.stds.astype(np.float64)) @ self.directions.astype(np.float64)).astype(np.float32)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, directions=self.directions.astype(np.float32), stds=self.stds.astype(np.float32),
                 explained=self.explained.astype(np.float32), layer=np.array(self.layer),
                 n_samples=np.array(self.n_samples), seed=np.array(self.seed),
                 version=np.array(DIRECTIONS_VERSION))
        return buf.getvalue()

    @classmethod
    def from_file(cls, path: str | Path) -> "PrincipalDirections":
        with np.load(path, allow_pickle=False) as f:
            if int(f["version"]) != DIRECTIONS_VERSION:
                raise ValueError("old cache version")
            return cls(f["directions"], f["stds"], f["explained"], str(f["layer"]), int(f["n_samples"]), int(f["seed"]))


def default_direction_layer(G: torch.nn.Module) -> str:
    """The output of the first block (4x4 maps after ConvT-BN-ReLU) for DCGAN-style generators: early
    enough that its components describe global shape and layout, as GANSpace recommends."""
    names = [name for name, _ in G.named_modules()]
    if "main.2" in names:
        return "main.2"
    raise ModelError(f"cannot find an early layer in {type(G).__name__} to compute principal directions from.")


class _StopForward(Exception):
    pass


@torch.inference_mode()
def layer_activations(G: torch.nn.Module, layer: str, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Activations (N, D) of module `layer` for latents z, without running the layers after it."""
    module = dict(G.named_modules())[layer]
    captured: list[torch.Tensor] = []

    def hook(_m, _inp, out):
        captured.append(out.flatten(1).clone())
        raise _StopForward

    handle = module.register_forward_hook(hook)
    try:
        G(z, y) if y is not None else G(z)
    except _StopForward:
        pass
    finally:
        handle.remove()
    return captured[0]


def _top_components(x: torch.Tensor, k: int, seed: int, oversample: int = 10, power_iters: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Top-k right singular vectors (k, D) and singular values of centred x (N, D), by randomized SVD
    (Halko et al. 2011) with a seeded test matrix, so the result is reproducible."""
    n, d = x.shape
    if min(n, d) <= 4 * (k + oversample):
        _, s, vt = torch.linalg.svd(x, full_matrices=False)
        return vt[:k], s[:k]
    gen = torch.Generator().manual_seed(seed)
    omega = torch.randn(d, k + oversample, generator=gen, dtype=x.dtype)
    q, _ = torch.linalg.qr(x @ omega)
    for _ in range(power_iters):
        q, _ = torch.linalg.qr(x.T @ q)
        q, _ = torch.linalg.qr(x @ q)
    _, s, vt = torch.linalg.svd(q.T @ x, full_matrices=False)
    return vt[:k], s[:k]


def compute_principal_directions(
    model: ExplorableGenerator, n_samples: int = 3000, n_components: int = 16, seed: int = 0,
    layer: str | None = None, batch_size: int = 250,
) -> Generator[float, None, PrincipalDirections]:
    """GANSpace's z-space directions for a generator; a generator function yielding progress in [0, 1].

    1. Draw n_samples latents (and random class labels for conditional models) and record the
       activations X of an early layer (default: the output of the first block).
    2. PCA of X: components V (K, D); coordinates A = (X - mean) V^T, divided by their std.
    3. Regress z on A: the least-squares M (K, z_dim) with A M ~ z - mean(z). Row k of M is the z
       direction whose movement best reproduces moving along activation component k; rows are unit-
       normalised. (GANSpace draws fresh latents for this step; we reuse the same ones.)
    4. stds[k] = std of z . u_k, the slider unit.
    """
    G = model.generator
    layer = layer or default_direction_layer(G)
    k = max(1, min(int(n_components), model.z_dim, int(n_samples) - 1))
    z = torch.from_numpy(sample_latents(n_samples, model.z_dim, seed))
    y = None
    if model.n_classes:
        y = torch.randint(0, model.n_classes, (n_samples,), generator=torch.Generator().manual_seed(seed + 1))
    chunks = []
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        chunks.append(layer_activations(G, layer, z[start:stop], None if y is None else y[start:stop]).float())
        yield 0.8 * stop / n_samples
    x = torch.cat(chunks)  # float32: (3000, 8192) for a 64 px ngf-64 DCGAN is ~100 MB
    del chunks
    x -= x.mean(dim=0, keepdim=True)
    total_var = float(x.pow(2).sum(dtype=torch.float64)) / max(n_samples - 1, 1)
    comps, sing = _top_components(x, k, seed)
    yield 0.9
    coords = (x @ comps.T).double()
    sing = sing.double()
    coords /= coords.std(dim=0, keepdim=True).clamp_min(1e-12)
    zc = z.double() - z.double().mean(dim=0, keepdim=True)
    m = torch.linalg.lstsq(coords, zc, driver="gelsd").solution  # (K, z_dim)
    directions = m / m.norm(dim=1, keepdim=True).clamp_min(1e-12)
    stds = (z.double() @ directions.T).std(dim=0)
    explained = (sing ** 2 / max(n_samples - 1, 1)) / max(total_var, 1e-30)
    yield 1.0
    return PrincipalDirections(directions.float().numpy(), stds.float().numpy(), explained.float().numpy(),
                               layer, int(n_samples), int(seed))


def directions_cache_path(cache_dir: str | Path, sha256: str, use_ema: bool, n_samples: int, n_components: int,
                          seed: int, layer: str | None) -> Path:
    """One file per weights content and settings: a retrained checkpoint never reuses stale directions."""
    settings = json.dumps({"ema": bool(use_ema), "n": int(n_samples), "k": int(n_components), "seed": int(seed),
                           "layer": layer, "v": DIRECTIONS_VERSION}, sort_keys=True)
    key = hashlib.sha256(settings.encode()).hexdigest()[:12]
    return Path(cache_dir) / f"directions-{sha256[:24]}-{key}.npz"


def cached_principal_directions(
    path: str | Path, cache_dir: str | Path | None, use_ema: bool = True, sha256: str | None = None,
    n_samples: int = 3000, n_components: int = 16, seed: int = 0, layer: str | None = None,
) -> Generator[Any, None, PrincipalDirections]:
    """Principal directions of the generator in `path`, from the cache when it has them.

    A job function (yields progress in [0, 1]): it opens its own copy of the model, so nothing but
    numpy leaves the thread it runs in. The cache file is .npz (read with allow_pickle=False), written
    atomically.
    """
    from ganstudio.core.checkpoint import atomic_write_bytes

    yield 0.0
    file = weights_file(path)
    digest = sha256 or file_sha256(file)
    target = None
    if cache_dir is not None:
        target = directions_cache_path(cache_dir, digest, use_ema, n_samples, n_components, seed, layer)
        if target.is_file():
            try:
                return PrincipalDirections.from_file(target)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("recomputing directions: cache file %s unreadable (%s)", target, exc)
    model = open_generator(file, use_ema=use_ema, sha256=digest)
    result = yield from compute_principal_directions(model, n_samples, n_components, seed, layer)
    if target is not None:
        try:
            atomic_write_bytes(target, result.to_bytes())
        except OSError as exc:
            log.warning("could not cache principal directions in %s: %s", target, exc)
    return result


# --- bookmarks ----------------------------------------------------------------------------------------

BOOKMARK_FORMAT = "ganstudio-latent-bookmark"
BOOKMARK_VERSION = 1


@dataclass
class Bookmark:
    """Latents as they were on screen, with what is needed to render them again.

    JSON keys: format, version, model {path, sha256, name, source, use_ema}, latents [[...]] (the exact
    float32 values, after truncation, slider offsets and arithmetic), labels (class per latent or null),
    truncation {mode, value}, seed, created, note and metadata (how the latents were made: grid cell,
    direction slider values, arithmetic groups...). `ganstudio sample` reads latents and labels.
    """

    latents: np.ndarray
    model: dict[str, Any] = field(default_factory=dict)
    labels: list[int] | None = None
    truncation: Truncation = field(default_factory=Truncation)
    seed: int | None = None
    note: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    created: str = ""

    def to_json(self) -> str:
        z = np.asarray(self.latents, np.float32)
        if z.ndim == 1:
            z = z[None]
        doc = {
            "format": BOOKMARK_FORMAT, "version": BOOKMARK_VERSION,
            "model": self.model,
            # float(np.float32) is exact in float64 and JSON keeps float64 exactly: the round trip is lossless.
            "latents": [[float(v) for v in row] for row in z],
            "labels": [int(v) for v in self.labels] if self.labels is not None else None,
            "truncation": self.truncation.to_dict(),
            "seed": self.seed,
            "created": self.created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "note": self.note,
            "metadata": self.metadata,
        }
        return json.dumps(doc, indent=1, default=_json_default)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in a bookmark")


def save_bookmark(path: str | Path, bookmark: Bookmark) -> Path:
    from ganstudio.core.checkpoint import atomic_write_bytes

    path = Path(path)
    if path.suffix.lower() != ".json":
        path = path.with_suffix(".json")
    atomic_write_bytes(path, bookmark.to_json().encode())
    return path


def load_bookmark(path: str | Path) -> Bookmark:
    path = Path(path)
    if not path.is_file():
        raise GanStudioError(f"bookmark file {path} does not exist.")
    try:
        doc = json.loads(path.read_text())
        z = np.asarray(doc["latents"], dtype=np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        raise GanStudioError(f"bookmark file {path} is not a bookmark (JSON with a 'latents' list).") from None
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[0] == 0 or not np.isfinite(z).all():
        raise GanStudioError(f"bookmark file {path} holds latents of shape {tuple(z.shape)}; expected (N, z_dim) finite numbers.")
    labels = doc.get("labels")
    if labels is not None:
        if len(labels) != z.shape[0]:
            raise GanStudioError(f"bookmark file {path} has {len(labels)} labels for {z.shape[0]} latents.")
        labels = [int(v) for v in labels]
    try:
        trunc = Truncation.from_dict(doc.get("truncation"))
    except (GanStudioError, TypeError, ValueError):
        trunc = Truncation()
    return Bookmark(latents=z, model=dict(doc.get("model") or {}), labels=labels, truncation=trunc,
                    seed=doc.get("seed"), note=str(doc.get("note", "")), metadata=dict(doc.get("metadata") or {}),
                    created=str(doc.get("created", "")))


def bookmark_model_warning(bookmark: Bookmark, checkpoint: str | Path, use_ema: bool = True) -> str | None:
    """One sentence when a bookmark was made with other weights than `checkpoint` (its pictures will then
    differ from the ones saved); None when they match or the bookmark names no model."""
    want = bookmark.model.get("sha256")
    if not want:
        return None
    file = weights_file(checkpoint)
    if file.is_file() and file_sha256(file) != want:
        return (f"the bookmark was made with {bookmark.model.get('path', 'another model')}, whose weights differ "
                f"from {file.name}; the pictures will not match the ones bookmarked.")
    if "use_ema" in bookmark.model and bool(bookmark.model["use_ema"]) != use_ema and bookmark.model.get("source") != "pytorch-examples-dcgan":
        flag = "without --no-ema" if bookmark.model["use_ema"] else "with --no-ema"
        return f"the bookmark was rendered with the {'EMA' if bookmark.model['use_ema'] else 'raw'} generator; run {flag} to match it."
    return None
