"""A run's checkpoints: writing them, resuming from one, keeping the best, and rolling back after a NaN.

`Checkpointing` is part of `Trainer` (its methods read the models, optimizers and counters that
`Trainer.__init__` sets up); it lives here so that everything about saved and restored state is in one file.
"""

from __future__ import annotations

import copy
import logging
import math
from pathlib import Path
from typing import Any

import torch

from ganstudio.core import metric_registry
from ganstudio.core.checkpoint import (
    Checkpoint,
    load_checkpoint,
    load_state_into,
    optimizer_from_flat,
    optimizer_to_flat,
    remove_unfinished_writes,
    save_checkpoint,
)
from ganstudio.core.config import resume_conflict
from ganstudio.core.device import device_description
from ganstudio.core.errors import CheckpointError, TrainingError
from ganstudio.core.train.runlog import drop_records_after

log = logging.getLogger(__name__)


class Checkpointing:
    """Trainer's save / resume / best-checkpoint / rollback methods."""

    # --- files ---------------------------------------------------------------------------------------

    def checkpoint(self, extra: dict[str, Any] | None = None) -> Checkpoint:
        states: dict[str, dict[str, torch.Tensor]] = {"G": self.G.state_dict(), "D": self.D.state_dict()}
        if self.ema is not None:
            states["G_ema"] = self.ema.model.state_dict()
        flat_g, groups_g = optimizer_to_flat(self.opt_G)
        flat_d, groups_d = optimizer_to_flat(self.opt_D)
        states["opt_G"], states["opt_D"] = flat_g, flat_d
        states["rng"] = {"trainer": self.rng.get_state(), "torch": torch.get_rng_state()}
        for part, hist in (("hist_G", self.hist_G), ("hist_D", self.hist_D)):
            if hist is not None and hist.count:
                states[part] = {str(i): m for i, m in enumerate(hist._means)}
        meta = {
            "config": self.cfg.to_dict(),
            "step": self.step_count,
            "wall_time": self.elapsed,
            "task": self.task,
            "n_classes": self.data.n_classes,
            "n_critic": self.n_critic,
            "opt_G_groups": groups_g,
            "opt_D_groups": groups_d,
            "metrics": getattr(self, "last_eval", {}),
            "best_value": self.best_value,
            "ema_updates": self.ema.num_updates if self.ema is not None else 0,
            "hist_counts": [h.count if h is not None else 0 for h in (self.hist_G, self.hist_D)],
            "world_size": self.world_size,
            "replica_checksums": self.replica_checksums,
            "ganstudio_version": _version(),
            "torch_version": torch.__version__,
            "device": device_description(self.device),
        }
        if extra:
            meta.update(extra)
        return Checkpoint(states=states, meta=meta)

    def save_checkpoint(self, path: str | Path | None = None, extra: dict[str, Any] | None = None) -> Path | None:
        if not self.is_writer:
            return None
        if path is None:
            if self.run_dir is None:
                return None
            path = self.run_dir / "checkpoints" / "latest.safetensors"
        ckpt = self.checkpoint(extra)
        try:
            written = save_checkpoint(path, ckpt)
        except CheckpointError as exc:
            # Non-finite weights: keep the last good file, say so.
            self._emit("warning", {"message": str(exc)})
            raise TrainingError(str(exc)) from None
        self._take_snapshot()
        self._emit("checkpoint", {"path": str(written)})
        return written

    def _tidy_run_folder(self, resumed: bool) -> None:
        """What killed runs left in the run folder, cleaned before this one writes (the caller owns the
        folder): temp files of saves that never finished and, on resume, the records past the checkpoint's
        step, which this run logs again."""
        removed = []
        for folder in (self.run_dir, self.run_dir / "checkpoints"):
            removed += remove_unfinished_writes(folder)
        if removed:
            names = sorted({f".{p.name[1:].rsplit('.', 2)[0]}.*.tmp" for p in removed})
            self._emit("warning", {"message": f"removed {len(removed)} unfinished files ({', '.join(names)}) "
                                              f"that interrupted saves left in {self.run_dir}."})
        if resumed:
            dropped, torn = drop_records_after(self.run_dir / "metrics.jsonl", self.step_count)
            if dropped or torn:
                parts = []
                if dropped:
                    parts.append(f"dropped {dropped} records logged after step {self.step_count}, where this run resumes")
                if torn:
                    parts.append(f"{torn} torn line{'s' if torn != 1 else ''}")
                self._emit("warning", {"message": f"metrics.jsonl: {' and '.join(parts)}."})

    def load(self, path: str | Path) -> None:
        ckpt = load_checkpoint(path)
        saved = ckpt.config
        problem = resume_conflict(self.cfg, saved, f"checkpoint {path}")  # the app and the CLI alike
        if problem:
            raise CheckpointError(problem)
        for section in ("data", "model", "tricks"):
            mine = self.cfg.to_dict()[section]
            theirs = saved.get(section, {})
            arch_keys = {"kind", "image_size", "channels", "generator", "discriminator", "z_dim", "g_width",
                         "d_width", "g_depth", "d_depth", "d_norm", "g_norm", "class_conditional", "pack",
                         "minibatch_stddev", "minibatch_disc", "spectral_norm"}
            diff = [k for k in arch_keys & set(mine) if k in theirs and theirs[k] != mine[k]]
            if diff:
                raise CheckpointError(
                    f"checkpoint {path} was trained with a different {section} setup "
                    f"({', '.join(f'{section}.{k}={theirs[k]!r}' for k in sorted(diff))})."
                )
        load_state_into(self.G, ckpt.states["G"], "generator", path)
        load_state_into(self.D, ckpt.states["D"], "discriminator", path)
        if self.ema is not None:
            load_state_into(self.ema.model, ckpt.states.get("G_ema", ckpt.states["G"]), "EMA generator", path)
            self.ema.num_updates = int(ckpt.meta.get("ema_updates", 0))
        counts = ckpt.meta.get("hist_counts", [0, 0])
        for part, hist, count in (("hist_G", self.hist_G, counts[0]), ("hist_D", self.hist_D, counts[1])):
            if hist is not None and part in ckpt.states:
                saved = ckpt.states[part]
                hist._means = [saved[str(i)].to(self.device) for i in range(len(saved))]
                hist.count = int(count)
        if "opt_G" in ckpt.states and "opt_G_groups" in ckpt.meta:
            optimizer_from_flat(self.opt_G, ckpt.states["opt_G"], ckpt.meta["opt_G_groups"], where=f"checkpoint {path}")
            optimizer_from_flat(self.opt_D, ckpt.states["opt_D"], ckpt.meta["opt_D_groups"], where=f"checkpoint {path}")
            # Learning rates in the config win over the saved ones when the user changed them.
            self.set_learning_rates(self.cfg.optim.lr_g, self.cfg.optim.lr_d)
        rng = ckpt.states.get("rng", {})
        if "trainer" in rng and self.world_size == 1:
            self.rng.set_state(rng["trainer"])
            torch.set_rng_state(rng["torch"])
        self.step_count = ckpt.step
        self._last_log_step = self.step_count
        self.wall_offset = float(ckpt.meta.get("wall_time", 0.0))
        self.best_value = ckpt.meta.get("best_value")
        self.n_critic = int(ckpt.meta.get("n_critic", self.n_critic))
        # Move optimizer state tensors to the training device.
        for opt in (self.opt_G, self.opt_D):
            for state in opt.state.values():
                for k, v in state.items():
                    if isinstance(v, torch.Tensor) and k != "step":
                        state[k] = v.to(self.device)

    def sync_replicas(self) -> None:
        """Distributed runs: average BatchNorm statistics and record each rank's weight checksums.

        A collective: every rank must call it at the same step. Single-process runs record one checksum.
        """
        for module in (self.G, self.D) + ((self.ema.model,) if self.ema is not None else ()):
            self.dist.average_buffers(module)
        self.replica_checksums = {"G": self.dist.checksums(self.G), "D": self.dist.checksums(self.D)}
        if any(len(set(v)) > 1 for v in self.replica_checksums.values()):
            msg = f"the {self.dist.world_size} training processes no longer hold identical weights; this is a bug."
            log.error(msg)
            self._emit("warning", {"message": msg})

    def _maybe_save_best(self, result: dict[str, float]) -> None:
        metric = self.cfg.train.best_metric
        value = result.get(metric)
        if value is None or not math.isfinite(value) or self.run_dir is None or not self.is_writer:
            return
        better = (
            self.best_value is None
            or (value > self.best_value if metric_registry.higher_is_better(metric) else value < self.best_value)
        )
        if better:
            self.best_value = value
            self.save_checkpoint(self.run_dir / "checkpoints" / "best.safetensors", extra={"best_metric": metric, "best_value": value})

    # --- NaN rollback: back to the state last saved (or the start of the run) -------------------------

    def _handle_non_finite(self, names: list[str]) -> None:
        what = " and ".join(n.replace("_", " ") for n in names)
        if self.cfg.train.nan_policy == "rollback" and self._good_snapshot is not None and self.rollbacks < 3:
            self.rollbacks += 1
            self._restore_snapshot()
            self.base_lr_g, self.base_lr_d = self.base_lr_g / 2, self.base_lr_d / 2  # lower: no rule to check
            self._apply_learning_rates()
            msg = (f"the {what} became NaN or infinite at step {self.step_count}; rolled back to step "
                   f"{self._good_snapshot['step']} and halved the learning rates (rollback {self.rollbacks} of 3).")
            self.step_count = self._good_snapshot["step"]
            log.warning(msg)
            self._emit("warning", {"message": msg})
            return
        raise TrainingError(
            f"training stopped at step {self.step_count}: the {what} became NaN or infinite; the last good "
            "checkpoint is kept. Lower the learning rates or add a penalty (R1, gradient penalty)."
        )

    def _take_snapshot(self) -> None:
        self._good_snapshot = {
            "step": self.step_count,
            "G": copy.deepcopy(self.G.state_dict()),
            "D": copy.deepcopy(self.D.state_dict()),
            "opt_G": copy.deepcopy(self.opt_G.state_dict()),
            "opt_D": copy.deepcopy(self.opt_D.state_dict()),
            "ema": copy.deepcopy(self.ema.model.state_dict()) if self.ema is not None else None,
            "ema_updates": self.ema.num_updates if self.ema is not None else 0,
            # The running means of historical averaging take in every step's weights, NaN ones too.
            "hist": [(h.count, [m.clone() for m in h._means]) if h is not None else None
                     for h in (self.hist_G, self.hist_D)],
        }

    def _restore_snapshot(self) -> None:
        s = self._good_snapshot
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_G.load_state_dict(s["opt_G"])
        self.opt_D.load_state_dict(s["opt_D"])
        if self.ema is not None and s["ema"] is not None:
            self.ema.model.load_state_dict(s["ema"])
            self.ema.num_updates = s["ema_updates"]
        for hist, saved in zip((self.hist_G, self.hist_D), s["hist"]):
            if hist is not None and saved is not None:
                hist.count, hist._means = saved[0], [m.clone() for m in saved[1]]
        self._pending.clear()


def _version() -> str:
    from ganstudio import __version__

    return __version__
