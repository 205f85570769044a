"""Sketch inputs: lines where the edges are, hints that carry the image's colour, one encoding for both
training pairs and the canvas, batches that agree with single images."""

import numpy as np
import pytest
import torch

from ganstudio.core.errors import ConfigError
from ganstudio.core.sketch.encoding import (
    default_hint_size,
    default_line_width,
    encode_sketch_input,
    image_to_sketch_input,
    sketch_input_to_rgb,
    strokes_to_sketch_input,
)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def white_square_on_black(size: int = 64, low: int = 16, high: int = 48) -> torch.Tensor:
    image = -torch.ones(3, size, size)
    image[:, low:high, low:high] = 1.0
    return image


def distance_to_square_border(size: int, low: int, high: int) -> torch.Tensor:
    """Per pixel, the distance (in pixels, chessboard) to the nearest pixel just inside or outside the
    square's edge."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    # The edge lies between low - 1 and low, and between high - 1 and high.
    inside_x = (xs >= low - 1) & (xs <= high)
    inside_y = (ys >= low - 1) & (ys <= high)
    dist_x = torch.minimum((xs - (low - 0.5)).abs(), (xs - (high - 0.5)).abs()) - 0.5
    dist_y = torch.minimum((ys - (low - 0.5)).abs(), (ys - (high - 0.5)).abs()) - 0.5
    on_vertical = torch.where(inside_y, dist_x, torch.full_like(dist_x, 1e9))
    on_horizontal = torch.where(inside_x, dist_y, torch.full_like(dist_y, 1e9))
    return torch.minimum(on_vertical, on_horizontal)


def test_output_shape_dtype_and_values_follow_the_encoding():
    image = torch.rand(3, 32, 48) * 2 - 1
    result = image_to_sketch_input(image, n_hints=5, generator=seeded())
    assert result.shape == (5, 32, 48) and result.dtype == torch.float32
    assert set(result[0].unique().tolist()) <= {-1.0, 1.0}
    assert set(result[4].unique().tolist()) <= {-1.0, 1.0}
    assert result[1:4].min() >= -1 and result[1:4].max() <= 1
    outside = result[4] < 0
    assert (result[1:4][:, outside] == 0).all()


def test_lines_follow_the_border_of_a_white_square_not_its_inside():
    lines = image_to_sketch_input(white_square_on_black(), n_hints=0)[0] > 0
    distance = distance_to_square_border(64, 16, 48)
    assert lines.any()
    assert (distance[lines] <= 1).all(), "every line pixel lies on the square's edge"
    # The whole outline is drawn: every row and column along each side has a line pixel near the edge.
    for edge in (16, 47):
        assert lines[18:46, edge - 1: edge + 2].any(dim=1).all()
        assert lines[edge - 1: edge + 2, 18:46].any(dim=0).all()
    # ...with thin lines: about one pixel per unit of outline, not a thick band.
    assert lines.sum() < 1.3 * 4 * 32


def test_flat_and_smoothly_shaded_images_have_no_lines():
    flat = torch.full((3, 64, 64), 0.3)
    ramp = torch.linspace(-1, 1, 64).expand(3, 64, 64).clone()
    for image in (flat, ramp):
        assert (image_to_sketch_input(image, n_hints=0)[0] == -1).all()


def test_lines_are_clean_on_a_noisy_photo_like_image():
    """Mild sensor noise on a shape gives the shape's outline, not speckle all over."""
    noise = torch.randn(3, 64, 64, generator=seeded(7)) * 0.03
    lines = image_to_sketch_input(white_square_on_black() * 0.6 + noise, n_hints=0)[0] > 0
    distance = distance_to_square_border(64, 16, 48)
    assert (distance[lines] <= 2).float().mean() > 0.97


def test_low_contrast_image_still_gets_its_outline():
    dim = white_square_on_black() * 0.1 - 0.5  # luminance step of 5 %
    lines = image_to_sketch_input(dim, n_hints=0)[0] > 0
    assert lines.sum() > 100


def test_big_images_get_thicker_lines_for_the_canvas_pen():
    assert default_line_width(64) == 1 and default_line_width(256) == 2
    big = image_to_sketch_input(white_square_on_black(256, 64, 192), n_hints=0)[0] > 0
    row = big[128]
    assert row[55:70].sum() == 2  # a two-pixel stroke across the left edge


def test_hints_carry_the_colour_of_a_uniform_image():
    colour = torch.tensor([0.5, -0.25, 0.75])
    image = colour[:, None, None].expand(3, 32, 32).clone()
    result = image_to_sketch_input(image, n_hints=6, generator=seeded(1), hint_size=3)
    mask = result[4] > 0
    assert mask.any()
    assert torch.allclose(result[1:4][:, mask], colour[:, None].expand(3, int(mask.sum())), atol=1e-6)


def test_hint_colour_is_the_mean_of_its_patch():
    image = -torch.ones(3, 32, 32)
    image[0, :, 16:] = 1.0  # right half red, left half black
    result = image_to_sketch_input(image, n_hints=40, generator=seeded(2), hint_size=4)
    mask = result[4] > 0
    red = result[1][mask]
    # Hints left of the boundary are black, right of it red, and those across it in between.
    assert (red == -1).any() and (red == 1).any()
    assert (result[2][mask] == -1).all() and (result[3][mask] == -1).all()
    xs = torch.arange(32).expand(32, 32)
    assert (result[1][mask & (xs < 13)] == -1).all()
    assert (result[1][mask & (xs >= 19)] == 1).all()


def test_mask_area_matches_the_hint_count():
    image = torch.rand(3, 64, 64) * 2 - 1
    for n in (0, 1, 5, 20):
        result = image_to_sketch_input(image, n_hints=n, generator=seeded(n), hint_size=3)
        area = int((result[4] > 0).sum())
        if n == 0:
            assert area == 0 and (result[1:4] == 0).all()
        else:
            assert 9 <= area <= 9 * n
            # Hints rarely overlap on a 64x64 image: the area is nearly n squares.
            assert area >= 9 * n * 0.7


def test_single_pixel_hints_count_exactly():
    image = torch.rand(3, 64, 64) * 2 - 1
    counts = torch.tensor([0, 3, 10])
    batch = image.expand(3, 3, 64, 64)
    result = image_to_sketch_input(batch, n_hints=counts, generator=seeded(3), hint_size=1)
    areas = (result[:, 4] > 0).flatten(1).sum(dim=1)
    assert areas[0] == 0
    assert 1 <= areas[1] <= 3 and 8 <= areas[2] <= 10
    mask = result[2, 4] > 0
    assert torch.allclose(result[2, 1:4][:, mask], image[:, mask])


def test_random_hint_count_when_none_is_given():
    image = torch.rand(3, 64, 64) * 2 - 1
    areas = [
        int((image_to_sketch_input(image, generator=seeded(s), hint_size=1)[4] > 0).sum())
        for s in range(8)
    ]
    assert len(set(areas)) > 1 and max(areas) <= 40


def test_batch_agrees_with_single_images():
    images = torch.stack(
        [white_square_on_black(), white_square_on_black() * 0.1, torch.rand(3, 64, 64) * 2 - 1]
    )
    batch = image_to_sketch_input(images, n_hints=0)
    assert batch.shape == (3, 5, 64, 64)
    for i in range(3):
        assert torch.equal(batch[i], image_to_sketch_input(images[i], n_hints=0))
    # With the same random source a batch of one equals the single image, hints included.
    single = image_to_sketch_input(images[2], n_hints=7, generator=seeded(5))
    one = image_to_sketch_input(images[2:3], n_hints=7, generator=seeded(5))
    assert torch.equal(one[0], single)


def test_canvas_strokes_use_the_same_encoding():
    image = white_square_on_black() * torch.tensor([1.0, 0.2, -0.4])[:, None, None]
    trained = image_to_sketch_input(image, n_hints=8, generator=seeded(4))
    # Decode the training input into canvas layers, then rebuild it the canvas way.
    lines = (trained[0] > 0).numpy().astype(np.uint8)
    mask = (trained[4] > 0).numpy()
    rebuilt = strokes_to_sketch_input(lines, trained[1:4].numpy(), mask)
    assert torch.equal(rebuilt, trained)


def test_strokes_encoding_values():
    lines = torch.zeros(8, 8)
    lines[2, :] = 1
    hint_rgb = torch.zeros(3, 8, 8)
    hint_rgb[:, 5:7, 5:7] = torch.tensor([1.0, -1.0, 0.5])[:, None, None]
    hint_mask = torch.zeros(8, 8, dtype=torch.bool)
    hint_mask[5:7, 5:7] = True
    result = strokes_to_sketch_input(lines, hint_rgb, hint_mask)
    assert result.shape == (5, 8, 8)
    assert (result[0, 2] == 1).all() and (result[0, 3] == -1).all()
    assert result[1:4, 5, 5].tolist() == [1.0, -1.0, 0.5]
    assert result[4, 5, 5] == 1 and result[4, 0, 0] == -1
    assert (result[1:4, 0, 0] == 0).all()
    # uint8 colours from a colour picker are rescaled to [-1, 1].
    picked = strokes_to_sketch_input(lines, np.full((3, 8, 8), 255, np.uint8), hint_mask)
    assert picked[1, 5, 5] == 1.0 and picked[1, 0, 0] == 0.0
    assert torch.equal(encode_sketch_input(lines[None], hint_rgb[None], hint_mask[None])[0], result)


def test_shape_errors_are_config_errors():
    with pytest.raises(ConfigError, match=r"\(1, 8, 8\)"):
        image_to_sketch_input(torch.zeros(1, 8, 8))
    with pytest.raises(ConfigError, match="Canvas layers"):
        strokes_to_sketch_input(torch.zeros(8, 8), torch.zeros(3, 8, 4), torch.zeros(8, 8))
    with pytest.raises(ConfigError, match="Hint size 20"):
        image_to_sketch_input(torch.zeros(3, 8, 8), hint_size=20)
    with pytest.raises(ConfigError, match="Hint count"):
        image_to_sketch_input(torch.zeros(3, 8, 8), n_hints=-1)


def test_default_sizes_grow_with_the_image():
    assert default_hint_size(64) == 3 and default_hint_size(256) == 13
    assert default_hint_size(8) == 1


def test_picture_of_a_sketch_input_shows_black_lines_and_the_hint_colours():
    image = white_square_on_black() * torch.tensor([1.0, 0.0, 0.0])[:, None, None]
    encoded = image_to_sketch_input(image, n_hints=10, generator=seeded(6), hint_size=2)
    picture = sketch_input_to_rgb(encoded[None])[0]
    lines = encoded[0] > 0
    hints = (encoded[4] > 0) & ~lines
    paper = ~lines & ~hints
    assert (picture[:, lines] == -1).all()
    assert torch.equal(picture[:, hints], encoded[1:4][:, hints])
    assert (picture[:, paper] == 1).all()
