"""Build networks by name, and describe them for `ganstudio info`.

Generators: mlp, dcgan, unet (+ shorthands unet_128, unet_256, unet_small).
Discriminators: mlp, dcgan, patchgan (= n_layers, default 3 layers), basic (pix2pix's name: always
3 layers, 70x70 patches), n_layers, pixel.
Keyword arguments go to the constructor; a keyword the model does not take raises ModelError.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganstudio.core.models.mlp import MLPDiscriminator, MLPGenerator
from ganstudio.core.models.patchgan import NLayerDiscriminator, PixelDiscriminator
from ganstudio.core.models.unet import UnetGenerator, unet_128, unet_256, unet_small


def _basic_patchgan(
    input_nc: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch", pack: int = 1
) -> NLayerDiscriminator:
    # n_layers is accepted so that callers can pass one set of keywords to every PatchGAN name
    if n_layers != 3:
        raise ModelError(f"the basic discriminator always has n_layers 3, got {n_layers!r}; use 'n_layers' instead.")
    return NLayerDiscriminator(input_nc, ndf, n_layers=3, norm=norm, pack=pack)


_GENERATORS: dict[str, Callable[..., nn.Module]] = {
    "mlp": MLPGenerator,
    "dcgan": DCGANGenerator,
    "unet": UnetGenerator,
    "unet_128": unet_128,
    "unet_256": unet_256,
    "unet_small": unet_small,
}
_DISCRIMINATORS: dict[str, Callable[..., nn.Module]] = {
    "mlp": MLPDiscriminator,
    "dcgan": DCGANDiscriminator,
    "patchgan": NLayerDiscriminator,
    "basic": _basic_patchgan,
    "n_layers": NLayerDiscriminator,
    "pixel": PixelDiscriminator,
}

GENERATOR_NAMES: tuple[str, ...] = tuple(_GENERATORS)
DISCRIMINATOR_NAMES: tuple[str, ...] = tuple(_DISCRIMINATORS)


@functools.cache
def _parameter_names(factory: Callable[..., nn.Module]) -> tuple[frozenset[str], frozenset[str]]:
    """(all keyword names, required keyword names) of a constructor."""
    params = inspect.signature(factory).parameters.values()
    names = frozenset(p.name for p in params)
    required = frozenset(p.name for p in params if p.default is inspect.Parameter.empty)
    return names, required


def _build(kind: str, table: dict[str, Callable[..., nn.Module]], name: str, kwargs: dict[str, Any]) -> nn.Module:
    if name not in table:
        raise ModelError(f"unknown {kind} {name!r}; known {kind}s: {', '.join(table)}.")
    factory = table[name]
    names, required = _parameter_names(factory)
    unexpected = sorted(set(kwargs) - names)
    if unexpected:
        raise ModelError(
            f"the {name} {kind} does not take {', '.join(map(repr, unexpected))}; "
            f"it takes {', '.join(sorted(names))}."
        )
    missing = sorted(required - set(kwargs))
    if missing:
        raise ModelError(f"the {name} {kind} needs {', '.join(map(repr, missing))}.")
    return factory(**kwargs)


def build_generator(name: str, **kwargs: Any) -> nn.Module:
    """A generator by registry name; kwargs go to its constructor."""
    return _build("generator", _GENERATORS, name, kwargs)


def build_discriminator(name: str, **kwargs: Any) -> nn.Module:
    """A discriminator by registry name; kwargs go to its constructor."""
    return _build("discriminator", _DISCRIMINATORS, name, kwargs)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter values (buffers such as running means not included)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def describe(module: nn.Module) -> dict[str, Any]:
    """A JSON-friendly summary: class, parameter counts and, when the model knows them, per-sample
    input/output shapes (None for a free dimension such as a PatchGAN's image size; () for one
    score per sample), z_dim and n_classes."""
    info: dict[str, Any] = {
        "class": type(module).__name__,
        "parameters": count_parameters(module),
        "trainable_parameters": count_parameters(module, trainable_only=True),
    }
    for key in ("input_shape", "output_shape"):
        shape = getattr(module, key, None)
        if shape is not None:
            info[key] = list(shape)
    for key in ("z_dim", "n_classes", "pack", "size_multiple"):
        value = getattr(module, key, None)
        if isinstance(value, int):
            info[key] = value
    return info
