"""Behaviour of the networks: shapes, ranges, batch tricks, conditioning, registry and errors."""

import pytest
import torch
from torch import nn

from ganstudio.core.errors import ModelError
from ganstudio.core.models import (
    DISCRIMINATOR_NAMES,
    GENERATOR_NAMES,
    DCGANDiscriminator,
    DCGANGenerator,
    MinibatchDiscrimination,
    MinibatchStdDev,
    MLPDiscriminator,
    MLPGenerator,
    NLayerDiscriminator,
    PixelDiscriminator,
    UnetGenerator,
    build_discriminator,
    build_generator,
    count_parameters,
    dcgan_init_,
    describe,
    make_norm,
    pack_samples,
    unet_small,
)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


# ---------------------------------------------------------------- shared layers


def test_pack_samples_concatenates_consecutive_samples_for_vectors_and_images():
    v = torch.arange(12.0).reshape(6, 2)
    packed = pack_samples(v, 3)
    assert packed.shape == (2, 6)
    assert torch.equal(packed[1], torch.cat([v[3], v[4], v[5]]))

    im = torch.randn(4, 3, 5, 5)
    packed = pack_samples(im, 2)
    assert packed.shape == (2, 6, 5, 5)
    assert torch.equal(packed[1], torch.cat([im[2], im[3]], dim=0))  # along channels

    with pytest.raises(ModelError, match="batch size 5 is not divisible by pack 2"):
        pack_samples(torch.randn(5, 2), 2)


def test_minibatch_stddev_appends_group_std_and_is_zero_for_identical_samples():
    layer = MinibatchStdDev(group_size=4)
    x = torch.randn(8, 3, 4, 4)
    out = layer(x)
    assert out.shape == (8, 4, 4, 4)
    assert torch.equal(out[:, :3], x)
    # group of sample i = i mod 2 (8 samples, groups of 4): samples 0,2,4,6 share one value
    group0 = x[0::2]
    expected = group0.std(dim=0, unbiased=False).mean()
    assert torch.allclose(out[0, 3], expected.expand(4, 4), atol=1e-4)
    assert torch.allclose(out[6, 3], out[0, 3])

    same = layer(torch.ones(4, 3, 2, 2))
    assert same[:, 3].abs().max() < 1e-3  # a collapsed batch shows no spread

    vectors = layer(torch.randn(6, 5))  # 6 samples: largest group size <= 4 dividing 6 is 3
    assert vectors.shape == (6, 6)


def test_minibatch_discrimination_counts_close_samples():
    layer = MinibatchDiscrimination(in_features=5, num_kernels=3, kernel_dim=4)
    assert layer(torch.randn(6, 5)).shape == (6, 8)
    identical = layer(torch.ones(6, 5))
    # every other sample is at distance 0: exp(0) summed over the 5 others
    assert torch.allclose(identical[:, 5:], torch.full((6, 3), 5.0))
    far = layer(torch.eye(6, 5) * 1e4)
    assert far[:, 5:].abs().max() < 1e-3
    with pytest.raises(ModelError, match=r"\(N, 5\)"):
        layer(torch.randn(6, 4))


def test_make_norm_kinds():
    assert isinstance(make_norm("batch", 8), nn.BatchNorm2d)
    assert isinstance(make_norm("batch", 8, dims=1), nn.BatchNorm1d)
    inorm = make_norm("instance", 8)
    assert isinstance(inorm, nn.InstanceNorm2d) and not inorm.affine and not inorm.track_running_stats
    assert isinstance(make_norm("layer", 8), nn.GroupNorm)
    assert isinstance(make_norm("layer", 8, dims=1), nn.LayerNorm)
    assert isinstance(make_norm("none", 8), nn.Identity)
    with pytest.raises(ModelError, match="'group'"):
        make_norm("group", 8)
    with pytest.raises(ModelError, match="instance"):
        make_norm("instance", 8, dims=1)


def test_dcgan_init_follows_the_paper():
    net = nn.Sequential(nn.Conv2d(64, 64, 4), nn.BatchNorm2d(4096))
    dcgan_init_(net)
    assert abs(net[0].weight.std().item() - 0.02) < 0.002
    assert abs(net[1].weight.mean().item() - 1.0) < 0.002
    assert abs(net[1].weight.std().item() - 0.02) < 0.002
    assert net[0].bias.abs().max() == 0 and net[1].bias.abs().max() == 0


# ---------------------------------------------------------------- MLP


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu"])
@pytest.mark.parametrize("norm", ["none", "batch"])
def test_mlp_generator_shapes(activation, norm):
    g = MLPGenerator(z_dim=3, hidden=16, depth=2, out_dim=2, activation=activation, norm=norm)
    assert g.z_dim == 3
    assert g(torch.randn(10, 3)).shape == (10, 2)


def test_mlp_generator_rejects_bad_options_and_inputs():
    with pytest.raises(ModelError, match="'tanh'"):
        MLPGenerator(activation="tanh")
    with pytest.raises(ModelError, match="depth"):
        MLPGenerator(depth=0)
    with pytest.raises(ModelError, match=r"\(N, 2\)"):
        MLPGenerator()(torch.randn(4, 3))


def test_mlp_discriminator_logits_features_and_pack():
    d = MLPDiscriminator(hidden=16, depth=2)
    logits, features = d(torch.randn(10, 2), return_features=True)
    assert logits.shape == (10,) and features.shape == (10, 16)

    packed = MLPDiscriminator(hidden=16, depth=2, pack=3)
    assert packed.body[0].in_features == 6
    assert packed(pack_samples(torch.randn(12, 2), 3)).shape == (4,)
    with pytest.raises(ModelError, match="pack_samples"):
        packed(torch.randn(12, 2))


def test_mlp_discriminator_batch_tricks_widen_the_head_and_pass_gradients():
    d = MLPDiscriminator(hidden=16, depth=2, minibatch_stddev=True, minibatch_disc=5)
    assert d.head.in_features == 16 + 1 + 5
    x = torch.randn(8, 2, requires_grad=True)
    logits, features = d(x, return_features=True)
    assert logits.shape == (8,) and features.shape == (8, 16)  # features exclude batch statistics
    logits.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert d.mbd.T.grad is not None and d.mbd.T.grad.abs().sum() > 0


def test_mlp_discriminator_sees_batch_diversity_with_minibatch_stddev():
    d = MLPDiscriminator(hidden=16, depth=2, minibatch_stddev=True).eval()
    base = torch.randn(1, 2).repeat(4, 1)
    diverse = torch.cat([base[:1], torch.randn(3, 2)])
    # the same first sample scores differently depending on the rest of its group
    assert not torch.allclose(d(base)[0], d(diverse)[0])


# ---------------------------------------------------------------- DCGAN


@pytest.mark.parametrize("size", [32, 64, 128])
def test_dcgan_generator_sizes_and_tanh_range(size):
    g = DCGANGenerator(z_dim=8, ngf=4, nc=3, image_size=size)
    out = g(torch.randn(3, 8))
    assert out.shape == (3, 3, size, size)
    assert out.abs().max() <= 1.0
    assert g(torch.randn(3, 8, 1, 1)).shape == out.shape  # reference-style z also accepted
    stride2 = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2)]
    assert len(stride2) == {32: 3, 64: 4, 128: 5}[size]


@pytest.mark.parametrize("size", [32, 64, 128])
def test_dcgan_discriminator_sizes(size):
    d = DCGANDiscriminator(nc=1, ndf=4, image_size=size)
    logits, features = d(torch.randn(3, 1, size, size), return_features=True)
    assert logits.shape == (3,)
    assert features.shape == (3, d.feature_channels * 16)


def test_dcgan_rejects_unsupported_sizes_and_inputs():
    with pytest.raises(ModelError, match=r"32, 64, 128, got 48"):
        DCGANGenerator(image_size=48)
    with pytest.raises(ModelError, match="got 100"):
        DCGANDiscriminator(image_size=100)
    with pytest.raises(ModelError, match=r"\(N, 100\)"):
        DCGANGenerator(ngf=4)(torch.randn(2, 50))
    with pytest.raises(ModelError, match=r"\(N, 3, 64, 64\), got \(2, 3, 32, 32\)"):
        DCGANDiscriminator(ndf=4)(torch.randn(2, 3, 32, 32))


def test_class_conditional_generator_responds_to_labels():
    g = DCGANGenerator(z_dim=8, ngf=4, nc=1, image_size=32, n_classes=10).eval()
    plain = DCGANGenerator(z_dim=8, ngf=4, nc=1, image_size=32)
    assert g.main[0].in_channels == 8 + 10  # one-hot appended to z: only the first layer changes
    assert count_parameters(g) - count_parameters(plain) == 10 * g.main[0].out_channels * 16
    z = torch.randn(1, 8).repeat(2, 1)
    out = g(z, torch.tensor([3, 7]))
    assert not torch.allclose(out[0], out[1])
    assert torch.allclose(g(z[:1], torch.tensor([3])), out[:1], atol=1e-6)
    with pytest.raises(ModelError, match="needs labels y"):
        g(z)
    with pytest.raises(ModelError, match="10 classes, got labels from 3 to 12"):
        g(z, torch.tensor([3, 12]))
    with pytest.raises(ModelError, match="unconditional"):
        plain(z, torch.tensor([1, 2]))


def test_projection_discriminator_responds_to_labels_and_trains_the_embedding():
    d = DCGANDiscriminator(nc=1, ndf=4, image_size=32, n_classes=10).eval()
    x = torch.randn(1, 1, 32, 32).repeat(2, 1, 1, 1)
    logits = d(x, torch.tensor([0, 5]))
    assert logits.shape == (2,)
    assert logits[0] != logits[1]
    logits.sum().backward()
    assert d.class_embed.weight.grad[[0, 5]].abs().sum() > 0
    assert d.class_embed.weight.grad[1].abs().sum() == 0  # unused classes untouched
    packed = DCGANDiscriminator(nc=1, ndf=4, image_size=32, n_classes=10, pack=2)
    assert packed(pack_samples(torch.randn(4, 1, 32, 32), 2), torch.tensor([1, 2])).shape == (2,)


@pytest.mark.parametrize("norm", ["none", "layer", "instance"])
def test_critic_norms_have_no_batch_norm_and_score_samples_independently(norm):
    d = DCGANDiscriminator(nc=1, ndf=4, image_size=32, norm=norm)  # train mode on purpose
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert len(d.main) == len(DCGANDiscriminator(nc=1, ndf=4, image_size=32).main)  # same indices
    x = torch.randn(4, 1, 32, 32)
    assert torch.allclose(d(x)[:1], d(x[:1]), atol=1e-5)  # WGAN-GP needs per-sample scores


def test_batch_norm_discriminator_mixes_the_batch_in_train_mode():
    d = DCGANDiscriminator(nc=1, ndf=4, image_size=32)
    x = torch.randn(4, 1, 32, 32)
    assert not torch.allclose(d(x)[:2], d(x[:2]), atol=1e-5)  # why critics need another norm


def test_dcgan_discriminator_pack_and_batch_tricks_change_the_layers_and_pass_gradients():
    plain = DCGANDiscriminator(nc=3, ndf=4, image_size=32)
    d = DCGANDiscriminator(nc=3, ndf=4, image_size=32, pack=2, minibatch_stddev=True, minibatch_disc=6)
    assert d.main[0].in_channels == 6
    assert d.main[-1].in_channels == plain.main[-1].in_channels + 1 + 6
    images = torch.randn(8, 3, 32, 32, requires_grad=True)
    logits, features = d(pack_samples(images, 2), return_features=True)
    assert logits.shape == (4,) and features.shape == (4, plain.feature_channels * 16)
    logits.sum().backward()
    assert images.grad.abs().sum() > 0
    assert d.mbd.T.grad.abs().sum() > 0
    with pytest.raises(ModelError, match="pack_samples"):
        d(images)


# ---------------------------------------------------------------- U-Net and PatchGAN


def test_unet_small_keeps_the_size_and_tanh_range():
    g = unet_small(input_nc=5, output_nc=3)
    out = g(torch.randn(1, 5, 64, 64))
    assert out.shape == (1, 3, 64, 64)
    assert out.abs().max() <= 1.0
    assert g(torch.randn(2, 5, 128, 128)).shape == (2, 3, 128, 128)  # any multiple of 64


def test_unet_reports_sizes_that_do_not_divide():
    g = UnetGenerator(3, 3, num_downs=5, ngf=4)
    with pytest.raises(ModelError, match=r"divisible by 32, got 48x40"):
        g(torch.randn(1, 3, 48, 40))
    with pytest.raises(ModelError, match=r"divisible by 256, got 100x100"):
        UnetGenerator(3, 3, 8, image_size=100)
    with pytest.raises(ModelError, match="num_downs"):
        UnetGenerator(3, 3, num_downs=4)
    with pytest.raises(ModelError, match="'layer'"):
        UnetGenerator(3, 3, 5, norm="layer")
    with pytest.raises(ModelError, match=r"\(N, 3, H, W\)"):
        g(torch.randn(1, 1, 32, 32))


def test_unet_dropout_sits_in_the_middle_blocks():
    g = UnetGenerator(3, 3, num_downs=7, ngf=4, use_dropout=True)
    drops = [m for m in g.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 7 - 5 and all(m.p == 0.5 for m in drops)


@pytest.mark.parametrize("size, patches", [(64, 6), (256, 30)])
def test_basic_patchgan_output_grid(size, patches):
    d = NLayerDiscriminator(6, ndf=4)
    scores, features = d(torch.randn(1, 6, size, size), return_features=True)
    assert scores.shape == (1, 1, patches, patches)  # pix2pix: 30x30 patches for 256 px
    assert features.shape == (1, 32)


def test_basic_patchgan_receptive_field_is_70_pixels():
    d = NLayerDiscriminator(1, ndf=2, norm="none")  # no norm: pixels stay independent
    x = torch.randn(1, 1, 128, 128, requires_grad=True)
    scores = d(x)
    scores[0, 0, 7, 7].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(dim=1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    # the border of the field can be zero-padded, so measure an interior patch
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70


def test_patchgan_rejects_small_images_and_labels():
    d = NLayerDiscriminator(3, ndf=4)
    with pytest.raises(ModelError, match="16x16 are too small.*at least 24"):
        d(torch.randn(1, 3, 16, 16))
    with pytest.raises(ModelError, match="no class labels"):
        d(torch.randn(1, 3, 32, 32), torch.tensor([1]))


def test_pixel_discriminator_scores_every_pixel():
    d = PixelDiscriminator(4, ndf=8)
    scores, features = d(torch.randn(2, 4, 10, 12), return_features=True)
    assert scores.shape == (2, 1, 10, 12) and features.shape == (2, 16)


# ---------------------------------------------------------------- registry

_SMALL_GENERATORS = {
    "mlp": ({}, lambda g: torch.randn(4, g.z_dim), (4, 2)),
    "dcgan": ({"ngf": 4, "image_size": 32}, lambda g: torch.randn(4, g.z_dim), (4, 3, 32, 32)),
    "unet": ({"num_downs": 5, "ngf": 4}, lambda g: torch.randn(1, 3, 32, 32), (1, 3, 32, 32)),
    "unet_128": ({"ngf": 2}, lambda g: torch.randn(1, 3, 128, 128), (1, 3, 128, 128)),
    "unet_256": ({"ngf": 2}, lambda g: torch.randn(1, 3, 256, 256), (1, 3, 256, 256)),
    "unet_small": ({"ngf": 4}, lambda g: torch.randn(1, 3, 64, 64), (1, 3, 64, 64)),
}
_SMALL_DISCRIMINATORS = {
    "mlp": ({}, torch.randn(4, 2), (4,)),
    "dcgan": ({"ndf": 4, "image_size": 32}, torch.randn(4, 3, 32, 32), (4,)),
    "patchgan": ({"ndf": 4}, torch.randn(2, 3, 64, 64), (2, 1, 6, 6)),
    "basic": ({"ndf": 4}, torch.randn(2, 3, 64, 64), (2, 1, 6, 6)),
    "n_layers": ({"ndf": 4, "n_layers": 2}, torch.randn(2, 3, 64, 64), (2, 1, 14, 14)),
    "pixel": ({"ndf": 4}, torch.randn(2, 3, 8, 8), (2, 1, 8, 8)),
}


def test_registry_lists_every_name():
    assert set(GENERATOR_NAMES) == set(_SMALL_GENERATORS)
    assert set(DISCRIMINATOR_NAMES) == set(_SMALL_DISCRIMINATORS)


@pytest.mark.parametrize("name", list(_SMALL_GENERATORS))
def test_every_generator_builds_and_runs(name):
    kwargs, make_input, shape = _SMALL_GENERATORS[name]
    g = build_generator(name, **kwargs)
    with torch.no_grad():
        assert g(make_input(g)).shape == shape


@pytest.mark.parametrize("name", list(_SMALL_DISCRIMINATORS))
def test_every_discriminator_builds_and_runs(name):
    kwargs, x, shape = _SMALL_DISCRIMINATORS[name]
    with torch.no_grad():
        assert build_discriminator(name, **kwargs)(x).shape == shape


def test_registry_errors_name_the_culprit():
    with pytest.raises(ModelError, match=r"unknown generator 'stylegan'.*mlp, dcgan, unet"):
        build_generator("stylegan")
    with pytest.raises(ModelError, match=r"unknown discriminator 'resnet'.*patchgan.*pixel"):
        build_discriminator("resnet")
    with pytest.raises(ModelError, match=r"the dcgan generator does not take 'ndf'"):
        build_generator("dcgan", ndf=64)
    with pytest.raises(ModelError, match=r"the pixel discriminator does not take 'n_layers'"):
        build_discriminator("pixel", n_layers=3)
    with pytest.raises(ModelError, match=r"basic discriminator always has n_layers 3, got 5; use 'n_layers'"):
        build_discriminator("basic", n_layers=5)
    assert count_parameters(build_discriminator("basic", n_layers=3)) == count_parameters(
        build_discriminator("n_layers")
    )
    with pytest.raises(ModelError, match="image_size 32, 64, 128, got 96"):
        build_generator("dcgan", image_size=96)


def test_describe_reports_class_counts_and_shapes():
    g = build_generator("dcgan", ngf=4, image_size=32, n_classes=10)
    info = describe(g)
    assert info["class"] == "DCGANGenerator"
    assert info["parameters"] == sum(p.numel() for p in g.parameters()) == count_parameters(g)
    assert info["input_shape"] == [100] and info["output_shape"] == [3, 32, 32]
    assert info["z_dim"] == 100 and info["n_classes"] == 10

    d = build_discriminator("patchgan", input_nc=6, ndf=4)
    d.model[0].weight.requires_grad_(False)
    info = describe(d)
    assert info["input_shape"] == [6, None, None] and info["output_shape"] == [1, None, None]
    assert info["trainable_parameters"] == info["parameters"] - d.model[0].weight.numel()
    assert describe(build_generator("unet_small", ngf=4))["size_multiple"] == 64
    bigger = describe(build_generator("unet_small", ngf=4, num_downs=7))  # nominal size follows depth
    assert bigger["input_shape"] == [3, 128, 128]
