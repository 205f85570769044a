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
from ganstudio.core.latent.space import Truncation

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


def read_latents(path: str | Path, z_dim: int) -> tuple[np.ndarray, list[int] | None, Bookmark | None]:
    """Latents to render from a file, as `ganstudio sample --latent` takes them: a bookmark .json (its
    latents, labels and the bookmark itself, which names its weights) or a .npy array (N, z_dim)."""
    path = Path(path)
    if not path.is_file():
        raise GanStudioError(f"latent file {path} does not exist.")
    bookmark = None
    labels = None
    if path.suffix.lower() == ".json":
        bookmark = load_bookmark(path)
        z, labels = bookmark.latents, bookmark.labels
    else:
        try:
            z = np.load(path, allow_pickle=False).astype(np.float32)
        except (ValueError, OSError):
            raise GanStudioError(f"latent file {path} is not a readable .npy array.") from None
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != z_dim:
        raise GanStudioError(f"latent file {path} holds shape {tuple(z.shape)}; this generator needs (N, {z_dim}).")
    if not np.isfinite(z).all():
        raise GanStudioError(f"latent file {path} holds values that are not finite numbers.")
    return z, labels, bookmark
