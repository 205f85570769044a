"""What the registries give the GUI: a registered objective is in the Train form's loss menu with its
tooltip, the objective-specific rows follow the registry, and a registered metric is plotted, coloured,
labelled and summarised by the monitor."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from ganstudio.core import objective_registry
from ganstudio.core.train.reporting import TrainEvent


@pytest.fixture
def panel(qtbot, settings):
    from ganstudio.qt.train.panel import TrainPanel

    p = TrainPanel(settings)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def test_the_loss_menu_is_the_objective_registry_with_its_tooltips(qtbot, dummy_objective, settings):
    from ganstudio.qt.train.panel import TrainPanel

    panel = TrainPanel(settings)
    qtbot.addWidget(panel)
    combo = panel.lossCombo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == list(objective_registry.objective_names()) and names[-1] == "dummy"
    i = combo.findData("dummy")
    assert combo.itemText(i) == "dummy"
    assert combo.itemData(i, Qt.ToolTipRole) == dummy_objective.spec.tooltip
    # The popup's view shows the same text on hover.
    assert combo.view().model().index(i, 0).data(Qt.ToolTipRole) == dummy_objective.spec.tooltip
    wgan = combo.findData("wgan")
    assert combo.itemData(wgan, Qt.ToolTipRole) == objective_registry.objective_spec("wgan").tooltip

    # Chosen in the form, it is what Start asks to train.
    panel.set_engine_ready(False, "CPU")
    combo.setCurrentIndex(i)
    with qtbot.waitSignal(panel.startRequested, timeout=5000) as started:
        qtbot.mouseClick(panel.startButton, Qt.LeftButton)
    cfg, resume = started.args
    assert cfg.objective.loss == "dummy" and resume is None
    panel.shutdown()


def test_objective_setting_rows_show_for_the_objectives_that_have_them(panel):
    def shown(key):
        label, widget = panel.rows[key]
        return widget.isVisible() and label.isVisible()

    combo = panel.lossCombo
    for name in objective_registry.objective_names():
        combo.setCurrentIndex(combo.findData(name))
        own = objective_registry.objective_spec(name).settings
        assert shown("objective.clip_value") == ("clip_value" in own), name
        assert shown("objective.l1_weight") == ("l1_weight" in own), name
        assert shown("objective.r1_gamma")  # shared by every objective


def test_the_monitor_plots_a_registered_metric_from_scalars_events(qtbot, dummy_metric, monitor):
    from ganstudio.qt import theme
    from ganstudio.qt.monitor.monitor import PLOTS

    assert dict((key, metrics) for key, _title, metrics, _unit in PLOTS)["lossPlot"] == ("d_loss", "g_loss", "l1", "diversity", "D_A", "D_B", "G_A", "G_B",
                                                                                   "cycle_A", "cycle_B", "idt_A", "idt_B",
                                                                                   "dummy_metric")
    monitor.begin_live_run({"name": "registry-test", "task": "image"})
    # What TrainerWorker hands the monitor: the data of the trainer's scalars and eval events.
    scalars = [TrainEvent("scalars", s, {"step": s, "wall_time": 0.1 * s, "d_loss": 1.0, "dummy_metric": 0.5 / s}).data
               for s in (5, 10, 15)]
    evals = [TrainEvent("eval", 15, {"step": 15, "kind": "eval", "sliced_w": 0.25, "dummy_metric": 0.125}).data]
    monitor.add_progress({"scalars": scalars, "samples": [], "evals": evals})
    monitor.redraw(force=True)

    curve = monitor.live_run.curves[("lossPlot", "dummy_metric")]
    x, y = curve.smooth.getOriginalDataset()
    np.testing.assert_array_equal(x, [5, 10, 15])
    assert np.isfinite(y).sum() == 3
    assert curve.smooth.opts["pen"].color().name() == theme.CURVE_COLORS["penalty"]
    assert monitor.plots_host.legend_labels("lossPlot") == ["D loss", "dummy metric"]
    assert "dummy metric <b>0.05" in monitor.readout_text("lossPlot", 10)
    assert monitor.eval_label.text() == "Evaluation at step 15: sliced W 0.25, dummy metric 0.125"
