"""Line charts drawn with PIL, for `ganstudio lab NAME --png` (no Qt and no plotting library needed).

A `Chart` collects lines and point clouds; `render([charts], columns)` draws them side by side with axes,
tick labels, a title and a legend, as an (H, W, 3) uint8 picture for `imaging.save_png`. NaN breaks a line;
infinities and values beyond `ylim` are drawn on the chart's edge (an infinite KL runs along the top).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COLORS = {"blue": (31, 119, 180), "orange": (255, 127, 14), "green": (44, 160, 44), "red": (214, 39, 40),
          "purple": (148, 103, 189), "brown": (140, 86, 75), "pink": (227, 119, 194), "grey": (127, 127, 127),
          "olive": (188, 189, 34), "cyan": (23, 190, 207), "black": (20, 20, 20)}
PALETTE = tuple(COLORS)


@dataclass
class Chart:
    title: str
    xlabel: str = ""
    ylabel: str = ""
    ylim: tuple[float, float] | None = None
    xlim: tuple[float, float] | None = None
    equal: bool = False  # same scale on both axes (trajectories, point clouds)
    items: list = field(default_factory=list)

    def line(self, x, y, label: str = "", color: str | None = None, dashed: bool = False, width: int = 2) -> "Chart":
        self.items.append(("line", np.asarray(x, float), np.asarray(y, float), label, self._color(color), dashed, width))
        return self

    def points(self, x, y, label: str = "", color: str | None = None, size: int = 2) -> "Chart":
        self.items.append(("points", np.asarray(x, float), np.asarray(y, float), label, self._color(color), False, size))
        return self

    def _color(self, color):
        return COLORS[color or PALETTE[len(self.items) % len(PALETTE)]]

    def bounds(self):
        xs = np.concatenate([i[1][np.isfinite(i[1]) & np.isfinite(i[2])] for i in self.items] or [np.zeros(1)])
        ys = np.concatenate([i[2][np.isfinite(i[1]) & np.isfinite(i[2])] for i in self.items] or [np.zeros(1)])
        x0, x1 = self.xlim or (float(xs.min()) if xs.size else 0.0, float(xs.max()) if xs.size else 1.0)
        y0, y1 = self.ylim or (float(ys.min()) if ys.size else 0.0, float(ys.max()) if ys.size else 1.0)
        if x1 - x0 < 1e-12:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if y1 - y0 < 1e-12:
            y0, y1 = y0 - 0.5, y1 + 0.5
        if self.ylim is None:
            pad = 0.05 * (y1 - y0)
            y0, y1 = y0 - pad, y1 + pad
        return x0, x1, y0, y1


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round values from lo to hi (about n of them); -0 is 0."""
    step = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(step))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= step), default=mag * 10)
    first = np.ceil(lo / step) * step
    return [float(v) if abs(v) > step * 1e-9 else 0.0 for v in np.arange(first, hi + step * 1e-6, step)]


def _draw_chart(draw, font, chart: Chart, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    pl, pt, pr, pb = left + 52, top + 24, right - 10, bottom - 34
    if chart.equal:
        x0, x1, y0, y1 = chart.bounds()
        span = max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        side = min(pr - pl, pb - pt)
        pl, pr = (pl + pr - side) // 2, (pl + pr + side) // 2
        pt, pb = (pt + pb - side) // 2, (pt + pb + side) // 2
        x0, x1, y0, y1 = cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2
    else:
        x0, x1, y0, y1 = chart.bounds()
    draw.text((left + 6, top + 4), chart.title, fill=(0, 0, 0), font=font)
    draw.rectangle((pl, pt, pr, pb), outline=(90, 90, 90))
    sx = lambda v: pl + (v - x0) / (x1 - x0) * (pr - pl)  # noqa: E731
    sy = lambda v: pb - (v - y0) / (y1 - y0) * (pb - pt)  # noqa: E731
    for t in _ticks(x0, x1):
        draw.line((sx(t), pb, sx(t), pb + 4), fill=(90, 90, 90))
        draw.text((sx(t) - 12, pb + 6), f"{t:g}", fill=(60, 60, 60), font=font)
    for t in _ticks(y0, y1):
        draw.line((pl - 4, sy(t), pl, sy(t)), fill=(90, 90, 90))
        draw.line((pl + 1, sy(t), pr - 1, sy(t)), fill=(232, 232, 232))
        draw.text((left + 4, sy(t) - 6), f"{t:.3g}", fill=(60, 60, 60), font=font)
    draw.text(((pl + pr) // 2 - 3 * len(chart.xlabel), pb + 20), chart.xlabel, fill=(0, 0, 0), font=font)
    if chart.ylabel:
        draw.text((pl + 4, pt + 2), chart.ylabel, fill=(60, 60, 60), font=font)
    for kind, x, y, _label, color, dashed, width in chart.items:
        x_px, y_px = sx(x), sy(np.clip(y, y0 - (y1 - y0), y1 + (y1 - y0)))
        ok = np.isfinite(x_px) & np.isfinite(y_px)
        if kind == "points":
            for px, py in zip(x_px[ok], y_px[ok]):
                if pl <= px <= pr and pt <= py <= pb:
                    draw.ellipse((px - width, py - width, px + width, py + width), fill=color)
            continue
        run: list[tuple[float, float]] = []
        segments = []
        for px, py, good in zip(x_px, y_px, ok):
            if good:
                run.append((float(np.clip(px, pl, pr)), float(np.clip(py, pt, pb))))
            elif run:
                segments.append(run)
                run = []
        segments.append(run)
        for seg in segments:
            if dashed:
                for i in range(0, len(seg) - 1, 2):
                    draw.line(seg[i:i + 2], fill=color, width=width)
            elif len(seg) > 1:
                draw.line(seg, fill=color, width=width)
    labels = [(i[3], i[4]) for i in chart.items if i[3]]
    for k, (label, color) in enumerate(labels):
        ly = pt + 6 + 13 * k
        draw.rectangle((pr - 150, ly + 3, pr - 140, ly + 9), fill=color)
        draw.text((pr - 136, ly), label[:24], fill=(0, 0, 0), font=font)


def render(charts: list[Chart], columns: int = 2, cell: tuple[int, int] = (420, 300)) -> np.ndarray:
    """The charts on a white picture, `columns` per row; (H, W, 3) uint8."""
    from PIL import Image, ImageDraw, ImageFont

    columns = max(1, min(columns, len(charts)))
    rows = (len(charts) + columns - 1) // columns
    img = Image.new("RGB", (cell[0] * columns, cell[1] * rows), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for i, chart in enumerate(charts):
        r, c = divmod(i, columns)
        _draw_chart(draw, font, chart, (c * cell[0], r * cell[1], (c + 1) * cell[0], (r + 1) * cell[1]))
    return np.asarray(img, dtype=np.uint8)
