"""Training tricks that sit around the losses: label smoothing, instance noise, feature matching,
spectral norm, EMA of the generator, historical averaging, gradient norms and a checker for
combinations of options that are known not to work.

Tricks that change a network's architecture (PacGAN packing, minibatch stddev, minibatch
discrimination, normalisation layers) live with the networks in `ganstudio.core.models`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

from ganstudio.core.errors import ConfigError
from ganstudio.core.models.layers import apply_spectral_norm  # noqa: F401 (an architecture trick, built with the networks)
from ganstudio.core.objective_registry import objective_spec


def smooth_labels(smoothing: float = 0.0) -> float:
    """Target for real samples under one-sided label smoothing (Salimans et al. 2016): 1 - smoothing.

    Only the real side is smoothed: smoothing the fake side too would reward the generator for
    staying where the data are not. Pass the result as `real_target` to `Objective.d_loss`.
    """
    if not 0.0 <= smoothing < 1.0:
        raise ConfigError(f"The label smoothing {smoothing!r} is invalid; it must be in [0, 1), "
                          "typically 0.1 (real target 0.9).")
    return 1.0 - float(smoothing)


class InstanceNoise:
    """Gaussian noise added to every input of D, real and fake alike (Sønderby et al. 2016;
    Arjovsky & Bottou 2017): it makes the two distributions overlap, so D cannot separate them
    perfectly and its gradients stay informative. The std goes linearly from std_start to std_end
    over anneal_steps steps, then stays at std_end.
    """

    def __init__(self, std_start: float, std_end: float = 0.0, *, anneal_steps: int) -> None:
        if not std_start >= 0 or not std_end >= 0:
            raise ConfigError(f"The instance noise std ({std_start!r} -> {std_end!r}) is invalid; both ends "
                              "must be numbers >= 0.")
        if isinstance(anneal_steps, bool) or not isinstance(anneal_steps, int) or anneal_steps < 1:
            raise ConfigError(f"The instance noise anneal_steps {anneal_steps!r} is invalid; it must be an "
                              "integer >= 1.")
        self.std_start = float(std_start)
        self.std_end = float(std_end)
        self.anneal_steps = anneal_steps

    def std(self, step: int) -> float:
        """The noise std at training step `step` (0-based)."""
        progress = min(max(step, 0) / self.anneal_steps, 1.0)
        return self.std_start + (self.std_end - self.std_start) * progress

    def apply(self, x: Tensor, step: int, generator: torch.Generator | None = None) -> Tensor:
        """x plus N(0, std(step)^2) noise; x itself when the std is 0. Call it on real and on fake.

        A `generator` must live on x's device.
        """
        std = self.std(step)
        if std == 0.0:
            return x
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + std * noise


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """Feature matching (Salimans et al. 2016): ||E f(x) - E f(G(z))||_2^2 over D's last hidden layer.

    The real features are detached: this loss trains the generator only.
    Features are (N, F); any trailing shape is flattened.
    """
    real_mean = real_features.detach().float().flatten(1).mean(dim=0)
    fake_mean = fake_features.float().flatten(1).mean(dim=0)
    return (real_mean - fake_mean).pow(2).sum()



class EMA:
    """Exponential moving average of a model's weights (Yazıcı et al. 2019; Karras et al. 2018).

    `ema.model` is a copy of the model, in eval mode and without gradients, on the same device.
    After each optimizer step call `ema.update(model)`: floating-point parameters move towards the
    model's by (1 - decay); buffers (BatchNorm running statistics, spectral-norm vectors) are copied,
    since averaging them has no meaning. With `warmup` the decay used at update n is
    min(decay, (1 + n) / (10 + n)), as in TensorFlow's ExponentialMovingAverage, so the average is not
    dominated by the random initial weights early in training.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, warmup: bool = True) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"The EMA decay {decay!r} is invalid; it must be in [0, 1), such as 0.999.")
        self.decay = float(decay)
        self.warmup = warmup
        self.num_updates = 0
        self.model = copy.deepcopy(model)
        self.model.eval()
        self.model.requires_grad_(False)

    def current_decay(self) -> float:
        """The decay the next update will use."""
        if not self.warmup:
            return self.decay
        return min(self.decay, (1.0 + self.num_updates) / (10.0 + self.num_updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards `model` (the live model this EMA was made from)."""
        weight = 1.0 - self.current_decay()
        for (name, average), (other_name, live) in zip(
            self.model.named_parameters(), model.named_parameters(), strict=True
        ):
            if name != other_name:
                raise ValueError(f"EMA.update got a model with parameter {other_name!r} "
                                 f"where {name!r} was expected")
            if average.is_floating_point():
                average.lerp_(live.detach(), weight)
            else:
                average.copy_(live)
        for (_, average), (_, live) in zip(self.model.named_buffers(), model.named_buffers(), strict=True):
            average.copy_(live)
        self.num_updates += 1

    def state_dict(self) -> dict[str, Any]:
        """{"model": the averaged model's state dict, "decay": float, "num_updates": int}."""
        return {"model": self.model.state_dict(), "decay": self.decay, "num_updates": self.num_updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.decay = float(state.get("decay", self.decay))
        self.num_updates = int(state.get("num_updates", 0))


class HistoricalAverage:
    """Historical averaging (Salimans et al. 2016): penalise ||theta - (1/t) sum_i theta_i||^2.

    The mean of past parameters is kept as a running mean (one copy of the parameters, not the
    history). Call `penalty(module)` while building the loss (it is differentiable in the current
    parameters and 0 before the first update), and `update(module)` after each optimizer step.
    The caller multiplies the penalty by its weight.
    """

    def __init__(self) -> None:
        self.count = 0
        self._means: list[Tensor] = []

    def penalty(self, module: nn.Module) -> Tensor:
        params = [p for p in module.parameters() if p.requires_grad]
        if self.count == 0:
            device = params[0].device if params else torch.device("cpu")
            return torch.zeros((), device=device)
        total = sum((p.float() - mean).pow(2).sum() for p, mean in zip(params, self._means, strict=True))
        return total  # type: ignore[return-value]

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        params = [p.detach().float() for p in module.parameters() if p.requires_grad]
        self.count += 1
        if self.count == 1:
            self._means = [p.clone() for p in params]
            return
        for mean, p in zip(self._means, params, strict=True):
            mean.add_(p - mean, alpha=1.0 / self.count)


def _grads_of(params: nn.Module | Iterable[Tensor]) -> tuple[list[Tensor], torch.device]:
    parameters = list(params.parameters() if isinstance(params, nn.Module) else params)
    device = parameters[0].device if parameters else torch.device("cpu")
    return [p.grad for p in parameters if p.grad is not None], device


def grad_norm(params: nn.Module | Iterable[Tensor]) -> Tensor:
    """Total L2 norm of the parameters' gradients as a 0-d tensor on their device (no sync to CPU).

    Parameters without a gradient are skipped; 0 when none has one.
    """
    grads, device = _grads_of(params)
    if not grads:
        return torch.zeros((), device=device)
    norms = torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads])
    return torch.linalg.vector_norm(norms)


def clip_grad_norm(params: nn.Module | Iterable[Tensor], max_norm: float) -> Tensor:
    """Rescale gradients so that their total L2 norm is at most max_norm; returns the norm before
    clipping as a 0-d tensor on the parameters' device (no sync to CPU)."""
    if not max_norm > 0:
        raise ConfigError(f"The gradient clipping norm {max_norm!r} is invalid; "
                          "it must be a positive number.")
    parameters = list(params.parameters() if isinstance(params, nn.Module) else params)
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm)


def check_combination(
    *,
    objective: str,
    d_has_batchnorm: bool = False,
    gradient_penalty_weight: float | None = None,
    r1_gamma: float = 0.0,
    spectral_norm: bool = False,
    label_smoothing: float = 0.0,
    optimizer: str | None = None,
) -> list[str]:
    """Warnings for option combinations that are known to be wrong; [] when there is nothing to say.

    objective: the objective name (see ganstudio.core.objective_registry); what it is (weight clipping,
        a real label to smooth, its default penalty weight) comes from its registry entry.
    d_has_batchnorm: the discriminator/critic contains BatchNorm layers (model.d_norm == "batch").
    gradient_penalty_weight: lambda of the WGAN-GP penalty; None means the objective's default
        (10 for wgan-gp, else 0).
    r1_gamma: gamma of the R1 penalty (0 = off).
    spectral_norm: spectral normalisation is applied to the discriminator.
    label_smoothing: one-sided label smoothing amount (0 = off).
    optimizer: the discriminator's optimizer name ("adam", "rmsprop", "sgd", ...), if known.

    Each warning is one sentence that says what is wrong, why, and what to do instead.
    """
    spec = objective_spec(objective)
    name = spec.name
    gp_weight = spec.gradient_penalty_weight if gradient_penalty_weight is None else gradient_penalty_weight
    clipping = spec.weight_clipping
    warnings: list[str] = []
    if d_has_batchnorm and (gp_weight > 0 or r1_gamma > 0):
        warnings.append(
            "A gradient penalty with BatchNorm in the discriminator is ill-posed, because the penalty "
            "constrains each sample's gradient while BatchNorm makes every score depend on the whole "
            "batch (Gulrajani et al. 2017); use layer, instance or no normalisation in the discriminator."
        )
    if clipping and spectral_norm:
        warnings.append(
            "Weight clipping and spectral norm both bound the critic's Lipschitz constant, and clipping "
            "the raw weights under spectral norm only distorts them; use one of the two, for example "
            "wgan-gp or hinge with spectral norm."
        )
    if clipping and gp_weight > 0:
        warnings.append(
            "Weight clipping together with a gradient penalty keeps the capacity loss of clipping that "
            "the penalty was designed to remove (Gulrajani et al. 2017); use the wgan-gp objective alone."
        )
    if label_smoothing > 0 and not spec.label_smoothing:
        warnings.append(
            f"Label smoothing has no effect with the {name} objective, because its critic outputs scores "
            "rather than probabilities of a label; set label smoothing to 0."
        )
    if clipping and optimizer is not None and optimizer.strip().lower() in ("adam", "adamw"):
        warnings.append(
            f"Weight-clipped WGAN training is unstable with a momentum-based optimizer such as {optimizer} "
            "(Arjovsky et al. 2017, sec. 4.3); use RMSprop with lr 5e-5."
        )
    return warnings
