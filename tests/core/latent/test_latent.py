"""Latent-space maths and the explorer's model plumbing, without Qt."""

import json
import shutil

import numpy as np
import pytest
import torch

from ganstudio.core.checkpoint import load_checkpoint, save_checkpoint
from ganstudio.core.errors import GanStudioError, ModelError
from ganstudio.core.generators import handle
from ganstudio.core.generators.formats import file_sha256
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.latent import directions, space
from ganstudio.core.latent.bookmarks import Bookmark, bookmark_model_warning, load_bookmark, save_bookmark
from ganstudio.core.latent.space import (
    Truncation,
    arithmetic,
    arithmetic_variations,
    interpolate_path,
    lerp,
    sample_latents,
    slerp,
)

RNG = np.random.default_rng(1234)


# --- sampling --------------------------------------------------------------------------------------------

def test_sampling_matches_the_cli_seed_and_truncation_bounds_or_scales():
    z = sample_latents(16, 32, seed=7)
    assert z.dtype == np.float32 and z.shape == (16, 32)
    cli = torch.randn(16, 32, generator=torch.Generator().manual_seed(7)).numpy()
    assert np.array_equal(z, cli)  # `ganstudio sample --seed 7 --n 16` draws these very numbers
    assert not np.array_equal(z, sample_latents(16, 32, seed=8))

    t = sample_latents(200, 32, seed=7, truncation=Truncation("resample", 0.7))
    assert np.abs(t).max() <= 0.7 and np.abs(z).max() > 0.7
    assert np.array_equal(t, sample_latents(200, 32, seed=7, truncation=Truncation("resample", 0.7)))
    inside = np.abs(cli) <= 0.7  # values already inside the bound are kept, the rest are redrawn
    assert np.array_equal(t[:16][inside], cli[inside])

    s = sample_latents(16, 32, seed=7, truncation=Truncation("scale", 0.5))
    np.testing.assert_allclose(s, 0.5 * z, rtol=0, atol=1e-7)
    with pytest.raises(GanStudioError, match="threshold"):
        Truncation("resample", 0.0)


# --- slerp / lerp properties -------------------------------------------------------------------------------

@pytest.mark.parametrize("trial", range(20))
def test_slerp_endpoints_are_exact_and_equal_norms_stay_on_the_sphere(trial):
    d = int(RNG.integers(2, 200))
    a = RNG.standard_normal(d).astype(np.float32)
    b = RNG.standard_normal(d).astype(np.float32)
    assert np.array_equal(slerp(a, b, 0.0), a) and np.array_equal(slerp(a, b, 1.0), b)
    assert np.array_equal(lerp(a, b, 0.0), a) and np.array_equal(lerp(a, b, 1.0), b)
    # equal norms: every point keeps the norm (so it lies between the endpoints' norms)
    b_eq = b / np.linalg.norm(b) * np.linalg.norm(a)
    ts = RNG.uniform(0, 1, size=25)
    norms = np.linalg.norm(slerp(a, b_eq, ts).astype(np.float64), axis=1)
    lo, hi = sorted([np.linalg.norm(a), np.linalg.norm(b_eq)])
    assert np.all(norms >= lo * (1 - 1e-5)) and np.all(norms <= hi * (1 + 1e-5))
    # t = 0.5 is symmetric, and the path reversed is the path backwards
    np.testing.assert_allclose(slerp(a, b, 0.5), slerp(b, a, 0.5), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(slerp(a, b, ts), slerp(b, a, 1 - ts), rtol=1e-5, atol=1e-5)
    # lerp's midpoint is shorter for equal-norm vectors at an angle; slerp's is not
    assert np.linalg.norm(lerp(a, b_eq, 0.5)) < np.linalg.norm(slerp(a, b_eq, 0.5))


def test_slerp_is_accurate_for_nearly_parallel_and_falls_back_for_parallel():
    a = RNG.standard_normal(64)
    eps = 1e-9 * RNG.standard_normal(64)
    b = a + eps
    mid = slerp(a, b, 0.5)
    np.testing.assert_allclose(mid, a + 0.5 * eps, rtol=0, atol=1e-12)  # no 0/0, no catastrophic rounding
    assert np.all(np.isfinite(slerp(a, a, np.linspace(0, 1, 5))))
    np.testing.assert_array_equal(slerp(a, 2 * a, 0.5), lerp(a, 2 * a, 0.5))
    # the angle is accurate where arccos(cos) would lose it
    x = np.array([1.0, 0.0])
    y = np.array([1.0, 1e-9])
    assert space._angle(x, y) == pytest.approx(1e-9, rel=1e-6)


def test_interpolate_path_passes_through_every_keyframe():
    keys = RNG.standard_normal((3, 16)).astype(np.float32)
    for mode in ("lerp", "slerp"):
        path = interpolate_path(keys, steps=5, mode=mode)
        assert path.shape == (11, 16) and path.dtype == np.float32
        for k in range(3):
            assert np.array_equal(path[5 * k], keys[k])
        assert len({row.tobytes() for row in path}) == 11
    with pytest.raises(GanStudioError, match="two keyframes"):
        interpolate_path(keys[:1], steps=4)
    with pytest.raises(GanStudioError, match="lerp or slerp"):
        interpolate_path(keys, steps=4, mode="cubic")


# --- arithmetic properties ---------------------------------------------------------------------------------

@pytest.mark.parametrize("trial", range(10))
def test_arithmetic_a_minus_b_plus_c_properties(trial):
    d = int(RNG.integers(2, 128))
    A, B, C = (RNG.standard_normal((int(RNG.integers(1, 5)), d)).astype(np.float32) for _ in range(3))
    # A = B leaves the mean of C
    np.testing.assert_allclose(arithmetic(A, A, C), C.mean(axis=0), rtol=0, atol=1e-6)
    np.testing.assert_allclose(arithmetic(A, A, C[:1]), C[0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(arithmetic(A, B, C), A.mean(0) - B.mean(0) + C.mean(0), atol=1e-5)
    # linear in the groups (same group sizes)
    A2, B2, C2 = (RNG.standard_normal(g.shape).astype(np.float32) for g in (A, B, C))
    alpha, beta = RNG.uniform(-2, 2, size=2)
    lhs = arithmetic(alpha * A + beta * A2, alpha * B + beta * B2, alpha * C + beta * C2)
    rhs = alpha * arithmetic(A, B, C) + beta * arithmetic(A2, B2, C2)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4, atol=1e-4)


def test_arithmetic_needs_every_group_and_variations_keep_the_result_first():
    z = RNG.standard_normal((2, 8)).astype(np.float32)
    with pytest.raises(GanStudioError, match="group B"):
        arithmetic(z, [], z)
    r = arithmetic(z[:1], z[1:], z[:1])
    v = arithmetic_variations(r, n=9, noise=0.25, seed=3)
    assert v.shape == (9, 8) and np.array_equal(v[0], r)
    assert np.abs(v[1:] - r).max() <= 0.25 and len({row.tobytes() for row in v}) == 9


# --- generators, directions, bookmarks -------------------------------------------------------------------

def test_open_generator_reads_a_checkpoint_and_renders_like_the_cli(digits_ckpt):
    model = open_generator(digits_ckpt.parent.parent)  # a run folder resolves to its latest checkpoint
    assert (model.z_dim, model.n_classes, model.image_size, model.channels) == (64, 10, 32, 1)
    assert model.path == digits_ckpt.resolve() and model.sha256 == file_sha256(digits_ckpt)
    z = sample_latents(4, 64, seed=0)
    pics = model.render_latents(z, [1, 1, 2, 2])
    assert pics.shape == (4, 32, 32, 3) and pics.dtype == np.uint8
    assert not np.array_equal(pics[0], pics[2])  # the class changes the picture
    from ganstudio.core.imaging import to_uint8
    from ganstudio.core.models.from_config import generator_from_checkpoint

    G, _, _ = generator_from_checkpoint(digits_ckpt)
    with torch.no_grad():
        ref = to_uint8(G(torch.from_numpy(z), torch.tensor([1, 1, 2, 2])))
    assert np.array_equal(pics, ref)


def test_a_toy_generator_opens_as_points_and_a_picture_request_is_answered_with_an_error(tmp_path):
    from ganstudio.core.config import preset
    from ganstudio.core.generators.handle import LatentRequest
    from ganstudio.core.train.trainer import Trainer

    cfg = preset("toy-ring").with_overrides(["model.g_width=8", "model.d_width=8", "train.eval_every=0",
                                             "train.sample_every=0", "train.checkpoint_every=0"])
    trainer = Trainer(cfg, run_dir=tmp_path / "toy")
    path = trainer.save_checkpoint()
    model = open_generator(path)
    assert model.input_kind == "points" and model.z_dim == cfg.model.z_dim
    z = sample_latents(5, model.z_dim, seed=3)
    with torch.no_grad():
        expected = (trainer.ema.model if trainer.ema is not None else trainer.G).eval()(torch.from_numpy(z))
    assert torch.equal(model.generate(z), expected)
    result = model.render(LatentRequest(z))
    assert result.pixels is None and "2-D points" in result.error
    with pytest.raises(ModelError, match="2-D points"):
        model.render_latents(z)
    with pytest.raises(GanStudioError, match="does not exist"):
        open_generator(tmp_path / "nothing.safetensors")


def finish(job):
    """Run a job function (a generator yielding progress) to the end; its return value."""
    while True:
        try:
            next(job)
        except StopIteration as done:
            return done.value


def test_principal_directions_are_unit_ordered_cached_and_move_the_first_block(digits_ckpt, tmp_path, monkeypatch):
    model = open_generator(digits_ckpt)
    progress = []
    job = directions.cached_principal_directions(digits_ckpt, tmp_path / "cache", n_samples=600, n_components=8)
    while True:
        try:
            progress.append(next(job))
        except StopIteration as done:
            dirs = done.value
            break
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert dirs.directions.shape == (8, 64) and dirs.stds.shape == (8,)
    np.testing.assert_allclose(np.linalg.norm(dirs.directions, axis=1), 1.0, atol=1e-5)
    assert np.all(np.diff(dirs.explained) <= 1e-7) and 0 < dirs.explained.sum() <= 1.0 + 1e-6
    assert np.all((dirs.stds > 0.3) & (dirs.stds < 3))  # about 1 for Gaussian z
    # the first direction changes the first block's activations along its first principal component
    # far more than a random unit direction does
    z = sample_latents(64, 64, seed=11)
    y = torch.arange(64) % 10
    act = lambda zz: directions.layer_activations(model.module, dirs.layer, torch.from_numpy(zz), y).double()
    base = act(z)
    moved = (act(z + 2 * dirs.directions[0]) - base).norm(dim=1).mean()
    rand = RNG.standard_normal(64).astype(np.float32)
    moved_rand = (act(z + 2 * rand / np.linalg.norm(rand)) - base).norm(dim=1).mean()
    assert moved > moved_rand
    # cached on disk as .npz; the second call reads it back without computing
    files = list((tmp_path / "cache").glob("directions-*.npz"))
    assert len(files) == 1

    def no_recompute(*args, **kwargs):
        raise AssertionError("the cached directions were computed again")

    monkeypatch.setattr(directions, "compute_principal_directions", no_recompute)
    monkeypatch.setattr(handle, "open_generator", no_recompute)  # not even the model is loaded
    again = directions.cached_principal_directions(digits_ckpt, tmp_path / "cache", n_samples=600, n_components=8)
    try:
        while True:
            next(again)
    except StopIteration as done:
        assert np.array_equal(done.value.directions, dirs.directions)
    offset = dirs.offset([1.0] + [0.0] * 7)
    np.testing.assert_allclose(offset, dirs.stds[0] * dirs.directions[0], atol=1e-6)


def test_directions_cache_counts_computations_and_changed_weights_never_reuse_a_stale_entry(
        digits_ckpt, tmp_path, monkeypatch):
    computed = []  # sha256 of the weights each computation ran on
    real = directions.compute_principal_directions

    def counting(model, *args, **kwargs):
        computed.append(model.sha256)
        return (yield from real(model, *args, **kwargs))

    monkeypatch.setattr(directions, "compute_principal_directions", counting)
    cache = tmp_path / "cache"
    weights = tmp_path / "model.safetensors"
    shutil.copyfile(digits_ckpt, weights)
    settings = dict(n_samples=200, n_components=4)
    first = finish(directions.cached_principal_directions(weights, cache, **settings))
    assert computed == [file_sha256(digits_ckpt)]
    again = finish(directions.cached_principal_directions(weights, cache, **settings))
    assert len(computed) == 1 and np.array_equal(again.directions, first.directions)

    # Retrained in place: same file name, other weights. The cache must not answer with the old ones.
    ckpt = load_checkpoint(digits_ckpt)
    g = torch.Generator().manual_seed(0)
    # Weights only: noise on BatchNorm's running variances could make them negative (NaN pictures).
    ckpt.states["G"] = {k: v + 0.3 * torch.randn(v.shape, generator=g)
                        if v.is_floating_point() and not k.endswith(("running_mean", "running_var")) else v
                        for k, v in ckpt.states["G"].items()}
    save_checkpoint(weights, ckpt)
    new_sha = file_sha256(weights)
    assert new_sha != computed[0]
    changed = finish(directions.cached_principal_directions(weights, cache, **settings))
    assert computed[1:] == [new_sha]
    direct = finish(real(open_generator(weights), **settings))  # the new weights' own directions, no cache
    np.testing.assert_array_equal(changed.directions, direct.directions)
    assert not np.allclose(np.abs(changed.directions), np.abs(first.directions), atol=1e-3)
    assert len(list(cache.glob("directions-*.npz"))) == 2
    finish(directions.cached_principal_directions(weights, cache, **settings))
    assert len(computed) == 2  # and the new entry is reused in turn


def test_bookmark_round_trip_is_exact_and_mismatched_weights_are_named(digits_ckpt, tmp_path):
    z = sample_latents(3, 64, seed=5) + np.float32(1e-7)
    model = open_generator(digits_ckpt)
    bm = Bookmark(latents=z, model=model.model_id(), labels=[3, 4, 5], truncation=Truncation("resample", 1.5),
                  seed=5, metadata={"cell": 2})
    path = save_bookmark(tmp_path / "mark", bm)
    assert path.suffix == ".json"
    doc = json.loads(path.read_text())
    assert doc["format"] == "ganstudio-latent-bookmark" and doc["model"]["sha256"] == model.sha256
    back = load_bookmark(path)
    assert np.array_equal(back.latents, z) and back.labels == [3, 4, 5]
    assert back.truncation == Truncation("resample", 1.5) and back.metadata == {"cell": 2}
    assert bookmark_model_warning(back, digits_ckpt) is None
    other = tmp_path / "other.safetensors"
    other.write_bytes(digits_ckpt.read_bytes() + b" ")
    assert "weights differ" in bookmark_model_warning(back, other)
    (tmp_path / "bad.json").write_text("{\"latents\": 3}")
    with pytest.raises(GanStudioError, match="bad.json"):
        load_bookmark(tmp_path / "bad.json")


def test_the_catalogue_offers_explore_models_found_on_disk_with_their_titles(digits_ckpt, tmp_path):
    from ganstudio.core.generators.catalogue import catalogue_entry, list_bundled

    assert list_bundled(tmp_path / "none", area="explore") == []
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "digits-conditional.safetensors").write_bytes(digits_ckpt.read_bytes())
    (folder / "sketch-landscapes.safetensors").write_bytes(b"")  # an image-to-image model is no explorer model
    models = list_bundled(folder, area="explore")
    entry = catalogue_entry("digits-conditional")
    assert [(m.name, m.title, m.description) for m in models] == [(entry.name, entry.title, entry.description)]
    assert [m.name for m in list_bundled(folder, area="sketch")] == ["sketch-landscapes"]
    assert open_generator(folder / "digits-conditional.safetensors").z_dim == 64
    with pytest.raises(GanStudioError, match="no area"):
        list_bundled(folder, area="train")


def test_read_latents_takes_bookmarks_and_npy_arrays_and_names_bad_files(digits_ckpt, tmp_path):
    from ganstudio.core.latent.bookmarks import read_latents

    z = sample_latents(2, 64, seed=9)
    model = open_generator(digits_ckpt)
    path = save_bookmark(tmp_path / "two", Bookmark(latents=z, model=model.model_id(), labels=[4, 7]))
    got, labels, bookmark = read_latents(path, 64)
    assert np.array_equal(got, z) and labels == [4, 7] and bookmark.model["sha256"] == model.sha256
    np.save(tmp_path / "z.npy", z[0])
    got, labels, bookmark = read_latents(tmp_path / "z.npy", 64)
    assert got.shape == (1, 64) and labels is None and bookmark is None
    with pytest.raises(GanStudioError, match=r"z.npy holds shape \(1, 64\); this generator needs \(N, 32\)"):
        read_latents(tmp_path / "z.npy", 32)
    bad = z.copy()
    bad[0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(GanStudioError, match="not finite"):
        read_latents(tmp_path / "nan.npy", 64)
    (tmp_path / "x.npy").write_bytes(b"not numpy")
    with pytest.raises(GanStudioError, match="not a readable .npy"):
        read_latents(tmp_path / "x.npy", 64)
