"""Fully connected generator and discriminator for the 2-D toy distributions.

The generator's output is linear (no tanh): toy points are not confined to [-1, 1].
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import (
    MinibatchDiscrimination,
    MinibatchStdDev,
    make_activation,
    make_norm,
    require_choice,
    require_int,
)

_MLP_NORMS = ("none", "batch", "layer")


def _hidden_stack(in_dim: int, hidden: int, depth: int, activation: str, norm: str) -> nn.Sequential:
    """`depth` blocks of Linear -> [norm] -> activation."""
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden))
        if norm != "none":
            layers.append(make_norm(norm, hidden, dims=1))
        layers.append(make_activation(activation))
        width = hidden
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (N, z_dim) -> points (N, out_dim) through `depth` hidden layers of width `hidden`."""

    def __init__(
        self,
        z_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        out_dim: int = 2,
        activation: str = "relu",
        norm: str = "none",
    ) -> None:
        super().__init__()
        self.z_dim = require_int(z_dim, "z_dim")
        self.out_dim = require_int(out_dim, "out_dim")
        require_int(hidden, "hidden")
        require_int(depth, "depth")
        require_choice(norm, _MLP_NORMS, "MLP norm")
        self.body = _hidden_stack(z_dim, hidden, depth, activation, norm)
        self.out = nn.Linear(hidden, out_dim)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.z_dim,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.out_dim,)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            raise ModelError("the mlp generator is unconditional and takes no class labels y.")
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ModelError(f"the mlp generator expects z of shape (N, {self.z_dim}), got {tuple(z.shape)}.")
        return self.out(self.body(z))


class MLPDiscriminator(nn.Module):
    """Points (N, pack*in_dim) -> logits (N,).

    `pack=m` (PacGAN): the input is m samples side by side, made by `pack_samples(x, m)`.
    `minibatch_stddev` / `minibatch_disc=B` append 1 / B batch-statistic features to the last hidden
    layer before the output layer. With `return_features=True` forward returns (logits, features),
    features being the last hidden layer (N, hidden) before those batch statistics.
    """

    def __init__(
        self,
        in_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        pack: int = 1,
        minibatch_stddev: bool = False,
        minibatch_disc: int = 0,
        activation: str = "leaky_relu",
        norm: str = "none",
        mbstd_group_size: int = 4,
        mbd_kernel_dim: int = 8,
    ) -> None:
        super().__init__()
        self.in_dim = require_int(in_dim, "in_dim")
        self.pack = require_int(pack, "pack")
        require_int(hidden, "hidden")
        require_int(depth, "depth")
        require_int(minibatch_disc, "minibatch_disc", minimum=0)
        require_choice(norm, _MLP_NORMS, "MLP norm")
        self.body = _hidden_stack(in_dim * pack, hidden, depth, activation, norm)
        width = hidden
        self.mbd = MinibatchDiscrimination(hidden, minibatch_disc, mbd_kernel_dim) if minibatch_disc else None
        if self.mbd is not None:
            width += minibatch_disc
        self.mbstd = MinibatchStdDev(mbstd_group_size) if minibatch_stddev else None
        if self.mbstd is not None:
            width += self.mbstd.num_channels
        self.head = nn.Linear(width, 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.in_dim * self.pack,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return ()

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if y is not None:
            raise ModelError("the mlp discriminator is unconditional and takes no class labels y.")
        expected = self.in_dim * self.pack
        if x.dim() != 2 or x.shape[1] != expected:
            hint = f" (call pack_samples(x, {self.pack}) first)" if self.pack > 1 else ""
            raise ModelError(f"the mlp discriminator expects input (N, {expected}), got {tuple(x.shape)}{hint}.")
        features = self.body(x)
        h = features
        if self.mbd is not None:  # first, so that it sees exactly the hidden features
            h = self.mbd(h)
        if self.mbstd is not None:
            h = self.mbstd(h)
        logits = self.head(h).squeeze(1)
        return (logits, features) if return_features else logits
