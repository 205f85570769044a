"""What the Train form holds, without Qt: the values of its fields, the chosen preset and data kind, the
folder, which rows show, the RunConfig they describe, and the checkpoint a Start would resume.

`FIELDS` lists one `FieldSpec` per config field worth showing (label, kind, tooltip; the widgets are made
from it in `qt.train.fields`). Its range is the field's row of `config.FIELD_RULES`, the bounds `validate` applies. `TrainForm` is an evented model (as `latent.explore_state`): the
methods mirror what the user does (`choose_preset`, `set_value`, `set_data_kind`, `set_folder`, ...) and
announce changes on `form.events`; `config()` builds and validates the RunConfig (a ConfigError says
what is wrong). Importing this module loads neither torch nor Qt: the window shows before PyTorch loads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ganstudio.core import config as C
from ganstudio.core import objective_registry
from ganstudio.core.errors import ConfigError
from ganstudio.core.events import EventGroup

DATASETS = [
    ("ring", "Ring of 8 Gaussians (2-D)"),
    ("grid", "Grid of 25 Gaussians (2-D)"),
    ("spiral", "Spiral (2-D)"),
    ("moons", "Two moons (2-D)"),
    ("swissroll", "Swiss roll (2-D)"),
    ("digits", "Handwritten digits (bundled, 32x32)"),
    ("folder", "Image folder…"),
    ("paired", "Paired folder (A|B files or A/ and B/)…"),
    ("autopair", "Auto-paired folder (sketch → picture)…"),
    ("unpaired", "Unpaired folders A and B (CycleGAN)…"),
    ("scenes-daynight", "Day ↔ night landscapes (CycleGAN)"),
]
FOLDER_KINDS = ("folder", "paired", "autopair", "unpaired")
LIVE_FIELDS = ("optim.lr_g", "optim.lr_d", "optim.n_critic")  # editable while training


@dataclass(frozen=True)
class FieldSpec:
    key: str  # "section.field"
    label: str
    kind: str  # choice | int | float | log | bool | optional_float
    tip: str
    choices: tuple = ()
    minimum: float | None = None  # None: the bounds of config.FIELD_RULES, the ones validation applies
    maximum: float | None = None
    step: float = 1.0
    decimals: int = 3
    only_for: tuple = ()  # show the row only for these data kinds ("data:folder"); an objective's own setting
    #   (ObjectiveSpec.settings) shows only for the objectives that have it

    def __post_init__(self) -> None:
        rule = C.FIELD_RULES.get(self.key)
        low = rule.minimum if rule is not None and rule.minimum is not None else 0.0
        high = rule.maximum if rule is not None and rule.maximum is not None else 1e9
        if self.kind == "optional_float":
            low -= self.step  # the widget's lowest value stands for None ('auto'), one step below the rule's
        if self.minimum is None:
            object.__setattr__(self, "minimum", low)
        if self.maximum is None:
            object.__setattr__(self, "maximum", high)


FIELDS: dict[str, list[FieldSpec]] = {
    "Data": [
        FieldSpec("data.image_size", "Image size", "choice",
                  "Side of the square images the models see. Larger images need more memory and time; 32 or 64 is "
                  "right for a first run on a CPU.", choices=(32, 64, 128, 256),
                  only_for=("data:folder", "data:paired", "data:autopair", "data:unpaired", "data:scenes-daynight")),
        FieldSpec("data.channels", "Channels", "choice",
                  "1 trains on grey images, 3 on colour. Grey is faster and fine for line art and scans.",
                  choices=(3, 1), only_for=("data:folder",)),
        FieldSpec("data.paired_direction", "Direction", "choice",
                  "AtoB learns to turn the left (or A/) image into the right (or B/) one; BtoA the other way.",
                  choices=("AtoB", "BtoA"), only_for=("data:paired",)),
        FieldSpec("data.hints_max", "Colour hints (max)", "int",
                  "Up to this many random colour dots are given with each training sketch, so the model learns to "
                  "follow colour hints as well as lines.", only_for=("data:autopair",)),
        FieldSpec("data.scene_count", "Scenes per side", "int",
                  "How many procedural landscapes each side holds: day scenes on side A, other scenes by night on "
                  "side B (never the same scene on both sides).", only_for=("data:scenes-daynight",)),
    ],
    "Model": [
        FieldSpec("model.z_dim", "Latent size z", "int",
                  "Length of the random vector G turns into a sample. 2-D toys need little (8-16); images 64-128."),
        FieldSpec("model.g_width", "G width", "int",
                  "Hidden units (MLP) or base channel count (DCGAN/U-Net) of the generator. Wider learns more but "
                  "is slower.", step=8),
        FieldSpec("model.d_width", "D width", "int",
                  "Hidden units or base channel count of the discriminator. Keep it close to G's width so neither "
                  "player overpowers the other.", step=8),
        FieldSpec("model.g_depth", "G depth", "int",
                  "Hidden layers of an MLP generator; downsamplings of a U-Net."),
        FieldSpec("model.d_depth", "D depth", "int",
                  "Hidden layers of an MLP discriminator; layers of a PatchGAN (3 = 70x70 patches)."),
        FieldSpec("model.d_norm", "D normalisation", "choice",
                  "Normalisation inside D. Use 'none' or 'layer' with gradient penalties (WGAN-GP, R1): batch norm "
                  "makes samples in a batch depend on each other, which breaks the penalty.",
                  choices=("none", "batch", "instance", "layer")),
        FieldSpec("model.class_conditional", "Class-conditional", "bool",
                  "Give G and D the digit label, so you can ask for a particular digit (cGAN, Mirza & Osindero 2014).",
                  only_for=("data:digits",)),
    ],
    "Objective": [
        FieldSpec("objective.gp_weight", "Gradient penalty λ", "optional_float",
                  "WGAN-GP's penalty weight (Gulrajani et al. 2017). 'auto' means 10 for wgan-gp and off otherwise; "
                  "set it to add the penalty to other losses.", step=1, decimals=2),
        FieldSpec("objective.r1_gamma", "R1 penalty γ", "float",
                  "Penalise D's gradient on real data (Mescheder et al. 2018). Stabilises most losses; try 0.1-10. "
                  "0 turns it off.", step=0.1, decimals=3),
        FieldSpec("objective.clip_value", "Weight clip c", "float",
                  "The original WGAN keeps D Lipschitz by clipping every weight to [-c, c]. Too small: D learns "
                  "nothing; too large: training is unstable.", step=0.005, decimals=4),
        FieldSpec("objective.l1_weight", "L1 weight λ", "float",
                  "pix2pix: how much G is pulled towards the target picture, against the adversarial loss. 100 as "
                  "in the paper; lower gives sharper but less faithful results.", step=10, decimals=1),
        FieldSpec("objective.cycle_weight", "Cycle weight λ", "float",
                  "CycleGAN: how much A → B → A (and B → A → B) must give the picture back, against the adversarial "
                  "losses. 10 as in the paper.", step=1, decimals=1),
        FieldSpec("objective.identity_weight", "Identity weight", "float",
                  "CycleGAN: times λ, how much each generator must leave a picture of its target side as it is "
                  "(keeps colours from drifting). 0.5 as in the paper; 0 turns it off.", step=0.1, decimals=2),
        FieldSpec("objective.pool_size", "Image pool", "int",
                  "CycleGAN: past fakes kept for each discriminator; once full, D sees a stored one half the "
                  "time. 50 as in the paper; 0 turns it off."),
    ],
    "Optimizer": [
        FieldSpec("optim.optimizer", "Optimizer", "choice",
                  "Adam with β1 = 0.5 is the usual GAN choice; RMSprop for the original WGAN.", choices=C.OPTIMIZERS),
        FieldSpec("optim.lr_g", "Learning rate G", "log",
                  "Step size of the generator. Can be changed while training. Lower it when the curves oscillate "
                  "wildly; 1e-4 to 2e-4 is typical."),
        FieldSpec("optim.lr_d", "Learning rate D", "log",
                  "Step size of the discriminator. Can be changed while training. A larger D rate than G's is TTUR "
                  "(Heusel et al. 2017), which often stabilises training."),
        FieldSpec("optim.beta1", "Adam β1", "float",
                  "Momentum of Adam. 0.5 (DCGAN) or 0 (WGAN-GP) keeps the game from overshooting; 0.9 is the "
                  "non-GAN default.", step=0.05, decimals=3),
        FieldSpec("optim.beta2", "Adam β2", "float",
                  "Averaging of squared gradients in Adam; 0.999 (or 0.9 for WGAN-GP).", step=0.001, decimals=4),
        FieldSpec("optim.n_critic", "D steps per G step", "int",
                  "How many discriminator updates per generator update. Can be changed while training. WGAN needs "
                  "5; the other losses usually 1."),
        FieldSpec("optim.batch_size", "Batch size", "int",
                  "Samples per step. Larger batches give smoother curves but fewer steps per second; must be a "
                  "multiple of PacGAN's pack.", step=8),
    ],
    "Tricks": [
        FieldSpec("tricks.label_smoothing", "One-sided label smoothing", "float",
                  "Train D towards 1 - value on real data instead of 1 (Salimans et al. 2016), so it is less "
                  "over-confident. Try 0.1-0.2; not with WGAN.", step=0.05, decimals=2),
        FieldSpec("tricks.instance_noise", "Instance noise", "float",
                  "Gaussian noise added to everything D sees, annealed to 0 (Sønderby et al. 2016). Helps when the "
                  "real and fake distributions barely overlap early on.", step=0.05, decimals=3),
        FieldSpec("tricks.instance_noise_steps", "Noise annealing steps", "int",
                  "Over how many steps the instance noise goes to 0; 0 means the whole run.", step=100),
        FieldSpec("tricks.feature_matching", "Feature matching", "float",
                  "Weight of a term pulling G's features (D's last hidden layer) towards the real data's "
                  "(Salimans et al. 2016). Reduces mode collapse at some cost in sharpness.", step=0.1, decimals=3),
        FieldSpec("tricks.minibatch_stddev", "Minibatch stddev", "bool",
                  "D sees the spread of features across the batch (ProGAN), so a collapsed generator is easy to spot."),
        FieldSpec("tricks.minibatch_disc", "Minibatch discrimination", "int",
                  "Number of minibatch-discrimination kernels (Salimans et al. 2016); 0 is off. Another cure for "
                  "mode collapse."),
        FieldSpec("tricks.spectral_norm", "Spectral normalisation", "bool",
                  "Normalise each D layer by its largest singular value (Miyato et al. 2018): a cheap way to keep D "
                  "smooth; works well with hinge loss."),
        FieldSpec("tricks.ema", "Generator EMA", "float",
                  "Show and save a moving average of G's weights (decay, e.g. 0.999); samples are smoother and "
                  "better. 0 is off.", step=0.001, decimals=4),
        FieldSpec("tricks.pack", "PacGAN pack", "int",
                  "D judges this many samples at once (Lin et al. 2018); 2-4 strongly discourages mode collapse."),
        FieldSpec("tricks.unrolled_steps", "Unrolled D steps", "int",
                  "G looks this many D updates ahead (Metz et al. 2017). 5-10 fixes mode collapse on the toys but "
                  "makes each step several times slower."),
        FieldSpec("tricks.historical_averaging", "Historical averaging", "float",
                  "Penalise both players for moving far from their average past weights (Salimans et al. 2016).",
                  step=0.1, decimals=3),
        FieldSpec("tricks.grad_clip", "Gradient clipping", "float",
                  "Clip both players' gradient norms to this value; 0 is off. A safety net against sudden blow-ups.", step=1, decimals=2),
    ],
    "Training": [
        FieldSpec("train.steps", "Steps", "int",
                  "Generator steps to train. The run can be stopped earlier at any time.", step=500),
        FieldSpec("train.seed", "Seed", "int",
                  "Random seed: the same seed and settings give the same run."),
        FieldSpec("train.precision", "Precision", "choice",
                  "bf16 runs the models in bfloat16 (autocast; conv nets in channels_last): faster on recent GPUs and on "
                  "CPUs with native bf16 (AVX512-BF16, AMX), slower on others.",
                  choices=C.PRECISIONS),
        FieldSpec("train.log_every", "Log every", "int",
                  "Steps between logged curve points (averaged over those steps)."),
        FieldSpec("train.sample_every", "Samples every", "int",
                  "Steps between sample grids (or 2-D views); 0 turns them off.", step=50),
        FieldSpec("train.eval_every", "Evaluate every", "int",
                  "Steps between quality measurements on a large sample (modes captured, sliced Wasserstein); "
                  "the best checkpoint is kept by it.", step=50),
        FieldSpec("train.checkpoint_every", "Checkpoint every", "int",
                  "Steps between automatic checkpoints (latest.safetensors in the run folder).", step=500),
        FieldSpec("train.threads", "CPU threads", "int",
                  "Torch threads for a CPU run; 0 chooses: 1 for 2-D toys (small models gain nothing from threads), "
                  "all CPUs but one for image models."),
        FieldSpec("train.nan_policy", "If a loss becomes NaN", "choice",
                  "'stop' ends training and keeps the last good checkpoint; 'rollback' returns to the last good "
                  "state and halves the learning rates (up to 3 times).", choices=C.NAN_POLICIES),
    ],
}


def data_task(kind: str) -> str:
    return C.DataConfig(kind=kind).task


def preset_for(kind: str) -> str:
    """The preset that fits a data kind when the current one does not."""
    if kind in C.TOY_DATA:
        return f"toy-{kind}" if f"toy-{kind}" in C.PRESETS else "toy-ring"
    return {"digits": "digits-dcgan", "folder": "digits-dcgan", "paired": "pix2pix-folder",
            "autopair": "sketch-folder", "unpaired": "cyclegan-folders", "scenes-daynight": "cyclegan-scenes"}[kind]


# Form values that are not FIELDS rows (they have their own widgets: the loss and device menus).
EXTRA_KEYS = ("objective.loss", "train.device")
FORM_KEYS = (*EXTRA_KEYS, *(spec.key for specs in FIELDS.values() for spec in specs))
SPECS: dict[str, FieldSpec] = {spec.key: spec for specs in FIELDS.values() for spec in specs}


def read_checkpoint_config(path: str) -> dict[str, Any]:
    """Config and step of a checkpoint (a job: loading needs torch)."""
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.models.from_config import config_from_checkpoint

    ckpt = load_checkpoint(path)
    return {"path": path, "config": config_from_checkpoint(ckpt), "step": ckpt.step}


class TrainFormEvents(EventGroup):
    """`values(keys)` the form changed these values itself (a preset, a checkpoint, the trainer's live
    values), `preset(name)`, `data_kind(kind)`, `rows()` which rows show may have changed,
    `folder(text)` a config brought its folder (`folder_b(text)`: side B's, unpaired data), `resume(path)` the checkpoint Start resumes (None: a new run)."""

    NAMES = ("values", "preset", "data_kind", "folder", "folder_b", "rows", "resume")


class TrainForm:
    """The Train form's state: `values[key]` for every key of FORM_KEYS, `preset_name`, `data_kind`,
    `folder`, `resume_path` / `resume_step`."""

    def __init__(self, preset_name: str | None = None) -> None:
        self.events = TrainFormEvents()
        self.values: dict[str, Any] = {}
        self.preset_name = ""
        self.data_kind = "ring"
        self.folder = ""
        self.folder_b = ""  # unpaired data: side B's folder ("": the folder holds trainA/ and trainB/)
        self.resume_path: str | None = None
        self.resume_step = 0
        self.run_defaults: dict[str, Any] = {}  # the app's preferences for new runs (train.threads, train.device)
        self.load_preset(preset_name or next(iter(C.PRESETS)))

    # --- values ------------------------------------------------------------------------------------------
    def value(self, key: str) -> Any:
        return self.values[key]

    def set_value(self, key: str, value: Any) -> None:
        """The user edited one field."""
        if key not in FORM_KEYS:
            raise KeyError(key)
        changed = self.values.get(key) != value
        self.values[key] = value
        if key == "objective.loss" and changed:
            self.events.rows.emit()

    def _show(self, values: dict[str, Any]) -> None:
        self.values.update(values)
        self.events.values.emit(tuple(values))

    def set_config(self, cfg: C.RunConfig) -> None:
        """Show a config (preset defaults or a checkpoint's settings)."""
        self._set_kind(cfg.data.kind)
        if cfg.data.path:
            self.folder = cfg.data.path
            self.events.folder.emit(self.folder)
        if cfg.data.path_b:
            self.folder_b = cfg.data.path_b
            self.events.folder_b.emit(self.folder_b)
        self._show({key: getattr(getattr(cfg, key.split(".")[0]), key.split(".")[1]) for key in FORM_KEYS})
        self.events.rows.emit()

    def _set_kind(self, kind: str) -> None:
        self.data_kind = kind
        self.events.data_kind.emit(kind)

    # --- presets and data --------------------------------------------------------------------------------
    def load_preset(self, name: str) -> None:
        """Reset the form to a preset (keeps a loaded checkpoint: see choose_preset)."""
        if not name:
            return
        self.preset_name = name
        self.events.preset.emit(name)
        self.set_config(self._with_run_defaults(C.preset(name)))

    def _with_run_defaults(self, cfg: C.RunConfig) -> C.RunConfig:
        sections: dict[str, dict[str, Any]] = {}
        for key, value in self.run_defaults.items():
            section, name = key.split(".")
            sections.setdefault(section, {})[name] = value
        return replace(cfg, **{s: replace(getattr(cfg, s), **v) for s, v in sections.items()})

    def set_run_defaults(self, values: dict[str, Any]) -> None:
        """The preferences' values for new runs (e.g. {"train.threads": 4, "train.device": "cpu"}): presets
        take them from now on, and a field that still shows the old default shows the new one (an edit
        the user made is kept)."""
        shown = {}
        for key, value in values.items():
            if key not in FORM_KEYS:
                raise KeyError(key)
            old = self.run_defaults.get(key, getattr(getattr(C.RunConfig(), key.split(".")[0]), key.split(".")[1]))
            if self.values.get(key) == old and value != old:
                shown[key] = value
            self.run_defaults[key] = value
        if shown:
            self._show(shown)

    def choose_preset(self, name: str) -> None:
        """The user chose a preset: a new run from its values, no longer the loaded checkpoint."""
        self.forget_resume()
        self.load_preset(name)

    def set_data_kind(self, kind: str) -> None:
        """The user chose a data set; a preset for another task (or the sketch preset) follows it."""
        preset_name = self.preset_name
        if (data_task(kind) != C.preset(preset_name).data.task or (kind == "autopair") != (preset_name == "sketch-folder")
                or (data_task(kind) == "unpaired" and preset_name != preset_for(kind))):
            self.load_preset(preset_for(kind))
        if kind == "folder":
            self._show({"data.channels": 3, "model.class_conditional": False})
        self._set_kind(kind)
        self.events.rows.emit()

    @property
    def is_folder_kind(self) -> bool:
        return self.data_kind in FOLDER_KINDS

    def set_folder(self, text: str) -> None:
        self.folder = str(text).strip()

    def set_folder_b(self, text: str) -> None:
        """Unpaired data: side B's folder ("" when the folder holds trainA/ and trainB/)."""
        self.folder_b = str(text).strip()

    def row_visible(self, key: str) -> bool | None:
        """Whether a row shows for the chosen objective and data kind; None for rows that always show."""
        spec = SPECS.get(key)
        if spec is None:
            return None
        section, name = key.split(".")
        if section == "objective" and name in objective_registry.setting_names():
            loss = self.values.get("objective.loss")
            return name in (objective_registry.objective_spec(loss).settings if loss else {})
        if spec.only_for:
            return f"data:{self.data_kind}" in spec.only_for
        return None

    # --- the run -------------------------------------------------------------------------------------------
    def config(self) -> C.RunConfig:
        """The validated RunConfig the form describes; raises ConfigError."""
        cfg = C.preset(self.preset_name)
        values: dict[str, dict[str, Any]] = {}
        for key in FORM_KEYS:
            section, name = key.split(".")
            values.setdefault(section, {})[name] = self.values[key]
        kind = self.data_kind
        values["data"]["kind"] = kind
        values["data"]["path"] = (self.folder or None) if kind in FOLDER_KINDS else None
        values["data"]["path_b"] = (self.folder_b or None) if kind == "unpaired" else None
        if kind == "digits":
            values["data"]["channels"] = 1
        sections = {s: replace(getattr(cfg, s), **v) for s, v in values.items()}
        cfg = replace(cfg, name=self.run_name(cfg.name), **sections)
        return C.validate(cfg)

    def run_name(self, preset_name: str) -> str:
        kind = self.data_kind
        if kind in C.TOY_DATA:
            return f"toy-{kind}"
        if kind in FOLDER_KINDS and self.folder:
            return f"{preset_name}-{Path(self.folder).name}"
        return preset_name

    def live_settings(self) -> dict[str, Any]:
        """What a running trainer takes between steps."""
        return {"lr_g": self.values["optim.lr_g"], "lr_d": self.values["optim.lr_d"],
                "n_critic": self.values["optim.n_critic"]}

    def set_live_values(self, lr_g: float, lr_d: float, n_critic: int) -> None:
        """The trainer's actual values (after a change or a resume)."""
        self._show({"optim.lr_g": lr_g, "optim.lr_d": lr_d, "optim.n_critic": n_critic})

    # --- what the form remembers between sessions ----------------------------------------------------------
    def remembered(self) -> dict[str, Any]:
        """The form as plain JSON values (preset, data kind, folder, every field); `restore` takes it back."""
        return {"preset": self.preset_name, "data_kind": self.data_kind, "folder": self.folder,
                "folder_b": self.folder_b, "values": {key: self.values[key] for key in FORM_KEYS}}

    def restore(self, saved: Any) -> None:
        """Show a form `remembered` earlier. A form that no longer validates (an unknown preset or field,
        a value out of range, a combination that fails) raises ConfigError and the form stays as it was."""
        if not isinstance(saved, dict) or not isinstance(saved.get("values"), dict):
            raise ConfigError("the remembered Train form is not a table of values.")
        name, kind, folder = saved.get("preset"), saved.get("data_kind"), saved.get("folder") or ""
        if not isinstance(name, str) or name not in C.PRESETS:
            raise ConfigError(f"the remembered preset {name!r} is not one of {', '.join(C.PRESETS)}.")
        if kind not in C.DATA_KINDS or not isinstance(folder, str):
            raise ConfigError(f"the remembered data set {kind!r} is not one of {', '.join(C.DATA_KINDS)}.")
        merged = C.preset(name).to_dict()
        for key, value in saved["values"].items():
            if key not in FORM_KEYS:
                raise ConfigError(f"the remembered Train form has a field '{key}' this version does not know.")
            section, field_name = key.split(".")
            merged[section][field_name] = value
        merged["data"]["kind"] = kind
        merged["data"]["path"] = (folder or None) if kind in FOLDER_KINDS else None
        cfg = C.RunConfig.from_dict(merged, source="the remembered Train form")  # validated (no folder needed)
        self.forget_resume()
        self.preset_name = name
        self.events.preset.emit(name)
        self.set_config(cfg)
        self.folder = folder.strip()
        self.events.folder.emit(self.folder)
        folder_b = saved.get("folder_b") or ""
        self.folder_b = folder_b.strip() if isinstance(folder_b, str) and kind == "unpaired" else ""
        self.events.folder_b.emit(self.folder_b)

    # --- resume --------------------------------------------------------------------------------------------
    def set_resume(self, path: str, cfg: C.RunConfig, step: int) -> None:
        """A checkpoint's settings fill the form and Start continues it (with more steps if it had finished)."""
        if cfg.name in C.PRESETS:
            self.preset_name = cfg.name
            self.events.preset.emit(cfg.name)
        self.set_config(cfg)
        if cfg.train.steps <= step:
            self._show({"train.steps": step + max(1000, cfg.train.steps // 2)})
        self.resume_path = str(path)
        self.resume_step = int(step)
        self.events.resume.emit(self.resume_path)

    def show_new_run(self, cfg: C.RunConfig) -> None:
        """A new run from these settings (the Monitor's Diagnosis suggestions): the preset follows the config's
        name or its data kind, and no checkpoint is resumed."""
        self.forget_resume()
        self.preset_name = cfg.name if cfg.name in C.PRESETS else preset_for(cfg.data.kind)
        self.events.preset.emit(self.preset_name)
        self.set_config(cfg)

    def forget_resume(self) -> None:
        if self.resume_path is None:
            return
        self.resume_path = None
        self.resume_step = 0
        self.events.resume.emit(None)
