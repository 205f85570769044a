"""How long one CycleGAN translation takes on this machine (docs/BENCHMARKS.md, "Translate").

    PYTHONPATH=. python benchmarks/translate_speed.py [--size 256] [--threads 1] [--repeats 5]

Times `Generator.translate` (the path of `ganstudio translate` and the Translate area) for a reference
resnet_9blocks (ngf 64, as `cyclegan-folders` trains it) on one size x size picture, after one warm-up run;
prints the median and the worst in milliseconds with the thread count and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from ganstudio.core.checkpoint import Checkpoint, save_checkpoint
    from ganstudio.core.config import preset
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.models.from_config import build_models

    cfg = preset("cyclegan-folders")
    G, D = build_models(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cyclegan.safetensors"
        save_checkpoint(path, Checkpoint(states={"G": G.state_dict(), "D": D.state_dict()},
                                         meta={"config": cfg.to_dict(), "step": 0, "task": "unpaired"}))
        model = open_generator(path, device="cpu")
        x = torch.rand(1, 3, args.size, args.size) * 2 - 1
        model.translate(x, mode="eval")
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            model.translate(x, mode="eval")
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(json.dumps({"model": "resnet_9blocks ngf 64", "size": args.size, "threads": args.threads,
                      "median_ms": round(times[len(times) // 2], 1), "worst_ms": round(times[-1], 1),
                      "load_average": [round(v, 2) for v in os.getloadavg()]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
