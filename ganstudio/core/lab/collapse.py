"""Experiment 6: mode collapse and its remedies on the ring of 8 Gaussians (Metz et al. 2017, figure 1;
Lin et al. 2018 (PacGAN); Salimans et al. 2016 (minibatch discrimination)).

The same small MLP GAN (the project's own `toy-ring` networks and training step, `core.train.Trainer`) is
trained four times side by side, differing only in one trick: none (plain), D unrolled k steps in G's
update, PacGAN packing, minibatch discrimination. Plain training tends to cover a few modes at a time and hop
between them; the remedies spread out. Every `report_every` steps each run's samples are drawn and its
modes counted with `train.metrics.mode_statistics` (a mode is captured when at least 1% of the samples lie
within 3 std of it, as in the VEEGAN/PacGAN evaluation). The ring's modes have std 0.05 here (the toy's
default is 0.02), so that a few hundred steps on a CPU show the picture.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ganstudio.core.lab import check_int

VARIANTS = {  # name on screen -> the config's trick settings
    "plain": [],
    "unrolled": ["tricks.unrolled_steps={k}"],
    "pacgan": ["tricks.pack=2"],
    "minibatch": ["tricks.minibatch_disc=5"],
}


def _config(variant: str, seed: int, unrolled: int, width: int):
    from ganstudio.core.config import preset

    sets = [s.format(k=unrolled) for s in VARIANTS[variant]]
    return preset("toy-ring").with_overrides([
        f"model.g_width={width}", f"model.d_width={width}", "objective.r1_gamma=0", "tricks.ema=0",
        "data.toy_std=0.05", "optim.lr_decay=none", "optim.lr_g=1e-3", "optim.lr_d=1e-3", "optim.batch_size=128",
        "train.log_every=100000", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
        f"train.seed={seed}", *sets])


def train_side_by_side(steps: int = 1500, report_every: int = 100, seed: int = 0, unrolled: int = 3,
                       variants: tuple[str, ...] = tuple(VARIANTS), n_samples: int = 1024,
                       width: int = 64) -> Iterator[dict]:
    """Train the variants in turns, one step each; yields {"step", "means", variant: {"points" (n, 2),
    "modes" (list per report), "hq_fraction" (list)}} at step 0 and every `report_every` steps, and None
    after the other steps (so that a worker can pause or stop it between two steps)."""
    import torch

    from ganstudio.core.train.metrics import mode_statistics
    from ganstudio.core.train.trainer import Trainer

    steps = check_int("the training steps", steps, 1, 100000)
    unrolled = check_int("the unrolled steps", unrolled, 1, 20)
    report_every = check_int("the report interval", report_every, 1, 100000)
    trainers = {v: Trainer(_config(v, seed, unrolled, width), run_dir=None) for v in variants}
    first = next(iter(trainers.values()))
    toy = first.data.toy
    means, std = toy.means.numpy(), float(toy.std)
    z = torch.randn(n_samples, first.cfg.model.z_dim, generator=torch.Generator().manual_seed(seed + 1))
    history = {v: {"modes": [], "hq_fraction": []} for v in variants}
    report_steps: list[int] = []
    try:
        for step in range(0, steps + 1):
            if step > 0:
                for t in trainers.values():
                    t.step()
            if not (step % report_every == 0 or step == steps):
                yield None  # a point where a worker may pause or stop the job; nothing to show
                continue
            report_steps.append(step)
            out: dict = {"step": np.array(report_steps), "means": means}
            for v, t in trainers.items():
                g = t.sampling_generator
                with torch.no_grad():
                    pts = g(z.to(t.device)).cpu().numpy()
                stats = mode_statistics(pts, means, std, min_count=max(1, n_samples // 100))
                history[v]["modes"].append(stats["modes_captured"])
                history[v]["hq_fraction"].append(stats["hq_fraction"])
                out[v] = {"points": pts, "modes": np.array(history[v]["modes"]),
                          "hq_fraction": np.array(history[v]["hq_fraction"])}
            yield out
    finally:
        for t in trainers.values():
            t.close()


def experiment(steps: int = 1500, report_every: int = 100, seed: int = 0, unrolled: int = 3) -> dict:
    last: dict = {}
    for report in train_side_by_side(steps=steps, report_every=report_every, seed=seed, unrolled=unrolled):
        last = report or last
    last["final_modes"] = {v: int(last[v]["modes"][-1]) for v in VARIANTS}
    return last
