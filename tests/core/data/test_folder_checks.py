"""The folder check the Train panel shows before training: counts, broken files, thumbnails, progress."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.core.data.folder_checks import validate_data_folder
from ganstudio.core.errors import DataError


def pictures(folder: Path, n: int, size=(40, 30)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def test_an_image_folder_is_counted_with_broken_files_named(tmp_path: Path):
    folder = pictures(tmp_path / "pics", 8)
    (folder / "bad.jpg").write_bytes(b"\xff\xd8 broken")
    seen = []
    info = validate_data_folder("folder", folder, 32, progress=lambda done, total: seen.append((done, total)))
    assert info["kind"] == "folder" and info["path"] == str(folder)
    assert info["count"] == 8 and info["what"] == "image"
    assert info["broken"] == 1
    (path, reason), = info["skipped"]
    assert Path(path).name == "bad.jpg" and reason
    # Progress runs up to the number of files checked, broken ones included.
    assert seen[-1] == (9, 9) and all(total == 9 for _done, total in seen)
    # Six thumbnails at most, uint8 RGB no taller than 56 pixels, aspect kept.
    assert len(info["thumbnails"]) == 6
    for thumb in info["thumbnails"]:
        assert thumb.dtype == np.uint8 and thumb.ndim == 3 and thumb.shape[2] == 3
        assert thumb.shape[0] <= 56 and thumb.shape[1] <= 56 and thumb.shape[1] > thumb.shape[0]
        assert thumb.flags["C_CONTIGUOUS"]


def test_side_by_side_pairs_are_counted_as_pairs_with_wide_thumbnails(tmp_path: Path):
    folder = pictures(tmp_path / "pairs", 3, size=(120, 40))
    info = validate_data_folder("paired", folder, 32)
    assert info["count"] == 3 and info["what"] == "pair" and info["broken"] == 0
    assert all(t.shape[1] > 56 for t in info["thumbnails"])  # the whole A|B picture, not a crop


def test_an_auto_paired_folder_counts_its_images(tmp_path: Path):
    info = validate_data_folder("autopair", pictures(tmp_path / "photos", 2), 32)
    assert info["count"] == 2 and info["what"] == "image" and len(info["thumbnails"]) == 2


def test_a_folder_of_broken_files_raises_one_sentence_naming_it(tmp_path: Path):
    folder = tmp_path / "broken"
    folder.mkdir()
    for i in range(3):
        (folder / f"img{i}.png").write_bytes(b"not a png at all")
    with pytest.raises(DataError, match="no readable image") as info:
        validate_data_folder("folder", folder, 32)
    assert str(folder) in str(info.value)


def test_a_missing_folder_is_named(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist"):
        validate_data_folder("folder", tmp_path / "nowhere", 32)
