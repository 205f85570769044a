"""The check that runs before Qt: missing system libraries and a missing display are one sentence, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganstudio import system_libraries as sl

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb platform is Linux's")


def test_missing_xcb_libraries_are_named_with_their_packages():
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    problem = sl.desktop_problem({"DISPLAY": ":0"}, can_load=lambda name: name not in absent)
    assert problem is not None
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in problem
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in problem
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in problem
    assert "libxcb-cursor" not in problem  # Qt's own message blames this one; we name only what is missing


def test_offscreen_needs_only_the_gui_libraries():
    absent = {"libxcb-icccm.so.4", "libGL.so.1"}
    problem = sl.desktop_problem({"QT_QPA_PLATFORM": "offscreen"}, can_load=lambda name: name not in absent)
    assert "libGL.so.1" in problem and "icccm" not in problem
    assert "Qt's offscreen platform" in problem
    assert sl.desktop_problem({"QT_QPA_PLATFORM": "offscreen"}, can_load=lambda name: True) is None


def test_no_display_is_said_when_every_library_is_there():
    problem = sl.desktop_problem({}, can_load=lambda name: True)
    assert "DISPLAY is not set" in problem and "QT_QPA_PLATFORM=offscreen" in problem
    assert sl.desktop_problem({"DISPLAY": ":0"}, can_load=lambda name: True) is None


def test_the_platform_follows_qt_rules():
    assert sl.platform_name({}) == "xcb"
    assert sl.platform_name({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert sl.platform_name({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert sl.platform_name({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}) == "wayland"


def test_unknown_libraries_are_still_named():
    hint = sl.install_hint(["libfuture-xcb.so.9"])
    assert "package manager" in hint


def test_elf_reader_finds_what_a_real_library_needs(tmp_path: Path):
    qt = sl._qt_folder()
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        pytest.skip("this PySide6 has no xcb plugin")
    needed = sl.elf_needed(plugin)
    assert "libxcb-icccm.so.4" in needed and "libxcb.so.1" in needed
    # every system library the real plugin links against is in the table (so it gets a package name)
    system = [n for n in needed if not n.startswith(sl._RUNTIME) and not n.startswith("libQt6")]
    assert set(system) <= set(sl.PACKAGES), set(system) - set(sl.PACKAGES)
    junk = tmp_path / "not-elf.so"
    junk.write_bytes(b"\x7fELF" + b"\0" * 10)
    assert sl.elf_needed(junk) == []


def test_launch_without_display_exits_2_with_one_sentence(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ganstudio"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganstudio: error: ") and "Traceback" not in done.stderr
