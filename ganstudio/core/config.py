"""Run configuration: frozen dataclasses, named presets, validation up front, TOML in and JSON out.

A run is described completely by one `RunConfig`. The CLI builds it from a preset name or a TOML file
plus `--set section.key=value` overrides; the GUI builds it from its form. It is validated before any
model is built, so a typo costs one clear sentence and no minutes of wasted training.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomllib

from ganstudio.core import metric_registry, objective_registry
from ganstudio.core.errors import ConfigError

TOY_DATA = ("ring", "grid", "spiral", "moons", "swissroll")
IMAGE_DATA = ("digits", "folder")
PAIRED_DATA = ("paired", "autopair")
DATA_KINDS = TOY_DATA + IMAGE_DATA + PAIRED_DATA

OPTIMIZERS = ("adam", "rmsprop", "sgd")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16")
NAN_POLICIES = ("stop", "rollback")


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

    @property
    def task(self) -> str:
        """'toy' (2-D points), 'image' (unconditional or class-conditional) or 'paired' (translation)."""
        if self.kind in TOY_DATA:
            return "toy"
        if self.kind in IMAGE_DATA:
            return "image"
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
    sync_batchnorm: bool = False  # torchrun on several GPUs: BatchNorm statistics over all processes


@dataclass(frozen=True)
class ObjectiveConfig:
    loss: str = "nonsaturating"  # a name from ganstudio.core.objective_registry
    gp_weight: float | None = None  # WGAN-GP lambda; None: the objective's default (10 for wgan-gp, else off)
    r1_gamma: float = 0.0  # R1 penalty on real data (Mescheder et al. 2018); 0 = off
    # The objectives' own settings (ObjectiveSpec.settings), with the defaults they register:
    clip_value: float = objective_registry.setting_default("clip_value")  # WGAN weight clipping c
    l1_weight: float = objective_registry.setting_default("l1_weight")  # pix2pix lambda for the L1 term


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
    precision: str = "fp32"  # bf16 autocast on CUDA only (CPU runs stay fp32)
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
    return validate(cls(**kwargs), complete=False)


def _coerce(value: Any, f: dataclasses.Field, dotted: str, source: str) -> Any:
    """Turn a TOML value or a --set string into the field's type, with one clear error."""
    annotation = str(f.type)
    try:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null") and "None" in annotation):
            if "None" in annotation:
                return None
            raise ValueError
        if annotation.startswith("bool"):
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "yes", "on", "1"):
                return True
            if isinstance(value, str) and value.lower() in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if annotation.startswith("int"):
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(float(value)) if isinstance(value, str) and "e" in value.lower() else int(value)
        if annotation.startswith("float"):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        return _canonical_name(dotted, str(value))
    except (TypeError, ValueError):
        kind = annotation.split("|")[0].strip()
        raise ConfigError(f"{source}: '{dotted}' must be {_article(kind)}, not {value!r}.") from None


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
        raise ConfigError(f"--set '{assignment}' must look like section.key=value, e.g. optim.lr_g=1e-4.")
    dotted, raw = assignment.split("=", 1)
    dotted = dotted.strip()
    if dotted == "name":
        return replace(cfg, name=raw.strip())
    if "." not in dotted:
        raise ConfigError(f"--set '{assignment}': name the section too, e.g. optim.{dotted}={raw}.")
    section, key = dotted.split(".", 1)
    if section not in _SECTION_CLASSES:
        raise ConfigError(f"--set '{assignment}': unknown section '{section}'; sections are {', '.join(_SECTION_CLASSES)}.")
    known = {f.name: f for f in fields(_SECTION_CLASSES[section])}
    if key not in known:
        raise ConfigError(
            f"--set '{assignment}': unknown setting '{dotted}'; known settings of [{section}] are "
            f"{', '.join(sorted(known))}."
        )
    value = _coerce(raw.strip(), known[key], dotted, "--set")
    return replace(cfg, **{section: replace(getattr(cfg, section), **{key: value})})


def _choice(value: str, choices: tuple[str, ...], dotted: str) -> None:
    if value not in choices:
        raise ConfigError(f"'{dotted}' is '{value}'; choose one of {', '.join(choices)}.")


def _or_list(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _check_objective(o: ObjectiveConfig, task: str) -> None:
    """The objective exists, trains on this kind of data, and its settings are fields of [objective]."""
    _choice(o.loss, objective_registry.objective_names(), "objective.loss")
    spec = objective_registry.objective_spec(o.loss)
    if task not in spec.tasks:
        if task == "paired":
            raise ConfigError(f"paired data trains with {_or_list(objective_registry.objectives_for_task('paired'))}, "
                              f"not '{o.loss}'.")
        if spec.tasks == ("paired",):
            raise ConfigError(f"objective.loss '{o.loss}' needs paired data (data.kind paired or autopair).")
        raise ConfigError(f"objective.loss '{o.loss}' trains on {_or_list(spec.tasks)} data, not on {task} data.")
    known = {f.name for f in fields(ObjectiveConfig)}
    for setting in spec.settings:
        if setting not in known:
            raise ConfigError(f"objective '{o.loss}' has a setting '{setting}' that [objective] lacks; add the "
                              "field to ganstudio.core.config.ObjectiveConfig.")


def _positive(value: float, dotted: str, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "greater than zero"
        raise ConfigError(f"'{dotted}' must be {bound}, not {value}.")


def validate(cfg: RunConfig, complete: bool = True) -> RunConfig:
    """Check every value that can be checked before building anything; return cfg unchanged.

    complete=False skips the checks that only a runnable config must pass (a folder preset has no
    folder until the user names one).
    """
    d, m, o, t, opt, tr = cfg.data, cfg.model, cfg.objective, cfg.tricks, cfg.optim, cfg.train
    _choice(d.kind, DATA_KINDS, "data.kind")
    if complete and d.kind in ("folder", "paired", "autopair") and not d.path:
        raise ConfigError(f"data.kind '{d.kind}' needs a folder: pass --data PATH (or set data.path).")
    if d.image_size not in (32, 64, 128, 256):
        raise ConfigError(f"'data.image_size' must be 32, 64, 128 or 256, not {d.image_size}.")
    if d.channels not in (1, 3):
        raise ConfigError(f"'data.channels' must be 1 or 3, not {d.channels}.")
    _choice(d.paired_direction, ("AtoB", "BtoA"), "data.paired_direction")
    _check_objective(o, d.task)
    _choice(m.d_norm, ("batch", "instance", "layer", "none"), "model.d_norm")
    _choice(m.g_norm, ("batch", "instance", "none"), "model.g_norm")
    _choice(opt.optimizer, OPTIMIZERS, "optim.optimizer")
    _choice(opt.lr_decay, ("none", "linear"), "optim.lr_decay")
    _choice(tr.device, DEVICES, "train.device")
    _choice(tr.precision, PRECISIONS, "train.precision")
    _choice(tr.nan_policy, NAN_POLICIES, "train.nan_policy")
    _choice(tr.best_metric, metric_registry.best_metric_names(), "train.best_metric")
    for dotted, value in (("optim.lr_g", opt.lr_g), ("optim.lr_d", opt.lr_d), ("model.z_dim", m.z_dim),
                          ("model.g_width", m.g_width), ("model.d_width", m.d_width),
                          ("optim.batch_size", opt.batch_size), ("optim.n_critic", opt.n_critic),
                          ("tricks.pack", t.pack), ("train.log_every", tr.log_every),
                          ("train.n_preview", tr.n_preview)):
        _positive(value, dotted)
    for dotted, value in (("train.steps", tr.steps), ("objective.r1_gamma", o.r1_gamma),
                          ("objective.l1_weight", o.l1_weight), ("tricks.instance_noise", t.instance_noise),
                          ("tricks.feature_matching", t.feature_matching), ("tricks.unrolled_steps", t.unrolled_steps),
                          ("tricks.historical_averaging", t.historical_averaging), ("tricks.grad_clip", t.grad_clip),
                          ("tricks.minibatch_disc", t.minibatch_disc), ("train.sample_every", tr.sample_every),
                          ("train.checkpoint_every", tr.checkpoint_every), ("train.eval_every", tr.eval_every),
                          ("train.threads", tr.threads)):
        _positive(value, dotted, allow_zero=True)
    if o.gp_weight is not None:
        _positive(o.gp_weight, "objective.gp_weight", allow_zero=True)
    if not 0.0 <= t.label_smoothing < 0.5:
        raise ConfigError(f"'tricks.label_smoothing' must be in [0, 0.5), not {t.label_smoothing}.")
    if not (t.ema == 0.0 or 0.0 < t.ema < 1.0):
        raise ConfigError(f"'tricks.ema' must be 0 (off) or a decay in (0, 1), not {t.ema}.")
    if not (0.0 <= opt.beta1 < 1.0 and 0.0 <= opt.beta2 < 1.0):
        raise ConfigError(f"optimizer betas must lie in [0, 1), not ({opt.beta1}, {opt.beta2}).")
    if t.pack > 1 and d.task == "paired":
        raise ConfigError("'tricks.pack' (PacGAN) applies to toy and image data, not to paired image translation.")
    if opt.batch_size % t.pack:
        raise ConfigError(f"'optim.batch_size' ({opt.batch_size}) must be a multiple of 'tricks.pack' ({t.pack}).")
    if m.class_conditional and d.kind != "digits" and d.task != "image":
        raise ConfigError("model.class_conditional needs labelled images (data.kind digits).")
    if m.class_conditional and d.kind == "folder":
        raise ConfigError("model.class_conditional needs labels; image folders have none (use data.kind digits).")
    return cfg


def load_toml(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}.") from None
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
    path = Path(path)
    return RunConfig.from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))


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


PRESETS = {
    "toy-ring": lambda: _toy("ring", 20000),
    "toy-grid": lambda: _toy("grid", 24000, pack=2),
    "toy-spiral": lambda: _toy("spiral", 4000),
    "toy-moons": lambda: _toy("moons", 4000),
    "digits-dcgan": lambda: _digits(False),
    "digits-cdcgan": lambda: _digits(True),
    "pix2pix-folder": lambda: _paired("paired", "pix2pix-folder"),
    "sketch-folder": lambda: _paired("autopair", "sketch-folder"),
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
