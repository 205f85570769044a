"""RenderWorker: newest request wins, stale waiting requests are dropped, failures become messages."""

import threading
import time

from ganstudio.qt.render_worker import RenderWorker


def test_newest_request_wins_and_waiting_ones_are_dropped(qtbot):
    worker = RenderWorker("test")
    gate = threading.Event()
    ran = []

    def slow(i):
        gate.wait(5)
        ran.append(i)
        return i * 10

    results = []
    worker.rendered.connect(lambda rid, res, sec: results.append((rid, res)))
    worker.submit(slow, 1)  # starts running and blocks on the gate
    time.sleep(0.05)
    worker.submit(slow, 2)  # waits...
    last = worker.submit(slow, 3)  # ...and replaces request 2, which never runs
    gate.set()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert ran == [1, 3]
    assert results[-1] == (last, 30) and worker.is_latest(last)
    assert worker.dropped == 1
    worker.close()


def test_a_failing_render_is_reported_and_the_worker_lives_on(qtbot):
    worker = RenderWorker("test")
    errors, results = [], []
    worker.failed.connect(lambda rid, err: errors.append(err))
    worker.rendered.connect(lambda rid, res, sec: results.append(res))

    def broken():
        raise ValueError("bad tensor")

    worker.submit(broken)
    qtbot.waitUntil(lambda: len(errors) == 1, timeout=5000)
    assert "ValueError" in errors[0].message and not errors[0].user_error
    worker.submit(lambda: "ok")
    qtbot.waitUntil(lambda: results == ["ok"], timeout=5000)
    worker.close()
