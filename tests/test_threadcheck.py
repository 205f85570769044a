"""The leak check behind conftest's no_thread_left_running / no_qthread_left_running fixtures."""

import threading

from threadcheck import threads_left_running


def test_a_thread_still_running_is_named_and_one_that_ends_in_the_grace_time_is_not():
    before = set(threading.enumerate())
    gate = threading.Event()
    stuck = threading.Thread(target=gate.wait, name="stuck-thread", daemon=True)
    stuck.start()
    try:
        assert threads_left_running(before, list(threading.enumerate()), grace_s=0.05) == ["stuck-thread"]
        # threads that ran before the test are not its leaks
        assert threads_left_running(set(threading.enumerate()), list(threading.enumerate()), grace_s=0.05) == []
    finally:
        gate.set()
        stuck.join(5)
    ending = threading.Thread(target=lambda: None, name="ending-thread")
    ending.start()
    assert threads_left_running(before, [ending], grace_s=5.0) == []  # joined inside the grace time


def test_qthreads_are_named_by_their_object_name(qtbot):
    from PySide6.QtCore import QThread

    thread = QThread()
    thread.setObjectName("a-qthread")
    thread.start()
    try:
        assert threads_left_running(set(), [thread], grace_s=0.05, running=QThread.isRunning,
                                    join=lambda t, s: t.wait(int(s * 1000))) == ["a-qthread"]
    finally:
        thread.quit()
        thread.wait()
    assert threads_left_running(set(), [thread], running=QThread.isRunning, join=lambda t, s: t.wait(1)) == []
