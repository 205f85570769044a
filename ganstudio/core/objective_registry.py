"""The one list of GAN objectives. Each objective is registered once, here, with everything the rest of the
app asks about it; config validation, the trainer, `tricks.check_combination` and the Train form derive
what they need from it and never test an objective's name.

This module imports neither PyTorch nor the training package: the config (which opening a generator
reads) and the Train form (which shows before PyTorch has loaded) need the names, settings and tooltips.
The loss itself is a class in `ganstudio.core.train.objectives`, named here as "module:attribute" and
imported by `get_objective` on first use; a test or a plugin may pass the class itself.

Adding an objective::

    register_objective(ObjectiveSpec(
        name="my-loss", tooltip="One sentence for the Train form's loss menu.",
        build="ganstudio.core.train.objectives:MyLossObjective",  # d_loss / g_loss
        settings={"my_weight": 1.0},  # only if it has its own settings (each a field of config.ObjectiveConfig)
    ))
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ganstudio.core.errors import ConfigError

TASKS = ("toy", "image", "paired", "unpaired")  # config.DataConfig.task
_ONE_GENERATOR_TASKS = ("toy", "image", "paired")  # the ordinary losses (unpaired data trains with cyclegan)


@dataclass(frozen=True)
class ObjectiveSpec:
    """Everything about one objective except its loss functions (those are the class `build` names)."""

    name: str  # the canonical name, as configs store it (objective.loss)
    tooltip: str  # what it is and when to use it: the Train form's loss menu shows it
    build: str | Callable[..., Any]  # the Objective class ("module:attribute" or the class itself); called
    #   with spec=, gradient_penalty_weight= and the settings as keywords
    aliases: tuple[str, ...] = ()  # other names accepted on input; case and "_" vs "-" never matter
    settings: Mapping[str, float] = field(default_factory=dict)  # its own settings -> defaults; each one is
    #   a field of config.ObjectiveConfig of the same name
    gradient_penalty_weight: float = 0.0  # WGAN-GP lambda when objective.gp_weight is left to the default
    lipschitz: bool = False  # the critic is kept ~1-Lipschitz, so E D(x) - E D(G(z)) estimates W1
    weight_clipping: bool = False  # clip every critic weight to [-clip_value, clip_value] after each D step
    paired_l1: bool = False  # g_loss adds an L1 term: the trainer passes it the images `fake` and `target`
    logits: bool = True  # D outputs logits of P(real): d_real, d_fake and the 2-D field show probabilities
    label_smoothing: bool = True  # d_loss has a real label, so one-sided label smoothing changes it
    tasks: tuple[str, ...] = ("toy", "image")  # data tasks it trains on (config.DataConfig.task)
    recommended: Mapping[str, Any] = field(default_factory=dict)  # hyperparameters of the paper that
    #   introduced it (optimizer, lr, betas, n_critic, ...), with a "source" entry naming the paper

    def __post_init__(self) -> None:
        # Read-only, so that one caller cannot change what another reads.
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "recommended", MappingProxyType(dict(self.recommended)))
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "tasks", tuple(self.tasks))

    def load(self) -> Callable[..., Any]:
        """The Objective class (imports its module the first time: that loads PyTorch)."""
        if not isinstance(self.build, str):
            return self.build
        module, _, attribute = self.build.partition(":")
        return getattr(importlib.import_module(module), attribute)


_OBJECTIVES: dict[str, ObjectiveSpec] = {}  # canonical name -> spec, in registration order (the menu order)
_LOOKUP: dict[str, str] = {}  # normalised name or alias -> canonical name


def _key(name: str) -> str:
    return str(name).strip().lower().replace("_", "-")


def register_objective(spec: ObjectiveSpec) -> ObjectiveSpec:
    """Add an objective; ValueError when it contradicts the ones already registered (a programming error)."""
    if _key(spec.name) != spec.name:
        raise ValueError(f"objective name {spec.name!r} must be lower case with '-', e.g. {_key(spec.name)!r}")
    for key in (spec.name, *map(_key, spec.aliases)):
        if key in _LOOKUP:
            raise ValueError(f"objective name or alias {key!r} is already taken by {_LOOKUP[key]!r}")
    if not set(spec.tasks) <= set(TASKS) or not spec.tasks:
        raise ValueError(f"objective {spec.name!r}: tasks {spec.tasks!r} must be some of {TASKS}")
    if spec.paired_l1 and spec.tasks != ("paired",):
        raise ValueError(f"objective {spec.name!r} has an L1 term to the target, so it trains on paired data only")
    if spec.weight_clipping and "clip_value" not in spec.settings:
        raise ValueError(f"objective {spec.name!r} clips weights, so it needs a clip_value setting")
    for setting, default in spec.settings.items():
        if setting == "gradient_penalty_weight":
            raise ValueError(f"objective {spec.name!r}: give the penalty weight as gradient_penalty_weight=")
        other = next((o for o in _OBJECTIVES.values() if setting in o.settings), None)
        if other is not None and other.settings[setting] != default:
            # One config field holds the setting for every objective, so it has one default.
            raise ValueError(f"objective {spec.name!r}: setting {setting!r} defaults to {default!r}, but "
                             f"{other.name!r} gives it {other.settings[setting]!r}")
    _OBJECTIVES[spec.name] = spec
    _LOOKUP[spec.name] = spec.name
    for alias in spec.aliases:
        _LOOKUP[_key(alias)] = spec.name
    return spec


def unregister_objective(name: str) -> None:
    """Remove an objective registered by a test or a plugin."""
    spec = _OBJECTIVES.pop(canonical_objective_name(name))
    for key in [k for k, v in _LOOKUP.items() if v == spec.name]:
        del _LOOKUP[key]


def objective_names() -> tuple[str, ...]:
    """Every objective's canonical name, in menu order."""
    return tuple(_OBJECTIVES)


def canonical_objective_name(name: str) -> str:
    """The canonical name of an objective, an alias or another spelling ("WGAN_GP" -> "wgan-gp")."""
    key = _key(name)
    if key not in _LOOKUP:
        raise ConfigError(f"Unknown objective {name!r}; choose one of: {', '.join(_OBJECTIVES)}.")
    return _LOOKUP[key]


def objective_spec(name: str) -> ObjectiveSpec:
    """The spec of an objective by any of its names; ConfigError naming the choices when unknown."""
    return _OBJECTIVES[canonical_objective_name(name)]


def objectives_for_task(task: str) -> tuple[str, ...]:
    """The objectives that train on data of this task ("toy", "image" or "paired")."""
    return tuple(name for name, spec in _OBJECTIVES.items() if task in spec.tasks)


def setting_names() -> tuple[str, ...]:
    """Every objective-specific setting, in order of first appearance."""
    return tuple(dict.fromkeys(s for spec in _OBJECTIVES.values() for s in spec.settings))


def setting_default(setting: str) -> float:
    """The default of an objective-specific setting (every objective that has it agrees on it)."""
    for spec in _OBJECTIVES.values():
        if setting in spec.settings:
            return spec.settings[setting]
    raise KeyError(f"no registered objective has a setting {setting!r}")


# --- the built-in objectives ---------------------------------------------------------------------------------

_LOSSES = "ganstudio.core.train.objectives"
_DCGAN_RECIPE = dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, source="Radford et al. 2016 (DCGAN)")

register_objective(ObjectiveSpec(
    name="minimax", build=f"{_LOSSES}:MinimaxObjective", aliases=("saturating",), recommended=_DCGAN_RECIPE,
    tooltip="The original GAN game (Goodfellow et al. 2014). G's gradient vanishes when D wins; mostly of "
            "historical interest.",
))
register_objective(ObjectiveSpec(
    name="nonsaturating", build=f"{_LOSSES}:NonSaturatingObjective", aliases=("non-saturating",),
    tasks=_ONE_GENERATOR_TASKS, recommended=_DCGAN_RECIPE,
    tooltip="The standard choice: G maximises log D(G(z)), which keeps G learning when D is confident.",
))
register_objective(ObjectiveSpec(
    name="lsgan", build=f"{_LOSSES}:LSGANObjective", aliases=("least-squares",), tasks=_ONE_GENERATOR_TASKS, logits=False,
    recommended=dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, source="Mao et al. 2017 (LSGAN)"),
    tooltip="Least squares (Mao et al. 2017): smoother gradients than the logistic loss.",
))
register_objective(ObjectiveSpec(
    name="hinge", build=f"{_LOSSES}:HingeObjective", tasks=_ONE_GENERATOR_TASKS, logits=False, label_smoothing=False,
    recommended=dict(optimizer="adam", lr=2e-4, betas=(0.0, 0.9), n_critic=5, spectral_norm=True,
                     source="Miyato et al. 2018 (SN-GAN)"),
    tooltip="Hinge loss (as in SAGAN / BigGAN); pairs well with spectral normalisation.",
))
register_objective(ObjectiveSpec(
    name="wgan", build=f"{_LOSSES}:ClippedWassersteinObjective", settings={"clip_value": 0.01},
    lipschitz=True, weight_clipping=True, logits=False, label_smoothing=False,
    recommended=dict(optimizer="rmsprop", lr=5e-5, n_critic=5, clip_value=0.01,
                     source="Arjovsky et al. 2017 (WGAN), Algorithm 1"),
    tooltip="Wasserstein GAN with weight clipping (Arjovsky et al. 2017); use RMSprop and 5 D steps.",
))
register_objective(ObjectiveSpec(
    name="wgan-gp", build=f"{_LOSSES}:WassersteinObjective", gradient_penalty_weight=10.0,
    lipschitz=True, logits=False, label_smoothing=False,
    recommended=dict(optimizer="adam", lr=1e-4, betas=(0.0, 0.9), n_critic=5, gradient_penalty_weight=10.0,
                     source="Gulrajani et al. 2017 (WGAN-GP), Algorithm 1"),
    tooltip="WGAN with a gradient penalty (Gulrajani et al. 2017): the critic gap estimates the Wasserstein "
            "distance.",
))
register_objective(ObjectiveSpec(
    name="ml", build=f"{_LOSSES}:MaximumLikelihoodObjective", aliases=("maximum-likelihood",),
    recommended=_DCGAN_RECIPE,
    tooltip="Maximum-likelihood generator cost (Goodfellow 2014): unbiased in theory, high-variance in practice.",
))
register_objective(ObjectiveSpec(
    name="pix2pix", build=f"{_LOSSES}:Pix2PixObjective", settings={"l1_weight": 100.0}, paired_l1=True,
    tasks=("paired",),
    recommended=dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, l1_weight=100.0, batch_size=1,
                     source="Isola et al. 2017 (pix2pix)"),
    tooltip="Conditional GAN plus L1 to the target (Isola et al. 2017), for paired image-to-image data.",
))
register_objective(ObjectiveSpec(
    name="cyclegan", build="ganstudio.core.train.cyclegan:CycleGANObjective",
    settings={"cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50}, tasks=("unpaired",), logits=False,
    recommended=dict(optimizer="adam", lr=2e-4, betas=(0.5, 0.999), n_critic=1, cycle_weight=10.0,
                     identity_weight=0.5, pool_size=50, batch_size=1, source="Zhu et al. 2017 (CycleGAN)"),
    tooltip="Two generators A->B and B->A, two PatchGANs with the least-squares loss, cycle consistency "
            "(lambda 10) and identity (0.5 lambda) losses, a pool of 50 past fakes (Zhu et al. 2017).",
))
