"""`ganstudio project MODEL PICTURE --out BOOKMARK.json [--steps N] [--seed S] [--wplus] [--png OUT.png]`:
project a photo into a generator's latent space (StyleGAN: W, or W+ with --wplus; other latent models: z)
and write a bookmark that `ganstudio sample MODEL --latent BOOKMARK.json` renders to the projected picture.
A picture, model or output that does not fit is one sentence and exit 2."""

from __future__ import annotations

import argparse

NAME = "project"
DOING = "projecting the picture"


def add_parser(sub, parents) -> argparse.ArgumentParser:
    p = sub.add_parser(
        NAME, parents=parents, help="find the latent of a photo (edit your own photo) and bookmark it",
        description="Project a picture into a generator's latent space with Adam on a reconstruction loss "
                    "(pixel MSE plus multi-scale edge L1; no perceptual network is downloaded): StyleGAN in W "
                    "(or W+), other latent models in z with a prior term. The bookmark written renders the "
                    "projection again with `ganstudio sample MODEL --latent BOOKMARK.json`, and opens in Explore.")
    p.add_argument("checkpoint", metavar="MODEL", help="a checkpoint, run folder, bundled model name or foreign file")
    p.add_argument("picture", metavar="PICTURE", help="the photo (PNG, JPEG...; centre-cropped to a square)")
    p.add_argument("--out", required=True, metavar="BOOKMARK.json", help="the bookmark to write")
    p.add_argument("--steps", type=int, default=200, help="Adam steps (default 200, at most 5000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the starts and the w noise (default 0)")
    p.add_argument("--wplus", action="store_true", help="StyleGAN: one w per layer (W+), a closer fit")
    p.add_argument("--starts", type=int, default=None, metavar="N",
                   help="starts optimised at once, the best kept (default 4 in z; 1 for a StyleGAN, where each "
                        "start costs a whole synthesis pass a step; the others start from mapped random z)")
    p.add_argument("--class", dest="label", type=int, default=0, metavar="K", help="the class (conditional models)")
    p.add_argument("--png", metavar="OUT.png", help="also write the projected picture")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to optimise (default auto: CUDA if present; render the bookmark on the same kind)")
    p.add_argument("--class-count", type=int, default=None, metavar="K",
                   help="for foreign DCGAN files with labels concatenated to z: how many classes")
    return p


def run(args) -> int:
    from dataclasses import replace

    import torch

    from ganstudio.core.destinations import check_file_destination
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.imaging import save_png
    from ganstudio.core.latent.bookmarks import save_bookmark
    from ganstudio.core.latent.projection import ProjectSettings, load_target, project, projection_bookmark

    settings = ProjectSettings(steps=args.steps, seed=args.seed, wplus=args.wplus, label=args.label).check()
    if args.starts is not None:  # checked before any file is opened; applied to the model's kind below
        ProjectSettings(n_starts=args.starts).check()
    out = check_file_destination(args.out)
    png = check_file_destination(args.png) if args.png else None
    torch.manual_seed(args.seed)
    gen = open_generator(args.checkpoint, device=args.device, class_count=args.class_count)
    if args.starts is not None:
        settings = replace(settings, **({"w_starts": args.starts} if gen.is_stylegan else {"n_starts": args.starts}))
    target = load_target(args.picture, gen.image_size, gen.channels)

    def report(result) -> None:
        print(f"step {result.step}/{result.steps}  loss {result.loss:.4f}", flush=True)

    result = project(gen, target, settings, progress=report)
    path = save_bookmark(out, projection_bookmark(gen, result, args.picture))
    print(f"loss {result.start_loss:.4f} -> {result.loss:.4f}; bookmark {path}")
    if png is not None:
        save_png(result.picture, png)
        print(f"picture {png}")
    return 0
