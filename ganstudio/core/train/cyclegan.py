"""CycleGAN (Zhu et al. 2017) as the reference implementation (pytorch-CycleGAN-and-pix2pix) trains it.

Two generators, G_A: A -> B and G_B: B -> A, and two PatchGAN critics, D_A (pictures of B) and D_B
(pictures of A), with:

- the least-squares GAN loss (the reference's `--gan_mode lsgan`): D minimises
  0.5 * (mean (D(real) - 1)^2 + mean D(fake)^2), G minimises mean (D(G(x)) - 1)^2;
- cycle consistency, lambda_A * |G_B(G_A(a)) - a|_1 + lambda_B * |G_A(G_B(b)) - b|_1, lambda_A = lambda_B = 10;
- identity, lambda_B * lambda_idt * |G_A(b) - b|_1 + lambda_A * lambda_idt * |G_B(a) - a|_1, lambda_idt = 0.5;
- an `ImagePool` of 50 past fakes per critic: once full, each new fake is swapped for a stored one half
  the time (Shrivastava et al. 2017), so the critics also see older generators' pictures;
- Adam 2e-4, beta1 0.5 over both generators (one optimizer) and over both critics (another), with the
  trainer's linear decay to zero over the second half (the reference's n_epochs + n_epochs_decay).

Each step follows the reference's `optimize_parameters`: forward both cycles, one G update with the
critics frozen, then one update of both critics on pooled fakes. The losses are reported under the
reference's names D_A, D_B, G_A, G_B, cycle_A, cycle_B, idt_A, idt_B.

`CycleGANTrainer` is the `Trainer` of unpaired runs (`Trainer(cfg)` makes one for data.task "unpaired");
it reuses the trainer's loop, checkpointing (both directions are the "G" and "D" tables of one
safetensors file; the pools are stored too, so a resume goes on as the run would have), run folder and
reporting, and replaces the step, the preview and the evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganstudio.core.config import RunConfig
from ganstudio.core.errors import ConfigError
from ganstudio.core.train import objectives
from ganstudio.core.train.objectives import Objective, _check_real_target, _check_setting
from ganstudio.core.train.reporting import TrainEvent
from ganstudio.core.train.trainer import Trainer

LOSS_NAMES = ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B")


# --- the objective --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CycleGANObjective(Objective):
    """The reference's CycleGAN losses; the settings are lambda_A = lambda_B, lambda_identity, pool size."""

    cycle_weight: float = 10.0  # lambda_A = lambda_B
    identity_weight: float = 0.5  # lambda_identity: the identity loss weighs identity_weight * cycle_weight
    pool_size: int = 50  # past fakes kept for each critic (0: none)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "cycle_weight", _check_setting(self.cycle_weight, "CycleGAN cycle_weight", False, "10"))
        object.__setattr__(self, "identity_weight",
                           _check_setting(self.identity_weight, "CycleGAN identity_weight", False, "0.5"))
        if isinstance(self.pool_size, bool) or int(self.pool_size) != self.pool_size or self.pool_size < 0:
            raise ConfigError(f"The CycleGAN pool_size {self.pool_size!r} is invalid; it must be a whole number >= 0 such as 50.")
        object.__setattr__(self, "pool_size", int(self.pool_size))

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        """backward_D_basic: (MSE(D(real), 1) + MSE(D(fake), 0)) * 0.5."""
        b = _check_real_target(real_target)
        return 0.5 * (((real_scores.float() - b) ** 2).mean() + (fake_scores.float() ** 2).mean())

    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """GANLoss('lsgan')(D(G(x)), True) = MSE(D(G(x)), 1), no factor 1/2."""
        return ((fake_scores.float() - 1.0) ** 2).mean()

    def cycle_loss(self, reconstructed: Tensor, real: Tensor) -> Tensor:
        """lambda * mean |reconstructed - real|."""
        return self.cycle_weight * F.l1_loss(reconstructed.float(), real.float())

    def identity_loss(self, same: Tensor, real: Tensor) -> Tensor:
        """lambda * lambda_identity * mean |G(real of its target side) - real|."""
        return self.cycle_weight * self.identity_weight * F.l1_loss(same.float(), real.float())


# --- the image pool -------------------------------------------------------------------------------------

class ImagePool:
    """The reference's ImagePool: until `size` fakes are stored, each new fake is stored and returned;
    after that each one is, with probability 1/2, returned as it is, else swapped for a random stored fake
    (which is returned, the new one taking its place). Draws come from `generator` (the trainer's RNG)."""

    def __init__(self, size: int, generator: torch.Generator | None = None) -> None:
        self.size = int(size)
        self.generator = generator
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image[None]
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif float(torch.rand((), generator=self.generator)) > 0.5:
                index = int(torch.randint(0, self.size, (), generator=self.generator))
                out.append(self.images[index].clone())
                self.images[index] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state(self) -> Tensor | None:
        return torch.cat(self.images, 0).cpu() if self.images else None

    def load(self, stored: Tensor | None, device: torch.device) -> None:
        self.images = [] if stored is None else [x[None].to(device) for x in stored[: self.size]]


# --- one step -------------------------------------------------------------------------------------------

def generator_losses(G, D, objective: CycleGANObjective, real_A: Tensor, real_B: Tensor
                     ) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    """The reference's forward() + backward_G() losses: ({G_A, G_B, cycle_A, cycle_B, idt_A, idt_B},
    fake_A = G_B(B), fake_B = G_A(A))."""
    fake_B = G.G_A(real_A)
    rec_A = G.G_B(fake_B)
    fake_A = G.G_B(real_B)
    rec_B = G.G_A(fake_A)
    losses: dict[str, Tensor] = {}
    if objective.identity_weight > 0:
        losses["idt_A"] = objective.identity_loss(G.G_A(real_B), real_B)
        losses["idt_B"] = objective.identity_loss(G.G_B(real_A), real_A)
    losses["G_A"] = objective.g_loss(D.D_A(fake_B))
    losses["G_B"] = objective.g_loss(D.D_B(fake_A))
    losses["cycle_A"] = objective.cycle_loss(rec_A, real_A)
    losses["cycle_B"] = objective.cycle_loss(rec_B, real_B)
    return losses, fake_A, fake_B


def train_step(G, D, objective: CycleGANObjective, opt_G, opt_D, real_A: Tensor, real_B: Tensor,
               pool_fake_A: ImagePool, pool_fake_B: ImagePool) -> tuple[dict[str, Tensor], Tensor]:
    """One `optimize_parameters`: G_A and G_B with the critics frozen, then D_A and D_B on pooled fakes.
    Returns the eight losses (detached) and fake_B."""
    losses, fake_A, fake_B = generator_losses(G, D, objective, real_A, real_B)
    D.requires_grad_(False)
    try:
        opt_G.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
    finally:
        D.requires_grad_(True)
    opt_G.step()
    opt_D.zero_grad(set_to_none=True)
    pooled_B = pool_fake_B.query(fake_B.detach())
    loss_D_A = objective.d_loss(D.D_A(real_B), D.D_A(pooled_B))
    loss_D_A.backward()
    pooled_A = pool_fake_A.query(fake_A.detach())
    loss_D_B = objective.d_loss(D.D_B(real_A), D.D_B(pooled_A))
    loss_D_B.backward()
    opt_D.step()
    losses["D_A"], losses["D_B"] = loss_D_A, loss_D_B
    return {k: v.detach() for k, v in losses.items()}, fake_B.detach()


# --- data -----------------------------------------------------------------------------------------------

class UnpairedBatches:
    """Random batches of each side on the training device, drawn independently with the trainer's RNG,
    each picture flipped left-right half the time (the reference's default augmentation)."""

    n_classes = 0

    def __init__(self, cfg: RunConfig, device: torch.device, rng: torch.Generator) -> None:
        from ganstudio.core.data import unpaired

        self.device, self.rng, self.skipped = device, rng, []
        d = cfg.data
        self.held_out: tuple[Tensor, Tensor] | None = None
        if d.kind == "scenes-daynight":
            a, b = unpaired.scene_sides(d.scene_count, d.image_size)
            self.sides: list[Any] = [a.to(device), b.to(device)]
        else:
            folders = unpaired.UnpairedFolders(d.path, d.image_size, d.path_b)
            self.skipped = folders.skipped
            self.sides = [ds.to_tensor().to(device) if ds.cached else ds for ds in folders.sides()]
        self.n_items = max(len(s) for s in self.sides)

    def _draw(self, side: int, n: int) -> Tensor:
        source = self.sides[side]
        idx = torch.randint(0, len(source), (n,), generator=self.rng)
        x = source[idx.to(self.device)] if isinstance(source, Tensor) else torch.stack([source[int(i)] for i in idx]).to(self.device)
        flip = (torch.rand(n, generator=self.rng) < 0.5).to(self.device)
        return torch.where(flip[:, None, None, None], x.flip(-1), x)

    def next(self, n: int) -> tuple[Tensor, Tensor]:
        return self._draw(0, n), self._draw(1, n)

    def first(self, side: int, n: int) -> Tensor:
        source = self.sides[side]
        n = min(n, len(source))
        return source[:n] if isinstance(source, Tensor) else torch.stack([source[i] for i in range(n)]).to(self.device)


# --- measures -------------------------------------------------------------------------------------------

def colour_gap(x: Tensor, y: Tensor, quantiles: int = 256) -> float:
    """How far apart two sets' colours are: per RGB channel the 1-D Wasserstein-1 distance between the
    pixel values of set x and of set y (images (N, 3, H, W) in [-1, 1], the sets need not be paired),
    averaged over channels, in 0..255 units."""
    q = torch.linspace(0.0, 1.0, quantiles)
    gaps = []
    for c in range(3):
        xs = torch.quantile(x[:, c].flatten().float().cpu(), q)
        ys = torch.quantile(y[:, c].flatten().float().cpu(), q)
        gaps.append(float((xs - ys).abs().mean()) * 127.5)
    return float(np.mean(gaps))


def _edges(x: Tensor) -> Tensor:
    grey = x.float().mean(1, keepdim=True)
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    k = torch.stack([kx, kx.t()])[:, None]
    g = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), k.to(grey.device))
    return g.pow(2).sum(1).sqrt()


def edge_agreement(x: Tensor, y: Tensor) -> float:
    """Structure kept: the mean over pictures of the Pearson correlation between the Sobel edge magnitudes
    of x[i] and y[i] (1: the same edges; about 0: unrelated pictures)."""
    ex, ey = _edges(x).flatten(1), _edges(y).flatten(1)
    ex = ex - ex.mean(1, keepdim=True)
    ey = ey - ey.mean(1, keepdim=True)
    r = (ex * ey).sum(1) / (ex.norm(dim=1) * ey.norm(dim=1)).clamp_min(1e-12)
    return float(r.mean())


@torch.no_grad()
def translate_batches(G, x: Tensor, direction: str, batch: int = 16) -> Tensor:
    module = G.direction(direction)
    was = module.training
    module.eval()
    out = torch.cat([module(x[i:i + batch]) for i in range(0, x.shape[0], batch)])
    module.train(was)
    return out


# --- the trainer ----------------------------------------------------------------------------------------

class CycleGANTrainer(Trainer):
    """The Trainer of unpaired runs: G is `CycleGenerators` (G_A, G_B), D is `CycleDiscriminators`."""

    WATCHED_LOSSES = LOSS_NAMES

    def __init__(
        self,
        config: RunConfig,
        run_dir: str | Path | None = None,
        report: Callable[[TrainEvent], None] | None = None,
        resume: str | Path | None = None,
        rank: int = 0,
        world_size: int = 1,
        distributed=None,
    ):
        from ganstudio.core.models.from_config import build_models

        if world_size > 1:
            raise ConfigError("CycleGAN runs train in one process; start them without torchrun.")
        self._set_up(config, run_dir, report, rank, world_size, distributed)
        torch.manual_seed(self.cfg.train.seed)
        self.rng = torch.Generator().manual_seed(self.cfg.train.seed)

        self.data = UnpairedBatches(self.cfg, self.device, self.rng)
        if self.data.skipped:
            self._emit("warning", {"message": f"skipped {len(self.data.skipped)} unreadable files in the unpaired folders"})
        torch.manual_seed(self.cfg.train.seed)
        self.G, self.D = build_models(self.cfg)
        self.G.to(self.device)
        self.D.to(self.device)
        self.objective = objectives.get_objective(self.cfg.objective.loss, **self._settings())
        self.gp_weight = 0.0
        self.ema = self.noise = self.hist_G = self.hist_D = None
        self.opt_G = self._make_optimizer(self.G, self.cfg.optim.lr_g)
        self.opt_D = self._make_optimizer(self.D, self.cfg.optim.lr_d)
        self.n_critic = 1
        self.base_lr_g, self.base_lr_d = self.cfg.optim.lr_g, self.cfg.optim.lr_d
        self.autocast_dtype = None
        self.pool_fake_A = ImagePool(self.objective.pool_size, self.rng)
        self.pool_fake_B = ImagePool(self.objective.pool_size, self.rng)
        self.fixed_A, self.fixed_B = self._preview_pictures(self.cfg.train.n_preview)
        self.fixed_z = self.fixed_y = self.fixed_batch = None
        self.warnings = self._unused_tricks()
        for w in self.warnings:
            self._emit("warning", {"message": w})
        if resume is not None:
            self.load(resume)
        self._open_run_folder(resumed=resume is not None)

    def _settings(self) -> dict[str, Any]:
        from ganstudio.core.train.trainer import objective_settings

        return objective_settings(self.cfg)

    def _preview_pictures(self, n: int) -> tuple[Tensor, Tensor]:
        """Held-out scenes for the procedural set (never trained on); the first pictures of each side else."""
        if self.cfg.data.kind == "scenes-daynight":
            from ganstudio.core.data.unpaired import held_out_scenes

            size = self.cfg.data.image_size
            return held_out_scenes(n, size, "day").to(self.device), held_out_scenes(n, size, "night", offset=n).to(self.device)
        return self.data.first(0, n), self.data.first(1, n)

    @property
    def sampling_generator(self) -> torch.nn.Module:
        return self.G

    def _unused_tricks(self) -> list[str]:
        """The tricks set away from their defaults: CycleGAN's step uses none of them."""
        from dataclasses import fields

        from ganstudio.core.config import TricksConfig

        t, plain = self.cfg.tricks, TricksConfig()
        changed = [f"tricks.{f.name}" for f in fields(t) if getattr(t, f.name) != getattr(plain, f.name)]
        if self.cfg.optim.n_critic != 1:
            changed.append("optim.n_critic")
        if not changed:
            return []
        return [f"CycleGAN runs follow the reference's step, which uses none of {', '.join(changed)}; "
                "they are left out of this run."]

    def set_n_critic(self, n: int) -> None:
        """CycleGAN updates both critics once per step, as the reference does; another value is not taken."""
        if int(n) != 1:
            self._emit("warning", {"message": f"CycleGAN updates the critics once per step; n_critic {int(n)} "
                                              "is not taken."})

    # --- the step --------------------------------------------------------------------------------------

    def step(self) -> None:
        self.G.train()
        self.D.train()
        tc = self.cfg.train
        self._logging = (self.step_count + 1) % tc.log_every == 0
        if self.cfg.optim.lr_decay != "none":
            self._apply_learning_rates()
        real_A, real_B = self.data.next(self.cfg.optim.batch_size)
        losses, fake_B = train_step(self.G, self.D, self.objective, self.opt_G, self.opt_D, real_A, real_B,
                                    self.pool_fake_A, self.pool_fake_B)
        if self._logging:
            for name in LOSS_NAMES:
                if name in losses:
                    self._record(name, losses[name])
            self._last_pair = (real_B, fake_B)
        self.step_count += 1
        s = self.step_count
        if s % tc.log_every == 0:
            self._flush_scalars()
        if tc.sample_every and s % tc.sample_every == 0:
            self.emit_preview()
        if tc.eval_every and s % tc.eval_every == 0:
            self.evaluate()
        if tc.checkpoint_every and s % tc.checkpoint_every == 0:
            self.save_checkpoint()

    # --- checkpoints: the trainer's, plus the two pools ----------------------------------------------

    def checkpoint(self, extra: dict[str, Any] | None = None):
        ckpt = super().checkpoint(extra)
        for name, pool in (("pool_fake_A", self.pool_fake_A), ("pool_fake_B", self.pool_fake_B)):
            stored = pool.state()
            if stored is not None:
                ckpt.states[name] = {"images": stored}
        return ckpt

    def load(self, path: str | Path) -> None:
        from ganstudio.core.checkpoint import load_checkpoint

        super().load(path)
        states = load_checkpoint(path).states
        for name, pool in (("pool_fake_A", self.pool_fake_A), ("pool_fake_B", self.pool_fake_B)):
            pool.load(states.get(name, {}).get("images"), self.device)

    # --- previews and evaluations ----------------------------------------------------------------------

    @torch.no_grad()
    def preview(self) -> dict[str, Any]:
        """Rows real A | G_A(A) | G_B(G_A(A)), then real B | G_B(B) | G_A(G_B(B))."""
        from ganstudio.core.imaging import make_grid_uint8

        G = self.G
        rows = []
        for x, there, back in ((self.fixed_A, "AtoB", "BtoA"), (self.fixed_B, "BtoA", "AtoB")):
            fake = translate_batches(G, x, there)
            rec = translate_batches(G, fake, back)
            rows.append(torch.stack([x.float(), fake.float(), rec.float()], dim=1).flatten(0, 1))
        return {"grid": make_grid_uint8(torch.cat(rows), nrow=3)}

    @torch.no_grad()
    def evaluate(self, n: int = 2500) -> dict[str, float]:
        """On the preview pictures (held-out scenes for the procedural set): sliced W and colour gap between
        the translations and the real pictures of their target side, edge agreement of each translation with
        its input, and the unweighted cycle L1; every metric with `compute` on side B."""
        from ganstudio.core import metric_registry
        from ganstudio.core.train import metrics

        A, B = self.fixed_A.float(), self.fixed_B.float()
        fake_B, fake_A = translate_batches(self.G, A, "AtoB"), translate_batches(self.G, B, "BtoA")
        rec_A, rec_B = translate_batches(self.G, fake_B, "BtoA"), translate_batches(self.G, fake_A, "AtoB")
        sw = [float(metrics.sliced_wasserstein(r.flatten(1), f.flatten(1), n_projections=128, generator=self.rng))
              for r, f in ((B, fake_B), (A, fake_A))]
        result = {
            "sliced_w": float(np.mean(sw)),
            "colour_gap": 0.5 * (colour_gap(fake_B, B) + colour_gap(fake_A, A)),
            "edge_agreement": 0.5 * (edge_agreement(A, fake_B) + edge_agreement(B, fake_A)),
            "cycle_l1": 0.5 * float(F.l1_loss(rec_A, A) + F.l1_loss(rec_B, B)),
        }
        for spec in metric_registry.computed_metrics():
            result[spec.name] = float(spec.compute(B, fake_B))
        result = {k: v for k, v in result.items() if math.isfinite(v)}
        self.last_eval = result
        self.last_eval_step = self.step_count
        record = {"step": self.step_count, "wall_time": self.elapsed, "kind": "eval", **result}
        if self.writer is not None:
            self.writer.write(record)
        self._emit("eval", record)
        self._maybe_save_best({**self.last_scalars, **result})
        return result

    def generate(self, n=None, z=None, y=None) -> np.ndarray:
        return translate_batches(self.G, self.fixed_A, "AtoB").float().cpu().numpy()


@torch.no_grad()
def scene_translation_quality(G, n: int = 64, size: int = 64) -> dict[str, float]:
    """How a day <-> night CycleGAN does on `n` held-out landscapes of each kind (seeds no training set
    holds): the colour gap to the target side before and after translating, the edge agreement of each
    translation with its input, and the edge agreement of unrelated pictures (a day scene against a night
    scene of another seed) as the floor."""
    from ganstudio.core.data.unpaired import held_out_scenes

    day, night = held_out_scenes(n, size, "day"), held_out_scenes(n, size, "night", offset=n)
    # The target side's statistics come from a third set, so a translation is not compared with itself.
    day_ref, night_ref = held_out_scenes(n, size, "day", offset=2 * n), held_out_scenes(n, size, "night", offset=3 * n)
    to_night, to_day = translate_batches(G, day, "AtoB"), translate_batches(G, night, "BtoA")
    return {
        "AtoB_colour_gap_input": colour_gap(day, night_ref),
        "AtoB_colour_gap_output": colour_gap(to_night, night_ref),
        "AtoB_edge_agreement": edge_agreement(day, to_night),
        "BtoA_colour_gap_input": colour_gap(night, day_ref),
        "BtoA_colour_gap_output": colour_gap(to_day, day_ref),
        "BtoA_edge_agreement": edge_agreement(night, to_day),
        "unrelated_edge_agreement": edge_agreement(day, night),
        "cycle_l1_A": float(F.l1_loss(translate_batches(G, to_night, "BtoA"), day)),
    }
