"""StyleGAN render times on this machine: open a pickle (NVlabs' format, written by the tests' own writer with
random weights of a real configuration), then render batch-1 pictures as the Explore view does (psi in W, and
with a style edit: a W offset on the coarse layers plus fine-layer mixing), with 1 torch thread and with the
default thread count. Prints one line per measurement; numbers go to docs/BENCHMARKS.md.

    python benchmarks/stylegan_render.py [--out-dir DIR] [--repeats 5] [--only sg2|sg3] [--sg3-base 16384] [--plain]
    python benchmarks/stylegan_render.py --only sg3 --compare 3 [--threads 1]

StyleGAN2: the paper256 configuration of stylegan2-ada-pytorch (z = w = 512, 8 mapping layers, channel_base
16384, channel_max 512, 256 px). StyleGAN3: config T at 256 px (z = w = 512, 2 mapping layers, channel_base
--sg3-base (train.py's --cbase; 16384 by default, 32768 is train.py's default), channel_max 512). --plain
measures psi only (no W edit). --compare N renders the StyleGAN3 view N times each way, alternating, in one
process: through the reference composition of the filtered leaky ReLU (`stylegan3.filtered_lrelu_reference`,
zero insertion and the FIR filters at the high rate, as before the polyphase path) and through the CPU path
(`polyphase.filtered_lrelu`), and prints both medians, their ratio and the largest pixel difference."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the NVlabs-format writer lives with the tests


def _write(kind: str, folder: Path, sg3_base: int) -> Path:
    from nvlabs_reference import Cfg, Cfg3, reference_generator, reference_generator3, write_snapshot

    path = folder / (f"{kind}-256.pkl" if kind == "sg2" else f"{kind}-256-cbase{sg3_base}.pkl")
    if not path.exists():
        G = (reference_generator(Cfg(z=512, w=512, res=256, layers=8, base=16384, cmax=512)) if kind == "sg2"
             else reference_generator3(Cfg3(z=512, w=512, res=256, num_layers=14, base=sg3_base, cmax=512)))
        write_snapshot(path, G)
    return path


def _times(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ms), min(ms)


def _load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def _compare(gen, request, pairs: int) -> None:
    """Alternating renders through the reference filtered leaky ReLU and the CPU path (see the docstring)."""
    from ganstudio.core.models import polyphase

    def reference():
        with mock.patch.object(polyphase, "supports", lambda *a: False):
            return gen.render(request)

    times = {"reference": [], "polyphase": []}
    pixels = {}
    print(f"compare: {torch.get_num_threads()} thread(s), {_load()} at the start", flush=True)
    for i in range(pairs):
        for name, fn in (("reference", reference), ("polyphase", lambda: gen.render(request))):
            t0 = time.perf_counter()
            pixels[name] = fn().pixels
            times[name].append(time.perf_counter() - t0)
            print(f"compare: pair {i + 1} {name} {times[name][-1]:.2f} s ({_load()})", flush=True)
    ref, fast = statistics.median(times["reference"]), statistics.median(times["polyphase"])
    diff = int(np.abs(pixels["reference"].astype(int) - pixels["polyphase"].astype(int)).max())
    print(f"compare: median reference {ref:.2f} s, polyphase {fast:.2f} s, {ref / fast:.1f}x faster; largest pixel "
          f"difference {diff}/255 ({_load()} at the end)", flush=True)


def main(argv=None) -> int:
    from ganstudio.core.generators.handle import LatentRequest, open_generator
    from ganstudio.core.generators.style_edit import StyleEdit
    from ganstudio.core.latent.space import sample_latents

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default="/tmp/stylegan-bench")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", choices=("sg2", "sg3"))
    ap.add_argument("--sg3-base", type=int, default=16384)
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--compare", type=int, default=0, metavar="N",
                    help="StyleGAN3: N alternating renders each through the reference and the polyphase path")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for --compare")
    args = ap.parse_args(argv)
    folder = Path(args.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    default_threads = torch.get_num_threads()
    for kind in ("sg2", "sg3"):
        if args.only and kind != args.only:
            continue
        path = _write(kind, folder, args.sg3_base)
        t0 = time.perf_counter()
        gen = open_generator(path, device="cpu")
        load_s = time.perf_counter() - t0
        print(f"{kind}: {path.name} {path.stat().st_size / 1e6:.0f} MB, {gen.describe()['parameters'] / 1e6:.1f} M "
              f"parameters in G_ema, open {load_s:.2f} s", flush=True)
        z = sample_latents(1, gen.z_dim, 0)
        if args.compare and kind == "sg3":
            torch.set_num_threads(args.threads)
            _compare(gen, LatentRequest(z, None, 0.7), args.compare)
            torch.set_num_threads(default_threads)
            continue
        ranges = {"coarse": (0, 4), "fine": (8, gen.info["num_ws"])}
        offset = np.full(gen.info["w_dim"], 0.5, np.float32)
        edit = StyleEdit(mix_z=sample_latents(1, gen.z_dim, 1)[0], mix_layers=ranges["fine"], w_offset=offset,
                         offset_layers=ranges["coarse"])
        for threads in sorted({1, default_threads}):
            torch.set_num_threads(threads)
            cases = [("psi 0.7", LatentRequest(z, None, 0.7))]
            if not args.plain:
                cases.append(("psi 0.7 + W edit + mixing", LatentRequest(z, None, 0.7, edit)))
            for what, req in cases:
                med, best = _times(lambda r=req: gen.render(r), args.repeats)
                print(f"{kind}: batch 1, {threads} thread{'s' if threads > 1 else ''}, {what}: median {med:.0f} ms, "
                      f"best {best:.0f} ms ({args.repeats} renders)", flush=True)
        torch.set_num_threads(default_threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
