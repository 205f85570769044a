"""The Monitor's Diagnosis panel: findings of a run folder and of the app's live run, a marker on the curve at
the step, the help with the thresholds, and buttons that apply a live setting or fill a new run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ganstudio.core import config as C


def sick_records(n=120, from_step=600):
    """D wins from `from_step` on (what a minimax run with lr_D 10x lr_G logs)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(1, n + 1):
        step = 10 * i
        wins = step >= from_step
        out.append({"step": step, "wall_time": step / 100, "d_real": 0.995 if wins else 0.6 + 0.03 * rng.standard_normal(),
                    "d_fake": 0.004 if wins else 0.4 + 0.03 * rng.standard_normal(),
                    "d_loss": 0.01 if wins else 1.2 + 0.05 * rng.standard_normal(),
                    "g_loss": 5.0 if wins else 1.0, "grad_norm_d": 1.0, "grad_norm_g": 1.0,
                    "lr_g": 2e-4, "lr_d": 2e-4})
    return out


def write_run(folder, records, cfg):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(cfg.to_dict()))
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


@pytest.fixture
def digits_cfg():
    return C.preset("digits-dcgan").with_overrides(["optim.lr_decay=none"])


def test_a_sick_run_folder_is_named_with_a_marker_and_new_run_buttons(qtbot, monitor, tmp_path, digits_cfg):
    folder = write_run(tmp_path / "sick", sick_records(), digits_cfg)
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    panel = monitor.diagnosis
    panel.refresh(force=True)
    assert panel.findings[0].rule == "d_wins" and panel.findings[0].step == 600
    assert panel.list.count() >= 1 and "step 600" in panel.list.item(0).text()
    assert "1 problem" in panel.title.text()
    assert "D(x) was 0.995" in panel.detail.text()
    (plot, line), *_ = panel.markers
    assert line.value() == 600 and plot is monitor.plots[monitor.plots_host.plot_for("d_loss")]
    shown = [b for b in panel.buttons if b.isVisible()]
    assert shown and all(b.text().startswith("New run: ") for b in shown)  # not the app's live run
    with qtbot.waitSignal(panel.newRunRequested) as sig:
        shown[0].click()
    config, sets = sig.args
    assert config["data"]["kind"] == "digits" and sets == ["optim.lr_d=5e-05"]
    C.RunConfig.from_dict(config).with_overrides(sets)  # what the Train form gets validates


def test_markers_follow_the_wall_time_axis(qtbot, monitor, tmp_path, digits_cfg):
    monitor.open_run_folder(write_run(tmp_path / "sick", sick_records(), digits_cfg))
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    monitor.set_x_mode("wall_time")
    (_plot, line), *_ = monitor.diagnosis.markers
    assert line.value() == pytest.approx(6.0)  # step 600 at 6 s


def test_the_live_run_gets_live_buttons_and_follows_new_rows(qtbot, monitor, digits_cfg):
    panel = monitor.diagnosis
    run = monitor.begin_live_run({"run_dir": None, "name": "live", "task": "image", "config": digits_cfg})
    records = sick_records()
    monitor.add_progress({"scalars": records[:40]})  # healthy so far
    panel.refresh(force=True)
    assert [f.rule for f in panel.findings] == ["healthy"] and "healthy" in panel.title.text()
    assert not panel.markers and not any(b.isVisible() for b in panel.buttons)
    monitor.add_progress({"scalars": records[40:]})
    qtbot.waitUntil(lambda: panel.findings and panel.findings[0].rule == "d_wins", timeout=10000)
    live = [b for b in panel.buttons if b.isVisible() and b.text().startswith("Apply ")]
    assert [b.text() for b in live] == ["Apply lr_d=5e-05"]
    with qtbot.waitSignal(panel.liveChangeRequested) as sig:
        live[0].click()
    assert sig.args == ["optim.lr_d", pytest.approx(5e-5)]
    monitor.end_live_run()
    panel.refresh(force=True)
    assert not any(b.text().startswith("Apply ") for b in panel.buttons if b.isVisible())  # it ended
    assert run in monitor.runs


def test_help_shows_the_thresholds(qtbot, monitor):
    panel = monitor.diagnosis
    from ganstudio.core.train import diagnosis as D

    assert f"D(x) >= {D.D_WINS_PROB}" in panel.help_button.toolTip() and "docs/DOCTOR.md" in panel.help_button.toolTip()
    panel.help_button.setChecked(True)
    assert "Goodfellow 2016" in panel.detail.text() and "Mescheder" in panel.detail.text()
    panel.help_button.setChecked(False)
    assert panel.detail.text() == "No run to read."


def test_skipped_log_lines_are_counted_in_the_panel(qtbot, monitor, tmp_path, digits_cfg):
    folder = write_run(tmp_path / "torn", sick_records(n=40, from_step=10_000), digits_cfg)  # healthy
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write("{torn by a kill\n")
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    panel = monitor.diagnosis
    panel.refresh(force=True)
    assert [f.rule for f in panel.findings] == ["skipped_lines", "healthy"]
    assert "1 line of metrics.jsonl is not a record" in panel.list.item(0).toolTip()
    assert monitor.runs[0].table.rows == 40  # every other record was read


def test_a_long_preview_history_is_measured_a_batch_per_refresh(qtbot, monitor, tmp_path):
    from ganstudio.qt.monitor import diagnosis as panel_module

    cfg = C.preset("toy-ring")
    folder = write_run(tmp_path / "toy", sick_records(n=60, from_step=10_000), cfg)
    (folder / "samples").mkdir()
    rng = np.random.default_rng(0)
    for step in range(10, 610, 10):  # 60 previews, all on one point: collapsed
        np.save(folder / "samples" / f"step_{step:07d}.npy", 0.01 * rng.standard_normal((64, 2)).astype(np.float32))
    monitor.open_run_folder(folder)
    qtbot.waitUntil(lambda: len(monitor.runs) == 1, timeout=30000)
    panel = monitor.diagnosis
    panel.set_run_config(monitor.runs[0], cfg.to_dict())  # a fresh doctor: nothing measured yet
    panel.refresh(force=True)
    doc = panel.doctor_for(monitor.runs[0])
    assert len(doc.measured) == panel_module.MEASURE_PER_REFRESH and doc.pending
    panel.refresh()  # the next tick goes on where it stopped
    assert len(doc.measured) == 60 and not doc.pending
    assert any(f.rule == "mode_collapse" for f in panel.findings)
