"""The Explore area with a StyleGAN2 pickle (written in NVlabs' format in the test): psi in W from the truncation
menu, principal directions in W moved on a layer range, style mixing from a second seed, the render time on
screen, and a bookmark that `ganstudio sample --latent` renders to the pixels on screen."""

import numpy as np
import pytest
from nvlabs_reference import Cfg, reference_generator, write_snapshot
from PIL import Image

from ganstudio.core.generators.handle import LatentRequest, open_generator

CFG = Cfg(z=12, w=10, res=64, base=256, cmax=8)


@pytest.fixture(scope="module")
def pickle_path(tmp_path_factory):
    return write_snapshot(tmp_path_factory.mktemp("sg") / "network-snapshot-000200.pkl", reference_generator(CFG, seed=2))


@pytest.fixture
def area(open_stylegan, pickle_path):
    return open_stylegan(pickle_path, height=820)


def view_request(area):
    z, labels = area.state.batch("view")
    return LatentRequest(z, labels, truncation_psi=area.state.psi, style=area.state.style_of("view"))


def test_a_stylegan_is_explored_in_w_and_its_bookmark_renders_the_same_pixels(qtbot, area, pickle_path, tmp_path):
    from ganstudio.cli import main as cli_main

    gen = open_generator(pickle_path, device="cpu")
    style = area.directions_panel.style_panel
    assert style.isVisible() and area.directions.space == "w"
    assert [style.mixLayersCombo.itemText(i) for i in range(style.mixLayersCombo.count())] == ["all", "coarse", "middle", "fine"]
    combo = area.truncationCombo
    assert combo.findData("w") >= 0
    plain = area.latentView.image().copy()
    # psi in W from the truncation menu
    combo.setCurrentIndex(combo.findData("w"))
    area.truncationSpin.setValue(0.5)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_psi == 0.5, timeout=20000)
    assert area.state.psi == 0.5 and not np.array_equal(area.latentView.image(), plain)
    assert np.array_equal(area.latentView.image(), gen.render(view_request(area)).pixels[0])
    # a direction in W on the coarse layers
    style.directionLayersCombo.setCurrentIndex(style.directionLayersCombo.findData("coarse"))
    before = area.latentView.image().copy()
    area.directionSliderWidgets[0].setValue(250)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None, timeout=20000)
    assert area.state.shown_view_style.offset_layers == (0, 4)
    assert not np.array_equal(area.latentView.image(), before)
    # style mixing: fine layers from seed 5
    style.mixLayersCombo.setCurrentIndex(style.mixLayersCombo.findData("fine"))
    style.mixSeedSpin.setValue(5)
    style.mixCheck.setChecked(True)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None
                    and area.state.shown_view_style.mix_z is not None, timeout=20000)
    assert area.state.shown_view_style.mix_layers == (8, 10)
    assert "mixed fine from seed 5" in area.selectionCaption.text()
    shown = area.latentView.image().copy()
    assert np.array_equal(shown, gen.render(view_request(area)).pixels[0])
    assert "ms" in area.renderTimeLabel.text()
    # the bookmark, rendered by the CLI
    path = area.save_bookmark(tmp_path / "styled.json")
    assert cli_main(["sample", str(pickle_path), "--latent", str(path), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "sample_00000.png").convert("RGB")), shown)
    # and shown again after the selection moved on
    area.select_cell(3)
    qtbot.waitUntil(area.is_idle, timeout=20000)
    assert area.load_bookmark(path)
    qtbot.waitUntil(lambda: area.is_idle() and "bookmark styled" in area.sel_origin, timeout=20000)
    assert np.array_equal(area.latentView.image(), shown)


def test_other_models_keep_the_z_truncations_and_no_style_controls(qtbot, area, digits_ckpt):
    area.load_generator(digits_ckpt)
    qtbot.waitUntil(lambda: area.model_info is not None and area.model_info["path"] == str(digits_ckpt)
                    and area.is_idle(), timeout=30000)
    assert area.truncationCombo.findData("w") < 0
    assert not area.directions_panel.style_panel.isVisible()


def test_sefa_directions_replace_ganspace_and_move_the_view(qtbot, area):
    assert area.directions.layer == "w"
    combo = area.directions_panel.style_panel.directionMethodCombo
    combo.setCurrentIndex(combo.findData("sefa"))
    qtbot.waitUntil(lambda: area.directions is not None and area.directions.layer == "sefa", timeout=30000)
    assert "SeFa" in area.directions_panel.directionStatus.text()
    qtbot.waitUntil(area.is_idle, timeout=20000)
    before = area.latentView.image().copy()
    area.directionSliderWidgets[0].setValue(-200)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None, timeout=20000)
    assert not np.array_equal(area.latentView.image(), before)


def test_the_interpolation_strip_runs_in_w_and_a_frame_clicked_there_shows_that_frame(qtbot, area, pickle_path):
    gen = open_generator(pickle_path, device="cpu")
    panel = area.interpolation_panel
    space = panel.interpSpaceCombo
    assert space.isEnabled() and space.currentData() == "z"
    area.select_cell(0)
    area.add_keyframe()
    area.select_cell(5)
    area.add_keyframe()
    panel.stepsSpin.setValue(4)
    qtbot.waitUntil(lambda: area.is_idle() and panel.interpolationStrip.count() == 5, timeout=20000)
    in_z = panel.interpolationStrip.image(2).copy()
    space.setCurrentIndex(space.findData("w"))
    qtbot.waitUntil(lambda: area.is_idle() and area.state.interp_space == "w"
                    and not np.array_equal(panel.interpolationStrip.image(2), in_z), timeout=20000)
    assert not panel.interpModeCombo.isEnabled() and "lerp in W" in panel.keyframeInfo.text()
    z, labels = area.state.batch("strip")
    expected = gen.render(LatentRequest(z, labels, truncation_psi=area.state.psi,
                                        style=area.state.style_of("strip"))).pixels
    assert all(np.array_equal(panel.interpolationStrip.image(i), expected[i]) for i in range(5))
    area.select_frame(2)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None, timeout=20000)
    assert np.array_equal(area.latentView.image(), expected[2]) and "in W" in area.selectionCaption.text()
