"""The Explore area's state without Qt and without a model: what the grid, the large view, the path, the
arithmetic and the bookmarks hold, and which render parts each change asks for."""

import subprocess
import sys

import numpy as np
import pytest

from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.bookmarks import load_bookmark
from ganstudio.core.latent.directions import PrincipalDirections
from ganstudio.core.latent.explore_state import GRID_SIZE, RENDER_PARTS, Event, ExploreState
from ganstudio.core.latent.space import Truncation, sample_latents

Z_DIM = 12


def model_info(n_classes: int = 0, sha256: str = "ab" * 32, z_dim: int = Z_DIM) -> dict:
    return {"path": "/models/g.safetensors", "sha256": sha256, "name": "g", "source": "ganstudio", "use_ema": True,
            "z_dim": z_dim, "n_classes": n_classes}


def principal_directions(k: int = 4, seed: int = 0) -> PrincipalDirections:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((Z_DIM, k)))
    return PrincipalDirections(directions=q.T.astype(np.float32), stds=np.linspace(2.0, 0.5, k).astype(np.float32),
                               explained=np.full(k, 0.1, np.float32), layer="main.0", n_samples=100, seed=0)


class Recorder:
    """The render parts a state asked for, in order."""

    def __init__(self, state: ExploreState):
        self.parts: list[str] = []
        for part in RENDER_PARTS:
            state.events[part].connect(lambda part=part: self.parts.append(part))

    def take(self) -> list[str]:
        parts, self.parts = self.parts, []
        return parts


@pytest.fixture
def state() -> ExploreState:
    s = ExploreState()
    s.set_model(model_info(n_classes=10))
    s.resample_grid(select=0)
    return s


def test_importing_the_state_loads_neither_qt_nor_torch():
    code = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph', 'shiboken6'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from ganstudio.core.latent.explore_state import ExploreState\n"
        "s = ExploreState(); s.set_seed(3)\n"
        "print('ok', s.seed)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "3"]


def test_events_call_their_callbacks_in_order_until_disconnected():
    calls = []
    ev = Event("x")
    first = ev.connect(lambda v: calls.append(("first", v)))
    ev.connect(lambda v: calls.append(("second", v)))
    ev.emit(1)
    ev.disconnect(first)
    ev.emit(2)
    assert calls == [("first", 1), ("second", 1), ("second", 2)]


def test_the_grid_is_the_seeded_sample_with_mixed_or_chosen_classes(state):
    parts = Recorder(state)
    state.set_seed(123)
    assert np.array_equal(state.grid_z, sample_latents(GRID_SIZE, Z_DIM, 123))  # `ganstudio sample --seed 123`
    assert state.grid_labels == [i % 10 for i in range(16)]
    assert parts.take() == ["grid", "view"]  # one batch of 16 and the selection's view
    assert state.batch("grid")[0].shape == (16, Z_DIM) and state.batch("view")[0].shape == (1, Z_DIM)
    state.select_cell(5)
    assert state.sel_label == 5 and np.array_equal(state.sel_base, state.grid_z[5])
    assert "grid cell 6 · seed 123" in state.caption() and "class 5" in state.caption()
    state.set_class(3)
    assert state.grid_labels == [3] * 16 and state.sel_label == 3 and state.batch("view")[1] == [3]
    state.set_class(None)
    assert state.grid_labels[7] == 7 and state.sel_label == 5

    plain = ExploreState()
    plain.set_model(model_info(n_classes=0))
    plain.resample_grid(select=2)
    assert plain.grid_labels is None and plain.batch("view")[1] is None and plain.sel_index == 2


def test_truncation_is_applied_to_the_grid_and_a_refused_value_keeps_the_old_one(state):
    plain = state.grid_z.copy()
    state.set_truncation("resample", 0.5)
    assert np.abs(state.grid_z).max() <= 0.5 and state.truncation == Truncation("resample", 0.5)
    assert "truncation resample |z|>0.5" in state.caption()
    state.set_truncation("scale", 0.5)
    np.testing.assert_allclose(state.grid_z, 0.5 * plain, atol=1e-7)
    with pytest.raises(GanStudioError, match="psi"):
        state.set_truncation("scale", 2.5)
    assert state.truncation == Truncation("scale", 0.5) and state.truncation_value == 2.5  # the setting asked for
    state.set_truncation("off")
    assert np.array_equal(state.grid_z, plain) and state.truncation == Truncation()
    state.set_truncation("scale", 0.123)
    assert state.truncation.value == 0.12  # in steps of 0.01, as the spin box shows it
    with pytest.raises(ValueError):
        state.set_truncation("clip", 1.0)


def test_the_view_latent_is_the_base_plus_the_direction_offsets_and_a_move_asks_for_the_view_only(state):
    d = principal_directions()
    state.set_directions(d)
    parts = Recorder(state)
    state.set_direction(0, 2.0)
    state.set_direction(2, -0.7)
    assert parts.take() == ["view", "view"]  # no grid, strip or other part: a batch of one
    expected = state.sel_base + 2.0 * d.stds[0] * d.directions[0] - 0.7 * d.stds[2] * d.directions[2]
    np.testing.assert_allclose(state.view_latent(), expected, atol=1e-5)
    assert "PC1 +2.00σ, PC3 -0.70σ" in state.caption()
    state.set_direction(2, -0.701)  # the same slider position: nothing to draw
    state.set_direction(1, 9.0)  # beyond the range: +3 std
    assert parts.take() == ["view"] and state.alphas[1] == pytest.approx(3.0)
    with pytest.raises(IndexError):
        state.set_direction(4, 1.0)
    state.select_cell(1, keep_offsets=True)
    np.testing.assert_allclose(state.view_latent(), state.grid_z[1] + d.offset(state.alphas), atol=1e-6)
    state.select_cell(2)  # a new selection starts without offsets
    assert not np.any(state.alphas) and np.array_equal(state.view_latent(), state.grid_z[2])
    state.set_direction(0, 1.0)
    state.reset_directions()
    assert np.array_equal(state.view_latent(), state.grid_z[2])


def test_a_raw_dimension_sets_one_coordinate_of_the_selection(state):
    parts = Recorder(state)
    state.set_raw_dimension(3, 2.5)
    state.set_raw_dimension(3, 2.504)  # the same slider position
    assert parts.take() == ["view"]
    z = state.view_latent()
    assert z[3] == pytest.approx(2.5)
    others = np.delete(np.arange(Z_DIM), 3)
    assert np.array_equal(z[others], state.grid_z[0][others])
    assert state.sel_origin.endswith("· edited")
    state.set_raw_dimension(4, -10)
    assert state.view_latent()[4] == pytest.approx(-4.0)


def test_the_path_goes_through_every_keyframe_with_each_segment_keeping_its_class(state):
    parts = Recorder(state)
    for cell in (0, 5, 9):
        state.select_cell(cell)
        state.add_keyframe()
    assert state.frames_z is not None and len(parts.take()) == 3 * 3  # per keyframe: view, keys, strip
    state.set_interpolation(mode="slerp", steps=4)
    assert len(state.frames_z) == state.path_length() == 9
    for k, cell in enumerate((0, 5, 9)):
        np.testing.assert_allclose(state.frames_z[4 * k], state.grid_z[cell], atol=1e-6)
    assert state.frames_labels == [0] * 4 + [5] * 4 + [9]
    state.set_interpolation(mode="lerp")
    np.testing.assert_allclose(state.frames_z[2], 0.5 * (state.grid_z[0] + state.grid_z[5]), atol=1e-6)
    state.select_frame(6)
    assert state.current_frame == 6 and "interpolation frame 7/9" in state.caption()
    np.testing.assert_allclose(state.view_latent(), state.frames_z[6])
    state.advance_frame(9)
    state.advance_frame(9)
    state.advance_frame(9)
    assert state.current_frame == 0
    parts.take()
    state.clear_keyframes()
    assert state.frames_z is None and state.batch("keys") is None and state.batch("strip") is None
    assert parts.take() == ["keys", "strip"]  # the area cancels both
    with pytest.raises(ValueError):
        state.set_interpolation(mode="cubic")


def test_arithmetic_is_mean_a_minus_mean_b_plus_mean_c(state):
    for group, cells in (("A", (1, 2)), ("B", (3,)), ("C", (4, 5, 6))):
        for c in cells:
            state.select_cell(c)
            state.add_to_group(group)
    z = state.grid_z
    expected = z[[1, 2]].mean(0) - z[3] + z[[4, 5, 6]].mean(0)
    np.testing.assert_allclose(state.arith_z[0], expected, atol=1e-6)
    assert len(state.arith_z) == 9 and not np.array_equal(state.arith_z[1], state.arith_z[0])
    assert state.arith_labels == [4] * 9  # C's first sample's class
    members, labels = state.batch("groups")
    assert np.array_equal(members, z[[1, 2, 3, 4, 5, 6]]) and labels == [1, 2, 3, 4, 5, 6]
    assert state.group_badges() == {1: "A", 2: "A", 3: "B", 4: "C", 5: "C", 6: "C"}
    state.set_class(8)
    assert state.arith_labels == [8] * 9
    state.select_arithmetic(0)
    assert np.array_equal(state.view_latent(), state.arith_z[0]) and "arithmetic result" in state.caption()
    state.clear_group("B")
    assert state.arith_z is None and state.batch("arith") is None


def test_a_bookmark_round_trip_reproduces_the_latents_shown_exactly(state, tmp_path):
    with pytest.raises(ValueError):
        state.bookmark_of()  # nothing drawn yet
    state.set_directions(principal_directions())
    state.set_class(7)
    state.select_cell(4)
    state.set_direction(0, 1.7)
    shown, labels = state.batch("view")
    state.note_shown("view", shown, labels)  # what the area does when the picture is on screen
    state.set_direction(1, 0.5)  # asked for, not drawn yet: the bookmark keeps what is shown
    path = state.save_bookmark(tmp_path / "smile.json")
    bm = load_bookmark(path)
    assert bm.latents.dtype == np.float32 and np.array_equal(bm.latents, shown) and bm.labels == [7]
    assert bm.metadata["directions"] == {"PC1": pytest.approx(1.7), "PC2": pytest.approx(0.5)}
    assert state.bookmarks[0]["path"] == str(path) and state.bookmarks[0]["what"] == "selection"

    grid_z, grid_labels = state.batch("grid")
    state.note_shown("grid", grid_z, grid_labels)
    grid_path = state.save_bookmark(tmp_path / "grid.json", what="grid")
    assert bm.seed == state.seed and load_bookmark(grid_path).metadata["columns"] == 4

    again = ExploreState()
    again.set_model(model_info(n_classes=10))
    again.resample_grid(select=0)
    assert again.apply_bookmark(load_bookmark(path), path) is None  # same weights: no note
    assert np.array_equal(again.view_latent(), shown[0]) and again.batch("view")[1] == [7]
    again.apply_bookmark(load_bookmark(grid_path), grid_path)
    assert np.array_equal(again.grid_z, grid_z) and again.grid_labels == grid_labels
    assert again.grid_origin == "bookmark grid" and len(again.bookmarks) == 2

    other = ExploreState()
    other.set_model(model_info(n_classes=10, sha256="cd" * 32))
    assert "another model" in other.apply_bookmark(load_bookmark(path), path)
    small = ExploreState()
    small.set_model(model_info(z_dim=8))
    with pytest.raises(GanStudioError, match="size 12, but this model needs 8"):
        small.apply_bookmark(load_bookmark(path), path)


def test_a_new_model_forgets_what_belonged_to_the_old_one(state):
    state.set_directions(principal_directions())
    state.add_keyframe()
    state.add_to_group("A")
    state.set_seed(9)
    state.set_truncation("scale", 0.5)
    models = []
    state.events.model.connect(models.append)
    state.set_model(model_info(n_classes=0, z_dim=6))
    assert models and state.directions is None and state.keyframes == [] and state.groups["A"] == []
    assert state.seed == 9 and state.truncation == Truncation("scale", 0.5) and state.class_choice is None
    state.resample_grid(select=0)
    assert state.grid_z.shape == (16, 6) and np.array_equal(state.grid_z, sample_latents(16, 6, 9, Truncation("scale", 0.5)))


def test_what_is_remembered_comes_back_once_the_model_is_loaded_and_what_no_longer_fits_is_named(state):
    import json

    state.set_truncation("scale", 0.55)
    state.set_seed(42)
    state.set_class(3)
    state.select_cell(5)
    state.set_directions(principal_directions())
    state.set_direction(1, 1.25)
    saved = json.loads(json.dumps(state.remembered()))
    assert saved["model"] == {"path": "/models/g.safetensors"}  # bundled models are kept by name instead

    again = ExploreState()
    again.set_model(model_info(n_classes=10))
    again.resample_grid(select=0)
    assert again.restore(saved) == []
    assert (again.seed, again.class_choice, again.truncation_mode, again.truncation_value) == (42, 3, "scale", 0.55)
    assert again.sel_index == 5 and np.array_equal(again.sel_base, state.sel_base)
    assert not np.any(again.alphas)  # the offsets wait for the directions, computed after the model loads
    again.set_directions(principal_directions())
    assert again.alphas[1] == pytest.approx(1.25) and np.allclose(again.view_latent(), state.view_latent())

    other = ExploreState()  # an unconditional model now: the class is dropped and said so
    other.set_model(model_info(n_classes=0))
    other.resample_grid(select=0)
    assert other.restore({**saved, "cell": 99, "seed": -1}) == ["the seed", "the class", "the selected sample"]


def test_a_bundled_model_is_remembered_by_name():
    from ganstudio.core.generators.catalogue import CATALOGUE
    from ganstudio.core.latent.explore_state import model_path_of, model_reference

    entry = CATALOGUE[1]
    assert model_reference({"path": str(entry.path)}) == {"bundled": entry.name}
    assert model_path_of({"bundled": entry.name}) == (str(entry.path) if entry.path.is_file() else None)
    assert model_path_of({"bundled": "nope"}) is None and model_path_of({"path": "/gone/g.safetensors"}) is None
    assert model_path_of("not a reference") is None
