"""Projecting a picture into a generator's latent space ("edit your own photo"). No Qt.

Find the latent whose picture looks most like a given photo, so that directions, mixing and interpolation
can then edit it. As the StyleGAN2-ADA projector (Karras et al. 2020, projector.py) and iGAN (Zhu et al.
2016) do, Adam optimises the latent against a reconstruction loss:

- StyleGAN (the handle's `is_stylegan`): in W, one w broadcast to every layer, starting from w_avg (or, with
  `wplus`, one w per layer: W+, closer fits that edit less cleanly); with `w_starts` > 1 the other starts are
  mapped random z truncated halfway to w_avg, optimised in the same batch, and the best one is kept (each
  start costs a whole synthesis pass per step, so one is the default on a CPU). During the first `noise_ramp` of the
  steps Gaussian noise of `w_noise` * std(w) (shrinking quadratically to zero) is added to w, and the
  learning rate ramps up over the first `lr_rampup` and down (cosine) over the last `lr_rampdown` of the
  steps, as NVlabs' projector does. The noise inputs are NOT optimised: they stay the model's constant
  buffers (noise_mode 'const'), so a bookmark of the ws alone renders the projected picture again and no
  noise regularisation is needed.
- other latent generators (DCGAN-style): in z, `n_starts` seeded starts from N(0, I) at once, with the prior
  term `prior_weight * (|z|^2 / z_dim - 1)^2` (`sketch.fit_latent.latent_prior`, shared with iGAN editing)
  keeping z where the generator was trained; the best start wins.

The loss of a picture x against the target t (both in [-1, 1]) is

    pixel_weight * mean (x - t)^2
  + gradient_weight * sum over scales s = 1, 1/2, 1/4, ... of mean |D(x_s) - D(t_s)|

where x_s is x average-pooled by 2^k and D the horizontal and vertical finite differences: an edge-and-texture
term at several scales that needs no weights. The projector's LPIPS on VGG16 features (and the model's own
discriminator features) would match perceptually better, but no perceptual network can be downloaded here,
and GAN Studio's model files carry no discriminator for most formats.

`projection_job` is a generator function: every `report_every` steps it yields a `ProjectionResult` (CPU numpy
only: the picture as optimised so far, the loss), which a background JobWorker turns into progress signals and
where the job may be cancelled; its return value is the final result, whose picture is rendered by the
handle's ordinary render path from exactly the latent (and ws) a bookmark stores. `project` runs it to the end
with an optional progress callback and cancel test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from typing import Generator as PyGenerator

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.errors import ConfigError, DataError, GanStudioError
from ganstudio.core.generators.style_edit import StyleEdit

MAX_STEPS = 5000  # Adam steps a projection may ask for (NVlabs' projector runs 1000)
MAX_STARTS = 64
MAX_PICTURE_BYTES = 64 << 20  # photo files larger than this are refused before decoding
MAX_PICTURE_PIXELS = 40_000_000  # 40 megapixels: more than any camera photo a user would project
W_STD_SAMPLES = 2000  # z drawn to estimate the spread of w (NVlabs: 10000)


@dataclass(frozen=True)
class ProjectSettings:
    steps: int = 200  # Adam steps
    seed: int = 0  # the starts (z), the w noise
    wplus: bool = False  # StyleGAN: one w per layer (W+) instead of one w for all
    label: int = 0  # the class, for class-conditional models
    lr: float = 0.1  # Adam's learning rate (peak, for StyleGAN)
    n_starts: int = 4  # DCGAN-style: starts optimised at once, the best kept
    w_starts: int = 1  # StyleGAN: starts optimised at once (w_avg, then truncated mapped z), the best kept
    pixel_weight: float = 1.0
    gradient_weight: float = 1.0  # multi-scale finite-difference L1
    scales: int = 3  # 1, 1/2, 1/4 of the picture
    prior_weight: float = 0.01  # DCGAN-style: (|z|^2 / z_dim - 1)^2
    w_noise: float = 0.05  # StyleGAN: w noise at the start, times std(w)
    noise_ramp: float = 0.75  # ...shrinking to zero over this fraction of the steps
    lr_rampup: float = 0.05
    lr_rampdown: float = 0.25
    report_every: int = 10

    def check(self) -> "ProjectSettings":
        if not (isinstance(self.steps, int) and 1 <= self.steps <= MAX_STEPS):
            raise ConfigError(f"projection steps must be a whole number from 1 to {MAX_STEPS}, not {self.steps}.")
        if not (isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1):
            raise ConfigError(f"the projection seed must be a whole number from 0 to {2**31 - 1}, not {self.seed}.")
        for starts in (self.n_starts, self.w_starts):
            if not (isinstance(starts, int) and 1 <= starts <= MAX_STARTS):
                raise ConfigError(f"projection starts must be from 1 to {MAX_STARTS}, not {starts}.")
        if not (isinstance(self.label, int) and self.label >= 0):  # the model's class count is checked when it opens
            raise ConfigError(f"the class must be a whole number from 0, not {self.label}.")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"the projection learning rate must be greater than zero, not {self.lr}.")
        if not 1 <= int(self.scales) <= 8 or int(self.report_every) < 1:
            raise ConfigError("projection scales must be 1 to 8 and report_every 1 or more.")
        return self


@dataclass
class ProjectionResult:
    """The latent found so far (CPU numpy): z (z_dim,) (for StyleGAN unused by the picture: `style` holds the
    ws), the picture uint8 (H, W, 3), its loss and the loss of the starting point."""

    z: np.ndarray
    picture: np.ndarray
    loss: float
    start_loss: float
    step: int
    steps: int
    label: int | None = None  # the class (conditional models), else None
    style: StyleEdit | None = None  # StyleGAN: StyleEdit(ws=...) renders the projection
    wplus: bool = False
    history: list[float] = field(default_factory=list)  # loss per step (best so far)
    stopped: bool = False  # cancelled before the last step


# --- the picture -----------------------------------------------------------------------------------------

def load_target(path: str | Path, image_size: int, channels: int = 3) -> torch.Tensor:
    """A photo as the generator's target: float32 (1, channels, size, size) in [-1, 1], centre-cropped to a
    square and resized; DataError (one sentence naming the file) when missing, unreadable or too large."""
    from ganstudio.core.data.images import UnreadableImage, array_to_tensor, read_image

    path = Path(path)
    if not path.is_file():
        raise DataError(f"Picture file {path} does not exist.")
    size = path.stat().st_size
    if size > MAX_PICTURE_BYTES:
        raise DataError(f"Picture file {path} is {size / 2**20:.0f} MiB; photos to project may be at most "
                        f"{MAX_PICTURE_BYTES >> 20} MiB.")
    try:
        array = read_image(path, int(image_size), int(channels), max_pixels=MAX_PICTURE_PIXELS)
    except UnreadableImage as reason:
        raise DataError(f"Picture file {path} cannot be projected: {reason}.") from None
    return array_to_tensor(array)[None]


def target_from_pixels(pixels: np.ndarray, channels: int = 3) -> torch.Tensor:
    """uint8 (H, W, 3) (e.g. a rendered picture) as a target (1, channels, H, W) in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(pixels, np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    if channels == 1:
        x = x.mean(1, keepdim=True)
    return x


# --- the loss --------------------------------------------------------------------------------------------

def reconstruction_loss(x: torch.Tensor, target: torch.Tensor, settings: ProjectSettings) -> torch.Tensor:
    """Per picture (N,): pixel MSE plus multi-scale finite-difference L1 (see the module text)."""
    loss = settings.pixel_weight * ((x - target) ** 2).mean((1, 2, 3))
    if settings.gradient_weight > 0:
        xs, ts = x, target
        for k in range(int(settings.scales)):
            if k:
                if min(xs.shape[-2:]) < 4:
                    break
                xs, ts = F.avg_pool2d(xs, 2), F.avg_pool2d(ts, 2)
            for dim in (-1, -2):
                dx, dt = torch.diff(xs, dim=dim), torch.diff(ts, dim=dim)
                loss = loss + settings.gradient_weight * (dx - dt).abs().mean((1, 2, 3))
    return loss


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two uint8 pictures (inf when equal)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(255.0**2 / mse)


# --- the job ---------------------------------------------------------------------------------------------

def projection_job(gen, target: torch.Tensor, settings: ProjectSettings | None = None
                   ) -> PyGenerator[ProjectionResult, None, ProjectionResult]:
    """Optimise a latent of `gen` (a `generators.handle.Generator` of pictures) so that its picture matches
    `target` (1, C, H, W) in [-1, 1] at the generator's size; yields progress, returns the final result."""
    from ganstudio.core.generators.handle import INPUT_LATENT

    settings = (settings or ProjectSettings()).check()
    if gen.input_kind != INPUT_LATENT:
        raise GanStudioError(f"{gen.name} does not draw pictures from a latent; only such models take a photo to project.")
    want = (gen.channels, gen.image_size, gen.image_size)
    if tuple(target.shape[1:]) != want or target.shape[0] != 1:
        raise GanStudioError(f"the picture to project is {tuple(target.shape[1:])}; {gen.name} draws {want}.")
    label = None
    if gen.n_classes:
        if not 0 <= int(settings.label) < gen.n_classes:
            raise GanStudioError(f"{gen.name} has classes 0 to {gen.n_classes - 1}, not {settings.label}.")
        label = int(settings.label)
    if gen.is_stylegan:
        return (yield from _project_w(gen, target, settings, label))
    return (yield from _project_z(gen, target, settings, label))


def _lr_at(settings: ProjectSettings, t: float) -> float:
    """NVlabs' projector schedule: linear ramp up, cosine ramp down."""
    ramp = min(1.0, (1.0 - t) / settings.lr_rampdown) if settings.lr_rampdown > 0 else 1.0
    ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
    if settings.lr_rampup > 0:
        ramp *= min(1.0, t / settings.lr_rampup)
    return settings.lr * ramp


def _project_w(gen, target, settings: ProjectSettings, label):
    from ganstudio.core.imaging import to_uint8

    net = gen.module  # models.stylegan2.LabelledStyleGAN2 (StyleGAN2 or 3)
    device = gen.device
    target = target.to(device)
    g = torch.Generator().manual_seed(settings.seed)
    num_ws, w_dim = int(gen.info["num_ws"]), int(gen.info["w_dim"])
    y = None if label is None else torch.tensor([label])
    with gen._lock, torch.no_grad():  # the handle's lock: the renderer uses the same module
        net.eval()
        z = torch.randn(W_STD_SAMPLES, gen.z_dim, generator=g).to(device)
        c = net.one_hot(None if y is None else y.expand(W_STD_SAMPLES), W_STD_SAMPLES, device)
        w_samples = net.G.mapping(z, c)[:, 0].float()  # (S, w_dim)
        w_avg = net.G.mapping.w_avg.float() if net.can_truncate and label is None else w_samples.mean(0)
        w_std = float(((w_samples - w_avg) ** 2).sum(1).mean().sqrt())
    rows = num_ws if settings.wplus else 1
    n = int(settings.w_starts)
    starts = w_avg.reshape(1, w_dim).repeat(n, 1)
    if n > 1:  # w_avg first, then mapped random z of the same class halfway toward it (psi 0.5)
        starts[1:] = w_avg + 0.5 * (w_samples[: n - 1] - w_avg)
    w = starts.reshape(n, 1, w_dim).repeat(1, rows, 1).clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=settings.lr, betas=(0.9, 0.999))

    def synth(ww: torch.Tensor) -> torch.Tensor:
        return net.G.synthesis(ww.expand(n, num_ws, w_dim), noise_mode="const").float()

    best_loss = torch.full((n,), float("inf"), device=device)
    best_w = w.detach().clone()
    start_loss = float("nan")
    history: list[float] = []
    shown = None
    stopped = True
    for step in range(settings.steps + 1):
        t = step / settings.steps
        noise_scale = w_std * settings.w_noise * max(0.0, 1.0 - t / settings.noise_ramp) ** 2 if settings.noise_ramp > 0 else 0.0
        noise = torch.randn(w.shape, generator=g).to(device) * noise_scale
        with gen._lock:
            last = step == settings.steps
            if last:
                with torch.no_grad():
                    x = synth(w)
            else:
                x = synth(w + noise)
            loss = reconstruction_loss(x, target, settings)  # (n,): one per start
            with torch.no_grad():
                current = torch.nan_to_num(loss.detach(), nan=float("inf"))
                if step == 0:
                    start_loss = float(current.min())
                # the noiseless loss of the current w is known only at the end; the best noisy step is a good proxy
                better = current < best_loss
                best_loss = torch.where(better, current, best_loss)
                best_w = torch.where(better[:, None, None], w.detach(), best_w)
            history.append(float(best_loss.min()))
            i = int(torch.argmin(best_loss))
            shown = x.detach()[i:i + 1]
            if not last:
                for group in opt.param_groups:
                    group["lr"] = _lr_at(settings, t)
                (grad,) = torch.autograd.grad(loss.sum(), [w])  # the starts are independent: one sum, n gradients
                opt.zero_grad(set_to_none=True)
                w.grad = grad
                opt.step()
        if last:
            stopped = False
            break
        if step % settings.report_every == 0:
            best_ws = best_w[i].expand(num_ws, w_dim).cpu().numpy().astype(np.float32)
            yield ProjectionResult(z=np.zeros(gen.z_dim, np.float32), picture=to_uint8(shown)[0], loss=float(current[i]),
                                   start_loss=start_loss, step=step, steps=settings.steps, label=label,
                                   style=StyleEdit(ws=best_ws), wplus=settings.wplus, history=list(history))
    # the final w of each start (noise has ramped to zero, the lr down) against the best it visited
    final = torch.nan_to_num(loss.detach(), nan=float("inf"))
    keep_final = final <= best_loss
    chosen_loss = torch.where(keep_final, final, best_loss)
    chosen_w = torch.where(keep_final[:, None, None], w.detach(), best_w)
    i = int(torch.argmin(chosen_loss))
    ws = chosen_w[i].expand(num_ws, w_dim).cpu().numpy().astype(np.float32)
    return _final(gen, np.zeros(gen.z_dim, np.float32), label, StyleEdit(ws=ws), target, settings, start_loss,
                  history, stopped)


def _project_z(gen, target, settings: ProjectSettings, label):
    from ganstudio.core.imaging import to_uint8
    from ganstudio.core.sketch.fit_latent import latent_prior

    net = gen.module
    device = gen.device
    target = target.to(device)
    g = torch.Generator().manual_seed(settings.seed)
    n = int(settings.n_starts)
    z = torch.randn(n, gen.z_dim, generator=g).to(device).requires_grad_(True)
    y = None if label is None else torch.full((n,), label, dtype=torch.long, device=device)
    opt = torch.optim.Adam([z], lr=settings.lr)
    best_loss = torch.full((n,), float("inf"), device=device)
    best_z = z.detach().clone()
    start_loss = float("nan")
    history: list[float] = []
    for step in range(settings.steps + 1):
        with gen._lock:  # the handle's lock: the renderer uses the same module
            net.eval()
            x = (net(z, y) if y is not None else net(z)).float()
            rec = reconstruction_loss(x, target, settings)
            loss = rec + settings.prior_weight * latent_prior(z)
            with torch.no_grad():
                current = torch.nan_to_num(loss.detach(), nan=float("inf"))
                better = current < best_loss
                best_loss = torch.where(better, current, best_loss)
                best_z = torch.where(better[:, None], z.detach(), best_z)
            if step == 0:
                start_loss = float(current.min())
            history.append(float(best_loss.min()))
            if step < settings.steps:
                (grad,) = torch.autograd.grad(loss.sum(), [z])
                opt.zero_grad(set_to_none=True)
                z.grad = grad
                opt.step()
        if step == settings.steps:
            break
        if step % settings.report_every == 0:
            i = int(torch.argmin(best_loss))
            yield ProjectionResult(z=best_z[i].cpu().numpy().astype(np.float32), picture=to_uint8(x.detach()[i:i + 1])[0],
                                   loss=float(best_loss[i]), start_loss=start_loss, step=step, steps=settings.steps,
                                   label=label, history=list(history))
    i = int(torch.argmin(best_loss))
    return _final(gen, best_z[i].cpu().numpy().astype(np.float32), label, None, target, settings, start_loss,
                  history, False)


def _final(gen, z: np.ndarray, label, style: StyleEdit | None, target, settings, start_loss, history, stopped,
           step: int | None = None):
    """The result as a bookmark renders it: through the handle's render path, from exactly the stored numbers."""
    labels = None if label is None else [label]
    out = gen.generate(z[None], labels, style=style)
    with torch.no_grad():
        loss = float(reconstruction_loss(out.to(target.device), target, settings)[0])
    from ganstudio.core.imaging import to_uint8

    return ProjectionResult(z=z, picture=to_uint8(out)[0], loss=loss, start_loss=start_loss,
                            step=settings.steps if step is None else step,
                            steps=settings.steps, label=label, style=style, wplus=settings.wplus,
                            history=list(history), stopped=stopped)


def project(gen, target: torch.Tensor, settings: ProjectSettings | None = None,
            progress: Callable[[ProjectionResult], None] | None = None,
            cancelled: Callable[[], bool] | None = None) -> ProjectionResult:
    """`projection_job` run to the end (or until `cancelled()` says so: then the best result so far, with
    `stopped` set); `progress(result)` at every report."""
    settings = (settings or ProjectSettings()).check()
    job = projection_job(gen, target, settings)
    latest = None
    while True:
        try:
            latest = next(job)
        except StopIteration as done:
            return done.value
        if progress is not None:
            progress(latest)
        if cancelled is not None and cancelled():
            job.close()
            return finish_stopped(gen, latest, target, settings)


def finish_stopped(gen, latest: ProjectionResult, target: torch.Tensor, settings: ProjectSettings) -> ProjectionResult:
    """A projection stopped early, as a result a bookmark renders: its best latent so far, rendered."""
    return _final(gen, latest.z, latest.label, latest.style, target.to(gen.device), settings, latest.start_loss,
                  latest.history, True, latest.step)


def projection_bookmark(gen, result: ProjectionResult, picture_path: str | Path | None = None):
    """A `latent.bookmarks.Bookmark` that `ganstudio sample MODEL --latent` renders to `result.picture`."""
    from ganstudio.core.latent.bookmarks import Bookmark

    meta = {"made_by": "projection", "steps": result.steps, "loss": result.loss, "start_loss": result.start_loss,
            "space": ("W+" if result.wplus else "W") if result.style is not None else "z"}
    if picture_path is not None:
        meta["picture"] = str(picture_path)
    return Bookmark(latents=result.z[None], model=gen.model_id(),
                    labels=None if result.label is None else [int(result.label)],
                    note=f"projection of {Path(picture_path).name}" if picture_path else "projection",
                    metadata=meta, style=result.style)
