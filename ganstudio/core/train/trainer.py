"""The training loop shared by the GUI's background worker and `ganstudio train`.

One `Trainer` owns the models, optimizers and data of a run; this file sets them up and holds the live
controls and the `run` loop with its hooks. `step()` plays one round of the game (n_critic discriminator
steps, then one generator step). The Trainer's other parts, one file each: `batches` (where real batches
come from), `step` (the D and G updates), `checkpointing` (save, resume, best checkpoint, NaN rollback)
and `reporting` (`TrainEvent`s, metrics.jsonl, previews, evaluations).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from ganstudio.core import objective_registry
from ganstudio.core.config import RunConfig, check_field, validate
from ganstudio.core.device import free_memory_bytes, resolve_device
from ganstudio.core.errors import ConfigError, TrainingError
from ganstudio.core.models.from_config import build_models
from ganstudio.core.models.size_check import check_model_size, check_step_memory
from ganstudio.core.train import objectives, tricks
from ganstudio.core.train.batches import Batch, BatchSource
from ganstudio.core.train.checkpointing import Checkpointing
from ganstudio.core.train.reporting import Reporting, TrainEvent
from ganstudio.core.train.runlog import MetricsWriter
from ganstudio.core.train.step import TrainingStep

log = logging.getLogger(__name__)

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

class Trainer(TrainingStep, Checkpointing, Reporting):
    """One training run. Its methods come from this file and from step.py, checkpointing.py and
    reporting.py; all the state they share is set up in __init__. Unpaired data (CycleGAN: two generators,
    two critics) makes a `cyclegan.CycleGANTrainer`, a subclass that plays its own step."""

    def __new__(cls, config: RunConfig, *args: Any, **kwargs: Any) -> "Trainer":
        if cls is Trainer and getattr(getattr(config, "data", None), "task", None) == "unpaired":
            from ganstudio.core.train.cyclegan import CycleGANTrainer

            return super().__new__(CycleGANTrainer)
        return super().__new__(cls)

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
        self._set_up(config, run_dir, report, rank, world_size, distributed)

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
        self.autocast_dtype = torch.bfloat16 if self.cfg.train.precision == "bf16" else None
        self.channels_last = self.autocast_dtype is not None and self.task != "toy"  # conv nets: oneDNN/cuDNN's bf16 layout
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        if self.autocast_dtype is not None and self.device.type == "cpu":
            from ganstudio.core.device import cpu_has_native_bf16

            if cpu_has_native_bf16() is False:
                self._emit("warning", {"message": "train.precision = bf16 on this CPU (no AVX512-BF16 or AMX) is "
                                                  "emulated and slower than fp32; use fp32 here."})

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
        self._open_run_folder(resumed=resume is not None)

    def _set_up(self, config: RunConfig, run_dir, report, rank: int, world_size: int, distributed) -> None:
        """What every trainer (this one and CycleGAN's) sets first: the checked config, the device, the size
        checks and the run's bookkeeping."""
        from ganstudio.core.train.distributed import DistributedContext

        self.cfg = validate(config)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._report_fn = report
        self.rank = rank
        self.world_size = world_size
        self.dist = distributed if distributed is not None else DistributedContext()
        self.replica_checksums: dict[str, list[float]] = {}
        self.is_writer = rank == 0  # only rank 0 writes files in a distributed run
        self.device = resolve_device(self.cfg.train.device)
        # Before any data or weights are loaded: a run too large is refused in one sentence (app and CLI)
        check_model_size(self.cfg)
        check_step_memory(self.cfg, free_memory_bytes(self.device))
        self.step_count = 0
        self.start_time = time.perf_counter()
        self.wall_offset = 0.0  # wall time already spent before a resume
        self.best_value: float | None = None
        self.last_scalars: dict[str, float] = {}  # the latest logged means (a best metric may be one of them)
        self.rollbacks = 0
        self._pending: dict[str, list[torch.Tensor]] = {}
        self._kept_fake: tuple[Batch, torch.Tensor, torch.Tensor | None] | None = None
        self._last_pair: tuple[torch.Tensor, torch.Tensor] | None = None
        self._logging = False
        self._last_log_time = time.perf_counter()
        self._last_log_step = 0
        self._good_snapshot: dict[str, Any] | None = None
        self.last_eval: dict[str, float] = {}
        self.last_eval_step: int | None = None  # the step last_eval was measured at

    def _open_run_folder(self, resumed: bool) -> None:
        """The run folder's config files and metrics.jsonl (rank 0 only), then the first good snapshot."""
        self.writer: MetricsWriter | None = None
        if self.run_dir is not None and self.is_writer:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._tidy_run_folder(resumed=resumed)
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
            # The fused kernel does Adam's maths in one pass over each tensor (3-5x faster than the default
            # per-tensor loop on this CPU for DCGAN-64's generator; same update to ~1e-9).
            fused = self.device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in params)
            return torch.optim.Adam(params, lr=lr, betas=(o.beta1, o.beta2), fused=fused)
        if o.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.SGD(params, lr=lr, momentum=o.beta1)

    # --- live controls -----------------------------------------------------------------------------

    def set_learning_rates(self, g: float | None = None, d: float | None = None) -> None:
        """Change the base learning rates in place: the optimizers keep their moment estimates. A live change
        obeys the same rule as the config (finite, within optim.lr_g's / optim.lr_d's range)."""
        if g is not None:
            check_field("optim.lr_g", g)
        if d is not None:
            check_field("optim.lr_d", d)
        if g is not None:
            self.base_lr_g = float(g)
        if d is not None:
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
        check_field("optim.n_critic", n)
        self.n_critic = int(n)

    @property
    def learning_rates(self) -> tuple[float, float]:
        return self.opt_G.param_groups[0]["lr"], self.opt_D.param_groups[0]["lr"]

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
            # metrics.jsonl was closed above (also the path of an error): opened again for this one record, so
            # the Monitor, `diagnose` and the converters see the final evaluation too (it never reached the file)
            if self.last_eval_step == self.step_count:  # the schedule evaluated this very step: not twice
                summary.metrics = dict(self.last_eval)
            else:
                if self.run_dir is not None:
                    self.writer = MetricsWriter(self.run_dir / "metrics.jsonl")
                try:
                    summary.metrics = self.evaluate()
                finally:
                    self.finish()
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
