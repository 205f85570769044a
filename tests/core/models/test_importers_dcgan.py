"""Generators saved by pytorch/examples dcgan: imported without running pickled code, same pixels.

The reference forward pass below is written from dcgan/main.py's layer recipe with functional ops
(conv_transpose2d, batch_norm, relu, tanh), independently of our DCGANGenerator, and the fake
`netG_epoch_N.pth` is built key by key in that program's layout.
"""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganstudio.core.errors import CheckpointError
from ganstudio.core.models.importers import import_dcgan_generator


def reference_state_dict(nz=100, ngf=64, nc=3, n_up=4, seed=0, with_counters=True):
    """A random state dict in pytorch/examples' netG layout: main.{0,3,6,9} ConvT+BN, main.12 ConvT."""
    g = torch.Generator().manual_seed(seed)
    widths = [nz] + [ngf * 2 ** (n_up - 1 - i) for i in range(n_up)]  # nz, ngf*8, ngf*4, ngf*2, ngf
    sd = {}
    for i in range(n_up):
        sd[f"main.{3 * i}.weight"] = 0.05 * torch.randn(widths[i], widths[i + 1], 4, 4, generator=g)
        c = widths[i + 1]
        sd[f"main.{3 * i + 1}.weight"] = 1 + 0.1 * torch.randn(c, generator=g)
        sd[f"main.{3 * i + 1}.bias"] = 0.1 * torch.randn(c, generator=g)
        sd[f"main.{3 * i + 1}.running_mean"] = 0.1 * torch.randn(c, generator=g)
        sd[f"main.{3 * i + 1}.running_var"] = 0.5 + torch.rand(c, generator=g)
        if with_counters:
            sd[f"main.{3 * i + 1}.num_batches_tracked"] = torch.tensor(1000)
    sd[f"main.{3 * n_up}.weight"] = 0.05 * torch.randn(ngf, nc, 4, 4, generator=g)
    return sd


def reference_forward(sd, z, n_up=4):
    """dcgan/main.py's _netG.main in eval mode, as a chain of functional calls."""
    x = z.view(z.shape[0], -1, 1, 1)
    for i in range(n_up):
        stride, pad = (1, 0) if i == 0 else (2, 1)
        x = F.conv_transpose2d(x, sd[f"main.{3 * i}.weight"], stride=stride, padding=pad)
        bn = f"main.{3 * i + 1}"
        x = F.batch_norm(x, sd[f"{bn}.running_mean"], sd[f"{bn}.running_var"], sd[f"{bn}.weight"],
                         sd[f"{bn}.bias"], training=False, eps=1e-5)
        x = F.relu(x)
    x = F.conv_transpose2d(x, sd[f"main.{3 * n_up}.weight"], stride=2, padding=1)
    return torch.tanh(x)


@pytest.mark.parametrize("nz,ngf,nc,n_up,size", [(100, 64, 3, 4, 64), (16, 8, 1, 3, 32), (20, 4, 3, 5, 128)])
def test_import_matches_the_reference_forward(tmp_path, nz, ngf, nc, n_up, size):
    sd = reference_state_dict(nz, ngf, nc, n_up)
    path = tmp_path / "netG_epoch_24.pth"
    torch.save(sd, path)
    imported = import_dcgan_generator(path)
    s = imported.settings
    assert (s["nz"], s["ngf"], s["nc"], s["image_size"], s["n_classes"]) == (nz, ngf, nc, size, 0)
    assert s["pytorch_examples_layout"] and s["prefix"] == "main"
    assert imported.program == "pytorch/examples dcgan" and not imported.model.training
    z = torch.randn(5, nz, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = imported.model(z)
        ref = reference_forward(sd, z, n_up)
    assert ours.shape == (5, nc, size, size)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-5)
    # the program feeds z as (N, nz, 1, 1); both shapes give the same pictures
    with torch.no_grad():
        torch.testing.assert_close(imported.model(z[:, :, None, None]), ours)


def test_old_saves_without_batchnorm_counters_and_dataparallel_prefixes_load(tmp_path):
    sd = reference_state_dict(nz=12, ngf=4, nc=3, with_counters=False)
    torch.save({f"module.{k}": v for k, v in sd.items()}, tmp_path / "netG.pth")
    imported = import_dcgan_generator(tmp_path / "netG.pth")
    z = torch.randn(2, 12)
    with torch.no_grad():
        torch.testing.assert_close(imported.model(z), reference_forward(sd, z), rtol=0, atol=1e-5)


def test_explorer_opens_the_imported_generator(tmp_path):
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.latent.space import sample_latents

    sd = reference_state_dict(nz=10, ngf=4, nc=3)
    torch.save(sd, tmp_path / "netG_epoch_3.pth")
    model = open_generator(tmp_path / "netG_epoch_3.pth")
    assert (model.z_dim, model.n_classes, model.image_size, model.source) == (10, 0, 64, "pytorch-examples-dcgan")
    z = sample_latents(2, 10, seed=0)
    ref = ((reference_forward(sd, torch.from_numpy(z)).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    assert np.array_equal(model.render_latents(z), ref.permute(0, 2, 3, 1).numpy())


class WouldWriteAFile:
    """A pickle payload: unpickling it calls open(marker, "w"), which creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pth_with_pickled_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "code-ran.txt"
    payload = reference_state_dict(nz=8, ngf=4, nc=3)
    payload["main.0.weight_hook"] = WouldWriteAFile(marker)
    torch.save(payload, tmp_path / "netG_evil.pth")
    assert not marker.exists()
    with pytest.raises(CheckpointError) as err:
        import_dcgan_generator(tmp_path / "netG_evil.pth")
    assert not marker.exists()  # the payload never ran
    message = str(err.value)
    assert "netG_evil.pth" in message and "refused" in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message  # one sentence
    # the payload is live: a plain unpickle would have run it
    other = tmp_path / "proof.txt"
    pickle.loads(pickle.dumps(WouldWriteAFile(other))).close()
    assert other.exists()


def test_mismatching_shapes_name_the_tensors(tmp_path):
    sd = reference_state_dict(nz=12, ngf=4, nc=3)
    sd["main.3.weight"] = torch.zeros(32, 10, 4, 4)  # should be (ngf*8, ngf*4, 4, 4) = (32, 16, 4, 4)
    sd["main.4.running_mean"] = torch.zeros(7)
    torch.save(sd, tmp_path / "netG_bad.pth")
    with pytest.raises(CheckpointError) as err:
        import_dcgan_generator(tmp_path / "netG_bad.pth")
    message = str(err.value)
    assert "netG_bad.pth" in message and "main.3.weight" in message and "main.4.running_mean" in message


def test_discriminators_and_other_files_are_told_apart(tmp_path):
    netd = {"main.0.weight": torch.zeros(8, 3, 4, 4), "main.2.weight": torch.zeros(16, 8, 4, 4),
            "main.3.weight": torch.ones(16), "main.11.weight": torch.zeros(1, 64, 4, 4)}
    torch.save(netd, tmp_path / "netD_epoch_1.pth")
    with pytest.raises(CheckpointError, match="discriminator"):
        import_dcgan_generator(tmp_path / "netD_epoch_1.pth")
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="not a DCGAN-style Sequential generator"):
        import_dcgan_generator(tmp_path / "other.pth")


def test_sample_cli_renders_a_pytorch_examples_generator_like_the_explorer(tmp_path):
    """`ganstudio sample netG_epoch_N.pth` used to fail ("import it as foreign weights instead"): it goes
    through the same handle as the Explore area now and writes the reference program's pixels."""
    from PIL import Image

    from ganstudio.cli import main
    from ganstudio.core.latent.space import sample_latents

    sd = reference_state_dict(nz=10, ngf=4, nc=3)
    torch.save(sd, tmp_path / "netG_epoch_7.pth")
    out = tmp_path / "samples"
    assert main(["sample", str(tmp_path / "netG_epoch_7.pth"), "--n", "3", "--seed", "4", "--out", str(out),
                 "--device", "cpu"]) == 0
    written = np.stack([np.asarray(Image.open(out / f"sample_{i:05d}.png")) for i in range(3)])
    z = torch.from_numpy(sample_latents(3, 10, seed=4))  # --seed draws exactly these latents
    ref = ((reference_forward(sd, z).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1)
    assert np.array_equal(written, ref.numpy())
    assert main(["sample", str(tmp_path / "netG_epoch_7.pth"), "--class", "3", "--out", str(tmp_path / "x.png")]) == 2
