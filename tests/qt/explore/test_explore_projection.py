"""Projecting a photo in the Explore area: the Photo tab runs the projection in a background job (progress on
screen, Stop), the result becomes the selection (its picture close to the photo), a W direction and style
mixing then act on it, and its bookmark renders the same pixels with `ganstudio sample`; a file that is no
picture is one sentence in the area."""

import numpy as np
import pytest
from nvlabs_reference import Cfg, reference_generator, write_snapshot
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ganstudio.cli import main as cli_main
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.latent.projection import psnr
from ganstudio.core.latent.space import sample_latents
from ganstudio.qt.explore.area import ExplorerArea

CFG = Cfg(z=12, w=10, res=32, base=256, cmax=8)


@pytest.fixture(scope="module")
def pickle_path(tmp_path_factory):
    return write_snapshot(tmp_path_factory.mktemp("sg") / "network-snapshot-000300.pkl", reference_generator(CFG, seed=4))


@pytest.fixture
def area(open_stylegan, pickle_path):
    return open_stylegan(pickle_path, height=620)


def test_a_photo_is_projected_edited_and_bookmarked(qtbot, area, pickle_path, tmp_path):
    gen = open_generator(pickle_path, device="cpu")
    photo = gen.render_latents(sample_latents(1, gen.z_dim, 21))[0]
    path = tmp_path / "me.png"
    Image.fromarray(photo).save(path)
    panel = area.projection_panel
    panel.stepsSpin.setValue(80)
    assert panel.startsSpin.text() == "auto"  # the model kind's default: one start for a StyleGAN
    panel.startsSpin.setValue(2)
    # dropped on the Photo tab
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    panel.dropEvent(drop)
    assert area.projecting and panel.stopButton.isEnabled()
    assert area._project_job.args[2].w_starts == 2  # the settings the job runs with
    qtbot.waitUntil(lambda: panel.idle() and "now the selection" in panel.statusLabel.text(), timeout=120000)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style is not None
                    and area.state.shown_view_style.ws is not None, timeout=20000)
    assert panel.targetView.image() is not None and panel.reconstructionView.image() is not None
    assert "projected me.png" in area.selectionCaption.text()
    shown = area.latentView.image().copy()
    assert psnr(shown, photo) >= 28, psnr(shown, photo)
    # a direction in W moves the projected photo
    area.directionSliderWidgets[0].setValue(250)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style.w_offset is not None, timeout=20000)
    moved = area.latentView.image().copy()
    assert not np.array_equal(moved, shown) and area.state.shown_view_style.ws is not None
    # style mixing on it
    style = area.directions_panel.style_panel
    style.mixSeedSpin.setValue(5)
    style.mixCheck.setChecked(True)
    qtbot.waitUntil(lambda: area.is_idle() and area.state.shown_view_style.mix_z is not None, timeout=20000)
    mixed = area.latentView.image().copy()
    assert not np.array_equal(mixed, moved)
    # bookmarked and rendered by the CLI
    book = area.save_bookmark(tmp_path / "me.json")
    assert cli_main(["sample", str(pickle_path), "--latent", str(book), "--out", str(tmp_path / "out"), "--device", "cpu"]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out" / "sample_00000.png").convert("RGB")), mixed)


def test_a_projection_can_be_stopped_and_bad_files_are_one_sentence(qtbot, area, tmp_path):
    panel = area.projection_panel
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    assert area.project_photo(bad, steps=50)
    qtbot.waitUntil(panel.idle, timeout=60000)
    assert "notes.png cannot be projected" in area.messageLabel.text()
    good = tmp_path / "grey.png"
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(good)
    assert area.project_photo(good, steps=5000)
    qtbot.waitUntil(lambda: panel.progressBar.value() > 0 or "step" in panel.statusLabel.text(), timeout=60000)
    panel.stopButton.click()
    qtbot.waitUntil(panel.idle, timeout=60000)
    assert "stopped" in panel.statusLabel.text().lower()
    qtbot.waitUntil(area.is_idle, timeout=20000)


def test_a_dcgan_projection_becomes_the_selection_in_z(qtbot, settings, tmp_path):
    from ganstudio.core.generators.catalogue import catalogue_entry

    model = catalogue_entry("digits-conditional").path
    a = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=200, n_directions=4, device="cpu")
    qtbot.addWidget(a)
    a.show()
    a.load_generator(model)
    qtbot.waitUntil(lambda: a.model_info is not None and a.latentView.image() is not None, timeout=60000)
    try:
        a.set_class(6)
        a.select_cell(0)
        qtbot.waitUntil(a.is_idle, timeout=20000)
        gen = open_generator(model, device="cpu")
        photo = gen.render_latents(sample_latents(1, gen.z_dim, 8), [6])[0]
        Image.fromarray(photo).save(tmp_path / "six.png")
        assert a.project_photo(tmp_path / "six.png", steps=60)
        qtbot.waitUntil(lambda: a.projection_panel.idle() and a.state.sel_origin.startswith("projected"), timeout=120000)
        qtbot.waitUntil(lambda: a.is_idle() and a.shown_view_z is not None
                        and np.array_equal(a.shown_view_z, a.state.sel_base), timeout=20000)
        assert a.sel_label == 6 and a.state.shown_view_style is None
        assert psnr(a.latentView.image(), photo) >= 28
    finally:
        a.shutdown()


def test_opening_another_model_drops_a_running_projection(qtbot, area, tmp_path):
    from ganstudio.core.generators.catalogue import catalogue_entry

    good = tmp_path / "grey.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(good)
    assert area.project_photo(good, steps=5000)
    qtbot.waitUntil(lambda: "step" in area.projection_panel.statusLabel.text(), timeout=60000)
    area.load_generator(catalogue_entry("landscapes-dcgan").path)
    qtbot.waitUntil(lambda: area.model_info is not None and area.model_info["name"] == "landscapes-dcgan", timeout=60000)
    assert area.projection_panel.idle() and "another model" in area.projection_panel.statusLabel.text()
    qtbot.wait(300)
    assert not area.state.sel_origin.startswith("projected")
