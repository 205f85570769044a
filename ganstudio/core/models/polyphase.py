"""StyleGAN3's filtered leaky ReLU on the CPU, computed without the work the reference composition throws away.

The reference (`stylegan3.filtered_lrelu_reference`) inserts zeros to upsample, runs a 1-D FIR filter along
each axis at the high rate (most of its products are with those zeros), applies the leaky ReLU, filters again
and keeps one sample in `down`. Here each 1-D step "insert zeros, pad, convolve with the taps, keep every
down-th sample" is what it is, a linear map of one axis: out = M^T x with M a banded (n_in, n_out) matrix whose
entries are the taps (polyphase upsampling and decimation are simply where the taps land). M is applied in
blocks of B output samples, each a small dense matrix product with the K input samples that block reads, so
nothing is computed for inserted zeros or for discarded samples and the products run in the BLAS.

The four passes run on a chunk of channels (m, H, W), each one matrix product per block of its outputs: up
along W then H, each filtering the last axis and putting its result first: (Wu, m, H), then (Hu, Wu, m) at the
high rate, where the leaky ReLU, gain and clamp run in place while the chunk (about CHUNK_VALUES samples) is in
cache; down along H, rows in and rows out: (Hd, Wu, m); one transpose of that to (m, Hd, Wu); down along W:
(Wd, m, Hd), copied into the output's (m, Hd, Wd). (These were the fastest of the orders tried, measured on this
CPU: products whose output columns or first operand are strided ran at a third of the speed.) A 2-D (radial)
down filter runs as a strided depthwise convolution of the high rate, computing only the samples kept.

The products are those of the reference (the same tap values times the same samples; the inserted zeros
and skipped samples add nothing), summed in another order: results agree with the reference to float32
rounding (tests/core/models/test_polyphase.py checks every up/down/padding combination StyleGAN3 uses).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F

# Blocks are sized so that each reads about this many input samples: larger blocks waste more products on
# the band's zeros, smaller ones make the matrix products too thin to run fast.
BLOCK_READ = 32
# The high rate is computed for as many channels at a time as fill about this many float32 values.
CHUNK_VALUES = 1 << 20


@lru_cache(maxsize=128)
def _band_blocks(n_in: int, taps: tuple[float, ...], up: int, down: int, pad0: int, pad1: int,
                 dtype: torch.dtype = torch.float32):
    """The 1-D op "insert up - 1 zeros after each sample, pad (negative crops), convolve with taps, keep every
    down-th" on n_in samples, as (n_out, blocks): each block (first input, input count, first output, output end,
    matrix (K, outputs) and its transpose). out[q] = sum over i of x[i] * taps[T - 1 - (i * up + pad0 - q * down)]."""
    t_len = len(taps)
    n_out = (n_in * up + pad0 + pad1 - t_len) // down + 1
    if n_out <= 0:
        raise ValueError(f"upfirdn of {n_in} samples (up {up}, pad {pad0},{pad1}, {t_len} taps) leaves no output")
    k = torch.tensor(taps, dtype=torch.float64)  # exactly the taps given (float32 or float64 values)
    outputs = max(1, (BLOCK_READ * up - t_len) // down + 1)
    reads = min(n_in, ((outputs - 1) * down + t_len - 1) // up + 2)
    blocks = []
    for q0 in range(0, n_out, outputs):
        q1 = min(q0 + outputs, n_out)
        first = -(-(q0 * down - pad0) // up)  # the first input the block's first output reads
        first = max(0, min(first, n_in - reads))
        i = torch.arange(first, first + reads)[:, None]
        q = torch.arange(q0, q1)[None, :]
        t = i * up + pad0 - q * down
        inside = (t >= 0) & (t < t_len)
        m = torch.where(inside, k[(t_len - 1 - t).clamp(0, t_len - 1)], torch.zeros(()))
        m = m.to(dtype)
        blocks.append((first, reads, q0, q1, m.contiguous(), m.t().contiguous()))
    # every nonzero entry of M lies in some block (a block reads all its outputs' inputs)
    return n_out, tuple(blocks)


def rows_pass(x: torch.Tensor, blocks, n_out: int, out: torch.Tensor | None = None) -> torch.Tensor:
    """x (n_in, R) -> (n_out, R): the 1-D op along the leading axis (rows in, rows out)."""
    if out is None:
        out = x.new_empty(n_out, x.shape[1])
    for first, reads, q0, q1, _, mt in blocks:
        torch.mm(mt, x[first:first + reads], out=out[q0:q1])
    return out


def columns_to_rows_pass(x: torch.Tensor, blocks, n_out: int, out: torch.Tensor | None = None) -> torch.Tensor:
    """x (R, n_in) -> (n_out, R): the 1-D op along the last axis, the new axis first."""
    if out is None:
        out = x.new_empty(n_out, x.shape[0])
    for first, reads, q0, q1, _, mt in blocks:
        torch.mm(mt, x[:, first:first + reads].t(), out=out[q0:q1])
    return out


def _taps(f: torch.Tensor | None, scale: float) -> tuple[float, ...]:
    """A 1-D filter's taps times scale, rounded in the filter's dtype as the reference rounds them (no filter:
    the one tap `scale`)."""
    if f is None:
        return (float(scale),)
    return tuple((f.detach().cpu() * scale).tolist())


def supports(fu: torch.Tensor | None, fd: torch.Tensor | None, x: torch.Tensor) -> bool:
    """Whether `filtered_lrelu` takes these filters and input: 1-D (or no) up filter, 1-D, 2-D (or no) down filter,
    a CPU picture (N, C, H, W), and no gradient to carry (the products write into slices of their outputs, which
    autograd does not follow: projecting a photo into a StyleGAN3 goes the reference way)."""
    return (x.device.type == "cpu" and x.ndim == 4 and x.dtype in (torch.float32, torch.float64)
            and (fu is None or fu.ndim == 1) and (fd is None or fd.ndim in (1, 2))
            and not (torch.is_grad_enabled() and x.requires_grad))


def filtered_lrelu(x: torch.Tensor, fu: torch.Tensor | None, fd: torch.Tensor | None, b: torch.Tensor | None,
                   up: int = 1, down: int = 1, padding=(0, 0, 0, 0), gain: float = math.sqrt(2), slope: float = 0.2,
                   clamp: float | None = None) -> torch.Tensor:
    """The reference composition's result (see the module docstring); padding is (x0, x1, y0, y1)."""
    n, c, h, w = x.shape
    px0, px1, py0, py1 = (int(p) for p in padding)
    if b is not None:
        x = x + b.to(x.dtype).reshape(1, -1, 1, 1)
    x = x.contiguous()
    # the up filter carries the gain up^2 as the reference's does: its square root on each of the two passes
    up_taps = _taps(fu, up)
    wu, w_up = _band_blocks(w, up_taps, up, 1, px0, px1, x.dtype)
    hu, h_up = _band_blocks(h, up_taps, up, 1, py0, py1, x.dtype)
    radial = fd is not None and fd.ndim == 2
    if radial:
        hd, wd = (hu - fd.shape[0]) // down + 1, (wu - fd.shape[1]) // down + 1
        k = fd.to(x.dtype).flip([0, 1])[None, None]
    else:
        down_taps = _taps(fd, 1.0)
        wd, w_down = _band_blocks(wu, down_taps, 1, down, 0, 0, x.dtype)
        hd, h_down = _band_blocks(hu, down_taps, 1, down, 0, 0, x.dtype)
    out = x.new_empty(n, c, hd, wd)
    act = dict(slope=slope, gain=gain, clamp=clamp)
    chunk = max(1, min(c, CHUNK_VALUES // (wu * hu)))
    for s in range(n):
        for c0 in range(0, c, chunk):
            c1 = min(c0 + chunk, c)
            m = c1 - c0
            t = columns_to_rows_pass(x[s, c0:c1].reshape(m * h, w), w_up, wu)           # (Wu, m, H)
            hi = _activate(columns_to_rows_pass(t.view(wu * m, h), h_up, hu), **act)    # (Hu, Wu, m)
            if radial:
                planes = hi.view(hu, wu, m).permute(2, 0, 1)[None]
                out[s, c0:c1] = F.conv2d(planes, k.expand(m, 1, *fd.shape), stride=down, groups=m)[0]
            else:
                t = rows_pass(hi, h_down, hd)                                           # (Hd, Wu, m)
                t = t.view(hd, wu, m).permute(2, 0, 1).contiguous()                     # (m, Hd, Wu)
                t = columns_to_rows_pass(t.view(m * hd, wu), w_down, wd)                # (Wd, m, Hd)
                out[s, c0:c1] = t.view(wd, m, hd).permute(1, 2, 0)
    return out


def _activate(hi: torch.Tensor, slope: float, gain: float, clamp: float | None) -> torch.Tensor:
    """The leaky ReLU, gain and clamp at the high rate, in place."""
    if slope != 1:
        F.leaky_relu_(hi, slope)
    if gain != 1:
        hi.mul_(gain)
    if clamp is not None and clamp >= 0:
        hi.clamp_(-clamp, clamp)
    return hi
