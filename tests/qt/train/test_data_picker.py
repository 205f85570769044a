"""The Train form's Data group (qt.train.data_picker) and the panel shell around its TrainForm."""

import pytest
from PySide6.QtWidgets import QLabel

from ganstudio.core.train.form import TrainForm
from ganstudio.qt.train.data_picker import DataPicker


def test_the_data_picker_follows_the_form_and_checks_a_folder(qtbot, tmp_path, make_pictures):
    form = TrainForm("toy-ring")
    picker = DataPicker(form)
    qtbot.addWidget(picker)
    assert picker.datasetCombo.currentData() == "ring" and not picker.folderEdit.isVisibleTo(picker)
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("folder"))
    assert form.data_kind == "folder" and form.preset_name == "digits-dcgan"
    assert picker.folderEdit.isVisibleTo(picker)
    form.set_data_kind("spiral")  # the form changed it: the menu shows it
    assert picker.datasetCombo.currentData() == "spiral" and not picker.folderEdit.isVisibleTo(picker)
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("folder"))
    folder = make_pictures(tmp_path / "pics", n=3, size=40)
    job = picker.set_folder(str(folder))
    assert job is not None and form.folder == str(folder)
    qtbot.waitUntil(lambda: "ready" in picker.folderStatus.text(), timeout=30000)
    assert picker.folderStatus.text().startswith("3 images ready")
    assert len(picker.thumbnails.findChildren(QLabel)) == 3
    assert picker.folder_info["count"] == 3
    picker.set_editable(False)
    assert not picker.datasetCombo.isEnabled() and not picker.browseButton.isEnabled()


def test_the_data_picker_says_why_a_folder_cannot_be_used(qtbot, tmp_path):
    form = TrainForm("toy-ring")
    picker = DataPicker(form)
    qtbot.addWidget(picker)
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("folder"))
    picker.set_folder(str(tmp_path / "missing"))
    qtbot.waitUntil(lambda: picker.folder_info is not None and "error" in picker.folder_info, timeout=30000)
    assert picker.folderStatus.text() == picker.folder_info["error"]
    assert picker.set_folder("") is None  # nothing to check


def test_the_panel_shows_its_form_and_passes_edits_back(qtbot):
    from ganstudio.core import config as C
    from ganstudio.qt.train.panel import TrainPanel

    panel = TrainPanel()
    qtbot.addWidget(panel)
    form = panel.form
    panel.widgets["train.steps"].setValue(77)
    assert form.value("train.steps") == 77 and panel.build_config().train.steps == 77
    panel.set_live_values(1e-3, 2e-3, 4)
    assert panel.widgets["optim.lr_g"].value() == pytest.approx(1e-3) and panel.widgets["optim.n_critic"].value() == 4
    form.set_resume("/runs/x/latest.safetensors", C.preset("toy-grid"), step=10)
    assert panel.resume_path == "/runs/x/latest.safetensors" and panel.presetCombo.currentData() == "toy-grid"
    assert panel.resumeLabel.isVisibleTo(panel) and "from step 10" in panel.resumeLabel.text()
    panel.presetCombo.setCurrentIndex(panel.presetCombo.findData("toy-ring"))  # the user chose a new run
    assert panel.resume_path is None and not panel.resumeLabel.isVisibleTo(panel)
    assert panel.widgets["optim.lr_g"].value() == pytest.approx(C.preset("toy-ring").optim.lr_g)
    panel.lossCombo.setCurrentIndex(panel.lossCombo.findData("wgan"))
    label, clip = panel.rows["objective.clip_value"]
    assert clip.isVisibleTo(panel) and form.value("objective.loss") == "wgan"
    panel.shutdown()


def test_the_unpaired_kind_checks_both_folders(qtbot, tmp_path, make_pictures):
    form = TrainForm("toy-ring")
    picker = DataPicker(form)
    qtbot.addWidget(picker)
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("unpaired"))
    assert form.preset_name == "cyclegan-folders" and picker.folderBEdit.isVisibleTo(picker)
    assert picker.folderLabel.text() == "Folder A"
    # The reference layout: one folder holding trainA/ and trainB/.
    make_pictures(tmp_path / "horse2zebra" / "trainA", n=3, size=40)
    make_pictures(tmp_path / "horse2zebra" / "trainB", n=2, size=40)
    picker.set_folder(str(tmp_path / "horse2zebra"))
    qtbot.waitUntil(lambda: "ready" in picker.folderStatus.text(), timeout=30000)
    assert picker.folderStatus.text().startswith("side A 3, side B 2 pictures ready")
    cfg = form.config()
    assert cfg.data.kind == "unpaired" and cfg.data.path == str(tmp_path / "horse2zebra") and cfg.data.path_b is None
    # Two folders: side B's empty folder is named in one sentence.
    (tmp_path / "empty").mkdir()
    picker.set_folder(str(tmp_path / "horse2zebra" / "trainA"))
    picker.set_folder_b(str(tmp_path / "empty"))
    qtbot.waitUntil(lambda: picker.folder_info is not None and "error" in picker.folder_info, timeout=30000)
    assert picker.folderStatus.text().startswith("Side B of the unpaired data:")
    assert form.config().data.path_b == str(tmp_path / "empty")
    picker.datasetCombo.setCurrentIndex(picker.datasetCombo.findData("scenes-daynight"))
    assert form.preset_name == "cyclegan-scenes" and not picker.folderBEdit.isVisibleTo(picker)
    assert not picker.folderEdit.isVisibleTo(picker)


def test_the_time_left_holds_through_a_checkpoint_save_and_restarts_after_a_pause(qtbot):
    from ganstudio.qt.train.panel import TrainPanel

    panel = TrainPanel()
    qtbot.addWidget(panel)
    panel.set_engine_ready(False)
    panel.set_state("running")
    for i in range(41):  # 40 it/s
        panel.show_progress(10 * i, 10000, 40.0, now=0.25 * i)
    assert panel.statusLabel.text() == "40.0 it/s · 04:00 left"
    panel.show_progress(410, 10000, 4.4, now=12.25)  # the batch that waited for a save
    speed, left = panel.statusLabel.text().split(" · ")
    assert speed == "4.4 it/s" and left.startswith("04:")  # the last batch alone said 36 minutes
    panel.set_state("paused")
    assert panel.statusLabel.text() == "Paused."
    panel.set_state("running")
    panel.show_progress(420, 10000, 40.0, now=600.0)  # resumed ten minutes later
    assert "left" not in panel.statusLabel.text()  # measured afresh: one reading is no rate yet
    panel.show_progress(430, 10000, 40.0, now=600.25)
    assert panel.statusLabel.text().endswith("03:59 left")
