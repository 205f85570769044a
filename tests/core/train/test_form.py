"""The Train form's Qt-free state (core.train.form): presets, data kinds, visible rows, the RunConfig and resume."""

import subprocess
import sys

import pytest

from ganstudio.core import config as C
from ganstudio.core import objective_registry
from ganstudio.core.errors import ConfigError
from ganstudio.core.train.form import FIELDS, FORM_KEYS, LIVE_FIELDS, SPECS, TrainForm, preset_for


def recorder(form):
    seen = []
    for name in form.events.NAMES:
        form.events[name].connect(lambda *args, name=name: seen.append((name, *args)))
    return seen


def test_importing_the_form_loads_neither_torch_nor_qt():
    code = "import sys, ganstudio.core.train.form; print(sorted(m for m in ('torch', 'PySide6') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_field_is_a_config_field_with_a_tooltip():
    cfg = C.preset("toy-ring")
    for key in FORM_KEYS:
        section, name = key.split(".")
        assert hasattr(getattr(cfg, section), name), key
    assert all(spec.tip for specs in FIELDS.values() for spec in specs)
    assert set(LIVE_FIELDS) <= set(SPECS)


def test_a_preset_fills_every_value_and_builds_its_config():
    form = TrainForm("toy-ring")
    seen = recorder(form)
    form.load_preset("toy-grid")
    assert ("preset", "toy-grid") in seen
    values_events = [e for e in seen if e[0] == "values"]
    assert values_events and set(values_events[0][1]) == set(FORM_KEYS)
    cfg = form.config()
    assert cfg.name == "toy-grid" and cfg.data.kind == "grid"
    assert cfg.optim.lr_g == C.preset("toy-grid").optim.lr_g


def test_edits_reach_the_config_and_invalid_ones_raise_a_sentence():
    form = TrainForm("toy-ring")
    form.set_value("train.steps", 123)
    assert form.config().train.steps == 123
    form.set_value("tricks.pack", 4)
    form.set_value("optim.batch_size", 250)
    with pytest.raises(ConfigError, match="multiple of 'tricks.pack'"):
        form.config()
    with pytest.raises(KeyError):
        form.set_value("optim.no_such_field", 1)


def test_the_preset_follows_the_data_kind():
    form = TrainForm("toy-ring")
    form.set_value("model.class_conditional", True)
    form.set_data_kind("folder")
    assert form.preset_name == preset_for("folder") == "digits-dcgan"
    assert form.data_kind == "folder" and form.is_folder_kind
    assert form.value("data.channels") == 3 and form.value("model.class_conditional") is False
    form.set_folder("  /some/where/pics ")
    cfg = form.config()
    assert cfg.data.path == "/some/where/pics" and cfg.name == "digits-dcgan-pics"
    form.set_data_kind("digits")  # same task: the preset stays, the digits are grey
    assert form.preset_name == "digits-dcgan"
    assert form.config().data.channels == 1 and form.config().data.path is None
    form.set_data_kind("spiral")
    assert form.preset_name == preset_for("spiral") and form.config().name == "toy-spiral"
    form.set_data_kind("autopair")
    assert form.preset_name == "sketch-folder"


def test_rows_show_for_the_objective_and_the_data_kind():
    form = TrainForm("toy-ring")
    seen = recorder(form)
    form.set_value("objective.loss", "wgan")
    assert ("rows",) in seen
    assert form.row_visible("objective.clip_value") is True
    assert form.row_visible("objective.l1_weight") is False
    own = objective_registry.objective_spec("pix2pix").settings
    form.set_value("objective.loss", "pix2pix")
    assert form.row_visible("objective.l1_weight") is ("l1_weight" in own)
    assert form.row_visible("data.image_size") is False  # a toy has no image size
    assert form.row_visible("optim.lr_g") is None  # always shown
    form.set_data_kind("folder")
    assert form.row_visible("data.image_size") is True and form.row_visible("data.channels") is True
    assert form.row_visible("model.class_conditional") is False


def test_live_values_round_trip():
    form = TrainForm("toy-ring")
    seen = recorder(form)
    form.set_live_values(1e-3, 2e-3, 3)
    assert form.live_settings() == {"lr_g": 1e-3, "lr_d": 2e-3, "n_critic": 3}
    assert ("values", ("optim.lr_g", "optim.lr_d", "optim.n_critic")) in seen


def test_a_checkpoint_fills_the_form_until_a_preset_is_chosen():
    form = TrainForm("toy-ring")
    seen = recorder(form)
    cfg = C.preset("toy-grid").with_overrides(["train.steps=20", "model.g_width=64"])
    form.set_resume("/runs/a/latest.safetensors", cfg, step=20)
    assert form.preset_name == "toy-grid" and form.value("model.g_width") == 64
    assert form.value("train.steps") == 20 + 1000  # a finished run gets more steps
    assert form.resume_path == "/runs/a/latest.safetensors" and form.resume_step == 20
    assert ("resume", "/runs/a/latest.safetensors") in seen
    form.load_preset("toy-grid")  # e.g. the data kind asked for a preset: still resuming
    assert form.resume_path is not None
    form.choose_preset("toy-ring")
    assert form.resume_path is None and seen[-1] != ("resume", "/runs/a/latest.safetensors")
    assert ("resume", None) in seen


def test_a_remembered_form_comes_back_and_one_that_no_longer_validates_is_refused():
    import json

    form = TrainForm()
    form.choose_preset("digits-cdcgan")
    form.set_value("optim.lr_g", 3e-4)
    form.set_value("train.steps", 1234)
    form.set_data_kind("folder")
    form.set_folder("/photos/cats")
    saved = json.loads(json.dumps(form.remembered()))  # what the settings keep: plain JSON values

    again = TrainForm()
    seen = recorder(again)
    again.restore(saved)
    assert (again.preset_name, again.data_kind, again.folder) == ("digits-cdcgan", "folder", "/photos/cats")
    assert again.values == form.values and again.config() == form.config()
    assert ("preset", "digits-cdcgan") in seen and ("folder", "/photos/cats") in seen and ("data_kind", "folder") in seen

    for broken in ({**saved, "preset": "no-such-preset"}, {**saved, "values": {**saved["values"], "optim.batch_size": -1}},
                   {**saved, "values": {**saved["values"], "optim.no_such_field": 1}}, {"values": "nope"}, None):
        before = dict(again.values)
        with pytest.raises(ConfigError):
            again.restore(broken)
        assert again.values == before  # the form stays as it was


def test_run_defaults_fill_new_runs_and_keep_the_users_edits():
    form = TrainForm()
    form.set_run_defaults({"train.threads": 3, "train.device": "cpu"})
    assert form.value("train.threads") == 3 and form.value("train.device") == "cpu"
    form.choose_preset("toy-grid")  # a preset takes the defaults too
    assert form.value("train.threads") == 3 and form.config().train.threads == 3
    form.set_value("train.threads", 5)  # the user's own value stays when the default changes
    form.set_run_defaults({"train.threads": 2, "train.device": "auto"})
    assert form.value("train.threads") == 5 and form.value("train.device") == "auto"


def test_unpaired_folders_round_trip_through_the_remembered_form():
    from ganstudio.core.train.form import TrainForm

    form = TrainForm("toy-ring")
    form.set_data_kind("unpaired")
    form.set_folder("/data/summer")
    form.set_folder_b("/data/winter")
    cfg = form.config()
    assert (cfg.data.path, cfg.data.path_b, cfg.objective.loss) == ("/data/summer", "/data/winter", "cyclegan")
    shown = []
    other = TrainForm("toy-ring")
    other.events.folder_b.connect(shown.append)
    other.restore(form.remembered())
    assert other.config().data.path_b == "/data/winter" and shown == ["/data/winter"]
