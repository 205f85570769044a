"""Refuse networks too large to train, before any memory is spent on them.

FIELD_RULES caps each width and depth, but a DCGAN's weights grow with the square of its width (8 * g_width
channels meet 4 * g_width ones), so a width the rules allow can still need tens of gigabytes; and the
activations of one step grow with the batch and the picture size. The networks are built on PyTorch's meta
device, which allocates nothing: their parameters are counted, and one batch is run through them there to
add up the activations a step keeps for its backward pass. A run that would not fit in the memory the machine
has free is refused with one sentence, instead of the system killing the app (and the run with it).
"""

from __future__ import annotations

import logging
import math

import torch

from ganstudio.core.config import RunConfig
from ganstudio.core.errors import ConfigError
from ganstudio.core.models.layers import MinibatchDiscrimination

MAX_PARAMETERS = 1_000_000_000  # G and D together; about 16 GB of weights, gradients and Adam moments
BYTES_PER_PARAMETER = 16  # float32 weight, gradient and two Adam moments
# Kept per parameter besides: the EMA copy and the NaN-rollback snapshot of G and D with their moments.
EXTRA_BYTES_PER_PARAMETER = 16
# D sees a real and a fake batch in its update, and its graph is kept for both; G's update runs G and D once.
D_PASSES, G_PASSES = 2, 1
UNROLLED_COPIES = 4  # per look-ahead step: D's new weights, their gradients and the graph that made them
UNROLLED_D_PASSES = 4  # ... and D's forward and create_graph backward on the look-ahead batch
PENALTY_PASSES = 2

log = logging.getLogger(__name__)


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


def _activation_bytes(module: torch.nn.Module, *inputs: torch.Tensor) -> tuple[int, torch.Tensor]:
    """Bytes of every leaf module's output for one forward pass on the meta device (what autograd keeps
    for backward, roughly), and the output."""
    total = 0

    def count(m, inp, out) -> None:
        nonlocal total
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor):
                total += t.numel() * t.element_size()
        if isinstance(m, MinibatchDiscrimination) and inp and isinstance(inp[0], torch.Tensor):
            # its output is (N, A + B) but inside it compares every pair of samples: the (N, N, B, C)
            # differences and their absolute values exist at once (a toy batch of 8192 with 146 kernels asked
            # for ~600 GB there, the estimate saw 5 MB and the OOM killer ended the test run)
            n = inp[0].shape[0]
            total += 2 * n * n * m.num_kernels * m.kernel_dim * inp[0].element_size()

    # an in-place activation (ReLU(inplace=True)) writes into its input: no new memory
    hooks = [m.register_forward_hook(count) for m in module.modules()
             if not list(m.children()) and not getattr(m, "inplace", False)]
    try:
        out = module(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return total, out


def estimate_step_bytes(cfg: RunConfig, n_classes: int | None = None) -> int | None:
    """About how many bytes one training step of `cfg` needs (weights, optimizer state, copies and one
    batch's activations); None when the networks cannot be run on the meta device (then nothing is refused)."""
    from ganstudio.core.models.from_config import build_models, sketch_input_channels
    from ganstudio.core.models.layers import pack_samples

    if n_classes is None:
        n_classes = 10 if cfg.model.class_conditional else 0
    batch, d, m = cfg.optim.batch_size, cfg.data, cfg.model
    try:
        with torch.device("meta"):
            G, D = build_models(cfg, n_classes)
            d_params = sum(p.numel() for p in D.parameters())
            params = sum(p.numel() for p in G.parameters()) + d_params
            task, pack = d.task, cfg.tricks.pack
            if task == "toy":
                g_act, fake = _activation_bytes(G, torch.empty(batch, m.z_dim))
                d_act, _ = _activation_bytes(D, pack_samples(fake, pack) if pack > 1 else fake)
            elif task == "image":
                labels = torch.zeros(batch, dtype=torch.long) if m.class_conditional and n_classes else None
                g_act, fake = _activation_bytes(G, torch.empty(batch, m.z_dim), labels)
                if pack > 1:
                    fake, labels = pack_samples(fake, pack), None if labels is None else labels[::pack]
                d_act, _ = _activation_bytes(D, fake, labels)
            elif task == "unpaired":
                return _unpaired_step_bytes(cfg, G, D, params)
            else:
                in_nc = sketch_input_channels() if d.kind == "autopair" else 3
                x = torch.empty(batch, in_nc, d.image_size, d.image_size)
                g_act, fake = _activation_bytes(G, x)
                d_act, _ = _activation_bytes(D, torch.cat([x, fake], 1))
    except Exception as exc:  # noqa: BLE001 - an estimate must never stop a run that would work
        log.info("no memory estimate for this run: %s", exc)
        return None
    weights = params * (BYTES_PER_PARAMETER + EXTRA_BYTES_PER_PARAMETER)
    # Unrolled D (Metz et al.): G's update differentiates through k look-ahead D steps, so each keeps its
    # batch's graph (G and D forwards, D's backward) and a new copy of D's weights with their gradients.
    unrolled = cfg.tricks.unrolled_steps * (d_params * 4 * UNROLLED_COPIES + g_act + UNROLLED_D_PASSES * d_act)
    # A gradient penalty (R1, WGAN-GP) differentiates D's gradient: its double backward keeps D's graph twice more.
    penalty = d_act * PENALTY_PASSES if cfg.objective.r1_gamma > 0 or (cfg.objective.gp_weight or 0) > 0 \
        or cfg.objective.loss == "wgan-gp" else 0
    return int(weights + g_act * (1 + G_PASSES) + d_act * (D_PASSES + G_PASSES) + penalty + unrolled)


def _unpaired_step_bytes(cfg: RunConfig, G, D, params: int) -> int:
    """CycleGAN (on the meta device): G's update runs G_A(A), G_B(G_A(A)), G_B(B), G_A(G_B(B)) and, with an
    identity term, G_A(B) and G_B(A), and D_A, D_B once each; D's update runs each D on a real and a pooled
    fake batch."""
    batch, size = cfg.optim.batch_size, cfg.data.image_size
    x = torch.empty(batch, 3, size, size)
    g_act, fake = _activation_bytes(G.G_A, x)
    d_act, _ = _activation_bytes(D.D_A, fake)
    g_passes = 4 + (2 if cfg.objective.identity_weight > 0 else 0)
    d_passes = 2 * (D_PASSES + G_PASSES)  # D_A and D_B
    weights = params * (BYTES_PER_PARAMETER + EXTRA_BYTES_PER_PARAMETER)
    return int(weights + g_act * (g_passes + 1) + d_act * d_passes)


def _gb(n: float) -> str:
    return f"{n / 1024**3:.1f} GB" if n < 10 * 1024**3 else f"{math.ceil(n / 1024**3)} GB"


# A run may take this share of the memory free when it starts: the app, the data, the allocator's slack and
# whatever else runs need the rest. Letting a step use it all, the OOM killer ended a CI run (and the app)
# when a 22 GB machine was idle enough to "fit" a ~20 GB step.
SPARE_FRACTION = 0.75


def check_step_memory(cfg: RunConfig, free_bytes: int | None, n_classes: int | None = None) -> None:
    """ConfigError naming the batch size and widths when one step needs more memory than SPARE_FRACTION of
    `free_bytes`."""
    if free_bytes is None:
        return
    need = estimate_step_bytes(cfg, n_classes)
    spare = int(free_bytes * SPARE_FRACTION)
    if need is None or need <= spare:
        return
    m, d = cfg.model, cfg.data
    what = (f"optim.batch_size {cfg.optim.batch_size} of {d.image_size}x{d.image_size} pictures"
            if d.task != "toy" else f"optim.batch_size {cfg.optim.batch_size}")
    raise ConfigError(
        f"one training step of this run needs about {_gb(need)} ({what}, model.g_width {m.g_width} / "
        f"model.d_width {m.d_width}), more than the {_gb(spare)} a run may take of the {_gb(free_bytes)} free on "
        "this machine: lower optim.batch_size or the widths.")
