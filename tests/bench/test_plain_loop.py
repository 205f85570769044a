"""The bench's plain loop does the Trainer's work per iteration: the same FLOPs (matmuls and
convolutions, forward and backward, counted by torch.utils.flop_counter) and one optimizer step per
player, for each kind of case the bench times. No timing here."""

from collections import Counter

import pytest
from torch.utils.flop_counter import FlopCounterMode

from ganstudio.bench import training
from ganstudio.core.train.trainer import Trainer

SMALL = {  # the bench's own cases, shrunk so a step takes well under a second
    "toy": [],
    "DCGAN": ["model.g_width=8", "model.d_width=8", "optim.batch_size=8"],
    "pix2pix unet_256 (batch 1)": ["model.g_width=4", "model.d_width=4"],
}


def _flops(fn) -> float:
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def _counting(counts, name, opt):
    opt.register_step_post_hook(lambda *a: counts.update([name]))


@pytest.mark.parametrize("prefix", list(SMALL))
def test_plain_loop_and_trainer_do_the_same_work(prefix, tmp_path):
    (case,) = [c for c in training.cases("cpu", tmp_path) if c.name.startswith(prefix)][:1]
    # log_every large: a log step adds the Trainer's monitoring (sliced W, gradient norms) on purpose.
    cfg = case.make_config(tmp_path).with_overrides([*SMALL[prefix], "train.log_every=1000"])
    trainer = Trainer(cfg)
    plain = training.plain_loop(Trainer(cfg))
    ours, theirs = Counter(), Counter()
    _counting(ours, "D", trainer.opt_D)
    _counting(ours, "G", trainer.opt_G)
    opt_d, opt_g = plain.optimizers
    _counting(theirs, "D", opt_d)
    _counting(theirs, "G", opt_g)
    trainer_flops, plain_flops = _flops(trainer.step), _flops(plain)
    assert trainer_flops > 0
    assert trainer_flops == plain_flops
    assert ours == theirs == Counter({"D": 1, "G": 1})


def test_plain_loop_freezes_d_in_the_generator_backward(tmp_path):
    (case,) = [c for c in training.cases("cpu", tmp_path) if c.name.startswith("DCGAN")]
    trainer = Trainer(case.make_config(tmp_path).with_overrides([*SMALL["DCGAN"], "train.log_every=1000"]))
    plain = training.plain_loop(trainer)
    seen = []
    first = next(trainer.D.parameters())
    first.register_hook(lambda g: seen.append(g))
    plain()
    assert len(seen) == 1  # D's weight gradient only in D's own backward, none for G's loss
    assert all(p.requires_grad for p in trainer.D.parameters())
