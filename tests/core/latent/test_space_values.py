"""Latent-space maths held to closed forms and to independent re-computations (written here without the
module's helpers): the sampling loop, lerp / slerp values, the frames of a path, the arithmetic groups and
their variations, and every refusal word for word."""

import math

import numpy as np
import pytest
import torch

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent import space
from ganstudio.core.latent.space import (
    Truncation,
    arithmetic,
    arithmetic_variations,
    interpolate_path,
    lerp,
    sample_latents,
    slerp,
)


def _reference_resample(n: int, d: int, seed: int, limit: float) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=gen)
    while True:
        outside = z.abs() > limit
        if not outside.any():
            return z.numpy()
        z[outside] = torch.randn(int(outside.sum()), generator=gen)


def test_resampling_draws_the_outliers_again_from_the_same_generator():
    for seed, limit in ((0, 0.5), (3, 1.3), (11, 0.05)):
        got = sample_latents(9, 7, seed=seed, truncation=Truncation("resample", limit))
        assert got.dtype == np.float32
        assert np.array_equal(got, _reference_resample(9, 7, seed, limit)), (seed, limit)
    assert sample_latents(0, 4, seed=1).shape == (0, 4)
    assert np.array_equal(sample_latents(3, 5, seed=2, truncation=Truncation("off", 0.3)),
                          sample_latents(3, 5, seed=2))
    assert np.array_equal(sample_latents(3, 5, seed=2, truncation=Truncation("scale", 2)),
                          2 * sample_latents(3, 5, seed=2))


def test_sampling_refuses_impossible_sizes_word_for_word():
    for n, d in ((-1, 4), (2, 0)):
        with pytest.raises(GanStudioError) as info:
            sample_latents(n, d, seed=0)
        assert str(info.value) == f"cannot draw {n} latents of size {d}."
    assert sample_latents(1, 1, seed=0).shape == (1, 1)


def test_lerp_and_slerp_values_against_closed_forms():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    for t in (0.1, 0.25, 0.5, 0.9):
        np.testing.assert_allclose(lerp(a, b, t), [1 - t, t, 0.0], rtol=0, atol=1e-15)
        # orthogonal unit vectors: the quarter circle (cos(t pi/2), sin(t pi/2))
        np.testing.assert_allclose(slerp(a, b, t), [math.cos(t * math.pi / 2), math.sin(t * math.pi / 2), 0],
                                   rtol=0, atol=1e-15)
    # 60 degrees apart and of different lengths: the textbook formula with arccos (well conditioned here)
    u = np.array([2.0, 0.0])
    v = 3.0 * np.array([0.5, math.sqrt(3) / 2])
    omega = math.acos(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    assert space._angle(u, v) == pytest.approx(math.pi / 3, rel=1e-14)
    assert space._angle(u, -u) == pytest.approx(math.pi, rel=1e-14)
    ts = np.array([0.0, 0.3, 0.7, 1.0])
    want = np.stack([math.sin((1 - t) * omega) / math.sin(omega) * u + math.sin(t * omega) / math.sin(omega) * v
                     for t in ts])
    got = slerp(u, v, ts)
    assert got.shape == (4, 2) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)
    assert slerp(u, v, 0.3).shape == (2,) and lerp(u, v, 0.3).shape == (2,)
    assert lerp(u, v, [0.3]).shape == (1, 2)
    # float32 in, float32 out; float64 in, float64 out
    assert slerp(u.astype(np.float32), v.astype(np.float32), 0.3).dtype == np.float32
    assert lerp(u.astype(np.float32), v.astype(np.float32), 0.3).dtype == np.float32
    assert lerp(u, v, 0.3).dtype == np.float64


def test_slerp_falls_back_to_lerp_for_zero_and_opposite_vectors():
    a = np.array([1.0, -2.0, 0.5])
    zero = np.zeros(3)
    for x, y in ((a, zero), (zero, a), (a, -a), (a, -3 * a)):
        for t in (0.25, 0.6):
            np.testing.assert_array_equal(slerp(x, y, t), lerp(x, y, t))
    # just off opposite (sin W ~ 1e-7, far above the 1e-12 cut): a true great-circle arc, not the line
    b = -a + np.array([0.0, 0.0, 1e-7])
    assert np.linalg.norm(slerp(a, b, 0.5)) > 0.5 * np.linalg.norm(a)
    assert np.linalg.norm(lerp(a, b, 0.5)) < 1e-6


def test_interpolate_path_frames_are_the_segment_interpolations():
    keys = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]])
    for mode, fn in (("lerp", lerp), ("slerp", slerp)):
        path = interpolate_path(keys, steps=4, mode=mode)
        assert path.shape == (9, 2) and path.dtype == np.float64
        for seg in range(2):
            for j in range(4):
                np.testing.assert_allclose(path[4 * seg + j], fn(keys[seg], keys[seg + 1], j / 4), rtol=0, atol=1e-15)
        assert np.array_equal(path[-1], keys[-1])
    assert np.array_equal(interpolate_path(keys, steps=4), interpolate_path(keys, steps=4, mode="slerp"))
    assert np.array_equal(interpolate_path(keys, steps=1), keys)
    for bad, message in (
        (keys[:1], "an interpolation needs at least two keyframes, got 1."),
        (keys[0], "an interpolation needs at least two keyframes, got 0."),
    ):
        with pytest.raises(GanStudioError) as info:
            interpolate_path(bad, steps=3)
        assert str(info.value) == message
    with pytest.raises(GanStudioError) as info:
        interpolate_path(keys, steps=0)
    assert str(info.value) == "the number of steps between keyframes must be 1 or more, not 0."
    with pytest.raises(GanStudioError) as info:
        interpolate_path(keys, steps=2, mode="cubic")
    assert str(info.value) == "interpolation mode must be lerp or slerp, not 'cubic'."


def test_arithmetic_groups_single_latents_and_refusals_word_for_word():
    a, b, c = np.array([1.0, 2.0]), np.array([0.5, -1.0]), np.array([[0.0, 1.0], [2.0, 3.0]])
    got = arithmetic(a, [b], c)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [1.0 - 0.5 + 1.0, 2.0 + 1.0 + 2.0], rtol=0, atol=1e-6)
    with pytest.raises(GanStudioError) as info:
        arithmetic([], b, c)
    assert str(info.value) == "latent arithmetic needs at least one sample in group A."
    with pytest.raises(GanStudioError) as info:
        arithmetic(a, b, np.zeros((0, 2)))
    assert str(info.value) == "latent arithmetic needs at least one sample in group C."
    with pytest.raises(GanStudioError) as info:
        arithmetic(a, np.zeros((1, 2, 2)), c)
    assert str(info.value) == "group B holds an array of shape (1, 2, 2), not latents (N, z_dim)."
    with pytest.raises(GanStudioError) as info:
        arithmetic(a, b, np.zeros((1, 3)))
    assert str(info.value) == "groups A, B and C hold latents of different sizes (2, 2, 3)."


def test_variations_are_the_result_plus_seeded_uniform_noise():
    r = np.array([0.5, -1.0, 2.0], np.float32)
    v = arithmetic_variations(r)  # defaults: 9 latents, noise 0.25, seed 0
    noise = np.random.default_rng(0).uniform(-0.25, 0.25, size=(8, 3)).astype(np.float32)
    assert v.shape == (9, 3) and v.dtype == np.float32
    assert np.array_equal(v[0], r) and np.array_equal(v[1:], r + noise)
    w = arithmetic_variations(r, n=4, noise=0.1, seed=5)
    assert np.array_equal(w[1:], r + np.random.default_rng(5).uniform(-0.1, 0.1, size=(3, 3)).astype(np.float32))
    assert np.array_equal(arithmetic_variations(r, n=1), r[None])


def test_dtypes_follow_the_inputs_and_the_maths_is_done_in_float64():
    rng = np.random.default_rng(4)
    a32, b32 = rng.standard_normal((2, 33)).astype(np.float32)
    a64, b64 = a32.astype(np.float64), b32.astype(np.float64)
    for fn in (lerp, slerp):
        # mixed precision: float64 out, whichever side is float64
        assert fn(a64, b32, 0.3).dtype == np.float64 and fn(a32, b64, 0.3).dtype == np.float64
        # integers in: float out, not truncated
        assert fn(np.array([0, 2]), np.array([2, 0]), 0.5).dtype == np.float64
        # float32 in: computed in float64, rounded once at the end
        ts = np.array([0.1, 0.37, 0.5, 0.83])
        assert np.array_equal(fn(a32, b32, ts), fn(a64, b64, ts).astype(np.float32))
        # t in float16 is read as the float64 number it is, not computed in float16
        t16 = np.float16(0.1)
        np.testing.assert_allclose(fn(a64, b64, t16), fn(a64, b64, float(t16)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(lerp(np.array([0, 2]), np.array([2, 0]), 0.25), [0.5, 1.5], rtol=0, atol=0)
    np.testing.assert_allclose(slerp(np.array([1, 0]), np.array([0, 1]), 0.5), [math.sqrt(0.5)] * 2, rtol=1e-15)


def test_two_keyframes_make_a_path_and_the_last_frame_keeps_float64_digits():
    keys = np.array([[0.1, 0.2, 0.3], [0.7, -0.1, 0.05]])  # not representable in float32
    path = interpolate_path(keys, steps=3, mode="lerp")
    assert path.shape == (4, 3) and path.dtype == np.float64
    assert np.array_equal(path[-1], keys[-1]) and np.array_equal(path[0], keys[0])
    np.testing.assert_allclose(path[1], (2 * keys[0] + keys[1]) / 3, rtol=0, atol=1e-15)


def test_group_means_are_taken_in_float64_and_groups_may_be_any_iterable_of_latents():
    # float32 sums would lose the 1 beside 1e8 (1e8 + 1 == 1e8 in float32); the mean of the group is 1/3
    a = np.array([[1e8], [1.0], [-1e8]], np.float32)
    zero = np.zeros((1, 1), np.float32)
    np.testing.assert_allclose(arithmetic(a, zero, zero), [1 / 3], rtol=1e-7)
    rows = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = arithmetic((row for row in rows), iter([np.zeros(2)]), map(np.asarray, [[1.0, 1.0]]))
    np.testing.assert_allclose(got, [2.0 + 1.0, 3.0 + 1.0], rtol=0, atol=1e-6)


def test_two_variations_are_the_result_and_one_noisy_neighbour_in_float32():
    r = np.array([0.5, -1.0], np.float64)
    v = arithmetic_variations(r, n=2, noise=0.5, seed=1)
    assert v.dtype == np.float32 and v.shape == (2, 2)
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, size=(1, 2)).astype(np.float32)
    assert np.array_equal(v[0], r.astype(np.float32)) and np.array_equal(v[1], r.astype(np.float32) + noise[0])
