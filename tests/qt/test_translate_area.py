"""The Translate area: open a CycleGAN checkpoint and a photo, translate, swap the direction, export."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from tiny_runs import train_tiny_cyclegan

from ganstudio.qt.translate.area import TranslateArea


@pytest.fixture(scope="module")
def cyclegan_checkpoint(tmp_path_factory):
    run = tmp_path_factory.mktemp("translate") / "run"
    return train_tiny_cyclegan(run) / "checkpoints" / "latest.safetensors"


@pytest.fixture
def area(qtbot):
    widget = TranslateArea(device="cpu")
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    yield widget
    widget.shutdown()


def test_open_translate_swap_export(qtbot, area, cyclegan_checkpoint, tmp_path):
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(photo)
    assert not area.pictureButton.isEnabled()
    area.load_model(cyclegan_checkpoint)
    qtbot.waitUntil(lambda: area.model_info is not None, timeout=30000)
    assert area.directionCombo.isEnabled() and "CycleGAN" in area.modelLabel.text()
    area.open_picture(photo)
    qtbot.waitUntil(lambda: area.outputView.image() is not None, timeout=30000)
    shown_in = area.inputView.image()
    a_to_b = area.outputView.image().copy()
    assert shown_in.shape == a_to_b.shape == (40, 48, 3)
    assert area.direction == "AtoB" and area.swapButton.isEnabled()

    # The direction menu translates the same input the other way.
    area.set_direction("BtoA")
    qtbot.waitUntil(lambda: area.is_idle() and not np.array_equal(area.outputView.image(), a_to_b), timeout=30000)
    assert np.array_equal(area.inputView.image(), shown_in)
    area.set_direction("AtoB")
    qtbot.waitUntil(lambda: area.is_idle() and np.array_equal(area.outputView.image(), a_to_b), timeout=30000)

    # Swap: the output becomes the input and the direction turns round.
    qtbot.mouseClick(area.swapButton, Qt.LeftButton)
    qtbot.waitUntil(lambda: area.is_idle() and area.direction == "BtoA", timeout=30000)
    assert np.array_equal(area.inputView.image(), a_to_b)
    back = area.outputView.image()
    assert back.shape == a_to_b.shape and not np.array_equal(back, a_to_b)

    out = tmp_path / "out.png"
    area.export(out)
    assert np.array_equal(np.asarray(Image.open(out)), back)  # at the model's size: its exact pixels


def test_the_output_is_smooth_or_exact_and_exports_as_shown(qtbot, cyclegan_checkpoint, tmp_path, settings):
    from ganstudio.qt.widgets.scaled_view import nearest_picture

    area = TranslateArea(device="cpu", settings=settings)
    qtbot.addWidget(area)
    area.resize(900, 500)
    area.show()
    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(5).integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(photo)
    area.load_model(cyclegan_checkpoint)
    qtbot.waitUntil(lambda: area.model_info is not None, timeout=30000)
    area.open_picture(photo)
    qtbot.waitUntil(lambda: area.outputView.image() is not None and area.is_idle(), timeout=30000)
    pic = area.outputView.image()
    view = area.outputView
    assert not view.exact_pixels and view.exactPixelsCheck.isVisible()
    r = view.target_rect()
    shown_path = tmp_path / "shown.png"
    area.export(shown_path, shown=True)
    shown = np.asarray(Image.open(shown_path))
    assert shown.shape == (r.height(), r.width(), 3) and r.width() > 4 * 48
    blocks = nearest_picture(pic, r.width(), r.height())
    step = lambda a: float((np.diff(a.astype(np.float64), axis=1) ** 2).mean())  # noqa: E731
    assert step(shown) < 0.25 * step(blocks)  # smooth: no nearest-neighbour block edges

    qtbot.mouseClick(view.exactPixelsCheck, Qt.LeftButton)
    assert area.inputView.exact_pixels and settings.exact_pixels("translate")  # input follows; remembered
    area.export(shown_path, shown=True)
    r = view.target_rect()
    assert np.array_equal(np.asarray(Image.open(shown_path)), nearest_picture(pic, r.width(), r.height()))
    area.shutdown()


def test_a_latent_generator_is_refused_in_one_sentence(qtbot, area):
    from ganstudio.core.generators.catalogue import catalogue_entry

    area.load_model(catalogue_entry("landscapes-dcgan").path)
    qtbot.waitUntil(lambda: area.error_text() != "", timeout=30000)
    assert "not a picture-to-picture model" in area.error_text()
    assert area.model_info is None and not area.pictureButton.isEnabled()


def test_the_monitor_shows_each_players_losses_and_the_cycle_grid(qtbot, monitor, tmp_path):
    from ganstudio.core import config as C
    from ganstudio.core.train.trainer import Trainer

    run = tmp_path / "cg"
    cfg = C.preset("cyclegan-scenes").with_overrides([
        "data.image_size=32", "data.scene_count=8", "model.g_width=4", "model.d_width=4", "model.g_depth=1",
        "train.steps=4", "train.log_every=2", "train.sample_every=4", "train.eval_every=0",
        "train.checkpoint_every=0", "train.n_preview=2",
    ])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Trainer(cfg, run_dir=run).run()
    finally:
        torch.set_num_threads(threads)
    monitor.open_run_folder(run)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    shown = monitor.runs[0]
    for name in ("D_A", "D_B", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B"):
        x, y = shown.curves[("lossPlot", name)].smooth.getOriginalDataset()
        np.testing.assert_array_equal(x, [2, 4])
        assert np.isfinite(y).all()
    grid = np.asarray(Image.open(run / "samples" / "step_0000004.png"))
    # rows: 2 pictures of A, then 2 of B; columns: real | translated | back
    assert grid.shape[1] < 4 * 32 < grid.shape[0]


def test_the_preferences_device_reopens_the_model_there(qtbot, area, cyclegan_checkpoint):
    area.load_model(cyclegan_checkpoint)
    qtbot.waitUntil(lambda: area.model_info is not None and area.is_idle(), timeout=30000)
    first = area.session.model
    area.set_device("auto")  # the fixture's area renders on "cpu"
    qtbot.waitUntil(lambda: area.session.model is not first and area.is_idle(), timeout=30000)
    assert area.session.device == "auto" and area.model_info is not None
    again = area.session.model
    area.set_device("auto")  # the same device: nothing reopens
    assert area.session.model is again and area.is_idle()
