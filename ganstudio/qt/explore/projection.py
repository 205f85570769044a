"""The Photo tab of the Explore area: project your own photo into the model's latent space (open or drop a
picture), watch the reconstruction while it optimises, stop it; the result becomes the selection. The job
and the file dialog are the area's; the maths is `core.latent.projection`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.latent.projection import MAX_STARTS, MAX_STEPS
from ganstudio.qt.widgets.image_views import PixelImageView

HELP = ("Adam finds the latent whose picture is closest to the photo (StyleGAN: in W, or one w per layer with "
        "W+; other models: in z). The loss is pixels plus edges at three scales: no perceptual network is "
        "downloaded. The result becomes the selection: move directions, mix styles, bookmark it.")


class ProjectionPanel(QWidget):
    """`projectRequested(path, steps, wplus, starts)` and `stopRequested()` go to the area, as does `openRequested()`
    (the area's file dialog). A picture file dropped on the panel is projected at once."""

    projectRequested = Signal(str, int, bool, int)  # path, steps, W+, starts (0: the model kind's default)
    openRequested = Signal()
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("projectionPanel")
        self.setAcceptDrops(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 8, 6, 6)
        row = QHBoxLayout()
        self.projectButton = QPushButton("Project photo…")
        self.projectButton.setObjectName("projectPhotoButton")
        self.projectButton.setToolTip("Choose a picture (or drop one here) and find its latent in this model.")
        self.projectButton.clicked.connect(self.openRequested)
        row.addWidget(self.projectButton)
        self.stopButton = QPushButton("Stop")
        self.stopButton.setObjectName("stopProjectionButton")
        self.stopButton.setToolTip("Stop optimising; the best latent so far becomes the selection.")
        self.stopButton.setEnabled(False)
        self.stopButton.clicked.connect(self.stopRequested)
        row.addWidget(self.stopButton)
        row.addStretch(1)
        lay.addLayout(row)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("Steps"))
        self.stepsSpin = QSpinBox()
        self.stepsSpin.setObjectName("projectionStepsSpin")
        self.stepsSpin.setRange(1, MAX_STEPS)
        self.stepsSpin.setValue(200)
        self.stepsSpin.setToolTip("Adam steps (the StyleGAN2-ADA projector runs 1000).")
        opts.addWidget(self.stepsSpin)
        self.wplusCheck = QCheckBox("W+")
        self.wplusCheck.setObjectName("projectionWplusCheck")
        self.wplusCheck.setToolTip("StyleGAN: one w per layer, a closer fit that edits less cleanly.")
        opts.addWidget(self.wplusCheck)
        opts.addWidget(QLabel("Starts"))
        self.startsSpin = QSpinBox()
        self.startsSpin.setObjectName("projectionStartsSpin")
        self.startsSpin.setRange(0, MAX_STARTS)
        self.startsSpin.setSpecialValueText("auto")
        self.startsSpin.setToolTip("Starts optimised at once, the best kept. auto: 4 in z; 1 for a StyleGAN, where "
                                   "each start costs a whole synthesis pass a step.")
        opts.addWidget(self.startsSpin)
        opts.addStretch(1)
        lay.addLayout(opts)
        self.progressBar = QProgressBar()
        self.progressBar.setObjectName("projectionProgress")
        self.progressBar.setRange(0, 100)
        self.progressBar.setValue(0)
        lay.addWidget(self.progressBar)
        views = QHBoxLayout()
        self.targetView = PixelImageView("photo")
        self.targetView.setObjectName("projectionTarget")
        self.targetView.setToolTip("The photo, as the model sees it (cropped and resized).")
        self.reconstructionView = PixelImageView("reconstruction")
        self.reconstructionView.setObjectName("projectionReconstruction")
        self.reconstructionView.setToolTip("The model's picture of the latent found so far.")
        for view in (self.targetView, self.reconstructionView):
            view.setMinimumSize(96, 96)
            views.addWidget(view, 1)
        lay.addLayout(views, 1)
        self.statusLabel = QLabel("")
        self.statusLabel.setObjectName("projectionStatus")
        self.statusLabel.setWordWrap(True)
        lay.addWidget(self.statusLabel)
        help_ = QLabel(HELP)
        help_.setWordWrap(True)
        help_.setProperty("muted", True)
        lay.addWidget(help_)

    def request(self, path: str) -> None:
        self.projectRequested.emit(str(path), int(self.stepsSpin.value()), bool(self.wplusCheck.isChecked()),
                                   int(self.startsSpin.value()))

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.request(files[0])

    # --- what the area tells it -----------------------------------------------------------------------
    def show_running(self, path: str, target: np.ndarray | None) -> None:
        self.projectButton.setEnabled(False)
        self.stopButton.setEnabled(True)
        self.progressBar.setValue(0)
        self.statusLabel.setText(f"Projecting {Path(path).name}…")
        if target is not None:
            self.targetView.set_image(target)

    def show_progress(self, result) -> None:
        self.progressBar.setValue(int(100 * result.step / max(1, result.steps)))
        self.reconstructionView.set_image(result.picture)
        self.statusLabel.setText(f"step {result.step}/{result.steps} · loss {result.loss:.4f} (start {result.start_loss:.4f})")

    def show_done(self, result, seconds: float) -> None:
        self.projectButton.setEnabled(True)
        self.stopButton.setEnabled(False)
        if result is None:
            self.statusLabel.setText("Stopped before the first step.")
            return
        if not result.stopped:
            self.progressBar.setValue(100)
        self.reconstructionView.set_image(result.picture)
        how = "stopped at" if result.stopped else "done:"
        self.statusLabel.setText(f"{how} step {result.step}/{result.steps} · loss {result.start_loss:.4f} -> "
                                 f"{result.loss:.4f} · {seconds:.1f} s; now the selection")

    def show_failed(self) -> None:
        self.projectButton.setEnabled(True)
        self.stopButton.setEnabled(False)
        self.statusLabel.setText("")

    def idle(self) -> bool:
        return self.projectButton.isEnabled()

