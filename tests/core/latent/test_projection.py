"""Projecting a picture into a generator's latent: a picture the generator made itself (from a known latent) is
recovered (the loss falls far below the start, the picture comes back at a high PSNR), for a StyleGAN2 in W and
W+ (a small pickle written in NVlabs' format) and for the bundled conditional digits DCGAN in z; the result's
bookmark renders the projected picture exactly through `ganstudio sample`; bad pictures are one sentence."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nvlabs_reference import Cfg, reference_generator, write_snapshot
from PIL import Image

from ganstudio.cli import main as cli_main
from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.catalogue import bundled_folder
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.generators.style_edit import StyleEdit
from ganstudio.core.latent.bookmarks import load_bookmark, save_bookmark
from ganstudio.core.latent.projection import (
    MAX_PICTURE_BYTES,
    ProjectSettings,
    load_target,
    project,
    projection_bookmark,
    projection_job,
    psnr,
    reconstruction_loss,
    target_from_pixels,
)
from ganstudio.core.latent.space import sample_latents

CFG = Cfg(z=12, c=0, w=10, res=32, base=256, cmax=8)
DIGITS = bundled_folder() / "digits-conditional.safetensors"


@pytest.fixture(scope="module")
def stylegan(tmp_path_factory):
    path = write_snapshot(tmp_path_factory.mktemp("sg") / "network-snapshot-000100.pkl", reference_generator(CFG, seed=11))
    return path, open_generator(path, device="cpu")


@pytest.fixture(scope="module")
def digits():
    return open_generator(DIGITS, device="cpu")


def test_the_loss_is_zero_on_the_target_and_grows_with_pixel_and_edge_errors():
    g = torch.Generator().manual_seed(0)
    t = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    s = ProjectSettings()
    assert float(reconstruction_loss(t, t, s)[0]) == 0.0
    # a constant shift: MSE only (finite differences cancel) -> exactly the shift squared
    assert float(reconstruction_loss(t + 0.1, t, s)[0]) == pytest.approx(0.01, rel=1e-4)
    # a pattern of stripes: the edge term adds to the MSE
    stripes = torch.zeros(1, 3, 16, 16)
    stripes[..., ::2] = 0.2
    assert float(reconstruction_loss(t + stripes, t, s)[0]) > 0.01 + float(((stripes) ** 2).mean())
    assert psnr(np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 255, np.uint8)) == pytest.approx(0.0)


@pytest.mark.parametrize("wplus", [False, True])
def test_a_stylegan_picture_is_recovered_in_w_and_w_plus(stylegan, wplus):
    _, gen = stylegan
    z = sample_latents(1, gen.z_dim, 3)
    pic = gen.render_latents(z)[0]
    target = target_from_pixels(pic)
    reports = []
    result = project(gen, target, ProjectSettings(steps=80, wplus=wplus, report_every=20), progress=reports.append)
    assert [r.step for r in reports] == [0, 20, 40, 60]
    assert result.loss < 0.1 * result.start_loss
    assert psnr(result.picture, pic) >= 30, psnr(result.picture, pic)
    ws = result.style.ws
    assert ws.shape == (gen.info["num_ws"], gen.info["w_dim"])
    assert wplus or np.array_equal(ws, np.repeat(ws[:1], ws.shape[0], 0))  # W: one w for every layer
    # the picture is what the stored ws render, through the ordinary path
    assert np.array_equal(gen.render_latents(result.z[None], style=result.style)[0], result.picture)
    # and the starting picture (w_avg) was far off
    start = gen.render_latents(result.z[None], style=StyleEdit(ws=np.repeat(gen.module.G.mapping.w_avg.numpy()[None], ws.shape[0], 0)))[0]
    assert psnr(start, pic) < psnr(result.picture, pic) - 10


def test_several_starts_in_w_keep_the_best_one(stylegan):
    """With w_starts = 3 the second start is a mapped random z halfway to w_avg: a target drawn from exactly that
    w is found at once by it, where the single start from w_avg is still far off after a few steps."""
    _, gen = stylegan
    G = gen.module.G
    with torch.no_grad():
        z = torch.randn(2000, gen.z_dim, generator=torch.Generator().manual_seed(0))  # the seed's own draw
        w_avg = G.mapping.w_avg
        w1 = w_avg + 0.5 * (G.mapping(z[:1], None)[0, 0] - w_avg)
        ws1 = w1.reshape(1, 1, -1).expand(1, gen.info["num_ws"], -1)
        pic = gen.render_latents(np.zeros((1, gen.z_dim), np.float32), style=StyleEdit(ws=ws1[0].numpy()))[0]
    target = target_from_pixels(pic)
    one = project(gen, target, ProjectSettings(steps=4, seed=0, w_starts=1))
    three = project(gen, target, ProjectSettings(steps=4, seed=0, w_starts=3))
    assert psnr(three.picture, pic) >= 35 > psnr(one.picture, pic) + 5, (psnr(three.picture, pic), psnr(one.picture, pic))
    assert three.loss < one.loss and three.style.ws.shape == (gen.info["num_ws"], gen.info["w_dim"])
    assert np.array_equal(gen.render_latents(three.z[None], style=three.style)[0], three.picture)
    with pytest.raises(GanStudioError, match="projection starts must be from 1 to 64"):
        ProjectSettings(w_starts=0).check()


def test_projection_is_seeded_and_a_stopped_job_keeps_its_best(stylegan):
    _, gen = stylegan
    target = target_from_pixels(gen.render_latents(sample_latents(1, gen.z_dim, 4))[0])
    a = project(gen, target, ProjectSettings(steps=12, seed=5))
    b = project(gen, target, ProjectSettings(steps=12, seed=5))
    assert np.array_equal(a.style.ws, b.style.ws) and np.array_equal(a.picture, b.picture)
    calls = []
    stopped = project(gen, target, ProjectSettings(steps=200, report_every=5),
                      progress=calls.append, cancelled=lambda: len(calls) >= 2)
    assert stopped.stopped and len(calls) == 2 and stopped.step == 5
    assert np.array_equal(gen.render_latents(stopped.z[None], style=stopped.style)[0], stopped.picture)


def test_a_digits_dcgan_sample_is_recovered_in_z(digits):
    z = sample_latents(1, digits.z_dim, 3)
    pic = digits.render_latents(z, [4])[0]
    result = project(digits, target_from_pixels(pic, digits.channels), ProjectSettings(steps=60, label=4))
    assert result.style is None and result.label == 4
    assert result.loss < 0.2 * result.start_loss
    assert psnr(result.picture, pic) >= 30, psnr(result.picture, pic)
    assert np.array_equal(digits.render_latents(result.z[None], [4])[0], result.picture)


def test_the_bookmark_renders_the_projection_with_ganstudio_sample(tmp_path, stylegan, digits):
    for i, (gen, path, extra) in enumerate(((stylegan[1], stylegan[0], ["--wplus", "--starts", "2"]),
                                            (digits, DIGITS, ["--class", "3"]))):
        labels = [3] if gen.n_classes else None
        picture = tmp_path / f"photo{i}.png"
        Image.fromarray(gen.render_latents(sample_latents(1, gen.z_dim, 9), labels)[0]).save(picture)
        book, png, out = tmp_path / f"b{i}.json", tmp_path / f"p{i}.png", tmp_path / f"s{i}"
        assert cli_main(["project", str(path), str(picture), "--out", str(book), "--steps", "15", "--png", str(png),
                         "--device", "cpu", *extra]) == 0
        assert cli_main(["sample", str(path), "--latent", str(book), "--out", str(out), "--device", "cpu"]) == 0
        (sampled,) = sorted(out.glob("*.png"))
        assert np.array_equal(np.asarray(Image.open(sampled)), np.asarray(Image.open(png)))
        mark = load_bookmark(book)
        assert mark.metadata["made_by"] == "projection" and mark.model["sha256"] == gen.sha256
        assert (mark.style is not None) == gen.is_stylegan


def test_a_bookmark_round_trips_the_given_styles(tmp_path, stylegan):
    _, gen = stylegan
    result = project(gen, target_from_pixels(gen.render_latents(sample_latents(1, gen.z_dim, 1))[0]),
                     ProjectSettings(steps=3, wplus=True))
    mark = load_bookmark(save_bookmark(tmp_path / "b.json", projection_bookmark(gen, result, "me.png")))
    assert np.array_equal(mark.style.ws, result.style.ws) and mark.metadata["space"] == "W+"
    assert np.array_equal(gen.render_latents(mark.latents, style=mark.style)[0], result.picture)


def test_bad_pictures_and_settings_are_one_sentence(tmp_path, stylegan, digits, capsys):
    _, gen = stylegan
    not_a_picture = tmp_path / "notes.png"
    not_a_picture.write_text("hello")
    with pytest.raises(GanStudioError, match="notes.png cannot be projected"):
        load_target(not_a_picture, 32)
    with pytest.raises(GanStudioError, match="does not exist"):
        load_target(tmp_path / "missing.png", 32)
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_PICTURE_BYTES + 1)
    with pytest.raises(GanStudioError, match="huge.png is 64 MiB"):
        load_target(huge, 32)
    with pytest.raises(GanStudioError, match="steps must be"):
        project(gen, torch.zeros(1, 3, 32, 32), ProjectSettings(steps=0))
    with pytest.raises(GanStudioError, match="draws"):
        next(projection_job(gen, torch.zeros(1, 3, 16, 16)))
    with pytest.raises(GanStudioError, match="classes 0 to 9"):
        next(projection_job(digits, torch.zeros(1, 1, 32, 32), ProjectSettings(label=12)))
    capsys.readouterr()
    assert cli_main(["project", str(stylegan[0]), str(not_a_picture), "--out", str(tmp_path / "b.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.png cannot be projected" in err[0], err
    assert cli_main(["project", str(stylegan[0]), str(not_a_picture), "--out", str(tmp_path / "b.json"),
                     "--starts", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "projection starts must be from 1 to 64, not 0" in err[0], err


FUZZ = settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                derandomize=True)
ws_values = (st.none() | st.integers(-10, 10) | st.text(max_size=5) | st.floats(allow_nan=True, allow_infinity=True)
             | st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3), max_size=5)
             | st.lists(st.lists(st.floats(-1e40, 1e40) | st.just(float("nan")), max_size=12), max_size=70))


@FUZZ
@given(ws_values)
def test_fuzzed_given_styles_in_a_bookmark_load_or_are_refused(tmp_path, ws):
    import json

    path = tmp_path / "b.json"
    path.write_text(json.dumps({"latents": [[0.0] * 4], "style": {"ws": ws}}))
    try:
        mark = load_bookmark(path)
    except GanStudioError as exc:
        assert "b.json" in str(exc)
        return
    assert mark.style is None or mark.style.ws is None or np.isfinite(mark.style.ws).all()


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_a_photo_are_one_sentence(tmp_path, data):
    path = tmp_path / "photo.png"
    path.write_bytes(data)
    try:
        target = load_target(path, 16)
    except GanStudioError as exc:
        assert "photo.png" in str(exc)
        return
    assert target.shape == (1, 3, 16, 16) and torch.isfinite(target).all()


def test_a_negative_class_is_refused_before_the_model_opens():
    """Found by benchmarks/bad_input_campaign.py: `project --class -4` on an unconditional model was ignored and
    the projection ran its 200 steps; a negative class is refused for any model."""
    with pytest.raises(GanStudioError, match="the class must be a whole number from 0, not -4"):
        ProjectSettings(label=-4).check()
    assert ProjectSettings(label=3).check().label == 3
