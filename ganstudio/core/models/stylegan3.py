"""GAN Studio's StyleGAN3 generator (Karras et al., "Alias-Free Generative Adversarial Networks", 2021),
written from the paper and the published layer layout of NVlabs' stylegan3 so that its pickles (configs T
and R) load with `load_state_dict(strict=True)`. Plain fp32 PyTorch on any device: the filtered leaky ReLU
is the reference composition (bias, upsample with the FIR filter, leaky ReLU, clamp, filter and downsample),
not a CUDA kernel.

Module tree and tensor names (as NVlabs names them):

    mapping.embed.{weight,bias}, mapping.fc{i}.{weight,bias}, mapping.w_avg     as StyleGAN2's (2 layers)
    synthesis.input.{weight, affine.*, transform, freqs, phases}                Fourier features
    synthesis.L{i}_{size}_{channels}.{weight, bias, magnitude_ema, affine.*, up_filter, down_filter}

The layers' sizes, sampling rates and cutoffs follow the paper's geometric progression (section 3.2 and
appendix F: cutoffs from `first_cutoff` to img_resolution / 2, the last `num_critical` layers critically
sampled); the low-pass filters themselves (Kaiser windowed sinc, or radial jinc in config R) are read from the
file's buffers, so nothing here designs filters. `forward(z, c, truncation_psi, truncation_cutoff,
noise_mode)` as StyleGAN2's (StyleGAN3 has no noise inputs: noise_mode is accepted and ignored).

Like NVlabs' code, a modulated layer normalises its styles by their root mean square over the whole batch,
so a picture drawn in a batch can differ slightly from the same latent drawn alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganstudio.core.models import polyphase
from ganstudio.core.models.stylegan2 import FullyConnectedLayer, MappingNetwork, MappingSettings
from ganstudio.core.models.stylegan2_ops import bias_act, upfirdn2d


@dataclass(frozen=True)
class StyleGAN3Settings:
    """The hyperparameters of an NVlabs StyleGAN3 generator (its init kwargs; defaults as theirs)."""

    z_dim: int
    c_dim: int
    w_dim: int
    img_resolution: int
    img_channels: int
    mapping: MappingSettings = field(default_factory=lambda: MappingSettings(num_layers=2, w_avg_beta=0.998))
    channel_base: int = 32768
    channel_max: int = 512
    num_layers: int = 14
    num_critical: int = 2
    first_cutoff: float = 2.0
    first_stopband: float = 2**2.1
    last_stopband_rel: float = 2**0.3
    margin_size: int = 10
    output_scale: float = 0.25
    num_fp16_res: int = 4  # recorded; we render in fp32
    conv_kernel: int = 3  # 1 in config R
    filter_size: int = 6
    lrelu_upsampling: int = 2
    use_radial_filters: bool = False  # True in config R
    conv_clamp: float | None = 256.0
    magnitude_ema_beta: float = 0.999

    @property
    def config(self) -> str:
        """"R" (rotation equivariant: 1x1 convolutions, radial filters) or "T" (translation equivariant)."""
        return "R" if self.conv_kernel == 1 and self.use_radial_filters else "T"


@dataclass(frozen=True)
class LayerPlan:
    """One synthesis layer's geometry, as the paper's progression gives it."""

    name: str
    is_torgb: bool
    is_critically_sampled: bool
    in_channels: int
    out_channels: int
    in_size: int
    out_size: int
    in_sampling_rate: int
    out_sampling_rate: int
    out_cutoff: float
    conv_kernel: int
    up_factor: int
    down_factor: int
    up_taps: int
    down_taps: int
    down_radial: bool
    padding: tuple[int, int, int, int]


def synthesis_plan(s: StyleGAN3Settings) -> tuple[dict, list[LayerPlan]]:
    """(the Fourier input's channels, size, sampling rate and bandwidth; the layers) for settings s, in float64
    as NVlabs computes them, so the integer sizes and paddings come out the same."""
    n = s.num_layers
    last_cutoff = s.img_resolution / 2
    last_stopband = last_cutoff * s.last_stopband_rel
    exponents = np.minimum(np.arange(n + 1) / (n - s.num_critical), 1)
    cutoffs = s.first_cutoff * (last_cutoff / s.first_cutoff) ** exponents
    stopbands = s.first_stopband * (last_stopband / s.first_stopband) ** exponents
    sampling_rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, s.img_resolution))))
    sizes = sampling_rates + s.margin_size * 2
    sizes[-2:] = s.img_resolution
    channels = np.rint(np.minimum((s.channel_base / 2) / cutoffs, s.channel_max))
    channels[-1] = s.img_channels
    first = {"channels": int(channels[0]), "size": int(sizes[0]), "sampling_rate": float(sampling_rates[0]),
             "bandwidth": float(cutoffs[0])}
    layers = []
    for idx in range(n + 1):
        prev = max(idx - 1, 0)
        is_torgb = idx == n
        critical = idx >= n - s.num_critical
        in_sr, out_sr = int(sampling_rates[prev]), int(sampling_rates[idx])
        in_size, out_size = int(sizes[prev]), int(sizes[idx])
        tmp_sr = max(in_sr, out_sr) * (1 if is_torgb else s.lrelu_upsampling)
        kernel = 1 if is_torgb else s.conv_kernel
        up = int(np.rint(tmp_sr / in_sr))
        down = int(np.rint(tmp_sr / out_sr))
        if in_sr * up != tmp_sr or out_sr * down != tmp_sr:
            raise ValueError(f"layer {idx}: sampling rates {in_sr} -> {out_sr} are not whole multiples")
        up_taps = s.filter_size * up if up > 1 and not is_torgb else 1
        down_taps = s.filter_size * down if down > 1 and not is_torgb else 1
        pad_total = (out_size - 1) * down + 1 - (in_size + kernel - 1) * up + up_taps + down_taps - 2
        pad_lo = (pad_total + up) // 2  # the symmetric interpretation of sample locations (appendix C.3)
        pad_hi = pad_total - pad_lo
        layers.append(LayerPlan(
            name=f"L{idx}_{out_size}_{int(channels[idx])}", is_torgb=is_torgb, is_critically_sampled=critical,
            in_channels=int(channels[prev]), out_channels=int(channels[idx]), in_size=in_size, out_size=out_size,
            in_sampling_rate=in_sr, out_sampling_rate=out_sr, out_cutoff=float(cutoffs[idx]), conv_kernel=kernel,
            up_factor=up, down_factor=down, up_taps=up_taps, down_taps=down_taps,
            down_radial=bool(s.use_radial_filters and not critical), padding=(pad_lo, pad_hi, pad_lo, pad_hi)))
    return first, layers


class SynthesisInput(nn.Module):
    """Fourier features: sin(2 pi (f . p + phase)) of a grid p spanning the input's size at its sampling rate,
    rotated and translated by a transform that an affine layer reads from w, then a learned channel mix."""

    def __init__(self, w_dim: int, channels: int, size: int, sampling_rate: float, bandwidth: float):
        super().__init__()
        self.channels, self.size = channels, int(size)
        self.sampling_rate, self.bandwidth = float(sampling_rate), float(bandwidth)
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.affine = FullyConnectedLayer(w_dim, 4)
        self.register_buffer("transform", torch.eye(3))  # the user's inverse transform of the picture
        self.register_buffer("freqs", torch.zeros(channels, 2))
        self.register_buffer("phases", torch.zeros(channels))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        n = w.shape[0]
        t = self.affine(w)  # (r_c, r_s, t_x, t_y)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        eye = torch.eye(3, device=w.device, dtype=w.dtype)
        rot = eye.repeat(n, 1, 1)  # the inverse rotation of the picture
        rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        shift = eye.repeat(n, 1, 1)  # the inverse translation
        shift[:, 0, 2], shift[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rot @ shift @ self.transform[None]
        phases = self.phases[None] + (self.freqs[None] @ transforms[:, :2, 2:]).squeeze(2)
        freqs = self.freqs[None] @ transforms[:, :2, :2]
        # frequencies a user's transform pushed out of band fade out
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        theta = torch.zeros(1, 2, 3, device=w.device, dtype=w.dtype)
        theta[0, 0, 0] = theta[0, 1, 1] = 0.5 * self.size / self.sampling_rate
        grid = F.affine_grid(theta, [1, 1, self.size, self.size], align_corners=False)  # (1, H, W, 2)
        x = torch.einsum("hwk,nck->nhwc", grid[0], freqs) + phases[:, None, None, :]
        x = torch.sin(x * (2 * math.pi)) * amplitudes[:, None, None, :]
        x = x @ (self.weight / math.sqrt(self.channels)).t()
        return x.permute(0, 3, 1, 2)


class SynthesisLayer(nn.Module):
    """Modulated convolution (full padding), then the filtered leaky ReLU: up-sample by up_factor through the
    low-pass filter, leaky ReLU (gain sqrt 2) and clamp at the higher rate, filter and down-sample. The last
    layer (ToRGB) is a 1x1 modulated convolution without demodulation or activation."""

    def __init__(self, w_dim: int, plan: LayerPlan, conv_clamp: float | None):
        super().__init__()
        self.plan = plan
        self.conv_clamp = conv_clamp
        k = plan.conv_kernel
        self.affine = FullyConnectedLayer(w_dim, plan.in_channels, bias_init=1)
        self.weight = nn.Parameter(torch.randn(plan.out_channels, plan.in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(plan.out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        self.register_buffer("up_filter", torch.zeros(plan.up_taps) if plan.up_taps > 1 else None)
        down_shape = (plan.down_taps, plan.down_taps) if plan.down_radial else (plan.down_taps,)
        self.register_buffer("down_filter", torch.zeros(down_shape) if plan.down_taps > 1 else None)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        p = self.plan
        styles = self.affine(w)
        weight = self.weight
        if p.is_torgb:
            styles = styles / math.sqrt(p.in_channels * p.conv_kernel**2)
        x = modulated_conv2d_sg3(x, weight, styles, demodulate=not p.is_torgb, padding=p.conv_kernel - 1,
                                 input_gain=self.magnitude_ema.rsqrt())
        gain, slope = (1.0, 1.0) if p.is_torgb else (math.sqrt(2), 0.2)
        return filtered_lrelu(x, self.up_filter, self.down_filter, self.bias, up=p.up_factor, down=p.down_factor,
                              padding=p.padding, gain=gain, slope=slope, clamp=self.conv_clamp)


def modulated_conv2d_sg3(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool = True,
                         padding: int = 0, input_gain: torch.Tensor | None = None) -> torch.Tensor:
    """StyleGAN3's modulated convolution: with demodulation, the weights are first scaled to unit mean square
    per output channel and the styles to unit mean square over the whole batch; then modulation, demodulation
    (eps 1e-8) and the input gain. Applied to the activations around one shared convolution."""
    n = x.shape[0]
    if demodulate:
        weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
        styles = styles * styles.square().mean().rsqrt()
    scale = styles if input_gain is None else styles * input_gain
    x = F.conv2d(x * scale.reshape(n, -1, 1, 1), weight, padding=padding)
    if demodulate:
        dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()
        x = x * dcoefs.reshape(n, -1, 1, 1)
    return x


def filtered_lrelu(x: torch.Tensor, fu: torch.Tensor | None, fd: torch.Tensor | None, b: torch.Tensor | None,
                   up: int = 1, down: int = 1, padding=(0, 0, 0, 0), gain: float = math.sqrt(2), slope: float = 0.2,
                   clamp: float | None = None) -> torch.Tensor:
    """Bias, upsample (zero insertion, padding, filter fu with gain up^2), leaky ReLU of `slope` times `gain`,
    clamp, then filter fd and keep every `down`-th sample: the paper's alias-suppressing nonlinearity.

    On the CPU this runs as `polyphase.filtered_lrelu` (the same products without those of the inserted zeros
    and of the discarded samples; equal to the reference within float32 rounding), elsewhere as the reference."""
    if polyphase.supports(fu, fd, x):
        return polyphase.filtered_lrelu(x, fu, fd, b, up=up, down=down, padding=padding, gain=gain, slope=slope,
                                        clamp=clamp)
    return filtered_lrelu_reference(x, fu, fd, b, up=up, down=down, padding=padding, gain=gain, slope=slope,
                                    clamp=clamp)


def filtered_lrelu_reference(x: torch.Tensor, fu: torch.Tensor | None, fd: torch.Tensor | None,
                             b: torch.Tensor | None, up: int = 1, down: int = 1, padding=(0, 0, 0, 0),
                             gain: float = math.sqrt(2), slope: float = 0.2, clamp: float | None = None) -> torch.Tensor:
    """`filtered_lrelu` as the plain composition of its steps (zero insertion, the FIR filters at the high rate,
    then dropping samples): the definition the fast path is tested against."""
    x = bias_act(x, b)
    x = upfirdn2d(x, fu, up=up, padding=padding, gain=up**2)
    x = bias_act(x, act="lrelu", alpha=slope, gain=gain, clamp=clamp)
    return upfirdn2d(x, fd, down=down)


class SynthesisNetwork(nn.Module):
    """ws (N, num_layers + 2, w_dim) -> pictures: ws[0] drives the Fourier input, ws[i] layer i - 1."""

    def __init__(self, s: StyleGAN3Settings):
        super().__init__()
        self.w_dim, self.img_resolution, self.img_channels = s.w_dim, s.img_resolution, s.img_channels
        self.num_ws = s.num_layers + 2
        self.output_scale = s.output_scale
        first, plans = synthesis_plan(s)
        self.input = SynthesisInput(s.w_dim, **first)
        self.layer_names = []
        for plan in plans:
            setattr(self, plan.name, SynthesisLayer(s.w_dim, plan, s.conv_clamp))
            self.layer_names.append(plan.name)
        # for coarse / middle / fine: twice the cutoff frequency each w's layer keeps (4 px ... img_resolution)
        self.w_resolutions = [int(round(2 * first["bandwidth"]))] + [int(round(2 * p.out_cutoff)) for p in plans]

    def forward(self, ws: torch.Tensor, noise_mode: str = "const", noise_generator=None) -> torch.Tensor:
        ws = ws.float().unbind(dim=1)
        x = self.input(ws[0])
        for name, w in zip(self.layer_names, ws[1:]):
            x = getattr(self, name)(x, w)
        x = x * self.output_scale if self.output_scale != 1 else x
        return x.contiguous()  # the layers leave it channels-last


class StyleGAN3Generator(nn.Module):
    """z (N, z_dim) and one-hot c (N, c_dim) -> pictures (N, img_channels, R, R), roughly in [-1, 1]."""

    def __init__(self, settings: StyleGAN3Settings):
        super().__init__()
        self.settings = settings
        self.z_dim, self.c_dim, self.w_dim = settings.z_dim, settings.c_dim, settings.w_dim
        self.img_resolution, self.img_channels = settings.img_resolution, settings.img_channels
        self.synthesis = SynthesisNetwork(settings)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(settings.z_dim, settings.c_dim, settings.w_dim, self.num_ws, settings.mapping)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "const", noise_generator=None) -> torch.Tensor:
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws)
