"""A list of run folders: what the run browser and `ganstudio runs` show of each, read cheaply.

`scan_runs(folder)` takes a folder of runs (the app's runs folder, what `ganstudio train` wrote), a single
run folder, or a folder of such folders one level down, and summarises each run from the few files it
holds, without loading torch or reading whole logs:

- `config.json` (through `safe_json`, bounded): the config's name (the preset's, unless renamed), its data
  task, the steps planned (`train.steps`) and the metric that picks the best checkpoint;
- the tail of `metrics.jsonl` (at most `MAX_TAIL_BYTES`, never the whole file): the last logged step;
- `checkpoints/latest.json` and `checkpoints/best.json` (the checkpoints' JSON twins): the step saved last,
  and the best value with its step, for a run that evaluated and kept a best checkpoint;
- `run.lock` (`run_lock.lock_holder`): whether a training writes into it now;
- the dates: started is the time in the folder's name (`runlog.new_run_dir` names every run the app or
  `ganstudio train` starts), else when config.json was written (the last start or resume); last written is
  the newest of those files.

Each run gets a state: `running` (its lock is held), `finished` (steps done reached the steps planned),
`stopped` (stopped early: Stop, Ctrl-C, an error or a kill; `note` says when a dead owner's lock is left)
or `unreadable` (`reason`: one sentence). A folder that holds none of a run's files and no runs one level
down is not a run; those are counted in `not_runs`, never dropped silently.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ganstudio.core.errors import GanStudioError, as_sentence, os_error_reason

RUN_FILES = ("config.json", "metrics.jsonl", "checkpoints", "run.lock")  # any one of these makes a run folder
MAX_CONFIG_BYTES = 1 << 20  # a run's config.json is ~2 kB
MAX_CHECKPOINT_JSON_BYTES = 4 << 20  # a checkpoint's JSON twin holds its config and metadata: ~10 kB
FIRST_TAIL_BYTES = 16 << 10  # metrics.jsonl lines are ~400 bytes: the last one is in here
MAX_TAIL_BYTES = 1 << 20  # read back at most this much for a last complete record
DEFAULT_LIMIT = 5000  # run folders read in one scan; more are counted in `left_out`
STATES = ("running", "finished", "stopped", "unreadable")
STATE_LABELS = {"running": "running", "finished": "finished", "stopped": "stopped early", "unreadable": "unreadable"}
SORT_KEYS = ("name", "date", "steps", "best")
_NAME_TIME = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")  # runlog.new_run_dir: NAME-YYYYmmdd-HHMMSS[-N]


class RunIndexError(GanStudioError):
    """A folder of runs that cannot be listed (missing, not a folder, not readable)."""


def default_runs_folder() -> Path:
    """Where the app keeps its runs unless Preferences say otherwise."""
    return Path.home() / "GAN Studio" / "runs"


@dataclass(frozen=True)
class RunEntry:
    """One run as the browser lists it. Missing values are None (never guessed)."""

    name: str  # the folder's name; "GROUP/NAME" for a run one level down
    folder: Path
    state: str  # one of STATES
    reason: str = ""  # unreadable: why, one sentence
    note: str = ""  # something worth knowing that does not make the run unreadable
    config_name: str | None = None  # config name: the preset's unless the user renamed it
    task: str | None = None  # toy | image | paired | unpaired
    data_kind: str | None = None
    objective: str | None = None
    steps_done: int | None = None
    steps_planned: int | None = None
    best_metric: str | None = None  # the metric that picks the best checkpoint (train.best_metric)
    best_value: float | None = None  # None until a best checkpoint was kept
    best_step: int | None = None
    started: float | None = None  # seconds since the epoch
    last_written: float | None = None
    owner: str | None = None  # running: who writes it ("pid 123 on host, since ...")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    def steps_text(self) -> str:
        done = "?" if self.steps_done is None else str(self.steps_done)
        return done if self.steps_planned is None else f"{done}/{self.steps_planned}"

    def best_text(self) -> str:
        if self.best_value is None:
            return ""
        at = f" @ {self.best_step}" if self.best_step is not None else ""
        return f"{self.best_metric} {self.best_value:.4g}{at}"

    def preset_text(self) -> str:
        if self.config_name is None:
            return ""
        return f"{self.config_name} ({self.task})" if self.task else self.config_name

    def sort_key(self, by: str) -> tuple:
        """Ascending order for `by` (one of SORT_KEYS); runs that lack the value come after the others."""
        if by == "name":
            return (self.name.lower(), self.name)
        if by == "date":
            when = self.started if self.started is not None else self.last_written
            return (when is None, when or 0.0, self.name)
        if by == "steps":
            return (self.steps_done is None, self.steps_done or 0, self.name)
        if by == "best":
            # grouped by metric; within one, better values first (higher or lower, as the metric says)
            if self.best_value is None or self.best_metric is None:
                return (True, "", 0.0, self.name)
            return (False, self.best_metric, -self.best_value if _higher_is_better(self.best_metric) else self.best_value,
                    self.name)
        raise ValueError(f"sort key must be one of {', '.join(SORT_KEYS)}, not {by!r}")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "folder": str(self.folder), "state": self.state, "reason": self.reason,
                "note": self.note, "config_name": self.config_name, "task": self.task, "data_kind": self.data_kind,
                "objective": self.objective, "steps_done": self.steps_done, "steps_planned": self.steps_planned,
                "best_metric": self.best_metric, "best_value": self.best_value, "best_step": self.best_step,
                "started": _iso(self.started), "last_written": _iso(self.last_written), "owner": self.owner}


@dataclass
class RunScan:
    """What `scan_runs` found in `folder`."""

    folder: Path
    runs: list[RunEntry] = field(default_factory=list)
    not_runs: list[str] = field(default_factory=list)  # sub-folders holding no run (names)
    left_out: int = 0  # run folders past the limit, not read

    def count(self, state: str) -> int:
        return sum(r.state == state for r in self.runs)

    def summary(self) -> str:
        """One sentence: how many runs in which states, and what was not listed."""
        n = len(self.runs)
        states = ", ".join(f"{self.count(s)} {STATE_LABELS[s]}" for s in STATES if self.count(s))
        text = f"{n} run{'s' if n != 1 else ''} in {self.folder}" + (f" ({states})" if states else "")
        if self.not_runs:
            shown = ", ".join(self.not_runs[:3]) + (", ..." if len(self.not_runs) > 3 else "")
            k = len(self.not_runs)
            text += f"; {k} folder{'s' if k != 1 else ''} without a run ({shown})"
        if self.left_out:
            text += f"; {self.left_out} more run folders not read (over the limit)"
        return as_sentence(text)

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "runs": [r.to_json() for r in self.runs], "not_runs": self.not_runs,
                "left_out": self.left_out}


def sort_runs(runs: list[RunEntry], by: str = "date") -> list[RunEntry]:
    """The CLI's orders: name A to Z, date newest first, steps most first, best best first."""
    ordered = sorted(runs, key=lambda r: r.sort_key(by))
    if by in ("date", "steps"):
        known = [r for r in ordered if r.sort_key(by)[0] is False]
        return known[::-1] + [r for r in ordered if r.sort_key(by)[0] is not False]
    return ordered


def is_run_folder(folder: Path) -> bool:
    return any(os.path.lexists(folder / name) for name in RUN_FILES)


def scan_runs(folder: str | Path, limit: int = DEFAULT_LIMIT) -> RunScan:
    """Summaries of the runs in `folder` (see the module's text); RunIndexError when it cannot be listed.
    At most `limit` run folders are read; the rest are counted in `left_out`."""
    folder = Path(folder).expanduser().absolute()
    try:
        if not folder.exists():
            raise RunIndexError(f"Runs folder {folder} does not exist.")
        if not folder.is_dir():
            raise RunIndexError(f"{folder} is not a folder of runs: it is a file.")
    except OSError as exc:
        raise RunIndexError(f"Runs folder {folder} cannot be read ({os_error_reason(exc)}).") from None
    scan = RunScan(folder)
    if is_run_folder(folder):
        scan.runs.append(read_run(folder, folder.name))
        return scan
    try:
        children = _subfolders(folder)
    except OSError as exc:
        raise RunIndexError(f"Runs folder {folder} cannot be read ({os_error_reason(exc)}).") from None
    for child in children:
        if is_run_folder(child):
            _add(scan, child, child.name, limit)
            continue
        try:
            grandchildren = [g for g in _subfolders(child) if is_run_folder(g)]
        except OSError as exc:
            scan.runs.append(RunEntry(child.name, child, "unreadable",
                                      reason=as_sentence(f"{child} cannot be listed ({os_error_reason(exc)})")))
            continue
        if not grandchildren:
            scan.not_runs.append(child.name)
        for g in grandchildren:
            _add(scan, g, f"{child.name}/{g.name}", limit)
    return scan


def _add(scan: RunScan, folder: Path, name: str, limit: int) -> None:
    if len(scan.runs) >= limit:
        scan.left_out += 1
    else:
        scan.runs.append(read_run(folder, name))


def _subfolders(folder: Path) -> list[Path]:
    """The visible sub-folders, by name (hidden ones and symlinks to files are skipped)."""
    with os.scandir(folder) as it:
        entries = [e for e in it if not e.name.startswith(".") and e.is_dir()]
    return [Path(e.path) for e in sorted(entries, key=lambda e: e.name)]


def read_run(folder: Path, name: str | None = None) -> RunEntry:
    """One run's summary; any problem reading it makes it `unreadable` with the reason, never an exception."""
    name = name or folder.name
    try:
        return _read_run(folder, name)
    except GanStudioError as exc:
        return RunEntry(name, folder, "unreadable", reason=as_sentence(str(exc)))
    except OSError as exc:
        return RunEntry(name, folder, "unreadable", reason=as_sentence(f"{folder} cannot be read ({os_error_reason(exc)})"))


def _read_run(folder: Path, name: str) -> RunEntry:
    from ganstudio.core.train.run_lock import lock_holder, pid_running, read_owner

    holder = lock_holder(folder)
    fields: dict[str, Any] = {"owner": holder.describe() if holder is not None else None}
    notes: list[str] = []
    times = {}
    base = os.fspath(folder)
    for part in ("config.json", "metrics.jsonl", "checkpoints/latest.json", "checkpoints/best.json"):
        try:
            times[part] = os.stat(os.path.join(base, part)).st_mtime
        except FileNotFoundError:
            pass
    fields["last_written"] = max(times.values()) if times else None
    fields["started"] = _time_in_name(folder.name) or times.get("config.json")

    problem = None
    if "config.json" in times:
        try:
            fields.update(_from_config(folder / "config.json"))
        except GanStudioError as exc:
            problem = as_sentence(str(exc))
    else:
        problem = f"{folder} has no config.json: the training that made it stopped before it began."

    done = None
    if "metrics.jsonl" in times:
        done, torn = _last_logged_step(folder / "metrics.jsonl")
        if torn:
            notes.append("the last line of metrics.jsonl is torn (a kill while it was written)")
    # A save after the last logged step (Stop, Ctrl-C, the end: steps between log steps log nothing) is newer
    # than the log; an older one's step the log has passed already.
    if "checkpoints/latest.json" in times and (done is None or times["checkpoints/latest.json"] >= times["metrics.jsonl"]):
        saved = _checkpoint_json(folder / "checkpoints" / "latest.json", notes)
        step = _int(saved.get("step"))
        if step is not None:
            done = step if done is None else max(done, step)
    if "checkpoints/best.json" in times:
        best = _checkpoint_json(folder / "checkpoints" / "best.json", notes)
        value = best.get("best_value")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            fields["best_value"] = float(value)
            fields["best_step"] = _int(best.get("step"))
            if isinstance(best.get("best_metric"), str):
                fields["best_metric"] = best["best_metric"]
    fields["steps_done"] = done if done is not None else (0 if problem is None else None)

    if holder is not None:
        state = "running"
        problem = None  # a run that has just started may have written nothing yet
    elif problem is not None:
        state = "unreadable"
    elif fields.get("steps_planned") is not None and fields["steps_done"] >= fields["steps_planned"]:
        state = "finished"
    else:
        state = "stopped"
    if state != "running" and os.path.lexists(folder / "run.lock"):
        owner = read_owner(folder)
        if owner is not None and not pid_running(owner.pid):
            notes.append(f"left locked by {owner.describe()}, which no longer runs (killed?)")
    return RunEntry(name, folder, state, reason=problem or "", note=as_sentence("; ".join(notes)) if notes else "",
                    **fields)


def _from_config(path: Path) -> dict[str, Any]:
    from ganstudio.core.config import DATA_KINDS, DataConfig
    from ganstudio.core.safe_json import read_json

    cfg = read_json(path, what="Run config", max_bytes=MAX_CONFIG_BYTES)
    if not isinstance(cfg, dict):
        raise GanStudioError(f"{path} is not a run config (it holds no settings table).")
    data, train, objective = (cfg.get(k) if isinstance(cfg.get(k), dict) else {} for k in ("data", "train", "objective"))
    kind = data.get("kind") if isinstance(data.get("kind"), str) else None
    out: dict[str, Any] = {
        "config_name": cfg["name"] if isinstance(cfg.get("name"), str) else None,
        "data_kind": kind,
        "task": DataConfig(kind=kind).task if kind in DATA_KINDS else None,
        "objective": objective.get("loss") if isinstance(objective.get("loss"), str) else None,
        "steps_planned": _int(train.get("steps")),
        "best_metric": train.get("best_metric") if isinstance(train.get("best_metric"), str) else None,
    }
    return out


def _checkpoint_json(path: Path, notes: list[str]) -> dict[str, Any]:
    """A checkpoint's JSON twin, or {} with a note when it cannot be read (the run stays listed)."""
    from ganstudio.core.safe_json import read_json

    try:
        value = read_json(path, what="Checkpoint metadata", max_bytes=MAX_CHECKPOINT_JSON_BYTES)
    except GanStudioError as exc:
        notes.append(str(exc).rstrip("."))
        return {}
    if not isinstance(value, dict):
        notes.append(f"{path} holds no checkpoint metadata")
        return {}
    return value


def _last_logged_step(path: Path) -> tuple[int | None, bool]:
    """The step of the last complete record of metrics.jsonl, read from its tail only (FIRST_TAIL_BYTES,
    doubled up to MAX_TAIL_BYTES while no complete record is found), and whether its last line is torn."""
    from ganstudio.core.train.runlog import parse_record

    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        want = FIRST_TAIL_BYTES
        while True:
            start = max(0, size - want)
            fh.seek(start)
            chunk = fh.read(size - start)
            torn = bool(chunk) and not chunk.endswith(b"\n")
            lines = chunk.split(b"\n")
            if torn:
                lines.pop()  # still being written, or torn by a kill
            if start > 0:
                lines.pop(0)  # begins mid-line
            for line in reversed(lines):
                if not line.strip():
                    continue
                record = parse_record(line)
                step = _int(record.get("step")) if record is not None else None
                if step is not None:
                    return step, torn
            if start == 0 or want >= MAX_TAIL_BYTES:
                return None, torn
            want *= 4


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        return None
    return int(value) if value >= 0 else None


def _time_in_name(name: str) -> float | None:
    m = _NAME_TIME.search(name)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").timestamp()
    except ValueError:
        return None


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t).isoformat(timespec="seconds")


def _higher_is_better(metric: str) -> bool:
    from ganstudio.core import metric_registry

    spec = metric_registry.metric(metric)
    return bool(spec is not None and spec.higher_is_better)


def format_date(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")
