"""torch.distributed set-up for `torchrun ... -m ganstudio train`: one process per GPU (or CPU worker).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK. Without them the context is a plain single process and
nothing is initialised. NCCL on CUDA, gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    initialised_here: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_environment(cls, device: str = "auto") -> "DistributedContext":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist

        rank = int(os.environ["RANK"])
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = device != "cpu" and torch.cuda.is_available()
        backend = "nccl" if use_cuda else "gloo"
        if use_cuda:
            torch.cuda.set_device(local_rank)
        initialised = False
        if not dist.is_initialized():
            dist.init_process_group(backend=backend)
            initialised = True
        return cls(rank=rank, world_size=world, local_rank=local_rank, backend=backend, initialised_here=initialised)

    def close(self) -> None:
        if self.initialised_here:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.barrier()
                dist.destroy_process_group()
            self.initialised_here = False
