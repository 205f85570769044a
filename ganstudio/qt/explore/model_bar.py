"""The bar at the top of the Explore area: the model list (bundled models and recent checkpoints), Open…,
the loaded model's description and the time of the last render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from ganstudio.qt import theme


def model_label(path: str | Path) -> str:
    """RUN / FILE for checkpoints inside a run folder, the file name otherwise."""
    p = Path(path)
    if p.parent.name == "checkpoints":
        return f"{p.parent.parent.name} / {p.name}"
    return p.name


def describe(info: dict[str, Any]) -> str:
    return " · ".join([info.get("description") or info["name"], f"{info['parameters']:,} parameters"])


class ModelBar(QWidget):
    """`modelChosen(path)`: a model of the list was picked; `openRequested()`: Open… was clicked."""

    modelChosen = Signal(str)
    openRequested = Signal()

    def __init__(self, settings=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(QLabel("Model"))
        self.modelCombo = QComboBox()
        self.modelCombo.setObjectName("modelCombo")
        self.modelCombo.setMinimumWidth(260)
        self.modelCombo.setToolTip("Bundled models and recent checkpoints; pick one to explore it.")
        self.modelCombo.activated.connect(self._on_chosen)
        bar.addWidget(self.modelCombo)
        self.openModelButton = QPushButton("Open…")
        self.openModelButton.setObjectName("openModelButton")
        self.openModelButton.setToolTip("Open a GAN Studio checkpoint or run folder, or a generator saved by "
                                        "pytorch/examples dcgan (netG_epoch_N.pth; read without running any code).")
        self.openModelButton.clicked.connect(self.openRequested)
        bar.addWidget(self.openModelButton)
        self.modelInfoLabel = QLabel("No model loaded.")
        self.modelInfoLabel.setObjectName("modelInfoLabel")
        self.modelInfoLabel.setProperty("muted", True)
        self.modelInfoLabel.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # clip, never squeeze the rest
        self.modelInfoLabel.setMinimumWidth(80)
        bar.addWidget(self.modelInfoLabel, 1)
        self.renderTimeLabel = QLabel("render – ms")
        self.renderTimeLabel.setObjectName("renderTimeLabel")
        self.renderTimeLabel.setToolTip("Time of the last render in the background thread (forward pass and "
                                        "conversion), and the time from request to picture on screen.")
        self.renderTimeLabel.setStyleSheet(f"color: {theme.MUTED}; font-family: monospace;")
        self.renderTimeLabel.setMinimumWidth(self.renderTimeLabel.fontMetrics().horizontalAdvance("render 9999.9 ms · 99 samples") + 8)
        self.renderTimeLabel.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        bar.addWidget(self.renderTimeLabel)

    def refresh(self, current: str | None = None) -> None:
        """Fill the list: bundled models, then the recent checkpoints the app knows; `current` is chosen."""
        from ganstudio.core.generators.catalogue import list_bundled

        combo = self.modelCombo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Choose a model…", None)
        for m in list_bundled(area="explore"):
            combo.addItem(f"★ {m.title}", str(m.path))
            combo.setItemData(combo.count() - 1, m.description or str(m.path), Qt.ToolTipRole)
        for path in self.settings.recent_checkpoints() if self.settings is not None else []:
            if Path(path).exists():
                combo.addItem(model_label(path), path)
                combo.setItemData(combo.count() - 1, path, Qt.ToolTipRole)
        if current is not None:
            idx = combo.findData(current)
            if idx < 0:
                combo.insertItem(1, model_label(current), current)
                combo.setItemData(1, current, Qt.ToolTipRole)
                idx = 1
            combo.setCurrentIndex(idx)
        combo.blockSignals(False)

    def show_loading(self, path: str | Path) -> None:
        self.modelInfoLabel.setText(f"Loading {Path(path).name}…")

    def show_model(self, info: dict[str, Any] | None) -> None:
        """The loaded model's description (None: no model)."""
        if info is None:
            self.modelInfoLabel.setText("No model loaded.")
            return
        self.modelInfoLabel.setText(describe(info))
        self.modelInfoLabel.setToolTip(f"{describe(info)}\n{info['path']}\nsha256 {info['sha256']}")

    def show_render_time(self, render_ms: float, total_ms: float, parts: list[str], samples: int) -> None:
        what = "1 sample" if samples == 1 else f"{samples} samples"
        self.renderTimeLabel.setText(f"render {render_ms:.1f} ms · {what}")
        self.renderTimeLabel.setToolTip(f"Last render: {render_ms:.1f} ms in the background thread for "
                                        f"{', '.join(parts)}; {total_ms:.1f} ms from request to picture.")

    def _on_chosen(self, index: int) -> None:
        path = self.modelCombo.itemData(index)
        if path:
            self.modelChosen.emit(path)
