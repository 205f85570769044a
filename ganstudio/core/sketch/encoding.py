"""Sketch-to-image conditioning: the generator input built from a picture (training) or a canvas (GUI).

Encoding of the 5-channel input, shape (5, H, W) or (N, 5, H, W), every channel in [-1, 1]:

    channel 0     lines:      +1 on a line, -1 on blank paper
    channels 1-3  hint RGB:   the hint's colour in [-1, 1] (image convention) inside a hint, 0 elsewhere
    channel 4     hint mask:  +1 inside a hint, -1 elsewhere

The mask is what tells "no hint" apart from a mid-grey hint (whose RGB is also 0), as in the
user-guided colourisation of Zhang et al. (2017). `encode_sketch_input` is the single place that writes
this encoding; `image_to_sketch_input` (training pairs) and `strokes_to_sketch_input` (the canvas) both
go through it, so that the GUI feeds a generator exactly what it was trained on.

Training lines come from a Canny-style edge detector, vectorised in torch so that it runs on batches
and on the GPU: Gaussian blur of the luminance, Sobel gradients, non-maximum suppression (one pixel
wide lines), per-image thresholds with a short hysteresis, isolated dots removed, then lines thickened
to `default_line_width(size)` pixels. A canvas pen should draw lines `default_line_width` wide and
hints `default_hint_size` wide, so that strokes look like the training lines.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.errors import ConfigError

# The display of this encoding (black lines on white paper, hints painted in) lives with the other
# picture conversions; re-exported here because callers look for it beside the encoding.
from ganstudio.core.imaging import sketch_input_to_rgb  # noqa: F401
from ganstudio.core.sketch.sizes import default_blur_sigma, default_hint_size, default_line_width  # noqa: F401

logger = logging.getLogger(__name__)

SKETCH_CHANNELS = 5
DEFAULT_MAX_HINTS = 40

# Luminance weights (ITU-R BT.601), as PIL's convert("L").
_LUMA = (0.299, 0.587, 0.114)
# Edge strength is measured as the luminance step (luminance in [0, 1]) that would give it. Steps below
# 3 % are never lines: flat images and JPEG noise stay blank whatever the per-image thresholds say.
_MIN_EDGE_STRENGTH = 0.03
# Per-image thresholds: strong edges reach half of the image's 98th-percentile edge strength (not its
# maximum, so one glint does not erase every other line); weak edges that touch them reach half that.
_STRONG_QUANTILE = 0.98
_HIGH_FRACTION = 0.5
_LOW_RATIO = 0.5
_HYSTERESIS_STEPS = 6


def encode_sketch_input(
    lines: torch.Tensor, hint_rgb: torch.Tensor, hint_mask: torch.Tensor
) -> torch.Tensor:
    """Pack lines (N, H, W), hint colours (N, 3, H, W) in [-1, 1] and hint mask (N, H, W) into (N, 5, H, W).

    `lines` and `hint_mask` are read as "on" where they are above 0.5 (bool, 0/1 or 0..1 inputs).
    """
    on_line = (lines > 0.5).to(hint_rgb.dtype)
    in_hint = (hint_mask > 0.5).to(hint_rgb.dtype)
    return torch.cat(
        [
            (on_line * 2 - 1).unsqueeze(1),
            hint_rgb.clamp(-1, 1) * in_hint.unsqueeze(1),
            (in_hint * 2 - 1).unsqueeze(1),
        ],
        dim=1,
    )


def image_to_sketch_input(
    image: torch.Tensor,
    n_hints: int | torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    hint_size: int | None = None,
    line_width: int | None = None,
    blur_sigma: float | None = None,
) -> torch.Tensor:
    """Build the sketch input of an image (3, H, W) or a batch (N, 3, H, W) in [-1, 1].

    n_hints: hints per image: an int, a tensor (N,) of per-image counts, or None for a random count
        per image, uniform in 0..DEFAULT_MAX_HINTS.
    generator: the random source for hint counts and places (its device may differ from the image's).
    hint_size, line_width, blur_sigma: default to default_hint_size(H), default_line_width(H) and
        default_blur_sigma(H) with H the smaller image side.
    Returns (5, H, W) or (N, 5, H, W) on the image's device, in the encoding of the module docstring.
    """
    batch = _as_batch(image, "image", channels=3)
    n, _, height, width = batch.shape
    side = min(height, width)
    hint_size = default_hint_size(side) if hint_size is None else int(hint_size)
    if not 1 <= hint_size <= side:
        raise ConfigError(f"Hint size {hint_size} must be between 1 and the image side {side}.")
    line_width = default_line_width(side) if line_width is None else int(line_width)
    if line_width < 1:
        raise ConfigError(f"Line width {line_width} must be at least 1 pixel.")
    sigma = default_blur_sigma(side) if blur_sigma is None else float(blur_sigma)

    with torch.no_grad():
        lines = sketch_lines(batch, blur_sigma=sigma, line_width=line_width)
        counts = _hint_counts(n_hints, n, generator)
        hint_rgb, hint_mask = _colour_hints(batch, counts, hint_size, generator)
        encoded = encode_sketch_input(lines, hint_rgb, hint_mask)
    return encoded[0] if len(image.shape) == 3 else encoded


def strokes_to_sketch_input(
    line_image: torch.Tensor | np.ndarray,
    hint_rgb: torch.Tensor | np.ndarray,
    hint_mask: torch.Tensor | np.ndarray,
) -> torch.Tensor:
    """Build the sketch input from a canvas: the same encoding as `image_to_sketch_input`.

    line_image: (H, W), 1 (or True) where the pen drew, 0 elsewhere.
    hint_rgb: (3, H, W) hint colours in [-1, 1] (the image convention; uint8 0..255 is also accepted).
    hint_mask: (H, W), 1 (or True) where a hint was placed.
    Each may also carry a leading batch dimension; the result is (5, H, W) or (N, 5, H, W), float32.
    """
    lines = _as_float_tensor(line_image)
    colours = _as_float_tensor(hint_rgb, rescale_uint8=True)
    mask = _as_float_tensor(hint_mask)
    single = lines.dim() == 2
    if single:
        lines, colours, mask = lines[None], colours[None], mask[None]
    if lines.dim() != 3 or mask.shape != lines.shape or colours.dim() != 4 or colours.shape[1] != 3 \
            or colours.shape[2:] != lines.shape[1:]:
        raise ConfigError(
            f"Canvas layers do not fit together: lines {tuple(lines.shape)}, hint colours "
            f"{tuple(colours.shape)} and hint mask {tuple(mask.shape)} must be (H, W), (3, H, W), (H, W)."
        )
    encoded = encode_sketch_input(lines, colours.to(lines.device), mask)
    return encoded[0] if single else encoded


def sketch_lines(
    images: torch.Tensor, blur_sigma: float = 1.0, line_width: int = 1
) -> torch.Tensor:
    """Line drawing of images (N, 3, H, W) in [-1, 1]: bool (N, H, W), True on a line.

    Thresholds are set per image (relative to its own strong edges), so an image's lines do not depend
    on the other images in the batch.
    """
    weights = images.new_tensor(_LUMA).view(1, 3, 1, 1)
    luminance = ((images.clamp(-1, 1) + 1) / 2 * weights).sum(dim=1, keepdim=True)
    blurred = _gaussian_blur(luminance, blur_sigma)

    # Sobel gradients, divided by 8 to be derivatives per pixel.
    padded = F.pad(blurred, (1, 1, 1, 1), mode="replicate")
    sobel_x = images.new_tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8
    kernels = torch.stack([sobel_x, sobel_x.t()]).unsqueeze(1)
    gradients = F.conv2d(padded, kernels)
    gx, gy = gradients[:, 0], gradients[:, 1]
    # Scale so that a luminance step of height h gives a peak of about h whatever the blur width.
    magnitude = torch.sqrt(gx * gx + gy * gy) * (max(blur_sigma, 0.5) * math.sqrt(2 * math.pi))

    thin = magnitude * _is_local_maximum(magnitude, gx, gy)

    # A high quantile rather than the maximum: one very contrasty spot must not erase every other line.
    # (kthvalue rather than torch.quantile, which refuses images above 16 M pixels.)
    flat = magnitude.flatten(1)
    rank = 1 + round(_STRONG_QUANTILE * (flat.shape[1] - 1))
    strong = flat.kthvalue(rank, dim=1).values.view(-1, 1, 1)
    high = (strong * _HIGH_FRACTION).clamp(min=_MIN_EDGE_STRENGTH)
    low = high * _LOW_RATIO
    weak = thin >= low
    lines = thin >= high
    # Hysteresis: weak edge pixels join a line when they touch one; a few steps cover short gaps.
    for _ in range(_HYSTERESIS_STEPS):
        lines = weak & _grow_by_one(lines)

    # Isolated single dots are noise, not pen strokes.
    neighbours = F.avg_pool2d(lines[:, None].to(images.dtype), 3, stride=1, padding=1)[:, 0] * 9
    lines = lines & (neighbours > 1.5)

    if line_width > 1:
        before, after = (line_width - 1) // 2, line_width // 2
        grown = F.pad(lines[:, None].to(images.dtype), (before, after, before, after))
        lines = F.max_pool2d(grown, line_width, stride=1)[:, 0] > 0
    return lines


# --- helpers ---------------------------------------------------------------------------------------


def _grow_by_one(mask: torch.Tensor) -> torch.Tensor:
    """3x3 dilation of a bool mask (N, H, W), with shifted ORs (much cheaper than a max-pool on CPU)."""
    across = mask.clone()
    across[:, :, 1:] |= mask[:, :, :-1]
    across[:, :, :-1] |= mask[:, :, 1:]
    grown = across.clone()
    grown[:, 1:, :] |= across[:, :-1, :]
    grown[:, :-1, :] |= across[:, 1:, :]
    return grown


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return x
    radius = max(1, math.ceil(2.5 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    # Reflect needs the pad smaller than the image; replicate works for any size.
    mode = "reflect" if min(x.shape[-2:]) > radius else "replicate"
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode=mode), kernel.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode=mode), kernel.view(1, 1, -1, 1))


def _is_local_maximum(magnitude: torch.Tensor, gx: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """Non-maximum suppression: True where the magnitude peaks across the edge (gradient direction).

    The direction is rounded to 0, 45, 90 or 135 degrees. A pixel is kept when it beats the pixel
    before it and is not beaten by the pixel after it; when the pixel after it is as strong (an edge
    falling between two pixels), it must also beat the one after that, so that the start of a smooth
    shading ramp (a plateau of equal strength) is not mistaken for an edge. Comparisons allow a small
    relative tolerance so that float rounding does not create peaks on plateaus.
    """
    padded = F.pad(magnitude[:, None], (2, 2, 2, 2))[:, 0]
    height, width = magnitude.shape[-2:]

    def shifted(dy: int, dx: int) -> torch.Tensor:
        return padded[:, 2 + dy: 2 + dy + height, 2 + dx: 2 + dx + width]

    ax, ay = gx.abs(), gy.abs()
    tan_22 = math.tan(math.pi / 8)
    horizontal = ay <= tan_22 * ax  # gradient along x: compare left and right
    vertical = ax <= tan_22 * ay
    same_sign = (gx * gy) > 0  # image y grows downwards: gradient towards down-right or up-left

    def along(step: int) -> torch.Tensor:
        """Magnitude `step` pixels away along the rounded gradient direction."""
        return torch.where(
            horizontal, shifted(0, step),
            torch.where(
                vertical, shifted(step, 0),
                torch.where(same_sign, shifted(step, step), shifted(step, -step)),
            ),
        )

    tolerance = magnitude * 1e-3 + 1e-6
    after = along(1)
    beats_before = magnitude > along(-1) + tolerance
    beats_after = magnitude > after + tolerance
    ties_after = (magnitude >= after - tolerance) & (magnitude > along(2) + tolerance)
    return beats_before & (beats_after | ties_after)


def _hint_counts(
    n_hints: int | torch.Tensor | None, n: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Per-image hint counts (N,) int64 on the CPU."""
    if n_hints is None:
        device = generator.device if generator is not None else torch.device("cpu")
        return torch.randint(
            DEFAULT_MAX_HINTS + 1, (n,), generator=generator, device=device
        ).cpu()
    counts = torch.as_tensor(n_hints).to("cpu", torch.int64).reshape(-1)
    if counts.numel() == 1:
        counts = counts.expand(n)
    if counts.numel() != n or bool((counts < 0).any()):
        raise ConfigError(
            f"Hint count {n_hints!r} must be a whole number of at least 0, or one per image ({n})."
        )
    return counts


def _colour_hints(
    images: torch.Tensor, counts: torch.Tensor, size: int, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Colour hints: the image's mean colour over `size` x `size` squares at random places.

    Returns hint RGB (N, 3, H, W), 0 outside hints, and hint mask (N, H, W) in {0, 1}. Where two hints
    overlap the colour is the mean of both.
    """
    n, _, height, width = images.shape
    most = int(counts.max()) if n else 0
    if most == 0:
        return images.new_zeros(n, 3, height, width), images.new_zeros(n, height, width)

    places_y, places_x = height - size + 1, width - size + 1
    device = generator.device if generator is not None else torch.device("cpu")
    top = torch.randint(places_y, (n, most), generator=generator, device=device)
    left = torch.randint(places_x, (n, most), generator=generator, device=device)
    corner = (top * places_x + left).to(images.device)  # index of each hint's top-left pixel
    used = (torch.arange(most)[None, :] < counts[:, None]).to(images.device, images.dtype)

    # Sums over every size x size window from an integral image: cost independent of the hint size.
    patch_means = _window_sums(images, size).flatten(2) / size**2  # (N, 3, places_y * places_x)
    colours = patch_means.gather(2, corner[:, None, :].expand(n, 3, most))  # (N, 3, K)

    # One "seed" per hint at its top-left corner (colour sum and count), then spread each seed over
    # its square by summing windows; dividing by the count averages overlapping hints.
    values = torch.cat([colours, torch.ones_like(colours[:, :1])], dim=1) * used[:, None, :]
    seeds = images.new_zeros(n, 4, places_y * places_x)
    seeds.scatter_add_(2, corner[:, None, :].expand(n, 4, most), values)
    seeds = seeds.view(n, 4, places_y, places_x)
    spread = _window_sums(F.pad(seeds, (size - 1, size - 1, size - 1, size - 1)), size)
    count = spread[:, 3]
    in_hint = count > 0.5
    hint_rgb = spread[:, :3] / count.clamp(min=1)[:, None]
    return hint_rgb * in_hint[:, None], in_hint.to(images.dtype)


def _window_sums(x: torch.Tensor, size: int) -> torch.Tensor:
    """Sum of every size x size window of x (B, C, H, W): (B, C, H - size + 1, W - size + 1).

    Uses an integral image, in float64 where the device has it, so that long running sums stay exact.
    """
    wide = torch.float32 if x.device.type == "mps" else torch.float64
    integral = F.pad(x.to(wide).cumsum(-1).cumsum(-2), (1, 0, 1, 0))
    sums = (
        integral[..., size:, size:] - integral[..., :-size, size:]
        - integral[..., size:, :-size] + integral[..., :-size, :-size]
    )
    return sums.to(x.dtype)


def _as_batch(image: torch.Tensor, what: str, channels: int) -> torch.Tensor:
    if not isinstance(image, torch.Tensor):
        image = torch.as_tensor(np.asarray(image))
    shape = tuple(image.shape)
    if image.dim() == 3:
        image = image[None]
    if image.dim() != 4 or image.shape[1] != channels:
        raise ConfigError(
            f"The {what} has shape {shape}; expected ({channels}, H, W) or (N, {channels}, H, W)."
        )
    if not image.is_floating_point():
        image = image.to(torch.float32)
    return image


def _as_float_tensor(value: torch.Tensor | np.ndarray, rescale_uint8: bool = False) -> torch.Tensor:
    tensor = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(value))
    if rescale_uint8 and tensor.dtype == torch.uint8:
        return tensor.to(torch.float32) / 127.5 - 1
    return tensor.to(torch.float32)
