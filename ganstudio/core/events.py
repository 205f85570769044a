"""Plain-callback events for the areas' Qt-free state objects (napari's `EmitterGroup`, reduced to
what the app needs): `ExploreState`, `SketchSession`, `TrainForm` and `MonitorState` announce their
changes with these."""

from __future__ import annotations

from typing import Any, Callable


class Event:
    """One kind of change: `connect(fn)`, `disconnect(fn)`; `emit(*args)` calls every fn(*args) in order."""

    __slots__ = ("name", "_callbacks")

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self._callbacks.append(fn)
        return fn

    def disconnect(self, fn: Callable[..., Any]) -> None:
        self._callbacks.remove(fn)

    def emit(self, *args: Any) -> None:
        for fn in tuple(self._callbacks):
            fn(*args)


class EventGroup:
    """The events of one state object, one attribute per name in `NAMES` (also `group[name]`)."""

    NAMES: tuple[str, ...] = ()

    def __init__(self) -> None:
        for name in self.NAMES:
            setattr(self, name, Event(name))

    def __getitem__(self, name: str) -> Event:
        return getattr(self, name)
