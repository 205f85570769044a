"""Translating models with a latent input (BicycleGAN-style z tiled onto a U-Net's input): the network, the
diversity-sensitive term, the config rules, a short training run, the handle's variants and `translate
--variant-seed`. Models without z behave exactly as before (their own tests, test_translate.py)."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.cli import main as cli_main
from ganstudio.core.config import preset
from ganstudio.core.errors import ConfigError, ModelError
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.generators.latent_variants import variant_latent, variant_latents
from ganstudio.core.generators.translate import translate_file
from ganstudio.core.models.from_config import generator_from_checkpoint
from ganstudio.core.models.unet import unet_small
from ganstudio.core.sketch.encoding import image_to_sketch_input
from ganstudio.core.train.step import diversity_ratio


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Several times faster than two threads on a busy 2-core machine (as tests/conftest.py's digit judge)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_cfg(data: Path, *extra: str):
    return preset("sketch-folder").with_overrides([
        f"data.path={data}", "data.image_size=32", "model.g_width=8", "model.d_width=8", "model.dropout=false",
        "optim.batch_size=4", "train.n_preview=2", "train.sample_every=0", "train.eval_every=0",
        "train.checkpoint_every=0", "train.log_every=1", *extra,
    ])


@pytest.fixture(scope="module")
def z_model(tmp_path_factory, make_pictures) -> Path:
    """A 32 px sketch U-Net with a 4-dim latent input, trained 3 steps with the diversity term."""
    from ganstudio.core.train.trainer import Trainer

    tmp = tmp_path_factory.mktemp("zmodel")
    cfg = tiny_cfg(make_pictures(tmp / "pictures", size=32), "model.variant_z=4", "tricks.diversity=5",
                   "train.steps=3")
    seen = []
    trainer = Trainer(cfg, run_dir=tmp / "run", report=lambda e: seen.append(e))
    trainer.run()
    scalars = [e.data for e in seen if e.kind == "scalars"]
    assert scalars and all(0 < s["diversity"] <= 0.5 for s in scalars)  # the clipped ratio is logged
    return trainer.save_checkpoint()


# --- the network ---------------------------------------------------------------------------------------------

def test_the_latent_is_tiled_onto_the_input_and_none_is_the_mean():
    torch.manual_seed(0)
    g = unet_small(5, 3, num_downs=5, ngf=4, latent_dim=3).eval()
    assert g.model.model[0].weight.shape[1] == 5 + 3  # the first convolution sees input + z channels
    x = torch.randn(2, 5, 32, 32)
    with torch.no_grad():
        mean = g(x)
        assert torch.equal(mean, g(x, torch.zeros(2, 3)))
        z = torch.randn(2, 3)
        other = g(x, z)
        # by hand: the same first layer applied to cat([x, z tiled])
        tiled = torch.cat([x, z[:, :, None, None].expand(2, 3, 32, 32)], 1)
        assert torch.allclose(other, g.model(tiled))
    assert (other - mean).abs().mean() > 1e-4


def test_a_u_net_without_latent_keeps_its_layout_and_refuses_z():
    plain = unet_small(5, 3, num_downs=5, ngf=4)
    with_z = unet_small(5, 3, num_downs=5, ngf=4, latent_dim=2)
    assert plain.latent_dim == 0 and not hasattr(plain, "z_dim") and not hasattr(with_z, "z_dim")
    assert list(plain.state_dict()) == list(with_z.state_dict())  # the same names (reference layout)
    with pytest.raises(ModelError, match="no latent input"):
        plain(torch.randn(1, 5, 32, 32), torch.zeros(1, 2))
    with pytest.raises(ModelError, match="latents"):
        with_z(torch.randn(1, 5, 32, 32), torch.zeros(1, 3))


def test_variant_latents_depend_only_on_their_seed():
    z = variant_latents([3, 7, 3], 8)
    assert z.shape == (3, 8) and z.dtype == torch.float32
    assert torch.equal(z[0], z[2]) and not torch.equal(z[0], z[1])
    assert np.array_equal(z[1].numpy(), np.random.default_rng(7).standard_normal(8).astype(np.float32))
    assert torch.equal(variant_latents(None, 8, n=2), torch.zeros(2, 8))
    assert torch.equal(variant_latents([0], 8), torch.zeros(1, 8))  # seed 0, the strip's first: the mean


# --- the diversity-sensitive term ------------------------------------------------------------------------------

def test_diversity_ratio_is_the_clipped_mean_of_per_pair_ratios():
    # pair 0: outputs differ by 0.2 everywhere, latents by 1 -> 0.2; pair 1: by 0.6 and 0.5 -> 1.2, clipped
    fake = torch.zeros(4, 3, 2, 2)
    fake[2] += 0.2
    fake[3] -= 0.6
    z = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, -1.0], [0.5, 0.5]])
    assert diversity_ratio(fake, z, clip=10.0).item() == pytest.approx((0.2 + 1.2) / 2)
    assert diversity_ratio(fake, z, clip=0.5).item() == pytest.approx((0.2 + 0.5) / 2)
    assert diversity_ratio(torch.ones(4, 3, 2, 2), z, clip=1.0).item() == 0  # identical outputs: no diversity


def test_an_anchored_ratio_pushes_only_the_second_latents_picture():
    fake = torch.zeros(4, 3, 2, 2, requires_grad=True)
    z = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, -1.0], [0.5, 0.5]])
    shifted = fake + torch.tensor([0.0, 0.0, 0.2, -0.6]).view(4, 1, 1, 1)
    ratio = diversity_ratio(shifted, z, clip=10.0, anchor=True)
    assert ratio.item() == pytest.approx((0.2 + 1.2) / 2)  # the same value as without the anchor
    ratio.backward()
    assert torch.count_nonzero(fake.grad[:2]) == 0  # the z = 0 pictures get no push
    # d/dfake of mean|f1 - f2| / |dz| / pairs: the sign of (f2 - f1) / (12 values * |dz| * 2 pairs)
    assert fake.grad[2].flatten().tolist() == pytest.approx([1 / (12 * 1.0 * 2)] * 12)
    assert fake.grad[3].flatten().tolist() == pytest.approx([-1 / (12 * 0.5 * 2)] * 12)
    free = torch.zeros(4, 3, 2, 2, requires_grad=True)
    diversity_ratio(free + torch.tensor([0.0, 0.0, 0.2, -0.6]).view(4, 1, 1, 1), z, clip=10.0).backward()
    assert free.grad[0].flatten().tolist() == pytest.approx([-1 / 24] * 12)  # unanchored: both sides move


def test_pix2pix_l1_with_row_weights_is_the_weighted_mean_of_each_images_l1():
    from ganstudio.core.train.objectives import get_objective

    objective = get_objective("pix2pix")
    scores = torch.zeros(4, 1, 2, 2)  # softplus(0) = log 2 for the adversarial part
    target = torch.zeros(4, 3, 2, 2)
    fake = torch.stack([torch.full((3, 2, 2), v) for v in (0.1, -0.2, 0.4, 0.8)])
    plain = objective.g_loss(scores, fake=fake, target=target)
    same = objective.g_loss(scores, fake=fake, target=target, row_weights=torch.ones(4))
    weighted = objective.g_loss(scores, fake=fake, target=target, row_weights=torch.tensor([1.0, 1.0, 0.25, 0.25]))
    l1 = objective.l1_weight
    assert plain.item() == pytest.approx(math.log(2) + l1 * (0.1 + 0.2 + 0.4 + 0.8) / 4)
    assert same.item() == pytest.approx(plain.item())
    assert weighted.item() == pytest.approx(math.log(2) + l1 * (0.1 + 0.2 + 0.25 * 0.4 + 0.25 * 0.8) / 4)


def test_with_the_anchor_the_first_latent_of_each_pair_is_zero_and_its_l1_is_whole(tmp_path, make_pictures):
    from ganstudio.core.train.trainer import Trainer

    cfg = tiny_cfg(make_pictures(tmp_path / "p", size=32), "model.variant_z=4", "tricks.diversity=5",
                   "tricks.diversity_anchor=true", "tricks.variant_l1=0.25", "train.steps=1")
    trainer = Trainer(cfg)
    z = trainer._training_latents(4)
    assert torch.count_nonzero(z[:2]) == 0 and torch.count_nonzero(z[2:]) == 8
    assert trainer._l1_row_weights(4).tolist() == [1.0, 1.0, 0.25, 0.25]
    assert trainer._sample_z(4).abs().min() > 0  # previews and evaluations still draw random latents
    seen = []
    trainer.G.register_forward_pre_hook(lambda module, args: seen.append(args[1].clone()))
    trainer.step()
    assert seen and all(torch.count_nonzero(z[:2]) == 0 and torch.count_nonzero(z[2:]) == 8 for z in seen)
    plain = Trainer(tiny_cfg(make_pictures(tmp_path / "q", size=32), "model.variant_z=4", "tricks.diversity=5"))
    assert torch.count_nonzero(plain._training_latents(4)) == 16 and plain._l1_row_weights(4) is None


def test_the_trainer_pushes_only_the_random_latents_pictures_when_anchored(tmp_path, make_pictures):
    """The generator loss's gradient at each picture of a batch, with the diversity term at weight 200 and
    at 0: anchored, the z = 0 pictures get the same gradient either way (the term moves only the random
    latents' pictures); without the anchor both halves change."""
    from dataclasses import replace

    from ganstudio.core.train.trainer import Trainer

    data = make_pictures(tmp_path / "p", size=32)
    for anchored in (True, False):
        extra = ["tricks.diversity_anchor=true"] if anchored else []
        trainer = Trainer(tiny_cfg(data, "model.variant_z=4", "tricks.diversity=200", "tricks.diversity_clip=10",
                                   "train.steps=1", *extra))
        batch = trainer._variant_pairs(trainer.data.next(4))
        z = trainer._training_latents(4)
        with torch.no_grad():
            made = trainer._generate(trainer.G, z, None, batch.cond)
        grads = []
        for weight in (200.0, 0.0):
            trainer.cfg = replace(trainer.cfg, tricks=replace(trainer.cfg.tricks, diversity=weight))
            fake = made.clone().requires_grad_(True)
            trainer._kept_fake = (batch, fake, z)
            trainer._generator_loss().backward()
            grads.append(fake.grad)
        same_first = torch.allclose(grads[0][:2], grads[1][:2])
        assert same_first == anchored
        assert not torch.allclose(grads[0][2:], grads[1][2:])  # the random latents' pictures are pushed


def test_config_rules_for_the_latent_and_the_diversity_term(tmp_path):
    with pytest.raises(ConfigError, match="variant_z"):
        preset("toy-ring").with_overrides(["model.variant_z=4"])
    with pytest.raises(ConfigError, match="needs 'model.variant_z'"):
        preset("sketch-folder").with_overrides(["tricks.diversity=1"])
    with pytest.raises(ConfigError, match="must be even"):
        preset("sketch-folder").with_overrides(["model.variant_z=4", "tricks.diversity=1", "optim.batch_size=3"])
    with pytest.raises(ConfigError, match="needs 'tricks.diversity' > 0"):
        preset("sketch-folder").with_overrides(["model.variant_z=4", "tricks.diversity_anchor=true"])
    with pytest.raises(ConfigError, match="needs 'tricks.diversity_anchor' = true"):
        preset("sketch-folder").with_overrides(["model.variant_z=4", "tricks.diversity=1", "tricks.variant_l1=0.5"])
    with pytest.raises(ConfigError, match="variant_l1"):
        preset("sketch-folder").with_overrides(["model.variant_z=4", "tricks.diversity=1",
                                                "tricks.diversity_anchor=true", "tricks.variant_l1=1.5"])
    assert preset("sketch-folder").model.variant_z == 0  # old presets and checkpoints: no latent


def test_with_the_diversity_term_each_input_is_translated_with_two_latents(tmp_path, make_pictures):
    from ganstudio.core.train.trainer import Trainer

    cfg = tiny_cfg(make_pictures(tmp_path / "p", size=32), "model.variant_z=4", "tricks.diversity=5", "train.steps=1")
    trainer = Trainer(cfg)
    batch = trainer._variant_pairs(trainer.data.next(4))
    assert torch.equal(batch.cond[:2], batch.cond[2:]) and torch.equal(batch.real[:2], batch.real[2:])
    assert not torch.equal(batch.cond[0], batch.cond[1])
    z = trainer._sample_z(4)
    assert z.shape == (4, 4) and not torch.equal(z[0], z[2])


def test_the_diversity_term_makes_variants_differ_more(tmp_path, make_pictures):
    """The same short run with and without the term (a high learning rate, so 25 steps tell): the variants
    of the run with weight 50 differ several times more (0.41 against 0.04 when written)."""
    from ganstudio.core.bundled.quality import translate_variants, variant_distance
    from ganstudio.core.train.trainer import Trainer

    data = make_pictures(tmp_path / "p", size=32)
    spread = {}
    for weight in (0, 50):
        cfg = tiny_cfg(data, "model.variant_z=4", f"tricks.diversity={weight}", "train.steps=25",
                       "optim.lr_g=2e-3", "train.log_every=1000")
        trainer = Trainer(cfg)
        trainer.run()
        x = trainer.fixed_batch.cond
        with torch.no_grad():
            spread[weight] = variant_distance(translate_variants(trainer.G, x, [0, 1, 2, 3]))
    assert spread[50] > 3 * spread[0]


# --- the handle, translate and the CLI -------------------------------------------------------------------------

def test_the_checkpoint_records_z_and_reopens_with_variants(z_model):
    G, cfg, _ = generator_from_checkpoint(z_model)
    assert cfg.model.variant_z == 4 and G.latent_dim == 4
    model = open_generator(z_model)
    info = model.describe()
    assert info["variant_z"] == 4 and info["stochastic"] and info["default_mode"] == "reference"
    assert "z 4" in model.description
    x = image_to_sketch_input(torch.rand(1, 3, 32, 32) * 2 - 1, n_hints=3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        mean = G(x)
        seeded = [G(x, torch.from_numpy(variant_latent(s, 4))[None]) for s in (0, 1)]
    assert torch.allclose(model.translate(x, mode="eval"), mean, atol=1e-6)
    both = model.translate(x.expand(2, -1, -1, -1), mode="reference", seeds=[0, 1])
    assert torch.allclose(both[0:1], seeded[0], atol=1e-6) and torch.allclose(both[1:2], seeded[1], atol=1e-6)
    assert (both[0] - both[1]).abs().mean() > 1e-4
    assert torch.equal(model.translate(x, mode="reference", seeds=[1]), both[1:2])  # a variant is its seed's


def test_translate_defaults_to_the_mean_and_takes_a_variant_seed(z_model, tmp_path, make_pictures, capsys):
    picture = make_pictures(tmp_path / "in", n=1, size=32) / "0.png"
    model = open_generator(z_model)
    mean = translate_file(model, picture, seed=3)
    assert np.array_equal(mean, translate_file(model, picture, mode="eval", seed=3))  # z = 0 whatever the mode
    out = tmp_path / "out.png"
    assert cli_main(["translate", str(z_model), str(picture), "--out", str(out), "--seed", "3"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), mean)
    assert "z = 0" in capsys.readouterr().err
    assert cli_main(["translate", str(z_model), str(picture), "--out", str(out), "--seed", "3",
                     "--variant-seed", "5"]) == 0
    variant = np.asarray(Image.open(out))
    assert np.array_equal(variant, translate_file(model, picture, seed=3, variant_seed=5))
    assert not np.array_equal(variant, mean)
    assert "seed 5" in capsys.readouterr().err


def test_variant_seed_errors_are_one_line(z_model, tmp_path, make_pictures, capsys):
    from ganstudio.core.generators.handle import open_generator as _open  # noqa: F401

    picture = make_pictures(tmp_path / "in", n=1, size=32) / "0.png"
    out = tmp_path / "out.png"
    assert cli_main(["translate", str(z_model), str(picture), "--out", str(out), "--variant-seed", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--variant-seed must be between 0" in err[0]
    torch.manual_seed(0)
    plain = tmp_path / "plain.pth"
    from ganstudio.core.models.unet import unet_128

    torch.save(unet_128(3, 3, ngf=2).state_dict(), plain)
    big = make_pictures(tmp_path / "big", n=1, size=128) / "0.png"
    assert cli_main(["translate", str(plain), str(big), "--out", str(out), "--variant-seed", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has no" in err[0] and "latent input" in err[0]
