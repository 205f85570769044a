"""Our networks against the layouts of the reference programs.

The expected state-dict keys and shapes are rebuilt here from the layer recipes of pytorch/examples
dcgan and pytorch-CycleGAN-and-pix2pix (models/networks.py), independently of ganstudio's code, so
that a state dict saved by those programs loads with strict=True. Parameter totals are checked
against the numbers the reference prints ("[Network G] Total number of parameters : 54.414 M").
"""

import pytest
import torch
import torch.nn.functional as F

from ganstudio.core.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    NLayerDiscriminator,
    PixelDiscriminator,
    UnetGenerator,
    build_discriminator,
    build_generator,
    count_parameters,
)

# ------------------------------------------------------------------ recipes -> {key: shape}


def _conv(sd, key, c_in, c_out, k=4, bias=False, transposed=False):
    sd[f"{key}.weight"] = (c_in, c_out, k, k) if transposed else (c_out, c_in, k, k)
    if bias:
        sd[f"{key}.bias"] = (c_out,)


def _batch_norm(sd, key, c):
    for name in ("weight", "bias", "running_mean", "running_var"):
        sd[f"{key}.{name}"] = (c,)
    sd[f"{key}.num_batches_tracked"] = ()


def dcgan_generator_keys(nz=100, ngf=64, nc=3):
    """pytorch/examples dcgan Generator: main = [ConvT, BN, ReLU] x4 + [ConvT, Tanh]."""
    sd = {}
    widths = [nz, ngf * 8, ngf * 4, ngf * 2, ngf]
    for i in range(4):
        _conv(sd, f"main.{3 * i}", widths[i], widths[i + 1], transposed=True)
        _batch_norm(sd, f"main.{3 * i + 1}", widths[i + 1])
    _conv(sd, "main.12", ngf, nc, transposed=True)
    return sd


def dcgan_discriminator_keys(nc=3, ndf=64):
    """pytorch/examples dcgan Discriminator: Conv, LReLU, [Conv, BN, LReLU] x3, Conv(->1), Sigmoid."""
    sd = {}
    _conv(sd, "main.0", nc, ndf)
    widths = [ndf, ndf * 2, ndf * 4, ndf * 8]
    for i in range(3):
        _conv(sd, f"main.{2 + 3 * i}", widths[i], widths[i + 1])
        _batch_norm(sd, f"main.{3 + 3 * i}", widths[i + 1])
    _conv(sd, "main.11", ndf * 8, 1)
    return sd


def unet_keys(input_nc, output_nc, num_downs, ngf=64, norm="batch"):
    """pix2pix UnetGenerator: nested blocks, listed from the outermost (outer, inner) widths."""
    bias = norm == "instance"  # instance norm there has no affine weights and no running stats
    levels = [(output_nc, ngf), (ngf, ngf * 2), (ngf * 2, ngf * 4), (ngf * 4, ngf * 8)]
    levels += [(ngf * 8, ngf * 8)] * (num_downs - 4)  # middle blocks, then the innermost
    sd = {}
    prefix = "model"
    for depth, (outer, inner) in enumerate(levels):
        p = f"{prefix}.model"
        if depth == 0:  # [down conv, block, ReLU, up conv, Tanh]
            _conv(sd, f"{p}.0", input_nc, inner, bias=bias)
            _conv(sd, f"{p}.3", inner * 2, outer, bias=True, transposed=True)
            prefix = f"{p}.1"
        elif depth == len(levels) - 1:  # [LReLU, down conv, ReLU, up conv, norm]
            _conv(sd, f"{p}.1", outer, inner, bias=bias)
            _conv(sd, f"{p}.3", inner, outer, bias=bias, transposed=True)
            if norm == "batch":
                _batch_norm(sd, f"{p}.4", outer)
        else:  # [LReLU, down conv, norm, block, ReLU, up conv, norm, (Dropout)]
            _conv(sd, f"{p}.1", outer, inner, bias=bias)
            _conv(sd, f"{p}.5", inner * 2, outer, bias=bias, transposed=True)
            if norm == "batch":
                _batch_norm(sd, f"{p}.2", inner)
                _batch_norm(sd, f"{p}.6", outer)
            prefix = f"{p}.3"
    return sd


def n_layer_keys(input_nc, ndf=64, n_layers=3, norm="batch"):
    """pix2pix NLayerDiscriminator: Conv(bias), LReLU, [Conv, norm, LReLU] x n_layers, Conv(->1, bias)."""
    sd = {}
    _conv(sd, "model.0", input_nc, ndf, bias=True)
    width = ndf
    for n in range(1, n_layers + 1):
        new = ndf * min(2**n, 8)
        _conv(sd, f"model.{3 * n - 1}", width, new, bias=norm == "instance")
        if norm == "batch":
            _batch_norm(sd, f"model.{3 * n}", new)
        width = new
    _conv(sd, f"model.{3 * n_layers + 2}", width, 1, bias=True)
    return sd


def pixel_keys(input_nc, ndf=64):
    sd = {}
    _conv(sd, "net.0", input_nc, ndf, k=1, bias=True)
    _conv(sd, "net.2", ndf, ndf * 2, k=1)
    _batch_norm(sd, "net.3", ndf * 2)
    _conv(sd, "net.5", ndf * 2, 1, k=1)
    return sd


def n_parameters(keys):
    """Parameter count of a recipe: running statistics are buffers, not parameters."""
    total = 0
    for key, shape in keys.items():
        if key.rsplit(".", 1)[1] in ("weight", "bias"):
            total += torch.Size(shape).numel()
    return total


def random_state_dict(keys):
    sd = {}
    for key, shape in keys.items():
        if key.endswith("num_batches_tracked"):
            sd[key] = torch.tensor(7)
        elif key.endswith("running_var"):
            sd[key] = torch.rand(shape) + 0.5
        else:
            sd[key] = torch.randn(shape) * 0.05
    return sd


def assert_loads_strict(model, keys):
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == keys
    sd = random_state_dict(keys)
    model.load_state_dict(sd, strict=True)
    for key, value in model.state_dict().items():
        assert torch.equal(value, sd[key]), key


# ------------------------------------------------------------------ state dicts and counts


CASES = {
    "dcgan G 64": (lambda: DCGANGenerator(), dcgan_generator_keys()),
    "dcgan G 64 nz 64 ngf 32 gray": (lambda: DCGANGenerator(64, 32, 1), dcgan_generator_keys(64, 32, 1)),
    "dcgan D 64": (lambda: DCGANDiscriminator(), dcgan_discriminator_keys()),
    "unet_256 batch": (lambda: build_generator("unet_256"), unet_keys(3, 3, 8)),
    "unet_128 instance": (lambda: build_generator("unet_128", norm="instance"), unet_keys(3, 3, 7, norm="instance")),
    "unet 6 downs 5->3 dropout": (
        lambda: UnetGenerator(5, 3, 6, ngf=16, use_dropout=True),
        unet_keys(5, 3, 6, ngf=16),
    ),
    "basic D 6ch": (lambda: build_discriminator("basic", input_nc=6), n_layer_keys(6)),
    "n_layers 5 instance": (
        lambda: NLayerDiscriminator(3, 64, n_layers=5, norm="instance"),
        n_layer_keys(3, 64, 5, norm="instance"),
    ),
    "pixel D": (lambda: PixelDiscriminator(6), pixel_keys(6)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_reference_state_dict_loads_strict(case):
    make, keys = CASES[case]
    model = make()
    assert_loads_strict(model, keys)
    assert count_parameters(model) == n_parameters(keys)


def test_published_parameter_counts():
    # printed by pytorch-CycleGAN-and-pix2pix as "%.3f M" for pix2pix's default networks
    assert round(n_parameters(unet_keys(3, 3, 8)) / 1e6, 3) == 54.414
    assert round(n_parameters(n_layer_keys(6)) / 1e6, 3) == 2.769
    # pytorch/examples dcgan at its defaults (nz 100, ngf = ndf = 64, 3 channels), worked out by hand
    assert n_parameters(dcgan_generator_keys()) == 3_576_704
    assert n_parameters(dcgan_discriminator_keys()) == 2_765_568


def test_dcgan_parameter_count_by_formula():
    # ConvT weights 4x4 plus two BN vectors per hidden layer, no biases
    nz, ngf, nc = 100, 64, 3
    widths = [nz, 8 * ngf, 4 * ngf, 2 * ngf, ngf, nc]
    expected = sum(16 * a * b for a, b in zip(widths, widths[1:])) + sum(2 * c for c in widths[1:-1])
    assert count_parameters(DCGANGenerator()) == expected


# ------------------------------------------------------------------ same outputs as the reference maths


def _bn(x, sd, key):
    return F.batch_norm(x, sd[f"{key}.running_mean"], sd[f"{key}.running_var"], sd[f"{key}.weight"], sd[f"{key}.bias"])


def test_dcgan_forward_matches_reference_maths():
    g, d = DCGANGenerator(z_dim=8, ngf=4), DCGANDiscriminator(ndf=4)
    sd_g, sd_d = random_state_dict(dcgan_generator_keys(8, 4)), random_state_dict(dcgan_discriminator_keys(3, 4))
    g.load_state_dict(sd_g)
    d.load_state_dict(sd_d)
    g.eval(), d.eval()
    z = torch.randn(2, 8, 1, 1)
    h = z
    for i, (stride, pad) in enumerate([(1, 0), (2, 1), (2, 1), (2, 1)]):
        h = F.relu(_bn(F.conv_transpose2d(h, sd_g[f"main.{3 * i}.weight"], stride=stride, padding=pad), sd_g, f"main.{3 * i + 1}"))
    image = torch.tanh(F.conv_transpose2d(h, sd_g["main.12.weight"], stride=2, padding=1))
    assert torch.allclose(g(z), image, atol=1e-5)

    h = F.leaky_relu(F.conv2d(image, sd_d["main.0.weight"], stride=2, padding=1), 0.2)
    for i in range(3):
        h = F.leaky_relu(_bn(F.conv2d(h, sd_d[f"main.{2 + 3 * i}.weight"], stride=2, padding=1), sd_d, f"main.{3 + 3 * i}"), 0.2)
    logit = F.conv2d(h, sd_d["main.11.weight"]).flatten()  # the reference applies a sigmoid to this
    assert torch.allclose(d(image), logit, atol=1e-5)


def test_unet_forward_matches_reference_maths():
    ngf, num_downs = 2, 5
    keys = unet_keys(2, 1, num_downs, ngf=ngf)
    sd = random_state_dict(keys)
    g = UnetGenerator(2, 1, num_downs, ngf=ngf)
    g.load_state_dict(sd)
    g.eval()

    def block(x, p, depth):
        if depth == 0:
            inner = block(F.conv2d(x, sd[f"{p}.0.weight"], stride=2, padding=1), f"{p}.1.model", 1)
            return torch.tanh(F.conv_transpose2d(F.relu(inner), sd[f"{p}.3.weight"], sd[f"{p}.3.bias"], 2, 1))
        # the reference's in-place LeakyReLU also reaches the skip connection (harmless: ReLU follows)
        x = F.leaky_relu(x, 0.2)
        if depth == num_downs - 1:
            h = F.conv2d(x, sd[f"{p}.1.weight"], stride=2, padding=1)
            up = _bn(F.conv_transpose2d(F.relu(h), sd[f"{p}.3.weight"], stride=2, padding=1), sd, f"{p}.4")
        else:
            h = _bn(F.conv2d(x, sd[f"{p}.1.weight"], stride=2, padding=1), sd, f"{p}.2")
            inner = block(h, f"{p}.3.model", depth + 1)
            up = _bn(F.conv_transpose2d(F.relu(inner), sd[f"{p}.5.weight"], stride=2, padding=1), sd, f"{p}.6")
        return torch.cat([x, up], 1)

    x = torch.randn(2, 2, 32, 32)
    assert torch.allclose(g(x), block(x, "model.model", 0), atol=1e-5)
