"""`ganstudio import`'s engine: a foreign generator written once as safetensors + JSON description opens as the
same network (identical pixels, same description), without PyTorch pickles; damaged descriptions are refused."""

import json

import numpy as np
import pytest
import torch
from foreign_reference import PYTORCH_EXAMPLES, resnet_state, sequential_state, tutorial_checkpoint
from safetensors import safe_open
from safetensors.torch import load_file
from safetensors.torch import save as st_save_bytes

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import LatentRequest, SketchRequest, open_generator
from ganstudio.core.latent.space import sample_latents
from ganstudio.core.models.importers import IMPORT_META_KEY, export_imported, import_foreign_generator
from ganstudio.core.models.unet import unet_128


def convert(source, out, class_count=None):
    export_imported(import_foreign_generator(source, class_count=class_count), out)
    return out


def write_sources(tmp_path):
    """One file per family, as users have them."""
    dcgan = tmp_path / "weights.tar"
    torch.save(tutorial_checkpoint(sequential_state(PYTORCH_EXAMPLES, 13, [16, 8, 8, 4, 3])), dcgan)
    dropout = tmp_path / "netG_dropout.pth"
    torch.save(sequential_state("CBRD" * 3 + "CT", 6, [16, 8, 4, 1], prefix=""), dropout)
    torch.manual_seed(0)
    unet = tmp_path / "latest_net_G.pth"
    torch.save(unet_128(3, 3, ngf=2, norm="batch", use_dropout=True).state_dict(), unet)
    resnet = tmp_path / "latest_net_G_A.pth"
    torch.save(resnet_state(ngf=2, n_blocks=6, norm="batch", dropout=True, seed=4), resnet)
    return {"dcgan": (dcgan, 3), "dropout": (dropout, None), "unet": (unet, None), "resnet": (resnet, None)}


def test_every_format_converts_to_a_file_that_gives_identical_pixels(tmp_path):
    for kind, (source, classes) in write_sources(tmp_path).items():
        out = convert(source, tmp_path / f"{kind}.safetensors", class_count=classes)
        original = open_generator(source, device="cpu", class_count=classes)
        converted = open_generator(out, device="cpu")
        a, b = original.describe(), converted.describe()
        for key in ("input_kind", "image_size", "z_dim", "n_classes", "channels", "size_multiple", "source",
                    "default_mode", "stochastic", "parameters", "architecture"):
            assert a[key] == b[key], (kind, key)
        assert f"converted from {source.name}" in converted.description
        if original.has_latent:
            z = sample_latents(4, original.z_dim, seed=2)
            labels = [0, 1, 2, 0] if classes else None
            assert np.array_equal(converted.render(LatentRequest(z, labels)).pixels,
                                  original.render(LatentRequest(z, labels)).pixels)
            assert torch.equal(converted.generate(z, labels), original.generate(z, labels))
        else:
            size = original.image_size
            lines = np.zeros((size, size), np.uint8)
            lines[10:14, 5:100] = 1
            request = SketchRequest(lines, np.zeros((size, size, 3), np.uint8), np.zeros((size, size), np.uint8),
                                    mode="reference", seeds=(3, 4))
            assert np.array_equal(converted.render(request).pixels, original.render(request).pixels)


def test_the_converted_file_holds_plain_tensors_and_its_description(tmp_path):
    source, classes = write_sources(tmp_path)["dcgan"]
    out = convert(source, tmp_path / "model.safetensors", class_count=classes)
    tensors = load_file(out)
    assert set(tensors) == set(open_generator(source, device="cpu", class_count=3).module.state_dict())
    with safe_open(str(out), framework="pt") as fh:
        description = json.loads(fh.metadata()[IMPORT_META_KEY])
    assert description["format"] == "ganstudio-imported-generator" and description["family"] == "sequential"
    assert description["hints"] == {"class_count": 3} and description["entry"] == "netG_state_dict"
    assert description["imported_from"] == "weights.tar" and description["architecture"]["nz"] == 10
    # the class count travels with the file: no need to say it again, and a different one is refused
    assert open_generator(out, device="cpu").n_classes == 3
    with pytest.raises(CheckpointError, match="converted with 3 classes"):
        open_generator(out, device="cpu", class_count=5)


def rewrite(out, tensors=None, description=None):
    with safe_open(str(out), framework="pt") as fh:
        meta = dict(fh.metadata())
    if description is not None:
        meta[IMPORT_META_KEY] = description if isinstance(description, str) else json.dumps(description)
    out.write_bytes(st_save_bytes(tensors if tensors is not None else load_file(out), metadata=meta))


@pytest.mark.parametrize("damage,fragment", [
    (lambda d: d.update(format="other"), "is not a ganstudio-imported-generator object"),
    (lambda d: d.update(format_version=99), "has version 99"),
    (lambda d: d.update(family="stylegan9"), "names the family 'stylegan9'"),
    (lambda d: d["hints"].update(class_count="ten"), "has invalid hints"),
    (lambda d: d["architecture"].update(image_size=10**9), "gives an image size of 1000000000"),
    (lambda d: d["architecture"].update(ngf=99), "other than the one its import description names"),
])
def test_a_damaged_description_is_refused(tmp_path, damage, fragment):
    source, classes = write_sources(tmp_path)["dcgan"]
    out = convert(source, tmp_path / "model.safetensors", class_count=classes)
    with safe_open(str(out), framework="pt") as fh:
        description = json.loads(fh.metadata()[IMPORT_META_KEY])
    damage(description)
    rewrite(out, description=description)
    with pytest.raises(CheckpointError, match=fragment):
        open_generator(out, device="cpu")


def test_tensors_that_do_not_fit_the_description_are_refused(tmp_path):
    source, _ = write_sources(tmp_path)["resnet"]
    out = convert(source, tmp_path / "model.safetensors")
    tensors = load_file(out)
    del tensors["model.10.conv_block.1.weight"]
    rewrite(out, tensors=tensors)
    with pytest.raises(CheckpointError, match=r"model\.10\.conv_block\.1\.weight"):
        open_generator(out, device="cpu")
    rewrite(out, description="{not json")
    with pytest.raises(CheckpointError, match="import description"):
        open_generator(out, device="cpu")
