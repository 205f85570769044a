"""The one bounded reader of user JSON: too big, too deep or broken files give one sentence, never a traceback."""

from pathlib import Path

import pytest

from ganstudio.core.errors import CheckpointError, DataError, GanStudioError
from ganstudio.core.safe_json import loads_json, read_json


def test_reads_ordinary_json(tmp_path: Path):
    path = tmp_path / "a.json"
    path.write_text('{"a": [1, 2, {"b": null}], "c": "x"}')
    assert read_json(path, what="Sketch document") == {"a": [1, 2, {"b": None}], "c": "x"}


def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path: Path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataError, match=r"deep.json.*nested"):
        read_json(path, what="Sketch document", error=DataError)
    # Shallower than the interpreter's limit but deeper than the reader allows: refused as well.
    path.write_text('{"a":' * 200 + "1" + "}" * 200)
    with pytest.raises(DataError, match="nested"):
        read_json(path, max_depth=32, error=DataError)


def test_too_big_is_refused_before_reading(tmp_path: Path):
    path = tmp_path / "big.json"
    path.write_text("[" + "0," * 1000 + "0]")
    with pytest.raises(CheckpointError, match=r"big.json.*larger than"):
        read_json(path, max_bytes=100, error=CheckpointError)


def test_broken_text_names_the_file(tmp_path: Path):
    for name, data in [("bad.json", b"{not json"), ("bin.json", b"\xff\xfe\x00garbage"),
                       ("digits.json", b"[" + b"9" * 5000 + b"]")]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(GanStudioError, match=name):
            read_json(path, what="Bookmark")


def test_missing_and_unreadable_paths(tmp_path: Path):
    with pytest.raises(GanStudioError, match="does not exist"):
        read_json(tmp_path / "none.json")
    with pytest.raises(GanStudioError, match="cannot be read"):
        read_json(tmp_path / ("x" * 5000 + ".json"))  # ENAMETOOLONG
    with pytest.raises(GanStudioError, match="not a file"):
        read_json(tmp_path)


def test_loads_json_bounds_text_too():
    assert loads_json(b'{"a": 1}', "the header") == {"a": 1}
    with pytest.raises(GanStudioError, match="(?i)the header.*nested"):
        loads_json("[" * 40 + "]" * 40, "the header", max_depth=32)
    with pytest.raises(GanStudioError, match="(?i)the header.*larger"):
        loads_json("[1, 2, 3]", "the header", max_bytes=4)
