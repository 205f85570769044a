"""The Bookmarks tab of the Explore area: save the selection or the grid, open a bookmark, and the list of
this session's bookmarks (from the ExploreState's `bookmarks` event). The file dialogs are the area's."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from ganstudio.core.latent.explore_state import ExploreState
from ganstudio.qt.widgets.image_views import to_qimage

HELP = ("A bookmark holds the exact latents, class labels, truncation, seed and the model's file hash. "
        "<code>ganstudio sample CHECKPOINT --latent FILE.json --out x.png</code> renders the same pixels.")


class BookmarksPanel(QWidget):
    """`saveRequested(what)` ("selection" or "grid"), `openRequested()` and `bookmarkChosen(path)` go to
    the area. `picture_of(what)` gives the picture on screen for a new bookmark's icon."""

    saveRequested = Signal(str)
    openRequested = Signal()
    bookmarkChosen = Signal(str)

    def __init__(self, state: ExploreState, picture_of: Callable[[str], np.ndarray | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("bookmarksPanel")
        self.picture_of = picture_of
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 8, 6, 6)
        row = QHBoxLayout()
        for name, text, tip, slot in (
                ("bookmarkSelectionButton", "Selection…", "Save the selected sample's exact latent as a JSON bookmark.",
                 lambda: self.saveRequested.emit("selection")),
                ("bookmarkGridButton", "Grid…", "Save all 16 latents of the grid as one bookmark.",
                 lambda: self.saveRequested.emit("grid")),
                ("openBookmarkButton", "Open…", "Open a bookmark: one latent becomes the selection, several become the grid.",
                 self.openRequested)):
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.bookmarkList = QListWidget()
        self.bookmarkList.setObjectName("bookmarkList")
        self.bookmarkList.setIconSize(QSize(40, 40))
        self.bookmarkList.setToolTip("Click a bookmark to show it again.")
        self.bookmarkList.itemActivated.connect(self._on_item)
        self.bookmarkList.itemClicked.connect(self._on_item)
        lay.addWidget(self.bookmarkList, 1)
        help_ = QLabel(HELP)
        help_.setWordWrap(True)
        help_.setProperty("muted", True)
        help_.setTextFormat(Qt.RichText)
        lay.addWidget(help_)
        state.events.bookmarks.connect(self._on_bookmark)

    def _on_bookmark(self, entry: dict) -> None:
        """A new entry of the state's list: newest first, with the picture on screen when it was saved here."""
        n = entry["latents"]
        item = QListWidgetItem(f"{Path(entry['path']).stem}\n{n} latent{'s' if n != 1 else ''} · {entry['name']}")
        item.setData(Qt.UserRole, entry["path"])
        item.setToolTip(entry["path"])
        picture = self.picture_of(entry["what"]) if entry.get("what") else None
        if picture is not None:
            qimg, _arr = to_qimage(picture)
            item.setIcon(QIcon(QPixmap.fromImage(qimg.copy())))
        self.bookmarkList.insertItem(0, item)

    def _on_item(self, item: QListWidgetItem) -> None:
        self.bookmarkChosen.emit(item.data(Qt.UserRole))
