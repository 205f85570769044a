"""The pix2pix reference's test phase, reproduced exactly for Sketch variants and `translate`.

"reference" mode is what pytorch-CycleGAN-and-pix2pix's test.py does without `--eval` (it never calls
eval()): batch norm normalises each image with its own statistics (the test batch size is 1) and
dropout stays on. Dropout masks are drawn from per-image seeds, so a variant depends only on its seed
and the sketch, never on which other variants were computed in the same batch. Running statistics are
left untouched. "eval" mode is plain model.eval(): deterministic.
"""

from __future__ import annotations

import contextlib
import hashlib
import types
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MODES = ("eval", "reference")


def reference_pixels(outputs: torch.Tensor) -> np.ndarray:
    """pix2pix's util.tensor2im for a batch: float32 (x + 1) / 2 * 255, cast to uint8 (truncation)."""
    x = outputs.detach().float().cpu().numpy().transpose(0, 2, 3, 1)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    return ((x + 1) / 2.0 * 255.0).astype(np.uint8)


def _per_image_batch_norm(module: nn.modules.batchnorm._BatchNorm, x: torch.Tensor) -> torch.Tensor:
    # Batch norm in training mode over a batch of one image, for every image of the batch at once:
    # statistics per image and channel over H, W (biased variance), then the module's affine weights.
    # F.instance_norm computes exactly that (it is batch_norm over the (1, N*C, H, W) view).
    return F.instance_norm(x, None, None, module.weight, module.bias, use_input_stats=True, eps=module.eps)


def dropout_keep_mask(seed: int, layer: int, shape: Sequence[int], p: float) -> torch.Tensor:
    """The keep mask (bool, `shape` = one image's C, H, W) of the `layer`-th dropout (in module order)
    for a variant seed in reference mode: each element kept with probability 1 - p."""
    g = torch.Generator().manual_seed(_mix_seed(seed, layer))
    return torch.rand(tuple(shape), generator=g) >= p


def _seeded_dropout(module: nn.Dropout, layer: int, seeds: Sequence[int], x: torch.Tensor) -> torch.Tensor:
    p = module.p
    if p <= 0:
        return x
    if p >= 1:
        return torch.zeros_like(x)
    keep = torch.stack([dropout_keep_mask(seed, layer, x.shape[1:], p) for seed in seeds])
    return x * keep.to(x.device, x.dtype) / (1 - p)


def _mix_seed(seed: int, layer: int) -> int:
    digest = hashlib.blake2b(f"{int(seed)}:{layer}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


@contextlib.contextmanager
def reference_mode(module: nn.Module, seeds: Sequence[int]):
    """Within the block, batch norms use per-image statistics and dropouts drop with per-image seeds.

    The modules' own state (running statistics, training flags) is never changed; their forward is
    swapped for the duration of the block only (callers hold the generator's lock).
    """
    swapped: list[nn.Module] = []
    try:
        layer = 0
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.forward = types.MethodType(_per_image_batch_norm, m)
                swapped.append(m)
            elif isinstance(m, nn.Dropout):
                m.forward = types.MethodType(
                    lambda self, x, _layer=layer: _seeded_dropout(self, _layer, seeds, x), m
                )
                swapped.append(m)
                layer += 1
        yield module
    finally:
        for m in swapped:
            del m.forward
