"""`ganstudio train` against our re-creation of pytorch/examples dcgan/main.py, and fp32 against bf16.

    python benchmarks/training_vs_examples.py examples [--steps 4] [--pairs 3] [--threads 2]
    python benchmarks/training_vs_examples.py precision [--batch 16] [--steps 1] [--pairs 2] [--threads 2]
    python benchmarks/training_vs_examples.py conv [--threads 1]
    python benchmarks/training_vs_examples.py compile [--threads 1]
    python benchmarks/training_vs_examples.py adam [--threads 1] [--pairs 3]

`examples`: DCGAN-64 (batch 64, ngf/ndf 64, z 100) on a 1280-picture folder (80x80 PNGs in
torchvision's ImageFolder layout), alternating pairs, each side timed over --steps iterations after a
warm-up (ganstudio.bench.training.examples_comparison; `ganstudio bench` runs it with 12 steps).
`precision`: the same Trainer in fp32 and in bf16 (autocast, channels_last) in alternating pairs.
`conv`: one 4x4 stride-2 convolution (128 -> 256 channels, 16x16, batch 16) in fp32 / bf16, contiguous /
channels_last: whether this CPU computes bf16 natively. `compile`: whether torch.compile works on this
build at all, and how long inductor takes for a 2-convolution net's forward + backward. `adam`: one
Adam step over DCGAN-64's generator (3.6M parameters), default / foreach / fused, alternating. Prints JSON with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("examples", "precision", "conv", "compile", "adam"))
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--pairs", type=int, default=None)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--root", default=None, help="folder for the pictures (kept between runs); default: a temp folder")
    args = ap.parse_args()
    import tempfile

    import torch

    torch.set_num_threads(args.threads or (1 if args.what == "conv" else 2))
    root = Path(args.root or tempfile.mkdtemp(prefix="ganstudio-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    out = {"what": args.what, "threads": torch.get_num_threads(), "load_before": os.getloadavg()}
    if args.what == "examples":
        from ganstudio.bench.training import examples_comparison

        out.update(examples_comparison(torch.device("cpu"), root, steps=args.steps or 4, repeats=args.pairs or 3,
                                       progress=lambda s: print(s, file=sys.stderr, flush=True)))
    elif args.what == "precision":
        from ganstudio.bench.training import examples_folder, examples_trainer_config, trainer_steps
        from ganstudio.core.train.trainer import Trainer

        folder = examples_folder(root)

        def make(precision: str) -> Trainer:
            return Trainer(examples_trainer_config(folder, "cpu").with_overrides(
                [f"optim.batch_size={args.batch}", f"train.precision={precision}"]))

        fp32, bf16 = make("fp32"), make("bf16")
        pairs = []
        for _ in range(args.pairs or 2):
            pairs.append((trainer_steps(fp32, args.steps or 1), trainer_steps(bf16, args.steps or 1)))
            print(f"fp32 {pairs[-1][0]:.4f} it/s, bf16 {pairs[-1][1]:.4f} it/s", file=sys.stderr, flush=True)
        out.update({"batch": args.batch, "pairs_fp32_bf16_it_s": pairs,
                    "ratio_bf16_over_fp32": statistics.median(b / a for a, b in pairs)})
    elif args.what == "adam":
        from ganstudio.core.models.dcgan import DCGANGenerator

        for _ in range(args.pairs or 3):
            for kind, kw in (("default", {}), ("foreach", {"foreach": True}), ("fused", {"fused": True})):
                g = DCGANGenerator(100, 64, 3, 64)
                for p in g.parameters():
                    p.grad = torch.randn_like(p)
                opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999), **kw)
                opt.step()
                t0 = time.perf_counter()
                for _ in range(5):
                    opt.step()
                out.setdefault(kind + " ms", []).append(round((time.perf_counter() - t0) / 5 * 1000, 1))
    elif args.what == "compile":
        net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 4, 2, 1), torch.nn.LeakyReLU(0.2), torch.nn.Conv2d(8, 1, 4, 1, 0))
        x = torch.randn(4, 3, 16, 16)
        t0 = time.perf_counter()
        try:
            y = torch.compile(net)(x)
            y.sum().backward()
            out.update({"works": True, "compile_s": round(time.perf_counter() - t0, 1),
                        "max_abs_diff": float((y.detach() - net(x).detach()).abs().max())})
        except Exception as exc:  # a build without a working compiler: say so
            out.update({"works": False, "error": f"{type(exc).__name__}: {str(exc)[:300]}",
                        "seconds": round(time.perf_counter() - t0, 1)})
    else:
        conv = torch.nn.Conv2d(128, 256, 4, 2, 1, bias=False)
        x = torch.randn(16, 128, 16, 16)
        for name, bf16, cl in (("fp32", False, False), ("fp32 channels_last", False, True),
                               ("bf16", True, False), ("bf16 channels_last", True, True)):
            fmt = torch.channels_last if cl else torch.contiguous_format
            m, xx = conv.to(memory_format=fmt), x.contiguous(memory_format=fmt)
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                m(xx)
                t0 = time.perf_counter()
                for _ in range(5):
                    m(xx)
            out[name + " ms"] = round((time.perf_counter() - t0) / 5 * 1000, 1)
        from ganstudio.core.device import cpu_has_native_bf16

        out["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
        out["native_bf16"] = cpu_has_native_bf16()
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
