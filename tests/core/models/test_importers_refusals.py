"""Files that are not generators GAN Studio opens: one sentence saying what was found (top-level keys, first
tensors) and what opens, the right reason for a file that is not a PyTorch file at all, and hostile files
(pickled code) refused without running anything."""

import os

import pytest
import torch
from foreign_reference import PYTORCH_EXAMPLES, CreatesFile, payload_is_live, sequential_state, tutorial_checkpoint

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import open_generator


def refusal(path) -> str:
    with pytest.raises(CheckpointError) as err:
        open_generator(path, device="cpu")
    message = str(err.value)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0, message
    return message


def test_an_unrecognised_state_dict_names_its_tensors_and_the_formats_that_open(tmp_path):
    torch.save({"encoder.fc.weight": torch.zeros(16, 8), "encoder.fc.bias": torch.zeros(16)}, tmp_path / "vae.pth")
    message = refusal(tmp_path / "vae.pth")
    assert "vae.pth holds no generator GAN Studio recognises" in message
    assert "encoder.fc.weight (16, 8)" in message
    for supported in ("DCGAN-style", "unet_128", "resnet_9blocks", "training checkpoint"):
        assert supported in message


def test_a_checkpoint_without_tensors_names_its_top_level_keys(tmp_path):
    torch.save({"epoch": 3, "loss": 0.5, "config": {"lr": 2e-4}}, tmp_path / "run.tar")
    message = refusal(tmp_path / "run.tar")
    assert "top-level keys epoch, loss, config and no tensors" in message and "DCGAN-style" in message


def test_a_checkpoint_with_only_a_discriminator_is_told_apart(tmp_path):
    netd = {"main.0.weight": torch.zeros(8, 3, 4, 4), "main.2.weight": torch.zeros(16, 8, 4, 4),
            "main.3.weight": torch.ones(16), "main.3.bias": torch.zeros(16), "main.5.weight": torch.zeros(1, 16, 4, 4)}
    torch.save({"netD_state_dict": netd, "epoch": 1}, tmp_path / "d_only.pth")
    assert "top-level keys netD_state_dict, epoch" in refusal(tmp_path / "d_only.pth")
    torch.save(netd, tmp_path / "netD.pth")
    assert "looks like a DCGAN discriminator" in refusal(tmp_path / "netD.pth")
    encoder = {"main.0.weight": torch.zeros(8, 3, 4, 4), "main.2.weight": torch.zeros(16, 8, 4, 4)}
    torch.save(encoder, tmp_path / "encoder.pth")
    assert "chain as Conv2d layers (main.0.weight (8, 3, 4, 4)" in refusal(tmp_path / "encoder.pth")


@pytest.mark.parametrize("name,content,reason", [
    ("notes.pth", b"These are my training notes\nepoch 5: loss 0.3\n", "it holds text ('These are my training notes"),
    ("empty.pt", b"", "it is empty"),
    ("noise.bin", bytes(range(7, 200)), "it starts with the bytes 07 08 09 0a"),
])
def test_a_file_that_is_not_a_pytorch_file_says_so(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    message = refusal(tmp_path / name)
    assert f"{name} is not a PyTorch file" in message and reason in message and "pickled code" not in message


def test_truncated_and_plain_pickle_files_say_what_is_wrong(tmp_path):
    torch.save(sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3]), tmp_path / "full.pth")
    data = (tmp_path / "full.pth").read_bytes()
    (tmp_path / "cut.pth").write_bytes(data[: len(data) // 2])
    assert "truncated or damaged" in refusal(tmp_path / "cut.pth")
    import pickle

    (tmp_path / "plain.pkl.pth").write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    assert "Python pickle that torch.save did not write" in refusal(tmp_path / "plain.pkl.pth")


@pytest.mark.parametrize("where", ["top level", "generator entry", "optimizer state"])
@pytest.mark.parametrize("suffix", [".pth", ".tar"])
def test_hostile_files_are_refused_and_nothing_runs(tmp_path, where, suffix):
    marker = tmp_path / "code-ran.txt"
    sd = sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3])
    saved = tutorial_checkpoint(sd)
    if where == "top level":
        saved["callback"] = CreatesFile(marker)
    elif where == "generator entry":
        saved["netG_state_dict"]["main.0.hook"] = CreatesFile(marker)
    else:
        saved["optimizerG_state_dict"]["param_groups"][0]["scheduler"] = CreatesFile(marker)
    path = tmp_path / f"evil{suffix}"
    torch.save(saved, path)
    assert not marker.exists()
    message = refusal(path)
    assert not marker.exists()  # the payload never ran
    assert f"evil{suffix} was refused: it needs pickled code to load (io.open)" in message
    assert payload_is_live(tmp_path / "proof.txt") and (tmp_path / "proof.txt").exists()
    os.unlink(tmp_path / "proof.txt")


def test_a_whole_pickled_network_is_refused_with_the_usual_fix(tmp_path):
    torch.save(torch.nn.Sequential(torch.nn.ConvTranspose2d(8, 3, 4)), tmp_path / "netG_full.pth")  # torch.save(netG)
    message = refusal(tmp_path / "netG_full.pth")
    assert "torch.nn.modules.container.Sequential" in message and "save its state_dict() instead" in message
