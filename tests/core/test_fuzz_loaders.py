"""Property-based fuzzing of every loader of user files: whatever the bytes, each loads or raises a
GanStudioError, within a time bound (Hypothesis' deadline, generous for a loaded 2-core machine)."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors.torch import save as st_save_bytes

from ganstudio.core.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ganstudio.core.errors import GanStudioError
from ganstudio.core.latent.bookmarks import Bookmark, load_bookmark, read_latents
from ganstudio.core.safe_names import check_path_text
from ganstudio.core.sketch.document import CANVAS_MARGIN, SEED_MAX, SketchDocument, Stroke, load_document
from ganstudio.core.sketch.recovery import SketchRecovery

FUZZ = settings(max_examples=50, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

# Any JSON value, including the awkward ones: huge integers, NaN and infinities, long text, nesting.
scalars = (st.none() | st.booleans() | st.integers(-(10**40), 10**40) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 10**40, 1e308, -1e308, 4096, 4097])
           | st.text(max_size=20) | st.sampled_from(["x" * 5000, "a\0b", "../../etc/passwd", ""]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


# Nesting far deeper than any generated value: the interpreter's recursion limit is about 1000.
deep_json = st.integers(1, 5000).map(lambda n: "[" * n + "]" * n) | st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n)


_ROOT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _fuzz_folder(tmp_path_factory):
    """One folder for every example's files (pytest cleans it up), not a temp folder left per example."""
    _ROOT.append(tmp_path_factory.mktemp("fuzz"))
    yield
    _ROOT.pop()


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(dir=_ROOT[-1]))


def _dumps(value) -> str:
    return json.dumps(value, allow_nan=True)


def _loads_or_refuses(load, *args):
    try:
        return load(*args)
    except GanStudioError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None


# --- sketch documents and recovery files ------------------------------------------------------------------

GOOD_DOC = SketchDocument(size=(32, 32), seed=4, model_id="m.safetensors",
                          strokes=[Stroke("pen", 1.0, [(1.0, 2.0, 1.0), (20.0, 30.0, 0.5)]),
                                   Stroke("hint", 3.0, [(5.0, 5.0, 1.0)], color=(1, 2, 3))]).to_json()
DOC_KEYS = ["format", "version", "size", "seed", "mode", "model_id", "base", "strokes", "extra"]
STROKE_KEYS = ["tool", "width", "color", "points"]

points = st.lists(st.lists(scalars, min_size=0, max_size=4) | st.tuples(st.floats(), st.floats(), st.floats()).map(list), max_size=6)
strokes = st.lists(st.fixed_dictionaries({"tool": st.sampled_from(["pen", "eraser", "hint", "spray"]) | scalars,
                                          "width": st.floats() | scalars,
                                          "color": st.lists(st.integers(-5, 300), max_size=4) | scalars,
                                          "points": points}), max_size=4)
documents = st.fixed_dictionaries({
    "format": st.just("ganstudio-sketch"), "version": st.sampled_from([1, 0, 2]) | scalars,
    "size": st.lists(st.sampled_from([1, 2, 7, 32, 64, 256, 4096, 4097, 0, -1]), min_size=0, max_size=3) | scalars,
    "seed": scalars, "mode": st.sampled_from(["eval", "reference"]) | scalars, "model_id": scalars,
    "base": scalars | st.dictionaries(st.sampled_from(["lines", "hint_rgb", "hint_mask"]), scalars), "strokes": strokes,
    "extra": json_values,
})


def _load_and_draw(path: Path) -> None:
    doc = _loads_or_refuses(load_document, path)
    if doc is None:
        return
    # What loads is what the Sketch area can take: its seed box, a path to look up, points to draw.
    assert 0 <= doc.seed <= SEED_MAX
    if doc.model_id is not None:
        check_path_text(doc.model_id, "model_id")
    h, w = doc.size
    for stroke in doc.strokes:
        for x, y, p in stroke.points:
            assert abs(x) <= (CANVAS_MARGIN + 1) * w and abs(y) <= (CANVAS_MARGIN + 1) * h and 0 <= p <= 1
    if max(doc.size) <= 256:
        doc.render(1)  # a document that loads also draws, without overflow or a traceback


@FUZZ
@given(documents)
def test_fuzzed_sketch_documents_load_or_are_refused(doc):
    path = _tmp() / "doc.json"
    path.write_text(_dumps(doc))
    _load_and_draw(path)


def _damage_field(doc, key, value):
    doc[key] = value


def _damage_stroke(doc, key, value):
    doc["strokes"][0][key] = value


def _damage_point(doc, index, value):
    doc["strokes"][0]["points"][-1][index] = value


# One thing wrong at a time, so that the damage is what decides (not a second, unrelated fault).
damages = st.one_of(
    st.tuples(st.just(_damage_field), st.sampled_from(DOC_KEYS), json_values),
    st.tuples(st.just(_damage_stroke), st.sampled_from(STROKE_KEYS), json_values),
    st.tuples(st.just(_damage_point), st.integers(0, 2), st.floats() | scalars),
)


@FUZZ
@given(damages)
def test_one_damaged_field_of_a_good_document_loads_or_is_refused(damage):
    how, where, value = damage
    doc = json.loads(json.dumps(GOOD_DOC))
    how(doc, where, value)
    path = _tmp() / "doc.json"
    path.write_text(_dumps(doc))
    _load_and_draw(path)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode) | deep_json.map(str.encode))
def test_arbitrary_bytes_as_a_document_or_recovery_file(data):
    folder = _tmp()
    rec = SketchRecovery(folder)
    rec.recovery_path.write_bytes(data)
    rec.clean_path.write_bytes(data)
    assert rec.last_clean_time() >= 0.0  # a broken clean mark never stops the Sketch area
    offered = rec.check()
    assert offered == rec.recovery_path or offered is None
    _load_and_draw(rec.recovery_path)


@FUZZ
@given(json_values)
def test_fuzzed_clean_marks_never_raise(value):
    rec = SketchRecovery(_tmp())
    rec.clean_path.write_text(_dumps(value))
    assert rec.last_clean_time() >= 0.0
    rec.check()


# --- bookmarks and .npy latents -------------------------------------------------------------------------

GOOD_BOOKMARK = json.loads(Bookmark(latents=np.zeros((2, 4), np.float32), labels=[0, 1], seed=3,
                                    model={"path": "m.safetensors", "sha256": "ab", "name": "m", "use_ema": True}).to_json())
BOOKMARK_KEYS = list(GOOD_BOOKMARK) + ["latents"]


@FUZZ
@given(st.sampled_from(BOOKMARK_KEYS), json_values)
def test_one_damaged_field_of_a_good_bookmark_loads_or_is_refused(key, value):
    doc = dict(GOOD_BOOKMARK)
    doc[key] = value
    path = _tmp() / "bm.json"
    path.write_text(_dumps(doc))
    bm = _loads_or_refuses(load_bookmark, path)
    if bm is not None:
        assert bm.latents.ndim == 2 and np.isfinite(bm.latents).all()
        _loads_or_refuses(read_latents, path, 4)


@FUZZ
@given(json_values.map(_dumps) | deep_json | deep_json.map(lambda d: '{"latents": [[0]], "metadata": ' + d + "}"))
def test_fuzzed_bookmark_files_load_or_are_refused(text):
    path = _tmp() / "bm.json"
    path.write_text(text)
    bm = _loads_or_refuses(load_bookmark, path)
    if bm is not None:
        assert bm.seed is None or 0 <= bm.seed <= SEED_MAX
        if bm.model.get("path") is not None:
            check_path_text(bm.model["path"], "the model path")


npy_dtypes = st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.uint8, np.bool_, np.complex64])


@FUZZ
@given(npy_dtypes.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5))))
def test_fuzzed_npy_latents_load_or_are_refused(array):
    path = _tmp() / "z.npy"
    np.save(path, array)
    z = _loads_or_refuses(read_latents, path, 4)
    if z is not None:
        z, _, _ = z
        assert z.dtype == np.float32 and z.ndim == 2 and z.shape[1] == 4 and len(z) and np.isfinite(z).all()


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_npy_latents(data):
    path = _tmp() / "z.npy"
    path.write_bytes(np.lib.format.MAGIC_PREFIX + data if data[:1] == b"\x01" else data)
    _loads_or_refuses(read_latents, path, 4)


# --- checkpoint metadata --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> tuple[dict, dict]:
    """Tensors and metadata of a small checkpoint with every part a real one has."""
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    from ganstudio.core.checkpoint import optimizer_to_flat

    flat, groups = optimizer_to_flat(opt)
    ckpt = Checkpoint(states={"G": net.state_dict(), "D": net.state_dict(), "opt_G": flat, "opt_D": flat,
                              "rng": {"trainer": torch.Generator().get_state(), "torch": torch.get_rng_state()}},
                      meta={"config": {"name": "t"}, "step": 7, "wall_time": 1.5, "n_classes": 0, "n_critic": 1,
                            "metrics": {"sliced_w": 0.1}, "best_value": None, "ema_updates": 0, "hist_counts": [0, 0],
                            "opt_G_groups": groups, "opt_D_groups": groups})
    path = save_checkpoint(tmp_path_factory.mktemp("ck") / "a.safetensors", ckpt)
    from safetensors.torch import load_file

    return load_file(str(path)), json.loads(path.with_suffix(".json").read_text())


META_KEYS = ["config", "step", "wall_time", "n_classes", "n_critic", "metrics", "best_value", "best_metric",
             "ema_updates", "hist_counts", "opt_G_groups", "opt_D_groups", "format"]


@FUZZ
@given(st.sampled_from(META_KEYS), json_values, st.booleans())
def test_fuzzed_checkpoint_metadata_loads_or_is_refused(tiny_checkpoint, key, value, inside_groups):
    tensors, meta = tiny_checkpoint
    meta = json.loads(json.dumps(meta))
    if inside_groups and key in ("opt_G_groups", "opt_D_groups"):
        meta[key][0]["betas" if isinstance(value, list) else "lr"] = value
    else:
        meta[key] = value
    path = _tmp() / "bad.safetensors"
    path.write_bytes(st_save_bytes(tensors, metadata={"ganstudio": _dumps(meta)}))
    ckpt = _loads_or_refuses(load_checkpoint, path)
    if ckpt is not None:
        assert ckpt.step >= 0 and isinstance(ckpt.config, dict)


@FUZZ
@given(json_values | st.text(max_size=50) | deep_json)
def test_fuzzed_whole_checkpoint_metadata_loads_or_is_refused(tiny_checkpoint, value):
    tensors, _ = tiny_checkpoint
    path = _tmp() / "bad.safetensors"
    text = value if isinstance(value, str) else _dumps(value)
    path.write_bytes(st_save_bytes(tensors, metadata={"ganstudio": text}))
    _loads_or_refuses(load_checkpoint, path)


# --- run folders listed by the run browser (core.train.run_index) -----------------------------------------

def _good_run_config() -> dict:
    from ganstudio.core.config import preset

    return json.loads(preset("toy-ring").to_json())


def _listed_once(run: Path):
    from ganstudio.core.train.run_index import STATES, scan_runs

    (entry,) = scan_runs(run).runs  # never an exception, never dropped
    assert entry.state in STATES
    if entry.state == "unreadable":
        assert entry.reason and "\n" not in entry.reason
    assert entry.steps_done is None or entry.steps_done >= 0
    assert "\n" not in entry.note
    return entry


@FUZZ
@given(config=json_values, best=json_values,
       section=st.sampled_from(["name", "data", "train", "objective"]), value=json_values)
def test_fuzzed_run_files_are_listed_or_named_unreadable(config, best, section, value):
    run = _tmp()
    (run / "checkpoints").mkdir()
    (run / "config.json").write_text(_dumps(config))
    (run / "checkpoints" / "best.json").write_text(_dumps(best))
    _listed_once(run)
    damaged = _good_run_config()
    if section == "name":
        damaged["name"] = value
    else:
        damaged[section] = {**damaged[section], **({"kind": value, "steps": value, "loss": value, "best_metric": value})}
    (run / "config.json").write_text(_dumps(damaged))
    (run / "checkpoints" / "best.json").write_text(_dumps({"step": value, "best_value": value, "best_metric": value}))
    _listed_once(run)


@FUZZ
@given(data=st.binary(max_size=3000), deep=deep_json)
def test_arbitrary_bytes_as_a_run_config_log_or_checkpoint_twin(data, deep):
    run = _tmp()
    (run / "checkpoints").mkdir()
    for name in ("config.json", "metrics.jsonl", "checkpoints/latest.json", "checkpoints/best.json"):
        (run / name).write_bytes(data)
    assert _listed_once(run).state == "unreadable" or data.strip().startswith(b"{")
    (run / "config.json").write_text(deep)
    (run / "checkpoints" / "best.json").write_text(deep)
    (run / "metrics.jsonl").write_text(deep + "\n")
    _listed_once(run)
