"""The CPU filtered leaky ReLU (core.models.polyphase) against its definition: each 1-D band matrix against zero
insertion, padding, numpy's convolution and subsampling written out here; the whole op against the reference
composition (stylegan3.filtered_lrelu_reference: zero insertion and the FIR filters at the high rate) for every
up/down/padding combination StyleGAN3's layer plans use, in float64 (equal to rounding) and float32."""

import math

import numpy as np
import pytest
import torch

from ganstudio.core.models import polyphase
from ganstudio.core.models.stylegan3 import (
    StyleGAN3Settings,
    filtered_lrelu,
    filtered_lrelu_reference,
    synthesis_plan,
)


def dense_matrix(n_in, taps, up, down, pad0, pad1):
    """(n_in, n_out): column q of the 1-D op's matrix assembled from `_band_blocks`."""
    n_out, blocks = polyphase._band_blocks(n_in, tuple(taps), up, down, pad0, pad1, torch.float64)
    m = np.zeros((n_in, n_out))
    for first, reads, q0, q1, block, block_t in blocks:
        assert torch.equal(block.t(), block_t)
        part = m[first:first + reads, q0:q1]
        assert not np.any(part[block.numpy() != 0]), "two blocks wrote the same output"
        part += block.numpy()
    return m


def by_definition(x, taps, up, down, pad0, pad1):
    """Zero insertion, padding (negative crops), convolution with the taps, every down-th sample."""
    stuffed = np.zeros(len(x) * up)
    stuffed[::up] = x
    padded = np.concatenate([np.zeros(max(pad0, 0)), stuffed, np.zeros(max(pad1, 0))])
    padded = padded[max(-pad0, 0):len(padded) - max(-pad1, 0)]
    return np.convolve(padded, taps, mode="valid")[::down]


@pytest.mark.parametrize("n_in,t_len,up,down,pad0,pad1", [
    (38, 12, 2, 1, 9, 8), (38, 24, 4, 1, -6, -9), (36, 24, 4, 1, -2, -5), (164, 12, 2, 1, -11, -12),
    (82, 12, 1, 2, 0, 0), (301, 12, 1, 2, 0, 0), (20, 1, 2, 1, 3, 0), (20, 1, 1, 3, 0, 0), (9, 5, 3, 2, 4, -2),
    (7, 4, 1, 1, 2, 1), (250, 7, 1, 4, 3, 3),
])
def test_each_band_matrix_is_the_1d_op(n_in, t_len, up, down, pad0, pad1):
    rng = np.random.default_rng(n_in * 31 + t_len)
    taps = torch.tensor(rng.normal(size=t_len), dtype=torch.float32).tolist()
    m = dense_matrix(n_in, taps, up, down, pad0, pad1)
    for i in (0, n_in // 2, n_in - 1):  # a unit impulse lands on the taps where the definition puts them
        impulse = np.zeros(n_in)
        impulse[i] = 1
        assert np.array_equal(m[i], by_definition(impulse, taps, up, down, pad0, pad1)), i
    x = rng.normal(size=n_in)
    np.testing.assert_allclose(x @ m, by_definition(x, taps, up, down, pad0, pad1), rtol=0, atol=1e-12)
    nonzero = np.count_nonzero(m)  # nothing but the taps: each tap appears once per output it reaches
    assert nonzero == np.count_nonzero([by_definition(np.eye(n_in)[i], taps, up, down, pad0, pad1)
                                        for i in range(n_in)])


def layer_combinations():
    """(up, down, padding, up taps, down taps, radial, conv output size) of every layer StyleGAN3 builds,
    configs T and R, 16-1024 px; the smallest size of each."""
    found = {}
    for res in (16, 32, 64, 256, 1024):
        for kernel, radial in ((3, False), (1, True)):
            s = StyleGAN3Settings(z_dim=4, c_dim=0, w_dim=4, img_resolution=res, img_channels=3, conv_kernel=kernel,
                                  use_radial_filters=radial)
            for p in synthesis_plan(s)[1]:
                key = (p.up_factor, p.down_factor, p.padding, p.up_taps, p.down_taps, p.down_radial, p.is_torgb)
                found[key] = min(found.get(key, 10**9), p.in_size + p.conv_kernel - 1)
    return [key + (size,) for key, size in sorted(found.items())]


COMBINATIONS = layer_combinations()


def test_the_plans_use_the_combinations_the_fast_path_must_cover():
    kinds = {(up, down, radial) for up, down, _, _, _, radial, _, _ in COMBINATIONS}
    assert kinds == {(1, 1, False), (2, 2, False), (2, 2, True), (4, 2, False), (4, 2, True)}
    assert len(COMBINATIONS) >= 8


def random_filters(up_taps, down_taps, radial, gen, dtype):
    fu = torch.randn(up_taps, generator=gen, dtype=dtype) if up_taps > 1 else None
    shape = (down_taps, down_taps) if radial else (down_taps,)
    fd = torch.randn(shape, generator=gen, dtype=dtype) / down_taps if down_taps > 1 else None
    return fu, fd


@pytest.mark.parametrize("combo", COMBINATIONS, ids=lambda c: f"up{c[0]}-down{c[1]}-pad{c[2][0]},{c[2][1]}"
                         f"{'-radial' if c[5] else ''}{'-torgb' if c[6] else ''}-{c[7]}px")
def test_the_fast_op_equals_the_reference_for_every_layer_kind(combo):
    up, down, padding, up_taps, down_taps, radial, torgb, size = combo
    gen = torch.Generator().manual_seed(size + up_taps)
    gain, slope = (1.0, 1.0) if torgb else (math.sqrt(2), 0.2)
    for dtype, n, clamp in ((torch.float64, 1, None), (torch.float32, 2, 0.4)):
        x = torch.randn(n, 3, size, size, generator=gen, dtype=dtype)
        b = torch.randn(3, generator=gen, dtype=dtype)
        fu, fd = random_filters(up_taps, down_taps, radial, gen, dtype)
        kw = dict(up=up, down=down, padding=padding, gain=gain, slope=slope, clamp=clamp)
        ref = filtered_lrelu_reference(x, fu, fd, b, **kw)
        out = polyphase.filtered_lrelu(x, fu, fd, b, **kw)
        assert out.shape == ref.shape and out.dtype == dtype
        scale = float(ref.abs().max())
        tol = 1e-12 if dtype == torch.float64 else 2e-6
        assert float((out - ref).abs().max()) <= tol * max(scale, 1), (dtype, float((out - ref).abs().max()))
        assert float(ref.std()) > 0.01  # the pictures are not flat, so the comparison sees them
        if clamp is not None:  # the clamp bit
            assert not torch.allclose(ref, filtered_lrelu_reference(x, fu, fd, b, **{**kw, "clamp": None}))


def test_a_batch_and_odd_sizes_and_gains_match_and_the_cpu_takes_the_fast_path(monkeypatch):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(3, 5, 23, 29, generator=gen)
    b = torch.randn(5, generator=gen)
    fu, fd = torch.randn(6, generator=gen), torch.randn(9, generator=gen)
    kw = dict(up=3, down=2, padding=(4, 1, -2, 3), gain=1.7, slope=0.1, clamp=3.0)
    ref = filtered_lrelu_reference(x, fu, fd, b, **kw)
    out = filtered_lrelu(x, fu, fd, b, **kw)
    assert out.shape == ref.shape
    assert torch.allclose(out, ref, atol=1e-5), float((out - ref).abs().max())
    # each picture of the batch is its own: the batch gives each one's result alone
    assert torch.allclose(out[1:2], filtered_lrelu_reference(x[1:2], fu, fd, b, **kw), atol=1e-5)
    called = []
    monkeypatch.setattr(polyphase, "filtered_lrelu", lambda *a, **k: called.append(1) or ref)
    filtered_lrelu(x, fu, fd, b, **kw)
    assert called == [1]


def test_filters_the_fast_path_does_not_take_go_the_reference_way():
    x = torch.randn(1, 2, 10, 10)
    fu2d = torch.randn(4, 4)
    assert not polyphase.supports(fu2d, None, x)
    out = filtered_lrelu(x, fu2d, None, None, up=2, padding=(2, 1, 2, 1))
    assert torch.equal(out, filtered_lrelu_reference(x, fu2d, None, None, up=2, padding=(2, 1, 2, 1)))


def test_a_gradient_flows_through_the_reference_way():
    """Projection optimises W through the synthesis: with a gradient to carry the op takes the reference path."""
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(1, 2, 12, 12, generator=gen, requires_grad=True)
    fu, fd = torch.randn(12, generator=gen), torch.randn(12, generator=gen)
    kw = dict(up=2, down=2, padding=(9, 8, 9, 8))
    assert not polyphase.supports(fu, fd, x) and polyphase.supports(fu, fd, x.detach())
    filtered_lrelu(x, fu, fd, None, **kw).square().sum().backward()
    grad = x.grad.clone()
    x.grad = None
    filtered_lrelu_reference(x, fu, fd, None, **kw).square().sum().backward()
    assert torch.equal(grad, x.grad) and float(grad.abs().max()) > 0
    with torch.no_grad():
        assert polyphase.supports(fu, fd, x)
