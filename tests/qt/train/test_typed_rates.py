"""Typing a learning rate is one change, not one per keystroke (issue 18's seen-in-use list)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ganstudio.core.train.form import SPECS
from ganstudio.qt.train.fields import make_field


def test_typing_a_rate_sends_one_change_on_enter(qtbot):
    w = make_field(SPECS["optim.lr_d"])
    qtbot.addWidget(w)
    w.show()
    changes = []
    w.fieldChanged.connect(changes.append)
    w.lineEdit().selectAll()
    qtbot.keyClicks(w.lineEdit(), "0.0002")
    assert changes == []  # nothing while typing
    qtbot.keyClick(w.lineEdit(), Qt.Key_Return)
    assert changes == [2e-4]
