"""Broken and hostile copies of a real checkpoint, for the tests of what loading one refuses: the same file
with its JSON metadata or its tensors edited as damage or a hand-edit would leave them."""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save_bytes


def checkpoint_parts(path: Path) -> tuple[dict, dict]:
    """(tensors, the "ganstudio" metadata as a dict) of a checkpoint file."""
    tensors = load_file(str(path))
    with safe_open(str(path), "pt") as fh:
        meta = json.loads(fh.metadata()["ganstudio"])
    return tensors, meta


def write_variant(src: Path, dst: Path, meta_edit=None, tensor_edit=None, raw_meta: str | None = None) -> Path:
    """A copy of src at dst with its metadata and tensors edited (each edit changes its dict in place);
    `raw_meta` replaces the metadata text outright (not JSON, a JSON list...)."""
    tensors, meta = checkpoint_parts(src)
    if meta_edit:
        meta_edit(meta)
    if tensor_edit:
        tensor_edit(tensors)
    text = raw_meta if raw_meta is not None else json.dumps(meta)
    dst.write_bytes(st_save_bytes(tensors, metadata={"ganstudio": text}))
    return dst


def set_item(key, value):
    """An edit that sets one key of the metadata or tensor dict."""
    return lambda d: d.__setitem__(key, value)


def drop_prefix(prefix: str):
    """An edit that removes every tensor (or metadata key) whose name starts with prefix."""
    def edit(d):
        for k in [k for k in d if k.startswith(prefix)]:
            del d[k]
    return edit
