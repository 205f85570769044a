"""Image data: the bundled 8x8 handwritten digits and folders of the user's own pictures.

Every image comes out as float32 (C, H, W) in [-1, 1], RGB (C=3) or grey (C=1). Any PIL mode is turned
into proper RGB first: transparency is composited on white, 16-bit and 32-bit greys are scaled to their
range (not clipped), palette and CMYK images are converted, EXIF rotation is applied.

A folder is checked when it is opened: each file is decoded once, and files that cannot be (truncated,
empty, not an image, too many pixels) are skipped, listed in `.skipped` and announced with one
logging warning. A folder that has nothing usable raises DataError naming it.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

from ganstudio.core.errors import ConfigError, DataError
from ganstudio.core.resources import resource_path

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
# PIL's own default limit (about 89 million pixels, a 1 GB RGB bitmap); larger files are refused as
# possible decompression bombs.
DEFAULT_MAX_PIXELS = 89_478_485
DEFAULT_CACHE_LIMIT_BYTES = 512 * 1024**2
# How many skipped files a warning or an error message names before it says "and N more".
_NAMES_SHOWN = 5
_EXIF_ORIENTATION = 0x0112


# --- bundled digits --------------------------------------------------------------------------------


@dataclass
class TensorImages:
    """A data set held in memory: images float32 (N, C, H, W) in [-1, 1] and labels int64 (N,).

    `n_classes` is the size of the label space (10 for digits even when only some digits were kept, so
    that a label always means the same digit); `classes` lists the labels actually present.
    """

    images: torch.Tensor
    labels: torch.Tensor
    n_classes: int
    classes: tuple[int, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index], self.labels[index]


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    path = resource_path("digits_8x8.npz")
    if not path.is_file():
        raise DataError(f"The bundled digits file {path} is missing; reinstall GAN Studio.")
    with np.load(path) as archive:
        return archive["images"], archive["labels"]


def load_digits(size: int = 32, classes: Iterable[int] | None = None) -> TensorImages:
    """The bundled UCI handwritten digits (1797 images, 8x8, labels 0-9), upscaled to `size` x `size`.

    Pixels count ink (0..16), so digits are light strokes on a dark background, like MNIST.
    `classes` keeps only those digits (labels keep their digit value).
    """
    size = check_image_size(size)
    pixels, labels = _digits_arrays()
    if classes is not None:
        wanted = _check_digit_classes(classes)
        keep = np.isin(labels, wanted)
        pixels, labels = pixels[keep], labels[keep]
    images = torch.from_numpy(pixels.astype(np.float32) / 16.0)[:, None]
    if size != images.shape[-1]:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = (images * 2 - 1).clamp(-1, 1)
    labels_tensor = torch.from_numpy(labels.astype(np.int64))
    present = tuple(int(label) for label in np.unique(labels))
    return TensorImages(images.contiguous(), labels_tensor, n_classes=10, classes=present)


def _check_digit_classes(classes: Iterable[int]) -> list[int]:
    try:
        wanted = sorted({int(c) for c in classes})
        valid = bool(wanted) and all(0 <= c <= 9 for c in wanted)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ConfigError(f"Digit classes {classes!r} must be a non-empty list of digits 0 to 9.")
    return wanted


# --- reading one image -----------------------------------------------------------------------------


class UnreadableImage(Exception):
    """A file that cannot be used as an image; the message is the reason, for `.skipped`."""


def find_image_files(root: str | os.PathLike, what: str = "Image folder") -> tuple[Path, list[Path]]:
    """The folder `root` and the image files under it (recursive, sorted, hidden files left out).

    Raises DataError when the folder is missing, is not a folder, or holds no file with an image
    extension. Files and folders whose names start with "." (thumbnails, macOS "._" copies, editor
    checkpoints) are not data and are left out.
    """
    folder = Path(root).expanduser()
    if not folder.exists():
        raise DataError(f"{what} {folder} does not exist.")
    if not folder.is_dir():
        raise DataError(f"{what} {folder} is not a folder.")
    files = []
    seen_folders: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        # Linked folders are followed (data sets are often linked in), but each only once: no loops.
        info = os.stat(dirpath)
        if (info.st_dev, info.st_ino) in seen_folders:
            dirnames[:] = []
            continue
        seen_folders.add((info.st_dev, info.st_ino))
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        files.extend(
            Path(dirpath) / name
            for name in filenames
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS
        )
    if not files:
        raise DataError(
            f"{what} {folder} contains no image files ({', '.join(IMAGE_EXTENSIONS)})."
        )
    return folder, sorted(files)


def open_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS, draft_size: int | None = None) -> Image.Image:
    """Decode `path` fully into an RGB PIL image; raises UnreadableImage with the reason.

    draft_size lets JPEG decode at a reduced scale that still covers draft_size pixels on both sides
    (much faster for big photos, and the result is resized down anyway).
    """
    try:
        if path.stat().st_size == 0:
            raise UnreadableImage("empty file")
        with warnings.catch_warnings():
            # PIL only warns between its limit and twice its limit; we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise UnreadableImage(
                        f"too many pixels ({width}x{height}, limit {max_pixels}), "
                        f"possible decompression bomb"
                    )
                if draft_size is not None and image.format == "JPEG":
                    image.draft("RGB", (draft_size, draft_size))
                image.load()
                try:
                    rgb = to_rgb(image)
                except (ValueError, OSError) as error:
                    raise UnreadableImage(f"unsupported colour mode {image.mode} ({error})") from None
                # Leaving the with-block closes `image`, which would also empty an unconverted result.
                return rgb.copy() if rgb is image else rgb
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImage(f"possible decompression bomb ({error})") from None
    except Image.UnidentifiedImageError:
        raise UnreadableImage("not an image file PIL can read") from None
    except Exception as error:  # noqa: BLE001 - PIL reports corrupt files with many exception types
        raise UnreadableImage(f"cannot decode ({type(error).__name__}: {error})") from None


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB, compositing transparency on white and scaling deep greys."""
    if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return image
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return Image.fromarray(_deep_grey_to_uint8(image, mode)).convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _deep_grey_to_uint8(image: Image.Image, mode: str) -> np.ndarray:
    """8-bit grey from a 16-bit, 32-bit integer or float grey image, using the range its values imply."""
    values = np.asarray(image).astype(np.float64)
    if mode.startswith("I;16"):
        scaled = values / 65535.0
    elif mode == "I":
        # 16-bit PNGs may open as "I"; values above 255 say the data is 16-bit, not 8-bit.
        top = values.max() if values.size else 0
        if values.min() >= 0 and top <= 255:
            scaled = values / 255.0
        elif values.min() >= 0 and top <= 65535:
            scaled = values / 65535.0
        else:
            scaled = _stretch(values)
    else:  # F: floats in [0, 1] are intensities; anything else is stretched to its own range
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() >= 0 and finite.max() <= 1:
            scaled = values
        else:
            scaled = _stretch(values)
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=1.0, neginf=0.0)
    return np.round(np.clip(scaled, 0, 1) * 255).astype(np.uint8)


def _stretch(values: np.ndarray) -> np.ndarray:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros_like(values)
    low, high = float(finite.min()), float(finite.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def square_crop_resize(image: Image.Image, size: int) -> Image.Image:
    """Scale the shorter side to `size` and keep the centre square (one resampling step)."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.resize(
        (size, size), Image.Resampling.BICUBIC, box=(left, top, left + side, top + side)
    )


def image_to_array(image: Image.Image, channels: int) -> np.ndarray:
    """uint8 (H, W, C) array of an RGB image, as grey (luminance) when channels is 1."""
    # np.array copies: PIL's buffer view is read-only, which torch.from_numpy warns about.
    if channels == 1:
        return np.array(image.convert("L"))[:, :, None]
    return np.array(image)


def array_to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, C) -> float32 (..., C, H, W) in [-1, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(pixels)).to(torch.float32)
    return (tensor / 127.5 - 1).movedim(-1, -3).contiguous()


def read_image(path: Path, size: int, channels: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode, convert, square-crop and resize one file: uint8 (size, size, channels). Raises UnreadableImage."""
    image = open_image(path, max_pixels, draft_size=size)
    return image_to_array(square_crop_resize(image, size), channels)


def load_image(path: str | os.PathLike, image_size: int, channels: int = 3) -> torch.Tensor:
    """One image file as float32 (C, image_size, image_size) in [-1, 1]; DataError if unreadable."""
    size = check_image_size(image_size)
    channels = check_channels(channels)
    file = Path(path).expanduser()
    if not file.is_file():
        raise DataError(f"Image file {file} does not exist.")
    try:
        return array_to_tensor(read_image(file, size, channels))
    except UnreadableImage as reason:
        raise DataError(f"Image file {file} cannot be read: {reason}.") from None


def describe_skipped(skipped: list[tuple[Path, str]], root: Path) -> str:
    """The first few skipped files with their reasons, relative to root: 'a.png (empty file), ... and 3 more'."""
    shown = [f"{_relative(path, root)} ({reason})" for path, reason in skipped[:_NAMES_SHOWN]]
    more = len(skipped) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def warn_skipped(skipped: list[tuple[Path, str]], root: Path) -> None:
    if skipped:
        logger.warning(
            "Skipped %d unreadable file(s) in %s: %s.", len(skipped), root, describe_skipped(skipped, root)
        )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# --- folders ---------------------------------------------------------------------------------------


class ImageFolder(torch.utils.data.Dataset):
    """Every readable image under `root` (recursively), square-cropped to `image_size`.

    Items are float32 (channels, image_size, image_size) in [-1, 1]. When the decoded set fits in
    `cache_limit_bytes` (as float32), the images decoded while checking the folder are kept (as uint8)
    and `to_tensor()` returns them all at once; otherwise items are decoded on demand. The object holds
    only paths and numbers besides that cache, so it pickles into DataLoader worker processes.
    `progress(done, total)` is called before each file is checked (opening a big folder takes a while).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_size: int,
        channels: int = 3,
        cache_limit_bytes: int = DEFAULT_CACHE_LIMIT_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.image_size = check_image_size(image_size)
        self.channels = check_channels(channels)
        self.max_pixels = int(max_pixels)
        self.cache_limit_bytes = int(cache_limit_bytes)
        self.root, candidates = find_image_files(root)

        # Decide before decoding whether to keep the pixels: they are decoded either way to check them.
        keep_pixels = self._decoded_bytes(len(candidates)) <= self.cache_limit_bytes
        self.files: list[Path] = []
        self.skipped: list[tuple[Path, str]] = []
        kept: list[np.ndarray] = []
        for done, path in enumerate(candidates):
            if progress is not None:
                progress(done, len(candidates))
            try:
                pixels = read_image(path, self.image_size, self.channels, self.max_pixels)
            except UnreadableImage as reason:
                self.skipped.append((path, str(reason)))
                continue
            self.files.append(path)
            if keep_pixels:
                kept.append(pixels)
        if progress is not None:
            progress(len(candidates), len(candidates))

        if not self.files:
            raise DataError(
                f"Image folder {self.root} has no readable image: all {len(self.skipped)} image "
                f"file(s) are broken, for example {describe_skipped(self.skipped[:2], self.root)}."
            )
        warn_skipped(self.skipped, self.root)
        self._pixels: np.ndarray | None = np.stack(kept) if keep_pixels else None
        logger.info(
            "Image folder %s: %d image(s) at %dx%d%s.", self.root, len(self.files), self.image_size,
            self.image_size, ", cached in memory" if self.cached else "",
        )

    def _decoded_bytes(self, count: int) -> int:
        return count * self.channels * self.image_size**2 * 4

    @property
    def cached(self) -> bool:
        """True when every image is in memory and `to_tensor()` is available."""
        return self._pixels is not None

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> torch.Tensor:
        if self._pixels is not None:
            return array_to_tensor(self._pixels[index])
        path = self.files[index]
        try:
            return array_to_tensor(read_image(path, self.image_size, self.channels, self.max_pixels))
        except UnreadableImage as reason:
            # It was readable when the folder was opened: changed on disk since.
            raise DataError(f"Image file {path} can no longer be read: {reason}.") from None

    def to_tensor(self) -> torch.Tensor:
        """All images as one float32 tensor (N, C, H, W) in [-1, 1]; DataError when too big to cache."""
        if self._pixels is None:
            needed = self._decoded_bytes(len(self.files))
            raise DataError(
                f"Image folder {self.root} is too big to hold in memory: {len(self.files)} images at "
                f"{self.image_size}x{self.image_size} need {needed / 1024**2:.0f} MB, more than the "
                f"cache limit of {self.cache_limit_bytes / 1024**2:.0f} MB."
            )
        return array_to_tensor(self._pixels)


# --- argument checks -------------------------------------------------------------------------------


def check_image_size(size: object) -> int:
    """`size` as an int of at least 1; ConfigError naming the value otherwise."""
    if isinstance(size, bool) or not hasattr(size, "__index__") or size.__index__() < 1:  # type: ignore[union-attr]
        raise ConfigError(f"Image size {size!r} must be a whole number of pixels, at least 1.")
    return size.__index__()  # type: ignore[union-attr]


def check_channels(channels: object) -> int:
    """1 or 3; ConfigError naming the value otherwise."""
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ConfigError(f"Image channels {channels!r} must be 1 (grey) or 3 (RGB).")
    return int(channels)  # type: ignore[arg-type]
