"""The importers' reading of tensor names and shapes, value for value, and every refusal word for word, on state
dicts built in memory (no file, no forward pass: a fraction of a second). The forwards against independent
references are in test_importers_dcgan.py / _pix2pix.py / _resnet.py; these pin what the importers infer
(layouts, widths, norms, sizes) and what they say when a file does not fit."""

import json
from pathlib import Path

import pytest
import torch
from foreign_reference import PYTORCH_EXAMPLES, resnet_state, sequential_state

from ganstudio.core.checkpoint import ForeignWeights
from ganstudio.core.errors import CheckpointError
from ganstudio.core.models import importers as im
from ganstudio.core.models.unet import unet_128

P = Path("/nowhere/net.pth")  # the importers name the file by its name only


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckpointError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def conv(c_in, c_out, k=4):
    return torch.zeros(c_in, c_out, k, k)


def bn(c, stats=True, affine=True):
    out = {}
    if affine:
        out.update(weight=torch.ones(c), bias=torch.zeros(c))
    if stats:
        out.update(running_mean=torch.zeros(c), running_var=torch.ones(c))
    return out


def flat(layers: dict, prefix="main"):
    lead = f"{prefix}." if prefix else ""
    out = {}
    for index, leaves in layers.items():
        leaves = {"weight": leaves} if isinstance(leaves, torch.Tensor) else leaves
        for leaf, tensor in leaves.items():
            out[f"{lead}{index}.{leaf}"] = tensor
    return out


# --- small helpers -------------------------------------------------------------------------------------------


def test_first_tensors_names_three_and_counts_the_rest():
    state = {f"t{i}": torch.zeros(i + 1, 2) for i in range(5)}
    assert im._first_tensors({}) == "no tensors"
    assert im._first_tensors(dict(list(state.items())[:3])) == "t0 (1, 2), t1 (2, 2), t2 (3, 2)"
    assert im._first_tensors(state) == "t0 (1, 2), t1 (2, 2), t2 (3, 2) and 2 more"
    assert im._first_tensors(state, shown=1) == "t0 (1, 2) and 4 more"
    assert im._first_tensors({"s": torch.tensor(1.0)}) == "s ()"


def test_not_recognised_says_what_the_file_holds_word_for_word():
    tail = f"; GAN Studio opens {im.SUPPORTED_FOREIGN}."
    bare = ForeignWeights(state={"enc.w": torch.zeros(2, 3)})
    assert str(im._not_recognised(bare, P)) == (
        "net.pth holds no generator GAN Studio recognises: it has a state dict with tensors enc.w (2, 3)" + tail)
    keys = tuple(f"k{i}" for i in range(8))
    entry = ForeignWeights(state={"a": torch.zeros(1), "b": torch.zeros(2), "c": torch.zeros(3), "d": torch.zeros(4)},
                           entry="netG", outer_keys=keys)
    assert str(im._not_recognised(entry, P)) == (
        "net.pth holds no generator GAN Studio recognises: it has top-level keys k0, k1, k2, k3, k4, k5 and 2 more "
        "(the generator's weights taken from 'netG') with tensors a (1,), b (2,), c (3,) and 1 more" + tail)
    six = ForeignWeights(state={}, outer_keys=keys[:6])
    assert str(im._not_recognised(six, P)) == (
        "net.pth holds no generator GAN Studio recognises: it has top-level keys k0, k1, k2, k3, k4, k5 and no "
        "tensors" + tail)
    seven = ForeignWeights(state={}, outer_keys=keys[:7])
    assert "top-level keys k0, k1, k2, k3, k4, k5 and 1 more and no tensors;" in str(im._not_recognised(seven, P))


def test_detect_family_by_the_tensor_names():
    assert im.detect_family({"model.10.conv_block.1.weight": torch.zeros(1)}) == "resnet"
    assert im.detect_family({"model.model.0.weight": torch.zeros(1)}) == "unet"
    assert im.detect_family({"main.0.weight": torch.zeros(1)}) == "sequential"
    assert im.detect_family({"0.weight": torch.zeros(1), "3.bias": torch.zeros(1)}) == "sequential"
    assert im.detect_family({"fc.weight": torch.zeros(1)}) is None
    assert im.detect_family({"a.0.weight": torch.zeros(1), "b.0.weight": torch.zeros(1)}) is None  # two prefixes


def test_class_counts_are_whole_numbers_within_the_limit():
    assert im._check_class_count(None, P) == 0
    assert im._check_class_count(0, P) == 0 and im._check_class_count(100_000, P) == 100_000
    for bad in (-1, 100_001, 2.0, True, "3"):
        assert refused(im._check_class_count, bad, P) == (
            f"the class count for net.pth must be a whole number from 0 to 100000, not {bad!r}.")


# --- DCGAN-style Sequential layouts ---------------------------------------------------------------------------


def test_the_pytorch_examples_layout_is_read_exactly():
    state = sequential_state(PYTORCH_EXAMPLES, 12, [16, 8, 8, 4, 3])
    s = im._sequential_layout(dict(state), P, 2)
    assert s == {
        "family": "sequential", "nz": 10, "ngf": 4, "nc": 3, "image_size": 64, "n_classes": 2, "prefix": "main",
        "pytorch_examples_layout": True,
        "layers": [["convt", 12, 16, 4, 1, 0, False], ["bn", 16, True, True], ["relu"],
                   ["convt", 16, 8, 4, 2, 1, False], ["bn", 8, True, True], ["relu"],
                   ["convt", 8, 8, 4, 2, 1, False], ["bn", 8, True, True], ["relu"],
                   ["convt", 8, 4, 4, 2, 1, False], ["bn", 4, True, True], ["relu"],
                   ["convt", 4, 3, 4, 2, 1, False], ["tanh"]]}
    assert im.describe_sequential(s) == "5 ConvTranspose2d, 4 BatchNorm2d"


@pytest.mark.parametrize("layout,widths,size", [("CBR" * 3 + "CT", [8, 4, 4, 3], 32), ("CBR" * 5 + "CT", [8] * 5 + [3], 128),
                                                ("CBR" * 6 + "CT", [8] * 6 + [1], 256)])
def test_the_number_of_convolutions_gives_the_image_size(layout, widths, size):
    s = im._sequential_layout(sequential_state(layout, 6, widths), P, 0)
    assert s["image_size"] == size and s["nc"] == widths[-1] and s["pytorch_examples_layout"] is True


def test_variants_of_the_recipe_are_read_and_are_not_the_pytorch_examples_layout():
    # Dropout after each block, no prefix, biases on the convolutions, a BatchNorm without affine weights.
    s = im._sequential_layout(sequential_state("CBRD" * 3 + "CT", 6, [8, 4, 4, 3], prefix=""), P, 0)
    assert s["prefix"] == "" and s["pytorch_examples_layout"] is False
    assert [spec[0] for spec in s["layers"]] == ["convt", "bn", "relu", "identity"] * 3 + ["convt", "tanh"]
    assert im.describe_sequential(s) == "4 ConvTranspose2d, 3 BatchNorm2d, 3 parameter-free extra layers"
    biased = im._sequential_layout(sequential_state(PYTORCH_EXAMPLES, 6, [8, 4, 4, 4, 3], conv_bias=True), P, 0)
    assert biased["layers"][0] == ["convt", 6, 8, 4, 1, 0, True] and biased["pytorch_examples_layout"] is False
    other_prefix = im._sequential_layout(sequential_state(PYTORCH_EXAMPLES, 6, [8, 4, 4, 4, 3], prefix="net"), P, 0)
    assert other_prefix["prefix"] == "net" and other_prefix["pytorch_examples_layout"] is False
    # No BatchNorm after the first convolution: a ReLU straight after it; stats without affine weights.
    layers = {0: conv(6, 8), 2: conv(8, 4), 3: bn(4, affine=False), 5: conv(4, 4), 6: bn(4, stats=False),
              8: conv(4, 3)}
    s = im._sequential_layout(flat(layers), P, 0)
    assert s["layers"] == [["convt", 6, 8, 4, 1, 0, False], ["relu"], ["convt", 8, 4, 4, 2, 1, False],
                           ["bn", 4, False, True], ["relu"], ["convt", 4, 4, 4, 2, 1, False], ["bn", 4, True, False],
                           ["relu"], ["convt", 4, 3, 4, 2, 1, False], ["tanh"]]
    assert s["pytorch_examples_layout"] is False and s["ngf"] == 4 and s["nz"] == 6
    # Two parameter-free layers after a block: a ReLU, then an identity; none after the last convolution.
    layers = {0: conv(6, 8), 3: conv(8, 4), 6: conv(4, 4), 9: conv(4, 3)}
    s = im._sequential_layout(flat(layers), P, 0)
    assert [x[0] for x in s["layers"]] == ["convt", "relu", "identity"] * 3 + ["convt", "tanh"]
    trailing = {0: conv(6, 8), 2: conv(8, 4), 4: conv(4, 4), 6: conv(4, 3)}
    s = im._sequential_layout(flat(trailing), P, 0)
    assert [x[0] for x in s["layers"]] == ["convt", "relu"] * 3 + ["convt", "tanh"]


def test_a_bias_only_batchnorm_and_one_with_running_variance_only_are_batchnorms():
    layers = {0: conv(6, 8), 1: {"bias": torch.zeros(8), "running_mean": torch.zeros(8)}, 3: conv(8, 4),
              4: {"running_var": torch.ones(4)}, 6: conv(4, 4), 9: conv(4, 3)}
    s = im._sequential_layout(flat(layers), P, 0)
    assert s["layers"][1] == ["bn", 8, True, True] and s["layers"][4] == ["bn", 4, False, True]


def test_sequential_refusals_word_for_word():
    def layout(layers, prefix="main", classes=0):
        return refused(im._sequential_layout, flat(layers, prefix), P, classes)

    assert refused(im._sequential_layout, {"fc.weight": torch.zeros(2, 2), "fc.bias": torch.zeros(2)}, P, 0) == (
        "net.pth is not a DCGAN-style Sequential generator: its tensors are not named <index>.weight of one "
        "nn.Sequential (found fc.weight (2, 2), fc.bias (2,)).")
    assert layout({256: conv(4, 3)}) == "net.pth numbers a layer main.256; a generator has at most 256 layers."
    assert layout({256: conv(4, 3)}, prefix="") == "net.pth numbers a layer 256; a generator has at most 256 layers."
    assert layout({0: conv(6, 8), 1: torch.zeros(3, 8)}) == (
        "net.pth has a Linear layer at main.1 (8 -> 3); GAN Studio rebuilds Sequential generators of ConvTranspose2d "
        "and BatchNorm2d layers only.")
    assert layout({0: conv(6, 8), 1: {"bias": torch.zeros(8)}}) == (
        "net.pth has a layer at main.1 (main.1.bias (8,)) that is neither a ConvTranspose2d nor a BatchNorm2d.")
    assert layout({0: torch.zeros(2, 2, 2)}, prefix="") == (
        "net.pth has a layer at 0 (0.weight (2, 2, 2)) that is neither a ConvTranspose2d nor a BatchNorm2d.")
    assert layout({0: bn(4)}) == (
        "net.pth has no convolutions (main.0.weight (4,), main.0.bias (4,), main.0.running_mean (4,) and 1 more).")
    netd = {0: torch.zeros(8, 3, 4, 4), 2: torch.zeros(16, 8, 4, 4), 4: torch.zeros(1, 16, 4, 4)}
    assert layout(netd) == ("net.pth looks like a DCGAN discriminator (netD): its last convolution main.4.weight "
                            "(1, 16, 4, 4) gives 1 channel from 16.")
    encoder = {0: torch.zeros(8, 3, 4, 4), 2: torch.zeros(16, 8, 4, 4), 4: torch.zeros(32, 16, 4, 4),
               6: torch.zeros(64, 32, 4, 4), 8: torch.zeros(128, 64, 4, 4)}
    assert layout(encoder) == (
        "net.pth looks like a discriminator or an encoder, not a generator: its convolutions chain as Conv2d layers "
        "(main.0.weight (8, 3, 4, 4), main.2.weight (16, 8, 4, 4), main.4.weight (32, 16, 4, 4), main.6.weight "
        "(64, 32, 4, 4)).")
    assert layout({0: conv(6, 8), 2: conv(8, 4, 3), 4: conv(4, 4), 6: conv(4, 3)}) == (
        "net.pth has a 3x3 kernel at main.2; the DCGAN recipe (4x4 kernels, stride 1 then 2) is the one GAN Studio "
        "rebuilds.")
    assert layout({0: torch.zeros(6, 8, 4, 5), 2: conv(8, 4), 4: conv(4, 4), 6: conv(4, 3)}) == (
        "net.pth has a 4x5 kernel at main.0; the DCGAN recipe (4x4 kernels, stride 1 then 2) is the one GAN Studio "
        "rebuilds.")
    assert layout({0: conv(6, 8), 2: conv(8, 4), 4: conv(4, 3)}) == (
        "net.pth has 3 transposed convolutions (main.0.weight (6, 8, 4, 4), main.2.weight (8, 4, 4, 4), "
        "main.4.weight (4, 3, 4, 4)); GAN Studio imports DCGAN generators with 4 to 7 of them (32 to 256 pixels).")
    eight = {2 * i: conv(4, 4) for i in range(7)} | {14: conv(4, 3)}
    assert "has 8 transposed convolutions" in layout(eight)
    assert layout({0: bn(4), 1: conv(6, 8), 3: conv(8, 4), 5: conv(4, 4), 7: conv(4, 3)}) == (
        "net.pth has a BatchNorm2d at main.0 that follows no transposed convolution.")
    assert layout({0: conv(6, 8), 1: bn(8), 2: bn(8), 4: conv(8, 4), 6: conv(4, 4), 8: conv(4, 3)}) == (
        "net.pth has a BatchNorm2d at main.2 that follows no transposed convolution.")
    four = {0: conv(6, 8), 2: conv(8, 4), 4: conv(4, 4), 6: conv(4, 3)}
    assert layout(four, classes=6) == ("net.pth takes 6 input channels, so it cannot have 6 classes concatenated to z "
                                       "(z would have no channels left).")
    assert im._sequential_layout(flat(four), P, 5)["nz"] == 1
    # A last convolution with one output channel from 1 or 3 in-channels is a generator's, not a critic's.
    gray = {0: conv(6, 8), 2: conv(8, 4), 4: conv(4, 3), 6: torch.zeros(3, 1, 4, 4)}
    assert im._sequential_layout(flat(gray), P, 0)["nc"] == 1
    # Channel counts that do not chain as a generator's are left to the strict load (named there).
    odd = {0: conv(6, 8), 2: conv(7, 4), 4: conv(4, 4), 6: conv(4, 3)}
    assert im._sequential_layout(flat(odd), P, 0)["layers"][0] == ["convt", 6, 7, 4, 1, 0, False]


def test_index_255_is_the_last_layer_accepted():
    layers = {0: conv(6, 8), 2: conv(8, 4), 4: conv(4, 4), 255: conv(4, 3)}
    s = im._sequential_layout(flat(layers), P, 0)
    assert len(s["layers"]) == 257 and s["layers"][-1] == ["tanh"]


# --- pix2pix U-Nets ----------------------------------------------------------------------------------------


def test_unet_shapes_are_read_from_the_tensors():
    state = unet_128(2, 1, ngf=3, norm="batch", use_dropout=False).state_dict()
    assert im._pix2pix_shape(state, P) == {"family": "unet", "input_nc": 2, "output_nc": 1, "num_downs": 7, "ngf": 3,
                                           "norm": "batch", "netG": "unet_128", "image_size": 128}
    inst = unet_128(3, 3, ngf=2, norm="instance", use_dropout=False).state_dict()
    assert im._pix2pix_shape(inst, P)["norm"] == "instance"
    from ganstudio.core.models.unet import UnetGenerator

    for downs, name in ((5, "unet (num_downs 5)"), (8, "unet_256"), (10, "unet (num_downs 10)")):
        state = UnetGenerator(3, 3, downs, 1, "batch", use_dropout=False, image_size=2**downs).state_dict()
        shape = im._pix2pix_shape(state, P)
        assert (shape["num_downs"], shape["netG"], shape["image_size"]) == (downs, name, 2**downs)


def test_unet_refusals_word_for_word():
    assert refused(im._pix2pix_shape, {"x": torch.zeros(2)}, P) == (
        "net.pth is not a pix2pix U-Net generator: it lacks model.model.0.weight and model.model.3.weight (found "
        "x (2,)).")
    flat_first = {"model.model.0.weight": torch.zeros(4), "model.model.3.weight": torch.zeros(4, 3, 4, 4)}
    assert "is not a pix2pix U-Net generator" in refused(im._pix2pix_shape, flat_first, P)
    flat_last = {"model.model.0.weight": torch.zeros(4, 3, 4, 4), "model.model.3.weight": torch.zeros(4)}
    assert "is not a pix2pix U-Net generator" in refused(im._pix2pix_shape, flat_last, P)
    for alone in ("model.model.0.weight", "model.model.3.weight"):
        assert refused(im._pix2pix_shape, {alone: torch.zeros(4, 3, 4, 4)}, P) == (
            "net.pth is not a pix2pix U-Net generator: it lacks model.model.0.weight and model.model.3.weight (found "
            f"{alone} (4, 3, 4, 4)).")
    shallow = {"model.model.0.weight": torch.zeros(4, 3, 4, 4), "model.model.3.weight": torch.zeros(8, 3, 4, 4)}
    assert refused(im._pix2pix_shape, shallow, P) == (
        "net.pth nests 1 U-Net blocks; pix2pix U-Nets have 5 to 10 (unet_128 has 7, unet_256 8).")
    for depth in range(1, 4):
        shallow[im._unet_block_prefix(depth) + "1.weight"] = torch.zeros(1)
    assert refused(im._pix2pix_shape, shallow, P) == (
        "net.pth nests 4 U-Net blocks; pix2pix U-Nets have 5 to 10 (unet_128 has 7, unet_256 8).")
    deep = dict(shallow)
    for depth in range(4, 20):
        deep[im._unet_block_prefix(depth) + "1.weight"] = torch.zeros(1)
    assert refused(im._pix2pix_shape, deep, P) == (
        "net.pth nests 17 U-Net blocks; pix2pix U-Nets have 5 to 10 (unet_128 has 7, unet_256 8).")
    assert im._unet_block_prefix(0) == "model.model."
    assert im._unet_block_prefix(1) == "model.model.1.model."
    assert im._unet_block_prefix(3) == "model.model.1.model.3.model.3.model."


# --- CycleGAN ResNets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm,expected", [("batch", "batch"), ("instance", "instance")])
def test_resnet_shapes_are_read_from_the_tensors(norm, expected):
    state = resnet_state(input_nc=2, output_nc=1, ngf=3, n_blocks=6, norm=norm, dropout=True)
    assert im._resnet_shape(state, P) == {
        "family": "resnet", "input_nc": 2, "output_nc": 1, "ngf": 3, "n_blocks": 6, "n_downsampling": 2,
        "norm": expected, "use_dropout": True, "use_bias": norm == "instance", "netG": "resnet_6blocks",
        "image_size": 256, "size_multiple": 4}
    nine = im._resnet_shape(resnet_state(ngf=2, n_blocks=9, norm=norm, dropout=False), P)
    assert (nine["n_blocks"], nine["netG"], nine["use_dropout"]) == (9, "resnet_9blocks", False)
    three = im._resnet_shape(resnet_state(ngf=2, n_blocks=3, norm=norm), P)
    assert three["netG"] == "resnet (3 blocks)"


def test_resnet_norms_are_told_apart_by_the_stem_norm():
    state = resnet_state(ngf=2, n_blocks=6, norm="batch")
    affine = {k: v for k, v in state.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert im._resnet_shape(affine, P)["norm"] == "instance-affine"
    stats_only = {k: v for k, v in state.items() if not (k.startswith("model.2.") and k.endswith(("weight", "bias")))}
    assert im._resnet_shape(stats_only, P)["norm"] == "instance"
    # Dropout: a 4-D weight at conv_block.6; a batch norm's 1-D weight there (no dropout) is not one.
    assert im._resnet_shape(resnet_state(ngf=2, n_blocks=6, norm="batch", dropout=False), P)["use_dropout"] is False
    assert im._is_conv(None) is False and im._is_conv(torch.zeros(2)) is False and im._is_conv(torch.zeros(1, 1, 1, 1))


def test_resnet_refusals_word_for_word():
    start = ("net.pth is not a CycleGAN ResNet generator: it lacks the 7x7 model.1.weight and model.N.conv_block "
             "layers (found ")
    assert refused(im._resnet_shape, {"x": torch.zeros(1)}, P) == start + "x (1,))."
    no_blocks = {"model.1.weight": torch.zeros(4, 3, 7, 7)}
    assert refused(im._resnet_shape, no_blocks, P) == start + "model.1.weight (4, 3, 7, 7))."
    wrong_stem = {"model.1.weight": torch.zeros(4, 3, 3, 3), "model.10.conv_block.1.weight": torch.zeros(1)}
    assert refused(im._resnet_shape, wrong_stem, P).startswith(start)
    flat_stem = {"model.1.weight": torch.zeros(4, 3, 7), "model.10.conv_block.1.weight": torch.zeros(1)}
    assert refused(im._resnet_shape, flat_stem, P).startswith(start)
    stem = torch.zeros(4, 3, 7, 7)
    for blocks in ([11, 12], [3, 4], [10, 12], [25, 26]):
        state = {"model.1.weight": stem} | {f"model.{b}.conv_block.1.weight": torch.zeros(1) for b in blocks}
        assert refused(im._resnet_shape, state, P) == (
            f"net.pth has residual blocks at model.{', model.'.join(map(str, blocks))}, where the reference's "
            "ResnetGenerator has them one after another after its stride-2 convolutions.")
    many = {"model.1.weight": stem} | {f"model.{b}.conv_block.1.weight": torch.zeros(1) for b in (10, 11, 12, 14, 15)}
    assert "at model.10, model.11, model.12, model.14, where" in refused(im._resnet_shape, many, P)
    # 0 and 6 down-samplings are read; the output convolution must sit where they put it.
    for n_down in (0, 6):
        first = 4 + 3 * n_down
        state = {"model.1.weight": stem, f"model.{first}.conv_block.1.weight": torch.zeros(1)}
        out_index = first + 1 + 3 * n_down + 1
        assert refused(im._resnet_shape, state, P) == (
            f"net.pth lacks the output convolution model.{out_index}.weight that 1 residual blocks and {n_down} "
            "down-samplings put there.")
        state[f"model.{out_index}.weight"] = torch.zeros(3, 4, 7, 7)
        shape = im._resnet_shape(state, P)
        assert (shape["n_downsampling"], shape["size_multiple"], shape["output_nc"]) == (n_down, 2**n_down, 3)
    state = {"model.1.weight": stem, "model.4.conv_block.1.weight": torch.zeros(1), "model.6.weight": torch.zeros(3)}
    assert "lacks the output convolution model.6.weight" in refused(im._resnet_shape, state, P)


# --- converted files -----------------------------------------------------------------------------------------


def description(**changes):
    d = {"format": "ganstudio-imported-generator", "format_version": 1, "family": "unet", "hints": {"use_dropout": True},
         "architecture": {"image_size": 128}, "imported_from": "a.pth", "entry": None, "program": "p"}
    d.update(changes)
    return {im.IMPORT_META_KEY: json.dumps(d)}


def test_a_converted_files_description_is_checked_field_by_field_word_for_word():
    assert im.read_import_description({}, P) is None
    assert im.read_import_description({"other": "x"}, P) is None
    good = im.read_import_description(description(), P)
    assert good["family"] == "unet" and good["architecture"] == {"image_size": 128}

    def damaged(meta):
        return refused(im.read_import_description, meta, P)

    start = "net.pth is damaged: its import description "
    assert damaged({im.IMPORT_META_KEY: "[1]"}) == start + "is not a ganstudio-imported-generator object."
    assert damaged(description(format="x")) == start + "is not a ganstudio-imported-generator object."
    assert damaged(description(format_version=2)) == start + "has version 2, where this GAN Studio reads 1."
    assert damaged(description(format_version=None)) == start + "has version None, where this GAN Studio reads 1."
    assert damaged(description(family="x" * 50)) == (
        start + f"names the family {'x' * 40!r}, not one of sequential, unet, resnet, stylegan2, stylegan3.")
    for family in ("sequential", "resnet", "stylegan2", "stylegan3"):
        assert im.read_import_description(description(family=family), P)["family"] == family
    for hints in ("x", {"other": 1}, {"class_count": -1}, {"class_count": True}, {"class_count": 100_001},
                  {"class_count": 1.0}, {"use_dropout": 1}):
        assert damaged(description(hints=hints)) == start + "has invalid hints."
    for hints in ({}, {"class_count": 0}, {"class_count": 100_000}, {"use_dropout": False}):
        assert im.read_import_description(description(hints=hints), P)["hints"] == hints
    assert damaged(description(architecture=[1])) == start + "has no architecture."
    for size in (7, 4097, True, "64", None, 64.0):
        assert damaged(description(architecture={"image_size": size})) == (
            start + f"gives an image size of {str(size)[:20]}, not a whole number from 8 to 4096.")
    assert damaged(description(architecture={"image_size": "9" * 30})) == (
        start + f"gives an image size of {'9' * 20}, not a whole number from 8 to 4096.")
    for size in (8, 4096):
        assert im.read_import_description(description(architecture={"image_size": size}), P)
    for key in ("imported_from", "entry", "program"):
        assert damaged(description(**{key: 5})) == start + f"has a {key} that is not text."
        assert im.read_import_description(description(**{key: None}), P)
    with pytest.raises(CheckpointError, match="^The import description of /nowhere/net.pth is not valid JSON"):
        im.read_import_description({im.IMPORT_META_KEY: "{not json"}, P)
    # At most 1 MiB of description is read.
    big = description(program="x" * (1 << 20))
    with pytest.raises(CheckpointError, match="^The import description of /nowhere/net.pth"):
        im.read_import_description(big, P)
    assert im.read_import_description(description(program="x" * ((1 << 20) - 300)), P)


def _converted(tmp_path, family: str):
    """A small file of the family converted by `ganstudio import`'s engine, and its description."""
    from safetensors import safe_open

    source = tmp_path / "src.pth"
    if family == "sequential":
        torch.save({"netG": sequential_state(PYTORCH_EXAMPLES, 8, [8, 4, 4, 4, 3]), "epoch": 3}, source)
        imported = im.import_foreign_generator(source, class_count=2)
    elif family == "unet":
        torch.save(unet_128(3, 3, ngf=1, norm="batch", use_dropout=False).state_dict(), source)
        imported = im.import_pix2pix_generator(source, use_dropout=False, image_size=256)
    else:
        torch.save(resnet_state(ngf=1, n_blocks=2, norm="instance"), source)
        imported = im.import_resnet_generator(source, image_size=96)
    out = im.export_imported(imported, tmp_path / "model.safetensors")
    with safe_open(str(out), framework="pt") as fh:
        meta = json.loads(fh.metadata()[im.IMPORT_META_KEY])
    return imported, out, meta


def _rewrite(out, meta):
    from safetensors.torch import load_file
    from safetensors.torch import save as st_save_bytes

    out.write_bytes(st_save_bytes(load_file(str(out)), metadata={im.IMPORT_META_KEY: json.dumps(meta)}))


@pytest.mark.parametrize("family", ["sequential", "unet", "resnet"])
def test_a_converted_file_opens_as_the_network_it_describes(tmp_path, family):
    from ganstudio import __version__

    imported, out, meta = _converted(tmp_path, family)
    assert meta == {"format": "ganstudio-imported-generator", "format_version": 1, "family": family,
                    "program": imported.program, "architecture": imported.architecture, "hints": imported.hints,
                    "imported_from": "src.pth", "entry": "netG" if family == "sequential" else None,
                    "ganstudio_version": __version__}
    back = im.import_foreign_generator(out)
    assert back.architecture == imported.architecture and back.hints == imported.hints
    assert back.converted_from == "src.pth" and back.entry == meta["entry"] and back.program == imported.program
    assert all(torch.equal(a, b) for a, b in zip(back.model.state_dict().values(),
                                                 imported.model.state_dict().values()))
    assert not back.model.training
    # Converting the converted file again keeps the name of the original file.
    again = im.export_imported(back, tmp_path / "again.safetensors")
    assert im.import_foreign_generator(again).converted_from == "src.pth"


def test_a_converted_file_keeps_its_class_count_and_its_sizes(tmp_path):
    imported, out, meta = _converted(tmp_path, "sequential")
    assert im.import_foreign_generator(out).hints == {"class_count": 2}
    assert im.import_foreign_generator(out, class_count=2).settings["n_classes"] == 2
    assert refused(im.import_foreign_generator, out, class_count=3) == (
        "model.safetensors was converted with 2 classes; give that class count or none.")
    assert refused(im.import_foreign_generator, out, class_count=0) == (
        "model.safetensors was converted with 2 classes; give that class count or none.")
    meta["hints"] = {}
    meta["architecture"]["n_classes"] = 0
    meta["architecture"]["nz"] = 8
    _rewrite(out, meta)
    assert im.import_foreign_generator(out).settings["n_classes"] == 0  # no hint: no classes
    _, unet_out, _ = _converted(tmp_path, "unet")
    back = im.import_foreign_generator(unet_out)
    assert back.settings["image_size"] == 256 and back.settings["use_dropout"] is False
    _, resnet_out, _ = _converted(tmp_path, "resnet")
    assert im.import_foreign_generator(resnet_out).settings["image_size"] == 96


@pytest.mark.parametrize("family,name", [("sequential", "sequential"), ("unet", "unet_128"), ("resnet", "resnet (2 blocks)")])
def test_a_converted_file_whose_tensors_make_another_network_is_damaged(tmp_path, family, name):
    imported, out, meta = _converted(tmp_path, family)
    meta["architecture"]["ngf"] = 99
    _rewrite(out, meta)
    assert refused(im.import_foreign_generator, out) == (
        f"model.safetensors is damaged: its tensors make a {name} network other than the one its import "
        "description names.")


def test_class_counts_for_generators_that_take_no_labels_are_refused(tmp_path):
    torch.save(resnet_state(ngf=1, n_blocks=2, norm="instance"), tmp_path / "r.pth")
    torch.save(unet_128(3, 3, ngf=1, norm="batch", use_dropout=False).state_dict(), tmp_path / "u.pth")
    for name in ("r.pth", "u.pth"):
        assert refused(im.import_foreign_generator, tmp_path / name, class_count=4) == (
            f"{name} is an image-to-image generator; it takes no class labels, so a class count does not apply to it.")
        assert im.import_foreign_generator(tmp_path / name, class_count=0).family in ("resnet", "unet")
    torch.save({"fc.weight": torch.zeros(2, 2)}, tmp_path / "x.pth")
    assert refused(im.import_foreign_generator, tmp_path / "x.pth").startswith(
        "x.pth holds no generator GAN Studio recognises: it has a state dict with tensors fc.weight (2, 2); ")
    torch.save({"epoch": 1}, tmp_path / "e.pth")
    assert refused(im.import_foreign_generator, tmp_path / "e.pth").startswith(
        "e.pth holds no generator GAN Studio recognises: it has top-level keys epoch and no tensors; ")


def test_the_reference_state_fix_drops_old_instance_norm_statistics_and_fills_counters():
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 1), torch.nn.InstanceNorm2d(2), torch.nn.BatchNorm2d(2))
    state = {k: v.clone() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    state |= {"1.running_mean": torch.zeros(2), "1.running_var": torch.ones(2), "1.num_batches_tracked": torch.tensor(3)}
    dropped = im._fit_reference_state(net, state)
    assert dropped == ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert set(state) == set(net.state_dict()) and torch.equal(state["2.num_batches_tracked"], torch.tensor(0))
    # Statistics of a layer that is not an instance norm, or names the module has, are left to the strict load.
    extra = {"0.running_mean": torch.zeros(2), "2.num_batches_tracked": torch.tensor(7)}
    assert im._fit_reference_state(net, extra) == [] and set(extra) == {"0.running_mean", "2.num_batches_tracked"}
    assert torch.equal(extra["2.num_batches_tracked"], torch.tensor(7))
    tracked = torch.nn.Sequential(torch.nn.InstanceNorm2d(2, track_running_stats=True))
    own = {k: v.clone() for k, v in tracked.state_dict().items()}
    assert im._fit_reference_state(tracked, own) == []  # the module has them: kept


def test_imported_model_properties():
    model = im.ImportedModel(model=torch.nn.Linear(1, 1), program="p", path=P,
                             settings={"family": "unet", "ngf": 2, "dropped_keys": ["x"]})
    assert model.family == "unet" and model.architecture == {"family": "unet", "ngf": 2}
    assert im.ImportedModel(model=torch.nn.Linear(1, 1), program="p", path=P).family == ""



def test_the_pix2pix_and_resnet_importers_take_the_state_given_and_name_their_program():
    state = unet_128(3, 3, ngf=1, norm="batch", use_dropout=True).state_dict()
    nowhere = Path("/nowhere/latest_net_G.pth")  # with a state given, the file is not read
    imported = im.import_pix2pix_generator(nowhere, state=dict(state), image_size=256)
    assert imported.program == "pytorch-CycleGAN-and-pix2pix" and imported.model.image_size == 256
    assert imported.settings["use_dropout"] is True and imported.hints == {"use_dropout": True}
    assert im.import_pix2pix_generator(nowhere, state=dict(state)).model.image_size == 128
    assert refused(im.import_pix2pix_generator, nowhere, state=dict(state), image_size=64) == (
        "latest_net_G.pth cannot be rebuilt as a pix2pix U-Net (the U-Net with num_downs=7 needs height and width "
        "divisible by 128, got 64x64.)")
    short = dict(state)
    short.pop("model.model.0.bias", None)
    short.pop("model.model.1.model.1.weight")
    assert refused(im.import_pix2pix_generator, nowhere, state=short) == (
        "pix2pix U-Net generator weights in /nowhere/latest_net_G.pth do not match the model: missing 1 "
        "(model.model.1.model.1.weight).")
    resnet = resnet_state(ngf=1, n_blocks=2, norm="instance")
    r = im.import_resnet_generator(Path("/nowhere/latest_net_G_A.pth"), state=dict(resnet))
    assert r.program == "pytorch-CycleGAN-and-pix2pix" and r.settings["dropped_keys"] == []
    assert refused(im.import_resnet_generator, Path("/nowhere/g.pth"), state={"x": torch.zeros(1)}) == (
        "g.pth is not a CycleGAN ResNet generator: it lacks the 7x7 model.1.weight and model.N.conv_block layers "
        "(found x (1,)).")
    wrong = dict(resnet) | {"model.4.bias": torch.zeros(3)}
    assert refused(im.import_resnet_generator, Path("/nowhere/g.pth"), state=wrong).startswith(
        "CycleGAN ResNet generator weights in /nowhere/g.pth do not match the model: wrong shape 1 (")


def test_eleven_unet_blocks_are_refused():
    state = {"model.model.0.weight": torch.zeros(4, 3, 4, 4), "model.model.3.weight": torch.zeros(8, 3, 4, 4)}
    for depth in range(1, 11):
        state[im._unet_block_prefix(depth) + "1.weight"] = torch.zeros(1)
    assert refused(im._pix2pix_shape, state, P) == (
        "net.pth nests 11 U-Net blocks; pix2pix U-Nets have 5 to 10 (unet_128 has 7, unet_256 8).")


def test_a_converted_file_without_hints_takes_the_defaults(tmp_path):
    from safetensors import safe_open

    _, out, meta = _converted(tmp_path, "unet")
    with safe_open(str(out), framework="pt") as fh:
        raw = fh.metadata()[im.IMPORT_META_KEY]
    assert raw == json.dumps(json.loads(raw), sort_keys=True)  # sorted keys: the same network, the same bytes
    meta["hints"] = {}
    meta["architecture"]["use_dropout"] = True  # pix2pix trains with dropout unless told otherwise
    _rewrite(out, meta)
    assert im.import_foreign_generator(out).settings["use_dropout"] is True
    _, out, meta = _converted(tmp_path, "sequential")
    meta["hints"] = {}
    meta["architecture"].update(n_classes=0, nz=8)
    _rewrite(out, meta)
    assert im.import_foreign_generator(out, class_count=0).settings["n_classes"] == 0
