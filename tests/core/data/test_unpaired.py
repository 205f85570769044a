"""Unpaired folders (trainA/ + trainB/ or any two folders) and the day/night scene sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.data.unpaired import UnpairedFolders, held_out_scenes, scene_sides
from ganstudio.core.errors import DataError


def _pictures(folder, n, colour, broken=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((20, 24, 3), colour, np.uint8)).save(folder / f"p{i}.png")
    for i in range(broken):
        (folder / f"broken{i}.png").write_bytes(b"not a png")


def test_reference_layout_reads_both_sides(tmp_path):
    _pictures(tmp_path / "trainA", 3, 10)
    _pictures(tmp_path / "trainB", 5, 240, broken=2)
    data = UnpairedFolders(tmp_path, 32)
    assert (len(data.a), len(data.b), len(data)) == (3, 5, 5)
    assert len(data.skipped) == 2 and all("broken" in p.name for p, _ in data.skipped)
    a, b = data.a.to_tensor(), data.b.to_tensor()
    assert a.shape == (3, 3, 32, 32) and a.mean() < -0.8 and b.mean() > 0.8


def test_any_two_folders(tmp_path):
    _pictures(tmp_path / "summer", 2, 100)
    _pictures(tmp_path / "winter", 2, 200)
    data = UnpairedFolders(tmp_path / "summer", 32, path_b=tmp_path / "winter")
    assert data.folder_a.name == "summer" and data.folder_b.name == "winter"


def test_missing_side_is_one_sentence(tmp_path):
    _pictures(tmp_path / "trainA", 2, 10)
    with pytest.raises(DataError, match=r"has no trainB/ folder"):
        UnpairedFolders(tmp_path, 32)


def test_empty_side_names_the_side(tmp_path):
    _pictures(tmp_path / "trainA", 2, 10)
    (tmp_path / "trainB").mkdir()
    with pytest.raises(DataError, match=r"^Side B of the unpaired data: .*trainB contains no image files"):
        UnpairedFolders(tmp_path, 32)


def test_side_of_broken_files_names_the_side(tmp_path):
    _pictures(tmp_path / "a", 0, 0, broken=3)
    _pictures(tmp_path / "b", 2, 10)
    with pytest.raises(DataError, match=r"^Side A of the unpaired data: .*no readable image"):
        UnpairedFolders(tmp_path / "a", 32, path_b=tmp_path / "b")


def test_scene_sides_are_day_and_night_of_different_scenes():
    day, night = scene_sides(4, 32)
    assert day.shape == night.shape == (4, 3, 32, 32)
    assert day.mean() > night.mean() + 0.4  # night is much darker
    # No picture is on both sides, and the held-out scenes are none of them.
    held = held_out_scenes(4, 32, "day")
    for x in held:
        assert all(not torch.allclose(x, y) for y in day)
    with pytest.raises(DataError):
        scene_sides(0, 32)
