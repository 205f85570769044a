"""What the app remembers between sessions, behind one small wrapper with defaults.

Stored with QSettings in INI format under the user scope. Tests redirect that location with
`QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tmp_path)` so they never touch the
user's real settings.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from ganstudio.core.train.run_index import default_runs_folder  # noqa: F401  (shared with `ganstudio runs`)

log = logging.getLogger(__name__)

ORGANIZATION = "GANStudio"
APPLICATION = "ganstudio"
MAX_RECENT = 8
# What the areas remember between sessions ("session/<area>", one JSON text each) carries this version:
# a text of another version is ignored, so a later app never misreads an older layout (nor the reverse).
SESSION_VERSION = 1
SESSION_MAX_BYTES = 256 << 10  # a remembered form or run list is a few kB; a hand-edited monster is ignored
DEVICE_CHOICES = ("auto", "cpu", "cuda")
EXPORT_SCALES = (1, 2, 4, 8)
MAX_THREADS = 1024


class AppSettings:
    """Typed access to the few values the app keeps; every getter has a default."""

    def __init__(self, settings: QSettings | None = None):
        self._s = settings or QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)

    @property
    def file_name(self) -> str:
        return self._s.fileName()

    def sync(self) -> None:
        self._s.sync()

    # --- generic helpers -------------------------------------------------------------------------
    def _get_str(self, key: str, default: str = "") -> str:
        value = self._s.value(key, default)
        return str(value) if value is not None else default

    def _get_float(self, key: str, default: float) -> float:
        try:
            return float(self._s.value(key, default))
        except (TypeError, ValueError):
            return default

    def _get_bool(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        if isinstance(value, str):  # INI files give strings back
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    # --- window ------------------------------------------------------------------------------------
    # The geometry is kept per screen size ("window/geometry@1920x1080"): a laptop that is docked to a
    # large monitor and undocked again gets back the window it had on each. The plain key holds the
    # last one on any screen, for a screen seen for the first time (the window fits it to the screen).
    def geometry(self, screen: str = "") -> QByteArray | None:
        for key in ([f"window/geometry@{screen}"] if screen else []) + ["window/geometry"]:
            value = self._s.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                return value
        return None

    def set_geometry(self, value: QByteArray, screen: str = "") -> None:
        if screen:
            self._s.setValue(f"window/geometry@{screen}", value)
        self._s.setValue("window/geometry", value)

    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, value: QByteArray) -> None:
        self._s.setValue("window/state", value)

    def last_area(self) -> str:
        return self._get_str("window/area", "")  # empty on first launch

    def set_last_area(self, name: str) -> None:
        self._s.setValue("window/area", name)

    # --- folders -----------------------------------------------------------------------------------
    def last_folder(self, purpose: str) -> str:
        """Where the file dialog for `purpose` (data, runs, checkpoints, export) opened last."""
        return self._get_str(f"folders/{purpose}", str(Path.home()))

    def set_last_folder(self, purpose: str, folder: str | Path) -> None:
        self._s.setValue(f"folders/{purpose}", str(folder))

    def model_folders(self) -> list[Path]:
        """Where the user keeps models: the runs folder and the folders model dialogs last opened from
        (only ones the user chose; the home-folder default would make every file a known place)."""
        folders = [self.runs_folder()]
        for purpose in ("checkpoints", "sketch-models", "explore"):
            if self._s.contains(f"folders/{purpose}"):
                folders.append(Path(self._get_str(f"folders/{purpose}")))
        return folders

    def is_known_model_place(self, path: str | Path) -> bool:
        """May a model a sketch or bookmark names open without asking (bundled, model folders, recent)?"""
        from ganstudio.core.generators.known_places import is_known_model_place

        return is_known_model_place(path, self.model_folders(), self.recent_checkpoints() + self.recent_models())

    def runs_folder(self) -> Path:
        """Parent folder of the run folders the app creates when it trains."""
        return Path(self._get_str("training/runs_folder", str(default_runs_folder())))

    def set_runs_folder(self, folder: str | Path) -> None:
        self._s.setValue("training/runs_folder", str(folder))

    def browsed_runs_folder(self) -> Path:
        """The folder the run browser listed last; the runs folder until it has listed another."""
        return Path(self._get_str("folders/run-browser", str(self.runs_folder())))

    def set_browsed_runs_folder(self, folder: str | Path) -> None:
        self._s.setValue("folders/run-browser", str(folder))

    # --- recent files ------------------------------------------------------------------------------
    def _recent(self, key: str) -> list[str]:
        value = self._s.value(key, [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-item list
            value = [value]
        return [str(v) for v in (value or []) if v]

    def _add_recent(self, key: str, path: str | Path) -> list[str]:
        path = str(path)
        items = [p for p in self._recent(key) if p != path]
        items.insert(0, path)
        items = items[:MAX_RECENT]
        self._s.setValue(key, items)
        return items

    def recent_checkpoints(self) -> list[str]:
        return self._recent("recent/checkpoints")

    def add_recent_checkpoint(self, path: str | Path) -> list[str]:
        return self._add_recent("recent/checkpoints", path)

    def recent_models(self) -> list[str]:
        """Generators opened in Sketch or Explore, newest first (known places for the files they name)."""
        return self._recent("recent/models")

    def add_recent_model(self, path: str | Path) -> list[str]:
        return self._add_recent("recent/models", path)

    def clear_recent_checkpoints(self) -> None:
        self._s.setValue("recent/checkpoints", [])

    # --- monitor -----------------------------------------------------------------------------------
    def smoothing(self) -> float:
        return min(max(self._get_float("monitor/smoothing", 0.6), 0.0), 0.99)

    def set_smoothing(self, value: float) -> None:
        self._s.setValue("monitor/smoothing", float(value))

    def log_y(self) -> bool:
        return self._get_bool("monitor/log_y", False)

    def set_log_y(self, value: bool) -> None:
        self._s.setValue("monitor/log_y", bool(value))

    # --- preferences (Edit > Preferences…) ---------------------------------------------------------
    def threads(self) -> int:
        """Torch CPU threads of the app and the default `train.threads` of new runs; 0 chooses."""
        try:
            value = int(self._s.value("preferences/threads", 0))
        except (TypeError, ValueError):
            return 0
        return min(max(value, 0), MAX_THREADS)

    def set_threads(self, value: int) -> None:
        self._s.setValue("preferences/threads", min(max(int(value), 0), MAX_THREADS))

    def device(self) -> str:
        """auto, cpu or cuda: the default device of new runs and where Explore and Sketch render."""
        value = self._get_str("preferences/device", "auto")
        return value if value in DEVICE_CHOICES else "auto"

    def set_device(self, value: str) -> None:
        self._s.setValue("preferences/device", value if value in DEVICE_CHOICES else "auto")

    def export_scale(self) -> int:
        """Explore's export size: 1 (the model's pixels) or an integer enlargement."""
        try:
            value = int(self._s.value("preferences/export_scale", 1))
        except (TypeError, ValueError):
            return 1
        return value if value in EXPORT_SCALES else 1

    def set_export_scale(self, value: int) -> None:
        self._s.setValue("preferences/export_scale", int(value) if int(value) in EXPORT_SCALES else 1)

    def tensorboard_logs(self) -> bool:
        """Do new runs also write TensorBoard logs (RUN_FOLDER/tensorboard)? Needs the tensorboard package."""
        return self._get_bool("preferences/tensorboard", False)

    def set_tensorboard_logs(self, on: bool) -> None:
        self._s.setValue("preferences/tensorboard", bool(on))

    # --- picture views ---------------------------------------------------------------------------------
    def exact_pixels(self, area: str) -> bool:
        """Does `area`'s output show each model pixel as a sharp block (else enlarged smoothly)?"""
        return self._get_bool(f"view/exact_pixels/{area}", False)

    def set_exact_pixels(self, area: str, on: bool) -> None:
        self._s.setValue(f"view/exact_pixels/{area}", bool(on))

    # --- what the areas remember between sessions --------------------------------------------------
    def remembered(self, area: str) -> dict[str, Any] | None:
        """What `area` left last time (a dict it wrote with `remember`), or None: nothing, another
        version, or a text that is not what this app writes (read bounded; never an exception)."""
        from ganstudio.core.errors import GanStudioError
        from ganstudio.core.safe_json import loads_json

        text = self._s.value(f"session/{area}")
        if not isinstance(text, str) or not text:
            return None
        try:
            value = loads_json(text, f"the remembered {area} state", max_bytes=SESSION_MAX_BYTES, max_depth=8)
        except GanStudioError as exc:
            log.warning("%s", exc)
            return None
        if not isinstance(value, dict) or value.get("version") != SESSION_VERSION or not isinstance(value.get("state"), dict):
            return None
        return value["state"]

    def remember(self, area: str, state: dict[str, Any] | None) -> None:
        """Keep `state` (plain JSON values) for the next session; None forgets it."""
        if state is None:
            self._s.remove(f"session/{area}")
            return
        self._s.setValue(f"session/{area}", json.dumps({"version": SESSION_VERSION, "state": state}))
