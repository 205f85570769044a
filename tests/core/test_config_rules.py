"""FIELD_RULES, the one table of what each config value may be: it covers every field, validate applies it,
the Train form shows its bounds, and bad values (nan, inf, 1e400, huge sizes, foreign model names) are one
sentence up front instead of a traceback mid-training."""

from dataclasses import fields, replace

import pytest

from ganstudio.core import config as C
from ganstudio.core.config import FIELD_RULES, MODEL_NAMES, PRESETS, RunConfig, preset, resume_conflict, validate
from ganstudio.core.errors import ConfigError


def _all_fields():
    for section_field in fields(RunConfig):
        if section_field.name == "name":
            continue
        section_cls = C._SECTION_CLASSES[section_field.name]
        for f in fields(section_cls):
            yield f"{section_field.name}.{f.name}", f, section_cls


def test_every_config_field_has_a_rule_of_its_own_type():
    keys = set()
    for dotted, f, _ in _all_fields():
        keys.add(dotted)
        assert dotted in FIELD_RULES, f"{dotted} has no row in config.FIELD_RULES"
        rule = FIELD_RULES[dotted]
        annotation = str(f.type)
        assert annotation.split("|")[0].strip() == rule.kind, dotted
        assert ("None" in annotation) == rule.optional, dotted
    assert keys == set(FIELD_RULES), "rules for fields that do not exist"


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_keeps_every_rule(name):
    cfg = preset(name)
    for dotted, rule in FIELD_RULES.items():
        section, key = dotted.split(".")
        C.check_field(dotted, getattr(getattr(cfg, section), key), rule)


def test_the_defaults_are_valid():
    validate(RunConfig(), complete=False)


def test_every_train_form_field_has_the_bounds_of_its_rule():
    """The form's spin boxes and the CLI's validation read one table, so they cannot disagree."""
    from ganstudio.core.train.form import SPECS

    numeric = [spec for spec in SPECS.values() if spec.kind in ("int", "float", "log", "optional_float")]
    assert len(numeric) > 30
    for spec in numeric:
        rule = FIELD_RULES[spec.key]
        lowest = rule.minimum - spec.step if spec.kind == "optional_float" else rule.minimum  # the 'auto' slot
        assert (spec.minimum, spec.maximum) == (lowest, rule.maximum), spec.key
    for spec in SPECS.values():
        if spec.kind == "choice":
            assert set(spec.choices) <= set(FIELD_RULES[spec.key].allowed()), spec.key


@pytest.mark.parametrize("dotted", [k for k, r in FIELD_RULES.items() if r.kind in ("int", "float")])
def test_every_number_just_outside_its_bounds_is_refused_with_its_name(dotted):
    rule = FIELD_RULES[dotted]
    base = preset("sketch-folder") if dotted == "data.hints_max" else preset("toy-ring")
    for bad in (rule.minimum, rule.maximum):
        if bad is None:
            continue
        step = 1 if rule.kind == "int" else max(abs(bad) * 1e-3, 1e-9)
        value = bad - step if bad == rule.minimum else bad + step
        with pytest.raises(ConfigError, match=f"'{dotted}' must be between") as err:
            base.with_overrides([f"{dotted}={value!r}"])
        assert "\n" not in str(err.value)


@pytest.mark.parametrize("dotted", [k for k, r in FIELD_RULES.items() if r.kind == "float"])
@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400"])
def test_no_float_setting_takes_nan_or_infinity(dotted, text):
    with pytest.raises(ConfigError, match=f"'{dotted}' must be a finite number"):
        preset("toy-ring").with_overrides([f"{dotted}={text}"])


@pytest.mark.parametrize("text, fragment", [
    ("1e400", "must be a whole number, not '1e400'"),
    ("1.5e0", "must be a whole number"),
    ("nan", "must be a whole number"),
    ("inf", "must be a whole number"),
    ("9" * 5000, "must be a whole number"),  # over Python's 4300-digit limit
    ("9" * 30, "must be between 1 and 8192"),
    ("true", "must be a whole number"),
])
def test_whole_numbers_parse_robustly(text, fragment):
    with pytest.raises(ConfigError, match=fragment) as err:
        preset("toy-ring").with_overrides([f"optim.batch_size={text}"])
    assert len(str(err.value)) < 300  # a pasted essay is cut short


def test_whole_numbers_in_other_spellings_are_accepted():
    cfg = preset("toy-ring").with_overrides(["train.steps=1e3", "optim.batch_size= 128 ", "train.seed=1_000"])
    assert (cfg.train.steps, cfg.optim.batch_size, cfg.train.seed) == (1000, 128, 1000)


@pytest.mark.parametrize("task, base", [("toy", "toy-ring"), ("image", "digits-dcgan"), ("paired", "sketch-folder")])
@pytest.mark.parametrize("role", ["generator", "discriminator"])
def test_a_model_name_the_data_task_cannot_train_names_the_ones_it_can(task, base, role):
    allowed = MODEL_NAMES[task][role]
    with pytest.raises(ConfigError, match=f"'model.{role}' is 'nosuchnet', which {task} data cannot train") as err:
        preset(base).with_overrides([f"model.{role}=nosuchnet"])
    assert all(name in str(err.value) for name in allowed)
    for name in allowed:  # every allowed name passes this check
        cfg = replace(preset(base), model=replace(preset(base).model, **{role: name}))
        validate(cfg, complete=False)


def test_a_toml_with_an_unknown_generator_names_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('preset = "toy-ring"\n[model]\ngenerator = "nosuchnet"\n')
    with pytest.raises(ConfigError, match=f"{path}: 'model.generator' is 'nosuchnet'.*choose mlp"):
        C.load_toml(path)


def test_a_preview_batch_too_large_for_memory_is_refused():
    cfg = preset("sketch-folder").with_overrides(["data.image_size=256", "train.n_preview=64"])
    assert C.preview_bytes(cfg) < C.PREVIEW_MEMORY_LIMIT
    with pytest.raises(ConfigError, match=r"'train.n_preview' 4096 at 256x256 needs about [0-9.]+ GB"):
        cfg.with_overrides(["train.n_preview=4096"])


def test_a_truncated_config_json_is_one_sentence(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(preset("toy-ring").to_json()[:200])
    with pytest.raises(ConfigError, match="is not valid JSON"):
        C.resolve(str(path))
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        C.resolve(str(path))


def test_changing_the_optimizer_on_resume_names_both():
    saved = preset("toy-ring").to_dict()
    sgd = preset("toy-ring").with_overrides(["optim.optimizer=sgd"])
    problem = resume_conflict(sgd, saved, "checkpoint x.safetensors")
    assert "optim.optimizer 'adam'" in problem and "'sgd'" in problem
    assert resume_conflict(preset("toy-ring").with_overrides(["optim.lr_g=1e-3"]), saved, "x") is None
