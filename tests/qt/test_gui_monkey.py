"""The whole window fuzzed as a careless user would use it: a seeded "monkey" clicks random buttons, picks
random combo entries, types extreme and garbage values into every kind of field, drags on the canvas,
switches areas and triggers menu actions — in every area, with the engine loaded.

What must hold after every action: no exception escaped into Qt's event loop (pytest-qt fails the test
on one), the window is still shown and never resized itself, and it keeps answering events. Modal dialogs
(file and colour pickers, questions) are answered "cancel" at once, as a user who changes their mind would.
"""

from __future__ import annotations

import os
import random

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QColorDialog,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QScrollBar,
    QSpinBox,
    QTabBar,
    QWidget,
)

from ganstudio.qt.main_window import AREAS

ACTIONS_PER_AREA = 60
GARBAGE = ("", "-1", "1e309", "nan", "0", "99999999999", "../../etc/passwd", "ä" * 300, "1,5", " 7 ")
NEVER_CLICK = {"&Quit"}  # the monkey stays in the app


@pytest.fixture
def cancelling_dialogs(monkeypatch):
    """Every modal dialog is cancelled at once (the way a user backs out of one)."""
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([], "")))
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: __import__("PySide6.QtGui").QtGui.QColor()))
    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.Cancel)
    for name in ("about", "aboutQt", "information", "warning", "critical", "question"):  # C++ statics: their own exec
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.Cancel))
    monkeypatch.setattr(QDialog, "exec", lambda self: QDialog.Rejected)


def _controls(page: QWidget) -> list[QWidget]:
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QLineEdit, QTabBar)
    found = []
    for w in page.findChildren(QWidget):
        if not isinstance(w, kinds) or isinstance(w, QScrollBar) or not w.isVisible() or not w.isEnabled():
            continue
        if isinstance(w, QLineEdit) and isinstance(w.parent(), (QAbstractSpinBox, QComboBox)):
            continue  # a spin box's or combo's own text field: the spin box is the control
        found.append(w)
    return found


def _act(rng: random.Random, w: QWidget, qtbot) -> str:
    """One thing a user could do to `w`; returns what was done (for the failure message)."""
    name = f"{type(w).__name__}#{w.objectName() or '?'}"
    if isinstance(w, QAbstractButton):
        if w.text() in NEVER_CLICK:
            return f"skip {name}"
        qtbot.mouseClick(w, Qt.LeftButton)
        return f"click {name} {w.text()!r}"
    if isinstance(w, QComboBox):
        if w.count():
            w.setCurrentIndex(rng.randrange(w.count()))
        return f"pick {name} {w.currentText()!r}"
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        value = rng.choice([w.minimum(), w.maximum(), rng.uniform(w.minimum(), w.maximum())])
        w.setValue(int(value) if isinstance(w, QSpinBox) else value)
        return f"set {name} {w.value()}"
    if isinstance(w, QAbstractSpinBox):
        w.lineEdit().setText(rng.choice(GARBAGE)) if w.lineEdit() else None
        w.editingFinished.emit()
        return f"type into {name}"
    if isinstance(w, QAbstractSlider):
        w.setValue(rng.randint(w.minimum(), w.maximum()))
        return f"slide {name} {w.value()}"
    if isinstance(w, QLineEdit):
        w.setText(rng.choice(GARBAGE))
        w.editingFinished.emit()
        w.returnPressed.emit()
        return f"type into {name}"
    if isinstance(w, QTabBar):
        if w.count():
            w.setCurrentIndex(rng.randrange(w.count()))
        return f"tab {name}"
    return f"nothing for {name}"


def _drag_on(widget: QWidget, rng: random.Random, qtbot) -> None:
    w, h = max(widget.width(), 2), max(widget.height(), 2)
    start = QPoint(rng.randrange(w), rng.randrange(h))
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    for _ in range(rng.randint(1, 6)):
        qtbot.mouseMove(widget, QPoint(rng.randrange(w), rng.randrange(h)))
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=QPoint(rng.randrange(w), rng.randrange(h)))


def _close_stray_windows(window) -> None:
    """Non-modal dialogs a click opened (help, preferences): closed, as a user closes them."""
    for top in QApplication.topLevelWidgets():
        if top is not window and top.isVisible() and isinstance(top, QDialog):
            top.reject()


@pytest.mark.parametrize("seed", [int(s) for s in os.environ.get("GANSTUDIO_MONKEY_SEEDS", "0,1").split(",")])
def test_a_random_user_cannot_break_the_window(qtbot, window, cancelling_dialogs, seed):
    rng = random.Random(seed)
    trail = open(os.environ["GANSTUDIO_MONKEY_TRAIL"], "a") if os.environ.get("GANSTUDIO_MONKEY_TRAIL") else None
    size = window.size()
    done: list[str] = []
    # what the menu bar and the tool bar offer (the plots' own context-menu actions need their menu)
    actions = [a for menu in window.menuBar().actions() if menu.menu() for a in menu.menu().actions()
               if a.text() and a.text() not in NEVER_CLICK and not a.menu() and not a.isSeparator()]
    for area in rng.sample(list(AREAS), len(AREAS)):
        window.show_area(area)
        qtbot.wait(50)
        page = window.area_widget(area)
        for _ in range(ACTIONS_PER_AREA):
            roll = rng.random()
            if roll < 0.08 and actions:
                act = rng.choice(actions)
                if act.isEnabled():
                    act.trigger()
                    done.append(f"menu {act.text()!r}")
            elif roll < 0.16 and area == "Sketch":
                _drag_on(window.sketch.canvas, rng, qtbot)
                done.append("drag on the canvas")
            else:
                controls = _controls(window.area_widget(window.current_area()))
                if controls:
                    done.append(_act(rng, rng.choice(controls), qtbot))
            if trail is not None:
                print(area, done[-1] if done else "", file=trail, flush=True)
            _close_stray_windows(window)
            QApplication.processEvents()
            assert window.isVisible(), f"the window went away after: {done[-5:]}"
            assert window.size() == size, f"the window resized itself after: {done[-5:]}"
        assert page is not None
    # still answering: an area switch is carried out at once
    window.show_area("Train")
    qtbot.waitUntil(lambda: window.current_area() == "Train", timeout=5000)
    window.run_control.shutdown()  # a run the monkey started: stopped and saved
