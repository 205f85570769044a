"""A batch of latents rendered in parts on parallel threads, on a CPU with more cores than torch's threads.

The app and the CLI run torch on fewer threads than there are CPUs (core.device.choose_threads: one on a
2-core machine, where two OpenMP threads on loaded cores are often several times slower than one). A
16-sample grid then uses one core while the other idles. Each part here is a whole forward pass on its own
Python thread (convolutions release the GIL, and with one intra-op thread each op runs on its caller), so
nothing spins waiting for a busy core: on a loaded machine the parts simply take turns. The pictures are
bit-identical to one forward of the whole batch (tests/core/generators/test_batch_split.py), as a
bookmark's reproduction needs; StyleGAN models are not split (their per-sample grouped convolutions are
not bit-identical across batch sizes).
"""

from __future__ import annotations

import threading
from typing import Callable

import torch

from ganstudio.core.device import adopt_torch_threads, available_cpus

MIN_PART = 4  # latents per part: below this the threads cost more than they save


def parts_for(n: int, device: torch.device) -> int:
    """How many parallel parts a batch of n latents is rendered in on `device` (1 = one forward pass)."""
    if device.type != "cpu":
        return 1
    spare = available_cpus() // max(1, torch.get_num_threads())
    return max(1, min(spare, n // MIN_PART))


def forward_in_parts(forward: Callable[..., torch.Tensor], z: torch.Tensor, y: torch.Tensor | None,
                     parts: int) -> torch.Tensor:
    """forward(z_part[, y_part]) for `parts` consecutive slices of the batch, concatenated in order; the
    first slice runs on the calling thread, the others on short-lived threads joined before returning."""
    z_parts = z.chunk(parts)
    y_parts = y.chunk(parts) if y is not None else [None] * len(z_parts)
    results: list[torch.Tensor | None] = [None] * len(z_parts)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            adopt_torch_threads()  # else each part's convolutions would use every core (OpenMP's default)
            with torch.inference_mode():  # thread-local: each part enters it itself
                results[i] = forward(z_parts[i]) if y_parts[i] is None else forward(z_parts[i], y_parts[i])
        except BaseException as e:  # handed to the caller, never lost in a thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), name="ganstudio-render-part", daemon=True)
               for i in range(1, len(z_parts))]
    for t in threads:
        t.start()
    run(0)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return torch.cat(results)  # type: ignore[arg-type]
