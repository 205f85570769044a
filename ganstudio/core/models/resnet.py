"""ResNet generator of CycleGAN (Zhu et al. 2017), laid out exactly as pytorch-CycleGAN-and-pix2pix.

The reference's `ResnetGenerator` (netG resnet_6blocks / resnet_9blocks, CycleGAN's default) keeps every
layer in one nn.Sequential `model`:

    [ReflectionPad2d(3), Conv2d(input_nc, ngf, 7), norm, ReLU]                      model.0 - 3
    + n_downsampling x [Conv2d(c, 2c, 3, stride 2, padding 1), norm, ReLU]           model.4 - 9
    + n_blocks x ResnetBlock                                                          model.10 - 18 (9 blocks)
    + n_downsampling x [ConvTranspose2d(c, c/2, 3, 2, 1, output_padding 1), norm, ReLU]
    + [ReflectionPad2d(3), Conv2d(ngf, output_nc, 7), Tanh]

and each ResnetBlock computes x + conv_block(x), conv_block = [ReflectionPad2d(1), Conv2d(dim, dim, 3),
norm, ReLU, (Dropout(0.5),) ReflectionPad2d(1), Conv2d(dim, dim, 3), norm]: its parameters are named
`model.N.conv_block.M.*`, the second convolution at M = 5, or 6 with dropout. As in the reference,
convolutions carry a bias only with instance norm (the last one always does), and instance norm has
neither affine weights nor running statistics. The network is fully convolutional: any picture whose
sides are multiples of 2**n_downsampling keeps its size.
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import require_choice, require_int

RESNET_NORMS = ("batch", "instance", "instance-affine")


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=kind == "instance-affine", track_running_stats=False)


class ResnetBlock(nn.Module):
    """x + conv_block(x), the reference's residual block with reflection padding."""

    def __init__(self, dim: int, norm: str, use_dropout: bool, use_bias: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), _norm(norm, dim),
                                   nn.ReLU(True)]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=use_bias), _norm(norm, dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Pictures (N, input_nc, H, W) in [-1, 1] -> (N, output_nc, H, W); H and W multiples of 2**n_downsampling.

    `image_size` is only the size the Sketch canvas draws at (the reference trains on 256 px crops).
    """

    def __init__(self, input_nc: int = 3, output_nc: int = 3, ngf: int = 64, n_blocks: int = 9,
                 n_downsampling: int = 2, norm: str = "instance", use_dropout: bool = False,
                 use_bias: bool | None = None, image_size: int = 256) -> None:
        super().__init__()
        require_choice(norm, RESNET_NORMS, "ResNet generator norm")
        self.input_nc, self.output_nc = require_int(input_nc, "input_nc"), require_int(output_nc, "output_nc")
        self.n_downsampling = require_int(n_downsampling, "n_downsampling", minimum=0)
        require_int(ngf, "ngf")
        require_int(n_blocks, "n_blocks", minimum=0)
        self.image_size = require_int(image_size, "image_size")
        bias = norm != "batch" if use_bias is None else bool(use_bias)
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, bias=bias), _norm(norm, ngf),
                                   nn.ReLU(True)]
        channels = ngf
        for _ in range(n_downsampling):
            layers += [nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1, bias=bias),
                       _norm(norm, channels * 2), nn.ReLU(True)]
            channels *= 2
        layers += [ResnetBlock(channels, norm, use_dropout, bias) for _ in range(n_blocks)]
        for _ in range(n_downsampling):
            layers += [nn.ConvTranspose2d(channels, channels // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                       _norm(norm, channels // 2), nn.ReLU(True)]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, output_nc, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    @property
    def size_multiple(self) -> int:
        return 2**self.n_downsampling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.input_nc:
            raise ModelError(f"the ResNet generator takes pictures (N, {self.input_nc}, H, W), got {tuple(x.shape)}.")
        step = self.size_multiple
        height, width = x.shape[-2:]
        # The reflection pads need more than one pixel at the narrowest point, the bottleneck.
        if height % step or width % step or min(height, width) < 2 * step:
            raise ModelError(f"the ResNet generator takes sides that are multiples of {step} and at least "
                             f"{2 * step} pixels, not {width}x{height}.")
        return self.model(x)
