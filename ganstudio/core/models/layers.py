"""Layers and checks shared by every network: normalisation, minibatch tricks, PacGAN packing.

The minibatch layers let a discriminator see statistics of the whole batch, which makes a collapsed
generator (every sample alike) easy to tell apart from real data:

- `MinibatchStdDev` (Karras et al. 2018, ProGAN/StyleGAN): one extra feature/channel holding the
  average standard deviation over a group of samples.
- `MinibatchDiscrimination` (Salimans et al. 2016): B extra features, each summing how close a
  sample is to the other samples of the batch under a learned projection.
- `pack_samples` (PacGAN, Lin et al. 2018): the discriminator judges m samples at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from ganstudio.core.errors import ModelError

NORM_KINDS = ("batch", "instance", "layer", "none")
ACTIVATIONS = ("relu", "leaky_relu", "elu")


def require_choice(value: str, choices: Iterable[str], what: str) -> str:
    """Return `value` if it is one of `choices`, else raise ModelError naming it."""
    choices = tuple(choices)
    if value not in choices:
        raise ModelError(f"{what} {value!r} is not one of {', '.join(map(repr, choices))}.")
    return value


def require_int(value: int, what: str, minimum: int = 1) -> int:
    """Return `value` if it is an int >= minimum, else raise ModelError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ModelError(f"{what} must be an integer >= {minimum}, got {value!r}.")
    return value


def make_norm(kind: str, channels: int, dims: int = 2) -> nn.Module:
    """A normalisation layer for `channels` features of a 1-D (N, C) or 2-D (N, C, H, W) tensor.

    - "batch": BatchNorm with affine weights and running statistics.
    - "instance": InstanceNorm2d without affine weights or running statistics, exactly as
      pytorch-CycleGAN-and-pix2pix builds it (so its state dicts hold no tensors for it).
    - "layer": normalises each sample over all its features; for images GroupNorm with one group
      (statistics over C, H, W, one affine weight per channel, works at any image size).
    - "none": nn.Identity, so that the layers around it keep their positions (and names).
    """
    require_choice(kind, NORM_KINDS, "norm")
    if dims not in (1, 2):
        raise ModelError(f"norm dims must be 1 or 2, got {dims!r}.")
    if kind == "batch":
        return nn.BatchNorm1d(channels) if dims == 1 else nn.BatchNorm2d(channels)
    if kind == "instance":
        if dims == 1:
            raise ModelError("norm 'instance' needs images; use 'layer' or 'batch' for vector models.")
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "layer":
        return nn.LayerNorm(channels) if dims == 1 else nn.GroupNorm(1, channels)
    return nn.Identity()


def make_activation(kind: str) -> nn.Module:
    """ReLU, LeakyReLU(0.2) (the usual discriminator slope) or ELU."""
    require_choice(kind, ACTIVATIONS, "activation")
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky_relu":
        return nn.LeakyReLU(0.2)
    return nn.ELU()


def pack_samples(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN packing: (N*m, D) -> (N, m*D) and (N*m, C, H, W) -> (N, m*C, H, W).

    Consecutive samples form one pack: pack i holds samples i*m ... i*m+m-1, concatenated along the
    feature axis (vectors) or the channel axis (images). Trainers call this on real and on fake
    batches before giving them to a discriminator built with `pack=m`; the discriminator itself
    expects packed input and says so when it receives unpacked samples.
    """
    require_int(m, "pack")
    if x.dim() < 2:
        raise ModelError(f"pack_samples needs a batch of vectors or images, got shape {tuple(x.shape)}.")
    if x.shape[0] % m != 0:
        raise ModelError(f"batch size {x.shape[0]} is not divisible by pack {m}.")
    return x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])


def _largest_divisor_at_most(n: int, limit: int) -> int:
    for g in range(min(n, limit), 0, -1):
        if n % g == 0:
            return g
    return 1


class MinibatchStdDev(nn.Module):
    """Append the average standard deviation over a group of samples as extra features/channels.

    Samples are split into groups of `group_size` (ProGAN/StyleGAN: sample i belongs to group
    i mod (N / group_size)); for each group the standard deviation of every feature over the group is
    averaged into `num_channels` numbers, which are appended to every sample of the group:
    (N, C, H, W) -> (N, C + num_channels, H, W), (N, F) -> (N, F + num_channels). When N is not a
    multiple of group_size the largest group size below it that divides N is used, so odd last
    batches still work.
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        self.group_size = require_int(group_size, "minibatch stddev group size")
        self.num_channels = require_int(num_channels, "minibatch stddev channels")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[0], x.shape[1]
        if c % self.num_channels != 0:
            raise ModelError(f"minibatch stddev channels {self.num_channels} do not divide {c} features.")
        spatial = x.shape[2:]
        g = _largest_divisor_at_most(n, self.group_size)
        y = x.reshape(g, n // g, self.num_channels, c // self.num_channels, *spatial)
        y = y - y.mean(dim=0)
        std = torch.sqrt(y.square().mean(dim=0) + 1e-8)  # (N/g, F, C/F, *spatial)
        std = std.flatten(2).mean(dim=2)  # (N/g, F)
        std = std.reshape(n // g, self.num_channels, *([1] * len(spatial)))
        std = std.repeat(g, 1, *spatial)  # back to N rows in the same order as x
        return torch.cat([x, std], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016) minibatch discrimination: (N, A) -> (N, A + B).

    A learned tensor T (A, B, C) maps each sample's features f to B rows M (B, C). For every kernel
    b, c_b(i, j) = exp(-||M_i,b - M_j,b||_1) and o(i)_b = sum over j != i of c_b(i, j); o is
    concatenated to f. Memory grows with N^2 * B * C, fine for GAN batch sizes.
    """

    def __init__(self, in_features: int, num_kernels: int, kernel_dim: int = 8) -> None:
        super().__init__()
        self.in_features = require_int(in_features, "minibatch discrimination input features")
        self.num_kernels = require_int(num_kernels, "minibatch_disc (number of kernels)")
        self.kernel_dim = require_int(kernel_dim, "minibatch discrimination kernel dim")
        # Small init keeps the L1 distances O(1) at the start, so exp(-dist) is not all zeros.
        self.T = nn.Parameter(torch.randn(in_features, num_kernels, kernel_dim) / math.sqrt(in_features))

    def closeness(self, x: torch.Tensor) -> torch.Tensor:
        """o(x): (N, A) -> (N, B), without the input features."""
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ModelError(
                f"minibatch discrimination expects (N, {self.in_features}) features, got {tuple(x.shape)}."
            )
        m = (x @ self.T.flatten(1)).reshape(-1, self.num_kernels, self.kernel_dim)  # (N, B, C)
        dist = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(dim=3)  # (N, N, B)
        return torch.exp(-dist).sum(dim=0) - 1.0  # exp(-0) = 1 is the sample itself

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.closeness(x)], dim=1)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, num_kernels={self.num_kernels}, kernel_dim={self.kernel_dim}"


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN paper init, in place: conv/linear/embedding weights ~ N(0, 0.02), biases 0,
    batch-norm weights ~ N(1, 0.02), biases 0. pix2pix's 'normal' init is the same rule."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.affine:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def require_labels(y: torch.Tensor | None, batch: int, n_classes: int, model: str) -> torch.Tensor | None:
    """Check class labels for a model with `n_classes` classes (0 = unconditional); return them."""
    if n_classes == 0:
        if y is not None:
            raise ModelError(f"the {model} is unconditional (n_classes=0) and takes no class labels y.")
        return None
    if y is None:
        raise ModelError(f"the {model} is class-conditional (n_classes={n_classes}) and needs labels y.")
    if y.shape != (batch,) or y.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise ModelError(f"the {model} expects labels y as integers of shape ({batch},), got {y.dtype} {tuple(y.shape)}.")
    # The range check reads values back, so it runs on CPU only: on a GPU it would stall every step.
    if batch and y.device.type == "cpu" and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise ModelError(f"the {model} has {n_classes} classes, got labels from {int(y.min())} to {int(y.max())}.")
    return y.long()


_SPECTRAL_NORM_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
                         nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def apply_spectral_norm(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) of every Linear / Conv / ConvTranspose weight.

    Each weight is divided by an estimate of its largest singular value, refined by
    `n_power_iterations` power iterations per training forward pass. Normalisation layers are left
    alone (their weights are per-channel scales, not linear maps to normalise) and so are embeddings
    (their inputs are discrete labels, so their norm does not bound a Lipschitz constant). Layers
    that already carry a parametrization of their weight are skipped, so calling this twice is
    harmless. Modifies `module` in place and returns it.
    """
    for layer in list(module.modules()):
        if isinstance(layer, _SPECTRAL_NORM_LAYERS) and not parametrize.is_parametrized(layer, "weight"):
            spectral_norm(layer, n_power_iterations=n_power_iterations)
    return module


def latent_with_labels(z: torch.Tensor, y: torch.Tensor | None, z_dim: int, n_classes: int, model: str) -> torch.Tensor:
    """The (N, z_dim + n_classes, 1, 1) input of a transposed-convolution generator: z given as (N, z_dim) or
    (N, z_dim, 1, 1), checked, with one-hot labels concatenated after it (as DCGAN-style conditional models do)."""
    if z.dim() == 4 and z.shape[2:] == (1, 1):
        z = z.flatten(1)
    if z.dim() != 2 or z.shape[1] != z_dim:
        raise ModelError(f"the {model} expects z of shape (N, {z_dim}) or (N, {z_dim}, 1, 1), got {tuple(z.shape)}.")
    y = require_labels(y, z.shape[0], n_classes, model)
    if y is not None:
        one_hot = torch.zeros(z.shape[0], n_classes, dtype=z.dtype, device=z.device)
        z = torch.cat([z, one_hot.scatter_(1, y.unsqueeze(1), 1.0)], dim=1)
    return z[:, :, None, None]
