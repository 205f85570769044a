"""Exploring a StyleGAN in W: psi toward w_avg, style mixing, GANSpace directions in W applied to a layer range,
bookmarks that `ganstudio sample --latent` renders to the same pixels. A small StyleGAN2 pickle is written in
NVlabs' format in the test (tests/nvlabs_reference.py) and every picture is checked against the independent
functional forward given the ws that the edit should produce."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from nvlabs_reference import Cfg, reference_generator, reference_mapping, reference_synthesis, write_snapshot
from PIL import Image

from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.handle import LatentRequest, open_generator
from ganstudio.core.generators.style_edit import StyleEdit, layer_ranges
from ganstudio.core.imaging import to_uint8
from ganstudio.core.latent.bookmarks import load_bookmark
from ganstudio.core.latent.directions import compute_principal_directions
from ganstudio.core.latent.explore_state import ExploreState
from ganstudio.core.latent.space import sample_latents

CFG = Cfg(z=12, c=3, w=10, res=64, base=256, cmax=8)  # 10 ws: coarse, middle and fine layers


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    G = reference_generator(CFG, seed=11)
    path = write_snapshot(tmp_path_factory.mktemp("sg") / "network-snapshot-000100.pkl", G)
    return path, G.state_dict(), open_generator(path, device="cpu")


def run_jobs(job):
    try:
        while True:
            next(job)
    except StopIteration as stop:
        return stop.value


def onehot(labels):
    return F.one_hot(torch.as_tensor(labels), CFG.c).float()


def test_layer_ranges_follow_the_resolution_each_w_draws():
    res = [4, 4, 8, 8, 16, 16, 32, 32, 64, 64]
    assert layer_ranges(res) == {"all": (0, 10), "coarse": (0, 4), "middle": (4, 8), "fine": (8, 10)}
    assert layer_ranges([4, 4, 8, 8, 16, 16]) == {"all": (0, 6), "coarse": (0, 4), "middle": (4, 6)}


def test_the_model_describes_its_w_space(stylegan):
    _, _, gen = stylegan
    info = gen.describe()
    assert gen.is_stylegan and info["num_ws"] == CFG.num_ws == 10 and info["w_dim"] == CFG.w
    assert info["w_resolutions"] == [4, 4, 8, 8, 16, 16, 32, 32, 64, 64]


def test_mixing_and_w_offsets_give_the_pixels_of_the_edited_ws(stylegan):
    _, sd, gen = stylegan
    z = torch.from_numpy(sample_latents(3, CFG.z, 5))
    z2 = torch.from_numpy(sample_latents(1, CFG.z, 6))
    labels = [0, 1, 2]
    offset = np.linspace(-1, 1, CFG.w).astype(np.float32)
    edit = StyleEdit(mix_z=z2[0].numpy(), mix_label=1, mix_layers=(8, 10), w_offset=offset, offset_layers=(0, 4))
    psi = 0.6
    with torch.no_grad():
        ws = reference_mapping(sd, CFG, z, onehot(labels), psi=psi)
        ws2 = reference_mapping(sd, CFG, z2.expand(3, -1), onehot([1, 1, 1]), psi=psi)
        ws[:, 8:10] = ws2[:, 8:10]
        ws[:, 0:4] += torch.from_numpy(offset)
        ref = reference_synthesis(sd, CFG, ws)
    out = gen.generate(z.numpy(), labels, truncation_psi=psi, style=edit)
    assert torch.allclose(out, ref, atol=2e-5), (out - ref).abs().max()
    plain = gen.generate(z.numpy(), labels, truncation_psi=psi)
    assert (out - plain).abs().max() > 0.05  # the edit shows
    # the identity edit renders exactly what no edit does
    assert torch.equal(gen.generate(z.numpy(), labels, psi, style=StyleEdit()), plain)
    # the edit's ws are what mapped_w gives
    assert torch.allclose(gen.mapped_w(z.numpy(), labels, psi, style=edit), ws, atol=1e-5)


def test_edits_that_do_not_fit_are_one_sentence(stylegan, digits_ckpt):
    _, _, gen = stylegan
    z = sample_latents(1, CFG.z, 0)
    bad = StyleEdit(w_offset=np.ones(CFG.w + 1, np.float32))
    result = gen.render(LatentRequest(z, [0], style=bad))
    assert result.pixels is None and "w offset" in result.error
    result = gen.render(LatentRequest(z, [0], style=StyleEdit(mix_z=z[0], mix_label=0, mix_layers=(3, 11))))
    assert result.pixels is None and "layer range" in result.error
    dcgan = open_generator(digits_ckpt, device="cpu")
    result = dcgan.render(LatentRequest(sample_latents(1, dcgan.z_dim, 0), [0],
                                        style=StyleEdit(w_offset=np.ones(4, np.float32))))
    assert result.pixels is None and "no StyleGAN" in result.error


def test_principal_directions_in_w_are_the_pca_of_mapped_w(stylegan):
    _, sd, gen = stylegan
    d = run_jobs(compute_principal_directions(gen, n_samples=400, n_components=5, seed=3, batch_size=128))
    assert d.space == "w" and d.directions.shape == (5, CFG.w)
    # closed form: eigenvectors of the covariance of w over the same samples and classes
    z = torch.from_numpy(sample_latents(400, CFG.z, 3))
    y = torch.randint(0, CFG.c, (400,), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        w = reference_mapping(sd, CFG, z, onehot(y))[:, 0].double().numpy()
    cov = np.cov(w, rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    for k in range(5):
        assert abs(abs(float(d.directions[k] @ vecs[:, k])) - 1) < 1e-4, k
        assert abs(float(d.stds[k]) ** 2 - vals[k]) < 1e-4 * vals[0]
    assert np.allclose(d.directions @ d.directions.T, np.eye(5), atol=1e-5)
    assert np.isclose(d.explained.sum(), vals[:5].sum() / vals.sum(), atol=1e-5)


def state_for(gen) -> ExploreState:
    state = ExploreState()
    state.set_model(gen.describe(identity=True))
    state.resample_grid(select=0)
    return state


def test_the_state_sends_psi_mixing_and_w_direction_offsets_with_the_view(stylegan):
    _, _, gen = stylegan
    state = state_for(gen)
    assert state.layer_ranges["fine"] == (8, 10)
    assert state.psi == 1.0 and state.style_of("view") is None
    state.set_truncation("w", 0.5)
    assert state.psi == 0.5 and state.truncation.mode == "off"  # z drawn plainly, psi in W at render time
    assert np.array_equal(state.grid_z, sample_latents(16, CFG.z, 0))
    d = run_jobs(compute_principal_directions(gen, n_samples=200, n_components=4, seed=0))
    state.set_directions(d)
    z_before = state.view_latent().copy()
    state.set_direction(1, 2.0)
    assert np.array_equal(state.view_latent(), z_before)  # W directions leave z alone
    state.set_direction_layers("coarse")
    edit = state.style_of("view")
    assert edit.offset_layers == (0, 4)
    assert np.allclose(edit.w_offset, 2.0 * d.stds[1] * d.directions[1], atol=1e-6)
    state.set_mixing(7, "fine")
    edit = state.style_of("view")
    assert edit.mix_layers == (8, 10) and np.array_equal(edit.mix_z, sample_latents(1, CFG.z, 7)[0])
    assert edit.mix_label == state.sel_label
    assert "mixed fine from seed 7" in state.caption() and "ψ 0.5 in W" in state.caption()
    assert state.style_of("grid") is None  # the grid shows plain samples (with psi)
    with pytest.raises(GanStudioError):
        state.set_mixing(1, "hair")


def test_a_bookmark_of_an_edited_view_reproduces_its_pixels_with_ganstudio_sample(stylegan, tmp_path):
    from ganstudio.cli import main as cli_main

    path, _, gen = stylegan
    state = state_for(gen)
    state.set_truncation("w", 0.7)
    state.set_directions(run_jobs(compute_principal_directions(gen, n_samples=200, n_components=3, seed=0)))
    state.set_direction(0, -1.5)
    state.set_direction_layers("middle")
    state.set_mixing(3, "coarse")
    # what the area does: render the view's request, note it shown
    z, labels = state.batch("view")
    request = LatentRequest(z, labels, truncation_psi=state.psi, style=state.style_of("view"))
    shown = gen.render(request).pixels[0]
    state.note_shown("view", request.z, request.labels, request.truncation_psi, request.style)
    written = state.save_bookmark(tmp_path / "edited.json")
    bm = load_bookmark(written)
    assert bm.truncation_psi == 0.7 and bm.style == request.style and bm.metadata["mix_seed"] == 3
    assert cli_main(["sample", str(path), "--latent", str(written), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 0
    again = np.asarray(Image.open(tmp_path / "out" / "sample_00000.png").convert("RGB"))
    assert np.array_equal(again, shown)
    unedited = to_uint8(gen.generate(z, labels))[0]
    assert not np.array_equal(again, unedited)
    # the bookmark shown again in a fresh state renders the same request
    fresh = state_for(gen)
    fresh.apply_bookmark(bm, written)
    z2, labels2 = fresh.batch("view")
    assert fresh.psi == 0.7 and fresh.style_of("view") == request.style
    assert np.array_equal(gen.render(LatentRequest(z2, labels2, fresh.psi, fresh.style_of("view"))).pixels[0], shown)


def test_a_stylegan_bookmark_is_refused_by_other_models(digits_ckpt, tmp_path):
    from ganstudio.cli import main as cli_main
    from ganstudio.core.latent.bookmarks import Bookmark, save_bookmark

    dcgan = open_generator(digits_ckpt, device="cpu")
    state = state_for(dcgan)
    with pytest.raises(GanStudioError):
        state.set_truncation("w", 0.5)
    assert state.layer_ranges == {} and state.style_of("view") is None
    # latents that fit the DCGAN, with styles: the area and sample refuse in one sentence
    fake = save_bookmark(tmp_path / "dc.json", Bookmark(latents=np.zeros((1, dcgan.z_dim), np.float32), labels=[0],
                                                        style=StyleEdit(w_offset=np.ones(4, np.float32))))
    with pytest.raises(GanStudioError, match="no StyleGAN"):
        state.apply_bookmark(load_bookmark(fake), fake)
    assert cli_main(["sample", str(digits_ckpt), "--latent", str(fake), "--out", str(tmp_path / "x.png")]) == 2


def test_sefa_directions_are_the_eigenvectors_of_the_normalised_style_weights(stylegan):
    from ganstudio.core.latent.directions import SEFA

    _, sd, gen = stylegan
    d = run_jobs(compute_principal_directions(gen, n_samples=300, n_components=4, layer=SEFA))
    assert d.space == "w" and d.layer == SEFA and d.directions.shape == (4, CFG.w)
    # closed form from the file's tensors: every synthesis affine (conv0, conv1, torgb), rows normalised
    names = [k[: -len(".affine.weight")] for k in sd if k.endswith(".affine.weight")]
    a = np.concatenate([sd[f"{n}.affine.weight"].double().numpy() for n in names])
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    vals, vecs = np.linalg.eigh(a.T @ a)
    for k in range(4):
        assert abs(abs(float(d.directions[k] @ vecs[:, -1 - k])) - 1) < 1e-5, k
    assert np.isclose(d.explained[0], vals[-1] / vals.sum(), atol=1e-6) and np.all(d.stds > 0)


def test_a_path_in_w_lerps_the_truncated_ws_of_its_keyframes(stylegan):
    """Interpolation in W: latent i is drawn from (1 - t) w_k + t w_k+1 of the truncated keyframe ws around its
    place on the path (checked against the independent reference's mapping and synthesis)."""
    from ganstudio.core.generators.style_edit import path_places

    _, sd, gen = stylegan
    keys = sample_latents(3, CFG.z, 21)
    labels = (0, 2, 1)
    at = path_places(3, 4)  # 9 frames: keyframes at 0, 4, 8
    assert at.tolist() == [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]
    psi = 0.7
    edit = StyleEdit(path_z=keys, path_labels=labels, path_at=at)
    with torch.no_grad():
        wk = reference_mapping(sd, CFG, torch.from_numpy(keys), onehot(list(labels)), psi=psi)
        seg = np.minimum(np.floor(at).astype(int), 1)
        t = torch.from_numpy(at - seg).float().reshape(-1, 1, 1)
        ws = wk[seg] * (1 - t) + wk[seg + 1] * t
        ref = reference_synthesis(sd, CFG, ws)
    frames_z = np.zeros((9, CFG.z), np.float32)  # z is ignored on a path in W
    out = gen.generate(frames_z, [0] * 9, truncation_psi=psi, style=edit)
    assert torch.allclose(out, ref, atol=2e-5), (out - ref).abs().max()
    keyframes = gen.generate(keys, list(labels), truncation_psi=psi)
    assert torch.allclose(out[[0, 4, 8]], keyframes, atol=2e-5)  # the keyframes themselves
    z_mid = gen.generate(((keys[0] + keys[1]) / 2)[None], [0], truncation_psi=psi)
    assert (out[2] - z_mid[0]).abs().max() > 0.02  # not the Z path's middle
    # a bookmark's JSON keeps the path exactly
    again = StyleEdit.from_dict(edit.to_dict())
    assert again == edit and np.array_equal(again.path_at, at) and again.path_labels == labels


@pytest.mark.parametrize("change, words", [
    (dict(path_at=np.array([0.0, 2.5], np.float32)), "from 0 to 2"),
    (dict(path_at=np.array([np.nan], np.float32)), "places along the path"),
    (dict(path_labels=(0, 1)), "3 keyframes but 2 classes"),
    (dict(path_labels=(0, 1, 7)), "a class from 0 to 2"),
    (dict(path_z=np.zeros((1, CFG.z), np.float32)), "two or more keyframes"),
])
def test_a_path_in_w_that_does_not_fit_is_one_sentence(stylegan, change, words):
    _, _, gen = stylegan
    base = dict(path_z=sample_latents(3, CFG.z, 1), path_labels=(0, 1, 2), path_at=np.array([0.5], np.float32))
    result = gen.render(LatentRequest(sample_latents(len((base | change)["path_at"]), CFG.z, 0), None,
                                      style=StyleEdit(**(base | change))))
    assert result.pixels is None and words in result.error, result.error


def test_explore_interpolates_in_w_and_a_frame_selected_there_is_that_frame(stylegan):
    path, _, gen = stylegan
    s = ExploreState()
    s.set_model(gen.describe())
    s.resample_grid()
    s.select_cell(0)
    s.add_keyframe()
    s.select_cell(3)
    s.add_keyframe()
    s.set_interpolation(steps=4, space="w")
    strip = s.style_of("strip")
    assert strip.path_z.shape == (2, CFG.z) and strip.path_at.tolist() == [0, 0.25, 0.5, 0.75, 1]
    s.select_frame(2)
    view = s.style_of("view")
    assert view.path_at.tolist() == [0.5] and "in W" in s.sel_origin
    z, labels = s.batch("view")
    pictures = gen.render(LatentRequest(z, labels, truncation_psi=s.psi, style=view)).pixels
    strip_z, strip_labels = s.batch("strip")
    frames = gen.render(LatentRequest(strip_z, strip_labels, truncation_psi=s.psi, style=strip)).pixels
    assert np.array_equal(pictures[0], frames[2])
    s.set_interpolation(space="z")
    assert s.style_of("strip") is None


def test_sample_renders_a_long_w_path_bookmark_a_batch_at_a_time_with_the_same_pixels(stylegan, tmp_path, monkeypatch):
    """`ganstudio sample` renders a bookmark's latents RENDER_BATCH at a time (a file may hold 10^5); each
    batch takes its own places along a W path, so the frames are those of the whole path in one pass."""
    from ganstudio import cli
    from ganstudio.core.generators.style_edit import path_places
    from ganstudio.core.latent.bookmarks import Bookmark, save_bookmark

    path, _, gen = stylegan
    keys = sample_latents(3, CFG.z, 21)
    edit = StyleEdit(path_z=keys, path_labels=(0, 2, 1), path_at=path_places(3, 4))
    frames = np.zeros((9, CFG.z), np.float32)
    book = save_bookmark(tmp_path / "path.json", Bookmark(latents=frames, labels=[0] * 9, truncation_psi=0.7, style=edit))
    whole = to_uint8(gen.generate(frames, [0] * 9, truncation_psi=0.7, style=edit))
    monkeypatch.setattr(cli, "RENDER_BATCH", 4)  # 9 frames: batches of 4, 4 and 1
    assert cli.main(["sample", str(path), "--latent", str(book), "--out", str(tmp_path / "frames"), "--device", "cpu"]) == 0
    for i in range(9):
        assert np.array_equal(np.asarray(Image.open(tmp_path / "frames" / f"sample_{i:05d}.png").convert("RGB")), whole[i]), i
    monkeypatch.setattr(cli, "GRID_MAX_VALUES", 9 * 3 * 64 * 64 - 1)  # one value short of the 9 frames' grid
    assert cli.main(["sample", str(path), "--latent", str(book), "--out", str(tmp_path / "g.png"), "--device", "cpu"]) == 2
    assert not (tmp_path / "g.png").exists()
    monkeypatch.setattr(cli, "GRID_MAX_VALUES", 9 * 3 * 64 * 64)
    assert cli.main(["sample", str(path), "--latent", str(book), "--out", str(tmp_path / "g.png"), "--device", "cpu"]) == 0
    grid = np.asarray(Image.open(tmp_path / "g.png").convert("RGB"))
    assert np.array_equal(grid[2:66, 2:66], whole[0]) and np.array_equal(grid[2 + 2 * 66:2 * 66 + 66, 2 + 2 * 66:2 * 66 + 66], whole[8])
