"""Access to bundled files (digits data, default models) in an installed wheel and in a checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of a bundled file under resources/ (installed as the package ganstudio.resources)."""
    try:
        root = importlib.resources.files("ganstudio.resources")
        candidate = root / name
        if candidate.is_file() or candidate.is_dir():
            return Path(str(candidate))
    except ModuleNotFoundError:
        pass
    # Running from a source checkout without installing: resources/ sits beside the package.
    return Path(__file__).resolve().parents[2] / "resources" / name
