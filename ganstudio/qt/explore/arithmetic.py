"""The Arithmetic tab of the Explore area: groups A, B and C and the grid of mean(A) - mean(B) + mean(C)
with its noisy neighbours. The groups and the result are the ExploreState's; the area puts the rendered
members and result here with `show_groups` / `show_result`."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ganstudio.core.latent.explore_state import GROUPS, ExploreState
from ganstudio.qt.widgets.image_views import ImageGridView

HELP = ("Select samples and add them with + A, − B, + C (or right-click a sample). The result is "
        "mean(A) − mean(B) + mean(C), shown with eight noisy neighbours (DCGAN, Radford et al.).")


class ArithmeticPanel(QWidget):
    def __init__(self, state: ExploreState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("arithmeticPanel")
        self.state = state
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 8, 6, 6)
        help_ = QLabel(HELP)
        help_.setWordWrap(True)
        help_.setProperty("muted", True)
        lay.addWidget(help_)
        self.groupViews: dict[str, ImageGridView] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        for r, (g, sign) in enumerate(zip(GROUPS, ("", "−", "+"))):
            name = QLabel(f"{sign} {g}".strip())
            name.setStyleSheet("font-weight: 600;")
            grid.addWidget(name, r, 0)
            view = ImageGridView(spacing=2, placeholder="empty", single_row=True)
            view.setObjectName(f"group{g}View")
            view.setFixedHeight(44)
            self.groupViews[g] = view
            grid.addWidget(view, r, 1)
            clear = QToolButton()
            clear.setText("✕")
            clear.setAutoRaise(True)
            clear.setToolTip(f"Empty group {g}.")
            clear.clicked.connect(lambda _=False, grp=g: state.clear_group(grp))
            grid.addWidget(clear, r, 2)
        grid.setColumnStretch(1, 1)
        lay.addLayout(grid)
        eq = QLabel("= result")
        eq.setStyleSheet("font-weight: 600;")
        lay.addWidget(eq)
        self.arithmeticGrid = ImageGridView(columns=3, spacing=3, placeholder="Fill A, B and C to see the result.")
        self.arithmeticGrid.setObjectName("arithmeticGrid")
        self.arithmeticGrid.setToolTip("Top left: the result itself; the others add uniform noise of ±0.25. "
                                       "Click one to select it.")
        self.arithmeticGrid.cellClicked.connect(state.select_arithmetic)
        lay.addWidget(self.arithmeticGrid, 1)

        state.events.model.connect(self._on_model)
        state.events.groups.connect(self._on_groups)
        state.events.arith.connect(self._on_result)

    def show_groups(self, pictures: np.ndarray) -> None:
        """The pictures of the members of A, then B, then C."""
        start = 0
        for g in GROUPS:
            n = len(self.state.groups[g])
            self.groupViews[g].set_images(pictures[start : start + n] if n else None)
            start += n

    def show_result(self, pictures: np.ndarray) -> None:
        self.arithmeticGrid.set_images(pictures)

    def _on_model(self, _info: dict) -> None:
        for view in (*self.groupViews.values(), self.arithmeticGrid):
            view.set_images(None)

    def _on_groups(self) -> None:
        for g in GROUPS:
            if not self.state.groups[g]:
                self.groupViews[g].set_images(None)

    def _on_result(self) -> None:
        if self.state.arith_z is None:
            self.arithmeticGrid.set_images(None)
