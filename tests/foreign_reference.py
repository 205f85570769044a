"""Weights in other programs' layouts, and their forward passes written with torch.nn.functional.

Shared by the importer tests (tests/conftest.py's folder is on sys.path). Nothing here uses GAN Studio:
the state dicts are built key by key under the reference programs' names, and the forwards are chains of
functional calls (conv_transpose2d, batch_norm, instance_norm, pad, ...) written from the programs' recipes,
so an imported network is checked against numbers that owe nothing to its own modules.
"""

from __future__ import annotations

import pickle

import torch
import torch.nn.functional as F

# --- DCGAN-style Sequential generators ---------------------------------------------------------------------
# A layout is a string of layer letters, one per nn.Sequential index: C ConvTranspose2d(4x4; stride 1,
# padding 0 first, then 2, 1), B BatchNorm2d, R ReLU, D Dropout, T Tanh. "CBR" * 4 + "CT" is pytorch/examples.

PYTORCH_EXAMPLES = "CBR" * 4 + "CT"


def sequential_state(layout: str, c_in: int, widths: list[int], prefix: str = "main", conv_bias: bool = False,
                     seed: int = 0, counters: bool = True) -> dict[str, torch.Tensor]:
    """Random weights for `layout`; widths: the out-channels of each C in order."""
    g = torch.Generator().manual_seed(seed)
    sd: dict[str, torch.Tensor] = {}
    channels, n = c_in, 0
    lead = f"{prefix}." if prefix else ""
    for index, letter in enumerate(layout):
        key = f"{lead}{index}"
        if letter == "C":
            out = widths[n]
            # scales that keep activations around 1 through the layers, where the Tanh shows
            scale = (1.0 if n == len(widths) - 1 else 0.5) / channels**0.5
            sd[f"{key}.weight"] = scale * torch.randn(channels, out, 4, 4, generator=g)
            if conv_bias:
                sd[f"{key}.bias"] = 0.1 * torch.randn(out, generator=g)
            channels, n = out, n + 1
        elif letter == "B":
            sd[f"{key}.weight"] = 1 + 0.1 * torch.randn(channels, generator=g)
            sd[f"{key}.bias"] = 0.1 * torch.randn(channels, generator=g)
            sd[f"{key}.running_mean"] = 0.1 * torch.randn(channels, generator=g)
            sd[f"{key}.running_var"] = 0.5 + torch.rand(channels, generator=g)
            if counters:
                sd[f"{key}.num_batches_tracked"] = torch.tensor(500)
    return sd


def sequential_forward(sd: dict[str, torch.Tensor], layout: str, z: torch.Tensor, prefix: str = "main",
                       labels: torch.Tensor | None = None, n_classes: int = 0) -> torch.Tensor:
    """The Sequential in eval mode; labels as one-hot codes concatenated after z."""
    if labels is not None:
        z = torch.cat([z, F.one_hot(labels, n_classes).to(z.dtype)], dim=1)
    x = z[:, :, None, None]
    lead = f"{prefix}." if prefix else ""
    first = True
    for index, letter in enumerate(layout):
        key = f"{lead}{index}"
        if letter == "C":
            stride, padding = (1, 0) if first else (2, 1)
            x = F.conv_transpose2d(x, sd[f"{key}.weight"], sd.get(f"{key}.bias"), stride=stride, padding=padding)
            first = False
        elif letter == "B":
            x = F.batch_norm(x, sd[f"{key}.running_mean"], sd[f"{key}.running_var"], sd[f"{key}.weight"],
                             sd[f"{key}.bias"], training=False, eps=1e-5)
        elif letter == "R":
            x = F.relu(x)
        elif letter == "T":
            x = torch.tanh(x)
    return x


def to_pixels(images: torch.Tensor):
    """GAN Studio's rounding of [-1, 1] to uint8 (N, H, W, 3)."""
    pixels = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
    return (pixels.expand(-1, -1, -1, 3) if pixels.shape[-1] == 1 else pixels).numpy()


def reference_pixels(images: torch.Tensor):
    """pytorch-CycleGAN-and-pix2pix's util.tensor2im: (x + 1) / 2 * 255, truncated to uint8."""
    x = images.detach().float().numpy().transpose(0, 2, 3, 1)
    return ((x + 1) / 2.0 * 255.0).astype("uint8")


def tutorial_checkpoint(generator_state: dict[str, torch.Tensor], entry: str = "netG_state_dict") -> dict:
    """What the PyTorch DCGAN tutorial family saves: both networks, both optimizers and plain values."""
    net = torch.nn.Linear(3, 2)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
    net(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    return {entry: generator_state, "netD_state_dict": {"main.0.weight": torch.zeros(8, 3, 4, 4)},
            "optimizerG_state_dict": optimizer.state_dict(), "optimizerD_state_dict": optimizer.state_dict(),
            "epoch": 25, "loss": 0.731, "name": "celeba run", "G_losses": [1.5, 1.25, 0.75], "note": None}


# --- pytorch-CycleGAN-and-pix2pix networks (U-Net, ResNet): shared pieces --------------------------------
# Convolutions carry a bias with instance norm only (the reference's use_bias); instance norm has no tensors
# (PyTorch < 0.4 saved running statistics for it: old_instance_stats).


class ReferenceWeights:
    """Random weights under the reference's names: `conv` and `norm_layer` fill `sd` in the order called."""

    def __init__(self, norm: str, seed: int = 0, old_instance_stats: bool = False):
        self.g = torch.Generator().manual_seed(seed)
        self.norm, self.old_instance_stats = norm, old_instance_stats
        self.bias = norm == "instance"
        self.sd: dict[str, torch.Tensor] = {}

    def rnd(self, *shape, s=0.2) -> torch.Tensor:
        return torch.randn(*shape, generator=self.g) * s

    def conv(self, key, c_out, c_in, k, transposed=False, with_bias=None) -> None:
        self.sd[f"{key}.weight"] = self.rnd(c_in, c_out, k, k) if transposed else self.rnd(c_out, c_in, k, k)
        if self.bias if with_bias is None else with_bias:
            self.sd[f"{key}.bias"] = self.rnd(c_out, s=0.1)

    def norm_layer(self, key, c) -> None:
        if self.norm == "batch":
            self.sd[f"{key}.weight"] = 1 + self.rnd(c, s=0.1)
            self.sd[f"{key}.bias"] = self.rnd(c, s=0.1)
            self.sd[f"{key}.running_mean"] = self.rnd(c, s=0.1)
            self.sd[f"{key}.running_var"] = 0.5 + torch.rand(c, generator=self.g)
            self.sd[f"{key}.num_batches_tracked"] = torch.tensor(7)
        elif self.old_instance_stats:
            self.sd[f"{key}.running_mean"] = torch.zeros(c)
            self.sd[f"{key}.running_var"] = torch.ones(c)


def reference_norm(sd, h, key, norm, per_image_stats) -> torch.Tensor:
    """The reference's norm layer at `key`. per_image_stats: batch norm as in its test phase (each image's
    own statistics, the test batch being 1) instead of the running statistics."""
    if norm == "instance":
        return F.instance_norm(h, eps=1e-5)
    w, b = sd[f"{key}.weight"], sd[f"{key}.bias"]
    if per_image_stats:
        return torch.cat([F.batch_norm(h[i:i + 1], None, None, w, b, training=True, eps=1e-5)
                          for i in range(h.shape[0])])
    return F.batch_norm(h, sd[f"{key}.running_mean"], sd[f"{key}.running_var"], w, b, training=False, eps=1e-5)


# --- pytorch-CycleGAN-and-pix2pix ResnetGenerator -----------------------------------------------------------
# model = [pad3, conv7, norm, relu] + 2 x [conv3 s2, norm, relu] + n_blocks x ResnetBlock
#         + 2 x [convT3 s2 (output_padding 1), norm, relu] + [pad3, conv7 (bias), tanh];
# ResnetBlock.conv_block = [pad1, conv3, norm, relu, (dropout,) pad1, conv3, norm]. Convolutions carry a bias
# with instance norm only (but the last); instance norm has no tensors.


def resnet_indices(n_blocks: int, n_down: int = 2) -> dict[str, object]:
    stem_norm = 2
    downs = [4 + 3 * i for i in range(n_down)]
    first_block = 4 + 3 * n_down
    ups = [first_block + n_blocks + 3 * i for i in range(n_down)]
    out = ups[-1] + 4
    return {"stem_norm": stem_norm, "downs": downs, "blocks": list(range(first_block, first_block + n_blocks)),
            "ups": ups, "out": out}


def resnet_state(input_nc: int = 3, output_nc: int = 3, ngf: int = 4, n_blocks: int = 9, norm: str = "instance",
                 dropout: bool = False, seed: int = 0, old_instance_stats: bool = False) -> dict[str, torch.Tensor]:
    at = resnet_indices(n_blocks)
    w = ReferenceWeights(norm, seed, old_instance_stats)
    conv, norm_layer, sd = w.conv, w.norm_layer, w.sd

    conv("model.1", ngf, input_nc, 7)
    norm_layer("model.2", ngf)
    c = ngf
    for i in at["downs"]:
        conv(f"model.{i}", c * 2, c, 3)
        norm_layer(f"model.{i + 1}", c * 2)
        c *= 2
    second = 6 if dropout else 5
    for b in at["blocks"]:
        conv(f"model.{b}.conv_block.1", c, c, 3)
        norm_layer(f"model.{b}.conv_block.2", c)
        conv(f"model.{b}.conv_block.{second}", c, c, 3)
        norm_layer(f"model.{b}.conv_block.{second + 1}", c)
    for i in at["ups"]:
        conv(f"model.{i}", c // 2, c, 3, transposed=True)
        norm_layer(f"model.{i + 1}", c // 2)
        c //= 2
    conv(f"model.{at['out']}", output_nc, c, 7, with_bias=True)
    return sd


def resnet_forward(sd: dict[str, torch.Tensor], x: torch.Tensor, n_blocks: int = 9, norm: str = "instance",
                   dropout: bool = False, per_image_stats: bool = False, dropout_fn=None) -> torch.Tensor:
    """The reference ResnetGenerator's forward. per_image_stats: batch norm as the reference's test phase
    (each image's own statistics); dropout_fn(h, index) replaces each block's dropout (index in block order)."""
    at = resnet_indices(n_blocks)

    def nrm(h, key):
        return reference_norm(sd, h, key, norm, per_image_stats)

    def conv(h, key, stride=1, padding=0):
        return F.conv2d(h, sd[f"{key}.weight"], sd.get(f"{key}.bias"), stride=stride, padding=padding)

    h = F.relu(nrm(conv(F.pad(x, (3, 3, 3, 3), mode="reflect"), "model.1"), "model.2"))
    for i in at["downs"]:
        h = F.relu(nrm(conv(h, f"model.{i}", stride=2, padding=1), f"model.{i + 1}"))
    second = 6 if dropout else 5
    for n, b in enumerate(at["blocks"]):
        p = f"model.{b}.conv_block"
        y = F.relu(nrm(conv(F.pad(h, (1, 1, 1, 1), mode="reflect"), f"{p}.1"), f"{p}.2"))
        if dropout and dropout_fn is not None:
            y = dropout_fn(y, n)
        y = nrm(conv(F.pad(y, (1, 1, 1, 1), mode="reflect"), f"{p}.{second}"), f"{p}.{second + 1}")
        h = h + y
    for i in at["ups"]:
        h = F.conv_transpose2d(h, sd[f"model.{i}.weight"], sd.get(f"model.{i}.bias"), stride=2, padding=1,
                               output_padding=1)
        h = F.relu(nrm(h, f"model.{i + 1}"))
    return torch.tanh(conv(F.pad(h, (3, 3, 3, 3), mode="reflect"), f"model.{at['out']}"))


# --- hostile files ----------------------------------------------------------------------------------------------

class CreatesFile:
    """A pickle payload: unpickling it calls open(marker, "w"), which creates the marker file."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def payload_is_live(marker) -> bool:
    """Proof that the payload would run under a plain unpickler (it creates its marker)."""
    pickle.loads(pickle.dumps(CreatesFile(marker))).close()
    return True
