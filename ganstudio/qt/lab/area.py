"""The Lab area: the lectures' experiments, one tab each (`LabArea.panels`); each panel explains itself in
two or three sentences, redraws its closed forms as its controls move, and trains its sample-based parts
in a background job that the user can pause and that `shutdown()` stops and joins."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ganstudio.qt.lab.collapse_panel import CollapsePanel
from ganstudio.qt.lab.controls import ExperimentPanel
from ganstudio.qt.lab.costs_panel import CostsPanel
from ganstudio.qt.lab.cournot_panel import CournotPanel
from ganstudio.qt.lab.distances_panel import DistancesPanel
from ganstudio.qt.lab.optimal_d_panel import OptimalDPanel
from ganstudio.qt.lab.supports_panel import SupportsPanel
from ganstudio.qt.lab.xy_panel import XyPanel

PANELS = (("distances", "Distances", DistancesPanel), ("optimal-d", "Optimal D", OptimalDPanel),
          ("costs", "G costs", CostsPanel), ("xy", "xy game", XyPanel), ("cournot", "Cournot", CournotPanel),
          ("collapse", "Collapse", CollapsePanel), ("supports", "Supports", SupportsPanel))


class LabArea(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("labArea")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("labTabs")
        self.panels: dict[str, ExperimentPanel] = {}
        for key, label, cls in PANELS:
            panel = cls()
            panel.setObjectName(f"lab-{key}")
            self.panels[key] = panel
            self.tabs.addTab(panel, label)
            self.tabs.setTabToolTip(self.tabs.count() - 1, panel.TITLE)
        layout.addWidget(self.tabs)
        self._closed = False

    def show_experiment(self, key: str) -> None:
        self.tabs.setCurrentWidget(self.panels[key])

    def shutdown(self) -> None:
        """Stop and join every training job (the window calls this on close)."""
        if self._closed:
            return
        self._closed = True
        for panel in self.panels.values():
            panel.shutdown()
