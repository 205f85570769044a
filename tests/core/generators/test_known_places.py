"""Whether a model file named by a document or bookmark may open without asking: bundled, inside the
user's model or run folders, or on the recent files list; anywhere else the app asks first."""

import os
from pathlib import Path

import pytest

from ganstudio.core.generators.catalogue import bundled_folder
from ganstudio.core.generators.known_places import is_known_model_place


def test_bundled_models_are_known():
    assert is_known_model_place(bundled_folder() / "digits-conditional.safetensors")


def test_files_inside_the_users_folders_are_known(tmp_path: Path):
    runs = tmp_path / "runs"
    ckpt = runs / "ring-1" / "checkpoints" / "latest.safetensors"
    assert is_known_model_place(ckpt, model_folders=[runs])
    assert is_known_model_place(runs / "ring-1", model_folders=[str(runs)])  # a run folder
    assert not is_known_model_place(ckpt, model_folders=[tmp_path / "elsewhere"])


def test_recent_files_are_known(tmp_path: Path):
    ckpt = tmp_path / "x" / "m.safetensors"
    assert is_known_model_place(ckpt, recent_files=[str(ckpt)])
    assert is_known_model_place(ckpt.with_suffix(".json"), recent_files=[ckpt])  # its readable twin
    assert not is_known_model_place(tmp_path / "x" / "other.safetensors", recent_files=[ckpt])
    run = tmp_path / "run-1.2"
    run.mkdir()
    assert is_known_model_place(run / "checkpoints" / "best.safetensors", recent_files=[run])  # a recent run folder


def test_anywhere_else_is_not_known(tmp_path: Path):
    for path in ["/etc/passwd", tmp_path / "m.pth", "../../../../m.safetensors", "~/m.safetensors"]:
        assert not is_known_model_place(path, model_folders=[tmp_path / "runs"])


def test_dot_dot_and_links_do_not_leave_a_known_folder(tmp_path: Path):
    runs = tmp_path / "runs"
    runs.mkdir()
    assert not is_known_model_place(runs / ".." / "m.safetensors", model_folders=[runs])
    outside = tmp_path / "outside"
    outside.mkdir()
    try:
        os.symlink(outside, runs / "link")
    except OSError:
        pytest.skip("no symbolic links here")
    assert not is_known_model_place(runs / "link" / "m.safetensors", model_folders=[runs])


@pytest.mark.parametrize("path", ["x" * 5000, "a\0b", "", None, 5])
def test_paths_no_file_system_takes_are_not_known(tmp_path: Path, path):
    assert not is_known_model_place(path, model_folders=[tmp_path], recent_files=[tmp_path / "x"])
