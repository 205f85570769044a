"""Principal directions in the manner of GANSpace (Härkönen et al. 2020), cached on disk per weights file
and settings. No Qt.

- DCGAN-style generators: PCA of early-layer activations, mapped back to z by least squares (directions in z).
- StyleGANs: PCA of the mapped w = mapping(z) itself, as GANSpace does for StyleGAN (directions in W, applied
  to w after truncation, to a range of layers)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence
from typing import Generator as Job

import numpy as np
import torch

from ganstudio.core.errors import ModelError
from ganstudio.core.generators.formats import file_sha256, weights_file
from ganstudio.core.latent.space import sample_latents

if TYPE_CHECKING:
    from ganstudio.core.generators.handle import Generator

log = logging.getLogger(__name__)

# --- principal directions (GANSpace) ---------------------------------------------------------------------

DIRECTIONS_VERSION = 2
W_SPACE = "w"  # the `layer` of directions computed in W (StyleGAN)


@dataclass
class PrincipalDirections:
    """Unit directions (K, D) in z (D = z_dim) or, with layer "w", in W (D = w_dim), ordered by the
    variance they explain.

    `stds[k]` is the standard deviation of the samples' coordinate along directions[k], so a slider at +-3
    moves a latent (or w) by +-3 typical spreads along that direction. `explained[k]` is the fraction of the
    layer's activation variance (of w's variance) that component k carries.
    """

    directions: np.ndarray
    stds: np.ndarray
    explained: np.ndarray
    layer: str
    n_samples: int
    seed: int

    @property
    def space(self) -> str:
        """"w" for directions in W (StyleGAN: GANSpace's PCA of w, or SeFa), else "z"."""
        return "w" if self.layer in (W_SPACE, SEFA) else "z"

    def offset(self, alphas: np.ndarray | Sequence[float]) -> np.ndarray:
        """The z (or w) offset for slider values `alphas` (in stds): sum_k alpha_k std_k u_k."""
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
    model: "Generator", n_samples: int = 3000, n_components: int = 16, seed: int = 0,
    layer: str | None = None, batch_size: int = 250,
) -> Job[float, None, PrincipalDirections]:
    """GANSpace's z-space directions for a generator; a generator function yielding progress in [0, 1].

    1. Draw n_samples latents (and random class labels for conditional models) and record the
       activations X of an early layer (default: the output of the first block).
    2. PCA of X: components V (K, D); coordinates A = (X - mean) V^T, divided by their std.
    3. Regress z on A: the least-squares M (K, z_dim) with A M ~ z - mean(z). Row k of M is the z
       direction whose movement best reproduces moving along activation component k; rows are unit-
       normalised. (GANSpace draws fresh latents for this step; we reuse the same ones.)
    4. stds[k] = std of z . u_k, the slider unit.
    """
    if getattr(model, "is_stylegan", False) and layer == SEFA:
        return (yield from compute_sefa_directions(model, n_components, None, min(int(n_samples), 1000), seed))
    if getattr(model, "is_stylegan", False) and layer in (None, W_SPACE):
        return (yield from _w_principal_directions(model, n_samples, n_components, seed, batch_size))
    G = model.module
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


def _w_principal_directions(model: "Generator", n_samples: int, n_components: int, seed: int,
                            batch_size: int) -> Job[float, None, PrincipalDirections]:
    """GANSpace for StyleGAN: PCA of w = mapping(z) (no truncation) for n_samples seeded z (and random
    classes); the components are the directions, their singular values / sqrt(n - 1) the stds."""
    w_dim = int(model.info["w_dim"])
    k = max(1, min(int(n_components), w_dim, int(n_samples) - 1))
    z = sample_latents(n_samples, model.z_dim, seed)
    y = None
    if model.n_classes:
        y = torch.randint(0, model.n_classes, (n_samples,), generator=torch.Generator().manual_seed(seed + 1)).numpy()
    chunks = []
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        ws = model.mapped_w(z[start:stop], None if y is None else y[start:stop])
        chunks.append(ws[:, 0].double())  # every layer holds the same w before any edit
        yield 0.8 * stop / n_samples
    w = torch.cat(chunks)
    w -= w.mean(dim=0, keepdim=True)
    total_var = float(w.pow(2).sum()) / max(n_samples - 1, 1)
    _, sing, vt = torch.linalg.svd(w, full_matrices=False)
    comps, sing = vt[:k], sing[:k]
    stds = sing / max(n_samples - 1, 1) ** 0.5
    explained = stds**2 / max(total_var, 1e-30)
    yield 1.0
    return PrincipalDirections(comps.float().numpy(), stds.float().numpy(), explained.float().numpy(), W_SPACE,
                               int(n_samples), int(seed))


SEFA = "sefa"  # the `layer` of closed-form directions (SeFa), in W


def affine_weights(G: torch.nn.Module, layers: tuple[int, int] | None = None) -> torch.Tensor:
    """The style affine layers' weights (sum of out features, w_dim), with their equalised-lr gains, of the
    synthesis layers that read ws [start, stop) (None: all) of an NVlabs-shaped StyleGAN2 or StyleGAN3."""
    synthesis = G.synthesis
    affines = []  # in ws order: (index of the w it reads, affine layer)
    if hasattr(synthesis, "layer_names"):  # StyleGAN3: ws[0] the input, ws[i] layer i - 1
        affines.append((0, synthesis.input.affine))
        affines += [(i + 1, getattr(synthesis, n).affine) for i, n in enumerate(synthesis.layer_names)]
    else:  # StyleGAN2: conv0, conv1 and torgb in turn; a ToRGB shares its w with the next conv0
        idx = 0
        for res in synthesis.block_resolutions:
            block = getattr(synthesis, f"b{res}")
            for name in ("conv0", "conv1"):
                if hasattr(block, name):
                    affines.append((idx, getattr(block, name).affine))
                    idx += 1
            if hasattr(block, "torgb"):
                affines.append((idx, block.torgb.affine))
    start, stop = layers if layers is not None else (0, G.num_ws)
    chosen = [fc.weight * fc.weight_gain for i, fc in affines if start <= i < stop]
    if not chosen:
        raise ModelError(f"no style layer reads ws {start} to {stop - 1}.")
    return torch.cat(chosen, dim=0).detach().double()


def compute_sefa_directions(model: "Generator", n_components: int = 16, layers: tuple[int, int] | None = None,
                            n_samples: int = 1000, seed: int = 0) -> Job[float, None, PrincipalDirections]:
    """Closed-form factorization (SeFa, Shen & Zhou 2021): the directions n in W that change the styles the most,
    the top eigenvectors of A^T A for the stacked style affine weights A (rows normalised as SeFa does). No
    sampling is needed for the directions; `stds` (the slider unit) is the spread of mapped w along each, from
    n_samples seeded latents, and `explained` each eigenvalue's share."""
    G = model.module.G
    a = affine_weights(G, layers)
    a = a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)
    vals, vecs = torch.linalg.eigh(a.T @ a)  # ascending
    k = max(1, min(int(n_components), vecs.shape[1]))
    vals, vecs = vals.flip(0)[:k], vecs.flip(1)[:, :k].T
    yield 0.3
    z = sample_latents(n_samples, model.z_dim, seed)
    y = None
    if model.n_classes:
        y = torch.randint(0, model.n_classes, (n_samples,), generator=torch.Generator().manual_seed(seed + 1)).numpy()
    w = model.mapped_w(z, y)[:, 0].double()
    stds = (w @ vecs.T).std(dim=0)
    yield 1.0
    explained = vals / torch.linalg.eigvalsh(a.T @ a).sum()
    return PrincipalDirections(vecs.float().numpy(), stds.float().numpy(), explained.float().numpy(), SEFA,
                               int(n_samples), int(seed))


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
) -> Job[Any, None, PrincipalDirections]:
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
    from ganstudio.core.generators.handle import open_generator

    # the CPU: the job's own copy, and the same directions on every machine
    model = open_generator(file, device="cpu", use_ema=use_ema, sha256=digest)
    result = yield from compute_principal_directions(model, n_samples, n_components, seed, layer)
    if target is not None:
        try:
            atomic_write_bytes(target, result.to_bytes())
        except OSError as exc:
            log.warning("could not cache principal directions in %s: %s", target, exc)
    return result


