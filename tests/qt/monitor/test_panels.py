"""The Monitor's toolbar and run list on their own: each writes the MonitorState and follows its events."""

import pytest
from PySide6.QtCore import Qt

from ganstudio.core.train.monitor_state import MonitorState
from ganstudio.qt.monitor.run_list import RunList
from ganstudio.qt.monitor.toolbar import MonitorToolbar

PALETTE = ("#4f9dff", "#ff8c42", "#2ec4b6")


@pytest.fixture
def state():
    return MonitorState(PALETTE, smoothing=0.6)


@pytest.fixture
def toolbar(qtbot, state):
    bar = MonitorToolbar(state)
    qtbot.addWidget(bar)
    return bar


@pytest.fixture
def run_list(qtbot, state):
    panel = RunList(state)
    qtbot.addWidget(panel)
    return panel


def test_the_toolbar_writes_the_state(toolbar, state):
    assert toolbar.smoothing_slider.value() == 60 and toolbar.smoothing_label.text() == "0.60"
    toolbar.smoothing_slider.setValue(85)
    assert state.smoothing == 0.85 and toolbar.smoothing_label.text() == "0.85"
    toolbar.log_y_check.setChecked(True)
    assert state.log_y
    toolbar.x_combo.setCurrentIndex(toolbar.x_combo.findData("wall_time"))
    assert state.x_mode == "wall_time"


def test_the_toolbar_follows_the_state_without_echoing(toolbar, state):
    heard = []
    for name in ("smoothing", "log_y", "x_mode"):
        state.events[name].connect(lambda *args, n=name: heard.append(n))
    state.set_smoothing(0.3)
    state.set_log_y(True)
    state.set_x_mode("wall_time")
    assert toolbar.smoothing_slider.value() == 30 and toolbar.smoothing_label.text() == "0.30"
    assert toolbar.log_y_check.isChecked() and toolbar.x_combo.currentData() == "wall_time"
    assert heard == ["smoothing", "log_y", "x_mode"]  # each once: the controls did not write back


def test_the_toolbar_buttons_are_requests(qtbot, toolbar):
    for button, signal in ((toolbar.open_button, toolbar.open_requested),
                           (toolbar.auto_button, toolbar.auto_range_requested)):
        with qtbot.waitSignal(signal, timeout=1000):
            button.click()
    csv_action, png_action = toolbar.export_button.menu().actions()
    with qtbot.waitSignal(toolbar.export_csv_requested, timeout=1000):
        csv_action.trigger()
    with qtbot.waitSignal(toolbar.export_png_requested, timeout=1000):
        png_action.trigger()


def test_rows_follow_the_runs_with_their_colours(run_list, state):
    a = state.add_run("a")
    b = state.add_run("b")
    lw = run_list.list
    assert [lw.item(i).text() for i in range(lw.count())] == ["a", "b"] and lw.currentRow() == 1
    assert lw.item(0).icon().pixmap(12, 12).toImage().pixelColor(6, 6).name() == a.color
    state.set_visible(b, False)
    assert lw.item(1).checkState() == Qt.Unchecked
    state.set_current(a)
    assert lw.currentRow() == 0
    state.remove_run(a)
    assert lw.count() == 1 and lw.item(0).text() == "b" and lw.currentRow() == 0 and state.current is b


def test_ticks_selection_and_remove_write_the_state(run_list, state):
    a, b, c = (state.add_run(n) for n in "abc")
    lw = run_list.list
    lw.item(0).setCheckState(Qt.Unchecked)
    assert not a.visible
    lw.setCurrentRow(1)
    assert state.current is b
    run_list.remove_button.click()
    # The run that takes the removed row is current, and the list highlights that same run.
    assert state.runs == [a, c] and state.current is c and lw.currentRow() == 1
    lw.setCurrentRow(1)
    run_list.remove_button.click()
    assert state.current is a and lw.currentRow() == 0
    run_list.remove_button.click()
    assert state.runs == [] and state.current is None and lw.count() == 0
    run_list.remove_button.click()  # nothing left: nothing happens
