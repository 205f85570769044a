"""Paste a picture into the Sketch area: Edit > Paste picture (Ctrl+V).

The clipboard holds either pixels (a screenshot, "Copy image" in a browser) or a copied picture file (a
file manager's Copy). Pixels are written to one PNG in the area's data folder, so that the pasted picture
opens through the same path as Open picture… (decode, square crop, resize, lines and hints) and the
document can name the file it started from.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QClipboard, QImage

PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
PASTED_NAME = "pasted-picture.png"


class NoPicture(Exception):
    """The clipboard holds no picture (the sentence says what it holds instead)."""


def picture_file_from_clipboard(clipboard: QClipboard, folder: Path) -> Path:
    """A picture file with the clipboard's picture: a copied picture file itself, or the pixels saved as
    `folder`/pasted-picture.png. Raises NoPicture or OSError."""
    mime = clipboard.mimeData()
    if mime is not None and mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in PICTURE_SUFFIXES:
                return Path(url.toLocalFile())
    image: QImage = clipboard.image()
    if image.isNull():
        has_text = mime is not None and mime.hasText() and mime.text().strip()
        raise NoPicture("The clipboard holds text, not a picture; copy a picture (or a picture file) first."
                        if has_text else "The clipboard holds no picture; copy a picture (or a picture file) first.")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PASTED_NAME
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
