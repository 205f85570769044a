"""DCGAN-style Sequential generators as users save them: training checkpoints of the PyTorch DCGAN tutorial
family under every suffix, extra parameter-free layers, other depths, labels concatenated to z, bare
Sequentials. Each opens through `open_generator` and gives the pixels of an independent functional forward
(tests/foreign_reference.py) for the same z."""

import numpy as np
import pytest
import torch
from foreign_reference import (
    PYTORCH_EXAMPLES,
    sequential_forward,
    sequential_state,
    to_pixels,
    tutorial_checkpoint,
)

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import LatentRequest, open_generator
from ganstudio.core.latent.space import sample_latents
from ganstudio.core.models.importers import import_foreign_generator


def assert_same_pixels(model, sd, layout, nz, prefix="main", labels=None, n_classes=0, n=3):
    z = sample_latents(n, nz, seed=5)
    expected = sequential_forward(sd, layout, torch.from_numpy(z), prefix=prefix,
                                  labels=None if labels is None else torch.tensor(labels), n_classes=n_classes)
    torch.testing.assert_close(model.generate(z, labels), expected, rtol=0, atol=2e-5)
    result = model.render(LatentRequest(z=z, labels=labels))  # the Explore area's one render call
    assert result.error is None
    assert np.array_equal(result.pixels, to_pixels(expected))


@pytest.mark.parametrize("suffix,entry", [(".tar", "netG_state_dict"), (".pth", "generator"), (".pt", "G"),
                                          (".ckpt", "netG"), (".bin", "state_dict"), (".pth", "model"),
                                          (".pt", "g_ema")])
def test_tutorial_checkpoints_open_under_any_suffix_and_name_their_entry(tmp_path, suffix, entry):
    widths = [32, 16, 8, 4, 3]
    sd = sequential_state(PYTORCH_EXAMPLES, 12, widths)
    path = tmp_path / f"weights{suffix}"
    torch.save(tutorial_checkpoint(sd, entry=entry), path)  # optimizer states, ints, floats, text, lists, None
    model = open_generator(path, device="cpu")
    assert (model.input_kind, model.z_dim, model.image_size, model.channels) == ("latent", 12, 64, 3)
    assert f"'{entry}' entry" in model.description and "pytorch/examples DCGAN" in model.description
    assert_same_pixels(model, sd, PYTORCH_EXAMPLES, 12)


def test_numpy_values_beside_the_weights_are_plain_data(tmp_path):
    sd = sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3])
    saved = tutorial_checkpoint(sd)
    saved.update(loss=np.float32(0.25), losses=np.arange(4, dtype=np.float64), step=np.int64(3))
    torch.save(saved, tmp_path / "weights.tar")
    assert_same_pixels(open_generator(tmp_path / "weights.tar", device="cpu"), sd, PYTORCH_EXAMPLES, 8)


@pytest.mark.parametrize("layout,widths,size", [
    ("CBRD" * 4 + "CT", [32, 16, 8, 4, 3], 64),       # Dropout after every block
    ("CBDR" * 4 + "CT", [32, 16, 8, 4, 3], 64),       # Dropout before the ReLU
    ("CBR" * 3 + "CT", [16, 8, 4, 1], 32),            # one block fewer, grey
    ("CBRD" + "CBR" * 4 + "CT", [32, 16, 8, 8, 4, 3], 128),
    ("CBR" * 6 + "CT", [16, 16, 8, 8, 4, 4, 3], 256),
])
def test_other_layouts_are_read_off_the_tensors(tmp_path, layout, widths, size):
    sd = sequential_state(layout, 10, widths)
    torch.save(sd, tmp_path / "netG.pth")
    model = open_generator(tmp_path / "netG.pth", device="cpu")
    assert (model.z_dim, model.image_size, model.channels) == (10, size, widths[-1])
    assert ("parameter-free extra layers" in model.description) == ("D" in layout)
    assert_same_pixels(model, sd, layout, 10, n=2)


def test_bare_sequentials_and_bias_convolutions_without_batch_norm(tmp_path):
    layout = "CR" * 4 + "CT"  # no BatchNorm: the convolutions carry biases
    sd = sequential_state(layout, 6, [16, 8, 8, 4, 3], prefix="", conv_bias=True)
    torch.save({"module." + k: v for k, v in sd.items()}, tmp_path / "G.pth")  # DataParallel, bare Sequential
    model = open_generator(tmp_path / "G.pth", device="cpu")
    assert model.image_size == 64
    assert_same_pixels(model, sd, layout, 6, prefix="")
    assert import_foreign_generator(tmp_path / "G.pth").program == "DCGAN-style Sequential generator"
    examples = sequential_state(PYTORCH_EXAMPLES, 6, [32, 16, 8, 4, 3])
    torch.save(examples, tmp_path / "netG.pth")
    assert import_foreign_generator(tmp_path / "netG.pth").program == "pytorch/examples dcgan"


def test_a_sequential_inside_a_sequential_keeps_its_names(tmp_path):
    sd = sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3], prefix="0")  # nn.Sequential(nn.Sequential(...))
    torch.save(sd, tmp_path / "nested.pth")
    assert_same_pixels(open_generator(tmp_path / "nested.pth", device="cpu"), sd, PYTORCH_EXAMPLES, 8, prefix="0")


def test_a_whole_gan_state_dict_gives_the_generator_part(tmp_path):
    sd = sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3])
    whole = {**{f"generator.{k}": v for k, v in sd.items()}, "discriminator.main.0.weight": torch.zeros(4, 3, 4, 4)}
    torch.save({"state_dict": whole, "epoch": 3, "global_step": 900}, tmp_path / "gan.ckpt")
    model = open_generator(tmp_path / "gan.ckpt", device="cpu")
    assert "'state_dict/generator' entry" in model.description
    assert_same_pixels(model, sd, PYTORCH_EXAMPLES, 8)


def test_labels_concatenated_to_z_need_the_class_count(tmp_path):
    nz, classes = 10, 4
    sd = sequential_state(PYTORCH_EXAMPLES, nz + classes, [32, 16, 8, 4, 3])
    torch.save(tutorial_checkpoint(sd), tmp_path / "cdcgan.pth")
    model = open_generator(tmp_path / "cdcgan.pth", device="cpu", class_count=classes)
    assert (model.z_dim, model.n_classes) == (nz, classes) and "4 classes" in model.description
    assert_same_pixels(model, sd, PYTORCH_EXAMPLES, nz, labels=[0, 3, 1], n_classes=classes)
    # Without the count the shapes say z has 14 channels: it still opens, as an unconditional generator.
    assert open_generator(tmp_path / "cdcgan.pth", device="cpu").z_dim == nz + classes
    with pytest.raises(CheckpointError, match="cannot have 14 classes"):
        open_generator(tmp_path / "cdcgan.pth", device="cpu", class_count=14)
    with pytest.raises(CheckpointError, match="class count"):
        open_generator(tmp_path / "cdcgan.pth", device="cpu", class_count=-1)


def test_layouts_that_are_not_dcgan_generators_are_refused_in_one_sentence(tmp_path):
    cases = {
        "linear.pth": ({"main.0.weight": torch.zeros(8192, 100), "main.2.weight": torch.zeros(512, 3, 4, 4)},
                       "Linear layer at main.0"),
        "kernel5.pth": (sequential_state(PYTORCH_EXAMPLES, 8, [16, 8, 8, 4, 3]) | {"main.0.weight": torch.zeros(8, 16, 5, 5)},
                        "5x5 kernel at main.0"),
        "deep.pth": (sequential_state("CBR" * 8 + "CT", 4, [4] * 8 + [3]), "9 transposed convolutions"),
    }
    for name, (sd, fragment) in cases.items():
        torch.save(sd, tmp_path / name)
        with pytest.raises(CheckpointError) as err:
            import_foreign_generator(tmp_path / name)
        message = str(err.value)
        assert fragment in message and name in message and "\n" not in message, message
