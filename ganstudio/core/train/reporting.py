"""What a run shows: logged scalars, previews, the 2-D toys' field view and evaluations.

Everything the outside world sees goes through one path, `report(TrainEvent)`, carrying CPU numbers and
numpy arrays only, and the same records are appended to the run folder's metrics.jsonl. No printing, no Qt.

Scalars are kept on the device between log steps and read back in one batch, so a GPU is not
synchronised every step.

`Reporting` is part of `Trainer` (its methods read the models, data and counters that `Trainer.__init__`
sets up).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core import metric_registry
from ganstudio.core.train import metrics
from ganstudio.core.train.monitor_state import write_toy_field


@dataclass
class TrainEvent:
    """One message from the trainer. `data` holds only CPU floats, strings and numpy arrays."""

    kind: str  # scalars | samples | toy_field | eval | checkpoint | warning | finished | error
    step: int
    data: dict[str, Any] = field(default_factory=dict)


class Reporting:
    """Trainer's events, logged scalars, previews and evaluations."""

    WATCHED_LOSSES: tuple[str, ...] = ("d_loss", "g_loss")  # a non-finite one of these stops or rolls back
    sinks: tuple[Callable[[TrainEvent], None], ...] = ()  # more listeners to every event (a TensorBoard export)

    # --- events and logged scalars -------------------------------------------------------------------

    def add_sink(self, sink: Callable[[TrainEvent], None]) -> None:
        """Feed every event from now on also to `sink` (after the report callback); its owner closes it."""
        self.sinks = (*self.sinks, sink)

    def _record(self, name: str, value: torch.Tensor) -> None:
        self._pending.setdefault(name, []).append(value.detach().float().reshape(()))

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._report_fn is None and not self.sinks:
            return
        event = TrainEvent(kind, self.step_count, data)
        if self._report_fn is not None:
            self._report_fn(event)
        for sink in self.sinks:
            sink(event)

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
        bad = [k for k in self.WATCHED_LOSSES if k in values and not math.isfinite(values[k])]
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

    # --- previews ------------------------------------------------------------------------------------

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
                points_file = samples_dir / f"step_{self.step_count:07d}.npy"
                np.save(points_file, pv["points"])
                write_toy_field(points_file, pv)
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
        # D sees at most a training batch at once: what the memory check allowed (minibatch discrimination
        # compares every pair of a batch, so the 1600 grid points in one pass once asked for 24 GB)
        chunk = max(1, int(self.cfg.optim.batch_size))
        self.D.eval()
        with torch.no_grad():
            # With packing, score each location as a pack of identical points.
            scores = torch.cat([self._run_D(self._d_input_plain(part), None).float() for part in grid.split(chunk)])
            heat = torch.sigmoid(scores) if self.objective.spec.logits else scores
        pts = self._generate(self.G.eval(), self._sample_z(n_arrows), None, None).detach()
        grads = []
        for part in pts.split(chunk):
            part = part.clone().requires_grad_(True)
            g_loss = self.objective.g_loss(self._run_D(self._d_input_plain(part), None))
            grads.append(torch.autograd.grad(g_loss * (len(part) / len(pts)), part)[0])  # the mean over all
        grad = torch.cat(grads)
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

    # --- evaluation ----------------------------------------------------------------------------------

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
        self.last_eval_step = self.step_count
        record = {"step": self.step_count, "wall_time": self.elapsed, "kind": "eval", **result}
        if self.writer is not None:
            self.writer.write(record)
        self._emit("eval", record)
        # A best metric that only the training steps log (g_loss) is judged by its latest logged value.
        self._maybe_save_best({**self.last_scalars, **result})
        return result

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
