"""The generic JobWorker, settings, and the window's menus, status bar, placeholders and help."""

import time

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Slot
from PySide6.QtWidgets import QLabel, QTextBrowser, QWidget

from ganstudio.qt.settings import AppSettings
from ganstudio.qt.workers import JobWorker, jobs_of, start_job, stop_jobs


class Collector(QObject):
    """Receives job signals in the GUI thread, as a widget would."""

    def __init__(self):
        super().__init__()
        self.progress, self.results, self.errors, self.cancelled, self.threads = [], [], [], 0, []
        self.finished = 0

    @Slot(object)
    def on_progress(self, v):
        self.progress.append(v)

    @Slot(object)
    def on_result(self, v):
        import threading

        self.threads.append(threading.current_thread() is threading.main_thread())
        self.results.append(v)

    @Slot(object)
    def on_error(self, e):
        self.errors.append(e)

    @Slot()
    def on_cancel(self):
        self.cancelled += 1

    @Slot()
    def on_finished(self):
        self.finished += 1


def connect(job, c):
    job.progress.connect(c.on_progress)
    job.succeeded.connect(c.on_result)
    job.failed.connect(c.on_error)
    job.cancelled.connect(c.on_cancel)
    job.finished.connect(c.on_finished)


def run_job(qtbot, job, c):
    # qtbot.waitSignal would connect a plain callable, which PySide6 calls in the worker's thread.
    before = c.finished
    job.start()
    qtbot.waitUntil(lambda: c.finished == before + 1, timeout=10000)


def count_to(n, delay=0.0):
    for i in range(n):
        time.sleep(delay)
        yield i
    return "done"


def test_generator_job_reports_progress_and_result_in_the_gui_thread(qtbot):
    c = Collector()
    job = JobWorker(count_to, 50, progress_interval=0.0)
    connect(job, c)
    run_job(qtbot, job, c)
    qtbot.waitUntil(lambda: c.results == ["done"])
    assert c.threads == [True]
    assert c.progress[-1] == 49 and not c.errors


def reports_between_pause_points(n_reports, nones_after_each):
    for i in range(n_reports):
        yield {"report": i}
        for _ in range(nones_after_each):
            time.sleep(0.0005)
            yield None  # a pause point, nothing to show


def test_a_throttled_report_is_not_replaced_by_the_pause_points_after_it(qtbot):
    # The Lab yields a report every 50 steps and None after the others; the throttle used to keep only the
    # newest value, a None, so a report that came within the interval of the previous send was lost.
    c = Collector()
    job = JobWorker(reports_between_pause_points, 6, 400, progress_interval=0.05)
    connect(job, c)
    run_job(qtbot, job, c)
    assert None not in c.progress
    assert c.progress[-1] == {"report": 5}
    assert len(c.progress) >= 4  # ~0.2 s between reports: hardly any coalesced


def test_job_cancel_and_pause(qtbot, watch_pause):
    c = Collector()
    job = JobWorker(count_to, 10000, 0.001)
    waited = watch_pause(job)
    connect(job, c)
    job.start()
    qtbot.waitUntil(lambda: len(c.progress) > 0, timeout=10000)
    job.pause()
    qtbot.waitUntil(lambda: waited() >= 1, timeout=10000)  # the job's thread waits
    QCoreApplication.processEvents()  # progress sent before the pause arrives
    seen = len(c.progress)
    qtbot.waitUntil(lambda: waited() >= 6, timeout=10000)
    QCoreApplication.processEvents()
    assert len(c.progress) == seen  # paused: no progress
    job.stop()
    qtbot.waitUntil(lambda: c.cancelled == 1 and c.finished == 1, timeout=10000)
    assert not c.results and not c.errors


def test_job_errors_become_one_sentence(qtbot):
    from ganstudio.core.errors import DataError

    def user_error():
        raise DataError("image folder /x has no readable image")

    def bug():
        return {}["missing"]

    c = Collector()
    for fn in (user_error, bug):
        job = JobWorker(fn)
        connect(job, c)
        run_job(qtbot, job, c)
    qtbot.waitUntil(lambda: len(c.errors) == 2)
    assert c.errors[0].message == "Image folder /x has no readable image." and c.errors[0].user_error
    assert c.errors[1].kind == "bug" and "KeyError" in c.errors[1].message and "Traceback" in c.errors[1].detail


def test_callback_style_job_gets_a_progress_function(qtbot):
    def job_fn(n, progress):
        for i in range(n):
            progress((i, n))
        return n

    c = Collector()
    job = JobWorker(job_fn, 5, pass_progress=True, progress_interval=0.0)
    connect(job, c)
    run_job(qtbot, job, c)
    qtbot.waitUntil(lambda: c.results == [5])
    assert c.progress[-1] == (4, 5)


def test_start_job_wires_runs_and_tracks_a_job_in_one_call(qtbot):
    c = Collector()
    owner = QObject()
    job = start_job(count_to, 20, on_done=c.on_result, on_progress=c.on_progress, owner=owner, progress_interval=0.0)
    job.finished.connect(c.on_finished)
    assert jobs_of(owner) == [job]  # kept by its owner while it runs
    qtbot.waitUntil(lambda: c.results == ["done"] and not jobs_of(owner), timeout=10000)
    assert c.threads == [True] and c.progress[-1] == 19  # results arrive in the GUI thread

    failing = start_job(lambda: {}["missing"], on_error=c.on_error, owner=owner)
    qtbot.waitUntil(lambda: len(c.errors) == 1 and not jobs_of(owner), timeout=10000)
    assert c.errors[0].kind == "bug" and failing.error is c.errors[0]


def test_stop_jobs_cancels_what_an_owner_still_runs(qtbot):
    c = Collector()
    owner = QObject()
    job = start_job(count_to, 100000, 0.001, on_cancelled=c.on_cancel, owner=owner)
    qtbot.waitUntil(lambda: job.is_running(), timeout=10000)
    assert stop_jobs(owner, 10000)
    assert not job.is_running()
    qtbot.waitUntil(lambda: c.cancelled == 1 and not jobs_of(owner), timeout=10000)


def test_start_job_refuses_a_callback_that_would_run_in_the_jobs_thread():
    import pytest

    with pytest.raises(TypeError, match="on_done must be a method of a QObject"):
        start_job(count_to, 3, on_done=lambda result: None)


def test_settings_live_in_the_temporary_location_and_remember(tmp_path):
    s = AppSettings()
    assert s.file_name.startswith(str(tmp_path))
    assert s.smoothing() == 0.6 and s.recent_checkpoints() == []
    for i in range(12):
        s.add_recent_checkpoint(f"/c/{i}.safetensors")
    s.add_recent_checkpoint("/c/3.safetensors")
    s.sync()
    again = AppSettings(QSettings(QSettings.IniFormat, QSettings.UserScope, "GANStudio", "ganstudio"))
    assert again.recent_checkpoints()[:2] == ["/c/3.safetensors", "/c/11.safetensors"]
    assert len(again.recent_checkpoints()) == 8


def test_window_areas_menus_status_and_help(qtbot, window, settings):
    from ganstudio.qt.main_window import AREAS

    assert [window.areaList.item(i).text() for i in range(window.areaList.count())] == list(AREAS)
    assert window.actOpenCheckpoint.shortcut().toString() == "Ctrl+O"
    assert window.actSave.shortcut().toString() == "Ctrl+S"
    assert window.actQuit.shortcut().toString() == "Ctrl+Q"
    assert window.actHelp.shortcut().toString() == "F1"
    assert not window.actSave.isEnabled()  # nothing to save before training
    assert window.findChild(QLabel, "statusDevice").text().startswith(("CPU", "GPU"))
    assert window.monitor is window.area_widget("Monitor")
    window.show_area("Explore")
    assert window.area_widget("Explore") is window.explorer and window.explorer.isVisible()
    assert window.explorer.findChild(QWidget, "latentGrid") is not None
    window.show_area("Sketch")
    assert window.area_widget("Sketch") is window.sketch and window.sketch.isVisible()
    assert window.sketch.findChild(QWidget, "sketchCanvas") is not None
    help_dialog = window.show_help()
    text = help_dialog.findChild(QTextBrowser, "helpText").toPlainText()
    for area in AREAS:
        assert area in text
    assert "GANSpace" in text and "eyedropper" in text
    help_dialog.close()
    window.show_area("Explore")
    # The area and the geometry are remembered.
    window.resize(1000, 700)
    window.close()
    assert settings.last_area() == "Explore"
    assert settings.geometry() is not None


def test_window_is_up_before_the_engine(qtbot, settings):
    """The window is shown and usable while the engine loads in the background."""
    from ganstudio.qt.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    assert not w.engine_ready
    assert not w.train_panel.startButton.isEnabled()
    assert w.statusEngine.text() == "Loading engine…"
    w.show()
    qtbot.waitUntil(lambda: w.engine_ready, timeout=60000)
    assert w.train_panel.startButton.isEnabled()
    cuda_item = w.train_panel.deviceCombo.model().item(w.train_panel.deviceCombo.findData("cuda"))
    import torch

    assert cuda_item.isEnabled() == torch.cuda.is_available()
    w.close()


def test_void_qt_calls_cannot_kill_the_process():
    """PySide6 6.12 on Python 3.11 drops a reference to None per void call; importing ganstudio.qt guards it."""
    import sys

    from PySide6.QtCore import QTimer

    from ganstudio.qt.pyside_fixes import none_leaks_per_call

    timer = QTimer()
    for _ in range(100_000):  # would abort the interpreter without the guard once None's count hits 0
        timer.setInterval(1)
    assert none_leaks_per_call() == 0 or sys.getrefcount(None) > 10**9


def test_first_launch_opens_on_sketch_with_a_hint(qtbot, tmp_path):
    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.settings import AppSettings

    fresh = AppSettings()  # nothing remembered yet
    w = MainWindow(settings=fresh)
    qtbot.addWidget(w)
    w.show()
    assert w.current_area() == "Sketch"
    assert "Draw" in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: w.engine_ready, timeout=60000)
    w.close()


def test_paste_picture_is_the_sketch_areas_and_tooltips_state_the_shortcuts(qtbot, window):
    from PySide6.QtGui import QColor, QImage, QKeySequence
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.main_window import AREAS

    act = window.actPastePicture
    assert act.shortcut() == QKeySequence(QKeySequence.Paste) and "Ctrl+V" in act.toolTip()
    assert window.current_area() == "Train" and not act.isEnabled()  # Ctrl+V elsewhere is not the sketch's
    picture = QImage(64, 64, QImage.Format_RGB32)
    picture.fill(QColor(250, 250, 250))
    picture.setPixelColor(20, 20, QColor(10, 10, 10))
    QApplication.clipboard().setImage(picture)
    window.show_area("Sketch")
    assert act.isEnabled()
    act.trigger()
    assert window.sketch.canvas.document.base is not None

    for act in (window.actSave, window.actOpenRun, window.actOpenCheckpoint):
        assert f"({act.shortcut().toString(QKeySequence.NativeText)})" in act.toolTip(), act.toolTip()
    for i, name in enumerate(AREAS):
        assert window.areaList.item(i).toolTip() == f"{name} (Ctrl+{i + 1})"
    sketch = window.sketch
    for button, key in ((sketch.penTool, "(P)"), (sketch.eraserTool, "(E)"), (sketch.colorTool, "(B)"),
                        (sketch.eyedropperTool, "(I)"), (sketch.undoButton, "Ctrl+Z"), (sketch.redoButton, "Ctrl+Shift+Z")):
        assert key in button.toolTip(), button.objectName()
    assert "Ctrl+V" in sketch.openImageButton.toolTip() and "[ and ]" in sketch.sizeSpin.toolTip()


def test_a_job_that_cannot_write_a_path_is_a_user_error_naming_it(tmp_path):
    """The app says what the CLI says for file-system faults (not 'this is a bug')."""
    from ganstudio.qt.workers import describe_exception

    try:
        open(tmp_path / "no" / "such" / "folder" / "x.png", "wb")
    except OSError as exc:
        err = describe_exception(exc)
    assert err.user_error and "x.png" in err.message and "bug" not in err.message
    assert not describe_exception(KeyError("k")).user_error
