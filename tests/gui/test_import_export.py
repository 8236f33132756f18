"""Export… and Import Virtual Machine… through the console, on real folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.disks.import_export import ExportVmDialog, ImportVmWizard, find_exported_vms
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import click_pane, select


@pytest.fixture
def api(file_api: ManagementApi) -> ManagementApi:
    return file_api


def export(qtbot: QtBot, window: MainWindow, folder: Path) -> Path:
    select(window, "VM")
    click_pane(qtbot, window, ids.ACT_EXPORT)
    dialog = window.findChild(ExportVmDialog, ids.EXPORT_DIALOG.object_name)
    assert dialog is not None and dialog.isVisible()
    dialog.folder.setText(str(folder))
    assert dialog.export_button.isEnabled(), dialog.message.text()
    with qtbot.waitSignal(dialog.exported, timeout=60_000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        window.bridge.step(60.0)  # the copy takes simulated time (docs/engine.md)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return Path(blocker.args[0])


def import_wizard(window: MainWindow) -> ImportVmWizard:
    window.storage.import_action.trigger()
    wizard = window.findChild(ImportVmWizard, ids.IMPORT.dialog.object_name)
    assert wizard is not None and shiboken6.isValid(wizard)
    return wizard


def test_export_then_import_a_copy(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    api = window.bridge.api
    api.checkpoint("VM", "Before export")
    target = export(qtbot, window, tmp_path / "exports")
    assert target == tmp_path / "exports" / "VM"
    assert (target / "Virtual Machines").is_dir() and list(target.rglob("*.vhd"))
    assert "exported to" in window.statusBar().currentMessage()

    wizard = import_wizard(window)
    wizard.go_next()
    assert wizard.current_page() is wizard.locate
    wizard.locate.folder.setText(str(tmp_path / "exports"))  # the folder above the export
    wizard.go_next()
    assert wizard.current_page() is wizard.select
    assert wizard.select.list.topLevelItemCount() == 1
    item = wizard.select.list.topLevelItem(0)
    assert item is not None and item.text(0) == "VM"
    wizard.go_next()
    assert wizard.import_type.mode() == "register", "Hyper-V's default"
    wizard.import_type.buttons["copy"].setChecked(True)
    wizard.go_next()
    rows = wizard.summary.rows()
    assert rows["Virtual machine"] == "VM" and rows["Import file location"] == str(target)
    assert rows["Import type"].startswith("Copy the virtual machine")
    before = {v.id for v in api.vms()}
    with qtbot.waitSignal(wizard.imported, timeout=60_000) as blocker:
        qtbot.mouseClick(wizard.finish_button, Qt.MouseButton.LeftButton)
        window.bridge.step(60.0)  # the copy takes simulated time (docs/engine.md)
    new_id = blocker.args[0]
    assert new_id not in before and len(api.vms()) == 2
    copy = api.vm(new_id)
    assert copy.name != "VM" and copy.name.startswith("VM"), "a copy gets a free name"
    assert [c.name for c in api.checkpoints(new_id)] == ["Before export"]
    assert all(d.exists for d in api.vm_disks(new_id))
    assert window.selected_vm_ids() == [new_id], "the imported VM is selected"
    assert "was imported" in window.statusBar().currentMessage()


def test_export_refused_for_a_running_vm_says_why(qtbot: QtBot, window: MainWindow,
                                                  tmp_path: Path,
                                                  shown: DialogRecorder) -> None:
    api = window.bridge.api
    select(window, "VM")
    click_pane(qtbot, window, ids.ACT_EXPORT)
    dialog = window.findChild(ExportVmDialog, ids.EXPORT_DIALOG.object_name)
    assert dialog is not None
    dialog.folder.setText(str(tmp_path / "exports"))
    # The VM starts while the dialog is open: the action disables itself with the engine's
    # reason, and the dialog's Export is refused by the engine, keeping what was typed.
    api.wait(api.start("VM"))
    window.bridge.step(0)
    export = window.vm_actions["export"]
    assert not export.isEnabled()
    assert "Export is not available while the virtual machine is Running" in export.toolTip()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert shown.errors and "cannot be exported" in shown.errors[0][0]
    assert "Running" in dialog.message.text() and dialog.isVisible()
    assert dialog.folder.text() == str(tmp_path / "exports")
    assert not (tmp_path / "exports" / "VM").exists()
    dialog.close()


def test_a_refused_import_shows_why_and_adds_nothing(qtbot: QtBot, window: MainWindow,
                                                     tmp_path: Path,
                                                     shown: DialogRecorder) -> None:
    target = export(qtbot, window, tmp_path / "exports")
    (manifest,) = (target / "Virtual Machines").glob("*.json")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["config"]["hard_drives"][0]["path"] = "../../outside.vhd"
    manifest.write_text(json.dumps(data), encoding="utf-8")
    api = window.bridge.api
    before = [v.id for v in api.vms()]
    wizard = import_wizard(window)
    wizard.locate.folder.setText(str(target))
    wizard.import_type.buttons["copy"].setChecked(True)
    wizard.go_to(wizard.summary)
    assert wizard.current_page() is wizard.summary
    wizard.finish()
    watcher = wizard.watcher()
    if watcher is not None:  # refused when the job runs rather than at once
        qtbot.waitUntil(lambda: watcher.done, timeout=60_000)
    assert shown.errors and "outside the import folder" in shown.errors[0][0]
    assert [v.id for v in api.vms()] == before
    assert not (tmp_path / "lib" / "imports").exists() or not any(
        (tmp_path / "lib" / "imports").iterdir()), "nothing was written"
    assert wizard.isVisible()
    wizard.close()


def test_locate_folder_explains_a_folder_without_an_export(qtbot: QtBot, window: MainWindow,
                                                          tmp_path: Path) -> None:
    wizard = import_wizard(window)
    wizard.go_to(wizard.locate)
    wizard.locate.folder.setText(str(tmp_path / "nowhere"))
    assert "does not exist" in wizard.problem_label.text()
    (tmp_path / "empty").mkdir()
    wizard.locate.folder.setText(str(tmp_path / "empty"))
    assert "No virtual machine was found" in wizard.problem_label.text()
    assert not wizard.next_button.isEnabled() and not wizard.finish_button.isEnabled()
    assert find_exported_vms(str(tmp_path / "empty")) == []
    wizard.close()


def test_export_shows_progress_with_the_clock_and_cancel_removes_it(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    """The copy takes bytes / the host's storage rate of simulated time: the dialog's
    progress follows the clock, and Cancel before the end leaves no export behind."""
    select(window, "VM")
    click_pane(qtbot, window, ids.ACT_EXPORT)
    dialog = window.findChild(ExportVmDialog, ids.EXPORT_DIALOG.object_name)
    assert dialog is not None
    dialog.folder.setText(str(tmp_path / "exports"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    watcher = dialog.watcher()
    assert watcher is not None
    job = watcher.job
    span = (job.expected_end_us - job.started_us) / 1e6
    assert span > 0
    window.bridge.step(span / 2)
    qtbot.waitUntil(lambda: 30 <= dialog.progress.value() <= 50, timeout=20_000)
    assert not (tmp_path / "exports" / "VM").exists()
    dialog.findChild(object, ids.EXPORT_CANCEL.object_name).click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: watcher.done, timeout=20_000)
    assert watcher.job.state.value == "Cancelled"
    window.bridge.step(span)
    assert [p for p in (tmp_path / "exports").rglob("*") if p.is_file()] == []
