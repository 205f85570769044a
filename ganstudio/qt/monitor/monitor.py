"""The training monitor: live curves, sample grids and the 2-D view, for the app's run and run folders.

The shell around `core.train.monitor_state.MonitorState` (the runs, what is shown, smoothing, the axes, the
live run, the followed folders): it lays out the panels that read and write that state (`toolbar`,
`step_bar`, `run_list`, `plots`, `samples`), follows its events, runs the refresh timer and reads run folders.

Data flow: records (dicts, as written to metrics.jsonl) go into each run's `MetricTable` of growing numpy
columns; a QTimer redraws only the curves whose data changed, with `setData` on plot items that are created
once. Plots use peak downsampling and clip-to-view, so a million points stay smooth. Run folders written by
`ganstudio train` (possibly still running) are polled twice a second.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from ganstudio.core import metric_registry
from ganstudio.core.train.monitor_state import (  # noqa: F401  (RunData, scan_sample_files...: re-exported)
    MAX_SAMPLE_HISTORY,
    SAMPLE_FILE,
    MonitorState,
    RunData,
    scan_sample_files,
)
from ganstudio.core.train.runlog import load_run_folder
from ganstudio.core.train.series import (  # noqa: F401  (GrowingArray, ema_smooth...: re-exported)
    X_AXES,
    GrowingArray,
    MetricTable,
    SmoothedSeries,
    ema_smooth,
    write_csv,
)
from ganstudio.qt import theme
from ganstudio.qt.monitor.curves import Curve, RunCurves, metric_order  # noqa: F401  (Curve: re-exported)
from ganstudio.qt.monitor.diagnosis import DiagnosisPanel
from ganstudio.qt.monitor.plots import (  # noqa: F401  (STYLES, TimedPlotWidget: re-exported)
    STYLES,
    MetricPlots,
    TimedPlotWidget,
    metric_label,
    plot_table,
)
from ganstudio.qt.monitor.run_list import RunList
from ganstudio.qt.monitor.samples import SampleGridView, SamplePane, read_sample_file  # noqa: F401  (re-exported)
from ganstudio.qt.monitor.step_bar import StepBar
from ganstudio.qt.monitor.toolbar import MonitorToolbar
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

log = logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    # PLOTS and METRIC_LABELS are read from the metric registry each time (later registrations count).
    if name == "PLOTS":
        return plot_table()
    if name == "METRIC_LABELS":
        return {m: metric_label(m) for m in metric_registry.metric_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


NO_RUN_TEXT = "No run yet: start one in the Train area, or open a run folder written by `ganstudio train`."
MOVE_MOUSE_TEXT = "Move the mouse over a plot to read its values."
REDRAW_MS = 120  # one plot per tick, so each plot at most ~1.4 times a second...
ALL_PLOTS_ROWS = 20_000  # logged rows of the shown runs up to which a tick refreshes every plot
REDRAW_BUDGET = 0.05  # ...and only as often as keeps redraw + paint under 5% of the GUI thread
# While the app's own trainer runs, the GUI thread's Python work also takes the GIL from it (a toy MLP's
# step is Python-bound and hands the GIL over for every paint), so the plots cost it more than their share.
REDRAW_BUDGET_WHILE_TRAINING = 0.02
FOLLOW_MS = 500  # run folders are polled twice a second


def load_run_folders(folders: list[str]) -> list[dict[str, Any] | None]:
    """Read several run folders in turn (a job): each one's `load_run_folder` result, None for a folder
    that is gone or no longer readable."""
    from ganstudio.core.errors import GanStudioError

    loaded: list[dict[str, Any] | None] = []
    for folder in folders:
        try:
            loaded.append(load_run_folder(folder))
        except (GanStudioError, OSError) as exc:
            log.info("run folder not reopened: %s", exc)
            loaded.append(None)
    return loaded


def _from_state(name: str) -> property:
    return property(lambda self: getattr(self.state, name), doc=f"The MonitorState's `{name}`.")


class TrainingMonitor(QWidget):
    """Curves for one or more runs, the sample grid or the 2-D view, with TensorBoard's conveniences."""

    message = Signal(str)  # short status text for the status bar
    error = Signal(str)  # a user-facing sentence (e.g. a run folder that cannot be read)
    runsReopened = Signal(int, int)  # the remembered run folders: reopened, not found or unreadable

    # What was the widget's own state, read from the MonitorState under the old names.
    runs = _from_state("runs")
    current = _from_state("current")
    live_run = _from_state("live_run")
    x_mode = _from_state("x_mode")
    smoothing = _from_state("smoothing")
    log_y = _from_state("log_y")
    _sample_index = _from_state("sample_index")

    def __init__(self, settings=None, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingMonitor")
        self.settings = settings
        self.state = MonitorState(theme.RUN_COLORS, smoothing=settings.smoothing() if settings is not None else 0.6,
                                  log_y=settings.log_y() if settings is not None else False)
        self.last_redraw_ms = 0.0
        self._reopening: list[str] | None = None  # remembered run folders still being read
        self.run_browser = None  # Browse runs…, made when first asked for
        self._reopen_current: Any = None
        self.last_cost_ms = 0.0
        self._last_refreshed = -1
        self.paint_clock = [0.0]  # seconds spent painting the plots since the last redraw
        self._build()
        self._follow_state()
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
        self.toolbar = MonitorToolbar(self.state)
        self.toolbar.open_requested.connect(self.choose_run_folder)
        self.toolbar.browse_requested.connect(self.browse_runs)
        self.toolbar.auto_range_requested.connect(self.auto_range)
        self.toolbar.export_csv_requested.connect(self.choose_export_csv)
        self.toolbar.export_png_requested.connect(self.choose_export_png)
        self.step_bar = StepBar(self.state)  # one step for every plot and sample view, beside the toolbar
        top = QHBoxLayout()
        top.addWidget(self.toolbar)
        top.addSpacing(12)
        top.addWidget(self.step_bar, 1)
        root.addLayout(top)
        bar = self.toolbar  # the toolbar's widgets, under the names tests and the benchmark use
        self.open_button, self.smoothing_slider, self.smoothing_label = bar.open_button, bar.smoothing_slider, bar.smoothing_label
        self.log_y_check, self.x_combo = bar.log_y_check, bar.x_combo
        self.auto_button, self.export_button = bar.auto_button, bar.export_button

        self.readout = QLabel(NO_RUN_TEXT)
        self.readout.setObjectName("crosshairReadout")
        self.readout.setProperty("muted", True)
        self.readout.setTextFormat(Qt.RichText)
        root.addWidget(self.readout)

        split = QSplitter(Qt.Horizontal)
        split.setChildrenCollapsible(False)
        plots_host = MetricPlots(self.paint_clock, log_y=self.state.log_y)
        plots_host.mouse_moved.connect(self._on_mouse_moved)
        plots_host.mouse_left.connect(self._on_mouse_left)
        self.plots: dict[str, pg.PlotWidget] = plots_host.plots
        self.vlines: dict[str, pg.InfiniteLine] = plots_host.vlines
        self._plot_groups: dict[str, str] = plots_host.groups  # plot objectName -> metric_registry plot group
        self.plots_host = plots_host
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(plots_host, 1)
        self.diagnosis = DiagnosisPanel(self.state, plots_host)  # the training doctor on the current run
        left_layout.addWidget(self.diagnosis)
        split.addWidget(left)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.run_panel = RunList(self.state)
        self.run_list = self.run_panel.list
        side_layout.addWidget(self.run_panel)
        self.sample_pane = SamplePane(self.state)
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
        self.curves = RunCurves(self.state, plots_host)

    def _follow_state(self) -> None:
        events = self.state.events
        events.added.connect(self._on_run_added)
        events.current.connect(lambda _run: self._update_eval_label())
        events.evals.connect(lambda run: run is self.state.current and self._update_eval_label())
        events.smoothing.connect(self._on_smoothing_changed)
        events.log_y.connect(self._on_log_y_changed)
        events.x_mode.connect(self._on_x_mode_changed)
        for name in ("step", "current", "x_mode"):  # the step's line: by wall time it is the current run's
            events[name].connect(lambda *_args: self.plots_host.set_step_marker(self.state.marker_x()))

    # --- runs ----------------------------------------------------------------------------------------
    def add_run(self, name: str, folder: Path | None = None, live: bool = False, task: str | None = None) -> RunData:
        return self.state.add_run(name, folder=folder, live=live, task=task)

    def remove_current_run(self) -> None:
        self.run_panel.remove_current()

    def remove_run(self, run: RunData) -> None:
        self.state.remove_run(run)

    def _on_run_added(self, _run: RunData) -> None:
        if self.readout.text() == NO_RUN_TEXT:
            self.readout.setText(MOVE_MOUSE_TEXT)

    # --- live run from the TrainerWorker ------------------------------------------------------------
    def begin_live_run(self, info: dict[str, Any]) -> RunData:
        """A new training run started in the app: add it and make it current."""
        run = self.state.begin_live(info)
        if hasattr(info.get("config"), "to_dict"):
            self.diagnosis.set_run_config(run, info["config"].to_dict())
        return run

    def add_progress(self, batch: dict[str, Any], run: RunData | None = None) -> None:
        """One coalesced batch from TrainerWorker.progress (GUI thread)."""
        self.state.add_progress(batch, run)

    def end_live_run(self) -> None:
        self.state.end_live()

    # --- run folders ---------------------------------------------------------------------------------
    def choose_run_folder(self) -> None:
        start = self.settings.last_folder("runs") if self.settings else ""
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder", start)
        if folder:
            if self.settings:
                self.settings.set_last_folder("runs", str(Path(folder).parent))
            self.open_run_folder(folder)

    def browse_runs(self):
        """Browse runs…: the run browser (one, kept), listing the folder it listed last."""
        if self.run_browser is None:
            from ganstudio.qt.monitor.run_browser import RunBrowserDialog

            self.run_browser = RunBrowserDialog(self.settings, self.open_run_folder, parent=self)
        self.run_browser.show()
        self.run_browser.raise_()
        self.run_browser.list_folder()
        return self.run_browser

    def open_run_folder(self, folder: str | Path) -> JobWorker:
        """Read the folder in a background job; the run appears when it is read."""
        folder = Path(folder)
        self.message.emit(f"Reading run folder {folder}…")
        return start_job(load_run_folder, folder, name="load_run_folder", on_done=self._on_run_folder_loaded,
                         on_error=self._on_run_folder_failed, owner=self)

    def _on_run_folder_failed(self, err) -> None:
        self.error.emit(err.message)

    def _on_run_folder_loaded(self, loaded: dict[str, Any]) -> None:
        run = self.state.open_folder_run(loaded)  # reopening replaces the old copy
        self.redraw(force=True)
        self.auto_range()
        self.message.emit(f"Opened run folder {run.folder}: {run.table.rows} logged steps.")

    # --- what the monitor remembers between sessions ----------------------------------------------------
    def remembered(self) -> dict[str, Any]:
        """The run folders shown (in order) and which of them is current: plain values for the settings."""
        runs = [r for r in self.state.runs if r.folder is not None]
        folders = [str(r.folder) for r in runs]
        if self._reopening is not None:  # closed before the remembered folders were read: keep them
            return {"folders": self._reopening + [f for f in folders if f not in self._reopening],
                    "current": self._reopen_current}
        current = runs.index(self.state.current) if self.state.current in runs else None
        return {"folders": folders, "current": current}

    def reopen_run_folders(self, saved: dict[str, Any] | None) -> JobWorker | None:
        """Open the folders `remembered` kept, in their order, and follow them live as ever; the current
        one becomes current again. A folder that is gone is skipped (counted in runsReopened)."""
        folders = saved.get("folders") if isinstance(saved, dict) else None
        if not isinstance(folders, list):
            return None
        folders = [f for f in folders if isinstance(f, str) and f]
        if not folders:
            return None
        self._reopening, self._reopen_current = folders, saved.get("current")
        return start_job(load_run_folders, folders, name="reopen_run_folders", owner=self,
                         on_done=self._on_run_folders_reopened, on_error=self._on_run_folder_failed)

    def _on_run_folders_reopened(self, loaded: list[dict[str, Any] | None]) -> None:
        self._reopening = None
        shown_before = self.state.current  # a run opened or started while the folders were read
        runs = [self.state.open_folder_run(item) if item is not None else None for item in loaded]
        current = self._reopen_current
        if shown_before is not None and shown_before in self.state.runs:
            self.state.set_current(shown_before)  # stays the one shown
        elif isinstance(current, int) and not isinstance(current, bool) and 0 <= current < len(runs) and runs[current]:
            self.state.set_current(runs[current])
        self.redraw(force=True)
        self.auto_range()
        opened = sum(r is not None for r in runs)
        self.runsReopened.emit(opened, len(runs) - opened)

    def poll_folders(self) -> None:
        """Follow run folders that are still being written (GUI thread; reads only the new bytes)."""
        self.state.poll()

    # --- drawing ------------------------------------------------------------------------------------
    def _shows_raw(self, metric: str) -> bool:
        return self.state.shows_raw(metric)

    def _next_plot_to_refresh(self) -> str | None:
        """Round-robin over the plots that have new data."""
        keys = list(self.plots)
        dirty = {self.plots_host.plot_for(m) for run in self.state.runs for m in run.dirty}
        for i in range(1, len(keys) + 1):
            key = keys[(self._last_refreshed + i) % len(keys)]
            if key in dirty:
                self._last_refreshed = keys.index(key)
                return key
        return None

    def showEvent(self, event) -> None:
        # Coming back from another area: every plot at once, so that none shows an older step than the
        # others (one plot per tick left Losses at step 2200 while the rest still stood at ~1400).
        super().showEvent(event)
        QTimer.singleShot(0, self._redraw_all)

    @Slot()
    def _redraw_all(self) -> None:
        if self.isVisible():
            self.redraw(force=True)

    def redraw(self, force: bool = False) -> None:
        """Timer tick: push new data into one plot (all of them when forced); refresh the samples.

        One plot per tick keeps each pass of the event loop short, so the window stays responsive while
        it follows a run. Skipped while the monitor is hidden (data keeps arriving). The tick interval
        adapts so that pushing data plus painting costs about REDRAW_BUDGET of the GUI thread
        (REDRAW_BUDGET_WHILE_TRAINING while the app's own run trains).
        """
        if not force and not self.isVisible():
            return
        t0 = time.perf_counter()
        # Small runs (most of them) refresh every plot each tick, so all stand at the same step; only long
        # ones go one plot per tick, to keep each pass of the event loop short.
        small = sum(run.table.rows for run in self.state.runs if run.visible) <= ALL_PLOTS_ROWS
        targets = set(self.plots) if force or small else {self._next_plot_to_refresh()}
        self.curves.push(targets, force)
        if "lrPlot" in targets:
            self._fit_learning_rates()
        if self.curves.legends_dirty:
            self.curves.update_legends()
        current = self.state.current
        if current is not None and current.new_samples:
            current.new_samples = False
            self.sample_pane.show_current()
        self.last_redraw_ms = (time.perf_counter() - t0) * 1000
        # What the last refresh really cost: pushing the data now plus painting it since the last tick.
        cost_ms = self.last_redraw_ms + 1000 * self.paint_clock[0]
        self.paint_clock[0] = 0.0
        self.last_cost_ms = cost_ms
        budget = REDRAW_BUDGET_WHILE_TRAINING if self.state.live_run is not None else REDRAW_BUDGET
        self._redraw_timer.setInterval(int(min(2000, max(REDRAW_MS, cost_ms / budget))))

    def _fit_learning_rates(self) -> None:
        y_range = self.state.lr_range()
        if y_range is not None:
            self.plots_host.set_y_range("lrPlot", *y_range)

    def set_smoothing(self, weight: float) -> None:
        self.state.set_smoothing(weight)

    def _on_smoothing_changed(self, weight: float) -> None:
        if self.settings is not None:
            self.settings.set_smoothing(weight)
        self.redraw(force=True)

    def set_log_y(self, on: bool) -> None:
        self.state.set_log_y(on)

    def _on_log_y_changed(self, on: bool) -> None:
        if self.settings is not None:
            self.settings.set_log_y(on)
        self.plots_host.set_log_y(on)
        self.auto_range()

    def set_x_mode(self, mode: str) -> None:
        if mode in X_AXES:  # anything else is ignored, as it always was
            self.state.set_x_mode(mode)

    def _on_x_mode_changed(self, mode: str) -> None:
        self.plots_host.set_x_label(mode)
        self.redraw(force=True)
        self.auto_range()

    def auto_range(self) -> None:
        self.plots_host.auto_range(self.state.log_y)
        self._fit_learning_rates()

    # --- crosshair readout ---------------------------------------------------------------------------
    def _on_mouse_moved(self, plot_key: str, x: float) -> None:
        self.readout.setText(self.readout_text(plot_key, x))

    def _on_mouse_left(self) -> None:
        # The values of where the mouse was are no longer under it: back to the hint.
        self.readout.setText(MOVE_MOUSE_TEXT if self.state.runs else NO_RUN_TEXT)

    def readout_text(self, plot_key: str, x: float) -> str:
        """The values under the mouse at x for every visible run in one plot (rich text)."""
        wall = self.state.x_mode == "wall_time"
        order = metric_order()
        parts = []
        for run in self.state.visible_runs():
            metrics = sorted((m for (key, m) in run.curves if key == plot_key), key=lambda m: order.get(m, 999))
            reading = self.state.reading(run, x, metrics)
            if reading is None:
                continue
            values = [f"{metric_label(m)} <b>{y:.4g}</b>" + (f" (smoothed {sm:.4g})" if sm is not None else "")
                      for m, y, sm in reading.values]
            where = f"step {reading.step}" if reading.step is not None else f"{'wall time' if wall else 'step'} {reading.x:.4g}"
            if wall:
                where += f", {reading.x:.1f} s"
            prefix = f"<span style='color:{run.color}'>■</span> {run.name}: " if len(self.state.runs) > 1 else ""
            parts.append(f"{prefix}{where} — " + ", ".join(values))
        return "<br>".join(parts) if parts else "No data under the mouse."

    # --- evaluation summary -------------------------------------------------------------------------
    def _update_eval_label(self) -> None:
        self.eval_label.setText(self.state.eval_summary())

    # --- export ---------------------------------------------------------------------------------------
    def _choose_export_path(self, caption: str, name: str, filter_: str) -> str:
        start = self.settings.last_folder("export") if self.settings else ""
        path, _ = QFileDialog.getSaveFileName(self, caption, str(Path(start) / name), filter_)
        if path and self.settings:
            self.settings.set_last_folder("export", str(Path(path).parent))
        return path

    def choose_export_csv(self) -> None:
        path = self._choose_export_path("Export metrics as CSV", "metrics.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str | Path) -> Path:
        """Every logged value of every run, one row per run and step."""
        path = Path(path)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            write_csv(fh, [(run.name, run.table) for run in self.state.runs])
        self.message.emit(f"Exported metrics to {path}.")
        return path

    def choose_export_png(self) -> None:
        path = self._choose_export_path("Export plots as PNG", "plots.png", "PNG (*.png)")
        if path:
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
        self.diagnosis.shutdown()
        self.sample_pane.shutdown()
        if self.run_browser is not None:
            self.run_browser.shutdown()
        stop_jobs(self)
