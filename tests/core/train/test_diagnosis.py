"""The training doctor on metrics files with known patterns: each rule fires on its pattern, at the step
where the pattern begins, and stays quiet on healthy noise (no false alarms)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ganstudio.core import config as C
from ganstudio.core.errors import GanStudioError
from ganstudio.core.imaging import tile_pictures
from ganstudio.core.train import diagnosis as D

N = 200  # logged steps
STEPS = np.arange(1, N + 1) * 10


def healthy(seed: int = 0, n: int = N) -> dict[str, np.ndarray]:
    """Noise around what the toy presets log (toy-ring: D(x) ~0.6, D(G(z)) ~0.4, D loss ~1.2)."""
    rng = np.random.default_rng(seed)
    return {
        "step": (np.arange(1, n + 1) * 10).astype(float),
        "d_real": 0.6 + 0.05 * rng.standard_normal(n), "d_fake": 0.4 + 0.05 * rng.standard_normal(n),
        "d_loss": 1.2 + 0.1 * rng.standard_normal(n), "g_loss": 1.0 + 0.1 * rng.standard_normal(n),
        "grad_norm_d": np.abs(1 + 0.3 * rng.standard_normal(n)), "grad_norm_g": np.abs(1 + 0.3 * rng.standard_normal(n)),
        "lr_g": np.full(n, 2e-4), "lr_d": np.full(n, 2e-4),
    }


def cfg(**sets) -> dict:
    c = C.preset("toy-ring")
    return c.with_overrides([f"{k}={v}" for k, v in sets.items()]).to_dict()


def run(columns, config=None, **kw) -> list[D.Finding]:
    return D.diagnose(D.RunEvidence(columns=columns, config=config if config is not None else cfg(), **kw))


def rules(findings) -> set[str]:
    return {f.rule for f in findings if f.severity in ("error", "warning")}


def test_healthy_noise_is_healthy_and_says_what_was_checked():
    for seed in range(5):
        found = run(healthy(seed))
        assert rules(found) == set(), [f.line() for f in found]
        assert found[-1].rule == "healthy"
        assert "D(x), D(G(z))" in found[-1].evidence and "gradient norm" in found[-1].evidence


def test_too_early():
    found = run({k: v[:3] for k, v in healthy().items()})
    assert [f.rule for f in found] == ["too_early"]


def test_discriminator_wins_from_the_step_it_began():
    cols = healthy()
    wins = STEPS > 1200
    cols["d_real"] = np.where(wins, 0.995, cols["d_real"])
    cols["d_fake"] = np.where(wins, 0.004, cols["d_fake"])
    cols["d_loss"] = np.where(wins, 0.01, cols["d_loss"])
    cols["g_loss"] = np.where(wins, 5.0, cols["g_loss"])
    found = run(cols)
    f = next(f for f in found if f.rule == "d_wins")
    assert f.step == 1210 and f.severity == "warning"
    assert f.numbers["g_loss"] > f.numbers["g_loss_before"]
    keys = {s.key: s for s in f.suggestions}
    assert keys["optim.lr_d"].live and not keys["tricks.label_smoothing"].live
    assert keys["optim.lr_d"].value < 5e-4  # lower than the run's


def test_a_short_spell_of_d_winning_is_not_sustained():
    cols = healthy()
    spell = (STEPS > 1000) & (STEPS <= 1040)  # 4 logged steps of 200
    cols["d_real"][spell], cols["d_fake"][spell], cols["d_loss"][spell] = 0.99, 0.01, 0.02
    assert "d_wins" not in rules(run(cols))


def test_vanishing_generator_gradient_only_with_the_minimax_cost():
    cols = healthy()
    cols["d_fake"] = np.where(STEPS > 500, 0.02, cols["d_fake"])
    found = run(cols, cfg(**{"objective.loss": "minimax"}))
    f = next(f for f in found if f.rule == "vanishing_g_gradient")
    assert f.step == 510
    assert [s.as_set() for s in f.suggestions] == ["objective.loss=nonsaturating"]
    assert "vanishing_g_gradient" not in rules(run(cols))  # the preset's non-saturating cost


def test_oscillation_but_not_noise_or_a_trend():
    cols = healthy()
    cols["d_real"] = 0.5 + 0.3 * np.sin(2 * np.pi * STEPS / 300) + 0.02 * np.random.default_rng(1).standard_normal(N)
    f = next(f for f in run(cols) if f.rule == "oscillation")
    assert f.numbers["ptp"] > 0.4 and f.numbers["crossings"] >= 6
    trend = healthy()
    trend["d_real"] = np.linspace(0.9, 0.5, N)  # converging, not cycling
    assert "oscillation" not in rules(run(trend))


def test_exploding_gradient_norm_with_its_first_step():
    cols = healthy()
    cols["grad_norm_d"] = np.where(STEPS >= 1500, 5e4, cols["grad_norm_d"])
    f = next(f for f in run(cols) if f.rule == "exploding_gradients")
    assert f.step == 1500 and f.metric == "grad_norm_d" and f.numbers["peak"] == 5e4
    assert {s.key for s in f.suggestions} >= {"optim.lr_g", "optim.lr_d"}


def test_vanishing_generator_gradient_norm():
    cols = healthy()
    cols["grad_norm_g"] = np.where(STEPS > 800, 1e-7, cols["grad_norm_g"])
    f = next(f for f in run(cols) if f.rule == "vanishing_gradients")
    assert f.step == 810


def test_non_finite_values_from_records_and_rollbacks():
    records = [{"step": int(s), "d_loss": 1.0, "g_loss": 1.0, "grad_norm_d": 1.0} for s in STEPS[:20]]
    records[12]["grad_norm_d"] = None  # the writer's NaN
    cols, non_finite, rollbacks = D.columns_of_records(records)
    assert non_finite == {"grad_norm_d": 130} and rollbacks == [] and math.isnan(cols["grad_norm_d"][12])
    assert "lr_g" not in non_finite  # a metric absent from a record is not a NaN
    ev = D.evidence_of(records, cfg(), [])
    f = next(f for f in D.diagnose(ev) if f.rule == "non_finite")
    assert f.step == 130 and f.severity == "error"
    back = records[:10] + [{"step": 60, "d_loss": 1.0, "g_loss": 1.0}] + records[10:]
    ev = D.evidence_of(back, cfg(), [])
    assert ev.rollbacks == [(100, 60)]
    assert any(f.rule == "non_finite" and "Step 60 was logged again after step 100" in f.evidence
               for f in D.diagnose(ev))


def test_wgan_without_any_constraint():
    cols = healthy()
    cols["critic_gap"] = np.linspace(0.1, 50, N)
    free = cfg(**{"objective.loss": "wgan-gp", "objective.gp_weight": 0, "objective.r1_gamma": 0})
    f = next(f for f in run(cols, free) if f.rule == "critic_not_lipschitz")
    assert f.severity == "error" and f.numbers["critic_gap_last"] == 50
    gp = cfg(**{"objective.loss": "wgan-gp", "objective.r1_gamma": 0})
    ok = dict(cols, gradient_penalty=np.full(N, 10 * 0.1 ** 2))  # RMS(|grad| - 1) = 0.1
    assert "critic_not_lipschitz" not in rules(run(ok, gp))
    bad = dict(cols, gradient_penalty=np.full(N, 10 * 0.8 ** 2))  # 0.8: far from 1-Lipschitz
    f = next(f for f in run(bad, gp) if f.rule == "critic_not_lipschitz")
    assert f.numbers["rms_deviation"] == pytest.approx(0.8)


def test_stalled_points_at_the_best_checkpoint():
    evals = [{"step": s, "kind": "eval", "hq_fraction": v}
             for s, v in zip(range(200, 2001, 200), [0.1, 0.5, 0.8, 0.79, 0.78, 0.8, 0.77, 0.76, 0.78, 0.79])]
    found = run(healthy(), evals=evals, best={"step": 600, "best_metric": "hq_fraction", "best_value": 0.8})
    f = next(f for f in found if f.rule == "stalled")
    assert f.severity == "info" and f.step == 600 and "best.safetensors" in f.meaning
    assert found[-1].rule == "healthy"  # stalled is advice, not a warning
    rising = [dict(e, hq_fraction=0.1 * i) for i, e in enumerate(evals)]
    assert all(f.rule != "stalled" for f in run(healthy(), evals=rising))


def test_preview_diversity_closed_forms():
    assert D.preview_diversity(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    black, white = np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)
    grid = tile_pictures(np.stack([black, white]))
    assert D.preview_diversity(grid, n=2, image_size=4) == pytest.approx(1.0)  # RMS pixel difference
    same = tile_pictures(np.stack([white] * 9))
    assert D.preview_diversity(same, n=9, image_size=4) == pytest.approx(0.0)
    assert D.preview_diversity(same, n=9, image_size=8) is None  # not this grid's layout


def test_collapse_of_preview_diversity():
    div = [(s, 1.0) for s in range(100, 1100, 100)] + [(s, 0.2) for s in range(1100, 1600, 100)]
    f = next(f for f in run(healthy(), diversity=div, real_diversity=1.1) if f.rule == "mode_collapse")
    assert f.step == 1100 and f.numbers["real"] == 1.1
    steady = [(s, 1.0 + 0.05 * (s % 300 == 0)) for s in range(100, 1600, 100)]
    assert "mode_collapse" not in rules(run(healthy(), diversity=steady, real_diversity=1.1))


def _ring_points(modes, n=512, seed=0):
    means, std = D.toy_mixture(cfg())
    rng = np.random.default_rng(seed)
    idx = rng.choice(list(modes), size=n)
    return means[idx] + std * rng.standard_normal((n, 2))


def test_toy_modes_captured_dropping_and_hopping():
    config = cfg()
    assert D.captured_modes(_ring_points(range(8)), *D.toy_mixture(config)) == frozenset(range(8))
    spread = [(s, {"points": _ring_points(range(8), seed=s)}) for s in range(100, 600, 100)]
    lost = [(s, {"points": _ring_points([3], seed=s)}) for s in range(600, 1000, 100)]
    p = D.measure_previews(spread + lost, config)
    assert p["n_modes"] == 8 and [len(m) for _s, m in p["modes"]] == [8] * 5 + [1] * 4
    found = run(healthy(), config, **p)
    f = next(f for f in found if f.rule == "mode_collapse")
    assert f.step == 600
    hops = [(s, {"points": _ring_points([(s // 100) % 8], seed=s)}) for s in range(100, 1000, 100)]
    found = run(healthy(), config, **D.measure_previews(hops, config))
    assert "mode_hopping" in rules(found)
    grow = [(s, {"points": _ring_points(range(1 + s // 200), seed=s)}) for s in range(100, 1600, 200)]
    assert "mode_hopping" not in rules(run(healthy(), config, **D.measure_previews(grow, config)))


def test_suggestions_are_settings_that_validate():
    cols = healthy()
    cols["grad_norm_d"] = np.where(STEPS >= 1500, 5e4, cols["grad_norm_d"])
    cols["d_real"] = 0.5 + 0.3 * np.sin(2 * np.pi * STEPS / 300)
    found = run(cols, diversity=[(s, 1.0) for s in range(100, 1100, 100)] + [(1100, 0.1), (1200, 0.1), (1300, 0.1)])
    sets = [s.as_set() for f in found for s in f.suggestions]
    assert len(sets) > 5
    for text in sets:
        C.preset("toy-ring").with_overrides([text])  # raises ConfigError when --set would refuse it


def test_diagnose_folder_reads_a_run_folder(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(cfg()))
    cols = healthy()
    with open(tmp_path / "metrics.jsonl", "w") as fh:
        for i in range(N):
            fh.write(json.dumps({k: float(v[i]) for k, v in cols.items()} | {"step": int(cols["step"][i])}) + "\n")
        fh.write("not a record\n")  # a line a hand edit broke: skipped and counted
        fh.write('{"step": 9999, "d_lo')  # a torn last line: still being written, read on the next poll
    found = D.diagnose_folder(tmp_path)
    assert found[-1].rule == "healthy" and "200 logged steps" in found[-1].evidence
    skipped = next(f for f in found if f.rule == "skipped_lines")
    assert skipped.severity == "info" and skipped.numbers["bad_lines"] == 1
    with pytest.raises(GanStudioError, match="does not exist"):
        D.diagnose_folder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanStudioError, match="not a run folder"):
        D.diagnose_folder(tmp_path / "empty")


def test_json_form_round_trips():
    cols = healthy()
    cols["grad_norm_d"] = np.where(STEPS >= 1500, 5e4, cols["grad_norm_d"])
    data = json.loads(json.dumps([f.to_json() for f in run(cols)]))
    assert data[0]["rule"] == "exploding_gradients" and data[0]["suggestions"][0]["set"].startswith("optim.lr_g=")
    assert data[0]["suggestions"][0]["live"] is True


def test_help_text_names_every_threshold():
    text = D.help_text()
    for value in (D.D_WINS_PROB, D.VANISHING_D_FAKE, D.OSC_PTP, D.GP_DEVIATION):
        assert str(value) in text


def test_a_generator_collapsed_from_the_start():
    div = [(s, 0.01) for s in range(100, 800, 100)]
    f = next(f for f in run(healthy(), diversity=div, real_diversity=2.5) if f.rule == "mode_collapse")
    assert f.step == 100 and "almost no diversity" in f.title
    early = [(s, 0.3) for s in range(100, 500, 100)]  # a young run, still small: 4 previews
    assert "mode_collapse" not in rules(run(healthy(), diversity=early, real_diversity=2.5))


def test_a_spell_of_d_winning_that_the_run_got_over():
    """DCGAN on digits: D wins for the first ~100 steps, then G catches up (the preset, measured)."""
    cols = healthy()
    spell = (STEPS > 100) & (STEPS <= 100 + 10 * D.sustain_length(N))  # one sustained length, then over
    cols["d_real"][spell], cols["d_fake"][spell], cols["d_loss"][spell] = 0.98, 0.03, 0.06
    assert "d_wins" not in rules(run(cols))
    long = (STEPS > 100) & (STEPS <= 100 + 20 * D.sustain_length(N) + 10)  # twice as long: told, as info
    cols["d_real"][long], cols["d_fake"][long], cols["d_loss"][long] = 0.98, 0.03, 0.06
    f = next(f for f in run(cols) if f.rule == "d_wins")
    assert f.severity == "info" and f.step == 110 and "caught up" in f.evidence


def test_the_doctor_loads_neither_torch_nor_qt():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from ganstudio.core.train import diagnosis as D; "
            "D.diagnose(D.RunEvidence(columns={'step': np.arange(1., 11.), 'd_real': np.full(10, .6)}, "
            "config={'objective': {'loss': 'nonsaturating'}})); "
            "print(sorted(m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _column_by_hand(records, key):
    out = []
    for r in records:
        v = r.get(key)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e308
        out.append(float(v) if ok else math.nan)
    return np.array(out)


def test_columns_of_mixed_records_are_each_key_read_record_by_record():
    """Records of several shapes (log steps, eval steps, a resumed run's new keys, a hand-edited line): each
    column equals the key read from every record in turn, NaN where it is missing, null or not a number."""
    rng = np.random.default_rng(3)
    records = []
    for i in range(600):
        r = {"step": i, "d_loss": float(rng.normal())}
        if i % 7 == 0:
            r["kind"] = "scalars"
            r["sliced_w"] = float(rng.random())
        if i % 11 == 0:
            r["g_loss"] = None
        if i > 400:
            r = {"g_loss": float(rng.normal()), **r}  # another key order: another shape
        records.append(r)
    records[50]["d_loss"] = "0.3"  # a string
    records[51]["d_loss"] = [1, 2]
    records[52]["d_loss"] = 10 ** 400  # an int no float holds
    records.append({"kind": "scalars"})  # nothing but the kind
    cols, _non_finite, _rollbacks = D.columns_of_records(records)
    assert list(cols) == ["step", "d_loss", "sliced_w", "g_loss"]  # first seen first; "kind" is no column
    for key, col in cols.items():
        np.testing.assert_array_equal(col, _column_by_hand(records, key), err_msg=key)
