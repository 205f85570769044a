"""Read NVlabs StyleGAN pickles (`network-snapshot-*.pkl`, the official FFHQ / AFHQ / MetFaces files) without
running anything from the file, and rebuild their generator as GAN Studio's own StyleGAN2 or StyleGAN3 code.

How NVlabs writes them (torch_utils/persistence.py): every network object is pickled as a call of the global
`torch_utils.persistence._reconstruct_persistent_obj(meta)`, meta = {type: 'class', version, module_src (the
whole source file of its class), class_name, state (the module's __dict__: _parameters, _buffers,
_modules, the init args and kwargs, plain attributes)}. Their loader executes module_src. Ours never does:

- `_NVlabsUnpickler.find_class` answers only the allow-list `ALLOWED_GLOBALS` (tensor and parameter rebuild,
  storages, OrderedDict, set, EasyDict as a plain dict, numpy scalars / dtypes / arrays of numbers, bytes
  of protocol-2 files) with our own functions; any other global is refused with one sentence naming it.
- `_reconstruct_persistent_obj` becomes `_inert_persistent_object`, which returns a `PersistentObject`
  (class name, init args and kwargs, state). module_src is only counted, never read, compiled or imported.
- Storages (`torch.storage._load_from_bytes`, a small legacy torch.save file per storage) are decoded here:
  the header pickles go through an unpickler that builds nothing but numbers and strings, sizes are
  checked against the bytes actually present before anything is allocated, and no torch.load is called.

`import_nvlabs_pickle(path)` picks G_ema (else G), validates its init kwargs, collects the flat state dict
with NVlabs' dotted names and loads it into `stylegan2.StyleGAN2Generator` (built on the meta device first,
so a file cannot make us allocate more than the weights it holds). A generator whose synthesis network
starts with Fourier features (`SynthesisInput`) is a StyleGAN3 (configs T and R) and becomes
`stylegan3.StyleGAN3Generator` the same way.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ganstudio.core.errors import CheckpointError

__all__ = ["PersistentObject", "ALLOWED_GLOBALS", "read_nvlabs_pickle", "flat_state_dict", "is_nvlabs_pickle_file",
           "import_nvlabs_pickle", "PROGRAM"]

PROGRAM = "NVlabs stylegan2-ada-pytorch"
MAX_PICKLE_BYTES = 8 << 30  # the largest official StyleGAN pickles are about 0.4 GB
MAX_TREE_DEPTH = 32  # NVlabs generators nest 4 deep (G.synthesis.b64.conv0.affine)
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a legacy torch.save file
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


class _Refused(Exception):
    """A reason the file is refused, completed with the file name where the file is read."""


@dataclass
class PersistentObject:
    """What a persistent NVlabs object is once made inert: data, never a class of the file's code."""

    class_name: str
    init_args: tuple = ()
    init_kwargs: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)  # the module __dict__ less _init_args / _init_kwargs
    version: int = 0
    module_src_chars: int = 0  # how long the code we did not run is

    def child(self, name: str) -> "PersistentObject | None":
        modules = self.state.get("_modules") or {}
        sub = modules.get(name) if isinstance(modules, dict) else None
        return sub if isinstance(sub, PersistentObject) else None


# --- the allow-list: every global a file may name, each mapped to our own function -------------------------

class _PlainDict(dict):
    """dnnlib.EasyDict read as a dict: attribute access and any state its pickle carries are dropped."""

    def __setstate__(self, state: Any) -> None:
        pass


@dataclass(frozen=True)
class _StorageBytes:
    """A decoded storage: its elements as a flat tensor."""

    flat: torch.Tensor


def _inert_persistent_object(meta: Any) -> PersistentObject:
    if not isinstance(meta, dict):
        raise _Refused("holds a persistent object whose description is not a dict")
    if meta.get("type") != "class":
        raise _Refused(f"holds a persistent object of type {str(meta.get('type'))[:40]!r}, not 'class'")
    name, src, state, version = meta.get("class_name"), meta.get("module_src"), meta.get("state"), meta.get("version")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _Refused("holds a persistent object without a valid class name")
    if not isinstance(src, str) or not isinstance(state, dict) or not isinstance(version, int):
        raise _Refused(f"holds a persistent {name} without its source text, state or version")
    state = dict(state)
    args, kwargs = state.pop("_init_args", ()), state.pop("_init_kwargs", {})
    if not isinstance(args, (tuple, list)) or not isinstance(kwargs, dict):
        raise _Refused(f"holds a persistent {name} whose init arguments are not a tuple and a dict")
    return PersistentObject(class_name=name, init_args=tuple(args), init_kwargs=dict(kwargs), state=state,
                            version=version, module_src_chars=len(src))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_ignored: Any) -> torch.Tensor:
    """torch._utils._rebuild_tensor(_v2): a view of a storage. Hooks and metadata are dropped."""
    if not isinstance(storage, _StorageBytes):
        raise _Refused("holds a tensor that is not backed by a storage")
    size, stride = tuple(size) if isinstance(size, (tuple, list)) else None, tuple(stride) if isinstance(stride, (tuple, list)) else None
    if (size is None or stride is None or len(size) != len(stride) or len(size) > 8 or not _is_int(offset)
            or not all(_is_int(v) and v >= 0 for v in size + stride) or offset < 0):
        raise _Refused("holds a tensor with an invalid shape or stride")
    flat = storage.flat
    if math.prod(size) and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= flat.numel():
        raise _Refused(f"holds a tensor of shape {size} that reaches past the end of its storage")
    if not math.prod(size) and offset > flat.numel():
        raise _Refused("holds an empty tensor whose offset lies past its storage")
    return flat.as_strided(size, stride, offset)


def _rebuild_parameter(data: Any, requires_grad: Any = False, *_ignored: Any) -> torch.Tensor:
    """torch._utils._rebuild_parameter(_with_state): the parameter's data (we never train these)."""
    if not isinstance(data, torch.Tensor):
        raise _Refused("holds a parameter that is not a tensor")
    return data


def _latin1_bytes(text: Any, encoding: Any = "latin1") -> bytes:
    """_codecs.encode as protocol-2 pickles spell bytes: text in latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _Refused("holds a text encoding other than latin-1 bytes")
    return text.encode("latin1")


_NUMERIC_KINDS = "biufc"  # bool, int, unsigned, float, complex: never object arrays


def _numpy_dtype(spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
    if not isinstance(spec, str) or len(spec) > 8:
        raise _Refused("holds an invalid numpy dtype")
    try:
        dt = np.dtype(spec, align=False, copy=True)  # a copy: the BUILD that follows must not touch numpy's own
    except TypeError:
        raise _Refused(f"holds the unknown numpy dtype {spec!r}") from None
    if dt.kind not in _NUMERIC_KINDS:
        raise _Refused(f"holds numpy values of dtype {spec!r}, where only numbers are read")
    return dt


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.kind not in _NUMERIC_KINDS or not isinstance(data, bytes):
        raise _Refused("holds a numpy scalar that is not a number")
    if len(data) != dtype.itemsize:
        raise _Refused("holds a numpy scalar of the wrong size")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


class _NumericArray(np.ndarray):
    """numpy arrays as pickles rebuild them (_reconstruct, then BUILD), checked to hold numbers only."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "_NumericArray":
        raise _Refused("asks to build a numpy array directly, which would allocate what the file asks for")

    def __setstate__(self, state: Any) -> None:
        if (not isinstance(state, tuple) or len(state) != 5 or not isinstance(state[2], np.dtype)
                or state[2].kind not in _NUMERIC_KINDS or not isinstance(state[4], bytes)):
            raise _Refused("holds a numpy array that is not an array of numbers")
        shape = state[1]
        if not isinstance(shape, tuple) or not all(_is_int(n) and n >= 0 for n in shape) or \
                math.prod(shape) * state[2].itemsize != len(state[4]):
            raise _Refused("holds a numpy array whose shape does not fit its bytes")
        super().__setstate__(state)


def _numpy_reconstruct(cls: Any, shape: Any, typecode: Any) -> np.ndarray:
    if cls is not _NumericArray or not isinstance(shape, tuple) or not isinstance(typecode, bytes):
        raise _Refused("holds an invalid numpy array")
    return np.ndarray.__new__(_NumericArray, (0,), dtype=np.uint8)


ALLOWED_GLOBALS: dict[tuple[str, str], Callable[..., Any] | type] = {
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _inert_persistent_object,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch.storage", "_load_from_bytes"): lambda blob: _storage_from_legacy_bytes(blob),
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("__builtin__", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "frozenset"): frozenset,
    ("_codecs", "encode"): _latin1_bytes,
    ("dnnlib.util", "EasyDict"): _PlainDict,
    ("dnnlib", "EasyDict"): _PlainDict,
    ("numpy", "dtype"): _numpy_dtype,
    ("numpy", "ndarray"): _NumericArray,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
}


def _refuse_global(module: str, name: str) -> _Refused:
    return _Refused(f"asks for the Python global {module[:80]}.{name[:80]}, which GAN Studio never loads "
                    "from a pickle (it builds only tensors, plain containers and inert NVlabs network records)")


class _NVlabsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise _refuse_global(module, name)
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("holds a persistent id, which NVlabs network pickles never use")


# --- storages: the legacy torch.save file inside each one ---------------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}


@dataclass(frozen=True)
class _StorageType:
    dtype: torch.dtype


class _PlainUnpickler(pickle.Unpickler):
    """For the header pickles of a storage file: numbers, strings, lists, tuples, dicts; no globals."""

    def find_class(self, module: str, name: str) -> Any:
        raise _refuse_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
        raise _Refused("holds a storage file with a misplaced persistent id")


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: torch.dtype
    numel: int


class _StorageRefUnpickler(_PlainUnpickler):
    """The storage's own pickle: one persistent id ('storage', type, key, location, numel, view)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise _refuse_global(module, name)

    def persistent_load(self, pid: Any) -> Any:
        if (not isinstance(pid, tuple) or len(pid) not in (5, 6) or pid[0] != "storage"
                or not isinstance(pid[1], _StorageType) or not isinstance(pid[2], str)
                or not isinstance(pid[3], str) or not _is_int(pid[4]) or pid[4] < 0):
            raise _Refused("holds a storage file with an invalid storage reference")
        if len(pid) == 6 and pid[5] is not None:
            raise _Refused("holds a storage view, which GAN Studio does not read")
        return _StorageRef(pid[2], pid[1].dtype, pid[4])


def _storage_from_legacy_bytes(blob: Any) -> _StorageBytes:
    """torch.storage._load_from_bytes, decoded without torch.load: magic, version, system info, the storage
    reference, its key list, then (int64 element count, raw little-endian bytes)."""
    if not isinstance(blob, bytes):
        raise _Refused("holds a storage that is not bytes")
    f = io.BytesIO(blob)
    try:
        magic, version, sys_info = (_PlainUnpickler(f).load() for _ in range(3))
        ref = _StorageRefUnpickler(f).load()
        keys = _PlainUnpickler(f).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError):
        raise _Refused("holds a corrupted storage") from None
    if magic != _TORCH_LEGACY_MAGIC or version != 1001 or not isinstance(sys_info, dict):
        raise _Refused("holds a storage that is not in torch's storage format")
    if sys_info.get("little_endian") is not True:
        raise _Refused("holds big-endian storages, which GAN Studio does not read")
    if not isinstance(ref, _StorageRef) or keys != [ref.key]:
        raise _Refused("holds a storage file that is not exactly one storage")
    count = int.from_bytes(f.read(8), "little")
    itemsize = torch.empty(0, dtype=ref.dtype).element_size()
    nbytes = ref.numel * itemsize
    if count != ref.numel or nbytes > len(blob) - f.tell():  # checked before anything is allocated
        raise _Refused("holds a storage whose bytes are missing or do not match its size")
    data = bytearray(f.read(nbytes))
    flat = torch.frombuffer(data, dtype=ref.dtype) if nbytes else torch.empty(0, dtype=ref.dtype)
    return _StorageBytes(flat)


# --- reading a file -----------------------------------------------------------------------------------------

def is_nvlabs_pickle_file(path: str | Path) -> bool:
    """True for a .pkl file that is a plain pickle (what NVlabs writes): not a zip archive (torch.save's
    format) nor a legacy torch.save file, which go to the weights_only reader of the other importers."""
    if Path(path).suffix.lower() != ".pkl":
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    if head[:4] == b"PK\x03\x04" or len(head) < 2 or head[0] != 0x80:
        return False
    legacy_magic = pickle.dumps(_TORCH_LEGACY_MAGIC, protocol=2)[2:-1]
    return not head[2:].startswith(legacy_magic)


def read_nvlabs_pickle(path: str | Path) -> dict[str, Any]:
    """The top-level dict of an NVlabs pickle (G, D, G_ema, augment_pipe, training_set_kwargs), with every
    network as an inert `PersistentObject`. One CheckpointError naming the file for anything else."""
    from ganstudio.core.safe_names import check_path_text

    path = Path(check_path_text(str(path), "the model path", CheckpointError))
    try:
        size = path.stat().st_size
        if size > MAX_PICKLE_BYTES:
            raise CheckpointError(f"{path.name} is {size / 2**30:.1f} GB; GAN Studio reads StyleGAN pickles of "
                                  f"at most {MAX_PICKLE_BYTES >> 30} GB.")
        with open(path, "rb") as fh:
            data = _NVlabsUnpickler(fh).load()
    except _Refused as exc:
        raise CheckpointError(f"{path.name} was refused: it {exc}; nothing in it was run.") from None
    except CheckpointError:
        raise
    except OSError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            RuntimeError, MemoryError, RecursionError, OverflowError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"{path.name} is not a readable StyleGAN pickle ({text[:200]}).") from None
    if not isinstance(data, dict) or not any(isinstance(data.get(k), PersistentObject) for k in ("G_ema", "G")):
        raise CheckpointError(f"{path.name} is a pickle but not an NVlabs StyleGAN network snapshot "
                              "(it has no G_ema or G network).")
    return data


def flat_state_dict(obj: PersistentObject, where: str) -> dict[str, torch.Tensor]:
    """The parameters and persistent buffers of a persistent module tree, named as state_dict() names them."""
    out: dict[str, torch.Tensor] = {}

    def walk(node: PersistentObject, prefix: str, depth: int) -> None:
        if depth > MAX_TREE_DEPTH:
            raise CheckpointError(f"{where} nests its modules more than {MAX_TREE_DEPTH} deep.")
        state = node.state
        skipped = state.get("_non_persistent_buffers_set") or set()
        for part in ("_parameters", "_buffers"):
            tensors = state.get(part) or {}
            if not isinstance(tensors, dict):
                raise CheckpointError(f"{where}: {prefix or node.class_name} has a {part} that is not a dict.")
            for name, t in tensors.items():
                if t is None or (part == "_buffers" and name in skipped):
                    continue
                if not isinstance(name, str) or not isinstance(t, torch.Tensor):
                    raise CheckpointError(f"{where}: {prefix}{name} is not a tensor.")
                out[prefix + name] = t
        modules = state.get("_modules") or {}
        if not isinstance(modules, dict):
            raise CheckpointError(f"{where}: {prefix or node.class_name} has _modules that are not a dict.")
        for name, sub in modules.items():
            if sub is None:
                continue
            if not isinstance(name, str) or not isinstance(sub, PersistentObject):
                raise CheckpointError(f"{where}: the submodule {prefix}{name} is not an NVlabs network object.")
            walk(sub, f"{prefix}{name}.", depth + 1)

    walk(obj, "", 0)
    return out


# --- the generator's settings -------------------------------------------------------------------------------

def _whole(kw: dict, key: str, default: Any, low: int, high: int, where: str, none_ok: bool = False) -> Any:
    v = kw.get(key, default)
    if v is None and none_ok:
        return None
    if isinstance(v, np.integer):
        v = int(v)
    if not _is_int(v) or not low <= v <= high:
        raise CheckpointError(f"{where}: {key} is {str(v)[:40]}, where a whole number from {low} to {high} belongs.")
    return v


def _real(kw: dict, key: str, default: Any, low: float, high: float, where: str, none_ok: bool = False) -> Any:
    v = kw.get(key, default)
    if v is None and none_ok:
        return None
    if isinstance(v, (np.floating, np.integer)):
        v = float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not low <= v <= high:
        raise CheckpointError(f"{where}: {key} is {str(v)[:40]}, where a number from {low:g} to {high:g} belongs.")
    return float(v)


def _choice(kw: dict, key: str, default: str, choices, where: str) -> str:
    v = kw.get(key, default)
    if v not in choices:
        raise CheckpointError(f"{where}: {key} is {str(v)[:40]!r}, not one of {', '.join(choices)}.")
    return v


def _no_others(kw: dict, known: set[str], what: str, where: str, family: str = "StyleGAN2") -> None:
    unknown = sorted(str(k) for k in kw if k not in known)
    if unknown:
        raise CheckpointError(f"{where}: its {what} has settings GAN Studio's {family} does not know "
                              f"({', '.join(u[:40] for u in unknown[:4])}), so it would not give NVlabs' pixels.")


_MAPPING_KEYS = {"num_layers", "embed_features", "layer_features", "activation", "lr_multiplier", "w_avg_beta"}
_SYNTHESIS_KEYS = {"channel_base", "channel_max", "num_fp16_res", "architecture", "resample_filter", "conv_clamp",
                   "fp16_channels_last", "kernel_size", "use_noise", "activation"}
_GENERATOR_KEYS = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "synthesis_kwargs"}
# the stylegan3 repository's StyleGAN2 only: fused or grouped modulated convolutions, the same numbers either way
_FLAT_ONLY_KEYS = {"fused_modconv_default"}


def stylegan2_settings(G: PersistentObject, where: str):
    """StyleGAN2Settings from the Generator's init kwargs, each checked (type, range, known key)."""
    from ganstudio.core.models.stylegan2 import ARCHITECTURES, MappingSettings, StyleGAN2Settings, SynthesisSettings
    from ganstudio.core.models.stylegan2_ops import ACTIVATIONS

    activations = tuple(ACTIVATIONS)

    if G.init_args:
        raise CheckpointError(f"{where}: its Generator was built with positional arguments, which NVlabs' "
                              "StyleGAN2 does not take.")
    kw = G.init_kwargs
    # stylegan2-ada-pytorch nests the synthesis settings under synthesis_kwargs; the stylegan3 repository's
    # StyleGAN2 (training/networks_stylegan2.py, --cfg=stylegan2) passes them flat, beside z_dim
    flat = {k: v for k, v in kw.items() if k in _SYNTHESIS_KEYS | _FLAT_ONLY_KEYS}
    _no_others(kw, _GENERATOR_KEYS | set(flat), "Generator", where)
    mk, sk = kw.get("mapping_kwargs") or {}, kw.get("synthesis_kwargs") or {}
    if not isinstance(mk, dict) or not isinstance(sk, dict):
        raise CheckpointError(f"{where}: its mapping_kwargs and synthesis_kwargs are not dicts.")
    both = sorted(set(flat) & set(sk))
    if both:
        raise CheckpointError(f"{where}: its Generator gives {', '.join(both)} twice (flat and in synthesis_kwargs).")
    sk = {**sk, **flat}
    fused = sk.pop("fused_modconv_default", "inference_only")
    if fused not in (True, False, "inference_only"):
        raise CheckpointError(f"{where}: fused_modconv_default is {str(fused)[:40]!r}, not True, False or "
                              "'inference_only'.")
    _no_others(mk, _MAPPING_KEYS, "mapping network", where)
    _no_others(sk, _SYNTHESIS_KEYS, "synthesis network", where)
    res = _whole(kw, "img_resolution", None, 4, 4096, where)
    if res & (res - 1):
        raise CheckpointError(f"{where}: img_resolution is {res}, not a power of two.")
    taps = sk.get("resample_filter", [1, 3, 3, 1])
    if not isinstance(taps, (list, tuple)) or not 1 <= len(taps) <= 16 or not all(
            isinstance(t, (int, float, np.number)) and not isinstance(t, bool) and math.isfinite(float(t)) for t in taps) \
            or not sum(float(t) for t in taps):
        raise CheckpointError(f"{where}: resample_filter is not a short list of numbers.")
    kernel = _whole(sk, "kernel_size", 3, 1, 7, where)
    if kernel % 2 == 0:
        raise CheckpointError(f"{where}: kernel_size is {kernel}; StyleGAN2 layers have odd kernels.")
    use_noise = sk.get("use_noise", True)
    if not isinstance(use_noise, bool):
        raise CheckpointError(f"{where}: use_noise is not True or False.")
    mapping = MappingSettings(
        num_layers=_whole(mk, "num_layers", 8, 1, 64, where),
        embed_features=_whole(mk, "embed_features", None, 1, 8192, where, none_ok=True),
        layer_features=_whole(mk, "layer_features", None, 1, 8192, where, none_ok=True),
        activation=_choice(mk, "activation", "lrelu", activations, where),
        lr_multiplier=_real(mk, "lr_multiplier", 0.01, 1e-6, 1e6, where),
        w_avg_beta=_real(mk, "w_avg_beta", 0.995, 0, 1, where, none_ok=True),
    )
    synthesis = SynthesisSettings(
        channel_base=_whole(sk, "channel_base", 32768, 1, 1 << 24, where),
        channel_max=_whole(sk, "channel_max", 512, 1, 8192, where),
        num_fp16_res=_whole(sk, "num_fp16_res", 0, 0, 16, where),
        architecture=_choice(sk, "architecture", "skip", ARCHITECTURES, where),
        resample_filter=tuple(float(t) for t in taps),
        conv_clamp=_real(sk, "conv_clamp", None, 0, 1e9, where, none_ok=True),
        kernel_size=kernel,
        use_noise=use_noise,
        activation=_choice(sk, "activation", "lrelu", activations, where),
    )
    return StyleGAN2Settings(
        z_dim=_whole(kw, "z_dim", None, 1, 8192, where),
        c_dim=_whole(kw, "c_dim", 0, 0, 100_000, where),
        w_dim=_whole(kw, "w_dim", None, 1, 8192, where),
        img_resolution=res,
        img_channels=_whole(kw, "img_channels", None, 1, 16, where),
        mapping=mapping,
        synthesis=synthesis,
    )


_SG3_GENERATOR_KEYS = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs",
                       # SynthesisNetwork's and SynthesisLayer's, which NVlabs' StyleGAN3 Generator takes flat
                       "channel_base", "channel_max", "num_layers", "num_critical", "first_cutoff", "first_stopband",
                       "last_stopband_rel", "margin_size", "output_scale", "num_fp16_res", "conv_kernel",
                       "filter_size", "lrelu_upsampling", "use_radial_filters", "conv_clamp", "magnitude_ema_beta"}
_SG3_MAPPING_KEYS = {"num_layers", "lr_multiplier", "w_avg_beta"}


def stylegan3_settings(G: PersistentObject, where: str):
    """StyleGAN3Settings from the Generator's init kwargs, each checked (type, range, known key)."""
    from ganstudio.core.models.stylegan2 import MappingSettings
    from ganstudio.core.models.stylegan3 import StyleGAN3Settings

    if G.init_args:
        raise CheckpointError(f"{where}: its Generator was built with positional arguments, which NVlabs' "
                              "StyleGAN3 does not take.")
    kw = G.init_kwargs
    _no_others(kw, _SG3_GENERATOR_KEYS, "Generator", where, "StyleGAN3")
    mk = kw.get("mapping_kwargs") or {}
    if not isinstance(mk, dict):
        raise CheckpointError(f"{where}: its mapping_kwargs is not a dict.")
    _no_others(mk, _SG3_MAPPING_KEYS, "mapping network", where, "StyleGAN3")
    res = _whole(kw, "img_resolution", None, 4, 4096, where)
    radial = kw.get("use_radial_filters", False)
    if not isinstance(radial, (bool, np.bool_)):
        raise CheckpointError(f"{where}: use_radial_filters is not True or False.")
    num_layers = _whole(kw, "num_layers", 14, 2, 64, where)
    mapping = MappingSettings(num_layers=_whole(mk, "num_layers", 2, 1, 64, where),
                              lr_multiplier=_real(mk, "lr_multiplier", 0.01, 1e-6, 1e6, where),
                              w_avg_beta=_real(mk, "w_avg_beta", 0.998, 0, 1, where))
    return StyleGAN3Settings(
        z_dim=_whole(kw, "z_dim", None, 1, 8192, where),
        c_dim=_whole(kw, "c_dim", 0, 0, 100_000, where),
        w_dim=_whole(kw, "w_dim", None, 1, 8192, where),
        img_resolution=res,
        img_channels=_whole(kw, "img_channels", None, 1, 16, where),
        mapping=mapping,
        channel_base=_whole(kw, "channel_base", 32768, 1, 1 << 24, where),
        channel_max=_whole(kw, "channel_max", 512, 1, 8192, where),
        num_layers=num_layers,
        num_critical=_whole(kw, "num_critical", 2, 0, num_layers - 1, where),
        first_cutoff=_real(kw, "first_cutoff", 2.0, 1e-3, res, where),
        first_stopband=_real(kw, "first_stopband", 2**2.1, 1e-3, 4 * res, where),
        last_stopband_rel=_real(kw, "last_stopband_rel", 2**0.3, 1e-3, 64, where),
        margin_size=_whole(kw, "margin_size", 10, 0, 256, where),
        output_scale=_real(kw, "output_scale", 0.25, -1e6, 1e6, where),
        num_fp16_res=_whole(kw, "num_fp16_res", 4, 0, 16, where),
        conv_kernel=_whole(kw, "conv_kernel", 3, 1, 7, where),
        filter_size=_whole(kw, "filter_size", 6, 1, 32, where),
        lrelu_upsampling=_whole(kw, "lrelu_upsampling", 2, 1, 8, where),
        use_radial_filters=bool(radial),
        conv_clamp=_real(kw, "conv_clamp", 256.0, 0, 1e9, where, none_ok=True),
        magnitude_ema_beta=_real(kw, "magnitude_ema_beta", 0.999, 0, 1, where),
    )


def is_stylegan3(G: PersistentObject) -> bool:
    """A StyleGAN3 generator: its synthesis network starts with Fourier features (SynthesisInput)."""
    synthesis = G.child("synthesis")
    return synthesis is not None and (synthesis.child("input") is not None or any(
        isinstance(sub, PersistentObject) and sub.class_name == "SynthesisInput"
        for sub in (synthesis.state.get("_modules") or {}).values()))


def _refuse_other_generators(G: PersistentObject, where: str) -> None:
    synthesis = G.child("synthesis")
    if G.class_name != "Generator" or synthesis is None or G.child("mapping") is None:
        raise CheckpointError(f"{where}: its generator is a {G.class_name}, not an NVlabs StyleGAN2 or StyleGAN3 "
                              "Generator with mapping and synthesis networks.")


# --- the import -----------------------------------------------------------------------------------------------

def import_nvlabs_pickle(path: str | Path):
    """An NVlabs StyleGAN2(-ADA) or StyleGAN3 pickle's G_ema (else G) as GAN Studio's StyleGAN2 or StyleGAN3
    generator, wrapped as `LabelledStyleGAN2` (class indices, psi in W, noise 'const'); fp32 on the CPU, in
    eval mode.

    settings: family (stylegan2 / stylegan3), network (G_ema or G), z_dim, c_dim, w_dim, img_resolution,
    img_channels, num_ws, mapping_layers, architecture (StyleGAN2: skip / orig / resnet; StyleGAN3: config T or
    R), channel_base, channel_max, num_fp16_res, conv_clamp, truncation ('w')."""
    from ganstudio.core.checkpoint import check_weight_tensors

    path = Path(path)
    data = read_nvlabs_pickle(path)
    network = "G_ema" if isinstance(data.get("G_ema"), PersistentObject) else "G"
    G = data[network]
    where = f"{path.name} ({network})"
    _refuse_other_generators(G, where)
    state = flat_state_dict(G, where)
    check_weight_tensors(state, f"StyleGAN pickle {path.name}", prefix=f"{network}.")
    return _rebuild(path, where, network, is_stylegan3(G), G.init_kwargs, state)


def import_converted_stylegan(path: Path, state: dict[str, torch.Tensor], description: dict[str, Any]):
    """A StyleGAN that `ganstudio import` converted: the NVlabs init kwargs its description stores are checked
    as a pickle's are, and its tensors (our module's names, "G." first) must make exactly that network."""
    architecture = description["architecture"]
    kwargs = architecture.get("init_kwargs")
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{path.name} is damaged: its import description has no StyleGAN init kwargs.")
    inner = {k[2:] if k.startswith("G.") else k: v for k, v in state.items()}
    imported = _rebuild(path, path.name, str(architecture.get("network", "G_ema")),
                        description["family"] == "stylegan3", kwargs, inner)
    if imported.architecture != architecture:
        raise CheckpointError(f"{path.name} is damaged: its tensors make a StyleGAN other than the one its import "
                              "description names.")
    return imported


def _json_plain(value: Any) -> Any:
    """Init kwargs as plain JSON values (numpy numbers, tuples and EasyDicts made plain)."""
    if isinstance(value, dict):
        return {str(k): _json_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _rebuild(path: Path, where: str, network: str, sg3: bool, init_kwargs: dict[str, Any],
             state: dict[str, torch.Tensor]):
    from ganstudio.core.models.importers import ImportedModel
    from ganstudio.core.models.stylegan2 import LabelledStyleGAN2, StyleGAN2Generator

    G = PersistentObject("Generator", (), dict(init_kwargs))
    settings = stylegan3_settings(G, where) if sg3 else stylegan2_settings(G, where)
    family = "StyleGAN3" if sg3 else "StyleGAN2"
    try:
        with torch.device("meta"):  # shapes only: nothing is allocated until the file's tensors fit
            if sg3:
                from ganstudio.core.models.stylegan3 import StyleGAN3Generator

                model = StyleGAN3Generator(settings)
            else:
                model = StyleGAN2Generator(settings)
    except (ValueError, RuntimeError, ZeroDivisionError, OverflowError) as exc:
        raise CheckpointError(f"{where} cannot be rebuilt as a {family} generator ({exc}).") from None
    _check_names_and_shapes(model, state, where, family)
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    model.requires_grad_(False).eval()
    s = settings
    synthesis = s if sg3 else s.synthesis
    info = {
        "family": "stylegan3" if sg3 else "stylegan2",
        "network": network, "z_dim": s.z_dim, "c_dim": s.c_dim, "w_dim": s.w_dim,
        "img_resolution": s.img_resolution, "image_size": s.img_resolution, "img_channels": s.img_channels,
        "num_ws": model.num_ws, "mapping_layers": s.mapping.num_layers,
        "architecture": f"config {s.config}" if sg3 else s.synthesis.architecture,
        "channel_base": synthesis.channel_base, "channel_max": synthesis.channel_max,
        "num_fp16_res": synthesis.num_fp16_res, "conv_clamp": synthesis.conv_clamp,
        "truncation": "w" if model.mapping.has_w_avg else "none",
        "init_kwargs": _json_plain(init_kwargs),  # what `ganstudio import` stores to rebuild the same network
    }
    return ImportedModel(model=LabelledStyleGAN2(model).eval(), program=PROGRAM, path=path, settings=info)


def _check_names_and_shapes(model: torch.nn.Module, state: dict[str, torch.Tensor], where: str,
                            family: str = "StyleGAN2") -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
             if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} ({', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} ({', '.join(unexpected[:3])})")
        if wrong:
            parts.append(f"wrong shape {len(wrong)} ({'; '.join(wrong[:3])})")
        raise CheckpointError(f"{where}: its tensors do not match a {family} generator of its settings: "
                              f"{', '.join(parts)}.")
