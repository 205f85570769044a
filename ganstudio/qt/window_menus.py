"""The main window's menus and tool bar, and the Edit actions that act on the area shown.

A mix-in of `MainWindow` (it uses the window's areas, settings and run control).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QStyle, QTextBrowser, QVBoxLayout
from shiboken6 import isValid

from ganstudio import __version__
from ganstudio.qt.help import HELP_HTML

AREAS = ("Train", "Monitor", "Explore", "Sketch", "Translate", "Lab")


class WindowMenus:
    """File, Edit, View and Help menus, the training tool bar, and keeping their actions enabled right."""

    def _build_actions(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.actOpenCheckpoint = file_menu.addAction("&Open checkpoint…", self.open_checkpoint_dialog)
        self.actOpenCheckpoint.setShortcut(QKeySequence.Open)
        self.actOpenCheckpoint.setToolTip("Load a checkpoint's settings into the Train area to continue it.")
        self.actSave = file_menu.addAction("&Save checkpoint", self.save_checkpoint)
        self.actSave.setShortcut(QKeySequence.Save)
        self.actOpenRun = file_menu.addAction("Open &run folder…", self.open_run_folder_dialog)
        self.actOpenRun.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.actBrowseRuns = file_menu.addAction("&Browse runs…", self.browse_runs_dialog)
        self.actBrowseRuns.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self.actBrowseRuns.setToolTip("List a folder of runs and open the ones you pick in the Monitor.")
        self.recentMenu = file_menu.addMenu("Recent &checkpoints")
        self.recentMenu.setObjectName("recentMenu")
        self.recentMenu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self.actQuit = file_menu.addAction("&Quit", self.close)
        self.actQuit.setShortcut(QKeySequence("Ctrl+Q"))

        edit = mb.addMenu("&Edit")
        edit.setObjectName("editMenu")
        # The Edit actions hold the keys (Ctrl+Z, Ctrl+C, Ctrl+V...) and act on the area shown; the Sketch area
        # gave up its own Ctrl+Z (two shortcuts on one key are ambiguous in Qt and neither fires). A text field
        # with the focus still undoes, copies and pastes text: it takes those keys first.
        self.actUndo = edit.addAction("&Undo", self.undo)
        self.actUndo.setShortcut(QKeySequence.Undo)
        self.actUndo.setToolTip("Undo the last stroke, clear or opened picture in the Sketch area, or the last "
                                "stroke drawn on the Translate area's input (Ctrl+Z).")
        self.actRedo = edit.addAction("&Redo", self.redo)
        self.actRedo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.actRedo.setToolTip("Redo in the Sketch area (Ctrl+Shift+Z or Ctrl+Y).")
        stack = self.sketch.canvas.undo_stack
        for signal in (stack.canUndoChanged, stack.canRedoChanged, stack.undoTextChanged, stack.redoTextChanged):
            signal.connect(self._on_undo_stack_changed)
        self.translate_area.editsChanged.connect(self._sync_area_actions)
        edit.addSeparator()
        self.actCopyPicture = edit.addAction("&Copy picture", self.copy_picture)
        self.actCopyPicture.setShortcut(QKeySequence.Copy)
        self.actCopyPicture.setToolTip("Put the Sketch output, or Explore's selected sample, on the clipboard "
                                       "as a picture (Ctrl+C).")
        # Ctrl+V is the Sketch area's; enabled while that area is shown.
        self.actPastePicture = edit.addAction("&Paste picture", self.paste_picture)
        self.actPastePicture.setShortcut(QKeySequence.Paste)
        self.actPastePicture.setToolTip("Start the sketch from the picture on the clipboard (Ctrl+V).")
        edit.addSeparator()
        self.actPreferences = edit.addAction("Pr&eferences…", self.show_preferences)
        self.actPreferences.setShortcut(QKeySequence("Ctrl+,"))
        self.actPreferences.setMenuRole(self.actPreferences.MenuRole.PreferencesRole)
        self.actPreferences.setToolTip("Runs folder, CPU threads, device and the default export size (Ctrl+,).")
        for act in (self.actUndo, self.actRedo, self.actCopyPicture, self.actPastePicture, self.actPreferences):
            act.setStatusTip(act.toolTip())

        view = mb.addMenu("&View")
        for i, name in enumerate(AREAS):
            act = view.addAction(name, lambda n=name: self.show_area(n))
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            self.areaList.item(i).setToolTip(f"{name} (Ctrl+{i + 1})")
        view.addSeparator()
        self.actAutoRange = view.addAction("&Auto-range plots", lambda: self.monitor and self.monitor.auto_range())
        self.actAutoRange.setShortcut(QKeySequence("Ctrl+R"))
        self.actLogY = view.addAction("&Log y axes")
        self.actLogY.setCheckable(True)
        self.actLogY.setChecked(self.settings.log_y())
        self.actLogY.toggled.connect(lambda on: self.monitor and self.monitor.set_log_y(on))  # the monitor's
        #   log_y event ticks it back (_show_log_y), so it and the toolbar's box never disagree

        help_menu = mb.addMenu("&Help")
        self.actHelp = help_menu.addAction("GAN Studio &help", self.show_help)
        self.actHelp.setShortcut(QKeySequence.HelpContents)
        self.actHelp.setShortcuts([QKeySequence("F1")])
        help_menu.addAction("&About GAN Studio", self.show_about)

        tb = self.addToolBar("Training")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(16, 16))
        icon = self.style().standardIcon
        self._play_icon, self._pause_icon = icon(QStyle.SP_MediaPlay), icon(QStyle.SP_MediaPause)
        self.actStart = tb.addAction(self._play_icon, "Start", self.train_panel.request_start)
        self.actPause = tb.addAction(self._pause_icon, "Pause", lambda: self.set_paused(not self.run_control.paused))
        self.actStop = tb.addAction(icon(QStyle.SP_MediaStop), "Stop", self.stop_training)
        self.actSave.setIcon(icon(QStyle.SP_DialogSaveButton))
        self.actOpenRun.setIcon(icon(QStyle.SP_DirOpenIcon))
        self.actOpenCheckpoint.setIcon(icon(QStyle.SP_FileIcon))
        tb.addAction(self.actSave)
        tb.addSeparator()
        tb.addAction(self.actOpenRun)
        tb.addAction(self.actOpenCheckpoint)
        view.addSeparator()
        view.addAction(tb.toggleViewAction())
        for act, tip in ((self.actStart, "Start training with the Train area's settings"),
                         (self.actPause, "Pause or resume training between two steps"),
                         (self.actStop, "Stop after the current step; a checkpoint is saved"),
                         (self.actSave, "Save a checkpoint of the run now"),
                         (self.actOpenRun, "Open a run folder in the Monitor"),
                         (self.actOpenCheckpoint, "Load a checkpoint's settings into the Train area to continue it")):
            keys = act.shortcut().toString(QKeySequence.NativeText)
            act.setToolTip(f"{tip} ({keys})" if keys else tip)
        self._sync_actions()
        self._sync_area_actions()

    def browse_runs_dialog(self) -> None:
        if self.monitor is None:
            self.show_status_message("The monitor is still loading; try again in a moment.")
            return
        self.show_area("Monitor")
        self.monitor.browse_runs()

    def _sync_actions(self) -> None:
        state = self.train_panel.state
        self.actStart.setEnabled(state == "idle")
        self.actPause.setEnabled(state in ("running", "paused"))
        self.actPause.setText("Resume" if state == "paused" else "Pause")
        self.actPause.setIcon(self._play_icon if state == "paused" else self._pause_icon)
        self.actStop.setEnabled(state in ("running", "paused"))
        self.actSave.setEnabled(state in ("running", "paused"))
        self.actOpenCheckpoint.setEnabled(state in ("idle", "loading"))

    def _sync_area_actions(self) -> None:
        if not hasattr(self, "actPastePicture"):
            return
        area = self.current_area()
        stack = self.sketch.canvas.undo_stack
        sketch = area == "Sketch"
        translate = area == "Translate" and self.translate_area.can_undo()
        self.actUndo.setEnabled((sketch and stack.canUndo()) or translate)
        self.actRedo.setEnabled(sketch and stack.canRedo())
        self.actUndo.setText(f"&Undo {stack.undoText()}" if sketch and stack.canUndo() else
                             "&Undo stroke" if translate else "&Undo")
        self.actRedo.setText(f"&Redo {stack.redoText()}" if sketch and stack.canRedo() else "&Redo")
        self.actCopyPicture.setEnabled(area in ("Sketch", "Explore"))
        self.actPastePicture.setEnabled(sketch)

    @Slot()
    def _on_undo_stack_changed(self) -> None:
        if isValid(self.sketch.canvas.undo_stack):  # not while the canvas is being deleted
            self._sync_area_actions()

    def undo(self) -> None:
        """Edit > Undo: the Sketch area's undo stack, or the Translate area's last stroke."""
        if self.current_area() == "Sketch":
            self.sketch.canvas.undo()
        elif self.current_area() == "Translate":
            self.translate_area.undo_stroke()

    def redo(self) -> None:
        if self.current_area() == "Sketch":
            self.sketch.canvas.redo()

    def picture_to_copy(self) -> np.ndarray | None:
        """The picture Edit > Copy picture copies: the Sketch output, or Explore's selected sample at the
        export size (uint8 H x W x 3); None when the area shows none."""
        area = self.current_area()
        if area == "Sketch":
            return self.sketch.output.image()
        if area == "Explore" and self._explorer is not None:
            from ganstudio.core.imaging import upscale

            picture = self._explorer.latentView.image()
            return None if picture is None else upscale(picture, self._explorer.export_scale())
        return None

    def copy_picture(self) -> bool:
        """Edit > Copy picture: the shown picture on the clipboard, as an image other programs paste."""
        from PySide6.QtWidgets import QApplication

        from ganstudio.qt.widgets.image_views import to_qimage

        picture = self.picture_to_copy()
        if picture is None:
            self.show_status_message("There is no picture to copy yet.")
            return False
        image, _pixels = to_qimage(picture)
        QApplication.clipboard().setImage(image.copy())  # a copy owns its pixels
        h, w = picture.shape[:2]
        self.show_status_message(f"Copied the {self.current_area()} picture ({w}x{h}) to the clipboard.")
        return True

    def paste_picture(self) -> None:
        """Edit > Paste picture: the clipboard's picture becomes the one the sketch starts from."""
        self.show_area("Sketch")
        self.sketch.paste_picture()

    def _fill_recent_menu(self) -> None:
        self.recentMenu.clear()
        recent = self.settings.recent_checkpoints()
        if not recent:
            act = self.recentMenu.addAction("No recent checkpoints")
            act.setEnabled(False)
            return
        for path in recent:
            self.recentMenu.addAction(path, lambda p=path: self.open_checkpoint(p))
        self.recentMenu.addSeparator()
        self.recentMenu.addAction("Clear list", self.settings.clear_recent_checkpoints)

    def show_help(self) -> QDialog:
        if self._help is None:
            dlg = QDialog(self)
            dlg.setObjectName("helpDialog")
            dlg.setWindowTitle("GAN Studio help")
            layout = QVBoxLayout(dlg)
            browser = QTextBrowser()
            browser.setObjectName("helpText")
            browser.setHtml(HELP_HTML)
            browser.setOpenExternalLinks(True)
            layout.addWidget(browser)
            buttons = QDialogButtonBox(QDialogButtonBox.Close)
            buttons.rejected.connect(dlg.close)
            layout.addWidget(buttons)
            dlg.resize(640, 620)
            self._help = dlg
        self._help.show()  # not modal: help stays open beside the window
        self._help.raise_()
        return self._help

    def show_about(self) -> None:
        QMessageBox.about(self, "About GAN Studio",
                          f"<b>GAN Studio {__version__}</b><p>Train, watch, explore and sketch with GANs.</p>"
                          "<p>PySide6, pyqtgraph and PyTorch.</p>")
