"""GUI tests: offscreen Qt, settings in a temporary INI file, small toy runs that finish in seconds."""

import gc
import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QThread  # noqa: E402
from threadcheck import threads_left_running  # noqa: E402

from ganstudio.qt.settings import AppSettings  # noqa: E402
from ganstudio.qt.workers import live_workers, stop_all_workers  # noqa: E402

# Every QThread started during a test, whoever starts it (a JobWorker, a trainer worker, Qt code).
_started_qthreads: list = []
_qthread_start = QThread.start


def _recording_start(self, *args):
    _started_qthreads.append(self)
    return _qthread_start(self, *args)


QThread.start = _recording_start


def _qthread_running(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # its C++ object is gone: it is not running
        return False

# The small toy run every training test uses (a user would type these into the form).
SMALL_TOY = {
    "model.g_width": 64,
    "model.d_width": 64,
    "train.log_every": 5,
    "train.sample_every": 20,
    "train.eval_every": 0,
    "train.checkpoint_every": 0,
}


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny toy models train several times faster on one thread on a busy 2-core machine, and the
    GUI thread keeps the other core."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def no_qthread_left_running():
    """Fails any test that leaves a QThread running (the Python threads are checked in tests/conftest.py)."""
    _started_qthreads.clear()
    yield
    try:
        left = threads_left_running(set(), list(_started_qthreads), running=_qthread_running,
                                    join=lambda t, s: t.wait(int(s * 1000)))
    finally:
        _started_qthreads.clear()
    assert not left, f"QThreads still running after the test: {left}"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch):
    """Every QSettings(IniFormat, UserScope, ...) lands in tmp_path, never in the user's settings."""
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    # App data (direction caches) goes to Qt's test location, not the user's; the sketch's data (autosave,
    # the sketch kept at exit) to this test's own folder, so that one test's sketch never opens in the next.
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    monkeypatch.setenv("GANSTUDIO_DATA_DIR", str(tmp_path / "appdata"))
    yield tmp_path / "settings"
    # No test may leave a thread running into the next one.
    assert stop_all_workers(30.0), f"workers still running: {[w.name for w in live_workers()]}"
    # Widgets a test left in reference cycles are freed here, in the GUI thread while no worker runs: left to
    # the collector, they would be freed in whatever thread allocates next (a render or job thread of a
    # later test), where deleting a widget can deadlock with the GUI thread. What survives is frozen, so that
    # each of these collections looks at one test's objects only (a full one over torch takes 0.2 s).
    gc.collect()
    gc.freeze()


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    s = AppSettings()
    assert str(tmp_path) in s.file_name
    s.set_runs_folder(tmp_path / "runs")
    return s


@pytest.fixture
def monitor(qtbot, settings):
    """A TrainingMonitor on its own, shown at a desktop size (the monitor, registry and run-control tests)."""
    from ganstudio.qt.monitor.monitor import TrainingMonitor
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    m = TrainingMonitor(settings)
    qtbot.addWidget(m)
    m.resize(1200, 800)
    m.show()
    yield m
    m.shutdown()


@pytest.fixture
def themed():
    """The app's theme (Fusion, palette, style sheet) for one test, then Qt's defaults again: its paddings
    set the widgets' sizes, and its colours what a highlighted button looks like."""
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.theme import apply_theme

    app = QApplication.instance()
    style, palette, sheet = app.style().name(), app.palette(), app.styleSheet()
    apply_theme(app)
    yield
    app.setStyleSheet(sheet)
    app.setStyle(style)
    app.setPalette(palette)


@pytest.fixture
def window(qtbot, settings):
    from ganstudio.qt.main_window import MainWindow

    settings.set_last_area("Train")  # the training tests start where a returning user left off
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.engine_ready, timeout=60000)
    yield w
    w.run_control.shutdown()  # a run a test left going: stopped and saved here, so close() asks nothing
    w.close()


def _fill_form(panel, preset: str = "toy-ring", **values) -> None:
    """Set the form the way a user would: preset, then individual fields."""
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData(preset))
    for key, value in {**SMALL_TOY, **values}.items():
        w = panel.widgets[key]
        if hasattr(w, "findData") and not hasattr(w, "setValue"):
            w.setCurrentIndex(w.findData(value))
        elif hasattr(w, "setChecked"):
            w.setChecked(bool(value))
        else:
            w.setValue(value)


@pytest.fixture
def fill_form():
    return _fill_form


@pytest.fixture
def answer_next_question(qtbot):
    """answer_next_question(button_name): click that button in the next modal question, as a user would."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QPushButton

    def arm(button_name: str) -> None:
        def answer():
            box = QApplication.activeModalWidget()
            button = box.findChild(QPushButton, button_name) if box is not None else None
            if button is None:
                QTimer.singleShot(20, answer)
                return
            qtbot.mouseClick(button, Qt.LeftButton)

        QTimer.singleShot(20, answer)

    return arm


def _watch_pause(worker):
    """Count the rounds a worker's thread spends blocked in its pause loop (BackgroundWorker's
    `_wait_while_paused` calls `on_idle` once a round, every 0.05 s, only while paused): a test waits for
    that count instead of sleeping, so "paused" means the thread is known to be waiting."""
    rounds = [0]
    original = worker._wait_while_paused

    def watched(on_idle=None):
        def idle():
            rounds[0] += 1
            if on_idle is not None:
                on_idle()
        return original(on_idle=idle)

    worker._wait_while_paused = watched
    return lambda: rounds[0]


@pytest.fixture
def watch_pause():
    """watch_pause(worker) -> rounds(): how many rounds the worker's thread has waited while paused."""
    return _watch_pause
