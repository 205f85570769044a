"""The resampling and activation ops of StyleGAN2 (Karras et al. 2020) in plain PyTorch, fp32, any device.

Written from the paper and the published definitions of NVlabs' ops (no CUDA plugins, no code from their
files), with the same conventions so that imported weights give the same pixels:

- `upfirdn2d(x, f, up, down, padding, gain)`: per channel, upsample by inserting `up - 1` zeros after each
  pixel, pad (negative padding crops), convolve with the FIR filter `f` (a true convolution, so `f` is
  flipped for conv2d), keep every `down`-th pixel. `padding` is (x0, x1, y0, y1).
- `setup_filter(taps)`: [1, 3, 3, 1] -> the normalised 4x4 outer product (1-D taps of 8 or more stay
  separable), as the layers keep it in their `resample_filter` buffers.
- `bias_act`: bias along dim 1, activation, gain, clamp to +-clamp.
- `conv2d_resample`: a convolution, optionally of the 2x-upsampled input, padded once up front.
- `modulated_conv2d`: the modulated / demodulated convolution of StyleGAN2, section 2.2.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

# activation -> (function of (x, alpha), default alpha, default gain); the gains keep unit variance
ACTIVATIONS = {
    "linear": (lambda x, alpha: x, 0.0, 1.0),
    "relu": (lambda x, alpha: F.relu(x), 0.0, math.sqrt(2)),
    "lrelu": (lambda x, alpha: F.leaky_relu(x, alpha), 0.2, math.sqrt(2)),
    "tanh": (lambda x, alpha: torch.tanh(x), 0.0, 1.0),
    "sigmoid": (lambda x, alpha: torch.sigmoid(x), 0.0, 1.0),
    "elu": (lambda x, alpha: F.elu(x), 0.0, 1.0),
    "selu": (lambda x, alpha: F.selu(x), 0.0, 1.0),
    "softplus": (lambda x, alpha: F.softplus(x), 0.0, 1.0),
    "swish": (lambda x, alpha: torch.sigmoid(x) * x, 0.0, math.sqrt(2)),
}


def activation_gain(act: str) -> float:
    return ACTIVATIONS[act][2]


def setup_filter(taps: Sequence[float] | torch.Tensor | None) -> torch.Tensor:
    """A resampling filter as NVlabs' layers store it: normalised to sum 1, 2-D (outer product) unless it
    has 8 taps or more (then it stays 1-D and is applied separably)."""
    f = torch.as_tensor(1.0 if taps is None else taps, dtype=torch.float32)
    if f.ndim == 0:
        f = f[None]
    if f.ndim == 1 and f.numel() < 8:
        f = torch.outer(f, f)
    return f / f.sum()


def filter_size(f: torch.Tensor | None) -> tuple[int, int]:
    """(width, height) of a 1-D or 2-D filter; (1, 1) for none."""
    if f is None:
        return 1, 1
    return int(f.shape[-1]), int(f.shape[0])


def upfirdn2d(x: torch.Tensor, f: torch.Tensor | None, up: int = 1, down: int = 1,
              padding: Sequence[int] = (0, 0, 0, 0), gain: float = 1.0) -> torch.Tensor:
    """Upsample by zero insertion, pad or crop, FIR-filter (convolution), downsample. x (N, C, H, W)."""
    n, c, h, w = x.shape
    if up > 1:
        stretched = x.new_zeros(n, c, h * up, w * up)
        stretched[:, :, ::up, ::up] = x
        x = stretched
    px0, px1, py0, py1 = (int(p) for p in padding)
    x = F.pad(x, [px0, px1, py0, py1])  # negative entries crop
    if f is not None:
        # gain ** (ndim / 2): a separable filter runs twice, so each pass takes the square root
        k = (f * (gain ** (f.ndim / 2))).to(x.dtype).flip(list(range(f.ndim)))
        if f.ndim == 2:
            x = F.conv2d(x, k[None, None].expand(c, 1, *k.shape), groups=c)
        else:
            x = F.conv2d(x, k[None, None, None, :].expand(c, 1, 1, -1), groups=c)
            x = F.conv2d(x, k[None, None, :, None].expand(c, 1, -1, 1), groups=c)
    elif gain != 1:
        x = x * gain
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    """x upsampled `up` times with filter f, padded so the result is exactly `up` times larger."""
    fw, fh = filter_size(f)
    pad = [(fw + up - 1) // 2, (fw - up) // 2, (fh + up - 1) // 2, (fh - up) // 2]
    return upfirdn2d(x, f, up=up, padding=pad, gain=up * up)


def bias_act(x: torch.Tensor, b: torch.Tensor | None = None, act: str = "linear", alpha: float | None = None,
             gain: float | None = None, clamp: float | None = None) -> torch.Tensor:
    """x + b (along dim 1), then the activation, times gain, clamped to [-clamp, clamp]."""
    func, default_alpha, default_gain = ACTIVATIONS[act]
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    x = func(x, float(default_alpha if alpha is None else alpha))
    gain = float(default_gain if gain is None else gain)
    if gain != 1:
        x = x * gain
    if clamp is not None and clamp >= 0:
        x = x.clamp(-clamp, clamp)
    return x


def conv2d_resample(x: torch.Tensor, w: torch.Tensor, f: torch.Tensor | None = None, up: int = 1,
                    padding: int = 0, flip_weight: bool = True) -> torch.Tensor:
    """Convolve x with w (O, I, kh, kw), of the input upsampled `up` times when up > 1 (filtered by f).

    flip_weight True is correlation (what conv2d computes), False a true convolution. The padding is
    relative to the upsampled picture and applied once, before the filter.

    Upsampling runs as a stride-`up` transposed convolution (a true convolution of the zero-stuffed input,
    at a quarter of the cost of convolving the upsampled picture) followed by the filter; convolution and
    filter commute, so this equals zero-stuffing, padding, filtering and convolving."""
    if up == 1:
        return F.conv2d(x, w if flip_weight else w.flip([2, 3]), padding=padding)
    _, _, kh, kw = w.shape
    fw, fh = filter_size(f)
    # conv_transpose2d is a true convolution with its kernel: flip it for correlation
    x = F.conv_transpose2d(x, (w.flip([2, 3]) if flip_weight else w).transpose(0, 1), stride=up)
    pad = [padding + (fw + up - 1) // 2 - (kw - 1), padding + (fw - up) // 2 - (kw - up),
           padding + (fh + up - 1) // 2 - (kh - 1), padding + (fh - up) // 2 - (kh - up)]
    return upfirdn2d(x, f, padding=pad, gain=up * up)


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, noise: torch.Tensor | None = None,
                     up: int = 1, padding: int = 0, resample_filter: torch.Tensor | None = None,
                     demodulate: bool = True, flip_weight: bool = True) -> torch.Tensor:
    """StyleGAN2's convolution: the weights scaled per input channel by `styles` (N, I) and, with
    demodulate, every output channel normalised to unit norm (eps 1e-8), then noise added.

    The scaling is applied to the activations before and after one shared convolution, which equals the
    per-sample modulated weights (and costs one weight tensor, not N per batch)."""
    batch = x.shape[0]
    dcoefs = None
    if demodulate:
        # sum over i, k of (w[o, i, k] s[i])^2 = s^2 @ (sum over k of w^2): no (N, O, I, k, k) tensor
        dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()
    x = x * styles.reshape(batch, -1, 1, 1)
    x = conv2d_resample(x, weight, f=resample_filter, up=up, padding=padding, flip_weight=flip_weight)
    if dcoefs is not None:
        x = x * dcoefs.reshape(batch, -1, 1, 1)
    if noise is not None:
        x = x + noise
    return x


def normalize_2nd_moment(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x scaled to unit mean square along dim 1 (the mapping network's input normalisation)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()
