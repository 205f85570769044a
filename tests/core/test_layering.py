"""The package layout keeps its promises: opening a generator never needs the trainer, and the wheel
carries every package of the source tree."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ganstudio

PACKAGE = Path(ganstudio.__file__).parent
CORE = PACKAGE / "core"
# Features that open or use generators must work without the training code (napari-style layering).
NO_TRAINING = ("generators", "sketch", "latent", "models", "data")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_generator_features_never_import_the_training_package():
    offenders = []
    for feature in NO_TRAINING:
        for path in (CORE / feature).rglob("*.py"):
            bad = {m for m in imported_modules(path) if m == "ganstudio.core.train" or m.startswith("ganstudio.core.train.")}
            offenders += [f"{path.relative_to(PACKAGE)} imports {m}" for m in sorted(bad)]
    assert offenders == []


def test_the_import_scan_sees_function_level_imports(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from ganstudio.core.train import trainer\n    import ganstudio.core.train.tricks\n")
    assert {"ganstudio.core.train", "ganstudio.core.train.trainer", "ganstudio.core.train.tricks"} <= imported_modules(sample)


OPEN_AND_RENDER = r"""
import sys
import numpy as np
from ganstudio.core.generators.handle import LatentRequest, open_generator
model = open_generator(sys.argv[1], device="cpu")
result = model.render(LatentRequest(np.zeros((2, model.z_dim), np.float32)))
assert result.error is None and result.pixels.shape[0] == 2, result
loaded = sorted(m for m in sys.modules if m.startswith("ganstudio.core.train"))
print("TRAIN-MODULES", ",".join(loaded) or "none")
"""


def test_opening_and_rendering_a_bundled_generator_loads_no_training_module():
    from ganstudio.core.generators.catalogue import catalogue_entry

    path = catalogue_entry("digits-conditional").path
    out = subprocess.run([sys.executable, "-c", OPEN_AND_RENDER, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "TRAIN-MODULES none"


def test_pyproject_ships_every_package_of_the_source_tree():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    listed = set(tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["packages"])
    source = {".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")}
    assert source - listed == set(), "packages missing from pyproject.toml [tool.setuptools] packages"
    assert "ganstudio.resources" in listed
