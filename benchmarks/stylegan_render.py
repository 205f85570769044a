"""StyleGAN render times on this machine: open a pickle (NVlabs' format, written by the tests' own writer with
random weights of a real configuration), then render batch-1 pictures as the Explore view does (psi in W, and
with a style edit: a W offset on the coarse layers plus fine-layer mixing), with 1 torch thread and with the
default thread count. Prints one line per measurement; numbers go to docs/BENCHMARKS.md.

    python benchmarks/stylegan_render.py [--out-dir DIR] [--repeats 5] [--only sg2|sg3] [--sg3-base 16384] [--plain]

StyleGAN2: the paper256 configuration of stylegan2-ada-pytorch (z = w = 512, 8 mapping layers, channel_base
16384, channel_max 512, 256 px). StyleGAN3: config T at 256 px (z = w = 512, 2 mapping layers, channel_base
--sg3-base (train.py's --cbase; 16384 by default, 32768 is train.py's default), channel_max 512). --plain
measures psi only (no W edit)."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

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
