"""Procedural landscapes: the pictures the bundled landscape models are trained on."""

import numpy as np
import pytest
import torch

from ganstudio.core.data import ImageFolder
from ganstudio.core.data.scenes import render_scene, render_scene_folder, render_scenes
from ganstudio.core.errors import ConfigError
from ganstudio.core.sketch.encoding import image_to_sketch_input, sketch_lines


def _as_tensor(pictures: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pictures).permute(0, 3, 1, 2).float() / 127.5 - 1


@pytest.mark.parametrize("size", [32, 64, 128])
def test_scene_is_an_rgb_picture_of_the_requested_size(size):
    picture = render_scene(3, size)
    assert picture.shape == (size, size, 3) and picture.dtype == np.uint8
    assert picture.std() > 20  # not a flat colour


def test_same_seed_same_scene_other_seed_other_scene():
    assert np.array_equal(render_scene(11, 64), render_scene(11, 64))
    assert np.abs(render_scene(11, 64).astype(int) - render_scene(12, 64).astype(int)).mean() > 10


def test_scenes_vary_in_sky_and_layout():
    scenes = render_scenes(24, 64, seed=100).astype(np.float32)
    sky = scenes[:, :8].mean(axis=(1, 2))  # mean colour of the top rows
    brightness = sky.mean(axis=1)
    assert brightness.max() - brightness.min() > 80  # day and night skies
    assert (sky[:, 2] > sky[:, 0] + 30).any() and (sky[:, 0] > sky[:, 2]).any()  # blue days, warm dusks
    # No two scenes alike.
    flat = scenes.reshape(len(scenes), -1)
    distances = np.abs(flat[:, None] - flat[None]).mean(-1)
    assert distances[~np.eye(len(scenes), dtype=bool)].min() > 5


def test_sky_is_above_and_land_below():
    scenes = render_scenes(16, 64, seed=7).astype(np.float32)
    # Land and water are below the sky: the bottom rows differ from the top rows in every scene.
    assert (np.abs(scenes[:, :10].mean(axis=(1, 2)) - scenes[:, -10:].mean(axis=(1, 2))).sum(1) > 20).all()


def test_line_drawings_of_scenes_show_structure():
    images = _as_tensor(render_scenes(16, 64, seed=200))
    lines = sketch_lines(images).float()
    coverage = lines.mean(dim=(1, 2))
    assert (coverage > 0.01).all() and (coverage < 0.3).all()  # every drawing has lines, none is a smudge
    # Outlines of mountains, horizon and trees fall in the middle band of the picture for most scenes.
    middle = lines[:, 16:48].mean(dim=(1, 2))
    assert (middle > 0.02).float().mean() >= 0.75
    # The same auto-pairing code as users' photos gives the 5-channel training input.
    sketch = image_to_sketch_input(images, n_hints=5, generator=torch.Generator().manual_seed(0))
    assert sketch.shape == (16, 5, 64, 64) and ((sketch[:, 0] > 0).float().mean() > 0.01)


def test_scene_folder_is_read_by_the_image_folder_code(tmp_path):
    folder = render_scene_folder(tmp_path / "scenes", 5, 64, seed=40)
    files = sorted(p.name for p in folder.iterdir())
    assert files == [f"scene_{i:05d}.png" for i in range(5)]
    data = ImageFolder(folder, 64)
    assert len(data) == 5 and not data.skipped
    assert torch.allclose(data[2], _as_tensor(render_scene(42, 64)[None])[0], atol=1e-6)


@pytest.mark.parametrize("size", [8, 0, 64.5, "64"])
def test_bad_sizes_are_refused_with_one_sentence(size):
    with pytest.raises(ConfigError, match="Scene size"):
        render_scene(0, size)
