"""Paired image data for pix2pix-style training: items are (input, target) tensor pairs.

`PairedFolder` reads the two layouts of the reference pix2pix code (pytorch-CycleGAN-and-pix2pix):

  aligned   each file holds A and B side by side (A | B), split at half the width, as its
            "aligned" data sets (facades, edges2shoes, maps, ...);
  folders   `A/` and `B/` subfolders whose files match by relative path and name (extensions may differ:
            A/train/1.png pairs with B/train/1.jpg), as the input of its combine_A_and_B script.

`AutoPairedFolder` makes pairs from any folder of pictures: the input is the picture's sketch input
(line drawing plus random colour hints, see ganstudio.core.sketch.encoding), the target the picture itself.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image

from ganstudio.core.data.images import (
    DEFAULT_CACHE_LIMIT_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageFolder,
    UnreadableImage,
    array_to_tensor,
    check_channels,
    check_image_size,
    describe_skipped,
    find_image_files,
    image_to_array,
    open_image,
    square_crop_resize,
    warn_skipped,
)
from ganstudio.core.errors import ConfigError, DataError
from ganstudio.core.sketch.encoding import DEFAULT_MAX_HINTS, image_to_sketch_input

logger = logging.getLogger(__name__)

PAIRED_LAYOUTS: tuple[str, ...] = ("auto", "aligned", "folders")
DIRECTIONS: tuple[str, ...] = ("AtoB", "BtoA")
_NAMES_SHOWN = 5


class PairedFolder(torch.utils.data.Dataset):
    """(A, B) image pairs from side-by-side files or from A/ and B/ subfolders of `root`.

    layout: "aligned", "folders", or "auto" (folders when `root` has both A/ and B/, else aligned).
    direction: "AtoB" gives items (A, B); "BtoA" gives (B, A).
    Items are float32 (channels, image_size, image_size) in [-1, 1], each square-cropped and resized
    the same way. Pairs with a broken file are skipped, listed in `.skipped` and logged. When all pairs
    fit in `cache_limit_bytes` (as float32) they stay in memory and `to_tensors()` returns them.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_size: int,
        layout: str = "auto",
        direction: str = "AtoB",
        channels: int = 3,
        cache_limit_bytes: int = DEFAULT_CACHE_LIMIT_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        progress: Callable[[int, int], None] | None = None,
    ):
        if layout not in PAIRED_LAYOUTS:
            raise ConfigError(f"Paired layout {layout!r} is not one of {', '.join(PAIRED_LAYOUTS)}.")
        if direction not in DIRECTIONS:
            raise ConfigError(f"Direction {direction!r} is not one of {', '.join(DIRECTIONS)}.")
        self.image_size = check_image_size(image_size)
        self.channels = check_channels(channels)
        self.direction = direction
        self.max_pixels = int(max_pixels)
        self.cache_limit_bytes = int(cache_limit_bytes)

        folder = Path(root).expanduser()
        if layout == "auto":
            has_a, has_b = (folder / "A").is_dir(), (folder / "B").is_dir()
            if has_a != has_b:
                present, missing = ("A", "B") if has_a else ("B", "A")
                raise DataError(
                    f"Paired image folder {folder} has an {present}/ folder but no {missing}/ folder; "
                    f"add {missing}/ with the matching images, or choose the aligned layout."
                )
            layout = "folders" if has_a else "aligned"
        self.layout = layout
        if layout == "folders":
            self.root = folder
            candidates = _match_a_b_files(folder)
        else:
            self.root, files = find_image_files(folder, "Paired image folder")
            candidates = [(path, None) for path in files]

        keep_pixels = self._decoded_bytes(len(candidates)) <= self.cache_limit_bytes
        self.pairs: list[tuple[Path, Path | None]] = []
        self.skipped: list[tuple[Path, str]] = []
        kept_a: list[np.ndarray] = []
        kept_b: list[np.ndarray] = []
        for done, (path_a, path_b) in enumerate(candidates):
            if progress is not None:
                progress(done, len(candidates))
            try:
                pixels_a, pixels_b = self._read_pair(path_a, path_b)
            except _UnreadablePair as error:
                self.skipped.append((error.path, error.reason))
                continue
            self.pairs.append((path_a, path_b))
            if keep_pixels:
                kept_a.append(pixels_a)
                kept_b.append(pixels_b)
        if progress is not None:
            progress(len(candidates), len(candidates))

        if not self.pairs:
            raise DataError(
                f"Paired image folder {self.root} has no usable pair: all {len(self.skipped)} "
                f"file(s) were skipped, for example {describe_skipped(self.skipped[:2], self.root)}."
            )
        warn_skipped(self.skipped, self.root)
        self._pixels: tuple[np.ndarray, np.ndarray] | None = (
            (np.stack(kept_a), np.stack(kept_b)) if keep_pixels else None
        )
        logger.info(
            "Paired image folder %s (%s layout): %d pair(s) at %dx%d.",
            self.root, self.layout, len(self.pairs), self.image_size, self.image_size,
        )

    def _decoded_bytes(self, count: int) -> int:
        return 2 * count * self.channels * self.image_size**2 * 4

    def _read_pair(self, path_a: Path, path_b: Path | None) -> tuple[np.ndarray, np.ndarray]:
        size, channels = self.image_size, self.channels
        if path_b is None:
            try:
                both = open_image(path_a, self.max_pixels, draft_size=2 * size)
            except UnreadableImage as reason:
                raise _UnreadablePair(path_a, str(reason)) from None
            half_a, half_b = _split_side_by_side(both, path_a)
        else:
            halves = []
            for path in (path_a, path_b):
                try:
                    halves.append(open_image(path, self.max_pixels, draft_size=size))
                except UnreadableImage as reason:
                    raise _UnreadablePair(path, str(reason)) from None
            half_a, half_b = halves
        return (
            image_to_array(square_crop_resize(half_a, size), channels),
            image_to_array(square_crop_resize(half_b, size), channels),
        )

    @property
    def cached(self) -> bool:
        """True when every pair is in memory and `to_tensors()` is available."""
        return self._pixels is not None

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self._pixels is not None:
            pixels_a, pixels_b = self._pixels[0][index], self._pixels[1][index]
        else:
            try:
                pixels_a, pixels_b = self._read_pair(*self.pairs[index])
            except _UnreadablePair as error:
                raise DataError(f"Image file {error.path} can no longer be read: {error.reason}.") from None
        return self._oriented(array_to_tensor(pixels_a), array_to_tensor(pixels_b))

    def to_tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All pairs as two float32 tensors (N, C, H, W) in [-1, 1], in item order (input, target)."""
        if self._pixels is None:
            needed = self._decoded_bytes(len(self.pairs))
            raise DataError(
                f"Paired image folder {self.root} is too big to hold in memory: {len(self.pairs)} pairs "
                f"at {self.image_size}x{self.image_size} need {needed / 1024**2:.0f} MB, more than the "
                f"cache limit of {self.cache_limit_bytes / 1024**2:.0f} MB."
            )
        return self._oriented(array_to_tensor(self._pixels[0]), array_to_tensor(self._pixels[1]))

    def _oriented(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (a, b) if self.direction == "AtoB" else (b, a)


class _UnreadablePair(Exception):
    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _split_side_by_side(image: Image.Image, path: Path) -> tuple[Image.Image, Image.Image]:
    """Left and right halves of an A|B image (an odd last column is dropped so the halves match)."""
    width, height = image.size
    half = width // 2
    if half < 1:
        raise _UnreadablePair(path, f"too narrow to split into A and B ({width}x{height})")
    # A|B files are two pictures side by side (pix2pix's combine_A_and_B writes exactly 2:1); a plain photo
    # split in half would train a model to turn its left half into its right half.
    # Photos (square, 4:3, 3:2, portrait) are caught; halves of any shape that are wider are accepted.
    if width < 1.6 * height:
        raise _UnreadablePair(path, f"not a side-by-side A|B pair: {width}x{height} is not about twice as wide as high")
    return image.crop((0, 0, half, height)), image.crop((half, 0, 2 * half, height))


def _match_a_b_files(root: Path) -> list[tuple[Path, Path | None]]:
    """Pairs (A file, B file) matched by path relative to A/ or B/ without the extension."""
    folder_a, files_a = find_image_files(root / "A", "Folder")
    folder_b, files_b = find_image_files(root / "B", "Folder")
    keyed_a = _by_key(files_a, folder_a, root)
    keyed_b = _by_key(files_b, folder_b, root)
    only_a = sorted(set(keyed_a) - set(keyed_b))
    only_b = sorted(set(keyed_b) - set(keyed_a))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"{len(only_a)} file(s) in A/ have no match in B/ ({_some(only_a)})")
        if only_b:
            parts.append(f"{len(only_b)} file(s) in B/ have no match in A/ ({_some(only_b)})")
        raise DataError(
            f"Paired image folder {root} has unpaired files: {' and '.join(parts)}; "
            f"A/ and B/ must hold files with the same names."
        )
    return [(keyed_a[key], keyed_b[key]) for key in sorted(keyed_a)]


def _by_key(files: list[Path], folder: Path, root: Path) -> dict[str, Path]:
    keyed: dict[str, Path] = {}
    for path in files:
        key = path.relative_to(folder).with_suffix("").as_posix()
        if key in keyed:
            raise DataError(
                f"Paired image folder {root} has two files for the pair {key!r}: "
                f"{keyed[key].relative_to(root)} and {path.relative_to(root)}; keep only one."
            )
        keyed[key] = path
    return keyed


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (f", ... {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else "")


class AutoPairedFolder(torch.utils.data.Dataset):
    """(sketch_input (5, H, W), image (3, H, W)) pairs made from any image folder.

    Each item gets a random number of colour hints in `n_hints_range` (inclusive) at random places.
    The randomness is a pure function of (seed, epoch, index), so items are reproducible and identical
    in DataLoader worker processes; call `set_epoch(e)` each epoch to give the images new hints.
    `make_inputs(images)` builds inputs for a batch already in memory (on any device) with the same
    hint distribution, for training from `images.to_tensor()`.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_size: int,
        n_hints_range: tuple[int, int] = (0, DEFAULT_MAX_HINTS),
        seed: int = 0,
        hint_size: int | None = None,
        cache_limit_bytes: int = DEFAULT_CACHE_LIMIT_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.n_hints_range = _check_hint_range(n_hints_range)
        self.hint_size = hint_size
        self.seed = int(seed)
        self.epoch = 0
        self.images = ImageFolder(
            root, image_size, channels=3, cache_limit_bytes=cache_limit_bytes,
            max_pixels=max_pixels, progress=progress,
        )

    @property
    def root(self) -> Path:
        return self.images.root

    @property
    def skipped(self) -> list[tuple[Path, str]]:
        return self.images.skipped

    @property
    def cached(self) -> bool:
        return self.images.cached

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index]
        return self._sketch_input(image, index), image

    def _sketch_input(self, image: torch.Tensor, index: int) -> torch.Tensor:
        state = np.random.SeedSequence([self.seed, self.epoch, int(index)]).generate_state(1)[0]
        generator = torch.Generator().manual_seed(int(state))
        low, high = self.n_hints_range
        n_hints = int(torch.randint(low, high + 1, (1,), generator=generator))
        return image_to_sketch_input(image, n_hints, generator=generator, hint_size=self.hint_size)

    def make_inputs(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Sketch inputs (N, 5, H, W) for images (N, 3, H, W), with hint counts drawn from the range."""
        low, high = self.n_hints_range
        device = generator.device if generator is not None else torch.device("cpu")
        counts = torch.randint(low, high + 1, (images.shape[0],), generator=generator, device=device)
        return image_to_sketch_input(images, counts, generator=generator, hint_size=self.hint_size)

    def to_tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All pairs (sketch inputs (N, 5, H, W), images (N, 3, H, W)), equal to the items this epoch."""
        images = self.images.to_tensor()
        inputs = torch.stack([self._sketch_input(image, i) for i, image in enumerate(images)])
        return inputs, images


def _check_hint_range(value: object) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in value)  # type: ignore[union-attr]
        valid = 0 <= low <= high
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ConfigError(
            f"Hint count range {value!r} must be two whole numbers (low, high) with 0 <= low <= high."
        )
    return low, high
