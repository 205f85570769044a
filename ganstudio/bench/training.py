"""Training throughput: GAN Studio's Trainer versus a plain PyTorch loop, in the same run.

The plain loop is written here in the style of pytorch/examples' DCGAN (and the pix2pix reference):
the same networks, data already in memory, BCE on D(x) and D(G(z)), one generator forward per
iteration reused for both players, like for like with the Trainer (its precision, D frozen in G's
backward, losses read back every log_every steps; tests/bench/test_plain_loop.py checks the FLOPs and
optimizer steps match). The real program users run instead is re-created in examples_dcgan.py and
timed by examples_comparison. The Trainer runs the same config with its normal
bookkeeping (logging every 10 steps, sliced W, gradient norms). Runs alternate plain / trainer to spread
the noise of a shared machine, and the ratio of medians is reported.

Also measured: the dense matmul peak of the device and the FLOPs of one training step
(torch.utils.flop_counter), giving the achieved fraction of the physical limit.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.config import RunConfig, preset
from ganstudio.core.device import device_description, resolve_device
from ganstudio.core.train.trainer import Trainer


@dataclass
class Case:
    name: str
    make_config: Callable[[Path], RunConfig]
    steps: int  # timed steps per repeat (full run)
    quick_steps: int  # 0: left out of --quick


def _write_random_images(folder: Path, n: int, size: tuple[int, int]) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{i:04d}.png")
    return folder


def _common(cfg: RunConfig, device: str, extra: list[str]) -> RunConfig:
    return cfg.with_overrides([
        f"train.device={device}", "train.log_every=10", "train.sample_every=0", "train.eval_every=0",
        "train.checkpoint_every=0", "tricks.ema=0", *extra,
    ])


def cases(device: str, data_root: Path) -> list[Case]:
    def toy(_root: Path) -> RunConfig:
        return _common(preset("toy-ring"), device, ["tricks.pack=1", "objective.r1_gamma=0"])

    def dcgan64(root: Path) -> RunConfig:
        folder = root / "dcgan64"
        if not folder.exists():
            _write_random_images(folder, 256, (64, 64))
        return _common(preset("digits-dcgan"), device, [
            "data.kind=folder", f"data.path={folder}", "data.image_size=64", "data.channels=3",
            "model.g_width=64", "model.d_width=64", "model.z_dim=100", "optim.batch_size=64"])

    def unet256(batch: int) -> Callable[[Path], RunConfig]:
        def make(root: Path) -> RunConfig:
            folder = root / "ab256"
            if not folder.exists():
                _write_random_images(folder, 16, (512, 256))
            return _common(preset("pix2pix-folder"), device, [
                f"data.path={folder}", "data.image_size=256", "model.generator=unet_256", "model.g_width=64",
                "model.d_width=64", f"optim.batch_size={batch}", "train.n_preview=1"])
        return make

    return [
        Case("toy MLP (batch 256)", toy, 400, 40),
        Case("DCGAN-64 (batch 64)", dcgan64, 12, 2),
        Case("pix2pix unet_256 (batch 1)", unet256(1), 6, 1),
        Case("pix2pix unet_256 (batch 8)", unet256(8), 3, 0),  # skipped by --quick
    ]


def plain_loop(trainer: Trainer) -> Callable[[], None]:
    """One iteration of a pytorch/examples-style loop over the trainer's own models and in-memory data,
    like for like with the Trainer: the same precision (its autocast), D frozen during G's backward as
    the Trainer does, and the losses read back every log_every iterations (the Trainer's logging rate).
    What remains different is the Trainer's own bookkeeping, which the ratio measures."""
    G, D = trainer.G, trainer.D
    device = trainer.device
    cfg = trainer.cfg
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=(cfg.optim.beta1, cfg.optim.beta2))
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=(cfg.optim.beta1, cfg.optim.beta2))
    n = cfg.optim.batch_size
    task = cfg.data.task
    data = trainer.data
    gen = torch.Generator().manual_seed(0)
    log_every = cfg.train.log_every
    pending: list[torch.Tensor] = []
    count = [0]

    def batch():
        if task == "toy":
            return data.toy.sample(n, generator=gen).to(device), None
        idx = torch.randint(0, data.images.shape[0], (n,), generator=gen).to(device)
        cond = data.conds[idx] if data.conds is not None else None
        return data.images[idx], cond

    def one_step() -> None:
        real, cond = batch()
        with trainer._autocast():
            if task == "paired":
                fake = G(cond)
                d_real = D(torch.cat([cond, real], 1)).float()
                d_fake = D(torch.cat([cond, fake.detach()], 1)).float()
            else:
                z = torch.randn(n, cfg.model.z_dim, device=device)
                fake = G(z)
                d_real = D(real).float()
                d_fake = D(fake.detach()).float()
            err_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
                F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad(set_to_none=True)
        err_d.backward()
        opt_d.step()
        D.requires_grad_(False)  # as the Trainer does: D's weights are constants in G's phase
        try:
            with trainer._autocast():
                out = (D(torch.cat([cond, fake], 1)) if task == "paired" else D(fake)).float()
                err_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
                if task == "paired":
                    err_g = err_g + 100.0 * F.l1_loss(fake.float(), real)
            opt_g.zero_grad(set_to_none=True)
            err_g.backward()
        finally:
            D.requires_grad_(True)
        opt_g.step()
        count[0] += 1
        if count[0] % log_every == 0:
            pending.extend([err_d.detach(), err_g.detach()])
            torch.stack(pending).cpu().tolist()  # one read-back per log step, as the Trainer's
            pending.clear()

    G.train()
    D.train()
    one_step.optimizers = (opt_d, opt_g)  # type: ignore[attr-defined]
    return one_step


def plain_loop_steps(trainer: Trainer, steps: int) -> float:
    """Steps/s of plain_loop(trainer) after one warm-up iteration."""
    one_step = plain_loop(trainer)
    device = trainer.device
    one_step()  # warm-up
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        one_step()
    _sync(device)
    return steps / (time.perf_counter() - t0)


def trainer_steps(trainer: Trainer, steps: int) -> float:
    trainer.step()  # warm-up
    _sync(trainer.device)
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    _sync(trainer.device)
    return steps / (time.perf_counter() - t0)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_flops(device: torch.device, dtype: torch.dtype = torch.float32, size: int = 2048, seconds: float = 1.0) -> float:
    """Dense matmul FLOP/s measured now on this device (the practical peak a training step can reach)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    _sync(device)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
        _sync(device)
    return 2 * size**3 * reps / (time.perf_counter() - t0)


def step_flops(trainer: Trainer) -> float:
    """FLOPs of one Trainer.step() as counted by torch.utils.flop_counter (matmuls and convolutions)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        trainer.step()
    return float(counter.get_total_flops())


def examples_folder(root: Path, n: int = 1280, size: int = 80) -> Path:
    """An image folder in torchvision's ImageFolder layout (root/class/*.png) that both programs read:
    80-pixel pictures, so Resize(64) + CenterCrop(64) (and GAN Studio's square crop + resize) do work."""
    folder = root / "examples-dcgan"
    if not (folder / "all").exists():
        _write_random_images(folder / "all", n, (size, size))
    return folder


def examples_trainer_config(folder: Path, device: str, seed: int = 0) -> RunConfig:
    """What `ganstudio train` runs for the comparison: main.py's model and settings, GAN Studio's own
    bookkeeping (scalars every 10 steps, the fixed-noise grid every 100 like main.py's, no EMA or
    evaluations since main.py has neither)."""
    return preset("digits-dcgan").with_overrides([
        f"train.device={device}", f"train.seed={seed}", "data.kind=folder", f"data.path={folder}",
        "data.image_size=64", "data.channels=3", "model.g_width=64", "model.d_width=64", "model.z_dim=100",
        "optim.batch_size=64", "tricks.ema=0", "train.log_every=10", "train.sample_every=100",
        "train.eval_every=0", "train.checkpoint_every=1000", "train.n_preview=64",
    ])


def examples_comparison(dev: torch.device, root: Path, steps: int, repeats: int,
                        progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """`ganstudio train` against our re-creation of pytorch/examples dcgan/main.py, alternating pairs.

    Each pair runs a fresh re-created program (its DataLoader workers start in its warm-up iteration,
    which also writes its i == 0 grid) and then the same number of Trainer steps (one warm-up step
    first). Neither side's grid every 100 iterations nor its checkpoint falls in the timed window."""
    from ganstudio.bench.examples_dcgan import ExamplesDCGAN, iterations_per_second

    folder = examples_folder(root)
    trainer = Trainer(examples_trainer_config(folder, dev.type), run_dir=root / "examples-run")
    theirs, ours = [], []
    for r in range(repeats):
        progress(f"training throughput: pytorch/examples dcgan re-creation, pair {r + 1} of {repeats}")
        run = ExamplesDCGAN(folder, root / "examples-out", seed=r, device=dev.type)
        theirs.append(iterations_per_second(run, steps))
        del run
        ours.append(trainer_steps(trainer, steps))
    trainer.finish()
    p, o = statistics.median(theirs), statistics.median(ours)
    return {"case": "DCGAN-64 vs pytorch/examples dcgan/main.py (re-created)", "batch": 64, "steps": steps,
            "pairs": [[a, b] for a, b in zip(theirs, ours)], "examples_steps_s": p, "trainer_steps_s": o,
            "ratio": o / p, "ratios": [b / a for a, b in zip(theirs, ours)], "target": ">= 1.3x fp32"}


def run(quick: bool = False, device: str = "auto", repeats: int | None = None,
        progress: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    dev = resolve_device(device)
    repeats = repeats or (1 if quick else 3)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ganstudio-bench-") as tmp:
        root = Path(tmp)
        peak = matmul_peak_flops(dev, seconds=0.3 if quick else 1.0)
        variants = [("fp32", [])]
        from ganstudio.core.device import cpu_has_native_bf16

        bf16_note = None
        if dev.type == "cuda" or cpu_has_native_bf16():
            variants.append(("bf16 autocast", ["train.precision=bf16"]))
        else:  # emulated bf16 is many times slower than fp32 (docs/BENCHMARKS.md): not worth the minutes
            bf16_note = "bf16 not timed: this CPU has no native bf16 (AVX512-BF16 / AMX), so it would be emulated"
        for case in cases(dev.type, root):
            steps = case.quick_steps if quick else case.steps
            if steps == 0:
                continue
            for variant, extra in variants:
                progress(f"training throughput: {case.name} {variant}")
                cfg = case.make_config(root).with_overrides(extra)
                trainer = Trainer(cfg)
                plain, ours = [], []
                for _ in range(repeats):
                    plain.append(plain_loop_steps(Trainer(cfg), steps))
                    ours.append(trainer_steps(trainer, steps))
                flops = step_flops(trainer)
                p, o = statistics.median(plain), statistics.median(ours)
                results.append({
                    "case": case.name, "variant": variant, "batch": cfg.optim.batch_size,
                    "plain_steps_s": p, "trainer_steps_s": o, "ratio": o / p,
                    "images_s": o * cfg.optim.batch_size, "flops_per_step": flops,
                    "achieved_flops_s": flops * o, "fraction_of_peak": flops * o / peak,
                })
        examples = None
        if not quick:  # a 1280-picture folder and two worker processes: minutes, not for --quick
            try:
                examples = examples_comparison(dev, root, steps=12, repeats=repeats, progress=progress)
            except ImportError as exc:
                examples = {"error": f"torchvision is needed for the re-created dcgan/main.py ({exc})"}
    return {"device": device_description(dev), "matmul_peak_flops_s": peak, "cases": results,
            "examples_dcgan": examples, "bf16_note": bf16_note,
            "target": ">= 1.0x the plain loop on CPU, >= 1.5x on CUDA with the fast path"}
