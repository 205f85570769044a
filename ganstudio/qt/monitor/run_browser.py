"""Browse runs…: a folder of runs as a sortable table (name, state, config, steps, best metric, dates), from
which the picked runs open in the Monitor.

The listing is `core.train.run_index.scan_runs`, run in a background job so that a slow disk never blocks
the window; the newest scan wins (an older one's result is dropped) and the table fills when it is done.
The folder starts at the one listed last (`AppSettings.browsed_runs_folder`, the Preferences' runs folder
until another was listed). The dialog only asks: `open_folder` (the Monitor's `open_run_folder`) opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.train.run_index import STATES, RunEntry, RunScan, default_runs_folder, format_date, scan_runs
from ganstudio.qt import theme
from ganstudio.qt.widgets.message_strip import MessageStrip
from ganstudio.qt.workers import JobWorker, start_job, stop_jobs

COLUMNS = ("Name", "State", "Config", "Steps", "Best", "Started", "Last written")
FOLDER_ROLE = Qt.UserRole  # the run's folder, on the Name item


def _keys(r: RunEntry) -> tuple[tuple, ...]:
    """Each column's ascending sort key; a run that lacks the value sorts after the others."""
    return (r.sort_key("name"), (STATES.index(r.state), r.name.lower()), (not r.preset_text(), r.preset_text(), r.name),
            r.sort_key("steps"), r.sort_key("best"), (r.started is None, r.started or 0.0, r.name),
            (r.last_written is None, r.last_written or 0.0, r.name))


class _SortedItem(QTableWidgetItem):
    """A cell that sorts by its run's value (numbers as numbers, missing ones last), not by its text."""

    def __init__(self, text: str, key: tuple):
        super().__init__(text)
        self.key = key
        self.setFlags(Qt.ItemIsSelectable | Qt.ItemIsEnabled)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        return self.key < other.key if isinstance(other, _SortedItem) else super().__lt__(other)


class RunBrowserDialog(QDialog):
    """`runBrowserDialog`: `runBrowserFolderEdit`, `runBrowserChooseButton`, `runBrowserRefreshButton`,
    `runBrowserTable`, `runBrowserStatus`, `runBrowserMessage`, `runBrowserOpenButton`."""

    def __init__(self, settings, open_folder: Callable[[Path], object], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runBrowserDialog")
        self.setWindowTitle("Browse runs")
        self.settings = settings
        self.open_folder = open_folder
        self.scan: RunScan | None = None  # what the table shows
        self._job: JobWorker | None = None  # the newest scan; an older one's result is dropped
        root = QVBoxLayout(self)

        top = QHBoxLayout()
        top.addWidget(QLabel("Folder"))
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("runBrowserFolderEdit")
        self.folder_edit.setToolTip("A folder of runs (the runs folder of Preferences, what `ganstudio train` wrote), "
                                    "a run folder, or a folder of such folders; Enter lists it.")
        self.folder_edit.returnPressed.connect(lambda: self.list_folder(self.folder_edit.text()))
        top.addWidget(self.folder_edit, 1)
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setObjectName("runBrowserChooseButton")
        self.choose_button.clicked.connect(self.choose_folder)
        top.addWidget(self.choose_button)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("runBrowserRefreshButton")
        self.refresh_button.setToolTip("List the folder again (runs still training move on).")
        self.refresh_button.clicked.connect(lambda: self.list_folder(self.folder_edit.text()))
        top.addWidget(self.refresh_button)
        root.addLayout(top)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runBrowserTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((250, 96, 170, 90, 180, 128)):
            self.table.setColumnWidth(column, width)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Started"), Qt.DescendingOrder)  # newest first
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.table.itemDoubleClicked.connect(lambda item: self.open_rows([item.row()]))
        root.addWidget(self.table, 1)

        self.status = QLabel("")
        self.status.setObjectName("runBrowserStatus")
        self.status.setProperty("muted", True)
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        self.messages = MessageStrip("runBrowserMessage")
        root.addWidget(self.messages)

        buttons = QHBoxLayout()
        hint = QLabel("Ctrl- or Shift-click to pick several; a double-click opens one.")
        hint.setProperty("muted", True)
        buttons.addWidget(hint, 1)
        self.open_button = QPushButton("Open in Monitor")
        self.open_button.setObjectName("runBrowserOpenButton")
        self.open_button.setToolTip("Open the picked runs in the Monitor; they are followed while they train and "
                                    "reopened at the next launch.")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_selected)
        buttons.addWidget(self.open_button)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(close)
        root.addLayout(buttons)
        self.resize(1040, 560)
        self._sync_buttons()

    # --- listing ----------------------------------------------------------------------------------------
    def list_folder(self, folder: str | Path | None = None) -> JobWorker | None:
        """List `folder` (default: the one listed last) in a background job; the table fills when done."""
        if folder is None:
            folder = self.settings.browsed_runs_folder() if self.settings is not None else default_runs_folder()
        text = str(folder).strip()
        if not text:
            self.messages.show_error("Give a folder of runs to list.")
            return None
        path = Path(text).expanduser()
        self.folder_edit.setText(str(path))
        self.messages.clear_message()
        self.status.setText(f"Reading the runs in {path}…")
        self.refresh_button.setEnabled(False)
        self._job = start_job(scan_runs, path, name="scan_runs", owner=self, on_done=self._on_scanned,
                              on_error=self._on_scan_failed)
        return self._job

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of runs", self.folder_edit.text())
        if folder:
            self.list_folder(folder)

    def _on_scanned(self, scan: RunScan) -> None:
        if self.sender() is not self._job:
            return  # a newer listing was asked for
        self._job = None
        self.refresh_button.setEnabled(True)
        if self.settings is not None:
            self.settings.set_browsed_runs_folder(scan.folder)
        self.show_scan(scan)

    def _on_scan_failed(self, err) -> None:
        if self.sender() is not self._job:
            return
        self._job = None
        self.refresh_button.setEnabled(True)
        self.scan = None  # the table must not show another folder's runs under this one's name
        self.table.setRowCount(0)
        self.status.setText("")
        self._sync_buttons()
        self.messages.show_error(err.message)

    def show_scan(self, scan: RunScan) -> None:
        self.scan = scan
        table = self.table
        table.setSortingEnabled(False)  # rows are filled in place, then sorted once
        table.clearContents()
        table.setRowCount(len(scan.runs))
        muted = QBrush(QColor(theme.MUTED))
        for row, r in enumerate(scan.runs):
            texts = (r.name, r.state_label, r.preset_text(), r.steps_text(), r.best_text(), format_date(r.started),
                     format_date(r.last_written))
            tip = "\n".join(t for t in (str(r.folder), r.reason, r.note, f"training: {r.owner}" if r.owner else "") if t)
            for column, (text, key) in enumerate(zip(texts, _keys(r))):
                item = _SortedItem(text, key)
                item.setToolTip(tip)
                if r.state == "unreadable":
                    item.setForeground(muted)
                table.setItem(row, column, item)
            table.item(row, 0).setData(FOLDER_ROLE, str(r.folder))
        table.resizeColumnsToContents()  # dates and steps whole; a long name is cut (its tooltip has the folder)
        for column in range(len(COLUMNS) - 1):
            table.setColumnWidth(column, min(max(table.columnWidth(column) + 16, 80), 300))
        table.setSortingEnabled(True)
        self.status.setText(scan.summary())
        self._sync_buttons()

    # --- opening ----------------------------------------------------------------------------------------
    def entry_at(self, row: int) -> RunEntry | None:
        item = self.table.item(row, 0)
        if item is None or self.scan is None:
            return None
        folder = item.data(FOLDER_ROLE)
        return next((r for r in self.scan.runs if str(r.folder) == folder), None)

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectionModel().selectedRows()})

    def open_selected(self) -> int:
        return self.open_rows(self.selected_rows())

    def open_rows(self, rows: list[int]) -> int:
        """Open the runs of `rows` in the Monitor (unreadable ones are named and skipped); returns how many."""
        entries = [e for e in (self.entry_at(row) for row in rows) if e is not None]
        readable = [e for e in entries if e.state != "unreadable"]
        for e in readable:
            self.open_folder(e.folder)
        skipped = [e.name for e in entries if e.state == "unreadable"]
        if skipped:
            reason = next(e.reason for e in entries if e.state == "unreadable").rstrip(".")
            self.messages.show_error(f"{reason}; not opened: {', '.join(skipped)}")
        elif readable:
            self.close()
        return len(readable)

    def _sync_buttons(self) -> None:
        rows = self.selected_rows()
        self.open_button.setEnabled(bool(rows))
        n = len(rows)
        self.open_button.setText("Open in Monitor" if n <= 1 else f"Open {n} in Monitor")

    # --- lifecycle --------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Wait for a listing still running (the window closes)."""
        stop_jobs(self)
