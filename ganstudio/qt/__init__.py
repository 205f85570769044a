"""The desktop app. The only package that imports Qt or pyqtgraph; ganstudio.core never does."""

from ganstudio.qt.pyside_fixes import protect_singletons

# Before any other Qt call of the process: see pyside_fixes for why the app would crash otherwise.
protect_singletons()
