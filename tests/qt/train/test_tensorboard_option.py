"""The app's "Also write TensorBoard logs": the Preferences checkbox (saved; disabled, saying what to install,
without tensorboard) and a run started with it on writing the run's numbers as TensorBoard events, read
back with TensorBoard's reader."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox

from ganstudio.core.config import preset
from ganstudio.core.train import tensorboard_export as tb
from ganstudio.core.train.runlog import read_metrics
from ganstudio.qt.preferences import Preferences, PreferencesDialog
from ganstudio.qt.settings import AppSettings
from ganstudio.qt.train.run_control import RunControl

TOY = ["model.g_width=16", "model.d_width=16", "train.log_every=5", "train.sample_every=10", "train.eval_every=0",
       "train.checkpoint_every=0", "train.steps=20"]


def without_tensorboard(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)


def dialog(qtbot, settings) -> PreferencesDialog:
    dlg = PreferencesDialog(Preferences.from_settings(settings), cuda_available=False)
    qtbot.addWidget(dlg)
    return dlg


def test_the_checkbox_is_saved(qtbot, settings):
    dlg = dialog(qtbot, settings)
    box = dlg.tensorboardCheck
    assert box.isEnabled() and not box.isChecked() and box.text() == "Also write TensorBoard logs"
    box.setChecked(True)
    dlg.buttons.button(QDialogButtonBox.Ok).click()
    dlg.preferences().save(settings)
    assert AppSettings().tensorboard_logs() is True
    assert dialog(qtbot, settings).tensorboardCheck.isChecked()


def test_without_tensorboard_the_checkbox_is_off_and_says_what_to_install(qtbot, settings, monkeypatch):
    settings.set_tensorboard_logs(True)
    without_tensorboard(monkeypatch)
    dlg = dialog(qtbot, settings)
    box = dlg.tensorboardCheck
    assert not box.isEnabled() and not box.isChecked()
    assert 'pip install "ganstudio[tensorboard]"' in box.toolTip()
    assert dlg.preferences().tensorboard is True  # the choice is kept for when tensorboard is installed


def test_a_run_with_the_option_writes_tensorboard_logs(qtbot, settings):
    settings.set_tensorboard_logs(True)
    run = RunControl(settings)
    messages = []
    run.message.connect(messages.append)
    worker = run.start(preset("toy-ring").with_overrides(TOY))
    qtbot.waitUntil(lambda: run.worker is None and run.state == "idle", timeout=60000)
    run_dir = worker.run_dir
    logs = run_dir / "tensorboard"
    assert any(m.startswith(f"TensorBoard logs in {logs}") for m in messages), messages
    assert worker._tensorboard is None  # closed with the run: its writer thread is joined
    records = read_metrics(run_dir / "metrics.jsonl")
    got = tb.read_scalars(logs)
    assert [s for s, _ in got["loss/D"]] == [5, 10, 15, 20]
    # every logged number, the end-of-run evaluation included (it reaches metrics.jsonl too)
    assert got == tb.expected_scalars(records)
    assert [s for s, _ in got["eval/sliced_w"]] == [20]


def test_with_the_option_on_but_tensorboard_gone_the_run_goes_on_without(qtbot, settings, monkeypatch):
    settings.set_tensorboard_logs(True)
    without_tensorboard(monkeypatch)
    run = RunControl(settings)
    warnings = []
    run.warning.connect(warnings.append)
    worker = run.start(preset("toy-ring").with_overrides(TOY))
    qtbot.waitUntil(lambda: run.worker is None and run.state == "idle", timeout=60000)
    assert len(warnings) == 1 and 'pip install "ganstudio[tensorboard]"' in warnings[0]
    assert "this run writes no TensorBoard logs" in warnings[0]
    assert (Path(worker.run_dir) / "metrics.jsonl").is_file() and not (Path(worker.run_dir) / "tensorboard").exists()


def test_a_run_that_fails_closes_its_logs_with_what_it_logged(qtbot, settings, monkeypatch):
    from ganstudio.core.train.trainer import Trainer

    real_step = Trainer.step

    def failing_step(self):
        if self.step_count == 12:
            raise RuntimeError("a bug in the middle of training")
        real_step(self)

    monkeypatch.setattr(Trainer, "step", failing_step)
    settings.set_tensorboard_logs(True)
    run = RunControl(settings)
    errors = []
    run.error.connect(errors.append)
    worker = run.start(preset("toy-ring").with_overrides([*TOY, "train.sample_every=0"]))
    qtbot.waitUntil(lambda: run.worker is None and run.state == "idle", timeout=60000)
    assert len(errors) == 1 and worker._tensorboard is None  # failed, and the export closed (thread joined)
    records = read_metrics(worker.run_dir / "metrics.jsonl")
    assert [r["step"] for r in records] == [5, 10]
    assert tb.read_scalars(worker.run_dir / "tensorboard") == tb.expected_scalars(records)
