"""Reading other programs' weight files (checkpoint.read_foreign_weights): what the first bytes say the file is,
which entry of a training checkpoint holds the generator, the prefixes wrappers add, the plain values kept beside
the tensors, and every refusal word for word. Small files written here; no network is built."""

import argparse
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from ganstudio.core import checkpoint as ck
from ganstudio.core.checkpoint import ForeignWeights, pick_generator_state, read_foreign_state_dict, read_foreign_weights
from ganstudio.core.errors import CheckpointError

P = Path("/nowhere/w.pth")
T = torch.zeros(2)


def refused(fn, *args) -> str:
    with pytest.raises(CheckpointError) as info:
        fn(*args)
    return str(info.value)


def sniff(tmp_path, data: bytes, name="f.bin") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return ck._sniff_weights_file(path)


# --- what the first bytes say --------------------------------------------------------------------------------


def test_the_first_bytes_tell_torch_files_and_safetensors_apart(tmp_path):
    assert sniff(tmp_path, b"PK\x03\x04rest") == "torch"
    for protocol in (2, 3, 4, 5):
        assert sniff(tmp_path, bytes([0x80, protocol]) + b"x") == "torch"
    tar = bytearray(600)
    tar[257:262] = b"ustar"
    assert sniff(tmp_path, bytes(tar)) == "torch"
    header = b'{"a":1}'
    assert sniff(tmp_path, len(header).to_bytes(8, "little") + header) == "safetensors"
    assert sniff(tmp_path, (2).to_bytes(8, "little") + b"{}") == "safetensors"
    assert sniff(tmp_path, (100_000_000).to_bytes(8, "little") + b"{}") == "safetensors"
    # a safetensors name lets the safetensors reader say what is wrong
    assert sniff(tmp_path, b"garbage", "x.safetensors") == "safetensors"


@pytest.mark.parametrize("data,reason", [
    (b"", "it is empty"),
    (bytes([0x80, 1, 0, 0, 0]), "it starts with the bytes 80 01 00 00"),
    (bytes([0x80, 6, 0, 0, 0]), "it starts with the bytes 80 06 00 00"),
    ((1).to_bytes(8, "little") + b"{}", "it starts with the bytes 01 00 00 00"),
    ((100_000_001).to_bytes(8, "little") + b"{}", "it starts with the bytes 01 e1 f5 05"),
    ((5).to_bytes(8, "little") + b"[1]", "it starts with the bytes 05 00 00 00"),
    ((2).to_bytes(8, "little") + b"{", "it starts with the bytes 02 00 00 00"),
    (b"PK\x03\x05", "it starts with the bytes 50 4b 03 05"),
    (b"PK\x03", "it starts with the bytes 50 4b 03"),
    (b"PK", "it holds text ('PK')"),
])
def test_anything_else_is_not_a_pytorch_file_word_for_word(tmp_path, data, reason):
    (tmp_path / "f.pt").write_bytes(data)
    message = refused(ck._sniff_weights_file, tmp_path / "f.pt")
    assert message.startswith(f"f.pt is not a PyTorch file: {reason}")
    if data:
        assert message.endswith(", where torch.save writes a zip archive or a pickle.")


def test_what_the_bytes_are_in_words():
    tail = ", where torch.save writes a zip archive or a pickle"
    assert ck._what_the_bytes_are(b"") == "it is empty"
    assert ck._what_the_bytes_are(b"epoch 5\n\tloss  0.3\r\n") == f"it holds text ('epoch 5 loss 0.3'){tail}"
    assert ck._what_the_bytes_are(b"x" * 60) == f"it holds text ({'x' * 40!r}){tail}"
    assert ck._what_the_bytes_are(b"ab\x00cd") == f"it starts with the bytes 61 62 00 63{tail}"
    assert ck._what_the_bytes_are(b"\xff\xfe\x00") == f"it starts with the bytes ff fe 00{tail}"
    # only the first 200 bytes are read as text: a long text file is still text
    assert ck._what_the_bytes_are(b"y" * 300 + b"\xff").startswith("it holds text ('yyyy")
    assert ck._what_the_bytes_are(b"y" * 200 + b"\x00").startswith("it holds text ('yyyy")
    # a text file whose 200th byte falls inside a character (two-byte é from byte 199) is still text
    assert ck._what_the_bytes_are(b"y" * 199 + "é".encode() * 10) == f"it holds text ({'y' * 40!r}){tail}"
    assert ck._what_the_bytes_are("é".encode() * 150) == f"it holds text ({'é' * 40!r}){tail}"


# --- the generator's entry --------------------------------------------------------------------------------


def test_a_bare_state_dict_is_the_generator():
    weights = pick_generator_state({"main.0.weight": T, "main.1.bias": T}, P)
    assert weights.state.keys() == {"main.0.weight", "main.1.bias"} and weights.entry is None
    assert weights.outer_keys == () and weights.extras == {}
    assert refused(pick_generator_state, [T], P) == "w.pth holds a list, not a dict of tensors (a state dict)."
    assert refused(pick_generator_state, T, P) == "w.pth holds a Tensor, not a dict of tensors (a state dict)."


def test_generator_entries_are_taken_most_specific_first():
    sd = {"w": T}
    order = ck.GENERATOR_ENTRIES
    for i, name in enumerate(order):
        obj = {later: {"other": T} for later in order[i + 1:]} | {name: sd, "epoch": 3}
        weights = pick_generator_state(obj, P)
        assert weights.entry == name and set(weights.state) == {"w"}, name
    # An entry of the name that is not a state dict does not count.
    weights = pick_generator_state({"g_ema": {}, "netG": sd, "G": [1]}, P)
    assert weights.entry == "netG" and weights.outer_keys == ("g_ema", "netG", "G")


def test_the_one_state_dict_that_is_not_a_discriminator_or_an_optimizer_is_the_generator():
    for other in ("netD", "net_D", "D", "d", "d_state", "Discriminator", "critic_ema", "optimizer", "optim_G",
                  "lr_scheduler", "grad_scaler", "netD_state_dict"):
        weights = pick_generator_state({"mine": {"w": T}, other: {"x": T}, "epoch": 1}, P)
        assert weights.entry == "mine" and set(weights.state) == {"w"}, other
    # names that only look alike are generators' candidates too: two of them, so none is picked
    for lookalike in ("dog", "dense", "nd", "ad_head"):
        weights = pick_generator_state({"mine": {"w": T}, lookalike: {"x": T}}, P)
        assert weights.entry is None and weights.state == {}, lookalike
    weights = pick_generator_state({"netD": {"x": T}, "epoch": 1}, P)
    assert weights.entry is None and weights.state == {} and weights.outer_keys == ("netD", "epoch")


def test_plain_values_beside_the_tensors_and_the_extras_kept():
    weights = pick_generator_state({"main.0.weight": T, "epoch": 3, 5: T}, P)
    assert set(weights.state) == {"main.0.weight"} and weights.entry is None
    assert weights.outer_keys == ("main.0.weight", "epoch", "5")
    record = ck.NamespaceRecord()
    record.__setstate__({"size": 64, 3: "x"})
    obj = {"g_ema": {"w": T}, "latent_avg": torch.ones(3), "step": 7, "lr": 0.5, "name": "run", "flag": True,
           "args": record, "optim": {"state": {}}, "losses": [1.0], "none": None, "d": {"x": T}}
    extras = pick_generator_state(obj, P).extras
    assert set(extras) == {"latent_avg", "step", "lr", "name", "flag", "args"}
    assert extras["args"] == {"size": 64, "3": "x"} and extras["step"] == 7 and extras["flag"] is True


def test_namespace_records_take_the_state_pickle_gives_them():
    record = ck.NamespaceRecord("ignored", key="ignored")
    assert record.values == {}
    record.__setstate__(({"a": 1}, {"slot": 2}))
    assert record.values == {"a": 1}
    record.__setstate__("not a dict")
    assert record.values == {}
    record.__setstate__((1, 2, 3))
    assert record.values == {}


def test_whole_gan_state_dicts_give_the_generators_part():
    sd = {"generator.main.0.weight": T, "generator.main.1.bias": T, "discriminator.x": T, "critic.y": T}
    weights = ck._generator_submodule(ForeignWeights(state=dict(sd)))
    assert set(weights.state) == {"main.0.weight", "main.1.bias"} and weights.entry == "generator"
    weights = ck._generator_submodule(ForeignWeights(state=dict(sd), entry="state_dict"))
    assert weights.entry == "state_dict/generator"
    for name in ck.GENERATOR_PREFIXES:
        weights = ck._generator_submodule(ForeignWeights(state={f"{name}.w": T, "netD.w": T}))
        assert weights.state.keys() == {"w"} and weights.entry == name
    # Another part that is not a discriminator: the whole state dict stays.
    mixed = {"generator.w": T, "encoder.w": T}
    assert ck._generator_submodule(ForeignWeights(state=dict(mixed))).state.keys() == mixed.keys()
    assert ck._generator_submodule(ForeignWeights(state={"generator.w": T})).state.keys() == {"w"}
    assert ck._generator_submodule(ForeignWeights(state={"generatorw": T})).state.keys() == {"generatorw"}


def test_wrapper_prefixes_are_dropped_only_when_every_name_has_them():
    assert ck._drop_wrapper_prefixes({"module.a": T, "module.b": T}).keys() == {"a", "b"}
    assert ck._drop_wrapper_prefixes({"_orig_mod.a": T}).keys() == {"a"}
    assert ck._drop_wrapper_prefixes({"module._orig_mod.a": T}).keys() == {"a"}
    assert ck._drop_wrapper_prefixes({"module.a": T, "b": T}).keys() == {"module.a", "b"}
    assert ck._drop_wrapper_prefixes({}) == {}
    weights = pick_generator_state({"netG": {"module.main.0.weight": T}}, P)
    assert weights.state.keys() == {"main.0.weight"} and weights.entry == "netG"


# --- files ------------------------------------------------------------------------------------------------


def test_a_training_checkpoint_file_gives_its_generator_and_plain_values(tmp_path):
    path = tmp_path / "run.tar"
    torch.save({"netG_state_dict": {"module.main.0.weight": torch.ones(2, 2)}, "netD_state_dict": {"x": T},
                "epoch": 5, "loss": np.float32(0.25), "args": argparse.Namespace(size=64, lr=0.002)}, path)
    weights = read_foreign_weights(path)
    assert weights.entry == "netG_state_dict" and torch.equal(weights.state["main.0.weight"], torch.ones(2, 2))
    assert weights.outer_keys == ("netG_state_dict", "netD_state_dict", "epoch", "loss", "args")
    assert weights.extras["args"] == {"size": 64, "lr": 0.002} and weights.extras["epoch"] == 5
    assert read_foreign_state_dict(path).keys() == {"main.0.weight"}


def test_a_safetensors_file_gives_its_tensors_and_metadata(tmp_path):
    path = tmp_path / "g.safetensors"
    save_file({"module.w": torch.ones(3)}, str(path), metadata={"k": "v"})
    weights = read_foreign_weights(path)
    assert weights.state.keys() == {"w"} and weights.metadata == {"k": "v"} and weights.entry is None
    save_file({"w": torch.ones(3)}, str(path))
    assert read_foreign_weights(path).metadata == {}
    (tmp_path / "bad.safetensors").write_bytes(b"garbage that is no header")
    message = refused(read_foreign_weights, tmp_path / "bad.safetensors")
    assert message.startswith(f"weights file {tmp_path / 'bad.safetensors'} is corrupted (")


def test_foreign_file_refusals_word_for_word(tmp_path):
    assert refused(read_foreign_weights, tmp_path / "none.pth") == f"weights file {tmp_path / 'none.pth'} does not exist."
    assert refused(read_foreign_weights, tmp_path) == f"weights file {tmp_path} does not exist."
    torch.save({"epoch": 1, "loss": 0.5}, tmp_path / "e.pth")
    assert read_foreign_weights(tmp_path / "e.pth").state == {}
    assert refused(read_foreign_state_dict, tmp_path / "e.pth") == (
        "e.pth holds no tensors to import (top-level keys epoch, loss).")
    torch.save({f"k{i}": i for i in range(7)}, tmp_path / "many.pth")
    assert refused(read_foreign_state_dict, tmp_path / "many.pth") == (
        "many.pth holds no tensors to import (top-level keys k0, k1, k2, k3, k4 and 2 more).")
    torch.save({}, tmp_path / "empty.pth")
    assert refused(read_foreign_state_dict, tmp_path / "empty.pth") == (
        "empty.pth holds no tensors to import (no top-level keys).")
    torch.save({"module.w": torch.tensor([1.0, float("nan")])}, tmp_path / "nan.pth")
    assert refused(read_foreign_weights, tmp_path / "nan.pth") == (
        f"weights file {tmp_path / 'nan.pth'} holds NaN or infinite values in w.")
    data = (tmp_path / "e.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:len(data) // 2])
    assert refused(read_foreign_weights, tmp_path / "cut.pth").startswith(
        f"weights file {tmp_path / 'cut.pth'} cannot be read: it is truncated or damaged (")
    (tmp_path / "plain.pth").write_bytes(pickle.dumps({"w": [1.0]}, protocol=4))
    message = refused(read_foreign_weights, tmp_path / "plain.pth")
    assert message.startswith(f"weights file {tmp_path / 'plain.pth'} cannot be read: it is a Python pickle that "
                              "torch.save did not write (Unsupported operand")
    assert "weights_only" not in message and message.endswith(").")


def test_pickled_code_is_named_and_never_run(tmp_path):
    torch.save({"w": T, "fn": argparse.ArgumentParser}, tmp_path / "code.pth")
    assert refused(read_foreign_weights, tmp_path / "code.pth") == (
        "code.pth was refused: it needs pickled code to load (argparse.ArgumentParser), which GAN Studio never runs "
        "(only tensors and plain data are read).")
    torch.save(torch.nn.Linear(1, 1), tmp_path / "net.pth")
    message = refused(read_foreign_weights, tmp_path / "net.pth")
    assert message.startswith("net.pth was refused: it needs pickled code to load (torch.nn.modules.linear.Linear")
    assert message.endswith("; it is a whole pickled network, so save its state_dict() instead.")
    # The names GAN Studio allows (numpy scalars, argparse.Namespace) are not listed as code.
    assert "numpy" not in message and "argparse" not in message


def test_the_unpicklers_reason_without_torchs_advice():
    advice = "Weights only load failed. Re-running with weights_only=False will execute code.\n"
    assert ck._unpickler_reason(advice + "WeightsUnpickler error: Unsupported global: GLOBAL x.y\nmore.") == (
        "Unsupported global: GLOBAL x.y")
    assert ck._unpickler_reason("WeightsUnpickler error: Unsupported operand 149.") == (
        "it is a Python pickle that torch.save did not write (Unsupported operand 149)")
    assert ck._unpickler_reason("  \n weights_only here\n") == "unreadable"
    assert ck._unpickler_reason("plain reason.") == "plain reason"
    assert ck._GLOBAL_IN_MESSAGE.findall("GLOBAL a.b and GLOBAL c_d.e") == ["a.b", "c_d.e"]


def test_describe_keys():
    assert ck._describe_keys(()) == "no top-level keys"
    assert ck._describe_keys(("a",)) == "top-level keys a"
    assert ck._describe_keys(list("abcde")) == "top-level keys a, b, c, d, e"
    assert ck._describe_keys(list("abcdef"), shown=2) == "top-level keys a, b and 4 more"


def test_is_state_dict():
    assert ck._is_state_dict({"a": T}) and not ck._is_state_dict({}) and not ck._is_state_dict({"a": 1})
    assert not ck._is_state_dict({1: T}) and not ck._is_state_dict([T]) and not ck._is_state_dict({"a": T, "b": 2})


def test_every_code_global_is_named_and_the_allowed_plain_ones_are_not(tmp_path):
    # torch's refusal names the first global only; the file's pickle names them all.
    torch.save({"w": T, "a": argparse.ArgumentParser, "b": argparse.Action, "loss": np.float32(0.5),
                "args": argparse.Namespace(size=8)}, tmp_path / "two.pth")
    message = refused(read_foreign_weights, tmp_path / "two.pth")  # (in the order torch lists them)
    assert message in [f"two.pth was refused: it needs pickled code to load ({names}), which GAN Studio never "
                       "runs (only tensors and plain data are read)." for names in (
                           "argparse.ArgumentParser, argparse.Action", "argparse.Action, argparse.ArgumentParser")]
    assert sorted(ck._globals_needed(tmp_path / "two.pth", "")) == ["argparse.Action", "argparse.ArgumentParser"]
    # A legacy (non-zip) file: the unpickler's message names the global.
    assert ck._globals_needed(tmp_path / "missing.pth", "blah GLOBAL os.system blah") == ["os.system"]


def test_the_refusal_names_three_code_globals_and_a_damaged_archive_by_its_error(tmp_path):
    torch.save({"a": argparse.ArgumentParser, "b": argparse.Action, "c": argparse.HelpFormatter,
                "d": argparse.FileType}, tmp_path / "four.pth")
    message = refused(read_foreign_weights, tmp_path / "four.pth")
    start, end = "four.pth was refused: it needs pickled code to load (", (
        "), which GAN Studio never runs (only tensors and plain data are read).")
    assert message.startswith(start) and message.endswith(end)
    named = message[len(start):-len(end)].split(", ")
    assert len(set(named)) == 3 and set(named) < {"argparse.ArgumentParser", "argparse.Action",
                                                  "argparse.HelpFormatter", "argparse.FileType"}
    torch.save({"w": torch.ones(3)}, tmp_path / "w.pth")
    data = (tmp_path / "w.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[:len(data) - 30])
    message = refused(read_foreign_weights, tmp_path / "cut.pth")
    start = f"weights file {tmp_path / 'cut.pth'} cannot be read: it is truncated or damaged ("
    assert message.startswith(start) and message.endswith(").")
    detail = message[len(start):-2]
    assert detail not in ("None", "RuntimeError", "EOFError", "OSError") and "\n" not in detail and len(detail) > 10
    torch.save([1, 2], tmp_path / "list.pth")
    assert refused(read_foreign_weights, tmp_path / "list.pth") == (
        "list.pth holds a list, not a dict of tensors (a state dict).")


@pytest.mark.parametrize("bad,said", [
    ("x" * 5000, "The weights file path is 5000 characters long; file paths have at most 4096."),
    ("a\0b.pth", "The weights file path holds a NUL character, which no file path can.")])
def test_a_path_no_file_system_takes_is_refused_as_the_weights_file_path(bad, said):
    assert refused(read_foreign_weights, bad) == said


def test_a_two_byte_pickle_header_and_a_legacy_file_with_code(tmp_path):
    assert sniff(tmp_path, b"\x80\x02") == "torch"
    torch.save({"w": T, "fn": argparse.ArgumentParser}, tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    assert refused(read_foreign_weights, tmp_path / "old.pth") == (
        "old.pth was refused: it needs pickled code to load (argparse.ArgumentParser), which GAN Studio never runs "
        "(only tensors and plain data are read).")
