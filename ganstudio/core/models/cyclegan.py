"""CycleGAN's four networks (Zhu et al. 2017), named as pytorch-CycleGAN-and-pix2pix names them.

The reference keeps netG_A (A -> B), netG_B (B -> A), netD_A (judges pictures of B: real B against
G_A(A)) and netD_B (judges pictures of A: real A against G_B(B)). Here the two generators live in one
`CycleGenerators` module and the two critics in one `CycleDiscriminators`, so a run's checkpoint holds
both directions as the ordinary "G" and "D" tables (keys `G_A.model.0.weight`, `G_B...`, `D_A.model...`;
strip the prefix and a table is the reference's netG_A / netD_A state dict).

`CycleGenerators(x, direction="AtoB")` translates with G_A, "BtoA" with G_B.
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError

DIRECTIONS = ("AtoB", "BtoA")

# generator names of an unpaired run -> ResnetGenerator n_blocks (None: the config's model.g_depth)
RESNET_GENERATORS = {"resnet_6blocks": 6, "resnet_9blocks": 9, "resnet": None}


def check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ModelError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}.")
    return direction


class CycleGenerators(nn.Module):
    """G_A: A -> B and G_B: B -> A, with the same architecture."""

    def __init__(self, G_A: nn.Module, G_B: nn.Module) -> None:
        super().__init__()
        self.G_A = G_A
        self.G_B = G_B

    @property
    def size_multiple(self) -> int:
        """Fully convolutional ResNets take any multiple of this; 0 for the U-Net (one size)."""
        return int(getattr(self.G_A, "size_multiple", 0)) if not hasattr(self.G_A, "num_downs") else 0

    def direction(self, direction: str) -> nn.Module:
        return self.G_A if check_direction(direction) == "AtoB" else self.G_B

    def forward(self, x: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        return self.direction(direction)(x)


class CycleDiscriminators(nn.Module):
    """D_A judges pictures of side B (real B vs G_A(A)); D_B judges pictures of side A."""

    def __init__(self, D_A: nn.Module, D_B: nn.Module) -> None:
        super().__init__()
        self.D_A = D_A
        self.D_B = D_B

    def forward(self, x: torch.Tensor, side: str = "B") -> torch.Tensor:
        return self.D_A(x) if side == "B" else self.D_B(x)


def build_cyclegan(generator: str, discriminator: str, image_size: int, ngf: int, ndf: int, g_depth: int,
                   d_depth: int, g_norm: str, d_norm: str, dropout: bool) -> tuple[CycleGenerators, CycleDiscriminators]:
    """The four networks, initialised as the reference's `--init_type normal` (N(0, 0.02))."""
    import math

    from ganstudio.core.models import registry
    from ganstudio.core.models.layers import dcgan_init_
    from ganstudio.core.models.resnet import ResnetGenerator

    def make_g() -> nn.Module:
        if generator in RESNET_GENERATORS:
            blocks = RESNET_GENERATORS[generator]
            return ResnetGenerator(3, 3, ngf=ngf, n_blocks=g_depth if blocks is None else blocks,
                                   norm=g_norm, use_dropout=dropout, image_size=image_size)
        kwargs = dict(input_nc=3, output_nc=3, ngf=ngf, norm=g_norm, use_dropout=dropout)
        if generator in ("unet", "unet_small"):
            kwargs["num_downs"] = int(round(math.log2(image_size)))
        return registry.build_generator(generator, **kwargs)

    def make_d() -> nn.Module:
        kwargs = dict(input_nc=3, ndf=ndf, norm=d_norm)
        if discriminator in ("patchgan", "n_layers", "basic"):
            kwargs["n_layers"] = d_depth
        return registry.build_discriminator(discriminator, **kwargs)

    G = CycleGenerators(make_g(), make_g())
    D = CycleDiscriminators(make_d(), make_d())
    dcgan_init_(G)
    dcgan_init_(D)
    return G, D
