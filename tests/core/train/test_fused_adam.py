"""The Trainer's Adam is the fused kernel on CPU and CUDA, and it gives the update of torch's default Adam."""

import torch

from ganstudio.core.config import preset
from ganstudio.core.train.trainer import Trainer


def test_trainer_adam_is_fused_and_matches_the_default_update():
    trainer = Trainer(preset("digits-dcgan").with_overrides([
        "train.device=cpu", "model.g_width=8", "model.d_width=8", "optim.batch_size=8", "tricks.ema=0"]))
    assert trainer.opt_G.param_groups[0]["fused"] is True and trainer.opt_D.param_groups[0]["fused"] is True
    start = [p.detach().clone() for p in trainer.G.parameters()]
    grads = [torch.randn_like(p) for p in trainer.G.parameters()]
    plain_params = [p.clone().requires_grad_(True) for p in start]
    plain = torch.optim.Adam(plain_params, lr=trainer.cfg.optim.lr_g,
                             betas=(trainer.cfg.optim.beta1, trainer.cfg.optim.beta2))
    for _ in range(3):
        for p, q, g in zip(trainer.G.parameters(), plain_params, grads):
            p.grad, q.grad = g.clone(), g.clone()
        trainer.opt_G.step()
        plain.step()
    for p, q, s in zip(trainer.G.parameters(), plain_params, start):
        assert not torch.equal(p, s)
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-6, atol=1e-8)
