"""The check behind the conftest fixtures that fail a test leaving a thread running (Python or Qt)."""

import time

THREAD_GRACE_S = 5.0  # how long a thread that a test told to stop may take to end after the test


def threads_left_running(before: set, started: list, grace_s: float = THREAD_GRACE_S,
                         running=lambda t: t.is_alive(), join=lambda t, s: t.join(s)) -> list[str]:
    """Names of the threads in `started` (not in `before`) still running after `grace_s` seconds."""
    deadline = time.monotonic() + grace_s
    left = [t for t in started if t not in before and running(t)]
    for t in left:
        join(t, max(0.0, deadline - time.monotonic()))
    return [t.objectName() if hasattr(t, "objectName") else t.name for t in left if running(t)]
