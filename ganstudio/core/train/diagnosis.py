"""The training doctor: reads a run's logged numbers and previews and says, in plain words, what is wrong.

`diagnose(RunEvidence) -> list[Finding]` applies every rule of `RULES` to the columns of a run (as
`series.MetricTable` holds them, or as `columns_of_records` builds them from metrics.jsonl records), its
evaluations, its config and the diversity of its saved previews; `diagnose_folder(folder)` reads a run
folder through `runlog.load_run_folder` first. Each `Finding` carries the rule, a severity, the steps and
numbers that are the evidence, what the sign usually means and what to try, as `Suggestion`s of
`key=value` settings that `ganstudio train --set` accepts; those in `form.LIVE_FIELDS` (the learning rates,
n_critic) can be applied to a running trainer. With no warning, one `healthy` finding says which signs were
checked. The thresholds are module constants, documented with their sources in docs/DOCTOR.md and in the
Monitor's Diagnosis help (`help_text`).

numpy only at import (no torch, no Qt). The rules are vectorised over the columns: a 10^5-record run is
diagnosed in a few milliseconds (benchmarks/doctor.py). Reading toy previews' modes uses
`metrics.mode_statistics` (torch), imported only when a 2-D mixture's previews are measured.
"""

from __future__ import annotations

import math
import operator
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ganstudio.core.errors import GanStudioError
from ganstudio.core.train.diagnosis_rules import (  # noqa: F401 - the thresholds and types are this module's too
    COLLAPSE_MIN_PREVIEWS,
    COLLAPSE_RATIO,
    COLLAPSE_REAL_RATIO,
    D_WINS_HINGE,
    D_WINS_HINGE_LOSS,
    D_WINS_LOSS,
    D_WINS_LSGAN_LOSS,
    D_WINS_PROB,
    EXPLODE_ABS,
    EXPLODE_RATIO,
    GP_DEVIATION,
    HOP_MIN_CHANGES,
    HOP_OVERLAP,
    HOP_WINDOW,
    MIN_RECORDS,
    MODE_SHARE,
    MODES_DROP_RATIO,
    OSC_MAX_TREND,
    OSC_MIN_CROSSINGS,
    OSC_PTP,
    OSC_SMOOTH,
    RECOVERED_FACTOR,
    RULE_IDS,
    RULES,
    SEVERITIES,
    SMOOTH_RECORDS,
    STALL_FRACTION,
    STALL_MIN_EVALS,
    STALL_REL,
    SUSTAIN_FRACTION,
    SUSTAIN_MAX,
    SUSTAIN_MIN,
    VANISH_ABS,
    VANISH_RATIO,
    VANISHING_D_FAKE,
    WATCHED_FINITE,
    Finding,
    RunEvidence,
    Suggestion,
    _collapse_tries,
    _current_or_long,
    _d_wins_mask,
    _fmt,
    _live,
    _longest,
    _lower_lrs,
    _lr,
    _moving_mean,
    _objective,
    _rule_collapse,
    _rule_d_wins,
    _rule_gradients,
    _rule_lipschitz,
    _rule_log_lines,
    _rule_non_finite,
    _rule_oscillation,
    _rule_stalled,
    _rule_vanishing_minimax,
    _running_median,
    _stretches,
    _suggest,
    _tracked_series,
    sustain_length,
)

# --- reading ----------------------------------------------------------------------------------------------

def columns_of_records(records: Sequence[dict[str, Any]]) -> tuple[dict[str, np.ndarray], dict[str, int], list[tuple[int, int]]]:
    """Scalar records as float64 columns (missing or null: NaN), the first step each metric was logged as
    null (non-finite: the writer stores NaN and inf as null) and the NaN rollbacks (the step going back)."""
    # Records come in a few shapes (the same keys every log step, more at eval steps): one itemgetter call a
    # record per shape, not one dict lookup per key and record (3x faster on a 10^5-step log).
    shapes: dict[tuple[str, ...], list[int]] = {}
    for i, r in enumerate(records):
        shapes.setdefault(tuple(r), []).append(i)
    keys = dict.fromkeys(k for shape in shapes for k in shape if k != "kind")
    columns: dict[str, np.ndarray] = {k: np.full(len(records), np.nan) for k in keys}
    for shape, rows in shapes.items():
        wanted = [k for k in shape if k != "kind"]
        if not wanted:
            continue
        subset = [records[i] for i in rows]
        block = _block(subset, wanted)
        where = np.asarray(rows)
        for j, k in enumerate(wanted):
            columns[k][where] = block[:, j]
    steps = columns.setdefault("step", np.full(len(records), np.nan))
    non_finite: dict[str, int] = {}
    for k in WATCHED_FINITE:
        col = columns.get(k)
        if col is None:
            continue
        for i in np.nonzero(np.isnan(col))[0]:  # NaN: a null (non-finite) or the metric not in that record
            if k in records[i] and records[i][k] is None:
                non_finite[k] = int(steps[i]) if math.isfinite(steps[i]) else 0
                break
    return columns, non_finite, rollbacks_of(steps)


def rollbacks_of(steps: np.ndarray) -> list[tuple[int, int]]:
    """(step reached, step logged next) wherever the logged step goes back: a NaN rollback."""
    steps = np.asarray(steps, dtype=np.float64)
    back = np.nonzero(np.diff(steps) <= 0)[0] if len(steps) > 1 else np.array([], dtype=int)
    return [(int(steps[i]), int(steps[i + 1])) for i in back if math.isfinite(steps[i] + steps[i + 1])]


def _block(records: list[dict[str, Any]], keys: list[str]) -> np.ndarray:
    """(len(records), len(keys)) float64 values of records that all hold `keys`; None -> NaN."""
    get = operator.itemgetter(*keys)
    rows = list(map(get, records)) if len(keys) > 1 else [(v,) for v in map(get, records)]
    try:
        return np.array(rows, dtype=np.float64).reshape(len(records), len(keys))
    except (TypeError, ValueError, OverflowError):  # a string, a list or a 400-digit int: value by value
        return np.array([[_num(v) for v in row] for row in rows], dtype=np.float64).reshape(len(records), len(keys))


def _num(v: Any) -> float:
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
        return math.nan
    try:
        return float(v)
    except OverflowError:  # an int beyond float's range: not a value the rules can use
        return math.nan


def preview_diversity(payload: Any, n: int | None = None, image_size: int | None = None) -> float | None:
    """Mean pairwise distance between a preview's samples: points (N, 2) as they are; an image grid (uint8,
    tiles of `image_size` with 2-pixel padding, as `imaging.tile_pictures` lays them) as the RMS pixel
    difference in [0, 1]. At most 256 samples are compared. None when the payload cannot be measured."""
    arr = np.asarray(payload)
    if arr.ndim == 2 and arr.shape[1] == 2:
        x = arr.astype(np.float64)
    elif arr.ndim == 3 and image_size and n:
        x = _tiles(arr, n, image_size)
        if x is None:
            return None
    else:
        return None
    x = x[np.isfinite(x).all(axis=1)][:256]
    if len(x) < 2:
        return None
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    iu = np.triu_indices(len(x), 1)
    dist = np.sqrt(d2[iu])
    if arr.ndim == 3:
        dist = dist / math.sqrt(x.shape[1])  # per-pixel RMS difference
    return float(dist.mean())


def _tiles(grid: np.ndarray, n: int, size: int, padding: int = 2) -> np.ndarray | None:
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    if grid.shape[0] != rows * (size + padding) + padding or grid.shape[1] != cols * (size + padding) + padding:
        return None
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = padding + r * (size + padding), padding + c * (size + padding)
        out.append(grid[y:y + size, x:x + size].reshape(-1))
    return np.stack(out).astype(np.float64) / 255.0


def toy_mixture(config: dict[str, Any]) -> tuple[np.ndarray, float] | None:
    """The means and std of a 2-D mixture toy (ring, grid) of a run's config; None for other data."""
    data = config.get("data") or {}
    if data.get("kind") not in ("ring", "grid"):
        return None
    from ganstudio.core.data import make_toy

    params = {}
    if data.get("toy_std") is not None:
        params["std"] = data["toy_std"]
    if data.get("toy_modes") is not None:
        params["n_modes"] = data["toy_modes"]
    try:
        toy = make_toy(data["kind"], **params)
    except (GanStudioError, TypeError, ValueError):
        return None
    return toy.means.numpy().astype(np.float64), float(toy.std)


def captured_modes(points: np.ndarray, means: np.ndarray, std: float) -> frozenset[int]:
    """The modes a preview's points cover: `metrics.mode_statistics` with each mode's catchment half the way
    to its nearest neighbour (`_cell_sigmas`), a mode counted when it holds MODE_SHARE of its fair share."""
    from ganstudio.core.train.metrics import mode_statistics

    pts = np.asarray(points, dtype=np.float64)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return frozenset()
    min_count = max(1, int(MODE_SHARE * len(pts) / len(means)))
    counts = mode_statistics(pts, means, std, n_sigma=_cell_sigmas(means, std))["counts"]
    return frozenset(i for i, c in enumerate(counts) if c >= min_count)


def _cell_sigmas(means: np.ndarray, std: float) -> float:
    """A mode's catchment for coverage: half the distance between the nearest two means, in stds. Wider than
    the 3-sigma high-quality test, so that a run which spreads over the modes but is not yet sharp counts as
    covering them (coverage, not quality, is the question for collapse and hopping)."""
    d = np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(-1))
    d[np.diag_indices(len(means))] = np.inf
    return max(3.0, float(d.min()) / 2 / max(std, 1e-12))


class PreviewMeter:
    """Measures previews one at a time (the Monitor measures each new one once): diversity, and the captured
    modes for mixture toys. Paired runs' previews (input | output | target rows) are not measured: a
    translation's spread is its inputs', not a sign."""

    def __init__(self, config: dict[str, Any]):
        data, train = config.get("data") or {}, config.get("train") or {}
        self.task = _task(config)
        self.n = train.get("n_preview")
        self.image_size = data.get("image_size")
        self.mixture = toy_mixture(config) if self.task == "toy" else None
        self.n_modes = len(self.mixture[0]) if self.mixture is not None else None

    def measure(self, payload: Any) -> tuple[float | None, frozenset[int] | None]:
        arr = _load_payload(payload)
        if arr is None or self.task == "paired":
            return None, None
        d = preview_diversity(arr, n=self.n, image_size=self.image_size)
        modes = captured_modes(arr, *self.mixture) if self.mixture is not None and arr.ndim == 2 else None
        return d, modes


def measure_previews(samples: Iterable[tuple[int, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """Diversity per preview and, for mixture toys, the captured modes. `samples` are (step, payload) with a
    payload dict ({"points"} or {"grid"}), an array, or a samples/step_*.npy|png file."""
    meter = PreviewMeter(config)
    diversity, modes = [], []
    for step, payload in samples:
        d, m = meter.measure(payload)
        if d is not None:
            diversity.append((int(step), d))
        if m is not None:
            modes.append((int(step), m))
    return {"diversity": diversity, "modes": modes, "n_modes": meter.n_modes}


def _load_payload(payload: Any) -> np.ndarray | None:
    if isinstance(payload, dict):
        payload = payload.get("points", payload.get("grid"))
    if isinstance(payload, (str, Path)):
        path = Path(payload)
        try:
            if path.suffix == ".npy":
                return np.load(path, allow_pickle=False)
            from PIL import Image

            with Image.open(path) as im:
                return np.asarray(im.convert("RGB"))
        except (OSError, ValueError):
            return None
    if payload is None:
        return None
    return np.asarray(payload)


def _task(config: dict[str, Any]) -> str | None:
    kind = (config.get("data") or {}).get("kind")
    if kind is None:
        return None
    from ganstudio.core.train.form import data_task

    try:
        return data_task(kind)
    except (KeyError, ValueError):
        return None


def diagnose_folder(folder: str | Path) -> list[Finding]:
    """Read a run folder (see `runlog.load_run_folder`) and diagnose it. A folder that is not a run folder
    is a GanStudioError naming it."""
    from ganstudio.core.safe_json import read_json
    from ganstudio.core.train.monitor_state import scan_sample_files
    from ganstudio.core.train.runlog import load_run_folder

    loaded = load_run_folder(folder)
    folder = Path(folder)
    previews = measure_previews(scan_sample_files(folder, set()), loaded["config"])
    best = None
    best_path = folder / "checkpoints" / "best.json"
    if best_path.is_file():
        try:
            meta = read_json(best_path, what="Best checkpoint metadata")
            if isinstance(meta, dict):
                best = {k: meta.get(k) for k in ("step", "best_metric", "best_value")}
        except GanStudioError:
            best = None
    real = loaded.get("real_points")
    ev = evidence_of(loaded["scalars"], loaded["config"], loaded["evals"], previews,
                     real_diversity=preview_diversity(real) if real is not None else None, best=best)
    ev.bad_lines = int(getattr(loaded.get("follower"), "bad_lines", 0) or 0)
    return diagnose(ev)


def evidence_of(scalars: Sequence[dict[str, Any]], config: dict[str, Any], evals: Sequence[dict[str, Any]],
                previews: dict[str, Any] | None = None, real_diversity: float | None = None,
                best: dict[str, Any] | None = None) -> RunEvidence:
    columns, non_finite, rollbacks = columns_of_records(scalars)
    previews = previews or {}
    return RunEvidence(columns=columns, config=config, evals=list(evals), diversity=previews.get("diversity", []),
                       real_diversity=real_diversity, modes=previews.get("modes", []),
                       n_modes=previews.get("n_modes"), best=best, non_finite=non_finite, rollbacks=rollbacks)


def diagnose(ev: RunEvidence) -> list[Finding]:
    """Every finding for this run, most severe first; a `healthy` (or `too_early`) finding when nothing
    is wrong."""
    steps = ev.columns.get("step")
    n = int(np.isfinite(steps).sum()) if steps is not None else 0
    if n < MIN_RECORDS:
        findings = _rule_non_finite(ev, {"checked": []}) if steps is not None else []
        return findings or [Finding("too_early", "info", "Too early to tell",
                                    f"{n} logged steps; the doctor reads from {MIN_RECORDS} on.",
                                    "Let the run log a few more steps.")]
    ctx = {"checked": [], "spec": _objective(ev.config), "sustain": sustain_length(n)}
    findings: list[Finding] = []
    for fn, _what in RULES.values():
        findings += fn(ev, ctx)
    if not any(f.severity in ("error", "warning") for f in findings):
        last = int(steps[np.isfinite(steps)][-1])
        findings.append(Finding(
            "healthy", "ok", "No sign of trouble",
            f"Checked over {n} logged steps (to step {last}): " + "; ".join(ctx["checked"]) + ".",
            "GAN losses oscillate and need not fall; judge the samples and the quality measures "
            "(pix2pix FAQ).",
        ))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order.get(f.severity, 9), f.step if f.step is not None else 0))
    return findings


def help_text() -> str:
    """The thresholds in words, for the Monitor's Diagnosis help (docs/DOCTOR.md has the sources)."""
    s = SUSTAIN_FRACTION
    return "\n".join([
        f"A sustained stretch is {s:.0%} of the logged steps in a row ({SUSTAIN_MIN} to {SUSTAIN_MAX}); per-step "
        f"values are a running median of {SMOOTH_RECORDS}. A warning is a stretch still going on; one the run got "
        f"over is told (as info) only when {RECOVERED_FACTOR}x that long.",
        f"D wins: D(x) >= {D_WINS_PROB}, D(G(z)) <= {1 - D_WINS_PROB:.1f} and D loss <= {D_WINS_LOSS} (logistic), "
        f"scores beyond +-{D_WINS_HINGE} (hinge), sustained. Goodfellow 2016; Arjovsky & Bottou 2017.",
        f"Vanishing G gradient (minimax): D(G(z)) <= {VANISHING_D_FAKE}, sustained. Goodfellow 2016, 3.2.3.",
        f"Mode collapse: preview diversity below {COLLAPSE_RATIO:.0%} of its peak (and of the real data's); toys: "
        f"modes captured fell to {MODES_DROP_RATIO:.0%} of the most. Hopping: captured sets overlap under "
        f"{HOP_OVERLAP:.0%} in {HOP_MIN_CHANGES} of the last {HOP_WINDOW} previews. Salimans et al. 2016.",
        f"Oscillation: D(x) over {OSC_PTP} peak to peak, {OSC_MIN_CROSSINGS}+ crossings, trend under "
        f"{OSC_MAX_TREND:.0%} of its variance (second half). Mescheder et al. 2018.",
        f"Exploding gradients: a norm {EXPLODE_RATIO:g}x its early median and above {EXPLODE_ABS:g}; vanishing: "
        f"G's under {VANISH_RATIO:g}x early. Non-finite values: any null in metrics.jsonl, any rollback.",
        f"Critic not Lipschitz: a WGAN critic with no clipping, penalty or spectral norm; under GP, "
        f"sqrt(penalty / lambda) > {GP_DEVIATION}. Arjovsky et al. 2017; Gulrajani et al. 2017.",
        f"Stalled: the best metric not better by {STALL_REL:.0%} in the last {STALL_FRACTION:.0%} of the steps "
        f"({STALL_MIN_EVALS}+ evaluations).",
    ])
