"""The Monitor's Diagnosis panel: the training doctor (`core.train.diagnosis`) on the current run, live while
it trains and for any followed or finished run folder.

It lists the findings (most severe first), shows the selected one's evidence and meaning, puts a marker on
the curve of its metric at the step it began, and offers its suggestions as buttons: a setting the running
trainer takes (learning rates, n_critic; only for the app's live run) is applied at once
(`liveChangeRequested`), any other fills the Train form for a new run from this run's config
(`newRunRequested`). The maths is all in core; this widget only reads the MonitorState's runs and draws.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.train import diagnosis as D
from ganstudio.core.train.monitor_state import MonitorState, RunData

log = logging.getLogger(__name__)

REFRESH_MS = 1500  # the doctor reads the current run at most this often (a 10^5-step run: ~60 ms)
MAX_BUTTONS = 4
MEASURE_PER_REFRESH = 40  # previews measured per refresh (a toy preview: a file read and a mode count, ~ms)
SEVERITY_MARK = {"error": "✖", "warning": "⚠", "info": "ℹ", "ok": "✔"}
MARKER_COLOR = {"error": "#e0524a", "warning": "#e0a030", "info": "#6a9fd8", "ok": "#5cb85c"}


class RunDoctor:
    """What the panel keeps per run: its config, the measured previews (each measured once) and the last
    findings with the data size they were made from."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.meter = D.PreviewMeter(config)
        self.measured: dict[int, tuple[float | None, frozenset[int] | None]] = {}
        self.seen: tuple | None = None  # (rows, samples, evals, bad lines) last diagnosed
        self.findings: list[D.Finding] = []
        self.pending = False  # previews still to measure

    def evidence(self, run: RunData) -> D.RunEvidence:
        """The run's evidence; at most MEASURE_PER_REFRESH new previews are measured per call (`pending`
        says more are waiting), so opening a folder of 400 previews never stalls the window."""
        todo = [(step, payload) for step, payload in run.samples if step not in self.measured]
        self.pending = len(todo) > MEASURE_PER_REFRESH
        for step, payload in todo[:MEASURE_PER_REFRESH]:
            try:
                self.measured[step] = self.meter.measure(payload)
            except (OSError, ValueError) as exc:  # a preview file being written or broken: skip it
                log.info("preview at step %s not measured: %s", step, exc)
                self.measured[step] = (None, None)
        steps = sorted(self.measured)
        columns = {k: col.view() for k, col in run.table.columns.items()}
        if "step" not in columns:
            columns["step"] = np.full(run.table.rows, np.nan)
        real = D.preview_diversity(run.real_points) if run.real_points is not None else None
        return D.RunEvidence(
            columns=columns, config=self.config, evals=list(run.evals),
            diversity=[(s, self.measured[s][0]) for s in steps if self.measured[s][0] is not None],
            modes=[(s, self.measured[s][1]) for s in steps if self.measured[s][1] is not None],
            n_modes=self.meter.n_modes, real_diversity=real, rollbacks=D.rollbacks_of(columns["step"]),
            bad_lines=int(getattr(run.follower, "bad_lines", 0) or 0),
        )


def _config_of(run: RunData) -> dict[str, Any]:
    if run.folder is None or not (run.folder / "config.json").is_file():
        return {}
    from ganstudio.core.errors import GanStudioError
    from ganstudio.core.safe_json import read_json

    try:
        cfg = read_json(run.folder / "config.json", what="Run config")
    except (GanStudioError, OSError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


class DiagnosisPanel(QWidget):
    """Findings of the current run, their evidence, markers on the plots and buttons for the suggestions."""

    liveChangeRequested = Signal(str, object)  # key ("optim.lr_d"), value: apply to the running trainer
    newRunRequested = Signal(object, object)  # the run's config dict, ["key=value", ...]: fill the Train form

    def __init__(self, state: MonitorState, plots_host=None, parent=None):
        super().__init__(parent)
        self.setObjectName("diagnosisPanel")
        self.state = state
        self.plots_host = plots_host
        self.doctors: dict[int, RunDoctor] = {}  # id(run) -> its doctor
        self.markers: list[tuple[Any, pg.InfiniteLine]] = []
        self.findings: list[D.Finding] = []
        self._build()
        state.events.current.connect(lambda _run: self.refresh(force=True))
        state.events.removed.connect(lambda run, _i: self.doctors.pop(id(run), None))
        state.events.x_mode.connect(lambda _mode: self.refresh(force=True))
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def _build(self) -> None:
        # One strip under the plots: the findings on the left, the selected one's words and buttons on the right.
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 2, 0, 0)
        root.setSpacing(6)
        left = QVBoxLayout()
        left.setSpacing(2)
        head = QHBoxLayout()
        self.title = QLabel("<b>Diagnosis</b>")
        self.title.setObjectName("diagnosisTitle")
        head.addWidget(self.title, 1)
        self.help_button = QToolButton()
        self.help_button.setObjectName("diagnosisHelp")
        self.help_button.setText("?")
        self.help_button.setCheckable(True)
        self.help_button.setToolTip("The doctor's thresholds and their sources (docs/DOCTOR.md):\n" + D.help_text())
        self.help_button.toggled.connect(self._show_selected)
        head.addWidget(self.help_button)
        left.addLayout(head)
        self.list = QListWidget()
        self.list.setObjectName("diagnosisList")
        self.list.setFixedHeight(58)
        self.list.setMinimumWidth(200)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.ElideRight)  # the whole line is in the item's tooltip
        self.list.currentRowChanged.connect(lambda _row: self._show_selected())
        left.addWidget(self.list)
        root.addLayout(left, 2)
        right = QVBoxLayout()
        right.setSpacing(2)
        self.detail = QLabel("")
        self.detail.setObjectName("diagnosisDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.RichText)
        self.detail.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.detail.setFixedHeight(56)  # about four lines; the rest is in the finding's tooltip
        right.addWidget(self.detail)
        self.button_row = QHBoxLayout()
        self.button_row.setSpacing(4)
        self.buttons: list[QToolButton] = []
        for i in range(MAX_BUTTONS):
            b = QToolButton()
            b.setObjectName(f"diagnosisSuggestion{i}")
            b.setToolButtonStyle(Qt.ToolButtonTextOnly)
            b.clicked.connect(lambda _checked=False, i=i: self._on_button(i))
            b.hide()
            self.button_row.addWidget(b)
            self.buttons.append(b)
        self.button_row.addStretch(1)
        right.addLayout(self.button_row)
        root.addLayout(right, 3)
        self._button_actions: list[tuple[str, D.Suggestion]] = []

    # --- reading the current run -------------------------------------------------------------------------
    def doctor_for(self, run: RunData) -> RunDoctor:
        doc = self.doctors.get(id(run))
        if doc is None:
            doc = self.doctors[id(run)] = RunDoctor(_config_of(run))
        return doc

    def set_run_config(self, run: RunData, config: dict[str, Any]) -> None:
        """The live run's config (from the trainer's start info; a folder run's is read from config.json)."""
        self.doctors[id(run)] = RunDoctor(config)

    def refresh(self, force: bool = False) -> None:
        """Diagnose the current run when it has new rows, samples or evaluations (or when forced)."""
        if not force and not self.isVisible():
            return
        run = self.state.current
        if run is None:
            self._show([], None)
            return
        doc = self.doctor_for(run)
        seen = (run.table.rows, len(run.samples), len(run.evals), getattr(run.follower, "bad_lines", 0))
        if force or seen != doc.seen or doc.pending:
            doc.seen = seen
            doc.findings = D.diagnose(doc.evidence(run))
        self._show(doc.findings, run)

    def _show(self, findings: list[D.Finding], run: RunData | None) -> None:
        keep = self.list.currentRow()
        same = [f.rule for f in findings] == [f.rule for f in self.findings]
        self.findings = findings
        self._run = run
        self.list.blockSignals(True)
        self.list.clear()
        for f in findings:
            at = f" · step {f.step}" if f.step is not None else ""
            item = QListWidgetItem(f"{SEVERITY_MARK.get(f.severity, '')} {f.title}{at}")
            item.setToolTip(f"{f.title}{at}: {f.evidence}")
            item.setData(Qt.UserRole, f.rule)
            self.list.addItem(item)
        self.list.setCurrentRow(keep if same and 0 <= keep < len(findings) else (0 if findings else -1))
        self.list.blockSignals(False)
        bad = sum(f.severity in ("error", "warning") for f in findings)
        self.title.setText("<b>Diagnosis</b>" + (f": {bad} problem{'s' if bad != 1 else ''}" if bad else
                                                  (": healthy" if findings and findings[-1].rule == "healthy" else "")))
        self._draw_markers(findings, run)
        self._show_selected()

    def selected(self) -> D.Finding | None:
        row = self.list.currentRow()
        return self.findings[row] if 0 <= row < len(self.findings) else None

    def _show_selected(self, *_args) -> None:
        f = self.selected()
        if self.help_button.isChecked():
            self.detail.setText("<br>".join(_escape(line) for line in D.help_text().splitlines()))
        elif f is None:
            self.detail.setText("No run to read." if self.state.current is None else "")
        else:
            self.detail.setText(f"{_escape(f.evidence)}<br><i>{_escape(f.meaning)}</i>")
        self._set_buttons(f)

    def _set_buttons(self, f: D.Finding | None) -> None:
        run = getattr(self, "_run", None)
        live = run is not None and run is self.state.live_run and run.live
        self._button_actions = []
        for s in (f.suggestions if f is not None else ())[:MAX_BUTTONS]:
            self._button_actions.append(("live" if (s.live and live) else "new", s))
        for i, b in enumerate(self.buttons):
            if i < len(self._button_actions):
                kind, s = self._button_actions[i]
                short = s.as_set().split(".", 1)[-1]
                b.setText(("Apply " if kind == "live" else "New run: ") + short)
                b.setToolTip(f"{s.why}: {s.as_set()}" + (
                    " — applied to the running trainer now" if kind == "live" else
                    " — fills the Train form with this run's settings and this change"))
                b.show()
            else:
                b.hide()

    def _on_button(self, i: int) -> None:
        if i >= len(self._button_actions):
            return
        kind, s = self._button_actions[i]
        if kind == "live":
            self.liveChangeRequested.emit(s.key, s.value)
        else:
            doc = self.doctors.get(id(self._run)) if self._run is not None else None
            self.newRunRequested.emit(dict(doc.config) if doc is not None else {}, [s.as_set()])

    # --- markers on the plots ------------------------------------------------------------------------------
    def _draw_markers(self, findings: list[D.Finding], run: RunData | None) -> None:
        for plot, line in self.markers:
            plot.removeItem(line)
        self.markers = []
        if self.plots_host is None or run is None:
            return
        for f in findings:
            if f.step is None or f.metric is None or f.severity == "ok":
                continue
            key = self.plots_host.plot_for(f.metric) or self.plots_host.plot_for("d_loss")
            plot = self.plots_host.plots.get(key) if key else None
            if plot is None:
                continue
            x = self.marker_x(run, f.step)
            if x is None:
                continue
            line = pg.InfiniteLine(pos=x, angle=90, movable=False,
                                   pen=pg.mkPen(MARKER_COLOR.get(f.severity, "#e0524a"), width=1, style=Qt.DashLine),
                                   label=f.rule, labelOpts={"position": 0.9, "color": MARKER_COLOR.get(f.severity)})
            line.finding = f
            plot.addItem(line)
            self.markers.append((plot, line))

    def marker_x(self, run: RunData, step: int) -> float | None:
        """Where a step lies on the plots' x axis (the step itself, or its wall time)."""
        if self.state.x_mode == "step":
            return float(step)
        steps, wall = run.table.get("step"), run.table.get("wall_time")
        if steps is None or wall is None or not len(steps):
            return None
        i = int(np.nanargmin(np.abs(steps - step)))
        return float(wall[i]) if np.isfinite(wall[i]) else None

    def shutdown(self) -> None:
        self._timer.stop()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
