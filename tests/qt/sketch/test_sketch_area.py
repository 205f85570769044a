"""The Sketch area end to end: drawing changes the generated picture, variants, eyedropper, pictures and
documents, exports, autosave recovery after a crash, bad model files and latent editing."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from ganstudio.cli import main as cli_main
from ganstudio.core.generators.catalogue import catalogue_entry
from ganstudio.core.generators.handle import open_generator
from ganstudio.core.sketch.document import load_document
from ganstudio.qt.sketch.area import SketchArea


def _train(tmp: Path, preset_name: str, extra: list[str], steps: int = 1) -> Path:
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    cfg = preset(preset_name).with_overrides([
        "train.steps=1", "optim.batch_size=2", "train.n_preview=2", "model.g_width=8", "model.d_width=8",
        "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0", "train.log_every=1000", *extra,
    ])
    trainer = Trainer(cfg, run_dir=tmp / "run")
    if steps:
        trainer.run()
    return trainer.save_checkpoint()


@pytest.fixture(scope="module")
def sketch_model(tmp_path_factory, make_pictures) -> Path:
    """A 64-pixel sketch (autopair) U-Net with dropout, trained for one step."""
    tmp = tmp_path_factory.mktemp("sketch_model")
    torch.set_num_threads(1)
    return _train(tmp, "sketch-folder", [f"data.path={make_pictures(tmp / 'pictures')}"])


@pytest.fixture(scope="module")
def pix2pix_reference_model(tmp_path_factory) -> Path:
    """A pytorch-CycleGAN-and-pix2pix netG state dict (unet_128, batch norm, dropout), untrained."""
    from ganstudio.core.models.unet import unet_128

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("pix2pix") / "latest_net_G.pth"
    torch.save(unet_128(3, 3, ngf=4, norm="batch", use_dropout=True).state_dict(), path)
    return path


_AREAS: list[SketchArea] = []


@pytest.fixture(autouse=True)
def areas_are_shut_down_and_deleted():
    """After each test (qtbot has closed its widgets and asked for their deletion by then): stop every
    area's render thread, then delete the widgets at once, while no other Python thread runs. Left to
    the next test's event loop, the deletion of a widget tree interleaves with that test's render
    thread, whose garbage collection can then traverse half-destroyed PySide wrappers (a segfault)."""
    yield
    while _AREAS:
        _AREAS.pop().shutdown()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def make_area(qtbot, tmp_path, model=None, name="data", device="auto") -> SketchArea:
    area = SketchArea(data_dir=tmp_path / name, autosave_ms=60_000, device=device)
    qtbot.addWidget(area)
    _AREAS.append(area)
    area.resize(1300, 820)
    area.show()
    qtbot.waitExposed(area)
    if model is not None:
        area.load_model(model)
        qtbot.waitUntil(lambda: area.model_ready and area.output.image() is not None, timeout=30000)
    return area


def _at(c, fx, fy) -> QPoint:
    r = c.view_rect()
    return QPoint(int(r.x() + fx * r.width()), int(r.y() + fy * r.height()))


def drag(c, points):
    QTest.mousePress(c, Qt.LeftButton, Qt.NoModifier, _at(c, *points[0]))
    for p in points[1:]:
        QTest.mouseMove(c, _at(c, *p))
    QTest.mouseRelease(c, Qt.LeftButton, Qt.NoModifier, _at(c, *points[-1]))


def wait_output_after(qtbot, area, t):
    # "Not busy" alone can be seen while the newest result is computed but its signal not yet
    # delivered (an older picture still on screen): wait until the newest request is the one shown.
    qtbot.waitUntil(lambda: area.last_output_time is not None and area.last_output_time > t
                    and area.is_idle(), timeout=15000)


def test_drawing_changes_the_generated_picture(qtbot, tmp_path, sketch_model):
    import time

    area = make_area(qtbot, tmp_path, sketch_model)
    assert area.findChild(type(area.canvas), "sketchCanvas") is area.canvas
    for name in ("sketchOutput", "penTool", "colorTool", "eraserTool", "candidateStrip", "latencyLabel"):
        assert area.findChild(object, name) is not None, name
    blank_output = area.output.image().copy()
    t = time.perf_counter()
    drag(area.canvas, [(0.1, 0.1), (0.5, 0.3), (0.9, 0.8)])
    wait_output_after(qtbot, area, t)
    with_line = area.output.image().copy()
    assert not np.array_equal(with_line, blank_output)
    assert area.release_latencies_ms and "ms" in area.latencyLabel.text()

    QTest.mouseClick(area.colorTool, Qt.LeftButton)
    assert area.canvas.tool == "hint"
    area.set_color(QColor(0, 0, 255))
    t = time.perf_counter()
    drag(area.canvas, [(0.6, 0.2), (0.7, 0.3)])
    wait_output_after(qtbot, area, t)
    assert not np.array_equal(area.output.image(), with_line)

    # Ctrl+Z on the area undoes the hint and the picture returns to the one with the line alone.
    t = time.perf_counter()
    QTest.keyClick(area.canvas, Qt.Key_Z, Qt.ControlModifier)
    wait_output_after(qtbot, area, t)
    assert len(area.canvas.document.strokes) == 1
    assert np.array_equal(area.output.image(), with_line)  # eval mode is deterministic
    QTest.keyClick(area.canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(area.canvas.document.strokes) == 2


def test_reference_mode_variants_can_be_chosen_and_locked(qtbot, tmp_path, sketch_model):
    import time

    area = make_area(qtbot, tmp_path, sketch_model)
    area.modeCombo.setCurrentIndex(area.modeCombo.findData("reference"))
    t = time.perf_counter()
    drag(area.canvas, [(0.2, 0.2), (0.8, 0.7)])
    qtbot.waitUntil(lambda: area.candidateStrip.count() == 4, timeout=15000)
    wait_output_after(qtbot, area, t)
    strip = area.candidateStrip.images()
    assert not np.array_equal(strip[0], strip[1])  # dropout variants differ
    assert np.array_equal(area.output.image(), strip[0])
    area.choose_candidate(2)
    assert np.array_equal(area.output.image(), strip[2])
    assert area.seedSpin.value() == area.candidate_seeds[2]
    area.lockCandidate.setChecked(True)
    batches = len(area.renderer.forward_batches)
    t = time.perf_counter()
    drag(area.canvas, [(0.3, 0.8), (0.7, 0.8)])
    wait_output_after(qtbot, area, t)
    assert set(area.renderer.forward_batches[batches:]) == {1}  # locked: only the chosen variant is computed


def test_eyedropper_takes_the_colour_from_the_output(qtbot, tmp_path, sketch_model):
    area = make_area(qtbot, tmp_path, sketch_model)
    area.eyedropperTool.setChecked(True)
    pic = area.output.image()
    view = area.output
    assert not view.exact_pixels  # shown smoothly: the picked colour is still the model's pixel
    r = view.target_rect()
    pos = QPoint(r.x() + r.width() * 21 // 128, r.y() + r.height() * 41 // 128)  # the middle of pixel (10, 20)
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, pos)
    assert area.canvas.color.getRgb()[:3] == tuple(int(v) for v in pic[20, 10])
    assert area.canvas.tool == "hint" and not area.eyedropperTool.isChecked()


def _step(picture: np.ndarray) -> float:
    """Mean squared difference between horizontally neighbouring pixels (a block edge of jump d costs d**2,
    the same jump spread smoothly over n pixels n * (d / n)**2)."""
    return float((np.diff(picture.astype(np.float64), axis=1) ** 2).mean())


def test_output_exports_at_model_size_and_as_shown(qtbot, tmp_path, sketch_model):
    from ganstudio.qt.widgets.scaled_view import nearest_picture

    area = make_area(qtbot, tmp_path, sketch_model)
    drag(area.canvas, [(0.2, 0.3), (0.8, 0.6)])
    qtbot.waitUntil(lambda: area.is_idle(), timeout=15000)
    pic = area.output.image()
    model = np.asarray(Image.open(area.export_output(tmp_path / "model.png")))
    assert model.shape == (64, 64, 3) and np.array_equal(model, pic)  # the model's uint8 output
    r = area.output.target_rect()
    shown = np.asarray(Image.open(area.export_output(tmp_path / "shown.png", shown=True)))
    assert shown.shape == (r.height(), r.width(), 3) and r.width() > 4 * 64
    assert np.array_equal(shown, area.output.displayed_picture())
    assert _step(shown) < 0.25 * _step(nearest_picture(pic, r.width(), r.height()))  # smooth, not blocks
    assert area.candidateStrip.smooth  # the variants are shown as the output is
    area.output.set_exact_pixels(True)
    assert not area.candidateStrip.smooth
    r = area.output.target_rect()
    zoom = r.width() // 64
    exact = np.asarray(Image.open(area.export_output(tmp_path / "exact.png", shown=True)))
    assert r.width() == 64 * zoom and np.array_equal(exact, np.repeat(np.repeat(pic, zoom, 0), zoom, 1))
    side = np.asarray(Image.open(area.export_side_by_side(tmp_path / "side.png")))
    h = side.shape[0]
    assert np.array_equal(side[:, -h:], nearest_picture(pic, h, h))  # the output as toggled: exact pixels


def test_open_picture_save_and_reopen_document_and_export(qtbot, tmp_path, sketch_model, make_pictures):
    from ganstudio.core.sketch.document import load_document

    area = make_area(qtbot, tmp_path, sketch_model)
    picture = make_pictures(tmp_path / "pics", n=1) / "0.png"
    assert area.open_image(picture)
    assert area.canvas.document.base is not None and area.canvas.model.lines.any()
    assert area.canvas.model.hint_mask.any()
    area.canvas.undo()  # opening a picture is undoable
    assert area.canvas.document.base is None
    area.canvas.fileDropped.emit(str(picture))  # dropping it on the canvas does the same
    assert area.canvas.document.base is not None and area.canvas.undo_stack.canUndo()
    drag(area.canvas, [(0.1, 0.9), (0.9, 0.9)])
    saved = area.save_sketch(tmp_path / "mine.json")
    doc = load_document(saved)
    assert doc.model_id == str(sketch_model) and doc.size == (64, 64) and len(doc.strokes) == 1

    other = make_area(qtbot, tmp_path, name="other")
    assert other.open_sketch(saved)
    qtbot.waitUntil(lambda: other.model_ready and other.output.image() is not None, timeout=30000)
    assert other.canvas.display.equals(area.canvas.display) and other.canvas.model.equals(area.canvas.model)

    qtbot.waitUntil(lambda: not area.renderer.busy, timeout=15000)
    out = area.export_output(tmp_path / "out.png")
    assert np.array_equal(np.asarray(Image.open(out)), area.output.image())
    side = np.asarray(Image.open(area.export_side_by_side(tmp_path / "side.png")))
    assert side.shape == (512, 512 + 8 + 512, 3)
    assert np.array_equal(side[:, :512], area.canvas.display_pixels())


def test_autosave_is_offered_back_after_a_crash_and_restores_the_strokes(qtbot, tmp_path, sketch_model):
    area = make_area(qtbot, tmp_path, sketch_model)
    area.set_tool("hint")
    drag(area.canvas, [(0.4, 0.4), (0.5, 0.45)])
    area.set_tool("pen")
    drag(area.canvas, [(0.1, 0.3), (0.8, 0.35), (0.7, 0.9)])
    assert area.autosave_now() and area.recovery_path.is_file()
    assert not area.autosave_now()  # nothing changed since
    strokes = [s.to_json() for s in area.canvas.document.strokes]
    # The app dies here: no shutdown(). The next start finds the recovery file.
    again = make_area(qtbot, tmp_path)
    assert again.recovery_available() and again.recoveryBanner.isVisible()
    drag(again.canvas, [(0.5, 0.1), (0.5, 0.9)])  # drawing before answering keeps the offer intact
    assert again.autosave_now() and again.recoveryBanner.isVisible()
    QTest.mouseClick(again.restoreButton, Qt.LeftButton)
    assert not again.recoveryBanner.isVisible()
    assert [s.to_json() for s in again.canvas.document.strokes] == strokes
    assert again.canvas.display.equals(area.canvas.display) and again.canvas.model.equals(area.canvas.model)
    qtbot.waitUntil(lambda: again.model_ready, timeout=30000)  # the document's model came back too
    assert again.model_path == str(sketch_model)

    # A clean shutdown marks the work safe: nothing is offered next time.
    again.shutdown()
    area.shutdown()
    third = make_area(qtbot, tmp_path)
    assert not third.recovery_available() and not third.recoveryBanner.isVisible()


def test_the_model_renders_on_the_device_the_area_is_given(qtbot, tmp_path, sketch_model):
    area = make_area(qtbot, tmp_path)
    assert area.render_device == "auto"  # before a model: what was asked for
    cpu = make_area(qtbot, tmp_path, name="cpu", device="cpu")
    assert cpu.render_device == "cpu"
    for a in (area, cpu):
        a.load_model(sketch_model)
        qtbot.waitUntil(lambda a=a: a.model_ready, timeout=30000)
    assert cpu.render_device == cpu.model_info["device"] == "cpu"
    assert area.render_device == ("cuda:0" if torch.cuda.is_available() else "cpu")  # "auto": CUDA when present


def test_bad_model_files_are_refused_with_a_message(qtbot, tmp_path):
    area = make_area(qtbot, tmp_path)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').close()",))

    evil = tmp_path / "evil.pth"
    torch.save({"model.model.0.weight": torch.zeros(1), "x": Payload()}, evil)
    area.load_model(evil)
    qtbot.waitUntil(lambda: "could not be opened" in area.error_text(), timeout=15000)
    assert "refused" in area.error_text() and not marker.exists() and not area.model_ready

    wrong = tmp_path / "netD.pth"
    torch.save({"main.0.weight": torch.zeros(8, 3, 4, 4), "main.2.weight": torch.zeros(16, 8, 4, 4)}, wrong)
    area.load_model(wrong)
    qtbot.waitUntil(lambda: "main.0" in area.error_text() and "netd.pth" in area.error_text().lower(), timeout=15000)


def test_a_dropped_json_bomb_is_one_sentence_and_the_area_stays(qtbot, tmp_path):
    area = make_area(qtbot, tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)  # a RecursionError for json.loads
    area.open_file(str(deep))
    assert "deep.json" in area.error_text() and area.isVisible()


def test_unconditional_models_follow_the_strokes_by_latent_fitting(qtbot, tmp_path):
    model = _train(tmp_path, "digits-dcgan", [], steps=0)  # untrained weights: the fit still has work to do
    area = make_area(qtbot, tmp_path, model)
    assert area.model_info["input_kind"] == "latent" and area.editPanel.isVisible()
    assert area.canvas.size_px == 32
    area.edit_settings = {"n_starts": 8, "steps": 20}
    before = area.output.image().copy()
    area.set_tool("hint")
    area.set_color(QColor(255, 255, 255))
    drag(area.canvas, [(0.3, 0.3), (0.7, 0.7)])  # a white stroke across: the fit runs in the background
    assert area.edit_job is not None
    qtbot.waitUntil(lambda: area.edit_job is None, timeout=30000)
    assert area.candidateStrip.count() == 4 and area.editProgress.value() == 100
    assert not np.array_equal(area.output.image(), before)
    z_first = area.z_current.copy()
    area.choose_candidate(1)
    assert not np.array_equal(area.z_current, z_first)


def test_a_pix2pix_reference_generator_paints_from_the_line_drawing(qtbot, tmp_path):
    import time

    from ganstudio.core.models.unet import unet_128

    torch.manual_seed(0)
    path = tmp_path / "latest_net_G.pth"
    torch.save(unet_128(3, 3, ngf=2, norm="batch", use_dropout=True).state_dict(), path)  # edges2shoes-like
    area = make_area(qtbot, tmp_path, path)
    info = area.model_info
    assert info["input_kind"] == "image" and info["image_size"] == 128 and area.mode == "reference"
    assert area.canvas.size_px == 128 and area.canvas.scale == 4
    before = area.output.image().copy()
    t = time.perf_counter()
    drag(area.canvas, [(0.2, 0.5), (0.8, 0.5)])
    wait_output_after(qtbot, area, t)
    assert area.output.image().shape == (128, 128, 3) and not np.array_equal(area.output.image(), before)


def documented_input(input_kind: str, layers) -> torch.Tensor:
    """The generator input of canvas layers, written out from the documented encodings (not through
    ganstudio's own conversion): sketch models (ganstudio.core.sketch.encoding) lines +1 / -1, hint colours in
    [-1, 1] inside hints and 0 elsewhere, hint mask +1 / -1; 3-channel models black lines on white."""
    lines = torch.from_numpy(layers.lines > 0)
    if input_kind == "image":
        return torch.where(lines, -1.0, 1.0)[None].repeat(3, 1, 1)
    mask = torch.from_numpy(layers.hint_mask > 0)
    rgb = torch.from_numpy(layers.hint_rgb.transpose(2, 0, 1).copy()).float() / 127.5 - 1
    return torch.cat([torch.where(lines, 1.0, -1.0)[None], torch.where(mask[None], rgb, 0.0),
                      torch.where(mask, 1.0, -1.0)[None]])


def documented_pixels(output: torch.Tensor, source: str) -> np.ndarray:
    """(3, H, W) in [-1, 1] -> uint8 (H, W, 3): pix2pix's tensor2im truncates (x + 1) / 2 * 255 for
    imported reference models; GAN Studio's own models round (x + 1) * 127.5."""
    x = output.numpy().transpose(1, 2, 0)
    if source == "pix2pix-reference":
        return ((x + 1) / 2.0 * 255.0).astype(np.uint8)
    return np.rint((np.clip(x, -1, 1) + 1) * 127.5).astype(np.uint8)


def wait_settled(qtbot, area, timeout=30000):
    """Until the newest render request has been computed and its picture is the one on screen (in
    reference mode that includes the variants strip requested after the chosen variant)."""
    qtbot.waitUntil(lambda: area.is_idle(), timeout=timeout)


@pytest.mark.parametrize("mode", ["eval", "reference"])
@pytest.mark.parametrize("which", ["bundled", "trained", "pix2pix"])
def test_the_live_picture_is_the_headless_translation_of_the_same_drawing(
        qtbot, tmp_path, sketch_model, pix2pix_reference_model, which, mode):
    """What the output shows for strokes drawn with the mouse is, pixel for pixel, what `ganstudio
    translate` makes of the saved document (same mode and seed). Not symmetric: a canvas flipped or
    transposed on its way to the generator gives another picture, which the test checks it can see."""
    model_path = {"bundled": catalogue_entry("sketch-landscapes").path, "trained": sketch_model,
                  "pix2pix": pix2pix_reference_model}[which]
    area = make_area(qtbot, tmp_path, model_path)
    if area.mode != mode:
        area.modeCombo.setCurrentIndex(area.modeCombo.findData(mode))
    area.seedSpin.setValue(5)
    assert area.mode == mode and area.candidate_seeds[area.current_candidate] == 5
    # An L-shaped line in the upper left, a blue hint in the upper right, a short line low on the left.
    drag(area.canvas, [(0.12, 0.08), (0.12, 0.45), (0.40, 0.45)])
    area.set_tool("hint")
    area.set_color(QColor(30, 90, 220))
    drag(area.canvas, [(0.62, 0.10), (0.90, 0.18), (0.85, 0.30)])
    area.set_tool("pen")
    drag(area.canvas, [(0.05, 0.80), (0.30, 0.95)])
    wait_settled(qtbot, area)
    shown = area.output.image().copy()
    assert len(area.canvas.document.strokes) == 3

    doc_path = area.save_sketch(tmp_path / "drawing.json")
    doc = load_document(doc_path)
    assert doc.seed == 5 and doc.mode == mode and doc.model_id == str(model_path)
    assert doc.render(1).equals(area.canvas.model_layers())  # the file replays to the canvas's pixels

    out = tmp_path / "headless.png"
    # A model with a latent input (the bundled one) shows in reference mode the variant of its seed's z,
    # which `translate` draws with --variant-seed (without it: z = 0, as --eval).
    latent = bool(area.model_info.get("variant_z"))

    def variant(seed):
        return ["--variant-seed", str(seed)] if latent and mode == "reference" else []

    args = ["translate", str(model_path), str(doc_path), "--out", str(out), "--seed", str(doc.seed), *variant(doc.seed)]
    assert cli_main(args + (["--eval"] if mode == "eval" else [])) == 0
    expected = np.asarray(Image.open(out).convert("RGB"))
    assert shown.shape == expected.shape == (area.canvas.size_px, area.canvas.size_px, 3)
    assert np.array_equal(shown, expected)

    if mode == "reference" and area.model_info["stochastic"]:
        # every variant in the strip is the headless translation with that variant's seed
        strip = area.candidateStrip.images()
        assert len(strip) == len(area.candidate_seeds) and np.array_equal(strip[area.current_candidate], shown)
        for picture, seed in zip(strip, area.candidate_seeds):
            assert cli_main(["translate", str(model_path), str(doc_path), "--out", str(out), "--seed", str(seed),
                             *variant(seed)]) == 0
            assert np.array_equal(picture, np.asarray(Image.open(out).convert("RGB"))), seed

    model = open_generator(model_path)
    layers = doc.render(1)
    if mode == "eval":
        # and both are the module itself run in eval mode on the documented input encoding
        module = model.module.eval()
        with torch.no_grad():
            out = module(documented_input(model.input_kind, layers)[None])[0]
        assert np.array_equal(shown, documented_pixels(out, model.source))

    # The comparison can tell an upside-down or transposed canvas from the right one.
    for name, change in (("flipped", lambda a: a[::-1]), ("transposed", lambda a: a.swapaxes(0, 1))):
        x = model.input_from_layers(*(np.ascontiguousarray(change(a)) for a in
                                      (layers.lines, layers.hint_rgb, layers.hint_mask)))
        wrong = model.to_pixels(model.translate(x[None], mode=mode, seeds=[doc.seed]))[0]
        assert not np.array_equal(wrong, expected), name


def _mean_colour(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return pixels[:, : image.width() * 3].reshape(image.height(), image.width(), 3).reshape(-1, 3).mean(axis=0)


def test_the_active_tool_is_highlighted_and_the_brush_size_is_what_the_screen_shows(qtbot, tmp_path, themed):
    area = make_area(qtbot, tmp_path)
    tools = (area.penTool, area.eraserTool, area.colorTool)
    assert all(b.isCheckable() for b in tools) and area.toolGroup.exclusive()
    assert area.penTool.isChecked() and not area.eraserTool.isChecked()
    checked, unchecked = _mean_colour(area.penTool), _mean_colour(area.eraserTool)
    assert np.abs(checked - unchecked).max() > 20  # the checked one has another background
    area.set_tool("eraser")
    assert area.eraserTool.isChecked() and not area.penTool.isChecked()
    assert np.abs(_mean_colour(area.eraserTool) - checked).max() < 20

    c = area.canvas
    scale = c.screen_scale()
    assert scale == pytest.approx(c.view_rect().width() / c.size_px) and scale > 2
    width = c.width_of()
    assert area.sizeSpin.value() == max(1, round(width * scale)) and area.sizeSpin.suffix() == " px"
    assert f"{width:.3g} of {c.size_px} model px" in area.tools.brushModelLabel.text()
    area.sizeSpin.setValue(round(3 * scale))  # three model pixels, typed as what the screen shows
    assert c.width_of() == pytest.approx(3, abs=0.5 / scale)
    c.set_zoom(2.0)  # zooming in: the same brush covers twice the screen pixels
    assert area.sizeSpin.value() == round(c.width_of() * c.screen_scale())
    assert c.screen_scale() == pytest.approx(2 * scale)
    c.zoom_to_fit()


def test_the_brush_outline_under_the_cursor_has_the_brush_size_on_screen(qtbot, tmp_path):
    from ganstudio.qt import theme

    area = make_area(qtbot, tmp_path)
    c = area.canvas
    c.set_width(6)
    centre = QPoint(c.width() // 2, c.height() // 2)
    QTest.mouseMove(c, centre)
    qtbot.waitUntil(lambda: c._hover is not None)
    radius = 6 / 2 * c.screen_scale()
    image = c.grab().toImage()
    assert QColor(theme.ACCENT).blue() > QColor(theme.ACCENT).red() + 100
    ring = [image.pixelColor(round(centre.x() + dx * radius), round(centre.y() + dy * radius))
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    inside = image.pixelColor(centre.x() + round(radius / 2), centre.y())
    assert inside.name() == "#ffffff"  # white paper inside the pen's ring
    assert all(p.blue() - p.red() > 60 for p in ring), [p.name() for p in ring]  # the accent ring at the radius


def test_a_picture_on_the_clipboard_is_pasted_as_the_picture_the_sketch_starts_from(qtbot, tmp_path, make_pictures):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    area = make_area(qtbot, tmp_path)
    clipboard = QApplication.clipboard()
    picture = QImage(96, 64, QImage.Format_RGB32)
    picture.fill(QColor(240, 240, 235))
    for x in range(20, 60):
        for y in range(10, 50):
            picture.setPixelColor(x, y, QColor(30, 90, 200))
    clipboard.setImage(picture)
    assert area.paste_picture()
    doc = area.canvas.document
    assert doc.base is not None and "Started from the pasted picture" in area.note_text()
    assert (tmp_path / "data" / "pasted-picture.png").is_file()  # kept in the area's data folder
    assert doc.base.lines.any() and doc.base.hint_mask.any()
    area.canvas.undo()
    assert area.canvas.document.base is None  # undoable, as Open picture… is

    file = make_pictures(tmp_path / "pictures", n=1) / "0.png"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(file))])
    clipboard.setMimeData(mime)  # a picture file copied in a file manager
    assert area.paste_picture() and "0.png" in area.note_text() and area.canvas.document.base is not None

    clipboard.setText("not a picture")
    assert not area.paste_picture()
    assert "text, not a picture" in area.note_text()


def test_the_model_list_offers_the_bundled_dcgan_for_latent_fitting(qtbot, tmp_path):
    from ganstudio.core.generators.catalogue import catalogue_entry

    area = make_area(qtbot, tmp_path)
    area.refresh_models()
    combo = area.modelCombo
    paths = [combo.itemData(i) for i in range(combo.count())]
    assert paths[0] == str(catalogue_entry("sketch-landscapes").path)  # the default stays the sketch model
    dcgan = paths.index(str(catalogue_entry("landscapes-dcgan").path))
    assert combo.itemText(dcgan).endswith("(latent fit)")
