"""Names and paths from files and command lines: run names become safe folder names, path texts stay sane."""

from pathlib import Path

import pytest

from ganstudio.core.errors import DataError
from ganstudio.core.safe_names import MAX_NAME_CHARS, check_path_text, safe_folder_name


@pytest.mark.parametrize("name, expected", [
    ("toy-ring", "toy-ring"),
    ("my run 2", "my-run-2"),
    ("/abs/path", "abs-path"),
    ("../../..", "run"),
    ("..\\..\\windows", "windows"),
    ("a/../../b", "a-b"),
    (".hidden", "hidden"),
    ("-rf", "rf"),
    ("", "run"),
    ("   ", "run"),
    ("CON", "CON_"),
    ("lpt1", "lpt1_"),
    ("name.", "name"),
    ("ré-sumé", "ré-sumé"),
    ("a\0b\nc", "a-b-c"),
    ("x:y*z?", "x-y-z"),
])
def test_run_names_become_safe_folder_names(name, expected):
    assert safe_folder_name(name) == expected


def test_a_safe_folder_name_stays_inside_its_parent(tmp_path: Path):
    for name in ["/etc", "../../..", "..", ".", "~", "~/x", "a/" * 200, "\\\\server\\share", "C:\\x", "x" * 1000]:
        folder = safe_folder_name(name)
        assert 0 < len(folder) <= MAX_NAME_CHARS
        assert (tmp_path / folder).resolve().parent == tmp_path.resolve()
        assert folder not in (".", "..") and "/" not in folder and "\\" not in folder


def test_path_texts_of_sane_length_pass():
    assert check_path_text("runs/a/checkpoints/latest.safetensors", "the model path", DataError) == \
        "runs/a/checkpoints/latest.safetensors"


@pytest.mark.parametrize("value", ["x" * 5000, "a/" + "b" * 300, "bad\0name", 42, None, ["a"], ""])
def test_path_texts_that_no_file_system_takes_are_refused(value):
    with pytest.raises(DataError, match="(?i)the model path"):
        check_path_text(value, "the model path", DataError)
