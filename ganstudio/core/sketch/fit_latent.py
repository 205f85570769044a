"""iGAN-style editing of unconditional generators (Zhu et al. 2016): find z such that G(z) follows the
user's strokes. No Qt.

The user draws on a canvas of the generator's size: colour hints (an RGB layer and a mask) and lines.
`edit_latent` optimises a batch of latent vectors (many random starts at once) with Adam to lower

    colour_weight * masked L2 between G(z) and the hint colours (mean over hint pixels)
  + edge_weight   * edge loss: a differentiable edge map of G(z) (Sobel magnitude of the luminance,
                    squashed to [0, 1)) should be 1 on the drawn lines and 0 in the band around them
                    (the lines dilated by `line_band` pixels), so edges appear where lines were drawn
                    and not next to them; nothing is asked of the rest of the picture
  + pull_weight   * |z - z_prev|^2 / z_dim   (stay near the picture being edited, when there is one)
  + prior_weight  * (|z|^2 / z_dim - 1)^2    (stay where N(0, I) puts its mass: G was trained there)

and reports the best few results while it runs. It is a generator function: every `report_every`
steps it yields an `EditResult` (CPU numpy only), which a background JobWorker turns into progress
signals and where the job may be cancelled; its return value is the final EditResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generator

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.errors import ConfigError

_LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class EditSettings:
    n_starts: int = 16
    steps: int = 60
    lr: float = 0.05
    keep: int = 4  # best results reported
    colour_weight: float = 1.0
    edge_weight: float = 1.0
    pull_weight: float = 0.05
    prior_weight: float = 0.05
    line_band: int = 2  # pixels around the drawn lines where edges must be absent
    edge_softness: float = 0.1  # luminance step per pixel that counts as an edge of strength 1 - 1/e
    seed: int = 0
    report_every: int = 5

    def check(self) -> "EditSettings":
        for name in ("n_starts", "steps", "keep", "report_every"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"editing setting {name} must be 1 or more, not {getattr(self, name)}.")
        if not self.lr > 0:
            raise ConfigError(f"editing learning rate must be greater than zero, not {self.lr}.")
        return self


@dataclass
class EditTarget:
    """The strokes, at the generator's resolution: lines (H, W) 0/1, hint_rgb (H, W, 3) uint8, hint_mask (H, W) 0/1."""

    lines: np.ndarray
    hint_rgb: np.ndarray
    hint_mask: np.ndarray

    @property
    def empty(self) -> bool:
        return not (np.any(self.lines) or np.any(self.hint_mask))


@dataclass
class EditResult:
    """The best `keep` latents so far, best first, with their pictures and losses (CPU numpy)."""

    z: np.ndarray  # (k, z_dim) float32
    images: np.ndarray  # (k, H, W, 3) uint8
    losses: np.ndarray  # (k,) float32
    step: int
    steps: int
    history: list[float] = field(default_factory=list)  # best total loss so far, per step

    @property
    def best_loss(self) -> float:
        return float(self.losses[0])


class StrokeLoss:
    """The loss of pictures against one EditTarget; usable without a generator (tests, GUI readouts)."""

    def __init__(self, target: EditTarget, settings: EditSettings, device: torch.device | str = "cpu"):
        device = torch.device(device)
        lines = torch.from_numpy(np.asarray(target.lines) > 0).to(device)
        self.hint_mask = torch.from_numpy(np.asarray(target.hint_mask) > 0).to(device)
        rgb = np.asarray(target.hint_rgb, np.float32).transpose(2, 0, 1) / 127.5 - 1
        self.hint_rgb = torch.from_numpy(np.ascontiguousarray(rgb)).to(device)
        self.on_line = lines.float()
        band = _dilate(lines, settings.line_band)
        near = _dilate(lines, 1)  # the line and its direct neighbours: edges there are on target
        self.off_line = (band & ~near).float()
        self.n_hint = float(self.hint_mask.sum())
        self.n_line = float(self.on_line.sum())
        self.n_off = float(self.off_line.sum())
        self.settings = settings

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """images (N, C, H, W) in [-1, 1] (C = 1 or 3) -> per-image loss (N,), without the z terms."""
        s = self.settings
        loss = images.new_zeros(images.shape[0])
        if self.n_hint > 0 and s.colour_weight > 0:
            target = self.hint_rgb
            if images.shape[1] == 1:  # grey generators are compared with the hints' luminance
                target = (target * target.new_tensor(_LUMA).view(3, 1, 1)).sum(0, keepdim=True)
            err = ((images - target[None]) ** 2).mean(1)  # (N, H, W)
            loss = loss + s.colour_weight * (err * self.hint_mask).sum((1, 2)) / self.n_hint
        if self.n_line > 0 and s.edge_weight > 0:
            edges = edge_map(images, s.edge_softness)
            on = ((1 - edges) * self.on_line).sum((1, 2)) / self.n_line
            off = (edges * self.off_line).sum((1, 2)) / max(self.n_off, 1.0)
            loss = loss + s.edge_weight * (on + off)
        return loss


def edge_map(images: torch.Tensor, softness: float = 0.1) -> torch.Tensor:
    """Differentiable edge strength in [0, 1) of images (N, C, H, W) in [-1, 1]: 1 - exp(-|Sobel| / softness)
    of the luminance (C = 3) or the grey level (C = 1), the gradient taken per pixel of [0, 1] luminance."""
    if images.shape[1] == 3:
        lum = ((images + 1) / 2 * images.new_tensor(_LUMA).view(1, 3, 1, 1)).sum(1, keepdim=True)
    else:
        lum = (images[:, :1] + 1) / 2
    padded = F.pad(lum, (1, 1, 1, 1), mode="replicate")
    sobel_x = images.new_tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
    kernels = torch.stack([sobel_x, sobel_x.t()]).unsqueeze(1)
    g = F.conv2d(padded, kernels)
    magnitude = torch.sqrt((g * g).sum(1) + 1e-8)
    return 1 - torch.exp(-magnitude / softness)


def _dilate(mask: torch.Tensor, radius: int) -> torch.Tensor:
    if radius <= 0:
        return mask.clone()
    grown = F.max_pool2d(mask[None, None].float(), 2 * radius + 1, stride=1, padding=radius)
    return grown[0, 0] > 0


def latent_prior(z: torch.Tensor) -> torch.Tensor:
    """(|z|^2 / z_dim - 1)^2 per latent (N,): zero on the shell where N(0, I) puts its mass (G was trained
    there); the prior term of iGAN editing and of photo projection (`core.latent.projection`)."""
    return ((z**2).mean(1) - 1) ** 2


def starting_points(z_dim: int, settings: EditSettings, z_prev: np.ndarray | None) -> torch.Tensor:
    """n_starts latents: without z_prev all from N(0, I); with it, z_prev itself, then half near it,
    the rest fresh (the many random starts of iGAN, so a better basin can win)."""
    g = torch.Generator().manual_seed(int(settings.seed))
    z = torch.randn(settings.n_starts, z_dim, generator=g)
    if z_prev is not None:
        prev = torch.as_tensor(np.asarray(z_prev, np.float32)).reshape(1, z_dim)
        n_near = max(1, settings.n_starts // 2)
        z[:n_near] = prev + 0.5 * z[:n_near]
        z[0] = prev[0]
    return z


def edit_latent(
    G: torch.nn.Module,
    target: EditTarget,
    z_dim: int,
    z_prev: np.ndarray | None = None,
    settings: EditSettings | None = None,
    n_classes: int = 0,
    label: int = 0,
    device: torch.device | str = "cpu",
) -> Generator[EditResult, None, EditResult]:
    """Optimise latents so that G(z) follows the strokes; yields progress, returns the final result.

    G: an unconditional (or class-conditional, with `label`) generator, z (N, z_dim) -> (N, C, H, W).
    The generator's weights are not changed (gradients are taken with respect to z only).
    """
    from ganstudio.core.imaging import to_uint8

    settings = (settings or EditSettings()).check()
    device = torch.device(device)
    G.eval()
    loss_fn = StrokeLoss(target, settings, device)
    z = starting_points(z_dim, settings, z_prev).to(device).requires_grad_(True)
    prev = torch.as_tensor(np.asarray(z_prev, np.float32)).reshape(1, z_dim).to(device) if z_prev is not None else None
    y = torch.full((settings.n_starts,), int(label), dtype=torch.long, device=device) if n_classes else None
    opt = torch.optim.Adam([z], lr=settings.lr)
    history: list[float] = []
    keep = min(settings.keep, settings.n_starts)

    def total_loss(zz: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        images = G(zz, y) if y is not None else G(zz)
        loss = loss_fn(images)
        if prev is not None and settings.pull_weight > 0:
            loss = loss + settings.pull_weight * ((zz - prev) ** 2).mean(1)
        if settings.prior_weight > 0:
            loss = loss + settings.prior_weight * latent_prior(zz)
        return loss, images

    def snapshot(step: int) -> EditResult:
        order = torch.argsort(best_loss)[:keep]
        return EditResult(
            z=best_z[order].float().cpu().numpy().astype(np.float32),
            images=to_uint8(best_images[order]),
            losses=best_loss[order].float().cpu().numpy().astype(np.float32),
            step=step, steps=settings.steps, history=list(history),
        )

    # Adam wanders near a minimum: each start keeps the best point it has visited.
    best_loss = torch.full((settings.n_starts,), float("inf"), device=device)
    best_z = z.detach().clone()
    best_images: torch.Tensor | None = None
    result: EditResult | None = None
    for step in range(settings.steps + 1):
        loss, images = total_loss(z)
        with torch.no_grad():
            current = torch.nan_to_num(loss.detach(), nan=float("inf"))
            better = current < best_loss
            best_loss = torch.where(better, current, best_loss)
            best_z = torch.where(better[:, None], z.detach(), best_z)
            shown = images.detach()
            best_images = shown.clone() if best_images is None else torch.where(better[:, None, None, None], shown, best_images)
        history.append(float(best_loss.min()))
        if step == settings.steps or step % settings.report_every == 0:
            result = snapshot(step)
            if step < settings.steps:
                yield result
        if step == settings.steps or not bool(torch.isfinite(loss.detach()).any()):
            break
        (grad,) = torch.autograd.grad(loss.sum(), [z])
        opt.zero_grad(set_to_none=True)
        z.grad = grad
        opt.step()
    assert result is not None
    return result


def fit_latent(*args, **kwargs) -> EditResult:
    """edit_latent run to the end without progress reports."""
    gen = edit_latent(*args, **kwargs)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value
