"""The save and load path of a checkpoint, step by step: what each fsync covers, the folder's fsync after
the renames, the temporary files' names and their clean-up, the file names a save and a load accept, the
metadata written, and every refusal of `load_checkpoint` word for word."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import torch

from ganstudio.core import checkpoint as ck
from ganstudio.core.checkpoint import (
    Checkpoint,
    CheckpointError,
    atomic_write_bytes,
    load_checkpoint,
    remove_unfinished_writes,
    save_checkpoint,
)


def _ckpt(value: float = 1.0, **meta) -> Checkpoint:
    state = {"weight": torch.full((2, 3), value), "bias": torch.arange(2.0)}
    return Checkpoint(states={"G": state}, meta={"config": {"name": "t"}, "step": 4, **meta})


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def test_every_fsync_covers_the_whole_file_and_the_folder_is_fsynced_after_the_renames(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "a.safetensors", _ckpt(1.0))  # overwrite: the risky case
    real_fsync, real_replace = os.fsync, os.replace
    events: list[tuple[str, str, bytes | None]] = []

    def fsync(fd):
        path = _fd_path(fd)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(("fsync-dir", path, None))
        else:  # what a power cut right after this fsync would keep: the whole content, not a buffered part
            with open(path, "rb") as fh:
                events.append(("fsync", path, fh.read()))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.path.realpath(dst), Path(src).read_bytes()))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_checkpoint(tmp_path / "a.safetensors", _ckpt(3.0))
    monkeypatch.undo()

    folder = os.path.realpath(tmp_path)
    for name in ("a.safetensors", "a.json"):
        final = os.path.realpath(tmp_path / name)
        i = next(i for i, e in enumerate(events) if e[0] == "replace" and e[1] == final)
        content = (tmp_path / name).read_bytes()
        assert events[i][2] == content
        synced = [e for e in events[:i] if e[0] == "fsync" and e[2] == content]
        assert synced and Path(synced[-1][1]).parent == Path(folder), events
        # ... and the rename itself is made durable by an fsync of the folder, after it
        assert any(e[0] == "fsync-dir" and e[1] == folder for e in events[i + 1:]), events
    assert load_checkpoint(tmp_path / "a.safetensors").states["G"]["weight"][0, 0] == 3.0


def test_atomic_write_makes_missing_folders_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deep" / "er" / "x.json"
    atomic_write_bytes(target, b"hello")
    assert target.read_bytes() == b"hello"
    atomic_write_bytes(target, b"bye")
    assert target.read_bytes() == b"bye" and sorted(p.name for p in target.parent.iterdir()) == ["x.json"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_get_the_permissions_of_the_umask_not_the_temp_files_owner_only_ones(tmp_path, umask):
    """mkstemp makes 0600 files; a checkpoint must be readable as any file the user writes (a shared run
    folder, a web server, a second account), so it gets 0666 less the umask, read without changing it."""
    old = os.umask(umask)
    try:
        assert ck._process_umask() == umask
        ck.atomic_write_bytes(tmp_path / "a.bin", b"x")
        save_checkpoint(tmp_path / "c.safetensors", Checkpoint(states={"G": {"w": torch.ones(2)}}, meta={"step": 1}))
    finally:
        os.umask(old)
    for name in ("a.bin", "c.safetensors", "c.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


def test_a_failed_write_leaves_a_temporary_file_that_remove_unfinished_writes_recognises(tmp_path, monkeypatch):
    (tmp_path / "a.safetensors").write_bytes(b"old")
    leftovers: list[str] = []

    def die_before_the_rename(src, dst):  # kill -9 between the fsync and the rename: the temp file stays
        leftovers.append(os.path.basename(src))
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", die_before_the_rename)
    monkeypatch.setattr(os, "unlink", lambda p: None)  # the process died: no clean-up ran
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "a.safetensors", b"new")
    monkeypatch.undo()
    (name,) = leftovers
    assert name.startswith(".a.safetensors.") and name.endswith(".tmp") and len(name) == len(".a.safetensors.") + 8 + 4
    assert (tmp_path / "a.safetensors").read_bytes() == b"old"
    keep = [".a.safetensors.abc.tmp", ".notes.txt.abcdefgh.tmp", "a.safetensors", ".a.json.ABCDEFGH.tmp",
            "x.a.json.abcdefgh.tmp", ".a.json.abcdefgh.tmp.bak"]
    for other in keep:
        (tmp_path / other).write_bytes(b"?")
    unfinished = [".b.json.abcd_f12.tmp", ".c.jsonl.00000000.tmp", ".d.safetensors.zz99aa__.tmp"]
    for other in unfinished:
        (tmp_path / other).write_bytes(b"?")
    (tmp_path / ".e.json.abcdefgh.tmp").mkdir()  # a folder of that name is not a write
    removed = remove_unfinished_writes(tmp_path)
    assert sorted(p.name for p in removed) == sorted([name, *unfinished])
    assert all(p.parent == tmp_path for p in removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep + [".e.json.abcdefgh.tmp"])
    assert remove_unfinished_writes(tmp_path) == []
    assert remove_unfinished_writes(tmp_path / "missing") == []


def test_a_save_names_its_files_and_writes_the_metadata_both_places(tmp_path):
    for given, written in (("a", "a.safetensors"), ("b.ckpt", "b.safetensors"), ("c.safetensors", "c.safetensors")):
        path = save_checkpoint(tmp_path / given, _ckpt())
        assert path == tmp_path / written and path.is_file() and path.with_suffix(".json").is_file()
    meta = {"config": {"name": "t"}, "step": 4, "scores": [1.0, 2.0], "where": "runs/x",
            "format": "ganstudio-checkpoint", "format_version": 1}  # the caller's keys, then the format's
    ckpt = _ckpt(scores=torch.tensor([1.0, 2.0]), where=Path("runs/x"))
    path = save_checkpoint(tmp_path / "m.safetensors", ckpt)
    assert json.loads(path.with_suffix(".json").read_text()) == meta
    assert path.with_suffix(".json").read_text() == json.dumps(meta, indent=2)
    loaded = load_checkpoint(path)
    assert loaded.meta == meta and loaded.step == 4 and loaded.config == {"name": "t"}
    assert set(loaded.states) == {"G"} and torch.equal(loaded.states["G"]["bias"], torch.arange(2.0))
    assert loaded.source == str(path)
    assert Checkpoint().step == 0 and Checkpoint().config == {}
    # a tensor that is a view (not contiguous, sharing memory with another) is saved as its own values
    base = torch.arange(6.0).reshape(2, 3)
    tied = Checkpoint(states={"G": {"w": base, "wt": base.t(), "row": base[1]}}, meta={"step": 0})
    got = load_checkpoint(save_checkpoint(tmp_path / "v.safetensors", tied)).states["G"]
    assert torch.equal(got["wt"], base.t()) and torch.equal(got["row"], base[1]) and got["wt"].is_contiguous()
    with pytest.raises(TypeError) as info:
        save_checkpoint(tmp_path / "bad.safetensors", _ckpt(when=object()))
    assert str(info.value) == "cannot store object in checkpoint metadata"


def test_non_finite_weights_are_refused_word_for_word_but_optimizer_and_rng_state_may_hold_them(tmp_path):
    states = {"G": {"a": torch.tensor([1.0, float("nan")]), "b": torch.tensor([float("inf")]),
                    "c": torch.ones(1), "d": torch.tensor([-float("inf")]), "e": torch.tensor([float("nan")])}}
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(tmp_path / "x.safetensors", Checkpoint(states=states, meta={}))
    assert str(info.value) == ("refusing to write x.safetensors: 4 tensors hold NaN or infinite values "
                               "(first: G.a, G.b, G.d).")
    assert not list(tmp_path.iterdir())
    ok = Checkpoint(states={"G": {"w": torch.ones(2)}, "opt_G": {"0.exp_avg": torch.tensor([float("nan")])},
                            "rng": {"x": torch.tensor([float("inf")])}}, meta={"step": 1})
    from safetensors.torch import load_file

    written = load_file(save_checkpoint(tmp_path / "ok.safetensors", ok))
    assert torch.isnan(written["opt_G.0.exp_avg"]).all() and torch.isinf(written["rng.x"]).all()
    # a caller's own format fields are kept (setdefault), and then refused on loading as not ours
    mine = save_checkpoint(tmp_path / "mine.safetensors", _ckpt(format="mine", format_version=7))
    assert json.loads(mine.with_suffix(".json").read_text())["format_version"] == 7


def test_load_resolves_run_folders_and_the_sidecar_name(tmp_path):
    run = tmp_path / "run"
    save_checkpoint(run / "checkpoints" / "latest.safetensors", _ckpt(5.0))
    save_checkpoint(run / "latest.safetensors", _ckpt(6.0))  # the run's own checkpoints/ folder wins
    assert load_checkpoint(run).states["G"]["weight"][0, 0] == 5.0
    assert load_checkpoint(run / "checkpoints").states["G"]["weight"][0, 0] == 5.0
    assert load_checkpoint(str(run / "latest.json")).states["G"]["weight"][0, 0] == 6.0
    (tmp_path / "lonely.json").write_text("{}")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "lonely.json")
    assert str(info.value) == f"checkpoint {tmp_path / 'lonely.json'} is truncated (2 bytes)."
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path)
    assert str(info.value) == f"checkpoint {tmp_path} does not exist."
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "nope.safetensors")
    assert str(info.value) == f"checkpoint {tmp_path / 'nope.safetensors'} does not exist."


def test_load_refusals_word_for_word(tmp_path):
    for suffix in (".pth", ".pt", ".ckpt", ".pkl", ".bin", ".tar", ".PT"):
        f = tmp_path / f"w{suffix}"
        f.write_bytes(b"x" * 64)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(f)
        assert str(info.value) == (
            f"w{suffix} is a PyTorch pickle file, not a GAN Studio checkpoint; open it as a model (it is read "
            "with weights_only=True) or convert it once with `ganstudio import FILE --out MODEL.safetensors`.")

    def refusal(data: bytes, name: str = "x.safetensors") -> str:
        f = tmp_path / name
        f.write_bytes(data)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(f)
        return str(info.value)

    f = tmp_path / "x.safetensors"
    assert refusal(b"\x00" * 15) == f"checkpoint {f} is truncated (15 bytes)."
    assert refusal((0).to_bytes(8, "little") + b"{}" * 4) == (
        f"checkpoint {f} is truncated or not a safetensors file (header claims 0 bytes, file has 16).")
    assert refusal((9).to_bytes(8, "little") + b"{}" * 4) == (
        f"checkpoint {f} is truncated or not a safetensors file (header claims 9 bytes, file has 16).")
    # a header that fills the file exactly is read (and is then judged on its contents)
    header = b'{"__metadata__":{"x":"1"}}'
    assert refusal(len(header).to_bytes(8, "little") + header) == (
        f"{f} is a safetensors file but not a GAN Studio checkpoint (no metadata).")
    from safetensors.torch import save as st_save

    t = {"w": torch.ones(1)}
    assert refusal(st_save(t)) == f"{f} is a safetensors file but not a GAN Studio checkpoint (no metadata)."
    assert refusal(st_save(t, metadata={"ganstudio": "[1, 2]"})) == (
        f"the metadata of checkpoint {f} is not a JSON object.")
    assert refusal(st_save(t, metadata={"ganstudio": '{"format": "other"}'})) == (
        f"{f} is not a GAN Studio checkpoint (format 'other').")
    assert refusal(st_save(t, metadata={"ganstudio": "{}"})) == f"{f} is not a GAN Studio checkpoint (format None)."
    good = save_checkpoint(tmp_path / "good.safetensors", _ckpt()).read_bytes()
    assert refusal(good[:-3]).startswith(f"checkpoint {f} is corrupted or truncated (")


def test_a_missing_part_names_the_file_and_what_needs_it(tmp_path):
    path = save_checkpoint(tmp_path / "g.safetensors", _ckpt())
    parts = load_checkpoint(path).states
    assert "D" not in parts and parts.get("D") is None and isinstance(parts, dict)
    for part, need in (("D", "resuming training needs the discriminator"),
                       ("opt_G", "resuming needs the optimizer state"), ("hist_G", "this use needs it")):
        with pytest.raises(CheckpointError) as info:
            parts[part]
        assert str(info.value) == f"checkpoint {path} has no {part} part (it holds G); {need}."
    empty = ck.CheckpointParts({}, "f.safetensors")
    with pytest.raises(CheckpointError) as info:
        empty["G"]
    assert str(info.value) == ("checkpoint f.safetensors has no G part (it holds nothing); "
                               "every use needs the generator.")


def _refused(path: Path, data: bytes | None = None) -> CheckpointError:
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert type(info.value) is CheckpointError
    return info.value


def test_header_metadata_and_path_refusals_name_the_file(tmp_path):
    from safetensors.torch import save as st_save

    f = tmp_path / "x.safetensors"
    assert str(_refused(f, (8).to_bytes(8, "little") + b"not json")) == (
        f"The header of checkpoint {f} is not valid JSON (Expecting value: line 1 column 1 (char 0)).")
    assert str(_refused(f, (1).to_bytes(8, "little") + b"{" + b" " * 7)) == (
        f"The header of checkpoint {f} is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)).")
    assert str(_refused(f, st_save({"w": torch.ones(1)}, metadata={"ganstudio": "{bad"}))) == (
        f"The metadata of checkpoint {f} is not valid JSON "
        "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)).")
    assert str(_refused(Path("a\x00b"))) == "The checkpoint path holds a NUL character, which no file path can."
    # the metadata and the tensors are checked with the file named
    save_checkpoint(f, Checkpoint(states={"G": {"w": torch.ones(1)}}, meta={"step": "abc"}))
    assert str(_refused(f)) == (
        f"checkpoint {f} is corrupted: its 'step' must be a whole number of steps, 0 or more, not 'abc'.")
    save_checkpoint(f, Checkpoint(states={"G": {"w": torch.ones(1)}, "rng": {"x": torch.ones(1)}}, meta={"step": 1}))
    assert str(_refused(f)) == (
        f"checkpoint {f} is corrupted: its random-number state holds x, not the trainer's and torch's.")


def test_dotted_tensor_names_split_at_the_part_and_two_parts_are_listed(tmp_path):
    state = {"main.0.weight": torch.ones(2, 2), "main.0.bias": torch.zeros(2)}
    path = save_checkpoint(tmp_path / "n.safetensors", Checkpoint(
        states={"G": state, "G_ema": {"main.0.weight": torch.full((2, 2), 2.0)}}, meta={"step": 0}))
    parts = load_checkpoint(path).states
    assert set(parts) == {"G", "G_ema"} and set(parts["G"]) == {"main.0.weight", "main.0.bias"}
    assert torch.equal(parts["G_ema"]["main.0.weight"], torch.full((2, 2), 2.0))
    with pytest.raises(CheckpointError) as info:
        parts["D"]
    assert str(info.value) == (f"checkpoint {path} has no D part (it holds G, G_ema); "
                               "resuming training needs the discriminator.")


def test_the_weights_file_does_not_depend_on_the_order_of_the_metadata_keys(tmp_path):
    # the JSON inside the weights file is written with sorted keys: the same checkpoint, the same bytes
    first = _ckpt(best_metric="fid", best_value=1.5)
    second = Checkpoint(states=first.states, meta=dict(reversed(list(first.meta.items()))))
    a = save_checkpoint(tmp_path / "a.safetensors", first).read_bytes()
    b = save_checkpoint(tmp_path / "b.safetensors", second).read_bytes()
    assert a == b
