"""Browse runs…: the runs folder of real short trainings listed in a table that sorts by value, two runs
picked and opened in the Monitor (then in its run list and remembered), a broken run named and not
opened, a bad folder one sentence, the newest listing winning, and the File menu's way in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt

from ganstudio.core.config import preset
from ganstudio.core.train.runlog import new_run_dir
from ganstudio.qt.monitor.run_browser import COLUMNS

SETS = ["train.log_every=1", "train.eval_every=2", "train.sample_every=2", "train.checkpoint_every=0",
        "train.best_metric=sliced_w", "model.g_width=32", "model.d_width=32", "optim.batch_size=32"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    from ganstudio.core.train.trainer import Trainer

    base = tmp_path_factory.mktemp("browse")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        made = {}
        for name, steps, until in (("long", 8, None), ("short", 10, 2)):
            cfg = preset("toy-ring").with_overrides([*SETS, f"train.steps={steps}"])
            folder = new_run_dir(base, name)
            Trainer(cfg, run_dir=folder).run(max_steps=until, save_at_end="always", evaluate_at_end=True)
            made[name] = folder
    finally:
        torch.set_num_threads(threads)
    return made


@pytest.fixture
def runs_folder(settings, trained) -> Path:
    folder = settings.runs_folder()
    for run in trained.values():
        shutil.copytree(run, folder / run.name)
    broken = folder / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"name": "toy-r')
    return folder


def names(dialog) -> list[str]:
    return [dialog.table.item(row, 0).text() for row in range(dialog.table.rowCount())]


def listed(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.scan is not None and dialog._job is None, timeout=30000)
    return dialog


def click_header(qtbot, dialog, column: str) -> None:
    header = dialog.table.horizontalHeader()
    x = header.sectionViewportPosition(COLUMNS.index(column)) + 10
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, header.height() // 2))


def test_the_runs_folder_is_listed_sorted_by_value_and_two_runs_open_in_the_monitor(qtbot, monitor, settings, runs_folder, trained):
    dialog = listed(qtbot, monitor.browse_runs())
    assert dialog.isVisible() and dialog.folder_edit.text() == str(runs_folder)
    assert sorted(names(dialog)) == sorted([trained["long"].name, trained["short"].name, "broken"])
    row = {n: r for r, n in enumerate(names(dialog))}
    cells = {c: dialog.table.item(row[trained["long"].name], i).text() for i, c in enumerate(COLUMNS)}
    assert cells["State"] == "finished" and cells["Steps"] == "8/8" and cells["Config"] == "toy-ring (toy)"
    assert cells["Best"].startswith("sliced_w ") and cells["Started"] and cells["Last written"]
    assert dialog.table.item(row[trained["short"].name], COLUMNS.index("State")).text() == "stopped early"
    assert dialog.table.item(row["broken"], COLUMNS.index("State")).text() == "unreadable"
    assert "not valid JSON" in dialog.table.item(row["broken"], 0).toolTip()
    assert "3 runs" in dialog.status.text() and "1 unreadable" in dialog.status.text()

    click_header(qtbot, dialog, "Steps")  # by the number of steps, not by the text ("10" < "8" as text)
    order = names(dialog)
    ascending = dialog.table.horizontalHeader().sortIndicatorOrder() == Qt.AscendingOrder
    known = [trained["short"].name, trained["long"].name]  # 2 then 8 steps; the broken run's are unknown: last
    assert order == (known + ["broken"] if ascending else ["broken"] + known[::-1])
    click_header(qtbot, dialog, "Name")
    assert names(dialog) in (sorted(names(dialog)), sorted(names(dialog), reverse=True))

    model = dialog.table.selectionModel()
    for name in (trained["long"].name, trained["short"].name):
        index = dialog.table.model().index(names(dialog).index(name), 0)
        model.select(index, QItemSelectionModel.Select | QItemSelectionModel.Rows)
    assert dialog.open_button.text() == "Open 2 in Monitor"
    qtbot.mouseClick(dialog.open_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: {monitor.run_list.item(i).text() for i in range(monitor.run_list.count())}
                    >= {trained["long"].name, trained["short"].name}, timeout=30000)
    assert not dialog.isVisible()
    assert set(monitor.remembered()["folders"]) == {str(runs_folder / trained["long"].name),
                                                    str(runs_folder / trained["short"].name)}
    assert settings.browsed_runs_folder() == runs_folder


def test_a_broken_run_is_named_not_opened_and_a_bad_folder_is_one_sentence(qtbot, monitor, settings, runs_folder):
    dialog = listed(qtbot, monitor.browse_runs())
    broken = names(dialog).index("broken")
    assert dialog.open_rows([broken]) == 0
    error = dialog.messages.text_of("error")
    assert "broken/config.json is not valid JSON" in error and error.endswith("not opened: broken.")
    assert monitor.run_list.count() == 0
    dialog.folder_edit.setText(str(runs_folder / "gone"))
    qtbot.keyClick(dialog.folder_edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: dialog._job is None, timeout=30000)
    assert "does not exist" in dialog.messages.text_of("error")
    assert dialog.table.rowCount() == 0 and not dialog.open_button.isEnabled()  # not the last folder's runs
    assert settings.browsed_runs_folder() == runs_folder  # only a folder that was listed is remembered


def test_the_newest_listing_wins_and_the_last_folder_is_remembered(qtbot, monitor, settings, runs_folder, trained):
    dialog = listed(qtbot, monitor.browse_runs())
    one = trained["long"]
    dialog.list_folder(runs_folder)
    dialog.list_folder(one)  # asked for while the first still runs (or just done): its result shows
    qtbot.waitUntil(lambda: dialog._job is None, timeout=30000)
    qtbot.wait(50)
    assert dialog.scan.folder == one and names(dialog) == [one.name]
    assert settings.browsed_runs_folder() == one
    dialog.close()
    again = listed(qtbot, monitor.browse_runs())  # opens on the folder listed last
    assert again is dialog and again.folder_edit.text() == str(one)


def test_the_file_menu_opens_the_browser_and_it_fits_a_1280x720_screen(qtbot, window, runs_folder):
    window.actBrowseRuns.trigger()
    dialog = listed(qtbot, window.monitor.run_browser)
    assert window.current_area() == "Monitor" and dialog.isVisible() and dialog.table.rowCount() == 3
    need, size = dialog.minimumSizeHint(), dialog.size()
    assert need.width() <= 1264 and need.height() <= 640 and size.width() <= 1264 and size.height() <= 640
    assert window.monitor.toolbar.browse_button.isVisible()
