"""GAN Studio's StyleGAN2 generator (Karras et al., "Analyzing and Improving the Image Quality of StyleGAN",
2020; the ADA variant, Karras et al. 2020), written from the papers and the published layer layout of
NVlabs' stylegan2-ada-pytorch so that its pickles load with `load_state_dict(strict=True)`.

Module tree and tensor names (as NVlabs names them):

    mapping.embed.{weight,bias}            label embedding (c_dim > 0)
    mapping.fc{i}.{weight,bias}            the mapping MLP, lr multiplier 0.01
    mapping.w_avg                          the running mean of w, the centre of truncation
    synthesis.b{res}.const                 4x4 learned input (first block)
    synthesis.b{res}.resample_filter       [1, 3, 3, 1] as a normalised 4x4 filter
    synthesis.b{res}.conv{0,1}.{weight,bias,noise_strength,noise_const,resample_filter}
    synthesis.b{res}.conv{0,1}.affine.{weight,bias}     w -> styles (bias initialised to 1)
    synthesis.b{res}.torgb.{weight,bias,affine.*}       'skip' every block, else the last one
    synthesis.b{res}.skip.{weight,resample_filter}      'resnet' only

Architectures 'skip' (the default: the picture is the upsampled sum of every block's ToRGB), 'orig' and
'resnet'. Everything runs in fp32: layers NVlabs runs in fp16 on a GPU (num_fp16_res) give the same
picture in fp32 up to fp16 rounding. Noise: 'const' (the stored noise_const, what `sample` uses, so the same
z gives the same pixels), 'random' (from an optional torch.Generator) or 'none'.

`StyleGAN2Generator(z, c, truncation_psi, truncation_cutoff, noise_mode)` takes one-hot labels c as NVlabs
does; `LabelledStyleGAN2` wraps it for GAN Studio's handle (class indices, `truncation_psi` in W).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from ganstudio.core.models.stylegan2_ops import (
    activation_gain,
    bias_act,
    conv2d_resample,
    modulated_conv2d,
    normalize_2nd_moment,
    setup_filter,
    upsample2d,
)

ARCHITECTURES = ("orig", "skip", "resnet")
NOISE_MODES = ("const", "random", "none")
DEFAULT_FILTER = (1, 3, 3, 1)


@dataclass(frozen=True)
class MappingSettings:
    num_layers: int = 8
    embed_features: int | None = None  # None: w_dim
    layer_features: int | None = None  # None: w_dim
    activation: str = "lrelu"
    lr_multiplier: float = 0.01
    w_avg_beta: float | None = 0.995  # None: no w_avg, so no truncation


@dataclass(frozen=True)
class SynthesisSettings:
    channel_base: int = 32768
    channel_max: int = 512
    num_fp16_res: int = 0  # recorded; we render those layers in fp32
    architecture: str = "skip"
    resample_filter: tuple[float, ...] = DEFAULT_FILTER
    conv_clamp: float | None = None
    kernel_size: int = 3
    use_noise: bool = True
    activation: str = "lrelu"


@dataclass(frozen=True)
class StyleGAN2Settings:
    """The hyperparameters of an NVlabs StyleGAN2 generator (its init kwargs)."""

    z_dim: int
    c_dim: int
    w_dim: int
    img_resolution: int
    img_channels: int
    mapping: MappingSettings = field(default_factory=MappingSettings)
    synthesis: SynthesisSettings = field(default_factory=SynthesisSettings)

    def channels(self, res: int) -> int:
        return min(self.synthesis.channel_base // res, self.synthesis.channel_max)

    @property
    def block_resolutions(self) -> list[int]:
        return [2**i for i in range(2, int(math.log2(self.img_resolution)) + 1)]


class FullyConnectedLayer(nn.Module):
    """y = act(x (weight * lr / sqrt(in))^T + bias * lr): the equalised learning rate of ProGAN."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, activation: str = "linear",
                 lr_multiplier: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias is not None else None
        if self.activation == "linear" and b is not None:
            return torch.addmm(b[None], x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(nn.Module):
    """A plain equalised-lr convolution; StyleGAN2 uses it only as the 1x1, 2x-upsampling skip of 'resnet'."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", up: int = 1, resample_filter=DEFAULT_FILTER, conv_clamp=None):
        super().__init__()
        self.activation = activation
        self.up = up
        self.conv_clamp = conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.act_gain = activation_gain(activation)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        x = conv2d_resample(x, self.weight * self.weight_gain, f=self.resample_filter, up=self.up,
                            padding=self.padding, flip_weight=self.up == 1)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class MappingNetwork(nn.Module):
    """z (and an embedded one-hot class) -> w, broadcast to num_ws copies; truncation pulls w toward w_avg."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int, s: MappingSettings):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = z_dim, c_dim, w_dim, num_ws
        self.num_layers = s.num_layers
        embed = 0 if c_dim == 0 else (w_dim if s.embed_features is None else s.embed_features)
        hidden = w_dim if s.layer_features is None else s.layer_features
        features = [z_dim + embed] + [hidden] * (s.num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed)
        for i in range(s.num_layers):
            setattr(self, f"fc{i}", FullyConnectedLayer(features[i], features[i + 1], activation=s.activation,
                                                        lr_multiplier=s.lr_multiplier))
        self.has_w_avg = s.w_avg_beta is not None
        if self.has_w_avg:
            self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None) -> torch.Tensor:
        parts = []
        if self.z_dim > 0:
            parts.append(normalize_2nd_moment(z.float()))
        if self.c_dim > 0:
            parts.append(normalize_2nd_moment(self.embed(c.float())))
        x = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        for i in range(self.num_layers):
            x = getattr(self, f"fc{i}")(x)
        ws = x[:, None].repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            if not self.has_w_avg:
                raise ValueError("this generator keeps no w_avg, so it cannot be truncated")
            cut = self.num_ws if truncation_cutoff is None else int(truncation_cutoff)
            ws = ws.clone()
            ws[:, :cut] = self.w_avg.lerp(ws[:, :cut], float(truncation_psi))
        return ws


class SynthesisLayer(nn.Module):
    """A modulated 3x3 convolution (2x upsampling in conv0), noise, bias and leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, up: int,
                 s: SynthesisSettings):
        super().__init__()
        self.resolution, self.up, self.use_noise = resolution, up, s.use_noise
        self.activation, self.conv_clamp = s.activation, s.conv_clamp
        self.register_buffer("resample_filter", setup_filter(s.resample_filter))
        self.padding = s.kernel_size // 2
        self.act_gain = activation_gain(s.activation)
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, s.kernel_size, s.kernel_size))
        if s.use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "const",
                noise_generator: torch.Generator | None = None, gain: float = 1.0) -> torch.Tensor:
        styles = self.affine(w)
        noise = None
        if self.use_noise and noise_mode == "const":
            noise = self.noise_const * self.noise_strength
        elif self.use_noise and noise_mode == "random":
            shape = (x.shape[0], 1, self.resolution, self.resolution)
            noise = torch.randn(shape, generator=noise_generator, device=x.device) * self.noise_strength
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding,
                             resample_filter=self.resample_filter, flip_weight=self.up == 1)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    """A modulated 1x1 convolution to colours, without demodulation."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, conv_clamp: float | None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """One resolution: (const | conv0 up) + conv1, and ToRGB added to the upsampled picture so far."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 is_last: bool, s: SynthesisSettings):
        super().__init__()
        self.in_channels, self.resolution, self.is_last = in_channels, resolution, is_last
        self.architecture = s.architecture
        self.register_buffer("resample_filter", setup_filter(s.resample_filter))
        self.num_conv = 0
        self.num_torgb = 0
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2, s=s)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, up=1, s=s)
        self.num_conv += 1
        if is_last or s.architecture == "skip":
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, s.conv_clamp)
            self.num_torgb += 1
        if in_channels != 0 and s.architecture == "resnet":
            self.skip = Conv2dLayer(in_channels, out_channels, kernel_size=1, bias=False, up=2,
                                    resample_filter=s.resample_filter)

    def forward(self, x, img, ws: torch.Tensor, noise_mode: str = "const",
                noise_generator: torch.Generator | None = None):
        w_iter = iter(ws.unbind(dim=1))
        kw = dict(noise_mode=noise_mode, noise_generator=noise_generator)
        if self.in_channels == 0:
            x = self.conv1(self.const[None].repeat(ws.shape[0], 1, 1, 1), next(w_iter), **kw)
        elif self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, next(w_iter), **kw)
            x = y + self.conv1(x, next(w_iter), gain=math.sqrt(0.5), **kw)
        else:
            x = self.conv0(x, next(w_iter), **kw)
            x = self.conv1(x, next(w_iter), **kw)
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        if self.is_last or self.architecture == "skip":
            y = self.torgb(x, next(w_iter))
            img = y if img is None else img + y
        return x, img


class SynthesisNetwork(nn.Module):
    """ws (N, num_ws, w_dim) -> pictures (N, C, R, R); channels min(channel_base / res, channel_max)."""

    def __init__(self, settings: StyleGAN2Settings):
        super().__init__()
        s = settings.synthesis
        self.w_dim, self.img_resolution = settings.w_dim, settings.img_resolution
        self.block_resolutions = settings.block_resolutions
        self.num_ws = 0
        for res in self.block_resolutions:
            in_channels = settings.channels(res // 2) if res > 4 else 0
            block = SynthesisBlock(in_channels, settings.channels(res), settings.w_dim, res,
                                   settings.img_channels, is_last=res == settings.img_resolution, s=s)
            self.num_ws += block.num_conv + (block.num_torgb if block.is_last else 0)
            setattr(self, f"b{res}", block)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const",
                noise_generator: torch.Generator | None = None) -> torch.Tensor:
        ws = ws.float()
        x = img = None
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            # a block's ToRGB shares its w with the next block's first convolution
            block_ws = ws.narrow(1, w_idx, block.num_conv + block.num_torgb)
            w_idx += block.num_conv
            x, img = block(x, img, block_ws, noise_mode=noise_mode, noise_generator=noise_generator)
        return img


class StyleGAN2Generator(nn.Module):
    """z (N, z_dim) and one-hot c (N, c_dim) -> pictures (N, img_channels, R, R), roughly in [-1, 1]."""

    def __init__(self, settings: StyleGAN2Settings):
        super().__init__()
        if settings.synthesis.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}")
        self.settings = settings
        self.z_dim, self.c_dim, self.w_dim = settings.z_dim, settings.c_dim, settings.w_dim
        self.img_resolution, self.img_channels = settings.img_resolution, settings.img_channels
        self.synthesis = SynthesisNetwork(settings)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(settings.z_dim, settings.c_dim, settings.w_dim, self.num_ws, settings.mapping)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "const",
                noise_generator: torch.Generator | None = None) -> torch.Tensor:
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode, noise_generator=noise_generator)


def w_resolutions(G: nn.Module) -> list[int]:
    """The resolution of the maps each of the num_ws styles draws (a block's ToRGB shares its w with the next
    block's first convolution, so w i drives the 2 ** (i // 2 + 2) px maps), for naming coarse / middle / fine."""
    if hasattr(G.synthesis, "w_resolutions"):
        return list(G.synthesis.w_resolutions)
    return [min(2 ** (i // 2 + 2), G.img_resolution) for i in range(G.num_ws)]


class LabelledStyleGAN2(nn.Module):
    """The generator as GAN Studio's handle calls it: z, class indices (made one-hot here), psi in W
    around w_avg, and noise_mode 'const' so the same inputs always give the same pixels. `style` (a
    `core.generators.style_edit.StyleEdit`) mixes in a second latent's styles and moves layers along a
    direction in W. Any NVlabs-shaped generator with `mapping` and `synthesis` fits (StyleGAN2 and 3)."""

    def __init__(self, G: nn.Module):
        super().__init__()
        self.G = G
        self.z_dim = G.z_dim
        self.w_dim = G.w_dim
        self.num_ws = G.num_ws
        self.n_classes = G.c_dim
        self.output_shape = (G.img_channels, G.img_resolution, G.img_resolution)

    @property
    def can_truncate(self) -> bool:
        return self.G.mapping.has_w_avg

    def one_hot(self, labels: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor | None:
        if not self.n_classes:
            return None
        if labels is None:
            raise ValueError("a class-conditional StyleGAN needs a class per latent")
        return torch.nn.functional.one_hot(labels.long().reshape(-1), self.n_classes).to(device, torch.float32).expand(n, -1)

    def mapped(self, z: torch.Tensor, labels: torch.Tensor | None = None, truncation_psi: float = 1.0,
               truncation_cutoff: int | None = None, style=None) -> torch.Tensor:
        """ws (N, num_ws, w_dim) for z, mixed and offset as `style` says (given `style.ws` replace mapping(z))."""
        if style is not None and style.ws is not None:
            given = torch.as_tensor(style.ws, dtype=torch.float32, device=z.device)
            ws = given.reshape(1, self.num_ws, self.w_dim).expand(z.shape[0], -1, -1)
        elif style is not None and style.path_z is not None:
            ws = self._along_path(style, z.shape[0], truncation_psi, truncation_cutoff, z.device)
        else:
            ws = self.G.mapping(z, self.one_hot(labels, z.shape[0], z.device), truncation_psi=truncation_psi,
                                truncation_cutoff=truncation_cutoff)
        if style is None:
            return ws
        ws = ws.clone()
        if style.mix_z is not None:
            z2 = torch.as_tensor(style.mix_z, dtype=torch.float32, device=z.device).reshape(1, -1).expand(z.shape[0], -1)
            y2 = None if not self.n_classes else torch.tensor([int(style.mix_label or 0)])
            ws2 = self.G.mapping(z2, self.one_hot(y2, z.shape[0], z.device), truncation_psi=truncation_psi,
                                 truncation_cutoff=truncation_cutoff)
            start, stop = style.mix_layers
            ws[:, start:stop] = ws2[:, start:stop]
        if style.w_offset is not None:
            start, stop = style.offset_layers or (0, self.num_ws)
            ws[:, start:stop] += torch.as_tensor(style.w_offset, dtype=torch.float32, device=z.device)
        return ws

    def _along_path(self, style, n: int, truncation_psi: float, truncation_cutoff: int | None,
                    device: torch.device) -> torch.Tensor:
        """ws (n, num_ws, w_dim) lerped between the truncated ws of the path's keyframes (style_edit, item 0)."""
        keys = torch.as_tensor(style.path_z, dtype=torch.float32, device=device)
        at = torch.as_tensor(style.path_at, dtype=torch.float32, device=device)
        if at.shape[0] != n:
            raise ValueError(f"a path in W places {at.shape[0]} latents, the request has {n}")
        labels = None if style.path_labels is None else torch.tensor(list(style.path_labels))
        c = None if not self.n_classes else torch.nn.functional.one_hot(labels.long(), self.n_classes).to(device, torch.float32)
        key_ws = self.G.mapping(keys, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        seg = at.floor().long().clamp(max=keys.shape[0] - 2)
        t = (at - seg).reshape(-1, 1, 1)
        return key_ws[seg] * (1 - t) + key_ws[seg + 1] * t

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "const", style=None) -> torch.Tensor:
        if style is None:
            c = self.one_hot(labels, z.shape[0], z.device)
            return self.G(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff, noise_mode=noise_mode)
        ws = self.mapped(z, labels, truncation_psi, truncation_cutoff, style)
        return self.G.synthesis(ws, noise_mode=noise_mode)
