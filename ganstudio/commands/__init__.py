"""Sub-commands that live in their own module, so that a new command never edits cli.py.

Each module here defines ``NAME`` (the sub-command), ``DOING`` (what it is doing, for "not enough memory
for ..."), ``add_parser(sub, parents)`` (adds its argparse sub-parser) and ``run(args) -> int``. Modules
import torch and the engine inside ``run``: the parser is built on every launch, also the app's.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    """The command modules of this package, in name order (so `ganstudio --help` is stable)."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
