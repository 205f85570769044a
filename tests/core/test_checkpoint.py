"""Checkpoints: atomic, never unpickled, and every broken file gives one clear sentence."""

import os
from pathlib import Path

import pytest
import torch

from ganstudio.core import checkpoint as ck
from ganstudio.core.checkpoint import Checkpoint, load_checkpoint, load_state_into, read_foreign_state_dict, save_checkpoint
from ganstudio.core.errors import CheckpointError


def _ckpt(value: float = 1.0) -> Checkpoint:
    net = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(net.weight, value)
    return Checkpoint(states={"G": net.state_dict()}, meta={"config": {"name": "t"}, "step": 7})


def test_round_trip_keeps_tensors_and_metadata(tmp_path: Path):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt(0.5))
    assert path.with_suffix(".json").is_file()
    back = load_checkpoint(path)
    assert back.step == 7 and back.config == {"name": "t"}
    assert torch.equal(back.states["G"]["weight"], torch.full((2, 3), 0.5))
    # A run folder resolves to its latest checkpoint.
    save_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors", _ckpt(2.0))
    assert load_checkpoint(tmp_path / "run").states["G"]["weight"][0, 0] == 2.0


def test_failed_save_keeps_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt(1.0))
    before = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ck.os, "fsync", disk_full)
    with pytest.raises(OSError):
        save_checkpoint(path, _ckpt(3.0))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no litter


def test_non_finite_weights_are_never_written(tmp_path: Path):
    bad = _ckpt()
    bad.states["G"]["weight"][0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        save_checkpoint(tmp_path / "nan.safetensors", bad)
    assert not (tmp_path / "nan.safetensors").exists()


def test_truncated_and_corrupted_files_name_the_file(tmp_path: Path):
    path = save_checkpoint(tmp_path / "a.safetensors", _ckpt())
    data = path.read_bytes()
    (tmp_path / "trunc.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="trunc.safetensors.*(truncated|corrupted)"):
        load_checkpoint(tmp_path / "trunc.safetensors")
    (tmp_path / "zero.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="zero.safetensors is truncated"):
        load_checkpoint(tmp_path / "zero.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(os.urandom(4096))
    with pytest.raises(CheckpointError, match="junk.safetensors"):
        load_checkpoint(tmp_path / "junk.safetensors")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_mismatched_weights_name_the_tensors(tmp_path: Path):
    other = torch.nn.Linear(4, 2).state_dict()
    with pytest.raises(CheckpointError, match=r"wrong shape 1 \(weight \(2, 4\) vs \(2, 3\)\)"):
        load_state_into(torch.nn.Linear(3, 2), other, "generator", tmp_path / "x.safetensors")
    with pytest.raises(CheckpointError, match="missing 1 \\(bias\\)"):
        load_state_into(torch.nn.Linear(3, 2), {"weight": torch.zeros(2, 3)}, "generator", "x")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch EVIL_RAN",))


def test_a_pth_with_pickled_code_is_refused_without_running_it(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "netG.pth"
    torch.save({"weight": torch.zeros(2), "payload": _Evil()}, path)
    with pytest.raises(CheckpointError, match="refused: it needs pickled code"):
        read_foreign_state_dict(path)
    assert not (tmp_path / "EVIL_RAN").exists()
    # And a .pth handed to the native loader is refused up front.
    with pytest.raises(CheckpointError, match="PyTorch pickle file"):
        load_checkpoint(path)


def test_a_plain_state_dict_pth_imports(tmp_path: Path):
    path = tmp_path / "plain.pth"
    net = torch.nn.Linear(3, 2)
    torch.save({"module." + k: v for k, v in net.state_dict().items()}, path)
    state = read_foreign_state_dict(path)
    assert set(state) == {"weight", "bias"}
    assert torch.equal(state["weight"], net.weight.detach())
