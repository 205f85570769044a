"""The Explore area as a user drives it: a real (tiny) conditional digits checkpoint, offscreen Qt."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ganstudio.qt.explore.area import ExplorerArea, tile

CELL_TOLERANCE = 1  # a sample drawn in a batch of 16 vs alone may round one 8-bit level differently


def wait_idle(qtbot, area, timeout=20000):
    qtbot.waitUntil(area.is_idle, timeout=timeout)


@pytest.fixture
def area(qtbot, settings, tmp_path, digits_ckpt):
    a = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=500, n_directions=8)
    qtbot.addWidget(a)
    a.resize(1240, 820)
    a.show()
    a.load_generator(digits_ckpt)
    qtbot.waitUntil(lambda: a.model_info is not None and a.latentGrid.count() == 16
                    and a.latentView.image() is not None, timeout=30000)
    wait_idle(qtbot, a)
    yield a
    a.shutdown()


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return np.abs(a.astype(int) - b.astype(int)).max() <= CELL_TOLERANCE


def test_grid_has_16_cells_from_one_batched_pass_and_a_click_selects(qtbot, area):
    cells = area.latentGrid.images()
    assert len(cells) == 16 and cells[0].shape == (32, 32, 3)
    assert len({c.tobytes() for c in cells}) == 16
    assert area.model_info["z_dim"] == 64 and area.model_info["n_classes"] == 10
    before = len(area.renderer.forward_batches)
    area.reseed()
    wait_idle(qtbot, area)
    assert area.renderer.forward_batches[before:] == [17]  # the grid and the selected cell's view in one pass
    rect = area.latentGrid.cell_rect(5)
    QTest.mouseClick(area.latentGrid, Qt.LeftButton, pos=rect.center())
    assert area.sel_index == 5 and area.latentGrid.current == 5
    wait_idle(qtbot, area)
    assert close(area.latentView.image(), area.latentGrid.image(5))
    assert area.latentView.image() is not None and "cell 6" in area.selectionCaption.text()
    QTest.keyClick(area.latentGrid, Qt.Key_Down)  # arrow keys walk the grid
    assert area.sel_index == 9
    QTest.keyClick(area.latentGrid, Qt.Key_Left)
    assert area.sel_index == 8
    assert "ms" in area.renderTimeLabel.text() and area.last_render_ms is not None


def test_reseed_changes_pixels_and_the_seed_entry_reproduces_them(qtbot, area):
    area.seedSpin.setValue(123)
    wait_idle(qtbot, area)
    first = [c.copy() for c in area.latentGrid.images()]
    area.reseed()
    wait_idle(qtbot, area)
    assert area.seedSpin.value() != 123
    assert not any(np.array_equal(a, b) for a, b in zip(first, area.latentGrid.images()))
    area.seedSpin.setValue(123)
    wait_idle(qtbot, area)
    assert all(np.array_equal(a, b) for a, b in zip(first, area.latentGrid.images()))
    # the grid is what `ganstudio sample --seed 123 --n 16` renders
    from ganstudio.core.generators.handle import open_generator

    model = open_generator(area.model_info["path"])
    z = torch.randn(16, 64, generator=torch.Generator().manual_seed(123)).numpy()
    assert np.array_equal(np.stack(first), model.render_latents(z, np.arange(16) % 10))


def test_class_selector_changes_the_pictures_of_a_conditional_model(qtbot, area):
    assert area.classCombo.isVisible() and area.classCombo.count() == 11
    mixed = [c.copy() for c in area.latentGrid.images()]
    view = area.latentView.image().copy()
    area.classCombo.setCurrentIndex(area.classCombo.findData(3))
    wait_idle(qtbot, area)
    assert area.grid_labels == [3] * 16 and area.sel_label == 3
    changed = [not np.array_equal(a, b) for a, b in zip(mixed, area.latentGrid.images())]
    assert changed[0] and sum(changed) >= 14  # cell 3 was class 3 already
    assert not np.array_equal(view, area.latentView.image())


def test_direction_slider_moves_the_large_view_only(qtbot, area):
    qtbot.waitUntil(lambda: area.directions is not None, timeout=30000)
    assert len(area.directionSliderWidgets) == 8
    assert area.findChild(type(area.directionRows), "directionSliders") is not None
    grid = [c.copy() for c in area.latentGrid.images()]
    view = area.latentView.image().copy()
    before = len(area.renderer.forward_batches)
    area.set_direction(0, 2.0)
    wait_idle(qtbot, area)
    assert area.alphas[0] == pytest.approx(2.0)
    assert not np.array_equal(view, area.latentView.image())
    assert all(np.array_equal(a, b) for a, b in zip(grid, area.latentGrid.images()))
    assert set(area.renderer.forward_batches[before:]) == {1}  # slider moves render the view alone
    expected = area.sel_base + 2.0 * area.directions.stds[0] * area.directions.directions[0]
    np.testing.assert_allclose(area.shown_view_z, expected, atol=1e-5)
    assert "+2.00σ" in area.directionValueLabels[0].text() and "PC1 +2.00σ" in area.selectionCaption.text()
    # a burst of moves (a drag) coalesces: fewer renders than moves, the last value wins
    before = len(area.renderer.forward_batches)
    for v in np.linspace(-3, 3, 40):
        area.set_direction(1, float(v))
    wait_idle(qtbot, area)
    assert len(area.renderer.forward_batches) - before < 40
    np.testing.assert_allclose(area.shown_view_z, area.view_latent(), atol=1e-6)
    area.reset_directions()
    wait_idle(qtbot, area)
    assert close(area.latentView.image(), area.latentGrid.image(area.sel_index))


def test_raw_dimension_slider_sets_one_coordinate(qtbot, area):
    view = area.latentView.image().copy()
    area.set_raw_dimension(3, 2.5)
    assert area.rawScroll.isVisible() and len(area.rawSliderWidgets) == 64
    wait_idle(qtbot, area)
    assert area.shown_view_z[3] == pytest.approx(2.5)
    assert not np.array_equal(view, area.latentView.image())
    others = np.delete(np.arange(64), 3)
    np.testing.assert_array_equal(area.shown_view_z[others], area.grid_z[area.sel_index][others])


def test_truncation_resamples_within_the_bound_or_scales(qtbot, area):
    plain = area.grid_z.copy()
    pics = [c.copy() for c in area.latentGrid.images()]
    area.set_truncation("resample", 0.5)
    wait_idle(qtbot, area)
    assert np.abs(area.shown_grid_z).max() <= 0.5 and area.truncation.mode == "resample"
    assert not np.array_equal(pics[0], area.latentGrid.image(0))
    area.set_truncation("scale", 0.5)
    wait_idle(qtbot, area)
    np.testing.assert_allclose(area.shown_grid_z, 0.5 * plain, atol=1e-7)
    area.set_truncation("off")
    wait_idle(qtbot, area)
    assert np.array_equal(area.shown_grid_z, plain)


def test_interpolation_strip_has_all_frames_plays_and_exports(qtbot, area, tmp_path):
    for cell in (0, 5, 9):
        area.select_cell(cell)
        area.add_keyframe()
    area.set_interpolation(mode="slerp", steps=4)
    wait_idle(qtbot, area)
    assert area.frame_count() == 9 and area.keyframeStrip.count() == 3
    assert close(area.interpolationStrip.image(0), area.latentGrid.image(0))
    assert close(area.interpolationStrip.image(8), area.latentGrid.image(9))
    assert "3 keyframes · 9 frames" in area.keyframeInfo.text()
    frame = area.current_frame
    area.fpsSpin.setValue(50)
    area.playButton.click()
    assert area.playButton.isChecked() and "Pause" in area.playButton.text()
    qtbot.waitUntil(lambda: area.current_frame != frame, timeout=3000)
    area.playButton.click()
    assert not area._play_timer.isActive()
    area.set_interpolation(mode="lerp")
    wait_idle(qtbot, area)
    mid = area.frames_z[2]
    np.testing.assert_allclose(mid, 0.5 * (area.grid_z[0] + area.grid_z[5]), atol=1e-6)

    gif = area.export_gif(tmp_path / "walk.gif", scale=4, fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == 9 and im.size == (128, 128) and im.info.get("loop") == 0
    strip = area.export_strip(tmp_path / "walk.png", scale=1)
    with Image.open(strip) as im:
        assert im.size == (9 * 32, 32)
        assert np.array_equal(np.asarray(im.convert("RGB"))[:, :32], area.interpolationStrip.image(0))
    sel = area.export_selection(tmp_path / "sel.png", scale=1)
    big = area.export_selection(tmp_path / "sel4.png", scale=4)
    with Image.open(sel) as a, Image.open(big) as b:
        assert a.size == (32, 32) and b.size == (128, 128)
        assert np.array_equal(np.asarray(b)[::4, ::4], np.asarray(a))  # nearest-neighbour upscale
    grid = area.export_grid(tmp_path / "grid.png", scale=4)
    with Image.open(grid) as im:
        assert im.size == (4 * (4 * 34 + 2),) * 2


def test_arithmetic_result_grid(qtbot, area):
    for group, cell in (("A", 1), ("B", 1), ("C", 6)):
        area.select_cell(cell)
        area.add_to_group(group)
    wait_idle(qtbot, area)
    assert area.arithmeticGrid.count() == 9
    assert {v.count() for v in area.groupViews.values()} == {1}
    np.testing.assert_array_equal(area.arith_z[0], area.grid_z[6])  # A = B leaves C
    assert close(area.arithmeticGrid.image(0), area.latentGrid.image(6))
    assert "A" in area.latentGrid.badges.get(1, "") and "B" in area.latentGrid.badges[1]
    area.clear_group("B")
    area.select_cell(12)
    area.add_to_group("B")
    wait_idle(qtbot, area)
    expected = area.grid_z[1] - area.grid_z[12] + area.grid_z[6]
    np.testing.assert_allclose(area.arith_z[0], expected, atol=1e-6)
    area.select_arithmetic(0)
    wait_idle(qtbot, area)
    assert "arithmetic result" in area.selectionCaption.text()
    assert close(area.latentView.image(), area.arithmeticGrid.image(0))


def test_bookmark_is_reproduced_exactly_by_the_cli(qtbot, area, tmp_path, digits_ckpt):
    qtbot.waitUntil(lambda: area.directions is not None, timeout=30000)
    area.classCombo.setCurrentIndex(area.classCombo.findData(7))
    area.select_cell(4)
    area.set_direction(0, 1.7)
    area.set_direction(2, -0.9)
    wait_idle(qtbot, area)
    on_screen = area.latentView.image().copy()
    path = area.save_bookmark(tmp_path / "smile.json")
    doc = json.loads(path.read_text())
    assert doc["labels"] == [7] and doc["model"]["sha256"] == area.model_info["sha256"]
    assert doc["metadata"]["directions"] == {"PC1": pytest.approx(1.7), "PC3": pytest.approx(-0.9)}
    assert area.bookmarkList.count() == 1

    out = tmp_path / "x.png"
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    run = subprocess.run([sys.executable, "-m", "ganstudio", "sample", str(digits_ckpt), "--latent", str(path),
                          "--out", str(out)], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "warning" not in run.stderr  # the bookmark names these very weights
    cli = np.asarray(Image.open(out).convert("RGB"))
    assert cli.shape == (36, 36, 3)
    assert np.array_equal(cli[2:34, 2:34], on_screen)  # exactly the pixels on screen

    # the whole grid as one bookmark, rendered in-process by the same command
    from ganstudio.cli import main as cli_main

    grid_path = area.save_bookmark(tmp_path / "grid.json", what="grid")
    assert cli_main(["sample", str(digits_ckpt), "--latent", str(grid_path), "--out", str(tmp_path / "g.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "g.png").convert("RGB")), tile(area.latentGrid.images(), 4))

    # loading the bookmark brings the same latent back as the selection
    area.reseed()
    wait_idle(qtbot, area)
    assert area.load_bookmark(path)
    wait_idle(qtbot, area)
    assert np.array_equal(area.latentView.image(), on_screen) and area.sel_label == 7


def test_errors_are_one_sentence_in_the_area_and_the_model_stays(qtbot, area, tmp_path):
    grid = [c.copy() for c in area.latentGrid.images()]
    area.load_generator(tmp_path / "missing.safetensors")
    qtbot.waitUntil(lambda: area.error_text() != "", timeout=10000)
    assert "missing.safetensors" in area.error_text() and "does not exist" in area.error_text()

    class Payload:
        def __reduce__(self):
            return (open, (str(tmp_path / "ran.txt"), "w"))

    torch.save({"main.0.weight": torch.zeros(4, 4, 4, 4), "x": Payload()}, tmp_path / "netG_evil.pth")
    area.load_generator(tmp_path / "netG_evil.pth")
    qtbot.waitUntil(lambda: "refused" in area.error_text(), timeout=10000)
    assert not (tmp_path / "ran.txt").exists()
    text = area.error_text()
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text

    (tmp_path / "bad.json").write_text("not json")
    assert not area.load_bookmark(tmp_path / "bad.json")
    assert "bad.json" in area.error_text()
    # the loaded model is untouched and still answers
    wait_idle(qtbot, area)
    assert all(np.array_equal(a, b) for a, b in zip(grid, area.latentGrid.images()))
    area.reseed()
    wait_idle(qtbot, area)
    assert not np.array_equal(grid[0], area.latentGrid.image(0))


def test_imported_pytorch_examples_generator_and_the_empty_state(qtbot, settings, tmp_path):
    a = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=300, n_directions=4)
    qtbot.addWidget(a)
    a.show()
    assert a.latentGrid.count() == 0 and not a.reseedButton.isEnabled()
    assert a.export_selection(tmp_path / "nothing.png") is None and "no selected sample" in a.error_text()
    g = torch.Generator().manual_seed(0)
    sd = {}
    widths = [10, 32, 16, 8, 4]
    for i in range(4):
        sd[f"main.{3 * i}.weight"] = 0.1 * torch.randn(widths[i], widths[i + 1], 4, 4, generator=g)
        bn = f"main.{3 * i + 1}"
        sd[f"{bn}.weight"], sd[f"{bn}.bias"] = torch.ones(widths[i + 1]), torch.zeros(widths[i + 1])
        sd[f"{bn}.running_mean"], sd[f"{bn}.running_var"] = torch.zeros(widths[i + 1]), torch.ones(widths[i + 1])
    sd["main.12.weight"] = 0.1 * torch.randn(4, 3, 4, 4, generator=g)
    torch.save(sd, tmp_path / "netG_epoch_5.pth")
    a.load_generator(tmp_path / "netG_epoch_5.pth")
    qtbot.waitUntil(lambda: a.latentGrid.count() == 16 and a.latentView.image() is not None, timeout=30000)
    assert a.model_info["source"] == "pytorch-examples-dcgan" and a.latentGrid.image(0).shape == (64, 64, 3)
    assert not a.classCombo.isVisible()
    qtbot.waitUntil(lambda: a.directions is not None, timeout=30000)
    assert list(a.cache_dir.glob("directions-*.npz"))
    a.shutdown()


def test_the_model_renders_on_the_device_the_area_is_given(qtbot, area, settings, tmp_path, digits_ckpt):
    assert area.render_device == ("cuda:0" if torch.cuda.is_available() else "cpu")  # "auto": CUDA when present
    cpu = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=300, n_directions=4, device="cpu")
    qtbot.addWidget(cpu)
    assert cpu.render_device == "cpu"  # before a model: what was asked for
    cpu.load_generator(digits_ckpt)
    qtbot.waitUntil(lambda: cpu.model_info is not None, timeout=30000)
    assert cpu.render_device == cpu.model_info["device"] == "cpu"
    cpu.shutdown()


def test_the_panels_follow_the_state_and_a_refused_setting_is_one_sentence(qtbot, area):
    qtbot.waitUntil(lambda: area.directions is not None, timeout=30000)
    state = area.state  # what a script (or another panel) changes shows in every widget
    state.set_seed(77)
    state.set_class(2)
    state.set_direction(0, 1.25)
    wait_idle(qtbot, area)
    assert area.seedSpin.value() == 77 and area.classCombo.currentData() == 2
    assert area.directionSliderWidgets[0].value() == 125 and area.directionValueLabels[0].text() == "+1.25σ"
    assert "class 2" in area.selectionCaption.text() and "PC1 +1.25σ" in area.selectionCaption.text()
    grid = [c.copy() for c in area.latentGrid.images()]
    area.truncationCombo.setCurrentIndex(area.truncationCombo.findData("scale"))  # the user picks a mode
    wait_idle(qtbot, area)
    assert area.truncationSpin.value() == pytest.approx(0.7) and area.truncation.value == pytest.approx(0.7)
    plain = torch.randn(16, 64, generator=torch.Generator().manual_seed(77)).numpy()
    np.testing.assert_allclose(area.shown_grid_z, 0.7 * plain, atol=1e-7)
    assert not np.array_equal(grid[0], area.latentGrid.image(0))
    area.set_truncation("scale", 2.5)  # psi above 2 is refused: the grid stays
    assert "2.5" in area.error_text() and area.truncation.value == pytest.approx(0.7)
    assert area.truncationSpin.value() == pytest.approx(2.5)  # the widgets show what was asked for


def test_a_bookmark_opened_without_a_model_opens_the_bookmarked_model_first(qtbot, area, settings, tmp_path):
    area.select_cell(6)
    wait_idle(qtbot, area)
    on_screen = area.latentView.image().copy()
    path = area.save_bookmark(tmp_path / "six.json")
    fresh = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=300, n_directions=4)
    qtbot.addWidget(fresh)
    fresh.show()
    try:
        assert fresh.load_bookmark(path)
        qtbot.waitUntil(lambda: fresh.model_info is not None and fresh.sel_origin == "bookmark six", timeout=30000)
        wait_idle(qtbot, fresh)
        assert np.array_equal(fresh.latentView.image(), on_screen) and fresh.sel_label == 6
        assert fresh.bookmarkList.count() == 1 and fresh.error_text() == ""
    finally:
        fresh.shutdown()


def test_a_bookmark_naming_a_model_elsewhere_asks_before_opening_it(qtbot, area, tmp_path, digits_ckpt, settings,
                                                                     answer_next_question):
    """A file must not make the app open whatever model it names anywhere on disk without asking."""
    import shutil

    path = area.save_bookmark(tmp_path / "b.json")
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    for part in (digits_ckpt, digits_ckpt.with_suffix(".json")):
        shutil.copy(part, elsewhere / part.name)
    doc = json.loads(path.read_text())
    doc["model"]["path"] = str(elsewhere / digits_ckpt.name)
    path.write_text(json.dumps(doc))

    fresh = ExplorerArea(settings, cache_dir=tmp_path / "cache2", direction_samples=500, n_directions=8)
    qtbot.addWidget(fresh)
    assert not settings.is_known_model_place(elsewhere / digits_ckpt.name)
    assert settings.is_known_model_place(digits_ckpt)  # opened in this area before: a recent model
    answer_next_question("openNamedModelNo")
    assert not fresh.load_bookmark(path)
    assert fresh.model_info is None and "Open a model first" in fresh.error_text()
    answer_next_question("openNamedModelYes")
    assert fresh.load_bookmark(path)
    qtbot.waitUntil(lambda: fresh.model_info is not None, timeout=30000)
    assert Path(fresh.model_info["path"]) == elsewhere / digits_ckpt.name
    fresh.shutdown()
