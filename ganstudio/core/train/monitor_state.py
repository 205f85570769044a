"""What the Monitor shows, without Qt (an evented model, as `form.TrainForm` and `latent.explore_state`).

`MonitorState` holds the runs (`RunData`: name, colour, folder and its follower, the metric table, the
evaluations, the saved samples, the 2-D view's real points and bounds), which runs are shown, the current
run (whose samples and evaluation show) and which of its saved samples (`sample_index`, None: the newest),
the global step every plot marks and every sample view shows (`step`, None: the newest), whether the ticked
runs' samples are compared side by side (`compare`), the smoothing weight, log y, the x axis and the run
being trained in the app (`live_run`). Every saved sample is kept; a live run's older previews as the files
its folder holds (see `RunData.add_sample`). The methods mirror what happens (add_run, remove_run,
set_visible, set_current, scrub_samples, set_step, set_compare, begin_live / add_progress / end_live,
open_folder_run, poll, set_smoothing, set_log_y, set_x_mode); each change is
announced once on `state.events` (plain callbacks, in order, on the caller's thread). The numbers the
widgets show are worked out here too: smoothed values, the values under the crosshair, the learning-rate
plot's range and the evaluation line. numpy and `series` only: no Qt, no torch.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ganstudio.core import metric_registry
from ganstudio.core.events import EventGroup
from ganstudio.core.train.series import X_AXES, MetricTable, SmoothedSeries, nearest_row

log = logging.getLogger(__name__)

SAMPLE_FILE = re.compile(r"step_(\d+)\.(png|npy)$")
MAX_SAMPLE_HISTORY = 400  # decoded samples kept in memory by a run that has no sample files to read back
KEEP_DECODED = 4  # the newest samples of a live run stay decoded; older ones are read from their file again
SMOOTHING_MAX = 0.99  # the slider's right end; 1.0 would never move
LR_HEADROOM = 1.2  # the learning-rate plot goes from 0 to this times the largest rate


class MonitorEvents(EventGroup):
    """The events of a MonitorState (arguments in brackets).

    Runs: `added(run)` a run joined the end of `runs`, `removed(run, index)` it left from `index`,
    `visible(run)` it was ticked or unticked, `current(run)` the current run (None: none) changed and its
    sample index went back to following the newest, `live(run)` the app's training run began (None: ended).
    Data: `rows(run, metrics)` new rows with finite values of these metrics, `samples(run)` new saved
    samples, `evals(run)` new evaluation results.
    View: `step(step)` the global step every plot marks and every sample view shows (None: the newest),
    `sample_index(index)` the current run's sample shown (None: the newest), `smoothing(weight)`,
    `log_y(on)`, `x_mode(mode)`, `compare(on)` the sample pane shows the ticked runs side by side.
    """

    NAMES = ("added", "removed", "visible", "current", "live", "rows", "samples", "evals", "step", "sample_index",
             "smoothing", "log_y", "x_mode", "compare")


@dataclass
class RunData:
    name: str
    color: str
    folder: Path | None = None
    live: bool = False
    task: str | None = None  # toy | image | paired (None until known)
    table: MetricTable = field(default_factory=MetricTable)
    evals: list[dict] = field(default_factory=list)
    samples: list[tuple[int, Any]] = field(default_factory=list)  # (step, payload dict or file Path)
    sample_steps: list[int] = field(default_factory=list)  # the steps of `samples`, for bisecting
    real_points: np.ndarray | None = None
    bounds: tuple[float, float, float, float] | None = None
    smoothed: dict[str, SmoothedSeries] = field(default_factory=dict)  # per metric, extended as rows arrive
    dirty: set[str] = field(default_factory=set)  # metrics with rows the plots have not drawn yet
    follower: Any = None  # runlog.MetricsFollower of a followed run folder
    seen_sample_files: set[str] = field(default_factory=set)
    visible: bool = True
    new_samples: bool = False  # samples arrived since the pane last showed this run
    curves: dict[tuple[str, str], Any] = field(default_factory=dict)  # the GUI's plot items per (plot, metric);
    #   kept with the run so that they go with it, never read here

    def add_sample(self, step: int, payload: Any) -> None:
        """Keep a saved sample (a file Path, or the trainer's decoded payload dict). Every sample is kept:
        a decoded one that falls out of the newest KEEP_DECODED is swapped for the file the run wrote for
        it (samples/step_NNNNNNN.png|npy), read again only when shown, so memory stays bounded however long
        the run. Only a run without such files (trained in the app with no run folder) thins its in-memory
        history past MAX_SAMPLE_HISTORY, keeping the first and the newest."""
        self.samples.append((step, payload))
        self.sample_steps.append(step)
        if len(self.samples) > KEEP_DECODED:
            i = len(self.samples) - 1 - KEEP_DECODED
            old_step, old = self.samples[i]
            if not isinstance(old, Path) and old is not None:
                path = self.sample_file(old_step)
                if path is not None:
                    self.samples[i] = (old_step, path)
        if len(self.samples) > MAX_SAMPLE_HISTORY and not isinstance(self.samples[1][1], Path):
            decoded = sum(not isinstance(p, Path) for _s, p in self.samples)
            if decoded > MAX_SAMPLE_HISTORY:
                # thinning every other one alone dropped the sample that had just arrived
                self.samples = self.samples[:1] + self.samples[1:-1:2] + self.samples[-1:]
                self.sample_steps = [s for s, _p in self.samples]
        self.new_samples = True

    def sample_file(self, step: int) -> Path | None:
        """The file this run's folder holds for the sample of `step` (None: no folder, or no such file)."""
        if self.folder is None:
            return None
        for suffix in (".png", ".npy"):
            path = self.folder / "samples" / f"step_{step:07d}{suffix}"
            if path.is_file():
                return path
        return None

    def sample_index_at(self, step: int | None) -> int | None:
        """The index of the newest sample saved at or before `step` (None: the newest of all; None also when
        there is none that early, or no sample at all)."""
        if not self.samples:
            return None
        if step is None:
            return len(self.samples) - 1
        i = bisect.bisect_right(self.sample_steps, step) - 1
        return i if i >= 0 else None

    @property
    def last_step(self) -> int:
        """The highest step this run logged or saved a sample at (0: none yet)."""
        steps = self.table.get("step")
        top = 0
        if steps is not None and len(steps):
            top = int(steps[-1]) if math.isfinite(steps[-1]) else int(np.nanmax(steps)) if np.isfinite(steps).any() else 0
        return max(top, self.sample_steps[-1] if self.sample_steps else 0)


@dataclass(frozen=True)
class Reading:
    """One run's values under the crosshair: the row's step (None: not logged), its x, and per metric
    (metric, value, smoothed value or None)."""

    run: RunData
    step: int | None
    x: float
    values: tuple[tuple[str, float, float | None], ...]


# Beside a toy run's step_N.npy (the generated points), step_N.field.npz keeps GAN Lab's layers of that
# preview: D's output over the plane and G's gradient at 200 points, so that a run followed from its folder,
# or a live run's older preview read back from disk, shows them too. Bounded: a field of at most 256x256
# and 4096 arrows is read, anything else is ignored (the points still show).
TOY_FIELD_SUFFIX = ".field.npz"
TOY_FIELD_KEYS = ("field", "bounds", "arrow_points", "arrow_dirs", "arrow_mags")
MAX_FIELD_SIDE, MAX_ARROWS = 256, 4096


def toy_field_path(points_file: Path) -> Path:
    return points_file.with_name(points_file.name[: -len(".npy")] + TOY_FIELD_SUFFIX)


def write_toy_field(points_file: Path, payload: dict[str, Any]) -> None:
    """Save the toy preview's field and arrows beside its points file (nothing when the payload has none)."""
    if payload.get("field") is None:
        return
    arrays = {k: np.asarray(payload[k], dtype=np.float32) for k in TOY_FIELD_KEYS if payload.get(k) is not None}
    np.savez(toy_field_path(points_file), **arrays)


def read_toy_field(points_file: Path) -> dict[str, np.ndarray]:
    """The field and arrows saved beside `points_file`; {} when there are none or they are not sane."""
    path = toy_field_path(points_file)
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            got = {k: np.asarray(z[k], dtype=np.float32) for k in TOY_FIELD_KEYS if k in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return {}
    field, bounds = got.get("field"), got.get("bounds")
    if field is None or bounds is None or field.ndim != 2 or max(field.shape) > MAX_FIELD_SIDE \
            or bounds.shape != (4,) or not np.isfinite(bounds).all():
        return {}
    pts, dirs, mags = (got.get(k) for k in ("arrow_points", "arrow_dirs", "arrow_mags"))
    arrows_ok = pts is not None and dirs is not None and pts.ndim == 2 and pts.shape[1] == 2 \
        and pts.shape == dirs.shape and len(pts) <= MAX_ARROWS and (mags is None or mags.shape == (len(pts),))
    out = {"field": field, "bounds": tuple(float(b) for b in bounds)}
    if arrows_ok:
        out.update(arrow_points=pts, arrow_dirs=dirs, **({} if mags is None else {"arrow_mags": mags}))
    return out


def scan_sample_files(folder: Path, seen: set[str]) -> list[tuple[int, Path]]:
    """The sample files of a run folder not in `seen` (added to it), by step."""
    samples_dir = folder / "samples"
    if not samples_dir.is_dir():
        return []
    found = []
    for entry in samples_dir.iterdir():
        if entry.name in seen:
            continue
        m = SAMPLE_FILE.match(entry.name)
        if m:
            seen.add(entry.name)
            found.append((int(m.group(1)), entry))
    return sorted(found)


def is_smoothed(metric: str) -> bool:
    spec = metric_registry.metric(metric)
    return spec is None or spec.smoothed  # lr_d, lr_g: set by the user, not noisy, so shown exactly


class MonitorState:
    """The Monitor's state. `palette` is the theme's run colours; `smoothing` and `log_y` start from the
    user's settings."""

    def __init__(self, palette: Sequence[str], smoothing: float = 0.6, log_y: bool = False) -> None:
        self.events = MonitorEvents()
        self.palette = tuple(palette)
        self.runs: list[RunData] = []
        self.current: RunData | None = None  # the run whose samples and evaluation show
        self.live_run: RunData | None = None
        self.step: int | None = None  # the global step (None: follow the newest)
        self.sample_index: int | None = None  # the current run's sample at `step` (None: the newest)
        self.compare = False  # the sample pane shows every ticked run's sample at `step`, side by side
        self.smoothing = float(smoothing)
        self.log_y = bool(log_y)
        self.x_mode = "step"

    # --- runs ---------------------------------------------------------------------------------------------
    def next_color(self) -> str:
        """The first palette colour no run has; with more runs than colours, they repeat in turn. A run
        keeps its colour while it stays, so removing one never recolours the others."""
        used = {r.color for r in self.runs}
        for c in self.palette:
            if c not in used:
                return c
        return self.palette[len(self.runs) % len(self.palette)]

    def add_run(self, name: str, folder: Path | None = None, live: bool = False, task: str | None = None,
                **data: Any) -> RunData:
        """A new run (RunData fields in `data`), shown, and made current."""
        run = RunData(name=name, color=self.next_color(), folder=folder, live=live, task=task, **data)
        self.runs.append(run)
        self.events.added.emit(run)
        self.set_current(run)
        return run

    def remove_run(self, run: RunData) -> None:
        """Forget a run (its files stay). If it was current, the one that takes its place in the list is
        (the one before it when it was the last)."""
        index = self.runs.index(run)
        self.runs.pop(index)
        if run is self.live_run:
            self._set_live(None)
        self.events.removed.emit(run, index)
        if run is self.current:
            self.set_current(self.runs[min(index, len(self.runs) - 1)] if self.runs else None)

    def run_at(self, row: int) -> RunData | None:
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def set_visible(self, run: RunData, on: bool) -> None:
        on = bool(on)
        if run.visible != on:
            run.visible = on
            self.events.visible.emit(run)

    def visible_runs(self) -> list[RunData]:
        return [r for r in self.runs if r.visible]

    @property
    def several_shown(self) -> bool:
        """More than one run ticked: curves take their run's colour (else each metric has its own)."""
        return sum(r.visible for r in self.runs) > 1

    def set_current(self, run: RunData | None) -> None:
        """Show this run's samples and evaluation, at the global step (the newest when it follows them)."""
        if run is self.current:
            return
        self.current = run
        self.sample_index = self._index_at_step(run)
        self.events.current.emit(run)

    # --- the data of a run --------------------------------------------------------------------------------
    def add_rows(self, run: RunData, records: list[dict[str, Any]]) -> None:
        touched = run.table.append(records)
        if touched:
            run.dirty |= touched
            self.events.rows.emit(run, touched)

    def add_samples(self, run: RunData, samples: Iterable[tuple[int, Any]]) -> None:
        added = False
        for step, payload in samples:
            run.add_sample(step, payload)
            added = True
        if added:
            self.events.samples.emit(run)

    def add_evals(self, run: RunData, evals: list[dict[str, Any]]) -> None:
        if evals:
            run.evals.extend(evals)
            self.events.evals.emit(run)

    # --- the live run from the app's trainer ---------------------------------------------------------------
    def begin_live(self, info: dict[str, Any]) -> RunData:
        """A run started in the app (`info`: run_dir, name, task, real_points, bounds): added, current, live."""
        folder = Path(info["run_dir"]) if info.get("run_dir") else None
        name = folder.name if folder else info.get("name", "run")
        run = self.add_run(name, folder=folder, live=True, task=info.get("task"),
                           real_points=info.get("real_points"), bounds=info.get("bounds"))
        self._set_live(run)
        return run

    def add_progress(self, batch: dict[str, Any], run: RunData | None = None) -> None:
        """One batch of the trainer's progress (scalars, samples, evals) for `run` (default: the live run)."""
        run = run or self.live_run
        if run is None:
            return
        self.add_rows(run, batch.get("scalars") or [])
        self.add_samples(run, batch.get("samples", ()))
        self.add_evals(run, batch.get("evals") or [])

    def end_live(self) -> None:
        """The app's run ended; it stays in the list."""
        if self.live_run is not None:
            self.live_run.live = False
        self._set_live(None)

    def _set_live(self, run: RunData | None) -> None:
        if run is not self.live_run:
            self.live_run = run
            self.events.live.emit(run)

    # --- run folders ---------------------------------------------------------------------------------------
    def open_folder_run(self, loaded: dict[str, Any]) -> RunData:
        """A run folder read by `runlog.load_run_folder`: added (replacing an earlier copy of the same
        folder that is not training here), followed from where it was read, and made current."""
        folder = loaded["folder"]
        for old in self.runs:
            if old.folder is not None and old.folder.resolve() == folder.resolve() and not old.live:
                self.remove_run(old)
                break
        run = RunData(name=loaded["name"], color=self.next_color(), folder=folder, task=loaded["task"],
                      follower=loaded["follower"], real_points=loaded["real_points"], bounds=loaded["bounds"])
        run.dirty |= run.table.append(loaded["scalars"])
        run.evals.extend(loaded["evals"])
        for step, path in scan_sample_files(folder, run.seen_sample_files):
            run.add_sample(step, path)
        self.runs.append(run)  # filled first, so that the panels show it whole
        self.events.added.emit(run)
        self.set_current(run)
        return run

    def followed(self) -> list[RunData]:
        """The runs whose folders are followed as they grow."""
        return [r for r in self.runs if r.follower is not None and r.folder is not None]

    def poll(self) -> None:
        """Read what the followed run folders gained since the last poll (only the new bytes)."""
        for run in self.followed():
            try:
                records = run.follower.poll()
            except OSError as exc:
                log.warning("cannot read %s: %s", run.folder, exc)
                continue
            if run.follower.restarted:  # the file was rewritten (a resumed run cut it back): start its table again
                run.table = MetricTable()
                run.evals = []
                run.smoothed = {}
            if records:
                self.add_rows(run, [r for r in records if r.get("kind", "scalars") != "eval"])
                self.add_evals(run, [r for r in records if r.get("kind") == "eval"])
            self.add_samples(run, scan_sample_files(run.folder, run.seen_sample_files))

    # --- the current run's samples -------------------------------------------------------------------------
    @property
    def sample_count(self) -> int:
        return len(self.current.samples) if self.current is not None else 0

    @property
    def follows_newest(self) -> bool:
        return self.sample_index is None or self.sample_index >= self.sample_count

    def shown_sample_index(self) -> int | None:
        """Which saved sample of the current run shows (None: it has none)."""
        n = self.sample_count
        if n == 0:
            return None
        return n - 1 if self.sample_index is None else min(self.sample_index, n - 1)

    def scrub_samples(self, position: int) -> None:
        """The history slider moved to `position`: the global step goes to that sample's step; at the newest
        sample it follows the ones to come."""
        if self.current is None or position >= self.sample_count - 1:
            self.set_step(None)
        else:
            self.set_step(self.current.samples[max(0, int(position))][0])

    def _index_at_step(self, run: RunData | None) -> int | None:
        if run is None or self.step is None:
            return None
        index = run.sample_index_at(self.step)
        return 0 if index is None and run.samples else index  # before its first sample: the first

    # --- the global step -----------------------------------------------------------------------------------
    @property
    def max_step(self) -> int:
        """The global step slider's right end: the highest step any run logged or saved a sample at."""
        return max((r.last_step for r in self.runs), default=0)

    def set_step(self, step: int | None) -> None:
        """One step for every plot (a marker line) and every sample view: each shows its newest sample saved
        at or before it. None, or a step at or past every run's newest, follows the newest."""
        if step is not None:
            step = max(0, int(step))
            if step >= self.max_step:
                step = None
        if step != self.step:
            self.step = step
            self.events.step.emit(step)
        index = self._index_at_step(self.current)
        if index != self.sample_index:
            self.sample_index = index
            self.events.sample_index.emit(index)

    def marker_x(self) -> float | None:
        """Where the plots draw the global step's line on their x axis (None: no line, it follows the newest).
        By wall time: the current run's wall time at its last logged step at or before it."""
        if self.step is None:
            return None
        if self.x_mode == "step":
            return float(self.step)
        run = self.current
        steps = run.table.get("step") if run is not None else None
        xs = run.table.get(self.x_mode) if run is not None else None
        if steps is None or xs is None or not len(steps):
            return None
        x = xs[max(0, int(np.searchsorted(steps, self.step, side="right")) - 1)]
        return float(x) if math.isfinite(x) else None

    def samples_at_step(self, runs: Iterable[RunData] | None = None) -> list[tuple[RunData, int, Any]]:
        """For comparing runs: (run, step shown, payload or file) of each run's newest sample saved at or
        before the global step (the newest of each when it follows), for the ticked runs by default; a run
        with no sample that early is left out."""
        shown = []
        for run in self.visible_runs() if runs is None else runs:
            index = run.sample_index_at(self.step)
            if index is not None:
                step, payload = run.samples[index]
                shown.append((run, step, payload))
        return shown

    def set_compare(self, on: bool) -> None:
        on = bool(on)
        if on != self.compare:
            self.compare = on
            self.events.compare.emit(on)

    # --- how the curves are drawn --------------------------------------------------------------------------
    def set_smoothing(self, weight: float) -> None:
        """TensorBoard's smoothing weight, in steps of 0.01 from 0 to SMOOTHING_MAX."""
        weight = min(SMOOTHING_MAX, max(0.0, round(float(weight) * 100) / 100))
        if weight == self.smoothing:
            return
        self.smoothing = weight
        for run in self.runs:
            for series in run.smoothed.values():
                series.reset()
        self.events.smoothing.emit(weight)

    def set_log_y(self, on: bool) -> None:
        on = bool(on)
        if on != self.log_y:
            self.log_y = on
            self.events.log_y.emit(on)

    def set_x_mode(self, mode: str) -> None:
        """x by "step" or "wall_time"."""
        if mode not in X_AXES:
            raise ValueError(f"unknown x axis {mode!r}")
        if mode != self.x_mode:
            self.x_mode = mode
            self.events.x_mode.emit(mode)

    def shows_raw(self, metric: str) -> bool:
        """The faint raw curve is drawn under the smoothed one (not when nothing is smoothed)."""
        return self.smoothing > 0 and is_smoothed(metric)

    def x_values(self, run: RunData) -> np.ndarray | None:
        return run.table.get(self.x_mode)

    def smoothed_values(self, run: RunData, metric: str) -> np.ndarray | None:
        """What the bold curve draws: the smoothed column (only the new rows are smoothed), or the column
        itself when smoothing is off or the metric is shown exactly."""
        y = run.table.get(metric)
        if y is None or not self.shows_raw(metric):
            return y
        # time-weighted by the step (not the x axis shown), so switching the axis never changes the curve
        return run.smoothed.setdefault(metric, SmoothedSeries()).update(y, self.smoothing, run.table.get("step"))

    def reading(self, run: RunData, x: float, metrics: Iterable[str]) -> Reading | None:
        """`run`'s values of `metrics` in the row nearest to x (None: no rows, or no finite value there)."""
        xs = self.x_values(run)
        if xs is None or not len(xs):
            return None
        i = nearest_row(xs, x)
        values = []
        for metric in metrics:
            y = run.table.get(metric)
            if y is None or not math.isfinite(y[i]):
                continue
            series = run.smoothed.get(metric) if self.smoothing > 0 else None
            sm = series.view() if series is not None else None
            sm_value = float(sm[i]) if sm is not None and i < len(sm) and math.isfinite(sm[i]) else None
            values.append((metric, float(y[i]), sm_value))
        if not values:
            return None
        step = run.table.get("step")
        step_value = int(step[i]) if step is not None and math.isfinite(step[i]) else None
        return Reading(run, step_value, float(xs[i]), tuple(values))

    def lr_range(self) -> tuple[float, float] | None:
        """The learning-rate plot's y range: 0 to a bit above the largest rate of the shown runs, so that a
        flat line stays a readable 1e-4 and a halving shows as a step of half the height (auto-range would
        zoom into rounding noise). None: log y, or no rates yet."""
        if self.log_y:
            return None
        tops = []
        for run in self.visible_runs():
            for metric in metric_registry.metrics_in_group("lr"):
                y = run.table.get(metric)
                if y is not None and np.isfinite(y).any():
                    tops.append(np.nanmax(y))
        return (0.0, LR_HEADROOM * float(max(tops))) if tops else None

    def eval_summary(self) -> str:
        """The current run's latest evaluation in one line ("" before any)."""
        run = self.current
        if run is None or not run.evals:
            return ""
        e = run.evals[-1]
        parts = [text for spec in metric_registry.summary_metrics() if (text := spec.format_value(e)) is not None]
        return f"Evaluation at step {int(e.get('step', 0))}: " + ", ".join(parts)
