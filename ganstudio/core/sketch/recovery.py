"""Crash recovery of the sketch being drawn (no Qt): which file holds unsaved work, and what is safe.

The area autosaves its document to `sketch-recovery.json` in its data folder while it changes; a clean
exit or an explicit save writes `sketch-clean.json` (a time stamp). A recovery file newer than the last
clean mark is a crashed session's work and is offered back. While that offer is unanswered and the user
draws something new, the crashed sketch is kept aside (`sketch-recovery-previous.json`), still on offer.
A clean exit also keeps the sketch itself (`sketch-last.json`), which the next start opens again.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from pathlib import Path

from ganstudio.core.errors import GanStudioError
from ganstudio.core.safe_json import read_json

log = logging.getLogger(__name__)

RECOVERY_FILE = "sketch-recovery.json"
PREVIOUS_RECOVERY_FILE = "sketch-recovery-previous.json"  # a crashed sketch set aside while still on offer
CLEAN_FILE = "sketch-clean.json"
LAST_FILE = "sketch-last.json"  # the sketch of the last clean exit, opened again at the next start


class SketchRecovery:
    """The recovery files of one data folder and the offer of a crashed sketch (`offered`)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.offered: Path | None = None  # the unsaved sketch offered back, until restored or discarded

    @property
    def recovery_path(self) -> Path:
        return self.data_dir / RECOVERY_FILE

    @property
    def previous_path(self) -> Path:
        return self.data_dir / PREVIOUS_RECOVERY_FILE

    @property
    def clean_path(self) -> Path:
        return self.data_dir / CLEAN_FILE

    @property
    def last_path(self) -> Path:
        return self.data_dir / LAST_FILE

    def keep_last(self, document) -> bool:
        """A clean exit: keep `document` for the next start (False when the disk refused)."""
        from ganstudio.core.sketch.document import save_document

        try:
            save_document(document, self.last_path)
        except OSError as exc:
            log.warning("could not keep the sketch in %s: %s", self.last_path, exc)
            return False
        return True

    def last(self):
        """The sketch kept by the last clean exit (a Document), None when there is none; GanStudioError
        when the file is damaged."""
        from ganstudio.core.sketch.document import load_document

        return load_document(self.last_path) if self.last_path.is_file() else None

    def last_clean_time(self) -> float:
        """When the last session ended cleanly; 0 (offer any recovery file) when the mark is missing or
        broken, so that a damaged mark never keeps the Sketch area from starting."""
        if not self.clean_path.is_file():
            return 0.0
        try:
            mark = read_json(self.clean_path, what="Clean-exit mark", max_bytes=4096)
        except GanStudioError as exc:
            log.warning("%s", exc)
            return 0.0
        value = mark.get("time") if isinstance(mark, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return 0.0

    def mark_clean(self) -> None:
        """The work of this session is safe: a later start offers nothing older than now."""
        from ganstudio.core.checkpoint import atomic_write_bytes

        try:
            atomic_write_bytes(self.clean_path, json.dumps({"time": time.time()}).encode())
        except OSError as exc:
            log.warning("could not write %s: %s", self.clean_path, exc)

    def unsaved(self) -> Path | None:
        """The newest recovery file written after the last clean mark, if any."""
        clean = self.last_clean_time()
        found = [p for p in (self.recovery_path, self.previous_path) if p.is_file() and p.stat().st_mtime > clean]
        return max(found, key=lambda p: p.stat().st_mtime) if found else None

    def check(self) -> Path | None:
        """At start: the crashed sketch to offer (remembered as `offered`), or None."""
        self.offered = self.unsaved()
        return self.offered

    def autosave(self, document) -> bool:
        """Write `document` (a sketch Document) to the recovery file; False when the disk refused."""
        from ganstudio.core.sketch.document import save_document

        if self.offered == self.recovery_path:
            # The user draws before answering the offer: keep the crashed sketch aside, still on offer.
            try:
                os.replace(self.recovery_path, self.previous_path)
                self.offered = self.previous_path
            except OSError as exc:
                log.warning("could not keep the recovered sketch aside: %s", exc)
                return False
        try:
            save_document(document, self.recovery_path)
        except OSError as exc:
            log.warning("autosave to %s failed: %s", self.recovery_path, exc)
            return False
        return True

    def take_offered(self) -> Path:
        """The offered file, for restoring it; the offer ends."""
        offered, self.offered = self.offered or self.recovery_path, None
        return offered

    def discard(self) -> None:
        """The user declined the offer: the crashed sketch is deleted."""
        offered, self.offered = self.offered, None
        if offered is not None:
            try:
                offered.unlink()
            except OSError:
                pass
        if offered == self.recovery_path or not self.recovery_path.is_file():
            self.mark_clean()

    def close(self) -> None:
        """A clean exit: this session's autosave goes; an unanswered offer stays on offer next time."""
        if self.offered != self.recovery_path:
            try:
                self.recovery_path.unlink()
            except OSError:
                pass
        if self.offered is None:
            self.mark_clean()
