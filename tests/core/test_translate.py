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
from ganstudio.core.generators.translate import translate_file
from ganstudio.core.sketch.document import SketchDocument, Stroke, save_document
from ganstudio.core.sketch.encoding import strokes_to_sketch_input


def make_picture_folder(folder: Path, n: int = 4, size: int = 64) -> Path:
    """A few pictures with coloured squares on light paper: enough for a training step."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        a = np.full((size, size, 3), 235, np.uint8)
        y, x = rng.integers(4, size - 24, 2)
        a[y:y + 20, x:x + 20] = rng.integers(0, 255, 3)
        Image.fromarray(a).save(folder / f"{i}.png")
    return folder


def make_model(tmp: Path, kind: str = "sketch-folder") -> Path:
    """A tiny paired model trained for one step, saved as a GAN Studio checkpoint."""
    from ganstudio.core.config import preset
    from ganstudio.core.train.trainer import Trainer

    data = make_picture_folder(tmp / "pictures")
    cfg = preset(kind).with_overrides([
        f"data.path={data}", "train.steps=1", "optim.batch_size=2", "train.n_preview=2", "model.g_width=8",
        "model.d_width=8", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0",
        "train.log_every=1000",
    ])
    trainer = Trainer(cfg, run_dir=tmp / "run")
    trainer.run()
    return trainer.save_checkpoint()


@pytest.fixture(scope="module")
def sketch_model(tmp_path_factory) -> Path:
    return make_model(tmp_path_factory.mktemp("sketch"))


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


def test_translate_cli_writes_a_picture_from_a_picture_and_from_a_document(sketch_model, tmp_path, capsys):
    picture = make_picture_folder(tmp_path / "in", n=1) / "0.png"
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


def test_translate_cli_errors_are_one_line(sketch_model, tmp_path, capsys):
    bad = tmp_path / "notes.pth"
    bad.write_bytes(b"not a pickle at all")
    picture = make_picture_folder(tmp_path / "in", n=1) / "0.png"
    assert cli_main(["translate", str(bad), str(picture), "--out", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganstudio: error:") and "notes.pth" in err and "\n" not in err
    small = SketchDocument(size=(32, 32))
    doc_path = save_document(small, tmp_path / "small.json")
    assert cli_main(["translate", str(sketch_model), str(doc_path), "--out", str(tmp_path / "o.png")]) == 2
    assert "32x32" in capsys.readouterr().err
    with pytest.raises(GanStudioError, match="does not exist"):
        translate_file(open_generator(sketch_model), tmp_path / "missing.png")
