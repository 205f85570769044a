"""The desktop app. The only package that imports Qt or pyqtgraph; ganstudio.core never does."""
