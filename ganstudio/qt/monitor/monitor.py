"""The training monitor: live curves, sample grids and the 2-D view, for the app's run and run folders.

Data flow: records (dicts, as written to metrics.jsonl) are appended to a `MetricTable` of growing
numpy columns; a QTimer redraws only the curves whose data changed, with `setData` on plot items that
are created once. Plots use peak downsampling and clip-to-view, so a million points stay smooth.
Run folders written by `ganstudio train` (possibly still running) are followed with MetricsFollower
and by scanning their samples/ folder.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core import metric_registry
from ganstudio.core.train.runlog import load_run_folder
from ganstudio.core.train.series import (  # noqa: F401  (GrowingArray, ema_smooth: re-exported)
    GrowingArray,
    MetricTable,
    SmoothedSeries,
    ema_smooth,
    nearest_row,
    write_csv,
)
from ganstudio.qt import theme
from ganstudio.qt.monitor.plots import (  # noqa: F401  (STYLES, TimedPlotWidget: re-exported)
    STYLES,
    MetricPlots,
    TimedPlotWidget,
    metric_label,
    plot_table,
)
from ganstudio.qt.monitor.plots import is_smoothed as _is_smoothed
from ganstudio.qt.monitor.samples import SampleGridView, SamplePane, read_sample_file  # noqa: F401  (re-exported)
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)



def _metric_order() -> dict[str, int]:
    return {name: i for i, name in enumerate(metric_registry.metric_names())}


def __getattr__(name: str) -> Any:
    # PLOTS and METRIC_LABELS are read from the metric registry each time (later registrations count).
    if name == "PLOTS":
        return plot_table()
    if name == "METRIC_LABELS":
        return {m: metric_label(m) for m in metric_registry.metric_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


SAMPLE_FILE = re.compile(r"step_(\d+)\.(png|npy)$")
NO_RUN_TEXT = "No run yet: start one in the Train area, or open a run folder written by `ganstudio train`."
MAX_SAMPLE_HISTORY = 400
REDRAW_MS = 120  # one plot per tick, so each plot at most ~1.4 times a second...
REDRAW_BUDGET = 0.05  # ...and only as often as keeps redraw + paint under 5% of the GUI thread
FOLLOW_MS = 500  # run folders are polled twice a second


# --- one run ---------------------------------------------------------------------------------------------

@dataclass
class Curve:
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    metric: str
    plot_key: str
    series: SmoothedSeries = field(default_factory=SmoothedSeries)  # smoothed values, extended as rows arrive


@dataclass
class RunData:
    name: str
    color: str
    folder: Path | None = None
    live: bool = False
    task: str | None = None  # toy | image | paired (None until known)
    table: MetricTable = field(default_factory=MetricTable)
    evals: list[dict] = field(default_factory=list)
    samples: list[tuple[int, Any]] = field(default_factory=list)  # (step, payload dict or file Path)
    real_points: np.ndarray | None = None
    bounds: tuple[float, float, float, float] | None = None
    curves: dict[tuple[str, str], Curve] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)  # metrics with new rows
    follower: Any = None
    seen_sample_files: set[str] = field(default_factory=set)
    visible: bool = True
    new_samples: bool = False

    def add_sample(self, step: int, payload: Any) -> None:
        self.samples.append((step, payload))
        if len(self.samples) > MAX_SAMPLE_HISTORY:
            # Keep the first and thin out the rest, so the whole history stays scrubbable.
            self.samples = self.samples[:1] + self.samples[1::2]
        self.new_samples = True


def scan_sample_files(folder: Path, seen: set[str]) -> list[tuple[int, Path]]:
    samples_dir = folder / "samples"
    if not samples_dir.is_dir():
        return []
    found = []
    for entry in samples_dir.iterdir():
        if entry.name in seen:
            continue
        m = SAMPLE_FILE.match(entry.name)
        if m:
            seen.add(entry.name)
            found.append((int(m.group(1)), entry))
    return sorted(found)


class TrainingMonitor(QWidget):
    """Curves for one or more runs, the sample grid or the 2-D view, with TensorBoard's conveniences."""

    message = Signal(str)  # short status text for the status bar
    error = Signal(str)  # a user-facing sentence (e.g. a run folder that cannot be read)

    def __init__(self, settings=None, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingMonitor")
        self.settings = settings
        self.runs: list[RunData] = []
        self.current: RunData | None = None  # the run whose samples are shown
        self.live_run: RunData | None = None
        self.x_mode = "step"
        self.smoothing = settings.smoothing() if settings is not None else 0.6
        self.log_y = settings.log_y() if settings is not None else False
        self._sample_index: int | None = None  # None: follow the newest sample
        self._shown_sample: tuple[int, int] | None = None
        self.last_redraw_ms = 0.0
        self.last_cost_ms = 0.0
        self._legends_dirty = False
        self._last_refreshed = -1
        self.paint_clock = [0.0]  # seconds spent painting the plots since the last redraw
        self._build()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self._redraw_timer.start()
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(FOLLOW_MS)
        self._follow_timer.timeout.connect(self.poll_folders)
        self._follow_timer.start()

    # --- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 4)
        bar = QHBoxLayout()
        self.open_button = QPushButton("Open run folder…")
        self.open_button.setObjectName("openRunButton")
        self.open_button.setToolTip("Open a run folder written by `ganstudio train` (or by this app) and follow it live.")
        self.open_button.clicked.connect(self.choose_run_folder)
        bar.addWidget(self.open_button)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Smoothing"))
        self.smoothing_slider = QSlider(Qt.Horizontal)
        self.smoothing_slider.setObjectName("smoothingSlider")
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(int(round(self.smoothing * 100)))
        self.smoothing_slider.setFixedWidth(140)
        self.smoothing_slider.setToolTip("Exponential moving average as in TensorBoard: raw values faint, smoothed bold.")
        self.smoothing_label = QLabel(f"{self.smoothing:.2f}")
        self.smoothing_label.setMinimumWidth(32)
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        bar.addWidget(self.smoothing_slider)
        bar.addWidget(self.smoothing_label)
        bar.addSpacing(12)
        self.log_y_check = QCheckBox("Log y")
        self.log_y_check.setObjectName("logYCheck")
        self.log_y_check.setChecked(self.log_y)
        self.log_y_check.setToolTip("Logarithmic y axes (zero and negative values are not drawn).")
        self.log_y_check.toggled.connect(self.set_log_y)
        bar.addWidget(self.log_y_check)
        bar.addSpacing(12)
        bar.addWidget(QLabel("x axis"))
        self.x_combo = QComboBox()
        self.x_combo.setObjectName("xAxisCombo")
        self.x_combo.addItem("Step", "step")
        self.x_combo.addItem("Wall time (s)", "wall_time")
        self.x_combo.currentIndexChanged.connect(lambda i: self.set_x_mode(self.x_combo.itemData(i)))
        bar.addWidget(self.x_combo)
        self.auto_button = QPushButton("Auto-range")
        self.auto_button.setObjectName("autoRangeButton")
        self.auto_button.setToolTip("Fit every plot to its data again (double-click a plot does the same).")
        self.auto_button.clicked.connect(self.auto_range)
        bar.addWidget(self.auto_button)
        self.export_button = QToolButton()
        self.export_button.setObjectName("exportButton")
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Metrics as CSV…", self.choose_export_csv)
        menu.addAction("Plots as PNG…", self.choose_export_png)
        self.export_button.setMenu(menu)
        bar.addWidget(self.export_button)
        bar.addStretch(1)
        root.addLayout(bar)

        self.readout = QLabel(NO_RUN_TEXT)
        self.readout.setObjectName("crosshairReadout")
        self.readout.setProperty("muted", True)
        self.readout.setTextFormat(Qt.RichText)
        root.addWidget(self.readout)

        split = QSplitter(Qt.Horizontal)
        split.setChildrenCollapsible(False)
        plots_host = MetricPlots(self.paint_clock, log_y=self.log_y)
        plots_host.mouse_moved.connect(self._on_mouse_moved)
        self.plots: dict[str, pg.PlotWidget] = plots_host.plots
        self.vlines: dict[str, pg.InfiniteLine] = plots_host.vlines
        self.legends: dict[str, pg.LegendItem] = plots_host.legends
        self._plot_groups: dict[str, str] = plots_host.groups  # plot objectName -> metric_registry plot group
        self.plots_host = plots_host
        split.addWidget(plots_host)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        runs_label = QLabel("Runs")
        runs_label.setProperty("muted", True)
        side_layout.addWidget(runs_label)
        self.run_list = QListWidget()
        self.run_list.setObjectName("runList")
        self.run_list.setMaximumHeight(110)
        self.run_list.setToolTip("Tick a run to show its curves; select it to show its samples.")
        self.run_list.itemChanged.connect(self._on_run_item_changed)
        self.run_list.currentRowChanged.connect(self._on_current_run_changed)
        side_layout.addWidget(self.run_list)
        remove = QPushButton("Remove run")
        remove.setObjectName("removeRunButton")
        remove.clicked.connect(self.remove_current_run)
        side_layout.addWidget(remove, 0, Qt.AlignRight)

        self.sample_pane = SamplePane()
        self.sample_pane.history_slider.valueChanged.connect(self._on_history_moved)
        side_layout.addWidget(self.sample_pane, 1)
        pane = self.sample_pane  # the pane's widgets, under the names tests and the benchmark use
        self.samples_title, self.sample_stack, self.sample_empty = pane.title, pane.stack, pane.empty
        self.sample_grid, self.toy_view, self.toy_layers = pane.grid, pane.toy_view, pane.toy_layers
        self.history_slider, self.history_label = pane.history_slider, pane.history_label
        self.eval_label = QLabel("")
        self.eval_label.setObjectName("evalSummary")
        self.eval_label.setWordWrap(True)
        side_layout.addWidget(self.eval_label)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([800, 420])
        root.addWidget(split, 1)
        self._update_sample_pane_kind()

    # --- runs ----------------------------------------------------------------------------------------
    def _next_color(self) -> str:
        used = {r.color for r in self.runs}
        for c in theme.RUN_COLORS:
            if c not in used:
                return c
        return theme.RUN_COLORS[len(self.runs) % len(theme.RUN_COLORS)]

    def add_run(self, name: str, folder: Path | None = None, live: bool = False, task: str | None = None) -> RunData:
        run = RunData(name=name, color=self._next_color(), folder=folder, live=live, task=task)
        self.runs.append(run)
        item = QListWidgetItem(name)
        pix = QPixmap(12, 12)
        pix.fill(QColor(run.color))
        item.setIcon(QIcon(pix))
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked)
        item.setToolTip(str(folder) if folder else name)
        self.run_list.blockSignals(True)
        self.run_list.addItem(item)
        self.run_list.blockSignals(False)
        self._restyle_curves()
        self.run_list.setCurrentRow(len(self.runs) - 1)
        if self.readout.text() == NO_RUN_TEXT:
            self.readout.setText("Move the mouse over a plot to read its values.")
        return run

    def remove_current_run(self) -> None:
        row = self.run_list.currentRow()
        if 0 <= row < len(self.runs):
            self.remove_run(self.runs[row])

    def remove_run(self, run: RunData) -> None:
        idx = self.runs.index(run)
        for curve in run.curves.values():
            self.plots_host.remove_curve(curve.plot_key, curve.raw, curve.smooth)
        self.runs.pop(idx)
        self.run_list.takeItem(idx)
        if run is self.live_run:
            self.live_run = None
        if run is self.current:
            self.current = self.runs[-1] if self.runs else None
            self._show_current_samples(force=True)
        self._restyle_curves()

    def _on_run_item_changed(self, item: QListWidgetItem) -> None:
        row = self.run_list.row(item)
        if 0 <= row < len(self.runs):
            run = self.runs[row]
            run.visible = item.checkState() == Qt.Checked
            for curve in run.curves.values():
                curve.smooth.setVisible(run.visible)
                curve.raw.setVisible(run.visible and self._shows_raw(curve.metric))
            self._restyle_curves()  # one run shown: colours by metric; several: by run

    def _on_current_run_changed(self, row: int) -> None:
        self.current = self.runs[row] if 0 <= row < len(self.runs) else None
        self._sample_index = None
        self._show_current_samples(force=True)
        self._update_eval_label()

    # --- live run from the TrainerWorker ------------------------------------------------------------
    def begin_live_run(self, info: dict[str, Any]) -> RunData:
        """A new training run started in the app: add it and make it current."""
        folder = Path(info["run_dir"]) if info.get("run_dir") else None
        name = folder.name if folder else info.get("name", "run")
        run = self.add_run(name, folder=folder, live=True, task=info.get("task"))
        run.real_points = info.get("real_points")
        run.bounds = info.get("bounds")
        self.live_run = run
        self.current = run
        self._sample_index = None
        self._update_sample_pane_kind()
        self._show_current_samples(force=True)
        return run

    def add_progress(self, batch: dict[str, Any], run: RunData | None = None) -> None:
        """One coalesced batch from TrainerWorker.progress (GUI thread)."""
        run = run or self.live_run
        if run is None:
            return
        if batch.get("scalars"):
            run.dirty |= run.table.append(batch["scalars"])
        for step, payload in batch.get("samples", ()):
            run.add_sample(step, payload)
        if batch.get("evals"):
            run.evals.extend(batch["evals"])
            if run is self.current:
                self._update_eval_label()

    def end_live_run(self) -> None:
        if self.live_run is not None:
            self.live_run.live = False
        self.live_run = None

    # --- run folders ---------------------------------------------------------------------------------
    def choose_run_folder(self) -> None:
        start = self.settings.last_folder("runs") if self.settings else ""
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder", start)
        if folder:
            if self.settings:
                self.settings.set_last_folder("runs", str(Path(folder).parent))
            self.open_run_folder(folder)

    def open_run_folder(self, folder: str | Path) -> JobWorker:
        """Read the folder in a background job; the run appears when it is read."""
        folder = Path(folder)
        self.message.emit(f"Reading run folder {folder}…")
        return start_job(load_run_folder, folder, name="load_run_folder", on_done=self._on_run_folder_loaded,
                         on_error=self._on_run_folder_failed, owner=self)

    def _on_run_folder_failed(self, err) -> None:
        self.error.emit(err.message)

    def _on_run_folder_loaded(self, loaded: dict[str, Any]) -> None:
        folder = loaded["folder"]
        for run in self.runs:
            if run.folder is not None and run.folder.resolve() == folder.resolve() and not run.live:
                self.remove_run(run)  # reopening replaces the old copy
                break
        run = self.add_run(loaded["name"], folder=folder, task=loaded["task"])
        run.follower = loaded["follower"]
        run.real_points = loaded["real_points"]
        run.bounds = loaded["bounds"]
        run.dirty |= run.table.append(loaded["scalars"])
        run.evals.extend(loaded["evals"])
        for step, path in scan_sample_files(folder, run.seen_sample_files):
            run.add_sample(step, path)
        self.current = run
        self._sample_index = None
        self._update_sample_pane_kind()
        self._show_current_samples(force=True)
        self._update_eval_label()
        self.redraw(force=True)
        self.auto_range()
        self.message.emit(f"Opened run folder {folder}: {run.table.rows} logged steps.")

    def poll_folders(self) -> None:
        """Follow run folders that are still being written (GUI thread; reads only the new bytes)."""
        for run in self.runs:
            if run.follower is None or run.folder is None:
                continue
            try:
                records = run.follower.poll()
            except OSError as exc:
                log.warning("cannot read %s: %s", run.folder, exc)
                continue
            if records:
                run.dirty |= run.table.append([r for r in records if r.get("kind", "scalars") != "eval"])
                evals = [r for r in records if r.get("kind") == "eval"]
                if evals:
                    run.evals.extend(evals)
                    if run is self.current:
                        self._update_eval_label()
            for step, path in scan_sample_files(run.folder, run.seen_sample_files):
                run.add_sample(step, path)

    # --- drawing ------------------------------------------------------------------------------------
    def _plot_for(self, metric: str) -> str | None:
        return self.plots_host.plot_for(metric)

    def _curve(self, run: RunData, metric: str) -> Curve | None:
        plot_key = self._plot_for(metric)
        if plot_key is None:
            return None
        curve = run.curves.get((plot_key, metric))
        if curve is None:
            raw, smooth = self.plots_host.new_curve(plot_key)
            curve = Curve(raw=raw, smooth=smooth, metric=metric, plot_key=plot_key)
            run.curves[(plot_key, metric)] = curve
            raw.setVisible(run.visible and self._shows_raw(metric))
            smooth.setVisible(run.visible)
            self._style_curve(run, curve)
            self._legends_dirty = True  # rebuilt once at the end of the redraw, not per new curve
        return curve

    def _shows_raw(self, metric: str) -> bool:
        return self.smoothing > 0 and _is_smoothed(metric)

    def _style_curve(self, run: RunData, curve: Curve) -> None:
        self.plots_host.style_curve(curve.plot_key, curve.metric, curve.raw, curve.smooth, run.color,
                                    self._several_runs_shown())

    def _several_runs_shown(self) -> bool:
        return sum(r.visible for r in self.runs) > 1

    def _update_legends(self) -> None:
        shown = {key for r in self.runs if r.visible for key in r.curves}
        self.plots_host.update_legends(shown, self._several_runs_shown())

    def _restyle_curves(self) -> None:
        for run in self.runs:
            for curve in run.curves.values():
                self._style_curve(run, curve)
        self._update_legends()

    def _x_values(self, run: RunData) -> np.ndarray | None:
        return run.table.get(self.x_mode)

    def _update_curve(self, run: RunData, curve: Curve) -> None:
        x = self._x_values(run)
        y = run.table.get(curve.metric)
        if x is None or y is None:
            return
        if self.smoothing > 0 and _is_smoothed(curve.metric):
            smoothed = curve.series.update(y, self.smoothing)  # only the new rows are smoothed
        else:
            smoothed = y
        curve.smooth.setData(x, smoothed)
        if self._shows_raw(curve.metric):  # a hidden raw curve is not fed (a million points cost)
            curve.raw.setData(x, y)
        curve.raw.setVisible(run.visible and self._shows_raw(curve.metric))

    def _sync_x_range(self, source: str) -> None:
        self.plots_host.sync_x_range(source)

    def _next_plot_to_refresh(self) -> str | None:
        """Round-robin over the plots that have new data."""
        keys = list(self.plots)
        dirty = {self._plot_for(m) for run in self.runs for m in run.dirty}
        for i in range(1, len(keys) + 1):
            key = keys[(self._last_refreshed + i) % len(keys)]
            if key in dirty:
                self._last_refreshed = keys.index(key)
                return key
        return None

    def redraw(self, force: bool = False) -> None:
        """Timer tick: push new data into one plot (all of them when forced); refresh the samples.

        One plot per tick keeps each pass of the event loop short, so the window stays responsive while
        it follows a run. Skipped while the monitor is hidden (data keeps arriving). The tick interval
        adapts so that pushing data plus painting costs about REDRAW_BUDGET of the GUI thread.
        """
        if not force and not self.isVisible():
            return
        t0 = time.perf_counter()
        targets = set(self.plots) if force else {self._next_plot_to_refresh()}
        order = _metric_order()
        for run in self.runs:
            metrics = set(run.dirty)
            if force:
                metrics |= {m for (_k, m) in run.curves}
            for metric in sorted(metrics, key=lambda m: order.get(m, 999)):
                plot_key = self._plot_for(metric)
                if plot_key is None:
                    run.dirty.discard(metric)  # step, wall_time and values no plot shows
                    continue
                if plot_key not in targets:
                    continue
                run.dirty.discard(metric)
                curve = self._curve(run, metric)
                if curve is not None:
                    self._update_curve(run, curve)
        if "lrPlot" in targets:
            self._fit_learning_rates()
        if self._legends_dirty:
            self._legends_dirty = False
            self._update_legends()
        if self.current is not None and self.current.new_samples:
            self.current.new_samples = False
            self._show_current_samples()
        self.last_redraw_ms = (time.perf_counter() - t0) * 1000
        # What the last refresh really cost: pushing the data now plus painting it since the last tick.
        cost_ms = self.last_redraw_ms + 1000 * self.paint_clock[0]
        self.paint_clock[0] = 0.0
        self.last_cost_ms = cost_ms
        self._redraw_timer.setInterval(int(min(2000, max(REDRAW_MS, cost_ms / REDRAW_BUDGET))))

    def _fit_learning_rates(self) -> None:
        """Learning rates from 0 to a bit above the largest: a flat line stays a readable 1e-4, and a
        halving shows as a step of half the height (auto-range would zoom into rounding noise)."""
        if self.log_y:
            return
        tops = [np.nanmax(run.table.get(m)) for run in self.runs if run.visible
                for m in metric_registry.metrics_in_group("lr")
                if run.table.get(m) is not None and np.isfinite(run.table.get(m)).any()]
        if tops:
            self.plots_host.set_y_range("lrPlot", 0.0, 1.2 * max(tops))

    def _invalidate_smoothing(self) -> None:
        for run in self.runs:
            for curve in run.curves.values():
                curve.series.reset()

    def _on_smoothing_changed(self, value: int) -> None:
        self.smoothing = value / 100.0
        self.smoothing_label.setText(f"{self.smoothing:.2f}")
        if self.settings is not None:
            self.settings.set_smoothing(self.smoothing)
        self._invalidate_smoothing()
        self.redraw(force=True)

    def set_smoothing(self, weight: float) -> None:
        self.smoothing_slider.setValue(int(round(weight * 100)))

    def set_log_y(self, on: bool) -> None:
        self.log_y = bool(on)
        if self.log_y_check.isChecked() != self.log_y:
            self.log_y_check.setChecked(self.log_y)
        if self.settings is not None:
            self.settings.set_log_y(self.log_y)
        self.plots_host.set_log_y(self.log_y)
        self.auto_range()

    def set_x_mode(self, mode: str) -> None:
        if mode not in ("step", "wall_time") or mode == self.x_mode:
            return
        self.x_mode = mode
        idx = self.x_combo.findData(mode)
        if self.x_combo.currentIndex() != idx:
            self.x_combo.setCurrentIndex(idx)
        self.plots_host.set_x_label(mode)
        self.redraw(force=True)
        self.auto_range()

    def auto_range(self) -> None:
        self.plots_host.auto_range(self.log_y)
        self._fit_learning_rates()

    # --- crosshair readout ---------------------------------------------------------------------------
    def _on_mouse_moved(self, plot_key: str, x: float) -> None:
        self.readout.setText(self.readout_text(plot_key, x))

    def readout_text(self, plot_key: str, x: float) -> str:
        """The values under the mouse at x for every visible run in one plot (rich text)."""
        xname = "wall time" if self.x_mode == "wall_time" else "step"
        parts = []
        for run in self.runs:
            if not run.visible:
                continue
            xs = self._x_values(run)
            if xs is None or not len(xs):
                continue
            i = nearest_row(xs, x)
            values = []
            order = _metric_order()
            for (key, metric), curve in sorted(run.curves.items(), key=lambda kv: order.get(kv[0][1], 999)):
                if key != plot_key:
                    continue
                y = run.table.get(metric)
                if y is None or not math.isfinite(y[i]):
                    continue
                sm_values = curve.series.view() if self.smoothing > 0 else None
                sm = sm_values[i] if sm_values is not None and i < len(sm_values) else None
                text = f"{metric_label(metric)} <b>{y[i]:.4g}</b>"
                if sm is not None and math.isfinite(sm):
                    text += f" (smoothed {sm:.4g})"
                values.append(text)
            if values:
                step = run.table.get("step")
                where = f"step {int(step[i])}" if step is not None and math.isfinite(step[i]) else f"{xname} {xs[i]:.4g}"
                if self.x_mode == "wall_time":
                    where += f", {xs[i]:.1f} s"
                prefix = f"<span style='color:{run.color}'>■</span> {run.name}: " if len(self.runs) > 1 else ""
                parts.append(f"{prefix}{where} — " + ", ".join(values))
        return "<br>".join(parts) if parts else "No data under the mouse."

    # --- samples -------------------------------------------------------------------------------------
    def _update_sample_pane_kind(self) -> None:
        run = self.current
        self.sample_pane.show_kind(toy=run is not None and run.task == "toy", empty=run is None or not run.samples)

    def _show_current_samples(self, force: bool = False) -> None:
        run = self.current
        self._update_sample_pane_kind()
        n = len(run.samples) if run is not None else 0
        self.sample_pane.set_history(n, follow=self._sample_index is None or self._sample_index >= n)
        if run is None:
            self.history_label.setText("no samples yet")
            return
        if run.task == "toy" and force:
            self.sample_pane.reset_toy(run.bounds, run.real_points)
        if n == 0:
            self.history_label.setText("no samples yet")
            return
        index = n - 1 if self._sample_index is None else min(self._sample_index, n - 1)
        key = (id(run), index, run.samples[index][0])
        if not force and self._shown_sample == key:
            return
        self._shown_sample = key
        step, payload = run.samples[index]
        if isinstance(payload, Path):
            payload = read_sample_file(payload)
            if payload is None:
                return
        live = " (newest)" if index == n - 1 else ""
        self.history_label.setText(f"step {step}{live}")
        self.sample_pane.show_payload(payload, step)

    def _on_history_moved(self, value: int) -> None:
        run = self.current
        n = len(run.samples) if run is not None else 0
        self._sample_index = None if value >= n - 1 else value
        self._show_current_samples()

    # --- evaluation summary -------------------------------------------------------------------------
    def _update_eval_label(self) -> None:
        run = self.current
        if run is None or not run.evals:
            self.eval_label.setText("")
            return
        e = run.evals[-1]
        parts = [f"Evaluation at step {int(e.get('step', 0))}:"]
        parts += [text for spec in metric_registry.summary_metrics() if (text := spec.format_value(e)) is not None]
        self.eval_label.setText(" ".join(parts[:1]) + " " + ", ".join(parts[1:]))

    # --- export ---------------------------------------------------------------------------------------
    def choose_export_csv(self) -> None:
        start = self.settings.last_folder("export") if self.settings else ""
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics as CSV", str(Path(start) / "metrics.csv"), "CSV (*.csv)")
        if path:
            if self.settings:
                self.settings.set_last_folder("export", str(Path(path).parent))
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> Path:
        """Every logged value of every run, one row per run and step."""
        path = Path(path)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            write_csv(fh, [(run.name, run.table) for run in self.runs])
        self.message.emit(f"Exported metrics to {path}.")
        return path

    def choose_export_png(self) -> None:
        start = self.settings.last_folder("export") if self.settings else ""
        path, _ = QFileDialog.getSaveFileName(self, "Export plots as PNG", str(Path(start) / "plots.png"), "PNG (*.png)")
        if path:
            if self.settings:
                self.settings.set_last_folder("export", str(Path(path).parent))
            self.export_png(path)

    def export_png(self, path: str | Path) -> Path:
        """All plots in their on-screen layout, each rendered by pyqtgraph's ImageExporter."""
        path = Path(path)
        self.plots_host.render_png(str(path), scale=2)  # twice the on-screen resolution, for slides and papers
        self.message.emit(f"Exported plots to {path}.")
        return path

    # --- lifecycle -----------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._redraw_timer.stop()
        self._follow_timer.stop()
        stop_jobs(self)
