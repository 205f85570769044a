"""The training loop shared by the GUI's background worker and `ganstudio train`.

One `Trainer` owns the models, optimizers and data of a run. `step()` plays one round of the game
(n_critic discriminator steps, then one generator step). Everything the outside world sees goes through
one path, `report(TrainEvent)`, carrying CPU numbers and numpy arrays only, and the same records are
appended to the run folder's metrics.jsonl. No printing, no Qt.

Scalars are kept on the device between log steps and read back in one batch, so a GPU is not
synchronised every step.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core import metric_registry, objective_registry
from ganstudio.core.config import RunConfig, validate
from ganstudio.core.device import resolve_device
from ganstudio.core.errors import ConfigError, TrainingError
from ganstudio.core.models.from_config import build_models
from ganstudio.core.train import metrics, objectives, tricks
from ganstudio.core.train.batches import Batch, BatchSource
from ganstudio.core.train.checkpointing import Checkpointing
from ganstudio.core.train.runlog import MetricsWriter
from ganstudio.core.train.step import TrainingStep

log = logging.getLogger(__name__)


@dataclass
class TrainEvent:
    """One message from the trainer. `data` holds only CPU floats, strings and numpy arrays."""

    kind: str  # scalars | samples | toy_field | eval | checkpoint | warning | finished | error
    step: int
    data: dict[str, Any] = field(default_factory=dict)


SAVE_AT_END = ("never", "finished", "always")


@dataclass
class RunSummary:
    """How `Trainer.run` ended."""

    reason: str  # finished (max_steps reached) | stopped (should_stop or wait_if_paused ended it early)
    step: int
    checkpoint: str | None = None  # the file save_at_end wrote
    metrics: dict[str, float] = field(default_factory=dict)  # evaluate_at_end's numbers


def objective_settings(cfg: RunConfig) -> dict[str, Any]:
    """Only the settings that belong to the chosen objective (its registry entry names them; get_objective
    rejects the others)."""
    spec = objective_registry.objective_spec(cfg.objective.loss)
    return {name: getattr(cfg.objective, name) for name in spec.settings}


def has_batchnorm(module: torch.nn.Module) -> bool:
    return any(isinstance(x, torch.nn.modules.batchnorm._BatchNorm) for x in module.modules())


def combination_warnings(cfg: RunConfig, D: torch.nn.Module) -> list[str]:
    o, t = cfg.objective, cfg.tricks
    return tricks.check_combination(
        objective=o.loss, d_has_batchnorm=has_batchnorm(D), gradient_penalty_weight=o.gp_weight,
        r1_gamma=o.r1_gamma, spectral_norm=t.spectral_norm, label_smoothing=t.label_smoothing,
        optimizer=cfg.optim.optimizer,
    )


# --- the trainer ---------------------------------------------------------------------------------------

class Trainer(TrainingStep, Checkpointing):
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
        self.cfg = validate(config)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._report_fn = report
        self.rank = rank
        self.world_size = world_size
        from ganstudio.core.train.distributed import DistributedContext

        self.dist = distributed if distributed is not None else DistributedContext()
        self.replica_checksums: dict[str, list[float]] = {}
        self.is_writer = rank == 0  # only rank 0 writes files in a distributed run
        self.device = resolve_device(self.cfg.train.device)
        self.step_count = 0
        self.start_time = time.perf_counter()
        self.wall_offset = 0.0  # wall time already spent before a resume
        self.best_value: float | None = None
        self.last_scalars: dict[str, float] = {}  # the latest logged means (a best metric may be one of them)
        self.rollbacks = 0
        self._pending: dict[str, list[torch.Tensor]] = {}
        self._kept_fake: tuple[Batch, torch.Tensor] | None = None
        self._last_pair: tuple[torch.Tensor, torch.Tensor] | None = None
        self._logging = False
        self._last_log_time = time.perf_counter()
        self._last_log_step = 0
        self._good_snapshot: dict[str, Any] | None = None

        seed = self.cfg.train.seed + 1000 * rank
        torch.manual_seed(seed)  # dropout and weight init use the global RNG
        self.rng = torch.Generator().manual_seed(seed)

        self.data = BatchSource(self.cfg, self.device, self.rng, rank=rank, world_size=world_size)
        if self.data.skipped:
            self._emit("warning", {"message": f"skipped {len(self.data.skipped)} unreadable files in {self.cfg.data.path}"})

        torch.manual_seed(self.cfg.train.seed)  # same initial weights on every rank
        self.G, self.D = build_models(self.cfg, self.data.n_classes)
        if self.cfg.model.sync_batchnorm and self.dist.enabled:
            if self.device.type != "cuda":
                raise ConfigError("model.sync_batchnorm needs CUDA GPUs (PyTorch syncs BatchNorm only there); turn it off for CPU runs.")
            self.G = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.G)
            self.D = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.D)
        self.G.to(self.device)
        self.D.to(self.device)
        self.objective = objectives.get_objective(self.cfg.objective.loss, **objective_settings(self.cfg))
        self.gp_weight = (
            self.cfg.objective.gp_weight if self.cfg.objective.gp_weight is not None else self.objective.gradient_penalty_weight
        )
        self.ema = tricks.EMA(self.G, decay=self.cfg.tricks.ema) if self.cfg.tricks.ema > 0 else None
        self.opt_G = self._make_optimizer(self.G, self.cfg.optim.lr_g)
        self.opt_D = self._make_optimizer(self.D, self.cfg.optim.lr_d)
        self.n_critic = self.cfg.optim.n_critic
        self.base_lr_g, self.base_lr_d = self.cfg.optim.lr_g, self.cfg.optim.lr_d
        t = self.cfg.tricks
        self.noise = tricks.InstanceNoise(t.instance_noise, 0.0, anneal_steps=t.instance_noise_steps or max(self.cfg.train.steps, 1)) if t.instance_noise > 0 else None
        self.hist_G = tricks.HistoricalAverage() if t.historical_averaging > 0 else None
        self.hist_D = tricks.HistoricalAverage() if t.historical_averaging > 0 else None
        self.autocast_dtype = torch.bfloat16 if (self.cfg.train.precision == "bf16" and self.device.type == "cuda") else None

        # A fixed latent batch (and labels / inputs) so preview grids are comparable over time.
        n_prev = self.cfg.train.n_preview
        self.fixed_z = self._sample_z(n_prev)
        self.fixed_y = (torch.arange(n_prev, device=self.device) % self.data.n_classes) if self._conditional else None
        self.fixed_batch = self.data.next(n_prev) if self.task == "paired" else None

        self.warnings = combination_warnings(self.cfg, self.D)
        for w in self.warnings:
            self._emit("warning", {"message": w})
            log.warning(w)

        if resume is not None:
            self.load(resume)

        self.writer: MetricsWriter | None = None
        if self.run_dir is not None and self.is_writer:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "config.json").write_text(self.cfg.to_json())
            (self.run_dir / "config.toml").write_text(self.cfg.to_toml())
            self.writer = MetricsWriter(self.run_dir / "metrics.jsonl")
        self._take_snapshot()

    # --- small helpers -----------------------------------------------------------------------------

    @property
    def task(self) -> str:
        return self.cfg.data.task

    @property
    def _conditional(self) -> bool:
        return self.cfg.model.class_conditional and self.data.n_classes > 0

    @property
    def sampling_generator(self) -> torch.nn.Module:
        """The generator users see: the EMA copy when EMA is on."""
        return self.ema.model if self.ema is not None else self.G

    def _make_optimizer(self, module: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        o = self.cfg.optim
        params = [p for p in module.parameters() if p.requires_grad]
        if o.optimizer == "adam":
            return torch.optim.Adam(params, lr=lr, betas=(o.beta1, o.beta2))
        if o.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.SGD(params, lr=lr, momentum=o.beta1)

    def _record(self, name: str, value: torch.Tensor) -> None:
        self._pending.setdefault(name, []).append(value.detach().float().reshape(()))

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._report_fn is not None:
            self._report_fn(TrainEvent(kind, self.step_count, data))

    # --- live controls -----------------------------------------------------------------------------

    def set_learning_rates(self, g: float | None = None, d: float | None = None) -> None:
        """Change the base learning rates in place: the optimizers keep their moment estimates."""
        if g is not None:
            if not g > 0:
                raise ConfigError(f"generator learning rate must be greater than zero, not {g}.")
            self.base_lr_g = float(g)
        if d is not None:
            if not d > 0:
                raise ConfigError(f"discriminator learning rate must be greater than zero, not {d}.")
            self.base_lr_d = float(d)
        self._apply_learning_rates()

    def lr_factor(self) -> float:
        """Schedule multiplier: 1, or pix2pix's linear decay to 0 over the second half of the run."""
        if self.cfg.optim.lr_decay != "linear":
            return 1.0
        total = max(self.cfg.train.steps, 1)
        start = total // 2
        return max(0.0, 1.0 - max(0, self.step_count - start) / max(total - start, 1))

    def _apply_learning_rates(self) -> None:
        factor = self.lr_factor()
        for opt, base in ((self.opt_G, self.base_lr_g), (self.opt_D, self.base_lr_d)):
            for group in opt.param_groups:
                group["lr"] = base * factor

    def set_n_critic(self, n: int) -> None:
        if int(n) < 1:
            raise ConfigError(f"n_critic must be 1 or more, not {n}.")
        self.n_critic = int(n)

    @property
    def learning_rates(self) -> tuple[float, float]:
        return self.opt_G.param_groups[0]["lr"], self.opt_D.param_groups[0]["lr"]

    # --- reporting -----------------------------------------------------------------------------------

    def _flush_scalars(self) -> dict[str, float]:
        """Read all pending device scalars back in one transfer, average them, log and report."""
        if not self._pending:
            return {}
        names = list(self._pending)
        means = self.dist.mean_of(torch.stack([torch.stack(self._pending[k]).mean() for k in names])).cpu().tolist()
        self._pending.clear()
        values = dict(zip(names, means))
        now = time.perf_counter()
        steps = self.step_count - self._last_log_step
        values["it_s"] = steps / max(now - self._last_log_time, 1e-9)
        self._last_log_time, self._last_log_step = now, self.step_count
        lr_g, lr_d = self.learning_rates
        values["lr_g"], values["lr_d"] = lr_g, lr_d
        values["sliced_w"] = self._batch_sliced_w()
        bad = [k for k in ("d_loss", "g_loss") if k in values and not math.isfinite(values[k])]
        if bad:
            self._handle_non_finite(bad)
            return values
        record = {"step": self.step_count, "wall_time": self.elapsed, **values}
        if self.writer is not None:
            self.writer.write(record)
        self._emit("scalars", record)
        self.last_scalars = values
        return values

    @property
    def elapsed(self) -> float:
        return self.wall_offset + time.perf_counter() - self.start_time

    @torch.no_grad()
    def _batch_sliced_w(self) -> float:
        """Sliced W between the last critic step's real and fake batches: no extra forward pass."""
        if self._last_pair is None:
            return float("nan")
        real, fake = self._last_pair
        return float(metrics.sliced_wasserstein(real.float().flatten(1), fake.float().flatten(1), n_projections=64,
                                                generator=self.rng))

    @torch.no_grad()
    def _eval_samples(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A real batch and the user-facing generator's samples for it (translations of its inputs)."""
        batch = self.data.next(n)
        G = self.sampling_generator
        was_training = G.training
        G.eval()
        fake = self._generate(G, self._sample_z(n), batch.label if self._conditional else None, batch.cond)
        G.train(was_training)
        return batch.real.float(), fake.float()

    # --- previews and evaluation ---------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, n: int | None = None, z: torch.Tensor | None = None, y: torch.Tensor | None = None) -> np.ndarray:
        """Samples from the user-facing generator in eval mode as a CPU numpy array."""
        G = self.sampling_generator
        G.eval()
        if z is None:
            z = self.fixed_z if n is None else self._sample_z(n)
        if y is None and self._conditional:
            y = torch.arange(z.shape[0], device=self.device) % self.data.n_classes
        out = self._generate(G, z, y, None)
        return out.float().cpu().numpy()

    @torch.no_grad()
    def preview(self) -> dict[str, Any]:
        """What the monitor shows: points for toys, an image grid otherwise (uint8 HxWx3)."""
        from ganstudio.core.imaging import make_grid_uint8

        G = self.sampling_generator
        G.eval()
        if self.task == "toy":
            pts = self._generate(G, self.fixed_z, None, None).float().cpu().numpy()
            return {"points": pts}
        if self.task == "image":
            imgs = self._generate(G, self.fixed_z, self.fixed_y, None).float()
            return {"grid": make_grid_uint8(imgs, nrow=int(math.ceil(math.sqrt(imgs.shape[0]))))}
        b = self.fixed_batch
        out = self._generate(G, None, None, b.cond).float()
        from ganstudio.core.imaging import sketch_input_to_rgb

        shown_in = sketch_input_to_rgb(b.cond) if b.cond.shape[1] != 3 else b.cond
        rows = torch.stack([shown_in.float(), out, b.real.float()], dim=1).flatten(0, 1)  # input | output | target
        return {"grid": make_grid_uint8(rows, nrow=3)}

    def emit_preview(self) -> None:
        pv = self.preview()
        if self.task == "toy":
            pv.update(self.toy_field())
        if self.run_dir is not None and self.is_writer:
            samples_dir = self.run_dir / "samples"
            samples_dir.mkdir(exist_ok=True)
            if "grid" in pv:
                from PIL import Image

                Image.fromarray(pv["grid"]).save(samples_dir / f"step_{self.step_count:07d}.png")
            else:
                np.save(samples_dir / f"step_{self.step_count:07d}.npy", pv["points"])
        self._emit("samples", pv)

    def toy_field(self, resolution: int = 40, n_arrows: int = 200) -> dict[str, Any]:
        """GAN Lab's view: D's output over the plane and the direction G's loss pushes samples."""
        if self.task != "toy":
            return {}
        xmin, xmax, ymin, ymax = self.data.toy.bounds()
        xs = torch.linspace(xmin, xmax, resolution, device=self.device)
        ys = torch.linspace(ymin, ymax, resolution, device=self.device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)
        self.D.eval()
        with torch.no_grad():
            # With packing, score each location as a pack of identical points.
            scores = self._run_D(self._d_input_plain(grid), None).float()
            heat = torch.sigmoid(scores) if self.objective.spec.logits else scores
        pts = self._generate(self.G.eval(), self._sample_z(n_arrows), None, None).detach().requires_grad_(True)
        g_loss = self.objective.g_loss(self._run_D(self._d_input_plain(pts), None))
        (grad,) = torch.autograd.grad(g_loss, pts)
        self.D.train()
        self.G.train()
        direction = -grad  # the way gradient descent on G's loss moves each generated point
        norm = direction.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return {
            "field": heat.reshape(resolution, resolution).cpu().numpy(),
            "bounds": (xmin, xmax, ymin, ymax),
            "arrow_points": pts.detach().cpu().numpy(),
            "arrow_dirs": (direction / norm).cpu().numpy(),
            "arrow_mags": norm.squeeze(1).cpu().numpy(),
        }

    def _d_input_plain(self, x: torch.Tensor) -> torch.Tensor:
        m = self.cfg.tricks.pack
        return x.repeat_interleave(m, dim=0).reshape(x.shape[0], -1) if m > 1 else x

    @torch.no_grad()
    def evaluate(self, n: int = 2500) -> dict[str, float]:
        """Quality numbers on a large sample: mode statistics for the 2-D mixtures, sliced W always, and
        every metric registered with a `compute` function (ganstudio.core.metric_registry)."""
        result: dict[str, float] = {}
        if self.task == "toy":
            G = self.sampling_generator
            G.eval()
            fake = self._generate(G, self._sample_z(n), None, None).float()
            real = self.data.toy.sample(n, generator=self.rng).to(self.device)
            result["sliced_w"] = float(metrics.sliced_wasserstein(real, fake, n_projections=256, generator=self.rng))
            result["w1_exact"] = float(metrics.exact_w1_2d(real[:500].cpu(), fake[:500].cpu()))
            if getattr(self.data.toy, "means", None) is not None:
                ms = metrics.mode_statistics(fake.cpu(), self.data.toy.means, self.data.toy.std)
                result["modes_captured"] = float(ms["modes_captured"])
                result["hq_fraction"] = float(ms["hq_fraction"])
                result["reverse_kl"] = float(ms["reverse_kl"])
                result["n_modes"] = float(len(self.data.toy.means))
        else:
            real, fake = self._eval_samples(min(n, 512))
            result["sliced_w"] = float(metrics.sliced_wasserstein(real.flatten(1), fake.flatten(1), n_projections=128,
                                                                  generator=self.rng))
            if self.task == "paired":
                G = self.sampling_generator
                G.eval()
                b = self.fixed_batch
                result["l1"] = float(F.l1_loss(self._generate(G, None, None, b.cond).float(), b.real.float()))
        for spec in metric_registry.computed_metrics():
            result[spec.name] = float(spec.compute(real, fake))
        self.last_eval = result
        record = {"step": self.step_count, "wall_time": self.elapsed, "kind": "eval", **result}
        if self.writer is not None:
            self.writer.write(record)
        self._emit("eval", record)
        # A best metric that only the training steps log (g_loss) is judged by its latest logged value.
        self._maybe_save_best({**self.last_scalars, **result})
        return result

    # --- the loop ------------------------------------------------------------------------------------

    def run(
        self,
        max_steps: int | None = None,  # train until this step; default: the config's train.steps
        should_stop: Callable[[], bool] | None = None,  # abort_fn: True ends the run between two steps (Stop, Ctrl-C)
        on_step: Callable[["Trainer"], None] | None = None,  # progress_fn: after every step; keep it cheap, no device sync
        *,
        wait_if_paused: Callable[[], bool] | None = None,  # before every step: blocks while paused; False ends the run
        apply_changes: Callable[["Trainer"], None] | None = None,  # before every step and after the last: live changes
        save_at_end: str = "never",  # close-and-save: "always" or "finished" writes checkpoints/latest.safetensors
        evaluate_at_end: bool = False,  # evaluate() once when max_steps was reached and nothing asked to stop
    ) -> RunSummary:
        """The one training loop, for `ganstudio train`, the app's TrainerWorker and the benchmarks.

        Between two steps it asks should_stop, waits while paused, then lets apply_changes act on the
        trainer (set_learning_rates, set_n_critic, save_checkpoint: the GUI's live controls, which keep the
        optimizer state). A NaN rollback moves step_count back and the loop goes on from there. When the
        loop ends, the last scalars are written and metrics.jsonl is closed (also after an error), then the
        close-and-save path runs: save_at_end, evaluate_at_end.
        """
        if save_at_end not in SAVE_AT_END:
            raise ValueError(f"save_at_end must be one of {', '.join(SAVE_AT_END)}, not {save_at_end!r}")
        total = self.cfg.train.steps if max_steps is None else max_steps
        try:
            while self.step_count < total:
                if should_stop is not None and should_stop():
                    break
                if wait_if_paused is not None and not wait_if_paused():
                    break
                if apply_changes is not None:
                    apply_changes(self)
                self.step()
                if on_step is not None:
                    on_step(self)
            if apply_changes is not None:
                apply_changes(self)  # what arrived during the last step
            if self.dist.enabled:
                self.sync_replicas()
        finally:
            self.finish()
        summary = RunSummary("finished" if self.step_count >= total else "stopped", self.step_count)
        if save_at_end == "always" or (save_at_end == "finished" and summary.reason == "finished"):
            written = self.save_checkpoint()
            summary.checkpoint = str(written) if written is not None else None
        stop_asked = should_stop is not None and should_stop()
        if evaluate_at_end and summary.reason == "finished" and self.is_writer and not stop_asked:
            summary.metrics = self.evaluate()
        return summary

    def finish(self) -> None:
        if self._pending:
            try:
                self._flush_scalars()
            except TrainingError:
                self._pending.clear()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def close(self) -> None:
        self.finish()
