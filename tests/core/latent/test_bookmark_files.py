"""Bookmarks and latent files from untrusted hands: each loads or gives one sentence naming the file."""

import json
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.bookmarks import Bookmark, load_bookmark, read_latents, save_bookmark


def _bookmark(tmp_path: Path, **changes) -> Path:
    doc = json.loads(Bookmark(latents=np.zeros((2, 4), np.float32), model={"path": "m.safetensors", "name": "m"},
                              labels=[1, 2], seed=5).to_json())
    doc.update(changes)
    path = tmp_path / "bm.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_good_bookmark_loads(tmp_path: Path):
    bm = load_bookmark(_bookmark(tmp_path))
    assert bm.latents.shape == (2, 4) and bm.labels == [1, 2] and bm.seed == 5


@pytest.mark.parametrize("changes", [
    {"seed": 10**40}, {"seed": -1}, {"seed": "7"}, {"seed": 1.5},
    {"labels": ["x", 1]}, {"labels": 5}, {"labels": [1e308, 1]}, {"labels": [-1, 0]}, {"labels": [True, 0]},
    {"model": "abc"}, {"model": [1, 2]}, {"model": {"path": "x" * 5000}}, {"model": {"path": "a\0b"}},
    {"model": {"path": 7}}, {"model": {"sha256": 5}}, {"model": {"use_ema": "yes"}}, {"model": {"name": ["m"]}},
    {"metadata": "abc"}, {"metadata": [1]}, {"truncation": "scale"}, {"truncation": [1]},
    {"truncation": {"mode": "scale", "value": "bad"}}, {"latents": [[1e39, 0, 0, 0]]}, {"latents": [[]]},
    {"latents": [["a", 0, 0, 0]]}, {"note": {"a": 1}},
])
def test_bad_bookmarks_are_refused_with_the_file_named(tmp_path: Path, changes):
    with pytest.raises(GanStudioError, match="bm.json"):
        load_bookmark(_bookmark(tmp_path, **changes))


def test_deep_or_huge_bookmarks_are_refused(tmp_path: Path):
    path = tmp_path / "bm.json"
    path.write_text('{"latents": [[0, 0]], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(GanStudioError, match="bm.json.*nested"):
        load_bookmark(path)
    path.write_text("[1]" + " " * (64 << 20))
    with pytest.raises(GanStudioError, match="bm.json.*larger"):
        load_bookmark(path)
    for text in ["[1, 2]", "null", '"latents"']:
        path.write_text(text)
        with pytest.raises(GanStudioError, match="bm.json"):
            load_bookmark(path)


def test_a_written_bookmark_reads_back(tmp_path: Path):
    bm = Bookmark(latents=np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), labels=[0, 1, 2], seed=0,
                  model={"path": str(tmp_path / "m.safetensors"), "sha256": "ab" * 32, "use_ema": True}, metadata={"cell": [1, 2]})
    back = load_bookmark(save_bookmark(tmp_path / "b.json", bm))
    assert np.array_equal(back.latents, bm.latents) and back.model == bm.model and back.metadata == bm.metadata


@pytest.mark.parametrize("array", [
    np.full((1, 4), np.nan, np.float32), np.full((1, 4), np.inf), np.full((1, 4), 1e300),
    np.ones((1, 4), np.complex64), np.ones((1, 4), bool), np.zeros((0, 4), np.float32), np.array([["a"] * 4]),
])
def test_bad_npy_latents_are_refused(tmp_path: Path, array):
    path = tmp_path / "z.npy"
    np.save(path, array)
    with pytest.raises(GanStudioError, match="z.npy"):
        read_latents(path, 4)


def test_npy_latents_are_checked_before_they_are_read(tmp_path: Path):
    path = tmp_path / "z.npy"
    header = np.lib.format
    with open(path, "wb") as fh:  # a header claiming 10**12 latents, with no data behind it
        header.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 4)})
    with pytest.raises(GanStudioError, match="z.npy.*latents"):
        read_latents(path, 4)


def test_ordinary_npy_latents_load(tmp_path: Path):
    path = tmp_path / "z.npy"
    np.save(path, np.arange(8, dtype=np.float64).reshape(2, 4))
    z, labels, bm = read_latents(path, 4)
    assert z.dtype == np.float32 and z.shape == (2, 4) and labels is None and bm is None


def test_seed_range_is_the_seed_boxes_range():
    from ganstudio.core.latent.bookmarks import SEED_MAX
    from ganstudio.core.latent.explore_state import SEED_LIMIT

    assert SEED_MAX == SEED_LIMIT


@pytest.mark.parametrize("path", ["x" * 5000 + ".npy", "x" * 5000 + ".json", "a\0b.npy"])
def test_latent_paths_no_file_system_takes_are_one_sentence(path):
    with pytest.raises(GanStudioError, match="(?i)path|cannot be read"):
        read_latents(path, 4)
