"""While paused, the status bar and the Train panel say so instead of showing the last speed."""

from __future__ import annotations

from test_training_gui import click, trainer_step


def test_a_paused_run_shows_no_speed(qtbot, fill_form, window):
    fill_form(window.train_panel, "toy-ring", **{"train.steps": 100000})
    click(qtbot, window, "trainStartButton")
    qtbot.waitUntil(lambda: trainer_step(window) >= 5 and "it/s" in window.statusSpeed.text()
                    and window.statusSpeed.text() != "– it/s", timeout=30000)
    click(qtbot, window, "trainPauseButton")
    qtbot.waitUntil(lambda: window.train_panel.state == "paused", timeout=10000)
    qtbot.wait(700)  # the progress flushed on pausing has arrived
    assert window.statusSpeed.text() == "paused"
    assert window.train_panel.statusLabel.text() == "Paused."
    click(qtbot, window, "trainPauseButton")  # resume: the speed comes back
    qtbot.waitUntil(lambda: window.statusSpeed.text().endswith(" it/s") and window.statusSpeed.text() != "– it/s",
                    timeout=30000)
    window.stop_training()
    qtbot.waitUntil(lambda: window.worker is None, timeout=30000)
    assert window.statusSpeed.text() == "– it/s"
