"""The scaled picture view (Sketch and Translate outputs): smooth when enlarged, exact pixels on request,
the eyedropper reads the model pixel in both, exports at model size and as shown, the toggle is remembered."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from ganstudio.qt.sketch.output_view import OutputView
from ganstudio.qt.widgets.scaled_view import ScaledImageView, nearest_picture


def _picture(size: int = 16) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def _step(picture: np.ndarray) -> float:
    """Mean squared difference between horizontally neighbouring pixels (a block edge of jump d costs d**2,
    the same jump spread smoothly over n pixels n * (d / n)**2)."""
    return float((np.diff(picture.astype(np.float64), axis=1) ** 2).mean())


def _grab(view) -> np.ndarray:
    """The view's pixels as painted on screen (the picture's rectangle)."""
    from PySide6.QtGui import QImage

    image = view.grab().toImage().convertToFormat(QImage.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    full = rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)
    r = view.target_rect()
    return full[r.y(): r.y() + r.height(), r.x(): r.x() + r.width()].copy()  # `image` owns the bytes


def _view(qtbot, settings=None) -> OutputView:
    view = OutputView(settings)
    qtbot.addWidget(view)
    view.resize(420, 440)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(_picture())
    return view


def test_the_picture_is_smooth_unless_exact_pixels_is_on(qtbot):
    view = _view(qtbot)
    pic = view.image()
    assert not view.exact_pixels and view.exactPixelsCheck.isVisible()
    smooth = _grab(view)
    r = view.target_rect()
    assert smooth.shape == (r.height(), r.width(), 3) and r.width() > 16 * 20  # enlarged, using the room
    assert np.array_equal(smooth, view.displayed_picture())  # what is painted is what "as shown" exports
    blocks = nearest_picture(pic, r.width(), r.height())
    assert _step(smooth) < 0.25 * _step(blocks)  # neighbours differ far less than nearest-neighbour blocks

    qtbot.mouseClick(view.exactPixelsCheck, Qt.LeftButton)
    assert view.exact_pixels
    exact = _grab(view)
    r = view.target_rect()
    zoom = r.width() // 16
    assert r.width() == 16 * zoom and r.height() == 16 * zoom  # a whole-number zoom
    assert np.array_equal(exact, np.repeat(np.repeat(pic, zoom, axis=0), zoom, axis=1))
    assert np.array_equal(exact, view.displayed_picture())


def test_the_eyedropper_picks_the_model_pixel_in_both_modes(qtbot):
    view = _view(qtbot)
    view.set_pick_mode(True)
    pic = view.image()
    picked = []
    view.colorPicked.connect(lambda c: picked.append(c.getRgb()[:3]))
    for exact in (False, True):
        view.set_exact_pixels(exact)
        r = view.target_rect()
        for x, y in ((3, 11), (15, 0), (0, 15)):
            # the middle of model pixel (x, y) on screen
            pos = QPoint(r.x() + (2 * x + 1) * r.width() // 32, r.y() + (2 * y + 1) * r.height() // 32)
            assert view.pixel_at(pos) == (x, y)
            QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, pos)
            assert picked[-1] == tuple(int(v) for v in pic[y, x])
    assert len(picked) == 6
    outside = QPoint(2, view.height() - 2)
    assert view.pixel_at(outside) is None


def test_the_toggle_is_remembered_per_area(qtbot, settings):
    view = _view(qtbot, settings)
    assert not view.exact_pixels
    view.set_exact_pixels(True)
    assert settings.exact_pixels("sketch") and not settings.exact_pixels("translate")
    again = _view(qtbot, settings)
    assert again.exact_pixels
    other = ScaledImageView("", settings=settings, area="translate")
    qtbot.addWidget(other)
    assert not other.exact_pixels


def test_a_picture_smaller_than_the_model_is_not_enlarged_or_blurred(qtbot):
    view = ScaledImageView("")
    qtbot.addWidget(view)
    view.resize(120, 140)
    view.show()
    big = _picture(200)
    view.set_image(big)
    shown = view.displayed_picture()
    assert shown.shape[0] <= 200 and shown.shape[1] <= 200


def test_the_variant_strip_is_smooth_or_blocky_as_asked(qtbot):
    from ganstudio.qt.widgets.image_views import ImageGridView

    strip = ImageGridView(columns=4)
    qtbot.addWidget(strip)
    strip.resize(700, 200)
    strip.show()
    qtbot.waitExposed(strip)
    pics = [_picture(16) for _ in range(4)]
    strip.set_images(pics)

    def cell() -> np.ndarray:
        from PySide6.QtGui import QImage

        image = strip.grab().toImage().convertToFormat(QImage.Format_RGB888)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
        full = rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3)
        r = strip.cell_rect(0)
        return full[r.y(): r.y() + r.height(), r.x(): r.x() + r.width()].copy()

    blocky = cell()
    assert blocky.shape[0] > 5 * 16
    strip.set_smooth(True)
    smooth = cell()
    assert _step(smooth) < 0.5 * _step(blocky)


def _bilinear_2x(picture: np.ndarray) -> np.ndarray:
    """The closed form of a 2x bilinear enlargement with pixel centres aligned and edges clamped: screen
    pixel j samples the picture at j / 2 - 1/4, i.e. 3/4 of its own model pixel and 1/4 of the neighbour."""
    p = picture.astype(np.float64)
    n_rows, n_cols = p.shape[:2]

    def axis(n):
        src = (np.arange(2 * n) + 0.5) / 2 - 0.5
        lo = np.floor(src).astype(int)
        return np.clip(lo, 0, n - 1), np.clip(lo + 1, 0, n - 1), src - lo

    r0, r1, wr = axis(n_rows)
    c0, c1, wc = axis(n_cols)
    rows = p[r0] * (1 - wr)[:, None, None] + p[r1] * wr[:, None, None]
    return rows[:, c0] * (1 - wc)[None, :, None] + rows[:, c1] * wc[None, :, None]


def test_at_2x_smooth_interpolates_neighbours_and_exact_repeats_pixels(qtbot):
    from ganstudio.qt.widgets.scaled_view import MARGIN

    pic = _picture(48)
    view = ScaledImageView("")
    qtbot.addWidget(view)
    top = MARGIN + view.exactPixelsCheck.sizeHint().height() + 2
    view.resize(2 * 48 + 2 * MARGIN, 2 * 48 + top + MARGIN)  # room for the picture at exactly 2x
    view.show()
    qtbot.waitExposed(view)
    view.set_image(pic)
    r = view.target_rect()
    assert (r.width(), r.height()) == (96, 96)
    smooth = _grab(view)
    assert np.array_equal(smooth, view.displayed_picture())
    # Qt's smooth transformation is bilinear (its fixed-point arithmetic: within 3 of 255)
    assert np.abs(smooth.astype(np.float64) - _bilinear_2x(pic)).max() <= 3
    blocks = smooth.reshape(48, 2, 48, 2, 3)
    assert (blocks != blocks[:, :1, :, :1]).any(axis=(1, 3, 4)).mean() > 0.9  # almost no 2x2 block is flat

    view.set_exact_pixels(True)
    r = view.target_rect()
    assert (r.width(), r.height()) == (96, 96)
    assert np.array_equal(_grab(view), np.repeat(np.repeat(pic, 2, axis=0), 2, axis=1))
