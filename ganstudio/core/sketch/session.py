"""What the Sketch area shows and decides, without Qt (an evented model, as napari's `Dims`).

`SketchSession` holds the loaded model's description, the mode (``eval`` / ``reference``), the seed,
the variant seeds and the chosen variant, the lock, the latent of unconditional models and the
latent-fit candidates, the numbering of render requests (so that the output never goes back to an
older picture), what the strip shows and whether the document changed since the last autosave. It
takes the decisions the area's widgets used to take: which part to render for a change (the chosen
variant alone, ``main``, or the whole strip, ``candidates``), what a seed change, a shuffle, a chosen
variant or a newly loaded model does. The strokes themselves live in the canvas (`SketchCanvas`).

Each change is announced on `session.events` (plain callbacks, in order, on the caller's thread); the
panels follow them and the area turns `render` and `fit` into work. Importing this module loads
neither torch nor Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ganstudio.core.events import EventGroup

N_VARIANTS = 4  # variants in the strip: reference-mode seeds, or the best latent fits
SEED_LIMIT = 2**31 - 1
MODES = ("eval", "reference")
DEFAULT_FIT_SETTINGS = {"n_starts": 16, "steps": 60}  # latent fit: random starts, Adam steps


class SketchEvents(EventGroup):
    """The events of a SketchSession (arguments in brackets).

    `loading(path)` a model is being opened; `model(info)` it has loaded (None: it failed, no model);
    `mode(mode)`, `seed(seed)` (also when choosing a variant or opening a document set it), `lock(on)`;
    `controls()` what can be used changed (after model, mode and lock); `chosen(index)` the variant at
    `index` of the strip is now the output; `variants_cleared()` the strip no longer holds variants of
    this drawing; `render(release, candidates)` draw the current sketch again (release: the pen was
    lifted, measure the latency; candidates: the whole strip where variants are wanted); `fit()` start
    fitting the latent to the strokes.
    """

    NAMES = ("loading", "model", "mode", "seed", "lock", "controls", "chosen", "variants_cleared", "render", "fit")


@dataclass(frozen=True)
class RenderPlan:
    """What to draw: `part` ("main" or "candidates") and either the variant `seeds` (translation) or
    the latent `z` (1, z_dim) float32 (unconditional models)."""

    part: str
    seeds: tuple[int, ...] = ()
    z: np.ndarray | None = None


def latent_of_seed(seed: int, z_dim: int) -> np.ndarray:
    """The starting latent of an unconditional model for a seed: (1, z_dim) float32 standard normal."""
    return np.random.default_rng(int(seed)).standard_normal((1, int(z_dim))).astype(np.float32)


def live_delay_ms(recent_render_ms: Sequence[float], minimum_ms: float) -> int:
    """How long the live preview waits while the pen moves: at least `minimum_ms`, and 1.5 times the
    median of the recent render times for slow models, so that the render thread is idle part of the
    time and the picture for a lifted pen rarely waits for a preview still being computed."""
    recent = sorted(recent_render_ms[-5:])
    slow = 1.5 * recent[len(recent) // 2] if recent else 0.0
    return int(max(minimum_ms, slow))


class SketchSession:
    """The Sketch area's state. `begin_load(path)` then `set_model(info)` (a `Generator.describe()` dict
    with input_kind, image_size, default_mode, stochastic, z_dim and path); the other methods mirror what
    the user does (set_mode, set_seed, set_locked, shuffle, choose_variant, document_changed, ...)."""

    def __init__(self, n_variants: int = N_VARIANTS) -> None:
        self.events = SketchEvents()
        self.n_variants = n_variants
        self.model_info: dict[str, Any] | None = None
        self.model_path: str | None = None  # the model asked for (set while it loads)
        self.mode = "eval"
        self.seed = 0  # the seed control: the chosen variant's seed, or the start latent's
        self.variant_seeds = list(range(n_variants))
        self.chosen = 0  # the chosen variant (translation)
        self.locked = False  # only the chosen variant is computed
        self.z_current: np.ndarray | None = None  # unconditional models: the latent shown
        self.fit_candidates: np.ndarray | None = None  # z of the strip's latent fits (N, z_dim)
        self.fit_settings = dict(DEFAULT_FIT_SETTINGS)
        self.auto_fit = True  # fit after every stroke
        self.variants_shown = 0  # pictures in the strip that belong to this model
        self.dirty = False  # changed since the last autosave
        self._requests = 0  # every render request is numbered ...
        self.shown_request = 0  # ... and the output never goes back to an older one

    # --- what the model allows ------------------------------------------------------------------------
    @property
    def latent(self) -> bool:
        """An unconditional generator: the strokes steer z."""
        return self.model_info is not None and self.model_info["input_kind"] == "latent"

    @property
    def translating(self) -> bool:
        """An image-to-image generator: the strokes are its input."""
        return self.model_info is not None and self.model_info["input_kind"] != "latent"

    @property
    def stochastic(self) -> bool:
        """Variants exist: a translating model with dropout or a latent input (z), in reference mode."""
        return self.translating and bool(self.model_info["stochastic"]) and self.mode == "reference"

    @property
    def wants_candidates(self) -> bool:
        """The strip of variants is computed (after the chosen one): variants exist and are not locked."""
        return self.stochastic and not self.locked

    # --- model ----------------------------------------------------------------------------------------
    def begin_load(self, path: str) -> None:
        self.model_path = str(path)
        self.model_info = None
        self.events.loading.emit(self.model_path)
        self.events.controls.emit()

    def set_model(self, info: dict[str, Any]) -> None:
        """A model has loaded: its default mode; for unconditional models the latent of the seed. The
        strip's pictures (another model's) are forgotten. Asks for the picture and its variants."""
        self.model_info = dict(info)
        mode = info.get("default_mode")
        self.mode = mode if mode in MODES else MODES[0]
        self.fit_candidates = None
        self.z_current = latent_of_seed(self.seed, info["z_dim"]) if self.latent else None
        self._clear_variants()
        self.events.model.emit(dict(self.model_info))
        self.events.mode.emit(self.mode)
        self._controls_changed()
        self.events.render.emit(False, True)

    def load_failed(self) -> None:
        self.model_info = None
        self.model_path = None
        self.events.model.emit(None)
        self._controls_changed()

    # --- settings -------------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if mode == self.mode:
            return
        self.mode = mode
        self.dirty = True
        self.events.mode.emit(mode)
        self._controls_changed()
        self.events.render.emit(False, True)

    def set_seed(self, seed: int) -> None:
        """The seed control changed: a new start latent (unconditional), or a new chosen variant."""
        seed = int(seed)
        self.seed = seed
        self.dirty = True
        self.events.seed.emit(seed)
        if self.latent:
            self.z_current = latent_of_seed(seed, self.model_info["z_dim"])
            self.events.render.emit(False, False)
        elif self.variant_seeds[self.chosen] != seed:
            self.variant_seeds[self.chosen] = seed
            self.events.render.emit(False, True)

    def set_locked(self, on: bool) -> None:
        self.locked = bool(on)
        self.events.lock.emit(self.locked)
        self._controls_changed()
        if not self.locked:
            self.events.render.emit(False, True)

    def shuffle(self, rng: np.random.Generator | None = None) -> None:
        """New seeds for the other variants (the chosen one stays)."""
        rng = rng if rng is not None else np.random.default_rng()
        for i in range(self.n_variants):
            if i != self.chosen:
                self.variant_seeds[i] = int(rng.integers(0, SEED_LIMIT))
        self.events.render.emit(False, True)

    def choose_variant(self, index: int) -> bool:
        """Make variant `index` of the strip the output; False when there is none to choose (no model,
        locked, or the strip does not hold it)."""
        if self.model_info is None:
            return False
        if self.latent:
            if self.fit_candidates is None or not 0 <= index < len(self.fit_candidates):
                return False
            self.z_current = self.fit_candidates[index:index + 1].copy()
            self.events.chosen.emit(index)
            return True
        if self.locked or not 0 <= index < self.variants_shown:
            return False
        self.chosen = index
        self.seed = self.variant_seeds[index]
        self.events.seed.emit(self.seed)
        self.events.chosen.emit(index)
        return True

    def adopt_document(self, seed: int, mode: str) -> None:
        """A saved or recovered document is shown: its seed becomes the chosen variant's, its mode the
        session's (when a model is loaded)."""
        self.seed = int(seed)
        self.variant_seeds[self.chosen] = self.seed
        self.events.seed.emit(self.seed)
        if self.model_info is not None and mode != self.mode:
            self.set_mode(mode)

    # --- drawing --------------------------------------------------------------------------------------
    def document_changed(self) -> None:
        """A stroke was finished, undone, cleared or a picture opened: the picture follows at once."""
        self.dirty = True
        if self.translating:
            self.events.render.emit(True, False)

    def stroke_finished(self) -> None:
        if self.latent and self.auto_fit:
            self.events.fit.emit()

    # --- render requests and results -----------------------------------------------------------------
    def plan(self, candidates: bool = False) -> RenderPlan | None:
        """What to render for the current sketch: the chosen variant ("main", batch 1), or with
        `candidates` and variants wanted the whole strip ("candidates"). None: nothing to render."""
        if self.model_info is None:
            return None
        if self.latent:
            return None if self.z_current is None else RenderPlan("main", z=self.z_current.copy())
        if candidates and self.wants_candidates:
            return RenderPlan("candidates", seeds=tuple(self.variant_seeds))
        return RenderPlan("main", seeds=(self.variant_seeds[self.chosen],))

    def next_request(self) -> int:
        """The number of a new render request."""
        self._requests += 1
        return self._requests

    def take_result(self, request: int | None) -> bool:
        """A result of request number `request` arrived: True when it is to be shown (not older than the
        picture on screen); it is then the one shown."""
        if request is None:
            return True
        if request < self.shown_request:
            return False
        self.shown_request = request
        return True

    def follow_with_variants(self, shown_version: int, newest_version: int) -> bool:
        """The chosen variant of the finished stroke (main `shown_version`) is on screen: are the other
        variants to be requested now? Only when they are wanted and no newer drawing was asked for."""
        return self.wants_candidates and shown_version == newest_version

    def note_variants_shown(self, count: int) -> None:
        self.variants_shown = int(count)

    def note_fit(self, z: np.ndarray) -> None:
        """A latent fit reported its best latents (N, z_dim), best first: the first is shown."""
        self.fit_candidates = np.asarray(z, np.float32)
        self.z_current = self.fit_candidates[:1].copy()
        self.variants_shown = len(self.fit_candidates)

    def fit_start(self) -> tuple[np.ndarray | None, int] | None:
        """The start of a latent fit: (the latent shown, or None, and the seed); None: not a latent model."""
        if not self.latent:
            return None
        return (None if self.z_current is None else self.z_current[0].copy()), self.seed

    # --- internals ------------------------------------------------------------------------------------
    def _clear_variants(self) -> None:
        self.variants_shown = 0
        self.events.variants_cleared.emit()

    def _controls_changed(self) -> None:
        if self.translating and not self.stochastic:
            self._clear_variants()  # no variants in this mode
        self.events.controls.emit()
