"""Import networks saved by other programs, one function per source program. No Qt.

Every importer reads the file with `checkpoint.read_foreign_state_dict` (torch.load with
weights_only=True, so a file that needs pickled code is refused without running it), infers the
hyperparameters from the tensor shapes, builds our equivalent module and loads the weights with
`checkpoint.load_state_into` (strict: a CheckpointError names every tensor that does not fit).

Programs:
- pytorch/examples dcgan (`netG_epoch_N.pth`): `import_dcgan_generator(path)`.
- pytorch-CycleGAN-and-pix2pix U-Net generators (`latest_net_G.pth`, netG unet_128 / unet_256):
  `import_pix2pix_generator(path)`.

`import_foreign_generator(path)` reads the file once and picks the importer from the tensor names.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.checkpoint import load_state_into, read_foreign_state_dict
from ganstudio.core.errors import CheckpointError

log = logging.getLogger(__name__)

__all__ = ["ImportedModel", "import_foreign_generator", "import_dcgan_generator", "import_pix2pix_generator"]


@dataclass
class ImportedModel:
    """A network rebuilt from another program's weights, in eval mode on the CPU."""

    model: torch.nn.Module
    program: str  # the source program, e.g. "pytorch/examples dcgan"
    path: Path
    settings: dict[str, Any] = field(default_factory=dict)  # hyperparameters read off the tensor shapes


# --- pytorch/examples dcgan ----------------------------------------------------------------------------
# Generator recipe (dcgan/main.py): main = [ConvT(nz, ngf*8, 4, 1, 0), BN, ReLU]
#   + [ConvT(c, c/2, 4, 2, 1), BN, ReLU] per doubling + [ConvT(ngf, nc, 4, 2, 1), Tanh].
# Convolutions sit at main.0, main.3, main.6, ... (every third module); 5 of them make 64 px.

_DCGAN_LAYER = re.compile(r"^main\.(\d+)\.weight$")
_CONV_COUNT_TO_SIZE = {4: 32, 5: 64, 6: 128}


def _dcgan_shape(state: dict[str, torch.Tensor], path: Path) -> dict[str, int]:
    convs = sorted(
        (int(m.group(1)), t) for key, t in state.items() if (m := _DCGAN_LAYER.match(key)) and t.dim() == 4
    )
    if not convs:
        keys = ", ".join(list(state)[:4]) or "none"
        raise CheckpointError(
            f"{path.name} is not a pytorch/examples DCGAN generator: it has no main.N.weight convolutions "
            f"(first keys: {keys})."
        )
    indices = [i for i, _ in convs]
    last = convs[-1][1]
    if indices != [3 * i for i in range(len(convs))]:
        what = "a DCGAN discriminator (netD)" if last.shape[0] == 1 else "not a DCGAN generator"
        raise CheckpointError(
            f"{path.name} looks like {what}: its convolutions sit at main.{', main.'.join(map(str, indices))}, "
            "where a pytorch/examples generator has them at every third module."
        )
    if len(convs) not in _CONV_COUNT_TO_SIZE:
        raise CheckpointError(
            f"{path.name} has {len(convs)} transposed convolutions; GAN Studio imports DCGAN generators with "
            "4, 5 or 6 of them (32, 64 or 128 pixels)."
        )
    first = convs[0][1]
    return {"nz": int(first.shape[0]), "ngf": int(last.shape[0]), "nc": int(last.shape[1]),
            "image_size": _CONV_COUNT_TO_SIZE[len(convs)]}


def import_dcgan_generator(path: str | Path, state: dict[str, torch.Tensor] | None = None) -> ImportedModel:
    """A generator saved by pytorch/examples dcgan (`torch.save(netG.state_dict(), ...)`) as our
    DCGANGenerator, which gives the same pixels for the same z.

    nz is main.0.weight.shape[0] ((nz, ngf*8, 4, 4) at 64 px), ngf and nc come from the last
    transposed convolution (ngf, nc, 4, 4), the image size from how many there are. Files saved by
    PyTorch before 0.4 lack BatchNorm's num_batches_tracked counters; they are filled with zeros (the
    counter plays no part in eval mode).
    """
    from ganstudio.core.models.dcgan import DCGANGenerator

    path = Path(path)
    state = dict(read_foreign_state_dict(path) if state is None else state)
    settings = _dcgan_shape(state, path)
    try:
        G = DCGANGenerator(z_dim=settings["nz"], ngf=settings["ngf"], nc=settings["nc"],
                           image_size=settings["image_size"])
    except Exception as exc:  # ModelError for sizes our module cannot build
        raise CheckpointError(f"{path.name} cannot be rebuilt as a DCGAN generator ({exc}).") from None
    for key, value in G.state_dict().items():
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(value)
    load_state_into(G, state, "pytorch/examples DCGAN generator", path)
    G.eval()
    return ImportedModel(model=G, program="pytorch/examples dcgan", path=path, settings=settings)


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
_RUNNING_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _unet_block_prefix(depth: int) -> str:
    return _PIX2PIX_ROOT if depth == 0 else _PIX2PIX_ROOT + "1.model." + "3.model." * (depth - 1)


def _pix2pix_shape(state: dict[str, torch.Tensor], path: Path) -> dict[str, Any]:
    first, last = state.get("model.model.0.weight"), state.get("model.model.3.weight")
    if first is None or last is None or first.dim() != 4 or last.dim() != 4:
        keys = ", ".join(list(state)[:4]) or "none"
        hint = ""
        if any(k.startswith("main.") for k in state):
            hint = " It looks like a DCGAN generator (main.N layers); open it in the Explore area."
        elif "model.1.weight" in state:
            hint = " It looks like a ResNet generator (resnet_6blocks / resnet_9blocks), which is not supported."
        raise CheckpointError(
            f"{path.name} is not a pix2pix U-Net generator: it lacks model.model.0.weight and "
            f"model.model.3.weight (first keys: {keys}).{hint}"
        )
    depth = 0
    while any(k.startswith(_unet_block_prefix(depth + 1)) for k in state):
        depth += 1
    num_downs = depth + 1
    if num_downs < 5:
        raise CheckpointError(
            f"{path.name} nests only {num_downs} U-Net blocks; pix2pix U-Nets have at least 5 (unet_128 has 7, unet_256 8)."
        )
    ngf, input_nc = int(first.shape[0]), int(first.shape[1])
    output_nc = int(last.shape[1])  # ConvTranspose2d weights are (in, out, k, k)
    norm = "instance" if "model.model.0.bias" in state else "batch"
    netG = {7: "unet_128", 8: "unet_256"}.get(num_downs, f"unet (num_downs {num_downs})")
    return {"input_nc": input_nc, "output_nc": output_nc, "num_downs": num_downs, "ngf": ngf, "norm": norm,
            "netG": netG, "image_size": 2**num_downs}


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
    settings: input_nc, output_nc, num_downs, ngf, norm, netG, image_size, use_dropout, dropped_keys.
    """
    from ganstudio.core.models.unet import UnetGenerator

    path = Path(path)
    state = dict(read_foreign_state_dict(path) if state is None else state)
    settings = _pix2pix_shape(state, path)
    size = int(image_size) if image_size is not None else settings["image_size"]
    try:
        G = UnetGenerator(settings["input_nc"], settings["output_nc"], settings["num_downs"], settings["ngf"],
                          settings["norm"], use_dropout=use_dropout, image_size=size)
    except Exception as exc:  # ModelError for shapes our module cannot build
        raise CheckpointError(f"{path.name} cannot be rebuilt as a pix2pix U-Net ({exc}).") from None
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
    load_state_into(G, state, "pix2pix U-Net generator", path)
    G.eval()
    settings.update(image_size=size, use_dropout=bool(use_dropout), dropped_keys=dropped)
    if dropped:
        log.info("%s: dropped %d instance-norm running statistics (pre-0.4 file)", path.name, len(dropped))
    return ImportedModel(model=G, program="pytorch-CycleGAN-and-pix2pix", path=path, settings=settings)


def import_foreign_generator(path: str | Path) -> ImportedModel:
    """Any generator another program saved: the importer is chosen by the tensor names (pytorch/examples
    DCGANs keep their layers in `main.N`, pix2pix U-Nets in `model.model.N`)."""
    from ganstudio.core.models import nvlabs_pickle  # NVlabs StyleGAN .pkl snapshots: read without running code
    if nvlabs_pickle.is_nvlabs_pickle_file(path):
        return nvlabs_pickle.import_nvlabs_pickle(path)
    path = Path(path)
    state = read_foreign_state_dict(path)  # safe: weights_only, refuses pickled code
    if state and all(k.startswith("main.") for k in state):
        return import_dcgan_generator(path, state=state)
    return import_pix2pix_generator(path, state=state)
