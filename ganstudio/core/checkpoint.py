"""Checkpoints: tensors in safetensors, everything else in JSON; written atomically; never unpickled.

A checkpoint is one `NAME.safetensors` file. Its tensors are named `<part>.<key>` (parts: `G`, `G_ema`,
`D`, `opt_G`, `opt_D`, `rng`); its header metadata carries a JSON document (config, step, metrics,
optimizer hyperparameters). A readable copy of that JSON is written beside it as `NAME.json` for
people and tools; loading trusts only the copy inside the weights file, so the two can never disagree.

Writes go to a temporary file in the same folder, are fsynced, then `os.replace`d over the old file:
a crash or a full disk mid-save leaves the previous checkpoint intact.

Foreign `.pth` state dicts (from the pix2pix reference code or pytorch/examples) are read with
`torch.load(weights_only=True)` only; a file that needs pickled code to load is refused unexecuted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from ganstudio.core.errors import CheckpointError

log = logging.getLogger(__name__)

FORMAT = "ganstudio-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """What a checkpoint holds: named state dicts plus JSON-able metadata."""

    states: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # part -> state dict
    meta: dict[str, Any] = field(default_factory=dict)  # config, step, metrics, optimizer groups, ...

    @property
    def config(self) -> dict[str, Any]:
        return self.meta.get("config", {})

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        # Inside the try: an interrupt right after the temp file is made still removes it.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Full disk, Ctrl-C, ...: drop the partial temp file and keep the previous checkpoint.
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


# atomic_write_bytes' temp files: ".NAME.<8 characters of mkstemp>.tmp" beside NAME. Only kill -9 (or a
# power cut) mid-write leaves one behind.
_UNFINISHED_WRITE = re.compile(r"^\.(?P<target>.+\.(?:safetensors|json|jsonl))\.[a-z0-9_]{8}\.tmp$")


def remove_unfinished_writes(folder: str | Path) -> list[Path]:
    """Delete the temp files of atomic writes in `folder` that never finished; returns what went. Call it
    only while owning the folder (a run's lock): another writer's save in progress looks the same."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if _UNFINISHED_WRITE.match(entry.name) and entry.is_file():
            try:
                entry.unlink()
                removed.append(entry)
            except FileNotFoundError:
                pass
    return removed


def _flatten(states: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    flat: dict[str, torch.Tensor] = {}
    for part, state in states.items():
        for key, tensor in state.items():
            # safetensors needs contiguous CPU tensors that share no memory.
            flat[f"{part}.{key}"] = tensor.detach().to("cpu").contiguous().clone()
    return flat


def save_checkpoint(path: str | Path, ckpt: Checkpoint) -> Path:
    """Save atomically; refuse to write non-finite weights (they would poison every later resume)."""
    path = Path(path)
    if path.suffix != ".safetensors":
        path = path.with_suffix(".safetensors")
    flat = _flatten(ckpt.states)
    bad = [k for k, t in flat.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    bad = [k for k in bad if not k.startswith(("opt_", "rng."))]
    if bad:
        raise CheckpointError(
            f"refusing to write {path.name}: {len(bad)} tensors hold NaN or infinite values "
            f"(first: {', '.join(bad[:3])})."
        )
    meta = dict(ckpt.meta)
    meta.setdefault("format", FORMAT)
    meta.setdefault("format_version", FORMAT_VERSION)
    meta_json = json.dumps(meta, sort_keys=True, default=_json_default)
    data = st_save_bytes(flat, metadata={"ganstudio": meta_json})
    atomic_write_bytes(path, data)
    atomic_write_bytes(path.with_suffix(".json"), json.dumps(meta, indent=2, default=_json_default).encode())
    return path


def _json_default(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in checkpoint metadata")


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load a GAN Studio checkpoint; one clear CheckpointError for anything wrong with the file."""
    path = Path(path)
    if path.is_dir():
        for candidate in (path / "checkpoints" / "latest.safetensors", path / "latest.safetensors"):
            if candidate.is_file():
                path = candidate
                break
    if path.suffix == ".json" and path.with_suffix(".safetensors").is_file():
        path = path.with_suffix(".safetensors")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist.")
    if path.suffix in (".pth", ".pt", ".ckpt", ".pkl", ".bin"):
        raise CheckpointError(
            f"{path.name} is a PyTorch pickle file, not a GAN Studio checkpoint; import it as foreign "
            "weights (it is then read with weights_only=True) instead."
        )
    raw = path.read_bytes()
    if len(raw) < 16:
        raise CheckpointError(f"checkpoint {path} is truncated ({len(raw)} bytes).")
    try:
        header_len = int.from_bytes(raw[:8], "little")
        if header_len <= 0 or 8 + header_len > len(raw):
            raise CheckpointError(
                f"checkpoint {path} is truncated or not a safetensors file "
                f"(header claims {header_len} bytes, file has {len(raw)})."
            )
        header = json.loads(raw[8 : 8 + header_len])
        tensors = st_load_bytes(raw)
    except CheckpointError:
        raise
    except (SafetensorError, ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupted or truncated ({exc}).") from None
    meta_json = (header.get("__metadata__") or {}).get("ganstudio")
    if meta_json is None:
        raise CheckpointError(f"{path} is a safetensors file but not a GAN Studio checkpoint (no metadata).")
    meta = json.loads(meta_json)
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a GAN Studio checkpoint (format {meta.get('format')!r}).")
    states: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        part, _, name = key.partition(".")
        states.setdefault(part, {})[name] = tensor
    return Checkpoint(states=states, meta=meta)


def load_state_into(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str, path: Path | str) -> None:
    """load_state_dict with an error that names the file and the mismatching tensors."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong_shape = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and tuple(state[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or wrong_shape:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} ({', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} ({', '.join(unexpected[:3])})")
        if wrong_shape:
            parts.append(f"wrong shape {len(wrong_shape)} ({'; '.join(wrong_shape[:3])})")
        raise CheckpointError(f"{what} weights in {path} do not match the model: {', '.join(parts)}.")
    module.load_state_dict(state, strict=True)


# --- optimizer state <-> flat tensors + JSON --------------------------------------------------------

def optimizer_to_flat(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    sd = opt.state_dict()
    flat: dict[str, torch.Tensor] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            tensor = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            flat[f"{idx}.{key}"] = tensor
    return flat, sd["param_groups"]


def optimizer_from_flat(opt: torch.optim.Optimizer, flat: dict[str, torch.Tensor], groups: list[dict[str, Any]]) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in flat.items():
        idx, _, name = key.partition(".")
        state.setdefault(int(idx), {})[name] = tensor
    current = opt.state_dict()["param_groups"]
    if len(current) != len(groups) or any(len(a["params"]) != len(b["params"]) for a, b in zip(current, groups)):
        raise CheckpointError("optimizer state in the checkpoint does not match the model's parameters.")
    opt.load_state_dict({"state": state, "param_groups": groups})


# --- foreign weights ---------------------------------------------------------------------------------

def read_foreign_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a .pth state dict saved by another program without executing any pickled code."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist.")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file

            return load_file(str(path))
        except (SafetensorError, OSError) as exc:
            raise CheckpointError(f"weights file {path} is corrupted ({exc}).") from None
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for code-carrying files, RuntimeError for truncation
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc) or "GLOBAL" in str(exc):
            raise CheckpointError(
                f"{path.name} was refused: it needs pickled code to load, which GAN Studio never runs "
                "(only plain state dicts of tensors can be imported)."
            ) from None
        raise CheckpointError(f"weights file {path} cannot be read: {text}.") from None
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path.name} does not hold a state dict of tensors.")
    # DataParallel saves add a 'module.' prefix; drop it so names match the plain model.
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj
