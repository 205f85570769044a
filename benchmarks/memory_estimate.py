"""How close the memory estimate of one training step (core.models.size_check) is to real peaks.

Each case trains two steps in a fresh process and prints the peak RSS growth beside the estimate:

    python benchmarks/memory_estimate.py

Measured 2026-12-01 (1 torch thread, load 3-5): digits batch 512 width 96: 1110 MB estimated / 919 MB peak;
the same with WGAN-GP: 1538 / 1536; toy-ring d_width 512 depth 4 with 20 unrolled steps: 1009 / 834;
cyclegan-scenes batch 16 (load 1.8): 248 / 186.
(A measurement, not a test: the peak of a process varies with the machine and its allocator.)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

from ganstudio.core.config import preset
from ganstudio.core.models.size_check import estimate_step_bytes

QUIET = ["train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0", "train.steps=2"]
CASES = [
    ("digits-dcgan", ["optim.batch_size=512", "model.g_width=96", "model.d_width=96"]),
    ("digits-dcgan", ["optim.batch_size=512", "model.g_width=96", "model.d_width=96", "objective.loss=wgan-gp"]),
    ("toy-ring", ["model.d_width=512", "model.g_width=64", "model.d_depth=4", "tricks.unrolled_steps=20",
                  "optim.batch_size=512"]),
    ("cyclegan-scenes", ["optim.batch_size=16"]),
]


def peak_growth(name: str, overrides: list[str]) -> int:
    """Peak RSS growth (bytes) over two real training steps, in a fresh process outside the checkout."""
    code = (
        "import resource, torch; torch.set_num_threads(1)\n"
        "from ganstudio.core.config import preset\n"
        "from ganstudio.core.train.trainer import Trainer\n"
        f"t = Trainer(preset({name!r}).with_overrides({overrides!r}))\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t.run()\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)\n"
    )
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)
    return int(done.stdout.split()[-1])


def main() -> None:
    for name, extra in CASES:
        overrides = [*extra, *QUIET]
        estimate = estimate_step_bytes(preset(name).with_overrides(overrides))
        print(f"{name} {' '.join(extra)}: estimate {estimate / 1e6:.0f} MB, peak growth "
              f"{peak_growth(name, overrides) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
