"""PatchGAN discriminators of pix2pix, laid out exactly as pytorch-CycleGAN-and-pix2pix.

`NLayerDiscriminator` keeps the reference's `model.N` names and `PixelDiscriminator` its `net.N`
names, so netD state dicts of 'basic', 'n_layers' and 'pixel' load with strict=True. As in the
reference, hidden convolutions carry a bias only with instance norm, and norm "none" keeps an
nn.Identity in the norm's slot (same indices, no tensors).

Both return raw scores (N, 1, h, w), one per patch. With `return_features=True` they also return
the last hidden map average-pooled over space, (N, C): pooling keeps the feature size independent
of the image size (flattening a 256 px map would give ~500k features per sample).
For pix2pix the trainer concatenates condition and image along channels (input_nc = C_in + C_out).
"""

from __future__ import annotations

import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models.layers import dcgan_init_, make_norm, require_choice, require_int

PATCHGAN_NORMS = ("batch", "instance", "none")


def _check_input(x: torch.Tensor, channels: int, model: str, pack: int = 1) -> None:
    if x.dim() != 4 or x.shape[1] != channels:
        hint = f" (call pack_samples(x, {pack}) first)" if pack > 1 else ""
        raise ModelError(f"the {model} expects images (N, {channels}, H, W), got {tuple(x.shape)}{hint}.")


class _ScoreMapDiscriminator(nn.Module):
    """What both PatchGANs share: packed image input, a score map out, the last hidden map as features."""

    input_nc: int
    pack: int
    NAME = ""

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        return (self.input_nc * self.pack, None, None)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        return (1, None, None)

    def _checked(self, x: torch.Tensor, y: torch.Tensor | None) -> None:
        if y is not None:
            raise ModelError(f"the {self.NAME} takes no class labels y; concatenate the condition to x.")
        _check_input(x, self.input_nc * self.pack, self.NAME, self.pack)

    @staticmethod
    def _scores(layers: nn.Sequential, x: torch.Tensor, return_features: bool):
        hidden = layers[:-1](x)
        scores = layers[-1](hidden)
        return (scores, hidden.mean(dim=(2, 3))) if return_features else scores


class NLayerDiscriminator(_ScoreMapDiscriminator):
    """PatchGAN: n_layers stride-2 4x4 convolutions, one stride-1, then a 1-channel 4x4 output conv.

    n_layers=3 ('basic') gives a 70x70 receptive field per output score. Channel widths double up to
    ndf*8. `pack=m` multiplies the input channels for PacGAN packs made by `pack_samples`.
    """

    NAME = "PatchGAN discriminator"

    def __init__(
        self, input_nc: int = 3, ndf: int = 64, n_layers: int = 3, norm: str = "batch", pack: int = 1
    ) -> None:
        super().__init__()
        self.input_nc = require_int(input_nc, "input_nc")
        self.n_layers = require_int(n_layers, "n_layers")
        self.pack = require_int(pack, "pack")
        require_int(ndf, "ndf")
        require_choice(norm, PATCHGAN_NORMS, "PatchGAN norm")
        use_bias = norm == "instance"

        layers: list[nn.Module] = [
            nn.Conv2d(input_nc * pack, ndf, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
        ]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, 8)
            stride = 2 if n < n_layers else 1  # the last hidden conv keeps the resolution
            layers += [
                nn.Conv2d(ndf * prev, ndf * mult, kernel_size=4, stride=stride, padding=1, bias=use_bias),
                make_norm(norm, ndf * mult),
                nn.LeakyReLU(0.2),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        self.feature_channels = ndf * mult
        dcgan_init_(self)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        self._checked(x, y)
        # n_layers halvings, then two 4x4 stride-1 convs that each take one pixel off: need >= 3 left
        if min(x.shape[2], x.shape[3]) // 2**self.n_layers < 3:
            raise ModelError(
                f"images of {x.shape[2]}x{x.shape[3]} are too small for a {self.n_layers}-layer PatchGAN "
                f"(at least {3 * 2**self.n_layers} pixels per side)."
            )
        return self._scores(self.model, x, return_features)


class PixelDiscriminator(_ScoreMapDiscriminator):
    """1x1 PatchGAN ('pixel'): one score per pixel from 1x1 convolutions, (N, 1, H, W)."""

    NAME = "pixel discriminator"

    def __init__(self, input_nc: int = 3, ndf: int = 64, norm: str = "batch", pack: int = 1) -> None:
        super().__init__()
        self.input_nc = require_int(input_nc, "input_nc")
        self.pack = require_int(pack, "pack")
        require_int(ndf, "ndf")
        require_choice(norm, PATCHGAN_NORMS, "PixelDiscriminator norm")
        use_bias = norm == "instance"
        self.net = nn.Sequential(
            nn.Conv2d(input_nc * pack, ndf, kernel_size=1, stride=1, padding=0),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, stride=1, padding=0, bias=use_bias),
            make_norm(norm, ndf * 2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, 1, kernel_size=1, stride=1, padding=0, bias=use_bias),
        )
        self.feature_channels = ndf * 2
        dcgan_init_(self)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor | None = None, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        self._checked(x, y)
        return self._scores(self.net, x, return_features)
