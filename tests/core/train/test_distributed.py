"""Multi-process training with torch.distributed (gloo on CPU), launched by torchrun as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer


def test_torchrun_two_processes_keep_identical_weights_and_write_one_run_folder(tmp_path: Path):
    out = tmp_path / "runs" / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "ganstudio", "train", "toy-ring", "--steps", "200", "--device", "cpu", "--out", str(out), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Exactly one run folder, written by rank 0 only.
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["ddp"]
    assert not (tmp_path / "runs" / "ddp" / "runs").exists() and not list(tmp_path.glob("runs/*/runs"))
    ckpt = load_checkpoint(out / "checkpoints" / "latest.safetensors")
    assert ckpt.step == 200 and ckpt.meta["world_size"] == 2
    sums = ckpt.meta["replica_checksums"]
    assert len(sums["G"]) == 2 and sums["G"][0] == sums["G"][1]
    assert len(sums["D"]) == 2 and sums["D"][0] == sums["D"][1]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert records and records[-1]["step"] == 200
    assert proc.stderr.count("training toy-ring") == 1  # only rank 0 talks

    # A checkpoint from 2 processes resumes in 1 (any world size).
    cfg = preset("toy-ring").with_overrides(["train.steps=210", "train.device=cpu"])
    trainer = Trainer(cfg, resume=out / "checkpoints" / "latest.safetensors")
    assert trainer.step_count == 200
    trainer.run()
    assert trainer.step_count == 210
