"""Every GAN loss behind one interface, plus the gradient penalties.

All losses take raw discriminator outputs (logits for the probabilistic losses, unbounded scores for
critics) of any shape: `(N,)` for whole-image discriminators or `(N, 1, h, w)` PatchGAN maps; the loss
is the mean over every element. Probabilities are never formed and then logged: `log D = logsigmoid(l)`
and `log(1 - D) = logsigmoid(-l)` stay finite for any logit.

Which objectives exist, their settings, flags and tooltips are in `ganstudio.core.objective_registry`; this
module holds their loss classes (named there) and the penalties.

Usage by the trainer::

    objective = get_objective("wgan-gp")            # or get_objective("pix2pix", l1_weight=50)
    real.requires_grad_(r1_gamma > 0)               # only R1 needs gradients w.r.t. real inputs
    real_scores = D(real)
    d_loss = objective.d_loss(real_scores, D(fake.detach()), real_target=smooth_labels(0.1))
    if objective.gradient_penalty_weight:
        d_loss = d_loss + gradient_penalty(D, real, fake, objective.gradient_penalty_weight)
    if r1_gamma > 0:
        d_loss = d_loss + r1_penalty(real_scores, real, r1_gamma)
    ...; d_optimizer.step()
    if objective.needs_weight_clipping:
        weight_clip_(D, objective.clip_value)
    g_loss = objective.g_loss(D(fake))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganstudio.core.errors import ConfigError
from ganstudio.core.objective_registry import ObjectiveSpec, objective_names, objective_spec


def __getattr__(name: str) -> Any:
    # OBJECTIVE_NAMES is read from the registry each time, so that it includes objectives registered later.
    if name == "OBJECTIVE_NAMES":
        return objective_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The ML cost is exp(logit) up to this logit and its tangent line beyond, so that a very confident
# discriminator cannot overflow the loss (exp(89) is inf in float32) or its gradient.
_ML_MAX_LOGIT = 20.0


def _check_real_target(real_target: float) -> float:
    if not (0.0 < real_target <= 1.0):
        raise ConfigError(
            f"The real label target {real_target!r} is invalid; it must be in (0, 1] "
            "(1.0 means no label smoothing, 0.9 is the usual one-sided smoothing)."
        )
    return float(real_target)


def _bce_with_logits(scores: Tensor, target: float) -> Tensor:
    """Mean binary cross-entropy of logits against a constant target, without forming sigmoid."""
    scores = scores.float()
    if target == 1.0:
        return F.softplus(-scores).mean()  # -log sigmoid(l)
    if target == 0.0:
        return F.softplus(scores).mean()  # -log(1 - sigmoid(l))
    return (target * F.softplus(-scores) + (1.0 - target) * F.softplus(scores)).mean()


def _check_setting(value: float, what: str, positive: bool, example: str) -> float:
    if not (value > 0 if positive else value >= 0):
        bound = "a positive number" if positive else "a number >= 0"
        raise ConfigError(f"The {what} {value!r} is invalid; it must be {bound} such as {example}.")
    return float(value)


@dataclass(frozen=True, kw_only=True)
class Objective:
    """One GAN objective: the discriminator/critic loss and the generator loss. Build it with get_objective.

    spec: its entry in ganstudio.core.objective_registry, which holds its name, flags and recommended
        hyperparameters (exposed here as `name`, `lipschitz`, `needs_weight_clipping`, `recommended`).
    gradient_penalty_weight: lambda of `gradient_penalty` to add to the critic loss (0 when unused).
    A subclass adds the objective's own settings as fields (clip_value, l1_weight).
    """

    spec: ObjectiveSpec
    gradient_penalty_weight: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gradient_penalty_weight",
                           _check_setting(self.gradient_penalty_weight, "gradient_penalty_weight", False, "10"))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def lipschitz(self) -> bool:
        """True when the critic is kept (roughly) 1-Lipschitz: only then is E[D(x)] - E[D(G(z))] an
        estimate of the Wasserstein-1 distance."""
        return self.spec.lipschitz

    @property
    def needs_weight_clipping(self) -> bool:
        """The trainer clips every critic parameter to [-clip_value, clip_value] after each critic step."""
        return self.spec.weight_clipping

    @property
    def recommended(self) -> Mapping[str, Any]:
        """Hyperparameters from the paper that introduced the objective, with a `source` entry."""
        return self.spec.recommended

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        """Loss the discriminator/critic minimises. real_target < 1 is one-sided label smoothing."""
        raise NotImplementedError

    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        """Loss the generator minimises. real_scores is accepted for a uniform call; unused here."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class _BCEObjective(Objective):
    """The original GAN discriminator (Goodfellow et al. 2014); the subclasses choose the generator cost.

    d_loss = -E[t log D(x) + (1-t) log(1-D(x))] - E[log(1 - D(G(z)))], D = sigmoid(logit). With t = 1
    its minimum over D is at D* = p_data / (p_data + p_g), where it equals log 4 - 2 JSD(p_data, p_g).
    """

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        real_target = _check_real_target(real_target)
        return _bce_with_logits(real_scores, real_target) + _bce_with_logits(fake_scores, 0.0)


@dataclass(frozen=True, kw_only=True)
class MinimaxObjective(_BCEObjective):
    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        # Saturating: G minimises E log(1 - D(G(z))); the gradient vanishes when D rejects fakes.
        return F.logsigmoid(-fake_scores.float()).mean()


@dataclass(frozen=True, kw_only=True)
class NonSaturatingObjective(_BCEObjective):
    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        # G maximises E log D(G(z)) (Goodfellow et al. 2014, sec. 3): strong gradient early on.
        return F.softplus(-fake_scores.float()).mean()


@dataclass(frozen=True, kw_only=True)
class MaximumLikelihoodObjective(_BCEObjective):
    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        # Maximum-likelihood cost J = -1/2 E exp(sigma^-1(D(G(z)))) (Goodfellow, NIPS 2016 tutorial,
        # sec. 3.2.3); sigma^-1(D) is the logit itself, so no sigmoid is ever formed.
        logits = fake_scores.float()
        clipped = logits.clamp(max=_ML_MAX_LOGIT)
        tangent = math.exp(_ML_MAX_LOGIT) * (1.0 + (logits - _ML_MAX_LOGIT))
        exp_logit = torch.where(logits > _ML_MAX_LOGIT, tangent, torch.exp(clipped))
        return -0.5 * exp_logit.mean()


@dataclass(frozen=True, kw_only=True)
class Pix2PixObjective(NonSaturatingObjective):
    """Conditional GAN + L1 of Isola et al. 2017 (pix2pix) on PatchGAN logit maps.

    The discriminator loss is halved as in the paper ("we divide the objective by 2 while optimizing
    D"), which slows D relative to G.
    """

    l1_weight: float = 100.0  # lambda of the L1 term

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "l1_weight", _check_setting(self.l1_weight, "pix2pix l1_weight", False, "100"))

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        return 0.5 * super().d_loss(real_scores, fake_scores, real_target)

    def g_loss(  # type: ignore[override]
        self,
        fake_scores: Tensor,
        real_scores: Tensor | None = None,
        fake: Tensor | None = None,
        target: Tensor | None = None,
        row_weights: Tensor | None = None,
    ) -> Tensor:
        """Non-saturating cGAN loss + l1_weight * mean |fake - target| (fake, target: images).

        `row_weights` (one per image) scale each image's mean |fake - target| before the mean over the
        batch; all ones is the plain L1."""
        adversarial = super().g_loss(fake_scores, real_scores)
        if self.l1_weight == 0.0:
            return adversarial
        if fake is None or target is None:
            raise ValueError("pix2pix g_loss needs the generated images `fake` and the `target` images "
                             "for its L1 term")
        if row_weights is None:
            return adversarial + self.l1_weight * F.l1_loss(fake.float(), target.float())
        per_row = (fake.float() - target.float()).abs().flatten(1).mean(1)
        return adversarial + self.l1_weight * (row_weights.to(per_row) * per_row).mean()


@dataclass(frozen=True, kw_only=True)
class LSGANObjective(Objective):
    """Least squares GAN (Mao et al. 2017) with a=0 (fake), b=1 (real), c=1 (what G wants).

    The scores are used as they are (no sigmoid). The optimal discriminator is
    D* = (b p_data + a p_g) / (p_data + p_g) = p_data / (p_data + p_g).
    """

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        b = _check_real_target(real_target)  # smoothing moves the real target b
        return 0.5 * ((real_scores.float() - b) ** 2).mean() + 0.5 * (fake_scores.float() ** 2).mean()

    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        return 0.5 * ((fake_scores.float() - 1.0) ** 2).mean()


@dataclass(frozen=True, kw_only=True)
class HingeObjective(Objective):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): D minimises E relu(1-D(x)) + E relu(1+D(G(z))).

    real_target is ignored: the scores are margins, not probabilities, so there is no label to smooth
    (check_combination warns when smoothing is asked for).
    """

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        return F.relu(1.0 - real_scores.float()).mean() + F.relu(1.0 + fake_scores.float()).mean()

    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        return -fake_scores.float().mean()


@dataclass(frozen=True, kw_only=True)
class WassersteinObjective(Objective):
    """Wasserstein critic (Arjovsky et al. 2017): the critic maximises E D(x) - E D(G(z)). WGAN-GP keeps it
    Lipschitz with the gradient penalty.

    real_target is ignored: the critic outputs unbounded scores, not probabilities, so there is no
    label to smooth (check_combination warns when smoothing is asked for).
    """

    def d_loss(self, real_scores: Tensor, fake_scores: Tensor, real_target: float = 1.0) -> Tensor:
        return fake_scores.float().mean() - real_scores.float().mean()

    def g_loss(self, fake_scores: Tensor, real_scores: Tensor | None = None) -> Tensor:
        return -fake_scores.float().mean()


@dataclass(frozen=True, kw_only=True)
class ClippedWassersteinObjective(WassersteinObjective):
    """The original WGAN: the trainer clips every critic weight to [-clip_value, clip_value] (weight_clip_)."""

    clip_value: float = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "clip_value", _check_setting(self.clip_value, "WGAN clip_value", True, "0.01"))


def get_objective(name: str, **params: Any) -> Objective:
    """The objective called `name` (any name or alias in the objective registry), with optional settings.

    Settings: `gradient_penalty_weight` for every objective (the registry's default: 10 for wgan-gp, else
    0; a WGAN-GP style penalty can also regularise the other discriminators) and the objective's own
    settings (wgan `clip_value` 0.01, pix2pix `l1_weight` 100). A setting that the objective does not use
    raises ConfigError.
    """
    spec = objective_spec(name)
    allowed = ("gradient_penalty_weight", *spec.settings)
    for param in params:
        if param not in allowed:
            raise ConfigError(f"Unknown setting {param!r} for objective {spec.name!r}; valid settings: "
                              f"{', '.join(allowed)}.")
    gp_weight = params.pop("gradient_penalty_weight", None)
    if gp_weight is None:
        gp_weight = spec.gradient_penalty_weight
    return spec.load()(spec=spec, gradient_penalty_weight=gp_weight, **{**spec.settings, **params})


# --- penalties -------------------------------------------------------------------------------------


def _scores_of(output: Any) -> Tensor:
    # Discriminators may return (scores, features); the penalties only need the scores.
    return output[0] if isinstance(output, (tuple, list)) else output


def gradient_penalty(
    D: Callable[..., Any],
    real: Tensor,
    fake: Tensor,
    weight: float = 10.0,
    d_kwargs: Mapping[str, Any] | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al. 2017): weight * E[(||grad_x D(x_hat)||_2 - 1)^2].

    x_hat = a * real + (1 - a) * fake with a ~ U[0, 1] per sample. The gradient graph is kept
    (create_graph=True) so that the penalty trains the critic. d_kwargs are passed on to D (for
    example the condition `y`); `generator` (on real's device) makes the interpolation reproducible.
    Pass real and fake exactly as D takes them (already packed for a PacGAN discriminator). PatchGAN
    maps are summed before differentiating, so each sample's gradient is that of its summed map.
    """
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty needs real and fake of the same shape, got "
                         f"{tuple(real.shape)} and {tuple(fake.shape)}")
    alpha_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(alpha_shape, generator=generator, device=real.device, dtype=real.dtype)
    interpolates = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    scores = _scores_of(D(interpolates, **dict(d_kwargs or {})))
    (grad,) = torch.autograd.grad(scores.float().sum(), interpolates, create_graph=True)
    # A tiny epsilon keeps the square root differentiable where a gradient is exactly zero.
    grad_norm = torch.sqrt(grad.float().flatten(1).pow(2).sum(dim=1) + 1e-12)
    return weight * ((grad_norm - 1.0) ** 2).mean()


def r1_penalty(real_scores: Tensor, real_inputs: Tensor, gamma: float = 10.0) -> Tensor:
    """R1 penalty (Mescheder et al. 2018): gamma/2 * E ||grad_x D(x)||^2 on real data.

    The caller must call `real_inputs.requires_grad_(True)` *before* computing
    `real_scores = D(real_inputs)`, so that the scores depend on the inputs in the autograd graph.
    """
    if not real_inputs.requires_grad:
        raise ValueError("r1_penalty needs real_inputs.requires_grad_(True) to be called "
                         "before D(real_inputs)")
    (grad,) = torch.autograd.grad(real_scores.float().sum(), real_inputs, create_graph=True)
    return 0.5 * gamma * grad.float().flatten(1).pow(2).sum(dim=1).mean()


@torch.no_grad()
def weight_clip_(module: nn.Module, c: float) -> nn.Module:
    """Clip every parameter of module to [-c, c] in place (WGAN, Arjovsky et al. 2017); returns module."""
    for parameter in module.parameters():
        parameter.clamp_(-c, c)
    return module
