"""Headless commands written here: `ganstudio sample | info | translate | import | bench`; `train` and the others
are modules of `ganstudio.commands`. With no subcommand, `ganstudio` opens the app.

Every exception that reaches `run_command` becomes one line on stderr: a user error (a GanStudioError, an
OSError naming a path, running out of memory) prints `ganstudio: error: ...` and exits with status 2; a bug
prints `ganstudio: internal error: <type>: <message>` and exits with 1. `--debug` (or GANSTUDIO_DEBUG=1) adds
the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from pathlib import Path

from ganstudio import __version__
from ganstudio.commands import LAST, command_modules
from ganstudio.core.destinations import check_file_destination, check_folder_destination, writing
from ganstudio.core.errors import GanStudioError, user_error_message
from ganstudio.core.train.runlog import format_hms

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
EXIT_INTERRUPTED = 130
DEBUG_HELP = "show the traceback of an error (also GANSTUDIO_DEBUG=1)"


def build_parser() -> argparse.ArgumentParser:

    parser = argparse.ArgumentParser(
        prog="ganstudio",
        description="GAN Studio: train, watch, explore and sketch with GANs. "
        "Run without a command to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"ganstudio {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    # --debug after the command too; SUPPRESS keeps an absent one from overwriting the top-level value
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = command_modules()
    for module in modules:
        if getattr(module, "ORDER", LAST) < LAST:
            module.add_parser(sub, [debug])


    p = sub.add_parser("sample", parents=[debug], help="generate samples from a checkpoint")
    p.add_argument("checkpoint", help="a .safetensors checkpoint, a run folder, a DCGAN generator saved by another "
                   "program (.pth, .pt, .tar, .ckpt, .bin), a rosinality stylegan2-pytorch .pt or an NVlabs StyleGAN2-ADA "
                   "network-snapshot .pkl (read without running pickled code)")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--out", required=True, help="PATH.png for a grid, PATH.npy for 2-D points, or a folder for one PNG per sample")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--latent", metavar="FILE", help="exact latent vectors to render (.npy of shape (N, z_dim), or a bookmark .json)")
    p.add_argument("--class", dest="class_id", type=int, metavar="K", help="class to generate (conditional models)")
    p.add_argument("--truncation", type=float, metavar="PSI", default=None,
                   help="truncation psi (default 1: none, or a bookmark's): StyleGAN pulls w toward its average "
                        "w_avg; other models draw z scaled by psi (0 < psi <= 2)")
    p.add_argument("--class-count", type=int, metavar="K",
                   help="a foreign DCGAN's number of classes, whose one-hot labels are concatenated to z "
                   "(its weights cannot tell label channels from z's)")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator instead of its EMA copy")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to render (default auto: CUDA if present, as the app does)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: all CPUs but one)")

    p = sub.add_parser("info", parents=[debug], help="describe a checkpoint (model, training, metrics) or another program's generator (a StyleGAN .pkl, a .pth, a converted file)")
    p.add_argument("checkpoint")

    p = sub.add_parser("bench", parents=[debug], help="measure training throughput and interactive latency; writes JSON",
                       description="Measure what users feel (see docs/BENCHMARKS.md). Benchmarks are not tests.")
    p.add_argument("--quick", action="store_true", help="a short smoke run (CI uses it)")
    p.add_argument("--out", metavar="FILE.json", help="write the full report here")
    p.add_argument("--only", choices=("training", "gui"), help="run one section")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")

    p = sub.add_parser("translate", parents=[debug], help="apply a sketch / pix2pix model to a picture or a sketch document",
                       description="Apply a sketch or pix2pix generator headless. MODEL is a GAN Studio checkpoint "
                       "(or run folder) of a paired / autopair run, or a pytorch-CycleGAN-and-pix2pix U-Net or "
                       "ResNet (CycleGAN) .pth (read without running pickled code). U-Nets take the picture "
                       "cropped and resized to their size; ResNets keep its size, each side rounded to a multiple "
                       "of 4 as the reference's --preprocess none does. For sketch (autopair) models a picture INPUT is turned "
                       "into lines and colour hints exactly as training pairs are; a saved sketch document (.json) "
                       "is replayed stroke by stroke.")
    p.add_argument("model", metavar="CHECKPOINT_OR_PTH")
    p.add_argument("input", metavar="INPUT", help="a picture (.png, .jpg, ...) or a sketch document (.json)")
    p.add_argument("--out", required=True, help="the output picture (.png)")
    p.add_argument("--eval", action="store_true",
                   help="deterministic: batch norm running statistics, no dropout (default: the pix2pix "
                   "reference's test mode, per-image statistics and dropout on, seeded by --seed)")
    p.add_argument("--seed", type=int, default=0, help="variant seed (dropout masks, colour-hint places)")
    p.add_argument("--variant-seed", type=int, default=None, metavar="N",
                   help="models with a latent input (the bundled sketch model): the variant of seed N, as the "
                   "Sketch area's strip draws it (default: z = 0, the mean, one deterministic picture)")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), default=None,
                   help="CycleGAN checkpoints (unpaired runs): translate A to B (the default) or B to A")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to run the model (default auto: CUDA if present, as the app does)")
    p.add_argument("--hints", type=int, default=10, metavar="N",
                   help="colour hints taken from a picture INPUT for sketch models (default 10)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="torch CPU threads (default: all CPUs but one)")

    p = sub.add_parser("import", parents=[debug], help="convert a generator saved by another program to a safe file",
                       description="Convert a generator saved by another program (DCGAN-style Sequential generators "
                       "such as pytorch/examples' and the PyTorch DCGAN tutorial's, pytorch-CycleGAN-and-pix2pix U-Net "
                       "and ResNet generators, NVlabs StyleGAN2-ADA / StyleGAN3 pickles, rosinality stylegan2-pytorch .pt "
                       "checkpoints; a state dict or a training checkpoint's dict, read with weights_only=True) once into a .safetensors file holding its weights and a JSON description. "
                       "Every area and command opens the converted file as the same network, without PyTorch pickles.")
    p.add_argument("file", metavar="FILE", help="the weights file (.pth, .pt, .tar, .ckpt, .bin or .safetensors)")
    p.add_argument("--out", required=True, metavar="MODEL.safetensors", help="the converted model")
    p.add_argument("--class-count", type=int, metavar="K",
                   help="a DCGAN's number of classes, whose one-hot labels are concatenated to z (stored in the "
                   "converted file)")
    for module in modules:
        if getattr(module, "ORDER", LAST) >= LAST:
            module.add_parser(sub, [debug])
    return parser


def main(argv: list[str]) -> int:
    parser = build_parser()
    if not argv:
        return launch_app([])
    if argv[0] not in all_commands() and not argv[0].startswith("-"):
        return open_in_app(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.WARNING, format="ganstudio: %(levelname)s: %(message)s")
    debug = args.debug or os.environ.get("GANSTUDIO_DEBUG", "") not in ("", "0")
    return run_command(all_commands()[args.command], args, debug=debug)


# What each command is doing, for "not enough memory for ...".
DOING = {"sample": "sampling", "info": "reading the checkpoint", "bench": "the benchmark",
         "translate": "translating", "import": "importing the model"}


def run_command(command, args, debug: bool = False) -> int:
    """Run one subcommand; every exception leaving it becomes one line on stderr (see the module docstring)."""
    try:
        return command(args)
    except KeyboardInterrupt:  # Ctrl-C outside the training loop (which saves and exits itself)
        print("ganstudio: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        name = getattr(args, "command", "")
        doing = DOING.get(name) or {m.NAME: m.DOING for m in command_modules()}.get(name, "this command")
        return report_exception(exc, doing=doing, debug=debug)


def report_exception(exc: BaseException, doing: str = "this command", debug: bool = False, stream=None) -> int:
    """Print the one line of an exception (after its traceback with debug) and return the exit status."""
    stream = stream or sys.stderr
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=stream)
    message = user_error_message(exc, doing=doing)
    if message is not None:
        print(f"ganstudio: error: {_one_line(message)}", file=stream)
        return EXIT_USER_ERROR
    text = _one_line(str(exc))
    hint = "" if debug else " (run with --debug for the traceback)"
    print(f"ganstudio: internal error: {type(exc).__name__}{': ' + text if text else ''}{hint}", file=stream)
    return EXIT_INTERNAL_ERROR


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def all_commands() -> dict:
    """Every sub-command: those written here and those of `ganstudio.commands` modules."""
    found = dict(COMMANDS)
    found.update({module.NAME: module.run for module in command_modules()})
    return found


def open_in_app(paths: list[str]) -> int:
    """`ganstudio FILE...`: open each in the area that fits it; what cannot be opened is said before the window."""
    from ganstudio.core.open_target import classify

    try:
        for path in paths:
            classify(path)
    except GanStudioError as exc:
        print(f"ganstudio: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    return launch_app([], open_paths=paths)


def launch_app(qt_argv: list[str], open_paths: list[str] | None = None) -> int:
    """Open the desktop app, or say in one sentence why it cannot start here (before Qt aborts)."""
    from ganstudio.system_libraries import desktop_problem

    problem = desktop_problem()
    if problem:
        print(f"ganstudio: error: {problem}", file=sys.stderr)
        return EXIT_USER_ERROR
    from ganstudio.qt.app import run_app

    code = run_app(qt_argv, open_paths)
    # Everything is saved when the window closes (settings, checkpoint, sketch); Python's teardown of torch,
    # Qt and pyqtgraph would add ~1.2 s (measured) before the process is gone, so a quick relaunch could meet
    # the old process still holding its run folder.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# --- train -----------------------------------------------------------------------------------------

def _apply_render_threads(requested: int | None) -> None:
    from ganstudio.core.device import apply_threads

    if requested is not None and requested < 1:
        raise GanStudioError(f"--threads must be 1 or more, not {requested}.")
    apply_threads("image", requested)


SEED_MAX = 2**31 - 1  # the seed boxes' range, as configs and documents take it


def _check_seed(seed: int) -> None:
    if not 0 <= seed <= SEED_MAX:
        raise GanStudioError(f"--seed must be a whole number from 0 to {SEED_MAX}, not {seed}.")


# --- sample ----------------------------------------------------------------------------------------

def cmd_sample(args) -> int:
    import numpy as np
    import torch

    from ganstudio.core.generators.handle import INPUT_POINTS, open_generator
    from ganstudio.core.imaging import save_png, tile_pictures, to_uint8

    if args.n < 1:
        raise GanStudioError(f"--n must be 1 or more, not {args.n}.")
    _check_seed(args.seed)
    out_path = Path(args.out)
    if out_path.suffix:  # a .png grid or .npy points; no suffix: a folder of PNGs
        check_file_destination(out_path)
    else:
        check_folder_destination(out_path)
    _apply_render_threads(args.threads)
    model = open_generator(args.checkpoint, device=args.device, use_ema=not args.no_ema, class_count=args.class_count)
    if model.is_translation:
        raise GanStudioError(f"{args.checkpoint} is an image-to-image model; use `ganstudio translate` for it.")
    labels = None
    style = None
    if args.latent:
        from ganstudio.core.latent.bookmarks import bookmark_model_warning, read_latents

        z_np, labels, bookmark = read_latents(args.latent, model.z_dim)
        z = torch.from_numpy(z_np)
        if bookmark is not None:  # an Explore bookmark names the weights it was made with
            warning = bookmark_model_warning(bookmark, args.checkpoint, use_ema=not args.no_ema)
            if warning:
                print(f"ganstudio: warning: {warning}", file=sys.stderr)
            # a StyleGAN bookmark's psi in W and its style edit (mixing, W offsets) render as on screen
            style = bookmark.style
            if args.truncation is None and bookmark.truncation_psi != 1.0:
                args.truncation = bookmark.truncation_psi
    else:
        z = torch.randn(args.n, model.z_dim, generator=torch.Generator().manual_seed(args.seed))
    z, psi_in_w = _sample_truncation(model, z, args)
    if model.n_classes:
        if args.class_id is not None:
            if not 0 <= args.class_id < model.n_classes:
                raise GanStudioError(f"--class must be between 0 and {model.n_classes - 1}, not {args.class_id}.")
            labels = [args.class_id] * z.shape[0]
    elif args.class_id is not None:
        raise GanStudioError(f"{args.checkpoint} is not class-conditional; drop --class.")
    else:
        labels = None
    if model.input_kind == INPUT_POINTS and out_path.suffix != ".npy":
        raise GanStudioError(f"a 2-D model writes points: give --out a path ending in .npy, not {out_path.name}.")
    if model.input_kind != INPUT_POINTS and out_path.suffix and out_path.suffix.lower() != ".png":
        raise GanStudioError(f"--out must end in .png (a grid) or name a folder (one PNG per sample), not {out_path.name}.")
    batches = _render_batches(model, z, labels, psi_in_w, style)
    if model.input_kind == INPUT_POINTS:
        points = np.concatenate([out.numpy() for _start, out in batches])
        with writing(out_path):
            out_path.parent.mkdir(parents=True, exist_ok=True)
            np.save(out_path, points)
        print(f"ganstudio: wrote {points.shape[0]} points to {out_path}", file=sys.stderr)
        return 0
    n = z.shape[0]
    if out_path.suffix:
        pictures = []
        for start, out in batches:
            if start == 0 and n * out[0].numel() > GRID_MAX_VALUES:  # known from the first batch, before the rest
                raise GanStudioError(
                    f"a grid of {n} pictures of {out.shape[-1]}x{out.shape[-2]} would be too large to write as one "
                    f"PNG; give --out a folder to write one PNG per sample, or fewer latents.")
            pictures.append(to_uint8(out))
        with writing(out_path):
            save_png(tile_pictures(np.concatenate(pictures)), out_path)
        print(f"ganstudio: wrote a grid of {n} sample{'s' if n != 1 else ''} to {out_path}", file=sys.stderr)
    else:
        for start, out in batches:  # written as they come: 10^5 latents never sit in memory at once
            for i, pic in enumerate(to_uint8(out), start):
                with writing(out_path / f"sample_{i:05d}.png"):
                    save_png(pic, out_path / f"sample_{i:05d}.png")
        print(f"ganstudio: wrote {n} PNG files to {out_path}", file=sys.stderr)
    return 0


RENDER_BATCH = 64  # latents a forward pass: a bookmark may hold 10^5 of them (MAX_LATENTS)
GRID_MAX_VALUES = 3 * 8192 * 8192  # one grid PNG's values (an 8192 px square of RGB, ~200 MB)


def _render_batches(model, z, labels, psi_in_w, style):
    """(index of the first, outputs) for the latents a batch at a time, so memory stays that of one batch."""
    from dataclasses import replace

    for start in range(0, z.shape[0], RENDER_BATCH):
        stop = min(start + RENDER_BATCH, z.shape[0])
        part = style
        if style is not None and style.path_at is not None:  # each latent's place on a W path is its own
            part = replace(style, path_at=style.path_at[start:stop])
        yield start, model.generate(z[start:stop], None if labels is None else labels[start:stop],
                                    truncation_psi=psi_in_w, style=part)


def _sample_truncation(model, z, args):
    """`--truncation PSI`: StyleGAN models take psi in W at render time (returned); the others keep the
    Explore area's 'scale' truncation of z (z * psi, the same numbers as a scaled seeded draw)."""
    import math

    psi = 1.0 if args.truncation is None else float(args.truncation)
    if not math.isfinite(psi):
        raise GanStudioError(f"--truncation must be a finite number, not {args.truncation}.")
    if model.truncates_in_w or psi == 1.0:
        return z, psi
    if args.latent:
        raise GanStudioError(f"{args.checkpoint} truncates z, and --latent gives latents as they are; drop --truncation "
                             "or --latent.")
    from ganstudio.core.latent.space import Truncation

    Truncation("scale", psi)  # the range check of the Explore area's psi
    return z * psi, 1.0


# --- info ------------------------------------------------------------------------------------------

def cmd_info(args) -> int:
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.generators import formats
    from ganstudio.core.models.from_config import build_models, config_from_checkpoint
    from ganstudio.core.models.registry import count_parameters

    source = Path(args.checkpoint)
    if source.is_file() and formats.is_foreign(source):  # another program's weights, or a file `import` converted
        return _foreign_info(source)
    ckpt = load_checkpoint(args.checkpoint)
    cfg = config_from_checkpoint(ckpt)
    G, D = build_models(cfg, int(ckpt.meta.get("n_classes", 0)))
    m, d, o, t, opt = cfg.model, cfg.data, cfg.objective, cfg.tricks, cfg.optim
    data_desc = d.kind + (f" from {d.path}" if d.path else "")
    if d.task != "toy":
        data_desc += f", {d.image_size}x{d.image_size}"
    tricks_on = [f"{k}={v}" for k, v in vars(t).items() if v not in (0, 0.0, False, 1) or (k == "pack" and v > 1)]
    lines = [
        f"checkpoint   {args.checkpoint}",
        f"run          {cfg.name} (ganstudio {ckpt.meta.get('ganstudio_version', '?')}, torch {ckpt.meta.get('torch_version', '?')})",
        f"task         {d.task}: {data_desc}",
        f"generator    {m.generator}: {type(G).__name__}, {count_parameters(G):,} parameters, z_dim {m.z_dim if d.task not in ('paired', 'unpaired') else '-'}"
        + (", class-conditional" if m.class_conditional else ""),
        f"critic       {m.discriminator}: {type(D).__name__}, {count_parameters(D):,} parameters, norm {m.d_norm}",
        f"objective    {o.loss}" + (f", R1 gamma {o.r1_gamma}" if o.r1_gamma else "") + (f", GP {o.gp_weight}" if o.gp_weight else ""),
        f"tricks       {', '.join(tricks_on) or 'none'}",
        f"optimizer    {opt.optimizer}, lr G {opt.lr_g:g} / D {opt.lr_d:g}, batch {opt.batch_size}, n_critic {ckpt.meta.get('n_critic', opt.n_critic)}",
        f"trained      {ckpt.step} steps in {format_hms(float(ckpt.meta.get('wall_time', 0)))} on {ckpt.meta.get('device', '?')}",
        f"EMA weights  {'yes' if 'G_ema' in ckpt.states else 'no'}",
    ]
    metrics = ckpt.meta.get("metrics") or {}
    if metrics:
        lines.append("metrics      " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
    if ckpt.meta.get("best_metric"):
        lines.append(f"best by      {ckpt.meta['best_metric']} = {ckpt.meta.get('best_value'):.4g}")
    print("\n".join(lines))
    return 0


# --- translate -------------------------------------------------------------------------------------

def cmd_translate(args) -> int:
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.generators.translate import translate_file
    from ganstudio.core.imaging import save_png

    out_path = Path(args.out)
    if out_path.suffix.lower() != ".png":
        raise GanStudioError(f"--out must end in .png, not {out_path.name}.")
    from ganstudio.core.config import FIELD_RULES

    max_hints = int(FIELD_RULES["data.hints_max"].maximum)  # as many as training places at most
    if not 0 <= args.hints <= max_hints:
        raise GanStudioError(f"--hints must be between 0 and {max_hints}, not {args.hints}.")
    _check_seed(args.seed)
    if args.variant_seed is not None and not 0 <= args.variant_seed <= SEED_MAX:
        raise GanStudioError(f"--variant-seed must be between 0 and {SEED_MAX}, not {args.variant_seed}.")
    check_file_destination(out_path)
    _apply_render_threads(args.threads)
    model = open_generator(args.model, device=args.device)
    mode = "eval" if args.eval else "reference"
    if args.direction is not None:
        model.set_direction(args.direction)
    if args.variant_seed is not None and not model.variant_z:
        raise GanStudioError(f"--variant-seed is for models with a latent input; {Path(args.model).name} has none "
                             f"(its variants come from --seed).")
    picture = translate_file(model, args.input, mode=mode, seed=args.seed, n_hints=args.hints,
                             variant_seed=args.variant_seed)
    with writing(out_path):
        save_png(picture, out_path)
    height, width = picture.shape[:2]
    how = f"{model.direction}" if model.directions else f"{mode} mode, seed {args.seed}"
    if model.variant_z:
        how = "z = 0 (the mean)" if args.variant_seed is None else f"the variant of seed {args.variant_seed}"
    print(f"ganstudio: {model.title}, {how}: wrote {out_path} ({width}x{height})", file=sys.stderr)
    return 0


# --- import ----------------------------------------------------------------------------------------

def cmd_import(args) -> int:
    from ganstudio.core.generators import formats
    from ganstudio.core.generators.handle import open_generator
    from ganstudio.core.models.importers import export_imported, import_foreign_generator

    source, out_path = Path(args.file), Path(args.out)
    if out_path.suffix != ".safetensors":
        raise GanStudioError(f"--out must end in .safetensors, not {out_path.name}.")
    check_file_destination(out_path)
    if out_path.exists() and source.exists() and out_path.resolve() == source.resolve():
        raise GanStudioError(f"--out names {source.name} itself; give another file so that the original stays.")
    if not source.is_file():
        raise GanStudioError(f"{source} does not exist." if not source.exists() else f"{source} is not a file.")
    if not formats.is_foreign(source):
        raise GanStudioError(f"{source.name} is a GAN Studio checkpoint, which opens as it is; `ganstudio import` "
                             f"converts weights files of other programs ({', '.join(formats.FOREIGN_SUFFIXES)}).")
    imported = import_foreign_generator(source, class_count=args.class_count)
    with writing(out_path):
        export_imported(imported, out_path)
    model = open_generator(out_path, device="cpu")  # what every area will open: said, and checked, once
    print(f"ganstudio: {source.name}: {model.description}", file=sys.stderr)
    print(f"ganstudio: wrote {out_path}", file=sys.stderr)
    return 0


def _foreign_info(path: Path) -> int:
    """What a foreign generator is: for a StyleGAN its family, resolution, z / w sizes, mapping layers, styles
    and classes; for the others what the importer read off the tensors."""
    from ganstudio.core.generators.handle import open_generator

    model = open_generator(path, device="cpu")
    d = model.describe()
    arch = d.get("architecture") if isinstance(d.get("architecture"), dict) else {}
    lines = [f"file         {path}", f"model        {model.description}", f"source       {model.source}",
             f"takes        {model.input_kind}" + (f" z of {model.z_dim}" if model.has_latent else "")
             + (f", {model.n_classes} classes" if model.n_classes else ""),
             f"pictures     {model.image_size} px, {model.channels} channel{'s' if model.channels != 1 else ''}",
             f"parameters   {d['parameters']:,}"]
    if model.is_stylegan:
        family = "StyleGAN3" if arch.get("family") == "stylegan3" else "StyleGAN2"
        maker = "rosinality" if model.source == "rosinality-stylegan2" else "NVlabs"
        lines[1:1] = [f"family       {maker} {family} ({arch.get('architecture')}), {arch.get('network')} weights"]
        lines += [f"W space      w {d['w_dim']}, {d['num_ws']} styles, {arch.get('mapping_layers')} mapping layers, "
                  f"truncation psi around w_avg" if d.get("truncation") == "w" else "no w_avg (no truncation)"]
    print("\n".join(lines))
    return 0


# --- bench -----------------------------------------------------------------------------------------

def cmd_bench(args) -> int:
    from ganstudio.bench import SECTIONS, format_table, main_progress, run_bench, write_report

    if args.out:
        check_file_destination(args.out)  # a report that cannot be written must not cost the whole run first
    sections = (args.only,) if args.only else SECTIONS
    report = run_bench(quick=args.quick, sections=sections, device=args.device, progress=main_progress)
    print(format_table(report))
    if args.out:
        print(f"ganstudio: wrote {write_report(report, args.out)}", file=sys.stderr)
    return 0


COMMANDS = {"sample": cmd_sample, "info": cmd_info, "bench": cmd_bench,
            "translate": cmd_translate, "import": cmd_import}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
