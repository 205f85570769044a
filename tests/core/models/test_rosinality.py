"""rosinality stylegan2-pytorch checkpoints: opened without unsafe loading, same pixels as the reference forward.

The checkpoints are written by the tests' own writer (tests/rosinality_reference.py) from random networks in
NVlabs' layout, renamed and reshaped into rosinality's module tree; the pixels are checked against
`nvlabs_reference.reference_forward`, which shares no code with the importer."""

import argparse
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from nvlabs_reference import Cfg, reference_forward, reference_generator, reference_mapping
from rosinality_reference import rosinality_state, write_converted, write_training_checkpoint

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.generators.style_edit import StyleEdit
from ganstudio.core.models.rosinality import MEAN_LATENT_SAMPLES, _channel_rule

CFG = Cfg(z=16, w=16, res=32, layers=3, base=256, cmax=16)  # channels 16, 16, 16, 8


@pytest.fixture(scope="module")
def reference():
    G = reference_generator(CFG, seed=4)
    return {k: v.detach().clone() for k, v in G.state_dict().items()}


def _z(n=5, seed=7):
    return torch.randn(n, CFG.z, generator=torch.Generator().manual_seed(seed))


def test_a_converted_checkpoint_renders_the_reference_pixels_around_its_latent_avg(tmp_path, reference):
    path = write_converted(tmp_path / "stylegan2-ffhq-config-f.pt", reference, CFG)
    gen = open_generator(path, device="cpu")
    assert (gen.z_dim, gen.image_size, gen.channels, gen.n_classes) == (CFG.z, CFG.res, 3, 0)
    assert gen.is_stylegan and gen.truncates_in_w and gen.source == "rosinality-stylegan2"
    assert gen.info["num_ws"] == CFG.num_ws and "latent_avg" in gen.description
    z = _z()
    for psi in (1.0, 0.7, 0.0, -0.4):
        with torch.no_grad():
            ref = reference_forward(reference, CFG, z, psi=psi)
        out = gen.generate(z.numpy(), truncation_psi=psi)
        assert torch.allclose(out, ref, atol=2e-5), (psi, (out - ref).abs().max())
    # psi 0 is latent_avg itself: every picture of the batch is the same
    flat = gen.generate(z.numpy(), truncation_psi=0.0)
    assert torch.allclose(flat, flat[:1].expand_as(flat), atol=1e-6)


def test_a_training_checkpoint_with_its_args_namespace_opens_and_truncates_around_the_mean_of_mapped_z(tmp_path, reference):
    path = write_training_checkpoint(tmp_path / "010000.pt", reference, CFG)
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace"):
        torch.load(path, weights_only=True)  # what makes the file hard to open safely
    gen = open_generator(path, device="cpu")
    assert "'g_ema' entry" in gen.description and "mean of 4096 mapped z" in gen.description
    w_avg = gen._network().G.mapping.w_avg.clone()
    # the mean of mapped z, against an independent Monte Carlo estimate of E[mapping(z)] (other draws)
    z = torch.randn(20000, CFG.z, generator=torch.Generator().manual_seed(123))
    with torch.no_grad():
        w = reference_mapping(reference, CFG, z)[:, 0]
    std_err = w.std(dim=0) * (1 / MEAN_LATENT_SAMPLES + 1 / 20000) ** 0.5
    assert ((w_avg - w.mean(dim=0)).abs() < 5 * std_err).all()
    # g_ema (not g, which the writer made different) with that centre gives the reference pixels
    centred = dict(reference, **{"mapping.w_avg": w_avg})
    z = _z(4, seed=3)
    for psi in (1.0, 0.5):
        with torch.no_grad():
            ref = reference_forward(centred, CFG, z, psi=psi)
        assert torch.allclose(gen.generate(z.numpy(), truncation_psi=psi), ref, atol=2e-5)
    # the same file always truncates the same way
    again = open_generator(path, device="cpu")
    assert torch.equal(again._network().G.mapping.w_avg, w_avg)


def test_style_mixing_takes_the_later_layers_from_the_second_latent_as_rosinality_inject_index_does(tmp_path, reference):
    from nvlabs_reference import reference_synthesis

    gen = open_generator(write_converted(tmp_path / "g.pt", reference, CFG), device="cpu")
    z, z2 = _z(1, 1), _z(1, 2)
    inject = 3
    with torch.no_grad():
        ws = reference_mapping(reference, CFG, z)
        ws[:, inject:] = reference_mapping(reference, CFG, z2)[:, inject:]
        ref = reference_synthesis(reference, CFG, ws)
    out = gen.generate(z.numpy(), style=StyleEdit(mix_z=z2[0].numpy(), mix_layers=(inject, CFG.num_ws)))
    assert torch.allclose(out, ref, atol=2e-5)


def test_channel_layouts_of_rosinality_multipliers_map_to_channel_base_and_max():
    table = lambda cm: {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * cm, 128: 128 * cm, 256: 64 * cm,  # noqa: E731
                        512: 32 * cm, 1024: 16 * cm}
    assert _channel_rule(table(2), "f") == (32768, 512)  # config-f
    assert _channel_rule(table(1), "e") == (16384, 512)
    for base, cmax in ((32768, 512), (16384, 512), (256, 16)):
        assert _channel_rule({r: min(base // r, cmax) for r in (4, 8, 16, 32, 64)}, "x")[1] == cmax
    with pytest.raises(CheckpointError, match="channels per resolution"):
        _channel_rule(table(4), "big.pt")  # 1024 at 64 px after 512 at 32 px: not min(base / res, max)


def test_a_hostile_payload_is_refused_and_never_runs(tmp_path, reference):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    for where in ("top", "args"):
        ckpt = {"g_ema": rosinality_state(reference, CFG), "latent_avg": reference["mapping.w_avg"]}
        if where == "top":
            ckpt["hook"] = Payload()
        else:  # inside the Namespace, the one class the reader lets through
            ckpt["args"] = argparse.Namespace(arch="stylegan2", evil=Payload())
        path = tmp_path / f"hostile-{where}.pt"
        torch.save(ckpt, path)
        with pytest.raises(CheckpointError, match="never runs") as err:
            open_generator(path, device="cpu")
        assert path.name in str(err.value) and "\n" not in str(err.value)
        assert not marker.exists()


def test_a_namespace_pickled_as_a_call_builds_nothing(tmp_path, reference):
    # a hand-made pickle that calls argparse.Namespace(...) (REDUCE) instead of the usual NEWOBJ + BUILD
    class CallsNamespace:
        def __reduce__(self):
            return (argparse.Namespace, (), {"arch": "swagan"})

    torch.save({"g_ema": rosinality_state(reference, CFG), "args": CallsNamespace()}, tmp_path / "r.pt")
    with pytest.raises(CheckpointError, match="--arch swagan"):
        open_generator(tmp_path / "r.pt", device="cpu")


def test_swagan_and_damaged_generators_are_refused_in_one_sentence(tmp_path, reference):
    state = rosinality_state(reference, CFG)
    cases = {
        "swagan-args.pt": ({"g_ema": state, "args": argparse.Namespace(arch="swagan")}, "--arch swagan"),
        "swagan-tensors.pt": ({"g_ema": dict(state, **{"iwt.ll": torch.ones(2, 2)})}, "SWAGAN"),
        "missing.pt": ({"g_ema": {k: v for k, v in state.items() if k != "convs.3.noise.weight"}},
                       "lacks convs.3.noise.weight"),
        "extra.pt": ({"g_ema": dict(state, **{"convs.9.conv.weight": torch.ones(1)})}, "has convs.9.conv.weight"),
        "bad-blur.pt": ({"g_ema": dict(state, **{"to_rgbs.1.upsample.kernel": torch.ones(4, 4)})}, "blur kernel"),
        "latent-avg.pt": ({"g_ema": state, "latent_avg": torch.ones(3)}, "latent_avg is not 16 finite numbers"),
    }
    for name, (ckpt, expected) in cases.items():
        torch.save(ckpt, tmp_path / name)
        with pytest.raises(CheckpointError) as err:
            open_generator(tmp_path / name, device="cpu")
        text = str(err.value)
        assert expected in text and name in text and "\n" not in text, text


def test_an_unrecognised_pt_names_its_top_level_keys(tmp_path):
    torch.save({"encoder": {"conv_in.weight": torch.ones(3, 3, 1, 1)}, "epoch": 3, "args": argparse.Namespace(lr=1.0)},
               tmp_path / "other.pt")
    with pytest.raises(CheckpointError) as err:
        open_generator(tmp_path / "other.pt", device="cpu")
    text = str(err.value)
    assert "top-level keys encoder, epoch, args" in text and "rosinality" in text and "\n" not in text


def test_import_round_trip_gives_identical_pixels_and_sample_renders_it(tmp_path, reference, capsys):
    from ganstudio.cli import main as cli_main

    src = write_training_checkpoint(tmp_path / "020000.pt", reference, CFG)
    out = tmp_path / "ros.safetensors"
    assert cli_main(["import", str(src), "--out", str(out)]) == 0
    a, b = open_generator(src, device="cpu"), open_generator(out, device="cpu")
    assert b.source == "rosinality-stylegan2" and f"converted from {src.name}" in b.description
    z = np.random.default_rng(0).standard_normal((3, CFG.z)).astype(np.float32)
    edit = StyleEdit(mix_z=z[0], mix_layers=(2, 5), w_offset=np.ones(CFG.w, np.float32), offset_layers=(0, 2))
    for psi, style in ((1.0, None), (0.6, None), (0.6, edit)):
        assert np.array_equal(a.render_latents(z, None, psi, style), b.render_latents(z, None, psi, style))
    capsys.readouterr()
    assert cli_main(["info", str(src)]) == 0
    assert "family       rosinality StyleGAN2 (skip), G_ema weights" in capsys.readouterr().out
    np.save(tmp_path / "z.npy", z)
    for model, grid in ((src, "a.png"), (out, "b.png")):
        assert cli_main(["sample", str(model), "--latent", str(tmp_path / "z.npy"), "--truncation", "0.6",
                         "--out", str(tmp_path / grid), "--device", "cpu"]) == 0
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert cli_main(["sample", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "c.png")]) == 2


def test_every_tensor_dropped_or_misshapen_opens_or_is_refused_in_one_sentence(reference):
    from ganstudio.core.checkpoint import ForeignWeights
    from ganstudio.core.models.rosinality import import_rosinality_generator

    cfg = Cfg(z=8, w=8, res=16, layers=2, base=64, cmax=8)
    state = rosinality_state(reference_generator(cfg, seed=1).state_dict(), cfg)
    refused = 0
    for key in state:
        for damage in ("drop", "scalar", "wide"):
            damaged = dict(state)
            if damage == "drop":
                del damaged[key]
            elif damage == "scalar":
                damaged[key] = torch.ones(())
            elif damage == "wide":
                damaged[key] = torch.ones(*state[key].shape[:-1], state[key].shape[-1] + 1)
            try:
                import_rosinality_generator("fuzz.pt", ForeignWeights(state=damaged, entry="g_ema"))
            except CheckpointError as exc:
                assert "fuzz.pt" in str(exc) and "\n" not in str(exc), str(exc)
                refused += 1
    assert refused == 3 * len(state)


def test_a_picture_of_a_rosinality_model_is_projected_into_w_and_its_bookmark_renders_it(tmp_path):
    from PIL import Image

    from ganstudio.cli import main as cli_main
    from ganstudio.core.latent.projection import ProjectSettings, project, psnr, target_from_pixels
    from ganstudio.core.latent.space import sample_latents

    small = Cfg(z=10, w=10, res=16, layers=2, base=128, cmax=8)
    path = write_converted(tmp_path / "stylegan2-tiny.pt", reference_generator(small, seed=4).state_dict(), small)
    gen = open_generator(path, device="cpu")
    pic = gen.render_latents(sample_latents(1, gen.z_dim, 3))[0]
    result = project(gen, target_from_pixels(pic), ProjectSettings(steps=40, report_every=20))
    assert result.loss < 0.2 * result.start_loss and psnr(result.picture, pic) >= 30, psnr(result.picture, pic)
    Image.fromarray(pic).save(tmp_path / "photo.png")
    book, png = tmp_path / "b.json", tmp_path / "fit.png"
    assert cli_main(["project", str(path), str(tmp_path / "photo.png"), "--out", str(book), "--steps", "4",
                     "--png", str(png), "--device", "cpu"]) == 0
    assert cli_main(["sample", str(path), "--latent", str(book), "--out", str(tmp_path / "s"), "--device", "cpu"]) == 0
    (sampled,) = sorted((tmp_path / "s").glob("*.png"))
    assert np.array_equal(np.asarray(Image.open(sampled)), np.asarray(Image.open(png)))


def test_a_legacy_torch_save_file_opens_the_same(tmp_path, reference):
    # files written before PyTorch 1.6 (or with _use_new_zipfile_serialization=False) are one pickle, not a zip
    ckpt = {"g_ema": rosinality_state(reference, CFG), "latent_avg": reference["mapping.w_avg"],
            "args": argparse.Namespace(arch="stylegan2", size=CFG.res)}
    torch.save(ckpt, tmp_path / "new.pt")
    torch.save(ckpt, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    assert (tmp_path / "old.pt").read_bytes()[:2] != b"PK"
    z = np.random.default_rng(1).standard_normal((2, CFG.z)).astype(np.float32)
    a, b = (open_generator(tmp_path / name, device="cpu") for name in ("new.pt", "old.pt"))
    assert np.array_equal(a.render_latents(z, None, 0.5), b.render_latents(z, None, 0.5))


def test_a_class_count_for_a_rosinality_model_is_refused_word_for_word(tmp_path, reference):
    from ganstudio.core.models.importers import import_foreign_generator

    path = write_converted(tmp_path / "stylegan2-ffhq-config-f.pt", reference, CFG)
    with pytest.raises(CheckpointError) as caught:
        import_foreign_generator(path, class_count=10)
    assert str(caught.value) == ("stylegan2-ffhq-config-f.pt is an unconditional rosinality StyleGAN2; a class "
                                 "count does not apply to it.")
    assert import_foreign_generator(path, class_count=0).family == "stylegan2"
