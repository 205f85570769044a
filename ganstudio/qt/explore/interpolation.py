"""The Interpolation panel of the Explore area: keyframes, the path settings (slerp/lerp, steps), playback
(fps, play) and export buttons, the keyframe strip, the current frame and all frames. The path is the
ExploreState's; the area puts the rendered keyframes and frames here with `show_keys` / `show_strip`."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStyle,
    QVBoxLayout,
)

from ganstudio.core.latent.explore_state import INTERPOLATION_MODES, STEPS_RANGE, ExploreState
from ganstudio.qt.widgets.image_views import ImageGridView, PixelImageView

MODE_TIP = ("slerp follows the sphere where Gaussian latents live (the default); lerp is the straight line, "
            "whose middle is shorter than typical z.")
SPACE_TIP = ("Z: the path joins the keyframes' z. W (StyleGAN): it joins their ws, after mapping and truncation, "
             "by straight lines, as StyleGAN's own interpolation videos do; W is less entangled, so the frames "
             "between change more evenly.")


class InterpolationPanel(QGroupBox):
    """`exportRequested(what)` ("strip" or "gif") asks the area for the export dialog."""

    exportRequested = Signal(str)

    def __init__(self, state: ExploreState, parent=None):
        super().__init__("Interpolation", parent)
        self.setObjectName("interpolationPanel")
        self.state = state
        outer = QVBoxLayout(self)
        outer.setSpacing(4)
        row = QHBoxLayout()
        self.keyframeInfo = QLabel("")
        self.keyframeInfo.setObjectName("keyframeInfo")
        self.keyframeInfo.setProperty("muted", True)
        # It takes the room the controls leave (clipped on a narrow window; the tooltip has it all): its
        # text must not set the width of the area.
        self.keyframeInfo.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.keyframeInfo.setMinimumWidth(120)
        row.addWidget(self.keyframeInfo, 1)
        row.addWidget(QLabel("Path"))
        self.interpModeCombo = QComboBox()
        self.interpModeCombo.setObjectName("interpModeCombo")
        for mode in INTERPOLATION_MODES:
            self.interpModeCombo.addItem(mode, mode)
        self.interpModeCombo.setCurrentIndex(self.interpModeCombo.findData(state.interp_mode))
        self.interpModeCombo.setToolTip(MODE_TIP)
        self.interpModeCombo.currentIndexChanged.connect(self._on_mode_combo)
        row.addWidget(self.interpModeCombo)
        self.interpSpaceCombo = QComboBox()
        self.interpSpaceCombo.setObjectName("interpSpaceCombo")
        self.interpSpaceCombo.addItem("in Z", "z")
        self.interpSpaceCombo.addItem("in W", "w")
        self.interpSpaceCombo.setToolTip(SPACE_TIP)
        self.interpSpaceCombo.currentIndexChanged.connect(self._on_space_combo)
        self.interpSpaceCombo.setEnabled(False)  # until a StyleGAN is open
        row.addWidget(self.interpSpaceCombo)
        row.addWidget(QLabel("Steps"))
        self.stepsSpin = QSpinBox()
        self.stepsSpin.setObjectName("stepsSpin")
        self.stepsSpin.setRange(*STEPS_RANGE)
        self.stepsSpin.setValue(state.steps)
        self.stepsSpin.setToolTip("Frames from one keyframe to the next.")
        self.stepsSpin.valueChanged.connect(lambda v: self.state.set_interpolation(steps=v))
        row.addWidget(self.stepsSpin)
        row.addWidget(QLabel("FPS"))
        self.fpsSpin = QSpinBox()
        self.fpsSpin.setObjectName("fpsSpin")
        self.fpsSpin.setRange(1, 60)
        self.fpsSpin.setValue(12)
        self.fpsSpin.setToolTip("Playback and GIF speed, frames per second.")
        self.fpsSpin.valueChanged.connect(self._on_fps)
        row.addWidget(self.fpsSpin)
        # Standard icons, not ▶/⏸ characters: ⏸ is missing from common fonts (DejaVu) and showed as a box.
        style = self.style()
        self._play_icon, self._pause_icon = style.standardIcon(QStyle.SP_MediaPlay), style.standardIcon(QStyle.SP_MediaPause)
        self.playButton = QPushButton(self._play_icon, "Play")
        self.playButton.setObjectName("playButton")
        self.playButton.setCheckable(True)
        self.playButton.setToolTip("Play the interpolation in a loop (Space while the button has the focus).")
        self.playButton.toggled.connect(self.play)
        row.addWidget(self.playButton)
        self.exportStripButton = QPushButton("PNG strip…")
        self.exportStripButton.setObjectName("exportStripButton")
        self.exportStripButton.clicked.connect(lambda: self.exportRequested.emit("strip"))
        row.addWidget(self.exportStripButton)
        self.exportGifButton = QPushButton("GIF…")
        self.exportGifButton.setObjectName("exportGifButton")
        self.exportGifButton.clicked.connect(lambda: self.exportRequested.emit("gif"))
        row.addWidget(self.exportGifButton)
        self.clearKeyframesButton = QPushButton("Clear")
        self.clearKeyframesButton.setObjectName("clearKeyframesButton")
        self.clearKeyframesButton.setToolTip("Remove all keyframes.")
        self.clearKeyframesButton.clicked.connect(state.clear_keyframes)
        row.addWidget(self.clearKeyframesButton)
        outer.addLayout(row)

        row = QHBoxLayout()
        self.keyframeStrip = ImageGridView(spacing=3, placeholder="keyframes", single_row=True)
        self.keyframeStrip.setObjectName("keyframeStrip")
        self.keyframeStrip.setFixedWidth(190)
        row.addWidget(self.keyframeStrip)
        arrow = QLabel("→")
        arrow.setProperty("muted", True)
        row.addWidget(arrow)
        self.interpolationPreview = PixelImageView("")
        self.interpolationPreview.setObjectName("interpolationPreview")
        self.interpolationPreview.setMinimumSize(72, 72)
        self.interpolationPreview.setFixedWidth(84)
        row.addWidget(self.interpolationPreview)
        self.interpolationStrip = ImageGridView(spacing=2, placeholder="The frames of the interpolation appear here.",
                                                single_row=True)
        self.interpolationStrip.setObjectName("interpolationStrip")
        self.interpolationStrip.setToolTip("Click a frame to select it.")
        self.interpolationStrip.cellClicked.connect(state.select_frame)
        row.addWidget(self.interpolationStrip, 1)
        outer.addLayout(row)
        self.setFixedHeight(140)

        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(lambda: self.state.advance_frame(self.interpolationStrip.count()))

        ev = state.events
        ev.model.connect(self._on_model)
        ev.keys.connect(self._on_keys)
        ev.strip.connect(self._on_path)
        ev.frame.connect(self._on_frame)
        self._show_info()
        self._enable(False)

    # --- results (from the area) -------------------------------------------------------------------------
    def show_keys(self, pictures: np.ndarray) -> None:
        self.keyframeStrip.set_images(pictures)
        self.keyframeStrip.set_badges({i: f"K{i + 1}" for i in range(len(pictures))})

    def show_strip(self, pictures: np.ndarray) -> None:
        self.interpolationStrip.set_images(pictures)
        current = self.state.clamp_frame(len(pictures))
        self.interpolationStrip.set_current(current)
        self.interpolationPreview.set_image(pictures[current])

    def frame_count(self) -> int:
        return self.interpolationStrip.count()

    def fps(self) -> int:
        return self.fpsSpin.value()

    # --- playback --------------------------------------------------------------------------------------
    def play(self, on: bool = True) -> None:
        if self.playButton.isChecked() != on:
            self.playButton.setChecked(on)  # -> play(on) again through toggled
            return
        if on and self.state.frames_z is not None:
            self.play_timer.start(int(1000 / self.fpsSpin.value()))
            self.playButton.setText("Pause")
            self.playButton.setIcon(self._pause_icon)
        else:
            self.play_timer.stop()
            self.playButton.setText("Play")
            self.playButton.setIcon(self._play_icon)
            if on:
                self.playButton.setChecked(False)

    def _on_mode_combo(self, index: int) -> None:
        if index >= 0:
            self.state.set_interpolation(mode=self.interpModeCombo.itemData(index))

    def _on_space_combo(self, index: int) -> None:
        if index >= 0:
            self.state.set_interpolation(space=self.interpSpaceCombo.itemData(index))

    def _show_space(self) -> None:
        s = self.state
        self.interpSpaceCombo.blockSignals(True)
        self.interpSpaceCombo.setCurrentIndex(self.interpSpaceCombo.findData(s.interp_space))
        self.interpSpaceCombo.blockSignals(False)
        self.interpSpaceCombo.setEnabled(s.is_stylegan)  # a model without W: no choice (its room kept)
        self.interpSpaceCombo.setToolTip(SPACE_TIP if s.is_stylegan else "Only a StyleGAN has a W space to "
                                         "interpolate in; this model's path is in Z.")
        in_w = s.interp_space == "w"
        self.interpModeCombo.setEnabled(not in_w)
        self.interpModeCombo.setToolTip("In W the keyframes are joined by straight lines." if in_w else MODE_TIP)

    def _on_fps(self, fps: int) -> None:
        if self.play_timer.isActive():
            self.play_timer.setInterval(int(1000 / fps))

    # --- state -> widgets --------------------------------------------------------------------------------
    def _on_model(self, _info: dict) -> None:
        for view in (self.interpolationStrip, self.keyframeStrip):
            view.set_images(None)
        self.interpolationPreview.set_image(None)
        self.play(False)
        self._show_info()
        self._show_space()
        self._enable(True)

    def _on_keys(self) -> None:
        if not self.state.keyframes:
            self.play(False)
            self.keyframeStrip.set_images(None)
        self._show_info()

    def _on_path(self) -> None:
        s = self.state
        self.interpModeCombo.blockSignals(True)
        self.interpModeCombo.setCurrentIndex(self.interpModeCombo.findData(s.interp_mode))
        self.interpModeCombo.blockSignals(False)
        self.stepsSpin.blockSignals(True)
        self.stepsSpin.setValue(s.steps)
        self.stepsSpin.blockSignals(False)
        self._show_space()
        if s.frames_z is None:
            self.interpolationStrip.set_images(None)
            self.interpolationPreview.set_image(None)
        self._show_info()

    def _on_frame(self, index: int) -> None:
        self.interpolationStrip.set_current(index)
        if 0 <= index < self.interpolationStrip.count():
            self.interpolationPreview.set_image(self.interpolationStrip.image(index))

    def _show_info(self) -> None:
        n = len(self.state.keyframes)
        if n == 0:
            self.keyframeInfo.setText("Add two or more keyframes: select a sample, then + Keyframe.")
        elif n == 1:
            self.keyframeInfo.setText("1 keyframe; add another to interpolate.")
        else:
            how = "lerp in W" if self.state.interp_space == "w" else self.state.interp_mode
            self.keyframeInfo.setText(f"{n} keyframes · {self.state.path_length()} frames · {how}")
        self.keyframeInfo.setToolTip(self.keyframeInfo.text())

    def _enable(self, on: bool) -> None:
        for w in (self.playButton, self.exportStripButton, self.exportGifButton):
            w.setEnabled(on)
