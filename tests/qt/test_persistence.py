"""What the app remembers across a restart (a MainWindow closed, a new one on the same settings file), the
Explore area's first visit, the Preferences, the Edit menu and the View menu's Log y."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from ganstudio.core.generators.catalogue import list_bundled
from ganstudio.qt.settings import AppSettings

BUNDLED_DIGITS = next((m for m in list_bundled(area="explore") if m.name == "digits-conditional"), None)
needs_bundled_digits = pytest.mark.skipif(BUNDLED_DIGITS is None, reason="the bundled models are not built here")


def headless_run(folder: Path, steps: int = 10) -> Path:
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    sets = {"train.steps": steps, "train.log_every": 5, "train.sample_every": 10, "train.eval_every": 0,
            "train.checkpoint_every": 0, "model.g_width": 32, "model.d_width": 32}
    Trainer(preset("toy-ring").with_overrides([f"{k}={v}" for k, v in sets.items()]), run_dir=folder).run()
    return folder


def open_window(qtbot, last_area: str = "Train"):
    """A new MainWindow on the settings file of this test (a fresh AppSettings: nothing kept in memory)."""
    from ganstudio.qt.main_window import MainWindow

    settings = AppSettings()
    if last_area:
        settings.set_last_area(last_area)
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.engine_ready, timeout=60000)
    return w


def close_window(w) -> None:
    w.close()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)  # now, not in the next test's event loop


def wait_explore(qtbot, w, path: str | Path, timeout: int = 60000):
    explorer = w.explorer
    qtbot.waitUntil(lambda: explorer.model_info is not None and Path(explorer.model_info["path"]) == Path(path)
                    and explorer.is_idle(), timeout=timeout)
    return explorer


def test_a_restart_brings_back_the_runs_the_form_explore_and_the_sketch(qtbot, settings, tmp_path, digits_ckpt):
    a, b = headless_run(tmp_path / "run-a"), headless_run(tmp_path / "run-b")
    w = open_window(qtbot)
    # Monitor: two run folders, the first one current
    w.monitor.open_run_folder(a)
    qtbot.waitUntil(lambda: len(w.monitor.runs) == 1, timeout=30000)
    w.monitor.open_run_folder(b)
    qtbot.waitUntil(lambda: len(w.monitor.runs) == 2, timeout=30000)
    w.monitor.state.set_current(w.monitor.runs[0])
    # Train: a preset and two edits
    panel = w.train_panel
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("digits-cdcgan"))
    panel.widgets["optim.lr_g"].setValue(3e-4)
    panel.widgets["train.steps"].setValue(1234)
    form_values = dict(panel.form.values)
    # Explore: a checkpoint, seed, class, truncation, a cell and a direction offset
    w.show_area("Explore")
    w.explorer.load_generator(digits_ckpt)
    explorer = wait_explore(qtbot, w, digits_ckpt)
    explorer.set_truncation("scale", 0.6)
    explorer.set_seed(42)
    explorer.set_class(3)
    explorer.select_cell(5)
    qtbot.waitUntil(lambda: explorer.directions is not None, timeout=120000)
    explorer.set_direction(0, 1.5)
    view = explorer.view_latent()
    # Sketch: two strokes, closed normally (no crash)
    w.show_area("Sketch")
    qtbot.waitUntil(lambda: w.sketch.model_ready, timeout=60000)
    w.sketch.canvas.draw_stroke("pen", [(5, 30), (50, 34)])
    w.sketch.canvas.draw_stroke("pen", [(30, 5), (32, 60)])
    strokes = [s.to_json() for s in w.sketch.canvas.document.strokes]
    sketch_model = w.sketch.model_path
    close_window(w)

    w = open_window(qtbot, last_area="")  # the window goes back to where it was left (Sketch)
    assert w.current_area() == "Sketch"
    assert w.train_panel.form.values == form_values and w.train_panel.presetCombo.currentData() == "digits-cdcgan"
    assert w.train_panel.widgets["train.steps"].value() == 1234
    qtbot.waitUntil(lambda: len(w.monitor.runs) == 2, timeout=30000)
    assert [Path(r.folder) for r in w.monitor.runs] == [a, b] and Path(w.monitor.current.folder) == a
    assert w.monitor.runs[0].table.rows == 2 and w.monitor.state.followed() == w.monitor.runs  # followed live
    assert [s.to_json() for s in w.sketch.canvas.document.strokes] == strokes
    assert w.sketch.model_path == sketch_model and not w.sketch.canvas.undo_stack.canUndo()
    w.show_area("Explore")
    explorer = wait_explore(qtbot, w, digits_ckpt)
    assert (explorer.seed, explorer.class_choice, explorer.sel_index) == (42, 3, 5)
    assert (explorer.state.truncation_mode, explorer.state.truncation_value) == ("scale", 0.6)
    assert explorer.truncationSpin.value() == pytest.approx(0.6) and explorer.seedSpin.value() == 42
    qtbot.waitUntil(lambda: explorer.directions is not None and explorer.alphas[0] == pytest.approx(1.5),
                    timeout=120000)
    np.testing.assert_allclose(explorer.view_latent(), view, atol=1e-6)
    assert w.not_restored() == [] and not w.statusNotRestored.isVisible()
    close_window(w)


@needs_bundled_digits
def test_what_moved_is_skipped_and_named_and_explore_falls_back_to_the_bundled_digits(qtbot, settings, tmp_path,
                                                                                     digits_ckpt):
    a, b = headless_run(tmp_path / "run-a"), headless_run(tmp_path / "run-b")
    model = tmp_path / "model.safetensors"
    shutil.copy(digits_ckpt, model)
    shutil.copy(Path(digits_ckpt).with_suffix(".json"), model.with_suffix(".json"))
    w = open_window(qtbot)
    for folder in (a, b):
        w.monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(w.monitor.runs) == 2, timeout=30000)
    w.show_area("Explore")
    w.explorer.load_generator(model)
    wait_explore(qtbot, w, model)
    close_window(w)
    shutil.rmtree(b)
    model.unlink()
    # A form from another version of the app that no longer validates is dropped, not half-applied.
    broken = settings.remembered("train")
    broken["values"]["optim.batch_size"] = 0
    settings.remember("train", broken)

    w = open_window(qtbot)
    qtbot.waitUntil(lambda: len(w.monitor.runs) == 1 and len(w.not_restored()) == 2, timeout=30000)
    assert Path(w.monitor.runs[0].folder) == a
    assert w.not_restored() == ["the Train form (its settings no longer validate)", "1 run folder (moved or deleted)"]
    assert w.train_panel.form.preset_name == "toy-ring" and settings.remembered("train") is None
    w.show_area("Explore")
    wait_explore(qtbot, w, BUNDLED_DIGITS.path)
    assert w.not_restored()[2:] == ["the Explore model (moved or deleted)"]
    label = w.statusNotRestored  # stays in view while other messages come and go
    assert label.isVisible() and label.text() == "3 things not restored"
    assert "1 run folder (moved or deleted)" in label.toolTip() and "the Explore model" in label.toolTip()
    close_window(w)


@needs_bundled_digits
def test_the_first_visit_to_explore_shows_the_bundled_digits_not_an_empty_page(qtbot, window):
    assert window.explorer.model_info is None  # built, never shown: nothing loaded yet
    window.show_area("Explore")
    explorer = wait_explore(qtbot, window, BUNDLED_DIGITS.path)
    assert explorer.latentGrid.count() == 16 and explorer.latentView.image() is not None
    assert window.settings.remembered("explore") is None  # written when the window closes
    # Edit > Copy picture here copies the selected sample at the export size
    from PySide6.QtWidgets import QApplication

    explorer.set_export_scale(4)
    assert window.actCopyPicture.isEnabled() and window.copy_picture()
    copied, picture = QApplication.clipboard().image(), explorer.latentView.image()
    assert (copied.width(), copied.height()) == (4 * picture.shape[1], 4 * picture.shape[0])
    window.close()
    assert window.settings.remembered("explore")["model"] == {"bundled": "digits-conditional"}


def test_preferences_are_saved_and_applied(qtbot, window, tmp_path, fill_form):
    import torch
    from PySide6.QtWidgets import QDialog, QDialogButtonBox

    from ganstudio.core.device import choose_threads

    runs = tmp_path / "elsewhere" / "runs"
    dlg = window.show_preferences()
    assert dlg.objectName() == "preferencesDialog" and window.findChild(QDialog, "preferencesDialog") is dlg
    cuda_item = dlg.deviceCombo.model().item(dlg.deviceCombo.findData("cuda"))
    assert cuda_item.isEnabled() == torch.cuda.is_available()
    if not torch.cuda.is_available():
        assert "no CUDA GPU" in cuda_item.toolTip()
    dlg.runsFolderEdit.setText(str(runs))
    dlg.threadsSpin.setValue(2)
    dlg.deviceCombo.setCurrentIndex(dlg.deviceCombo.findData("cpu"))
    dlg.exportScaleCombo.setCurrentIndex(dlg.exportScaleCombo.findData(8))
    dlg.buttons.button(QDialogButtonBox.Ok).click()

    again = AppSettings()  # saved in the settings file
    assert (again.runs_folder(), again.threads(), again.device(), again.export_scale()) == (runs, 2, "cpu", 8)
    assert torch.get_num_threads() == 2  # applied at once
    assert window.explorer.export_scale() == 8 and window.sketch.renderer.device == "cpu"
    form = window.train_panel.form
    assert form.value("train.threads") == 2 and form.value("train.device") == "cpu"  # new runs' defaults
    assert window.train_panel.widgets["train.threads"].value() == 2

    fill_form(window.train_panel, "toy-ring", **{"train.steps": 10})
    window.train_panel.request_start()
    qtbot.waitUntil(lambda: window.train_panel.state == "idle" and window.worker is None, timeout=60000)
    made = [p for p in runs.iterdir() if p.is_dir()]
    assert len(made) == 1 and (made[0] / "metrics.jsonl").is_file()  # the next run went to the new folder
    assert torch.get_num_threads() == 2  # the app's count again after the run set its own

    dlg = window.show_preferences()  # shows what is saved; 0 is "automatic"
    assert (dlg.runsFolderEdit.text(), dlg.threadsSpin.value()) == (str(runs), 2)
    dlg.threadsSpin.setValue(0)
    assert dlg.threadsSpin.text() == "automatic"
    dlg.buttons.button(QDialogButtonBox.Ok).click()
    assert torch.get_num_threads() == choose_threads("image")
    dlg = window.show_preferences()
    dlg.threadsSpin.setValue(3)
    dlg.buttons.button(QDialogButtonBox.Cancel).click()  # Cancel changes nothing
    assert AppSettings().threads() == 0


def test_edit_menu_undoes_and_redoes_sketch_strokes_and_copies_pictures(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    edit = {a.text().replace("&", "").split(" ")[0]: a for a in window.menuBar().actions()[1].menu().actions()
            if a.text()}
    assert {"Undo", "Redo", "Copy", "Paste", "Preferences…"} <= set(edit)
    undo, redo = window.actUndo, window.actRedo
    assert undo.shortcut() == QKeySequence(QKeySequence.Undo) and "Ctrl+Z" in undo.toolTip()
    assert [k.toString() for k in redo.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    assert not undo.isEnabled() and not redo.isEnabled()  # in the Train area there is nothing to undo
    window.show_area("Sketch")
    sketch = window.sketch
    qtbot.waitUntil(lambda: sketch.model_ready and sketch.output.image() is not None, timeout=60000)
    sketch.canvas.draw_stroke("pen", [(5, 30), (50, 34)])
    sketch.canvas.draw_stroke("pen", [(30, 5), (32, 60)])
    assert undo.isEnabled() and not redo.isEnabled() and undo.text() != "&Undo"  # names what it undoes
    undo.trigger()
    assert len(sketch.canvas.document.strokes) == 1 and redo.isEnabled()
    redo.trigger()
    assert len(sketch.canvas.document.strokes) == 2
    # The keys reach the menu's actions from the canvas (the area's own Ctrl+Z was handed over, so they are
    # not ambiguous).
    window.activateWindow()
    sketch.canvas.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is sketch.canvas, timeout=5000)
    QTest.keyClick(sketch.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert len(sketch.canvas.document.strokes) == 1
    QTest.keyClick(sketch.canvas, Qt.Key_Y, Qt.ControlModifier)
    assert len(sketch.canvas.document.strokes) == 2

    qtbot.waitUntil(lambda: sketch.is_idle(), timeout=30000)
    QApplication.clipboard().clear()
    assert window.actCopyPicture.isEnabled() and window.copy_picture()
    copied = QApplication.clipboard().image()
    output = sketch.output.image()
    assert (copied.width(), copied.height()) == (output.shape[1], output.shape[0])
    assert copied.pixelColor(3, 7).getRgb()[:3] == tuple(int(v) for v in output[7, 3])

    window.show_area("Train")
    assert not window.actCopyPicture.isEnabled() and not undo.isEnabled()


def test_the_view_menus_log_y_follows_the_monitors_toolbar_and_back(qtbot, window):
    box, item = window.monitor.log_y_check, window.actLogY
    assert box.isChecked() == item.isChecked() == window.monitor.state.log_y
    box.setChecked(not box.isChecked())  # the toolbar's box changes the state; the menu item follows
    assert item.isChecked() == box.isChecked() == window.monitor.state.log_y
    item.trigger()  # and the other way round
    assert item.isChecked() == box.isChecked() == window.monitor.state.log_y
    window.monitor.set_log_y(True)
    assert item.isChecked() and box.isChecked()


def test_remembered_run_folders_not_read_yet_at_close_are_kept(qtbot, monitor, tmp_path):
    a = headless_run(tmp_path / "run-a")
    monitor.reopen_run_folders({"folders": [str(a), str(tmp_path / "gone")], "current": 0})
    assert monitor.remembered() == {"folders": [str(a), str(tmp_path / "gone")], "current": 0}  # still reading
    with qtbot.waitSignal(monitor.runsReopened, timeout=30000) as done:
        pass
    assert done.args == [1, 1] and monitor.remembered() == {"folders": [str(a)], "current": 0}
