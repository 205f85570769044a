"""`run_app(argv)`: create the QApplication, apply the theme, show the main window, run the event loop.

Only Qt and the light parts of ganstudio are imported before the window is shown; PyTorch and pyqtgraph
load in the background afterwards (see MainWindow.load_engine), so the window appears quickly.
"""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger(__name__)


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc), to measure the time to the first window."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat, counted after the ")" that ends the name
        with open("/proc/uptime", "rb") as fh:
            uptime = float(fh.read().split()[0])
        return round(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 3)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def run_app(argv: list[str], open_paths: list[str] | None = None) -> int:
    launch = time.perf_counter()
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.settings import APPLICATION, ORGANIZATION

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO if os.environ.get("GANSTUDIO_DEBUG") else logging.WARNING,
                            format="ganstudio: %(levelname)s: %(name)s: %(message)s")
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication(["ganstudio", *argv])
    app.setApplicationDisplayName("GAN Studio")

    from ganstudio.qt.main_window import MainWindow
    from ganstudio.qt.theme import apply_theme

    apply_theme(app)
    window = MainWindow(launch_time=launch)
    for path in open_paths or []:  # `ganstudio FILE`: opened once the engine is there, in the area that fits
        window.engineReady.connect(lambda _info, path=path: window.open_path(path), Qt.SingleShotConnection)
    window.show()
    code = app.exec()
    log.info("window was shown %.2f s after run_app started", window.shown_after_s or -1)
    return code
