"""Work-arounds for bugs in the Qt bindings that would crash the app.

PySide6 6.12 on Python 3.11: every call of a C++ method that returns void (QLabel.setText,
QPainter.setPen, QWidget.update, ...) decrements the reference count of None without having
incremented it; the bindings assume None is immortal, as it is from Python 3.12 on. pyqtgraph makes
thousands of such calls per second while it paints, so after a few minutes None's count reaches zero and
the process aborts with "Fatal Python error: none_dealloc". We detect the leak and give None (and the two
bools, seen to die the same way at exit) a reference count so large that it cannot run out — what
Python 3.12 does for these singletons anyway. Nothing happens where the bindings are correct.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_RESERVE = 1 << 40  # at 10^5 leaked references a second, this lasts for centuries
_applied = False


def none_leaks_per_call() -> int:
    """References of None lost per call of a void Qt method (0 where the bindings are right)."""
    from PySide6.QtCore import QTimer

    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(64):
        timer.setInterval(1)
    return max(0, round((before - sys.getrefcount(None)) / 64))


def protect_singletons() -> bool:
    """Apply the work-around when this process needs it; True when it was applied (once)."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or none_leaks_per_call() == 0:
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(obj)).value += _RESERVE
    _applied = True
    log.info("PySide6 leaks references to None on this Python; made None, True and False unkillable")
    return True
