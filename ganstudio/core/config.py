"""Run configuration: frozen dataclasses, named presets, validation up front, TOML in and JSON out.

A run is described completely by one `RunConfig`. The CLI builds it from a preset name or a TOML file
plus `--set section.key=value` overrides; the GUI builds it from its form. It is validated before any
model is built, so a typo costs one clear sentence and no minutes of wasted training.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

import tomllib

from ganstudio.core import metric_registry, objective_registry
from ganstudio.core.errors import ConfigError, os_error_reason

TOY_DATA = ("ring", "grid", "spiral", "moons", "swissroll")
IMAGE_DATA = ("digits", "folder")
PAIRED_DATA = ("paired", "autopair")
UNPAIRED_DATA = ("unpaired", "scenes-daynight")  # CycleGAN: two folders / day and night landscapes
DATA_KINDS = TOY_DATA + IMAGE_DATA + PAIRED_DATA + UNPAIRED_DATA

OPTIMIZERS = ("adam", "rmsprop", "sgd")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16")
NAN_POLICIES = ("stop", "rollback")
NORMS = ("batch", "instance", "layer", "none")
IMAGE_SIZES = (32, 64, 128, 256)

# The networks models.from_config.build_models can build for each data task (ganstudio.core.models.registry
# has the constructors). A name outside its task's list would be ignored or fail late, so validate refuses it.
MODEL_NAMES = {
    "toy": {"generator": ("mlp",), "discriminator": ("mlp",)},
    "image": {"generator": ("dcgan",), "discriminator": ("dcgan",)},
    "paired": {"generator": ("unet", "unet_128", "unet_256", "unet_small"),
               "discriminator": ("patchgan", "basic", "n_layers", "pixel")},
    "unpaired": {"generator": ("resnet_6blocks", "resnet_9blocks", "resnet", "unet_small", "unet_128", "unet_256"),
                 "discriminator": ("patchgan", "basic", "n_layers", "pixel")},
}


def __getattr__(name: str) -> Any:
    # The objective and best-metric choices come from their registries (ganstudio.core.objective_registry,
    # ganstudio.core.metric_registry), read each time so that later registrations count.
    if name == "OBJECTIVES":
        return objective_registry.objective_names()
    if name == "BEST_METRICS":
        return metric_registry.best_metric_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class DataConfig:
    kind: str = "ring"  # one of DATA_KINDS
    path: str | None = None  # folder for folder / paired / autopair
    image_size: int = 32
    channels: int = 3  # image channels the model sees (digits are 1)
    toy_std: float | None = None  # None: the toy's standard value (ring 0.02, grid 0.05)
    toy_modes: int | None = None  # ring only: number of modes (8)
    paired_direction: str = "AtoB"
    hints_max: int = 40  # autopair: up to this many colour hints per training image
    workers: int = 0  # decoding processes for folders too large to cache in memory
    path_b: str | None = None  # unpaired: side B's folder (None: path holds trainA/ and trainB/)
    scene_count: int = 400  # scenes-daynight: landscapes per side (different scenes on each side)

    @property
    def task(self) -> str:
        """'toy' (2-D points), 'image' (unconditional or class-conditional), 'paired' (translation) or
        'unpaired' (CycleGAN translation between two sets)."""
        if self.kind in TOY_DATA:
            return "toy"
        if self.kind in IMAGE_DATA:
            return "image"
        if self.kind in UNPAIRED_DATA:
            return "unpaired"
        return "paired"


@dataclass(frozen=True)
class ModelConfig:
    generator: str = "mlp"  # a name from ganstudio.core.models.registry
    discriminator: str = "mlp"
    z_dim: int = 16
    g_width: int = 256  # MLP hidden units or ngf
    d_width: int = 256  # MLP hidden units or ndf
    g_depth: int = 3  # MLP hidden layers; U-Net downsamplings for "unet"
    d_depth: int = 3  # MLP hidden layers; PatchGAN n_layers
    d_norm: str = "none"  # batch | instance | layer | none
    g_norm: str = "batch"
    class_conditional: bool = False  # digits: generate the requested digit
    dropout: bool = True  # U-Net inner dropout (pix2pix's noise source)
    variant_z: int = 0  # paired U-Nets: dims of a latent z input (BicycleGAN-style variants); 0 = none
    sync_batchnorm: bool = False  # torchrun on several GPUs: BatchNorm statistics over all processes


@dataclass(frozen=True)
class ObjectiveConfig:
    loss: str = "nonsaturating"  # a name from ganstudio.core.objective_registry
    gp_weight: float | None = None  # WGAN-GP lambda; None: the objective's default (10 for wgan-gp, else off)
    r1_gamma: float = 0.0  # R1 penalty on real data (Mescheder et al. 2018); 0 = off
    # The objectives' own settings (ObjectiveSpec.settings), with the defaults they register:
    clip_value: float = objective_registry.setting_default("clip_value")  # WGAN weight clipping c
    l1_weight: float = objective_registry.setting_default("l1_weight")  # pix2pix lambda for the L1 term
    cycle_weight: float = objective_registry.setting_default("cycle_weight")  # CycleGAN lambda_A = lambda_B
    identity_weight: float = objective_registry.setting_default("identity_weight")  # CycleGAN lambda_identity
    pool_size: int = int(objective_registry.setting_default("pool_size"))  # CycleGAN image pool of past fakes


@dataclass(frozen=True)
class TricksConfig:
    label_smoothing: float = 0.0  # one-sided: real target 1 - value (Salimans et al. 2016)
    instance_noise: float = 0.0  # start std of noise added to D's inputs, annealed to 0
    instance_noise_steps: int = 0  # annealing length; 0 = the whole run
    feature_matching: float = 0.0  # weight of the feature-matching term in G's loss
    minibatch_stddev: bool = False
    minibatch_disc: int = 0  # minibatch discrimination kernels; 0 = off
    spectral_norm: bool = False
    ema: float = 0.0  # EMA decay of generator weights; 0 = off
    pack: int = 1  # PacGAN: D judges this many samples at once
    unrolled_steps: int = 0  # unrolled GAN look-ahead steps of D (Metz et al. 2017)
    historical_averaging: float = 0.0  # weight of the historical-averaging penalty
    grad_clip: float = 0.0  # clip both players' gradient norms; 0 = off
    diversity: float = 0.0  # weight of the diversity-sensitive term (needs model.variant_z); 0 = off
    diversity_clip: float = 0.5  # its ratio |G(x,z1)-G(x,z2)|_1 / |z1-z2|_1 counts up to this
    # The first latent of each pair is z = 0, the picture translate and the Sketch area show: it gets the
    # full L1 and is not pushed by the diversity term, so the variants' spread costs the mean picture nothing.
    diversity_anchor: bool = False
    variant_l1: float = 1.0  # with diversity_anchor: the random latents' L1 weight, a fraction of the anchor's


@dataclass(frozen=True)
class OptimConfig:
    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4  # different from lr_g = TTUR (Heusel et al. 2017)
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1
    batch_size: int = 64
    lr_decay: str = "none"  # "linear": to zero over the second half of the run, as pix2pix does


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    seed: int = 0
    device: str = "auto"
    precision: str = "fp32"  # bf16: autocast (CUDA and CPU; channels_last for conv nets); faster on CPUs with native bf16 only
    log_every: int = 10
    sample_every: int = 200
    checkpoint_every: int = 1000
    eval_every: int = 200  # mode statistics / sliced W on a large sample
    n_preview: int = 64  # fixed latent batch for preview grids (points for toys)
    nan_policy: str = "stop"
    best_metric: str = "sliced_w"  # a metric that can pick the best checkpoint (ganstudio.core.metric_registry)
    threads: int = 0  # torch CPU threads; 0 chooses for the model and machine (core.device.choose_threads)


@dataclass(frozen=True)
class RunConfig:
    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    tricks: TricksConfig = field(default_factory=TricksConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    # --- conversions -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "config") -> "RunConfig":
        return _from_dict(cls, d, source)

    def with_overrides(self, assignments: list[str]) -> "RunConfig":
        """Apply `section.key=value` strings (the CLI's --set) and validate the result."""
        cfg = self
        for text in assignments:
            cfg = set_value(cfg, text)
        return validate(cfg, complete=False)

    def to_toml(self) -> str:
        lines = [f"name = {_toml_value(self.name)}"]
        for section in fields(self):
            if section.name == "name":
                continue
            lines.append(f"\n[{section.name}]")
            for f in fields(getattr(self, section.name)):
                value = getattr(getattr(self, section.name), f.name)
                if value is None:
                    lines.append(f"# {f.name} = (default)")
                else:
                    lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


SECTIONS = {f.name: f.type for f in fields(RunConfig) if f.name != "name"}
_SECTION_CLASSES = {
    "data": DataConfig,
    "model": ModelConfig,
    "objective": ObjectiveConfig,
    "tricks": TricksConfig,
    "optim": OptimConfig,
    "train": TrainConfig,
}


def _from_dict(cls, d: dict[str, Any], source: str) -> RunConfig:
    if not isinstance(d, dict):
        raise ConfigError(f"{source} must be a table of sections, not {type(d).__name__}.")
    kwargs: dict[str, Any] = {}
    for key, value in d.items():
        if key == "name":
            kwargs["name"] = str(value)
        elif key in _SECTION_CLASSES:
            section_cls = _SECTION_CLASSES[key]
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: [{key}] must be a table of settings.")
            known = {f.name: f for f in fields(section_cls)}
            section_kwargs = {}
            for k, v in value.items():
                if k not in known:
                    raise ConfigError(
                        f"{source}: unknown setting '{key}.{k}'; known settings of [{key}] are "
                        f"{', '.join(sorted(known))}."
                    )
                section_kwargs[k] = _coerce(v, known[k], f"{key}.{k}", source)
            kwargs[key] = section_cls(**section_kwargs)
        else:
            raise ConfigError(
                f"{source}: unknown section '{key}'; sections are {', '.join(_SECTION_CLASSES)}."
            )
    try:
        return validate(cls(**kwargs), complete=False)
    except ConfigError as exc:  # name the file the bad value came from
        raise (ConfigError(f"{source}: {exc}") if source != "config" else exc) from None


def _coerce(value: Any, f: dataclasses.Field, dotted: str, source: str) -> Any:
    """Turn a TOML value or a --set string into the field's type, with one clear error.

    Only the type is settled here; whether the value is finite and in range is FIELD_RULES' job in validate.
    """
    annotation = str(f.type)
    kind = annotation.split("|")[0].strip()
    try:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null") and "None" in annotation):
            if "None" in annotation:
                return None
            raise ValueError
        if isinstance(value, (dict, list, tuple)):
            raise ValueError  # a TOML table or array where one value belongs
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
                return True
            if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if kind == "int":
            return _whole_number(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            number = float(value.strip()) if isinstance(value, str) else float(value)
            if isinstance(value, str) and math.isinf(number) and "inf" not in value.lower():
                raise ConfigError(f"{source}: '{dotted}' must be a finite number, not {_shown(value)} (too large).")
            return number  # nan and inf come back as they are; validate names them
        return _canonical_name(dotted, str(value))
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{source}: '{dotted}' must be {_article(kind)}, not {_shown(value)}.") from None


def _whole_number(value: Any) -> int:
    """An int from 12, 12.0, "12", "1e3" or "12.0"; ValueError for 1.5, "1e400", nan, True and other text."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            value = float(text)  # "1e3"; ValueError for other text (and for ints of over 4300 digits)
    if isinstance(value, float) and value.is_integer():  # False for nan and inf
        return int(value)
    raise ValueError


def _shown(value: Any) -> str:
    """A value as the user wrote it, cut short so that a pasted essay stays one readable sentence."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _canonical_name(dotted: str, text: str) -> str:
    """An objective's alias or other spelling read from a file or --set becomes its canonical name."""
    if dotted == "objective.loss":
        try:
            return objective_registry.canonical_objective_name(text)
        except ConfigError:
            return text  # validate() says what the choices are
    return text


def _article(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "bool": "true or false", "str": "text"}.get(kind, kind)


def set_value(cfg: RunConfig, assignment: str) -> RunConfig:
    """Apply one `section.key=value` override (e.g. `optim.lr_g=1e-4`)."""
    if "=" not in assignment:
        raise ConfigError(f"--set {_shown(assignment)} must look like section.key=value, e.g. optim.lr_g=1e-4.")
    dotted, raw = assignment.split("=", 1)
    dotted = dotted.strip()
    if dotted == "name":
        return replace(cfg, name=raw.strip())
    if "." not in dotted:
        raise ConfigError(f"--set {_shown(assignment)}: name the section too, e.g. optim.{dotted}=....")
    section, key = dotted.split(".", 1)
    if section not in _SECTION_CLASSES:
        raise ConfigError(f"--set {_shown(assignment)}: unknown section {_shown(section)}; "
                          f"sections are {', '.join(_SECTION_CLASSES)}.")
    known = {f.name: f for f in fields(_SECTION_CLASSES[section])}
    if key not in known:
        raise ConfigError(
            f"--set {_shown(assignment)}: unknown setting {_shown(dotted)}; known settings of [{section}] are "
            f"{', '.join(sorted(known))}."
        )
    value = _coerce(raw.strip(), known[key], dotted, "--set")
    return replace(cfg, **{section: replace(getattr(cfg, section), **{key: value})})


# --- what each value may be -----------------------------------------------------------------------

@dataclass(frozen=True)
class FieldRule:
    """What one config value may be. `validate` checks every field against its rule, and the Train form
    (core.train.form) takes its spin-box ranges from the same rules, so the form and the CLI cannot disagree."""

    kind: str  # "int", "float", "bool" or "str": the dataclass field's type
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive; also keeps sizes allocatable (a z_dim of 1e11 is a typo)
    choices: tuple | Callable[[], tuple] = ()  # allowed values; a callable reads a registry each time
    optional: bool = False  # None is allowed: "the usual value"
    finite: bool = True  # NaN and infinity are refused (no setting has a use for them)

    def allowed(self) -> tuple:
        return self.choices() if callable(self.choices) else self.choices


def _rule(kind: str, lo: float | None = None, hi: float | None = None, **kw: Any) -> FieldRule:
    return FieldRule(kind, lo, hi, **kw)


# One row per config field ("section.field" -> rule); tests/core/test_config_rules.py checks that every field
# has one, that kinds match the dataclass types and that the Train form's bounds are these.
FIELD_RULES: dict[str, FieldRule] = {
    "data.kind": _rule("str", choices=DATA_KINDS),
    "data.path": _rule("str", optional=True),
    "data.image_size": _rule("int", choices=IMAGE_SIZES),
    "data.channels": _rule("int", choices=(1, 3)),
    "data.toy_std": _rule("float", 1e-4, 10.0, optional=True),
    "data.toy_modes": _rule("int", 1, 1024, optional=True),
    "data.paired_direction": _rule("str", choices=("AtoB", "BtoA")),
    "data.hints_max": _rule("int", 0, 500),
    "data.workers": _rule("int", 0, 256),
    "data.path_b": _rule("str", optional=True),
    "data.scene_count": _rule("int", 8, 100000),
    "model.generator": _rule("str"),  # the data task's names (MODEL_NAMES), checked in validate
    "model.discriminator": _rule("str"),
    "model.z_dim": _rule("int", 1, 1024),
    "model.g_width": _rule("int", 4, 4096),
    "model.d_width": _rule("int", 4, 4096),
    "model.g_depth": _rule("int", 1, 12),
    "model.d_depth": _rule("int", 1, 12),
    "model.d_norm": _rule("str", choices=NORMS),
    "model.g_norm": _rule("str", choices=("batch", "instance", "none")),
    "model.class_conditional": _rule("bool"),
    "model.dropout": _rule("bool"),
    "model.sync_batchnorm": _rule("bool"),
    "model.variant_z": _rule("int", 0, 64),
    "objective.loss": _rule("str", choices=objective_registry.objective_names),
    "objective.gp_weight": _rule("float", 0.0, 1000.0, optional=True),
    "objective.r1_gamma": _rule("float", 0.0, 1000.0),
    "objective.clip_value": _rule("float", 1e-4, 10.0),
    "objective.l1_weight": _rule("float", 0.0, 10000.0),
    "objective.cycle_weight": _rule("float", 0.0, 1000.0),
    "objective.identity_weight": _rule("float", 0.0, 10.0),
    "objective.pool_size": _rule("int", 0, 1000),
    "tricks.label_smoothing": _rule("float", 0.0, 0.49),
    "tricks.instance_noise": _rule("float", 0.0, 10.0),
    "tricks.instance_noise_steps": _rule("int", 0, 10**7),
    "tricks.feature_matching": _rule("float", 0.0, 100.0),
    "tricks.minibatch_stddev": _rule("bool"),
    "tricks.minibatch_disc": _rule("int", 0, 256),
    "tricks.spectral_norm": _rule("bool"),
    "tricks.ema": _rule("float", 0.0, 0.9999),  # 0 is off
    "tricks.pack": _rule("int", 1, 16),
    "tricks.unrolled_steps": _rule("int", 0, 50),
    "tricks.historical_averaging": _rule("float", 0.0, 100.0),
    "tricks.grad_clip": _rule("float", 0.0, 1e6),
    "tricks.diversity": _rule("float", 0.0, 1000.0),
    "tricks.diversity_clip": _rule("float", 1e-3, 100.0),
    "tricks.diversity_anchor": _rule("bool"),
    "tricks.variant_l1": _rule("float", 0.0, 1.0),
    "optim.optimizer": _rule("str", choices=OPTIMIZERS),
    "optim.lr_g": _rule("float", 1e-8, 1.0),
    "optim.lr_d": _rule("float", 1e-8, 1.0),
    "optim.beta1": _rule("float", 0.0, 0.999),
    "optim.beta2": _rule("float", 0.0, 0.9999),
    "optim.n_critic": _rule("int", 1, 100),
    "optim.batch_size": _rule("int", 1, 8192),
    "optim.lr_decay": _rule("str", choices=("none", "linear")),
    "train.steps": _rule("int", 1, 10**8),
    "train.seed": _rule("int", 0, 2**31 - 1),
    "train.device": _rule("str", choices=DEVICES),
    "train.precision": _rule("str", choices=PRECISIONS),
    "train.log_every": _rule("int", 1, 100000),
    "train.sample_every": _rule("int", 0, 10**6),
    "train.checkpoint_every": _rule("int", 0, 10**7),
    "train.eval_every": _rule("int", 0, 10**6),
    "train.n_preview": _rule("int", 1, 4096),
    "train.nan_policy": _rule("str", choices=NAN_POLICIES),
    "train.best_metric": _rule("str", choices=metric_registry.best_metric_names),
    "train.threads": _rule("int", 0, 1024),
}

# One preview batch is generated in one forward pass; more than this is a typo, not a preview.
PREVIEW_MEMORY_LIMIT = 4 * 1024**3


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _or_list(names: tuple) -> str:
    names = tuple(str(n) for n in names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def check_field(dotted: str, value: Any, rule: FieldRule | None = None) -> None:
    """One sentence naming the setting when `value` breaks its rule."""
    rule = rule or FIELD_RULES[dotted]
    if value is None:
        if rule.optional:
            return
        raise ConfigError(f"'{dotted}' must be set.")
    expected = {"int": int, "float": (int, float), "bool": bool, "str": str}[rule.kind]
    if not isinstance(value, expected) or (rule.kind in ("int", "float") and isinstance(value, bool)):
        raise ConfigError(f"'{dotted}' must be {_article(rule.kind)}, not {_shown(value)}.")
    if rule.kind == "float" and rule.finite and not math.isfinite(value):
        raise ConfigError(f"'{dotted}' must be a finite number, not {value}.")
    choices = rule.allowed()
    if choices and value not in choices:
        if rule.kind == "str":
            raise ConfigError(f"'{dotted}' is {_shown(value)}; choose one of {', '.join(map(str, choices))}.")
        raise ConfigError(f"'{dotted}' must be {_or_list(choices)}, not {value}.")
    low, high = rule.minimum, rule.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            raise ConfigError(f"'{dotted}' must be {_number(low)} or more, not {_number(value)}.")
        raise ConfigError(f"'{dotted}' must be between {_number(low)} and {_number(high)}, not {_number(value)}.")


def preview_bytes(cfg: RunConfig) -> int:
    """About how much memory one preview batch (train.n_preview samples, one forward pass) takes: its
    outputs plus the generator's last hidden layer, which for conv nets is half the side at g_width channels."""
    n, m, d = cfg.train.n_preview, cfg.model, cfg.data
    if d.task == "toy":
        return 4 * n * (m.z_dim + 2 * m.g_width + 2)
    side = d.image_size
    channels = 3 + (5 + 3 + 3 if d.task == "paired" else 0) + (3 * 6 if d.task == "unpaired" else 0)  # paired previews hold input, output and target
    return 4 * n * (channels * side * side + m.g_width * (side // 2) ** 2)


def _gigabytes(n: int) -> str:
    return f"{n / 1024**3:.1f} GB"


def _check_objective(o: ObjectiveConfig, task: str) -> None:
    """The objective exists, trains on this kind of data, and its settings are fields of [objective]."""
    spec = objective_registry.objective_spec(o.loss)
    if task not in spec.tasks:
        if task in ("paired", "unpaired"):
            raise ConfigError(f"{task} data trains with {_or_list(objective_registry.objectives_for_task(task))}, "
                              f"not '{o.loss}'.")
        if spec.tasks == ("unpaired",):
            raise ConfigError(f"objective.loss '{o.loss}' needs unpaired data (data.kind unpaired or scenes-daynight).")
        if spec.tasks == ("paired",):
            raise ConfigError(f"objective.loss '{o.loss}' needs paired data (data.kind paired or autopair).")
        raise ConfigError(f"objective.loss '{o.loss}' trains on {_or_list(spec.tasks)} data, not on {task} data.")
    known = {f.name for f in fields(ObjectiveConfig)}
    for setting in spec.settings:
        if setting not in known:
            raise ConfigError(f"objective '{o.loss}' has a setting '{setting}' that [objective] lacks; add the "
                              "field to ganstudio.core.config.ObjectiveConfig.")


def _check_model_names(m: ModelConfig, task: str) -> None:
    for role in ("generator", "discriminator"):
        name, allowed = getattr(m, role), MODEL_NAMES[task][role]
        if name not in allowed:
            raise ConfigError(f"'model.{role}' is {_shown(name)}, which {task} data cannot train; "
                              f"choose {_or_list(allowed)}.")


def validate(cfg: RunConfig, complete: bool = True) -> RunConfig:
    """Check every value that can be checked before building anything; return cfg unchanged.

    Each field is checked against its row of FIELD_RULES, then the combinations. complete=False skips the
    checks that only a runnable config must pass (a folder preset has no folder until the user names one).
    """
    if not isinstance(cfg.name, str) or not cfg.name.strip():
        raise ConfigError("'name' must be a non-empty text.")
    for dotted, rule in FIELD_RULES.items():
        section, key = dotted.split(".")
        check_field(dotted, getattr(getattr(cfg, section), key), rule)
    d, m, o, t, opt, tr = cfg.data, cfg.model, cfg.objective, cfg.tricks, cfg.optim, cfg.train
    if complete and d.kind in ("folder", "paired", "autopair") and not d.path:
        raise ConfigError(f"data.kind '{d.kind}' needs a folder: pass --data PATH (or set data.path).")
    if complete and d.kind == "unpaired" and not d.path:
        raise ConfigError("data.kind 'unpaired' needs a folder with trainA/ and trainB/ (pass --data PATH) or two "
                          "folders (data.path and data.path_b).")
    _check_objective(o, d.task)
    _check_model_names(m, d.task)
    if t.pack > 1 and d.task in ("paired", "unpaired"):
        raise ConfigError("'tricks.pack' (PacGAN) applies to toy and image data, not to paired image translation.")
    if m.variant_z and (d.task != "paired" or not m.generator.startswith("unet")):
        raise ConfigError(f"'model.variant_z' ({m.variant_z}) is a latent input of paired U-Nets; "
                          f"{d.task} data with generator '{m.generator}' has none (set it to 0).")
    if t.diversity > 0 and not m.variant_z:
        raise ConfigError("'tricks.diversity' compares outputs for two latents: it needs 'model.variant_z' > 0.")
    if t.diversity_anchor and t.diversity <= 0:
        raise ConfigError("'tricks.diversity_anchor' anchors the diversity term's pairs: it needs 'tricks.diversity' > 0.")
    if t.variant_l1 != 1.0 and not t.diversity_anchor:
        raise ConfigError("'tricks.variant_l1' weighs the random latents against the z = 0 anchors: it needs "
                          "'tricks.diversity_anchor' = true.")
    if t.diversity > 0 and opt.batch_size % 2:
        raise ConfigError(f"'tricks.diversity' pairs each input with two latents: 'optim.batch_size' "
                          f"({opt.batch_size}) must be even.")
    if opt.batch_size % t.pack:
        raise ConfigError(f"'optim.batch_size' ({opt.batch_size}) must be a multiple of 'tricks.pack' ({t.pack}).")
    if m.class_conditional and d.kind != "digits" and d.task != "image":
        raise ConfigError("model.class_conditional needs labelled images (data.kind digits).")
    if m.class_conditional and d.kind == "folder":
        raise ConfigError("model.class_conditional needs labels; image folders have none (use data.kind digits).")
    need = preview_bytes(cfg)
    if need > PREVIEW_MEMORY_LIMIT:
        size = "" if d.task == "toy" else f" at {d.image_size}x{d.image_size}"
        raise ConfigError(f"'train.n_preview' {tr.n_preview}{size} needs about {_gigabytes(need)} for one preview "
                          f"batch (at most {_gigabytes(PREVIEW_MEMORY_LIMIT)}); lower train.n_preview.")
    return cfg


def resume_conflict(cfg: RunConfig, saved: dict[str, Any], source: str) -> str | None:
    """Why `cfg` cannot continue a checkpoint trained with the config dict `saved`, or None.

    The optimizer's saved state only fits the optimizer that made it (Adam's moments are no SGD momentum), so
    changing it on resume is refused up front instead of failing mid-training. The trainer checks the networks."""
    theirs = (saved.get("optim") or {}).get("optimizer")
    mine = cfg.optim.optimizer
    if theirs and theirs != mine:
        return (f"{source} was trained with optim.optimizer '{theirs}'; it cannot continue with '{mine}' (the saved "
                f"optimizer state is {theirs}'s): keep '{theirs}' or start a new run.")
    return None


def load_toml(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {os_error_reason(exc, path)}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}.") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"config file {path} nests arrays or tables too deeply to be a run configuration.") from None
    base = data.pop("preset", None)
    if base is not None:
        cfg = preset(str(base))
        merged = cfg.to_dict()
        for key, value in data.items():
            if isinstance(value, dict) and key in merged:
                merged[key].update(value)
            else:
                merged[key] = value
        return RunConfig.from_dict(merged, source=str(path))
    return RunConfig.from_dict(data, source=str(path))


def load_json(path: str | Path) -> RunConfig:
    """A run folder's config.json; a truncated or hand-broken one is one sentence naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {os_error_reason(exc, path)}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid JSON (truncated?): {exc}.") from None
    except RecursionError:
        raise ConfigError(f"config file {path} is nested too deeply to be a run config.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} is not a run config (it holds no table of settings).")
    return RunConfig.from_dict(data, source=str(path))


# --- presets --------------------------------------------------------------------------------------
# Each preset is a recipe that is known to work on a 2-core CPU (see docs/QUALITY.md for the numbers).

def _toy(kind: str, steps: int, pack: int = 1) -> RunConfig:
    # Recipe measured in docs/QUALITY.md: a non-saturating GAN held steady by a small R1 penalty, an EMA
    # generator for precise samples, and pix2pix's linear learning-rate decay for the last half.
    return RunConfig(
        name=f"toy-{kind}",
        data=DataConfig(kind=kind),
        model=ModelConfig(generator="mlp", discriminator="mlp", z_dim=16, g_width=256, d_width=256,
                          g_depth=3, d_depth=3, d_norm="none", g_norm="none"),
        objective=ObjectiveConfig(loss="nonsaturating", r1_gamma=0.1),
        tricks=TricksConfig(pack=pack, ema=0.999),
        optim=OptimConfig(optimizer="adam", lr_g=5e-4, lr_d=5e-4, beta1=0.5, beta2=0.999, n_critic=1,
                          batch_size=256, lr_decay="linear"),
        train=TrainConfig(steps=steps, log_every=20, sample_every=200, eval_every=500,
                          checkpoint_every=2000, n_preview=512, best_metric="hq_fraction"),
    )


def _digits(conditional: bool) -> RunConfig:
    return RunConfig(
        name="digits-cdcgan" if conditional else "digits-dcgan",
        data=DataConfig(kind="digits", image_size=32, channels=1),
        model=ModelConfig(generator="dcgan", discriminator="dcgan", z_dim=64, g_width=32, d_width=32,
                          d_norm="batch", g_norm="batch", class_conditional=conditional),
        objective=ObjectiveConfig(loss="nonsaturating"),
        tricks=TricksConfig(ema=0.999),
        optim=OptimConfig(optimizer="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, batch_size=64),
        train=TrainConfig(steps=3000, log_every=10, sample_every=100, eval_every=250, checkpoint_every=1000,
                          n_preview=64, best_metric="sliced_w"),
    )


def _paired(kind: str, name: str) -> RunConfig:
    return RunConfig(
        name=name,
        data=DataConfig(kind=kind, image_size=64, channels=3),
        model=ModelConfig(generator="unet_small", discriminator="patchgan", g_width=32, d_width=32,
                          g_depth=6, d_depth=3, d_norm="batch", g_norm="batch", dropout=True),
        objective=ObjectiveConfig(loss="pix2pix", l1_weight=100.0),
        optim=OptimConfig(optimizer="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, batch_size=8),
        train=TrainConfig(steps=5000, log_every=10, sample_every=100, eval_every=250, checkpoint_every=1000,
                          n_preview=8, best_metric="l1"),
    )


def _cyclegan(kind: str, name: str) -> RunConfig:
    # cyclegan-folders is the reference recipe (resnet_9blocks, 70x70 PatchGANs, 256 px, batch 1);
    # cyclegan-scenes is a small model that turns day scenes into night ones on a 2-core CPU (docs/QUALITY.md).
    scenes = kind == "scenes-daynight"
    return RunConfig(
        name=name,
        data=DataConfig(kind=kind, image_size=64 if scenes else 256, channels=3, scene_count=400),
        model=ModelConfig(generator="resnet" if scenes else "resnet_9blocks", discriminator="patchgan",
                          g_width=8 if scenes else 64, d_width=16 if scenes else 64, g_depth=3 if scenes else 9,
                          d_depth=2 if scenes else 3, d_norm="instance", g_norm="instance", dropout=False),
        objective=ObjectiveConfig(loss="cyclegan", cycle_weight=10.0, identity_weight=0.5, pool_size=50),
        optim=OptimConfig(optimizer="adam", lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                          batch_size=2 if scenes else 1, lr_decay="linear"),
        train=TrainConfig(steps=600 if scenes else 200000, log_every=10, sample_every=100 if scenes else 500,
                          eval_every=200 if scenes else 2000, checkpoint_every=200 if scenes else 5000,
                          n_preview=4, best_metric="sliced_w"),
    )


PRESETS = {
    "toy-ring": lambda: _toy("ring", 20000),
    "toy-grid": lambda: _toy("grid", 24000, pack=2),
    "toy-spiral": lambda: _toy("spiral", 4000),
    "toy-moons": lambda: _toy("moons", 4000),
    "digits-dcgan": lambda: _digits(False),
    "digits-cdcgan": lambda: _digits(True),
    "pix2pix-folder": lambda: _paired("paired", "pix2pix-folder"),
    "sketch-folder": lambda: _paired("autopair", "sketch-folder"),
    "cyclegan-folders": lambda: _cyclegan("unpaired", "cyclegan-folders"),
    "cyclegan-scenes": lambda: _cyclegan("scenes-daynight", "cyclegan-scenes"),
}


def preset(name: str) -> RunConfig:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset '{name}'; presets are {', '.join(PRESETS)}.")
    return validate(PRESETS[name](), complete=False)


def resolve(name_or_path: str) -> RunConfig:
    """A preset name, a .toml file or a run folder's config.json."""
    if name_or_path in PRESETS:
        return preset(name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".toml":
        return load_toml(path)
    if path.suffix == ".json" and path.is_file():
        return load_json(path)
    if path.is_dir() and (path / "config.json").is_file():
        return load_json(path / "config.json")
    if not path.suffix and "/" not in name_or_path and not path.exists():
        raise ConfigError(f"unknown preset '{name_or_path}'; presets are {', '.join(PRESETS)}.")
    raise ConfigError(
        f"'{name_or_path}' is neither a preset ({', '.join(PRESETS)}) nor a .toml config file."
    )
