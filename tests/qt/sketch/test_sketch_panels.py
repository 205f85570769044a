"""The Sketch area's panels follow the SketchSession and write it, without a model or a render thread:
the mode and seed controls, Lock and Shuffle, the variants strip and the latent-fit panel."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ganstudio.core.sketch.session import SketchSession
from ganstudio.qt.sketch.fit_panel import FitPanel
from ganstudio.qt.sketch.top_bar import TopBar
from ganstudio.qt.sketch.variants import VariantsPanel

SKETCH = {"path": "/m/sketch.safetensors", "title": "sketch", "input_kind": "sketch", "image_size": 64,
          "default_mode": "eval", "stochastic": True, "z_dim": 0}
DCGAN = {**SKETCH, "path": "/m/dcgan.safetensors", "input_kind": "latent", "stochastic": False, "z_dim": 8}


def panels(qtbot):
    session = SketchSession()
    host = QWidget()
    lay = QVBoxLayout(host)
    top, variants, fit = TopBar(session), VariantsPanel(session), FitPanel(session)
    for w in (top, variants, fit):
        lay.addWidget(w)
    qtbot.addWidget(host)
    host.show()
    renders = []
    session.host = host  # the panels live as long as the session (as in the area)
    session.events.render.connect(lambda release, candidates: renders.append((release, candidates)))
    return session, top, variants, fit, renders


def test_mode_and_seed_controls_write_the_session_and_follow_it(qtbot):
    session, top, variants, _fit, renders = panels(qtbot)
    session.set_model(SKETCH)
    assert top.modeCombo.isEnabled() and top.modeCombo.currentData() == "eval"
    assert not variants.lockCandidate.isEnabled()  # no variants in eval mode
    top.modeCombo.setCurrentIndex(top.modeCombo.findData("reference"))
    assert session.mode == "reference" and variants.lockCandidate.isEnabled() and variants.shuffleButton.isEnabled()
    top.seedSpin.setValue(7)
    assert session.variant_seeds[session.chosen] == 7 and renders[-1] == (False, True)
    session.adopt_document(3, "eval")  # an opened document sets both controls back
    assert top.seedSpin.value() == 3 and top.modeCombo.currentData() == "eval"


def test_lock_disables_the_strip_and_shuffle_and_stops_the_variants(qtbot):
    session, _top, variants, _fit, _renders = panels(qtbot)
    session.set_model({**SKETCH, "default_mode": "reference"})
    QTest.mouseClick(variants.lockCandidate, Qt.LeftButton)
    assert session.locked and not session.wants_candidates
    assert not variants.shuffleButton.isEnabled() and not variants.candidateStrip.isEnabled()


def test_clicking_a_variant_chooses_its_seed(qtbot):
    session, top, variants, _fit, _renders = panels(qtbot)
    session.set_model({**SKETCH, "default_mode": "reference"})
    pictures = [np.full((8, 8, 3), 40 * i, np.uint8) for i in range(4)]
    session.note_variants_shown(4)
    variants.show_variants(pictures, session.chosen)
    variants.candidateStrip.cellClicked.emit(2)
    assert session.chosen == 2 and top.seedSpin.value() == session.variant_seeds[2]
    assert variants.candidateStrip.current == 2


def test_the_fit_panel_shows_for_unconditional_models_only(qtbot):
    session, top, variants, fit, _renders = panels(qtbot)
    session.set_model(DCGAN)
    assert fit.isVisible() and not variants.lockCandidate.isVisible() and not top.modeCombo.isEnabled()
    fit.autoEditCheck.setChecked(False)
    assert not session.auto_fit
    session.set_model(SKETCH)
    assert not fit.isVisible() and variants.lockCandidate.isVisible()
