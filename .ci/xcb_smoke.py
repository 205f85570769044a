"""Real-X smoke test: the app on Qt's xcb platform (under Xvfb in CI), every area shown by a click, then quit.

The offscreen tests cannot see what a fresh desktop meets first: missing xcb libraries, a window that
does not fit the screen, an area that fails to paint. Run with DISPLAY set and QT_QPA_PLATFORM unset:
    python .ci/xcb_smoke.py [--shots DIR]
Exit 0 when every check holds; otherwise one line per failed check and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=Path, help="save a screenshot of each area here")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="ganstudio-xcb-")
    os.environ["HOME"] = home  # fresh settings: what a first run sees
    os.environ["XDG_CONFIG_HOME"] = str(Path(home) / ".config")
    os.environ["XDG_DATA_HOME"] = str(Path(home) / ".local" / "share")

    from ganstudio.system_libraries import desktop_problem

    problem = desktop_problem()
    if problem:
        print(f"xcb smoke: {problem}")
        return 1

    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from ganstudio.qt.main_window import AREAS, MainWindow
    from ganstudio.qt.settings import APPLICATION, ORGANIZATION
    from ganstudio.qt.theme import apply_theme

    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication(["ganstudio"])
    failures: list[str] = []
    if app.platformName() != "xcb":
        failures.append(f"the platform is {app.platformName()!r}, not xcb")
    apply_theme(app)
    window = MainWindow()
    window.show()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    pump(1.0)
    deadline = time.monotonic() + 120
    while not window.engine_ready and time.monotonic() < deadline:
        pump(0.2)
    if not window.engine_ready:
        failures.append("the engine did not load within 120 s")
    screen = window.screen().availableGeometry()
    frame = window.frameGeometry()
    if frame.width() > screen.width() or frame.height() > screen.height():
        failures.append(f"the window ({frame.width()}x{frame.height()}) is larger than the screen "
                        f"({screen.width()}x{screen.height()})")
    for row, name in enumerate(AREAS):
        item = window.areaList.item(row)
        rect = window.areaList.visualItemRect(item)
        QTest.mouseClick(window.areaList.viewport(), Qt.LeftButton, pos=rect.center())
        pump(1.5)
        if window.current_area() != name:
            failures.append(f"clicking {name!r} in the area list showed {window.current_area()!r}")
            continue
        shot = window.grab().toImage()
        # a painted area has more than a handful of distinct colours in a coarse sample
        colours = {shot.pixel(x, y) for x in range(0, shot.width(), 16) for y in range(0, shot.height(), 16)}
        if len(colours) < 4:
            failures.append(f"the {name} area painted {len(colours)} colours only")
        if args.shots:
            args.shots.mkdir(parents=True, exist_ok=True)
            shot.save(str(args.shots / f"{name.lower()}.png"))
    window.close()
    pump(0.5)
    if window.isVisible():
        failures.append("the window did not close")
    for line in failures:
        print(f"xcb smoke: {line}")
    if not failures:
        print(f"xcb smoke: ok on {screen.width()}x{screen.height()}: {', '.join(AREAS)} shown, window "
              f"{frame.width()}x{frame.height()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
