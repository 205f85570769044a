"""Keyboard access, as a careful desktop app has it: every control of every area takes the focus by Tab,
every area has its Ctrl+N, and every tool-bar action's tooltip names its key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QTabBar,
    QToolBar,
    QWidget,
)

from ganstudio.qt.main_window import AREAS

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QLineEdit, QTabBar)


def _controls(page: QWidget) -> list[QWidget]:
    found = []
    for w in page.findChildren(QWidget):
        if not isinstance(w, CONTROLS) or isinstance(w, QScrollBar) or not w.isVisibleTo(page):
            continue  # scroll bars move with the keys of the view they scroll
        if isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
            continue  # a spin box's or combo's own text field: the spin box is the control
        found.append(w)
    return found


def test_every_control_of_every_area_takes_the_focus_by_tab(qtbot, window):
    for area in AREAS:
        window.show_area(area)
        qtbot.wait(50)
        page = window.area_widget(area)
        controls = _controls(page)
        assert controls, f"{area} shows no controls"
        no_tab = [f"{type(w).__name__}#{w.objectName() or '?'} {getattr(w, 'text', lambda: '')()!r}"
                  for w in controls if not w.focusPolicy() & Qt.TabFocus]
        assert not no_tab, f"{area}: not reachable by Tab: {no_tab}"


def test_every_area_has_its_key_and_tool_bar_tooltips_name_theirs(window):
    view = next(a.menu() for a in window.menuBar().actions() if a.menu() and a.text() == "&View")
    keys = {a.text(): a.shortcut().toString() for a in view.actions() if a.text() in AREAS}
    assert keys == {name: f"Ctrl+{i + 1}" for i, name in enumerate(AREAS)}
    toolbar = window.findChild(QToolBar, "mainToolbar")
    for act in toolbar.actions():
        key = act.shortcut().toString(QKeySequence.NativeText)
        if key:
            assert key in act.toolTip(), f"{act.text()}: the tooltip {act.toolTip()!r} does not name {key}"
