"""The Monitor's plot panel on its own: one plot per registry group, curves made once, legends, axes."""

import numpy as np
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
    panel.remove_curve("lossPlot", raw, smooth)
    assert raw not in panel.plots["lossPlot"].getPlotItem().listDataItems()


def test_legends_show_only_present_metrics(panel):
    panel.update_legends({("lossPlot", "d_loss"), ("lossPlot", "g_loss")}, several=False)
    labels = [label.text for _sample, label in panel.legends["lossPlot"].items]
    assert len(labels) == 2 and panel.legends["lossPlot"].isVisible()
    assert not panel.legends["speedPlot"].isVisible()


def test_log_y_x_label_and_zoom_sync(panel):
    panel.set_log_y(True)
    assert all(pw.getPlotItem().ctrl.logYCheck.isChecked() for pw in panel.plots.values())
    panel.set_x_label("wall_time")
    assert panel.plots["lossPlot"].getPlotItem().getAxis("bottom").labelText == "wall time (s)"
    panel.plots["lossPlot"].getPlotItem().setXRange(10, 20, padding=0)
    panel.sync_x_range("lossPlot")
    np.testing.assert_allclose(panel.plots["speedPlot"].getPlotItem().vb.viewRange()[0], [10, 20])
