"""What a file given to the app is, and which area opens it (`ganstudio FILE`, a file dropped on the window).

Desktop programs open what they are given: a run folder goes to the Monitor, a sketch document or a picture
to Sketch, a bookmark to Explore, and a generator to the area that fits it (latent models in Explore,
image-to-image models in Sketch, CycleGAN models in Translate). Deciding that for a generator means opening it (`model_area`), so the app
does that part in the background.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ganstudio.core.errors import GanStudioError

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
# The most a JSON file given to the app is read for its "format" key before it is opened for real.
_JSON_PEEK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class OpenTarget:
    kind: str  # run_folder | sketch_document | bookmark | picture | model
    path: Path
    area: str | None  # Monitor | Sketch | Explore | Translate; None for a model until model_area() says


def _json_format(path: Path) -> str | None:
    try:
        if path.stat().st_size > _JSON_PEEK_BYTES:
            return None
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    return head.get("format") if isinstance(head, dict) else None


def classify(text: str) -> OpenTarget:
    """What `text` (a path or a bundled model's name) names; one sentence when the app cannot open it."""
    from ganstudio.core.generators.catalogue import CATALOGUE
    from ganstudio.core.generators.formats import FOREIGN_SUFFIXES
    from ganstudio.core.latent.bookmarks import BOOKMARK_FORMAT
    from ganstudio.core.sketch.document import FORMAT as SKETCH_FORMAT

    path = Path(text).expanduser()
    if not path.exists():
        bundled = {m.name: m for m in CATALOGUE}
        if text in bundled:
            return OpenTarget("model", bundled[text].path, None)
        raise GanStudioError(f"{text} does not exist (give a checkpoint, generator, run folder, sketch, bookmark "
                             f"or picture, or a bundled model: {', '.join(bundled)}).")
    if path.is_dir():
        if (path / "config.json").is_file() or (path / "metrics.jsonl").is_file():
            return OpenTarget("run_folder", path, "Monitor")
        raise GanStudioError(f"{path} is a folder but not a run folder (it has no config.json or metrics.jsonl).")
    suffix = path.suffix.lower()
    if suffix in PICTURE_SUFFIXES:
        return OpenTarget("picture", path, "Sketch")
    if suffix == ".json":
        fmt = _json_format(path)
        if fmt == SKETCH_FORMAT:
            return OpenTarget("sketch_document", path, "Sketch")
        if fmt == BOOKMARK_FORMAT:
            return OpenTarget("bookmark", path, "Explore")
        return OpenTarget("model", path, None)  # a checkpoint's JSON sidecar; opening it says if it is not
    if suffix in (".safetensors", *FOREIGN_SUFFIXES):
        return OpenTarget("model", path, None)
    raise GanStudioError(f"{path} is not a file GAN Studio opens: give a checkpoint (.safetensors), a generator "
                         f"({', '.join(FOREIGN_SUFFIXES)}), a run folder, a sketch or bookmark (.json) or a picture.")


def model_area(path: str | Path) -> str:
    """"Translate" for CycleGAN models (two directions), "Sketch" for other image-to-image generators,
    "Explore" for latent ones (opens the model on the CPU)."""
    from ganstudio.core.generators.handle import open_generator

    model = open_generator(path, device="cpu")
    if model.directions:
        return "Translate"
    return "Sketch" if model.is_translation else "Explore"
