"""Before Qt starts: are the system libraries its desktop platform needs installed?

PySide6 wheels carry Qt but not the X11/xcb, OpenGL and font libraries of the system. When one is missing,
Qt's own message names the wrong library (it blames libxcb-cursor0 for a missing libxcb-icccm4) and
aborts with a core dump; we name every missing library and the command that installs it instead.

Pure standard library: it must run before anything imports PySide6.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package). Read from what libqxcb.so, libQt6XcbQpa.so.6 and
# libQt6Gui.so.6 of PySide6 6.x link against (readelf -d); `needed_libraries` reads the real files when
# it can, so a newer PySide6 that needs more is still checked (by soname, without a package name).
PACKAGES: dict[str, tuple[str, str]] = {
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
}
# Needed by every Qt GUI (QtGui itself); the rest only by the xcb platform.
GUI_LIBRARIES = ("libEGL.so.1", "libGL.so.1", "libfontconfig.so.1", "libfreetype.so.6", "libglib-2.0.so.0",
                 "libgthread-2.0.so.0", "libxkbcommon.so.0", "libz.so.1")
XCB_LIBRARIES = tuple(name for name in PACKAGES if name not in GUI_LIBRARIES and name != "libdbus-1.so.3")
# Part of the C/C++ runtime: present wherever Python runs.
_RUNTIME = ("libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "libpthread.so", "libdl.so", "librt.so",
            "ld-linux")


def platform_name(environ: dict[str, str] | None = None) -> str:
    """The Qt platform plugin this process will use: QT_QPA_PLATFORM's first choice, else Qt's default."""
    env = os.environ if environ is None else environ
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def elf_needed(path: Path) -> list[str]:
    """The DT_NEEDED sonames of a 64-bit little-endian ELF file; [] when it is not one."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return []
    try:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        names = []
        for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
            if kind != 6:  # SHT_DYNAMIC
                continue
            strtab = sections[link][4]
            for pos in range(offset, offset + size, entsize or 16):
                tag, value = struct.unpack_from("<qQ", data, pos)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    end = data.index(b"\0", strtab + value)
                    names.append(data[strtab + value:end].decode("ascii", "replace"))
        return names
    except (struct.error, IndexError, ValueError):
        return []


def _qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "Qt"


def needed_libraries(platform: str) -> list[str]:
    """System sonames the Qt GUI on `platform` links against (libraries Qt ships itself left out)."""
    wanted = list(GUI_LIBRARIES) + (list(XCB_LIBRARIES) if platform == "xcb" else [])
    qt = _qt_folder()
    if qt is not None:
        files = [qt / "lib" / "libQt6Gui.so.6"]
        if platform == "xcb":
            files += [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
        shipped = {p.name for p in (qt / "lib").glob("*.so*")}
        for f in files:
            for name in elf_needed(f):
                if name not in wanted and name not in shipped and not name.startswith(_RUNTIME):
                    wanted.append(name)
    return wanted


def loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def missing_libraries(platform: str, can_load: Callable[[str], bool] = loads) -> list[str]:
    return [name for name in needed_libraries(platform) if not can_load(name)]


def install_hint(missing: Iterable[str]) -> str:
    """'sudo apt install ... (Debian, Ubuntu) or sudo dnf install ... (Fedora)' for the known sonames."""
    apt, dnf = [], []
    for name in missing:
        if name in PACKAGES:
            a, d = PACKAGES[name]
            apt += [a] if a not in apt else []
            dnf += [d] if d not in dnf else []
    if not apt:
        return "install them with your system's package manager"
    return f"install them with: sudo apt install {' '.join(apt)} (Debian, Ubuntu) or sudo dnf install {' '.join(dnf)} (Fedora)"


def desktop_problem(environ: dict[str, str] | None = None, can_load: Callable[[str], bool] = loads) -> str | None:
    """One sentence saying why the desktop app cannot start here, or None when nothing is known to be wrong."""
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if environ is None else environ
    platform = platform_name(env)
    missing = missing_libraries(platform, can_load)
    if missing:
        where = "Qt's desktop (xcb) platform" if platform == "xcb" else f"Qt's {platform} platform"
        return f"{where} needs system libraries that are missing: {', '.join(missing)}; {install_hint(missing)}."
    if platform == "xcb" and not env.get("DISPLAY"):
        return ("there is no X display to open the window on (DISPLAY is not set); start the app from a desktop "
                "session, or run it headless with QT_QPA_PLATFORM=offscreen")
    return None
