"""The bad-input and fault campaign of issue #14, re-runnable: ~700 hostile or broken inputs, each made here in
a temp folder and given to the real CLI (or, for the app's loaders, to the core function the area calls).

    PYTHONPATH=. python benchmarks/bad_input_campaign.py [--out results.json] [--only CATEGORY ...]
        [--workers 2] [--spawn] [--spawn-check 10] [--keep]

Each case runs in its own process with its own folder as cwd, HOME and TMPDIR, under a wall-time bound
(--timeout, 30 s; 90 s for the signal and concurrency cases) and an address-space bound (RLIMIT_AS, --memory
GB above the interpreter with torch imported). By default the processes are forks of one interpreter that has
imported `ganstudio.cli` and torch (at one thread, so that forking is safe) and then run
`ganstudio.__main__.main(argv)` with stdout and stderr on files and the exit status as `python -m ganstudio`
would give it: starting a fresh interpreter costs ~9 s on this shared machine, 700 of them would take an hour.
`--spawn` runs every case as `python -m ganstudio ...` instead; `--spawn-check N` runs N CLI cases both ways
and counts the verdicts that differ (there should be none).

A case is judged ok when: the exit status is 2 with exactly one `ganstudio: error:` line (naming the file or
key when the case says what to name) and no Traceback, or it loaded / ran fine (exit 0) where the input is in
fact valid; it ended within the time bound and without running out of memory; no file appeared outside the
case's folder (the shared inputs are hashed before and after, the campaign folders listed); no marker file was
created by a pickle; no `*.tmp` and no unreadable `.safetensors` was left in the case's folder.
Prints one line per failing case and a table per category; `--out` writes every case's result as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import pickle
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

PY = sys.executable
REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "resources" / "models"
DCGAN = str(MODELS / "landscapes-dcgan.safetensors")  # the bundled generators: the right inputs around the wrong one
SKETCH = str(MODELS / "sketch-landscapes.safetensors")
DIGITS = str(MODELS / "digits-conditional.safetensors")
ERROR_PREFIX = "ganstudio: error:"
COLUMNS = ["cases", "ok", "traceback", "internal", "timeout", "memory", "outside", "partial", "marker", "verdict"]


@dataclass
class Case:
    name: str
    category: str
    argv: list[str] | None = None  # a CLI command line (after `ganstudio`)
    call: Callable | None = None  # or a core loader called in the case's process: call(case_dir)
    setup: Callable | None = None  # setup(case_dir) makes the inputs before the case runs
    expect: str = "refuse"  # refuse (exit 2), load (exit 0) or any (either, cleanly)
    names: str | tuple[str, ...] | None = None  # text the error sentence must contain (a file, key or value; any of them)
    timeout: float | None = None
    allow_memory: bool = False  # "not enough memory" is the right answer (a request too big, not a small file)
    after: Callable | None = None  # after(case_dir) -> list of problems (e.g. a run folder damaged)
    spawn_driver: Callable | None = None  # drives processes itself (signals, concurrency): driver(case_dir) -> (rc, out, err)


@dataclass
class Result:
    name: str
    category: str
    rc: int | None
    seconds: float
    problems: list[str] = field(default_factory=list)
    error_line: str = ""
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


# --- making broken files ------------------------------------------------------------------------------------

def st_bytes(tensors: dict, metadata: dict | None) -> bytes:
    """A safetensors file from numpy arrays, written by hand so that any header can be made."""
    import numpy as np

    header, blobs, offset = {}, [], 0
    codes = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64", np.dtype("int32"): "I32",
             np.dtype("uint8"): "U8", np.dtype("float16"): "F16", np.dtype("bool"): "BOOL"}
    for key, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.tobytes()
        header[key] = {"dtype": codes[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def read_st(path: Path):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    with safe_open(str(path), "np") as fh:
        meta = fh.metadata() or {}
    return dict(load_file(str(path))), meta


def png_bytes(w: int, h: int, color=(120, 30, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(w: int, h: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 200, 40)).save(buf, "JPEG")
    return buf.getvalue()


def png_with_header(w: int, h: int, body: bytes = b"") -> bytes:
    """A PNG whose IHDR claims w x h (CRCs right) and whose data is `body` (zlib stream) or nothing."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def bomb_png(side: int = 20000) -> bytes:
    """A decompression bomb: side x side RGB zeros compress to ~a few hundred KB."""
    comp = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * side)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    return png_with_header(side, side, body)


def npy_bytes_with_header(header: str) -> bytes:
    h = header.encode("latin1")
    h += b" " * (-(len(h) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h


class MarkerPayload:
    """Unpickling this would create the marker file: a pickle that runs code."""

    def __init__(self, marker: str, how: str = "open"):
        self.marker, self.how = marker, how

    def __reduce__(self):
        if self.how == "system":
            return (os.system, (f"touch {self.marker}",))
        if self.how == "exec":
            return (exec, (f"open({self.marker!r}, 'w').write('ran')",))
        if self.how == "eval":
            return (eval, (f"open({self.marker!r}, 'w')",))
        return (open, (self.marker, "w"))


MARKER = "PICKLE_RAN"


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- the fixtures: real runs and models, made once by the real CLI -------------------------------------------

def make_fixtures(root: Path) -> Path:
    fx = root / "fixtures"
    fx.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    small = ["--quiet", "--threads", "1", "--set", "train.log_every=1", "--set", "train.eval_every=0",
             "--set", "train.sample_every=0"]
    jobs = [["train", "toy-ring", "--steps", "3", "--out", str(fx / "toy"), *small],
            ["train", "digits-dcgan", "--steps", "2", "--out", str(fx / "dig"), *small,
             "--set", "model.g_width=16", "--set", "model.d_width=16"]]
    procs = [subprocess.Popen([PY, "-m", "ganstudio", *job], cwd=fx, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT) for job in jobs]
    code = r"""
import sys, torch, torch.nn as nn, numpy as np
out = sys.argv[1]
torch.manual_seed(0)
G = nn.Sequential(nn.ConvTranspose2d(8, 16, 4, 1, 0, bias=False), nn.BatchNorm2d(16), nn.ReLU(True),
                  nn.ConvTranspose2d(16, 3, 4, 2, 1, bias=False), nn.Tanh())
torch.save(G.state_dict(), out + "/dcgan_sd.pth")
torch.save({"main." + k: v for k, v in G.state_dict().items()}, out + "/dcgan_main.pth")
torch.save(G, out + "/module.pth")
sd = {"main." + k: v for k, v in G.state_dict().items()}
sd["main.0.weight"] = torch.full_like(sd["main.0.weight"], float("nan"))
torch.save(sd, out + "/dcgan_nan.pth")
sd = {"main." + k: v for k, v in G.state_dict().items()}
sd["main.0.weight"] = torch.zeros(3, 3)
torch.save(sd, out + "/dcgan_shape.pth")
torch.save({"main.0.weight": torch.zeros(8, 16, 4, 4, dtype=torch.int64)}, out + "/dcgan_int.pth")
torch.save({"g_ema": {"style.1.weight": torch.zeros(4, 4)}}, out + "/rosinality_partial.pt")
torch.save([1, 2, 3], out + "/a_list.pt")
torch.save({"a": np.zeros(3)}, out + "/numpy_inside.pt")
torch.save({}, out + "/empty_dict.pth")
torch.save(torch.zeros(10 ** 6), out + "/one_tensor.pt")
torch.save({"state_dict": {"main.0.weight": torch.zeros(1)}}, out + "/nested.pth")
torch.save(G.state_dict(), out + "/legacy.pth", _use_new_zipfile_serialization=False)
"""
    procs.append(subprocess.Popen([PY, "-c", code, str(fx)], cwd=fx, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT))
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"making the fixtures failed:\n{out.decode(errors='replace')}")
    return fx


# --- the cases ------------------------------------------------------------------------------------------------

TINY = ["--steps", "1", "--threads", "1", "--quiet", "--set", "train.eval_every=0", "--set", "train.sample_every=0",
        "--set", "train.log_every=1", "--set", "train.checkpoint_every=0"]

BAD_VALUES = {"nan": "nan", "1e400": "1e400", "-1": "-1", "huge": str(10**30), "string": "abc", "empty": ""}
FLOAT_BAD_VALUES = {"inf": "inf", "-inf": "-inf"}  # also for the float fields


def set_cases(fx: Path) -> list[Case]:
    from ganstudio.core.config import FIELD_RULES

    cases = []
    for key, rule in FIELD_RULES.items():
        for label, value in (BAD_VALUES | (FLOAT_BAD_VALUES if rule.kind == "float" else {})).items():
            cases.append(Case(f"--set {key}={label}", "flags", ["train", "toy-ring", "--out", "run", *TINY,
                                                                  "--set", f"{key}={value}"],
                              expect="any", names=(key, value) if label != "empty" else None))
    for key in ["name", "nosuch.key", "model", "optim.", ".lr_g", "optim.lr_g.x"]:
        cases.append(Case(f"--set {key}=x", "flags", ["train", "toy-ring", "--out", "run", *TINY, "--set", f"{key}=x"],
                          expect="any"))
    for label, value in [("absolute", "/tmp/campaign-escape-abs"), ("dotdot", "../../campaign-escape-up"),
                         ("hidden", ".hidden"), ("nul", "a\0b"), ("long", "n" * 5000), ("slash", "a/b/c")]:
        cases.append(Case(f"--set name={label}", "flags", ["train", "toy-ring", *TINY, "--set", f"name={value}"],
                          expect="any"))
    flags = [("--steps", ["-5"]), ("--steps", ["1e400"]), ("--steps", ["abc"]), ("--steps", [str(10**30)]),
             ("--seed", ["-1"]), ("--seed", [str(10**40)]), ("--seed", ["nan"]), ("--threads", ["-3"]),
             ("--threads", [str(10**9)]), ("--device", ["tpu"]), ("--set", ["noequals"]), ("--set", ["=1"]),
             ("--data", ["/nonexistent/dir"]), ("--resume", ["nothere.safetensors"]), ("--tensorboard", ["/proc/tb"])]
    for flag, vals in flags:
        cases.append(Case(f"train {flag} {vals[0][:20]}", "flags", ["train", "toy-ring", "--out", "run", *TINY, flag, *vals],
                          expect="any"))
    sflags = [("--n", "-1"), ("--n", "0"), ("--n", "abc"), ("--seed", "-1"), ("--seed", str(10**40)),
              ("--truncation", "nan"), ("--truncation", "inf"), ("--truncation", "-1e400"), ("--class", "-1"),
              ("--class", "99999"), ("--class-count", "0"), ("--class-count", str(10**12)), ("--threads", "-1")]
    for flag, val in sflags:
        cases.append(Case(f"sample {flag} {val[:20]}", "flags", ["sample", DIGITS, "--out", "s.png",
                                                                 flag, val], expect="any"))
    for flag, val in [("--hints", "-1"), ("--hints", str(10**12)), ("--seed", "nan"), ("--seed", str(10**40)),
                      ("--threads", "0")]:
        cases.append(Case(f"translate {flag} {val[:20]}", "flags", ["translate", SKETCH, "in.png",
                                                                    "--out", "t.png", flag, val],
                          setup=lambda d: write(d / "in.png", png_bytes(64, 64)), expect="any"))
    for flag, val in [("--steps", "-1"), ("--steps", str(10**12)), ("--starts", "0"), ("--starts", str(10**9)),
                      ("--class", "-4")]:
        cases.append(Case(f"project {flag} {val[:20]}", "flags", ["project", DCGAN, "in.png", "--out", "b.json",
                                                                  "--steps", "2", "--starts", "1", flag, val],
                          setup=lambda d: write(d / "in.png", png_bytes(64, 64)), expect="any"))
    return cases


def config_cases(fx: Path) -> list[Case]:
    cases = []
    good_json = (fx / "toy" / "config.json").read_text()
    toml_bodies = {
        "not toml": "this is = = not toml [",
        "empty": "",
        "binary": b"\x00\xff\xfe" * 100,
        "invalid utf8": b'name = "\xff\xfe"\n',
        "unknown section": '[nosuch]\nx = 1\n',
        "section a value": 'model = 3\n',
        "nan lr": '[optim]\nlr_g = nan\n',
        "inf lr": '[optim]\nlr_d = inf\n',
        "huge int": '[optim]\nbatch_size = 99999999999999999999\n',
        "wrong type": '[optim]\nbatch_size = "big"\n',
        "nested table": '[optim.batch_size]\nx = 1\n',
        "dotdot name": 'name = "../../.."\n[data]\nkind = "ring"\n',
        "abs name": 'name = "/tmp/campaign-escape-toml"\n[data]\nkind = "ring"\n',
        "nosuchnet": '[data]\nkind = "ring"\n[model]\ngenerator = "nosuchnet"\n',
        "deep arrays": "x = " + "[" * 5000 + "]" * 5000 + "\n",
        "deep inline tables": "x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n",
        "huge string": 'name = "' + "x" * 3_000_000 + '"\n',
        "data path nul": '[data]\nkind = "folder"\npath = "a\\u0000b"\n',
        "negative steps": '[train]\nsteps = -10\n',
        "kind folder no path": '[data]\nkind = "folder"\n',
        "duplicate key": 'name = "a"\nname = "b"\n',
    }
    for label, body in toml_bodies.items():
        cases.append(Case(f"TOML {label}", "configs", ["train", "mine.toml", "--out", "run", *TINY],
                          setup=lambda d, b=body: write(d / "mine.toml", b), expect="any",
                          names=None if label in ("nosuchnet",) else None))
    json_bodies = {
        "truncated": good_json[: len(good_json) // 2],
        "a list": "[1, 2, 3]",
        "a number": "42",
        "null": "null",
        "deep": "[" * 100000 + "]" * 100000,
        "nan steps": good_json.replace('"steps": 3', '"steps": NaN'),
        "string steps": good_json.replace('"steps": 3', '"steps": "3"'),
        "huge steps": good_json.replace('"steps": 3', '"steps": 1e400'),
        "invalid utf8": b'{"name": "\xff"}',
        "valid copy": good_json,
    }
    for label, body in json_bodies.items():
        cases.append(Case(f"config.json {label}", "configs", ["train", "cfg.json", "--out", "run", *TINY],
                          setup=lambda d, b=body: write(d / "cfg.json", b), expect="load" if label == "valid copy" else "any"))
    for label, argv in [("unknown preset", ["train", "no-such-preset"]), ("a folder as config", ["train", "."]),
                        ("missing file", ["train", "missing.toml"]), ("dev null", ["train", "/dev/null"]),
                        ("a fifo", ["train", "fifo.toml"])]:
        setup = (lambda d: os.mkfifo(d / "fifo.toml")) if label == "a fifo" else None
        cases.append(Case(f"config {label}", "configs", [*argv, "--out", "run", *TINY], setup=setup, expect="refuse"))
    return cases


def checkpoint_cases(fx: Path) -> list[Case]:
    import numpy as np

    src = fx / "toy" / "checkpoints" / "latest.safetensors"
    tensors, meta = read_st(src)
    gm = json.loads(meta["ganstudio"])
    raw = src.read_bytes()
    gkey = next(k for k in tensors if k.startswith("G.") and tensors[k].dtype == np.float32)
    ekey = next(k for k in tensors if k.startswith("G_ema.") and tensors[k].dtype == np.float32)  # what sample renders

    def variant(t_edit=None, m_edit=None, raw_meta=None, meta_dict=None):
        t = dict(tensors)
        m = json.loads(json.dumps(gm))
        if t_edit:
            t_edit(t)
        if m_edit:
            m_edit(m)
        md = meta_dict if meta_dict is not None else {"ganstudio": raw_meta if raw_meta is not None else json.dumps(m)}
        return st_bytes(t, md)

    def drop(prefix):
        return lambda t: [t.pop(k) for k in list(t) if k.startswith(prefix)]

    def setv(key, value):
        return lambda m: m.__setitem__(key, value)

    blobs = {
        "zero-length": b"",
        "8 bytes": raw[:8],
        "truncated header": raw[:40],
        "truncated data": raw[: len(raw) // 2],
        "last byte cut": raw[:-1],
        "huge header length": struct.pack("<Q", 2**62) + raw[8:],
        "header length 100 MB": struct.pack("<Q", 100_000_000) + raw[8:200],
        "header not JSON": struct.pack("<Q", 16) + b"{{{{{{{{{{{{{{{{",
        "header a list": struct.pack("<Q", 8) + b"[1,2,3]\x20",
        "random bytes": os.urandom(5000),
        "png renamed": png_bytes(8, 8),
        "offsets past the end": raw[:8] + raw[8:8 + struct.unpack("<Q", raw[:8])[0]].replace(b'"data_offsets":[0,', b'"data_offsets":[9999999,') + raw[8 + struct.unpack("<Q", raw[:8])[0]:],
        "meta not JSON": variant(raw_meta="{not json"),
        "meta a list": variant(raw_meta="[1, 2]"),
        "meta a number": variant(raw_meta="7"),
        "meta deep": variant(raw_meta="[" * 50000 + "]" * 50000),
        "meta huge": variant(raw_meta=json.dumps({"x": "y" * 20_000_000})),
        "no ganstudio metadata": variant(meta_dict={}),
        "no metadata at all": st_bytes(tensors, None),
        "step abc": variant(m_edit=setv("step", "abc")),
        "step -1": variant(m_edit=setv("step", -1)),
        "step 1e400": variant(raw_meta=json.dumps(gm).replace('"step": 3', '"step": 1e400')),
        "step NaN": variant(raw_meta=json.dumps(gm).replace('"step": 3', '"step": NaN')),
        "metrics bad": variant(m_edit=setv("metrics", {"sliced_w": "bad"})),
        "metrics a list": variant(m_edit=setv("metrics", [1, 2])),
        "config missing": variant(m_edit=lambda m: m.pop("config", None)),
        "config a string": variant(m_edit=setv("config", "toy-ring")),
        "config bad lr": variant(m_edit=lambda m: m["config"]["optim"].__setitem__("lr_g", "fast")),
        "config nan lr": variant(raw_meta=json.dumps(gm).replace('"lr_g": 0.0001', '"lr_g": NaN').replace('"lr_g": 0.0002', '"lr_g": NaN')),
        "config unknown generator": variant(m_edit=lambda m: m["config"]["model"].__setitem__("generator", "nosuchnet")),
        "config huge z_dim": variant(m_edit=lambda m: m["config"]["model"].__setitem__("z_dim", 10**12)),
        "G missing": variant(t_edit=drop("G.")),
        "D missing": variant(t_edit=drop("D.")),
        "opt_G missing": variant(t_edit=drop("opt_G.")),
        "opt_D missing": variant(t_edit=drop("opt_D.")),
        "rng missing": variant(t_edit=drop("rng.")),
        "rng garbage": variant(t_edit=lambda t: [t.__setitem__(k, np.full((5056,), 255, np.uint8)) for k in list(t) if k.startswith("rng.")]),
        "G NaN": variant(t_edit=lambda t: t.__setitem__(gkey, np.full_like(t[gkey], np.nan))),
        "G Inf": variant(t_edit=lambda t: t.__setitem__(gkey, np.full_like(t[gkey], np.inf))),
        "G int64": variant(t_edit=lambda t: t.__setitem__(gkey, t[gkey].astype(np.int64))),
        "G float64": variant(t_edit=lambda t: t.__setitem__(gkey, t[gkey].astype(np.float64))),
        "G float16": variant(t_edit=lambda t: t.__setitem__(gkey, t[gkey].astype(np.float16))),
        "G wrong shape": variant(t_edit=lambda t: t.__setitem__(gkey, np.zeros((3, 3, 3), np.float32))),
        "G scalar": variant(t_edit=lambda t: t.__setitem__(gkey, np.zeros((), np.float32))),
        "G huge shape 0": variant(t_edit=lambda t: t.__setitem__(gkey, np.zeros((0, 10**6), np.float32))),
        "G_ema NaN": variant(t_edit=lambda t: t.__setitem__(ekey, np.full_like(t[ekey], np.nan))),
        "G_ema int64": variant(t_edit=lambda t: t.__setitem__(ekey, t[ekey].astype(np.int64))),
        "G_ema wrong shape": variant(t_edit=lambda t: t.__setitem__(ekey, np.zeros((3, 3, 3), np.float32))),
        "G_ema missing": variant(t_edit=drop("G_ema.")),
        "G and G_ema missing": variant(t_edit=lambda t: [t.pop(k) for k in list(t) if k.startswith("G")]),
        "extra tensor": variant(t_edit=lambda t: t.__setitem__("G.extra.weight", np.zeros(3, np.float32))),
        "all tensors gone": variant(t_edit=lambda t: t.clear()),
    }
    cases = []
    for label, blob in blobs.items():
        for command in (["info"], ["sample", "--n", "2", "--out", "s.npy"]):  # a 2-D toy model writes points
            cases.append(Case(f"{command[0]} {label}", "checkpoints", [command[0], "bad.safetensors", *command[1:]],
                              setup=lambda d, b=blob: write(d / "bad.safetensors", b), expect="any", names="bad.safetensors"))
        if label in ("truncated data", "step abc", "G NaN", "opt_D missing", "rng garbage", "G int64", "meta a list",
                     "config nan lr", "G wrong shape", "config unknown generator"):
            cases.append(Case(f"resume {label}", "checkpoints", ["train", "toy-ring", "--resume", "bad.safetensors",
                                                                  "--out", "run", *TINY],
                              setup=lambda d, b=blob: write(d / "bad.safetensors", b), expect="any", names="bad.safetensors"))
    # a good checkpoint, to prove the judge accepts what is valid
    cases.append(Case("info a good checkpoint", "checkpoints", ["info", str(src)], expect="load"))
    cases.append(Case("sample a good checkpoint", "checkpoints", ["sample", str(src), "--n", "4", "--out", "s.npy"],
                      expect="load"))
    cases.append(Case("info a folder named .safetensors", "checkpoints", ["info", "dir.safetensors"],
                      setup=lambda d: (d / "dir.safetensors").mkdir(), expect="refuse"))
    return cases


def pickle_cases(fx: Path) -> list[Case]:
    cases = []

    def runner(how, proto, ext, wrap=None):
        def setup(d: Path):
            payload = MarkerPayload(str(d / MARKER), how)
            obj = wrap(payload) if wrap else payload
            write(d / f"evil{ext}", pickle.dumps(obj, protocol=proto))
        return setup

    wraps = {"bare": None, "in dict": lambda p: {"state_dict": p}, "in list": lambda p: [p],
             "as G_ema": lambda p: {"G_ema": p, "G": p}}
    for how in ("open", "system", "exec", "eval"):
        for proto in (0, 2, 4, 5):
            for wname, wrap in wraps.items():
                for ext, commands in ((".pkl", (["info"], ["import", "--out", "m.safetensors"])),
                                      (".pth", (["info"], ["translate", "--out", "t.png"]))):
                    if wname != "bare" and (proto != 5 or how not in ("open", "system")):
                        continue
                    for command in commands:
                        argv = [command[0], f"evil{ext}", *command[1:]]
                        if command[0] == "translate":
                            argv = ["translate", f"evil{ext}", "in.png", *command[1:]]
                        def setup(d, s=runner(how, proto, ext, wrap), tr=command[0] == "translate"):
                            s(d)
                            if tr:
                                write(d / "in.png", png_bytes(64, 64))
                        cases.append(Case(f"{command[0]} pickle {how} p{proto} {wname}{ext}", "pickles", argv, setup=setup,
                                          expect="refuse"))

    # a torch zip whose data.pkl runs code
    def zip_evil(d: Path):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("archive/data.pkl", pickle.dumps(MarkerPayload(str(d / MARKER), "open"), protocol=2))
            z.writestr("archive/version", "3\n")
            z.writestr("archive/byteorder", "little")
        write(d / "evil.pt", buf.getvalue())
    for command in (["info", "evil.pt"], ["import", "evil.pt", "--out", "m.safetensors"]):
        cases.append(Case(f"{command[0]} torch-zip pickle that runs code", "pickles", command, setup=zip_evil, expect="refuse"))
    # the latent .npy with a pickled object array: must not run
    def npy_evil(d: Path):
        import numpy as np
        arr = np.empty(1, dtype=object)
        arr[0] = MarkerPayload(str(d / MARKER), "open")
        with open(d / "z.npy", "wb") as fh:
            np.save(fh, arr, allow_pickle=True)
    cases.append(Case("sample --latent object-dtype .npy that runs code", "pickles",
                      ["sample", DCGAN, "--latent", "z.npy", "--out", "s.png"], setup=npy_evil, expect="refuse",
                      names="z.npy"))
    return cases


def foreign_cases(fx: Path) -> list[Case]:
    cases = []
    expect_load = {"dcgan_main.pth", "dcgan_sd.pth", "legacy.pth"}
    for f in ["dcgan_sd.pth", "dcgan_main.pth", "module.pth", "dcgan_nan.pth", "dcgan_shape.pth", "dcgan_int.pth",
              "rosinality_partial.pt", "a_list.pt", "numpy_inside.pt", "empty_dict.pth", "one_tensor.pt", "nested.pth",
              "legacy.pth"]:
        exp = "any" if f in expect_load else "refuse"
        for command in (["info"], ["import", "--out", "m.safetensors"]):
            cases.append(Case(f"{command[0]} {f}", "foreign", [command[0], str(fx / f), *command[1:]], expect=exp,
                              names=f if exp == "refuse" else None))
    raw = (fx / "dcgan_sd.pth").read_bytes()
    for label, blob in {"truncated zip": raw[: len(raw) // 2], "zero bytes": b"", "random": os.urandom(4096),
                        "a png as .pth": png_bytes(4, 4), "a text file": b"hello\n" * 10,
                        "pkl of plain dict": pickle.dumps({"a": 1}), "pkl of a list of ints": pickle.dumps(list(range(100))),
                        "pkl truncated": pickle.dumps({"a": list(range(1000))})[:50],
                        "pkl huge list header": b"\x80\x04]\x94(" + b"K\x01" * 10 + b"e.",
                        }.items():
        for ext in (".pth", ".pkl", ".pt"):
            cases.append(Case(f"info {label}{ext}", "foreign", ["info", f"f{ext}"], setup=lambda d, b=blob, e=ext: write(d / f"f{e}", b),
                              expect="refuse", names=f"f{ext}"))
    return cases


def picture_cases(fx: Path) -> list[Case]:
    png, jpg = png_bytes(64, 64), jpeg_bytes(64, 64)
    pics = {
        "good png": (png, "load"),
        "good jpeg": (jpg, "load"),
        "1x1 png": (png_bytes(1, 1), "any"),
        "100000x1 png": (png_bytes(100000, 1), "any"),
        "truncated png": (png[: len(png) // 2], "refuse"),
        "truncated jpeg": (jpg[: len(jpg) // 3], "any"),
        "png header only": (png[:33], "refuse"),
        "zero bytes": (b"", "refuse"),
        "text as png": (b"not an image at all\n" * 50, "refuse"),
        "header claims 100000x100000": (png_with_header(100000, 100000), "refuse"),
        "header claims 0x0": (png_with_header(0, 0), "refuse"),
        "decompression bomb 20000^2": (bomb_png(20000), "refuse"),
        "random bytes": (os.urandom(3000), "refuse"),
        "bit-flipped png": (png[:40] + bytes([png[40] ^ 0xFF]) + png[41:], "any"),
    }
    cases = []
    for label, (blob, exp) in pics.items():
        ext = ".jpg" if "jpeg" in label else ".png"
        for command in (["translate", SKETCH, f"in{ext}", "--out", "t.png"],
                        ["project", DCGAN, f"in{ext}", "--out", "b.json", "--steps", "2", "--starts", "1"]):
            cases.append(Case(f"{command[0]} {label}", "pictures", command,
                              setup=lambda d, b=blob, e=ext: write(d / f"in{e}", b), expect=exp,
                              names=f"in{ext}" if exp == "refuse" else None))
    cases.append(Case("translate a folder as the picture", "pictures", ["translate", SKETCH, "d", "--out", "t.png"],
                      setup=lambda d: (d / "d").mkdir(), expect="refuse"))
    cases.append(Case("translate a missing picture", "pictures", ["translate", SKETCH, "none.png", "--out", "t.png"],
                      expect="refuse", names="none.png"))
    return cases


def folder_cases(fx: Path) -> list[Case]:
    def broken(d: Path, sub: str = "data", n: int = 3):
        for i in range(n):
            write(d / sub / f"b{i}.png", b"broken" * i)

    def unreadable(d: Path):
        (d / "data").mkdir()
        write(d / "data" / "a.png", png_bytes(32, 32))
        os.chmod(d / "data", 0)

    def a_file(d: Path):
        write(d / "data", b"a file")

    def empty(d: Path):
        (d / "data").mkdir()

    def dev_null_link(d: Path):
        (d / "data").mkdir()
        os.symlink("/dev/zero", d / "data" / "zero.png")

    def loop_link(d: Path):
        (d / "data").mkdir()
        write(d / "data" / "a.png", png_bytes(32, 32))
        os.symlink("..", d / "data" / "loop")

    def half_good(d: Path):
        broken(d, "data/trainA")
        write(d / "data" / "trainB" / "g.png", png_bytes(32, 32))

    def side_by_side_odd(d: Path):
        write(d / "data" / "ab.png", png_bytes(33, 7))

    setups = {"empty": empty, "only broken files": broken, "unreadable (chmod 0, as root: readable)": unreadable,
              "a file where a folder belongs": a_file, "missing": lambda d: None, "/dev/zero as a picture": dev_null_link,
              "a symlink loop": loop_link, "side A broken, B fine": half_good, "one odd-sized pair": side_by_side_odd}
    cases = []
    for preset in ("pix2pix-folder", "sketch-folder", "cyclegan-folders"):
        for label, setup in setups.items():
            cases.append(Case(f"{preset} data {label}", "folders", ["train", preset, "--data", "data", "--out", "run", *TINY,
                                                                     "--set", "data.image_size=32", "--set", "optim.batch_size=1"],
                              setup=setup, expect="any", timeout=60))
    for label, setup in [("empty", empty), ("a file", a_file), ("missing", lambda d: None), ("only broken", broken)]:
        for command in (["runs", "data"], ["diagnose", "data"], ["tensorboard", "data", "--out", "tb"]):
            cases.append(Case(f"{command[0]} on {label}", "folders", command, setup=setup, expect="any"))
    return cases


def document_cases(fx: Path) -> list[Case]:
    """Sketch documents, recovery files, bookmarks: the core loaders the Sketch and Explore areas call."""
    good_doc = {"format": "ganstudio-sketch", "version": 1, "size": [64, 64], "model_id": None, "seed": 3, "mode": "eval",
                "base": None, "strokes": [{"tool": "pen", "width": 2.0, "color": None, "points": [[1, 1, 1], [10, 10, 1]]}],
                "extra": {}}
    docs = {
        "valid": good_doc,
        "seed 10**40": {**good_doc, "seed": 10**40},
        "point 1e308": {**good_doc, "strokes": [{"tool": "pen", "width": 2.0, "points": [[1e308, 1, 1]]}]},
        "width 4096 x 1000 points at 4096^2": {**good_doc, "size": [4096, 4096], "strokes": [
            {"tool": "pen", "width": 4096.0, "points": [[i, i, 1] for i in range(1000)]} for _ in range(20)]},
        "5000-char model path": {**good_doc, "model_id": "/m" * 2500},
        "model path with NUL": {**good_doc, "model_id": "a\0b"},
        "size negative": {**good_doc, "size": [-5, 64]},
        "size huge": {**good_doc, "size": [10**9, 10**9]},
        "size strings": {**good_doc, "size": ["a", "b"]},
        "strokes a dict": {**good_doc, "strokes": {"a": 1}},
        "stroke unknown tool": {**good_doc, "strokes": [{"tool": "laser", "width": 1, "points": []}]},
        "width NaN": {**good_doc, "strokes": [{"tool": "pen", "width": float("nan"), "points": [[1, 1, 1]]}]},
        "colour 999": {**good_doc, "strokes": [{"tool": "hint", "width": 4, "points": [[1, 1, 1]], "color": [999, 0, 0]}]},
        "base not layers": {**good_doc, "base": "zzz"},
        "mode nonsense": {**good_doc, "mode": 42},
        "a list": [1, 2, 3],
        "version 99": {**good_doc, "version": 99},
        "version a string": {**good_doc, "version": "1"},
        "no format": {k: v for k, v in good_doc.items() if k != "format"},
        "100000 strokes": {**good_doc, "strokes": [{"tool": "pen", "width": 1.0, "points": [[1, 1, 1]]}] * 100000},
    }
    texts = {label: json.dumps(v) for label, v in docs.items()}
    texts["deep nesting 10^6"] = "[" * 10**6 + "]" * 10**6
    texts["invalid utf8"] = b'{"size": [64, 64], "note": "\xff\xfe"}'
    texts["truncated"] = json.dumps(good_doc)[:30]
    texts["zero bytes"] = ""
    texts["100 MB of spaces"] = " " * 100_000_000 + "{}"
    # a zlib bomb as a base layer
    bomb = zlib.compress(b"\x00" * 200_000_000, 9)
    import base64
    layer = base64.b64encode(zlib.compress(b"\x00" * 64 * 64)).decode()
    rgb = base64.b64encode(zlib.compress(b"\x00" * 64 * 64 * 3)).decode()
    texts["zlib-bomb base layer"] = json.dumps({**good_doc, "base": {"lines": base64.b64encode(bomb).decode(),
                                                                      "hint_rgb": rgb, "hint_mask": layer}})
    texts["valid base layers"] = json.dumps({**good_doc, "base": {"lines": layer, "hint_rgb": rgb, "hint_mask": layer}})
    texts["base layer wrong size"] = json.dumps({**good_doc, "base": {"lines": layer[:-8] + "AAAAAAAA", "hint_rgb": layer,
                                                                       "hint_mask": layer}})
    texts["base layer not base64"] = json.dumps({**good_doc, "base": {"lines": "!!!", "hint_rgb": rgb, "hint_mask": layer}})

    def load_and_render(d: Path):
        from ganstudio.core.sketch.document import load_document
        doc = load_document(d / "doc.json")
        doc.render()

    def recovery_check(d: Path):
        from ganstudio.core.sketch.recovery import SketchRecovery
        rec = SketchRecovery(d)
        rec.last_clean_time()
        found = rec.check()
        if found is not None:
            from ganstudio.core.sketch.document import load_document
            load_document(found).render()
        rec.last()

    cases = []
    for label, text in texts.items():
        exp = "load" if label.startswith("valid") else "any"
        cases.append(Case(f"sketch document {label}", "documents", call=load_and_render,
                          setup=lambda d, t=text: write(d / "doc.json", t), expect=exp, names=None))
        for fname in ("sketch-recovery.json", "sketch-clean.json", "sketch-last.json"):
            cases.append(Case(f"recovery {fname} {label}", "recovery", call=recovery_check,
                              setup=lambda d, t=text, f=fname: write(d / f, t), expect="any"))
    cases.append(Case("translate a document: bomb", "documents", ["translate", SKETCH, "doc.sketch.json", "--out", "t.png"],
                      setup=lambda d: write(d / "doc.sketch.json", texts["zlib-bomb base layer"]), expect="any"))
    cases.append(Case("translate a document: 156 s render", "documents", ["translate", SKETCH, "doc.sketch.json", "--out", "t.png"],
                      setup=lambda d: write(d / "doc.sketch.json", texts["width 4096 x 1000 points at 4096^2"]), expect="any"))
    return cases


def bookmark_cases(fx: Path) -> list[Case]:
    import numpy as np

    good = {"latents": [[0.0] * 100], "model": {"path": DCGAN}, "seed": 1}
    marks = {
        "latents NaN": {**good, "latents": [[float("nan")] * 100]},
        "latents 1e308": {**good, "latents": [[1e308] * 100]},
        "latents strings": {**good, "latents": [["a"] * 100]},
        "latents ragged": {**good, "latents": [[0.0] * 100, [0.0] * 3]},
        "latents wrong width": {**good, "latents": [[0.0] * 7]},
        "latents 20000 rows": {**good, "latents": [[0.0] * 100] * 20000},
        "seed 10**40": {**good, "seed": 10**40},
        "labels -1": {**good, "labels": [-1]},
        "labels 10**40": {**good, "labels": [10**40]},
        "truncation nan": {**good, "truncation_psi": float("nan")},
        "model path 5000 chars": {**good, "model": {"path": "/m" * 2500}},
        "model a list": {**good, "model": [1]},
        "a number": 42,
    }
    texts = {label: json.dumps(v) for label, v in marks.items()}
    texts["deep"] = '{"latents": ' + "[" * 10**6 + "]" * 10**6 + "}"
    texts["invalid utf8"] = b'{"latents": [[0]], "note": "\xff"}'
    texts["zero bytes"] = ""

    def load(d: Path):
        from ganstudio.core.latent.bookmarks import load_bookmark
        load_bookmark(d / "b.json")

    cases = []
    for label, text in texts.items():
        cases.append(Case(f"bookmark {label}", "bookmarks", call=load, setup=lambda d, t=text: write(d / "b.json", t), expect="any"))
        cases.append(Case(f"sample --latent bookmark {label}", "bookmarks",
                          ["sample", DCGAN, "--latent", "b.json", "--out", "s.png"],
                          setup=lambda d, t=text: write(d / "b.json", t), expect="any"))
    npys = {
        "NaN": lambda: np.full((2, 100), np.nan, np.float32),
        "Inf": lambda: np.full((2, 100), np.inf, np.float32),
        "int64": lambda: np.zeros((2, 100), np.int64),
        "complex": lambda: np.zeros((2, 100), np.complex64),
        "wrong width": lambda: np.zeros((2, 7), np.float32),
        "3-D": lambda: np.zeros((2, 100, 1), np.float32),
        "0 rows": lambda: np.zeros((0, 100), np.float32),
        "valid": lambda: np.zeros((2, 100), np.float32),
    }
    for label, make in npys.items():
        def setup(d, m=make):
            np.save(d / "z.npy", m())
        cases.append(Case(f"sample --latent .npy {label}", "latents", ["sample", DCGAN, "--latent", "z.npy", "--out", "s.png"],
                          setup=setup, expect="any" if label in ("valid", "int64") else "refuse"))
    raw_npys = {
        "huge shape header": npy_bytes_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100), }"),
        "negative shape": npy_bytes_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 100), }"),
        "header code": npy_bytes_with_header("{'descr': __import__('os').system('touch PICKLE_RAN'), 'shape': (1,), }"),
        "truncated": npy_bytes_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 100), }") + b"\x00" * 10,
        "not npy": b"hello",
        "zero bytes": b"",
    }
    for label, blob in raw_npys.items():
        cases.append(Case(f"sample --latent .npy {label}", "latents", ["sample", DCGAN, "--latent", "z.npy", "--out", "s.png"],
                          setup=lambda d, b=blob: write(d / "z.npy", b), expect="refuse", names="z.npy"))
    return cases


def metrics_cases(fx: Path) -> list[Case]:
    good = (fx / "toy" / "metrics.jsonl").read_bytes()
    logs = {
        "torn last line": good + b'{"step": 9, "loss',
        "invalid utf8": good + b'{"step": 10, "x": "\xff\xfe"}\n',
        "non-object lines": good + b"42\n[1,2]\n\"s\"\nnull\n",
        "10^6-deep nesting": good + b"[" * 10**6 + b"]" * 10**6 + b"\n",
        "NaN and Infinity": good + b'{"step": 11, "scalars": {"loss_D": NaN, "loss_G": Infinity}}\n',
        "step a string": good + b'{"step": "x", "scalars": {}}\n',
        "a 50 MB line": good + b'{"step": 12, "s": "' + b"x" * 50_000_000 + b'"}\n',
        "binary garbage": os.urandom(20000),
        "zero bytes": b"",
        "NUL bytes": b"\x00" * 10000,
        "only newlines": b"\n" * 100000,
        "valid": good,
    }

    def follow(d: Path):
        from ganstudio.core.train.runlog import MetricsFollower, read_metrics
        f = MetricsFollower(d / "run" / "metrics.jsonl")
        for rec in f.poll():
            if not isinstance(rec, dict):
                raise TypeError(f"poll() returned a {type(rec).__name__}, not a record")
        read_metrics(d / "run" / "metrics.jsonl")

    def run_with(d: Path, blob: bytes):
        shutil.copytree(fx / "toy", d / "run")
        write(d / "run" / "metrics.jsonl", blob)

    cases = []
    for label, blob in logs.items():
        setup = lambda d, b=blob: run_with(d, b)
        cases.append(Case(f"follower {label}", "metrics", call=follow, setup=setup, expect="any"))
        for command in (["diagnose", "run"], ["runs", "run"], ["tensorboard", "run", "--out", "tb"]):
            cases.append(Case(f"{command[0]} metrics {label}", "metrics", command, setup=setup, expect="any"))
    # broken run-folder files beside the log
    for label, (fname, blob) in {"config.json truncated": ("config.json", b'{"name": '),
                                 "config.json a list": ("config.json", b"[1]"),
                                 "latest.json deep": ("checkpoints/latest.json", b"[" * 100000),
                                 "best.json NaN": ("checkpoints/best.json", b'{"step": NaN}')}.items():
        def setup(d, f=fname, b=blob):
            run_with(d, good)
            write(d / "run" / f, b)
        for command in (["diagnose", "run"], ["runs", "run"]):
            cases.append(Case(f"{command[0]} {label}", "metrics", command, setup=setup, expect="any"))
    return cases


def mount_tmpfs(path: Path, size: str, readonly: bool = False) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


MOUNTS: list[Path] = []


def destination_cases(fx: Path) -> list[Case]:
    src = fx / "toy" / "checkpoints" / "latest.safetensors"

    def ro_mount(d: Path):
        if mount_tmpfs(d / "ro", "1m", readonly=True):
            MOUNTS.append(d / "ro")

    def tiny_mount(d: Path):
        if mount_tmpfs(d / "tiny", "64k"):
            MOUNTS.append(d / "tiny")
            try:  # fill it up: the next write finds no room
                with open(d / "tiny" / "filler", "wb", buffering=0) as fh:
                    while True:
                        fh.write(b"\0" * 4096)
            except OSError:
                pass

    def afile(d: Path):
        write(d / "afile", b"x")

    def adir(d: Path):
        (d / "folder.png").mkdir()

    def full_link(d: Path):
        os.symlink("/dev/full", d / "full.png")

    sample = ["sample", str(src), "--n", "4"]
    train = ["train", "toy-ring", *TINY]
    translate = ["translate", SKETCH, "in.png"]

    def with_pic(s):
        def setup(d):
            write(d / "in.png", png_bytes(64, 64))
            s(d)
        return setup

    cases = []
    for label, setup, out in [("read-only tmpfs", ro_mount, "ro/x"), ("full 64 KB tmpfs", tiny_mount, "tiny/x"),
                              ("below a file", afile, "afile/x"), ("a file as the folder", afile, "afile"),
                              ("a folder as the file", adir, "folder.png"), ("/dev/full", full_link, "full.png"),
                              ("/proc", lambda d: None, "/proc/campaign"), ("/sys", lambda d: None, "/sys/campaign")]:
        png = out if out.endswith(".png") or label == "a file as the folder" else out + ".png"
        for name, argv in (("train", [*train, "--out", out]), ("sample", [*sample, "--out", png]),
                           ("translate", [*translate, "--out", png])):
            valid = name == "train" and label == "a folder as the file"  # an empty folder is a fine run folder
            cases.append(Case(f"{name} --out {label}", "destinations", argv, setup=with_pic(setup),
                              expect="load" if valid else "refuse",
                              timeout=60))
    # a checkpoint bigger than the file-size limit lets it be written (RLIMIT_FSIZE: EFBIG while saving)
    cases.append(Case("train under RLIMIT_FSIZE 64 KB", "destinations", [*train, "--out", "run", "--set", "model.g_width=256"],
                      expect="refuse", timeout=60))
    return cases


def fault_cases(fx: Path) -> list[Case]:
    """Signals and concurrent runs: each case drives real `python -m ganstudio train` processes."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    long_train = ["train", "toy-ring", "--steps", "100000", "--threads", "1", "--set", "train.eval_every=0",
                  "--set", "train.sample_every=0", "--set", "train.log_every=5", "--set", "train.checkpoint_every=0"]

    def wait_for_log(path: Path, limit: float = 60) -> bool:
        end = time.time() + limit
        while time.time() < end:
            if path.exists() and path.stat().st_size > 200:
                return True
            time.sleep(0.2)
        return False

    def signal_driver(sig, twice=False):
        def drive(d: Path):
            p = subprocess.Popen([PY, "-m", "ganstudio", *long_train, "--out", "run"], cwd=d, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if not wait_for_log(d / "run" / "metrics.jsonl"):
                p.kill()
            p.send_signal(sig)
            if twice:
                time.sleep(0.05)
                p.send_signal(sig)
            out, err = p.communicate(timeout=60)
            return p.returncode, out, err
        return drive

    def after_signal(d: Path) -> list[str]:
        ck = d / "run" / "checkpoints" / "latest.safetensors"
        if not ck.exists():
            return ["no checkpoint kept after the signal"]
        return []

    def concurrent(d: Path):
        cmd = [PY, "-m", "ganstudio", *long_train[:2], "--steps", "300", *long_train[4:], "--out", "run"]
        a = subprocess.Popen(cmd, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for_log(d / "run" / "metrics.jsonl")
        b = subprocess.Popen(cmd + ["--overwrite"] if False else cmd, cwd=d, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out_b, err_b = b.communicate(timeout=80)
        a.communicate(timeout=80)
        return b.returncode, out_b, err_b

    def after_concurrent(d: Path) -> list[str]:
        records = [json.loads(x) for x in (d / "run" / "metrics.jsonl").read_text().splitlines() if x.strip().startswith("{")]
        steps = [r.get("step") for r in records if "kind" not in r]  # training records; an eval shares its step
        dup = len(steps) - len(set(steps))
        return [f"{dup} duplicate steps in metrics.jsonl"] if dup else []

    def into_existing(d: Path):
        shutil.copytree(fx / "toy", d / "run")
        p = subprocess.run([PY, "-m", "ganstudio", "train", "toy-spiral", "--out", "run", *TINY], cwd=d, env=env,
                           capture_output=True, text=True, timeout=80)
        return p.returncode, p.stdout, p.stderr

    def after_existing(d: Path) -> list[str]:
        same = (d / "run" / "checkpoints" / "latest.safetensors").read_bytes() == (fx / "toy" / "checkpoints" / "latest.safetensors").read_bytes()
        return [] if same else ["the existing run's checkpoint was replaced"]

    cases = [Case(f"train {name}", "faults", spawn_driver=signal_driver(sig, twice), expect="any", after=after_signal, timeout=150)
             for name, sig, twice in (("SIGTERM", signal.SIGTERM, False), ("SIGHUP", signal.SIGHUP, False),
                                      ("SIGINT", signal.SIGINT, False), ("SIGINT twice", signal.SIGINT, True))]
    cases.append(Case("two trainings into one --out", "faults", spawn_driver=concurrent, expect="refuse", after=after_concurrent,
                      timeout=170))
    cases.append(Case("a new run into an existing run folder", "faults", spawn_driver=into_existing, expect="refuse",
                      after=after_existing, timeout=100))
    return cases


CATEGORIES = {"flags": set_cases, "configs": config_cases, "checkpoints": checkpoint_cases, "pickles": pickle_cases,
              "foreign": foreign_cases, "pictures": picture_cases, "folders": folder_cases, "documents": document_cases,
              "bookmarks": bookmark_cases, "metrics": metrics_cases, "destinations": destination_cases,
              "faults": fault_cases}


# --- running one case -------------------------------------------------------------------------------------------

def child_main(case: Case, d: Path, memory_bytes: int) -> None:
    """In the forked case process: bounds, files, then the CLI's own entry point or the loader."""
    os.chdir(d)
    os.environ.update(HOME=str(d / "home"), TMPDIR=str(d / "tmp"))
    tempfile.tempdir = None
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    if case.name == "train under RLIMIT_FSIZE 64 KB":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
    out = os.open(d / "stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(d / "stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    rc = 1
    try:
        if case.argv is not None:
            from ganstudio.__main__ import main
            sys.argv = ["ganstudio", *case.argv]
            rc = main(case.argv)
        else:
            from ganstudio.core.errors import GanStudioError
            try:
                case.call(d)
                rc = 0
            except GanStudioError as exc:
                print(f"{ERROR_PREFIX} {exc}", file=sys.stderr)
                rc = 2
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        rc = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(rc)


def spawn_argv(case: Case, d: Path, memory_bytes: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(d / "home"), TMPDIR=str(d / "tmp"), OMP_NUM_THREADS="1")

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return subprocess.Popen([PY, "-m", "ganstudio", *case.argv], cwd=d, env=env, preexec_fn=limits,
                            stdout=open(d / "stdout.txt", "wb"), stderr=open(d / "stderr.txt", "wb"))


def judge(case: Case, d: Path, rc: int | None, seconds: float, timed_out: bool, signalled: int | None) -> Result:
    err = (d / "stderr.txt").read_text(errors="replace") if (d / "stderr.txt").exists() else ""
    res = Result(case.name, case.category, rc, round(seconds, 2), stderr_tail=err[-600:])
    # argparse's own refusals (a flag's type or choice) read "ganstudio CMD: error: ..." after the usage lines
    lines = [x for x in err.splitlines() if x.startswith(ERROR_PREFIX) or re.match(r"ganstudio [a-z]+: error: ", x)]
    res.error_line = lines[0][:300] if lines else ""
    if timed_out:
        res.problems.append("timeout")
    if "Traceback (most recent call last)" in err:
        res.problems.append("traceback")
    if signalled is not None and not timed_out:
        res.problems.append("memory" if signalled in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT) else f"killed by signal {signalled}")
    if "ganstudio: internal error" in err or (rc == 1 and "traceback" not in res.problems):
        res.problems.append("internal")
    if ("not enough memory" in err or "MemoryError" in err) and not case.allow_memory:
        res.problems.append("memory")
    if not timed_out and signalled is None:
        if rc == 2 and len(lines) != 1:
            res.problems.append(f"verdict: {len(lines)} error lines")
        wanted = (case.names,) if isinstance(case.names, str) else case.names
        if rc == 2 and wanted and lines and not any(w in lines[0] for w in wanted):
            res.problems.append(f"verdict: the sentence does not name {' or '.join(map(repr, wanted))}")
        if case.expect == "refuse" and rc == 0:
            res.problems.append("verdict: accepted a bad input")
        if case.expect == "load" and rc != 0:
            res.problems.append("verdict: refused a valid input")
        if rc not in (0, 2, 130) and "internal" not in res.problems and "traceback" not in res.problems:
            res.problems.append(f"verdict: exit status {rc}")
    if list(d.rglob(MARKER)):
        res.problems.append("marker: a pickle ran code")
    for p in d.rglob("*"):
        if p.name.endswith(".tmp") or ".tmp." in p.name or (p.name.startswith(".") and "tmp" in p.name):
            res.problems.append(f"partial: {p.relative_to(d)} left")
        elif p.suffix == ".safetensors" and p.is_file() and p.name != "bad.safetensors" and not p.name.startswith("evil"):
            try:
                from safetensors import safe_open
                with safe_open(str(p), "np") as fh:
                    fh.keys()
            except Exception:
                res.problems.append(f"partial: unreadable {p.relative_to(d)}")
    if case.after is not None and d.exists():
        try:
            res.problems += case.after(d)
        except Exception as exc:
            res.problems.append(f"after-check failed: {type(exc).__name__}: {exc}")
    return res


def snapshot(root: Path, fx: Path) -> dict:
    """What may not change: the shared inputs (hashed) and the entries of the campaign and temp folders."""
    digests = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(fx.rglob("*")) if p.is_file()}
    tops = {str(p) for top in (root, root / "cases", REPO) for p in top.iterdir()}
    tops |= {str(p) for p in Path("/tmp").glob("campaign-escape*")} | {str(p) for p in root.parent.glob("campaign-escape*")}
    return {"digests": digests, "tops": tops}


def run_cases(cases: list[Case], root: Path, fx: Path, workers: int, timeout: float, memory_bytes: int,
              spawn: bool) -> list[Result]:
    results: list[Result] = []
    pending = list(enumerate(cases))
    running: dict[int, tuple] = {}  # pid -> (index, case, dir, start, popen)
    allowed = {str(root / "cases" / f"{i:04d}") for i in range(len(cases))}
    (root / "cases").mkdir(exist_ok=True)
    before = snapshot(root, fx)
    started = time.time()
    while pending or running:
        while pending and len(running) < workers:
            i, case = pending.pop(0)
            d = root / "cases" / f"{i:04d}"
            (d / "home").mkdir(parents=True)
            (d / "tmp").mkdir()
            try:
                if case.setup:
                    case.setup(d)
            except Exception as exc:
                results.append(Result(case.name, case.category, None, 0.0, [f"setup failed: {exc!r}"]))
                continue
            if case.spawn_driver is not None:
                pid = os.fork()
                if pid == 0:
                    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
                    try:
                        rc, out, err = case.spawn_driver(d)
                        (d / "stderr.txt").write_text(err)
                        (d / "stdout.txt").write_text(out)
                    except BaseException:
                        (d / "stderr.txt").write_text("driver: " + traceback.format_exc())
                        rc = 3
                    (d / "rc.txt").write_text(str(rc))  # the driven process's status, a negative one included
                    os._exit(0)
                running[pid] = (i, case, d, time.time(), None)
            elif spawn and case.argv is not None:
                p = spawn_argv(case, d, memory_bytes)
                running[p.pid] = (i, case, d, time.time(), p)
            else:
                pid = os.fork()
                if pid == 0:
                    child_main(case, d, memory_bytes)
                running[pid] = (i, case, d, time.time(), None)
        time.sleep(0.02)
        for pid, (i, case, d, t0, p) in list(running.items()):
            limit = case.timeout or timeout
            got, status = os.waitpid(pid, os.WNOHANG)
            timed_out = False
            if got == 0:
                if time.time() - t0 < limit:
                    continue
                os.kill(pid, signal.SIGKILL)
                subprocess.run(["pkill", "-KILL", "-P", str(pid)], capture_output=True)  # the case's own children
                _, status = os.waitpid(pid, 0)
                timed_out = True
            seconds = time.time() - t0
            del running[pid]
            rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) and not timed_out else None
            if case.spawn_driver is not None and (d / "rc.txt").exists():
                rc = int((d / "rc.txt").read_text())
            res = judge(case, d, rc, seconds, timed_out, sig)
            results.append(res)
            if not res.ok:
                print(f"FAIL [{case.category}] {case.name}: {', '.join(res.problems)} | rc={rc} {seconds:.1f}s | "
                      f"{(res.error_line or (res.stderr_tail.strip().splitlines() or [''])[-1])[:200]}", flush=True)
            for m in [m for m in MOUNTS if str(m).startswith(str(d))]:
                subprocess.run(["umount", "-l", str(m)], capture_output=True)
                MOUNTS.remove(m)
            if res.ok:
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir()
        if len(results) % 50 == 0 and results:
            pass
    after = snapshot(root, fx)
    changed = [k for k, v in before["digests"].items() if after["digests"].get(k) != v]
    new = sorted(after["tops"] - before["tops"] - allowed)
    if changed or new:
        results.append(Result("nothing written outside the case folders", "outside", 0, time.time() - started,
                              [f"outside: {x}" for x in changed + new]))
        print(f"FAIL [outside] changed shared inputs {changed} / new entries {new}", flush=True)
    return results


def table(results: list[Result]) -> str:
    cats: dict[str, dict[str, int]] = {}
    for r in results:
        row = cats.setdefault(r.category, dict.fromkeys(COLUMNS, 0))
        row["cases"] += 1
        row["ok"] += r.ok
        kinds = {p.split(":")[0].split(" ")[0] for p in r.problems}
        for col in COLUMNS[2:]:
            row[col] += col in kinds or (col == "verdict" and any(k.startswith(("verdict", "killed", "setup", "after")) for k in kinds))
    total = dict.fromkeys(COLUMNS, 0)
    lines = ["| category | " + " | ".join(COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for cat, row in cats.items():
        lines.append(f"| {cat} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
        for c in COLUMNS:
            total[c] += row[c]
    lines.append("| **all** | " + " | ".join(f"**{total[c]}**" for c in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="write every case's result as JSON here")
    ap.add_argument("--only", nargs="*", choices=list(CATEGORIES), help="run these categories only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds a case may take (more for signals, folders)")
    ap.add_argument("--memory", type=float, default=3.0, help="GB of address space a case may add")
    ap.add_argument("--spawn", action="store_true", help="run every CLI case as a fresh `python -m ganstudio`")
    ap.add_argument("--spawn-check", type=int, default=0, help="also run N CLI cases as fresh processes, compare")
    ap.add_argument("--keep", action="store_true", help="keep the campaign folder (failing cases are kept in it)")
    ap.add_argument("--grep", nargs="*", help="run only the cases whose name holds one of these texts")
    ap.add_argument("--fixtures", help="keep the fixture runs and models here and reuse them next time")
    ap.add_argument("--list", action="store_true", help="list the cases and stop")
    args = ap.parse_args()

    import torch  # imported once here, shared by every fork; one thread so that forking is safe

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    import PIL.Image  # noqa: F401

    import ganstudio.cli  # noqa: F401
    import ganstudio.core.train.trainer  # noqa: F401

    root = Path(tempfile.mkdtemp(prefix="ganstudio-campaign-"))
    t0 = time.time()
    if args.fixtures and (Path(args.fixtures) / "toy").exists():
        fx = root / "fixtures"
        shutil.copytree(args.fixtures, fx)
    else:
        fx = make_fixtures(root)
        if args.fixtures:
            shutil.copytree(fx, args.fixtures, dirs_exist_ok=True)
    cases = [c for cat, make in CATEGORIES.items() if not args.only or cat in args.only for c in make(fx)]
    if args.grep:
        cases = [c for c in cases if any(g in c.name for g in args.grep)]
    if args.list:
        for c in cases:
            print(f"[{c.category}] {c.name}")
        print(len(cases), "cases")
        shutil.rmtree(root, ignore_errors=True)
        return 0
    vm = int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmSize"))) * 1024
    memory_bytes = vm + int(args.memory * 2**30)
    load0 = os.getloadavg()
    print(f"{len(cases)} cases, {args.workers} workers, fixtures in {time.time() - t0:.0f} s, load {load0[0]:.1f}; "
          f"memory bound {memory_bytes / 2**30:.1f} GB address space; root {root}", flush=True)
    results = run_cases(cases, root, fx, args.workers, args.timeout, memory_bytes, args.spawn)
    differ = []
    if args.spawn_check:
        cli_cases = [c for c in cases if c.argv is not None and c.spawn_driver is None and c.name != "train under RLIMIT_FSIZE 64 KB"]
        step = max(1, len(cli_cases) // args.spawn_check)
        picked = cli_cases[::step][: args.spawn_check]
        check_root = root / "spawn"
        check_root.mkdir()
        forked = {r.name: r for r in results}
        spawned = run_cases(picked, check_root, fx, args.workers, args.timeout * 3, memory_bytes, True)
        for r in spawned:
            f = forked.get(r.name)
            if f is not None and (f.ok != r.ok or f.rc != r.rc or f.error_line != r.error_line):
                differ.append((r.name, f.rc, r.rc, f.error_line, r.error_line))
        print(f"spawn check: {len(spawned)} cases run as fresh processes, {len(differ)} verdicts differ", flush=True)
        for x in differ:
            print("  differs:", x)
    wall = time.time() - t0
    load1 = os.getloadavg()
    print(f"\n{len(results)} cases in {wall / 60:.1f} min, load {load0[0]:.1f} -> {load1[0]:.1f}, "
          f"{sum(r.ok for r in results)} ok\n")
    print(table(results))
    if args.out:
        Path(args.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                              "wall_s": round(wall), "load": [load0, load1], "workers": args.workers,
                                              "spawn_differ": differ, "table": table(results),
                                              "results": [asdict(r) | {"ok": r.ok} for r in results]}, indent=1))
    for m in MOUNTS:
        subprocess.run(["umount", "-l", str(m)], capture_output=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print("kept", root)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
