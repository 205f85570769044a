"""NVlabs StyleGAN3 pickles (configs T and R): opened without running anything from the file, rebuilt in our own
StyleGAN3 code, same pixels as an independent functional forward of the same weights.

The pickles are written in NVlabs' on-disk format by our own writer (tests/nvlabs_reference.py: the module tree,
tensor names and flat init kwargs of training/networks_stylegan3.py, low-pass filters designed as NVlabs designs
them). `reference_synthesis3` follows NVlabs' reference path (per-sample modulated weights in one grouped
convolution, the filtered leaky ReLU as zero insertion and one 2-D filter) written out independently of
`ganstudio.core.models.stylegan3`. (Once, outside the tests, NVlabs' own code was run on the CPU on pickles it
wrote itself: see docs/QUALITY.md.)"""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nvlabs_reference import (
    Cfg3,
    nvlabs_globals,
    nvlabs_pixels,
    reference_forward3,
    reference_generator3,
    reference_mapping,
    reference_synthesis3,
    sg3_geometry,
    write_snapshot,
)

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import LatentRequest, open_generator
from ganstudio.core.generators.style_edit import StyleEdit
from ganstudio.core.models.nvlabs_pickle import import_nvlabs_pickle
from ganstudio.core.models.stylegan3 import StyleGAN3Settings, synthesis_plan

ROTATED = torch.tensor([[0.995, -0.0998, 0.1], [0.0998, 0.995, -0.05], [0.0, 0.0, 1.0]])  # a user's transform

CASES = {
    "T": (Cfg3(output_scale=2.0), None),
    "R": (Cfg3(kernel=1, radial=True, base=128, cmax=16, output_scale=4.0), None),
    "T-conditional-32px-transformed": (Cfg3(c=3, res=32, num_layers=5, clamp=None, output_scale=2.0), ROTATED),
    "R-grey-clamped": (Cfg3(ch=1, kernel=1, radial=True, clamp=0.5, output_scale=1.0), None),
}


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    root = tmp_path_factory.mktemp("sg3")
    made = {}
    for i, (name, (cfg, transform)) in enumerate(CASES.items()):
        G = reference_generator3(cfg, seed=i, transform=transform)
        made[name] = (write_snapshot(root / f"network-snapshot-{name}.pkl", G), cfg, G.state_dict())
    return made


def onehot(labels, c):
    return F.one_hot(torch.as_tensor(labels), c).float()


@pytest.mark.parametrize("case", list(CASES))
def test_the_pickle_renders_the_pixels_of_the_functional_forward(snapshots, case):
    path, cfg, sd = snapshots[case]
    gen = open_generator(path, device="cpu")
    assert (gen.input_kind, gen.z_dim, gen.n_classes, gen.image_size, gen.channels) == ("latent", cfg.z, cfg.c, cfg.res, cfg.ch)
    assert gen.truncates_in_w and gen.is_stylegan and gen.info["num_ws"] == cfg.num_ws
    assert "StyleGAN3" in gen.title and f"config {'R' if cfg.radial else 'T'}" in gen.description
    z = torch.randn(5, cfg.z, generator=torch.Generator().manual_seed(7))
    labels = np.arange(5) % cfg.c if cfg.c else None
    c = onehot(labels, cfg.c) if cfg.c else None
    for psi in (1.0, 0.6, -0.3):
        with torch.no_grad():
            ref = reference_forward3(sd, cfg, z, c, psi=psi)
        out = gen.generate(z.numpy(), labels, truncation_psi=psi)
        scale = float(ref.abs().max())
        assert torch.allclose(out, ref, atol=2e-5 * max(scale, 1)), (psi, (out - ref).abs().max())
        pixels = gen.render(LatentRequest(z.numpy(), labels, truncation_psi=psi)).pixels
        assert np.abs(pixels.astype(int) - nvlabs_pixels(ref).astype(int)).max() <= 2
    assert float(ref.std()) > 0.05  # the pictures are not flat, so the comparison sees them


def test_the_layer_plan_follows_the_papers_progression():
    """Sizes, paddings and sampling rates of the 1024 px config T as the paper's appendix F gives them (the
    official stylegan3-t-ffhq-1024x1024 file has exactly these layers)."""
    s = StyleGAN3Settings(z_dim=512, c_dim=0, w_dim=512, img_resolution=1024, img_channels=3)
    first, plans = synthesis_plan(s)
    assert (first["size"], first["sampling_rate"], first["bandwidth"], first["channels"]) == (36, 16.0, 2.0, 512)
    assert [p.name for p in plans] == [
        "L0_36_512", "L1_36_512", "L2_52_512", "L3_52_512", "L4_84_512", "L5_148_512", "L6_148_512",
        "L7_276_323", "L8_276_203", "L9_532_128", "L10_1044_81", "L11_1044_51", "L12_1044_32", "L13_1024_32",
        "L14_1024_3"]
    _, test_plan = sg3_geometry(Cfg3(res=1024, num_layers=14, base=32768, cmax=512))
    assert [p.padding for p in plans] == [tuple(p["pad"]) for p in test_plan]


def test_w_edits_work_on_a_stylegan3(snapshots):
    path, cfg, sd = snapshots["T-conditional-32px-transformed"]
    gen = open_generator(path, device="cpu")
    assert gen.info["w_resolutions"] == [4, 4, 8, 16, 32, 32, 32]  # twice each layer's cutoff
    z = torch.randn(2, cfg.z, generator=torch.Generator().manual_seed(1))
    z2 = torch.randn(1, cfg.z, generator=torch.Generator().manual_seed(2))
    offset = np.linspace(-0.5, 0.5, cfg.w).astype(np.float32)
    edit = StyleEdit(mix_z=z2[0].numpy(), mix_label=2, mix_layers=(4, cfg.num_ws), w_offset=offset, offset_layers=(0, 3))
    with torch.no_grad():
        ws = reference_mapping(sd, cfg, z, onehot([0, 1], cfg.c), psi=0.8)
        ws2 = reference_mapping(sd, cfg, z2.expand(2, -1), onehot([2, 2], cfg.c), psi=0.8)
        ws[:, 4:] = ws2[:, 4:]
        ws[:, :3] += torch.from_numpy(offset)
        ref = reference_synthesis3(sd, cfg, ws)
    out = gen.generate(z.numpy(), [0, 1], truncation_psi=0.8, style=edit)
    assert torch.allclose(out, ref, atol=1e-4), (out - ref).abs().max()


def test_settings_that_would_not_give_nvlabs_pixels_are_one_sentence(tmp_path):
    cfg = Cfg3()
    G = reference_generator3(cfg)
    G._init_kwargs["fancy_filters"] = True
    with nvlabs_globals(), open(tmp_path / "odd.pkl", "wb") as fh:
        pickle.dump(dict(G_ema=G), fh)
    with pytest.raises(CheckpointError, match="StyleGAN3 does not know .fancy_filters"):
        import_nvlabs_pickle(tmp_path / "odd.pkl")

    G = reference_generator3(cfg)
    G._init_kwargs["channel_max"] = 6  # the file's tensors are 12 channels wide
    with nvlabs_globals(), open(tmp_path / "narrow.pkl", "wb") as fh:
        pickle.dump(dict(G_ema=G), fh)
    with pytest.raises(CheckpointError, match="do not match a StyleGAN3 generator"):
        import_nvlabs_pickle(tmp_path / "narrow.pkl")
