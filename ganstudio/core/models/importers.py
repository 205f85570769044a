"""Import networks saved by other programs, one function per family of networks. No Qt.

Every importer reads the file with `checkpoint.read_foreign_weights` (torch.load with weights_only=True,
so a file that needs pickled code is refused without running it; the generator's state dict is picked out
of a training checkpoint's dict), infers the architecture from the tensor names and shapes, builds the
equivalent module and loads the weights with `checkpoint.load_state_into` (strict: a CheckpointError names
every tensor that does not fit).

Families (`settings["family"]`):
- "sequential": DCGAN-style generators kept in one nn.Sequential (pytorch/examples dcgan's
  `netG_epoch_N.pth`, the PyTorch DCGAN tutorial's checkpoints and programs copied from them):
  `import_dcgan_generator(path, class_count=None)`.
- "unet": pytorch-CycleGAN-and-pix2pix U-Nets (`latest_net_G.pth`, netG unet_128 / unet_256):
  `import_pix2pix_generator(path)`.
- "resnet": pytorch-CycleGAN-and-pix2pix ResNet generators (CycleGAN's `latest_net_G_A.pth`, netG
  resnet_6blocks / resnet_9blocks): `import_resnet_generator(path)`.

`import_foreign_generator(path, class_count=None)` reads the file once and picks the importer from the
tensor names; `export_imported` writes the result as one safetensors file whose header holds the JSON
description (`ganstudio import`), which `import_foreign_generator` reads back as the same network.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.checkpoint import (
    MAX_CLASSES,
    ForeignWeights,
    atomic_write_bytes,
    load_state_into,
    read_foreign_weights,
)
from ganstudio.core.errors import CheckpointError, ModelError

log = logging.getLogger(__name__)

__all__ = ["ImportedModel", "import_foreign_generator", "import_dcgan_generator", "import_pix2pix_generator",
           "import_resnet_generator", "export_imported", "SUPPORTED_FOREIGN"]

# The one list of what opens, for the sentence that refuses anything else.
SUPPORTED_FOREIGN = ("DCGAN-style generators in one nn.Sequential of ConvTranspose2d and BatchNorm2d layers "
                     "(pytorch/examples, the PyTorch DCGAN tutorial; 32 to 256 px), pytorch-CycleGAN-and-pix2pix "
                     "U-Net (unet_128, unet_256) and ResNet (resnet_6blocks, resnet_9blocks) generators, saved "
                     "as a state dict or inside a training checkpoint's dict, and rosinality stylegan2-pytorch "
                     "checkpoints (g_ema)")
IMPORT_META_KEY = "ganstudio_import"  # header metadata of a converted file (not "ganstudio": not a run's checkpoint)
IMPORT_FORMAT = "ganstudio-imported-generator"
IMPORT_FORMAT_VERSION = 1


@dataclass
class ImportedModel:
    """A network rebuilt from another program's weights, in eval mode on the CPU."""

    model: torch.nn.Module
    program: str  # the source program, e.g. "pytorch/examples dcgan"
    path: Path
    settings: dict[str, Any] = field(default_factory=dict)  # the architecture read off the tensors (plain data)
    entry: str | None = None  # the entry of the file's dict that held the generator ("netG_state_dict")
    hints: dict[str, Any] = field(default_factory=dict)  # what the caller said that the tensors cannot tell
    converted_from: str | None = None  # for a file written by `ganstudio import`: the original file's name
    note: str | None = None  # what the importer chose that the file did not say (rosinality: the centre of truncation)

    @property
    def family(self) -> str:
        return self.settings.get("family", "")

    @property
    def architecture(self) -> dict[str, Any]:
        """The settings that define the network (what a converted file's description stores)."""
        return {k: v for k, v in self.settings.items() if k != "dropped_keys"}


def _first_tensors(state: dict[str, torch.Tensor], shown: int = 3) -> str:
    names = [f"{k} {tuple(t.shape)}" for k, t in list(state.items())[:shown]]
    more = f" and {len(state) - shown} more" if len(state) > shown else ""
    return ", ".join(names) + more if names else "no tensors"


def _fit_reference_state(G: torch.nn.Module, state: dict[str, torch.Tensor]) -> list[str]:
    """As pytorch-CycleGAN-and-pix2pix's __patch_instance_norm_state_dict: drop the running statistics that
    instance-norm layers of old (pre-0.4) files carry; fill BatchNorm counters missing from old files with 0
    (the counter plays no part in eval mode). Returns the dropped names."""
    own = G.state_dict()
    modules = dict(G.named_modules())
    dropped = []
    for key in list(state):
        owner, _, leaf = key.rpartition(".")
        if key not in own and leaf in _RUNNING_STATS and isinstance(modules.get(owner), torch.nn.InstanceNorm2d):
            dropped.append(key)
            del state[key]
    for key, value in own.items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(value)
    if dropped:
        log.info("dropped %d instance-norm running statistics (pre-0.4 file)", len(dropped))
    return dropped


_RUNNING_STATS = ("running_mean", "running_var", "num_batches_tracked")


# --- DCGAN-style Sequential generators ------------------------------------------------------------------
# The DCGAN recipe (pytorch/examples dcgan/main.py, the PyTorch DCGAN tutorial): main = [ConvT(nz, c, 4, 1, 0),
# BN, ReLU] + [ConvT(c, c/2, 4, 2, 1), BN, ReLU] per doubling + [ConvT(ngf, nc, 4, 2, 1), Tanh]. Users add
# parameter-free layers (Dropout) between blocks, add or remove blocks, or concatenate labels to z, so the
# layout is read from the tensors, not from fixed indices: a layer with a 4-D weight is a transposed
# convolution (in, out, 4, 4), one with 1-D weight/bias/running statistics a BatchNorm2d. Indices without
# tensors are parameter-free layers; the first one after each hidden block is its ReLU, the others (Dropout
# and the like) do nothing in eval mode. A Tanh follows the last layer. The activations are the recipe's:
# a generator with other activations cannot be told apart by its weights.

_SEQUENTIAL_KEY = re.compile(r"^(?:(?P<prefix>.+)\.)?(?P<index>\d+)\.(?P<leaf>weight|bias|running_mean|running_var|num_batches_tracked)$")
_CONV_COUNT_TO_SIZE = {4: 32, 5: 64, 6: 128, 7: 256}
_MAX_SEQUENTIAL_INDEX = 255


def _sequential_groups(state: dict[str, torch.Tensor]) -> tuple[str, dict[int, dict[str, torch.Tensor]]] | None:
    """(prefix, index -> {leaf: tensor}) when every tensor is `<prefix>.<index>.<leaf>` of one Sequential."""
    prefixes: set[str] = set()
    groups: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in state.items():
        m = _SEQUENTIAL_KEY.match(key)
        if m is None:
            return None
        prefixes.add(m["prefix"] or "")
        groups.setdefault(int(m["index"]), {})[m["leaf"]] = tensor
    if len(prefixes) != 1:
        return None
    return prefixes.pop(), groups


def _layer_kind(prefix: str, index: int, leaves: dict[str, torch.Tensor], path: Path) -> str:
    """"convt" (a 4-D weight) or "bn" (1-D weight or running statistics); the strict load checks the rest."""
    name = f"{prefix}.{index}" if prefix else str(index)
    weight = leaves.get("weight")
    if weight is not None and weight.dim() == 4:
        return "convt"
    if (weight is not None and weight.dim() == 1) or "running_mean" in leaves or "running_var" in leaves:
        return "bn"
    if weight is not None and weight.dim() == 2:
        raise CheckpointError(f"{path.name} has a Linear layer at {name} ({weight.shape[1]} -> {weight.shape[0]}); "
                              "GAN Studio rebuilds Sequential generators of ConvTranspose2d and BatchNorm2d layers only.")
    shapes = _first_tensors({f"{name}.{k}": v for k, v in leaves.items()})
    raise CheckpointError(f"{path.name} has a layer at {name} ({shapes}) that is neither a ConvTranspose2d "
                          "nor a BatchNorm2d.")


def _sequential_layout(state: dict[str, torch.Tensor], path: Path, class_count: int) -> dict[str, Any]:
    parsed = _sequential_groups(state)
    if parsed is None:
        raise CheckpointError(
            f"{path.name} is not a DCGAN-style Sequential generator: its tensors are not named <index>.weight "
            f"of one nn.Sequential (found {_first_tensors(state)}).")
    prefix, groups = parsed
    where = f"{prefix}." if prefix else ""
    if max(groups) > _MAX_SEQUENTIAL_INDEX:
        raise CheckpointError(f"{path.name} numbers a layer {where}{max(groups)}; a generator has at most "
                              f"{_MAX_SEQUENTIAL_INDEX + 1} layers.")
    kinds = {i: _layer_kind(prefix, i, groups[i], path) for i in sorted(groups)}
    convs = [i for i, kind in kinds.items() if kind == "convt"]
    weights = [groups[i]["weight"] for i in convs]
    if not convs:
        raise CheckpointError(f"{path.name} has no convolutions ({_first_tensors(state)}).")
    last = weights[-1]
    if last.shape[0] == 1 and last.shape[1] not in (1, 3):
        # Conv2d weights are (out, in, k, k): a critic's last convolution gives one score channel.
        raise CheckpointError(f"{path.name} looks like a DCGAN discriminator (netD): its last convolution "
                              f"{where}{convs[-1]}.weight {tuple(last.shape)} gives 1 channel from {last.shape[1]}.")
    listed = ", ".join(f"{where}{i}.weight {tuple(w.shape)}" for i, w in list(zip(convs, weights))[:4])
    transposed = all(a.shape[1] == b.shape[0] for a, b in zip(weights, weights[1:]))
    if len(convs) > 1 and not transposed and all(a.shape[0] == b.shape[1] for a, b in zip(weights, weights[1:])):
        raise CheckpointError(f"{path.name} looks like a discriminator or an encoder, not a generator: its "
                              f"convolutions chain as Conv2d layers ({listed}).")
    for i, w in zip(convs, weights):
        if tuple(w.shape[2:]) != (4, 4):
            raise CheckpointError(f"{path.name} has a {w.shape[2]}x{w.shape[3]} kernel at {where}{i}; the DCGAN recipe "
                                  "(4x4 kernels, stride 1 then 2) is the one GAN Studio rebuilds.")
    if len(convs) not in _CONV_COUNT_TO_SIZE:
        raise CheckpointError(f"{path.name} has {len(convs)} transposed convolutions ({listed}); GAN Studio "
                              "imports DCGAN generators with 4 to 7 of them (32 to 256 pixels).")
    layers: dict[int, list] = {}
    last_conv = convs[-1]
    # Widths follow the chain (each convolution gives what the next one takes), so a tensor of another width
    # is named by the strict load rather than failing at the first forward pass.
    for n, i in enumerate(convs):
        c_out = int(weights[n + 1].shape[0]) if n + 1 < len(convs) else int(weights[n].shape[1])
        stride, padding = (1, 0) if n == 0 else (2, 1)
        layers[i] = ["convt", int(weights[n].shape[0]), c_out, 4, stride, padding, "bias" in groups[i]]
    for i, kind in kinds.items():
        if kind != "bn":
            continue
        before = [c for c in convs if c < i]
        between = [j for j in kinds if before and before[-1] < j < i]
        if not before or between:
            raise CheckpointError(f"{path.name} has a BatchNorm2d at {where}{i} that follows no transposed convolution.")
        layers[i] = ["bn", layers[before[-1]][2], "weight" in groups[i] or "bias" in groups[i],
                     "running_mean" in groups[i] or "running_var" in groups[i]]
    # Parameter-free layers: the first after each hidden block is its ReLU, the rest act as identities.
    end = max(kinds) + 1
    activation_due = False
    for i in range(end):
        if i in kinds:
            following = next((j for j in sorted(kinds) if j > i), None)
            block_ends = following is None or kinds[following] == "convt"
            block_conv = i if kinds[i] == "convt" else max(c for c in convs if c < i)
            activation_due = block_ends and block_conv != last_conv
        else:
            layers[i] = ["relu"] if activation_due else ["identity"]
            activation_due = False
    layers[end] = ["tanh"]
    c_in = int(weights[0].shape[0])
    if class_count >= c_in:
        raise CheckpointError(f"{path.name} takes {c_in} input channels, so it cannot have {class_count} classes "
                              "concatenated to z (z would have no channels left).")
    ordered = [layers[i] for i in range(end + 1)]
    exact = (prefix == "main" and convs == [3 * n for n in range(len(convs))] and end == 3 * len(convs) - 2
             and all(kinds.get(c + 1) == "bn" for c in convs[:-1]) and not any(spec[-1] for spec in ordered if spec[0] == "convt"))
    return {"family": "sequential", "nz": c_in - class_count, "ngf": int(weights[-1].shape[0]),
            "nc": int(weights[-1].shape[1]), "image_size": _CONV_COUNT_TO_SIZE[len(convs)], "n_classes": class_count,
            "prefix": prefix, "layers": ordered, "pytorch_examples_layout": bool(exact)}


def describe_sequential(settings: dict[str, Any]) -> str:
    """'5 ConvTranspose2d, 4 BatchNorm2d, 2 Dropout-like layers': what a Sequential layout holds."""
    count = {kind: sum(1 for spec in settings["layers"] if spec[0] == kind) for kind in ("convt", "bn", "identity")}
    text = f"{count['convt']} ConvTranspose2d, {count['bn']} BatchNorm2d"
    return text + (f", {count['identity']} parameter-free extra layers" if count["identity"] else "")


def import_dcgan_generator(path: str | Path, state: dict[str, torch.Tensor] | None = None,
                           class_count: int | None = None) -> ImportedModel:
    """A DCGAN-style generator kept in one nn.Sequential (pytorch/examples dcgan, the PyTorch DCGAN
    tutorial, ...) as a `SequentialConvGenerator` with the same module indices, which gives the same pixels
    for the same z.

    The layout comes from the tensors (see above). nz is the first transposed convolution's in-channels,
    less `class_count`: labels concatenated to z as one-hot codes (z first) add channels there that the
    shapes cannot tell from z, so the caller says how many. Files saved by PyTorch before 0.4 lack
    BatchNorm's num_batches_tracked counters; they are filled with zeros.
    """
    from ganstudio.core.models.sequential import SequentialConvGenerator

    path = Path(path)
    state = dict(read_foreign_weights(path).state if state is None else state)
    classes = _check_class_count(class_count, path)
    settings = _sequential_layout(state, path, classes)
    try:
        G = SequentialConvGenerator(settings["layers"], z_dim=settings["nz"], n_classes=classes,
                                    prefix=settings["prefix"])
    except ModelError as exc:  # names our module cannot take
        raise CheckpointError(f"{path.name} cannot be rebuilt as a DCGAN generator ({exc})") from None
    _fit_reference_state(G, state)
    load_state_into(G, state, "DCGAN generator", path)
    G.eval()
    program = "pytorch/examples dcgan" if settings["pytorch_examples_layout"] else "DCGAN-style Sequential generator"
    return ImportedModel(model=G, program=program, path=path, settings=settings, hints={"class_count": classes})


def _check_class_count(class_count: Any, path: Path) -> int:
    if class_count is None:
        return 0
    if isinstance(class_count, bool) or not isinstance(class_count, int) or not 0 <= class_count <= MAX_CLASSES:
        raise CheckpointError(f"the class count for {path.name} must be a whole number from 0 to {MAX_CLASSES}, "
                              f"not {class_count!r}.")
    return class_count


# --- pytorch-CycleGAN-and-pix2pix: U-Net generators (netG unet_128 / unet_256) ----------------------------
# Recipe (models/networks.py, UnetGenerator): nested UnetSkipConnectionBlocks, each holding its layers
# in `model` (an nn.Sequential), the next inner block at index 1 of the outermost block and at index 3
# of every other one. So block d's layers are named model.model.<i> (d = 0), model.model.1.model.<i>
# (d = 1), then one more `3.model.` per level. Outermost: [down conv, block, ReLU, up conv, Tanh];
# middle: [LReLU, down conv, norm, block, ReLU, up conv, norm(, Dropout)]; innermost: [LReLU, down conv,
# ReLU, up conv, norm]. num_downs = the number of blocks. Convolutions carry a bias only with instance
# norm (BatchNorm has its own shift), so the outermost down conv's bias tells the norm apart; instance
# norm there has neither affine weights nor (since PyTorch 0.4) running statistics.

_PIX2PIX_ROOT = "model.model."


def _unet_block_prefix(depth: int) -> str:
    return _PIX2PIX_ROOT if depth == 0 else _PIX2PIX_ROOT + "1.model." + "3.model." * (depth - 1)


def _pix2pix_shape(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    first, last = state.get("model.model.0.weight"), state.get("model.model.3.weight")
    if first is None or last is None or first.dim() != 4 or last.dim() != 4:
        raise CheckpointError(
            f"{path.name} is not a pix2pix U-Net generator: it lacks model.model.0.weight and "
            f"model.model.3.weight (found {_first_tensors(state)})."
        )
    depth = 0
    while depth < 16 and any(k.startswith(_unet_block_prefix(depth + 1)) for k in state):
        depth += 1
    num_downs = depth + 1
    if not 5 <= num_downs <= 10:
        raise CheckpointError(
            f"{path.name} nests {num_downs} U-Net blocks; pix2pix U-Nets have 5 to 10 (unet_128 has 7, unet_256 8)."
        )
    ngf, input_nc = int(first.shape[0]), int(first.shape[1])
    output_nc = int(last.shape[1])  # ConvTranspose2d weights are (in, out, k, k)
    norm = "instance" if "model.model.0.bias" in state else "batch"
    netG = {7: "unet_128", 8: "unet_256"}.get(num_downs, f"unet (num_downs {num_downs})")
    return {"family": "unet", "input_nc": input_nc, "output_nc": output_nc, "num_downs": num_downs, "ngf": ngf,
            "norm": norm, "netG": netG, "image_size": 2**num_downs}


def import_pix2pix_generator(path: str | Path, use_dropout: bool = True, image_size: int | None = None,
                            state: dict[str, torch.Tensor] | None = None) -> ImportedModel:
    """A U-Net generator saved by pytorch-CycleGAN-and-pix2pix (`latest_net_G.pth`) as our UnetGenerator,
    which has the reference's module tree and so gives the same outputs.

    input_nc, ngf come from model.model.0.weight, output_nc from model.model.3.weight, num_downs from the
    nesting depth, the norm from the outermost conv's bias (instance norm convolutions carry biases) and
    is cross-checked by the strict load. Dropout has no weights, so its presence cannot be read off the
    file: pix2pix trains with it unless --no_dropout, hence use_dropout=True by default. As the
    reference's __patch_instance_norm_state_dict does, running statistics that instance-norm layers of
    old (pre-0.4) files carry are dropped; BatchNorm counters missing from old files are filled with 0.
    settings: family, input_nc, output_nc, num_downs, ngf, norm, netG, image_size, use_dropout, dropped_keys.
    """
    from ganstudio.core.models.unet import UnetGenerator

    path = Path(path)
    state = dict(read_foreign_weights(path).state if state is None else state)
    settings = _pix2pix_shape(state, path)
    size = int(image_size) if image_size is not None else settings["image_size"]
    try:
        G = UnetGenerator(settings["input_nc"], settings["output_nc"], settings["num_downs"], settings["ngf"],
                          settings["norm"], use_dropout=use_dropout, image_size=size)
    except ModelError as exc:  # shapes our module cannot build
        raise CheckpointError(f"{path.name} cannot be rebuilt as a pix2pix U-Net ({exc})") from None
    dropped = _fit_reference_state(G, state)
    load_state_into(G, state, "pix2pix U-Net generator", path)
    G.eval()
    settings.update(image_size=size, use_dropout=bool(use_dropout), dropped_keys=dropped)
    return ImportedModel(model=G, program="pytorch-CycleGAN-and-pix2pix", path=path, settings=settings,
                         hints={"use_dropout": bool(use_dropout)})


# --- pytorch-CycleGAN-and-pix2pix: ResNet generators (netG resnet_6blocks / resnet_9blocks) -----------------
# Layout in models/resnet.py. The residual blocks are the entries with `conv_block` tensors; the first sits
# at 4 + 3 * n_downsampling, after the 7x7 stem [pad, conv, norm, ReLU] and the stride-2 convolutions. The
# norm shows at model.2: BatchNorm has weights and running statistics, affine instance norm weights only,
# the reference's instance norm nothing (a pre-0.4 file: running statistics alone, dropped as the reference
# does). A block's second convolution sits at conv_block.6 with dropout, at conv_block.5 without (where
# batch norm then puts its 1-D weight at 6).

_RESNET_BLOCK = re.compile(r"^model\.(\d+)\.conv_block\.")


def _resnet_shape(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    stem = state.get("model.1.weight")
    blocks = sorted({int(m.group(1)) for k in state if (m := _RESNET_BLOCK.match(k))})
    if stem is None or stem.dim() != 4 or tuple(stem.shape[2:]) != (7, 7) or not blocks:
        raise CheckpointError(f"{path.name} is not a CycleGAN ResNet generator: it lacks the 7x7 model.1.weight "
                              f"and model.N.conv_block layers (found {_first_tensors(state)}).")
    first = blocks[0]
    n_down, rest = divmod(first - 4, 3)
    if rest or n_down < 0 or n_down > 6 or blocks != list(range(first, first + len(blocks))):
        raise CheckpointError(f"{path.name} has residual blocks at model.{', model.'.join(map(str, blocks[:4]))}, "
                              "where the reference's ResnetGenerator has them one after another after its "
                              "stride-2 convolutions.")
    n_blocks = len(blocks)
    stem_norm = {k.rpartition(".")[2] for k in state if k.startswith("model.2.")}
    if "running_mean" in stem_norm and "weight" in stem_norm:
        norm = "batch"
    elif "weight" in stem_norm:
        norm = "instance-affine"
    else:
        norm = "instance"
    out_index = first + n_blocks + 3 * n_down + 1
    out = state.get(f"model.{out_index}.weight")
    if out is None or out.dim() != 4:
        raise CheckpointError(f"{path.name} lacks the output convolution model.{out_index}.weight that "
                              f"{n_blocks} residual blocks and {n_down} down-samplings put there.")
    netG = {6: "resnet_6blocks", 9: "resnet_9blocks"}.get(n_blocks, f"resnet ({n_blocks} blocks)")
    return {"family": "resnet", "input_nc": int(stem.shape[1]), "output_nc": int(out.shape[0]),
            "ngf": int(stem.shape[0]), "n_blocks": n_blocks, "n_downsampling": n_down, "norm": norm,
            "use_dropout": _is_conv(state.get(f"model.{first}.conv_block.6.weight")), "use_bias": "model.1.bias" in state,
            "netG": netG, "image_size": 256, "size_multiple": 2**n_down}


def _is_conv(tensor: torch.Tensor | None) -> bool:
    return tensor is not None and tensor.dim() == 4  # (a BatchNorm's weight at that index is 1-D)


def import_resnet_generator(path: str | Path, state: dict[str, torch.Tensor] | None = None,
                            image_size: int | None = None) -> ImportedModel:
    """A ResNet generator saved by pytorch-CycleGAN-and-pix2pix (CycleGAN's `latest_net_G_A.pth`, netG
    resnet_6blocks / resnet_9blocks) as our ResnetGenerator, which has the reference's module tree.

    Everything is read off the tensors: input_nc and ngf from the stem, output_nc from the last convolution,
    the number of blocks and down-samplings from where the blocks sit, the norm from model.2, dropout from
    where each block's second convolution sits. Fully convolutional: `image_size` (default 256, the
    reference's crop size) is only where the Sketch canvas draws; pictures keep their size, rounded to a
    multiple of size_multiple.
    """
    from ganstudio.core.models.resnet import ResnetGenerator

    path = Path(path)
    state = dict(read_foreign_weights(path).state if state is None else state)
    settings = _resnet_shape(state, path)
    if image_size is not None:
        settings["image_size"] = int(image_size)
    try:
        G = ResnetGenerator(settings["input_nc"], settings["output_nc"], settings["ngf"], settings["n_blocks"],
                            settings["n_downsampling"], settings["norm"], use_dropout=settings["use_dropout"],
                            use_bias=settings["use_bias"], image_size=settings["image_size"])
    except ModelError as exc:
        raise CheckpointError(f"{path.name} cannot be rebuilt as a CycleGAN ResNet generator ({exc})") from None
    dropped = _fit_reference_state(G, state)
    load_state_into(G, state, "CycleGAN ResNet generator", path)
    G.eval()
    settings["dropped_keys"] = dropped
    return ImportedModel(model=G, program="pytorch-CycleGAN-and-pix2pix", path=path, settings=settings)


# --- choosing the importer ----------------------------------------------------------------------------------

def detect_family(state: dict[str, torch.Tensor]) -> str | None:
    """Which importer fits the tensor names: ResNet blocks (`model.N.conv_block.M`), U-Net nesting
    (`model.model.N`), or the layers of one Sequential (`<prefix>.<index>.<leaf>`); None for anything else."""
    if any(_RESNET_BLOCK.match(k) for k in state):
        return "resnet"
    if "model.model.0.weight" in state:
        return "unet"
    if _sequential_groups(state) is not None:
        return "sequential"
    return None


def _not_recognised(weights: ForeignWeights, path: Path) -> CheckpointError:
    keys = weights.outer_keys
    found = f"top-level keys {', '.join(keys[:6])}{f' and {len(keys) - 6} more' if len(keys) > 6 else ''}" \
        if keys else "a state dict"
    if weights.entry:
        found += f" (the generator's weights taken from {weights.entry!r})"
    tensors = f" with tensors {_first_tensors(weights.state)}" if weights.state else " and no tensors"
    return CheckpointError(f"{path.name} holds no generator GAN Studio recognises: it has {found}{tensors}; "
                           f"GAN Studio opens {SUPPORTED_FOREIGN}.")


def import_foreign_generator(path: str | Path, class_count: int | None = None) -> ImportedModel:
    """Any generator another program saved: the importer is chosen by the tensor names (`detect_family`), or
    by the description of a file `ganstudio import` wrote. `class_count`: the classes of a DCGAN whose labels
    are concatenated to z (the shapes cannot tell them from z)."""
    from ganstudio.core.models import nvlabs_pickle  # NVlabs StyleGAN .pkl snapshots: read without running code

    if nvlabs_pickle.is_nvlabs_pickle_file(path):
        return nvlabs_pickle.import_nvlabs_pickle(path)
    path = Path(path)
    weights = read_foreign_weights(path)  # safe: weights_only, refuses pickled code
    description = read_import_description(weights.metadata, path)
    if description is not None:
        return _import_converted(weights, description, path, class_count)
    from ganstudio.core.models import rosinality  # rosinality stylegan2-pytorch .pt: g_ema, latent_avg, args

    if weights.state and rosinality.is_rosinality_state(weights.state):
        if class_count:
            raise CheckpointError(f"{path.name} is an unconditional rosinality StyleGAN2; a class count does not "
                                  "apply to it.")
        return rosinality.import_rosinality_generator(path, weights)
    family = detect_family(weights.state) if weights.state else None
    if family is None:
        raise _not_recognised(weights, path)
    if family != "sequential" and class_count:
        raise CheckpointError(f"{path.name} is an image-to-image generator; it takes no class labels, so a class "
                              "count does not apply to it.")
    if family == "resnet":
        imported = import_resnet_generator(path, state=weights.state)
    elif family == "unet":
        imported = import_pix2pix_generator(path, state=weights.state)
    else:
        imported = import_dcgan_generator(path, state=weights.state, class_count=class_count)
    imported.entry = weights.entry
    return imported


# --- converted files (`ganstudio import`) --------------------------------------------------------------------

def export_imported(imported: ImportedModel, out: str | Path) -> Path:
    """Write the imported network as one safetensors file: the module's own tensors (canonical names, fp32)
    and, in the header, a JSON description (family, architecture, the caller's hints, where it came from)
    that `import_foreign_generator` reads back as the same network. Written atomically."""
    from safetensors.torch import save as st_save_bytes

    from ganstudio import __version__

    out = Path(out)
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in imported.model.state_dict().items()}
    description = {"format": IMPORT_FORMAT, "format_version": IMPORT_FORMAT_VERSION, "family": imported.family,
                   "program": imported.program, "architecture": imported.architecture, "hints": imported.hints,
                   "imported_from": imported.converted_from or imported.path.name, "entry": imported.entry,
                   "ganstudio_version": __version__}
    data = st_save_bytes(state, metadata={IMPORT_META_KEY: json.dumps(description, sort_keys=True)})
    atomic_write_bytes(out, data)
    return out


_HINT_CHECKS = {"class_count": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_CLASSES,
                "use_dropout": lambda v: isinstance(v, bool)}
_FAMILIES = ("sequential", "unet", "resnet", "stylegan2", "stylegan3")
_MAX_CANVAS = 4096


def read_import_description(metadata: dict[str, str], path: Path) -> dict[str, Any] | None:
    """The description a converted file carries (None for other safetensors files), checked field by field."""
    from ganstudio.core.safe_json import loads_json

    text = metadata.get(IMPORT_META_KEY)
    if text is None:
        return None
    description = loads_json(text, f"the import description of {path}", max_bytes=1 << 20, error=CheckpointError)

    def damaged(what: str) -> CheckpointError:
        return CheckpointError(f"{path.name} is damaged: its import description {what}.")

    if not isinstance(description, dict) or description.get("format") != IMPORT_FORMAT:
        raise damaged(f"is not a {IMPORT_FORMAT} object")
    if description.get("format_version") != IMPORT_FORMAT_VERSION:
        raise damaged(f"has version {description.get('format_version')!r}, where this GAN Studio reads "
                      f"{IMPORT_FORMAT_VERSION}")
    if description.get("family") not in _FAMILIES:
        raise damaged(f"names the family {str(description.get('family'))[:40]!r}, not one of {', '.join(_FAMILIES)}")
    hints = description.get("hints")
    if not isinstance(hints, dict) or any(k not in _HINT_CHECKS or not _HINT_CHECKS[k](v) for k, v in hints.items()):
        raise damaged("has invalid hints")
    architecture = description.get("architecture")
    if not isinstance(architecture, dict):
        raise damaged("has no architecture")
    size = architecture.get("image_size")
    if isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= _MAX_CANVAS:
        raise damaged(f"gives an image size of {str(size)[:20]}, not a whole number from 8 to {_MAX_CANVAS}")
    for key in ("imported_from", "entry", "program"):
        if description.get(key) is not None and not isinstance(description[key], str):
            raise damaged(f"has a {key} that is not text")
    return description


def _import_converted(weights: ForeignWeights, description: dict[str, Any], path: Path,
                      class_count: int | None) -> ImportedModel:
    """A converted file: the importer its description names, with the hints stored in it; the tensors must
    make the architecture it describes."""
    hints = description["hints"]
    stored = hints.get("class_count", 0)
    if class_count is not None and class_count != stored:
        raise CheckpointError(f"{path.name} was converted with {stored} classes; give that class count or none.")
    family = description["family"]
    if family in ("stylegan2", "stylegan3"):
        from ganstudio.core.models.nvlabs_pickle import import_converted_stylegan

        imported = import_converted_stylegan(path, weights.state, description)
        imported.converted_from = description.get("imported_from")
        imported.program = description.get("program") or imported.program  # rosinality's stays rosinality's
        return imported
    if family == "resnet":
        imported = import_resnet_generator(path, state=weights.state,
                                           image_size=description["architecture"].get("image_size"))
    elif family == "unet":
        imported = import_pix2pix_generator(path, use_dropout=hints.get("use_dropout", True), state=weights.state,
                                            image_size=description["architecture"].get("image_size"))
    else:
        imported = import_dcgan_generator(path, state=weights.state, class_count=stored)
    if imported.architecture != description["architecture"]:
        raise CheckpointError(f"{path.name} is damaged: its tensors make a {imported.settings.get('netG', family)} "
                              "network other than the one its import description names.")
    imported.entry = description.get("entry")
    imported.converted_from = description.get("imported_from")
    return imported
