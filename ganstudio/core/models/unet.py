"""U-Net generator of pix2pix (Isola et al. 2017), laid out exactly as pytorch-CycleGAN-and-pix2pix.

The network is a chain of nested `UnetSkipConnectionBlock`s; each block's `model` is an
nn.Sequential and the next inner block sits inside it:
- outermost: [down conv, inner block, ReLU, up conv(transposed, with bias), Tanh] -> inner block at 1
- middle:    [LeakyReLU, down conv, norm, inner block, ReLU, up conv, norm(, Dropout)] -> at 3
- innermost: [LeakyReLU, down conv, ReLU, up conv, norm]
so the parameter names (`model.model.1.model.3.model.1.weight`, ...) match the reference's netG
state dicts for unet_128 / unet_256 and load with strict=True. As in the reference, convolutions
carry a bias only with instance norm (batch norm has its own shift), instance norm has neither
affine weights nor running statistics, and Dropout(0.5) sits in the ngf*8 middle blocks.

A latent input in the BicycleGAN manner (Zhu et al. 2017, `G_Unet_add_input`): with `latent_dim` > 0 the
network takes `forward(x, z)`, z (N, latent_dim) tiled over H x W and concatenated to the input, so the
first convolution sees input_nc + latent_dim channels (its name stays `model.model.0.weight`). z None is
z = 0, the mean of the N(0, 1) prior it is trained with: callers that know nothing of z get one
deterministic picture. The attribute is `latent_dim`, not `z_dim`: a translating network is not an
unconditional generator of z.

Every non-outermost block returns cat([x, inner(x)]). Its first LeakyReLU works in place (saves
memory, as in the reference), so the skip carries LeakyReLU(x); the parent block applies ReLU to the
concatenation next, and ReLU(LeakyReLU(x)) = ReLU(x), so outputs are the same as with a plain skip.
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import dcgan_init_, make_norm, require_choice, require_int

UNET_NORMS = ("batch", "instance")


class UnetSkipConnectionBlock(nn.Module):
    """x -> cat([x, up(inner(down(x)))]) (the outermost block returns up(...) alone)."""

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        norm: str = "batch",
        use_dropout: bool = False,
    ) -> None:
        super().__init__()
        require_choice(norm, UNET_NORMS, "U-Net norm")
        self.outermost = outermost
        use_bias = norm == "instance"
        if input_nc is None:
            input_nc = outer_nc
        down_conv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)

        layers: list[nn.Module]
        if outermost:
            up_conv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            layers = [down_conv, submodule, nn.ReLU(True), up_conv, nn.Tanh()]
        elif innermost:
            up_conv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            layers = [nn.LeakyReLU(0.2, True), down_conv, nn.ReLU(True), up_conv, make_norm(norm, outer_nc)]
        else:
            up_conv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            layers = [
                nn.LeakyReLU(0.2, True),
                down_conv,
                make_norm(norm, inner_nc),
                submodule,
                nn.ReLU(True),
                up_conv,
                make_norm(norm, outer_nc),
            ]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        if not innermost and submodule is None:
            raise ModelError("a U-Net block that is not innermost needs an inner block (submodule).")
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """Image (N, input_nc, H, W) -> image (N, output_nc, H, W) in [-1, 1].

    H and W must be multiples of 2**num_downs (num_downs=8: 256 -> 1x1 at the bottleneck).
    `image_size`, when given, is the nominal size: checked up front and reported by `describe`.
    """

    def __init__(
        self,
        input_nc: int = 3,
        output_nc: int = 3,
        num_downs: int = 8,
        ngf: int = 64,
        norm: str = "batch",
        use_dropout: bool = False,
        image_size: int | None = None,
        latent_dim: int = 0,
    ) -> None:
        super().__init__()
        self.input_nc = require_int(input_nc, "input_nc")
        self.latent_dim = require_int(latent_dim, "latent_dim", minimum=0)
        self.output_nc = require_int(output_nc, "output_nc")
        self.num_downs = require_int(num_downs, "num_downs", minimum=5)
        require_int(ngf, "ngf")
        require_choice(norm, UNET_NORMS, "U-Net norm")
        self.size_multiple = 2**num_downs
        if image_size is not None:
            _check_size(image_size, image_size, num_downs)
        self.image_size = image_size

        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm=norm, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipConnectionBlock(
            output_nc, ngf, input_nc=input_nc + self.latent_dim, submodule=block, outermost=True, norm=norm
        )
        dcgan_init_(self)  # pix2pix's default 'normal' init is the DCGAN rule

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        return (self.input_nc, self.image_size, self.image_size)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        return (self.output_nc, self.image_size, self.image_size)

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.input_nc:
            raise ModelError(f"the U-Net expects images (N, {self.input_nc}, H, W), got {tuple(x.shape)}.")
        _check_size(x.shape[2], x.shape[3], self.num_downs)
        if self.latent_dim:
            n, _, h, w = x.shape
            if z is None:
                z = x.new_zeros(n, self.latent_dim)
            elif z.dim() != 2 or z.shape[0] != n or z.shape[1] != self.latent_dim:
                raise ModelError(f"the U-Net takes latents (N={n}, {self.latent_dim}), got {tuple(z.shape)}.")
            x = torch.cat([x, z.to(x.dtype)[:, :, None, None].expand(n, self.latent_dim, h, w)], 1)
        elif z is not None:
            raise ModelError("this U-Net has no latent input; it takes the picture alone.")
        return self.model(x)


def _check_size(height: int, width: int, num_downs: int) -> None:
    multiple = 2**num_downs
    if height % multiple or width % multiple or height < multiple:
        raise ModelError(
            f"the U-Net with num_downs={num_downs} needs height and width divisible by {multiple}, "
            f"got {height}x{width}."
        )


def unet_128(
    input_nc: int = 3, output_nc: int = 3, ngf: int = 64, norm: str = "batch", use_dropout: bool = False
) -> UnetGenerator:
    """pix2pix's 'unet_128': 7 downsamplings, for 128x128 images."""
    return UnetGenerator(input_nc, output_nc, 7, ngf, norm, use_dropout, image_size=128)


def unet_256(
    input_nc: int = 3, output_nc: int = 3, ngf: int = 64, norm: str = "batch", use_dropout: bool = False
) -> UnetGenerator:
    """pix2pix's 'unet_256': 8 downsamplings, for 256x256 images."""
    return UnetGenerator(input_nc, output_nc, 8, ngf, norm, use_dropout, image_size=256)


def unet_small(
    input_nc: int = 3,
    output_nc: int = 3,
    num_downs: int = 6,
    ngf: int = 32,
    norm: str = "batch",
    use_dropout: bool = False,
    image_size: int | None = None,
    latent_dim: int = 0,
) -> UnetGenerator:
    """A U-Net fast enough to train and sketch with on a CPU: by default 64x64 images (num_downs 6,
    down to 1x1) with ngf 32; image_size defaults to 2**num_downs. latent_dim > 0: a z input (see above)."""
    if image_size is None:
        image_size = 2**num_downs
    return UnetGenerator(input_nc, output_nc, num_downs, ngf, norm, use_dropout, image_size=image_size,
                         latent_dim=latent_dim)
