"""What load_checkpoint checks in a checkpoint's metadata and tensors, word for word, on a checkpoint of tiny
networks built by hand the way the trainer builds one (`Checkpointing.checkpoint`): G and D, their Adam
states after a step, the random-number states, historical averages, and the trainer's metadata fields. No
Trainer runs, so these tests take a fraction of a second (test_checkpoint_files.py checks the same damage
on a checkpoint the Trainer wrote, and the trainer's resume).

Each refusal is one sentence naming the file and the field; each range is checked on both sides of its
limits (the limit itself is accepted)."""

import json
import math
from pathlib import Path

import pytest
import torch
from checkpoint_variants import drop_prefix, set_item, write_variant

from ganstudio.core import checkpoint as ck
from ganstudio.core.checkpoint import (
    Checkpoint,
    check_weight_tensors,
    load_checkpoint,
    load_state_into,
    optimizer_from_flat,
    optimizer_to_flat,
    save_checkpoint,
)
from ganstudio.core.errors import CheckpointError


def _stepped_adam(module: torch.nn.Module) -> torch.optim.Adam:
    opt = torch.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999))
    module(torch.ones(4, 2)).sum().backward()
    opt.step()
    return opt


def tiny_checkpoint() -> Checkpoint:
    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    D = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2), torch.nn.Linear(3, 1))
    opt_G, opt_D = _stepped_adam(G), _stepped_adam(D)
    flat_g, groups_g = optimizer_to_flat(opt_G)
    flat_d, groups_d = optimizer_to_flat(opt_D)
    states = {"G": G.state_dict(), "D": D.state_dict(), "G_ema": G.state_dict(), "opt_G": flat_g, "opt_D": flat_d,
              "rng": {"trainer": torch.Generator().manual_seed(3).get_state(), "torch": torch.get_rng_state()},
              "hist_G": {str(i): p.detach().clone() for i, p in enumerate(G.parameters())}}
    meta = {"config": {section: {} for section in ck.CONFIG_SECTIONS} | {"name": "tiny"},
            "step": 2, "wall_time": 0.5, "task": "unconditional", "n_classes": 0, "n_critic": 1,
            "opt_G_groups": groups_g, "opt_D_groups": groups_d, "metrics": {"sliced_w": 0.25}, "best_value": None,
            "best_metric": None, "ema_updates": 2, "hist_counts": [2, 0]}
    return Checkpoint(states=states, meta=meta)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("tiny") / "good.safetensors", tiny_checkpoint())


def variant(good: Path, tmp_path: Path, meta_edit=None, tensor_edit=None) -> Path:
    return write_variant(good, tmp_path / "bad.safetensors", meta_edit, tensor_edit)


def refusal(path: Path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    return str(info.value)


def meta_set(key, value):
    return lambda m: m.__setitem__(key, value)


def test_the_tiny_checkpoint_loads_whole(good):
    ckpt = load_checkpoint(good)
    assert set(ckpt.states) == {"G", "D", "G_ema", "opt_G", "opt_D", "rng", "hist_G"}
    assert ckpt.step == 2 and ckpt.meta["format"] == "ganstudio-checkpoint" and ckpt.meta["format_version"] == 1
    assert ckpt.states["G"]["1.num_batches_tracked"].dtype == torch.int64
    assert sorted(ckpt.states["opt_G"]) == sorted(f"{i}.{k}" for i in range(6) for k in ("step", "exp_avg", "exp_avg_sq"))


# --- metadata fields ---------------------------------------------------------------------------------------

FIELD_EXPECTED = {
    "step": "a whole number of steps, 0 or more",
    "wall_time": "a number of seconds, 0 or more",
    "n_classes": "a whole number from 0 to 100000",
    "n_critic": "a whole number from 1 to 1000",
    "ema_updates": "a whole number, 0 or more",
    "hist_counts": "two whole numbers",
    "best_value": "a finite number or null",
    "best_metric": "a metric name or null",
    "metrics": "an object of numbers",
}
REFUSED = {
    "step": [-1, 2.5, "3", True, 10**15 + 1, None],
    "wall_time": [-0.001, "soon", math.inf, True, None],
    "n_classes": [-1, 100_001, 2.0, False],
    "n_critic": [0, 1001, 1.5, True],
    "ema_updates": [-1, 0.5, "2", 10**15 + 1],
    "hist_counts": ["x", [1], [1, 2, 3], [1, -1], [1, 2.0], [True, 1]],
    "best_value": ["x", math.inf, -math.inf, True],
    "best_metric": [5, ["fid"], True],
    "metrics": [[1], {"a": "x"}, {"a": True}, {"a": None}, "x"],
}
ACCEPTED = {
    "step": [0, 10**15],
    "wall_time": [0.0, 0, 1e9],
    "n_classes": [0, 100_000],
    "n_critic": [1, 1000],
    "ema_updates": [0, 10**15],
    "hist_counts": [[0, 0], [10**15, 3]],
    "best_value": [None, -3.5, 0],
    "best_metric": [None, "fid"],
    "metrics": [{}, {"a": 1, "b": -2.5}],
}


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in REFUSED.items() for v in vs])
def test_each_metadata_field_out_of_range_is_refused_word_for_word(good, tmp_path, key, value):
    path = variant(good, tmp_path, meta_set(key, value))
    shown = repr(json.loads(json.dumps(value)) if value not in (math.inf, -math.inf) else value)
    assert refusal(path) == f"checkpoint {path} is corrupted: its {key!r} must be {FIELD_EXPECTED[key]}, not {shown}."


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in ACCEPTED.items() for v in vs])
def test_each_metadata_field_at_its_limits_is_accepted(good, tmp_path, key, value):
    assert load_checkpoint(variant(good, tmp_path, meta_set(key, value))).meta[key] == value


def test_missing_fields_are_not_checked_and_a_long_value_is_cut_at_40_characters(good, tmp_path):
    def drop_all(m):
        for key in FIELD_EXPECTED:
            m.pop(key)
    assert load_checkpoint(variant(good, tmp_path, drop_all)).step == 0
    path = variant(good, tmp_path, meta_set("step", "x" * 50))
    assert refusal(path) == (f"checkpoint {path} is corrupted: its 'step' must be a whole number of steps, 0 or more, "
                             f"not {repr('x' * 50)[:40]}....")
    path = variant(good, tmp_path, meta_set("step", "x" * 38))  # a repr of exactly 40 characters is shown whole
    assert refusal(path).endswith(f"not {'x' * 38!r}.")
    path = variant(good, tmp_path, meta_set("step", "x" * 39))  # 41 characters: cut
    assert refusal(path).endswith(f"not {repr('x' * 39)[:40]}....")


def test_the_config_and_each_of_its_sections_must_be_objects(good, tmp_path):
    path = variant(good, tmp_path, meta_set("config", [1]))
    assert refusal(path) == f"checkpoint {path} is corrupted: its 'config' must be an object of run settings, not [1]."
    for section in ("data", "model", "objective", "tricks", "optim", "train"):
        path = variant(good, tmp_path, lambda m: m["config"].__setitem__(section, 5))
        assert refusal(path) == f"checkpoint {path} is corrupted: its config section {section!r} is not an object."
    # Other settings of the config, and a config without sections, are not this check's business.
    assert load_checkpoint(variant(good, tmp_path, lambda m: m["config"].__setitem__("name", 5)))
    assert load_checkpoint(variant(good, tmp_path, meta_set("config", {}))).config == {}


def test_the_format_must_be_a_ganstudio_checkpoint(good, tmp_path):
    path = variant(good, tmp_path, meta_set("format", "other"))
    assert refusal(path) == f"{path} is not a GAN Studio checkpoint (format 'other')."


# --- optimizer settings ------------------------------------------------------------------------------------


def test_the_optimizer_settings_of_one_network_only_are_refused(good, tmp_path):
    path = variant(good, tmp_path, lambda m: m.pop("opt_D_groups"))
    assert refusal(path) == f"checkpoint {path} is corrupted: it has the optimizer settings of the generator only."
    path = variant(good, tmp_path, lambda m: m.pop("opt_G_groups"))
    assert refusal(path) == f"checkpoint {path} is corrupted: it has the optimizer settings of the critic only."


@pytest.mark.parametrize("groups", ["x", [], [{"params": [0]}, 3], {"params": [0]}])
@pytest.mark.parametrize("key", ["opt_G_groups", "opt_D_groups"])
def test_groups_must_be_a_list_of_parameter_groups(good, tmp_path, key, groups):
    path = variant(good, tmp_path, meta_set(key, groups))
    assert refusal(path) == f"checkpoint {path} is corrupted: its {key!r} must be a list of parameter groups."


@pytest.mark.parametrize("params", ["x", [0, "1"], [0, 0], [-1], [10**7 + 1], [True], None])
def test_group_params_must_be_distinct_parameter_numbers(good, tmp_path, params):
    path = variant(good, tmp_path, lambda m: m["opt_G_groups"][0].__setitem__("params", params))
    assert refusal(path) == (f"checkpoint {path} is corrupted: its 'opt_G_groups' holds a group whose 'params' are "
                             "not distinct parameter numbers.")


def test_two_groups_may_not_share_a_parameter(good, tmp_path):
    def split(m, second):
        group = m["opt_D_groups"][0]
        m["opt_D_groups"] = [dict(group, params=[0, 1]), dict(group, params=second)]
    assert load_checkpoint(variant(good, tmp_path, lambda m: split(m, [2, 3])))
    path = variant(good, tmp_path, lambda m: split(m, [1, 2, 3]))
    assert refusal(path) == (f"checkpoint {path} is corrupted: its 'opt_D_groups' holds a group whose 'params' are "
                             "not distinct parameter numbers.")
    # Every earlier group counts, not only the one before.
    with pytest.raises(CheckpointError, match="not distinct parameter numbers"):
        ck._check_optimizer_groups([{"params": [0, 1]}, {"params": [2]}, {"params": [1, 3]}], "x")
    # The largest parameter number is accepted (a state for it is another check's business).
    assert ck._check_optimizer_groups([{"params": [10**7]}], "x") is None


BAD_SETTINGS = [("betas", "bad"), ("betas", [0.5]), ("betas", [0.5, 0.9, 0.9]), ("betas", [0.5, 1.01]),
                ("betas", [-0.1, 0.9]), ("betas", [0.5, "x"]), ("amsgrad", 1), ("maximize", None),
                ("nesterov", "no"), ("centered", 0), ("capturable", "x"), ("differentiable", 1.0),
                ("decoupled_weight_decay", None), ("foreach", 1), ("fused", "yes"), ("lr", "bad"), ("lr", -1e-4),
                ("lr", math.inf), ("eps", -1.0), ("weight_decay", "x"), ("momentum", -0.5), ("alpha", None),
                ("dampening", True), ("initial_lr", -1), ("rho", [1]), ("rho", {"a": 1}), ("rho", math.inf),
                ("lr", "y" * 60)]


@pytest.mark.parametrize("key,value", BAD_SETTINGS)
def test_each_optimizer_setting_of_the_wrong_kind_is_refused_word_for_word(key, value):
    with pytest.raises(CheckpointError) as info:
        ck._check_optimizer_groups([{"params": [0], key: value}], "FILE")
    assert str(info.value) == f"FILE has an invalid {key!r} ({str(value)[:40]})."


@pytest.mark.parametrize("key,value", [("betas", [0.0, 1.0]), ("betas", [0, 1]), ("amsgrad", True),
                                       ("decoupled_weight_decay", False), ("foreach", None), ("fused", True),
                                       ("lr", 0.0), ("eps", 0), ("initial_lr", 1e-3), ("momentum", 0.9),
                                       ("rho", None), ("rho", True), ("rho", "name"), ("rho", -2.5)])
def test_optimizer_settings_of_the_right_kind_are_accepted(key, value):
    ck._check_optimizer_groups([{"params": [0, 1], key: value}, {"params": [2]}], "FILE")


# --- tensors -----------------------------------------------------------------------------------------------


def test_a_checkpoint_without_generator_weights_says_what_it_holds(good, tmp_path):
    path = variant(good, tmp_path, tensor_edit=drop_prefix("G."))
    assert refusal(path) == (f"checkpoint {path} has no generator weights (G); it holds D, G_ema, hist_G, opt_D, "
                             "opt_G, rng.")
    path = variant(good, tmp_path, tensor_edit=lambda t: t.clear(), meta_edit=lambda m: [m.pop(k) for k in (
        "opt_G_groups", "opt_D_groups")])
    assert refusal(path) == f"checkpoint {path} has no generator weights (G); it holds no tensors."


@pytest.mark.parametrize("part", ["G", "G_ema", "D", "hist_G", "hist_D"])
def test_every_weight_part_is_checked_for_nan_and_integers(good, tmp_path, part):
    def poison(t, value, dtype=None):
        if part == "hist_D":
            t["hist_D.0"] = torch.zeros(2)
        key = sorted(k for k in t if k.startswith(part + ".") and t[k].is_floating_point())[0]
        t[key] = torch.full_like(t[key], value) if dtype is None else t[key].to(dtype)
        return key
    keys = {}
    path = variant(good, tmp_path, tensor_edit=lambda t: keys.setdefault("nan", poison(t, math.nan)))
    assert refusal(path) == f"checkpoint {path} holds NaN or infinite values in {keys['nan']}."
    path = variant(good, tmp_path, tensor_edit=lambda t: keys.setdefault("int", poison(t, 0, torch.int32)))
    assert refusal(path) == (f"checkpoint {path} holds torch.int32 values in {keys['int']}, where weights are "
                             "floating-point numbers.")


def test_weight_checks_name_the_first_tensors_and_count_the_rest():
    state = {"a": torch.ones(1), "b": torch.tensor([math.inf]), "c": torch.tensor([math.nan]),
             "d": torch.tensor([-math.inf]), "e": torch.tensor([math.nan]), "f": torch.tensor([math.nan])}
    with pytest.raises(CheckpointError) as info:
        check_weight_tensors(state, "W", "P.")
    assert str(info.value) == "W holds NaN or infinite values in P.b, P.c, P.d and 2 more tensors."
    with pytest.raises(CheckpointError) as info:
        check_weight_tensors({"b": torch.tensor([math.nan]), "c": torch.tensor([math.inf]),
                              "d": torch.tensor([math.nan])}, "W")
    assert str(info.value) == "W holds NaN or infinite values in b, c, d."
    ints = {"x": torch.ones(1), "y": torch.ones(1, dtype=torch.int64), "z": torch.ones(1, dtype=torch.uint8)}
    with pytest.raises(CheckpointError) as info:
        check_weight_tensors(ints, "W", "G.")
    assert str(info.value) == ("W holds torch.int64 values in G.y and 1 more tensors, where weights are "
                               "floating-point numbers.")
    # BatchNorm counters may be integers, but not booleans or complex numbers; integers come before NaN.
    check_weight_tensors({"bn.num_batches_tracked": torch.tensor(5), "w": torch.ones(2)}, "W")
    for dtype in (torch.bool, torch.complex64):
        with pytest.raises(CheckpointError, match=f"holds {dtype} values in bn.num_batches_tracked,"):
            check_weight_tensors({"bn.num_batches_tracked": torch.zeros(1, dtype=dtype)}, "W")
    with pytest.raises(CheckpointError, match="holds torch.int64 values in y,"):
        check_weight_tensors({"w": torch.tensor([math.nan]), "y": torch.ones(1, dtype=torch.int64)}, "W")
    with pytest.raises(CheckpointError, match="holds torch.int32 values in counter,"):
        check_weight_tensors({"counter": torch.ones(1, dtype=torch.int32)}, "W")


def test_historical_averages_must_be_numbered_from_zero(good, tmp_path):
    path = variant(good, tmp_path, tensor_edit=set_item("hist_G.x", torch.zeros(2)))
    assert refusal(path) == f"checkpoint {path} is corrupted: its hist_G tensors are not numbered 0 to 6."
    path = variant(good, tmp_path, tensor_edit=lambda t: t.pop("hist_G.0"))
    assert refusal(path) == f"checkpoint {path} is corrupted: its hist_G tensors are not numbered 0 to 4."
    path = variant(good, tmp_path, tensor_edit=set_item("hist_D.1", torch.zeros(2)))
    assert refusal(path) == f"checkpoint {path} is corrupted: its hist_D tensors are not numbered 0 to 0."
    # 10 or more tensors: numbered as text, compared as numbers' text ("10" sorts before "2").
    ok = variant(good, tmp_path, tensor_edit=lambda t: [t.__setitem__(f"hist_D.{i}", torch.zeros(1)) for i in range(12)])
    assert sorted(load_checkpoint(ok).states["hist_D"], key=int) == [str(i) for i in range(12)]


def test_optimizer_state_of_one_network_only_is_refused_and_none_at_all_is_a_fresh_start(good, tmp_path):
    path = variant(good, tmp_path, tensor_edit=drop_prefix("opt_D."))
    assert refusal(path) == f"checkpoint {path} is corrupted: it lacks the optimizer state opt_D."
    path = variant(good, tmp_path, tensor_edit=drop_prefix("opt_G."))
    assert refusal(path) == f"checkpoint {path} is corrupted: it lacks the optimizer state opt_G."
    fresh = load_checkpoint(variant(good, tmp_path, tensor_edit=drop_prefix("opt_")))
    assert fresh.states["opt_G"] == {} and fresh.states["opt_D"] == {}
    # Without optimizer settings the optimizer tensors are not looked at (a generator-only file).
    only_g = variant(good, tmp_path, meta_edit=lambda m: [m.pop(k) for k in ("opt_G_groups", "opt_D_groups")],
                     tensor_edit=set_item("opt_G.junk", torch.zeros(1)))
    assert "opt_D" in load_checkpoint(only_g).states


@pytest.mark.parametrize("part", ["opt_G", "opt_D"])
def test_each_optimizer_state_tensor_is_checked_word_for_word(good, tmp_path, part):
    for key in ("abc.exp_avg", "9.exp_avg", "0.exp-avg", "0."):
        path = variant(good, tmp_path, tensor_edit=set_item(f"{part}.{key}", torch.zeros(2)))
        assert refusal(path) == f"checkpoint {path} is corrupted: its optimizer state {part}.{key} belongs to no parameter."
    for value in (torch.tensor([0.5, math.nan]), torch.tensor([math.inf]), torch.zeros(2, dtype=torch.int64)):
        path = variant(good, tmp_path, tensor_edit=set_item(f"{part}.1.exp_avg", value))
        assert refusal(path) == (f"checkpoint {path} holds an invalid optimizer state in {part}.1.exp_avg (not finite "
                                 "floating-point numbers).")
    for step in (torch.tensor([1.0, 2.0]), torch.tensor(-1.0), torch.zeros(0)):
        path = variant(good, tmp_path, tensor_edit=set_item(f"{part}.2.step", step))
        assert refusal(path) == (f"checkpoint {path} is corrupted: its optimizer step count {part}.2.step is not one "
                                 "number, 0 or more.")
    assert load_checkpoint(variant(good, tmp_path, tensor_edit=set_item(f"{part}.2.step", torch.tensor([0.0]))))
    path = variant(good, tmp_path, tensor_edit=lambda t: t.pop(f"{part}.3.exp_avg_sq"))
    assert refusal(path) == (f"checkpoint {path} is corrupted: the optimizer state {part} does not hold the same values "
                             "for every parameter.")
    # A parameter with no state at all is fine (it had no gradient yet); the others agree.
    assert load_checkpoint(variant(good, tmp_path, tensor_edit=drop_prefix(f"{part}.3.")))


def test_the_random_number_states_are_checked_word_for_word(good, tmp_path):
    path = variant(good, tmp_path, tensor_edit=lambda t: t.pop("rng.torch"))
    assert refusal(path) == (f"checkpoint {path} is corrupted: its random-number state holds trainer, not the "
                             "trainer's and torch's.")
    path = variant(good, tmp_path, tensor_edit=set_item("rng.numpy", torch.zeros(1, dtype=torch.uint8)))
    assert refusal(path) == (f"checkpoint {path} is corrupted: its random-number state holds numpy, torch, trainer, "
                             "not the trainer's and torch's.")
    size = torch.get_rng_state().numel()
    for name, value in (("trainer", torch.zeros(10, dtype=torch.uint8)), ("torch", torch.zeros(size)),
                        ("torch", torch.zeros(1, size, dtype=torch.uint8)), ("trainer", torch.zeros(size + 1, dtype=torch.uint8))):
        path = variant(good, tmp_path, tensor_edit=set_item(f"rng.{name}", value))
        assert refusal(path) == (f"checkpoint {path} is corrupted: its random-number state rng.{name} is not {size} "
                                 f"bytes ({value.dtype}, {tuple(value.shape)}).")
    path = variant(good, tmp_path, tensor_edit=set_item("rng.torch", torch.full((size,), 255, dtype=torch.uint8)))
    assert refusal(path) == f"checkpoint {path} is corrupted: its random-number state rng.torch is invalid."
    # The states that load are the ones saved, byte for byte.
    ckpt = load_checkpoint(good)
    assert torch.equal(ckpt.states["rng"]["trainer"], torch.Generator().manual_seed(3).get_state())


# --- loading into modules and optimizers -------------------------------------------------------------------


def test_load_state_into_names_every_kind_of_mismatch():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    good = net.state_dict()
    bad = {"0.weight": torch.zeros(3, 5), "0.bias": good["0.bias"], "1.bias": torch.zeros(2), "x": torch.zeros(1),
           "y": torch.zeros(1), "z": torch.zeros(1), "w": torch.zeros(1)}
    with pytest.raises(CheckpointError) as info:
        load_state_into(net, bad, "Toy generator", "f.safetensors")
    assert str(info.value) == ("Toy generator weights in f.safetensors do not match the model: missing 1 (1.weight), "
                               "unexpected 4 (x, y, z), wrong shape 2 (0.weight (3, 5) vs (3, 2); 1.bias (2,) vs (1,)).")
    with pytest.raises(CheckpointError) as info:
        load_state_into(net, {}, "G", Path("g.pt"))
    assert str(info.value) == "G weights in g.pt do not match the model: missing 4 (0.weight, 0.bias, 1.weight)."
    with pytest.raises(CheckpointError) as info:
        load_state_into(net, {k: torch.zeros(7) for k in good}, "G", "g")
    assert str(info.value) == ("G weights in g do not match the model: wrong shape 4 (0.weight (7,) vs (3, 2); "
                               "0.bias (7,) vs (3,); 1.weight (7,) vs (1, 3)).")
    state = {k: torch.full_like(v, 0.25) for k, v in good.items()}
    load_state_into(net, state, "G", "g")
    assert all(torch.equal(v, torch.full_like(v, 0.25)) for v in net.state_dict().values())


def test_optimizer_state_goes_through_flat_tensors_unchanged():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    opt = _stepped_adam(net)
    flat, groups = optimizer_to_flat(opt)
    assert groups == opt.state_dict()["param_groups"]
    assert all(torch.equal(flat[f"{i}.{k}"], v) for i, s in opt.state_dict()["state"].items() for k, v in s.items())
    twin = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    twin.load_state_dict(net.state_dict())
    opt2 = torch.optim.Adam(twin.parameters())
    # (fresh tensors, as a load from the file gives: load_state_dict keeps tensors it need not convert)
    optimizer_from_flat(opt2, {k: v.clone() for k, v in flat.items()}, json.loads(json.dumps(groups)))
    assert opt2.param_groups[0]["betas"] == [0.5, 0.999] and opt2.param_groups[0]["lr"] == 2e-4
    # The next steps are the same: the moments were restored, not reset.
    for model, optim in ((net, opt), (twin, opt2)):
        optim.zero_grad()
        model(torch.ones(4, 2)).pow(2).sum().backward()
        optim.step()
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), twin.parameters()))
    # Plain numbers in an optimizer's state become tensors.
    sgd = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    sgd.state_dict()
    sgd.state[sgd.param_groups[0]["params"][0]]["count"] = 3
    assert torch.equal(optimizer_to_flat(sgd)[0]["0.count"], torch.tensor(3))


def test_optimizer_from_flat_refusals_word_for_word():
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    flat, groups = optimizer_to_flat(_stepped_adam(net))

    def refused(flat_in, groups_in):
        opt = torch.optim.Adam(net.parameters())
        with pytest.raises(CheckpointError) as info:
            optimizer_from_flat(opt, flat_in, groups_in, "checkpoint C")
        return str(info.value)

    assert refused(dict(flat, bad=torch.zeros(1)), groups) == "optimizer state bad in checkpoint C belongs to no parameter."
    assert refused(flat, groups + groups) == "optimizer state in checkpoint C does not match the model's parameters."
    short = [dict(groups[0], params=groups[0]["params"][:3])]
    assert refused(flat, short) == "optimizer state in checkpoint C does not match the model's parameters."
    assert refused(dict(flat, **{"7.exp_avg": torch.zeros(1)}), groups) == (
        "optimizer state for parameter 7 in checkpoint C belongs to no parameter of the model.")
    assert refused(dict(flat, **{"1.exp_avg": torch.zeros(2)}), groups) == (
        "optimizer state 1.exp_avg in checkpoint C has shape (2,); its parameter has (3,).")
    # The step count has any shape; the default place in messages is "the checkpoint".
    optimizer_from_flat(torch.optim.Adam(net.parameters()), dict(flat, **{"1.step": torch.tensor([2.0])}), groups)
    with pytest.raises(CheckpointError, match=r"^optimizer state x in the checkpoint belongs"):
        optimizer_from_flat(torch.optim.Adam(net.parameters()), {"x": torch.zeros(1)}, groups)
    # Saved parameter numbers need not start at 0: they pair with the parameters in order.
    renumbered = {f"{int(k.split('.')[0]) + 10}.{k.split('.')[1]}": v for k, v in flat.items()}
    opt = torch.optim.Adam(net.parameters())
    optimizer_from_flat(opt, renumbered, [dict(groups[0], params=[10, 11, 12, 13])])
    first = net[0].weight
    assert torch.equal(opt.state[first]["exp_avg"], flat["0.exp_avg"])


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_all_finite_finds_every_nan_and_infinity(dtype):
    x = torch.randn(64).to(dtype)
    x[5] = torch.finfo(dtype).max  # large but finite
    x[6] = torch.finfo(dtype).tiny  # small but finite
    assert ck.all_finite(x) and ck.all_finite(torch.randn(4, 6).to(dtype).t())
    for bad in (float("nan"), float("inf"), -float("inf")):
        y = x.clone()
        y[37] = bad
        assert not ck.all_finite(y)
