"""Edits of a StyleGAN's per-layer styles w, as plain numpy data (no torch): what a render request and a
bookmark carry besides z, the class and psi.

A StyleGAN renders from ws (N, num_ws, w_dim): one w per synthesis layer, all copies of mapping(z) truncated
toward w_avg by psi. A `StyleEdit` changes them, in this order:

0. given ws (a projected photo, `core.latent.projection`): `ws` (num_ws, w_dim) replaces mapping(z) and psi
   for every latent (z is then ignored); one w repeated is a projection in W, different rows one in W+;
   or a path in W (interpolation in W, as StyleGAN's own videos do): `path_z` (K, z_dim) keyframes, their
   classes `path_labels`, and for each latent of the request its place `path_at` along the path, from 0
   (the first keyframe) to K - 1 (the last); latent i gets the ws lerped between the truncated ws of the
   two keyframes around path_at[i] (z is then ignored);

1. style mixing (Karras et al. 2019, section 3.1): layers [start, stop) take the w of a second latent
   `mix_z` (its class `mix_label`, the same psi) instead;
2. a direction offset (GANSpace, Härkönen et al. 2020): `w_offset` (w_dim,) is added to layers
   [start, stop) of `offset_layers` (None: every layer).

The layer ranges named coarse / middle / fine are those of the StyleGAN paper: the layers that draw the
4-8 px, the 16-32 px and the 64 px-and-up maps (`layer_ranges`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ganstudio.core.errors import GanStudioError

LAYER_RANGE_NAMES = ("coarse", "middle", "fine")
_RANGE_RESOLUTIONS = {"coarse": (0, 8), "middle": (9, 32), "fine": (33, 1 << 30)}


def layer_ranges(resolutions: Sequence[int]) -> dict[str, tuple[int, int]]:
    """{"all", "coarse", "middle", "fine": (start, stop)} for the resolution each w drives; a range with
    no layer (a 16 px model has no fine layers) is left out."""
    out = {"all": (0, len(resolutions))}
    for name, (low, high) in _RANGE_RESOLUTIONS.items():
        idx = [i for i, r in enumerate(resolutions) if low <= int(r) <= high]
        if idx:
            out[name] = (idx[0], idx[-1] + 1)
    return out


def _range(value: Any, num_ws: int | None, what: str) -> tuple[int, int]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        raise GanStudioError(f"{what} must be two whole numbers [start, stop), not {value!r}.")
    start, stop = int(value[0]), int(value[1])
    top = num_ws if num_ws is not None else 4096
    if not 0 <= start < stop <= top:
        raise GanStudioError(f"{what} [{start}, {stop}) is not a layer range within 0 to {top}.")
    return start, stop


def _vector(value: Any, size: int | None, what: str) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):
            v = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        raise GanStudioError(f"{what} is not a list of numbers.") from None
    if v.ndim != 1 or v.size == 0 or (size is not None and v.size != size) or not np.isfinite(v).all():
        want = f"{size} finite numbers" if size is not None else "finite numbers"
        raise GanStudioError(f"{what} holds {v.shape} values; it needs {want}.")
    return v


MAX_PATH_AT = 4096  # latents of one request along a path in W


def _check_path(keys: np.ndarray, labels, at: np.ndarray | None, z_dim: int | None, n_classes: int,
                where: str) -> None:
    keys = np.asarray(keys)
    if keys.ndim != 2 or keys.shape[0] < 2 or (z_dim is not None and keys.shape[1] != z_dim) \
            or not np.isfinite(keys).all():
        raise GanStudioError(f"{where}: a path in W needs two or more keyframes of {z_dim or 'z_dim'} numbers, "
                             f"not {keys.shape}.")
    if at is None or np.asarray(at).ndim != 1 or not 0 < len(at) <= MAX_PATH_AT \
            or not np.isfinite(at).all() or np.min(at) < 0 or np.max(at) > keys.shape[0] - 1:
        raise GanStudioError(f"{where}: the places along the path must be 1 to {MAX_PATH_AT} numbers from 0 "
                             f"to {keys.shape[0] - 1}.")
    if labels is not None and len(labels) != keys.shape[0]:
        raise GanStudioError(f"{where}: the path has {keys.shape[0]} keyframes but {len(labels)} classes.")
    if n_classes and (labels is None or not all(0 <= int(v) < n_classes for v in labels)):
        raise GanStudioError(f"{where}: each keyframe of the path needs a class from 0 to {n_classes - 1}.")


def path_places(n_keys: int, steps: int) -> np.ndarray:
    """The places along a path through `n_keys` keyframes of an interpolation strip with `steps` frames per
    segment: 0, 1/steps, ..., n_keys - 1 ((n_keys - 1) * steps + 1 frames, as `space.interpolate_path`)."""
    return (np.arange((n_keys - 1) * steps + 1, dtype=np.float64) / steps).astype(np.float32)


MAX_WS = 64  # rows of given styles: a 1024 px StyleGAN2 has 18, a StyleGAN3 at most 16
MAX_W_DIM = 4096


def _matrix(value: Any, shape: tuple[int, int] | None, what: str) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):
            m = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        raise GanStudioError(f"{what} is not a table of numbers.") from None
    fits = (m.ndim == 2 and 0 < m.shape[0] <= MAX_WS and 0 < m.shape[1] <= MAX_W_DIM
            and (shape is None or m.shape == tuple(shape)) and np.isfinite(m).all())
    if not fits:
        want = f"{shape[0]} rows of {shape[1]} finite numbers" if shape is not None else "rows of finite numbers"
        raise GanStudioError(f"{what} holds {m.shape} values; it needs {want}.")
    return m


@dataclass(frozen=True)
class StyleEdit:
    """How the ws of every latent of a request are changed (see the module text). Arrays are float32."""

    mix_z: np.ndarray | None = None  # (z_dim,): the second latent whose w the mixed layers take
    mix_label: int | None = None  # its class (conditional models)
    mix_layers: tuple[int, int] | None = None  # [start, stop) of the mixed layers
    w_offset: np.ndarray | None = None  # (w_dim,) added to the layers of offset_layers
    offset_layers: tuple[int, int] | None = None  # None: every layer
    ws: np.ndarray | None = None  # (num_ws, w_dim): styles given outright (a projection), instead of mapping(z)
    path_z: np.ndarray | None = None  # (K, z_dim) keyframes of a path in W ...
    path_labels: tuple[int, ...] | None = None  # ... their classes (conditional models) ...
    path_at: np.ndarray | None = None  # ... and each latent's place along it, in [0, K - 1]

    @property
    def is_identity(self) -> bool:
        return self.ws is None and self.path_z is None and self.mix_z is None and \
            (self.w_offset is None or not np.any(self.w_offset))

    def check(self, z_dim: int, w_dim: int, num_ws: int, n_classes: int = 0, where: str = "the style edit") -> None:
        """GanStudioError (one sentence) when the edit does not fit a model of these sizes."""
        if self.ws is not None:
            _matrix(self.ws, (num_ws, w_dim), f"{where}: the given styles ws")
        if self.path_z is not None:
            _check_path(self.path_z, self.path_labels, self.path_at, z_dim, n_classes, where)
        if self.mix_z is not None:
            _vector(self.mix_z, z_dim, f"{where}: the mixing latent")
            _range(self.mix_layers, num_ws, f"{where}: the mixed layers")
            if n_classes and (self.mix_label is None or not 0 <= int(self.mix_label) < n_classes):
                raise GanStudioError(f"{where}: the mixing latent needs a class from 0 to {n_classes - 1}.")
        if self.w_offset is not None:
            _vector(self.w_offset, w_dim, f"{where}: the w offset")
            if self.offset_layers is not None:
                _range(self.offset_layers, num_ws, f"{where}: the offset layers")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; float(np.float32) is exact in JSON, so the round trip is lossless."""
        out: dict[str, Any] = {}
        if self.mix_z is not None:
            out["mix"] = {"z": [float(v) for v in np.asarray(self.mix_z, np.float32)],
                          "label": None if self.mix_label is None else int(self.mix_label),
                          "layers": [int(v) for v in self.mix_layers]}
        if self.w_offset is not None:
            out["w_offset"] = [float(v) for v in np.asarray(self.w_offset, np.float32)]
            out["offset_layers"] = None if self.offset_layers is None else [int(v) for v in self.offset_layers]
        if self.ws is not None:
            out["ws"] = [[float(v) for v in row] for row in np.asarray(self.ws, np.float32)]
        if self.path_z is not None:
            out["w_path"] = {"keys": [[float(v) for v in row] for row in np.asarray(self.path_z, np.float32)],
                             "labels": None if self.path_labels is None else [int(v) for v in self.path_labels],
                             "at": [float(v) for v in np.asarray(self.path_at, np.float32)]}
        return out

    @classmethod
    def from_dict(cls, d: Any, where: str = "the style edit") -> "StyleEdit | None":
        """An edit from `to_dict`'s JSON (untrusted: every value checked); None for an empty or missing one."""
        if d is None or d == {}:
            return None
        if not isinstance(d, dict) or set(d) - {"mix", "w_offset", "offset_layers", "ws", "w_path"}:
            raise GanStudioError(f"{where} must be an object with mix, w_offset, offset_layers, ws and w_path.")
        mix_z = mix_label = mix_layers = None
        mix = d.get("mix")
        if mix is not None:
            if not isinstance(mix, dict):
                raise GanStudioError(f"{where}: 'mix' must be an object {{z, label, layers}}.")
            mix_z = _vector(mix.get("z"), None, f"{where}: the mixing latent")
            mix_layers = _range(mix.get("layers"), None, f"{where}: the mixed layers")
            label = mix.get("label")
            if label is not None and not (isinstance(label, int) and not isinstance(label, bool) and 0 <= label <= 99_999):
                raise GanStudioError(f"{where}: the mixing latent's class must be a whole number or null.")
            mix_label = label
        w_offset = offset_layers = None
        if d.get("w_offset") is not None:
            w_offset = _vector(d["w_offset"], None, f"{where}: the w offset")
            if d.get("offset_layers") is not None:
                offset_layers = _range(d["offset_layers"], None, f"{where}: the offset layers")
        ws = _matrix(d["ws"], None, f"{where}: the given styles ws") if d.get("ws") is not None else None
        path = {}
        if d.get("w_path") is not None:
            wp = d["w_path"]
            if not isinstance(wp, dict) or set(wp) - {"keys", "labels", "at"}:
                raise GanStudioError(f"{where}: 'w_path' must be an object {{keys, labels, at}}.")
            keys = _matrix(wp.get("keys"), None, f"{where}: the path's keyframes")
            labels = wp.get("labels")
            if labels is not None and not (isinstance(labels, list) and all(
                    isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 99_999 for v in labels)):
                raise GanStudioError(f"{where}: the path's classes must be whole numbers or null.")
            at = _vector(wp.get("at"), None, f"{where}: the places along the path")
            path = dict(path_z=keys, path_labels=None if labels is None else tuple(labels), path_at=at)
            _check_path(path["path_z"], path["path_labels"], at, None, 0, where)
        return cls(mix_z=mix_z, mix_label=mix_label, mix_layers=mix_layers, w_offset=w_offset,
                   offset_layers=offset_layers, ws=ws, **path)

    def describe(self, names: dict[str, tuple[int, int]] | None = None) -> str:
        """A few words for a caption: "mixed fine" / "mixed layers 4-7"."""
        if self.mix_z is None:
            return ""
        for name, rng in (names or {}).items():
            if tuple(rng) == tuple(self.mix_layers) and name != "all":
                return f"mixed {name}"
        return f"mixed layers {self.mix_layers[0]}-{self.mix_layers[1] - 1}"

    def __eq__(self, other: object) -> bool:  # arrays compared by value (the renderer dedupes requests)
        if not isinstance(other, StyleEdit):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))
