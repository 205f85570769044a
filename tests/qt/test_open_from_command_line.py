"""`ganstudio FILE`: each kind of file opens in the area that fits it (and bad ones are one sentence, exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from ganstudio.core.generators.catalogue import list_bundled


def test_a_latent_checkpoint_opens_in_explore(qtbot, window, digits_ckpt):
    window.open_path(str(digits_ckpt))
    qtbot.waitUntil(lambda: window.current_area() == "Explore", timeout=60000)
    state = window.explorer.state
    qtbot.waitUntil(lambda: state.model_info is not None, timeout=60000)
    assert Path(state.model_info["path"]) == Path(digits_ckpt)


def test_a_bundled_sketch_model_by_name_opens_in_sketch(qtbot, window):
    if "sketch-landscapes" not in {m.name for m in list_bundled()}:
        pytest.skip("the bundled models are not built in this checkout")
    window.show_area("Train")
    window.open_path("sketch-landscapes")
    qtbot.waitUntil(lambda: window.current_area() == "Sketch", timeout=60000)
    qtbot.waitUntil(lambda: window.sketch.model_ready, timeout=60000)
    assert window.sketch.session.model_info["name"] == "sketch-landscapes"


def test_a_picture_opens_in_sketch_and_a_bad_path_is_shown(qtbot, window, tmp_path):
    picture = tmp_path / "hills.png"
    Image.new("RGB", (64, 64), (90, 140, 60)).save(picture)
    window.show_area("Train")
    window.open_path(str(picture))
    assert window.current_area() == "Sketch"
    window.open_path(str(tmp_path / "nothing-here.safetensors"))
    assert window.errorBanner.isVisible() and "does not exist" in window.errorBanner.text()


@pytest.mark.parametrize("arg, message", [("/nonexistent/model.safetensors", "does not exist"),
                                          ("README.md", "is not a file GAN Studio opens")])
def test_the_command_line_refuses_what_it_cannot_open_before_the_window(arg, message, tmp_path):
    if arg == "README.md":
        (tmp_path / arg).write_text("# notes")
    done = subprocess.run([sys.executable, "-m", "ganstudio", arg], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, HOME=str(tmp_path)))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_subcommand_list_matches_the_parser():
    from ganstudio.cli import all_commands, build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(all_commands())


def test_a_run_folder_opens_in_the_monitor(qtbot, window, digits_ckpt):
    run = Path(digits_ckpt).parent.parent  # RUN/checkpoints/latest.safetensors
    window.show_area("Train")
    window.open_path(str(run))
    assert window.current_area() == "Monitor"
    qtbot.waitUntil(lambda: any(r.folder is not None and Path(r.folder) == run for r in window.monitor.runs),
                    timeout=60000)
