"""The one list of the numbers a run reports. Each metric is registered once, here, with its label, which
monitor plot draws it, which way is better and whether it may pick the best checkpoint. The config's
choices for train.best_metric, the trainer's best-checkpoint comparison, the monitor's plots, legends,
colours and evaluation line derive from it.

Plain data, no Qt and no PyTorch: the monitor and the config read it. Colours are keys that
`ganstudio.qt.theme.CURVE_COLORS` maps to colours (the theme stays the one place for styling).

Built-in metrics are computed by the trainer (the losses and gradient norms in each step, the quality
numbers in `Trainer.evaluate`). A metric registered with `compute` is a function of the real and the
generated samples that `Trainer.evaluate` calls on every evaluation. Adding one::

    register_metric(MetricSpec("mean_gap", "mean gap", group="wasserstein", color="distance",
                               higher_is_better=False, best=True, compute=lambda real, fake: ...))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class PlotGroup:
    """One plot of the monitor; the monitor names its widget f"{key}Plot"."""

    key: str
    title: str
    unit: str  # what the y axis measures


@dataclass(frozen=True)
class MetricSpec:
    name: str  # the key in scalars / eval records and metrics.jsonl
    label: str  # legends, the crosshair readout and the evaluation line
    group: str | None = None  # the PlotGroup key of the plot that draws it; None: not plotted
    color: str = ""  # colour key in qt.theme.CURVE_COLORS; "" draws it in its run's colour
    higher_is_better: bool | None = None  # None: neither way is better (losses, learning rates)
    best: bool = False  # may choose the best checkpoint (train.best_metric); needs higher_is_better
    smoothed: bool = True  # False: set by the user, not noisy, so the monitor shows it exactly
    summary: bool = False  # shown in the monitor's evaluation line
    format: str = ".3g"  # format spec of the value (after scale) in the evaluation line
    scale: float = 1.0
    unit: str = ""  # written after the value ("%")
    out_of: str | None = None  # the value counts out of this other number of the same record ("modes 7/8")
    compute: Callable[[Any, Any], float] | None = None  # (real, fake) -> float, evaluated by Trainer.evaluate

    def format_value(self, record: Mapping[str, Any]) -> str | None:
        """'label value' for the evaluation line, or None when the record lacks the value."""
        value = record.get(self.name)
        if value is None:
            return None
        text = f"{self.label} {value * self.scale:{self.format}}{self.unit}"
        if self.out_of is not None:
            total = record.get(self.out_of)
            if not total:
                return None
            text += f"/{total:{self.format}}"
        return text


_GROUPS: dict[str, PlotGroup] = {}  # in plot order
_METRICS: dict[str, MetricSpec] = {}  # in registration order: legend order within a plot, evaluation line order


def register_plot_group(group: PlotGroup) -> PlotGroup:
    if group.key in _GROUPS:
        raise ValueError(f"plot group {group.key!r} is already registered")
    _GROUPS[group.key] = group
    return group


def register_metric(spec: MetricSpec) -> MetricSpec:
    """Add a metric; ValueError when it contradicts the registry (a programming error)."""
    if spec.name in _METRICS:
        raise ValueError(f"metric {spec.name!r} is already registered")
    if spec.group is not None and spec.group not in _GROUPS:
        raise ValueError(f"metric {spec.name!r}: unknown plot group {spec.group!r}; groups are {', '.join(_GROUPS)}")
    if spec.best and spec.higher_is_better is None:
        raise ValueError(f"metric {spec.name!r} can pick the best checkpoint only if higher_is_better is set")
    _METRICS[spec.name] = spec
    return spec


def unregister_metric(name: str) -> None:
    """Remove a metric registered by a test or a plugin."""
    del _METRICS[name]


def unregister_plot_group(key: str) -> None:
    if any(m.group == key for m in _METRICS.values()):
        raise ValueError(f"plot group {key!r} still has metrics")
    del _GROUPS[key]


def metric(name: str) -> MetricSpec | None:
    """The metric called `name`, or None for a number that is not a metric (step, wall_time, ...)."""
    return _METRICS.get(name)


def metric_names() -> tuple[str, ...]:
    return tuple(_METRICS)


def best_metric_names() -> tuple[str, ...]:
    """The metrics train.best_metric may name."""
    return tuple(name for name, spec in _METRICS.items() if spec.best)


def higher_is_better(name: str) -> bool:
    """Which way is better for a metric that can pick the best checkpoint."""
    direction = _METRICS[name].higher_is_better
    if direction is None:
        raise ValueError(f"metric {name!r} has no better direction")
    return direction


def plot_groups() -> tuple[PlotGroup, ...]:
    return tuple(_GROUPS.values())


def metrics_in_group(key: str) -> tuple[str, ...]:
    """The metrics one plot draws, in legend order."""
    return tuple(name for name, spec in _METRICS.items() if spec.group == key)


def summary_metrics() -> tuple[MetricSpec, ...]:
    return tuple(spec for spec in _METRICS.values() if spec.summary)


def computed_metrics() -> tuple[MetricSpec, ...]:
    """The metrics with a `compute` function, evaluated on every evaluation."""
    return tuple(spec for spec in _METRICS.values() if spec.compute is not None)


# --- the built-in plots and metrics ---------------------------------------------------------------------------

for _group in (
    PlotGroup("loss", "Losses", "loss"),
    PlotGroup("wasserstein", "Wasserstein estimates", "distance"),
    PlotGroup("dOutput", "D(x) and D(G(z))", "D output"),
    PlotGroup("gradNorm", "Gradient norms and penalties", "norm"),
    PlotGroup("lr", "Learning rates", "lr"),
    PlotGroup("speed", "Training speed", "it/s"),
):
    register_plot_group(_group)

for _metric in (
    # Logged every train.log_every steps (the scalars records).
    MetricSpec("d_loss", "D loss", group="loss", color="discriminator"),
    MetricSpec("g_loss", "G loss", group="loss", color="generator", higher_is_better=False, best=True),
    MetricSpec("critic_gap", "critic gap (W estimate)", group="wasserstein", color="critic"),
    # Evaluations (the eval records); sliced_w and l1 are logged with the scalars too.
    MetricSpec("modes_captured", "modes", higher_is_better=True, best=True, summary=True, format=".0f",
               out_of="n_modes"),
    MetricSpec("hq_fraction", "high-quality", higher_is_better=True, best=True, summary=True, format=".0f",
               scale=100.0, unit="%"),
    MetricSpec("sliced_w", "sliced W", group="wasserstein", color="distance", higher_is_better=False, best=True,
               summary=True),
    MetricSpec("w1_exact", "W1", higher_is_better=False, summary=True),
    MetricSpec("l1", "L1", group="loss", color="penalty", higher_is_better=False, best=True, summary=True),
    MetricSpec("diversity", "variant diversity", group="loss", color="distance"),  # tricks.diversity's clipped ratio
    MetricSpec("reverse_kl", "reverse KL over modes", higher_is_better=False),
    MetricSpec("n_modes", "modes of the data"),
    MetricSpec("d_real", "D(x)", group="dOutput", color="real"),
    MetricSpec("d_fake", "D(G(z))", group="dOutput", color="fake"),
    MetricSpec("grad_norm_d", "‖∇D‖", group="gradNorm", color="discriminator"),
    MetricSpec("grad_norm_g", "‖∇G‖", group="gradNorm", color="generator"),
    MetricSpec("gradient_penalty", "gradient penalty", group="gradNorm", color="penalty"),
    MetricSpec("r1_penalty", "R1 penalty", group="gradNorm", color="penalty"),
    MetricSpec("lr_d", "lr D", group="lr", color="discriminator", smoothed=False),
    MetricSpec("lr_g", "lr G", group="lr", color="generator", smoothed=False),
    MetricSpec("it_s", "steps per second", group="speed", color="speed"),
    # CycleGAN's players (the reference's names) and its evaluation on held-out pictures.
    MetricSpec("D_A", "D_A (judges B)", group="loss", color="discriminator"),
    MetricSpec("D_B", "D_B (judges A)", group="loss", color="critic"),
    MetricSpec("G_A", "G_A (A→B)", group="loss", color="generator"),
    MetricSpec("G_B", "G_B (B→A)", group="loss", color="real"),
    MetricSpec("cycle_A", "cycle A", group="loss", color="distance"),
    MetricSpec("cycle_B", "cycle B", group="loss", color="fake"),
    MetricSpec("idt_A", "identity A", group="loss", color="penalty"),
    MetricSpec("idt_B", "identity B", group="loss", color="speed"),
    MetricSpec("colour_gap", "colour gap to target", higher_is_better=False, best=True, summary=True, format=".1f"),
    MetricSpec("edge_agreement", "edges kept", higher_is_better=True, best=True, summary=True, format=".2f"),
    MetricSpec("cycle_l1", "cycle L1", higher_is_better=False, summary=True),
):
    register_metric(_metric)
del _group, _metric
