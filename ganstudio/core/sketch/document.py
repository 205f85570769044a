"""Sketch documents: vector strokes, their raster layers, and the JSON file format (no Qt).

A document is what the Sketch area edits: an optional *base* (the lines and colour hints of an opened
picture, at model resolution) and a list of strokes on top of it. A stroke is vector data: the tool
(`pen` draws lines, `eraser` removes lines and hints, `hint` paints a colour hint), a width in model
pixels, an optional colour, and its points `(x, y, pressure)` in model-pixel coordinates (pixel (i, j)
covers x in [j, j+1), y in [i, i+1)). Because strokes are vectors, one document rasterizes both at
model resolution (what the generator sees) and at an integer multiple of it (what the canvas shows),
and a saved document replays to exactly the same pixels.

Rasterization is one rule, used live and on replay: a stroke is a sequence of *stamps* (a dot at its
first point, then one segment per further point); a stamp covers the pixels whose centre lies within
the stroke radius of the segment (the radius interpolated between the two points' pressures). Each
stamp sets pixels (pen: line on; eraser: line and hint off; hint: colour and mask on), so painting a
stroke point by point while the user draws gives the same layers as replaying it at once.

Layers (`SketchLayers`) are numpy arrays at `size * scale`: `lines` uint8 (H, W) 0/1, `hint_rgb` uint8
(H, W, 3), `hint_mask` uint8 (H, W) 0/1. `to_model_input` of ganstudio.core.translate turns the
model-resolution layers into the generator input through `sketch.strokes_to_sketch_input`, the same
encoding as the auto-paired training data.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ganstudio.core.errors import DataError
from ganstudio.core.imaging import segment_coverage
from ganstudio.core.safe_json import loads_json, read_json
from ganstudio.core.safe_names import check_path_text

FORMAT = "ganstudio-sketch"
FORMAT_VERSION = 1
TOOLS = ("pen", "eraser", "hint")
MODES = ("eval", "reference")
# The smallest radius a stamp gets, in model pixels: a stroke always covers at least one pixel centre
# on its path at model resolution, so a light tablet touch still draws an unbroken line for the model.
MIN_RADIUS = 0.5
# Largest document side the file format accepts (a 4096-pixel model would be far beyond the GPU).
MAX_SIDE = 4096
# What a document file may ask for, checked before anything is inflated or drawn, so that a hostile or
# broken file is refused in milliseconds instead of taking minutes or gigabytes to open:
MAX_DOCUMENT_BYTES = 64 << 20  # a 4096-pixel base compresses to a few MB; long sessions reach ~10 MB
MAX_STROKES = 100_000
MAX_POINTS = 1_000_000  # all strokes together (a 10-minute scribble at 120 Hz is ~70 000)
CANVAS_MARGIN = 32  # points may lie this many canvas sides outside it (a drag may leave the canvas)
SEED_MAX = 2**31 - 1  # the seed boxes' range (session.SEED_LIMIT)
# Pixel visits of all stamps, at the canvas's display scale and at model resolution together (see
# render_work): several seconds of drawing on one core. 2000 points of the widest eraser the canvas
# offers use half of it; the 4096-pixel, 1000-point document of canvas-wide strokes asks for 60 times more.
MAX_RENDER_WORK = 2**28
STAMP_OVERHEAD = 1024  # the fixed cost of one stamp, in pixel visits (numpy calls on a tiny box)


def pressure_factor(pressure: float) -> float:
    """Width multiplier of a point: 1 at full (mouse) pressure, a quarter of the width at none."""
    p = min(max(float(pressure), 0.0), 1.0)
    return 0.25 + 0.75 * p


@dataclass
class Stroke:
    """One drag of a tool. points: (x, y, pressure) in model pixels; width in model pixels."""

    tool: str
    width: float
    points: list[tuple[float, float, float]] = field(default_factory=list)
    color: tuple[int, int, int] | None = None  # hint colour, uint8 RGB

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "width": float(self.width),
            "color": list(self.color) if self.color is not None else None,
            "points": [[float(x), float(y), float(p)] for x, y, p in self.points],
        }

    @classmethod
    def from_json(cls, d: Any, where: str, size: tuple[int, int] = (MAX_SIDE, MAX_SIDE)) -> "Stroke":
        """A stroke of a document of `size` (H, W): its points must lie near that canvas."""
        if not isinstance(d, dict):
            raise DataError(f"{where}: a stroke must be an object, not {type(d).__name__}.")
        tool = d.get("tool")
        if tool not in TOOLS:
            raise DataError(f"{where}: unknown stroke tool {tool!r}; tools are {', '.join(TOOLS)}.")
        try:
            width = float(d.get("width"))
            points = [(float(x), float(y), float(p)) for x, y, p in d.get("points") or []]
        except (TypeError, ValueError):
            raise DataError(f"{where}: stroke width and points must be numbers ([x, y, pressure]).") from None
        if not (math.isfinite(width) and 0 < width <= MAX_SIDE):
            raise DataError(f"{where}: stroke width {width} must be a positive number of pixels.")
        if not points or not all(math.isfinite(v) for pt in points for v in pt):
            raise DataError(f"{where}: a stroke needs at least one point of finite numbers.")
        height, width_px = size
        for x, y, p in points:
            # Far-off points would overflow the pixel arithmetic; a drag leaves the canvas by far less.
            if not (-CANVAS_MARGIN * width_px <= x <= (CANVAS_MARGIN + 1) * width_px
                    and -CANVAS_MARGIN * height <= y <= (CANVAS_MARGIN + 1) * height):
                raise DataError(f"{where}: the point ({x:g}, {y:g}) lies far outside the {width_px}x{height} canvas.")
            if not 0.0 <= p <= 1.0:
                raise DataError(f"{where}: pressure {p:g} must lie between 0 and 1.")
        color = d.get("color")
        if tool == "hint":
            if not (isinstance(color, list) and len(color) == 3
                    and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color)):
                raise DataError(f"{where}: a hint stroke needs a colour [r, g, b] of whole numbers 0-255.")
            color = (int(color[0]), int(color[1]), int(color[2]))
        else:
            color = None
        return cls(tool=tool, width=width, points=points, color=color)


@dataclass
class SketchLayers:
    """Raster layers of a sketch: lines (H, W), hint_rgb (H, W, 3), hint_mask (H, W), all uint8."""

    lines: np.ndarray
    hint_rgb: np.ndarray
    hint_mask: np.ndarray

    @classmethod
    def blank(cls, height: int, width: int) -> "SketchLayers":
        return cls(
            lines=np.zeros((height, width), np.uint8),
            hint_rgb=np.zeros((height, width, 3), np.uint8),
            hint_mask=np.zeros((height, width), np.uint8),
        )

    @property
    def shape(self) -> tuple[int, int]:
        return self.lines.shape  # type: ignore[return-value]

    def copy(self) -> "SketchLayers":
        return SketchLayers(self.lines.copy(), self.hint_rgb.copy(), self.hint_mask.copy())

    def crop(self, box: tuple[int, int, int, int]) -> "SketchLayers":
        """A copy of the pixels inside box (y0, y1, x0, x1)."""
        y0, y1, x0, x1 = box
        return SketchLayers(
            self.lines[y0:y1, x0:x1].copy(), self.hint_rgb[y0:y1, x0:x1].copy(), self.hint_mask[y0:y1, x0:x1].copy()
        )

    def paste(self, box: tuple[int, int, int, int], patch: "SketchLayers") -> None:
        y0, y1, x0, x1 = box
        self.lines[y0:y1, x0:x1] = patch.lines
        self.hint_rgb[y0:y1, x0:x1] = patch.hint_rgb
        self.hint_mask[y0:y1, x0:x1] = patch.hint_mask

    def assign(self, other: "SketchLayers") -> None:
        """Overwrite every pixel with other's (same shape), keeping these arrays (views stay valid)."""
        self.lines[...] = other.lines
        self.hint_rgb[...] = other.hint_rgb
        self.hint_mask[...] = other.hint_mask

    def upscaled(self, scale: int) -> "SketchLayers":
        """Nearest-neighbour enlargement by an integer factor."""
        if scale == 1:
            return self.copy()
        from ganstudio.core.imaging import upscale

        return SketchLayers(upscale(self.lines, scale), upscale(self.hint_rgb, scale), upscale(self.hint_mask, scale))

    def equals(self, other: "SketchLayers") -> bool:
        return (
            np.array_equal(self.lines, other.lines)
            and np.array_equal(self.hint_rgb, other.hint_rgb)
            and np.array_equal(self.hint_mask, other.hint_mask)
        )

    def to_rgb(self, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """What the canvas shows (uint8 (h, w, 3)): black lines over hint colours on white paper, the
        picture `imaging.sketch_input_to_rgb` draws of the generator input."""
        if box is None:
            box = (0, self.shape[0], 0, self.shape[1])
        y0, y1, x0, x1 = box
        lines = self.lines[y0:y1, x0:x1, None].astype(bool)
        hint = self.hint_mask[y0:y1, x0:x1, None].astype(bool)
        picture = np.where(hint, self.hint_rgb[y0:y1, x0:x1], np.uint8(255))
        return np.where(lines, np.uint8(0), picture).astype(np.uint8)


Box = tuple[int, int, int, int]  # y0, y1, x0, x1 (end exclusive)


def union_box(a: Box | None, b: Box | None) -> Box | None:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def stroke_radius(stroke: Stroke, pressure: float) -> float:
    """Radius in model pixels of a stroke at a point of the given pressure."""
    return max(MIN_RADIUS, stroke.width * pressure_factor(pressure) / 2)


def stamp(layers: SketchLayers, stroke: Stroke, index: int, scale: int = 1) -> Box | None:
    """Apply the stamp of point `index` of a stroke (a dot for 0, else the segment from the point
    before) to layers at `scale` times model resolution. Returns the box of pixels it may have changed."""
    x1, y1, p1 = stroke.points[index]
    x0, y0, p0 = stroke.points[index - 1] if index > 0 else stroke.points[index]
    r0, r1 = stroke_radius(stroke, p0) * scale, stroke_radius(stroke, p1) * scale
    found = segment_coverage(layers.shape, (x0 * scale, y0 * scale), (x1 * scale, y1 * scale), r0, r1)
    if found is None:
        return None
    box, covered = found
    top, bottom, left, right = box
    region = (slice(top, bottom), slice(left, right))
    if stroke.tool == "pen":
        layers.lines[region][covered] = 1
    elif stroke.tool == "eraser":
        layers.lines[region][covered] = 0
        layers.hint_mask[region][covered] = 0
        layers.hint_rgb[region][covered] = 0
    else:
        layers.hint_rgb[region][covered] = np.asarray(stroke.color, np.uint8)
        layers.hint_mask[region][covered] = 1
    return box


def stroke_box(stroke: Stroke, shape: tuple[int, int], scale: int = 1) -> Box | None:
    """Box (at scale) of every pixel the stroke may touch, clipped to shape."""
    xs = [p[0] * scale for p in stroke.points]
    ys = [p[1] * scale for p in stroke.points]
    reach = max(stroke_radius(stroke, p[2]) for p in stroke.points) * scale
    top = max(0, int(math.floor(min(ys) - reach - 0.5)))
    bottom = min(shape[0], int(math.ceil(max(ys) + reach + 0.5)) + 1)
    left = max(0, int(math.floor(min(xs) - reach - 0.5)))
    right = min(shape[1], int(math.ceil(max(xs) + reach + 0.5)) + 1)
    if top >= bottom or left >= right:
        return None
    return (top, bottom, left, right)


def draw_stroke(layers: SketchLayers, stroke: Stroke, scale: int = 1) -> Box | None:
    """Apply every stamp of a stroke; returns the changed box."""
    box = None
    for i in range(len(stroke.points)):
        box = union_box(box, stamp(layers, stroke, i, scale))
    return box


def render_work(size: tuple[int, int], strokes: list[Stroke], scale: int = 1) -> int:
    """Pixel visits of drawing `strokes` at `scale`: the area of every stamp's box (as `stamp` computes
    it, clipped to the layers) plus STAMP_OVERHEAD per stamp. Vectorised over all the strokes' points at
    once, so that it costs milliseconds for documents that would take minutes to draw, and for documents of
    100 000 one-point strokes (one array pass, not a dozen numpy calls a stroke: 20 000 such strokes took 15 s)."""
    height, width = size[0] * scale, size[1] * scale
    counts = np.fromiter((len(s.points) for s in strokes), np.int64, len(strokes))
    n = int(counts.sum())
    if n == 0:
        return 0
    pts = np.asarray([p for s in strokes for p in s.points], np.float64).reshape(-1, 3)
    widths = np.repeat(np.fromiter((s.width for s in strokes), np.float64, len(strokes)), counts)
    pressure = np.clip(pts[:, 2], 0.0, 1.0)
    radius = np.maximum(MIN_RADIUS, widths * (0.25 + 0.75 * pressure) / 2) * scale
    x, y = pts[:, 0] * scale, pts[:, 1] * scale
    # Stamp i is the segment from point i-1 of the same stroke (a stroke's first point: a dot) to point i.
    prev = np.arange(-1, n - 1)
    starts = (np.cumsum(counts) - counts)[counts > 0]
    prev[starts] = starts
    x0, y0, r0 = x[prev], y[prev], radius[prev]
    reach = np.maximum(r0, radius)
    top = np.maximum(0, np.floor(np.minimum(y0, y) - reach - 0.5))
    bottom = np.minimum(height, np.ceil(np.maximum(y0, y) + reach + 0.5) + 1)
    left = np.maximum(0, np.floor(np.minimum(x0, x) - reach - 0.5))
    right = np.minimum(width, np.ceil(np.maximum(x0, x) + reach + 0.5) + 1)
    area = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    return int(area.sum()) + STAMP_OVERHEAD * n


# --- documents ------------------------------------------------------------------------------------------

@dataclass
class SketchDocument:
    """Everything needed to replay a sketch: size (H, W) at model resolution, base layers, strokes,
    and the generator settings it was drawn with (model id, seed, mode)."""

    size: tuple[int, int] = (64, 64)
    strokes: list[Stroke] = field(default_factory=list)
    base: SketchLayers | None = None  # model resolution
    model_id: str | None = None
    seed: int = 0
    mode: str = "eval"
    extra: dict[str, Any] = field(default_factory=dict)  # anything else the GUI wants to keep

    def render(self, scale: int = 1) -> SketchLayers:
        """The layers at `scale` times model resolution: base (enlarged), then every stroke."""
        height, width = self.size
        if self.base is not None:
            layers = self.base.upscaled(scale)
        else:
            layers = SketchLayers.blank(height * scale, width * scale)
        for stroke in self.strokes:
            draw_stroke(layers, stroke, scale)
        return layers

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "size": [int(self.size[0]), int(self.size[1])],
            "model_id": self.model_id,
            "seed": int(self.seed),
            "mode": self.mode,
            "base": _layers_to_json(self.base) if self.base is not None else None,
            "strokes": [s.to_json() for s in self.strokes],
            "extra": self.extra,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, d: Any, where: str = "sketch document") -> "SketchDocument":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise DataError(f"{where} is not a GAN Studio sketch document (no \"format\": \"{FORMAT}\").")
        version = d.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise DataError(f"{where} has format version {version!r}; this GAN Studio reads up to {FORMAT_VERSION}.")
        size = d.get("size")
        if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and 1 <= v <= MAX_SIDE for v in size)):
            raise DataError(f"{where}: \"size\" must be [height, width] in pixels, not {size!r}.")
        mode = d.get("mode", "eval")
        if mode not in MODES:
            raise DataError(f"{where}: \"mode\" must be one of {', '.join(MODES)}, not {mode!r}.")
        seed = d.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= SEED_MAX:
            raise DataError(f"{where}: \"seed\" must be a whole number from 0 to {SEED_MAX}, not {_preview(seed)}.")
        raw_strokes = d.get("strokes") or []
        if not isinstance(raw_strokes, list):
            raise DataError(f"{where}: \"strokes\" must be a list.")
        if len(raw_strokes) > MAX_STROKES:
            raise DataError(f"{where} has {len(raw_strokes)} strokes; a document holds at most {MAX_STROKES}.")
        n_points = sum(len(s.get("points") or ()) for s in raw_strokes if isinstance(s, dict) and isinstance(s.get("points"), list))
        if n_points > MAX_POINTS:
            raise DataError(f"{where} has {n_points} stroke points; a document holds at most {MAX_POINTS}.")
        shape = (size[0], size[1])
        strokes = [Stroke.from_json(s, f"{where}, stroke {i + 1}", shape) for i, s in enumerate(raw_strokes)]
        # Both renders of an opened document: the canvas's (display scale) and the model's.
        from ganstudio.core.sketch.sizes import display_scale

        work = render_work(shape, strokes, display_scale(max(shape))) + render_work(shape, strokes, 1)
        if work > MAX_RENDER_WORK:
            raise DataError(f"{where} asks for too much drawing ({work / 1e6:.0f} million pixel visits; at most "
                            f"{MAX_RENDER_WORK / 1e6:.0f}): its strokes are too many or too wide.")
        base = _layers_from_json(d["base"], shape, where) if d.get("base") else None
        model_id = d.get("model_id")
        if model_id is not None:
            model_id = check_path_text(model_id, f"{where}: the model path \"model_id\"", DataError)
        extra = d.get("extra") if isinstance(d.get("extra"), dict) else {}
        return cls(size=shape, strokes=strokes, base=base, model_id=model_id, seed=seed, mode=mode, extra=extra)

    @classmethod
    def from_bytes(cls, data: bytes, where: str = "sketch document") -> "SketchDocument":
        return cls.from_json(loads_json(data, where, max_bytes=MAX_DOCUMENT_BYTES, error=DataError), where)


def save_document(doc: SketchDocument, path: str | Path) -> Path:
    """Write a document atomically (temp file, fsync, rename): a crash never leaves half a file."""
    from ganstudio.core.checkpoint import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, doc.to_bytes())
    return path


def load_document(path: str | Path) -> SketchDocument:
    """A saved or recovered document; DataError (one sentence naming the file) for anything wrong."""
    path = Path(path)
    d = read_json(path, what="Sketch document", max_bytes=MAX_DOCUMENT_BYTES, error=DataError)
    return SketchDocument.from_json(d, where=f"Sketch document {path}")


def document_from_image(image, size: int, n_hints: int = 12, seed: int = 0) -> SketchDocument:
    """A document whose base holds the lines and colour hints of a picture (3, size, size) in [-1, 1],
    built by `sketch.image_to_sketch_input`, the code that makes auto-paired training inputs."""
    import torch

    from ganstudio.core.sketch.encoding import image_to_sketch_input

    generator = torch.Generator().manual_seed(int(seed))
    encoded = image_to_sketch_input(image, n_hints=n_hints, generator=generator)
    return SketchDocument(size=(size, size), base=layers_from_sketch_input(encoded), seed=seed)


def layers_from_sketch_input(encoded) -> SketchLayers:
    """Inverse of the canvas encoding: a (5, H, W) sketch input back to uint8 layers."""
    x = encoded.detach().cpu().float().numpy() if hasattr(encoded, "detach") else np.asarray(encoded, np.float32)
    lines = (x[0] > 0).astype(np.uint8)
    mask = (x[4] > 0).astype(np.uint8)
    rgb = np.clip(np.round((x[1:4] + 1) * 127.5), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    rgb = rgb * mask[:, :, None]
    return SketchLayers(lines, np.ascontiguousarray(rgb), mask)


def iter_stamps(doc: SketchDocument) -> Iterator[tuple[Stroke, int]]:
    for stroke in doc.strokes:
        for i in range(len(stroke.points)):
            yield stroke, i


# --- layer (de)serialisation -----------------------------------------------------------------------------

def _array_to_text(a: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(a, np.uint8).tobytes(), 6)).decode("ascii")


def _array_from_text(text: Any, shape: tuple[int, ...], where: str, what: str) -> np.ndarray:
    expected = int(np.prod(shape))
    if not isinstance(text, str):
        raise DataError(f"{where}: the base layer {what} must be base64 text.")
    # zlib never grows data by more than a few bytes per 16 KB: longer text cannot be this layer.
    if len(text) > 4 * (expected + expected // 1000 + 64) // 3 + 4:
        raise DataError(f"{where}: the base layer {what} is {len(text)} characters, too long for {expected} bytes.")
    try:
        inflater = zlib.decompressobj()
        # Inflate at most one byte more than the layer holds: a zlib bomb stops there, not at gigabytes.
        raw = inflater.decompress(base64.b64decode(text, validate=True), expected + 1)
    except (ValueError, zlib.error):
        raise DataError(f"{where}: the base layer {what} is corrupted.") from None
    if len(raw) > expected or inflater.unconsumed_tail:
        raise DataError(f"{where}: the base layer {what} inflates to more than the {expected} bytes of a {shape} layer.")
    if len(raw) != expected:
        raise DataError(f"{where}: the base layer {what} holds {len(raw)} bytes, expected {expected}.")
    return np.frombuffer(raw, np.uint8).reshape(shape).copy()


def _preview(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _layers_to_json(layers: SketchLayers) -> dict[str, str]:
    return {
        "lines": _array_to_text(layers.lines),
        "hint_rgb": _array_to_text(layers.hint_rgb),
        "hint_mask": _array_to_text(layers.hint_mask),
    }


def _layers_from_json(d: Any, size: tuple[int, int], where: str) -> SketchLayers:
    if not isinstance(d, dict):
        raise DataError(f"{where}: \"base\" must be an object with lines, hint_rgb and hint_mask.")
    h, w = size
    lines = _array_from_text(d.get("lines"), (h, w), where, "lines")
    rgb = _array_from_text(d.get("hint_rgb"), (h, w, 3), where, "hint colours")
    mask = _array_from_text(d.get("hint_mask"), (h, w), where, "hint mask")
    return SketchLayers((lines > 0).astype(np.uint8), rgb, (mask > 0).astype(np.uint8))
