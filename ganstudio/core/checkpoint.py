"""Checkpoints: tensors in safetensors, everything else in JSON; written atomically; never unpickled.

A checkpoint is one `NAME.safetensors` file. Its tensors are named `<part>.<key>` (parts: `G`, `G_ema`,
`D`, `opt_G`, `opt_D`, `rng`); its header metadata carries a JSON document (config, step, metrics,
optimizer hyperparameters). A readable copy of that JSON is written beside it as `NAME.json` for
people and tools; loading trusts only the copy inside the weights file, so the two can never disagree.

Writes go to a temporary file in the same folder, are fsynced, then `os.replace`d over the old file:
a crash or a full disk mid-save leaves the previous checkpoint intact.

Weights saved by other programs (`read_foreign_weights`: bare state dicts or training checkpoints holding
one, under any file name) are read with `torch.load(weights_only=True)` only; a file that needs pickled
code to load is refused unexecuted.
"""

from __future__ import annotations

import codecs
import json
import logging
import math
import os
import pickle
import re
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from ganstudio.core.errors import CheckpointError
from ganstudio.core.safe_json import loads_json
from ganstudio.core.safe_names import check_path_text

log = logging.getLogger(__name__)

FORMAT = "ganstudio-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """What a checkpoint holds: named state dicts plus JSON-able metadata."""

    states: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # part -> state dict
    meta: dict[str, Any] = field(default_factory=dict)  # config, step, metrics, optimizer groups, ...
    source: str = ""  # the file it was loaded from, for messages

    @property
    def config(self) -> dict[str, Any]:
        return self.meta.get("config", {})

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))


def _process_umask() -> int:
    """This process's umask, read without changing it (os.umask sets it, for every thread at once)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one. The file gets
    the permissions a plain open() would give it (mkstemp's temp files are owner-only)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        # Inside the try: an interrupt right after the temp file is made still removes it.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_process_umask())
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
    path = Path(check_path_text(str(path), "the checkpoint path", CheckpointError))
    if path.is_dir():
        for candidate in (path / "checkpoints" / "latest.safetensors", path / "latest.safetensors"):
            if candidate.is_file():
                path = candidate
                break
    if path.suffix == ".json" and path.with_suffix(".safetensors").is_file():
        path = path.with_suffix(".safetensors")
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist.")
    if path.suffix.lower() in (".pth", ".pt", ".ckpt", ".pkl", ".bin", ".tar"):
        raise CheckpointError(
            f"{path.name} is a PyTorch pickle file, not a GAN Studio checkpoint; open it as a model (it is read "
            "with weights_only=True) or convert it once with `ganstudio import FILE --out MODEL.safetensors`."
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
        header = loads_json(raw[8 : 8 + header_len], f"the header of checkpoint {path}", max_bytes=100 << 20,
                            error=CheckpointError)
        tensors = st_load_bytes(raw)
    except CheckpointError:
        raise
    except (SafetensorError, ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} is corrupted or truncated ({exc}).") from None
    meta_json = (header.get("__metadata__") or {}).get("ganstudio") if isinstance(header, dict) else None
    if meta_json is None:
        raise CheckpointError(f"{path} is a safetensors file but not a GAN Studio checkpoint (no metadata).")
    meta = loads_json(meta_json, f"the metadata of checkpoint {path}", error=CheckpointError)
    if not isinstance(meta, dict):
        raise CheckpointError(f"the metadata of checkpoint {path} is not a JSON object.")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a GAN Studio checkpoint (format {meta.get('format')!r}).")
    states: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in tensors.items():
        part, _, name = key.partition(".")
        states.setdefault(part, {})[name] = tensor
    # Checked here, once, so that every caller (sampling, info, the trainer's resume) gets one
    # CheckpointError naming the file instead of a KeyError or garbage at its first use.
    _check_meta(meta, path)
    _check_states(states, meta, path)
    return Checkpoint(states=CheckpointParts(states, str(path)), meta=meta, source=str(path))


class CheckpointParts(dict):
    """part -> state dict. Asking for a part the file lacks (`states["D"]` of a generator-only file) is a
    CheckpointError naming the file, not a KeyError; `get` and `in` work as for any dict."""

    def __init__(self, parts: dict[str, dict[str, torch.Tensor]], source: str):
        super().__init__(parts)
        self.source = source

    def __missing__(self, part: str):
        held = ", ".join(sorted(self)) or "nothing"
        raise CheckpointError(f"checkpoint {self.source} has no {part} part (it holds {held}); "
                              f"{_PART_NEEDS.get(part, 'this use needs it')}.")


_PART_NEEDS = {"G": "every use needs the generator", "D": "resuming training needs the discriminator",
               "opt_G": "resuming needs the optimizer state", "opt_D": "resuming needs the optimizer state"}
MODEL_PARTS = ("G", "G_ema", "D", "hist_G", "hist_D")  # weights: finite floating-point numbers
INTEGER_BUFFERS = ("num_batches_tracked",)  # BatchNorm's step counters: the only integer tensors of a network
CONFIG_SECTIONS = ("data", "model", "objective", "tricks", "optim", "train")
MAX_CLASSES = 100_000
_OPT_KEY = re.compile(r"^(\d+)\.(\w+)$")


def check_weight_tensors(state: dict[str, torch.Tensor], where: str, prefix: str = "") -> None:
    """Refuse weights that would render garbage: NaN or infinite values, or integers where a network has
    floating-point numbers (integer BatchNorm counters excepted). Names the first tensors at fault."""
    integer = [k for k, t in state.items()
               if not t.is_floating_point() and not (k.endswith(INTEGER_BUFFERS) and not t.is_complex() and t.dtype != torch.bool)]
    if integer:
        first = integer[0]
        raise CheckpointError(f"{where} holds {state[first].dtype} values in {prefix}{first}"
                              f"{_more(integer)}, where weights are floating-point numbers.")
    bad = [k for k, t in state.items() if t.is_floating_point() and not all_finite(t)]
    if bad:
        raise CheckpointError(f"{where} holds NaN or infinite values in {', '.join(prefix + k for k in bad[:3])}{_more(bad, 3)}.")


def all_finite(tensor: torch.Tensor) -> bool:
    """No NaN or infinity in a floating-point tensor. Opening a model checks every weight, so this takes
    the fast way: numpy's isfinite (4-15x faster than torch's on the CPU) and, for float16, whose isfinite
    numpy emulates, the exponent bits (all ones for NaN and infinity): 5 ms for 7 million weights."""
    if tensor.device.type == "cpu" and tensor.dtype in (torch.float16, torch.float32, torch.float64):
        import numpy as np

        values = tensor.detach().numpy()
        if tensor.dtype == torch.float16:
            return not bool(((values.view(np.uint16) & 0x7C00) == 0x7C00).any())
        return bool(np.isfinite(values).all())
    return bool(torch.isfinite(tensor).all())


def _more(items: list, shown: int = 1) -> str:
    return f" and {len(items) - shown} more tensors" if len(items) > shown else ""


def _is_whole(value: Any, low: int = 0, high: int = 10**15) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_finite(value: Any, low: float = -math.inf, high: float = math.inf) -> bool:
    return _is_number(value) and math.isfinite(value) and low <= value <= high


def _check_meta(meta: dict[str, Any], path: Path) -> None:
    """The types and ranges of every metadata field a reader uses; one CheckpointError naming the field."""
    def bad(field_name: str, expected: str) -> CheckpointError:
        value = repr(meta.get(field_name))
        value = value if len(value) <= 40 else value[:40] + "..."
        return CheckpointError(f"checkpoint {path} is corrupted: its {field_name!r} must be {expected}, not {value}.")

    config = meta.get("config", {})
    if not isinstance(config, dict):
        raise bad("config", "an object of run settings")
    for section in CONFIG_SECTIONS:
        if section in config and not isinstance(config[section], dict):
            raise CheckpointError(f"checkpoint {path} is corrupted: its config section {section!r} is not an object.")
    checks = {
        "step": (lambda v: _is_whole(v), "a whole number of steps, 0 or more"),
        "wall_time": (lambda v: _is_finite(v, 0.0), "a number of seconds, 0 or more"),
        "n_classes": (lambda v: _is_whole(v, 0, MAX_CLASSES), f"a whole number from 0 to {MAX_CLASSES}"),
        "n_critic": (lambda v: _is_whole(v, 1, 1000), "a whole number from 1 to 1000"),
        "ema_updates": (lambda v: _is_whole(v), "a whole number, 0 or more"),
        "hist_counts": (lambda v: isinstance(v, list) and len(v) == 2 and all(_is_whole(c) for c in v), "two whole numbers"),
        "best_value": (lambda v: v is None or _is_finite(v), "a finite number or null"),
        "best_metric": (lambda v: v is None or isinstance(v, str), "a metric name or null"),
        "metrics": (lambda v: isinstance(v, dict) and all(_is_number(x) for x in v.values()), "an object of numbers"),
    }
    for key, (ok, expected) in checks.items():
        if key in meta and not ok(meta[key]):
            raise bad(key, expected)
    has_g, has_d = "opt_G_groups" in meta, "opt_D_groups" in meta
    if has_g != has_d:
        raise CheckpointError(f"checkpoint {path} is corrupted: it has the optimizer settings of "
                              f"{'the generator' if has_g else 'the critic'} only.")
    for key in ("opt_G_groups", "opt_D_groups"):
        if key in meta:
            _check_optimizer_groups(meta[key], f"checkpoint {path} is corrupted: its {key!r}")


_OPT_FLAGS = ("amsgrad", "maximize", "capturable", "differentiable", "nesterov", "centered", "decoupled_weight_decay")


def _check_optimizer_groups(groups: Any, what: str) -> None:
    if not isinstance(groups, list) or not groups or not all(isinstance(g, dict) for g in groups):
        raise CheckpointError(f"{what} must be a list of parameter groups.")
    seen: set[int] = set()
    for group in groups:
        params = group.get("params")
        if not isinstance(params, list) or not all(_is_whole(i, 0, 10**7) for i in params) or seen & set(params) \
                or len(set(params)) != len(params):
            raise CheckpointError(f"{what} holds a group whose 'params' are not distinct parameter numbers.")
        seen |= set(params)
        for key, value in group.items():
            if key == "params":
                continue
            if key == "betas":
                ok = isinstance(value, list) and len(value) == 2 and all(_is_finite(b, 0.0, 1.0) for b in value)
            elif key in _OPT_FLAGS:
                ok = isinstance(value, bool)
            elif key in ("foreach", "fused"):
                ok = value is None or isinstance(value, bool)
            elif key in ("lr", "eps", "weight_decay", "momentum", "alpha", "dampening", "initial_lr"):
                ok = _is_finite(value, 0.0)
            else:  # settings of other optimizers: plain values only
                ok = value is None or isinstance(value, (bool, str)) or _is_finite(value)
            if not ok:
                raise CheckpointError(f"{what} has an invalid {key!r} ({str(value)[:40]}).")


def _check_states(states: dict[str, dict[str, torch.Tensor]], meta: dict[str, Any], path: Path) -> None:
    if "G" not in states:
        raise CheckpointError(f"checkpoint {path} has no generator weights (G); it holds {', '.join(sorted(states)) or 'no tensors'}.")
    for part in MODEL_PARTS:
        if part in states:
            check_weight_tensors(states[part], f"checkpoint {path}", f"{part}.")
    for part in ("hist_G", "hist_D"):
        if part in states and sorted(states[part]) != sorted(str(i) for i in range(len(states[part]))):
            raise CheckpointError(f"checkpoint {path} is corrupted: its {part} tensors are not numbered 0 to {len(states[part]) - 1}.")
    if "opt_G_groups" in meta:
        # Saved before the first step the optimizers have no state tensors: empty parts. After it both
        # have (the critic steps first), so one without the other is a damaged file.
        if ("opt_G" in states) != ("opt_D" in states):
            lacking = "opt_D" if "opt_G" in states else "opt_G"
            raise CheckpointError(f"checkpoint {path} is corrupted: it lacks the optimizer state {lacking}.")
        for part in ("opt_G", "opt_D"):
            states.setdefault(part, {})
            _check_optimizer_state(states[part], meta[f"{part}_groups"], f"checkpoint {path}", part)
    if "rng" in states:
        _check_rng(states["rng"], path)


def _check_optimizer_state(flat: dict[str, torch.Tensor], groups: list[dict[str, Any]], where: str, part: str) -> None:
    """Keys `<param>.<name>` of known parameters, finite floating-point values, the same names for every
    parameter (a parameter without Adam's `step` would fail at the first training step)."""
    known = {i for g in groups for i in g["params"]}
    names: dict[int, set[str]] = {}
    for key, tensor in flat.items():
        m = _OPT_KEY.match(key)
        if m is None or int(m.group(1)) not in known:
            raise CheckpointError(f"{where} is corrupted: its optimizer state {part}.{key} belongs to no parameter.")
        if not tensor.is_floating_point() or not all_finite(tensor):
            raise CheckpointError(f"{where} holds an invalid optimizer state in {part}.{key} "
                                  "(not finite floating-point numbers).")
        if m.group(2) == "step" and (tensor.numel() != 1 or float(tensor) < 0):
            raise CheckpointError(f"{where} is corrupted: its optimizer step count {part}.{key} is not one number, 0 or more.")
        names.setdefault(int(m.group(1)), set()).add(m.group(2))
    if len({frozenset(v) for v in names.values()}) > 1:
        raise CheckpointError(f"{where} is corrupted: the optimizer state {part} does not hold the same values for every parameter.")


def _check_rng(rng: dict[str, torch.Tensor], path: Path) -> None:
    size = torch.get_rng_state().numel()
    if set(rng) != {"trainer", "torch"}:
        raise CheckpointError(f"checkpoint {path} is corrupted: its random-number state holds {', '.join(sorted(rng))}, "
                              "not the trainer's and torch's.")
    scratch = torch.Generator()
    for name, state in rng.items():
        if state.dtype != torch.uint8 or state.dim() != 1 or state.numel() != size:
            raise CheckpointError(f"checkpoint {path} is corrupted: its random-number state rng.{name} is not "
                                  f"{size} bytes ({state.dtype}, {tuple(state.shape)}).")
        try:
            scratch.set_state(state)
        except RuntimeError:
            raise CheckpointError(f"checkpoint {path} is corrupted: its random-number state rng.{name} is invalid.") from None


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


def optimizer_from_flat(opt: torch.optim.Optimizer, flat: dict[str, torch.Tensor], groups: list[dict[str, Any]],
                        where: str = "the checkpoint") -> None:
    """Load flat optimizer tensors into `opt`; `where` names the file in errors ("checkpoint PATH")."""
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in flat.items():
        m = _OPT_KEY.match(key)
        if m is None:
            raise CheckpointError(f"optimizer state {key} in {where} belongs to no parameter.")
        state.setdefault(int(m.group(1)), {})[m.group(2)] = tensor
    current = opt.state_dict()["param_groups"]
    if len(current) != len(groups) or any(len(a["params"]) != len(b["params"]) for a, b in zip(current, groups)):
        raise CheckpointError(f"optimizer state in {where} does not match the model's parameters.")
    # Saved parameter numbers -> this optimizer's parameters, in order, as load_state_dict pairs them.
    params = [p for g in opt.param_groups for p in g["params"]]
    saved_ids = [i for g in groups for i in g["params"]]
    by_id = dict(zip(saved_ids, params))
    for idx, values in state.items():
        param = by_id.get(idx)
        if param is None:
            raise CheckpointError(f"optimizer state for parameter {idx} in {where} belongs to no parameter of the model.")
        for name, tensor in values.items():
            if name != "step" and tuple(tensor.shape) != tuple(param.shape):
                raise CheckpointError(f"optimizer state {idx}.{name} in {where} has shape {tuple(tensor.shape)}; "
                                      f"its parameter has {tuple(param.shape)}.")
    opt.load_state_dict({"state": state, "param_groups": groups})


# --- foreign weights ---------------------------------------------------------------------------------
# Other programs save either a bare state dict (torch.save(netG.state_dict())) or a training checkpoint: a dict
# of state dicts, optimizer states and plain values (the PyTorch DCGAN tutorial's {"netG_state_dict": ...,
# "optimizerG_state_dict": ..., "epoch": 5}). Both are read with torch.load(weights_only=True), which builds
# tensors and plain data only, and the generator's state dict is picked from the outer dict by its name.

# Entries that hold a generator, most specific first (g_ema: the averaged weights are the ones to show).
GENERATOR_ENTRIES = ("g_ema", "netG_state_dict", "generator_state_dict", "G_state_dict", "gen_state_dict",
                     "model_G", "netG", "generator", "G", "g", "gen", "state_dict", "model_state_dict", "model")
# Submodule names of a generator inside a whole model's state dict ("generator.main.0.weight" of a
# Lightning-style module that also holds "discriminator....").
GENERATOR_PREFIXES = ("g_ema", "generator", "netG", "G", "gen")
# Entries that are something else: discriminators, optimizers, schedulers.
_NOT_GENERATOR = re.compile(r"^(net_?)?d(_|$)|^d_|discrim|critic|optim|sched|scaler", re.IGNORECASE)
# Wrappers that prefix every name: DataParallel / DistributedDataParallel, torch.compile.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")
_SAFETENSORS_HEADER_LIMIT = 100_000_000


@dataclass
class ForeignWeights:
    """What a weights file from another program holds: the generator's tensors (wrapper prefixes dropped),
    the entry of the outer dict they came from (None for a bare state dict), the file's top-level keys
    and a safetensors file's header metadata."""

    state: dict[str, torch.Tensor]
    entry: str | None = None
    outer_keys: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    # top-level plain values beside the state dicts: tensors (rosinality's latent_avg), numbers, text and
    # argparse Namespaces read as dicts (rosinality's "args"); optimizer states and other dicts are left out
    extras: dict[str, Any] = field(default_factory=dict)


def read_foreign_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The generator's state dict in a file saved by another program, read without executing pickled code."""
    weights = read_foreign_weights(path)
    if not weights.state:
        path = Path(path)
        raise CheckpointError(f"{path.name} holds no tensors to import ({_describe_keys(weights.outer_keys)}).")
    return weights.state


def read_foreign_weights(path: str | Path) -> ForeignWeights:
    """Read a weights file from another program (a torch.save file under any name, or safetensors) without
    running code: torch.load(weights_only=True) builds tensors and plain data only. Checks the generator's
    tensors (finite floating-point numbers); its state is empty when no entry holds tensors."""
    path = Path(check_path_text(str(path), "the weights file path", CheckpointError))
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist.")
    kind = _sniff_weights_file(path)
    if kind == "safetensors":
        weights = _read_safetensors(path)
    else:
        obj = _torch_load_weights_only(path)
        weights = pick_generator_state(obj, path)
    weights.state = _drop_wrapper_prefixes(weights.state)
    check_weight_tensors(weights.state, f"weights file {path}")
    return weights


def _sniff_weights_file(path: Path) -> str:
    """"torch" (zip archive, legacy pickle or tar) or "safetensors", from the first bytes, whatever the
    name says; anything else is not a PyTorch file, said before the unpickler sees it."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head[:4] == b"PK\x03\x04":  # torch.save since PyTorch 1.6: a zip archive
        return "torch"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:  # legacy torch.save: a pickle (protocol 2+)
        return "torch"
    if head[257:262] == b"ustar":  # torch.save before 0.4 could write a tar archive
        return "torch"
    if len(head) > 9 and 2 <= int.from_bytes(head[:8], "little") <= _SAFETENSORS_HEADER_LIMIT and head[8:9] == b"{":
        return "safetensors"
    if path.suffix == ".safetensors":
        return "safetensors"  # let the safetensors reader say what is wrong with it
    raise CheckpointError(f"{path.name} is not a PyTorch file: {_what_the_bytes_are(head)}.")


def _what_the_bytes_are(head: bytes) -> str:
    if not head:
        return "it is empty"
    try:
        # not final: a character cut by the 200-byte window is left out, not taken for binary
        text = codecs.getincrementaldecoder("utf-8")().decode(head[:200], final=False)
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\n\r\t" for c in text):
        shown = " ".join(text.split())[:40]
        return f"it holds text ({shown!r}), where torch.save writes a zip archive or a pickle"
    return f"it starts with the bytes {head[:4].hex(' ')}, where torch.save writes a zip archive or a pickle"


def _read_safetensors(path: Path) -> ForeignWeights:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            metadata = dict(fh.metadata() or {})
            state = {key: fh.get_tensor(key) for key in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"weights file {path} is corrupted ({exc}).") from None
    return ForeignWeights(state=state, metadata=metadata)


class NamespaceRecord:
    """What an argparse.Namespace in a weights file becomes (rosinality's stylegan2-pytorch saves its command
    line as "args"): its attributes as a plain dict in `values`, built by torch's weights-only unpickler in
    place of the real class, so nothing of argparse (or of the file) runs. Calling it with arguments (a
    REDUCE opcode) builds an empty record."""

    __slots__ = ("values",)

    def __new__(cls, *_ignored: Any, **_ignored_kw: Any) -> "NamespaceRecord":
        record = object.__new__(cls)
        record.values = {}
        return record

    def __init__(self, *_ignored: Any, **_ignored_kw: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state) as pickle passes it
            state = state[0]
        self.values = {str(k): v for k, v in state.items()} if isinstance(state, dict) else {}


def _plain_extras(obj: dict) -> dict[str, Any]:
    """The top-level values ForeignWeights.extras keeps (see there); Namespace records become dicts."""
    extras: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, NamespaceRecord):
            extras[str(key)] = dict(value.values)
        elif isinstance(value, (torch.Tensor, int, float, str, bool)) and not _is_state_dict(value):
            extras[str(key)] = value
    return extras


def _plain_numpy_globals() -> list:
    """numpy scalars and arrays (a loss logged as np.float32 beside the weights): plain data, built without
    calling anything but numpy's own constructors; torch.load refuses them unless they are named."""
    import numpy as np

    multiarray = getattr(np, "_core", None) or np.core
    return [multiarray.multiarray.scalar, multiarray.multiarray._reconstruct, np.ndarray, np.dtype,
            *[cls for cls in vars(np.dtypes).values() if isinstance(cls, type) and issubclass(cls, np.dtype)
              and cls is not np.dtypes.ObjectDType]]


_LOAD_LOCK = threading.Lock()


def _torch_load_weights_only(path: Path) -> Any:
    try:
        # torch warns about pickle protocols it half supports; the refusal below says what matters, in one line.
        # The lock: both the allowed names and the warning filters are process-wide, set and reset per load.
        allowed = [*_plain_numpy_globals(), (NamespaceRecord, "argparse.Namespace")]
        with _LOAD_LOCK, torch.serialization.safe_globals(allowed), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        needed = _globals_needed(path, str(exc))
        if needed:
            # torch.save(netG) pickles the network's classes: the usual mistake, with a usual fix
            whole = "; it is a whole pickled network, so save its state_dict() instead" \
                if any(n.startswith("torch.nn.modules.") for n in needed) else ""
            raise CheckpointError(
                f"{path.name} was refused: it needs pickled code to load ({', '.join(needed[:3])}), which GAN "
                f"Studio never runs (only tensors and plain data are read){whole}."
            ) from None
        raise CheckpointError(f"weights file {path} cannot be read: {_unpickler_reason(str(exc))}.") from None
    except Exception as exc:  # RuntimeError, OSError, EOFError, ...: a truncated or damaged archive
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"weights file {path} cannot be read: it is truncated or damaged ({text}).") from None


_GLOBAL_IN_MESSAGE = re.compile(r"GLOBAL ([\w.]+)")


def _globals_needed(path: Path, message: str) -> list[str]:
    """The Python names a refused file would import and call (read from its pickle opcodes, not run)."""
    try:
        names = list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    except Exception:  # a legacy (non-zip) file: the unpickler's message names the first one
        names = []
    allowed = {f"{g.__module__}.{g.__qualname__}" for g in _plain_numpy_globals()} | {"argparse.Namespace"}
    names = [n for n in names if n not in allowed]
    return names or _GLOBAL_IN_MESSAGE.findall(message)


def _unpickler_reason(message: str) -> str:
    # torch wraps the unpickler's reason in advice about weights_only=False, which GAN Studio never follows.
    reason = message.split("WeightsUnpickler error:")[-1] if "WeightsUnpickler error:" in message else message
    lines = [line.strip() for line in reason.splitlines() if line.strip() and "weights_only" not in line]
    detail = (lines[0] if lines else "unreadable").rstrip(".")
    if detail.startswith("Unsupported operand"):  # pickle protocol 4+ opcodes: pickle.dump, not torch.save
        return f"it is a Python pickle that torch.save did not write ({detail})"
    return detail


def _is_state_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def pick_generator_state(obj: Any, path: Path) -> ForeignWeights:
    """The generator's tensors in what torch.load built: a bare state dict, or the entry of a checkpoint dict
    named like a generator (GENERATOR_ENTRIES), or its one state dict that is not a discriminator's or an
    optimizer's; other values (optimizer states, epochs, losses) are ignored. Empty state when none fits."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path.name} holds a {type(obj).__name__}, not a dict of tensors (a state dict).")
    outer = tuple(str(k) for k in obj)
    if _is_state_dict(obj):
        return _generator_submodule(ForeignWeights(state=dict(obj)))  # its keys are the tensor names
    entry = next((name for name in GENERATOR_ENTRIES if _is_state_dict(obj.get(name))), None)
    if entry is None:
        others = [k for k, v in obj.items() if isinstance(k, str) and _is_state_dict(v) and not _NOT_GENERATOR.search(k)]
        entry = others[0] if len(others) == 1 else None
    if entry is not None:
        return _generator_submodule(ForeignWeights(state=dict(obj[entry]), entry=entry, outer_keys=outer,
                                                   extras=_plain_extras(obj)))
    # A state dict with a few plain values beside its tensors ({"main.0.weight": ..., "epoch": 3}).
    tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    return _generator_submodule(ForeignWeights(state=tensors, outer_keys=outer))


def _generator_submodule(weights: ForeignWeights) -> ForeignWeights:
    """A whole GAN's state dict ("generator.main.0.weight", "discriminator...."): the generator's part."""
    state = _drop_wrapper_prefixes(weights.state)
    for name in GENERATOR_PREFIXES:
        part = {k[len(name) + 1:]: v for k, v in state.items() if k.startswith(name + ".")}
        rest = {k.split(".")[0] for k in state if not k.startswith(name + ".")}
        if part and all(_NOT_GENERATOR.search(other) for other in rest):
            weights.state = part
            weights.entry = f"{weights.entry}/{name}" if weights.entry else name
            return weights
    weights.state = state
    return weights


def _drop_wrapper_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    for prefix in _WRAPPER_PREFIXES:
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def _describe_keys(keys: tuple[str, ...] | list[str], shown: int = 5) -> str:
    if not keys:
        return "no top-level keys"
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return "top-level keys " + ", ".join(keys[:shown]) + more
