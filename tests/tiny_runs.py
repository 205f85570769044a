"""Tiny real training runs that several test folders open (seconds on one CPU thread)."""

from __future__ import annotations

from pathlib import Path

import torch

TINY_CYCLEGAN = ["data.image_size=32", "data.scene_count=8", "model.g_width=4", "model.d_width=4", "model.g_depth=1",
                 "train.steps=2", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
                 "train.n_preview=1"]


def train_tiny_cyclegan(run: Path) -> Path:
    """Two steps of the cyclegan-scenes preset at 32 px in `run`; returns the run folder."""
    from ganstudio.core import config as C
    from ganstudio.core.train.trainer import Trainer

    cfg = C.preset("cyclegan-scenes").with_overrides(TINY_CYCLEGAN)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Trainer(cfg, run_dir=run).run(save_at_end="always")
    finally:
        torch.set_num_threads(threads)
    return run
