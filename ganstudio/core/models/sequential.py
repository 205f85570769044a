"""DCGAN-style generators kept in one nn.Sequential, rebuilt from a layout read off their tensors.

Users' DCGANs follow the recipe of the DCGAN paper and the PyTorch tutorial family (pytorch/examples
dcgan, the PyTorch DCGAN tutorial and the many programs copied from them) without always keeping its exact
module indices: a Dropout between blocks, one more or one fewer block, labels concatenated to z. The
state dict names every layer that has tensors by its index (`main.3.weight`), so the indices between them
are the parameter-free layers. `SequentialConvGenerator` puts modules at exactly those indices, so the
state dict loads with strict names, from a plain-data layout (one entry per index):

    ("convt", in, out, kernel, stride, padding, bias)   ConvTranspose2d
    ("bn", features, affine, track_running_stats)      BatchNorm2d
    ("relu",) ("tanh",) ("identity",)                  parameter-free layers

The layout is inferred by `models.importers`; this file only builds and runs it.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import latent_with_labels, require_int

LAYER_KINDS = ("convt", "bn", "relu", "tanh", "identity")
MAX_LAYERS = 256
_NAME_PART = re.compile(r"^[A-Za-z0-9_]{1,64}$")  # attribute names, or indices of an outer Sequential


def _build_layer(spec: list | tuple) -> nn.Module:
    kind = spec[0] if spec else None
    if kind == "convt":
        _, c_in, c_out, kernel, stride, padding, bias = spec
        return nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=bool(bias))
    if kind == "bn":
        _, features, affine, track = spec
        return nn.BatchNorm2d(features, affine=bool(affine), track_running_stats=bool(track))
    if kind == "relu":
        return nn.ReLU()
    if kind == "tanh":
        return nn.Tanh()
    if kind == "identity":  # Dropout and the like: no effect in eval mode, the only mode imports run in
        return nn.Identity()
    raise ModelError(f"layer kind {kind!r} is not one of {', '.join(LAYER_KINDS)}.")


def check_prefix(prefix: str) -> tuple[str, ...]:
    """The module path of the Sequential ("main", "generator.main" or "" for a bare Sequential), as names
    that can be attributes of a module."""
    parts = tuple(prefix.split(".")) if prefix else ()
    probe = nn.Module()
    for part in parts:
        if not _NAME_PART.match(part) or hasattr(probe, part):
            raise ModelError(f"module name {part!r} cannot be rebuilt (it is not a plain attribute name).")
    return parts


class SequentialConvGenerator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) [+ labels y (N,)] -> images (N, nc, S, S) in [-1, 1].

    `layers` is the layout above, index by index; `prefix` the attribute path of the Sequential in the
    saved model ("main" for pytorch/examples, "" when the Sequential itself was saved). With
    n_classes = K a one-hot code of y is concatenated after z, so the first layer takes z_dim + K channels
    (the conditional DCGAN of Mirza & Osindero, as GAN Studio's own DCGANGenerator does).
    """

    def __init__(self, layers: list, z_dim: int, n_classes: int = 0, prefix: str = "main") -> None:
        super().__init__()
        self.z_dim = require_int(z_dim, "z_dim")
        self.n_classes = require_int(n_classes, "n_classes", minimum=0)
        if not 1 <= len(layers) <= MAX_LAYERS:
            raise ModelError(f"a sequential generator has 1 to {MAX_LAYERS} layers, not {len(layers)}.")
        self.layers_spec = [list(spec) for spec in layers]
        self._path = check_prefix(prefix)
        modules = [_build_layer(spec) for spec in layers]
        convs = [m for m in modules if isinstance(m, nn.ConvTranspose2d)]
        if not convs or convs[0].in_channels != self.z_dim + self.n_classes:
            raise ModelError(f"the first transposed convolution must take z_dim + n_classes = "
                             f"{self.z_dim + self.n_classes} channels.")
        self.nc = convs[-1].out_channels
        size = 1
        for conv in convs:
            size = (size - 1) * conv.stride[0] - 2 * conv.padding[0] + conv.kernel_size[0]
        self.image_size = size
        if not self._path:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)
            return
        holder: nn.Module = self
        for part in self._path[:-1]:
            holder.add_module(part, nn.Module())
            holder = getattr(holder, part)
        holder.add_module(self._path[-1], nn.Sequential(*modules))

    def body_layers(self) -> list[nn.Module]:
        """The layers in index order (the Sequential's, or this module's own for a bare Sequential)."""
        holder = self.get_submodule(".".join(self._path)) if self._path else self
        return list(holder.children())

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.z_dim,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.nc, self.image_size, self.image_size)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = latent_with_labels(z, y, self.z_dim, self.n_classes, "DCGAN-style generator")
        for layer in self.body_layers():
            x = layer(x)
        return x
