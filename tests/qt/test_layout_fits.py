"""The main window on a 1280x720 screen (less a window frame and a desktop panel): every area, with the
models that change what it shows (Explore with a 2-D model, a conditional and an unconditional image
model; Sketch with its sketch model and with the DCGAN it fits), fits the window as it is:

- the window's minimum size fits, and the window keeps its size whatever is opened or shown;
- the area shown is whole in the window (not cut off, not scrolled) and not squeezed below its minimum;
- no visible widget reaches outside its parent, none is squeezed below its minimum size, and no two
  widgets of one layout overlap.

The real theme is applied: its paddings set the buttons' sizes.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QRect, QSize
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLayout, QSizePolicy, QWidget

from ganstudio.core.generators.catalogue import catalogue_entry
from ganstudio.qt.main_window import AREAS, MainWindow

SCREEN = QSize(1280, 720)
ALLOWANCE = QSize(16, 80)  # frame borders; title bar and a desktop panel (Windows' task bar, GNOME's top bar)
WINDOW = SCREEN - ALLOWANCE


@pytest.fixture(scope="module")
def toy_checkpoint(tmp_path_factory):
    """A 2-D toy generator (ring of Gaussians), one training step."""
    import torch

    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = preset("toy-ring").with_overrides([
            "train.steps=1", "model.g_width=16", "model.d_width=16", "train.log_every=1000", "train.sample_every=0",
            "train.eval_every=0", "train.checkpoint_every=0"])
        trainer = Trainer(cfg, run_dir=tmp_path_factory.mktemp("toy") / "run")
        trainer.run()
        return trainer.save_checkpoint()
    finally:
        torch.set_num_threads(threads)


@pytest.fixture
def small_window(qtbot, settings, themed, tmp_path, monkeypatch):  # themed: tests/qt/conftest.py
    monkeypatch.setenv("GANSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.resize(WINDOW)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.engine_ready and w._explorer is not None, timeout=60000)
    w.explorer.direction_samples = 200  # the principal directions job runs beside the test: keep it short
    yield w
    w.close()


# --- what is checked -----------------------------------------------------------------------------------------

def _smart_min(w: QWidget) -> QSize:
    """The smallest size a layout gives `w` (Qt's qSmartMinSize): its minimum size where set, else its
    minimum size hint, nothing in a direction whose policy is Ignored, its size hint where it may not shrink."""
    hint, min_hint, policy = w.sizeHint(), w.minimumSizeHint(), w.sizePolicy()
    size = []
    for horizontal in (True, False):
        p = policy.horizontalPolicy() if horizontal else policy.verticalPolicy()
        pick = (lambda s: s.width()) if horizontal else (lambda s: s.height())
        if p == QSizePolicy.Ignored:
            value = 0
        elif p.value & QSizePolicy.ShrinkFlag.value:
            value = pick(min_hint)
        else:
            value = max(pick(hint), pick(min_hint))
        explicit = pick(w.minimumSize())
        size.append(explicit if explicit > 0 else max(0, value))
    return QSize(*size)


def _layout_widgets(layout: QLayout) -> list[QWidget]:
    """The widgets `layout` places, its nested layouts' included."""
    found = []
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is not None:
            found.append(item.widget())
        elif item.layout() is not None:
            found.extend(_layout_widgets(item.layout()))
    return found


def _in_scrolled_content(w: QWidget) -> bool:
    """Inside a scroll area's content: it may be larger than the view (that is what scrolling is for)."""
    parent = w.parentWidget()
    while parent is not None:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and parent is grand.viewport():
            return True
        parent = grand
    return False


def _name(w: QWidget) -> str:
    return f"{type(w).__name__}({w.objectName() or getattr(w, 'text', lambda: '')() or '-'})"


def _settle_layouts() -> None:
    """Let every pending layout pass run before measuring. A result that arrives from a worker (the
    principal directions job adds its sliders) posts layout requests for the widgets it adds, and nested
    layouts take a pass each: a single processEvents() measured the sliders at 10 px in one random-order
    run of the suite (seed 3)."""
    for _ in range(8):
        QApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        QApplication.processEvents()


def layout_problems(window: MainWindow, where: str) -> list[str]:
    _settle_layouts()
    problems: list[str] = []
    if window.size() != WINDOW:
        problems.append(f"{where}: the window changed its size to {window.width()}x{window.height()}")
    min_hint = window.minimumSizeHint()
    if min_hint.width() > WINDOW.width() or min_hint.height() > WINDOW.height():
        problems.append(f"{where}: the window needs {min_hint.width()}x{min_hint.height()}")
    area = window.area_widget(window.current_area())
    need = area.minimumSizeHint()
    if need.width() > area.width() or need.height() > area.height():
        problems.append(f"{where}: the area needs {need.width()}x{need.height()}, has {area.width()}x{area.height()}")
    if area.visibleRegion().boundingRect() != area.rect():  # part of it cut off or scrolled away
        shown = area.visibleRegion().boundingRect()
        problems.append(f"{where}: {shown.width()}x{shown.height()} of the {area.width()}x{area.height()} area is shown")
    for w in [window, *window.findChildren(QWidget)]:
        if not w.isVisible() or w.isWindow() and w is not window:
            continue
        parent = w.parentWidget()
        if parent is not None and not w.isWindow() and not _in_scrolled_content(w):
            if not QRect(0, 0, parent.width(), parent.height()).contains(w.geometry()):
                g = w.geometry()
                problems.append(f"{where}: {_name(w)} at {g.x()},{g.y()} {g.width()}x{g.height()} reaches outside "
                                f"{_name(parent)} ({parent.width()}x{parent.height()})")
        layout = w.layout()
        if layout is None:
            continue
        placed = [c for c in _layout_widgets(layout) if c.isVisible() and not c.isWindow()]
        for c in placed:
            need = _smart_min(c)
            short_w = c.width() < need.width()
            short_h = c.height() < need.height() and not c.hasHeightForWidth()
            if short_w or short_h:
                problems.append(f"{where}: {_name(c)} is squeezed to {c.width()}x{c.height()} below its minimum "
                                f"{need.width()}x{need.height()}")
        for i, a in enumerate(placed):
            for b in placed[i + 1:]:
                overlap = a.geometry().intersected(b.geometry())
                if overlap.width() > 0 and overlap.height() > 0:
                    problems.append(f"{where}: {_name(a)} and {_name(b)} overlap in {_name(w)}")
    return problems


# --- the tests -----------------------------------------------------------------------------------------------

def _show(qtbot, window: MainWindow, name: str) -> None:
    window.show_area(name)
    qtbot.waitUntil(lambda: window.area_widget(name).isVisible(), timeout=5000)
    qtbot.wait(50)


def test_every_area_fits_a_1280x720_screen_whatever_it_shows(qtbot, small_window, toy_checkpoint):
    w = small_window
    problems: list[str] = []
    for name in AREAS:
        _show(qtbot, w, name)
        problems += layout_problems(w, name)

    _show(qtbot, w, "Lab")
    for key in w.lab.panels:  # every experiment's tab
        w.lab.show_experiment(key)
        problems += layout_problems(w, f"Lab, {key}")
    w.lab.panels["optimal-d"].genEdit.setText("1:0:nonsense")  # an error sentence in the numbers column
    w.lab.panels["optimal-d"].update_now()
    w.lab.show_experiment("optimal-d")
    problems += layout_problems(w, "Lab, optimal-d showing an error")

    _show(qtbot, w, "Explore")
    ex = w.explorer
    ex.load_generator(toy_checkpoint)
    qtbot.waitUntil(lambda: ex.error_text() != "", timeout=20000)
    assert "2-D" in ex.error_text()
    problems += layout_problems(w, "Explore after a 2-D model was refused")
    for model in ("landscapes-dcgan", "digits-conditional"):  # unconditional, then with the class list
        ex.load_generator(catalogue_entry(model).path)
        qtbot.waitUntil(lambda: ex.model_info is not None and ex.model_info["path"].endswith(f"{model}.safetensors")
                        and ex.latentGrid.count() == 16, timeout=30000)
        ex.add_keyframe()
        ex.select_cell(5)
        ex.add_keyframe()
        ex.add_to_group("A")
        qtbot.waitUntil(lambda: ex.interpolationStrip.count() > 0 and ex.is_idle(), timeout=30000)
        for tab in range(ex.tabs.count()):
            ex.tabs.setCurrentIndex(tab)
            problems += layout_problems(w, f"Explore with {model}, tab {ex.tabs.tabText(tab)}")
        ex.tabs.setCurrentIndex(0)
        ex.directions_panel.rawToggle.setChecked(True)
        problems += layout_problems(w, f"Explore with {model}, raw z sliders open")
        ex.directions_panel.rawToggle.setChecked(False)

    _show(qtbot, w, "Sketch")
    sk = w.sketch
    for model in ("landscapes-dcgan", "sketch-landscapes"):  # latent fitting (its panel shows), translation
        sk.load_model(catalogue_entry(model).path)
        qtbot.waitUntil(lambda: sk.model_ready and sk.model_path.endswith(f"{model}.safetensors"), timeout=30000)
        sk.cancel_edit()
        problems += layout_problems(w, f"Sketch with {model}")
    sk.show_error("A sentence long enough to need two lines in the narrow message column of the Sketch area, "
                  "which must not widen the area or the window.")
    problems += layout_problems(w, "Sketch showing an error")

    _show(qtbot, w, "Train")
    picker = w.train_panel.picker
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("unpaired"))  # two folder rows, CycleGAN rows
    problems += layout_problems(w, "Train with unpaired folders")
    w.show_error("A banner above the areas: it takes room from the area, never adds to the window.")
    problems += layout_problems(w, "Sketch under the error banner")
    assert not problems, "\n".join(problems)


def test_a_window_smaller_than_an_area_scrolls_and_keeps_its_size(qtbot, small_window):
    w = small_window
    w.resize(900, 520)
    _show(qtbot, w, "Explore")
    w.explorer.show_error("The Explore area's message strip, shown while the window is smaller than the area.")
    w.show_error("And the window's banner.")
    qtbot.wait(100)
    assert w.size() == QSize(900, 520)
    assert w.areaScroll.horizontalScrollBar().isVisible()


def test_the_first_window_fits_the_screen_and_a_saved_larger_one_is_clamped(qtbot, settings):
    screen = QApplication.primaryScreen()
    avail = screen.availableGeometry()
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    assert first.width() <= avail.width() and first.height() <= avail.height()
    assert abs(first.geometry().center().x() - avail.center().x()) <= 1
    assert abs(first.geometry().center().y() - avail.center().y()) <= 1
    # a window saved on a larger screen
    first.setGeometry(avail.x() - 50, avail.y() - 40, avail.width() + 400, avail.height() + 300)
    settings.set_geometry(first.saveGeometry(), MainWindow.screen_key(screen))
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert avail.contains(again.frameGeometry()), (again.frameGeometry(), avail)
    # the geometry is remembered per screen size
    again.setGeometry(avail.x() + 10, avail.y() + 20, avail.width() // 2, avail.height() // 2)
    again.close()
    assert settings.geometry(MainWindow.screen_key(screen)) is not None
    third = MainWindow(settings=settings)
    qtbot.addWidget(third)
    assert third.size() == QSize(avail.width() // 2, avail.height() // 2)
