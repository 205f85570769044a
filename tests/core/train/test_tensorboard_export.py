"""The TensorBoard export, read back with TensorBoard's own reader: every number of the run's metrics.jsonl
at the same step with the same value (as float32, what an event stores), every kept preview as a picture of
the same size and pixels, the config once; the same events from the converter of a finished run; flushed at
checkpoints; and one sentence naming what to install when tensorboard is missing."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tiny_runs import TINY_CYCLEGAN

from ganstudio.core.config import preset
from ganstudio.core.errors import GanStudioError
from ganstudio.core.train import tensorboard_export as tb
from ganstudio.core.train.runlog import read_metrics
from ganstudio.core.train.trainer import Trainer

TOY = ["model.g_width=16", "model.d_width=16", "train.steps=20", "train.log_every=5", "train.sample_every=10",
       "train.eval_every=10", "train.checkpoint_every=0"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def accumulator(log_dir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def pictures(log_dir: Path, tag: str) -> list[tuple[int, np.ndarray]]:
    return [(e.step, np.asarray(Image.open(io.BytesIO(e.encoded_image_string)).convert("RGB")))
            for e in accumulator(log_dir).Images(tag)]


def train_with_export(cfg, run: Path) -> Path:
    trainer = Trainer(cfg, run_dir=run)
    export = tb.attach(trainer, run / "tensorboard")
    try:
        trainer.run(save_at_end="always")
    finally:
        export.close()
    return run


def kept_previews(run: Path) -> list[tuple[int, Path]]:
    from ganstudio.core.train.monitor_state import scan_sample_files

    return scan_sample_files(run, set())  # the previews, not the toy field files beside them


def test_tags_follow_the_monitors_plot_groups():
    assert [tb.scalar_tag(n) for n in ("d_loss", "g_loss", "d_real", "d_fake", "lr_g", "grad_norm_d", "it_s")] == [
        "loss/D", "loss/G", "D(x)/real", "D(x)/fake", "lr/G", "gradient/D norm", "speed/steps per second"]
    assert tb.scalar_tag("cycle_A") == "loss/cycle_A" and tb.scalar_tag("sliced_w") == "wasserstein/sliced W"
    assert tb.scalar_tag("sliced_w", "eval") == "eval/sliced_w"  # not mixed with the batch estimate of the same step
    assert tb.scalar_tag("something_new") == "other/something_new"
    assert tb.record_scalars({"step": 3, "wall_time": 1.0, "d_loss": 0.5, "g_loss": None, "note": "x", "ok": True}) == {
        "loss/D": 0.5}


def test_points_picture_puts_each_point_at_its_pixel():
    picture = tb.points_picture(np.array([[0.0, 0.0], [0.85, -0.85]]), real_points=np.array([[-0.85, 0.85]]),
                                bounds=(-1.0, 1.0, -1.0, 1.0), size=20)
    assert picture.shape == (20, 20, 3) and picture.dtype == np.uint8
    orange, grey = (230, 110, 20), (170, 170, 170)
    # column floor((x + 1) / 2 * 20), row 19 - floor((y + 1) / 2 * 20) (y up), a 2x2 dot from there
    drawn = {(int(r), int(c)): tuple(picture[r, c]) for r, c in np.argwhere((picture != 255).any(axis=2))}
    dot = lambda r, c, colour: {(r + i, c + j): colour for i in (0, 1) for j in (0, 1)}  # noqa: E731
    assert drawn == {**dot(9, 10, orange), **dot(18, 18, orange), **dot(1, 1, grey)}


def test_live_export_of_a_toy_run_holds_every_logged_number_and_preview(tmp_path: Path):
    run = train_with_export(preset("toy-ring").with_overrides(TOY), tmp_path / "run")
    records = read_metrics(run / "metrics.jsonl")
    assert sum(r.get("kind") == "eval" for r in records) == 2 and len(records) == 6
    got, want = tb.read_scalars(run / "tensorboard"), tb.expected_scalars(records)
    assert got == want  # same tags, same steps, same float32 values, nothing more
    assert {"loss/D", "loss/G", "D(x)/real", "D(x)/fake", "eval/sliced_w", "eval/modes_captured"} <= set(got)
    assert [s for s, _ in got["loss/D"]] == [5, 10, 15, 20]

    shown = pictures(run / "tensorboard", tb.POINTS_TAG)
    kept = kept_previews(run)
    assert [s for s, _ in shown] == [s for s, _ in kept] == [10, 20]
    from ganstudio.core.train.runlog import real_toy_points

    real, bounds = real_toy_points(Trainer(preset("toy-ring").with_overrides(TOY)).data.toy)
    for (_, picture), (_, path) in zip(shown, kept):  # the kept points, drawn over the real ones
        assert np.array_equal(picture, tb.points_picture(np.load(path), real, bounds))

    texts = accumulator(run / "tensorboard").Tensors("config/text_summary")
    assert len(texts) == 1 and texts[0].step == 0
    assert 'name = "toy-ring"' in texts[0].tensor_proto.string_val[0].decode()


def test_cyclegan_runs_and_their_converted_logs_hold_the_same_events(tmp_path: Path):
    cfg = preset("cyclegan-scenes").with_overrides(
        [*TINY_CYCLEGAN, "train.steps=4", "train.log_every=1", "train.sample_every=2", "train.eval_every=2"])
    run = train_with_export(cfg, tmp_path / "run")
    records = read_metrics(run / "metrics.jsonl")
    got = tb.read_scalars(run / "tensorboard")
    assert got == tb.expected_scalars(records)
    assert {"loss/D_A", "loss/G_B", "loss/cycle_A", "loss/idt_B", "eval/colour_gap"} <= set(got)
    assert [s for s, _ in got["loss/cycle_A"]] == [1, 2, 3, 4]

    shown = pictures(run / "tensorboard", tb.PREVIEW_TAG)
    kept = kept_previews(run)
    assert [s for s, _ in shown] == [s for s, _ in kept] == [2, 4]
    for (_, picture), (_, path) in zip(shown, kept):
        assert np.array_equal(picture, np.asarray(Image.open(path).convert("RGB")))  # size and pixels

    done = tb.export_run_folder(run, tmp_path / "converted")
    assert (done["records"], done["images"], done["skipped_records"], done["skipped_previews"]) == (len(records), 2, 0, 0)
    assert tb.read_scalars(tmp_path / "converted") == got
    converted = pictures(tmp_path / "converted", tb.PREVIEW_TAG)
    assert [s for s, _ in converted] == [2, 4] and all(np.array_equal(a, b) for (_, a), (_, b) in zip(converted, shown))


def test_an_image_run_writes_its_grids_at_the_steps_they_are_kept(tmp_path: Path):
    cfg = preset("digits-dcgan").with_overrides([
        "model.g_width=8", "model.d_width=8", "optim.batch_size=8", "train.n_preview=4", "train.steps=4",
        "train.log_every=2", "train.sample_every=2", "train.eval_every=0", "train.checkpoint_every=0"])
    run = train_with_export(cfg, tmp_path / "run")
    assert tb.read_scalars(run / "tensorboard") == tb.expected_scalars(read_metrics(run / "metrics.jsonl"))
    shown, kept = pictures(run / "tensorboard", tb.PREVIEW_TAG), kept_previews(run)
    assert [s for s, _ in shown] == [2, 4]
    for (_, picture), (_, path) in zip(shown, kept):
        with Image.open(path) as im:
            assert picture.shape == (im.height, im.width, 3)
            assert np.array_equal(picture, np.asarray(im.convert("RGB")))


def test_events_are_flushed_at_each_checkpoint(tmp_path: Path):
    """A killed run keeps what was logged up to its last checkpoint: each checkpoint flushes the writer (which
    waits for its queue), so the events are in the file when the checkpoint is announced."""
    cfg = preset("toy-ring").with_overrides([*TOY, "train.eval_every=0"])  # an evaluation may save the best checkpoint
    trainer = Trainer(cfg, run_dir=tmp_path / "run")
    export = tb.attach(trainer, tmp_path / "run" / "tensorboard")
    flushed_at = []
    real_flush = export.writer.flush
    export.writer.flush = lambda: (real_flush(), flushed_at.append(trainer.step_count))
    try:
        trainer.run(max_steps=10)
        assert flushed_at == []
        trainer.save_checkpoint()
        assert flushed_at == [10]
        assert [s for s, _ in tb.read_scalars(tmp_path / "run" / "tensorboard")["loss/D"]] == [5, 10]  # not closed yet
    finally:
        export.close()


def test_the_converter_refuses_what_it_cannot_write(tmp_path: Path):
    with pytest.raises(GanStudioError, match="does not exist"):
        tb.export_run_folder(tmp_path / "nowhere")
    run = tmp_path / "run"
    Trainer(preset("toy-ring").with_overrides([*TOY, "train.steps=10", "train.sample_every=0", "train.eval_every=0"]),
            run_dir=run).run()
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(GanStudioError, match="a-file"):
        tb.export_run_folder(run, tmp_path / "a-file")
    tb.export_run_folder(run)  # RUN/tensorboard
    with pytest.raises(GanStudioError, match="already holds TensorBoard events"):
        tb.export_run_folder(run)
    with (run / "metrics.jsonl").open("a") as fh:
        fh.write('{"step": -3, "d_loss": 1}\nnot json\n')
    done = tb.export_run_folder(run, overwrite=True)
    assert len(list((run / "tensorboard").glob(tb.EVENT_FILE_PREFIX + "*"))) == 1  # the old events went
    assert (done["skipped_records"], done["bad_lines"]) == (1, 1)
    assert [s for s, _ in tb.read_scalars(run / "tensorboard")["loss/D"]] == [5, 10]


def test_without_tensorboard_the_export_names_what_to_install(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    assert not tb.tensorboard_installed()
    with pytest.raises(tb.TensorBoardMissing) as caught:
        tb.require_tensorboard()
    message = str(caught.value)
    assert 'pip install "ganstudio[tensorboard]"' in message and message.count(". ") == 0 and message.endswith(".")
    with pytest.raises(tb.TensorBoardMissing):
        tb.TensorBoardExport(tmp_path / "logs")
    with pytest.raises(tb.TensorBoardMissing):
        tb.export_run_folder(tmp_path)
    assert not (tmp_path / "logs").exists()


def test_the_converter_skips_and_counts_what_a_damaged_run_folder_holds(tmp_path: Path):
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    lines = ['{"step": 5, "wall_time": 1.5, "d_loss": 0.25, "g_loss": 1e400, "big": 1e30}', '{"step": 1e30, "d_loss": 1}',
             '{"step": "7", "d_loss": 1}', '{"step": 2.5, "d_loss": 1}', '{"step": true, "d_loss": 1}', "[1, 2]",
             '{"step": 6, "wall_time": 1e308, "kind": "eval", "sliced_w": -3, "name": "x"}', "\xff\xfe"]
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (run / "samples" / "step_0000005.png").write_bytes(b"\x89PNG not really")
    np.save(run / "samples" / "step_0000006.npy", np.zeros((3, 3)))
    np.save(run / "samples" / "step_0000007.npy", np.array([[0.5, -0.5]]))
    done = tb.export_run_folder(run)
    assert (done["records"], done["skipped_records"], done["skipped_previews"], done["images"]) == (2, 4, 2, 1)
    assert done["bad_lines"] == 2
    assert tb.read_scalars(run / "tensorboard") == {"loss/D": [(5, 0.25)], "other/big": [(5, float(np.float32(1e30)))],
                                                    "eval/sliced_w": [(6, -3.0)]}


def test_a_resumed_run_replaces_the_events_its_killed_run_wrote_past_the_checkpoint(tmp_path: Path):
    run = tmp_path / "run"
    cfg = preset("toy-ring").with_overrides([*TOY, "train.eval_every=0", "train.sample_every=0", "train.checkpoint_every=10"])
    first = Trainer(cfg, run_dir=run)
    export = tb.attach(first, run / "tensorboard")
    first.run(max_steps=15)  # killed at 15: its checkpoint is step 10's; steps 15's events are orphans
    export.close()
    assert [s for s, _ in tb.read_scalars(run / "tensorboard")["loss/D"]] == [5, 10, 15]

    second = Trainer(cfg, run_dir=run, resume=run / "checkpoints" / "latest.safetensors")
    export = tb.attach(second, run / "tensorboard")
    try:
        second.run()
    finally:
        export.close()
    records = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in records] == [5, 10, 15, 20]  # the resume cut the log back to step 10
    got = tb.read_scalars(run / "tensorboard")
    assert got == tb.expected_scalars(records)  # one point a step: without the restart mark, step 15 twice
