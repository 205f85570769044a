"""ganstudio.core must import and work without Qt (as napari enforces for its core)."""

import subprocess
import sys
from pathlib import Path

import ganstudio

CORE = Path(ganstudio.__file__).parent / "core"

BLOCKER = r"""
import importlib.abc, sys
class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'PyQt5', 'PyQt6', 'shiboken6', 'superqt'):
            raise ImportError('Qt is blocked in this test: ' + name)
sys.meta_path.insert(0, BlockQt())
import pkgutil, importlib, ganstudio.core as core
for mod in pkgutil.walk_packages(core.__path__, 'ganstudio.core.'):
    importlib.import_module(mod.name)
print('imported', len(list(pkgutil.walk_packages(core.__path__, 'ganstudio.core.'))))
"""


def test_every_core_module_imports_with_qt_blocked():
    out = subprocess.run([sys.executable, "-c", BLOCKER], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) >= 10


def test_no_core_source_mentions_a_qt_import():
    offenders = []
    for path in CORE.rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(q in stripped for q in ("PySide6", "pyqtgraph", "PyQt")):
                offenders.append(f"{path.name}: {stripped}")
    assert offenders == []
