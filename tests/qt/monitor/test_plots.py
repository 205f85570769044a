"""The Monitor's plot panel on its own: one plot per registry group, curves made once, legends, axes."""

import math

import numpy as np
import pyqtgraph as pg
import pytest

from ganstudio.qt.monitor.plots import MetricPlots, plot_table


@pytest.fixture
def panel(qtbot):
    from ganstudio.qt.theme import configure_pyqtgraph

    configure_pyqtgraph()
    p = MetricPlots([0.0])
    qtbot.addWidget(p)
    p.resize(800, 600)
    p.show()
    return p


def test_one_plot_per_group_with_peak_downsampling_and_clip_to_view(panel):
    assert list(panel.plots) == [key for key, *_ in plot_table()]
    for key, pw in panel.plots.items():
        assert pw.objectName() == key
        pi = pw.getPlotItem()
        assert pi.ctrl.downsampleCheck.isChecked() and pi.ctrl.peakRadio.isChecked()
        assert pi.ctrl.clipToViewCheck.isChecked()
    assert panel.plot_for("d_loss") == "lossPlot" and panel.plot_for("step") is None


def test_curves_are_added_and_removed_and_styled(panel):
    raw, smooth = panel.new_curve("lossPlot")
    items = panel.plots["lossPlot"].getPlotItem().listDataItems()
    assert raw in items and smooth in items and raw.zValue() < smooth.zValue()
    raw.setData(np.arange(5.0), np.arange(5.0))
    panel.style_curve("lossPlot", "d_loss", raw, smooth, "#ff0000", several=True)
    assert smooth.opts["pen"].color().name() == "#ff0000" and raw.opts["pen"].color().alpha() == 70
    assert smooth.opts["pen"].width() == 1  # several runs: the raster engine's fast one-pixel lines
    panel.style_curve("lossPlot", "d_loss", raw, smooth, "#ff0000", several=False)
    assert smooth.opts["pen"].width() == 2
    panel.remove_curve("lossPlot", raw, smooth)
    assert raw not in panel.plots["lossPlot"].getPlotItem().listDataItems()


def test_legends_show_only_present_metrics(panel):
    panel.update_legends({("lossPlot", "d_loss"), ("lossPlot", "g_loss")}, several=False)
    assert panel.legend_labels("lossPlot") == ["D loss", "G loss"] and panel.legend_labels("speedPlot") == []
    title = panel.plots["lossPlot"].getPlotItem().titleLabel.text
    assert "Losses" in title and "D loss" in title and "G loss" in title  # the key sits in the title row
    assert not [i for i in panel.plots["lossPlot"].getPlotItem().vb.addedItems if isinstance(i, pg.LegendItem)]
    panel.plots["lossPlot"].resize(200, 200)  # too narrow for both: the key stays, the title's words go
    assert "Losses" not in panel.plots["lossPlot"].getPlotItem().titleLabel.text


def test_log_y_x_label_and_zoom_sync(panel):
    panel.set_log_y(True)
    assert all(pw.getPlotItem().ctrl.logYCheck.isChecked() for pw in panel.plots.values())
    panel.set_x_label("wall_time")
    assert panel.plots["lossPlot"].getPlotItem().getAxis("bottom").labelText == "wall time (s)"
    panel.plots["lossPlot"].getPlotItem().setXRange(10, 20, padding=0)
    panel.sync_x_range("lossPlot")
    np.testing.assert_allclose(panel.plots["speedPlot"].getPlotItem().vb.viewRange()[0], [10, 20])


@pytest.mark.parametrize("lo, hi, size", [
    (math.log10(15), math.log10(75), 90),  # steps per second on a short run: pyqtgraph piled 5..7x10^1 up
    (-4.0, 0.3, 120), (-9.0, 3.0, 90), (5.1, 6.6, 200), (math.log10(0.7), math.log10(1.2), 120),
    (-5.2, -3.6, 60),
])
def test_log_ticks_never_crowd_and_read_plainly(lo, hi, size):
    from ganstudio.qt.monitor.plots import MIN_LABEL_GAP_PX, log_tick_label, log_tick_values

    ticks = log_tick_values(lo, hi, size)
    assert len(ticks) >= 1 and all(lo <= t <= hi for t in ticks)
    px = [(t - lo) / (hi - lo) * size for t in ticks]
    assert all(b - a >= MIN_LABEL_GAP_PX for a, b in zip(px, px[1:]))
    labels = [log_tick_label(t) for t in ticks]
    assert all(len(s) <= 6 for s in labels) and len(set(labels)) == len(labels)
    assert all(float(s) == pytest.approx(10 ** t, rel=1e-6) for s, t in zip(labels, ticks))


def test_the_panels_left_axes_use_the_log_friendly_ticks(panel):
    from ganstudio.qt.monitor.plots import LogFriendlyAxis

    panel.set_log_y(True)
    axis = panel.plots["speedPlot"].getPlotItem().getAxis("left")
    assert isinstance(axis, LogFriendlyAxis) and axis.logMode
    (_spacing, values), = axis.tickValues(math.log10(15), math.log10(75), 90)
    assert [axis.tickStrings([v], 1, 1)[0] for v in values] == ["20", "50"]


@pytest.mark.parametrize("lo, hi", [(-1e15, 1e15), (-1e300, 1e300), (-400.0, 400.0), (1e9, 1e9 + 0.5),
                                    (400.0, 402.5), (-402.5, -400.0)])
def test_a_zoomed_out_log_axis_gets_a_handful_of_ticks_not_one_per_decade(lo, hi):
    """A log view can span 10^15 decades (data with zeros, a monkey zooming out): listing every decade
    allocated tens of gigabytes and the OOM killer ended the test run."""
    from ganstudio.qt.monitor.plots import log_tick_label, log_tick_values

    ticks = log_tick_values(lo, hi, 120)
    assert 1 <= len(ticks) <= 7 and all(lo <= t <= hi for t in ticks)
    assert all(isinstance(log_tick_label(t), str) for t in ticks)  # no OverflowError past 10^308


def _shown(curve):
    """The points the curve draws now (pyqtgraph's display dataset, after downsampling)."""
    return curve.getData()


def test_steady_curves_keep_their_points_while_the_view_follows_and_redo_them_on_a_zoom(panel, qtbot):
    """A curve of an unchanged run is not downsampled again when another run grows the x range a little
    (the Monitor's tick with 20 runs open), but is on a zoom, and then draws what a plain curve draws."""
    from ganstudio.qt.monitor.plots import SAMPLES_PER_PIXEL, SteadyCurve

    raw, still = panel.new_curve("lossPlot")
    _raw2, growing = panel.new_curve("lossPlot")
    assert isinstance(still, SteadyCurve) and still.opts["autoDownsampleFactor"] >= SAMPLES_PER_PIXEL
    rng = np.random.default_rng(0)
    n = 100_000
    still.setData(np.arange(n, dtype=float), rng.normal(1, 0.2, n))
    growing.setData(np.arange(n, dtype=float), rng.normal(1, 0.2, n))
    pw = panel.plots["lossPlot"]
    pw.grab()
    first_x, first_y = _shown(still)
    assert len(first_x) < n / 10  # downsampled: about two points a pixel
    for extra in (50, 100, 150):  # the other run logs on: the view grows by 0.15 % in all
        growing.setData(np.arange(n + extra, dtype=float), rng.normal(1, 0.2, n + extra))
        pw.grab()
        assert _shown(still)[0] is first_x  # kept, not downsampled again
    plain = pg.PlotDataItem(np.arange(n, dtype=float), still.getOriginalDataset()[1], connect="finite")
    plain.setDownsampling(auto=True, method="peak")
    plain.opts["autoDownsampleFactor"] = still.opts["autoDownsampleFactor"]
    pw.getPlotItem().addItem(plain)
    pw.getPlotItem().setXRange(0, n / 4, padding=0)  # a zoom: a quarter of the steps over the same pixels
    pw.grab()
    zoom_x, zoom_y = _shown(still)
    assert zoom_x is not first_x and len(zoom_x) > 0
    np.testing.assert_array_equal(zoom_x, _shown(plain)[0])
    np.testing.assert_array_equal(zoom_y, _shown(plain)[1])
    # the view no longer follows the data (a manual range): every change is pyqtgraph's own again
    pw.getPlotItem().setXRange(0, n / 4 * 1.001, padding=0)
    pw.grab()
    assert _shown(still)[0] is not zoom_x
    np.testing.assert_array_equal(_shown(still)[0], _shown(plain)[0])
