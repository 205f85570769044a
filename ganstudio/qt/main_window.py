"""The main window: the Train, Monitor, Explore and Sketch areas, menus, toolbar and status bar.

The window is shown before PyTorch is imported: the engine (torch, the core trainer, pyqtgraph) loads
in a background job after the first paint, with a visible "Loading engine…" state. The window is a shell
that wires the areas: the training run itself lives in `qt.train.run_control.RunControl`, whose signals
go to the train panel, the monitor and the status bar.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ganstudio import __version__
from ganstudio.qt.settings import AppSettings
from ganstudio.qt.train.panel import TrainPanel
from ganstudio.qt.train.run_control import RunControl
from ganstudio.qt.train.trainer_worker import TrainerWorker
from ganstudio.qt.workers import JobWorker, start_job, stop_all_workers

log = logging.getLogger(__name__)

AREAS = ("Train", "Monitor", "Explore", "Sketch", "Translate")
PREFERRED_SIZE = QSize(1360, 860)  # the first window where the screen has room for it
FIRST_FRACTION = 0.9  # else this much of the screen's free area
MIN_AREA = QSize(480, 320)  # below this the area page scrolls rather than squeeze
FRAME_ALLOWANCE = QSize(16, 48)  # the window manager's frame and title bar, unknown before the first show
ROOM = QSize(40, 0)  # beyond the areas' minimum: combos show their whole text
AREA_TEXT = {
    "Explore": ("Explore a trained generator",
                "Open a checkpoint to walk its latent space: interpolate between samples (lerp and slerp), do "
                "latent arithmetic, follow principal directions, and bookmark the samples you like."),
    "Sketch": ("Sketch to picture",
               "Draw lines and drop colour hints on a canvas; a pix2pix model trained on an auto-paired folder "
               "turns the sketch into a picture as you draw."),
}
HELP_HTML = """
<h2>GAN Studio</h2>
<p>Train generative adversarial networks and watch them learn. The five areas are on the left
(Ctrl+1 to Ctrl+5).</p>
<h3>Train</h3>
<p>Pick a data set (2-D toys train in seconds; digits in minutes; or a folder of your own pictures), a
<b>preset</b> (a recipe known to work), the <b>loss</b>, optional <b>tricks</b> and hyperparameters — every
field has a tooltip saying what it does and when to use it. <b>Start</b> trains in the background;
<b>Pause</b> and <b>Stop</b> act between two steps; Stop saves a checkpoint in the run folder. Learning rates
and D steps per G step (marked ⟳) can be changed while training. <b>Resume from checkpoint</b> continues an
earlier run.</p>
<h3>Monitor</h3>
<p>Live curves: losses, Wasserstein estimates (the critic gap for WGAN critics, sliced Wasserstein for every
run), D(x) and D(G(z)), gradient norms and learning rates. The <b>smoothing</b> slider works as in
TensorBoard (raw values faint, smoothed bold); <b>Log y</b>, wall-time x axis, a crosshair readout, and
export to CSV and PNG. <b>Open run folder</b> adds runs written by <code>ganstudio train</code>, even while
they train; each run gets its own colour. On the right: the samples of a fixed latent batch (scrub the
history with the slider) or, for 2-D data, a GAN Lab view: real points (green), generated points (purple),
the discriminator as a heat map and arrows showing where the generator's loss pushes its samples.</p>
<h3>Explore</h3>
<p>Open a generator (a bundled model, a checkpoint from the app or <code>ganstudio train</code>, or a
pytorch/examples <code>netG_epoch_N.pth</code>). The <b>grid</b> shows 16 samples of one seed (Reseed, seed box,
class and truncation above it); click one to see it large. <b>Directions</b> are principal directions of the
generator's early activations (GANSpace), as sliders of ±3 standard deviations, plus raw z sliders.
<b>+ Keyframe</b> builds an interpolation (slerp or lerp) that plays below and exports as PNG strip or GIF.
<b>+A / −B / +C</b> collect samples for vector arithmetic A − B + C. <b>Bookmarks</b> save latents as JSON
that <code>ganstudio sample CHECKPOINT --latent FILE.json</code> reproduces exactly.</p>
<h3>Sketch</h3>
<p>Draw lines with the <b>pen</b>, drop <b>colour</b> hints with the brush (palette, colour picker, or the
eyedropper on the output), erase with the <b>eraser</b>; the wheel changes the brush size, Ctrl+Z / Ctrl+Shift+Z
undo and redo every stroke. The picture on the right follows as you draw. <b>Variants</b> below show other
noise draws; lock the one you like. Open, drop or paste (Ctrl+V) a photo to start from its lines and
colours; open a pix2pix checkpoint (yours or a pytorch-CycleGAN-and-pix2pix <code>.pth</code>). With an
unconditional generator (the bundled landscape DCGAN, marked <i>latent fit</i>), <b>Fit</b> searches its
latent space for a picture matching your strokes (iGAN). The brush size is in screen pixels; the circle
under the cursor shows it. Sketches
autosave and are offered back after a crash.</p>
<h3>Translate</h3>
<p>Open a CycleGAN checkpoint (a run folder of an unpaired run, e.g. the <code>cyclegan-scenes</code> preset)
and a photo (or drop one): input and output show side by side. Choose <b>A → B</b> or <b>B → A</b>;
<b>Swap</b> makes the output the input and turns the direction round; <b>Export…</b> saves the output.</p>
<h3>Between sessions</h3>
<p>Closing the app keeps the run folders open in the Monitor, the Train form, what Explore showed (model, seed,
class, truncation, selection, direction offsets) and the sketch with its model; the next start brings them
back, and the status bar names anything that moved. <b>Edit ▸ Preferences</b> sets the runs folder, CPU threads,
the device and the default export size. Edit ▸ Undo / Redo act on the sketch; Copy picture copies the Sketch
output or the selected Explore sample.</p>
<h3>Headless</h3>
<p><code>ganstudio train toy-ring</code> trains the same way without a window; its run folder can be
opened in the Monitor.</p>
"""


def load_engine(threads: int = 0) -> dict[str, Any]:
    """Import the heavy parts (PyTorch, the core trainer) off the GUI thread; `threads` is the Preferences'
    CPU threads (0 chooses).

    pyqtgraph is not imported here: importing it on a background thread while the GUI thread runs Qt
    crashed about one launch in six on a loaded machine; the monitor imports it on the GUI thread once
    this job is done (after the first paint).
    """
    t0 = time.perf_counter()
    import torch

    from ganstudio.core.device import apply_threads

    # Keep one core for the window (the CLI's policy for image models; a training run sets its own count
    # for the model it trains, see TrainerWorker). The Preferences, then GANSTUDIO_TORCH_THREADS, override it.
    threads = apply_threads("image", threads)
    # The trainer thread runs Python between its tensor ops and holds the GIL; the GUI thread asks for it
    # for every paint. A 1 ms switch interval (default 5 ms) keeps painting from queueing behind it.
    sys.setswitchinterval(0.001)

    import ganstudio.core.data  # noqa: F401
    from ganstudio.core.device import device_description, resolve_device

    cuda = bool(torch.cuda.is_available())
    return {
        "cuda": cuda,
        "device": device_description(resolve_device("auto")),
        "torch": torch.__version__,
        "threads": threads,
        "seconds": time.perf_counter() - t0,
    }


def area_device(device: str) -> str:
    """Where Explore and Sketch render for the Preferences' device: "cuda" is "auto" there, so a machine
    without a GPU still draws (on the CPU) instead of failing to open every model."""
    return "cpu" if device == "cpu" else "auto"


class Banner(QFrame):
    """A dismissable one-line message above the areas (errors red, warnings yellow); never modal."""

    def __init__(self, object_name: str, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        self.label = QLabel("")
        self.label.setObjectName(object_name)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class AreaPage(QWidget):
    """What the area scroll area scrolls: the area stack, as large as the view and never below the
    minimum size of the area shown (a stacked widget's own minimum is the largest of all its pages).
    It has no layout on purpose: a layout would pass on the areas' height-for-width (their word-wrapped
    labels), and the scroll area then sizes the page to the areas' preferred height and scrolls where
    the minimum fits."""

    def __init__(self, stack: QStackedWidget):
        super().__init__()
        self.setObjectName("areaPage")
        self.stack = stack
        stack.setParent(self)
        stack.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        current = self.stack.currentWidget()
        return current.minimumSizeHint().expandedTo(current.minimumSize()) if current is not None else QSize()

    def sizeHint(self) -> QSize:
        return self.stack.sizeHint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.stack.setGeometry(self.rect())

    def event(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest:  # an area's minimum size changed: tell the scroll area
            self.updateGeometry()
        return super().event(event)


class MainWindow(QMainWindow):
    engineReady = Signal(object)

    def __init__(self, settings: AppSettings | None = None, launch_time: float | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("GAN Studio")
        self.settings = settings or AppSettings()
        self.launch_time = launch_time
        self.shown_after_s: float | None = None
        self.engine_info: dict[str, Any] | None = None
        self.monitor = None
        self.run_control = RunControl(self.settings, self)
        self._engine_job: JobWorker | None = None
        self._first_show = True
        self._closing = False
        self._help: QDialog | None = None
        self._opening_model: str | None = None
        self._visited: set[str] = set()  # areas shown once (Explore and Sketch restore on their first visit)
        self._not_restored: list[str] = []
        self._build()
        self._build_actions()
        self.train_panel.form.set_run_defaults(self._run_defaults())
        self._restore_train_form()
        self._place_on_screen()
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

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

    # --- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.areaList = QListWidget()
        self.areaList.setObjectName("areaList")
        self.areaList.addItems(AREAS)
        self.areaList.setFixedWidth(104)  # the longest name ("Monitor") and its padding
        self.areaList.setFocusPolicy(Qt.NoFocus)
        outer.addWidget(self.areaList)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        self.errorBanner = Banner("errorBanner")
        self.warningBanner = Banner("warningBanner")
        right.addWidget(self.errorBanner)
        right.addWidget(self.warningBanner)
        self.stack = QStackedWidget()
        self.stack.setObjectName("areaStack")
        # The areas are laid out to fit a 1280x720 screen (tests/qt/test_layout_fits.py). On a smaller
        # window the area scrolls instead: nothing an area shows (a message, a model with more
        # controls) may grow the window by itself.
        self.areaScroll = QScrollArea()
        self.areaScroll.setObjectName("areaScroll")
        self.areaScroll.setWidgetResizable(True)
        self.areaScroll.setFrameShape(QFrame.NoFrame)
        self.areaScroll.setMinimumSize(MIN_AREA)
        self.areaScroll.setWidget(AreaPage(self.stack))
        right.addWidget(self.areaScroll, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)

        self.train_panel = TrainPanel(self.settings)
        self.stack.addWidget(self.train_panel)
        self.monitor_placeholder = self._placeholder("Monitor", "Loading engine…",
                                                     "The plots appear as soon as the plotting library has loaded.")
        self.monitor_placeholder.setObjectName("monitorPlaceholder")
        self.stack.addWidget(self.monitor_placeholder)
        # Both areas import PyTorch only when first shown. The Sketch area (where a first launch opens) is
        # built now; the Explore area just after the window is first shown (or when asked for), so that
        # its panels do not delay the first picture of the window.
        from ganstudio.qt.sketch.area import SketchArea

        self._explorer = None
        explore_placeholder = self._placeholder("Explore", "Opening the Explore area…", "")
        explore_placeholder.setObjectName("explorePlaceholder")
        self.stack.addWidget(explore_placeholder)
        self.sketch = SketchArea(self.settings, device=area_device(self.settings.device()))
        self.sketch.message.connect(self.show_status_message)
        self.sketch.tools.release_undo_keys()  # Edit > Undo / Redo are those keys (see _build_actions)
        self.stack.addWidget(self.sketch)
        from ganstudio.qt.translate.area import TranslateArea

        self.translate_area = TranslateArea(device=area_device(self.settings.device()))
        self.translate_area.message.connect(self.show_status_message)
        self.stack.addWidget(self.translate_area)
        self.areaList.currentRowChanged.connect(self._on_area_changed)

        self._wire_training()

        sb = self.statusBar()
        self.statusEngine = QLabel("Loading engine…")
        self.statusEngine.setObjectName("statusEngine")
        self.engineBusy = QProgressBar()
        self.engineBusy.setRange(0, 0)  # busy indicator
        self.engineBusy.setFixedWidth(90)
        self.engineBusy.setFixedHeight(12)
        self.engineBusy.setTextVisible(False)
        self.statusDevice = QLabel("Device: …")
        self.statusDevice.setObjectName("statusDevice")
        self.statusStep = QLabel("Step –")
        self.statusStep.setObjectName("statusStep")
        self.statusSpeed = QLabel("– it/s")
        self.statusSpeed.setObjectName("statusSpeed")
        # What could not come back from last time: on the right, so that other messages do not hide it
        # (for a minute; the tooltip lists every item).
        self.statusNotRestored = QLabel("")
        self.statusNotRestored.setObjectName("statusNotRestored")
        self.statusNotRestored.hide()
        self._not_restored_timer = QTimer(self)
        self._not_restored_timer.setSingleShot(True)
        self._not_restored_timer.setInterval(60000)
        self._not_restored_timer.timeout.connect(self.statusNotRestored.hide)
        sb.addWidget(self.statusEngine)
        sb.addWidget(self.engineBusy)
        for w in (self.statusNotRestored, self.statusStep, self.statusSpeed, self.statusDevice):
            sb.addPermanentWidget(w)

    def _wire_training(self) -> None:
        """The Train panel asks the run control; the run control tells the panel and the status bar (and
        the monitor, once it exists: _on_engine_loaded)."""
        panel, run = self.train_panel, self.run_control
        panel.startRequested.connect(self.start_training)
        panel.pauseToggled.connect(run.set_paused)
        panel.stopRequested.connect(run.stop)
        panel.saveRequested.connect(run.save_checkpoint)
        panel.liveSettingsChanged.connect(run.set_live_settings)
        panel.message.connect(self.show_status_message)
        run.stateChanged.connect(self._on_train_state)
        run.runStarted.connect(self._on_run_started)
        run.liveValuesChanged.connect(panel.set_live_values)
        run.stepChanged.connect(panel.show_progress)
        run.stepChanged.connect(self._show_step)
        run.message.connect(panel.log_message)
        run.statusMessage.connect(self.show_status_message)
        run.warning.connect(self.show_warning)
        run.error.connect(self.show_error)

    def _placeholder(self, area: str, title: str, text: str) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        head = QLabel(title)
        head.setAlignment(Qt.AlignCenter)
        head.setStyleSheet("font-size: 18px; font-weight: 600;")
        body = QLabel(text)
        body.setAlignment(Qt.AlignCenter)
        body.setWordWrap(True)
        body.setProperty("muted", True)
        body.setMaximumWidth(560)
        layout.addWidget(head)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(body)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        return page

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
        self.actUndo.setToolTip("Undo the last stroke, clear or opened picture in the Sketch area (Ctrl+Z).")
        self.actRedo = edit.addAction("&Redo", self.redo)
        self.actRedo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.actRedo.setToolTip("Redo in the Sketch area (Ctrl+Shift+Z or Ctrl+Y).")
        stack = self.sketch.canvas.undo_stack
        for signal in (stack.canUndoChanged, stack.canRedoChanged, stack.undoTextChanged, stack.redoTextChanged):
            signal.connect(self._on_undo_stack_changed)
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

    def _sync_actions(self) -> None:
        state = self.train_panel.state
        self.actStart.setEnabled(state == "idle")
        self.actPause.setEnabled(state in ("running", "paused"))
        self.actPause.setText("Resume" if state == "paused" else "Pause")
        self.actPause.setIcon(self._play_icon if state == "paused" else self._pause_icon)
        self.actStop.setEnabled(state in ("running", "paused"))
        self.actSave.setEnabled(state in ("running", "paused"))
        self.actOpenCheckpoint.setEnabled(state in ("idle", "loading"))

    def _on_train_state(self, state: str) -> None:
        if state == "starting":  # a new run: the last run's messages are old news
            self.errorBanner.hide()
            self.warningBanner.hide()
        self.train_panel.set_state(state)
        self._sync_actions()

    # --- areas ---------------------------------------------------------------------------------------
    def show_area(self, name: str) -> None:
        self.areaList.setCurrentRow(AREAS.index(name))

    def current_area(self) -> str:
        return AREAS[max(0, self.areaList.currentRow())]

    def _on_area_changed(self, row: int) -> None:
        if row >= 0:
            name = AREAS[row]
            if name == "Explore":
                self.explorer  # noqa: B018 - builds the area on first use
            if name not in self._visited:
                self._visited.add(name)
                self._restore_on_first_visit(name)
            self.stack.setCurrentIndex(row)
        self._sync_area_actions()

    def _sync_area_actions(self) -> None:
        if not hasattr(self, "actPastePicture"):
            return
        area = self.current_area()
        stack = self.sketch.canvas.undo_stack
        sketch = area == "Sketch"
        self.actUndo.setEnabled(sketch and stack.canUndo())
        self.actRedo.setEnabled(sketch and stack.canRedo())
        self.actUndo.setText(f"&Undo {stack.undoText()}" if sketch and stack.canUndo() else "&Undo")
        self.actRedo.setText(f"&Redo {stack.redoText()}" if sketch and stack.canRedo() else "&Redo")
        self.actCopyPicture.setEnabled(area in ("Sketch", "Explore"))
        self.actPastePicture.setEnabled(sketch)

    @Slot()
    def _on_undo_stack_changed(self) -> None:
        if isValid(self.sketch.canvas.undo_stack):  # not while the canvas is being deleted
            self._sync_area_actions()

    def undo(self) -> None:
        """Edit > Undo: the Sketch area's undo stack (the other areas have nothing to undo)."""
        if self.current_area() == "Sketch":
            self.sketch.canvas.undo()

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

    @property
    def explorer(self):
        """The Explore area, built on first use (see _build)."""
        if self._explorer is None:
            from ganstudio.qt.explore.area import ExplorerArea

            area = ExplorerArea(self.settings, device=area_device(self.settings.device()))
            area.set_export_scale(self.settings.export_scale())
            area.message.connect(self.show_status_message)
            self._explorer = area
            self.set_area_widget("Explore", area)
        return self._explorer

    def area_widget(self, name: str) -> QWidget:
        return self.stack.widget(AREAS.index(name))

    def set_area_widget(self, name: str, widget: QWidget) -> None:
        """Put an area's real page in place of its placeholder (for the Explore and Sketch issues)."""
        index = AREAS.index(name)
        old = self.stack.widget(index)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.stack.insertWidget(index, widget)
        self.stack.setCurrentIndex(max(0, self.areaList.currentRow()))

    # --- start-up ------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if self.launch_time is not None:
                self.shown_after_s = time.perf_counter() - self.launch_time
            QTimer.singleShot(0, lambda: self.explorer)  # the Explore area, once the window is on screen
            # First launch opens on Sketch, where the bundled model answers a drawing at once.
            last = self.settings.last_area()
            self.areaList.setCurrentRow(AREAS.index(last) if last in AREAS else AREAS.index("Sketch"))
            if last not in AREAS:
                self.show_status_message("Draw a mountain outline, then drop a blue hint in the sky: the picture "
                                         "follows your strokes. F1 explains each area.")
            probe = os.environ.get("GANSTUDIO_STARTUP_PROBE")
            if probe:
                from ganstudio.qt.app import process_age_s
                from ganstudio.qt.latency import TimerLatencyProbe

                print(f"ganstudio-window-shown unix={time.time():.6f} process_age={process_age_s()}", flush=True)
                self._latency = TimerLatencyProbe(20, self)  # is the window responsive while the engine loads?
                self._latency.start()
            # Load the engine after this first paint, so the window is on screen first.
            QTimer.singleShot(0, self.load_engine)

    @property
    def engine_ready(self) -> bool:
        return self.engine_info is not None

    def load_engine(self) -> None:
        if self._engine_job is not None:
            return
        self._engine_job = start_job(load_engine, self.settings.threads(), name="load_engine", on_done=self._on_engine_loaded,
                                     on_error=self._on_engine_failed, owner=self)

    def _on_engine_loaded(self, info: dict[str, Any]) -> None:
        if self._closing:
            return
        from ganstudio.qt.monitor.monitor import TrainingMonitor
        from ganstudio.qt.theme import configure_pyqtgraph

        configure_pyqtgraph()
        self.monitor = TrainingMonitor(self.settings)
        self.monitor.message.connect(self.show_status_message)
        self.monitor.error.connect(self.show_error)
        self.set_area_widget("Monitor", self.monitor)
        self.run_control.runStarted.connect(self.monitor.begin_live_run)
        self.run_control.progressed.connect(self.monitor.add_progress)
        self.run_control.runEnded.connect(self.monitor.end_live_run)
        self.run_control.runEnded.connect(self._apply_app_threads)  # a run set its own count
        self.monitor.state.events.log_y.connect(self._show_log_y)
        self._show_log_y(self.monitor.state.log_y)
        self.monitor.runsReopened.connect(self._on_runs_reopened)
        self.monitor.reopen_run_folders(self.settings.remembered("monitor"))
        self.engine_info = info
        self.engineBusy.hide()
        self.statusEngine.setText(f"Engine ready (PyTorch {info['torch']})")
        self.statusDevice.setText(info["device"])
        self.train_panel.set_engine_ready(info["cuda"], info["device"])
        self._sync_actions()
        log.info("engine loaded in %.2f s in the background", info["seconds"])
        if os.environ.get("GANSTUDIO_STARTUP_PROBE"):
            self._latency.stop()
            print(f"ganstudio-engine-ready unix={time.time():.6f} gui_timer: {self._latency.summary()}", flush=True)
            if os.environ.get("GANSTUDIO_STARTUP_PROBE") == "quit":
                QTimer.singleShot(0, self.close)
        self.engineReady.emit(info)

    def _on_engine_failed(self, err) -> None:
        self.engineBusy.hide()
        self.statusEngine.setText("Engine failed to load")
        self.show_error(f"The training engine could not be loaded: {err.message}")

    def _show_log_y(self, on: bool) -> None:
        if self.actLogY.isChecked() != bool(on):
            self.actLogY.blockSignals(True)
            self.actLogY.setChecked(bool(on))
            self.actLogY.blockSignals(False)

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

    # --- messages ------------------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """A clear sentence in the red banner (never a modal box: the app keeps running)."""
        log.warning("shown to the user: %s", text)
        self.errorBanner.show_message(text)
        self.train_panel.log_message(f"Error: {text}")

    def show_warning(self, text: str) -> None:
        self.warningBanner.show_message(text)
        self.train_panel.log_message(f"Warning: {text}")

    def show_status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # --- training (RunControl runs it) -----------------------------------------------------------------
    @property
    def worker(self) -> TrainerWorker | None:
        """The running TrainerWorker, None when no run is on."""
        return self.run_control.worker

    def start_training(self, cfg, resume: str | None = None) -> TrainerWorker | None:
        if not self.engine_ready:
            return None
        return self.run_control.start(cfg, resume)

    def set_paused(self, pause: bool) -> None:
        self.run_control.set_paused(pause)

    def stop_training(self) -> None:
        self.run_control.stop()

    def save_checkpoint(self) -> None:
        self.run_control.save_checkpoint()

    def _on_run_started(self, info: dict[str, Any]) -> None:
        self.statusDevice.setText(info["device"])
        if self.monitor is not None:
            self.show_area("Monitor")

    def _show_step(self, step: int, _total: int, it_s: float) -> None:
        self.statusStep.setText(f"Step {step:,}")
        if it_s > 0:
            self.statusSpeed.setText(f"{it_s:,.1f} it/s")

    # --- files ---------------------------------------------------------------------------------------
    def open_checkpoint_dialog(self) -> None:
        self.show_area("Train")
        self.train_panel.choose_resume_checkpoint()
        if self.train_panel.resume_path:
            self.settings.add_recent_checkpoint(self.train_panel.resume_path)

    def open_checkpoint(self, path: str) -> None:
        if not Path(path).is_file():
            self.show_error(f"Checkpoint {path} no longer exists.")
            return
        self.settings.add_recent_checkpoint(path)
        self.show_area("Train")
        self.train_panel.load_checkpoint(path)

    # --- opening what the app is given (ganstudio FILE) ----------------------------------------------
    def open_path(self, text: str) -> None:
        """Open a checkpoint, generator, bundled model, run folder, sketch, bookmark or picture in the area
        that fits it (core.open_target); a generator is opened in the background to see which area."""
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.open_target import classify

        try:
            target = classify(text)
        except GanStudioError as exc:
            self.show_error(str(exc))
            return
        if target.kind == "model":
            self._opening_model = str(target.path)
            from ganstudio.core.open_target import model_area

            self.show_status_message(f"Opening {target.path.name}…")
            start_job(model_area, str(target.path), on_done=self._open_model_in, on_error=self._on_open_failed,
                      owner=self, name="open-model")
            return
        self.show_area(target.area)
        if target.kind == "run_folder":
            self._when_monitor_ready(lambda: self.monitor.open_run_folder(target.path))
        elif target.kind == "sketch_document":
            self.sketch.open_sketch(target.path)
        elif target.kind == "picture":
            self.sketch.open_image(target.path)
        elif target.kind == "bookmark":
            self.explorer.load_bookmark(target.path)

    def _when_monitor_ready(self, fn: Callable[[], Any]) -> None:
        if self.monitor is not None:
            fn()
        else:
            self.engineReady.connect(lambda _info: fn(), Qt.SingleShotConnection)

    @Slot(object)
    def _open_model_in(self, area: str) -> None:
        path, self._opening_model = self._opening_model, None
        if path is None or self._closing:
            return
        self.show_area(area)
        if area == "Sketch":
            self.sketch.load_model(path)
        elif area == "Translate":
            self.translate_area.load_model(path)
        else:
            self.explorer.load_generator(path)

    @Slot(object)
    def _on_open_failed(self, err) -> None:
        self._opening_model = None
        self.show_error(err.message)

    def open_run_folder_dialog(self) -> None:
        if self.monitor is None:
            self.show_status_message("The monitor is still loading; try again in a moment.")
            return
        self.show_area("Monitor")
        self.monitor.choose_run_folder()

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

    # --- closing -------------------------------------------------------------------------------------
    def ask_close_while_training(self) -> bool:
        """Closing while a run trains: stop it (saving a checkpoint) and quit, or keep training. True to quit."""
        from ganstudio.qt.widgets.ask import ask_yes_no

        return ask_yes_no(self, "closeWhileTraining", "Training is running",
                          f"A training run is at step {self.worker.step}. Stop it between two steps, save a "
                          "checkpoint and quit, or keep training?", yes="Stop, save and quit", no="Keep training",
                          default_yes=True)

    def closeEvent(self, event) -> None:
        if self.worker is not None and self.worker.is_running() and not self._closing:
            if not self.ask_close_while_training():
                event.ignore()
                return
        self._closing = True
        self._remember_session()
        self.settings.set_geometry(self.saveGeometry(), self.screen_key(self.screen()))
        self.settings.set_window_state(self.saveState())
        self.settings.set_last_area(self.current_area())
        if self.worker is not None and self.worker.is_running():
            self.statusBar().showMessage("Stopping training and saving a checkpoint…")
        self.run_control.shutdown()  # stops between two steps and waits for the checkpoint
        if self.monitor is not None:
            self.monitor.shutdown()
        if self._explorer is not None:
            self._explorer.shutdown()
        self.sketch.shutdown()  # a clean quit: the sketch is not offered back as a crash recovery
        self.translate_area.shutdown()
        self.train_panel.shutdown()
        if not stop_all_workers(10.0):
            log.error("some background jobs did not stop")
        self.settings.sync()
        super().closeEvent(event)
