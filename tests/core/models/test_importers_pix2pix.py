"""Importing U-Net generators saved by pytorch-CycleGAN-and-pix2pix.

The state dicts are made here from the reference's layer recipe (models/networks.py, UnetGenerator /
UnetSkipConnectionBlock), and the expected outputs come from a functional forward written from the same
recipe, independently of ganstudio's modules: the imported generator must give the same numbers, in the
deterministic eval mode and in the reference's own test mode (test.py without --eval never calls
model.eval(): batch norm uses the statistics of the single test image, dropout stays on).
"""

import os

import pytest
import torch
import torch.nn.functional as F
from foreign_reference import ReferenceWeights, reference_norm

from ganstudio.core.errors import CheckpointError
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.generators.reference_mode import dropout_keep_mask
from ganstudio.core.models.importers import import_pix2pix_generator

# ------------------------------------------------------------------ the reference recipe


def _widths(input_nc, output_nc, num_downs, ngf):
    """(outer, inner) channels per block, outermost first; the outermost also reads input_nc."""
    levels = [(output_nc, ngf), (ngf, ngf * 2), (ngf * 2, ngf * 4), (ngf * 4, ngf * 8)]
    return levels + [(ngf * 8, ngf * 8)] * (num_downs - 4)


def _prefix(depth):
    return "model.model" if depth == 0 else "model.model.1.model" + ".3.model" * (depth - 1)


def reference_state_dict(input_nc, output_nc, num_downs, ngf, norm, seed=0, old_instance_norm=False):
    """Random weights under the reference's names and shapes (BatchNorm with running statistics)."""
    levels = _widths(input_nc, output_nc, num_downs, ngf)
    w = ReferenceWeights(norm, seed, old_instance_norm)
    sd = w.sd

    def conv(key, c_in, c_out, transposed=False, with_bias=None):
        w.conv(key, c_out, c_in, 4, transposed, with_bias)

    norm_layer = w.norm_layer

    last = len(levels) - 1
    for depth, (outer, inner) in enumerate(levels):
        p = _prefix(depth)
        if depth == 0:
            conv(f"{p}.0", input_nc, inner)
            conv(f"{p}.3", inner * 2, outer, transposed=True, with_bias=True)
        elif depth == last:
            conv(f"{p}.1", outer, inner)
            conv(f"{p}.3", inner, outer, transposed=True)
            norm_layer(f"{p}.4", outer)
        else:
            conv(f"{p}.1", outer, inner)
            norm_layer(f"{p}.2", inner)
            conv(f"{p}.5", inner * 2, outer, transposed=True)
            norm_layer(f"{p}.6", outer)
    return sd


def reference_forward(sd, x, num_downs, ngf, norm, per_image_stats, dropout=None):
    """The reference UnetGenerator's forward, written out: returns (N, output_nc, H, W).

    per_image_stats: batch norm as in the reference's test phase (training-mode statistics of each image,
    the test batch size being 1) instead of the running statistics. dropout(h, index) is applied after
    the up-norm of the ngf*8 middle blocks (use_dropout), index counting them in module order
    (nn.Module.modules(): the innermost block's dropout comes first).
    """
    n_levels = num_downs

    def bn(h, key):
        return reference_norm(sd, h, key, norm, per_image_stats)

    def down(h, key):
        return F.conv2d(h, sd[f"{key}.weight"], sd.get(f"{key}.bias"), stride=2, padding=1)

    def up(h, key):
        return F.conv_transpose2d(h, sd[f"{key}.weight"], sd.get(f"{key}.bias"), stride=2, padding=1)

    def block(h, depth):
        p = _prefix(depth)
        if depth == 0:
            y = down(h, f"{p}.0")
            y = block(y, 1)
            return torch.tanh(up(F.relu(y), f"{p}.3"))
        skip = F.leaky_relu(h, 0.2)  # the reference's in-place LeakyReLU also changes the skip
        if depth == n_levels - 1:
            y = up(F.relu(down(skip, f"{p}.1")), f"{p}.3")
            return torch.cat([skip, bn(y, f"{p}.4")], 1)
        y = bn(down(skip, f"{p}.1"), f"{p}.2")
        y = block(y, depth + 1)
        y = bn(up(F.relu(y), f"{p}.5"), f"{p}.6")
        if dropout is not None and 4 <= depth <= n_levels - 2:
            y = dropout(y, n_levels - 2 - depth)
        return torch.cat([skip, y], 1)

    return block(x, 0)


# ------------------------------------------------------------------ tests


def test_unet_128_batch_norm_matches_the_reference_in_eval_and_test_modes(tmp_path):
    sd = reference_state_dict(3, 3, 7, ngf=4, norm="batch")
    path = tmp_path / "latest_net_G.pth"
    torch.save(sd, path)

    imported = import_pix2pix_generator(path, use_dropout=False)
    s = imported.settings
    assert (s["netG"], s["input_nc"], s["output_nc"], s["num_downs"], s["ngf"], s["norm"]) == \
        ("unet_128", 3, 3, 7, 4, "batch")

    model = open_generator(path)  # the Sketch area's way in; dropout assumed on (pix2pix default)
    assert model.source == "pix2pix-reference" and model.image_size == 128 and model.input_kind == "image"
    assert model.default_mode == "reference" and model.is_stochastic
    x = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(1)) * 2 - 1

    with torch.no_grad():
        expected_eval = reference_forward(sd, x, 7, 4, "batch", per_image_stats=False)
        expected_test = reference_forward(sd, x, 7, 4, "batch", per_image_stats=True)
        got_eval = imported.model(x)
    torch.testing.assert_close(got_eval, expected_eval, atol=2e-5, rtol=1e-4)
    torch.testing.assert_close(model.translate(x, mode="eval"), expected_eval, atol=2e-5, rtol=1e-4)

    # Reference test mode: per-image statistics, dropout on with each variant's own masks.
    seeds = [11, 12]

    def dropout(h, index):
        keep = torch.stack([dropout_keep_mask(seed, index, h.shape[1:], 0.5) for seed in seeds])
        return h * keep / 0.5

    with torch.no_grad():
        expected_test_dropout = reference_forward(sd, x, 7, 4, "batch", per_image_stats=True, dropout=dropout)
    got = model.translate(x, mode="reference", seeds=seeds)
    torch.testing.assert_close(got, expected_test_dropout, atol=2e-5, rtol=1e-4)
    # Without dropout the test mode differs from eval only through the batch-norm statistics.
    no_dropout = open_generator(path)
    for m in no_dropout.module.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    torch.testing.assert_close(no_dropout.translate(x, mode="reference"), expected_test, atol=2e-5, rtol=1e-4)
    assert (expected_test - expected_eval).abs().max() > 1e-3  # the two modes really differ

    # A variant depends on its seed only, not on the batch it was computed in; running stats untouched.
    alone = model.translate(x[1:], mode="reference", seeds=[12])
    torch.testing.assert_close(alone, got[1:], atol=2e-5, rtol=1e-4)
    assert not torch.allclose(model.translate(x[:1], mode="reference", seeds=[13]), got[:1])
    torch.testing.assert_close(model.translate(x, mode="eval"), expected_eval, atol=2e-5, rtol=1e-4)


def test_unet_256_old_instance_norm_file_imports_and_matches(tmp_path):
    sd = reference_state_dict(3, 3, 8, ngf=2, norm="instance", seed=5, old_instance_norm=True)
    stale = [k for k in sd if k.endswith(("running_mean", "running_var"))]
    assert stale  # the pre-0.4 keys the reference's __patch_instance_norm_state_dict removes
    path = tmp_path / "old_net_G.pth"
    torch.save({"module." + k: v for k, v in sd.items()}, path)  # saved from DataParallel, too

    imported = import_pix2pix_generator(path, use_dropout=False)
    s = imported.settings
    assert (s["netG"], s["num_downs"], s["ngf"], s["norm"], s["image_size"]) == ("unet_256", 8, 2, "instance", 256)
    assert sorted(s["dropped_keys"]) == sorted(stale)
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(2)) * 2 - 1
    with torch.no_grad():
        expected = reference_forward(sd, x, 8, 2, "instance", per_image_stats=True)
        got = imported.model(x)
    torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-4)


def test_a_state_dict_of_another_network_names_the_mismatching_keys(tmp_path):
    dcgan_d = {"main.0.weight": torch.zeros(64, 3, 4, 4), "main.2.weight": torch.zeros(128, 64, 4, 4),
               "main.3.weight": torch.zeros(128)}
    path = tmp_path / "netD.pth"
    torch.save(dcgan_d, path)
    with pytest.raises(CheckpointError, match=r"not a pix2pix U-Net generator.*main\.0\.weight"):
        import_pix2pix_generator(path)

    sd = reference_state_dict(3, 3, 7, ngf=4, norm="batch")
    sd["model.model.1.model.2.weight"] = torch.ones(99)  # a norm of the wrong width
    del sd["model.model.1.model.2.bias"]
    path = tmp_path / "broken_net_G.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError) as info:
        import_pix2pix_generator(path)
    text = str(info.value)
    assert "model.model.1.model.2.bias" in text and "model.model.1.model.2.weight" in text


class _Payload:
    """Unpickling this runs code (it would create a marker file)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_a_file_carrying_pickled_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil_net_G.pth"
    sd = reference_state_dict(3, 3, 7, ngf=4, norm="batch")
    sd["extra"] = _Payload(marker)
    with open(path, "wb") as fh:
        torch.save(sd, fh)
    with pytest.raises(CheckpointError, match="refused"):
        import_pix2pix_generator(path)
    with pytest.raises(CheckpointError, match="refused"):
        open_generator(path)
    assert not marker.exists()
    # The payload is real: an unsafe load would have run it.
    torch.load(path, weights_only=False)
    assert marker.exists()
    os.unlink(marker)
