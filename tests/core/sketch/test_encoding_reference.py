"""The sketch encoding against an independent reference: every stage of the line detector (blur, Sobel,
non-maximum suppression, thresholds, hysteresis, dot removal, thickening) and the colour hints written again
here as plain per-pixel numpy loops in float64, and compared pixel for pixel; the encoding's values and
refusals word for word. (The module's own tests check properties: lines on a square's border, hint colours
of uniform images; these pin the exact pixels users' pictures and training pairs get.)"""

import math

import numpy as np
import pytest
import torch

from ganstudio.core.errors import ConfigError
from ganstudio.core.sketch import encoding
from ganstudio.core.sketch.encoding import (
    encode_sketch_input,
    image_to_sketch_input,
    sketch_lines,
    strokes_to_sketch_input,
)
from ganstudio.core.sketch.sizes import default_blur_sigma, default_hint_size, default_line_width

SOBEL = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
TAN_22 = math.tan(math.pi / 8)


# --- the reference, one pixel at a time ----------------------------------------------------------------------


def ref_blur(plane: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return plane.copy()
    radius = max(1, math.ceil(2.5 * sigma))
    kernel = np.array([math.exp(-(o * o) / (2 * sigma * sigma)) for o in range(-radius, radius + 1)])
    kernel /= kernel.sum()
    mode = "reflect" if min(plane.shape) > radius else "edge"
    h, w = plane.shape
    rows = np.pad(plane, ((0, 0), (radius, radius)), mode=mode)
    across = np.array([[sum(kernel[j] * rows[y, x + j] for j in range(2 * radius + 1)) for x in range(w)]
                       for y in range(h)])
    cols = np.pad(across, ((radius, radius), (0, 0)), mode=mode)
    return np.array([[sum(kernel[j] * cols[y + j, x] for j in range(2 * radius + 1)) for x in range(w)]
                     for y in range(h)])


def ref_local_maximum(m: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    h, w = m.shape

    def at(y, x):
        return m[y, x] if 0 <= y < h and 0 <= x < w else 0.0

    keep = np.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            ax, ay = abs(gx[y, x]), abs(gy[y, x])
            if ay <= TAN_22 * ax:
                dy, dx = 0, 1
            elif ax <= TAN_22 * ay:
                dy, dx = 1, 0
            elif gx[y, x] * gy[y, x] > 0:
                dy, dx = 1, 1
            else:
                dy, dx = 1, -1
            v = m[y, x]
            tol = v * 1e-3 + 1e-6
            before, after, after2 = at(y - dy, x - dx), at(y + dy, x + dx), at(y + 2 * dy, x + 2 * dx)
            keep[y, x] = v > before + tol and (v > after + tol or (v >= after - tol and v > after2 + tol))
    return keep


def ref_grow(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    return np.array([[mask[max(0, y - 1): y + 2, max(0, x - 1): x + 2].any() for x in range(w)] for y in range(h)])


def ref_lines(image: np.ndarray, sigma: float, width: int) -> np.ndarray:
    """One image (3, H, W) in [-1, 1] -> bool (H, W)."""
    luma = sum(c * (np.clip(image[i], -1, 1) + 1) / 2 for i, c in enumerate((0.299, 0.587, 0.114)))
    blurred = ref_blur(luma, sigma)
    h, w = blurred.shape
    p = np.pad(blurred, 1, mode="edge")
    gx = np.array([[(SOBEL * p[y:y + 3, x:x + 3]).sum() for x in range(w)] for y in range(h)])
    gy = np.array([[(SOBEL.T * p[y:y + 3, x:x + 3]).sum() for x in range(w)] for y in range(h)])
    magnitude = np.sqrt(gx * gx + gy * gy) * (max(sigma, 0.5) * math.sqrt(2 * math.pi))
    thin = np.where(ref_local_maximum(magnitude, gx, gy), magnitude, 0.0)
    ordered = np.sort(magnitude.ravel())
    strong = ordered[round(0.98 * (ordered.size - 1))]
    high = max(strong * 0.5, 0.03)
    low = high * 0.5
    lines = thin >= high
    for _ in range(6):
        lines = (thin >= low) & ref_grow(lines)
    counts = np.array([[lines[max(0, y - 1): y + 2, max(0, x - 1): x + 2].sum() for x in range(w)] for y in range(h)])
    lines = lines & (counts >= 2)
    before = (width - 1) // 2
    return np.array([[lines[max(0, y - before): max(0, y - before + width), max(0, x - before): max(0, x - before + width)].any()
                      for x in range(w)] for y in range(h)])


def ref_hints(image: np.ndarray, counts: list[int], size: int, generator: torch.Generator):
    """Hint RGB (N, 3, H, W) and mask (N, H, W): the same random places (drawn from the generator in the
    order the docstring's recipe gives: all tops, then all lefts), each hint's colour the mean of its
    square, overlapping hints averaged."""
    n, _, h, w = image.shape
    most = max(counts) if n else 0
    rgb, mask = np.zeros((n, 3, h, w)), np.zeros((n, h, w))
    if most == 0:
        return rgb, mask
    top = torch.randint(h - size + 1, (n, most), generator=generator).numpy()
    left = torch.randint(w - size + 1, (n, most), generator=generator).numpy()
    for b in range(n):
        total, number = np.zeros((3, h, w)), np.zeros((h, w))
        for k in range(counts[b]):
            y, x = top[b, k], left[b, k]
            colour = image[b, :, y:y + size, x:x + size].reshape(3, -1).mean(axis=1)
            total[:, y:y + size, x:x + size] += colour[:, None, None]
            number[y:y + size, x:x + size] += 1
        inside = number > 0
        rgb[b] = np.where(inside, total / np.maximum(number, 1), 0.0)
        mask[b] = inside
    return rgb, mask


# --- test pictures -------------------------------------------------------------------------------------------


def smooth_noise(h: int, w: int, seed: int, blur: int = 2) -> np.ndarray:
    """Blobs with edges of every direction and strength, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (3, h + 2 * blur, w + 2 * blur))
    box = np.ones(2 * blur + 1) / (2 * blur + 1)
    for axis in (1, 2):
        x = np.apply_along_axis(lambda v: np.convolve(v, box, mode="same"), axis, x)
    x = x[:, blur:blur + h, blur:blur + w]
    return np.clip(x * 4, -1, 1)


def fading_edge(h: int = 40, w: int = 24) -> np.ndarray:
    """A vertical edge, a full step in its top 8 rows, then a step of about a third of that: too weak to
    start a line, strong enough to continue one. Hysteresis must grow the line down the weak part by a
    row a step, for its number of steps only."""
    image = -np.ones((3, h, w))
    image[:, :8, w // 2:] = 1.0
    image[:, 8:, w // 2:] = -1 + 0.65
    return image


def check_lines(image: np.ndarray, sigma: float, width: int) -> np.ndarray:
    got = sketch_lines(torch.from_numpy(image)[None], blur_sigma=sigma, line_width=width)[0].numpy()
    want = ref_lines(image, sigma, width)
    assert got.dtype == np.bool_
    assert np.array_equal(got, want), f"{int((got != want).sum())} pixels differ (sigma {sigma}, width {width})"
    return got


# --- the line detector ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma,width", [(1.0, 1), (0.3, 2), (2.0, 3), (0.0, 4), (1.6, 1)])
def test_lines_of_smooth_blobs_equal_the_reference_pixel_for_pixel(sigma, width):
    image = smooth_noise(24, 32, seed=int(sigma * 10) + width, blur=4)  # not square: rows and columns not swapped
    lines = check_lines(image, sigma, width)
    assert 0.01 < lines.mean() < 0.97  # a picture with lines and paper, so the comparison means something


def test_lines_of_a_square_and_a_disc_equal_the_reference():
    ys, xs = np.mgrid[0:30, 0:36]
    disc = np.where((ys - 14.3) ** 2 + (xs - 20.6) ** 2 < 81, 1.0, -1.0)
    image = np.stack([disc, -disc, disc * 0.5])
    image[:, 3:9, 3:12] = 0.8  # a rectangle with sharp corners
    check_lines(image, 1.0, 1)
    check_lines(image, 0.6, 2)


def test_colour_edges_count_by_their_luminance():
    # A pure red / pure blue boundary: the luminance step is 0.299 - 0.114, weighted per channel.
    image = np.zeros((3, 20, 20))
    image[0, :, :10], image[2, :, 10:] = 1.0, 1.0
    image[0, :, 10:], image[2, :, :10] = -1.0, -1.0
    image[1] = -1.0
    lines = check_lines(image, 1.0, 1)
    assert (lines[:, 9].all() or lines[:, 10].all()) and not lines[:, :8].any() and not lines[:, 12:].any()
    # Values outside [-1, 1] are clamped before the luminance.
    assert np.array_equal(check_lines(image * 3, 1.0, 1), lines)


def test_hysteresis_grows_weak_lines_from_strong_ones_by_its_number_of_steps():
    image = fading_edge()
    lines = check_lines(image, 1.0, 1)
    rows = lines.any(axis=1)
    # The strong top rows are lines; the weak part joins them down to row 16 (the corner at rows 8-9 bends
    # the gradient, so row 9 misses), and no further although it stays as strong below.
    assert rows[:9].all() and rows[10:17].all()
    assert not rows[17:].any()
    stronger = fading_edge()
    stronger[:, 8:, 12:] = -1 + 0.7  # strong enough to start lines of its own: all the way down
    assert check_lines(stronger, 1.0, 1).any(axis=1)[17:].all()


def test_flat_pictures_and_steps_below_three_percent_have_no_lines():
    flat = np.full((3, 16, 16), 0.25)
    check_lines(flat, 1.0, 1)
    faint = np.full((3, 16, 16), -0.5)
    faint[:, :, 8:] = -0.5 + 2 * 0.025  # a 2.5 % luminance step: below the floor of the thresholds
    assert not check_lines(faint, 1.0, 1).any()
    clear = faint.copy()
    clear[:, :, 8:] = -0.5 + 2 * 0.05  # 5 %: a line
    assert check_lines(clear, 1.0, 1).any()


def test_isolated_dots_are_removed_and_pairs_kept():
    image = -np.ones((3, 21, 21))
    image[:, 10, 10] = 1.0  # a single bright pixel: its ring of edges
    check_lines(image, 0.0, 1)
    lines = check_lines(image, 0.4, 1)
    assert lines.sum() != 1


def test_blur_equals_the_reference_for_small_and_wide_kernels():
    rng = np.random.default_rng(3)
    for h, w, sigma in ((9, 13, 1.0), (3, 12, 1.0), (12, 3, 2.0), (7, 7, 0.2), (8, 5, 2.4), (6, 6, -1.0)):
        plane = rng.uniform(0, 1, (h, w))
        got = encoding._gaussian_blur(torch.from_numpy(plane)[None, None], sigma)[0, 0].numpy()
        np.testing.assert_allclose(got, ref_blur(plane, sigma), rtol=0, atol=1e-12)


def test_blur_of_a_constant_is_the_constant_and_of_a_dot_the_normalised_kernel():
    plane = np.zeros((15, 15))
    plane[7, 7] = 1.0
    got = encoding._gaussian_blur(torch.from_numpy(plane)[None, None], 1.0)[0, 0].numpy()
    radius = 3  # ceil(2.5 * 1)
    k = np.exp(-np.arange(-radius, radius + 1) ** 2 / 2.0)
    k /= k.sum()
    expected = np.zeros((15, 15))
    expected[7 - radius: 8 + radius, 7 - radius: 8 + radius] = np.outer(k, k)
    np.testing.assert_allclose(got, expected, atol=1e-15)
    const = encoding._gaussian_blur(torch.full((1, 1, 4, 9), 0.7, dtype=torch.float64), 3.0)
    np.testing.assert_allclose(const.numpy(), 0.7, atol=1e-15)


def test_non_maximum_suppression_equals_the_reference_in_every_direction():
    rng = np.random.default_rng(11)
    h, w = 14, 17
    m = rng.uniform(0, 1, (h, w))
    # Plateaus (ties within the tolerance) in places, exact direction boundaries (22.5 degrees, zero).
    m[3, 2:9] = 0.5
    m[9:12, 5] = m[9:12, 5].max()
    m[6, 6] = m[6, 7] = 0.9
    m[6, 8] = 0.2
    directions = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0), (1.0, TAN_22),
                  (TAN_22, 1.0), (-1.0, TAN_22), (0.0, 0.0), (0.3, -0.9), (-0.9, 0.3)]
    pick = rng.integers(0, len(directions), (h, w))
    gx = np.array([[directions[pick[y, x]][0] for x in range(w)] for y in range(h)])
    gy = np.array([[directions[pick[y, x]][1] for x in range(w)] for y in range(h)])
    scale = rng.uniform(0.5, 2, (h, w))  # the same factor on both keeps the direction (and exact boundaries)
    gx, gy = gx * scale, gy * scale
    got = encoding._is_local_maximum(*(torch.from_numpy(a)[None] for a in (m, gx, gy)))[0].numpy()
    assert np.array_equal(got, ref_local_maximum(m, gx, gy))


def test_non_maximum_suppression_ties_and_tolerance_by_hand():
    # A horizontal profile (gradient along x): 0 1 1 0.5 | a step between two equal pixels keeps the first.
    gx, gy = torch.ones(1, 1, 6, dtype=torch.float64), torch.zeros(1, 1, 6, dtype=torch.float64)

    def keep(values):
        return encoding._is_local_maximum(torch.tensor([[values]], dtype=torch.float64), gx, gy)[0, 0].tolist()

    assert keep([0.0, 1.0, 1.0, 0.5, 0.0, 0.0]) == [False, True, False, False, False, False]
    # A plateau of three: the first is beaten by nothing after it but ties the next, whose next ties too.
    assert keep([0.0, 1.0, 1.0, 1.0, 0.0, 0.0]) == [False, False, False, False, False, False]
    # Within the tolerance (1e-3 of the value + 1e-6) a bigger neighbour counts as equal.
    assert keep([0.0, 1.0, 1.0005, 0.0, 0.0, 0.0]) == [False, True, False, False, False, False]
    assert keep([0.0, 1.0, 1.002, 0.0, 0.0, 0.0]) == [False, False, True, False, False, False]
    # A peak must beat the pixel before it by more than the tolerance; the image border counts as 0.
    assert keep([1.0, 0.9995, 0.0, 0.0, 0.0, 0.0]) == [True, False, False, False, False, False]
    assert keep([0.0, 0.0, 0.0, 0.0, 0.0, 0.5]) == [False, False, False, False, False, True]
    assert keep([0.0, 0.0, 0.0, 0.0, 0.5, 0.5]) == [False, False, False, False, True, False]
    assert keep([0.0] * 6) == [False] * 6
    assert keep([0.0, 0.0, 0.0, 0.0, 0.0, 5e-7]) == [False] * 6


def test_growing_by_one_is_a_3x3_dilation():
    rng = np.random.default_rng(5)
    mask = rng.uniform(0, 1, (2, 9, 11)) > 0.9
    mask[0, 0, 0] = mask[0, -1, -1] = mask[1, 0, -1] = mask[1, -1, 0] = True
    got = encoding._grow_by_one(torch.from_numpy(mask)).numpy()
    for b in range(2):
        assert np.array_equal(got[b], ref_grow(mask[b]))
    # The input is left as it was.
    assert encoding._grow_by_one(torch.from_numpy(mask)).sum() > int(mask.sum())


def test_image_to_sketch_input_lines_use_the_defaults_of_the_smaller_side():
    image = smooth_noise(24, 40, seed=9)  # the smaller side is 24
    got = image_to_sketch_input(torch.from_numpy(image), n_hints=0)
    side = 24
    want = ref_lines(image, default_blur_sigma(side), default_line_width(side))
    assert np.array_equal(got[0].numpy() > 0, want)
    hinted = image_to_sketch_input(torch.from_numpy(image), n_hints=4, generator=torch.Generator().manual_seed(1))
    rgb, mask = ref_hints(image[None], [4], default_hint_size(side), torch.Generator().manual_seed(1))
    np.testing.assert_allclose(hinted[1:4].numpy(), rgb[0], atol=1e-12)
    assert np.array_equal(hinted[4].numpy(), mask[0] * 2 - 1) and default_hint_size(side) != default_hint_size(40)
    explicit = image_to_sketch_input(torch.from_numpy(image), n_hints=0, blur_sigma=0.5, line_width=3)
    assert np.array_equal(explicit[0].numpy() > 0, ref_lines(image, 0.5, 3))


# --- colour hints --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size,counts", [(3, [5, 0, 12]), (1, [7, 2, 1]), (4, [30, 30, 1]), (6, [2, 3, 4])])
def test_hints_equal_the_reference_mean_colours_and_overlaps(size, counts):
    images = np.stack([smooth_noise(14, 22, seed=s) for s in range(3)])
    got = image_to_sketch_input(torch.from_numpy(images), n_hints=torch.tensor(counts),
                                generator=torch.Generator().manual_seed(size), hint_size=size)
    rgb, mask = ref_hints(images, counts, size, torch.Generator().manual_seed(size))
    np.testing.assert_allclose(got[:, 1:4].numpy(), rgb, rtol=0, atol=1e-12)
    assert np.array_equal(got[:, 4].numpy(), mask * 2 - 1)
    # The counts are per image: the mask covers exactly the union of that image's squares.
    assert (mask[1].sum() == 0) == (counts[1] == 0)


def test_one_hint_count_for_a_whole_batch_and_a_square_as_big_as_the_image():
    images = np.stack([smooth_noise(10, 12, seed=s) for s in range(2)])
    got = image_to_sketch_input(torch.from_numpy(images), n_hints=3, generator=torch.Generator().manual_seed(2),
                                hint_size=10)
    rgb, mask = ref_hints(images, [3, 3], 10, torch.Generator().manual_seed(2))
    np.testing.assert_allclose(got[:, 1:4].numpy(), rgb, atol=1e-12)
    assert np.array_equal(got[:, 4].numpy(), mask * 2 - 1)


def test_random_hint_counts_are_drawn_uniformly_from_0_to_40():
    g = torch.Generator().manual_seed(8)
    counts = encoding._hint_counts(None, 500, g)
    assert torch.equal(counts, torch.randint(41, (500,), generator=torch.Generator().manual_seed(8)))
    assert counts.dtype == torch.int64 and counts.min() == 0 and counts.max() == 40
    # and with no generator: the global random source, still 0..40
    torch.manual_seed(4)
    free = encoding._hint_counts(None, 300, None)
    torch.manual_seed(4)
    assert torch.equal(free, torch.randint(41, (300,)))
    # Without n_hints, image_to_sketch_input draws the counts first, from the same generator.
    images = np.stack([smooth_noise(12, 12, seed=s) for s in range(4)])
    got = image_to_sketch_input(torch.from_numpy(images), generator=torch.Generator().manual_seed(6), hint_size=2)
    g = torch.Generator().manual_seed(6)
    drawn = torch.randint(41, (4,), generator=g).tolist()
    rgb, mask = ref_hints(images, drawn, 2, g)
    np.testing.assert_allclose(got[:, 1:4].numpy(), rgb, atol=1e-12)


def test_hint_counts_given_as_numbers_and_tensors():
    assert encoding._hint_counts(3, 4, None).tolist() == [3, 3, 3, 3]
    assert encoding._hint_counts(torch.tensor([1, 0, 2]), 3, None).tolist() == [1, 0, 2]
    assert encoding._hint_counts(0, 2, None).tolist() == [0, 0]
    assert encoding._hint_counts(np.int64(2), 1, None).dtype == torch.int64
    assert encoding._hint_counts(torch.tensor([1, 2], dtype=torch.int32), 2, None).dtype == torch.int64
    for bad, n in ((-1, 2), (torch.tensor([1, 2]), 3), (torch.tensor([1, -1, 0]), 3)):
        with pytest.raises(ConfigError) as info:
            encoding._hint_counts(bad, n, None)
        assert str(info.value) == f"Hint count {bad!r} must be a whole number of at least 0, or one per image ({n})."


def test_window_sums_are_exact_on_big_pictures():
    # Long running sums in float32 lose the small values: the integral image is float64.
    x = torch.full((1, 1, 300, 300), 1000.0)
    x[0, 0, 150:153, 150:153] = 1000.001
    got = encoding._window_sums(x, 3)
    assert got.dtype == torch.float32 and got.shape == (1, 1, 298, 298)
    assert got[0, 0, 150, 150].item() == pytest.approx(9000.009, abs=2e-3)
    assert got[0, 0, 0, 0].item() == 9000.0
    rng = np.random.default_rng(0)
    small = rng.uniform(-1, 1, (2, 3, 7, 9))
    sums = encoding._window_sums(torch.from_numpy(small), 4).numpy()
    want = np.array([[[[small[b, c, y:y + 4, x:x + 4].sum() for x in range(6)] for y in range(4)]
                      for c in range(3)] for b in range(2)])
    np.testing.assert_allclose(sums, want, atol=1e-12)


def test_no_hints_give_zero_colours_and_an_empty_mask():
    images = torch.from_numpy(np.stack([smooth_noise(8, 8, seed=1)] * 2))
    rgb, mask = encoding._colour_hints(images, torch.tensor([0, 0]), 2, None)
    assert rgb.shape == (2, 3, 8, 8) and mask.shape == (2, 8, 8)
    assert not rgb.any() and not mask.any() and rgb.dtype == mask.dtype == torch.float64
    empty_rgb, empty_mask = encoding._colour_hints(images[:0], torch.zeros(0, dtype=torch.int64), 2, None)
    assert empty_rgb.shape == (0, 3, 8, 8) and empty_mask.shape == (0, 8, 8)


# --- the encoding and the canvas ------------------------------------------------------------------------------


def test_encoding_reads_on_above_one_half_and_clamps_colours():
    lines = torch.tensor([[[0.0, 0.5, 0.51, 1.0, 2.0, -3.0]]])
    mask = torch.tensor([[[0.5, 0.51, 1.0, 0.0, 0.7, 0.4]]])
    rgb = torch.tensor([[[[2.0, 0.3, -0.2, 0.9, -5.0, 0.6]]]]).expand(1, 3, 1, 6)
    out = encode_sketch_input(lines, rgb, mask)
    assert out.shape == (1, 5, 1, 6) and out.dtype == torch.float32
    assert out[0, 0, 0].tolist() == [-1.0, -1.0, 1.0, 1.0, 1.0, -1.0]
    assert out[0, 4, 0].tolist() == [-1.0, 1.0, 1.0, -1.0, 1.0, -1.0]
    assert out[0, 1, 0].tolist() == pytest.approx([0.0, 0.3, -0.2, 0.0, -1.0, 0.0])
    assert torch.equal(out[0, 1], out[0, 3])
    # bool layers, and the colours' dtype sets the result's
    out64 = encode_sketch_input(lines[0:1] > 0.5, rgb.double().clamp(-1, 1), mask > 0.5)
    assert out64.dtype == torch.float64 and torch.equal(out64.float(), out)


def test_canvas_colours_in_uint8_are_rescaled_and_other_layers_are_not():
    lines = np.array([[0, 1, 1]], np.uint8)
    mask = np.array([[1, 1, 0]], np.uint8)
    colours = np.array([[[0, 51, 255]], [[255, 127, 0]], [[102, 204, 153]]], np.uint8)
    out = strokes_to_sketch_input(lines, colours, mask)
    assert out.dtype == torch.float32 and out.shape == (5, 1, 3)
    assert out[0, 0].tolist() == [-1.0, 1.0, 1.0]
    assert out[4, 0].tolist() == [1.0, 1.0, -1.0]
    np.testing.assert_allclose(out[1:4, 0, :2].numpy(), colours[:, 0, :2] / 127.5 - 1, atol=1e-6)
    assert out[1:4, 0, 2].tolist() == [0.0, 0.0, 0.0]
    # Integer colours that are not uint8 are taken as they are (then clamped).
    ints = strokes_to_sketch_input(lines, colours.astype(np.int64), mask)
    assert ints[1, 0].tolist() == [0.0, 1.0, 0.0] and ints.dtype == torch.float32
    # Whatever the layers' types (float64 colours, bool or int64 masks), the result is float32.
    mixed = strokes_to_sketch_input(lines.astype(bool), colours.astype(np.float64) / 255, mask.astype(np.int64))
    assert mixed.dtype == torch.float32 and mixed[4, 0].tolist() == [1.0, 1.0, -1.0]
    # Batches keep their leading dimension; torch layers on the CPU work alike.
    batch = strokes_to_sketch_input(torch.from_numpy(lines)[None], torch.from_numpy(colours)[None],
                                    torch.from_numpy(mask)[None])
    assert batch.shape == (1, 5, 1, 3) and torch.equal(batch[0], out)
    # Non-contiguous numpy layers are read correctly.
    wide = np.zeros((3, 6), np.uint8)
    wide[:, ::2] = 1
    assert strokes_to_sketch_input(wide[:, ::2], np.zeros((3, 3, 3)), np.zeros((3, 3)))[0].tolist() == [[1.0] * 3] * 3


@pytest.mark.parametrize("lines,colours,mask", [
    ((8, 8), (3, 8, 4), (8, 8)),
    ((8, 8), (3, 8, 8), (8, 7)),
    ((8, 8), (4, 8, 8), (8, 8)),
    ((8, 8), (8, 8), (8, 8)),
    ((1, 2, 8, 8), (1, 3, 8, 8), (1, 2, 8, 8)),
    ((2, 8, 8), (2, 3, 8, 8), (1, 8, 8)),
])
def test_canvas_layers_that_do_not_fit_are_refused_word_for_word(lines, colours, mask):
    with pytest.raises(ConfigError) as info:
        strokes_to_sketch_input(torch.zeros(lines), torch.zeros(colours), torch.zeros(mask))
    single = len(lines) == 2
    shown = [(1, *s) if single else s for s in (lines, colours, mask)]
    assert str(info.value) == (
        f"Canvas layers do not fit together: lines {shown[0]}, hint colours {shown[1]} and hint mask "
        f"{shown[2]} must be (H, W), (3, H, W), (H, W).")


def test_image_to_sketch_input_refusals_word_for_word():
    def refused(**kwargs):
        image = kwargs.pop("image", torch.zeros(3, 8, 12))
        with pytest.raises(ConfigError) as info:
            image_to_sketch_input(image, n_hints=0, **kwargs)
        return str(info.value)

    assert refused(hint_size=9) == "Hint size 9 must be between 1 and the image side 8."
    assert refused(hint_size=0) == "Hint size 0 must be between 1 and the image side 8."
    assert refused(line_width=0) == "Line width 0 must be at least 1 pixel."
    assert refused(image=torch.zeros(4, 8, 8)) == "The image has shape (4, 8, 8); expected (3, H, W) or (N, 3, H, W)."
    assert refused(image=torch.zeros(8, 8)) == "The image has shape (8, 8); expected (3, H, W) or (N, 3, H, W)."
    assert refused(image=torch.zeros(1, 1, 3, 8, 8)) == (
        "The image has shape (1, 1, 3, 8, 8); expected (3, H, W) or (N, 3, H, W).")
    # The limits themselves are accepted: a hint as big as the smaller side, lines one pixel wide.
    ok = image_to_sketch_input(torch.zeros(3, 8, 12), n_hints=1, hint_size=8, line_width=1,
                               generator=torch.Generator().manual_seed(0))
    assert ok.shape == (5, 8, 12) and (ok[4] > 0).sum() == 64


def test_image_to_sketch_input_takes_numpy_and_integer_pictures_as_float():
    image = smooth_noise(16, 16, seed=2)
    want = image_to_sketch_input(torch.from_numpy(image).float(), n_hints=0)
    assert want.dtype == torch.float32
    assert torch.equal(image_to_sketch_input(image.astype(np.float32), n_hints=0), want)
    ints = np.where(image > 0, 1, -1).astype(np.int64)
    got = image_to_sketch_input(torch.from_numpy(ints), n_hints=0)
    assert got.dtype == torch.float32
    assert torch.equal(got, image_to_sketch_input(torch.from_numpy(ints).float(), n_hints=0))
    # A float64 picture keeps float64 through the encoding.
    assert image_to_sketch_input(torch.from_numpy(image), n_hints=0).dtype == torch.float64


def test_without_a_generator_hints_come_from_torchs_global_random_source():
    images = np.stack([smooth_noise(12, 16, seed=s) for s in range(2)])
    torch.manual_seed(5)
    got = image_to_sketch_input(torch.from_numpy(images), n_hints=torch.tensor([3, 1]), hint_size=2)
    torch.manual_seed(5)
    rgb, mask = ref_hints(images, [3, 1], 2, None)
    np.testing.assert_allclose(got[:, 1:4].numpy(), rgb, atol=1e-12)
    assert np.array_equal(got[:, 4].numpy(), mask * 2 - 1)
    # The hint layers themselves: colours and a 0/1 mask of the pictures' dtype.
    hint_rgb, hint_mask = encoding._colour_hints(torch.from_numpy(images).float(), torch.tensor([2, 2]), 3,
                                                 torch.Generator().manual_seed(1))
    assert hint_rgb.dtype == hint_mask.dtype == torch.float32 and set(hint_mask.unique().tolist()) == {0.0, 1.0}


def test_sketch_lines_defaults_are_a_one_pixel_blur_and_one_pixel_lines():
    image = smooth_noise(20, 20, seed=4, blur=4)
    got = sketch_lines(torch.from_numpy(image)[None])[0].numpy()
    assert np.array_equal(got, ref_lines(image, 1.0, 1))


def test_values_beyond_the_image_range_are_clamped_before_the_luminance():
    # Bands of -3, -1, 1, 3: clamped to [-1, 1] only the middle step is an edge.
    image = np.zeros((3, 12, 24))
    for i, value in enumerate((-3.0, -1.0, 1.0, 3.0)):
        image[:, :, 6 * i: 6 * i + 6] = value
    lines = check_lines(image, 1.0, 1)
    assert lines[:, 10:14].any() and not lines[:, :8].any() and not lines[:, 16:].any()


@pytest.mark.parametrize("sigma,low,high", [(1.0, 0.022, 0.044), (0.3, 0.036, 0.066)])
def test_faint_steps_around_the_three_percent_floor_equal_the_reference(sigma, low, high):
    # One step per picture, the thresholds at their floor: the edge strength's scale (the Sobel weights, the
    # blur width factor) decides which of these steps are lines.
    drawn = []
    for step in np.linspace(low, high, 10):
        image = np.full((3, 8, 10), -0.5)
        image[:, :, 5:] += 2 * step
        drawn.append(bool(check_lines(image, sigma, 1).any()))
    assert not drawn[0] and drawn[-1]  # the floor falls inside the range
