"""Data sets: 2-D toys, the bundled digits, image folders and paired folders (see docs/DESIGN.md)."""

from ganstudio.core.data.images import (
    IMAGE_EXTENSIONS,
    ImageFolder,
    TensorImages,
    load_digits,
    load_image,
)
from ganstudio.core.data.paired import AutoPairedFolder, PairedFolder
from ganstudio.core.data.toy2d import TOY_NAMES, GaussianMixture, ToyDistribution, make_toy

__all__ = [
    "IMAGE_EXTENSIONS",
    "TOY_NAMES",
    "AutoPairedFolder",
    "GaussianMixture",
    "ImageFolder",
    "PairedFolder",
    "TensorImages",
    "ToyDistribution",
    "load_digits",
    "load_image",
    "make_toy",
]
