"""`ganstudio FILE` and files dropped on the window: what each file is and which area opens it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.catalogue import list_bundled
from ganstudio.core.open_target import classify, model_area


def test_each_kind_of_file_goes_to_its_area(tmp_path: Path, digits_ckpt):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 1}\n')
    picture = tmp_path / "photo.JPG"
    Image.new("RGB", (8, 8)).save(picture, format="JPEG")
    sketch = tmp_path / "drawing.json"
    sketch.write_text(json.dumps({"format": "ganstudio-sketch", "version": 1}))
    bookmark = tmp_path / "nice.json"
    bookmark.write_text(json.dumps({"format": "ganstudio-latent-bookmark", "version": 1}))
    found = {p.name: (classify(str(p)).kind, classify(str(p)).area) for p in (run, picture, sketch, bookmark)}
    assert found == {"run": ("run_folder", "Monitor"), "photo.JPG": ("picture", "Sketch"),
                     "drawing.json": ("sketch_document", "Sketch"), "nice.json": ("bookmark", "Explore")}
    target = classify(str(digits_ckpt))
    assert target.kind == "model" and target.area is None
    assert model_area(digits_ckpt) == "Explore"


def test_bundled_models_open_by_name_in_the_area_that_fits_them():
    bundled = {m.name: m for m in list_bundled()}
    if "sketch-landscapes" not in bundled:
        pytest.skip("the bundled models are not built in this checkout")
    target = classify("sketch-landscapes")
    assert target.kind == "model" and target.path == bundled["sketch-landscapes"].path
    assert model_area(target.path) == "Sketch"
    assert model_area(classify("digits-conditional").path) == "Explore"


@pytest.mark.parametrize("name, message", [
    ("missing.safetensors", "does not exist"),
    ("notes.txt", "is not a file GAN Studio opens"),
    ("plain", "is a folder but not a run folder"),
])
def test_what_cannot_be_opened_is_one_sentence(tmp_path: Path, name, message):
    if name == "notes.txt":
        (tmp_path / name).write_text("hello")
    if name == "plain":
        (tmp_path / name).mkdir()
    with pytest.raises(GanStudioError, match=message):
        classify(str(tmp_path / name))
