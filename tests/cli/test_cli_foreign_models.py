"""Models saved by other programs on the command line, as a user runs them (real processes): `sample` and
`translate` open them and write the reference pixels, `import` converts them into a file that gives the same
pixels, and bad or hostile files end with one line and exit status 2, running nothing."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from foreign_reference import (
    PYTORCH_EXAMPLES,
    CreatesFile,
    reference_pixels,
    resnet_forward,
    resnet_state,
    sequential_forward,
    sequential_state,
    to_pixels,
    tutorial_checkpoint,
)
from PIL import Image

from ganstudio.cli import EXIT_USER_ERROR
from ganstudio.core.latent.space import sample_latents


def ganstudio(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "ganstudio", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def read_pngs(folder, n):
    return np.stack([np.asarray(Image.open(folder / f"sample_{i:05d}.png")) for i in range(n)])


def one_error_line(result, fragment):
    assert result.returncode == EXIT_USER_ERROR, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganstudio: error: ") and fragment in lines[0], result.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("foreign")
    dcgan_sd = sequential_state(PYTORCH_EXAMPLES, 10 + 3, [16, 8, 8, 4, 3], seed=3)
    torch.save(tutorial_checkpoint(dcgan_sd), tmp / "weights.tar")
    resnet_sd = resnet_state(ngf=2, n_blocks=6, norm="instance", seed=6)
    torch.save(resnet_sd, tmp / "latest_net_G_A.pth")
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (45, 70, 3), dtype=np.uint8)).save(tmp / "photo.png")
    return {"dir": tmp, "dcgan": dcgan_sd, "resnet": resnet_sd}


def test_sample_and_import_a_conditional_dcgan_training_checkpoint(files):
    tmp = files["dir"]
    result = ganstudio("sample", tmp / "weights.tar", "--class-count", 3, "--n", 4, "--seed", 7, "--out",
                       tmp / "samples", "--device", "cpu")
    assert result.returncode == 0, result.stderr
    z = torch.from_numpy(sample_latents(4, 10, seed=7))
    expected = to_pixels(sequential_forward(files["dcgan"], PYTORCH_EXAMPLES, z, labels=torch.arange(4) % 3, n_classes=3))
    written = read_pngs(tmp / "samples", 4)
    assert np.array_equal(written, expected)

    result = ganstudio("import", tmp / "weights.tar", "--class-count", 3, "--out", tmp / "dcgan.safetensors")
    assert result.returncode == 0, result.stderr
    assert "3 classes" in result.stderr and "'netG_state_dict' entry" in result.stderr
    result = ganstudio("sample", tmp / "dcgan.safetensors", "--n", 4, "--seed", 7, "--out", tmp / "again",
                       "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert np.array_equal(read_pngs(tmp / "again", 4), written)


def test_translate_and_import_a_cyclegan_resnet(files):
    tmp = files["dir"]
    result = ganstudio("translate", tmp / "latest_net_G_A.pth", tmp / "photo.png", "--out", tmp / "zebra.png",
                       "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert "(72x44)" in result.stderr
    out = np.asarray(Image.open(tmp / "zebra.png"))
    resized = np.asarray(Image.open(tmp / "photo.png").resize((72, 44), Image.BICUBIC))
    x = (torch.from_numpy(resized.copy()).permute(2, 0, 1).float() / 255 - 0.5) / 0.5
    with torch.no_grad():
        expected = reference_pixels(resnet_forward(files["resnet"], x[None], 6, "instance"))[0]
    assert out.shape == (44, 72, 3) and np.abs(out.astype(int) - expected.astype(int)).max() <= 1

    result = ganstudio("import", tmp / "latest_net_G_A.pth", "--out", tmp / "resnet.safetensors")
    assert result.returncode == 0 and "CycleGAN resnet_6blocks" in result.stderr, result.stderr
    result = ganstudio("translate", tmp / "resnet.safetensors", tmp / "photo.png", "--out", tmp / "zebra2.png",
                       "--device", "cpu")
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.asarray(Image.open(tmp / "zebra2.png")), out)


def test_bad_and_hostile_files_end_in_one_line(files, tmp_path):
    (tmp_path / "notes.pth").write_text("not weights at all\n")
    one_error_line(ganstudio("sample", tmp_path / "notes.pth", "--out", tmp_path / "x.png"), "not a PyTorch file")

    marker = tmp_path / "code-ran.txt"
    saved = tutorial_checkpoint(files["dcgan"])
    saved["optimizerG_state_dict"]["state"][0]["hook"] = CreatesFile(marker)
    torch.save(saved, tmp_path / "evil.tar")
    one_error_line(ganstudio("import", tmp_path / "evil.tar", "--out", tmp_path / "evil.safetensors"),
                   "needs pickled code")
    assert not marker.exists() and not (tmp_path / "evil.safetensors").exists()

    torch.save({"encoder.weight": torch.zeros(4, 4)}, tmp_path / "vae.pth")
    one_error_line(ganstudio("translate", tmp_path / "vae.pth", files["dir"] / "photo.png", "--out", tmp_path / "y.png"),
                   "holds no generator GAN Studio recognises")
    one_error_line(ganstudio("import", files["dir"] / "weights.tar", "--out", tmp_path / "model.png"),
                   "--out must end in .safetensors")
