"""Bookmarks: latents plus everything needed to render them again, as JSON, so that
`ganstudio sample CHECKPOINT --latent BOOKMARK.json --out x.png` reproduces the screen exactly. No Qt."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.formats import file_sha256, weights_file
from ganstudio.core.generators.style_edit import StyleEdit
from ganstudio.core.latent.space import Truncation
from ganstudio.core.safe_json import read_json
from ganstudio.core.safe_names import check_path_text

# --- bookmarks ----------------------------------------------------------------------------------------

BOOKMARK_FORMAT = "ganstudio-latent-bookmark"
BOOKMARK_VERSION = 2  # 2: truncation_psi and style (StyleGAN); version 1 files read the same


@dataclass
class Bookmark:
    """Latents as they were on screen, with what is needed to render them again.

    JSON keys: format, version, model {path, sha256, name, source, use_ema}, latents [[...]] (the exact
    float32 values, after truncation, slider offsets and arithmetic), labels (class per latent or null),
    truncation {mode, value}, seed, created, note and metadata (how the latents were made: grid cell,
    direction slider values, arithmetic groups...). StyleGAN bookmarks add truncation_psi (psi toward
    w_avg at render time) and style (a `StyleEdit`: the mixing latent and layers, the W offset and its
    layers). `ganstudio sample` reads latents, labels, truncation_psi and style.
    """

    latents: np.ndarray
    model: dict[str, Any] = field(default_factory=dict)
    labels: list[int] | None = None
    truncation: Truncation = field(default_factory=Truncation)
    seed: int | None = None
    note: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    truncation_psi: float = 1.0
    style: StyleEdit | None = None

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
            "truncation_psi": float(self.truncation_psi),
            "style": self.style.to_dict() if self.style is not None else None,
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


MAX_BOOKMARK_BYTES = 16 << 20  # thousands of latents of z_dim 512 as JSON text
MAX_LATENTS = 100_000  # rows of a bookmark or a .npy latent file (each is one picture to render)
MAX_LABEL = 99_999  # class ids: far more classes than any conditional model has
SEED_MAX = 2**31 - 1  # the seed boxes' range (explore_state.SEED_LIMIT)
_MODEL_TEXT_KEYS = ("sha256", "name", "source")


def load_bookmark(path: str | Path) -> Bookmark:
    """A bookmark file; GanStudioError (one sentence naming the file) for anything that does not fit."""
    path = Path(path)
    where = f"bookmark file {path}"
    doc = read_json(path, what="bookmark file", max_bytes=MAX_BOOKMARK_BYTES)
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
            z = np.asarray(doc["latents"], dtype=np.float32)
    except (ValueError, KeyError, TypeError, OverflowError):
        raise GanStudioError(f"{where} is not a bookmark (JSON with a 'latents' list).") from None
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0 or not np.isfinite(z).all():
        raise GanStudioError(f"{where} holds latents of shape {tuple(z.shape)}; expected (N, z_dim) finite numbers.")
    labels = doc.get("labels")
    if labels is not None:
        if not isinstance(labels, list) or not all(_is_whole(v, 0, MAX_LABEL) for v in labels):
            raise GanStudioError(f"{where}: 'labels' must be a list of class numbers 0 to {MAX_LABEL}, or null.")
        if len(labels) != z.shape[0]:
            raise GanStudioError(f"{where} has {len(labels)} labels for {z.shape[0]} latents.")
        labels = [int(v) for v in labels]
    model = _bookmark_model(doc.get("model"), where)
    trunc_doc = doc.get("truncation")
    if trunc_doc is not None and not isinstance(trunc_doc, dict):
        raise GanStudioError(f"{where}: 'truncation' must be an object {{mode, value}}.")
    try:
        trunc = Truncation.from_dict(trunc_doc)
    except (GanStudioError, TypeError, ValueError) as exc:
        raise GanStudioError(f"{where}: its truncation does not fit ({exc}).") from None
    seed = doc.get("seed")
    if seed is not None and not _is_whole(seed, 0, SEED_MAX):
        raise GanStudioError(f"{where}: 'seed' must be a whole number from 0 to {SEED_MAX}, or null.")
    psi = doc.get("truncation_psi", 1.0)
    if psi is None:
        psi = 1.0
    if not isinstance(psi, (int, float)) or isinstance(psi, bool) or not -2.0 <= float(psi) <= 2.0:
        raise GanStudioError(f"{where}: 'truncation_psi' must be a number from -2 to 2.")
    style = StyleEdit.from_dict(doc.get("style"), where=f"{where}: its style")
    metadata = doc.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise GanStudioError(f"{where}: 'metadata' must be an object.")
    for key in ("note", "created"):
        if not isinstance(doc.get(key, ""), str):
            raise GanStudioError(f"{where}: '{key}' must be text.")
    return Bookmark(latents=z, model=model, labels=labels, truncation=trunc, seed=seed, note=doc.get("note", ""),
                    metadata=dict(metadata or {}), created=doc.get("created", ""), truncation_psi=float(psi),
                    style=style)


def _bookmark_model(model: Any, where: str) -> dict[str, Any]:
    """The bookmark's `model` object, with a path the file system can take: the Explore area looks it up."""
    if model is None:
        return {}
    if not isinstance(model, dict):
        raise GanStudioError(f"{where}: 'model' must be an object {{path, sha256, name, ...}}.")
    if model.get("path") is not None:
        check_path_text(model["path"], f"{where}: the model path", GanStudioError)
    for key in _MODEL_TEXT_KEYS:
        if model.get(key) is not None and not isinstance(model[key], str):
            raise GanStudioError(f"{where}: the model's '{key}' must be text.")
    if "use_ema" in model and not isinstance(model["use_ema"], bool):
        raise GanStudioError(f"{where}: the model's 'use_ema' must be true or false.")
    return dict(model)


def _is_whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


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


def read_latents(path: str | Path, z_dim: int) -> tuple[np.ndarray, list[int] | None, Bookmark | None]:
    """Latents to render from a file, as `ganstudio sample --latent` takes them: a bookmark .json (its
    latents, labels and the bookmark itself, which names its weights) or a .npy array (N, z_dim)."""
    path = Path(check_path_text(str(path), "the latent file path", GanStudioError))
    if not path.is_file():
        raise GanStudioError(f"latent file {path} does not exist.")
    bookmark = None
    labels = None
    if path.suffix.lower() == ".json":
        bookmark = load_bookmark(path)
        z, labels = bookmark.latents, bookmark.labels
    else:
        z = _read_npy_latents(path)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != z_dim:
        raise GanStudioError(f"latent file {path} holds shape {tuple(z.shape)}; this generator needs (N, {z_dim}).")
    if z.shape[0] == 0:
        raise GanStudioError(f"latent file {path} holds no latents.")
    if not np.isfinite(z).all():
        raise GanStudioError(f"latent file {path} holds values that are not finite numbers.")
    return z, labels, bookmark


def _read_npy_latents(path: Path) -> np.ndarray:
    """A .npy array of real numbers as float32; its header (dtype, shape) is checked before the data is read."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(fh)  # the header alone, not the data
    except (ValueError, OSError, EOFError, SyntaxError, TypeError):
        raise GanStudioError(f"latent file {path} is not a readable .npy array.") from None
    if dtype.kind not in "fiu":  # complex, bool, text and object arrays are no latents
        raise GanStudioError(f"latent file {path} holds {dtype} values; latents are real numbers.")
    if len(shape) >= 1 and shape[0] > MAX_LATENTS or int(np.prod(shape, dtype=np.float64)) > MAX_LATENTS * 4096:
        raise GanStudioError(f"latent file {path} holds {shape} values; at most {MAX_LATENTS} latents are rendered at once.")
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
            return np.load(path, allow_pickle=False).astype(np.float32)
    except (ValueError, OSError, EOFError):
        raise GanStudioError(f"latent file {path} is not a readable .npy array.") from None
