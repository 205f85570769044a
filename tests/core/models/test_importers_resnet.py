"""CycleGAN's ResNet generators (pytorch-CycleGAN-and-pix2pix netG resnet_6blocks / resnet_9blocks): random
weights under the reference's names (`model.N`, `model.N.conv_block.M`) give, through `open_generator`, the
numbers of a functional forward written from the reference's recipe (tests/foreign_reference.py), in the
Sketch area and in `translate_file`, which keeps a picture's size rounded to a multiple of 4."""

import numpy as np
import pytest
import torch
from foreign_reference import reference_pixels, resnet_forward, resnet_state
from PIL import Image

from ganstudio.core.errors import CheckpointError, GanStudioError
from ganstudio.core.generators.handle import SketchRequest, open_generator
from ganstudio.core.generators.reference_mode import dropout_keep_mask
from ganstudio.core.generators.translate import rounded_size, translate_file
from ganstudio.core.models.importers import import_resnet_generator


def picture(seed, h, w):
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("n_blocks,norm,netG", [(9, "instance", "resnet_9blocks"), (6, "batch", "resnet_6blocks")])
def test_resnet_generators_match_the_reference_forward(tmp_path, n_blocks, norm, netG):
    sd = resnet_state(ngf=4, n_blocks=n_blocks, norm=norm, seed=n_blocks)
    path = tmp_path / "latest_net_G_A.pth"
    torch.save(sd, path)
    model = open_generator(path, device="cpu")
    s = model.describe()["architecture"]
    assert (s["netG"], s["norm"], s["ngf"], s["n_blocks"], s["use_dropout"]) == (netG, norm, 4, n_blocks, False)
    assert (model.input_kind, model.image_size, model.size_multiple, model.source) == ("image", 256, 4, "pix2pix-reference")
    assert not model.is_stochastic and f"CycleGAN {netG}" in model.title
    x = picture(1, 36, 44)  # fully convolutional: not square, not the canvas size
    with torch.no_grad():
        expected = resnet_forward(sd, x, n_blocks, norm)
    got = model.translate(x, mode="eval")
    assert got.shape == (1, 3, 36, 44)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-4)
    if norm == "batch":  # the reference's test phase: each image's own batch-norm statistics
        with torch.no_grad():
            per_image = resnet_forward(sd, x, n_blocks, norm, per_image_stats=True)
        torch.testing.assert_close(model.translate(x, mode="reference"), per_image, atol=2e-5, rtol=1e-4)
        assert (per_image - expected).abs().max() > 1e-3
    else:  # instance norm has no running statistics: both modes are the same
        torch.testing.assert_close(model.translate(x, mode="reference"), expected, atol=2e-5, rtol=1e-4)


def test_dropout_blocks_run_with_the_seeded_masks_of_reference_mode(tmp_path):
    sd = resnet_state(ngf=2, n_blocks=6, norm="instance", dropout=True, seed=3)
    torch.save(sd, tmp_path / "net_G.pth")
    model = open_generator(tmp_path / "net_G.pth", device="cpu")
    assert model.describe()["architecture"]["use_dropout"] and model.is_stochastic
    x = picture(2, 32, 32).expand(2, -1, -1, -1)
    seeds = [4, 9]

    def dropout(h, index):
        keep = torch.stack([dropout_keep_mask(seed, index, h.shape[1:], 0.5) for seed in seeds])
        return h * keep / 0.5

    with torch.no_grad():
        expected = resnet_forward(sd, x, 6, "instance", dropout=True, dropout_fn=dropout)
        plain = resnet_forward(sd, x, 6, "instance", dropout=True)
    torch.testing.assert_close(model.translate(x, mode="reference", seeds=seeds), expected, atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(model.translate(x, mode="eval"), plain, atol=2e-5, rtol=1e-4)


def test_old_files_with_instance_norm_statistics_and_dataparallel_names(tmp_path, caplog):
    sd = resnet_state(ngf=2, n_blocks=9, norm="instance", old_instance_stats=True, seed=8)
    torch.save({"module." + k: v for k, v in sd.items()}, tmp_path / "old.pth")
    with caplog.at_level("INFO", logger="ganstudio.core.models.importers"):
        imported = import_resnet_generator(tmp_path / "old.pth")
    stale = sorted(k for k in sd if k.endswith(("running_mean", "running_var")))
    assert f"dropped {len(stale)} instance-norm running statistics (pre-0.4 file)" in caplog.messages
    assert sorted(imported.settings["dropped_keys"]) == stale and imported.settings["norm"] == "instance"
    x = picture(5, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(x), resnet_forward(sd, x, 9, "instance"), atol=2e-5, rtol=1e-4)


def test_the_sketch_area_draws_with_a_resnet(tmp_path):
    sd = resnet_state(ngf=2, n_blocks=6, norm="instance", seed=1)
    torch.save(sd, tmp_path / "horse2zebra.pth")
    model = open_generator(tmp_path / "horse2zebra.pth", device="cpu")
    size = model.image_size
    lines = np.zeros((size, size), np.uint8)
    lines[40:44, 20:200] = 1
    result = model.render(SketchRequest(lines=lines, hint_rgb=np.zeros((size, size, 3), np.uint8),
                                        hint_mask=np.zeros((size, size), np.uint8)))
    assert result.error is None
    drawing = torch.where(torch.from_numpy(lines > 0), torch.tensor(-1.0), torch.tensor(1.0))[None, None].expand(1, 3, -1, -1)
    with torch.no_grad():
        expected = resnet_forward(sd, drawing, 6, "instance")
    assert np.array_equal(result.pixels, reference_pixels(expected))


def test_translate_keeps_the_picture_size_rounded_to_a_multiple_of_4(tmp_path):
    sd = resnet_state(ngf=2, n_blocks=6, norm="instance", seed=2)
    torch.save(sd, tmp_path / "G_A.pth")
    model = open_generator(tmp_path / "G_A.pth", device="cpu")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)).save(tmp_path / "photo.png")
    out = translate_file(model, tmp_path / "photo.png", mode="eval")
    assert rounded_size(70, 45, 4) == (72, 44)  # round(17.5) = 18, round(11.25) = 11, as Python rounds
    assert out.shape == (44, 72, 3)
    # The reference's --preprocess none: bicubic resize to the rounded size, ToTensor, Normalize(0.5, 0.5).
    resized = np.asarray(Image.open(tmp_path / "photo.png").convert("RGB").resize((72, 44), Image.BICUBIC))
    x = (torch.from_numpy(resized.copy()).permute(2, 0, 1).float() / 255 - 0.5) / 0.5
    with torch.no_grad():
        expected = reference_pixels(resnet_forward(sd, x[None], 6, "instance"))[0]
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1  # float rounding at the truncation only
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(tmp_path / "exact.png")
    assert translate_file(model, tmp_path / "exact.png", mode="eval").shape == (48, 64, 3)  # no resize


def test_resnet_refusals_are_one_sentence(tmp_path):
    sd = resnet_state(ngf=2, n_blocks=6, norm="instance")
    del sd["model.15.conv_block.1.weight"]  # one block's convolution missing
    torch.save(sd, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError, match=r"broken.pth.*model\.15\.conv_block\.1\.weight"):
        open_generator(tmp_path / "broken.pth", device="cpu")
    torch.save(resnet_state(ngf=2, n_blocks=6), tmp_path / "ok.pth")
    with pytest.raises(CheckpointError, match="takes no class labels"):
        open_generator(tmp_path / "ok.pth", device="cpu", class_count=3)
    model = open_generator(tmp_path / "ok.pth", device="cpu")
    with pytest.raises(GanStudioError, match="multiples of 4"):
        model.translate(picture(0, 30, 32))
    Image.new("RGB", (5000, 4000)).save(tmp_path / "huge.png")
    with pytest.raises(GanStudioError, match="huge.png is 5000x4000 pixels"):
        translate_file(model, tmp_path / "huge.png")
