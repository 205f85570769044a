"""DCGAN generator and discriminator (Radford et al. 2016) for 32, 64 and 128 pixel images.

At 64 px with the default options both networks have exactly the module tree of pytorch/examples
dcgan (`main.0` ... `main.N`), so its saved `netG_epoch_*.pth` / `netD_epoch_*.pth` state dicts load
with strict=True. Other sizes add or remove one stride-2 block per factor of two.

Class conditioning (n_classes > 0):
- generator: a one-hot code of y is concatenated to z (Mirza & Osindero 2014). It adds no
  parameters and changes only the first layer's input channels (z_dim + n_classes).
- discriminator: projection discriminator (Miyato & Koyama 2018): logit += <embed(y), phi(x)>, phi
  being the last hidden map summed over space. The layers of `main` are unchanged; the embedding
  lives in `class_embed`.
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import (
    MinibatchDiscrimination,
    MinibatchStdDev,
    dcgan_init_,
    latent_with_labels,
    make_norm,
    require_choice,
    require_int,
    require_labels,
)

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "dcgan_init_", "DCGAN_IMAGE_SIZES"]

# image size -> number of stride-2 (de)convolutions between 4x4 and the image
DCGAN_IMAGE_SIZES = {32: 3, 64: 4, 128: 5}


def _resolution_steps(image_size: int, model: str) -> int:
    if image_size not in DCGAN_IMAGE_SIZES:
        sizes = ", ".join(str(s) for s in DCGAN_IMAGE_SIZES)
        raise ModelError(f"the {model} supports image_size {sizes}, got {image_size!r}.")
    return DCGAN_IMAGE_SIZES[image_size]


class DCGANGenerator(nn.Module):
    """z (N, z_dim) or (N, z_dim, 1, 1) [+ labels y (N,)] -> images (N, nc, S, S) in [-1, 1]."""

    def __init__(
        self, z_dim: int = 100, ngf: int = 64, nc: int = 3, image_size: int = 64, n_classes: int = 0
    ) -> None:
        super().__init__()
        self.z_dim = require_int(z_dim, "z_dim")
        self.nc = require_int(nc, "nc")
        self.n_classes = require_int(n_classes, "n_classes", minimum=0)
        require_int(ngf, "ngf")
        self.image_size = image_size
        steps = _resolution_steps(image_size, "dcgan generator")

        channels = ngf * 2 ** (steps - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim + n_classes, channels, 4, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(channels),
            nn.ReLU(True),
        ]
        for _ in range(steps - 1):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        layers += [nn.ConvTranspose2d(channels, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.z_dim,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.nc, self.image_size, self.image_size)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.main(latent_with_labels(z, y, self.z_dim, self.n_classes, "dcgan generator"))


class DCGANDiscriminator(nn.Module):
    """Images (N, pack*nc, S, S) [+ labels y (N,)] -> logits (N,) (no sigmoid).

    `main` holds the convolutions; its last layer is the 4x4 -> 1x1 output convolution. The hidden
    map entering it (N, C, 4, 4) is the feature layer: `return_features=True` returns it flattened,
    (N, C*16). Batch tricks add channels to that map before the output convolution:
    `minibatch_stddev` one channel, `minibatch_disc=B` B channels (computed from the flattened map).

    norm: "batch" (DCGAN), "instance", "layer" or "none" (WGAN-GP critics must not use batch norm,
    whose output for one sample depends on the others). With "none" the hidden convolutions get
    biases, since there is no norm layer to supply an offset; every norm keeps its slot in `main`
    (nn.Identity for "none") so layer indices do not depend on the norm.
    `pack=m`: the input is m images concatenated along channels by `pack_samples(x, m)`. With class
    conditioning as well, y holds one label per pack, (N,) for N packs: the caller picks it (for
    example y[::m], the label of each pack's first sample, when packs are drawn from one class).
    """

    def __init__(
        self,
        nc: int = 3,
        ndf: int = 64,
        image_size: int = 64,
        n_classes: int = 0,
        norm: str = "batch",
        pack: int = 1,
        minibatch_stddev: bool = False,
        minibatch_disc: int = 0,
        mbstd_group_size: int = 4,
        mbd_kernel_dim: int = 8,
    ) -> None:
        super().__init__()
        self.nc = require_int(nc, "nc")
        self.pack = require_int(pack, "pack")
        self.n_classes = require_int(n_classes, "n_classes", minimum=0)
        require_int(ndf, "ndf")
        require_int(minibatch_disc, "minibatch_disc", minimum=0)
        require_choice(norm, ("batch", "instance", "layer", "none"), "norm")
        self.image_size = image_size
        steps = _resolution_steps(image_size, "dcgan discriminator")
        use_bias = norm == "none"

        channels = ndf
        layers: list[nn.Module] = [
            nn.Conv2d(nc * pack, channels, 4, 2, 1, bias=use_bias),
            nn.LeakyReLU(0.2),
        ]
        for _ in range(steps - 1):
            layers += [
                nn.Conv2d(channels, channels * 2, 4, 2, 1, bias=use_bias),
                make_norm(norm, channels * 2),
                nn.LeakyReLU(0.2),
            ]
            channels *= 2
        self.feature_channels = channels

        extra = 0
        self.mbstd = MinibatchStdDev(mbstd_group_size) if minibatch_stddev else None
        if self.mbstd is not None:
            extra += self.mbstd.num_channels
        self.mbd = MinibatchDiscrimination(channels * 16, minibatch_disc, mbd_kernel_dim) if minibatch_disc else None
        extra += minibatch_disc
        layers.append(nn.Conv2d(channels + extra, 1, 4, 1, 0, bias=False))  # 4x4 -> 1x1 logit
        self.main = nn.Sequential(*layers)
        self.class_embed = nn.Embedding(n_classes, channels) if n_classes else None
        dcgan_init_(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.nc * self.pack, self.image_size, self.image_size)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return ()

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if tuple(x.shape[1:]) != self.input_shape:
            hint = f" (call pack_samples(x, {self.pack}) first)" if self.pack > 1 else ""
            raise ModelError(
                f"the dcgan discriminator expects images (N, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}{hint}."
            )
        y = require_labels(y, x.shape[0], self.n_classes, "dcgan discriminator")
        hidden = self.main[:-1](x)  # (N, C, 4, 4)
        features = hidden.flatten(1)
        h = hidden
        if self.mbstd is not None:
            h = self.mbstd(h)
        if self.mbd is not None:
            closeness = self.mbd.closeness(features)
            h = torch.cat([h, closeness[:, :, None, None].expand(-1, -1, *hidden.shape[2:])], dim=1)
        logits = self.main[-1](h).flatten()
        if self.class_embed is not None:
            logits = logits + (self.class_embed(y) * hidden.sum(dim=(2, 3))).sum(dim=1)
        return (logits, features) if return_features else logits
