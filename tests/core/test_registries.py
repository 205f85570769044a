"""The objective and metric registries: one registration is all the config, the trainer and the
combination checker need, the built-in lists agree with the code that uses them, and the bugs the old
scattered lists hid stay fixed."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core import config as C
from ganstudio.core import metric_registry, objective_registry
from ganstudio.core.config import ObjectiveConfig, RunConfig, preset, validate
from ganstudio.core.errors import ConfigError
from ganstudio.core.train.objectives import Objective, get_objective
from ganstudio.core.train.trainer import Trainer, objective_settings
from ganstudio.core.train.tricks import check_combination

SMALL = ["model.g_width=32", "model.d_width=32", "model.z_dim=4", "optim.batch_size=32",
         "train.log_every=1", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
         "train.n_preview=64"]


def small_toy(*extra: str, steps: int = 3) -> RunConfig:
    return preset("toy-ring").with_overrides(SMALL + [f"train.steps={steps}", *extra])


# --- a registered objective is accepted everywhere ------------------------------------------------------------

def test_a_registered_objective_is_accepted_by_the_config(dummy_objective, tmp_path: Path):
    cfg = preset("toy-ring").with_overrides(["objective.loss=dummy"])
    assert cfg.objective.loss == "dummy" and validate(cfg) is cfg
    assert "dummy" in C.OBJECTIVES
    # An alias or another spelling is stored under the canonical name, so a saved run names it one way.
    assert preset("toy-ring").with_overrides(["objective.loss=Dummy_Loss"]).objective.loss == "dummy"
    path = tmp_path / "run.toml"
    path.write_text('preset = "toy-ring"\n[objective]\nloss = "dummy-loss"\n')
    assert C.load_toml(path).objective.loss == "dummy"
    assert RunConfig.from_dict(json.loads(cfg.to_json())) == cfg
    # It trains on toys and images only (the spec's default tasks): paired data names its choices.
    with pytest.raises(ConfigError, match="paired data trains with nonsaturating, lsgan, hinge or pix2pix, not 'dummy'"):
        validate(dataclasses.replace(preset("sketch-folder"), objective=ObjectiveConfig(loss="dummy")), complete=False)


def test_an_unregistered_objective_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="'objective.loss' is 'dummy'; choose one of minimax"):
        preset("toy-ring").with_overrides(["objective.loss=dummy"])
    assert "dummy" not in C.OBJECTIVES


def test_a_registered_objective_trains_with_its_own_losses(dummy_objective):
    events = []
    trainer = Trainer(small_toy("objective.loss=dummy", "objective.r1_gamma=0"), report=events.append)
    assert isinstance(trainer.objective, dummy_objective.cls) and trainer.objective.name == "dummy"
    before = [p.detach().clone() for p in trainer.G.parameters()]
    trainer.run()
    assert trainer.step_count == 3
    assert dummy_objective.calls["d_loss"] >= 3 and dummy_objective.calls["g_loss"] >= 3
    assert any(not (a == b).all() for a, b in zip(before, trainer.G.parameters()))
    scalars = [e.data for e in events if e.kind == "scalars"]
    assert len(scalars) == 3 and all(np.isfinite(s["d_loss"]) and np.isfinite(s["g_loss"]) for s in scalars)
    assert 0.0 < scalars[-1]["d_real"] < 1.0  # logits (the spec's default): D(x) shown as a probability
    assert "critic_gap" not in scalars[-1]  # not Lipschitz


def test_check_combination_reads_the_flags_of_a_registered_objective(dummy_objective):
    (warning,) = check_combination(objective="dummy", label_smoothing=0.1)
    assert "no effect with the dummy objective" in warning
    assert check_combination(objective="dummy-loss") == []


def test_registering_a_contradiction_is_refused(dummy_objective):
    spec = objective_registry.ObjectiveSpec
    with pytest.raises(ValueError, match="already taken"):
        objective_registry.register_objective(spec(name="dummy", tooltip="", build=Objective))
    with pytest.raises(ValueError, match="already taken"):
        objective_registry.register_objective(spec(name="other", tooltip="", build=Objective, aliases=("Dummy-Loss",)))
    with pytest.raises(ValueError, match="clip_value"):
        objective_registry.register_objective(spec(name="other", tooltip="", build=Objective, weight_clipping=True))
    with pytest.raises(ValueError, match="'l1_weight' defaults to 1"):
        objective_registry.register_objective(spec(name="other", tooltip="", build=Objective, settings={"l1_weight": 1.0}))
    assert "other" not in objective_registry.objective_names()


# --- the built-in objectives agree with the code -----------------------------------------------------------

def test_every_objective_builds_from_its_spec_with_the_config_defaults():
    config_fields = {f.name: f.default for f in dataclasses.fields(ObjectiveConfig)}
    for name in objective_registry.objective_names():
        spec = objective_registry.objective_spec(name)
        objective = get_objective(name)
        assert isinstance(objective, Objective) and objective.spec is spec and spec.tooltip
        assert objective.gradient_penalty_weight == spec.gradient_penalty_weight
        for setting, default in spec.settings.items():
            # The config has a field for each setting with the default the objective registers, and the
            # trainer passes it on.
            assert config_fields[setting] == default, (name, setting)
            assert getattr(objective, setting) == default
        cfg = dataclasses.replace(RunConfig(), objective=ObjectiveConfig(loss=name))
        assert set(objective_settings(cfg)) == set(spec.settings)
        if spec.weight_clipping:
            assert objective.needs_weight_clipping and objective.clip_value > 0


def test_config_and_trainer_need_no_torch_to_know_the_objectives():
    code = ("import sys; import ganstudio.core.config as c; assert 'pix2pix' in c.OBJECTIVES and 'l1' in c.BEST_METRICS; "
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('ganstudio.core.train')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def pictures(tmp_path_factory, make_pictures) -> Path:
    return make_pictures(tmp_path_factory.mktemp("paired") / "pictures")


@pytest.mark.parametrize("loss", objective_registry.objectives_for_task("paired"))
def test_every_objective_the_config_allows_on_paired_data_trains_on_it(loss, pictures):
    # lsgan, hinge and nonsaturating used to pass validation and then crash on pix2pix's g_loss keywords.
    events = []
    cfg = preset("sketch-folder").with_overrides([
        f"data.path={pictures}", f"objective.loss={loss}", "train.steps=1", "optim.batch_size=2", "train.n_preview=2",
        "model.g_width=8", "model.d_width=8", "train.sample_every=0", "train.eval_every=0",
        "train.checkpoint_every=0", "train.log_every=1",
    ])
    Trainer(cfg, report=events.append).run()
    (scalars,) = [e.data for e in events if e.kind == "scalars"]
    assert np.isfinite(scalars["g_loss"]) and np.isfinite(scalars["l1"])


# --- metrics -------------------------------------------------------------------------------------------------

def test_every_number_the_trainer_reports_is_a_registered_metric(tmp_path: Path):
    events = []
    cfg = small_toy("objective.loss=wgan-gp", "objective.r1_gamma=0.1", "train.eval_every=2", steps=2)
    Trainer(cfg, run_dir=tmp_path, report=events.append).run()
    reported = {k for e in events if e.kind in ("scalars", "eval") for k in e.data} - {"step", "wall_time", "kind"}
    assert {"critic_gap", "gradient_penalty", "r1_penalty", "modes_captured", "w1_exact"} <= reported
    assert reported - set(metric_registry.metric_names()) == set()
    # Every metric that can pick the best checkpoint says which way is better.
    for name in metric_registry.best_metric_names():
        assert metric_registry.higher_is_better(name) in (True, False)


def test_a_registered_metric_can_pick_the_best_checkpoint(dummy_metric, tmp_path: Path):
    cfg = small_toy("train.best_metric=dummy_metric", "train.eval_every=2", "train.log_every=2", steps=6)
    assert "dummy_metric" in C.BEST_METRICS
    dummy_metric.values = [3.0, 1.0, 2.0]  # the evaluations at steps 2, 4 and 6; lower is better
    events = []
    trainer = Trainer(cfg, run_dir=tmp_path, report=events.append)
    trainer.run()
    evals = [e.data for e in events if e.kind == "eval"]
    assert [e["dummy_metric"] for e in evals] == [3.0, 1.0, 2.0]
    assert dummy_metric.seen == [((2500, 2), (2500, 2))] * 3  # real and generated points of each evaluation
    meta = json.loads((tmp_path / "checkpoints" / "best.json").read_text())
    assert (meta["step"], meta["best_metric"], meta["best_value"]) == (4, "dummy_metric", 1.0)


def test_an_unregistered_metric_cannot_be_the_best_metric():
    with pytest.raises(ConfigError, match="'train.best_metric' is 'dummy_metric'; choose one of"):
        small_toy("train.best_metric=dummy_metric")
    with pytest.raises(ConfigError, match="'train.best_metric' is 'd_loss'"):
        small_toy("train.best_metric=d_loss")  # registered, but neither way is better


def test_g_loss_as_best_metric_keeps_a_best_checkpoint(tmp_path: Path):
    # It was a valid choice that never kept one: only evaluations were compared, and they have no g_loss.
    cfg = small_toy("train.best_metric=g_loss", "train.eval_every=2", "train.log_every=2", steps=4)
    trainer = Trainer(cfg, run_dir=tmp_path)
    trainer.run()
    meta = json.loads((tmp_path / "checkpoints" / "best.json").read_text())
    assert meta["best_metric"] == "g_loss" and np.isfinite(meta["best_value"])


def test_the_evaluation_line_formats_come_from_the_registry():
    record = {"modes_captured": 7.0, "n_modes": 8.0, "hq_fraction": 0.8125, "sliced_w": 0.01234, "l1": 0.5}
    parts = [t for s in metric_registry.summary_metrics() if (t := s.format_value(record)) is not None]
    assert parts == ["modes 7/8", "high-quality 81%", "sliced W 0.0123", "L1 0.5"]
    assert metric_registry.metric("modes_captured").format_value({"modes_captured": 3.0}) is None  # no n_modes


def test_registering_a_metric_checks_it():
    spec = metric_registry.MetricSpec
    with pytest.raises(ValueError, match="already registered"):
        metric_registry.register_metric(spec("d_loss", "D loss"))
    with pytest.raises(ValueError, match="unknown plot group 'nowhere'"):
        metric_registry.register_metric(spec("x", "x", group="nowhere"))
    with pytest.raises(ValueError, match="higher_is_better"):
        metric_registry.register_metric(spec("x", "x", best=True))
    assert metric_registry.metric("x") is None
