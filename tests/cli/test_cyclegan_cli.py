"""`ganstudio translate MODEL PICTURE --direction AtoB|BtoA` with a CycleGAN checkpoint, and its refusals."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from tiny_runs import train_tiny_cyclegan

from ganstudio.cli import main as cli_main


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("cg") / "run"
    return train_tiny_cyclegan(run)


def test_translate_both_directions(cyclegan_run, tmp_path, capsys):
    picture = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (36, 44, 3), dtype=np.uint8)).save(picture)
    outs = {}
    for direction in ("AtoB", "BtoA"):
        out = tmp_path / f"{direction}.png"
        assert cli_main(["translate", str(cyclegan_run), str(picture), "--direction", direction, "--out", str(out)]) == 0
        outs[direction] = np.asarray(Image.open(out))
        assert direction in capsys.readouterr().err
    assert outs["AtoB"].shape == (36, 44, 3)  # a ResNet keeps the size (multiples of 4)
    assert not np.array_equal(outs["AtoB"], outs["BtoA"])


def test_direction_for_a_one_way_model_is_refused(tmp_path, capsys):
    from ganstudio.core.generators.catalogue import catalogue_entry

    entry = catalogue_entry("sketch-landscapes")
    picture = tmp_path / "in.png"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(picture)
    code = cli_main(["translate", str(entry.path), str(picture), "--direction", "BtoA", "--out", str(tmp_path / "o.png")])
    assert code == 2
    assert "translates one way only" in capsys.readouterr().err
