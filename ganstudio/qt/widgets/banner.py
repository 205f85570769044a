"""The window's one-line banners and the page that the area scroll area scrolls."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStackedWidget, QToolButton, QWidget


class Banner(QFrame):
    """A dismissable one-line message above the areas (errors red, warnings yellow); never modal."""

    def __init__(self, object_name: str, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        self.label = QLabel("")
        self.label.setObjectName(object_name)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class AreaPage(QWidget):
    """What the area scroll area scrolls: the area stack, as large as the view and never below the
    minimum size of the area shown (a stacked widget's own minimum is the largest of all its pages).
    It has no layout on purpose: a layout would pass on the areas' height-for-width (their word-wrapped
    labels), and the scroll area then sizes the page to the areas' preferred height and scrolls where
    the minimum fits."""

    def __init__(self, stack: QStackedWidget):
        super().__init__()
        self.setObjectName("areaPage")
        self.stack = stack
        stack.setParent(self)
        stack.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self) -> QSize:
        current = self.stack.currentWidget()
        return current.minimumSizeHint().expandedTo(current.minimumSize()) if current is not None else QSize()

    def sizeHint(self) -> QSize:
        return self.stack.sizeHint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.stack.setGeometry(self.rect())

    def event(self, event) -> bool:
        if event.type() == QEvent.LayoutRequest:  # an area's minimum size changed: tell the scroll area
            self.updateGeometry()
        return super().event(event)
