"""The Translate area's engine, without Qt: one model, one picture, a direction, the translation.

`TranslateSession` holds the opened `Generator` (the one handle) and the input picture; its methods run in
the area's background jobs one at a time (a lock keeps them in turn) and give back plain values only:
`open_model(path) -> describe() dict`, `open_picture(path) -> uint8 (H, W, 3)` and `translate_pixels(pixels,
direction) -> uint8 (H, W, 3)`: the picture as the area shows it (as opened, drawn on, or a translation swapped
in: the area turns the direction round, `OTHER_WAY`) becomes the input and is translated. The picture is
read as `ganstudio translate` reads it (`translate.load_picture_rounded` for fully convolutional models, a
square crop otherwise), and the translation goes through `Generator.set_direction` + `Generator.translate`,
the CLI's path.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ganstudio.core.errors import GanStudioError, ModelError

OTHER_WAY = {"AtoB": "BtoA", "BtoA": "AtoB"}


class TranslateSession:
    def __init__(self, device: str = "auto") -> None:
        self.device = device
        self.model = None
        self.picture = None  # torch (3, H, W) in [-1, 1], as the model takes it
        self.output: np.ndarray | None = None
        self._lock = threading.Lock()

    def open_model(self, path: str | Path) -> dict:
        from ganstudio.core.generators.handle import open_generator

        with self._lock:
            model = open_generator(path, device=self.device)
            if not model.is_translation or model.input_kind != "image":
                raise ModelError(f"{Path(path).name} is not a picture-to-picture model; the Translate area opens "
                                 "CycleGAN checkpoints (unpaired runs) and pix2pix models of pictures.")
            self.model = model
            self.output = None
            return model.describe()

    def open_picture(self, path: str | Path) -> np.ndarray:
        from ganstudio.core.data import load_image
        from ganstudio.core.generators.translate import load_picture_rounded
        from ganstudio.core.imaging import to_uint8

        with self._lock:
            if self.model is None:
                raise GanStudioError("Open a model first (Model…), then the picture to translate.")
            path = Path(path)
            if self.model.size_multiple:
                picture = load_picture_rounded(path, self.model.size_multiple)
            else:
                picture = load_image(path, self.model.image_size, channels=3)
            self.picture, self.output = picture, None
            return to_uint8(picture[None])[0]

    def translate_pixels(self, pixels: np.ndarray, direction: str | None = None) -> np.ndarray:
        """Translate the picture as drawn (uint8 (H, W, 3), a size the model takes: the opened picture's); it
        becomes the input."""
        from ganstudio.core.data.images import array_to_tensor

        with self._lock:
            if self.model is None:
                raise GanStudioError("Open a model first (Model…), then the picture to translate.")
            pixels = np.asarray(pixels)
            if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
                raise GanStudioError(f"A picture to translate is uint8 (H, W, 3), not {pixels.dtype} {pixels.shape}.")
            height, width = pixels.shape[:2]
            step = self.model.size_multiple
            if step:
                fits = height % step == 0 and width % step == 0
            else:
                fits = (height, width) == (self.model.image_size, self.model.image_size)
            if not fits:
                wanted = f"sides that are multiples of {step}" if step else f"{self.model.image_size}x{self.model.image_size}"
                raise GanStudioError(f"The drawn picture is {width}x{height} pixels; {self.model.name} takes {wanted}.")
            self.picture = array_to_tensor(pixels)
            return self._translate(direction)

    def _translate(self, direction: str | None) -> np.ndarray:
        if self.model is None or self.picture is None:
            raise GanStudioError("Open a model and a picture first.")
        if self.model.directions:
            self.model.set_direction(direction or self.model.direction)
        elif direction not in (None, "AtoB"):
            raise ModelError(f"{self.model.name} translates one way only.")
        out = self.model.translate(self.picture[None], mode="eval")
        self.output = self.model.to_pixels(out)[0]
        return self.output
