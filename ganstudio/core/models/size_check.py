"""Refuse networks too large to train, before any memory is spent on them.

FIELD_RULES caps each width and depth, but a DCGAN's weights grow with the square of its width (8 * g_width
channels meet 4 * g_width ones), so a width the rules allow can still need tens of gigabytes. The networks are
built on PyTorch's meta device, which allocates nothing, and their parameters counted.
"""

from __future__ import annotations

import torch

from ganstudio.core.config import RunConfig
from ganstudio.core.errors import ConfigError

MAX_PARAMETERS = 1_000_000_000  # G and D together; about 16 GB of weights, gradients and Adam moments
BYTES_PER_PARAMETER = 16  # float32 weight, gradient and two Adam moments


def count_run_parameters(cfg: RunConfig) -> tuple[int, int]:
    """(generator, discriminator) parameter counts of the run's networks, without allocating them."""
    from ganstudio.core.models.from_config import build_models

    n_classes = 10 if cfg.model.class_conditional else 0  # digits, the one labelled data set
    with torch.device("meta"):
        G, D = build_models(cfg, n_classes)
    return sum(p.numel() for p in G.parameters()), sum(p.numel() for p in D.parameters())


def check_model_size(cfg: RunConfig) -> None:
    """ConfigError naming the widths when the run's networks exceed MAX_PARAMETERS."""
    n_g, n_d = count_run_parameters(cfg)
    total = n_g + n_d
    if total <= MAX_PARAMETERS:
        return
    m = cfg.model
    raise ConfigError(
        f"model.g_width {m.g_width} and model.d_width {m.d_width} make {m.generator} / {m.discriminator} networks "
        f"of {total / 1e9:.1f} billion parameters (about {total * BYTES_PER_PARAMETER / 1024**3:.0f} GB to train); "
        f"at most {MAX_PARAMETERS / 1e9:g} billion: lower the widths.")
