"""The run folder's metrics.jsonl: one JSON object per logged step, appended and flushed as it goes.

The monitor follows this file while a run (GUI or `ganstudio train`) writes it, so the reader copes with
a last line that is still being written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TextIO


class MetricsWriter:
    """Appends records to metrics.jsonl; each line is flushed so a follower sees it at once."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: TextIO | None = open(self.path, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if self._fh is None:
            return
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
        self._fh.write(json.dumps(clean, separators=(",", ":")) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "MetricsWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MetricsFollower:
    """Reads new complete lines of a growing metrics.jsonl on each `poll()`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._offset = 0
        self.bad_lines = 0  # counted, not silently dropped: shown by the monitor

    def poll(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        if not chunk:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []  # a line still being written
        self._offset += end + 1
        records = []
        for line in chunk[: end + 1].splitlines():
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                self.bad_lines += 1
        return records


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    return MetricsFollower(path).poll()
