"""What the Explore area shows, and the maths on it, without Qt (an evented model, as napari's `Dims`).

`ExploreState` holds the explored model's description, the seeded 16-sample grid (seed, truncation,
class), the selection (its base latent, label and origin), the offsets along principal directions and
of raw z coordinates, the interpolation keyframes and path, the arithmetic groups and result, and the
session's bookmarks. Each change is announced on `state.events`: plain callbacks, called in order on
the caller's thread. The GUI's panels listen and show; the area turns the events named after render
parts (`RENDER_PARTS`) into render requests of `batch(part)`. Everything here is numpy and plain values.

StyleGAN models (a model info with `num_ws`) also have: truncation "w" (psi pulls w toward w_avg at render
time, `w_psi`), style mixing (`set_mixing`: the coarse, middle or fine layers take the styles of a second
latent drawn from `mix_seed`), principal directions in W (GANSpace's PCA of w) applied to a layer range
(`set_direction_layers`), all sent with the view as a `StyleEdit`; bookmarks store z with psi and that edit.

Importing this module loads neither torch nor Qt (the app builds its areas before the engine has
loaded): `space` and `bookmarks`, which need torch, are imported when first used.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.core.errors import GanStudioError
from ganstudio.core.events import Event
from ganstudio.core.generators.style_edit import StyleEdit, layer_ranges

GRID_SIZE = 16  # samples in the grid, drawn in one batched pass
GRID_COLUMNS = 4
SLIDER_UNITS = 100  # offsets move in steps of 1/SLIDER_UNITS (0.01 std, or 0.01 in z)
DIRECTION_RANGE = 3.0  # direction offsets span +-3 standard deviations
RAW_RANGE = 4.0  # raw z coordinates span [-4, 4]
TRUNCATION_RANGE = (0.1, 3.0)  # t (resample) or psi (scale), in steps of 0.01
TRUNCATION_DEFAULTS = {"resample": 1.0, "scale": 0.7, "w": 0.7}  # a sensible starting value for each mode
W_TRUNCATION = "w"  # StyleGAN: psi toward w_avg at render time (z is drawn plainly)
W_PSI_RANGE = (0.0, 2.0)
DIRECTION_METHODS = ("ganspace", "sefa")
INTERPOLATION_MODES = ("slerp", "lerp")
INTERPOLATION_SPACES = ("z", "w")  # w: a StyleGAN's keyframes joined in W (the strip's ws lerped there)
STEPS_RANGE = (1, 60)  # frames from one keyframe to the next
ARITH_VARIATIONS = 9  # the result and eight noisy neighbours
ARITH_NOISE = 0.25
GROUPS = ("A", "B", "C")
RENDER_PARTS = ("grid", "view", "strip", "keys", "groups", "arith")
SEED_LIMIT = 2**31 - 1

Member = tuple[np.ndarray, "int | None"]  # a latent and its class label (None: unconditional)
Batch = tuple[np.ndarray, "list[int] | None"]  # latents (N, z_dim) float32 and their labels


class ExploreEvents:
    """The events of an ExploreState (arguments in brackets).

    Settings: `model(info)` a new model (everything else was reset), `seed(seed)`, `truncation()` (also
    a setting the model refused: the widgets show what was asked), `class_choice(k)`, `style()` the
    mixing or the directions' layer range changed (StyleGAN).
    Selection: `selection()` a new one, `offsets(k)` direction offset k changed (None: all),
    `raw(j)` coordinate j of the selection edited, `directions()` the principal directions arrived,
    `frame(i)` the current interpolation frame, `bookmarks(entry)` a bookmark joined the list.
    Render parts (what to draw changed; `batch(part)` is the new content, None for nothing):
    `grid()`, `view()` (also the caption), `strip()` (also the path settings), `keys()`, `groups()`, `arith()`.
    """

    NAMES = ("model", "seed", "truncation", "class_choice", "style", "selection", "offsets", "raw", "directions", "frame",
             "bookmarks", *RENDER_PARTS)

    def __init__(self) -> None:
        for name in self.NAMES:
            setattr(self, name, Event(name))

    def __getitem__(self, name: str) -> Event:
        return getattr(self, name)


def _ticks(value: float, limit: float) -> int:
    """A slider position: value in steps of 1/SLIDER_UNITS, within +-limit."""
    bound = int(limit * SLIDER_UNITS)
    return max(-bound, min(bound, int(round(float(value) * SLIDER_UNITS))))


class ExploreState:
    """The Explore area's state. Call `set_model(info)` (a `Generator.describe()` dict with at least
    path, sha256, name, source, use_ema, z_dim and n_classes) before the rest; the methods mirror what
    the user does (set_seed, select_cell, set_direction, add_keyframe, add_to_group, save_bookmark, ...)."""

    def __init__(self) -> None:
        self.events = ExploreEvents()
        self.model_info: dict[str, Any] | None = None
        # grid
        self.seed = 0
        self.truncation_mode = "off"  # the setting as asked for ...
        self.truncation_value = 1.0
        self.truncation = None  # ... and the core.latent.space.Truncation in use (None until a model or a setting)
        self.class_choice: int | None = None  # None: mixed (cell i gets class i % n_classes)
        self.grid_z: np.ndarray | None = None
        self.grid_labels: list[int] | None = None
        self.grid_origin = "seed"
        self.shown_grid_z: np.ndarray | None = None  # what the grid on screen was drawn from
        self.shown_grid_labels: list[int] | None = None
        # selection
        self.sel_index: int | None = None
        self.sel_base: np.ndarray | None = None
        self.sel_label: int | None = None
        self.sel_origin = ""
        self.directions = None  # core.latent.directions.PrincipalDirections
        self.alphas = np.zeros(0, np.float32)  # offset along each direction, in its standard deviations
        self.shown_view_z: np.ndarray | None = None  # what the large view on screen was drawn from
        self.shown_view_label: int | None = None
        # interpolation
        self.keyframes: list[Member] = []
        self.interp_mode = "slerp"
        self.interp_space = "z"
        self.steps = 8
        self.frames_z: np.ndarray | None = None
        self.frames_labels: list[int] | None = None
        self.current_frame = 0
        # arithmetic, bookmarks
        self.groups: dict[str, list[Member]] = {g: [] for g in GROUPS}
        self.arith_z: np.ndarray | None = None
        self.arith_labels: list[int] | None = None
        self.bookmarks: list[dict[str, Any]] = []  # newest first: path, latents, name, what
        self.pending_offsets: dict[int, float] = {}  # remembered offsets, applied when the directions arrive
        # StyleGAN: psi in W, style mixing, the layers the W directions move
        self.w_psi = 1.0
        self.mix_seed: int | None = None  # None: no mixing
        self.mix_range = "fine"
        self.direction_layers = "all"
        self.direction_method = "ganspace"  # or "sefa" (closed form), StyleGAN only
        self.sel_style: StyleEdit | None = None  # a bookmark's edit, kept until the user edits the view
        self.sel_ws: np.ndarray | None = None  # a projected photo's styles (num_ws, w_dim): they replace mapping(z)
        self.sel_path: tuple | None = None  # an interpolation frame in W: (keys z, their classes, place on the path)
        self.shown_view_psi, self.shown_view_style = 1.0, None
        self.shown_grid_psi = 1.0

    # --- model ------------------------------------------------------------------------------------------
    def set_model(self, info: dict[str, Any]) -> None:
        """A new model: its directions, offsets, keyframes, groups and shown view are forgotten; the
        seed and truncation stay. Call resample_grid() next to fill the grid."""
        from ganstudio.core.latent.space import Truncation

        self.model_info = dict(info)
        self.truncation = self.truncation or Truncation()
        self.class_choice = None
        self.directions = None
        self.alphas = np.zeros(0, np.float32)
        self.keyframes = []
        self.frames_z = None
        self.groups = {g: [] for g in GROUPS}
        self.arith_z = None
        self.shown_view_z = None
        self.mix_seed, self.sel_style = None, None
        if not self.is_stylegan and self.truncation_mode == W_TRUNCATION:
            self.truncation_mode = "off"
        if not self.is_stylegan:
            self.interp_space = "z"
        if self.mix_range not in self.layer_ranges:
            self.mix_range = "fine" if "fine" in self.layer_ranges else "all"
        if self.direction_layers not in self.layer_ranges:
            self.direction_layers = "all"
        if not self.is_stylegan:
            self.direction_method = "ganspace"
        self.events.model.emit(self.model_info)

    @property
    def z_dim(self) -> int:
        return int(self.model_info["z_dim"]) if self.model_info else 0

    @property
    def is_stylegan(self) -> bool:
        """A model of per-layer styles: psi in W, style mixing and directions in W apply."""
        return bool(self.model_info and self.model_info.get("num_ws"))

    @property
    def layer_ranges(self) -> dict[str, tuple[int, int]]:
        """{"all", "coarse", "middle", "fine": (start, stop)} of the StyleGAN's ws ({} for other models)."""
        if not self.is_stylegan:
            return {}
        res = self.model_info.get("w_resolutions") or [0] * int(self.model_info["num_ws"])
        return layer_ranges(res)

    @property
    def psi(self) -> float:
        """The truncation psi sent with every render request (1 unless the truncation is "w")."""
        return self.w_psi if self.truncation_mode == W_TRUNCATION else 1.0

    @property
    def n_classes(self) -> int:
        return int(self.model_info.get("n_classes", 0) or 0) if self.model_info else 0

    def labels(self, label: int | None, n: int = 1) -> list[int] | None:
        """n copies of one class label for the model (None for unconditional models)."""
        if not self.n_classes:
            return None
        return [int(label if label is not None else 0)] * n

    def label_list(self, labels: list[int | None]) -> list[int] | None:
        if not self.n_classes:
            return None
        return [int(lab or 0) for lab in labels]

    def grid_labels_for(self, n: int) -> list[int] | None:
        """The class of each grid cell: the chosen class, or (mixed) cell i gets class i % n_classes."""
        if not self.n_classes:
            return None
        if self.class_choice is None:
            return [i % self.n_classes for i in range(n)]
        return [int(self.class_choice)] * n

    # --- grid -------------------------------------------------------------------------------------------
    def set_seed(self, seed: int) -> None:
        self.seed = int(seed)
        self.events.seed.emit(self.seed)
        if self.model_info is not None:
            self.resample_grid(select=self._keep_cell())

    def reseed(self) -> int:
        """A new random seed, never the current one; returns it."""
        new = secrets.randbelow(SEED_LIMIT)
        while new == self.seed:
            new = secrets.randbelow(SEED_LIMIT)
        self.set_seed(new)
        return new

    def set_class(self, k: int | None) -> None:
        """None: mixed classes; k: every grid sample (and the selection) of class k."""
        self.class_choice = None if k is None else int(k)
        self.events.class_choice.emit(self.class_choice)
        if not self.n_classes:
            return
        n = len(self.grid_z) if self.grid_z is not None else GRID_SIZE
        self.grid_labels = self.grid_labels_for(n)
        self.events.grid.emit()
        if k is not None:
            self.sel_label = int(k)
        elif self.sel_index is not None:
            self.sel_label = self.grid_labels[self.sel_index]
        self._view_changed()
        self._update_path()
        self._update_arithmetic()

    def set_truncation(self, mode: str, value: float | None = None) -> None:
        """Truncate the grid's samples: mode off, resample (|z| > value drawn again) or scale (z * value);
        value None keeps the last one. A value the mode refuses raises GanStudioError (the truncation in
        use stays); an unknown mode raises ValueError."""
        from ganstudio.core.latent.space import TRUNCATION_MODES, Truncation

        if mode == W_TRUNCATION:
            if self.model_info is not None and not self.is_stylegan:
                raise GanStudioError(f"{self.model_info.get('name', 'this model')} is no StyleGAN: it truncates z, not w.")
            self.truncation_mode = mode
            if value is not None:
                low, high = W_PSI_RANGE
                self.w_psi = self.truncation_value = float(f"{min(max(float(value), low), high):.2f}")
            self.w_psi = self.truncation_value
            self.truncation = Truncation()  # z is drawn plainly; psi applies in W when rendering
            self.events.truncation.emit()
            if self.model_info is not None:
                self.resample_grid(select=self._keep_cell())
            return
        if mode not in TRUNCATION_MODES:
            raise ValueError(f"unknown truncation mode {mode!r}")
        self.truncation_mode = mode
        if value is not None:
            low, high = TRUNCATION_RANGE
            self.truncation_value = float(f"{min(max(float(value), low), high):.2f}")
        self.events.truncation.emit()
        self.truncation = Truncation(mode, self.truncation_value if mode != "off" else 1.0)
        if self.model_info is not None:
            self.resample_grid(select=self._keep_cell())

    def _keep_cell(self) -> int:
        return self.sel_index if self.sel_index is not None else 0

    def resample_grid(self, select: int | None = None) -> None:
        """Draw the grid from the seed (as `ganstudio sample --seed` does); select cell `select` keeping
        the direction offsets."""
        from ganstudio.core.latent.space import sample_latents

        self.grid_origin = "seed"
        self.grid_z = sample_latents(GRID_SIZE, self.z_dim, self.seed, self.truncation)
        self.grid_labels = self.grid_labels_for(GRID_SIZE)
        self.events.grid.emit()
        if select is not None:
            self.select_cell(min(select, GRID_SIZE - 1), keep_offsets=True)

    def set_grid_latents(self, z: np.ndarray, labels: list[int] | None = None, origin: str = "bookmark") -> None:
        """Show given latents in the grid (a bookmark of several latents) and select the first."""
        self.grid_origin = origin
        self.grid_z = np.asarray(z, np.float32)
        self.grid_labels = labels if labels is not None else self.grid_labels_for(len(self.grid_z))
        self.events.grid.emit()
        self.select_cell(0)

    def group_badges(self) -> dict[int, str]:
        """{grid cell: the groups it is in, e.g. "AC"} for the cells that are in an arithmetic group."""
        badges: dict[int, str] = {}
        if self.grid_z is not None:
            for g in GROUPS:
                for z, _ in self.groups[g]:
                    for i, gz in enumerate(self.grid_z):
                        if np.array_equal(z, gz):
                            badges[i] = badges.get(i, "") + g
        return badges

    # --- selection ----------------------------------------------------------------------------------------
    def select_cell(self, index: int, keep_offsets: bool = False) -> None:
        if self.grid_z is None or not 0 <= index < len(self.grid_z):
            return
        label = self.grid_labels[index] if self.grid_labels is not None else None
        where = f" · seed {self.seed}" if self.grid_origin == "seed" else f" · {self.grid_origin}"
        self.select(self.grid_z[index], label, f"grid cell {index + 1}{where}", index=index, keep_offsets=keep_offsets)

    def select_arithmetic(self, index: int) -> None:
        if self.arith_z is None or not 0 <= index < len(self.arith_z):
            return
        label = self.arith_labels[index] if self.arith_labels else None
        self.select(self.arith_z[index], label, "arithmetic result" + (f" (neighbour {index})" if index else ""))

    def select_frame(self, index: int) -> None:
        if self.frames_z is None or not 0 <= index < len(self.frames_z):
            return
        self.current_frame = index
        self.events.frame.emit(index)
        label = self.frames_labels[index] if self.frames_labels else None
        in_w = self.interp_space == "w" and self.is_stylegan
        self.select(self.frames_z[index], label, f"interpolation frame {index + 1}/{len(self.frames_z)}"
                    + (" in W" if in_w else ""))
        if in_w:  # the view shows the frame's ws on the path in W, not its z (on a path in Z)
            keys, labels = self._path_keys()
            self.sel_path = (keys, labels, float(index) / self.steps)
            self._view_changed()

    def select(self, z: np.ndarray, label: int | None, origin: str, index: int | None = None,
               keep_offsets: bool = False) -> None:
        """Make z (a copy) the selection; `index` is its grid cell, if it is one."""
        self.sel_index = index
        self.sel_base = np.array(z, dtype=np.float32, copy=True)
        self.sel_label = label
        self.sel_origin = origin
        self.sel_style = None
        self.sel_ws = None
        self.sel_path = None
        self.events.selection.emit()
        if not keep_offsets:
            self.pending_offsets = {}  # they belonged to the remembered selection
            self._zero_offsets()
        self._view_changed()

    def select_projection(self, result, picture_name: str = "photo") -> None:
        """A projected photo (`core.latent.projection.ProjectionResult`) becomes the selection: its z (and, for
        a StyleGAN, its ws, on which mixing and W directions then act)."""
        if self.model_info is None:
            raise GanStudioError("Open a model before projecting a photo.")
        if result.z.shape != (self.z_dim,):
            raise GanStudioError(f"the projection holds a latent of size {result.z.shape[-1]}; this model needs {self.z_dim}.")
        stopped = " (stopped early)" if result.stopped else ""
        self.select(result.z, result.label, f"projected {picture_name}{stopped}", keep_offsets=False)
        if result.style is not None and result.style.ws is not None and self.is_stylegan:
            self.sel_ws = np.asarray(result.style.ws, np.float32)
            self._view_changed()

    def view_latent(self) -> np.ndarray | None:
        """The latent of the large view: the selection plus sum_k alpha_k std_k u_k."""
        if self.sel_base is None:
            return None
        z = self.sel_base.copy()
        if self.directions is not None and self.directions.space == "z" and np.any(self.alphas):
            z = z + self.directions.offset(self.alphas)
        return z.astype(np.float32)

    def _view_changed(self) -> None:
        if self.sel_base is not None and self.model_info is not None:
            self.events.view.emit()

    def caption(self) -> str:
        """Where the selection comes from: origin, class, direction offsets, truncation."""
        bits = [self.sel_origin] if self.sel_origin else []
        if self.sel_label is not None:
            bits.append(f"class {self.sel_label}")
        moved = [(k, a) for k, a in enumerate(self.alphas) if a]
        if moved:
            bits.append(", ".join(f"PC{k + 1} {a:+.2f}σ" for k, a in moved[:4]) + (" …" if len(moved) > 4 else ""))
        if self.truncation is not None and self.truncation.mode != "off" and self.grid_origin == "seed":
            bits.append(f"truncation {self.truncation.describe()}")
        if self.psi != 1.0:
            bits.append(f"ψ {self.psi:g} in W")
        style = self.style_of("view")
        if style is not None and style.mix_z is not None:
            bits.append(style.describe(self.layer_ranges) + (f" from seed {self.mix_seed}" if self.mix_seed is not None else ""))
        return " · ".join(bits)

    # --- StyleGAN: style mixing, the layers of W directions --------------------------------------------
    def set_mixing(self, seed: int | None, layers: str | None = None) -> None:
        """Style mixing for the view: the `layers` range (coarse, middle, fine, all) takes the styles of
        the latent drawn from `seed` (as the grid draws seed s's first cell); seed None: no mixing."""
        if not self.is_stylegan:
            raise GanStudioError("Style mixing needs a StyleGAN model.")
        if layers is not None:
            if layers not in self.layer_ranges:
                raise GanStudioError(f"this model has no {layers} layers; it has {', '.join(self.layer_ranges)}.")
            self.mix_range = layers
        if seed is not None and not 0 <= int(seed) <= SEED_LIMIT:
            raise GanStudioError(f"the mixing seed must be between 0 and {SEED_LIMIT}, not {seed}.")
        self.mix_seed = None if seed is None else int(seed)
        self.sel_style = None
        self.events.style.emit()
        self._view_changed()

    def set_direction_layers(self, layers: str) -> None:
        """The layers (coarse, middle, fine, all) the principal directions in W move."""
        if layers not in self.layer_ranges:
            raise GanStudioError(f"this model has no {layers} layers; it has {', '.join(self.layer_ranges) or 'none'}.")
        self.direction_layers = layers
        self.events.style.emit()
        if self.directions is not None and self.directions.space == "w" and np.any(self.alphas):
            self._view_changed()

    def set_direction_method(self, method: str) -> None:
        """Where the StyleGAN directions in W come from: "ganspace" (PCA of mapped w) or "sefa" (closed-form
        factorization of the style weights); the area computes the new ones and calls set_directions."""
        if method not in DIRECTION_METHODS:
            raise GanStudioError(f"directions come from {' or '.join(DIRECTION_METHODS)}, not {method!r}.")
        if not self.is_stylegan and method != "ganspace":
            raise GanStudioError("Closed-form (SeFa) directions need a StyleGAN model.")
        self.direction_method = method
        self.events.style.emit()

    def _path_keys(self) -> tuple[np.ndarray, tuple[int, ...] | None]:
        keys = np.stack([k for k, _ in self.keyframes]).astype(np.float32)
        labels = tuple(int(lab) for _, lab in self.keyframes) if self.n_classes else None
        return keys, labels

    def style_of(self, part: str) -> StyleEdit | None:
        """The StyleEdit sent with a render part: the view's mixing and W direction offsets, the strip's path
        in W (None: none)."""
        if part == "strip" and self.interp_space == "w" and self.is_stylegan and self.frames_z is not None:
            from ganstudio.core.generators.style_edit import path_places

            keys, labels = self._path_keys()
            return StyleEdit(path_z=keys, path_labels=labels, path_at=path_places(len(keys), self.steps))
        if part != "view" or not self.is_stylegan or self.sel_base is None:
            return None
        w_dirs = self.directions is not None and self.directions.space == "w" and np.any(self.alphas)
        if self.sel_style is not None and self.mix_seed is None and not w_dirs:
            return self.sel_style
        given = {} if self.sel_ws is None else {"ws": self.sel_ws}
        if self.sel_path is not None and self.sel_ws is None:
            keys, labels, place = self.sel_path
            given = dict(path_z=keys, path_labels=labels, path_at=np.array([place], np.float32))
        mix = {}
        if self.mix_seed is not None:
            from ganstudio.core.latent.space import sample_latents

            mix = dict(mix_z=sample_latents(1, self.z_dim, self.mix_seed)[0],
                       mix_label=self.sel_label if self.n_classes else None,
                       mix_layers=self.layer_ranges[self.mix_range])
        offset = {}
        if w_dirs:
            offset = dict(w_offset=self.directions.offset(self.alphas),
                          offset_layers=self.layer_ranges[self.direction_layers])
        return StyleEdit(**given, **mix, **offset) if (given or mix or offset) else None

    # --- principal directions and raw coordinates --------------------------------------------------------
    def set_directions(self, directions) -> None:
        """Principal directions (core.latent.directions.PrincipalDirections) arrived; offsets start at 0."""
        self.directions = directions
        self.alphas = np.zeros(len(directions.stds), np.float32)
        self.events.directions.emit()
        pending, self.pending_offsets = self.pending_offsets, {}
        for k, alpha in sorted(pending.items()):
            if 0 <= k < len(self.alphas):
                self.set_direction(k, alpha)

    def direction_summary(self) -> tuple[float, list[tuple[float, float]]]:
        """(percent of the layer's variance the directions explain, [(percent, std in z) per direction])."""
        d = self.directions
        if d is None:
            return 0.0, []
        rows = [(100 * float(d.explained[k]), float(d.stds[k])) for k in range(len(d.stds))]
        return float(np.sum(d.explained)) * 100, rows

    def set_direction(self, k: int, alpha: float) -> None:
        """Offset along direction k by alpha standard deviations (in steps of 0.01, within +-3)."""
        if not 0 <= k < len(self.alphas):
            raise IndexError(f"there is no principal direction {k} (there are {len(self.alphas)})")
        ticks = _ticks(alpha, DIRECTION_RANGE)
        if ticks == _ticks(self.alphas[k], DIRECTION_RANGE):
            return  # the slider did not move
        self.alphas[k] = ticks / SLIDER_UNITS
        self.sel_style = None
        self.events.offsets.emit(k)
        self._view_changed()

    def reset_directions(self) -> None:
        self._zero_offsets()
        self._view_changed()

    def _zero_offsets(self) -> None:
        self.alphas = np.zeros(len(self.directions.stds) if self.directions is not None else 0, np.float32)
        self.events.offsets.emit(None)

    def set_raw_dimension(self, j: int, value: float) -> None:
        """Set coordinate j of the selection (in steps of 0.01, within +-4)."""
        if self.sel_base is None:
            return
        ticks = _ticks(value, RAW_RANGE)
        if ticks == _ticks(self.sel_base[j], RAW_RANGE):
            return  # the slider did not move
        self.sel_base[j] = ticks / SLIDER_UNITS
        if "edited" not in self.sel_origin:
            self.sel_origin = (self.sel_origin + " · edited").strip(" ·")
        self.events.raw.emit(j)
        self._view_changed()

    # --- interpolation ------------------------------------------------------------------------------------
    def add_keyframe(self) -> None:
        """The large view's latent (offsets included) becomes the next keyframe."""
        z = self.view_latent()
        if z is None:
            return
        self.keyframes.append((z, self.sel_label))
        self.events.keys.emit()
        self._update_path()

    def clear_keyframes(self) -> None:
        self.keyframes = []
        self.events.keys.emit()
        self._update_path()

    def set_interpolation(self, mode: str | None = None, steps: int | None = None, space: str | None = None) -> None:
        """The path between keyframes: slerp or lerp, `steps` frames per segment (1..60), in Z or (a StyleGAN's)
        W, where the keyframes' truncated ws are joined by straight lines (slerp is for Gaussian z)."""
        if space is not None:
            if space not in INTERPOLATION_SPACES:
                raise ValueError(f"unknown interpolation space {space!r}")
            if space == "w" and not self.is_stylegan:
                raise GanStudioError("Interpolation in W needs a StyleGAN (this model has no W space).")
            self.interp_space = space
        if mode is not None:
            if mode not in INTERPOLATION_MODES:
                raise ValueError(f"unknown interpolation mode {mode!r}")
            self.interp_mode = mode
        if steps is not None:
            self.steps = max(STEPS_RANGE[0], min(STEPS_RANGE[1], int(steps)))
        self._update_path()

    def path_length(self) -> int:
        """Frames of the path through the keyframes ((K - 1) * steps + 1; 0 below two keyframes)."""
        n = len(self.keyframes)
        return (n - 1) * self.steps + 1 if n >= 2 else 0

    def _update_path(self) -> None:
        from ganstudio.core.latent.space import interpolate_path

        if len(self.keyframes) < 2 or self.model_info is None:
            self.frames_z = None
        else:
            keys = np.stack([k for k, _ in self.keyframes])
            self.frames_z = interpolate_path(keys, self.steps, self.interp_mode)
            # a class label cannot be interpolated: each segment keeps its first keyframe's class
            seg_labels = [lab for _, lab in self.keyframes]
            labels = [seg_labels[min(i // self.steps, len(seg_labels) - 1)] for i in range(len(self.frames_z))]
            labels[-1] = seg_labels[-1]
            self.frames_labels = self.label_list(labels)
            self.current_frame = min(self.current_frame, len(self.frames_z) - 1)
        self.events.strip.emit()

    def advance_frame(self, n_frames: int) -> None:
        """Playback: the next of `n_frames` frames on screen, looping (the selection stays)."""
        if n_frames <= 0:
            return
        self.current_frame = (self.current_frame + 1) % n_frames
        self.events.frame.emit(self.current_frame)

    # --- arithmetic ---------------------------------------------------------------------------------------
    def add_to_group(self, group: str) -> None:
        """The large view's latent joins group A, B or C of mean(A) - mean(B) + mean(C)."""
        z = self.view_latent()
        if z is None:
            return
        self.groups[group].append((z, self.sel_label))
        self.events.groups.emit()
        self._update_arithmetic()

    def clear_group(self, group: str) -> None:
        self.groups[group] = []
        self.events.groups.emit()
        self._update_arithmetic()

    def _update_arithmetic(self) -> None:
        from ganstudio.core.latent.space import arithmetic, arithmetic_variations

        if any(not self.groups[g] for g in GROUPS) or self.model_info is None:
            self.arith_z = None
        else:
            result = arithmetic(*[[z for z, _ in self.groups[g]] for g in GROUPS])
            self.arith_z = arithmetic_variations(result, ARITH_VARIATIONS, noise=ARITH_NOISE, seed=0)
            # the class of the result: the chosen class, else C's first sample's (the thing "added")
            label = self.class_choice if self.class_choice is not None else self.groups["C"][0][1]
            self.arith_labels = self.label_list([label] * ARITH_VARIATIONS)
        self.events.arith.emit()

    # --- what to draw and what is drawn -------------------------------------------------------------------
    def batch(self, part: str) -> Batch | None:
        """The latents and labels of a render part now (None: nothing to draw)."""
        if part == "grid":
            return None if self.grid_z is None else (self.grid_z, self.grid_labels)
        if part == "view":
            z = self.view_latent()
            return None if z is None or self.model_info is None else (z[None], self.labels(self.sel_label))
        if part == "strip":
            return None if self.frames_z is None else (self.frames_z, self.frames_labels)
        members = {"keys": self.keyframes, "groups": [m for g in GROUPS for m in self.groups[g]]}.get(part)
        if members is not None:
            return (np.stack([z for z, _ in members]), self.label_list([lab for _, lab in members])) if members else None
        if part == "arith":
            return None if self.arith_z is None else (self.arith_z, self.arith_labels)
        raise ValueError(f"unknown render part {part!r}")

    def note_shown(self, part: str, z: np.ndarray, labels: list[int] | None, psi: float = 1.0,
                   style: StyleEdit | None = None) -> None:
        """The pictures of `part` on screen were drawn from z, labels, psi and style (bookmarks save these)."""
        if part == "grid":
            self.shown_grid_z, self.shown_grid_labels, self.shown_grid_psi = z, labels, float(psi)
        elif part == "view":
            self.shown_view_z = z[0]
            self.shown_view_label = None if labels is None else int(labels[0])
            self.shown_view_psi, self.shown_view_style = float(psi), style

    def clamp_frame(self, n_frames: int) -> int:
        """Keep the current frame within `n_frames` frames on screen; returns it."""
        self.current_frame = max(0, min(self.current_frame, n_frames - 1))
        return self.current_frame

    # --- bookmarks ----------------------------------------------------------------------------------------
    def bookmark_of(self, what: str = "selection"):
        """A core.latent.bookmarks.Bookmark of the latents on screen (not of ones still being drawn):
        the selection's, or with what="grid" the grid's. ValueError when nothing is shown yet."""
        from ganstudio.core.latent.bookmarks import Bookmark

        if self.model_info is None:
            raise ValueError("no model")
        model = {k: self.model_info[k] for k in ("path", "sha256", "name", "source", "use_ema")}
        style = None
        if what == "grid":
            z, labels, psi = self.shown_grid_z, self.shown_grid_labels, self.shown_grid_psi
            meta = {"what": "grid", "origin": self.grid_origin, "columns": GRID_COLUMNS}
        else:
            z = None if self.shown_view_z is None else self.shown_view_z[None]
            labels = None if self.shown_view_label is None else [self.shown_view_label]
            psi, style = self.shown_view_psi, self.shown_view_style
            meta = {"what": "selection", "origin": self.sel_origin, "cell": self.sel_index,
                    "directions": {f"PC{k + 1}": float(a) for k, a in enumerate(self.alphas) if a}}
            if self.is_stylegan:
                meta.update({"direction_space": self.directions.space if self.directions is not None else None,
                             "direction_layers": self.direction_layers, "mix_seed": self.mix_seed,
                             "mix_layers": self.mix_range if self.mix_seed is not None else None})
        if z is None:
            raise ValueError("nothing shown")
        return Bookmark(latents=np.asarray(z, np.float32), model=model, labels=labels, truncation=self.truncation,
                        seed=self.seed if self.grid_origin == "seed" else None, metadata=meta,
                        truncation_psi=psi, style=style)

    def save_bookmark(self, path: str | Path, what: str = "selection") -> Path:
        """Write bookmark_of(what) as JSON and add it to the list; returns the file written.
        ValueError when nothing is shown, OSError when the file cannot be written."""
        from ganstudio.core.latent.bookmarks import save_bookmark

        bm = self.bookmark_of(what)
        written = save_bookmark(path, bm)
        self._remember(written, bm, what)
        return written

    def apply_bookmark(self, bm, path: str | Path) -> str | None:
        """Show a loaded bookmark: one latent becomes the selection, several the grid. Returns a note when
        it was made with other weights; GanStudioError when its latents do not fit the model."""
        path = Path(path)
        if self.model_info is None:
            raise GanStudioError(f"Open a model before showing the bookmark {path.name}.")
        if bm.latents.shape[1] != self.z_dim:
            raise GanStudioError(f"The bookmark {path.name} holds latents of size {bm.latents.shape[1]}, but this model "
                                 f"needs {self.z_dim}.")
        note = None
        if bm.model.get("sha256") and bm.model["sha256"] != self.model_info["sha256"]:
            note = (f"The bookmark {path.name} was made with {Path(bm.model.get('path', '?')).name}, another model: "
                    "its pictures here differ from the bookmarked ones.")
        labels = bm.labels if self.n_classes else None
        if (bm.truncation_psi != 1.0 or bm.style is not None) and not self.is_stylegan:
            raise GanStudioError(f"The bookmark {path.name} holds StyleGAN styles (psi in W, mixing or W offsets), "
                                 "but this model is no StyleGAN.")
        if self.is_stylegan and bm.truncation_psi != self.psi:
            self.truncation_mode, self.w_psi = W_TRUNCATION, float(bm.truncation_psi)
            self.truncation_value = self.w_psi
            self.events.truncation.emit()
            self.events.grid.emit()
        if self.is_stylegan and (bm.style is not None or self.mix_seed is not None):
            self.mix_seed = None
            self.events.style.emit()
        if len(bm.latents) == 1:
            self.select(bm.latents[0], labels[0] if labels else None, f"bookmark {path.stem}")
            if bm.style is not None:
                self.sel_style = bm.style
                self.sel_ws = bm.style.ws  # a projection's styles stay the base of later edits
                self.sel_origin += " (its styles)"
                self._view_changed()
        else:
            self.set_grid_latents(bm.latents, labels, origin=f"bookmark {path.stem}")
        if not any(b["path"] == str(path) for b in self.bookmarks):
            self._remember(path, bm, None)
        return note

    def _remember(self, path: Path, bm, what: str | None) -> None:
        entry = {"path": str(path), "latents": len(bm.latents), "name": bm.model.get("name", "?"), "what": what}
        self.bookmarks.insert(0, entry)
        self.events.bookmarks.emit(entry)

    # --- what the area remembers between sessions (plain JSON values) -------------------------------------
    def remembered(self) -> dict[str, Any] | None:
        """The model, seed, class, truncation, selected cell and direction offsets (None without a model)."""
        if self.model_info is None:
            return None
        offsets = {str(k): float(a) for k, a in enumerate(self.alphas) if a} or {str(k): a for k, a in self.pending_offsets.items()}
        return {"model": model_reference(self.model_info), "seed": int(self.seed), "class": self.class_choice,
                "truncation": [self.truncation_mode, float(self.truncation_value)],
                "cell": self.sel_index if self.grid_origin == "seed" else None, "offsets": offsets}

    def restore(self, saved: dict[str, Any]) -> list[str]:
        """Put back what `remembered` kept, once its model is loaded; what no longer fits is skipped and
        named in the returned list (a class the model lacks, a cell or offset out of range...)."""
        from ganstudio.core.latent.space import TRUNCATION_MODES

        skipped: list[str] = []
        truncation = saved.get("truncation")
        if isinstance(truncation, list) and len(truncation) == 2 and truncation[0] in (*TRUNCATION_MODES, W_TRUNCATION) \
                and isinstance(truncation[1], (int, float)) and not isinstance(truncation[1], bool) and np.isfinite(truncation[1]):
            try:
                self.set_truncation(truncation[0], float(truncation[1]))
            except (GanStudioError, ValueError):
                skipped.append("the truncation")
        elif truncation is not None:
            skipped.append("the truncation")
        seed = saved.get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= SEED_LIMIT:
            self.set_seed(seed)
        elif seed is not None:
            skipped.append("the seed")
        k = saved.get("class")
        if isinstance(k, int) and not isinstance(k, bool) and 0 <= k < self.n_classes:
            self.set_class(k)
        elif k is not None:
            skipped.append("the class")
        cell = saved.get("cell")
        if isinstance(cell, int) and not isinstance(cell, bool) and self.grid_z is not None and 0 <= cell < len(self.grid_z):
            self.select_cell(cell, keep_offsets=True)
        elif cell is not None:
            skipped.append("the selected sample")
        offsets = saved.get("offsets")
        if isinstance(offsets, dict):
            for key, alpha in offsets.items():
                if str(key).isdigit() and isinstance(alpha, (int, float)) and not isinstance(alpha, bool) \
                        and np.isfinite(alpha) and abs(alpha) <= DIRECTION_RANGE:
                    self.pending_offsets[int(key)] = float(alpha)
                else:
                    skipped.append("a direction offset")
                    break
        if self.directions is not None and self.pending_offsets:  # directions already there (not on a fresh load)
            self.set_directions(self.directions)
        return skipped


# --- how a session names its model ---------------------------------------------------------------------

def model_reference(info: dict[str, Any]) -> dict[str, str]:
    """How a session names its model: a bundled model by name (its file moves with the installed app),
    anything else by path."""
    from ganstudio.core.generators.catalogue import is_bundled

    path = str(info["path"])
    return {"bundled": Path(path).stem} if is_bundled(path) else {"path": path}


def model_path_of(reference: Any) -> str | None:
    """The file a `model_reference` names now, or None when it is gone (or not a reference)."""
    from ganstudio.core.generators.catalogue import catalogue_entry

    if not isinstance(reference, dict):
        return None
    if isinstance(reference.get("bundled"), str):
        try:
            path = catalogue_entry(reference["bundled"]).path
        except GanStudioError:
            return None
        return str(path) if path.is_file() else None
    path = reference.get("path")
    return path if isinstance(path, str) and path and Path(path).exists() else None
