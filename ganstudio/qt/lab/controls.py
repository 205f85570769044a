"""The Lab's shared pieces: a labelled float slider, the explanation text, a plot, the panel frame (text and
controls on the left, plots on the right, redraw time shown) and the training strip that runs a trained part
in a background job the user can pause or stop."""

from __future__ import annotations

import time

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

LEFT_WIDTH = 300  # the text and controls column
COLORS = {"red": "#ff6b6b", "blue": "#4f9dff", "green": "#7bd389", "orange": "#ff8c42", "purple": "#c77dff",
          "white": "#e0e0e0", "yellow": "#f7d154", "cyan": "#2ec4b6", "pink": "#ff6b9a"}


def pen(color: str, width: float = 2, dashed: bool = False):
    return pg.mkPen(COLORS.get(color, color), width=width, style=Qt.DashLine if dashed else Qt.SolidLine)


class FloatSlider(QWidget):
    """`name  [----o----]  value`: a slider over [low, high] in `steps` ticks, emitting valueChanged(float)."""

    valueChanged = Signal(float)

    def __init__(self, name: str, low: float, high: float, value: float, steps: int = 200, decimals: int = 2,
                 tooltip: str = "", parent=None):
        super().__init__(parent)
        self.low, self.high, self.steps, self.decimals = low, high, steps, decimals
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(name)
        self.label.setFixedWidth(58)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(0, steps)
        self.slider.setMinimumWidth(120)
        self.readout = QLabel()
        self.readout.setFixedWidth(44)
        self.readout.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        for w in (self.label, self.slider, self.readout):
            w.setToolTip(tooltip)
        row.addWidget(self.label)
        row.addWidget(self.slider, 1)
        row.addWidget(self.readout)
        self.setValue(value)
        self.slider.valueChanged.connect(self._moved)

    def value(self) -> float:
        return round(self.low + (self.high - self.low) * self.slider.value() / self.steps, 10)

    def setValue(self, value: float) -> None:
        tick = round((min(max(value, self.low), self.high) - self.low) / (self.high - self.low) * self.steps)
        self.slider.setValue(int(tick))
        self.readout.setText(f"{self.value():.{self.decimals}f}")

    def _moved(self, _tick: int) -> None:
        self.readout.setText(f"{self.value():.{self.decimals}f}")
        self.valueChanged.emit(self.value())


def plot(title: str, x: str = "", y: str = "", legend: bool = True) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setTitle(title, size="9pt")
    w.setLabel("bottom", x)
    if y:
        w.setLabel("left", y)
    w.showGrid(x=True, y=True, alpha=0.2)
    w.setMinimumSize(200, 160)
    w.setMenuEnabled(False)
    if legend:
        w.addLegend(offset=(-8, 8), labelTextSize="8pt")
    return w


class TrainingStrip(QWidget):
    """Train / Pause / Stop for a trained part. `start(fn, *args, **kw)` runs the generator function `fn` in
    a JobWorker (owned by this strip, so `shutdown()` stops and joins it); its reports arrive as `report`,
    its end as `done`. A newer job makes an older one's reports stale."""

    report = Signal(object)
    done = Signal(object)
    startRequested = Signal()

    def __init__(self, what: str, parent=None):
        super().__init__(parent)
        self.job: JobWorker | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.trainButton = QPushButton(what)
        self.trainButton.setObjectName("labTrain")
        self.pauseButton = QPushButton("Pause")
        self.pauseButton.setObjectName("labPause")
        self.pauseButton.setCheckable(True)
        self.stopButton = QPushButton("Stop")
        self.stopButton.setObjectName("labStop")
        self.status = QLabel("")
        self.status.setObjectName("labTrainStatus")
        self.status.setProperty("muted", True)
        self.status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        grid.addWidget(self.trainButton, 0, 0, 1, 2)
        grid.addWidget(self.pauseButton, 0, 2)
        grid.addWidget(self.stopButton, 0, 3)
        grid.addWidget(self.status, 1, 0, 1, 4)
        self.trainButton.clicked.connect(self.startRequested)
        self.pauseButton.toggled.connect(self._pause)
        self.stopButton.clicked.connect(self.stop)
        self._sync()

    def start(self, fn, *args, **kwargs) -> None:
        self.stop()
        self.pauseButton.setChecked(False)
        self.status.setText("training…")
        self.job = start_job(fn, *args, on_progress=self._on_progress, on_done=self._on_done, on_error=self._on_error,
                             on_cancelled=self._on_cancelled, owner=self, name="lab-training", progress_interval=0.05,
                             **kwargs)
        self._sync()

    def running(self) -> bool:
        return self.job is not None and self.job.is_running()

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()
            self.job.wait(10000)
            self.job = None
        self._sync()

    def shutdown(self) -> None:
        self.stop()
        stop_jobs(self)  # and any older job that did not end within stop()'s wait (it was forgotten, not joined)

    def _pause(self, paused: bool) -> None:
        if self.job is not None:
            (self.job.pause if paused else self.job.resume)()
            self.status.setText("paused" if paused else "training…")

    def _sync(self) -> None:
        active = self.job is not None
        self.pauseButton.setEnabled(active)
        self.stopButton.setEnabled(active)

    @Slot(object)
    def _on_progress(self, value) -> None:
        if self.sender() is self.job:
            self.report.emit(value)

    @Slot(object)
    def _on_done(self, value) -> None:
        if self.sender() is self.job:
            self.job = None
            self._sync()
            self.status.setText("")
            self.done.emit(value)  # the panel may say what came out
            self.status.setText("done" + (f" · {self.status.text()}" if self.status.text() else ""))

    @Slot(object)
    def _on_error(self, error) -> None:
        if self.sender() is self.job:
            self.job = None
            self.status.setText(error.message)
            self._sync()

    @Slot()
    def _on_cancelled(self) -> None:
        if self.sender() is self.job or self.job is None:
            self.status.setText("stopped")


class ExperimentPanel(QWidget):
    """The frame of one experiment: `TITLE`, `TEXT` (2-3 sentences) and the controls on the left, the plots
    on the right. Subclasses build `controls` and `plots` in `build()` and draw in `redraw()`; the time a
    redraw took is shown under the numbers."""

    TITLE = ""
    TEXT = ""

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        left = QWidget()
        left.setFixedWidth(LEFT_WIDTH)
        self.left = QVBoxLayout(left)
        self.left.setContentsMargins(0, 0, 0, 0)
        self.left.setSpacing(4)
        head = QLabel(self.TITLE)
        head.setStyleSheet("font-weight: 600;")
        head.setWordWrap(True)
        self.text = QLabel(self.TEXT)
        self.text.setObjectName("labText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.RichText)
        self.left.addWidget(head)
        self.left.addWidget(self.text)
        self.numbers = QLabel("")
        self.numbers.setObjectName("labNumbers")
        self.numbers.setTextFormat(Qt.RichText)
        self.numbers.setWordWrap(True)
        self.numbers.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.timing = QLabel("")
        self.timing.setObjectName("labTiming")
        self.timing.setProperty("muted", True)
        self.plots = QGridLayout()
        self.plots.setSpacing(6)
        outer.addWidget(left)
        outer.addLayout(self.plots, 1)
        self.redraw_ms = 0.0
        self.build()
        self.left.addWidget(self.numbers)
        self.left.addStretch(1)
        self.left.addWidget(self.timing)
        self.update_now()

    def add_training(self, what: str, start, on_report) -> TrainingStrip:
        """A TrainingStrip under the controls: its button calls `start()`, each report and the end go to
        `on_report(report)`."""
        strip = TrainingStrip(what)
        self.left.addWidget(strip)
        strip.startRequested.connect(start)
        strip.report.connect(on_report)
        strip.done.connect(on_report)
        return strip

    def build(self) -> None:  # pragma: no cover - every panel has one
        raise NotImplementedError

    def redraw(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def update_now(self) -> None:
        """Redraw for the controls as they are (each control calls this), timing the closed-form part."""
        t0 = time.perf_counter()
        self.redraw()
        self.redraw_ms = (time.perf_counter() - t0) * 1000
        self.timing.setText(f"redrawn in {self.redraw_ms:.1f} ms")

    def shutdown(self) -> None:
        for strip in self.findChildren(TrainingStrip):
            strip.shutdown()
