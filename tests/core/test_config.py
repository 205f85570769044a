"""Configuration: presets validate, overrides are typed, every bad value gives one clear sentence."""

from pathlib import Path

import pytest

from ganstudio.core.config import PRESETS, RunConfig, load_toml, preset, resolve, set_value
from ganstudio.core.errors import ConfigError


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_validates_and_round_trips_through_toml(name, tmp_path: Path):
    cfg = preset(name)
    path = tmp_path / "cfg.toml"
    path.write_text(cfg.to_toml())
    again = load_toml(path)
    assert again == cfg


def test_overrides_are_typed():
    cfg = preset("toy-ring").with_overrides(["optim.lr_g=1e-3", "tricks.spectral_norm=true", "train.steps=5", "name=x"])
    assert cfg.optim.lr_g == pytest.approx(1e-3)
    assert cfg.tricks.spectral_norm is True
    assert cfg.train.steps == 5 and isinstance(cfg.train.steps, int)
    assert cfg.name == "x"


@pytest.mark.parametrize(
    "assignment, fragment",
    [
        ("optim.lr_g=fast", "'optim.lr_g' must be a number"),
        ("optim.nope=1", "unknown setting 'optim.nope'"),
        ("nosection.x=1", "unknown section 'nosection'"),
        ("lr_g=1", "name the section too"),
        ("train.steps=1.5", "'train.steps' must be a whole number"),
        ("objective.loss=magic", "choose one of minimax"),
        ("optim.lr_d=-1", "'optim.lr_d' must be between 1e-08 and 1, not -1"),
        ("tricks.pack=3", "multiple of 'tricks.pack'"),
        ("data.image_size=48", "'data.image_size' must be 32, 64, 128 or 256"),
    ],
)
def test_bad_values_name_the_setting(assignment, fragment):
    with pytest.raises(ConfigError) as err:
        preset("toy-ring").with_overrides([assignment])
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_preset_lists_the_presets():
    with pytest.raises(ConfigError, match="unknown preset 'toy-rnig'; presets are toy-ring"):
        resolve("toy-rnig")


def test_folder_data_needs_a_path():
    from ganstudio.core.config import validate

    with pytest.raises(ConfigError, match="needs a folder: pass --data PATH"):
        validate(preset("sketch-folder"))
    cfg = set_value(RunConfig(), "data.kind=folder")
    assert cfg.data.kind == "folder"


def test_toml_can_start_from_a_preset(tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "toy-grid"\nname = "mine"\n[optim]\nlr_g = 5e-5\n')
    cfg = load_toml(path)
    assert cfg.name == "mine" and cfg.data.kind == "grid" and cfg.optim.lr_g == pytest.approx(5e-5)
    assert cfg.optim.lr_d == preset("toy-grid").optim.lr_d


def test_broken_toml_is_one_sentence(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text("[optim\nlr_g = 1")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_toml(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_toml(tmp_path / "missing.toml")


@pytest.mark.parametrize("body", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a=" * 3000 + "1" + "}" * 3000],
                         ids=["arrays", "inline tables"])
def test_toml_nested_past_the_recursion_limit_is_one_sentence(body, tmp_path: Path):
    """Found by benchmarks/bad_input_campaign.py: tomllib's RecursionError escaped as an internal error."""
    path = tmp_path / "deep.toml"
    path.write_text(body + "\n")
    with pytest.raises(ConfigError, match=r"deep.toml nests arrays or tables too deeply"):
        load_toml(path)
