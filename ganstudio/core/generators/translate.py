"""One-shot translation of a picture or a saved sketch document: the engine of `ganstudio translate`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganstudio.core.errors import GanStudioError, ModelError
from ganstudio.core.generators.handle import Generator


def translate_file(model: Generator, input_path: str | Path, mode: str = "reference", seed: int = 0,
                   n_hints: int = 10) -> np.ndarray:
    """Translate a picture file or a saved sketch document (.json): uint8 (H, W, 3)."""
    input_path = Path(input_path)
    if not model.is_translation:
        raise ModelError(f"{model.path} is an unconditional generator; `translate` needs a sketch or pix2pix model.")
    if not input_path.is_file():
        raise GanStudioError(f"Input file {input_path} does not exist.")
    if input_path.suffix.lower() == ".json":
        from ganstudio.core.sketch.document import load_document

        doc = load_document(input_path)
        if doc.size != (model.image_size, model.image_size):
            raise GanStudioError(
                f"Sketch document {input_path} was drawn at {doc.size[1]}x{doc.size[0]} pixels; "
                f"{Path(model.path).name} works at {model.image_size}x{model.image_size}."
            )
        layers = doc.render(1)
        x = model.input_from_layers(layers.lines, layers.hint_rgb, layers.hint_mask)
    else:
        from ganstudio.core.data import load_image

        image = load_image(input_path, model.image_size, channels=3)
        x = model.input_from_image(image, n_hints=n_hints, seed=seed)
    out = model.translate(x[None], mode=mode, seeds=[seed])
    return model.to_pixels(out)[0]
