"""Procedural landscapes: seeded numpy/PIL paintings that give the bundled models something to learn.

`render_scene(seed, size)` paints one landscape, uint8 (size, size, 3), the same picture for the same
seed on every machine. Each scene draws, from back to front:

    sky        vertical gradient for day, dusk or night, with clouds, stars at night
    sun/moon   a disc with a glow (low and orange at dusk, a moon at night)
    mountains  one or two ranges of fractal ridges: sharp peaks, a lit and a shaded face per peak,
               rock texture, snow caps on some, paler with distance (aerial perspective)
    hills      rolling ridges with grass texture, conifers or round trees standing on them
    water      on most scenes: a lake whose surface mirrors everything above it, with ripples
    foreground a grassy bank or a meadow, sometimes with a few large trees

Everything is vectorised with numpy over the whole canvas (trees over their bounding boxes) and
painted at twice the requested size, then reduced with a box filter, so edges are anti-aliased:
1000 scenes at 64x64 take a few seconds. `render_scene_folder` writes a folder of PNG files that the
ordinary folder and auto-pairing code reads, which is how the bundled landscape models are trained.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ganstudio.core.errors import ConfigError

__all__ = ["SKIES", "render_scene", "render_scenes", "render_scene_folder", "scene_file_name"]

SKIES = ("day", "dusk", "night")
_SKY_WEIGHTS = (0.55, 0.3, 0.15)
_SUPERSAMPLE = 2
_MIN_SIZE = 16
_MAX_SIZE = 1024


# --- palettes ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Palette:
    sky_top: tuple[float, float, float]
    sky_mid: tuple[float, float, float]
    sky_horizon: tuple[float, float, float]
    light: tuple[float, float, float]  # colour of the light falling on land
    ambient: float  # brightness of land in shadow relative to lit land
    brightness: float  # overall land brightness
    cloud: tuple[float, float, float]
    disc: tuple[float, float, float]  # sun or moon


_PALETTES = {
    "day": _Palette((0.18, 0.40, 0.80), (0.40, 0.62, 0.90), (0.78, 0.88, 0.97), (1.0, 0.97, 0.90), 0.55, 1.0,
                    (0.97, 0.97, 1.0), (1.0, 0.98, 0.86)),
    "dusk": _Palette((0.16, 0.14, 0.38), (0.72, 0.36, 0.42), (1.0, 0.70, 0.36), (1.0, 0.72, 0.50), 0.45, 0.62,
                     (0.98, 0.62, 0.52), (1.0, 0.86, 0.50)),
    "night": _Palette((0.02, 0.03, 0.10), (0.08, 0.11, 0.26), (0.30, 0.35, 0.54), (0.72, 0.80, 1.0), 0.5, 0.4,
                      (0.30, 0.34, 0.45), (0.86, 0.86, 0.80)),
}

_ROCKS = ((0.42, 0.45, 0.54), (0.50, 0.43, 0.37), (0.46, 0.41, 0.50), (0.38, 0.42, 0.40))
_GRASS = ((0.36, 0.56, 0.22), (0.30, 0.50, 0.24), (0.46, 0.58, 0.24), (0.52, 0.54, 0.26))
_CONIFER = ((0.10, 0.26, 0.16), (0.12, 0.30, 0.20), (0.08, 0.22, 0.18))
_LEAVES = ((0.22, 0.44, 0.16), (0.30, 0.50, 0.18), (0.55, 0.50, 0.16), (0.62, 0.36, 0.14))
_WATER = ((0.10, 0.28, 0.45), (0.12, 0.34, 0.42), (0.08, 0.22, 0.38))
_SNOW = np.array((0.96, 0.97, 1.0), np.float32)
_TRUNK = np.array((0.30, 0.20, 0.12), np.float32)


# --- noise -------------------------------------------------------------------------------------------------

def _smoothstep(t: np.ndarray) -> np.ndarray:
    return t * t * (3.0 - 2.0 * t)


def _noise1d(rng: np.random.Generator, x: np.ndarray, cells: int) -> np.ndarray:
    """Smooth value noise in [-1, 1] over x in [0, 1] with `cells` random control values."""
    ctrl = rng.uniform(-1.0, 1.0, cells + 2).astype(np.float32)
    pos = np.clip(x, 0.0, 1.0) * cells
    i = np.minimum(pos.astype(np.int64), cells)
    t = _smoothstep(pos - i)
    return ctrl[i] * (1.0 - t) + ctrl[i + 1] * t


def _fractal1d(rng: np.random.Generator, x: np.ndarray, cells: int, octaves: int, gain: float = 0.5) -> np.ndarray:
    total = np.zeros_like(x, dtype=np.float32)
    amplitude = 1.0
    for _ in range(octaves):
        total += amplitude * _noise1d(rng, x, cells)
        cells *= 2
        amplitude *= gain
    return total


def _noise2d(rng: np.random.Generator, height: int, width: int, cells_y: int, cells_x: int) -> np.ndarray:
    """Smooth value noise in about [-1, 1], (height, width): a random grid enlarged bicubically."""
    grid = rng.uniform(-1.0, 1.0, (cells_y + 1, cells_x + 1)).astype(np.float32)
    image = Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def _fractal2d(rng: np.random.Generator, height: int, width: int, cells: int, octaves: int,
               stretch: float = 1.0, gain: float = 0.5) -> np.ndarray:
    total = np.zeros((height, width), np.float32)
    amplitude = 1.0
    for _ in range(octaves):
        cx = max(1, int(round(cells / stretch)))  # stretch > 1: features wider than tall
        total += amplitude * _noise2d(rng, height, width, cells, cx)
        cells *= 2
        amplitude *= gain
    return total


# --- painting helpers ----------------------------------------------------------------------------------------

def _jitter(rng: np.random.Generator, colour, amount: float) -> np.ndarray:
    return np.clip(np.asarray(colour, np.float32) + rng.uniform(-amount, amount, 3), 0.0, 1.0).astype(np.float32)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _paint(canvas: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> None:
    """Blend `colour` (H, W, 3) or (3,) over the canvas with coverage `mask` (H, W) in [0, 1]."""
    m = mask[..., None]
    canvas *= 1.0 - m
    canvas += m * colour


def _coverage(signed_distance: np.ndarray, px: float) -> np.ndarray:
    """Anti-aliased coverage from a signed distance (negative inside) measured in image units."""
    return np.clip(0.5 - signed_distance / px, 0.0, 1.0)


class _Scene:
    """One landscape being painted; coordinates are in image units (x, y in [0, 1], y down)."""

    def __init__(self, seed: int, size: int, sky: str | None = None):
        self.rng = np.random.default_rng(seed)
        self.n = size * _SUPERSAMPLE
        self.px = 1.0 / self.n
        centres = (np.arange(self.n, dtype=np.float32) + 0.5) / self.n
        self.x = centres[None, :]  # (1, W)
        self.y = centres[:, None]  # (H, 1)
        self.canvas = np.zeros((self.n, self.n, 3), np.float32)
        rng = self.rng
        drawn = SKIES[int(rng.choice(len(SKIES), p=_SKY_WEIGHTS))]  # drawn either way: same stream after it
        self.sky = sky if sky is not None else drawn
        self.pal = _PALETTES[self.sky]
        self.light = np.asarray(self.pal.light, np.float32)
        self.horizon = float(rng.uniform(0.52, 0.68))  # the waterline or the foot of the mountains
        self.has_water = bool(rng.random() < 0.65)
        self.sun_x = float(rng.uniform(0.12, 0.88))
        self.sun_side = 1.0 if self.sun_x > 0.5 else -1.0  # which faces the light falls on
        self.haze = _jitter(rng, self.pal.sky_horizon, 0.04)

    # -- colour of land under this scene's light --
    def lit(self, base: np.ndarray, shade: np.ndarray) -> np.ndarray:
        """Land colour: base (3,) lit by the scene's light; shade (H, W) in [0, 1] (0 = full shadow)."""
        p = self.pal
        factor = p.brightness * (p.ambient + (1.0 - p.ambient) * np.clip(shade, 0.0, 1.2))
        return base[None, None, :] * self.light[None, None, :] * factor[..., None]

    def hazed(self, colour: np.ndarray, amount) -> np.ndarray:
        # Night air hides less: moonlit ranges stay dark against the brighter horizon.
        amount = np.asarray(amount, np.float32) * (0.3 if self.sky == "night" else 1.0)
        if amount.ndim == 2:
            amount = amount[..., None]
        return colour * (1.0 - amount) + self.haze * amount

    # -- layers --
    def paint_sky(self) -> None:
        rng, p, y = self.rng, self.pal, self.y
        top = _jitter(rng, p.sky_top, 0.05)
        mid = _jitter(rng, p.sky_mid, 0.05)
        t = np.clip(y / self.horizon, 0.0, 1.0)
        upper = np.clip(t / 0.55, 0.0, 1.0)[..., None]
        lower = np.clip((t - 0.55) / 0.45, 0.0, 1.0)[..., None]
        sky = top * (1 - upper) + mid * upper
        sky = sky * (1 - lower) + self.haze * lower
        self.canvas[:] = np.broadcast_to(sky, self.canvas.shape)

        if self.sky == "night":
            stars = rng.random((self.n, self.n)) < 0.0015 * (1.0 - t[:, :1].repeat(self.n, 1))
            brightness = rng.uniform(0.4, 1.0, (self.n, self.n)).astype(np.float32)
            self.canvas += (stars * brightness)[..., None] * 0.5

        # Sun or moon: high in the day, low and large at dusk, a pale moon at night.
        if self.sky == "day":
            sy, radius = rng.uniform(0.10, 0.30), rng.uniform(0.035, 0.055)
        elif self.sky == "dusk":
            sy, radius = self.horizon - rng.uniform(0.05, 0.18), rng.uniform(0.055, 0.08)
        else:
            sy, radius = rng.uniform(0.10, 0.28), rng.uniform(0.04, 0.06)
        self.sun_y, self.sun_r = float(sy), float(radius)
        dist = np.sqrt((self.x - self.sun_x) ** 2 + (y - sy) ** 2)
        disc = np.asarray(p.disc, np.float32)
        glow_strength = {"day": 0.35, "dusk": 0.6, "night": 0.18}[self.sky]
        glow = glow_strength * np.exp(-((dist / (radius * 4.0)) ** 2))
        self.canvas += glow[..., None] * disc * 0.8
        if self.sky == "night":  # the moon: a few darker patches (maria)
            maria = _noise2d(rng, self.n, self.n, 24, 24)
            moon = disc * (1.0 - 0.12 * np.clip(maria, 0, 1))[..., None]
        else:
            moon = disc
        _paint(self.canvas, _coverage(dist - radius, self.px), moon)

        # Clouds: stretched fractal noise, thresholded softly, denser towards the horizon band.
        amount = rng.uniform(0.0, 1.0)
        if amount > 0.25:
            noise = _fractal2d(rng, self.n, self.n, 6, 4, stretch=2.5)
            threshold = 0.8 - 0.55 * amount
            cover = np.clip((noise - threshold) * 2.5, 0.0, 1.0) * (y < self.horizon - 0.04)
            cover *= np.clip((self.horizon - 0.04 - y) / 0.12, 0.0, 1.0)
            shade = np.clip(0.85 + 0.25 * _noise2d(rng, self.n, self.n, 6, 12), 0.6, 1.0)
            cloud = _jitter(rng, p.cloud, 0.03)[None, None, :] * shade[..., None]
            _paint(self.canvas, cover * (0.9 if self.sky != "night" else 0.6), cloud)

    def paint_mountains(self) -> None:
        rng = self.rng
        ranges = int(rng.choice([0, 1, 2], p=[0.08, 0.42, 0.5]))
        rock = _jitter(rng, _pick(rng, _ROCKS), 0.04)
        snowy = rng.random() < 0.45
        for layer in range(ranges):
            far = layer == 0 and ranges == 2
            height = rng.uniform(0.18, 0.36) if far else rng.uniform(0.12, 0.3)
            top = self.horizon - height
            self._mountain_range(top, rock, haze=0.55 if far else 0.25, snowy=snowy and (far or rng.random() < 0.6))

    def _mountain_range(self, top: float, rock: np.ndarray, haze: float, snowy: bool) -> None:
        rng, x, y = self.rng, self.x[0], self.y
        base_line = self.horizon + 0.01
        n_peaks = int(rng.integers(2, 5))
        centres = np.sort(rng.uniform(-0.1, 1.1, n_peaks))
        widths = rng.uniform(0.18, 0.42, n_peaks)
        heights = rng.uniform(0.55, 1.0, n_peaks)
        heights[int(rng.integers(n_peaks))] = 1.0
        bumps = heights[:, None] * np.clip(1.0 - np.abs(x[None, :] - centres[:, None]) / widths[:, None], 0.0, 1.0)
        dominant = bumps.argmax(axis=0)
        profile = bumps.max(axis=0)
        detail = _fractal1d(rng, x, 10, 5, gain=0.55)
        profile = profile + 0.09 * detail * (0.3 + profile)
        ridge = base_line - (base_line - top) * np.clip(profile, 0.0, 1.2) - 0.015  # (W,) y of the ridge
        ridge = ridge[None, :]
        inside = _coverage(ridge - y, self.px)  # y below the ridge line is mountain

        # Each peak has a lit and a shaded face, split by a wandering line down from its summit.
        depth = np.clip(y - ridge, 0.0, None)
        wobble = 0.35 * depth * _fractal2d(rng, self.n, self.n, 3, 3)
        split = centres[dominant][None, :] + wobble
        side = np.tanh((x[None, :] - split) / 0.015) * self.sun_side  # +1 lit face, -1 shaded
        gullies = _fractal2d(rng, self.n, self.n, 6, 4, stretch=0.3)
        shade = 0.62 + 0.33 * side + 0.12 * gullies
        colour = self.lit(rock, shade)
        if snowy:
            snow_depth = rng.uniform(0.03, 0.08)
            line = ridge.min() + (base_line - ridge.min()) * 0.35
            edge = np.minimum(ridge + snow_depth, line) + 0.02 * _fractal2d(rng, self.n, self.n, 12, 3)
            snow = np.clip((edge - y) / (2 * self.px) + 0.5, 0.0, 1.0) * (y > ridge - self.px)
            snow_colour = self.lit(_SNOW, 0.72 + 0.3 * side)
            colour = colour * (1 - snow[..., None]) + snow_colour * snow[..., None]
        # Aerial perspective: farther ranges and the feet of the mountains fade into the haze.
        fade = haze + (1 - haze) * 0.5 * np.clip((y - ridge) / max(base_line - top, 1e-3), 0.0, 1.0)
        colour = self.hazed(colour, np.broadcast_to(fade, inside.shape))
        _paint(self.canvas, inside, colour)

    def paint_hills(self, front: bool) -> np.ndarray | None:
        """A ridge of hills standing on the horizon (back) or a foreground bank; returns its top line."""
        rng, x, y = self.rng, self.x[0], self.y
        if front:
            base = 1.02
            level = rng.uniform(0.78, 0.92)
            amplitude = rng.uniform(0.04, 0.12)
        else:
            base = self.horizon + 0.01
            level = self.horizon - rng.uniform(0.03, 0.11)
            amplitude = rng.uniform(0.015, 0.05)
        line = level + amplitude * _fractal1d(rng, x, 3, 3)
        if front:  # a bank that slopes down to one side, leaving water or meadow visible
            side = 1.0 if rng.random() < 0.5 else -1.0
            ramp = np.clip((x - 0.5) * side * 2.0 + rng.uniform(-0.4, 0.6), -1.0, 1.5)
            line = line - 0.18 * ramp
        line = line[None, :]
        inside = _coverage(line - y, self.px) * (y < base)
        grass = _jitter(rng, _pick(rng, _GRASS), 0.05)
        slope = np.gradient(line[0], self.px)[None, :]
        texture = _fractal2d(rng, self.n, self.n, 16, 3)
        shade = 0.78 + 0.35 * np.tanh(-slope * self.sun_side * 0.8) * 0.5 + 0.10 * texture
        shade = shade - 0.25 * np.clip((y - line) / 0.25, 0.0, 1.0)  # darker lower down the slope
        colour = self.lit(grass, shade)
        if not front:
            colour = self.hazed(colour, 0.25)
        _paint(self.canvas, inside, colour)
        return line[0]

    def paint_trees(self, ground: np.ndarray, count: int, scale: float, span: tuple[float, float] = (0.0, 1.0),
                    haze: float = 0.0) -> None:
        """Trees standing on the line `ground` (W,), each `scale` high (image units) give or take."""
        rng = self.rng
        conifers = rng.random() < 0.6
        base_colour = _jitter(rng, _pick(rng, _CONIFER if conifers else _LEAVES), 0.03)
        xs = np.sort(rng.uniform(span[0], span[1], count))
        for cx in xs:
            h = scale * rng.uniform(0.7, 1.3)
            col = int(np.clip(cx * self.n, 0, self.n - 1))
            base_y = ground[col] + h * 0.08
            colour = _jitter(rng, base_colour, 0.03)
            if conifers or rng.random() < 0.15:
                self._conifer(cx, base_y, h, colour, haze)
            else:
                self._round_tree(cx, base_y, h, colour, haze)

    def _box(self, x0, x1, y0, y1):
        c0, c1 = max(int(x0 * self.n) - 1, 0), min(int(x1 * self.n) + 2, self.n)
        r0, r1 = max(int(y0 * self.n) - 1, 0), min(int(y1 * self.n) + 2, self.n)
        return r0, r1, c0, c1

    def _conifer(self, cx: float, base_y: float, h: float, colour: np.ndarray, haze: float) -> None:
        half = h * self.rng.uniform(0.22, 0.3)
        top = base_y - h
        r0, r1, c0, c1 = self._box(cx - half, cx + half, top, base_y)
        if r0 >= r1 or c0 >= c1:
            return
        x = self.x[:, c0:c1]
        y = self.y[r0:r1]
        trunk_top = base_y - h * 0.15
        # Three stacked tiers: each a triangle; the tree is their union (minimum of signed distances).
        dist = np.full((r1 - r0, c1 - c0), np.inf, np.float32)
        for k in range(3):
            t_top = top + k * h * 0.22
            t_bottom = top + h * (0.42 + k * 0.22)
            t_half = half * (0.55 + 0.45 * (k + 1) / 3)
            frac = np.clip((y - t_top) / (t_bottom - t_top), 0.0, 1.0)
            d = np.maximum(np.abs(x - cx) - t_half * frac, np.maximum(t_top - y, y - t_bottom))
            dist = np.minimum(dist, d)
        trunk = np.maximum(np.abs(x - cx) - h * 0.04, np.maximum(trunk_top - y, y - base_y))
        side = np.tanh((x - cx) / (half * 0.4)) * self.sun_side
        shade = 0.65 + 0.35 * side
        region = self.canvas[r0:r1, c0:c1]
        _paint(region, _coverage(trunk, self.px), self.hazed(self.lit(_TRUNK, np.full_like(trunk, 0.7))[..., :], haze))
        _paint(region, _coverage(dist, self.px), self.hazed(self.lit(colour, shade), haze))

    def _round_tree(self, cx: float, base_y: float, h: float, colour: np.ndarray, haze: float) -> None:
        radius = h * self.rng.uniform(0.3, 0.38)
        cy = base_y - h + radius
        r0, r1, c0, c1 = self._box(cx - radius, cx + radius, cy - radius, base_y)
        if r0 >= r1 or c0 >= c1:
            return
        x = self.x[:, c0:c1]
        y = self.y[r0:r1]
        bumps = 0.12 * radius * np.sin(np.arctan2(y - cy, x - cx) * 7.0 + cx * 50.0)
        dist = np.sqrt((x - cx) ** 2 + ((y - cy) * 1.1) ** 2) - radius - bumps
        trunk = np.maximum(np.abs(x - cx) - h * 0.05, np.maximum(cy - y, y - base_y))
        # Light from the sun's side and from above, so the crown looks round.
        shade = 0.7 + 0.3 * ((x - cx) * self.sun_side - (y - cy)) / radius
        region = self.canvas[r0:r1, c0:c1]
        _paint(region, _coverage(trunk, self.px), self.hazed(self.lit(_TRUNK, np.full_like(trunk, 0.7)), haze))
        _paint(region, _coverage(dist, self.px), self.hazed(self.lit(colour, shade), haze))

    def paint_water(self) -> None:
        """Mirror everything above the waterline into the lake, rippled and tinted."""
        rng, n = self.rng, self.n
        row = int(round(self.horizon * n))
        rows = np.arange(row, n)
        mirror = np.clip(2 * row - rows - 1, 0, n - 1)
        depth = (rows - row) / max(n - row, 1)
        ripple = (np.sin(rows * rng.uniform(0.9, 1.4) + rng.uniform(0, 6.3)) * (0.5 + 2.5 * depth)).astype(np.int64)
        cols = np.clip(np.arange(n)[None, :] + ripple[:, None], 0, n - 1)
        reflection = self.canvas[mirror[:, None], cols]
        water = _jitter(rng, _pick(rng, _WATER), 0.03) * self.pal.brightness
        tint = 0.35 + 0.3 * depth[:, None, None]
        surface = reflection * 0.85 * (1 - tint) + water * tint
        streaks = _noise2d(rng, n - row, n, max(4, (n - row) // 2), 3)
        surface = surface * (1.0 + 0.08 * streaks[..., None])
        self.canvas[row:] = surface
        # A thin bright line where the water meets the land.
        self.canvas[row: row + 1] = self.canvas[row: row + 1] * 0.6 + self.haze * 0.4

    def paint_meadow(self) -> None:
        rng, y = self.rng, self.y
        grass = _jitter(rng, _pick(rng, _GRASS), 0.05)
        below = np.clip((y - self.horizon) / self.px + 0.5, 0.0, 1.0) * np.ones_like(self.x)
        texture = _fractal2d(rng, self.n, self.n, 12, 4, stretch=3.0)
        depth = np.clip((y - self.horizon) / (1 - self.horizon), 0.0, 1.0)
        shade = 0.75 + 0.15 * texture + 0.15 * depth
        colour = self.hazed(self.lit(grass, shade * np.ones_like(below)), 0.3 * (1 - depth) * np.ones_like(below))
        _paint(self.canvas, below, colour)

    def render(self) -> np.ndarray:
        rng = self.rng
        self.paint_sky()
        self.paint_mountains()
        back_hills = None
        if rng.random() < 0.7:
            back_hills = self.paint_hills(front=False)
        ground = back_hills if back_hills is not None else np.full(self.n, self.horizon + 0.005, np.float32)
        if rng.random() < 0.75:
            self.paint_trees(ground, int(rng.integers(4, 14)), rng.uniform(0.05, 0.09), haze=0.2)
        if self.has_water:
            self.paint_water()
        else:
            self.paint_meadow()
        if rng.random() < 0.55:
            bank = self.paint_hills(front=True)
            if rng.random() < 0.7:
                lo = 0.0 if rng.random() < 0.5 else 0.35
                self.paint_trees(bank, int(rng.integers(1, 5)), rng.uniform(0.16, 0.3), span=(lo, lo + 0.65))
        grain = rng.normal(0.0, 0.012, self.canvas.shape[:2]).astype(np.float32)
        picture = np.clip(self.canvas + grain[..., None], 0.0, 1.0)
        return picture


# --- public API ----------------------------------------------------------------------------------------

def _check_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not _MIN_SIZE <= int(size) <= _MAX_SIZE:
        raise ConfigError(f"Scene size {size!r} must be a whole number of pixels from {_MIN_SIZE} to {_MAX_SIZE}.")
    return int(size)


def render_scene(seed: int, size: int = 64, sky: str | None = None) -> np.ndarray:
    """One procedural landscape as uint8 (size, size, 3); the same seed always gives the same picture.
    `sky` ("day", "dusk" or "night") forces the time of day instead of drawing it from the seed."""
    size = _check_size(size)
    if sky is not None and sky not in SKIES:
        raise ConfigError(f"Scene sky {sky!r} must be one of {', '.join(SKIES)}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"Scene seed {seed!r} must be a whole number of at least 0.")
    picture = _Scene(int(seed), size, sky).render()
    big = Image.fromarray((picture * 255.0 + 0.5).astype(np.uint8))
    return np.array(big.resize((size, size), Image.BOX), dtype=np.uint8)  # a writable copy


def render_scenes(n: int, size: int = 64, seed: int = 0, sky: str | None = None) -> np.ndarray:
    """Scenes for seeds seed, seed + 1, ..., seed + n - 1 as uint8 (n, size, size, 3)."""
    if n < 0:
        raise ConfigError(f"Number of scenes {n!r} must be at least 0.")
    size = _check_size(size)
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        out[i] = render_scene(seed + i, size, sky)
    return out


def scene_file_name(index: int) -> str:
    return f"scene_{index:05d}.png"


def render_scene_folder(folder: str | os.PathLike, n: int, size: int = 64, seed: int = 0) -> Path:
    """Write scenes for seeds seed .. seed + n - 1 as PNG files scene_00000.png, ... into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(render_scene(seed + i, size)).save(folder / scene_file_name(i))
    return folder
