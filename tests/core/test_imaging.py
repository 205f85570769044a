"""ganstudio.core.imaging against values worked out by hand: the [-1, 1] -> uint8 map, grids, upscaling and
the picture of a 5-channel sketch input."""

import numpy as np
import pytest
import torch

from ganstudio.core.imaging import make_grid_uint8, save_png, sketch_input_to_rgb, tile_pictures, to_uint8, upscale


def test_to_uint8_maps_minus_one_to_zero_and_one_to_255_rounding_halves_to_even():
    # (x + 1) * 127.5, rounded: -1 -> 0, 0 -> 127.5 -> 128 (round half to even), 1 -> 255; outside is clamped.
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0]).view(1, 1, 1, 7).expand(1, 3, 1, 7)
    got = to_uint8(x)
    assert got.dtype == np.uint8 and got.shape == (1, 1, 7, 3)
    assert got[0, 0, :, 0].tolist() == [0, 0, 64, 128, 191, 255, 255]
    # 0.004 -> 128.01 -> 128 and -0.004 -> 126.99 -> 127: rounding, not truncation
    y = to_uint8(torch.tensor([0.004, -0.004]).view(1, 1, 2).expand(3, 1, 2))
    assert y[0, :, 0].tolist() == [128, 127]


def test_to_uint8_channels_last_and_single_image():
    x = torch.zeros(3, 2, 4)
    x[0] = 1.0  # red
    x[2, 1, 3] = -1.0
    got = to_uint8(x)
    assert got.shape == (2, 4, 3)
    assert got[0, 0].tolist() == [255, 128, 128]
    assert got[1, 3].tolist() == [255, 128, 0]


def test_grey_becomes_three_equal_channels():
    x = torch.linspace(-1, 1, 12).view(2, 1, 2, 3)
    got = to_uint8(x)
    assert got.shape == (2, 2, 3, 3)
    np.testing.assert_array_equal(got[..., 0], got[..., 1])
    np.testing.assert_array_equal(got[..., 0], got[..., 2])
    assert got[0, 0, 0, 0] == 0 and got[1, 1, 2, 0] == 255


def test_to_uint8_takes_numpy_and_gradients():
    x = torch.zeros(1, 3, 1, 1, requires_grad=True)
    assert to_uint8(x).tolist() == [[[[128, 128, 128]]]]
    assert to_uint8(np.full((3, 1, 1), -1.0, np.float32)).tolist() == [[[0, 0, 0]]]


def test_tile_pictures_layout():
    pics = np.stack([np.full((2, 3, 3), 10 * (i + 1), np.uint8) for i in range(5)])
    grid = tile_pictures(pics, columns=2, padding=1, pad_value=7)
    assert grid.dtype == np.uint8
    # 3 rows of 2: height 3 * (2 + 1) + 1, width 2 * (3 + 1) + 1
    assert grid.shape == (10, 9, 3)
    for i in range(5):
        r, c = divmod(i, 2)
        y, x = 1 + r * 3, 1 + c * 4
        assert (grid[y:y + 2, x:x + 3] == 10 * (i + 1)).all()
    # padding lines and the empty sixth cell keep the pad value
    assert (grid[0] == 7).all() and (grid[:, 0] == 7).all() and (grid[3] == 7).all() and (grid[:, 4] == 7).all()
    assert (grid[7:9, 5:8] == 7).all()
    assert (grid == 7).sum() == grid.size - 5 * 2 * 3 * 3


def test_tile_pictures_default_is_a_square_ish_grid():
    pics = np.zeros((5, 4, 4, 3), np.uint8)
    assert tile_pictures(pics, padding=0).shape == (8, 12, 3)  # ceil(sqrt 5) = 3 columns, 2 rows
    assert tile_pictures(pics[:4]).shape == (2 * 6 + 2, 2 * 6 + 2, 3)  # default padding 2
    assert tile_pictures(pics[:1]).shape == (8, 8, 3)
    assert tile_pictures(pics[:1])[0, 0].tolist() == [24, 24, 24]  # default pad value


def test_make_grid_uint8_is_to_uint8_then_tile():
    x = torch.rand(3, 3, 4, 4) * 2 - 1
    np.testing.assert_array_equal(make_grid_uint8(x, nrow=3, padding=1, pad_value=3),
                                  tile_pictures(to_uint8(x), 3, 1, 3))
    assert make_grid_uint8(x, nrow=3, padding=1).shape == (1 * 5 + 1, 3 * 5 + 1, 3)
    np.testing.assert_array_equal(make_grid_uint8(x), tile_pictures(to_uint8(x), 2, 2, 24))


def test_upscale_repeats_each_pixel():
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    big = upscale(a, 2)
    assert big.shape == (4, 6)
    assert big.tolist() == [[0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 2, 2], [3, 3, 4, 4, 5, 5], [3, 3, 4, 4, 5, 5]]
    assert upscale(a, 1) is a and upscale(a, 0) is a


def test_save_png_round_trips(tmp_path):
    from PIL import Image

    pic = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = save_png(pic, tmp_path / "new" / "folders" / "p.png")  # the folders are made
    assert path == tmp_path / "new" / "folders" / "p.png"
    np.testing.assert_array_equal(np.asarray(Image.open(path)), pic)
    again = save_png(pic[::-1], str(path.parent / "q.png"))  # into a folder that exists; a str path
    np.testing.assert_array_equal(np.asarray(Image.open(again)), pic[::-1])


@pytest.mark.parametrize("line_value", [1.0, 0.5])
def test_sketch_input_to_rgb_lines_over_hints_over_paper(line_value):
    s = torch.zeros(1, 5, 2, 2)
    s[0, 0] = -1.0  # no line anywhere ...
    s[0, 0, 0, 0] = line_value  # ... except the top-left pixel
    s[0, 1:4, :, 1] = torch.tensor([0.2, -0.4, 0.6]).view(3, 1)  # hint colour in the right column
    s[0, 4, :, 1] = 1.0  # ... which is inside the hint mask
    s[0, 1:4, 1, 0] = 0.9  # a colour outside the mask is ignored
    out = sketch_input_to_rgb(s)
    assert out.shape == (1, 3, 2, 2)
    assert out[0, :, 0, 0].tolist() == [-1.0, -1.0, -1.0]  # line: black
    assert out[0, :, 1, 0].tolist() == [1.0, 1.0, 1.0]  # paper: white
    for y in range(2):
        assert torch.allclose(out[0, :, y, 1], torch.tensor([0.2, -0.4, 0.6]))
    # a line over a hint is still black; zero exactly is "no line" and "not in the hint"
    s[0, 0, 0, 1] = 0.01
    s[0, 4, 1, 1] = 0.0
    out = sketch_input_to_rgb(s)
    assert out[0, :, 0, 1].tolist() == [-1.0, -1.0, -1.0]
    s[0, 0, 1, 1] = 0.0
    assert sketch_input_to_rgb(s)[0, :, 1, 1].tolist() == [1.0, 1.0, 1.0]
