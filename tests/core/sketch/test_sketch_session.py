"""SketchSession without Qt: what each change asks to render, variants, the lock, seeds, unconditional
models' latents and latent fits, stale results, and what a newly loaded model resets."""

import subprocess
import sys

import numpy as np
import pytest

from ganstudio.core.sketch.session import N_VARIANTS, SketchSession, latent_of_seed, live_delay_ms

SKETCH = {"path": "/m/sketch.safetensors", "input_kind": "sketch", "image_size": 64, "default_mode": "eval",
          "stochastic": True, "z_dim": 0}
DCGAN = {"path": "/m/dcgan.safetensors", "input_kind": "latent", "image_size": 32, "default_mode": "eval",
         "stochastic": False, "z_dim": 8}


class Recorder:
    """Every event of a session, in order, as (name, args)."""

    def __init__(self, session: SketchSession):
        self.seen: list[tuple] = []
        for name in session.events.NAMES:
            session.events[name].connect(lambda *args, n=name: self.seen.append((n, *args)))

    def of(self, name: str) -> list[tuple]:
        return [e[1:] for e in self.seen if e[0] == name]

    def clear(self) -> None:
        self.seen.clear()


def loaded(info=SKETCH, mode=None) -> tuple[SketchSession, Recorder]:
    s = SketchSession()
    rec = Recorder(s)
    s.begin_load(info["path"])
    s.set_model(info)
    if mode:
        s.set_mode(mode)
    rec.clear()
    return s, rec


def test_importing_the_session_loads_neither_torch_nor_qt():
    code = ("import sys, ganstudio.core.sketch.session; "
            "print(sorted(m for m in ('torch', 'PySide6') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_loaded_model_sets_its_mode_and_asks_for_the_picture_and_its_variants():
    s = SketchSession()
    rec = Recorder(s)
    s.begin_load("/m/sketch.safetensors")
    assert s.model_path == "/m/sketch.safetensors" and s.model_info is None and rec.of("loading")
    s.set_model({**SKETCH, "default_mode": "reference"})
    assert s.mode == "reference" and rec.of("mode") == [("reference",)]
    assert rec.of("render") == [(False, True)] and rec.of("variants_cleared")
    assert s.plan(candidates=True).part == "candidates"
    assert s.plan(candidates=True).seeds == tuple(range(N_VARIANTS))
    assert not s.dirty  # loading a model does not change the document


def test_eval_mode_and_the_lock_render_the_chosen_variant_alone():
    s, _ = loaded()
    assert not s.wants_candidates
    plan = s.plan(candidates=True)
    assert plan.part == "main" and plan.seeds == (0,)  # deterministic: one picture, batch 1
    s.set_mode("reference")
    assert s.wants_candidates and s.dirty
    s.set_locked(True)
    assert not s.wants_candidates and s.plan(candidates=True) == s.plan()
    assert s.plan().seeds == (s.variant_seeds[s.chosen],)


def test_a_deterministic_model_has_no_variants_in_any_mode():
    s, rec = loaded({**SKETCH, "stochastic": False})
    s.set_mode("reference")
    assert not s.stochastic and rec.of("variants_cleared") and s.plan(candidates=True).part == "main"


def test_unlocking_asks_for_the_variants_again_and_locking_does_not():
    s, rec = loaded(mode="reference")
    s.set_locked(True)
    assert rec.of("lock") == [(True,)] and rec.of("render") == []
    s.set_locked(False)
    assert rec.of("render") == [(False, True)]


def test_a_finished_stroke_is_rendered_at_once_and_marks_the_document_changed():
    s, rec = loaded(mode="reference")
    s.dirty = False
    s.document_changed()
    assert s.dirty and rec.of("render") == [(True, False)]  # the chosen variant first, as a release
    s.stroke_finished()
    assert rec.of("fit") == []  # translating models are not fitted


def test_variants_follow_the_chosen_one_only_for_the_newest_drawing():
    s, _ = loaded(mode="reference")
    assert s.follow_with_variants(3, 3)
    assert not s.follow_with_variants(3, 4)  # a newer drawing was asked for: its variants come later
    s.set_locked(True)
    assert not s.follow_with_variants(3, 3)


def test_the_seed_is_the_chosen_variants_seed():
    s, rec = loaded(mode="reference")
    s.set_seed(5)
    assert s.variant_seeds[s.chosen] == 5 and rec.of("render") == [(False, True)] and s.dirty
    rec.clear()
    s.set_seed(5)
    assert rec.of("render") == []  # the same seed: nothing new to draw


def test_choosing_a_variant_takes_its_seed_only_when_the_strip_holds_it():
    s, rec = loaded(mode="reference")
    assert not s.choose_variant(2)  # nothing in the strip yet
    s.note_variants_shown(N_VARIANTS)
    assert s.choose_variant(2)
    assert s.chosen == 2 and s.seed == s.variant_seeds[2] and rec.of("chosen") == [(2,)]
    assert rec.of("seed") == [(2,)]
    s.set_locked(True)
    assert not s.choose_variant(1) and s.chosen == 2


def test_shuffle_keeps_the_chosen_variant():
    s, rec = loaded(mode="reference")
    s.note_variants_shown(N_VARIANTS)
    s.choose_variant(1)
    before = list(s.variant_seeds)
    s.shuffle(np.random.default_rng(3))
    assert s.variant_seeds[1] == before[1]
    assert all(a != b for i, (a, b) in enumerate(zip(s.variant_seeds, before)) if i != 1)
    assert rec.of("render")[-1] == (False, True)


def test_a_document_brings_its_seed_and_mode():
    s, rec = loaded()
    s.adopt_document(9, "reference")
    assert s.seed == 9 and s.variant_seeds[s.chosen] == 9 and s.mode == "reference"
    assert rec.of("mode") == [("reference",)] and rec.of("render") == [(False, True)]


def test_unconditional_models_draw_the_latent_of_the_seed_and_fit_after_strokes():
    s, rec = loaded(DCGAN)
    assert s.latent and not s.translating
    assert np.array_equal(s.z_current, latent_of_seed(0, 8)) and s.z_current.shape == (1, 8)
    plan = s.plan(candidates=True)
    assert plan.part == "main" and np.array_equal(plan.z, s.z_current)
    s.set_seed(4)
    assert np.array_equal(s.z_current, latent_of_seed(4, 8)) and rec.of("render") == [(False, False)]
    rec.clear()
    s.document_changed()
    assert rec.of("render") == [] and s.dirty  # the fit, not a translation, follows the strokes
    s.stroke_finished()
    assert rec.of("fit") == [()]
    s.auto_fit = False
    s.stroke_finished()
    assert len(rec.of("fit")) == 1
    z_prev, seed = s.fit_start()
    assert np.array_equal(z_prev, s.z_current[0]) and seed == 4


def test_a_latent_fit_fills_the_strip_and_its_candidates_can_be_chosen():
    s, rec = loaded(DCGAN)
    z = np.arange(4 * 8, dtype=np.float32).reshape(4, 8)
    s.note_fit(z)
    assert np.array_equal(s.z_current, z[:1]) and s.variants_shown == 4
    assert s.choose_variant(2) and np.array_equal(s.z_current, z[2:3])
    assert not s.choose_variant(4)


def test_a_new_model_forgets_the_old_ones_latent_and_fits():
    s, _ = loaded(DCGAN)
    s.note_fit(np.ones((4, 8), np.float32))
    s.begin_load(SKETCH["path"])
    s.set_model(SKETCH)
    assert s.z_current is None and s.fit_candidates is None and s.variants_shown == 0
    assert not s.choose_variant(0)


def test_a_failed_load_leaves_no_model():
    s, rec = loaded()
    s.begin_load("/m/broken.pth")
    s.load_failed()
    assert s.model_info is None and s.model_path is None and rec.of("model")[-1] == (None,)
    assert s.plan() is None


def test_older_results_never_replace_a_newer_picture():
    s, _ = loaded()
    first, second = s.next_request(), s.next_request()
    assert s.take_result(second)
    assert not s.take_result(first)
    assert s.take_result(second) and s.take_result(None)


def test_unknown_modes_are_refused():
    s, _ = loaded()
    with pytest.raises(ValueError, match="reference"):
        s.set_mode("train")


def test_the_live_preview_waits_longer_for_slow_models():
    assert live_delay_ms([], 40) == 40
    assert live_delay_ms([10, 12, 11], 40) == 40
    assert live_delay_ms([100, 300, 200, 5, 400, 200], 40) == 300  # 1.5 x the median of the last five
