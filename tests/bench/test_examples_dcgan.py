"""The bench's re-creation of pytorch/examples dcgan/main.py does the work `ganstudio train` does.

Checked on one iteration from the same weights, batch and noise: the same losses, the same updated
weights, one optimizer step per player, and the same FLOPs (the re-creation computes D's weight gradients
in the G phase, which GAN Studio skips; with that switched off the counts are equal). No timing here.
"""

from collections import Counter

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("torchvision")

from ganstudio.bench import examples_dcgan  # noqa: E402
from ganstudio.bench.training import examples_trainer_config  # noqa: E402
from ganstudio.core.train.batches import Batch  # noqa: E402
from ganstudio.core.train.trainer import Trainer  # noqa: E402

N, NZ, W = 8, 16, 8


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / "imgs" / "all").mkdir(parents=True)
    for i in range(16):
        Image.fromarray(rng.integers(0, 255, (72, 72, 3), dtype=np.uint8)).save(tmp_path / "imgs" / "all" / f"{i}.png")
    return tmp_path / "imgs"


def _pair(folder, tmp_path, freeze_d=False, log_every=1):
    cfg = examples_trainer_config(folder, "cpu").with_overrides([
        f"model.g_width={W}", f"model.d_width={W}", f"model.z_dim={NZ}", f"optim.batch_size={N}",
        f"train.log_every={log_every}", "train.sample_every=0", "train.checkpoint_every=0", "train.n_preview=4"])
    trainer = Trainer(cfg)
    theirs = examples_dcgan.ExamplesDCGAN(folder, tmp_path / "out", batch_size=N, nz=NZ, ngf=W, ndf=W, workers=0,
                                          freeze_d=freeze_d)
    # main.py's state dict names (main.0 ... main.N) are GAN Studio's: the same starting weights on both sides.
    theirs.netG.load_state_dict(trainer.G.state_dict())
    theirs.netD.load_state_dict(trainer.D.state_dict())
    real = next(iter(theirs.dataloader))[0]
    noise = torch.randn(N, NZ, generator=torch.Generator().manual_seed(3))
    trainer.data.next = lambda n: Batch(real=real)
    trainer._sample_z = lambda n: noise
    return trainer, theirs, real, noise


def _count_steps(*optimizers):
    counts = Counter()
    for name, opt in optimizers:
        opt.register_step_post_hook(lambda *a, name=name: counts.update([name]))
    return counts


def test_one_iteration_gives_the_same_losses_and_weights(folder, tmp_path):
    trainer, theirs, real, noise = _pair(folder, tmp_path)
    steps_ours = _count_steps(("D", trainer.opt_D), ("G", trainer.opt_G))
    steps_theirs = _count_steps(("D", theirs.optimizerD), ("G", theirs.optimizerG))
    start = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    trainer.step()
    r = theirs.train_iteration(real, noise[:, :, None, None])
    assert steps_ours == steps_theirs == Counter({"D": 1, "G": 1})
    assert trainer.last_scalars["d_loss"] == pytest.approx(r["errD"], rel=1e-5)
    assert trainer.last_scalars["g_loss"] == pytest.approx(r["errG"], rel=1e-5)
    assert trainer.last_scalars["d_real"] == pytest.approx(r["D_x"], rel=1e-5)
    for ours, other in ((trainer.G, theirs.netG), (trainer.D, theirs.netD)):
        mine, his = ours.state_dict(), other.state_dict()
        assert set(mine) == set(his)
        for key in mine:
            torch.testing.assert_close(mine[key], his[key], rtol=1e-4, atol=1e-6)
    assert not torch.equal(start["main.0.weight"], trainer.G.state_dict()["main.0.weight"])  # it did train


def _flops(fn):
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    by_op = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}  # aten.convolution, ...
    return counter.get_total_flops(), by_op


@pytest.mark.parametrize("freeze_d", [True, False])
def test_both_sides_count_the_same_flops_per_iteration(folder, tmp_path, freeze_d):
    # A step that is not a log step: those add a 64-projection sliced W (one small matmul), monitoring only.
    trainer, theirs, real, noise = _pair(folder, tmp_path, freeze_d=freeze_d, log_every=1000)
    ours_total, ours_ops = _flops(trainer.step)
    theirs_total, theirs_ops = _flops(lambda: theirs.train_iteration(real, noise[:, :, None, None]))
    assert ours_total > 0
    forward = [op for op in ours_ops if "backward" not in op]
    assert forward and all(ours_ops[op] == theirs_ops[op] for op in forward)  # 1 G and 3 D forwards each
    if freeze_d:
        assert ours_total == theirs_total
    else:
        # main.py also computes D's weight gradients for G's loss: exactly one D weight-gradient pass more.
        d_weight_grad = _d_weight_grad_flops(trainer.D, trainer.G(noise).detach())
        assert theirs_total - ours_total == d_weight_grad > 0


def _d_weight_grad_flops(D, x):
    """FLOPs of D's weight gradients alone for one backward (input gradients switched off)."""
    with_w, _ = _flops(lambda: D(x.requires_grad_(True)).sum().backward())
    D.requires_grad_(False)
    try:
        without_w, _ = _flops(lambda: D(x.requires_grad_(True)).sum().backward())
    finally:
        D.requires_grad_(True)
    return with_w - without_w
