"""The Explore area with a rosinality stylegan2-pytorch training checkpoint (written by the tests' own writer, args
Namespace included): psi in W, a W direction, SeFa and style mixing all change the view, which shows the pixels
the handle renders."""

import numpy as np
import pytest
from nvlabs_reference import Cfg, reference_generator
from rosinality_reference import write_training_checkpoint

from ganstudio.core.generators.handle import LatentRequest, open_generator
from ganstudio.qt.explore.area import ExplorerArea

CFG = Cfg(z=12, w=12, res=32, base=256, cmax=8)


@pytest.fixture(scope="module")
def ros_path(tmp_path_factory):
    sd = reference_generator(CFG, seed=3).state_dict()
    return write_training_checkpoint(tmp_path_factory.mktemp("ros") / "050000.pt", sd, CFG)


@pytest.fixture
def area(qtbot, settings, tmp_path, ros_path):
    a = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=300, n_directions=6, device="cpu")
    qtbot.addWidget(a)
    a.resize(1240, 820)
    a.show()
    a.load_generator(ros_path)
    qtbot.waitUntil(lambda: a.model_info is not None and a.latentGrid.count() == 16 and a.latentView.image() is not None
                    and a.directions is not None, timeout=60000)
    qtbot.waitUntil(a.is_idle, timeout=20000)
    yield a
    a.shutdown()


def view_request(area):
    z, labels = area.state.batch("view")
    return LatentRequest(z, labels, truncation_psi=area.state.psi, style=area.state.style_of("view"))


def test_a_rosinality_checkpoint_is_explored_in_w(qtbot, area, ros_path):
    gen = open_generator(ros_path, device="cpu")
    style = area.directions_panel.style_panel
    assert style.isVisible() and area.directions.space == "w"
    combo = area.truncationCombo
    assert combo.findData("w") >= 0
    plain = area.latentView.image().copy()
    combo.setCurrentIndex(combo.findData("w"))
    area.truncationSpin.setValue(0.4)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_psi == 0.4, timeout=20000)
    assert not np.array_equal(area.latentView.image(), plain)
    assert np.array_equal(area.latentView.image(), gen.render(view_request(area)).pixels[0])
    # a GANSpace direction in W
    before = area.latentView.image().copy()
    area.directionSliderWidgets[0].setValue(250)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None, timeout=20000)
    assert not np.array_equal(area.latentView.image(), before)
    # SeFa directions
    method = style.directionMethodCombo
    method.setCurrentIndex(method.findData("sefa"))
    qtbot.waitUntil(lambda: area.directions is not None and area.directions.layer == "sefa", timeout=30000)
    qtbot.waitUntil(area.is_idle, timeout=20000)
    before = area.latentView.image().copy()
    area.directionSliderWidgets[1].setValue(-250)
    qtbot.waitUntil(lambda: area.is_idle() and not np.array_equal(area.latentView.image(), before), timeout=20000)
    # style mixing: fine layers from seed 5
    style.mixLayersCombo.setCurrentIndex(style.mixLayersCombo.findData("fine"))
    style.mixSeedSpin.setValue(5)
    style.mixCheck.setChecked(True)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None
                    and area.state.shown_view_style.mix_z is not None, timeout=20000)
    assert np.array_equal(area.latentView.image(), gen.render(view_request(area)).pixels[0])
