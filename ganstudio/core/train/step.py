"""One training step: n_critic discriminator updates, then one generator update, with what each trick
does inside them (instance noise, packing, label smoothing, penalties, feature matching, the unrolled
look-ahead, historical averaging, clipping, EMA).

`TrainingStep` is part of `Trainer` (its methods use the models, optimizers, objective, tricks and data
that `Trainer.__init__` sets up). The draws from the trainer's RNG happen in a fixed order here, which is
what makes a run with the same seed repeat exactly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import torch
import torch.nn.functional as F

from ganstudio.core.models.layers import pack_samples
from ganstudio.core.train import objectives, tricks
from ganstudio.core.train.batches import Batch


def diversity_ratio(fake: torch.Tensor, z: torch.Tensor, clip: float, anchor: bool = False) -> torch.Tensor:
    """The diversity-sensitive term (Yang et al. 2019, DSGAN; Mao et al. 2019's mode-seeking ratio):
    rows i and i + n/2 of `fake` translate the same input with latents z_i and z_{i+n/2}; per pair
    mean|G(x, z1) - G(x, z2)| / mean|z1 - z2|, clipped at `clip` (past it no reward for more change),
    averaged over the pairs. The generator maximises it. `anchor`: the first half is held fixed (no
    gradient), so only the second half is pushed away from it."""
    half = fake.shape[0] // 2
    first = fake[:half].detach() if anchor else fake[:half]
    d_out = (first - fake[half:2 * half]).abs().flatten(1).mean(1)
    d_z = (z[:half] - z[half:2 * half]).abs().mean(1).clamp_min(1e-8)
    return (d_out / d_z).clamp(max=clip).mean()


class TrainingStep:
    """Trainer's step() and the D and G updates it is made of."""

    def step(self) -> None:
        self.G.train()
        self.D.train()
        # Statistics are taken on the steps that are logged (as TensorBoard scalars are), so the
        # steps in between pay for no extra reductions.
        self._logging = (self.step_count + 1) % self.cfg.train.log_every == 0
        if self.cfg.optim.lr_decay != "none":
            self._apply_learning_rates()
        # As pytorch/examples' DCGAN and pix2pix do, the last critic step's fake batch (made with grad)
        # is reused for the generator step: one generator forward per round instead of two.
        reuse = self.cfg.tricks.unrolled_steps == 0
        for i in range(self.n_critic):
            self._discriminator_step(keep_fake=reuse and i == self.n_critic - 1)
        self._generator_step()
        self.step_count += 1
        s = self.step_count
        tc = self.cfg.train
        if s % tc.log_every == 0:
            self._flush_scalars()
        # Previews and evaluations are for the one process that reports; the others keep training.
        if self.is_writer and tc.sample_every and s % tc.sample_every == 0:
            self.emit_preview()
        if self.is_writer and tc.eval_every and s % tc.eval_every == 0:
            self.evaluate()
        if tc.checkpoint_every and s % tc.checkpoint_every == 0:
            self.sync_replicas()
            self.save_checkpoint()

    def _d_loss(self, batch: Batch, fake: torch.Tensor, D=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        o = self.cfg.objective
        real = batch.real
        need_r1 = o.r1_gamma > 0 and D is None
        real_in = self._d_input(real, batch.cond)
        fake_in = self._d_input(fake, batch.cond)
        if need_r1:
            real_in = real_in.detach().requires_grad_(True)
        y = batch.label if self._conditional else None
        y_packed = y[:: self.cfg.tricks.pack] if (y is not None and self.cfg.tricks.pack > 1) else y
        real_scores = self._run_D(real_in, y_packed, D=D)
        fake_scores = self._run_D(fake_in, y_packed, D=D)
        target = 1.0 - self.cfg.tricks.label_smoothing
        loss = self.objective.d_loss(real_scores, fake_scores, real_target=target)
        stats = {"d_real": real_scores, "d_fake": fake_scores}
        if D is None:
            if self.gp_weight:
                gp = objectives.gradient_penalty(
                    self.D, real_in.detach(), fake_in.detach(), weight=self.gp_weight,
                    d_kwargs={"y": y_packed} if y_packed is not None else None, generator=None,
                )
                loss = loss + gp
                stats["gradient_penalty"] = gp
            if need_r1:
                r1 = objectives.r1_penalty(real_scores, real_in, gamma=o.r1_gamma)
                loss = loss + r1
                stats["r1_penalty"] = r1
            if self.hist_D is not None:
                loss = loss + self.cfg.tricks.historical_averaging * self.hist_D.penalty(self.D)
        return loss, stats

    def _discriminator_step(self, keep_fake: bool = False) -> None:
        n = self.cfg.optim.batch_size
        batch = self._variant_pairs(self.data.next(n))
        z = self._training_latents(n)
        with torch.set_grad_enabled(keep_fake), self._autocast():
            fake = self._generate(self.G, z, batch.label if self._conditional else None, batch.cond)
        if keep_fake:
            self._kept_fake = (batch, fake, z)
        if self._logging:
            self._last_pair = (batch.real, fake.detach())
        with self._autocast():
            loss, stats = self._d_loss(batch, fake.detach().float())
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.dist.all_reduce_grads(self.D)
        if self.cfg.tricks.grad_clip > 0:
            gn = torch.nn.utils.clip_grad_norm_(self.D.parameters(), self.cfg.tricks.grad_clip)
        elif self._logging:
            gn = tricks.grad_norm(self.D)
        self.opt_D.step()
        if self.objective.needs_weight_clipping:
            objectives.weight_clip_(self.D, self.objective.clip_value)
        if self.hist_D is not None:
            self.hist_D.update(self.D)
        if not self._logging:
            return
        self._record("d_loss", loss)
        self._record("grad_norm_d", gn)
        real_s, fake_s = stats["d_real"].float(), stats["d_fake"].float()
        if self.objective.lipschitz:
            self._record("critic_gap", real_s.mean() - fake_s.mean())
        if self.objective.spec.logits:  # probabilities for the logistic losses, as users of D(x) expect
            self._record("d_real", torch.sigmoid(real_s).mean())
            self._record("d_fake", torch.sigmoid(fake_s).mean())
        else:
            self._record("d_real", real_s.mean())
            self._record("d_fake", fake_s.mean())
        for key in ("gradient_penalty", "r1_penalty"):
            if key in stats:
                self._record(key, stats[key])

    def _unrolled_scores(self, fake_in: torch.Tensor, y) -> torch.Tensor:
        """Scores of a D looked k SGD steps ahead, differentiable through the look-ahead (Metz et al. 2017)."""
        from torch.func import functional_call

        params = {k: v for k, v in self.D.named_parameters()}
        buffers = {k: v for k, v in self.D.named_buffers()}
        lr = self.opt_D.param_groups[0]["lr"]
        n = self.cfg.optim.batch_size
        for _ in range(self.cfg.tricks.unrolled_steps):
            batch = self._variant_pairs(self.data.next(n))
            fake = self._generate(self.G, self._training_latents(n), batch.label if self._conditional else None,
                                  batch.cond)

            def D_ahead(x, **kw):
                return functional_call(self.D, {**params, **buffers}, (x,), kw)

            loss, _ = self._d_loss(batch, fake, D=D_ahead)
            grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
            params = {k: p - lr * g for (k, p), g in zip(params.items(), grads)}
        kwargs = {"y": y} if y is not None else {}
        return functional_call(self.D, {**params, **buffers}, (fake_in,), kwargs)

    def _generator_step(self) -> None:
        t = self.cfg.tricks
        # D's weights are constants in G's phase: skip their gradients (the unrolled look-ahead needs them).
        freeze_D = t.unrolled_steps == 0
        if freeze_D:
            self.D.requires_grad_(False)
        try:
            loss = self._generator_loss()
            self.opt_G.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            if freeze_D:
                self.D.requires_grad_(True)
        self.dist.all_reduce_grads(self.G)
        if t.grad_clip > 0:
            gn = torch.nn.utils.clip_grad_norm_(self.G.parameters(), t.grad_clip)
        elif self._logging:
            gn = tricks.grad_norm(self.G)
        self.opt_G.step()
        if self.hist_G is not None:
            self.hist_G.update(self.G)
        if self.ema is not None:
            self.ema.update(self.G)
        if not self._logging:
            return
        self._record("g_loss", loss)
        self._record("grad_norm_g", gn)

    def _generator_loss(self) -> torch.Tensor:
        n = self.cfg.optim.batch_size
        t = self.cfg.tricks
        kept, self._kept_fake = self._kept_fake, None
        if kept is not None:
            batch, fake, z = kept
        else:
            batch = self.data.next(n) if (self.task == "paired" or t.feature_matching > 0 or self._conditional) else None
            if batch is not None:
                batch = self._variant_pairs(batch)
            z = self._training_latents(n)
        y = batch.label if (batch is not None and self._conditional) else None
        cond = batch.cond if batch is not None else None
        with self._autocast():
            if kept is None:
                fake = self._generate(self.G, z, y, cond)
            fake_in = self._d_input(fake.float(), cond)
            y_packed = y[:: t.pack] if (y is not None and t.pack > 1) else y
            features = None
            if t.unrolled_steps > 0:
                fake_scores = self._unrolled_scores(fake_in, y_packed)
            elif t.feature_matching > 0:
                fake_scores, fake_feat = self._run_D(fake_in, y_packed, features=True)
                with torch.no_grad():
                    _, real_feat = self._run_D(self._d_input(batch.real, cond), y_packed, features=True)
                features = (real_feat, fake_feat)
            else:
                fake_scores = self._run_D(fake_in, y_packed)
            if self.objective.spec.paired_l1:
                loss = self.objective.g_loss(fake_scores, fake=fake.float(), target=batch.real,
                                             row_weights=self._l1_row_weights(fake.shape[0]))
            else:
                loss = self.objective.g_loss(fake_scores)
            if self.task == "paired" and self._logging:
                self._record("l1", F.l1_loss(fake.detach().float(), batch.real))
            if t.diversity > 0:
                ratio = diversity_ratio(fake.float(), z, clip=t.diversity_clip, anchor=t.diversity_anchor)
                loss = loss - t.diversity * ratio
                if self._logging:
                    self._record("diversity", ratio)
            if features is not None:
                loss = loss + t.feature_matching * tricks.feature_matching_loss(*features)
            if self.hist_G is not None:
                loss = loss + t.historical_averaging * self.hist_G.penalty(self.G)
        return loss

    # --- how G and D are called (previews and evaluations call them too) -----------------------------

    def _sample_z(self, n: int) -> torch.Tensor | None:
        if self.task == "paired":
            # A paired U-Net's latent input (model.variant_z); the others take the picture alone.
            nz = self.cfg.model.variant_z
            return torch.randn(n, nz, generator=self.rng).to(self.device) if nz else None
        return torch.randn(n, self.cfg.model.z_dim, generator=self.rng).to(self.device)

    def _training_latents(self, n: int) -> torch.Tensor | None:
        """The latents of a training batch: with tricks.diversity_anchor the first of each pair (rows
        0 .. n/2 - 1) is z = 0, the picture that translate and the Sketch area show by default."""
        z = self._sample_z(n)
        if z is not None and self.task == "paired" and self.cfg.tricks.diversity_anchor:
            z[: n // 2] = 0
        return z

    def _l1_row_weights(self, n: int) -> torch.Tensor | None:
        """Per-image L1 weights: 1 for the z = 0 anchors, tricks.variant_l1 for the random latents (the
        second half); None (plain L1) unless the anchor is on with a lower weight."""
        t = self.cfg.tricks
        if not t.diversity_anchor or t.variant_l1 == 1.0:
            return None
        weights = torch.ones(n, device=self.device)
        weights[n // 2:] = t.variant_l1
        return weights

    def _variant_pairs(self, batch: Batch) -> Batch:
        """With the diversity term on, the second half of a batch repeats the first half's pairs, so every
        input is translated with two latents (rows i and i + n/2); otherwise the batch as it came."""
        if self.cfg.tricks.diversity <= 0 or batch.cond is None:
            return batch
        half = batch.real.shape[0] // 2

        def twice(x):
            return None if x is None else torch.cat([x[:half], x[:half]])

        return replace(batch, real=twice(batch.real), cond=twice(batch.cond), label=twice(batch.label))

    def _generate(self, G: torch.nn.Module, z, y, cond) -> torch.Tensor:
        if self.task == "paired":
            return G(cond) if z is None else G(cond, z)
        if y is not None:
            return G(z, y)
        return G(z)

    def _d_input(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        if self.noise is not None:
            x = self.noise.apply(x, self.step_count, generator=None)
        if cond is not None:
            x = torch.cat([cond, x], dim=1)  # pix2pix: D judges (input, output) pairs
        if self.cfg.tricks.pack > 1:
            x = pack_samples(x, self.cfg.tricks.pack)
        return x

    def _run_D(self, x: torch.Tensor, y: torch.Tensor | None, features: bool = False, D=None):
        D = D if D is not None else self.D
        kwargs: dict[str, Any] = {}
        if y is not None:
            kwargs["y"] = y
        if features:
            kwargs["return_features"] = True
        return D(x, **kwargs)

    def _autocast(self):
        if self.autocast_dtype is None:
            return torch.autocast(device_type=self.device.type, enabled=False)
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)
