"""StyleGAN3's filtered leaky ReLU alone, layer by layer: the reference composition
(`stylegan3.filtered_lrelu_reference`: zero insertion, the FIR filters at the high rate, then dropping samples)
against the CPU path (`polyphase.filtered_lrelu`), alternating in one process, on each layer's real sizes,
channels, factors and paddings (config T, channel_base 16384 by default, random filter taps and inputs).
Prints each layer's best time of --repeats for both, the totals, their ratio and the largest difference.

    python benchmarks/filtered_lrelu.py [--res 256] [--cbase 16384] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch


def main(argv=None) -> int:
    from ganstudio.core.models import polyphase
    from ganstudio.core.models.stylegan3 import StyleGAN3Settings, filtered_lrelu_reference, synthesis_plan

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--res", type=int, default=256)
    ap.add_argument("--cbase", type=int, default=16384)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = StyleGAN3Settings(z_dim=512, c_dim=0, w_dim=512, img_resolution=args.res, img_channels=3,
                                 channel_base=args.cbase)
    gen = torch.Generator().manual_seed(0)
    print(f"{args.res} px, channel_base {args.cbase}, {torch.get_num_threads()} thread(s), load average "
          + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    totals = {"reference": 0.0, "polyphase": 0.0}
    worst = 0.0
    for p in synthesis_plan(settings)[1][:-1]:  # ToRGB has no filters
        size = p.in_size + p.conv_kernel - 1
        x = torch.randn(1, p.out_channels, size, size, generator=gen)
        b = 0.1 * torch.randn(p.out_channels, generator=gen)
        fu = torch.randn(p.up_taps, generator=gen) / p.up_taps
        fd = torch.randn(p.down_taps, generator=gen) / p.down_taps
        kw = dict(up=p.up_factor, down=p.down_factor, padding=p.padding, gain=math.sqrt(2), slope=0.2, clamp=256.0)
        best = {"reference": math.inf, "polyphase": math.inf}
        results = {}
        for _ in range(args.repeats):
            for name, fn in (("reference", filtered_lrelu_reference), ("polyphase", polyphase.filtered_lrelu)):
                t0 = time.perf_counter()
                results[name] = fn(x, fu, fd, b, **kw)
                best[name] = min(best[name], time.perf_counter() - t0)
        diff = float((results["reference"] - results["polyphase"]).abs().max())
        worst = max(worst, diff)
        for name in totals:
            totals[name] += best[name]
        print(f"{p.name}: {p.out_channels} channels, {size} px, up {p.up_factor} down {p.down_factor}: reference "
              f"{best['reference'] * 1000:.0f} ms, polyphase {best['polyphase'] * 1000:.0f} ms "
              f"({best['reference'] / best['polyphase']:.1f}x), largest difference {diff:.1e}", flush=True)
    ref, fast = totals["reference"], totals["polyphase"]
    print(f"all layers: reference {ref:.2f} s, polyphase {fast:.2f} s, {ref / fast:.1f}x; largest difference "
          f"{worst:.1e}; load average " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
