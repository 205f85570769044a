"""The runs' curves in the Monitor's plot panel: one `Curve` (raw faint, smoothed bold) per run and metric,
made the first time the metric has data and fed with `setData` from the `MonitorState` (the values and
their smoothing are the state's). Showing, hiding and removing runs restyle them: one run shown, each metric
has its colour; several, each run has its own and the metric is told by the line style.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg

from ganstudio.core import metric_registry
from ganstudio.core.train.monitor_state import MonitorState, RunData
from ganstudio.qt.monitor.plots import MetricPlots


@dataclass
class Curve:
    """The plot items of one run's metric (its smoothed values are the state's, `RunData.smoothed`)."""

    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    metric: str
    plot_key: str


def metric_order() -> dict[str, int]:
    """Registry order: the order curves are made in, and read out under the crosshair."""
    return {name: i for i, name in enumerate(metric_registry.metric_names())}


class RunCurves:
    """Makes, feeds and styles the curves of `state`'s runs in `plots`; a run's curves live in `run.curves`."""

    def __init__(self, state: MonitorState, plots: MetricPlots):
        self.state = state
        self.plots = plots
        self.legends_dirty = False  # new curves: the legends are rebuilt once, at the end of the redraw
        state.events.added.connect(lambda _run: self.restyle())
        state.events.removed.connect(lambda run, _index: self._drop(run))
        state.events.visible.connect(self._show_visible)

    def push(self, targets: set[str], force: bool = False) -> None:
        """Feed the new rows of every run into the curves of the plots in `targets` (and, forced, every
        curve's rows again). Metrics no plot shows are forgotten."""
        order = metric_order()
        for run in self.state.runs:
            metrics = set(run.dirty)
            if force:
                metrics |= {m for (_k, m) in run.curves}
            for metric in sorted(metrics, key=lambda m: order.get(m, 999)):
                plot_key = self.plots.plot_for(metric)
                if plot_key is None:
                    run.dirty.discard(metric)  # step, wall_time and values no plot shows
                    continue
                if plot_key not in targets:
                    continue
                run.dirty.discard(metric)
                self.feed(run, self.curve(run, metric, plot_key))

    def curve(self, run: RunData, metric: str, plot_key: str) -> Curve:
        curve = run.curves.get((plot_key, metric))
        if curve is None:
            raw, smooth = self.plots.new_curve(plot_key)
            curve = run.curves[(plot_key, metric)] = Curve(raw=raw, smooth=smooth, metric=metric, plot_key=plot_key)
            raw.setVisible(run.visible and self.state.shows_raw(metric))
            smooth.setVisible(run.visible)
            self._style(run, curve)
            self.legends_dirty = True
        return curve

    def feed(self, run: RunData, curve: Curve) -> None:
        x = self.state.x_values(run)
        y = run.table.get(curve.metric)
        if x is None or y is None:
            return
        curve.smooth.setData(x, self.state.smoothed_values(run, curve.metric))
        shows_raw = self.state.shows_raw(curve.metric)
        if shows_raw:  # a hidden raw curve is not fed (a million points cost)
            curve.raw.setData(x, y)
        curve.raw.setVisible(run.visible and shows_raw)

    def restyle(self) -> None:
        for run in self.state.runs:
            for curve in run.curves.values():
                self._style(run, curve)
        self.update_legends()

    def update_legends(self) -> None:
        self.legends_dirty = False
        shown = {key for r in self.state.visible_runs() for key in r.curves}
        self.plots.update_legends(shown, self.state.several_shown)

    def _style(self, run: RunData, curve: Curve) -> None:
        self.plots.style_curve(curve.plot_key, curve.metric, curve.raw, curve.smooth, run.color,
                               self.state.several_shown)

    def _show_visible(self, run: RunData) -> None:
        for curve in run.curves.values():
            curve.smooth.setVisible(run.visible)
            curve.raw.setVisible(run.visible and self.state.shows_raw(curve.metric))
        self.restyle()  # one run shown: colours by metric; several: by run

    def _drop(self, run: RunData) -> None:
        for curve in run.curves.values():
            self.plots.remove_curve(curve.plot_key, curve.raw, curve.smooth)
        self.restyle()
