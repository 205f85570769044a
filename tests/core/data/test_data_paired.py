"""Paired folders (side-by-side AB files, A/ + B/ folders) and automatic sketch pairs."""

import logging
from pathlib import Path

import pytest
import torch
from PIL import Image

from ganstudio.core.data.paired import AutoPairedFolder, PairedFolder
from ganstudio.core.errors import ConfigError, DataError

RED = torch.tensor([1.0, -1.0, -1.0])[:, None, None]
BLUE = torch.tensor([-1.0, -1.0, 1.0])[:, None, None]


def save(image: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def side_by_side(path: Path, left="red", right="blue", half: int = 12, height: int = 12) -> Path:
    image = Image.new("RGB", (2 * half, height), right)
    image.paste(Image.new("RGB", (half, height), left), (0, 0))
    return save(image, path)


def is_colour(image: torch.Tensor, colour: torch.Tensor) -> bool:
    return torch.allclose(image, colour.expand_as(image), atol=0.02)


def test_side_by_side_files_split_into_a_and_b(tmp_path):
    side_by_side(tmp_path / "1.png")
    side_by_side(tmp_path / "val" / "2.jpg")
    pairs = PairedFolder(tmp_path, 8)
    assert pairs.layout == "aligned"
    assert len(pairs) == 2
    a, b = pairs[0]
    assert a.shape == b.shape == (3, 8, 8) and a.dtype == torch.float32
    assert is_colour(a, RED) and is_colour(b, BLUE)
    a_jpeg, b_jpeg = pairs[1]
    assert a_jpeg[0].mean() > 0.9 and b_jpeg[2].mean() > 0.9


def test_direction_b_to_a_swaps_the_pair(tmp_path):
    side_by_side(tmp_path / "1.png")
    a, b = PairedFolder(tmp_path, 8, direction="BtoA")[0]
    assert is_colour(a, BLUE) and is_colour(b, RED)


def test_odd_width_drops_the_last_column_so_halves_match(tmp_path):
    image = Image.new("RGB", (25, 12), "blue")
    image.paste((255, 0, 0), (0, 0, 12, 12))
    image.paste((0, 255, 0), (24, 0, 25, 12))  # a stray last column that belongs to neither half
    save(image, tmp_path / "odd.png")
    a, b = PairedFolder(tmp_path, 12, layout="aligned")[0]
    assert is_colour(a, RED) and is_colour(b, BLUE)


def test_a_and_b_folders_pair_by_name_across_extensions_and_subfolders(tmp_path):
    for name in ("x", "y"):
        save(Image.new("RGB", (10, 10), "red"), tmp_path / "A" / "train" / f"{name}.png")
        save(Image.new("RGB", (10, 10), "blue"), tmp_path / "B" / "train" / f"{name}.jpg")
    pairs = PairedFolder(tmp_path, 8)
    assert pairs.layout == "folders"
    assert [(a.name, b.name) for a, b in pairs.pairs] == [("x.png", "x.jpg"), ("y.png", "y.jpg")]
    a, b = pairs[1]
    assert is_colour(a, RED)
    assert b[2].mean() > 0.95 and b[0].mean() < -0.95
    inputs, targets = pairs.to_tensors()
    assert inputs.shape == targets.shape == (2, 3, 8, 8)
    assert torch.equal(inputs[1], a) and torch.equal(targets[1], b)


def test_unpaired_names_are_a_data_error_listing_them(tmp_path):
    for name in ("a", "b", "c"):
        save(Image.new("RGB", (8, 8)), tmp_path / "A" / f"{name}.png")
    for name in ("a", "d"):
        save(Image.new("RGB", (8, 8)), tmp_path / "B" / f"{name}.png")
    with pytest.raises(DataError) as error:
        PairedFolder(tmp_path, 8)
    message = str(error.value)
    assert str(tmp_path) in message
    assert "2 file(s) in A/ have no match in B/ (b, c)" in message
    assert "1 file(s) in B/ have no match in A/ (d)" in message


def test_two_files_for_one_name_are_a_data_error(tmp_path):
    save(Image.new("RGB", (8, 8)), tmp_path / "A" / "a.png")
    save(Image.new("RGB", (8, 8)), tmp_path / "A" / "a.jpg")
    save(Image.new("RGB", (8, 8)), tmp_path / "B" / "a.png")
    with pytest.raises(DataError, match="two files for the pair 'a'"):
        PairedFolder(tmp_path, 8)


def test_broken_files_in_pairs_are_skipped_counted_and_logged(tmp_path, caplog):
    for name in ("good", "bad"):
        save(Image.new("RGB", (8, 8), "red"), tmp_path / "A" / f"{name}.png")
    save(Image.new("RGB", (8, 8), "blue"), tmp_path / "B" / "good.png")
    (tmp_path / "B" / "bad.png").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        pairs = PairedFolder(tmp_path, 8, layout="folders")
    assert len(pairs) == 1
    assert [(p.name, reason) for p, reason in pairs.skipped] == [("bad.png", "empty file")]
    assert "Skipped 1" in caplog.text and "bad.png" in caplog.text


def test_broken_side_by_side_files_are_skipped(tmp_path, caplog):
    side_by_side(tmp_path / "ok.png")
    (tmp_path / "broken.png").write_text("not an image")
    save(Image.new("RGB", (1, 8)), tmp_path / "narrow.png")
    with caplog.at_level(logging.WARNING):
        pairs = PairedFolder(tmp_path, 8)
    assert len(pairs) == 1
    reasons = dict((p.name, r) for p, r in pairs.skipped)
    assert set(reasons) == {"broken.png", "narrow.png"} and "too narrow" in reasons["narrow.png"]
    assert "Skipped 2" in caplog.text


def test_all_pairs_broken_is_a_data_error(tmp_path):
    (tmp_path / "one.png").write_bytes(b"")
    with pytest.raises(DataError, match=f"{tmp_path} has no usable pair: all 1"):
        PairedFolder(tmp_path, 8)


def test_missing_empty_and_half_missing_folders_are_data_errors(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'gone'} does not exist"):
        PairedFolder(tmp_path / "gone", 8)
    with pytest.raises(DataError, match=f"{tmp_path} contains no image files"):
        PairedFolder(tmp_path, 8)
    (tmp_path / "A").mkdir()
    save(Image.new("RGB", (8, 8)), tmp_path / "A" / "a.png")
    with pytest.raises(DataError, match=f"{tmp_path / 'B'} does not exist"):
        PairedFolder(tmp_path, 8, layout="folders")
    with pytest.raises(DataError, match=f"{tmp_path} has an A/ folder but no B/ folder"):
        PairedFolder(tmp_path, 8)


def test_bad_layout_and_direction_are_config_errors(tmp_path):
    side_by_side(tmp_path / "1.png")
    with pytest.raises(ConfigError, match="'sideways'.*auto, aligned, folders"):
        PairedFolder(tmp_path, 8, layout="sideways")
    with pytest.raises(ConfigError, match="'AB'.*AtoB, BtoA"):
        PairedFolder(tmp_path, 8, direction="AB")


def test_big_paired_folder_is_decoded_on_demand(tmp_path):
    side_by_side(tmp_path / "1.png")
    pairs = PairedFolder(tmp_path, 8, cache_limit_bytes=0)
    assert not pairs.cached
    a, b = pairs[0]
    assert is_colour(a, RED) and is_colour(b, BLUE)
    with pytest.raises(DataError, match="too big"):
        pairs.to_tensors()


# --- automatic sketch pairs ------------------------------------------------------------------------


def make_pictures(folder: Path, count: int = 3) -> None:
    for i in range(count):
        image = Image.new("RGB", (32, 32), (20, 40, 200))
        image.paste((250, 200, 30), (8 + i, 8, 24, 24))
        save(image, folder / f"{i}.png")


def test_auto_pairs_are_sketch_inputs_and_images(tmp_path):
    make_pictures(tmp_path)
    pairs = AutoPairedFolder(tmp_path, 32, n_hints_range=(2, 6), seed=1)
    assert len(pairs) == 3
    sketch, image = pairs[0]
    assert sketch.shape == (5, 32, 32) and image.shape == (3, 32, 32)
    assert torch.equal(image, pairs.images[0])
    lines = sketch[0] > 0
    assert lines.any() and not lines[12:20, 12:20].any()  # outline of the yellow square, not its inside
    assert (sketch[4] > 0).any()


def test_auto_pairs_are_reproducible_and_change_with_the_epoch(tmp_path):
    make_pictures(tmp_path)
    pairs = AutoPairedFolder(tmp_path, 32, n_hints_range=(5, 10), seed=3)
    first = pairs[1][0]
    assert torch.equal(first, pairs[1][0])
    assert torch.equal(first, AutoPairedFolder(tmp_path, 32, n_hints_range=(5, 10), seed=3)[1][0])
    pairs.set_epoch(1)
    assert not torch.equal(first[1:], pairs[1][0][1:])
    assert torch.equal(first[0], pairs[1][0][0])  # lines do not depend on randomness


def test_hint_range_zero_gives_no_hints_and_to_tensors_match_items(tmp_path):
    make_pictures(tmp_path)
    pairs = AutoPairedFolder(tmp_path, 32, n_hints_range=(0, 0))
    inputs, images = pairs.to_tensors()
    assert inputs.shape == (3, 5, 32, 32) and images.shape == (3, 3, 32, 32)
    assert (inputs[:, 4] == -1).all() and (inputs[:, 1:4] == 0).all()
    hinted = AutoPairedFolder(tmp_path, 32, n_hints_range=(3, 8), seed=2)
    inputs, _ = hinted.to_tensors()
    assert all(torch.equal(inputs[i], hinted[i][0]) for i in range(3))


def test_make_inputs_for_batches_in_memory(tmp_path):
    make_pictures(tmp_path)
    pairs = AutoPairedFolder(tmp_path, 32, n_hints_range=(1, 4), hint_size=2)
    images = pairs.images.to_tensor()
    inputs = pairs.make_inputs(images, torch.Generator().manual_seed(0))
    assert inputs.shape == (3, 5, 32, 32)
    areas = (inputs[:, 4] > 0).flatten(1).sum(dim=1)
    assert ((areas >= 4) & (areas <= 16)).all()


def test_bad_hint_range_is_a_config_error(tmp_path):
    make_pictures(tmp_path, 1)
    with pytest.raises(ConfigError, match=r"\(5, 2\)"):
        AutoPairedFolder(tmp_path, 32, n_hints_range=(5, 2))


def test_a_folder_of_plain_photos_is_not_taken_for_side_by_side_pairs(tmp_path):
    """Splitting a square photo in half would train on left-half -> right-half; say it instead."""
    for i in range(3):
        Image.new("RGB", (64, 64), "green").save(tmp_path / f"photo{i}.png")
    Image.new("RGB", (64, 48), "green").save(tmp_path / "photo_4_3.png")
    with pytest.raises(DataError, match="no usable pair: all 4 file") as info:
        PairedFolder(tmp_path, 32)
    assert "not a side-by-side A|B pair" in str(info.value) and str(tmp_path) in str(info.value)
