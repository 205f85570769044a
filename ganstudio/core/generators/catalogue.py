"""The one catalogue of the models that ship with GAN Studio (resources/models/NAME.safetensors).

Each entry says which area offers it: "sketch" models translate a drawing (Sketch area), "conditional"
and "unconditional" ones have a latent space (Explore area); unconditional ones are also steered by
strokes in the Sketch area (latent fitting). The files are GAN Studio checkpoints and
open through `generators.open_generator` like any other; how they are built and measured lives in
`ganstudio.core.bundled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ganstudio.core.errors import ModelError

KINDS = ("sketch", "conditional", "unconditional")
# The Sketch area also steers unconditional generators: its latent fit (iGAN) searches z for a picture that
# follows the strokes, so the landscape DCGAN is offered there too (after the sketch model, its default).
AREA_KINDS = {"sketch": ("sketch", "unconditional"), "explore": ("conditional", "unconditional")}
MODELS_FOLDER = "models"  # under resources/ (ganstudio.resources when installed)
BUILD_COMMAND = "python -m ganstudio.core.bundled build"


@dataclass(frozen=True)
class BundledModel:
    """One shipped model: `name` is the file stem under resources/models/."""

    name: str
    title: str
    kind: str  # sketch | conditional | unconditional
    description: str

    @property
    def path(self) -> Path:
        """The weights file (which may be missing in a checkout that has not built the models)."""
        return bundled_folder() / f"{self.name}.safetensors"


CATALOGUE: tuple[BundledModel, ...] = (
    BundledModel(
        "sketch-landscapes", "Landscape from a sketch", "sketch",
        "Draw mountain outlines, the horizon and trees, dab a few colours; a pix2pix U-Net paints a 64x64 "
        "landscape. Trained on procedural landscapes through the same auto-pairing as your photos.",
    ),
    BundledModel(
        "digits-conditional", "Handwritten digits 0-9", "conditional",
        "Class-conditional DCGAN trained on the bundled UCI handwritten digits (32x32): pick a digit, get a "
        "handwritten one.",
    ),
    BundledModel(
        "landscapes-dcgan", "Procedural landscapes", "unconditional",
        "DCGAN generator of 64x64 procedural landscapes (sky, mountains, lakes, trees): explore its latent "
        "space, interpolate, edit.",
    ),
)
_BY_NAME = {m.name: m for m in CATALOGUE}


def bundled_folder() -> Path:
    """resources/models/ of the installed package (importlib.resources) or of the source checkout."""
    from ganstudio.core.resources import resource_path

    return resource_path(MODELS_FOLDER)


def catalogue_entry(name: str) -> BundledModel:
    if name not in _BY_NAME:
        raise ModelError(f"there is no bundled model '{name}'; bundled models are {', '.join(_BY_NAME)}.")
    return _BY_NAME[name]


def list_bundled(folder: str | Path | None = None, area: str | None = None) -> list[BundledModel]:
    """The bundled models whose weights are installed, in catalogue order (sketch, digits, landscapes);
    `area` "sketch" or "explore" keeps the ones that area offers."""
    if area is not None and area not in AREA_KINDS:
        raise ModelError(f"there is no area {area!r}; areas with models are {', '.join(AREA_KINDS)}.")
    folder = Path(folder) if folder is not None else bundled_folder()
    kinds = AREA_KINDS[area] if area is not None else KINDS
    return [m for m in CATALOGUE if m.kind in kinds and (folder / f"{m.name}.safetensors").is_file()]


def is_bundled(path: str | Path) -> bool:
    """True for a weights file inside the installed resources/models/ folder."""
    try:
        return Path(path).resolve().is_relative_to(bundled_folder().resolve())
    except (OSError, ValueError):
        return False
