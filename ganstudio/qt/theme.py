"""The dark theme: Fusion style, one palette, a short stylesheet, and pyqtgraph colours that match."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ganstudio.core import metric_registry

log = logging.getLogger(__name__)

# One place for the colours, so plots, banners and the palette agree.
WINDOW = "#1f2126"
BASE = "#16181c"
PANEL = "#262930"
TEXT = "#d7dae0"
MUTED = "#8b909a"
ACCENT = "#4f9dff"
ACCENT_DARK = "#24528c"  # behind white text: a checked tool button
ERROR = "#ff6b6b"
ERROR_BG = "#4a1f24"
WARNING_BG = "#4a3b1a"
PLOT_BG = BASE
PLOT_FG = "#a9aeb8"

# Curve colours by the colour key each metric registers (ganstudio.core.metric_registry.MetricSpec.color):
# the discriminator/generator pair is used in every plot.
CURVE_COLORS = {
    "discriminator": "#ff8c42",
    "generator": "#4f9dff",
    "critic": "#c77dff",
    "distance": "#2ec4b6",
    "real": "#7bd389",
    "fake": "#ff6b9a",
    "penalty": "#f7d154",
    "speed": "#9fb3c8",
}
# One colour per run when several runs are overlaid (Okabe-Ito-like, readable on dark grey).
RUN_COLORS = ["#4f9dff", "#ff8c42", "#2ec4b6", "#ff6b9a", "#f7d154", "#c77dff", "#7bd389", "#e0e0e0"]

STYLESHEET = f"""
QToolTip {{ color: {TEXT}; background: {PANEL}; border: 1px solid #3a3f4b; padding: 4px; }}
QGroupBox {{ border: 1px solid #343842; border-radius: 6px; margin-top: 14px; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {MUTED}; font-weight: 600; }}
QPushButton {{ padding: 5px 12px; border-radius: 4px; border: 1px solid #3a3f4b; background: {PANEL}; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #5d626c; }}
QPushButton#trainStartButton {{ background: #1f6f43; border-color: #2f9d60; font-weight: 600; }}
QPushButton#trainStartButton:disabled {{ background: {PANEL}; border-color: #3a3f4b; }}
QPushButton#trainStopButton:enabled {{ background: #6b2a2a; border-color: #a34545; }}
QLabel#errorBanner, QLabel#configErrorLabel {{ color: #ffd9d9; background: {ERROR_BG}; border: 1px solid #8c3a42;
    border-radius: 4px; padding: 6px 8px; }}
QLabel#statusNotRestored {{ color: #ffeec2; }}
QLabel#warningBanner {{ color: #ffeec2; background: {WARNING_BG}; border: 1px solid #8c7332;
    border-radius: 4px; padding: 6px 8px; }}
QLabel.muted, QLabel[muted="true"] {{ color: {MUTED}; }}
QListWidget#areaList {{ background: {BASE}; border: none; font-size: 13px; padding-top: 6px; }}
QListWidget#areaList::item {{ padding: 10px 14px; border-left: 3px solid transparent; }}
QListWidget#areaList::item:selected {{ background: {PANEL}; border-left: 3px solid {ACCENT}; color: white; }}
QStatusBar QLabel {{ padding: 0 8px; }}
#sketchTools QToolButton {{ padding: 3px 6px; border-radius: 4px; border: 1px solid #3a3f4b; background: {PANEL}; }}
#sketchTools QToolButton:hover {{ border-color: {ACCENT}; }}
#sketchTools QToolButton:checked {{ background: {ACCENT_DARK}; border: 1px solid {ACCENT}; color: white; font-weight: 600; }}
#sketchTools QPushButton {{ padding: 4px 4px; }}
QScrollArea {{ border: none; }}
"""


def curve_color(metric: str, default: str) -> str:
    """The colour of a metric's curve: CURVE_COLORS of its registered colour key, else `default`."""
    spec = metric_registry.metric(metric)
    return CURVE_COLORS.get(spec.color, default) if spec is not None else default


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    colors = {
        QPalette.Window: WINDOW,
        QPalette.WindowText: TEXT,
        QPalette.Base: BASE,
        QPalette.AlternateBase: PANEL,
        QPalette.ToolTipBase: PANEL,
        QPalette.ToolTipText: TEXT,
        QPalette.Text: TEXT,
        QPalette.Button: PANEL,
        QPalette.ButtonText: TEXT,
        QPalette.BrightText: "#ffffff",
        QPalette.Link: ACCENT,
        QPalette.Highlight: ACCENT,
        QPalette.HighlightedText: "#0b0d10",
        QPalette.PlaceholderText: MUTED,
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#5d626c"))
    app.setPalette(p)
    app.setStyleSheet(STYLESHEET)


def configure_pyqtgraph() -> None:
    """pyqtgraph's global options: our background, row-major images, no antialiasing (speed)."""
    import pyqtgraph as pg

    pg.setConfigOptions(background=PLOT_BG, foreground=PLOT_FG, antialias=False, imageAxisOrder="row-major")
