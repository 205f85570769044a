"""Sub-commands that live in their own module, so that a new command never edits cli.py.

Each module here defines ``NAME`` (the sub-command), ``DOING`` (what it is doing, for "not enough memory
for ..."), ``add_parser(sub, parents)`` (adds its argparse sub-parser) and ``run(args) -> int``. Modules
import torch and the engine inside ``run``: the parser is built on every launch, also the app's.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

LAST = 100  # the place of a module without ORDER: after cli.py's own commands


def command_modules() -> list[ModuleType]:
    """The command modules of this package, by their ORDER and then name (so `ganstudio --help` is stable);
    those with an ORDER below LAST are listed before cli.py's own commands."""
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return sorted(modules, key=lambda module: getattr(module, "ORDER", LAST))
