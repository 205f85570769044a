"""Where a run's real batches come from: toy samplers, in-memory image sets, streamed folders.

`BatchSource.next(n)` always answers with a `Batch` on the training device, drawn with the trainer's own
RNG so a run with the same seed sees the same batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from ganstudio.core.config import RunConfig


@dataclass
class Batch:
    real: torch.Tensor  # (N, 2) points or (N, C, H, W) images
    label: torch.Tensor | None = None  # class labels for conditional models
    cond: torch.Tensor | None = None  # pix2pix input image


class BatchSource:
    """Endless random batches on the training device, drawn with the trainer's own RNG."""

    def __init__(self, cfg: RunConfig, device: torch.device, rng: torch.Generator, rank: int = 0, world_size: int = 1):
        from ganstudio.core import data as datasets

        self.cfg = cfg
        self.device = device
        self.rng = rng
        self.toy = None
        self.images: torch.Tensor | None = None
        self.labels: torch.Tensor | None = None
        self.conds: torch.Tensor | None = None
        self.loader_iter = None
        self.loader = None
        self.n_classes = 0
        self.rank, self.world_size = rank, world_size
        self.skipped: list = []
        self.sketch_hints_max = cfg.data.hints_max
        d = cfg.data
        if d.task == "toy":
            params: dict[str, Any] = {}
            if d.toy_std is not None:
                params["std"] = d.toy_std
            if d.toy_modes is not None:
                params["n_modes"] = d.toy_modes
            self.toy = datasets.make_toy(d.kind, **params)
            self.n_items = 0
            return
        if d.kind == "digits":
            digits = datasets.load_digits(size=d.image_size)
            self.images = digits.images
            self.labels = digits.labels
            self.n_classes = 10
        elif d.kind == "folder":
            folder = datasets.ImageFolder(d.path, d.image_size, channels=d.channels)
            self.skipped = list(folder.skipped)
            self._tensor_or_loader(folder, lambda ds: ds.to_tensor())
        elif d.kind == "paired":
            folder = datasets.PairedFolder(d.path, d.image_size, direction=d.paired_direction)
            self.skipped = list(folder.skipped)
            self._tensor_or_loader(folder, lambda ds: ds.to_tensors())
        elif d.kind == "autopair":
            folder = datasets.ImageFolder(d.path, d.image_size, channels=3)
            self.skipped = list(folder.skipped)
            self._tensor_or_loader(folder, lambda ds: ds.to_tensor())
        # Each rank of a distributed run trains on its own shard (the in-memory DistributedSampler).
        if world_size > 1 and self.images is not None:
            idx = torch.arange(rank, self.images.shape[0], world_size)
            self.images = self.images[idx]
            self.labels = self.labels[idx] if self.labels is not None else None
            self.conds = self.conds[idx] if self.conds is not None else None
        if self.images is not None:
            self.n_items = self.images.shape[0]
            self.images = self.images.to(device)
            if self.labels is not None:
                self.labels = self.labels.to(device)
            if self.conds is not None:
                self.conds = self.conds.to(device)

    def _tensor_or_loader(self, dataset, to_tensor: Callable) -> None:
        # Small sets were decoded once into memory (fast random batches); large ones stream from disk.
        cached = to_tensor(dataset) if getattr(dataset, "cached", False) else None
        if cached is None:
            sampler = None
            if self.world_size > 1:
                sampler = torch.utils.data.DistributedSampler(dataset, num_replicas=self.world_size, rank=self.rank,
                                                              shuffle=True, drop_last=True)
            self.loader = torch.utils.data.DataLoader(
                dataset, batch_size=self.cfg.optim.batch_size, shuffle=sampler is None, sampler=sampler, drop_last=True,
                num_workers=self.cfg.data.workers, persistent_workers=self.cfg.data.workers > 0,
                # Page-locked batches copy to a GPU without a host sync (the .to(non_blocking=True) below).
                pin_memory=self.device.type == "cuda",
                generator=torch.Generator().manual_seed(int(torch.randint(0, 2**31, (1,), generator=self.rng))),
            )
            self.n_items = len(dataset)
            return
        if isinstance(cached, tuple):
            a, b = cached
            self.conds, self.images = a, b
        else:
            self.images = cached

    def next(self, n: int) -> Batch:
        if self.toy is not None:
            return Batch(real=self.toy.sample(n, generator=self.rng).to(self.device))
        if self.images is not None:
            idx = torch.randint(0, self.images.shape[0], (n,), generator=self.rng).to(self.device)
            real = self.images[idx]
            label = self.labels[idx] if self.labels is not None else None
            cond = self.conds[idx] if self.conds is not None else None
        else:
            real, label, cond = self._next_from_loader(n)
        if self.cfg.data.kind == "autopair":
            from ganstudio.core.sketch import encoding as sketch

            cond = self._sketch_inputs(real, sketch)
        return Batch(real=real, label=label, cond=cond)

    def _sketch_inputs(self, images: torch.Tensor, sketch) -> torch.Tensor:
        # A random number of colour hints per image, so the model works from bare lines to dense colour.
        n = torch.randint(0, self.sketch_hints_max + 1, (images.shape[0],), generator=self.rng)
        return sketch.image_to_sketch_input(images, n_hints=n, generator=self.rng).to(self.device)

    def _next_from_loader(self, n: int):
        if self.loader_iter is None:
            self.loader_iter = iter(self.loader)
        try:
            item = next(self.loader_iter)
        except StopIteration:
            self.loader_iter = iter(self.loader)
            item = next(self.loader_iter)
        nb = self.device.type == "cuda"
        if isinstance(item, (list, tuple)):
            a, b = item
            return b.to(self.device, non_blocking=nb), None, a.to(self.device, non_blocking=nb)
        return item.to(self.device, non_blocking=nb), None, None
