"""The Explore area opened on a StyleGAN file, as the StyleGAN tests use it."""

import pytest

from ganstudio.qt.explore.area import ExplorerArea


@pytest.fixture
def open_stylegan(qtbot, settings, tmp_path):
    """open_stylegan(path, height) -> an ExplorerArea that has loaded `path` and is idle (shut down after)."""
    areas = []

    def open_(path, height=620):
        a = ExplorerArea(settings, cache_dir=tmp_path / "cache", direction_samples=300, n_directions=6, device="cpu")
        areas.append(a)
        qtbot.addWidget(a)
        a.resize(1240, height)
        a.show()
        a.load_generator(path)
        qtbot.waitUntil(lambda: a.model_info is not None and a.latentGrid.count() == 16
                        and a.latentView.image() is not None and a.directions is not None, timeout=60000)
        qtbot.waitUntil(a.is_idle, timeout=20000)
        return a

    yield open_
    for a in areas:
        a.shutdown()
