"""Held-out quality of a cyclegan-scenes run (docs/QUALITY.md, "CycleGAN day <-> night").

    PYTHONPATH=. python -m ganstudio train cyclegan-scenes --out runs/cyclegan-scenes
    PYTHONPATH=. python benchmarks/cyclegan_scenes.py runs/cyclegan-scenes [--n 64]

Prints one JSON object: colour gaps (0..255 units, per-channel W1 of the pixel values) of the inputs and of
the translations to a held-out set of the target side, the edge agreement of each translation with its
input (Pearson r of Sobel magnitudes), and of unrelated pictures as the floor.
"""

from __future__ import annotations

import argparse
import json

import torch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a cyclegan-scenes run folder or its checkpoint")
    parser.add_argument("--n", type=int, default=64, help="held-out scenes of each kind")
    args = parser.parse_args()
    torch.set_num_threads(1)
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.train.cyclegan import scene_translation_quality

    model = open_generator(args.run, device="cpu")
    result = scene_translation_quality(model.module, n=args.n, size=model.image_size)
    print(json.dumps({"model": model.title, **{k: round(v, 4) for k, v in result.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
