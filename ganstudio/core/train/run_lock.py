"""One writer per run folder: the lock that `ganstudio train` and the app take before training into RUN.

RUN/run.lock names its owner (pid, host, start time, for the refusal message) and is held with flock(2)
while the owner writes. The kernel drops a flock when its process dies, kill -9 included, so a crashed
owner never keeps the folder: the next run finds the lock free and takes it over. Where flock is not
available (some network filesystems) the file alone decides: a pid that no longer runs on this host is
stale; one on another host cannot be checked and is honoured (the message says which file to delete).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ganstudio.core.errors import GanStudioError

try:
    import fcntl
except ImportError:  # not POSIX: the pid in the file decides
    fcntl = None

log = logging.getLogger(__name__)

LOCK_NAME = "run.lock"


class RunFolderBusy(GanStudioError):
    """Another process trains into this run folder."""


@dataclass(frozen=True)
class LockOwner:
    pid: int
    host: str
    started: str  # local time, ISO format to the second

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, since {self.started.replace('T', ' ')}"


def _me() -> LockOwner:
    return LockOwner(os.getpid(), socket.gethostname(), datetime.now().isoformat(timespec="seconds"))


def _parse_owner(text: str) -> LockOwner | None:
    try:
        data = json.loads(text)
        return LockOwner(int(data["pid"]), str(data["host"]), str(data["started"]))
    except (ValueError, TypeError, KeyError):
        return None


def read_owner(run_dir: str | Path) -> LockOwner | None:
    """Who the lock file of `run_dir` names (None: no lock file, or not one of ours)."""
    try:
        return _parse_owner((Path(run_dir) / LOCK_NAME).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def pid_running(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (one we may not signal counts too)."""
    if pid <= 0 or os.name != "posix":
        return True  # cannot tell: assume it runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_holder(run_dir: str | Path) -> LockOwner | None:
    """Who trains into `run_dir` now (None: nobody), found without taking the lock from anyone, for lists of
    runs. A lock file whose pid no longer runs on this host is free at once; otherwise a shared flock is tried
    and dropped at once (it fails while the owner holds its exclusive one). That probe could make a
    RunLock.acquire of the same instant fail, so it is tried only when the named owner may still run. An
    owner that holds the lock before it has written its name comes back as pid 0, host "unknown"."""
    path = Path(run_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        owner = _parse_owner(_read_fd(fd))
        if owner is not None and owner.host == socket.gethostname() and not pid_running(owner.pid):
            return None  # its owner died: the kernel dropped the flock
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return owner or LockOwner(0, "unknown", "")
            except OSError:
                pass  # flock unsupported here: the pid decides, as RunLock does
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
        # without flock the file alone decides: one on another host cannot be checked and is honoured
        return owner
    finally:
        os.close(fd)


class RunLock:
    """`with RunLock(run_dir):` or acquire() / release(). acquire() creates the folder if needed (and
    release() removes it again if it is still empty), raises RunFolderBusy with one sentence naming the
    folder and the owner, and sets `took_over` to the owner of a stale lock it replaced."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.took_over: LockOwner | None = None
        self._fd: int | None = None
        self._created_folder = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        if self._fd is not None:
            return self
        if not self.run_dir.is_dir():
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._created_folder = True
        try:
            for _ in range(10):  # a previous owner may unlink the file between our open and our lock: retry
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    locked = self._lock(fd)
                except BaseException:
                    os.close(fd)
                    raise
                if locked is None:  # flock unsupported here
                    os.close(fd)
                    fd = self._acquire_by_pid()
                    break
                if self._same_file(fd):
                    break
                os.close(fd)
            else:
                raise RunFolderBusy(f"{self.run_dir} could not be locked: its {LOCK_NAME} keeps being replaced.")
            self._claim(fd)
        except BaseException:
            self._remove_created_folder()
            raise
        self._fd = fd
        if self.took_over is not None:
            log.info("took over %s from %s, which no longer runs", self.path, self.took_over.describe())
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            # Unlink while still holding the lock, so that nobody locks a file that is about to go.
            self.path.unlink()
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None
        self._remove_created_folder()

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # --- inside ------------------------------------------------------------------------------------------
    def _lock(self, fd: int) -> bool | None:
        """True once locked; RunFolderBusy when another process holds it; None where flock does not work."""
        if fcntl is None:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise self._busy(_parse_owner(_read_fd(fd))) from None
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return None
            raise
        return True

    def _acquire_by_pid(self) -> int:
        """Without flock: create the file exclusively; an existing one is stale when its pid is gone."""
        for _ in range(10):
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pass
            try:
                text = self.path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                continue
            owner = _parse_owner(text)
            if owner is not None and owner.pid == os.getpid() and owner.host == socket.gethostname():
                raise self._busy(owner)  # this process trains into it already
            if owner is None or owner.host != socket.gethostname() or pid_running(owner.pid):
                raise self._busy(owner, kernel_checked=False)
            self.took_over = owner
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        raise RunFolderBusy(f"{self.run_dir} could not be locked: its {LOCK_NAME} keeps being replaced.")

    def _same_file(self, fd: int) -> bool:
        try:
            here = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino)

    def _claim(self, fd: int) -> None:
        previous = _parse_owner(_read_fd(fd))
        if previous is not None and self.took_over is None:
            self.took_over = previous  # its owner died without releasing: the kernel dropped the flock
        data = json.dumps(vars(_me())).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        os.fsync(fd)

    def _busy(self, owner: LockOwner | None, kernel_checked: bool = True) -> RunFolderBusy:
        who = f"another training ({owner.describe()})" if owner else "another training (owner unknown)"
        hint = "" if kernel_checked else f"; if that process is gone, delete {self.path}"
        return RunFolderBusy(f"{self.run_dir} is in use by {who}: stop it first or choose another run folder{hint}.")

    def _remove_created_folder(self) -> None:
        if self._created_folder:
            try:
                self.run_dir.rmdir()  # only if empty: the run wrote nothing
            except OSError:
                pass
            self._created_folder = False


def _read_fd(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", errors="replace")
    except OSError:
        return ""
