"""Photo projection times (`core.latent.projection.project`, the path of `ganstudio project` and the Explore
area's Photo tab) with 1 torch thread: a picture the model drew itself is projected with N Adam steps; prints
one line per model with the wall time (median of --repeats, after one warm-up run), the loss from start to
end and the PSNR of the projection against the picture. Numbers go to docs/BENCHMARKS.md.

    PYTHONPATH=. python benchmarks/projection_speed.py [--steps 32] [--repeats 3] [--out-dir DIR]

Models: the bundled digits-conditional DCGAN (32 px, grey, 10 classes), the bundled landscapes-dcgan (64 px),
and a small StyleGAN2 with random weights written in NVlabs' format by the tests' writer (z = w = 64,
8 mapping layers, 64 px, channel_base 2048, channel_max 64), in W and in W+."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the NVlabs-format writer lives with the tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out-dir", default="/tmp/projection-bench")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from nvlabs_reference import Cfg, reference_generator, write_snapshot

    from ganstudio.core.generators.catalogue import bundled_folder
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.latent.projection import ProjectSettings, project, psnr, target_from_pixels
    from ganstudio.core.latent.space import sample_latents

    folder = Path(args.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    sg2 = folder / "sg2-64.pkl"
    if not sg2.exists():
        write_snapshot(sg2, reference_generator(Cfg(z=64, w=64, res=64, layers=8, base=2048, cmax=64), seed=1))
    cases = [("digits-conditional DCGAN 32 px", bundled_folder() / "digits-conditional.safetensors", False),
             ("landscapes-dcgan 64 px", bundled_folder() / "landscapes-dcgan.safetensors", False),
             ("StyleGAN2 64 px (z=w=64), W", sg2, False),
             ("StyleGAN2 64 px (z=w=64), W+", sg2, True)]
    print(f"torch {torch.__version__}, 1 thread, load average {os.getloadavg()[0]:.1f}, {args.steps} steps")
    for name, path, wplus in cases:
        gen = open_generator(path, device="cpu")
        labels = [3] if gen.n_classes else None
        picture = gen.render_latents(sample_latents(1, gen.z_dim, 7), labels)[0]
        target = target_from_pixels(picture, gen.channels)
        settings = ProjectSettings(steps=args.steps, wplus=wplus, label=3 if gen.n_classes else 0)
        project(gen, target, settings)  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            result = project(gen, target, settings)
            times.append(time.perf_counter() - t0)
        print(f"{name}: median {statistics.median(times):.2f} s (best {min(times):.2f} s) of {args.repeats}; "
              f"loss {result.start_loss:.4f} -> {result.loss:.4f}; PSNR {psnr(result.picture, picture):.1f} dB; "
              f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
