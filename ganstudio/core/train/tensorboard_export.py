"""TensorBoard event files of a run, for users whose habits are there: written live by a training run
(`ganstudio train --tensorboard`, the app's "Also write TensorBoard logs") or afterwards from a run folder
(`ganstudio tensorboard RUN_FOLDER`). Both write the same events from the same records:

- every number of a scalars record of metrics.jsonl under a tag grouped as the Monitor's plots are
  ("loss/D", "loss/G", "D(x)/real", "gradient/D norm", "lr/G", "speed/steps per second", ...; see
  `scalar_tag`), and every number of an eval record under "eval/NAME", at the record's step;
- every preview the run keeps (samples/step_*.png) as the image "samples/preview" at its step; a 2-D toy's
  points (samples/step_*.npy) drawn as a scatter picture, "samples/points", fake over the real points;
- the run's config as the text "config" (TOML), once.

The run's final evaluation (`Trainer.run(evaluate_at_end=True)`) is in both, the live export and metrics.jsonl
(so the converter writes it too), once a step: a step the schedule evaluated already is not evaluated again.

Non-finite values (null in metrics.jsonl) are left out: TensorBoard would draw them as gaps anyway.

tensorboard is an extra (`pip install "ganstudio[tensorboard]"`), imported only when an export is asked for;
without it, `require_tensorboard` says so in one sentence before any training starts. The live export is a
sink of the trainer's reporting (`attach`): it sees the same `TrainEvent`s the app and the CLI see, flushes at
every checkpoint (so a killed run leaves readable events up to there; the writer also flushes every
`FLUSH_SECS`), and is closed by whoever attached it, on stop and on error alike. No Qt.
"""

from __future__ import annotations

import importlib.util
import math
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from ganstudio.core import metric_registry
from ganstudio.core.errors import GanStudioError

INSTALL = 'pip install "ganstudio[tensorboard]"'
FOLDER_NAME = "tensorboard"  # RUN_FOLDER/tensorboard unless told otherwise
FLUSH_SECS = 10
EVENT_FILE_PREFIX = "events.out.tfevents."
PREVIEW_TAG = "samples/preview"
POINTS_TAG = "samples/points"
CONFIG_TAG = "config"
MAX_PREVIEW_PIXELS = 8192 * 8192  # a kept preview larger than this is skipped (counted), never inflated
POINTS_SIZE = 256  # the toy scatter picture's side in pixels
MAX_STEP = 2**62  # a record's step beyond this (an event's step is an int64) is skipped, counted

# The Monitor's plot groups (metric_registry) as tag prefixes, and short readable names of the built-in metrics.
GROUP_PREFIX = {"loss": "loss", "wasserstein": "wasserstein", "dOutput": "D(x)", "gradNorm": "gradient",
                "lr": "lr", "speed": "speed"}
SHORT_NAMES = {
    "d_loss": "D", "g_loss": "G", "l1": "L1",
    "critic_gap": "critic gap", "sliced_w": "sliced W",
    "d_real": "real", "d_fake": "fake",
    "grad_norm_d": "D norm", "grad_norm_g": "G norm", "gradient_penalty": "gradient penalty",
    "r1_penalty": "R1 penalty",
    "lr_d": "D", "lr_g": "G",
    "it_s": "steps per second",
}
NOT_SCALARS = {"step", "wall_time", "kind"}


class TensorBoardMissing(GanStudioError):
    """TensorBoard export was asked for, and the tensorboard package is not installed."""


def tensorboard_installed() -> bool:
    """Is the tensorboard package there? Cheap (nothing is imported): for the app's Preferences."""
    try:
        return importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        return False


def missing_sentence() -> str:
    return f"TensorBoard export needs the tensorboard package, which is not installed; install it with {INSTALL}."


def require_tensorboard():
    """torch's SummaryWriter class, or TensorBoardMissing naming what to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise TensorBoardMissing(missing_sentence()) from None
    return SummaryWriter


def default_log_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / FOLDER_NAME


def check_log_dir(log_dir: str | Path) -> Path:
    """Refuse, before any work, a log folder that is a file or cannot be written (DestinationError)."""
    from ganstudio.core.destinations import check_folder_destination

    return check_folder_destination(log_dir)


def scalar_tag(name: str, kind: str = "scalars") -> str:
    """The tag of one number of a metrics.jsonl record: "eval/NAME" for an evaluation's, else the Monitor
    plot's prefix and a short name ("loss/D", "D(x)/real"); "other/NAME" for a number no plot draws."""
    if kind == "eval":
        return f"eval/{name}"
    spec = metric_registry.metric(name)
    group = spec.group if spec is not None else None
    prefix = GROUP_PREFIX.get(group, group) if group is not None else "other"
    return f"{prefix}/{SHORT_NAMES.get(name, name)}"


def record_scalars(record: Mapping[str, Any]) -> dict[str, float]:
    """{tag: value} of a metrics.jsonl record: its finite numbers other than step and wall time."""
    kind = "eval" if record.get("kind") == "eval" else "scalars"
    out = {}
    for name, value in record.items():
        if name in NOT_SCALARS or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value):
            out[scalar_tag(name, kind)] = float(value)
    return out


def points_picture(points: np.ndarray, real_points: np.ndarray | None = None,
                   bounds: tuple[float, float, float, float] | None = None, size: int = POINTS_SIZE) -> np.ndarray:
    """A 2-D toy's samples as a size x size RGB uint8 scatter picture: real points grey, generated points
    orange, y up, over `bounds` (xmin, xmax, ymin, ymax; default: the points' own extent)."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if bounds is None:
        both = pts if real_points is None else np.concatenate([pts, np.asarray(real_points, np.float64).reshape(-1, 2)])
        both = both[np.isfinite(both).all(1)]
        lo, hi = (both.min(0), both.max(0)) if len(both) else (np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
        pad = np.maximum(hi - lo, 1e-6) * 0.05
        bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    picture = np.full((size, size, 3), 255, np.uint8)

    def plot(p: np.ndarray, colour: tuple[int, int, int]) -> None:
        p = p[np.isfinite(p).all(1)]
        col = np.floor((p[:, 0] - xmin) / max(xmax - xmin, 1e-12) * size).astype(np.int64)
        row = size - 1 - np.floor((p[:, 1] - ymin) / max(ymax - ymin, 1e-12) * size).astype(np.int64)
        inside = (col >= 0) & (col < size) & (row >= 0) & (row < size)
        col, row = col[inside], row[inside]
        for dr in (0, 1):  # 2x2 dots, so single points show at TensorBoard's zoom
            for dc in (0, 1):
                picture[np.clip(row + dr, 0, size - 1), np.clip(col + dc, 0, size - 1)] = colour

    if real_points is not None:
        plot(np.asarray(real_points, np.float64).reshape(-1, 2), (170, 170, 170))
    plot(pts, (230, 110, 20))
    return picture


class TensorBoardExport:
    """One TensorBoard log folder being written. Call it with `TrainEvent`s (the trainer's sink) or feed it
    records and previews directly (the converter); `close()` when done (also a context manager).

    `start_wall`: the wall-clock time (time.time()) of the run's start; each event's time is start_wall plus
    the record's wall_time, so TensorBoard's relative time axis shows the run's own clock."""

    def __init__(self, log_dir: str | Path, *, real_points: np.ndarray | None = None,
                 bounds: tuple[float, float, float, float] | None = None, start_wall: float | None = None,
                 flush_secs: int | None = None):
        SummaryWriter = require_tensorboard()
        self.log_dir = check_log_dir(log_dir)
        self.real_points, self.bounds = real_points, bounds
        self.start_wall = time.time() if start_wall is None else float(start_wall)
        # A long queue: the training thread hands events over and goes on; only flush() waits for the writer.
        self.writer = SummaryWriter(log_dir=str(self.log_dir), max_queue=1000,
                                    flush_secs=FLUSH_SECS if flush_secs is None else flush_secs)
        self.scalars_written = 0
        self.images_written = 0
        self._closed = False
        self._last_eval_step: int | None = None

    # --- the trainer's sink ------------------------------------------------------------------------------
    def __call__(self, event) -> None:
        if self._closed:
            return
        if event.kind in ("scalars", "eval"):
            record = dict(event.data)
            if event.kind == "eval":
                if record.get("step") == self._last_eval_step:
                    return  # the end-of-run evaluation of a step the run evaluated already: one point a step
                record["kind"] = "eval"
                self._last_eval_step = record.get("step")
            self.write_record(record)
        elif event.kind == "samples":
            self.write_preview(event.step, event.data, wall_time=event.data.get("wall_time"))
        elif event.kind == "checkpoint":
            self.flush()

    # --- what is written -----------------------------------------------------------------------------------
    def _wall(self, elapsed: Any) -> float | None:
        if isinstance(elapsed, (int, float)) and not isinstance(elapsed, bool) and math.isfinite(elapsed):
            return self.start_wall + float(elapsed)
        return None

    def write_record(self, record: Mapping[str, Any]) -> int:
        """The numbers of one metrics.jsonl record at its step; how many were written."""
        from tensorboard.compat.proto.summary_pb2 import Summary

        values = record_scalars(record)
        if values:
            # One event for the record's numbers (as TensorFlow's merged summaries): a tenth of the writes of
            # one add_scalar each, whose writer thread appends and checksums every event in Python.
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value) for tag, value in values.items()])
            self.writer._get_file_writer().add_summary(summary, int(record["step"]), self._wall(record.get("wall_time")))
        self.scalars_written += len(values)
        return len(values)

    def write_preview(self, step: int, data: Mapping[str, Any] | np.ndarray, wall_time: float | None = None) -> None:
        """A preview grid (uint8 H x W x 3) or a toy's points ({"points": (N, 2)}) at `step`."""
        if isinstance(data, Mapping):
            grid, points = data.get("grid"), data.get("points")
        else:
            array = np.asarray(data)
            grid, points = (array, None) if array.ndim == 3 else (None, array)
        if grid is not None:
            tag, picture = PREVIEW_TAG, np.ascontiguousarray(grid, dtype=np.uint8)
        elif points is not None:
            tag, picture = POINTS_TAG, points_picture(points, self.real_points, self.bounds)
        else:
            return
        if picture.ndim == 2:
            picture = np.repeat(picture[:, :, None], 3, axis=2)
        self.writer.add_image(tag, picture, int(step), walltime=self._wall(wall_time), dataformats="HWC")
        self.images_written += 1

    def write_config(self, toml_text: str, step: int = 0) -> None:
        """The run's settings as text (TensorBoard's Text tab renders markdown: kept as a code block)."""
        block = "\n".join("    " + line for line in toml_text.splitlines())
        self.writer.add_text(CONFIG_TAG, block, int(step))

    def restart_at(self, step: int) -> None:
        """A resumed run goes on from `step`: TensorBoard's reader drops the events past it that the run wrote
        before it was stopped or killed (they are logged again), as the resume cuts metrics.jsonl back."""
        from tensorboard.compat.proto.event_pb2 import Event, SessionLog

        # The reader drops what it read at steps >= a START's step: step's own events are still the run's.
        self.writer._get_file_writer().add_event(Event(session_log=SessionLog(status=SessionLog.START)), int(step) + 1,
                                                 time.time())

    def flush(self) -> None:
        if not self._closed:
            self.writer.flush()

    def close(self) -> None:
        """Write what is buffered and stop the writer's thread (joined)."""
        if not self._closed:
            self._closed = True
            self.writer.close()

    def __enter__(self) -> "TensorBoardExport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- live: a sink of the trainer ----------------------------------------------------------------------------

def attach(trainer, log_dir: str | Path) -> TensorBoardExport:
    """A TensorBoard export of `trainer`'s run into `log_dir`, fed with every event the trainer reports from
    now on; its config is written at once (and for a resumed run a restart mark, see `restart_at`). The caller closes it when the run has ended (stopped, finished or
    failed)."""
    real_points = bounds = None
    if trainer.task == "toy":
        from ganstudio.core.train.runlog import real_toy_points

        real_points, bounds = real_toy_points(trainer.data.toy)
    export = TensorBoardExport(log_dir, real_points=real_points, bounds=bounds,
                               start_wall=time.time() - trainer.elapsed)
    try:
        if trainer.step_count > 0:  # resumed
            export.restart_at(trainer.step_count)
        export.write_config(trainer.cfg.to_toml(), trainer.step_count)
        trainer.add_sink(export)
    except BaseException:
        export.close()
        raise
    return export


# --- afterwards: a run folder's logs and kept previews --------------------------------------------------------

def _kept_previews(folder: Path) -> tuple[list[tuple[int, np.ndarray]], int]:
    """The run's kept previews (step, picture or points) in step order, and how many files could not be read."""
    from ganstudio.core.train.monitor_state import scan_sample_files

    found, bad = [], 0
    for step, path in scan_sample_files(folder, set()):
        try:
            if path.suffix == ".npy":
                points = np.load(path, allow_pickle=False)
                if points.ndim != 2 or points.shape[1] != 2 or not np.issubdtype(points.dtype, np.number):
                    bad += 1
                    continue
                found.append((step, points.astype(np.float64)))
            else:
                from PIL import Image

                with Image.open(path) as im:
                    if im.width * im.height > MAX_PREVIEW_PIXELS:
                        bad += 1
                        continue
                    found.append((step, np.asarray(im.convert("RGB"))))
        except (OSError, ValueError, SyntaxError):  # PIL raises SyntaxError for some damaged PNGs
            bad += 1
    return found, bad


def _good_step(record: Mapping[str, Any]) -> bool:
    step = record.get("step")
    return isinstance(step, (int, float)) and not isinstance(step, bool) and math.isfinite(step) \
        and 0 <= step <= MAX_STEP and float(step) == int(step)


def export_run_folder(folder: str | Path, out: str | Path | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Write a run folder's metrics.jsonl records, kept previews and config as TensorBoard events into `out`
    (default FOLDER/tensorboard), the same events its live export writes. A folder that is not a run folder,
    an `out` that is a file, or an `out` that already holds events (unless `overwrite`: then its event files
    are removed first) is a GanStudioError. Returns what was written: {"log_dir", "records", "scalars",
    "images", "skipped_records", "skipped_previews", "bad_lines"}."""
    from ganstudio.core.train.runlog import load_run_folder

    require_tensorboard()
    folder = Path(folder)
    run = load_run_folder(folder)
    log_dir = check_log_dir(default_log_dir(folder) if out is None else out)
    old = sorted(log_dir.glob(EVENT_FILE_PREFIX + "*")) if log_dir.is_dir() else []
    if old and not overwrite:
        raise GanStudioError(f"{log_dir} already holds TensorBoard events ({len(old)} file{'s' if len(old) != 1 else ''}); "
                             "add --overwrite to replace them or choose another --out.")
    for path in old:
        path.unlink()
    records = sorted(run["scalars"] + run["evals"], key=lambda r: r.get("step") if _good_step(r) else -1)
    good = [r for r in records if _good_step(r)]
    previews, bad_previews = _kept_previews(folder)
    metrics_file = folder / "metrics.jsonl"
    walls = [r["wall_time"] for r in good if isinstance(r.get("wall_time"), (int, float)) and not isinstance(r.get("wall_time"), bool)
             and math.isfinite(r["wall_time"])]
    end = metrics_file.stat().st_mtime if metrics_file.is_file() else time.time()
    start_wall = end - (max(walls) if walls else 0.0)
    with TensorBoardExport(log_dir, real_points=run["real_points"], bounds=run["bounds"], start_wall=start_wall) as export:
        config_toml = _config_toml(run["config"], folder)
        if config_toml:
            export.write_config(config_toml, 0)
        for record in good:
            export.write_record(record)
        step_walls = {int(r["step"]): r.get("wall_time") for r in good}
        for step, payload in previews:
            export.write_preview(step, payload, wall_time=step_walls.get(step))
        written = {"log_dir": log_dir, "records": len(good), "scalars": export.scalars_written,
                   "images": export.images_written, "skipped_records": len(records) - len(good),
                   "skipped_previews": bad_previews, "bad_lines": run["follower"].bad_lines}
    return written


def _config_toml(config: dict[str, Any], folder: Path) -> str | None:
    """The run's config.toml as written, else its config.json rendered as TOML; None when neither is there."""
    toml_file = folder / "config.toml"
    if toml_file.is_file() and toml_file.stat().st_size <= 1 << 20:
        return toml_file.read_text(encoding="utf-8", errors="replace")
    if not config:
        return None
    from ganstudio.core.config import RunConfig

    try:
        return RunConfig.from_dict(config, source=str(folder / "config.json")).to_toml()
    except GanStudioError:
        return None


def read_scalars(log_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value)]} of a log folder, read back with TensorBoard's own reader (tests, checks)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def expected_scalars(records: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value as float32)]} that an export of these metrics.jsonl records holds."""
    out: dict[str, list[tuple[int, float]]] = {}
    for record in records:
        if not _good_step(record):
            continue
        for tag, value in record_scalars(record).items():
            out.setdefault(tag, []).append((int(record["step"]), float(np.float32(value))))
    return out
