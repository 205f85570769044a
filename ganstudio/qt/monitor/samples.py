"""The Monitor's sample pane: the sample grid of image runs or the 2-D view of toy runs, with the history
slider that scrubs the saved samples (at its right end it follows the newest), and Compare, which shows the
ticked runs' samples side by side at the global step.

Given a `MonitorState`, the pane shows its current run's saved sample at the state's sample index (the
newest saved at or before the global step) and the slider moves the global step to a sample's step; without
one it shows what it is given. Samples kept as files are read when shown, through a small cache
(`SampleFiles`, which also decodes the neighbours of the shown preview ahead of the slider), so a long
history costs no memory. The 2-D view itself is `toy_view.ToyView`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QStackedWidget, QVBoxLayout, QWidget

from ganstudio.core.train.monitor_state import MonitorState, RunData, read_toy_field
from ganstudio.qt.monitor.toy_view import ToyView

log = logging.getLogger(__name__)

TOY_LAYERS = (("heat", "D heat map"), ("real", "real"), ("fake", "generated"), ("arrows", "G's gradient"))


def read_sample_file(path: Path) -> dict[str, Any] | None:
    try:
        if path.suffix == ".npy":
            return {"points": np.load(path, allow_pickle=False), **read_toy_field(path)}
        from PIL import Image

        with Image.open(path) as im:
            return {"grid": np.asarray(im.convert("RGB"))}
    except (OSError, ValueError) as exc:
        log.warning("cannot read sample file %s: %s", path, exc)
        return None


CACHE_SIZE = 48  # decoded sample files kept for scrubbing back and forth (a few MB of grids)
READ_AHEAD = 4  # previews decoded ahead on each side of the one shown, for the step slider's next move


class SampleFiles:
    """Decoded sample files, the CACHE_SIZE most recently used kept, and reading ahead of the step slider.

    A 530 px preview PNG takes ~10 ms to decode on a 2-core CPU, most of a frame: while the user looks at one
    preview, a reader thread decodes its neighbours (PIL decodes without holding the GIL), so the slider's
    next move finds its picture decoded. The reader lives only while it has files to read, so nothing runs
    when the Monitor is idle; `shutdown` stops and joins it.
    """

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._lock = threading.Condition()
        self._decoded: OrderedDict[Path, dict[str, Any]] = OrderedDict()
        self._wanted: list[Path] = []  # to read ahead, nearest the shown one first
        self._reading: Path | None = None
        self._reader: threading.Thread | None = None
        self._reader_running = False

    def load(self, payload: Any) -> dict[str, Any] | None:
        """A saved sample as a payload dict: given as one, or its file's decoded contents."""
        if not isinstance(payload, Path):
            return payload
        with self._lock:
            while self._reading == payload:  # the reader has it in hand: wait for it, not decode it twice
                self._lock.wait(timeout=5.0)
            hit = self._decoded.get(payload)
            if hit is not None:
                self._decoded.move_to_end(payload)
                return hit
        loaded = read_sample_file(payload)
        if loaded is not None:
            with self._lock:
                self._keep(payload, loaded)
        return loaded

    def read_ahead(self, paths: list[Any]) -> None:
        """Decode these sample files in the background, in this order (what was asked before is dropped)."""
        with self._lock:
            self._wanted = [p for p in paths if isinstance(p, Path) and p not in self._decoded]
            if not self._wanted or self._reader_running:
                return
            self._reader_running = True
            self._reader = threading.Thread(target=self._read, name="ganstudio-sample-reader", daemon=True)
            self._reader.start()

    def cached(self, path: Path) -> bool:
        with self._lock:
            return path in self._decoded

    def shutdown(self) -> None:
        with self._lock:
            self._wanted = []
            reader = self._reader
        if reader is not None:
            reader.join()

    def _read(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._reader_running = False
                    return
                path = self._reading = self._wanted.pop(0)
            loaded = read_sample_file(path)
            with self._lock:
                if loaded is not None:
                    self._keep(path, loaded)
                self._reading = None
                self._lock.notify_all()

    def _keep(self, path: Path, loaded: dict[str, Any]) -> None:
        self._decoded[path] = loaded
        self._decoded.move_to_end(path)
        while len(self._decoded) > self.size:
            self._decoded.popitem(last=False)


def around(samples: list[tuple[int, Any]], index: int, radius: int = READ_AHEAD) -> list[Any]:
    """The payloads of the samples next to `index`, nearest first (after, then before, at each distance)."""
    out = []
    for d in range(1, radius + 1):
        for i in (index + d, index - d):
            if 0 <= i < len(samples):
                out.append(samples[i][1])
    return out


class CompareView(pg.GraphicsLayoutWidget):
    """The ticked runs' samples side by side (`compareView`), each titled with its run and the step it
    shows: grids as images, 2-D toys as their generated points (and the real ones)."""

    def __init__(self, files: SampleFiles | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("compareView")
        self.files = files if files is not None else SampleFiles()
        self.shown: list[tuple[str, int | None]] = []  # (run name, step shown; None: no sample yet)
        self._layout_key: tuple | None = None  # the runs and what each cell holds, as last laid out
        self._cells: list[dict[str, Any]] = []

    def show_runs(self, items: list[tuple[RunData, int | None, Any]], step: int | None) -> None:
        """Show each run's sample at `step`. Moving the step with the same runs only sets the new pictures
        and titles: laying the cells out again (view boxes, their menus) cost ~40 ms a run."""
        loaded = [(run, shown_step, (self.files.load(payload) or {}) if shown_step is not None else {})
                  for run, shown_step, payload in items]
        key = tuple((id(run), _cell_kind(shown_step, data)) for run, shown_step, data in loaded)
        if key != self._layout_key:
            self._lay_out(loaded, step)
            self._layout_key = key
        self.shown = []
        for cell, (run, shown_step, data) in zip(self._cells, loaded):
            self.shown.append((run.name, shown_step))
            if shown_step is None:
                cell["title"].setText(f"{run.name}: no sample by step {step}", color=run.color, size="8pt")
                continue
            cell["title"].setText(f"{run.name} · step {shown_step}", color=run.color, size="8pt")
            if "grid" in data:
                grid = np.asarray(data["grid"])
                cell["image"].setImage(grid, autoLevels=False, levels=(0, 255))
                if grid.shape != cell.get("shape"):
                    cell["shape"] = grid.shape
                    cell["view"].autoRange(padding=0.01)
            elif "points" in data:
                cell["fake"].setData(pos=np.asarray(data["points"], dtype=np.float64))

    def _lay_out(self, loaded, step) -> None:
        self.clear()
        self._cells = []
        columns = max(1, min(3, len(loaded)))
        if not loaded:
            self.addLabel("Tick two or more runs to compare their samples.", color="#9aa0a8")
        for i, (run, shown_step, data) in enumerate(loaded):
            if i and i % columns == 0:
                self.nextRow()
            layout = self.addLayout()
            cell: dict[str, Any] = {"title": layout.addLabel("", color=run.color, size="8pt")}
            self._cells.append(cell)
            kind = _cell_kind(shown_step, data)
            if kind == "grid":
                layout.nextRow()
                vb = cell["view"] = layout.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
                cell["image"] = pg.ImageItem(axisOrder="row-major")
                vb.addItem(cell["image"])
            elif kind == "points":
                layout.nextRow()
                plot = layout.addPlot()
                plot.setAspectLocked(True)
                plot.hideButtons()
                plot.setMenuEnabled(False)
                if run.real_points is not None:
                    plot.addItem(pg.ScatterPlotItem(pos=np.asarray(run.real_points, dtype=np.float64), size=2,
                                                    pen=None, brush=pg.mkBrush(123, 211, 137, 90)))
                cell["fake"] = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(199, 125, 255, 220))
                plot.addItem(cell["fake"])
                if run.bounds is not None:
                    xmin, xmax, ymin, ymax = run.bounds
                    plot.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.02)


def _cell_kind(shown_step: int | None, data: dict[str, Any]) -> str:
    if shown_step is None:
        return "none"
    return "grid" if "grid" in data else "points" if "points" in data else "unreadable"


class SampleGridView(pg.GraphicsLayoutWidget):
    """The sample grid of the fixed latent batch, shown pixel-exact and aspect-locked."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sampleGrid")
        self.view = self.addViewBox(lockAspect=True, invertY=True, enableMouse=True)
        self.view.setMenuEnabled(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self.step: int | None = None
        self._shape = None

    def show_grid(self, grid: np.ndarray, step: int | None = None) -> None:
        self.step = step
        self.image_item.setImage(np.asarray(grid), autoLevels=False, levels=(0, 255))
        if grid.shape != self._shape:
            self._shape = grid.shape
            self.view.autoRange(padding=0.01)

    def clear_grid(self) -> None:
        self.image_item.clear()
        self.step = None


class SamplePane(QWidget):
    """Title, the stack (empty text | `sampleGrid` | `toyView`), the toy layer boxes and the history row."""

    def __init__(self, state: MonitorState | None = None, parent=None):
        super().__init__(parent)
        self.state = state
        self._shown: tuple[int, int, int] | None = None  # (run, index, step) on screen: not read again
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Samples")
        self.title.setProperty("muted", True)
        layout.addWidget(self.title)
        self.stack = QStackedWidget()
        self.empty = QLabel("Samples of the fixed latent batch appear here while a run trains.")
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setProperty("muted", True)
        self.grid = SampleGridView()
        self.toy_view = ToyView()
        self.files = SampleFiles()
        self.compare_view = CompareView(self.files)
        for w in (self.empty, self.grid, self.toy_view, self.compare_view):
            self.stack.addWidget(w)
        self.stack.setMinimumSize(300, 300)
        layout.addWidget(self.stack, 1)
        self.toy_layers = QWidget()
        layers = QHBoxLayout(self.toy_layers)
        layers.setContentsMargins(0, 0, 0, 0)
        self.layer_boxes: dict[str, QCheckBox] = {}
        for layer, text in TOY_LAYERS:
            cb = QCheckBox(text)
            cb.setObjectName(f"toyLayer-{layer}")
            cb.setChecked(True)
            cb.toggled.connect(lambda on, l=layer: self.toy_view.set_layer_visible(l, on))
            layers.addWidget(cb)
            self.layer_boxes[layer] = cb
        layers.addStretch(1)
        layout.addWidget(self.toy_layers)
        history = QHBoxLayout()
        self.history_slider = QSlider(Qt.Horizontal)
        self.history_slider.setObjectName("sampleHistorySlider")
        self.history_slider.setToolTip("Scrub through the samples saved so far; at the right end it follows the newest.")
        self.history_slider.setRange(0, 0)
        self.history_label = QLabel("no samples yet")
        self.history_label.setObjectName("sampleStepLabel")
        self.history_label.setMinimumWidth(110)
        self.compare_check = QCheckBox("Compare")
        self.compare_check.setObjectName("compareCheck")
        self.compare_check.setToolTip("The ticked runs' samples side by side, each the newest saved at or before the "
                                      "Monitor's step (its step is in its title).")
        history.addWidget(self.history_slider, 1)
        history.addWidget(self.history_label)
        history.addWidget(self.compare_check)
        layout.addLayout(history)
        if state is not None:
            self.history_slider.valueChanged.connect(state.scrub_samples)
            self.compare_check.toggled.connect(state.set_compare)
            state.events.current.connect(lambda _run: self.show_current(force=True))
            state.events.sample_index.connect(lambda _index: self.show_current())
            state.events.compare.connect(self._on_compare)
            state.events.step.connect(lambda _step: self.refresh_compare())
            state.events.visible.connect(lambda _run: self.refresh_compare())
            state.events.samples.connect(lambda run: run.visible and self.refresh_compare())
            state.events.removed.connect(lambda _run, _index: self.refresh_compare())
            self.show_current_kind()
        else:
            self.compare_check.setVisible(False)

    def show_kind(self, toy: bool, empty: bool) -> None:
        """The 2-D view for toy runs (even before a sample), else the grid, or the empty text."""
        self.toy_layers.setVisible(toy)
        if toy:
            self.stack.setCurrentWidget(self.toy_view)
        elif empty:
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.grid)
        self.title.setText("Generator vs data (2-D)" if toy else "Samples of the fixed latent batch")

    def set_history(self, n: int, follow: bool, position: int | None = None) -> None:
        """`n` saved samples; `follow` moves the slider to the newest, else to `position` when given (the
        sample the global step shows). Emits no valueChanged."""
        self.history_slider.blockSignals(True)
        self.history_slider.setRange(0, max(0, n - 1))
        if follow:
            self.history_slider.setValue(max(0, n - 1))
        elif position is not None:
            self.history_slider.setValue(position)
        self.history_slider.blockSignals(False)

    def reset_toy(self, bounds, real_points) -> None:
        """A toy run newly shown: its plot bounds and real points."""
        self.toy_view.bounds = None
        if bounds is not None:
            self.toy_view.set_bounds(bounds)
        self.toy_view.set_real_points(real_points)

    def show_payload(self, payload: dict[str, Any], step: int) -> None:
        """A saved sample: {"grid": uint8 HxWx3} for image runs, {"points": ...} (a 2-D state) for toys."""
        if "grid" in payload:
            self.grid.show_grid(payload["grid"], step)
        elif "points" in payload:
            self.toy_view.show_state(payload, step)
            self._say_missing_layers(payload)

    def _say_missing_layers(self, payload: dict[str, Any]) -> None:
        """D's heat map and G's gradient exist only where the preview kept them: say so, never a dead box."""
        for layer, key, text in (("heat", "field", "D's output over the plane"),
                                 ("arrows", "arrow_points", "G's gradient at the generated points")):
            box = self.layer_boxes[layer]
            have = payload.get(key) is not None
            box.setEnabled(have)
            box.setToolTip(f"Show {text}." if have else
                           f"This preview has no {text}: its run folder keeps only the points (it was written "
                           "by an older GAN Studio, or its .field.npz file is missing or unreadable).")

    # --- the state's current run ----------------------------------------------------------------------
    def show_current_kind(self) -> None:
        run = self.state.current
        self.show_kind(toy=run is not None and run.task == "toy", empty=run is None or not run.samples)
        if self.state.compare:
            self.toy_layers.setVisible(False)
            self.stack.setCurrentWidget(self.compare_view)
            self.title.setText("Ticked runs at " + (f"step {self.state.step}" if self.state.step is not None
                                                     else "their newest samples"))

    def _on_compare(self, on: bool) -> None:
        if self.compare_check.isChecked() != on:
            self.compare_check.blockSignals(True)
            self.compare_check.setChecked(on)
            self.compare_check.blockSignals(False)
        self.refresh_compare()
        self.show_current(force=True)

    def refresh_compare(self) -> None:
        """The ticked runs side by side at the global step (only while Compare is on)."""
        if self.state is None or not self.state.compare:
            return
        shown = {id(run): (step, payload) for run, step, payload in self.state.samples_at_step()}
        items = [(run, *shown.get(id(run), (None, None))) for run in self.state.visible_runs()]
        self.compare_view.show_runs(items, self.state.step)
        self.show_current_kind()
        nearby = []
        for run in self.state.visible_runs():
            index = run.sample_index_at(self.state.step)
            if index is not None:
                nearby.append(around(run.samples, index))
        self.files.read_ahead([p for ring in zip_longest(*nearby) for p in ring if p is not None])  # nearest first

    def shutdown(self) -> None:
        self.files.shutdown()

    def show_current(self, force: bool = False) -> None:
        """The current run's sample at the state's index; `force`: a run newly shown (toy bounds and real
        points again, the sample even if it is the one on screen)."""
        state, run = self.state, self.state.current
        self.show_current_kind()
        index = state.shown_sample_index()
        self.set_history(state.sample_count, follow=state.follows_newest, position=index)
        if run is not None and run.task == "toy" and force:
            self.reset_toy(run.bounds, run.real_points)
        if index is None:
            self.history_label.setText("no samples yet")
            return
        step, payload = run.samples[index]
        if not force and self._shown == (id(run), index, step):
            return
        self._shown = (id(run), index, step)
        payload = self.files.load(payload)
        if not state.compare:  # Compare reads ahead for every ticked run
            self.files.read_ahead(around(run.samples, index))
        if payload is None:
            return
        newest = " (newest)" if index == len(run.samples) - 1 else ""
        if state.step is not None and step > state.step:
            newest = " (its first)"
        self.history_label.setText(f"step {step}{newest}")
        self.show_payload(payload, step)
