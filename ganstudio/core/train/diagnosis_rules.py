"""The training doctor's rules and thresholds (the reading and the entry points are in `diagnosis`).

Each rule is a function of the run's evidence (`RunEvidence`: its columns, config, evaluations and
preview measures) returning `Finding`s with their `Suggestion`s; `RULES` lists them in the order they run.
The thresholds are module constants, documented with their sources in docs/DOCTOR.md. numpy only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ganstudio.core.errors import GanStudioError

# --- thresholds (docs/DOCTOR.md gives each one's source) --------------------------------------------------

MIN_RECORDS = 5  # fewer logged steps than this: too early to say anything
SUSTAIN_FRACTION = 0.15  # a "sustained stretch": this share of the logged steps...
SUSTAIN_MIN, SUSTAIN_MAX = 5, 100  # ...but at least / at most this many logged steps in a row
RECOVERED_FACTOR = 2  # a spell the run got over is reported (as info) only when twice the sustained length
SMOOTH_RECORDS = 3  # running median over this many logged steps before a per-step condition is tested

D_WINS_PROB = 0.9  # logistic losses: D(x) >= 0.9 and D(G(z)) <= 0.1 (Goodfellow 2016, section 3.2.3)
D_WINS_LOSS = 0.25  # ... with the D loss near 0: -2 log 0.9 = 0.21 is the loss of such a D
D_WINS_HINGE = 1.0  # hinge: real scores >= 1 and fake <= -1 is a D loss of exactly 0
D_WINS_HINGE_LOSS = 0.05
D_WINS_LSGAN_LOSS = 0.02  # least squares: (1-0.9)^2 + 0.1^2 = 0.02
VANISHING_D_FAKE = 0.1  # minimax: G's gradient is proportional to D(G(z)); at <= 0.1 it has all but gone

COLLAPSE_RATIO = 0.5  # preview diversity below half of its peak (and of the real data's, when known)
COLLAPSE_REAL_RATIO = 0.1  # or, from the 5th preview on, below 10% of the real data's (never diverse at all)
COLLAPSE_MIN_PREVIEWS = 5
MODES_DROP_RATIO = 0.5  # toys: modes captured fell to half of the most captured before (or fewer)
MODE_SHARE = 0.1  # toys: a mode is captured by a preview when it gets 10% of its fair share of samples
HOP_OVERLAP = 0.5  # toys: consecutive previews sharing under half of the smaller one's captured modes...
HOP_MIN_CHANGES = 3  # ...at least this many times among the last HOP_WINDOW preview transitions
HOP_WINDOW = 5

OSC_PTP = 0.4  # logistic losses: D(x) swinging over 0.4 peak to peak (5th to 95th percentile, smoothed)...
OSC_MIN_CROSSINGS = 6  # ...crossing its mean at least 6 times (3 cycles) in the second half of the run...
OSC_MAX_TREND = 0.2  # ...with a linear trend that explains under 20% of its variance
OSC_SMOOTH = 5  # moving average over this many logged steps before counting crossings

EXPLODE_RATIO = 100.0  # a gradient norm 100x its median over the first fifth of the run...
EXPLODE_ABS = 10.0  # ...and above 10 (an L2 norm of all parameters' gradients)
VANISH_RATIO = 1e-3  # a generator gradient norm under 1/1000 of its early median, sustained
VANISH_ABS = 1e-6  # or under 1e-6 at all, sustained

GP_DEVIATION = 0.5  # WGAN-GP: sqrt(gradient_penalty / lambda) = RMS of (|grad D| - 1) above 0.5

STALL_FRACTION = 0.3  # no improvement of the tracked measure over the last 30% of the run's steps...
STALL_MIN_EVALS = 4  # ...seen in at least 4 evaluations since the best one
STALL_REL = 0.01  # an "improvement" is better by more than 1% of the best value's size

WATCHED_FINITE = ("d_loss", "g_loss", "grad_norm_d", "grad_norm_g", "d_real", "d_fake", "critic_gap",
                  "gradient_penalty", "r1_penalty", "l1")  # a null among these is a non-finite value

SEVERITIES = ("error", "warning", "info", "ok")  # most to least severe


@dataclass(frozen=True)
class Suggestion:
    """One setting to change: `key=value` as `ganstudio train --set` takes it."""

    key: str  # "optim.lr_d"
    value: Any  # the new value (a number, a bool or a string)
    why: str  # a few words
    live: bool = False  # a running trainer takes it (form.LIVE_FIELDS): learning rates, n_critic

    def as_set(self) -> str:
        v = self.value
        text = ("true" if v else "false") if isinstance(v, bool) else (f"{v:.3g}" if isinstance(v, float) else str(v))
        return f"{self.key}={text}"


@dataclass(frozen=True)
class Finding:
    rule: str  # one of RULES' ids
    severity: str  # error | warning | info | ok
    title: str  # a short line
    evidence: str  # the steps and numbers, in words
    meaning: str  # what it usually means
    step: int | None = None  # where it began (the curve marker); None: not tied to a step
    end_step: int | None = None
    numbers: dict[str, float] = field(default_factory=dict)
    suggestions: tuple[Suggestion, ...] = ()
    metric: str | None = None  # the curve the marker belongs on

    def line(self) -> str:
        """The CLI's one line."""
        at = f" (step {self.step})" if self.step is not None else ""
        tries = ", ".join(s.as_set() + (" [live]" if s.live else "") for s in self.suggestions)
        return f"{self.severity.upper()} {self.rule}{at}: {self.title}. {self.evidence}" + (
            f" Try: {tries}." if tries else "")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["suggestions"] = [{**asdict(s), "set": s.as_set()} for s in self.suggestions]
        return d


@dataclass
class RunEvidence:
    """What the doctor reads: plain numbers only."""

    columns: dict[str, np.ndarray]  # logged scalars by name, one row per logged step; "step" among them
    config: dict[str, Any] = field(default_factory=dict)  # the run's config.json
    evals: list[dict[str, Any]] = field(default_factory=list)  # eval records
    diversity: list[tuple[int, float]] = field(default_factory=list)  # (step, mean pairwise distance) of previews
    real_diversity: float | None = None  # the same measure on real data, when known
    modes: list[tuple[int, frozenset[int]]] = field(default_factory=list)  # toys: (step, captured modes)
    n_modes: int | None = None
    best: dict[str, Any] | None = None  # checkpoints/best.json's step, best_metric, best_value
    non_finite: dict[str, int] = field(default_factory=dict)  # metric -> first step logged as null
    rollbacks: list[tuple[int, int]] = field(default_factory=list)  # (step reached, step it went back to)
    bad_lines: int = 0  # lines of metrics.jsonl that were not records (runlog.MetricsFollower.bad_lines)


# --- helpers ----------------------------------------------------------------------------------------------

def _running_median(x: np.ndarray) -> np.ndarray:
    """Row i: the median of rows i-1..i+1 (SMOOTH_RECORDS = 3), so one noisy logged step neither makes nor
    breaks a stretch, and a change shows at the row where it happened; the two end rows are kept."""
    if len(x) < 3:
        return x
    a, b, c = x[:-2], x[1:-1], x[2:]
    med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return np.concatenate([x[:1], med, x[-1:]])


def _moving_mean(x: np.ndarray, k: int) -> np.ndarray:
    if len(x) < k:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    return (c[k:] - c[:-k]) / k


def sustain_length(n: int) -> int:
    """How many logged steps in a row make a 'sustained stretch' in a run of n logged steps."""
    return int(min(SUSTAIN_MAX, max(SUSTAIN_MIN, math.ceil(SUSTAIN_FRACTION * n))))


def _stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the runs of True in mask."""
    if not len(mask):
        return []
    m = np.concatenate([[False], mask.astype(bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts, ends = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]
    return list(zip(starts.tolist(), ends.tolist()))


def _longest(mask: np.ndarray, need: int) -> tuple[int, int] | None:
    """The first stretch of True at least `need` long, else None."""
    for s, e in _stretches(mask):
        if e - s >= need:
            return s, e
    return None


def _current_or_long(mask: np.ndarray, need: int) -> tuple[int, int, bool] | None:
    """The stretch of a sign that matters: the one still going on at the last logged step when it is at least
    `need` long (True: a current problem), else the longest earlier one if it lasted RECOVERED_FACTOR x
    `need` (False: it happened, and the run got over it). Shorter spells that ended are transients."""
    runs = _stretches(mask)
    if runs and runs[-1][1] == len(mask) and runs[-1][1] - runs[-1][0] >= need:
        return runs[-1][0], runs[-1][1], True
    past = [r for r in runs if r[1] - r[0] >= RECOVERED_FACTOR * need]
    if past:
        s, e = max(past, key=lambda r: r[1] - r[0])
        return s, e, False
    return None


def _lr(cols: dict[str, np.ndarray], key: str, config: dict[str, Any]) -> float:
    """The run's learning rate to scale a suggestion from: the last logged one, or with the linear decay
    (which logs the decayed rate) the config's base rate, which is what a live change sets."""
    optim = config.get("optim") or {}
    col = cols.get(key)
    if optim.get("lr_decay", "none") != "none" and isinstance(optim.get(key), (int, float)):
        return float(optim[key])
    if col is not None:
        finite = col[np.isfinite(col)]
        if len(finite):
            return float(finite[-1])
    return float((config.get("optim") or {}).get(key, 2e-4))


def _live(key: str) -> bool:
    from ganstudio.core.train.form import LIVE_FIELDS

    return key in LIVE_FIELDS


def _suggest(key: str, value: Any, why: str) -> Suggestion:
    return Suggestion(key, value, why, live=_live(key))


def _objective(config: dict[str, Any]):
    from ganstudio.core import objective_registry

    name = (config.get("objective") or {}).get("loss") or "nonsaturating"
    try:
        return objective_registry.objective_spec(name)
    except (KeyError, GanStudioError):
        return None


def _fmt(x: float) -> str:
    return f"{x:.3g}"


# --- rules -----------------------------------------------------------------------------------------------
# Each rule takes (evidence, context) and returns findings; it records in context["checked"] what it could
# look at, so that "healthy" can say which signs were checked.

def _rule_non_finite(ev: RunEvidence, ctx: dict) -> list[Finding]:
    ctx["checked"].append("non-finite values")
    out = []
    cols, config = ev.columns, ev.config
    if ev.non_finite:
        first = min(ev.non_finite.values())
        names = ", ".join(sorted(k for k, s in ev.non_finite.items() if s == first))
        out.append(Finding(
            "non_finite", "error", "Non-finite values logged",
            f"{names} became NaN or infinite at step {first}.",
            "The numbers overflowed: usually a learning rate far too high, or a critic without a penalty.",
            step=first, metric=names.split(", ")[0], numbers={"step": first},
            suggestions=_lower_lrs(cols, config, 10.0) + (_suggest("objective.r1_gamma", 1.0, "penalise D's gradient"),),
        ))
    for reached, back in ev.rollbacks:
        out.append(Finding(
            "non_finite", "error", "NaN rollback",
            f"Step {back} was logged again after step {reached}: the losses became NaN or infinite before step "
            f"{back} and the trainer rolled back to its last good state.",
            "The trainer recovered by halving the learning rates; a run that needs this is close to diverging.",
            step=back, end_step=reached, metric="d_loss", numbers={"reached": reached, "back_to": back},
            suggestions=_lower_lrs(cols, config, 10.0, base=True),
        ))
    return out


def _lower_lrs(cols, config, factor: float, base: bool = False) -> tuple[Suggestion, ...]:
    """Both learning rates `factor` times lower; with `base`, than the config's (a rollback has already
    halved the logged ones)."""
    optim = config.get("optim") or {}

    def rate(key: str) -> float:
        logged = _lr(cols, key, config)
        start = optim.get(key)
        return max(logged, float(start)) if base and isinstance(start, (int, float)) else logged

    return (_suggest("optim.lr_g", rate("lr_g") / factor, f"{factor:g}x lower"),
            _suggest("optim.lr_d", rate("lr_d") / factor, f"{factor:g}x lower"))


def _rule_gradients(ev: RunEvidence, ctx: dict) -> list[Finding]:
    cols = ev.columns
    steps = cols["step"]
    out = []
    for key, who in (("grad_norm_d", "D"), ("grad_norm_g", "G")):
        g = cols.get(key)
        if g is None or np.isfinite(g).sum() < MIN_RECORDS:
            continue
        ctx["checked"].append(f"{who}'s gradient norm")
        n = len(g)
        head = g[: max(MIN_RECORDS, n // 5)]
        early = float(np.nanmedian(head)) if np.isfinite(head).any() else math.nan
        if not math.isfinite(early):
            continue
        smooth = _running_median(np.nan_to_num(g, nan=early))
        big = (smooth > EXPLODE_RATIO * max(early, 1e-12)) & (smooth > EXPLODE_ABS)
        hit = _longest(big, 2)
        first_huge = float(np.nanmax(g[:MIN_RECORDS])) if n else math.nan
        if hit is None and first_huge > 1e3 * EXPLODE_ABS:
            hit = (0, int(np.argmax(g[:MIN_RECORDS])) + 1)  # huge from the first logged step on
        if hit is not None:
            s, e = hit
            peak = float(np.nanmax(g[s:e]))
            out.append(Finding(
                "exploding_gradients", "error", f"{who}'s gradient norm exploded",
                f"{key} rose to {_fmt(peak)} from step {int(steps[s])} to {int(steps[e - 1])} "
                f"(its median over the first fifth of the run: {_fmt(early)}).",
                "The updates are far too large for the loss surface: a learning rate too high for this model "
                "and objective, or a critic that nothing keeps smooth.",
                step=int(steps[s]), end_step=int(steps[e - 1]), metric=key,
                numbers={"peak": peak, "early_median": early},
                suggestions=_lower_lrs(cols, ev.config, 10.0) + (
                    _suggest("tricks.grad_clip", 10.0, "clip both players' gradient norms"),
                    _suggest("tricks.spectral_norm", True, "keep D smooth"),
                ),
            ))
            continue
        if who == "G":
            small = (smooth < VANISH_RATIO * early) | (smooth < VANISH_ABS)
            hit = _current_or_long(small, ctx["sustain"])
            if hit is not None:
                s, e, current = hit
                low = float(np.nanmedian(g[s:e]))
                out.append(Finding(
                    "vanishing_gradients", "warning" if current else "info",
                    "G's gradient norm vanished" if current else "G's gradient norm vanished for a while",
                    f"{key} stayed at about {_fmt(low)} from step {int(steps[s])} to {int(steps[e - 1])} "
                    f"(early median {_fmt(early)}).",
                    "G is no longer learning: D saturates, or G's outputs saturate (tanh at +-1).",
                    step=int(steps[s]), end_step=int(steps[e - 1]), metric=key,
                    numbers={"median": low, "early_median": early},
                    suggestions=(_suggest("objective.loss", "nonsaturating", "a G cost that does not saturate"),
                                 _suggest("optim.lr_d", _lr(cols, "lr_d", ev.config) / 4, "a weaker D")),
                ))
    return out


def _d_wins_mask(ev: RunEvidence, spec) -> tuple[np.ndarray, str] | None:
    cols = ev.columns
    dr, df, dl = cols.get("d_real"), cols.get("d_fake"), cols.get("d_loss")
    if dr is None or df is None or dl is None or spec is None or spec.lipschitz:
        return None
    dr, df, dl = (_running_median(c) for c in (dr, df, dl))
    if spec.logits:
        return (dr >= D_WINS_PROB) & (df <= 1 - D_WINS_PROB) & (dl <= D_WINS_LOSS), "probabilities"
    if spec.name == "hinge":
        return (dr >= D_WINS_HINGE) & (df <= -D_WINS_HINGE) & (dl <= D_WINS_HINGE_LOSS), "hinge scores"
    if spec.name == "lsgan":
        return (dr >= D_WINS_PROB) & (df <= 1 - D_WINS_PROB) & (dl <= D_WINS_LSGAN_LOSS), "scores"
    return None


def _rule_d_wins(ev: RunEvidence, ctx: dict) -> list[Finding]:
    spec = ctx["spec"]
    got = _d_wins_mask(ev, spec)
    if got is None:
        return []
    mask, _ = got
    ctx["checked"].append("D(x), D(G(z)) and D's loss (does D win?)")
    hit = _current_or_long(mask, ctx["sustain"])
    if hit is None:
        return []
    cols, steps = ev.columns, ev.columns["step"]
    s, e, current = hit
    dr, df, dl = (float(np.nanmedian(cols[k][s:e])) for k in ("d_real", "d_fake", "d_loss"))
    g = cols.get("g_loss")
    g_text = ""
    numbers = {"d_real": dr, "d_fake": df, "d_loss": dl}
    if g is not None and np.isfinite(g[:s + 1]).any() and np.isfinite(g[s:e]).any():
        g0, g1 = float(np.nanmedian(g[: max(s, 1)])), float(np.nanmedian(g[s:e]))
        g_text = f" G's loss went from {_fmt(g0)} before to {_fmt(g1)}."
        numbers.update(g_loss_before=g0, g_loss=g1)
    lr_g, lr_d = _lr(cols, "lr_g", ev.config), _lr(cols, "lr_d", ev.config)
    tries = [_suggest("optim.lr_d", lr_g, "D no faster than G") if lr_d > lr_g else
             _suggest("optim.lr_d", lr_d / 4, "a slower D")]
    if spec.label_smoothing:
        tries.append(_suggest("tricks.label_smoothing", 0.1, "one-sided label smoothing"))
    tries += [_suggest("tricks.instance_noise", 0.1, "instance noise on D's inputs"),
              _suggest("objective.r1_gamma", 1.0, "R1 penalty"),
              _suggest("tricks.spectral_norm", True, "spectral norm in D")]
    return [Finding(
        "d_wins", "warning" if current else "info", "The discriminator wins" if current else "The discriminator won",
        f"From step {int(steps[s])} to {int(steps[e - 1])} ({e - s} logged steps) D(x) was {_fmt(dr)}, "
        f"D(G(z)) {_fmt(df)} and D's loss {_fmt(dl)}.{g_text}" + ("" if current else " Then G caught up."),
        "D separates real from fake perfectly, so its gradients tell G little (Arjovsky & Bottou 2017): "
        "G stalls or collapses.",
        step=int(steps[s]), end_step=int(steps[e - 1]), metric="d_loss", numbers=numbers, suggestions=tuple(tries),
    )]


def _rule_vanishing_minimax(ev: RunEvidence, ctx: dict) -> list[Finding]:
    spec = ctx["spec"]
    df = ev.columns.get("d_fake")
    if spec is None or spec.name != "minimax" or df is None:
        return []
    ctx["checked"].append("the saturating minimax cost (vanishing G gradient)")
    hit = _current_or_long(_running_median(df) <= VANISHING_D_FAKE, ctx["sustain"])
    if hit is None:
        return []
    s, e, current = hit
    steps = ev.columns["step"]
    med = float(np.nanmedian(df[s:e]))
    g = ev.columns.get("grad_norm_g")
    extra, numbers = "", {"d_fake": med}
    if g is not None and np.isfinite(g).any():
        g_early = float(np.nanmedian(g[: max(MIN_RECORDS, len(g) // 5)]))
        g_now = float(np.nanmedian(g[s:e]))
        extra = f" G's gradient norm {_fmt(g_now)} (early {_fmt(g_early)})."
        numbers.update(grad_norm_g=g_now, grad_norm_g_early=g_early)
    return [Finding(
        "vanishing_g_gradient", "warning" if current else "info",
        "G's gradient vanishes under the minimax cost" if current else "G's gradient vanished for a while",
        f"D(G(z)) stayed at {_fmt(med)} from step {int(steps[s])} to {int(steps[e - 1])}.{extra}",
        "With the minimax cost log(1 - D(G(z))), G's gradient is proportional to D(G(z)): once D rejects "
        "the samples, G stops learning (Goodfellow 2016, section 3.2.3).",
        step=int(steps[s]), end_step=int(steps[e - 1]), metric="d_fake", numbers=numbers,
        suggestions=(_suggest("objective.loss", "nonsaturating", "maximise log D(G(z)) instead"),),
    )]


def _rule_collapse(ev: RunEvidence, ctx: dict) -> list[Finding]:
    out = []
    if len(ev.diversity) >= 3:
        ctx["checked"].append("preview diversity")
        steps = np.array([s for s, _ in ev.diversity])
        div = np.array([d for _, d in ev.diversity])
        peak_i = int(np.argmax(div[:-1]))
        peak = float(div[peak_i])
        late = float(np.median(div[-3:]))
        ref = peak if ev.real_diversity is None else min(peak, ev.real_diversity)
        if late < COLLAPSE_RATIO * ref and peak_i < len(div) - 3 + 1:
            below = np.nonzero((div < COLLAPSE_RATIO * ref) & (np.arange(len(div)) > peak_i))[0]
            first = int(steps[below[0]]) if len(below) else int(steps[-1])
            real = f", the real data's {_fmt(ev.real_diversity)}" if ev.real_diversity is not None else ""
            out.append(Finding(
                "mode_collapse", "warning", "The previews lost their diversity",
                f"The fixed-latent previews' mean pairwise distance fell to {_fmt(late)} by step {int(steps[-1])} "
                f"(peak {_fmt(peak)} at step {int(steps[peak_i])}{real}); below half from step {first}.",
                "Different latents give nearly the same samples: G has collapsed onto a few modes "
                "(Goodfellow 2016, section 5.1.1).",
                step=first, end_step=int(steps[-1]), metric="sliced_w",
                numbers={"diversity": late, "peak": peak, **({"real": ev.real_diversity} if ev.real_diversity else {})},
                suggestions=_collapse_tries(ev),
            ))
        elif ev.real_diversity and len(div) >= COLLAPSE_MIN_PREVIEWS and late < COLLAPSE_REAL_RATIO * ev.real_diversity:
            low = div < COLLAPSE_REAL_RATIO * ev.real_diversity
            first_i = len(low) - 1
            while first_i > 0 and low[first_i - 1]:
                first_i -= 1
            out.append(Finding(
                "mode_collapse", "warning", "The previews have almost no diversity",
                f"The fixed-latent previews' mean pairwise distance was {_fmt(late)} by step {int(steps[-1])}, "
                f"under {COLLAPSE_REAL_RATIO:.0%} of the real data's {_fmt(ev.real_diversity)} since step "
                f"{int(steps[first_i])}.",
                "G maps every latent to nearly the same sample: a complete mode collapse.",
                step=int(steps[first_i]), end_step=int(steps[-1]), metric="sliced_w",
                numbers={"diversity": late, "real": ev.real_diversity}, suggestions=_collapse_tries(ev),
            ))
    if ev.modes and ev.n_modes:
        ctx["checked"].append("modes captured by the previews")
        counts = np.array([len(m) for _, m in ev.modes])
        steps = np.array([s for s, _ in ev.modes])
        if len(counts) >= 3:
            best_i = int(np.argmax(counts))
            late = float(np.median(counts[-3:]))
            if counts[best_i] >= 2 and late <= MODES_DROP_RATIO * counts[best_i] and best_i < len(counts) - 1:
                after = np.nonzero((counts <= MODES_DROP_RATIO * counts[best_i]) & (np.arange(len(counts)) > best_i))[0]
                first = int(steps[after[0]]) if len(after) else int(steps[-1])
                if not any(f.rule == "mode_collapse" for f in out):
                    out.append(Finding(
                        "mode_collapse", "warning", "Modes were lost",
                        f"The previews captured {int(counts[best_i])} of {ev.n_modes} modes at step "
                        f"{int(steps[best_i])}, {late:g} by step {int(steps[-1])} (dropped from step {first}).",
                        "G gave up modes it had found: a mode collapse (Srivastava et al. 2017, Lin et al. 2018).",
                        step=first, end_step=int(steps[-1]), metric="modes_captured",
                        numbers={"best": float(counts[best_i]), "late": late, "n_modes": float(ev.n_modes)},
                        suggestions=_collapse_tries(ev),
                    ))
        if len(ev.modes) >= HOP_WINDOW + 1:
            ctx["checked"].append("mode hopping")
            recent = ev.modes[-(HOP_WINDOW + 1):]
            changes = []
            for (s0, a), (s1, b) in zip(recent, recent[1:]):
                smaller = min(len(a), len(b))
                if smaller and len(a & b) / smaller < HOP_OVERLAP:  # growing or shrinking is not hopping
                    changes.append(s1)
            mean_count = float(np.mean([len(m) for _, m in recent]))
            if len(changes) >= HOP_MIN_CHANGES and mean_count < 0.75 * ev.n_modes:
                out.append(Finding(
                    "mode_hopping", "warning", "G hops between modes",
                    f"In the last {HOP_WINDOW} preview changes (steps {recent[0][0]}-{recent[-1][0]}) the captured "
                    f"modes changed {len(changes)} times, about {mean_count:.1g} of {ev.n_modes} at a time.",
                    "G chases D from mode to mode instead of covering them all (Metz et al. 2017).",
                    step=changes[0], end_step=recent[-1][0], metric="modes_captured",
                    numbers={"changes": float(len(changes)), "mean_captured": mean_count},
                    suggestions=_collapse_tries(ev),
                ))
    return out


def _collapse_tries(ev: RunEvidence) -> tuple[Suggestion, ...]:
    tricks = ev.config.get("tricks") or {}
    tries = []
    if int(tricks.get("pack", 1) or 1) < 2:
        tries.append(_suggest("tricks.pack", 2, "PacGAN: D judges pairs"))
    if not tricks.get("minibatch_stddev"):
        tries.append(_suggest("tricks.minibatch_stddev", True, "minibatch statistics in D"))
    if int(tricks.get("unrolled_steps", 0) or 0) == 0:
        tries.append(_suggest("tricks.unrolled_steps", 5, "unrolled D look-ahead"))
    tries.append(_suggest("optim.lr_g", _lr(ev.columns, "lr_g", ev.config) / 2, "a slower G"))
    return tuple(tries)


def _rule_oscillation(ev: RunEvidence, ctx: dict) -> list[Finding]:
    spec = ctx["spec"]
    dr = ev.columns.get("d_real")
    if spec is None or not spec.logits or dr is None:
        return []
    n = len(dr)
    half = dr[n // 2:]
    half = half[np.isfinite(half)]
    if len(half) < 4 * OSC_SMOOTH:
        return []
    ctx["checked"].append("oscillation of D(x)")
    sm = _moving_mean(half, OSC_SMOOTH)
    ptp = float(np.percentile(sm, 95) - np.percentile(sm, 5))
    t = np.arange(len(sm), dtype=np.float64)
    var = float(np.var(sm))
    if var <= 0:
        return []
    slope, icpt = np.polyfit(t, sm, 1)
    resid = sm - (slope * t + icpt)
    trend_share = 1.0 - float(np.var(resid)) / var
    crossings = int(np.count_nonzero(np.diff(np.sign(resid)) != 0))
    if ptp > OSC_PTP and crossings >= OSC_MIN_CROSSINGS and trend_share < OSC_MAX_TREND:
        steps = ev.columns["step"][n // 2:]
        lr_g, lr_d = _lr(ev.columns, "lr_g", ev.config), _lr(ev.columns, "lr_d", ev.config)
        return [Finding(
            "oscillation", "warning", "The game oscillates",
            f"In the second half (steps {int(steps[0])}-{int(steps[-1])}) D(x) swung {_fmt(ptp)} peak to peak and "
            f"crossed its trend {crossings} times, with no trend ({trend_share:.0%} of its variance).",
            "The players circle each other instead of converging; plain gradient descent on a GAN need not "
            "converge (Mescheder et al. 2018).",
            step=int(steps[0]), end_step=int(steps[-1]), metric="d_real",
            numbers={"ptp": ptp, "crossings": float(crossings), "trend_share": trend_share},
            suggestions=(_suggest("optim.lr_g", lr_g / 2, "smaller steps"), _suggest("optim.lr_d", lr_d / 2, "smaller steps"),
                         _suggest("objective.r1_gamma", 1.0, "R1: locally convergent (Mescheder et al. 2018)"),
                         _suggest("tricks.ema", 0.999, "an averaged generator")),
        )]
    return []


def _rule_lipschitz(ev: RunEvidence, ctx: dict) -> list[Finding]:
    spec = ctx["spec"]
    if spec is None or not spec.lipschitz:
        return []
    ctx["checked"].append("the critic's Lipschitz constraint")
    o = ev.config.get("objective") or {}
    tricks = ev.config.get("tricks") or {}
    gp = o.get("gp_weight")
    gp = spec.gradient_penalty_weight if gp is None else float(gp)
    constrained = spec.weight_clipping or gp > 0 or bool(tricks.get("spectral_norm")) or float(o.get("r1_gamma") or 0) > 0
    cols, steps = ev.columns, ev.columns["step"]
    gap = cols.get("critic_gap")
    if not constrained:
        numbers = {}
        evidence = f"objective {spec.name} with no weight clipping, gradient penalty, spectral norm or R1."
        if gap is not None and np.isfinite(gap).sum() >= 2:
            finite = gap[np.isfinite(gap)]
            numbers = {"critic_gap_first": float(finite[0]), "critic_gap_last": float(finite[-1])}
            evidence += f" The critic gap went from {_fmt(finite[0])} to {_fmt(finite[-1])}."
        return [Finding(
            "critic_not_lipschitz", "error", "The critic is unconstrained",
            evidence,
            "A Wasserstein critic must be kept 1-Lipschitz; without a constraint its scores grow without bound "
            "and the critic gap is not a Wasserstein estimate (Arjovsky et al. 2017; Gulrajani et al. 2017).",
            step=int(steps[0]) if len(steps) else None, metric="critic_gap", numbers=numbers,
            suggestions=(_suggest("objective.gp_weight", 10.0, "WGAN-GP's lambda"),
                         _suggest("tricks.spectral_norm", True, "or spectral norm")),
        )]
    pen = cols.get("gradient_penalty")
    if gp > 0 and pen is not None and np.isfinite(pen).sum() >= MIN_RECORDS:
        dev = np.sqrt(np.maximum(pen, 0) / gp)
        tail = dev[-max(MIN_RECORDS, len(dev) // 5):]
        late = float(np.nanmedian(tail))
        if late > GP_DEVIATION:
            above = np.nonzero(_running_median(np.nan_to_num(dev)) > GP_DEVIATION)[0]
            first = int(steps[above[0]]) if len(above) else int(steps[-len(tail)])
            return [Finding(
                "critic_not_lipschitz", "warning", "The critic's gradient norm is far from 1",
                f"Over the last fifth of the run the RMS of (|grad D| - 1) was {_fmt(late)} "
                f"(sqrt(gradient_penalty / {gp:g})), above {GP_DEVIATION} from step {first}.",
                "The penalty does not hold the critic near 1-Lipschitz, so the critic gap is a poor W estimate.",
                step=first, metric="gradient_penalty", numbers={"rms_deviation": late, "gp_weight": gp},
                suggestions=(_suggest("objective.gp_weight", min(1000.0, gp * 2), "a stronger penalty"),
                             _suggest("optim.n_critic", max(5, int((ev.config.get("optim") or {}).get("n_critic", 1)) + 2),
                                      "more critic steps")),
            )]
    return []


def _tracked_series(ev: RunEvidence) -> tuple[str, np.ndarray, np.ndarray, bool] | None:
    from ganstudio.core import metric_registry

    name = (ev.config.get("train") or {}).get("best_metric")
    if not name:
        return None
    spec = metric_registry.metric(name)
    higher = bool(spec.higher_is_better) if spec is not None else False
    rows = [(r.get("step"), r.get(name)) for r in ev.evals]
    rows = [(float(s), float(v)) for s, v in rows if isinstance(s, (int, float)) and isinstance(v, (int, float))
            and math.isfinite(v)]
    if len(rows) >= STALL_MIN_EVALS + 1:
        arr = np.array(rows)
        return name, arr[:, 0], arr[:, 1], higher
    return None


def _rule_stalled(ev: RunEvidence, ctx: dict) -> list[Finding]:
    got = _tracked_series(ev)
    if got is None:
        return []
    name, steps, values, higher = got
    ctx["checked"].append(f"progress of {name}")
    score = values if higher else -values
    best_i = int(np.argmax(score))
    best = float(values[best_i])
    total = float(steps[-1] - steps[0]) if len(steps) > 1 else 0.0
    since = float(steps[-1] - steps[best_i])
    evals_since = len(values) - 1 - best_i
    margin = STALL_REL * max(abs(best), 1e-12)
    later = score[best_i + 1:]
    no_gain = bool(len(later)) and float(later.max()) <= score[best_i] + margin
    if total > 0 and since >= STALL_FRACTION * float(steps[-1]) and evals_since >= STALL_MIN_EVALS and no_gain:
        where = f"step {int(steps[best_i])}"
        if ev.best and ev.best.get("best_metric") == name and isinstance(ev.best.get("step"), (int, float)):
            where = f"step {int(ev.best['step'])}: checkpoints/best.safetensors"
        return [Finding(
            "stalled", "info", "Progress has stalled",
            f"{name} was best ({_fmt(best)}) at step {int(steps[best_i])} and has not improved in {evals_since} "
            f"evaluations since (now {_fmt(float(values[-1]))}, step {int(steps[-1])}).",
            f"More steps are unlikely to help this run; the best model so far is at {where}.",
            step=int(steps[best_i]), end_step=int(steps[-1]), metric=name,
            numbers={"best": best, "best_step": float(steps[best_i]), "last": float(values[-1])},
        )]
    return []


def _rule_log_lines(ev: RunEvidence, ctx: dict) -> list[Finding]:
    if ev.bad_lines <= 0:
        return []
    return [Finding(
        "skipped_lines", "info", "Lines of the log were skipped",
        f"{ev.bad_lines} line{'s' if ev.bad_lines != 1 else ''} of metrics.jsonl {'are' if ev.bad_lines != 1 else 'is'} "
        "not a record and were left out; every other record was read.",
        "A run killed while writing tears its last line; a hand edit can break others. The numbers around "
        "them are unaffected.",
        numbers={"bad_lines": float(ev.bad_lines)},
    )]


RULES = {  # id -> (function, what it looks for); `help_text` lists them
    "non_finite": (_rule_non_finite, "NaN or infinite values, NaN rollbacks"),
    "exploding_gradients": (_rule_gradients, "gradient norms exploding (or G's vanishing)"),
    "d_wins": (_rule_d_wins, "the discriminator winning outright"),
    "vanishing_g_gradient": (_rule_vanishing_minimax, "G's gradient vanishing under the minimax cost"),
    "mode_collapse": (_rule_collapse, "previews losing diversity, toys losing or hopping between modes"),
    "oscillation": (_rule_oscillation, "D(x) cycling with no trend"),
    "critic_not_lipschitz": (_rule_lipschitz, "an unconstrained Wasserstein critic, or a weak penalty"),
    "stalled": (_rule_stalled, "the tracked quality measure no longer improving"),
    "skipped_lines": (_rule_log_lines, "lines of metrics.jsonl that are not records (skipped and counted)"),
}
RULE_IDS = ("non_finite", "exploding_gradients", "vanishing_gradients", "d_wins", "vanishing_g_gradient",
            "mode_collapse", "mode_hopping", "oscillation", "critic_not_lipschitz", "stalled", "skipped_lines", "healthy",
            "too_early")
