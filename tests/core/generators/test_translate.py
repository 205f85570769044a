"""Applying sketch / pix2pix generators: the canvas input is the training encoding, `ganstudio translate`
writes a picture, and wrong inputs fail with one sentence."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.cli import main as cli_main
from ganstudio.core.errors import GanStudioError
from ganstudio.core.generators.handle import input_from_layers, open_generator
from ganstudio.core.generators.reference_mode import reference_pixels
from ganstudio.core.generators.translate import translate_file
from ganstudio.core.imaging import to_uint8
from ganstudio.core.models.from_config import generator_from_checkpoint
from ganstudio.core.models.unet import unet_128
from ganstudio.core.sketch.document import SketchDocument, Stroke, save_document
from ganstudio.core.sketch.encoding import image_to_sketch_input, strokes_to_sketch_input


def make_model(tmp: Path, make_pictures, kind: str = "sketch-folder") -> Path:
    """A tiny paired model trained for one step, saved as a GAN Studio checkpoint."""
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    data = make_pictures(tmp / "pictures")
    cfg = preset(kind).with_overrides([
        f"data.path={data}", "train.steps=1", "optim.batch_size=2", "train.n_preview=2", "model.g_width=8",
        "model.d_width=8", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
        "train.log_every=1000",
    ])
    trainer = Trainer(cfg, run_dir=tmp / "run")
    trainer.run()
    return trainer.save_checkpoint()


@pytest.fixture(scope="module")
def sketch_model(tmp_path_factory, make_pictures) -> Path:
    return make_model(tmp_path_factory.mktemp("sketch"), make_pictures)


@pytest.fixture(scope="module")
def pix2pix_pth(tmp_path_factory) -> Path:
    """A pytorch-CycleGAN-and-pix2pix netG state dict (unet_128, batch norm, dropout), random weights."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("pix2pix") / "latest_net_G.pth"
    torch.save(unet_128(3, 3, ngf=4, norm="batch", use_dropout=True).state_dict(), path)
    return path


def hand_drawing(size: int = 64):
    """A document and the layers its strokes cover, worked out by hand from the documented stamp rule
    (a pixel is covered when its centre lies within the stroke radius, width / 2 but at least 0.5, of
    the stroke's path): a horizontal line on row 10, columns 5-40; a vertical line in column 50, rows
    20-60; a 3x3 colour hint centred on row 20, column 30."""
    doc = SketchDocument(size=(size, size), strokes=[
        Stroke("pen", 1.0, [(5.5, 10.5, 1.0), (40.5, 10.5, 1.0)]),
        Stroke("pen", 1.0, [(50.5, 20.5, 1.0), (50.5, 60.5, 1.0)]),
        Stroke("hint", 3.0, [(30.5, 20.5, 1.0)], color=(255, 0, 127)),
    ])
    lines = np.zeros((size, size), bool)
    lines[10, 5:41] = True
    lines[20:61, 50] = True
    mask = np.zeros((size, size), bool)
    mask[19:22, 29:32] = True
    rgb = np.zeros((size, size, 3), np.uint8)
    rgb[mask] = (255, 0, 127)
    return doc, lines, rgb, mask


def documented_sketch_input(lines: np.ndarray, rgb: np.ndarray, mask: np.ndarray) -> torch.Tensor:
    """The 5-channel encoding as ganstudio.core.sketch.encoding documents it: lines +1 on a line, -1 on paper;
    hint RGB in [-1, 1] inside a hint, 0 elsewhere; hint mask +1 inside, -1 elsewhere."""
    on, m = torch.from_numpy(lines), torch.from_numpy(mask)
    colours = torch.from_numpy(rgb.transpose(2, 0, 1).copy()).float() / 127.5 - 1
    return torch.cat([torch.where(on, 1.0, -1.0)[None], torch.where(m[None], colours, 0.0),
                      torch.where(m, 1.0, -1.0)[None]])


def rounded_pixels(out: torch.Tensor) -> np.ndarray:
    """GAN Studio's rule for its own models: (x + 1) * 127.5, clamped, rounded; (N, 3, H, W) -> (N, H, W, 3)."""
    x = out.numpy().transpose(0, 2, 3, 1)
    return np.rint((np.clip(x, -1, 1) + 1) * 127.5).astype(np.uint8)


def truncated_pixels(out: torch.Tensor) -> np.ndarray:
    """pytorch-CycleGAN-and-pix2pix's util.tensor2im: (x + 1) / 2 * 255, cast to uint8 (truncation)."""
    x = out.numpy().transpose(0, 2, 3, 1)
    return ((x + 1) / 2.0 * 255.0).astype(np.uint8)


def test_canvas_layers_become_the_training_encoding(sketch_model):
    model = open_generator(sketch_model)
    assert model.input_kind == "sketch" and model.image_size == 64 and model.default_mode == "eval"
    doc = SketchDocument(size=(64, 64), strokes=[
        Stroke("pen", 1.0, [(5.5, 5.5, 1.0), (50.5, 40.5, 1.0)]),
        Stroke("hint", 3.0, [(30.5, 20.5, 1.0)], color=(255, 0, 127)),
    ])
    layers = doc.render(1)
    x = model.input_from_layers(layers.lines, layers.hint_rgb, layers.hint_mask)
    expected = strokes_to_sketch_input(
        torch.from_numpy(layers.lines), torch.from_numpy(layers.hint_rgb.transpose(2, 0, 1).copy()),
        torch.from_numpy(layers.hint_mask),
    )
    assert torch.equal(x, expected) and x.shape == (5, 64, 64)
    assert x[0, 5, 5] == 1 and x[0, 0, 63] == -1  # line on, paper off
    assert x[4, 20, 30] == 1 and torch.allclose(x[1:4, 20, 30], torch.tensor([1.0, -1.0, 127 / 127.5 - 1]))
    out_eval = model.translate(x, mode="eval")
    assert out_eval.shape == (1, 3, 64, 64)
    torch.testing.assert_close(model.translate(x, mode="eval"), out_eval)  # deterministic
    a = model.translate(x, mode="reference", seeds=[1])
    b = model.translate(x, mode="reference", seeds=[2])
    torch.testing.assert_close(model.translate(x, mode="reference", seeds=[1]), a)
    assert not torch.allclose(a, b)  # dropout variants


def test_three_channel_models_get_black_lines_on_white():
    lines = np.zeros((8, 8), np.uint8)
    lines[2, 3] = 1
    x = input_from_layers("image", lines, np.full((8, 8, 3), 9, np.uint8), np.ones((8, 8), np.uint8))
    assert x.shape == (3, 8, 8) and (x[:, 2, 3] == -1).all() and (x[:, 0, 0] == 1).all()


def test_translate_cli_writes_a_picture_from_a_picture_and_from_a_document(sketch_model, tmp_path, capsys, make_pictures):
    picture = make_pictures(tmp_path / "in", n=1) / "0.png"
    out = tmp_path / "out.png"
    assert cli_main(["translate", str(sketch_model), str(picture), "--out", str(out), "--seed", "3"]) == 0
    first = np.asarray(Image.open(out))
    assert first.shape == (64, 64, 3)
    assert cli_main(["translate", str(sketch_model), str(picture), "--out", str(out), "--seed", "3"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), first)  # seeded: the same picture again

    doc = SketchDocument(size=(64, 64), strokes=[Stroke("pen", 1.0, [(5.5, 5.5, 1.0), (50.5, 40.5, 1.0)])])
    doc_path = save_document(doc, tmp_path / "sketch.json")
    out2 = tmp_path / "from_doc.png"
    assert cli_main(["translate", str(sketch_model), str(doc_path), "--out", str(out2), "--eval"]) == 0
    model = open_generator(sketch_model)
    assert np.array_equal(np.asarray(Image.open(out2)), translate_file(model, doc_path, mode="eval"))

    # The picture in eval mode, against the module run by hand: the file's pixels in [-1, 1], its lines
    # and 10 colour hints by the training-pair code with the seed's generator, rounded to uint8.
    out3 = tmp_path / "from_picture_eval.png"
    assert cli_main(["translate", str(sketch_model), str(picture), "--out", str(out3), "--seed", "3", "--eval"]) == 0
    G, _, _ = generator_from_checkpoint(sketch_model)
    image = torch.from_numpy(np.asarray(Image.open(picture).convert("RGB")).transpose(2, 0, 1).copy()).float() / 127.5 - 1
    x = image_to_sketch_input(image[None], n_hints=10, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = rounded_pixels(G.eval()(x))[0]
    assert np.array_equal(np.asarray(Image.open(out3)), expected)


def test_translate_cli_output_is_the_module_run_on_the_documented_input(sketch_model, pix2pix_pth, tmp_path):
    """`ganstudio translate --eval` of a saved document, against an expected picture built without the
    translate module: the strokes' pixels worked out by hand, the documented input encoding, the
    generator module in eval mode, and the documented uint8 rule (rounding for GAN Studio checkpoints,
    pix2pix's truncation for its .pth files)."""
    doc, lines, rgb, mask = hand_drawing(64)
    doc_path = save_document(doc, tmp_path / "hand.json")
    out = tmp_path / "out.png"
    assert cli_main(["translate", str(sketch_model), str(doc_path), "--out", str(out), "--eval"]) == 0
    G, _, _ = generator_from_checkpoint(sketch_model)
    with torch.no_grad():
        raw = G.eval()(documented_sketch_input(lines, rgb, mask)[None])
        flipped = G(documented_sketch_input(lines[::-1].copy(), rgb[::-1].copy(), mask[::-1].copy())[None])
    got = np.asarray(Image.open(out))
    assert np.array_equal(got, rounded_pixels(raw)[0])
    assert not np.array_equal(got, rounded_pixels(flipped)[0])  # the comparison sees an upside-down input

    doc, lines, _, _ = hand_drawing(128)
    doc_path = save_document(doc, tmp_path / "hand128.json")
    assert cli_main(["translate", str(pix2pix_pth), str(doc_path), "--out", str(out), "--eval"]) == 0
    module = unet_128(3, 3, ngf=4, norm="batch", use_dropout=True)
    module.load_state_dict(torch.load(pix2pix_pth, weights_only=True))
    picture = torch.where(torch.from_numpy(lines), -1.0, 1.0)[None].repeat(3, 1, 1)  # black lines on white
    with torch.no_grad():
        raw = module.eval()(picture[None])
    got = np.asarray(Image.open(out))
    assert np.array_equal(got, truncated_pixels(raw)[0])
    assert not np.array_equal(got, rounded_pixels(raw)[0])  # truncation, not rounding


# (x, tensor2im's truncated value, GAN Studio's rounded value), worked out by hand
UINT8_CASES = [
    (-1.0, 0, 0), (1.0, 255, 255),
    (0.0, 127, 128),  # 127.5: truncated down; rounded half to even
    (0.999, 254, 255),  # 254.87
    (-0.5, 63, 64),  # 63.75
    (0.3, 165, 166),  # 165.75
    (0.5, 191, 191),  # 191.25
    (-0.999, 0, 0),  # 0.1275
]


def test_reference_pixels_truncate_like_tensor2im_and_ganstudio_pixels_round():
    xs = torch.tensor([c[0] for c in UINT8_CASES])
    truncated = np.array([c[1] for c in UINT8_CASES], np.uint8)
    rounded = np.array([c[2] for c in UINT8_CASES], np.uint8)
    batch = xs.view(1, 1, 1, -1).expand(2, 3, 1, -1)  # (N, 3, H, W)
    got = reference_pixels(batch)
    assert got.dtype == np.uint8 and got.shape == (2, 1, len(xs), 3)
    assert np.array_equal(got, np.broadcast_to(truncated[None, None, :, None], got.shape))
    grey = reference_pixels(xs.view(1, 1, 1, -1))  # one channel becomes RGB
    assert grey.shape == (1, 1, len(xs), 3) and np.array_equal(grey[0, 0], np.repeat(truncated[:, None], 3, 1))
    ours = to_uint8(batch)
    assert ours.dtype == np.uint8 and np.array_equal(ours, np.broadcast_to(rounded[None, None, :, None], ours.shape))
    assert np.array_equal(to_uint8(torch.tensor([-3.0, 2.0]).view(1, 1, 1, 2))[0, 0], [[0] * 3, [255] * 3])  # clamped


def test_pix2pix_pth_models_truncate_and_ganstudio_checkpoints_round(sketch_model, pix2pix_pth):
    xs = torch.tensor([c[0] for c in UINT8_CASES]).view(1, 1, 1, -1).expand(1, 3, 1, -1)
    truncated = np.array([c[1] for c in UINT8_CASES], np.uint8)
    rounded = np.array([c[2] for c in UINT8_CASES], np.uint8)
    reference = open_generator(pix2pix_pth)
    ours = open_generator(sketch_model)
    assert reference.source == "pix2pix-reference" and ours.source == "checkpoint"
    assert np.array_equal(reference.to_pixels(xs)[0, 0], np.repeat(truncated[:, None], 3, 1))
    assert np.array_equal(ours.to_pixels(xs)[0, 0], np.repeat(rounded[:, None], 3, 1))


def test_translate_cli_errors_are_one_line(sketch_model, tmp_path, capsys, make_pictures):
    bad = tmp_path / "notes.pth"
    bad.write_bytes(b"not a pickle at all")
    picture = make_pictures(tmp_path / "in", n=1) / "0.png"
    assert cli_main(["translate", str(bad), str(picture), "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganstudio: error:") and "notes.pth" in err and "\n" not in err
    small = SketchDocument(size=(32, 32))
    doc_path = save_document(small, tmp_path / "small.json")
    assert cli_main(["translate", str(sketch_model), str(doc_path), "--out", str(tmp_path / "o.png")]) == 2
    assert "32x32" in capsys.readouterr().err
    with pytest.raises(GanStudioError, match="does not exist"):
        translate_file(open_generator(sketch_model), tmp_path / "missing.png")
