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

    def stop_vote(self) -> "StopVote":
        """A should_stop that every rank answers alike (a collective: all ranks make it together)."""
        return StopVote(self)

    # --- collectives used by the trainer (no-ops in a single process) ----------------------------------

    def all_reduce_grads(self, module: torch.nn.Module) -> None:
        """Average the gradients of `module` over all ranks, in one flat buffer.

        The trainer calls this after each player's backward pass instead of wrapping the players in
        DistributedDataParallel: a GAN step uses D in the generator's phase and G (without grad) in the
        discriminator's, and gradient penalties differentiate through D twice, all of which DDP's
        bucketed hooks handle badly. Reducing exactly the gradients a phase produced is always right.
        """
        if not self.enabled:
            return
        import torch.distributed as dist

        grads = [p.grad for p in module.parameters() if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat /= self.world_size
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset : offset + n].view_as(g))
            offset += n

    def average_buffers(self, module: torch.nn.Module) -> None:
        """Average floating-point buffers (BatchNorm running statistics) so every rank saves the same."""
        if not self.enabled:
            return
        import torch.distributed as dist

        for buf in module.buffers():
            if buf.is_floating_point():
                dist.all_reduce(buf, op=dist.ReduceOp.SUM)
                buf /= self.world_size

    def mean_of(self, values: torch.Tensor) -> torch.Tensor:
        """Average a tensor of logged scalars over ranks (one small all-reduce per log step)."""
        if not self.enabled:
            return values
        import torch.distributed as dist

        values = values.clone()
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values / self.world_size

    def checksums(self, module: torch.nn.Module) -> list[float]:
        """Each rank's checksum of `module`'s parameters: equal on every rank when replicas agree."""
        with torch.no_grad():
            local = torch.stack([
                sum((p.double().sum() for p in module.parameters()), torch.zeros((), dtype=torch.float64)),
                sum((p.double().pow(2).sum() for p in module.parameters()), torch.zeros((), dtype=torch.float64)),
            ]).cpu()
        if not self.enabled:
            return [float(local[0] + local[1])]
        import torch.distributed as dist

        device = torch.device("cuda", self.local_rank) if self.backend == "nccl" else torch.device("cpu")
        gathered = [torch.zeros(2, dtype=torch.float64, device=device) for _ in range(self.world_size)]
        dist.all_gather(gathered, local.to(device))
        return [float(g[0] + g[1]) for g in gathered]


class StopVote:
    """Ranks stop at the same step, whichever of them got the signal.

    torchrun passes SIGTERM / SIGINT to every worker, but not at the same instant: a rank that stopped a
    step before the others would leave them waiting in that step's all-reduce for ever. Called with this
    rank's wish before each step, the vote starts a non-blocking all-reduce (MAX) of the wish over a CPU
    (gloo) group and answers with the previous call's result, so every rank sees the same answer at the
    same step, one step after the first rank asked, and no step waits on the network. The same number of
    calls on every rank is what Trainer.run makes. In a single process it is the wish itself.
    """

    def __init__(self, context: DistributedContext):
        self.enabled = context.enabled
        self._work = None
        self._vote: torch.Tensor | None = None
        self._decided = False
        self._group = None
        if self.enabled:
            import torch.distributed as dist

            self._group = dist.new_group(backend="gloo")  # its own group: never in line with the gradients

    def __call__(self, wish: bool) -> bool:
        if not self.enabled or self._decided:
            return bool(wish) or self._decided
        import torch.distributed as dist

        if self._work is not None:
            self._work.wait()
            self._decided = bool(self._vote.item())
        if not self._decided:
            self._vote = torch.tensor([int(bool(wish))], dtype=torch.int32)
            self._work = dist.all_reduce(self._vote, op=dist.ReduceOp.MAX, group=self._group, async_op=True)
        else:
            self._work = None
        return self._decided

    def close(self) -> None:
        """Wait for the last vote, so that no collective is left in flight when the group goes."""
        if self._work is not None:
            self._work.wait()
            self._work = None
