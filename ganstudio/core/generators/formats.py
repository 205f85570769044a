"""The one list of model file formats the app and the CLI open, and how a path names its weights file.

- GAN Studio checkpoints: `NAME.safetensors` + `NAME.json` (either may be given), or a run folder
  (its `checkpoints/latest.safetensors`).
- Weights saved by other programs (`FOREIGN_SUFFIXES`, or a safetensors file without GAN Studio's
  checkpoint metadata, such as those `ganstudio import` writes): read without unpickling code and rebuilt
  by `ganstudio.core.models.importers`, which tell what a file holds from its bytes and tensor names (NVlabs
  StyleGAN `.pkl` snapshots through the allow-list reader of `ganstudio.core.models.nvlabs_pickle`; rosinality
  stylegan2-pytorch `.pt` checkpoints, whose argparse Namespace is read as plain data, by
  `ganstudio.core.models.rosinality`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHECKPOINT_SUFFIXES = (".safetensors", ".json")
FOREIGN_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".tar", ".pkl")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def file_dialog_filter() -> str:
    """The open-file filter every area's model dialog shows (Qt's "Title (*.a *.b);;..." syntax)."""
    ours = " ".join(f"*{s}" for s in CHECKPOINT_SUFFIXES)
    foreign = " ".join(f"*{s}" for s in FOREIGN_SUFFIXES)
    return (f"Generators ({ours} {foreign});;GAN Studio checkpoints (*.safetensors);;"
            f"Weights from other programs ({foreign});;All files (*)")


def weights_file(path: str | Path) -> Path:
    """The file behind a model argument: a run folder resolves to its latest checkpoint and a checkpoint's
    .json twin to its .safetensors file (the same rules as `checkpoint.load_checkpoint`)."""
    path = Path(path).expanduser()
    if path.is_dir():
        for candidate in (path / "checkpoints" / "latest.safetensors", path / "latest.safetensors"):
            if candidate.is_file():
                return candidate.resolve()
    if path.suffix == ".json" and path.with_suffix(".safetensors").is_file():
        path = path.with_suffix(".safetensors")
    return path.resolve() if path.exists() else path


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_ganstudio_safetensors(path: Path) -> bool:
    """True for our checkpoints (metadata key "ganstudio"); unreadable headers count as ours so that
    `checkpoint.load_checkpoint` reports what is wrong with the file."""
    from ganstudio.core.errors import GanStudioError
    from ganstudio.core.safe_json import loads_json

    try:
        with open(path, "rb") as fh:
            n = int.from_bytes(fh.read(8), "little")
            if n <= 0 or n > 100_000_000:
                return False
            header = loads_json(fh.read(n), f"the header of {path}", max_bytes=100_000_000)
    except (OSError, GanStudioError):
        return True
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__") or {}, dict):
        return True
    return "ganstudio" in (header.get("__metadata__") or {})


def is_foreign(path: Path) -> bool:
    """Weights written by another program (imported, never unpickled)."""
    if path.suffix.lower() in FOREIGN_SUFFIXES:
        return True
    return path.suffix == ".safetensors" and path.is_file() and not is_ganstudio_safetensors(path)
