"""The Monitor's run list: one row per run of the `MonitorState`, with its colour swatch; tick a run to show
its curves, select it to show its samples, Remove run forgets it (its files stay).

The rows follow the state's events; the user's ticks, selection and Remove go back to the state. Rows are
changed with the list's signals blocked, so that only the user's actions reach the state.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.train.monitor_state import MonitorState, RunData


class RunList(QWidget):
    """The "Runs" title, `runList` (a QListWidget, `list`) and `removeRunButton`."""

    def __init__(self, state: MonitorState, parent=None):
        super().__init__(parent)
        self.state = state
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("Runs")
        title.setProperty("muted", True)
        layout.addWidget(title)
        self.list = QListWidget()
        self.list.setObjectName("runList")
        self.list.setMaximumHeight(110)
        self.list.setToolTip("Tick a run to show its curves; select it to show its samples.")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(lambda row: state.set_current(state.run_at(row)))
        layout.addWidget(self.list)
        self.remove_button = QPushButton("Remove run")
        self.remove_button.setObjectName("removeRunButton")
        self.remove_button.clicked.connect(self.remove_current)
        layout.addWidget(self.remove_button, 0, Qt.AlignRight)
        state.events.added.connect(self._add_row)
        state.events.removed.connect(lambda _run, index: self._quietly(self.list.takeItem, index))
        state.events.visible.connect(self._show_visible)
        state.events.current.connect(lambda run: self._quietly(self.list.setCurrentRow, self._row(run)))

    def remove_current(self) -> None:
        if self.state.current is not None:
            self.state.remove_run(self.state.current)

    def _row(self, run: RunData | None) -> int:
        return self.state.runs.index(run) if run is not None else -1

    def _quietly(self, change, *args) -> None:
        self.list.blockSignals(True)
        try:
            change(*args)
        finally:
            self.list.blockSignals(False)

    def _add_row(self, run: RunData) -> None:
        item = QListWidgetItem(run.name)
        swatch = QPixmap(12, 12)
        swatch.fill(QColor(run.color))
        item.setIcon(QIcon(swatch))
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(Qt.Checked if run.visible else Qt.Unchecked)
        item.setToolTip(str(run.folder) if run.folder else run.name)
        self._quietly(self.list.addItem, item)

    def _show_visible(self, run: RunData) -> None:
        item = self.list.item(self._row(run))
        if item is not None:
            self._quietly(item.setCheckState, Qt.Checked if run.visible else Qt.Unchecked)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        run = self.state.run_at(self.list.row(item))
        if run is not None:
            self.state.set_visible(run, item.checkState() == Qt.Checked)
