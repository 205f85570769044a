"""A live view of a 2-D GAN in the spirit of GAN Lab (Kahng et al. 2018).

Layers, bottom to top: the discriminator's output over the plane as a heat map (green where D says
"real", purple where it says "fake"), the real points, the generated points, and the direction in which
the generator's loss pushes each generated point (short line segments).
"""

from __future__ import annotations

import logging

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

log = logging.getLogger(__name__)

REAL_COLOR = (123, 211, 137)
FAKE_COLOR = (199, 125, 255)
ARROW_COLOR = (240, 240, 240, 170)


def discriminator_colormap() -> pg.ColorMap:
    # Muted ends so that the points drawn on top stay readable.
    return pg.ColorMap(
        pos=[0.0, 0.5, 1.0],
        color=[(74, 36, 110), (30, 32, 38), (28, 92, 52)],
    )


class ToyView(pg.PlotWidget):
    """Real points, generated points, D's heat map and G's gradient field for 2-D toy data."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("toyView")
        self.setAspectLocked(True)
        self.setMenuEnabled(False)
        self.getPlotItem().hideButtons()
        self.showGrid(x=False, y=False)
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat.setColorMap(discriminator_colormap())
        self.heat.setZValue(-10)
        self.addItem(self.heat)
        self.real = pg.ScatterPlotItem(size=3, pen=None, brush=pg.mkBrush(*REAL_COLOR, 110), name="real data")
        self.fake = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*FAKE_COLOR, 230), name="generated")
        self.arrows = pg.PlotDataItem(pen=pg.mkPen(ARROW_COLOR, width=1), connect="pairs", name="G's gradient")
        for item in (self.real, self.fake, self.arrows):
            self.addItem(item)
        legend = self.addLegend(offset=(8, 8), labelTextSize="8pt")
        legend.addItem(self.real, "real data")
        legend.addItem(self.fake, "generated")
        legend.addItem(self.arrows, "G's gradient")
        self.bounds: tuple[float, float, float, float] | None = None
        self.step: int | None = None
        self.hidden_layers: set[str] = set()  # the user's unticked layers: a new preview must not show them

    # --- layers ---------------------------------------------------------------------------------------
    def set_bounds(self, bounds) -> None:
        xmin, xmax, ymin, ymax = (float(b) for b in bounds)
        if self.bounds != (xmin, xmax, ymin, ymax):
            self.bounds = (xmin, xmax, ymin, ymax)
            self.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.02)

    def set_real_points(self, points: np.ndarray | None) -> None:
        if points is None:
            self.real.clear()
            return
        pts = np.asarray(points, dtype=np.float64)
        self.real.setData(pos=pts)
        if self.bounds is None and len(pts):
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            pad = 0.15 * (hi - lo).max()
            self.set_bounds((lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad))

    def show_state(self, data: dict, step: int | None = None) -> None:
        """Show one 'samples' payload: points, and when present field / bounds / arrows."""
        self.step = step
        if "bounds" in data:
            self.set_bounds(data["bounds"])
        points = data.get("points")
        if points is not None:
            self.fake.setData(pos=np.asarray(points, dtype=np.float64))
        field = data.get("field")
        if field is not None and self.bounds is not None:
            field = np.asarray(field, dtype=np.float32)
            lo, hi = float(np.nanmin(field)), float(np.nanmax(field))
            if 0.0 <= lo and hi <= 1.0:
                levels = (0.0, 1.0)  # probabilities: 0.5 is "can't tell"
            else:
                m = float(np.nanpercentile(np.abs(field), 98)) or 1.0
                levels = (-m, m)  # raw critic scores: centre on 0
            xmin, xmax, ymin, ymax = self.bounds
            self.heat.setImage(field, autoLevels=False, levels=levels)
            self.heat.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
            self.heat.setVisible("heat" not in self.hidden_layers)
        elif field is None:
            self.heat.hide()
        self._set_arrows(data.get("arrow_points"), data.get("arrow_dirs"), data.get("arrow_mags"))

    def _set_arrows(self, points, dirs, mags) -> None:
        if points is None or dirs is None or self.bounds is None:
            self.arrows.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64)
        dirs = np.asarray(dirs, dtype=np.float64)
        mags = np.ones(len(points)) if mags is None else np.asarray(mags, dtype=np.float64)
        top = float(np.nanmax(mags)) if len(mags) else 1.0
        span = max(self.bounds[1] - self.bounds[0], self.bounds[3] - self.bounds[2])
        # Length shows relative strength, but even weak pushes stay visible.
        length = 0.07 * span * (0.25 + 0.75 * np.sqrt(mags / top if top > 0 else mags))
        ends = points + dirs * length[:, None]
        xy = np.empty((2 * len(points), 2))
        xy[0::2], xy[1::2] = points, ends
        self.arrows.setData(xy[:, 0], xy[:, 1])

    def set_layer_visible(self, layer: str, visible: bool) -> None:
        (self.hidden_layers.discard if visible else self.hidden_layers.add)(layer)
        {"heat": self.heat, "real": self.real, "fake": self.fake, "arrows": self.arrows}[layer].setVisible(visible)
