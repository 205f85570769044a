"""Broken checkpoints: every kind of damage to the metadata or the tensors gives one CheckpointError
naming the file, at load, for every caller (sampling, info, the trainer's resume)."""

from pathlib import Path

import pytest
import torch
from checkpoint_variants import checkpoint_parts, drop_prefix, set_item, write_variant

from ganstudio.core.checkpoint import load_checkpoint, read_foreign_state_dict
from ganstudio.core.errors import CheckpointError, GanStudioError

TOY = ["train.steps=2", "train.log_every=1", "train.eval_every=0", "train.sample_every=0", "train.checkpoint_every=0",
       "model.g_width=16", "model.d_width=16"]


def _toy_config():
    from ganstudio.core.config import preset

    return preset("toy-ring").with_overrides(TOY)


@pytest.fixture(scope="module")
def toy_ckpt(tmp_path_factory) -> Path:
    """A real toy-ring checkpoint after two steps: weights, EMA, optimizer state, RNG state."""
    from ganstudio.core.train.trainer import Trainer

    trainer = Trainer(_toy_config(), run_dir=tmp_path_factory.mktemp("toy") / "run")
    trainer.run()
    return trainer.save_checkpoint()


def _first(t, prefix):
    return next(k for k in t if k.startswith(prefix) and t[k].is_floating_point())


def _poison(prefix, value):
    def edit(t):
        k = _first(t, prefix)
        t[k] = t[k].clone()
        t[k].view(-1)[0] = value
    return edit


def _to_int(prefix):
    def edit(t):
        k = _first(t, prefix)
        t[k] = t[k].round().to(torch.int32)
    return edit


VARIANTS = {
    # metadata
    "meta not JSON": dict(raw_meta="{not json"),
    "meta a list": dict(raw_meta="[1, 2]"),
    "meta deep": dict(raw_meta="[" * 100_000 + "]" * 100_000),
    "step abc": dict(meta_edit=set_item("step", "abc")),
    "step negative": dict(meta_edit=set_item("step", -3)),
    "step float": dict(meta_edit=set_item("step", 2.5)),
    "metric bad": dict(meta_edit=set_item("metrics", {"sliced_w": "bad"})),
    "metrics a list": dict(meta_edit=set_item("metrics", [1])),
    "config a list": dict(meta_edit=set_item("config", [1])),
    "config section": dict(meta_edit=lambda m: m["config"].__setitem__("model", 5)),
    "wall_time text": dict(meta_edit=set_item("wall_time", "soon")),
    "n_classes huge": dict(meta_edit=set_item("n_classes", 10**12)),
    "n_critic zero": dict(meta_edit=set_item("n_critic", 0)),
    "ema_updates text": dict(meta_edit=set_item("ema_updates", "x")),
    "hist_counts": dict(meta_edit=set_item("hist_counts", "x")),
    "best_value text": dict(meta_edit=set_item("best_value", "x")),
    "best_metric number": dict(meta_edit=set_item("best_metric", 5)),
    # optimizer state
    "opt groups text": dict(meta_edit=set_item("opt_G_groups", "x")),
    "opt params text": dict(meta_edit=lambda m: m["opt_G_groups"][0].__setitem__("params", "x")),
    "opt lr text": dict(meta_edit=lambda m: m["opt_D_groups"][0].__setitem__("lr", "bad")),
    "opt betas text": dict(meta_edit=lambda m: m["opt_G_groups"][0].__setitem__("betas", "bad")),
    "opt D groups missing": dict(meta_edit=lambda m: m.pop("opt_D_groups")),
    "opt D state missing": dict(tensor_edit=drop_prefix("opt_D.")),
    "opt key not an index": dict(tensor_edit=lambda t: t.__setitem__("opt_G.abc.exp_avg", torch.zeros(2))),
    "opt index unknown": dict(tensor_edit=lambda t: t.__setitem__("opt_G.99.exp_avg", torch.zeros(2))),
    "opt state NaN": dict(tensor_edit=_poison("opt_G.", float("nan"))),
    "opt step missing": dict(tensor_edit=lambda t: t.pop("opt_G.0.step")),
    # RNG state
    "rng torch missing": dict(tensor_edit=lambda t: t.pop("rng.torch")),
    "rng wrong size": dict(tensor_edit=set_item("rng.trainer", torch.zeros(10, dtype=torch.uint8))),
    "rng wrong dtype": dict(tensor_edit=set_item("rng.torch", torch.zeros(5056))),
    "rng garbage": dict(tensor_edit=set_item("rng.trainer", torch.full((5056,), 255, dtype=torch.uint8))),
    # weights
    "G missing": dict(tensor_edit=drop_prefix("G.")),
    "G NaN": dict(tensor_edit=_poison("G.", float("nan"))),
    "D Inf": dict(tensor_edit=_poison("D.", float("inf"))),
    "G_ema NaN": dict(tensor_edit=_poison("G_ema.", float("nan"))),
    "G integer": dict(tensor_edit=_to_int("G.")),
    "hist keys": dict(tensor_edit=set_item("hist_G.x", torch.zeros(2))),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_broken_checkpoint_gives_one_checkpoint_error_naming_the_file(toy_ckpt, tmp_path, name):
    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **VARIANTS[name])
    with pytest.raises(CheckpointError, match="bad.safetensors") as info:
        load_checkpoint(bad)
    assert "\n" not in str(info.value)


def test_non_finite_weights_name_the_tensor(toy_ckpt, tmp_path):
    tensors, _ = checkpoint_parts(toy_ckpt)
    key = _first(tensors, "G.")
    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **VARIANTS["G NaN"])
    with pytest.raises(CheckpointError, match=key.replace(".", r"\.")):
        load_checkpoint(bad)


def test_the_good_checkpoint_and_a_generator_only_one_load(toy_ckpt, tmp_path):
    ckpt = load_checkpoint(toy_ckpt)
    assert ckpt.step == 2 and {"G", "D", "opt_G", "opt_D", "rng"} <= set(ckpt.states)
    only_g = write_variant(toy_ckpt, tmp_path / "g.safetensors",
                           tensor_edit=lambda t: [t.pop(k) for k in list(t) if not k.startswith("G.")],
                           meta_edit=lambda m: [m.pop(k) for k in ("opt_G_groups", "opt_D_groups")])
    ckpt = load_checkpoint(only_g)
    assert set(ckpt.states) == {"G"}
    # A part the file lacks is a CheckpointError for whoever asks for it (the trainer's resume needs D).
    with pytest.raises(CheckpointError, match=r"g.safetensors.*\bD\b"):
        ckpt.states["D"]
    assert ckpt.states.get("D") is None and "D" not in ckpt.states


def test_a_fresh_optimizer_without_state_tensors_still_loads(toy_ckpt, tmp_path):
    # Saved before the first step: the groups are there, the state tensors are not.
    path = write_variant(toy_ckpt, tmp_path / "fresh.safetensors",
                         tensor_edit=lambda t: [t.pop(k) for k in list(t) if k.startswith("opt_")])
    ckpt = load_checkpoint(path)
    assert ckpt.states["opt_G"] == {} and ckpt.states["opt_D"] == {}


@pytest.mark.parametrize("name", ["step abc", "opt D state missing", "rng torch missing", "G missing",
                                  "hist keys", "opt lr text", "rng garbage"])
def test_resuming_a_broken_checkpoint_is_a_user_error(toy_ckpt, tmp_path, name):
    from ganstudio.core.train.trainer import Trainer

    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **VARIANTS[name])
    with pytest.raises(GanStudioError, match="bad.safetensors"):
        Trainer(_toy_config(), resume=bad)


def test_resuming_a_generator_only_checkpoint_is_a_user_error(toy_ckpt, tmp_path):
    from ganstudio.core.train.trainer import Trainer

    only_g = write_variant(toy_ckpt, tmp_path / "g.safetensors", tensor_edit=drop_prefix("D."))
    with pytest.raises(CheckpointError, match=r"g.safetensors.*\bD\b"):
        Trainer(_toy_config(), resume=only_g)


def test_sampling_refuses_non_finite_weights(toy_ckpt, tmp_path):
    from ganstudio.core.models.from_config import generator_from_checkpoint

    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors", **VARIANTS["G_ema NaN"])
    with pytest.raises(CheckpointError, match="bad.safetensors.*G_ema"):
        generator_from_checkpoint(bad)


def test_a_bad_config_in_a_checkpoint_is_a_checkpoint_error(toy_ckpt, tmp_path):
    from ganstudio.core.models.from_config import generator_from_checkpoint

    bad = write_variant(toy_ckpt, tmp_path / "bad.safetensors",
                        meta_edit=lambda m: m["config"]["model"].__setitem__("z_dim", "many"))
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        generator_from_checkpoint(bad)


def test_a_deeply_nested_safetensors_header_is_a_checkpoint_error(tmp_path):
    header = b"[" * 100_000 + b"]" * 100_000
    path = tmp_path / "deep.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(CheckpointError, match="deep.safetensors"):
        load_checkpoint(path)
    from ganstudio.core.generators.formats import is_ganstudio_safetensors

    assert is_ganstudio_safetensors(path)  # unreadable: load_checkpoint says what is wrong


@pytest.mark.parametrize("state, what", [
    ({"w": torch.tensor([1.0, float("nan")])}, r"\bw\b"),
    ({"w": torch.tensor([float("inf")])}, r"\bw\b"),
    ({"main.0.weight": torch.ones(2, 2, dtype=torch.int64)}, r"main\.0\.weight"),
])
def test_foreign_weights_refuse_non_finite_and_integer_tensors(tmp_path, state, what):
    path = tmp_path / "net.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=f"net.pth.*{what}"):
        read_foreign_state_dict(path)


def test_foreign_weights_keep_their_integer_counters(tmp_path):
    path = tmp_path / "net.pth"
    torch.save({"bn.weight": torch.ones(2), "bn.num_batches_tracked": torch.tensor(5)}, path)
    assert set(read_foreign_state_dict(path)) == {"bn.weight", "bn.num_batches_tracked"}


def test_optimizer_state_of_the_wrong_shape_is_refused_before_training_on_it():
    from ganstudio.core.checkpoint import optimizer_from_flat, optimizer_to_flat

    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    flat, groups = optimizer_to_flat(opt)
    flat["0.exp_avg"] = torch.zeros(5)
    with pytest.raises(CheckpointError, match=r"0\.exp_avg.*shape"):
        optimizer_from_flat(torch.optim.Adam(torch.nn.Linear(3, 2).parameters()), flat, groups)


def test_importing_a_foreign_generator_with_nan_weights_names_the_tensor(tmp_path):
    from ganstudio.core.models.dcgan import DCGANGenerator
    from ganstudio.core.models.importers import import_foreign_generator

    state = DCGANGenerator(z_dim=8, ngf=8, nc=3, image_size=32).state_dict()
    state["main.0.weight"][0, 0, 0, 0] = float("nan")
    torch.save(state, tmp_path / "netG.pth")
    with pytest.raises(CheckpointError, match=r"netG.pth.*main\.0\.weight"):
        import_foreign_generator(tmp_path / "netG.pth")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_all_finite_finds_every_nan_and_infinity(dtype):
    from ganstudio.core.checkpoint import all_finite

    x = torch.randn(64).to(dtype)
    x[5] = torch.finfo(dtype).max  # large but finite
    assert all_finite(x) and all_finite(torch.randn(4, 6).to(dtype).t())
    for bad in (float("nan"), float("inf"), -float("inf")):
        y = x.clone()
        y[37] = bad
        assert not all_finite(y)


@pytest.mark.parametrize("path", ["x" * 5000, "x" * 5000 + ".pth", "a/" + "b" * 300 + ".safetensors", "a\0b.safetensors"])
def test_model_paths_no_file_system_takes_are_one_sentence(path):
    from ganstudio.core.generators.handle import open_generator

    for load in (load_checkpoint, read_foreign_state_dict, open_generator):
        with pytest.raises(CheckpointError, match="(?i)path"):
            load(path)
