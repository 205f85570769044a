"""What the main window remembers between sessions, where it opens on screen, and the Preferences.

A mix-in of `MainWindow`. Each area's state is one small versioned key of the settings ("session/<area>",
AppSettings.remember); the sketch is a file in the app data folder (SketchArea.restore_last_sketch).
Files that moved are skipped, and the status bar says what could not come back.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog

log = logging.getLogger(__name__)

PREFERRED_SIZE = QSize(1360, 860)  # the first window where the screen has room for it
FIRST_FRACTION = 0.9  # else this much of the screen's free area
FRAME_ALLOWANCE = QSize(16, 48)  # the window manager's frame and title bar, unknown before the first show
ROOM = QSize(40, 0)  # beyond the areas' minimum: combos show their whole text


def area_device(device: str) -> str:
    """Where Explore and Sketch render for the Preferences' device: "cuda" is "auto" there, so a machine
    without a GPU still draws (on the CPU) instead of failing to open every model."""
    return "cpu" if device == "cpu" else "auto"


class WindowSession:
    """The window's place on each screen, the session kept at exit and restored, and the Preferences."""

    # --- window geometry ----------------------------------------------------------------------------
    @staticmethod
    def screen_key(screen) -> str:
        """The settings key of a screen: its size ("1920x1080")."""
        size = screen.geometry().size()
        return f"{size.width()}x{size.height()}"

    def _start_screen(self):
        """The screen the window opens on: the one under the mouse (where the user launched it), else
        the primary one."""
        from PySide6.QtGui import QCursor

        return QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()

    def _place_on_screen(self) -> None:
        """The geometry this screen had last time, kept inside it; on a screen seen for the first time
        min(PREFERRED_SIZE, 90% of the free area), centred."""
        screen = self._start_screen()
        if screen is None:  # no screen at all (should not happen): Qt's default
            self.resize(PREFERRED_SIZE)
            return
        avail = screen.availableGeometry()
        saved = self.settings.geometry(self.screen_key(screen))
        if saved is not None and self.restoreGeometry(saved):
            on = QGuiApplication.screenAt(self.geometry().center()) or screen  # a second monitor still there
            self.fit_into(on.availableGeometry())
            return
        size = PREFERRED_SIZE.boundedTo(QSize(int(avail.width() * FIRST_FRACTION), int(avail.height() * FIRST_FRACTION)))
        # ... but no smaller than what the areas need without scrolling, where the screen has the room
        size = size.expandedTo(self.comfortable_size() + ROOM).boundedTo(avail.size() - FRAME_ALLOWANCE)
        self.resize(size)
        self.move(avail.center() - QPoint(size.width() // 2, size.height() // 2))

    def comfortable_size(self) -> QSize:
        """The smallest window in which no area built so far needs a scroll bar."""
        scroll = self.areaScroll.minimumSize().expandedTo(self.areaScroll.minimumSizeHint())
        extra = self.minimumSizeHint() - scroll  # the area list, menus, tool bar and status bar
        return extra + self.stack.minimumSizeHint()  # the stack's: the largest of its pages

    def fit_into(self, avail: QRect) -> None:
        """Shrink and move the window so that it lies inside `avail` (a saved geometry from a larger
        screen, or a screen that became smaller)."""
        if self.isMaximized() or self.isFullScreen():
            return  # the window manager fits those
        frame, inner = self.frameGeometry(), self.geometry()
        extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
        w = min(inner.width(), avail.width() - extra_w)
        h = min(inner.height(), avail.height() - extra_h)
        if (w, h) != (inner.width(), inner.height()):
            self.resize(w, h)
        x = min(max(frame.x(), avail.x()), avail.right() + 1 - (w + extra_w))
        y = min(max(frame.y(), avail.y()), avail.bottom() + 1 - (h + extra_h))
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    # --- what is remembered between sessions ---------------------------------------------------------
    # Each area's state is one small versioned key of the settings ("session/<area>", AppSettings.remember);
    # the sketch is a file in the app data folder (SketchArea.restore_last_sketch). Files that moved are
    # skipped silently, and the status bar says what could not come back.
    def _restore_train_form(self) -> None:
        from ganstudio.core.errors import ConfigError

        saved = self.settings.remembered("train")
        if saved is None:
            return
        try:
            self._note_not_restored(self.train_panel.restore_form(saved))
        except ConfigError as exc:
            log.info("remembered Train form dropped: %s", exc)
            self.settings.remember("train", None)
            self._note_not_restored(["the Train form (its settings no longer validate)"])

    def _restore_on_first_visit(self, area: str) -> None:
        if area == "Sketch":
            self._note_not_restored(self.sketch.restore_last_sketch())
        elif area == "Explore":
            # After this event-loop turn: a model or bookmark opened right now (ganstudio FILE) wins.
            QTimer.singleShot(0, self._restore_explore)

    def _restore_explore(self) -> None:
        explorer = self.explorer
        if self._closing or explorer.model_info is not None or explorer.loading:
            return
        self._note_not_restored(explorer.restore_session(self.settings.remembered("explore")))

    def _on_runs_reopened(self, _opened: int, missing: int) -> None:
        if missing:
            self._note_not_restored([f"{missing} run folder{'s' if missing != 1 else ''} (moved or deleted)"])

    def _note_not_restored(self, items: list[str]) -> None:
        if not items:
            return
        self._not_restored.extend(items)
        text = f"Not restored from last time: {', '.join(self._not_restored)}."
        n = len(self._not_restored)
        self.statusNotRestored.setText(f"{n} thing{'s' if n != 1 else ''} not restored")
        self.statusNotRestored.setToolTip(text)
        self.statusNotRestored.show()
        self._not_restored_timer.start()
        self.statusBar().showMessage(text, 20000)

    def not_restored(self) -> list[str]:
        """What could not be brought back from the last session (moved files, a form that no longer validates)."""
        return list(self._not_restored)

    def _remember_session(self) -> None:
        self.settings.remember("train", self.train_panel.form.remembered())
        if self.monitor is not None:
            self.settings.remember("monitor", self.monitor.remembered())
        if self._explorer is not None and self._explorer.remembered() is not None:
            self.settings.remember("explore", self._explorer.remembered())

    # --- preferences ---------------------------------------------------------------------------------
    def _run_defaults(self) -> dict[str, Any]:
        return {"train.threads": self.settings.threads(), "train.device": self.settings.device()}

    def show_preferences(self) -> QDialog:
        """Edit > Preferences…; OK stores and applies them (apply_preferences)."""
        from ganstudio.qt.preferences import Preferences, PreferencesDialog

        dlg = PreferencesDialog(Preferences.from_settings(self.settings),
                                self.engine_info["cuda"] if self.engine_info else None, self)
        dlg.accepted.connect(lambda: self.apply_preferences(dlg.preferences()))
        dlg.finished.connect(dlg.deleteLater)
        self._preferences = dlg
        dlg.open()  # window-modal, returns at once
        return dlg

    def apply_preferences(self, prefs) -> None:
        """Store the Preferences and apply them: threads now, the runs folder and run defaults from the next
        run, the device in Explore and Sketch (their model opens there again), the export size in Explore."""
        prefs.save(self.settings)
        self._apply_app_threads()
        self.train_panel.form.set_run_defaults(self._run_defaults())
        device = area_device(prefs.device)
        self.sketch.set_device(device)
        self.translate_area.set_device(device)
        if self._explorer is not None:
            self._explorer.set_device(device)
            self._explorer.set_export_scale(prefs.export_scale)
        self.show_status_message(f"Preferences saved; new runs go to {prefs.runs_folder}.")

    def _apply_app_threads(self) -> None:
        """The app's own torch threads from the Preferences (after a run, which set its own)."""
        if not self.engine_ready or (self.worker is not None and self.worker.is_running()):
            return
        from ganstudio.core.device import apply_threads, device_description, resolve_device

        apply_threads("image", self.settings.threads())
        self.statusDevice.setText(device_description(resolve_device("auto")))
