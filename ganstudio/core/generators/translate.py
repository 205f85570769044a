"""One-shot translation of a picture or a saved sketch document: the engine of `ganstudio translate`.

Models of one size (U-Nets) take the picture square-cropped and resized to it, as their training pairs
were made. Fully convolutional models (CycleGAN ResNets, `Generator.size_multiple`) keep the picture's size,
each side rounded to the nearest multiple as the reference's `--preprocess none` does (bicubic resize, only
when a side is not a multiple already), so the output has the picture's size rounded that way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganstudio.core.errors import DataError, GanStudioError, ModelError
from ganstudio.core.generators.handle import Generator

# The most pixels a fully convolutional model is run on here: a resnet_9blocks at 2048x2048 holds about
# 1 GiB of float32 features at its widest layer, more memory than many laptops spare.
MAX_TRANSLATE_PIXELS = 2048 * 2048


def translate_file(model: Generator, input_path: str | Path, mode: str = "reference", seed: int = 0,
                   n_hints: int = 10, variant_seed: int | None = None) -> np.ndarray:
    """Translate a picture file or a saved sketch document (.json): uint8 (H, W, 3).

    A model with a latent input (`Generator.variant_z`) draws z = 0 (the mean) unless `variant_seed` names
    a variant (the latent the Sketch strip shows for that seed); `mode` and `seed` still place the hints."""
    input_path = Path(input_path)
    if not model.is_translation:
        raise ModelError(f"{model.path} is an unconditional generator; `translate` needs a sketch or pix2pix model.")
    if not input_path.is_file():
        raise GanStudioError(f"Input file {input_path} does not exist.")
    if input_path.suffix.lower() == ".json":
        from ganstudio.core.sketch.document import load_document

        doc = load_document(input_path)
        _check_document_size(model, doc.size, input_path)
        layers = doc.render(1)
        x = model.input_from_layers(layers.lines, layers.hint_rgb, layers.hint_mask)
    elif model.size_multiple:
        x = model.input_from_image(load_picture_rounded(input_path, model.size_multiple), n_hints=n_hints, seed=seed)
    else:
        from ganstudio.core.data import load_image

        image = load_image(input_path, model.image_size, channels=3)
        x = model.input_from_image(image, n_hints=n_hints, seed=seed)
    if model.variant_z:
        mode, seeds = ("eval", [seed]) if variant_seed is None else ("reference", [variant_seed])
    else:
        seeds = [seed]
    out = model.translate(x[None], mode=mode, seeds=seeds)
    return model.to_pixels(out)[0]


def _check_document_size(model: Generator, size: tuple[int, int], input_path: Path) -> None:
    height, width = size
    name = Path(model.path).name
    if model.size_multiple:
        step = model.size_multiple
        if height % step or width % step or min(height, width) < 2 * step or height * width > MAX_TRANSLATE_PIXELS:
            raise GanStudioError(f"Sketch document {input_path} was drawn at {width}x{height} pixels; {name} takes "
                                 f"sides that are multiples of {step}, at least {2 * step} pixels.")
    elif (height, width) != (model.image_size, model.image_size):
        raise GanStudioError(
            f"Sketch document {input_path} was drawn at {width}x{height} pixels; "
            f"{name} works at {model.image_size}x{model.image_size}."
        )


def rounded_size(width: int, height: int, multiple: int) -> tuple[int, int]:
    """Each side rounded to the nearest multiple (Python's round, as the reference's __make_power_2), at
    least one multiple."""
    return (max(multiple, int(round(width / multiple) * multiple)), max(multiple, int(round(height / multiple) * multiple)))


def load_picture_rounded(path: Path, multiple: int) -> torch.Tensor:
    """A picture as float32 (3, H, W) in [-1, 1], its sides rounded to multiples of `multiple` (bicubic
    resize only when they are not already); DataError naming the file if unreadable or too large."""
    from PIL import Image

    from ganstudio.core.data.images import UnreadableImage, array_to_tensor, image_to_array, open_image

    try:
        image = open_image(path)
    except UnreadableImage as reason:
        raise DataError(f"Image file {path} cannot be read: {reason}.") from None
    width, height = image.size
    new_width, new_height = rounded_size(width, height, multiple)
    if new_width * new_height > MAX_TRANSLATE_PIXELS or min(new_width, new_height) < 2 * multiple:
        raise DataError(f"Image file {path} is {width}x{height} pixels; this model translates pictures from "
                        f"{2 * multiple} pixels a side up to {MAX_TRANSLATE_PIXELS // 1_000_000} megapixels "
                        "(scale it first).")
    if (new_width, new_height) != (width, height):
        image = image.resize((new_width, new_height), Image.Resampling.BICUBIC)
    return array_to_tensor(image_to_array(image, 3))
