"""The Monitor's plot panel: one pyqtgraph PlotWidget per plot group of the metric registry.

The plots, their legends and crosshair lines are created once; curves are pairs of PlotDataItems (raw faint,
smoothed bold) made once per run and metric and fed with `setData` by the monitor's timer. Every plot and
curve uses peak downsampling and clip-to-view. The panel knows nothing of runs: the monitor tells it the
colours, which metrics are present and what x is.
"""

from __future__ import annotations

import html
import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGridLayout, QWidget

from ganstudio.core import metric_registry
from ganstudio.core.train.monitor_state import is_smoothed  # noqa: F401  (re-exported: decided by the state)
from ganstudio.qt import theme

# Within one plot, the second, third... metric of a run is told apart by its line style.
STYLES = [Qt.SolidLine, Qt.DashLine, Qt.DotLine, Qt.DashDotLine]
STYLE_GLYPHS = ["━━", "╍╍", "┅┅", "━·━"]  # the same styles, drawn in the title's key
TITLE_CHAR_PX = 6.5  # about one character of the 9 pt title
# Peak downsampling keeps each bin's min and max, so one bin per device pixel draws the same envelope as
# pyqtgraph's default of five, with a fifth of the points to stroke (20 runs: ~70 curves a plot).
SAMPLES_PER_PIXEL = 1.0


class SteadyCurve(pg.PlotDataItem):
    """A PlotDataItem that keeps its downsampled points while the view only follows the data.

    pyqtgraph recomputes a curve's peak-downsampled points (a pass over all its data) on every change of the
    view's range. While both axes auto-range, nothing is clipped (neither by x nor by the dynamic range
    limit) and the points depend only on data units per pixel; a followed run grows the x range by a
    fraction of a percent a tick, so with 20 runs open ~70 unchanged curves a plot were downsampled again
    each tick. Here the points are kept until that scale has drifted by SCALE_DRIFT, as pyqtgraph itself
    keeps the downsampling factor within 1 %. A zoom, a manual range or new data: recomputed as before.
    """

    SCALE_DRIFT = 0.01

    def __init__(self, *args, **kwargs):
        self._made_at_scale: float | None = None  # data units per pixel when the points were made
        super().__init__(*args, **kwargs)

    def _scale(self, vb) -> float | None:
        if vb is None or vb.width() <= 0:
            return None
        return vb.viewRect().width() / vb.width()

    def _getDisplayDataset(self):
        before = getattr(self, "_datasetDisplay", None)
        shown = super()._getDisplayDataset()
        if shown is not before:
            self._made_at_scale = self._scale(self.getViewBox())
        return shown

    def viewRangeChanged(self, vb=None, ranges=None, changed=None):
        view = self.getViewBox()
        made, now = self._made_at_scale, self._scale(view)
        if (getattr(self, "_datasetDisplay", None) is not None and made and now and view is not None
                and all(view.autoRangeEnabled()) and abs(now / made - 1.0) < self.SCALE_DRIFT):
            return  # the same points, drawn at the new range by the view's transform
        super().viewRangeChanged(vb, ranges, changed)


def plot_table() -> list[tuple[str, str, tuple[str, ...], str]]:
    """(objectName, title, metrics shown, y label) of each plot, from ganstudio.core.metric_registry."""
    return [(f"{g.key}Plot", g.title, metric_registry.metrics_in_group(g.key), g.unit)
            for g in metric_registry.plot_groups()]


def metric_label(name: str) -> str:
    spec = metric_registry.metric(name)
    return spec.label if spec is not None else name


MIN_LABEL_GAP_PX = 22  # between two y tick labels: 8 pt text is ~14 px tall


def nice_step(span: float, count: int) -> float:
    """The 1-2-5 step that cuts `span` into about `count` parts."""
    raw = span / max(count, 1)
    exp = math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * 10 ** exp >= raw:
            return m * 10 ** exp
    return 10 ** (exp + 1)


def log_tick_values(lo: float, hi: float, size_px: float) -> list[float]:
    """Ticks for a log axis over [lo, hi] (log10 units) `size_px` tall, in log10 units, no two labels closer
    than MIN_LABEL_GAP_PX: the decades (every k-th where many), then 2 and 5 times them where they fit; within
    one decade, 1-2-5 steps in the data's own units (pyqtgraph labelled 2..9 times every decade there, which
    piled up into one unreadable column)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or size_px <= 0:
        return []
    room = max(2, int(size_px // MIN_LABEL_GAP_PX))
    if hi - lo < 1 and not -300 < lo < hi < 300:  # within a decade past what floats hold: one tick, no 10 ** x
        return [float(math.ceil(lo))] if math.ceil(lo) <= hi else [(lo + hi) / 2]

    def px(t: float) -> float:
        return (t - lo) / (hi - lo) * size_px

    def add_where_room(kept: list[float], logs) -> list[float]:
        for t in logs:
            if lo <= t <= hi and all(abs(px(t) - px(k)) >= MIN_LABEL_GAP_PX for k in kept):
                kept.append(t)
        return sorted(kept)

    first, last = math.ceil(lo), math.floor(hi)
    n_decades = max(0, last - first + 1)  # counted, never listed: a zoomed-out view can span 10^15 decades
    every = max(1, math.ceil(n_decades / room))
    if every > 1:
        start = math.ceil(first / every) * every
        return [float(d) for d in range(start, last + 1, every)][:room + 1] or [float(first)]
    kept = add_where_room([], [float(d) for d in range(first, last + 1)])
    kept = add_where_room(kept, [d + math.log10(m) for d in range(math.floor(lo), math.ceil(hi) + 1) for m in (2, 5)])
    count = min(room, 5)
    while len(kept) < 2 and count <= 12:  # within a decade: finer linear steps until two labels fit
        step = nice_step(10 ** hi - 10 ** lo, count)
        k0, k1 = math.ceil(10 ** lo / step), math.floor(10 ** hi / step)
        kept = add_where_room(kept, [math.log10(k * step) for k in range(max(k0, 1), k1 + 1)])
        count += 2
    return kept


def log_tick_label(log_value: float) -> str:
    """10**log_value, short: 0.001, 20, 1e-5, 2e+6."""
    if abs(log_value) >= 300:  # past what a float holds (10 ** 400 overflows): the power alone
        return f"1e{round(log_value)}"
    v = 10 ** log_value
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    mantissa, exp = f"{v:.1e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exp)}"


class LogFriendlyAxis(pg.AxisItem):
    """A y axis whose log-mode ticks never overlap (see log_tick_values); linear mode as pyqtgraph's."""

    def tickValues(self, minVal, maxVal, size):
        if not self.logMode:
            return super().tickValues(minVal, maxVal, size)
        lo, hi = sorted((minVal, maxVal))
        return [(1.0, log_tick_values(lo, hi, size))]

    def tickStrings(self, values, scale, spacing):
        if not self.logMode:
            return super().tickStrings(values, scale, spacing)
        return [log_tick_label(v) for v in values]


class TimedPlotWidget(pg.PlotWidget):
    """A PlotWidget that adds the time its paint events take to `paint_clock[0]`."""

    def __init__(self, paint_clock: list[float], parent=None):
        super().__init__(parent, axisItems={"left": LogFriendlyAxis("left")})
        self._paint_clock = paint_clock
        self.on_resize = None  # called after a resize (the title's key is refitted)
        self.on_leave = None  # called when the mouse leaves the plot (the crosshair goes with it)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        on_resize = self.__dict__.get("on_resize")  # the first resize comes from PlotWidget.__init__
        if on_resize is not None:
            on_resize()

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        if self.on_leave is not None:
            self.on_leave()

    def paintEvent(self, event) -> None:
        t0 = time.perf_counter()
        super().paintEvent(event)
        self._paint_clock[0] += time.perf_counter() - t0


class MetricPlots(QWidget):
    """The grid of plots (objectNames `lossPlot`, `wassersteinPlot`, ...), their legends and crosshair."""

    mouse_moved = Signal(str, float)  # plot objectName, x under the mouse (data coordinates)
    mouse_left = Signal()  # the mouse left the plots: no crosshair, no readout

    def __init__(self, paint_clock: list[float], log_y: bool = False, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.plots: dict[str, pg.PlotWidget] = {}
        self.vlines: dict[str, pg.InfiniteLine] = {}
        # The key (which colour or line style is which metric) is written in the title row, never over the
        # curves: a legend inside the plot covered them (and at 1280x720 the plots are ~150 px tall).
        self.titles: dict[str, str] = {}
        self.legend_entries: dict[str, list[tuple[str, str, str]]] = {}  # (label, colour, line glyph)
        self.step_lines: dict[str, pg.InfiniteLine] = {}  # the Monitor's global step, one line per plot
        self.groups: dict[str, str] = {}  # plot objectName -> metric_registry plot group
        for i, (key, title, _metrics, _unit) in enumerate(plot_table()):
            self.groups[key] = key.removesuffix("Plot")
            pw = TimedPlotWidget(paint_clock)
            pw.setObjectName(key)
            pi = pw.getPlotItem()
            pi.setTitle(title, size="9pt")
            pi.showGrid(x=True, y=True, alpha=0.15)
            pi.setDownsampling(auto=True, mode="peak")
            pi.setClipToView(True)
            # No y-axis label: the title says what is plotted, and the tick labels get the room.
            pi.getAxis("left").setWidth(60)
            for axis in ("left", "bottom"):
                pi.getAxis(axis).enableAutoSIPrefix(False)  # "0.5", not "500 (x0.001)"
            self.titles[key] = title
            self.legend_entries[key] = []
            pw.on_resize = lambda k=key: self._show_title(k)
            vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((255, 255, 255, 60), width=1))
            vline.setVisible(False)
            pi.addItem(vline, ignoreBounds=True)
            self.vlines[key] = vline
            step_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(theme.ACCENT, width=1, style=Qt.DashLine))
            step_line.setVisible(False)
            pi.addItem(step_line, ignoreBounds=True)
            self.step_lines[key] = step_line
            pw.scene().sigMouseMoved.connect(lambda pos, k=key: self._on_mouse_moved(k, pos))
            pw.on_leave = self._on_mouse_left
            # Not setXLink: a linked plot repaints whenever another one's range grows, and the plots are
            # refreshed one per tick to keep every event-loop pass short. Zooming one zooms the others.
            pi.vb.sigRangeChangedManually.connect(lambda _mask, k=key: self.sync_x_range(k))
            if log_y:
                pi.setLogMode(y=True)
            self.plots[key] = pw
            # Equal cells: linked x axes line up only when the plots have the same width.
            grid.addWidget(pw, i // 2, i % 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 2)

    # --- curves -------------------------------------------------------------------------------------
    def plot_for(self, metric: str) -> str | None:
        """The objectName of the plot that shows `metric` (None: no plot does)."""
        spec = metric_registry.metric(metric)
        if spec is None or spec.group is None:
            return None
        key = f"{spec.group}Plot"
        return key if key in self.plots else None

    def new_curve(self, plot_key: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        """A (raw, smoothed) pair of items added to one plot; the raw one is drawn below."""
        pi = self.plots[plot_key].getPlotItem()
        raw = SteadyCurve(connect="finite")
        smooth = SteadyCurve(connect="finite")
        per_pixel = SAMPLES_PER_PIXEL * max(1.0, self.plots[plot_key].devicePixelRatioF())
        for item in (raw, smooth):
            item.setDownsampling(auto=True, method="peak")
            item.opts["autoDownsampleFactor"] = per_pixel
            item.setClipToView(True)
            pi.addItem(item)
        raw.setZValue(-1)
        return raw, smooth

    def remove_curve(self, plot_key: str, raw: pg.PlotDataItem, smooth: pg.PlotDataItem) -> None:
        pi = self.plots[plot_key].getPlotItem()
        pi.removeItem(raw)
        pi.removeItem(smooth)

    def style_curve(self, plot_key: str, metric: str, raw: pg.PlotDataItem, smooth: pg.PlotDataItem,
                    run_color: str, several: bool) -> None:
        """One run shown: colours by metric; several: the run's colour, the metric told by line style."""
        metrics = metric_registry.metrics_in_group(self.groups[plot_key])
        style_index = metrics.index(metric) % len(STYLES) if metric in metrics else 0
        color = QColor(run_color if several else theme.curve_color(metric, run_color))
        style = STYLES[style_index] if several else Qt.SolidLine
        faint = QColor(color)
        faint.setAlpha(70)
        raw.setPen(pg.mkPen(faint, width=1, style=style))
        # Two pixels wide for one run; one for several: Qt's raster engine strokes a wider line ~50x slower
        # (28 vs 0.5 ms a 1000-point curve), and 20 runs of 10^5 steps took 1.3 s a refresh tick at width 2.
        smooth.setPen(pg.mkPen(color, width=1 if several else 2, style=style))

    def update_legends(self, shown: set[tuple[str, str]], several: bool) -> None:
        """One entry per metric of `shown` ((plot key, metric) pairs of visible runs). With several runs the
        colour is the run's (see the run list) and the key shows each metric's line style in grey, so it
        stays short however many runs there are."""
        for key, group in self.groups.items():
            metrics = metric_registry.metrics_in_group(group)
            entries = []
            for m in metrics:
                if (key, m) in shown:
                    glyph = STYLE_GLYPHS[metrics.index(m) % len(STYLES)] if several else STYLE_GLYPHS[0]
                    entries.append((metric_label(m), "#c8ccd4" if several else theme.curve_color(m, "#c8ccd4"), glyph))
            self.legend_entries[key] = entries
            self._show_title(key)

    def legend_labels(self, key: str) -> list[str]:
        return [label for label, _color, _glyph in self.legend_entries[key]]

    def _show_title(self, key: str) -> None:
        """The plot's title and its key; the title's words go first when the plot is too narrow for both."""
        entries, title = self.legend_entries[key], self.titles[key]
        key_html = "&nbsp;&nbsp;".join(f"<span style='color:{c}'>{g}</span>&nbsp;{html.escape(label)}"
                                       for label, c, g in entries)
        plain = len(title) + sum(len(label) + 4 for label, _c, _g in entries)
        pw = self.plots.get(key)
        fits = pw is None or plain * TITLE_CHAR_PX <= pw.width() - 70  # the left axis takes ~60 px
        text = title if not entries else (f"{html.escape(title)}&nbsp;&nbsp;&nbsp;{key_html}" if fits else key_html)
        if pw is not None:
            pw.getPlotItem().setTitle(text, size="9pt")

    # --- axes ---------------------------------------------------------------------------------------
    def set_log_y(self, on: bool) -> None:
        for pw in self.plots.values():
            pw.getPlotItem().setLogMode(y=on)

    def set_x_label(self, mode: str) -> None:
        for pw in self.plots.values():
            pw.getPlotItem().setLabel("bottom", "wall time (s)" if mode == "wall_time" else "step")

    def auto_range(self, log_y: bool) -> None:
        for key, pw in self.plots.items():
            if key == "lrPlot" and not log_y:
                pw.getPlotItem().enableAutoRange(axis="x")
            else:
                pw.getPlotItem().enableAutoRange()

    def set_y_range(self, plot_key: str, low: float, high: float) -> None:
        self.plots[plot_key].getPlotItem().setYRange(low, high, padding=0)

    def sync_x_range(self, source: str) -> None:
        x_range = self.plots[source].getPlotItem().vb.viewRange()[0]
        for key, pw in self.plots.items():
            if key != source:
                pw.getPlotItem().setXRange(*x_range, padding=0)

    # --- the global step ---------------------------------------------------------------------------
    def set_step_marker(self, x: float | None) -> None:
        """A dashed line at the Monitor's step on every plot (None: none, the Monitor follows the newest)."""
        for line in self.step_lines.values():
            if x is not None:
                line.setPos(x)
            line.setVisible(x is not None)

    # --- crosshair ----------------------------------------------------------------------------------
    def _on_mouse_moved(self, plot_key: str, pos: QPointF) -> None:
        pi = self.plots[plot_key].getPlotItem()
        if not pi.sceneBoundingRect().contains(pos):
            return
        x = pi.vb.mapSceneToView(pos).x()
        for line in self.vlines.values():
            line.setPos(x)
            line.setVisible(True)
        self.mouse_moved.emit(plot_key, x)

    def _on_mouse_left(self) -> None:
        for line in self.vlines.values():
            line.setVisible(False)
        self.mouse_left.emit()

    # --- export -------------------------------------------------------------------------------------
    def render_png(self, path: str, scale: int = 2) -> None:
        """All plots in their on-screen layout, each rendered by pyqtgraph's ImageExporter, `scale` times."""
        from pyqtgraph.exporters import ImageExporter

        canvas = QImage(self.width() * scale, self.height() * scale, QImage.Format_ARGB32)
        canvas.fill(QColor(theme.PLOT_BG))
        painter = QPainter(canvas)
        try:
            for pw in self.plots.values():
                exporter = ImageExporter(pw.getPlotItem())
                exporter.parameters()["width"] = max(1, pw.width() * scale)
                image = exporter.export(toBytes=True)
                top_left = pw.mapTo(self, pw.rect().topLeft())
                painter.drawImage(QRectF(top_left.x() * scale, top_left.y() * scale, pw.width() * scale, pw.height() * scale), image)
        finally:
            painter.end()
        canvas.save(path)
