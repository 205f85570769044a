"""Networks from a run's config, and a run's generator back from its checkpoint. No training code:
Explore, Sketch and the CLI open generators through this without importing the trainer."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ganstudio.core.checkpoint import Checkpoint, load_checkpoint, load_state_into
from ganstudio.core.config import RunConfig
from ganstudio.core.errors import CheckpointError, GanStudioError
from ganstudio.core.models.layers import apply_spectral_norm


def sketch_input_channels() -> int:
    return 5  # lines, hint RGB, hint mask (see ganstudio.core.sketch.encoding)


def build_models(cfg: RunConfig, n_classes: int = 0) -> tuple[torch.nn.Module, torch.nn.Module]:
    """Build (G, D) for a config. Shared with the explorer and sketch areas, which rebuild G from a checkpoint."""
    from ganstudio.core.models import registry

    m, d, t = cfg.model, cfg.data, cfg.tricks
    task = d.task
    if task == "toy":
        G = registry.build_generator("mlp", z_dim=m.z_dim, hidden=m.g_width, depth=m.g_depth, out_dim=2)
        D = registry.build_discriminator(
            "mlp", in_dim=2, hidden=m.d_width, depth=m.d_depth, pack=t.pack,
            minibatch_stddev=t.minibatch_stddev, minibatch_disc=t.minibatch_disc,
        )
    elif task == "unpaired":
        from ganstudio.core.models.cyclegan import build_cyclegan

        G, D = build_cyclegan(m.generator, m.discriminator, d.image_size, ngf=m.g_width, ndf=m.d_width,
                              g_depth=m.g_depth, d_depth=m.d_depth, g_norm=m.g_norm, d_norm=m.d_norm,
                              dropout=m.dropout)
    elif task == "image":
        classes = n_classes if m.class_conditional else 0
        G = registry.build_generator(
            "dcgan", z_dim=m.z_dim, ngf=m.g_width, nc=d.channels if d.kind != "digits" else 1,
            image_size=d.image_size, n_classes=classes,
        )
        D = registry.build_discriminator(
            "dcgan", nc=d.channels if d.kind != "digits" else 1, ndf=m.d_width, image_size=d.image_size,
            n_classes=classes, norm=m.d_norm, pack=t.pack, minibatch_stddev=t.minibatch_stddev,
            minibatch_disc=t.minibatch_disc,
        )
    else:
        in_nc = sketch_input_channels() if d.kind == "autopair" else 3
        num_downs = int(round(math.log2(d.image_size))) if m.generator in ("unet", "unet_small") else None
        g_kwargs: dict[str, Any] = dict(input_nc=in_nc, output_nc=3, ngf=m.g_width, norm=m.g_norm, use_dropout=m.dropout)
        if num_downs is not None:
            g_kwargs["num_downs"] = num_downs
        if m.variant_z:
            g_kwargs["latent_dim"] = m.variant_z  # validate allows it only for the U-Nets
        G = registry.build_generator(m.generator, **g_kwargs)
        d_name = m.discriminator if m.discriminator != "mlp" else "patchgan"
        d_kwargs: dict[str, Any] = dict(input_nc=in_nc + 3, ndf=m.d_width, norm=m.d_norm)
        if d_name in ("patchgan", "n_layers", "basic"):
            d_kwargs["n_layers"] = m.d_depth
        D = registry.build_discriminator(d_name, **d_kwargs)
    if t.spectral_norm:
        apply_spectral_norm(D)
    return G, D


def config_from_checkpoint(ckpt: Checkpoint) -> RunConfig:
    """The run config a checkpoint was trained with; a config that does not validate (a damaged or
    hand-edited file) is a CheckpointError naming the file."""
    source = ckpt.source or "checkpoint"
    try:
        return RunConfig.from_dict(ckpt.config, source=source)
    except GanStudioError as exc:
        raise CheckpointError(f"checkpoint {source} holds a run config that does not fit: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # from_dict given types it never writes
        raise CheckpointError(f"checkpoint {source} holds a run config that does not fit ({exc}).") from None


def generator_from_checkpoint(path: str | Path, use_ema: bool = True, device: str | torch.device = "cpu"):
    """(G, config, checkpoint) ready for sampling: the EMA weights when the run kept them, in eval mode.
    G is built in float32 and the stored weights (bundled models ship float16) are copied into it."""
    ckpt = load_checkpoint(path)
    cfg = config_from_checkpoint(ckpt)
    G, _ = build_models(replace(cfg, tricks=replace(cfg.tricks, spectral_norm=False)), int(ckpt.meta.get("n_classes", 0)))
    state = ckpt.states.get("G_ema") if use_ema and "G_ema" in ckpt.states else ckpt.states["G"]
    load_state_into(G, state, "generator", path)
    G.to(device).eval()
    return G, cfg, ckpt
