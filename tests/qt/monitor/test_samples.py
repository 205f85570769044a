"""The Monitor's sample pane on its own: which view shows, the history slider, grids and 2-D states."""

import numpy as np
import pytest

from ganstudio.qt.monitor.samples import SamplePane, read_sample_file


@pytest.fixture
def pane(qtbot):
    p = SamplePane()
    qtbot.addWidget(p)
    p.show()
    return p


def test_the_stack_shows_empty_grid_or_toy_view(pane):
    pane.show_kind(toy=False, empty=True)
    assert pane.stack.currentWidget() is pane.empty and not pane.toy_layers.isVisible()
    pane.show_kind(toy=False, empty=False)
    assert pane.stack.currentWidget() is pane.grid
    pane.show_kind(toy=True, empty=True)  # the 2-D view shows the real points before any sample
    assert pane.stack.currentWidget() is pane.toy_view and pane.toy_layers.isVisible()
    assert pane.title.text() == "Generator vs data (2-D)"


def test_set_history_moves_to_the_newest_only_when_following_and_emits_nothing(pane):
    moved = []
    pane.history_slider.valueChanged.connect(moved.append)
    pane.set_history(5, follow=True)
    assert pane.history_slider.maximum() == 4 and pane.history_slider.value() == 4
    pane.history_slider.blockSignals(True)
    pane.history_slider.setValue(1)
    pane.history_slider.blockSignals(False)
    pane.set_history(8, follow=False)
    assert pane.history_slider.value() == 1 and moved == []


def test_show_payload_feeds_the_grid(pane):
    grid = np.zeros((8, 12, 3), np.uint8)
    pane.show_payload({"grid": grid}, 30)
    assert pane.grid.step == 30 and pane.grid.image_item.image.shape == (8, 12, 3)


def test_read_sample_file_reads_npy_and_png_and_survives_a_broken_file(tmp_path):
    from PIL import Image

    np.save(tmp_path / "step_10.npy", np.ones((4, 2), np.float32))
    Image.fromarray(np.full((4, 6, 3), 7, np.uint8)).save(tmp_path / "step_20.png")
    (tmp_path / "step_30.png").write_bytes(b"not a png")
    assert read_sample_file(tmp_path / "step_10.npy")["points"].shape == (4, 2)
    assert read_sample_file(tmp_path / "step_20.png")["grid"].shape == (4, 6, 3)
    assert read_sample_file(tmp_path / "step_30.png") is None


def test_with_a_state_the_pane_shows_the_current_run_and_scrubs_its_index(qtbot):
    from ganstudio.core.train.monitor_state import MonitorState

    state = MonitorState(("#ffffff",))
    pane = SamplePane(state)
    qtbot.addWidget(pane)
    run = state.add_run("a", task="image")
    assert pane.stack.currentWidget() is pane.empty and pane.history_label.text() == "no samples yet"
    state.add_samples(run, [(s, {"grid": np.full((4, 4, 3), s, np.uint8)}) for s in (10, 20, 30)])
    pane.show_current()  # what the monitor's refresh tick does when samples arrived
    assert pane.stack.currentWidget() is pane.grid and pane.history_label.text() == "step 30 (newest)"
    pane.history_slider.setValue(0)
    assert state.sample_index == 0 and pane.grid.step == 10 and pane.history_label.text() == "step 10"
    state.set_current(state.add_run("b", task="toy"))
    assert pane.stack.currentWidget() is pane.toy_view and pane.history_slider.maximum() == 0
