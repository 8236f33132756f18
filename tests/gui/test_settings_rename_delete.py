"""Rename… and Delete… from the console's actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings.vm_dialogs import NO_DISK_FILES, DeleteVmDialog, RenameVmDialog
from tests.gui.helpers import click_pane, select, shown_names


def _open(window: MainWindow, name: ids.UiName) -> QDialog:
    [dialog] = [d for d in window.findChildren(QDialog, name.object_name) if d.isVisible()]
    return dialog


def _type(qtbot: QtBot, edit: QWidget, text: str) -> None:
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, text)


def test_rename_checks_the_name_with_the_engine(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "XP-CLIENT")
    click_pane(qtbot, window, ids.ACT_RENAME)
    dialog = _open(window, ids.RENAME_DIALOG)
    assert isinstance(dialog, RenameVmDialog)
    assert not dialog.ok_button.isEnabled()  # the same name: nothing to do
    _type(qtbot, dialog.name, "W2K8-DC01")
    assert not dialog.ok_button.isEnabled()
    assert "already exists" in dialog.message.text()
    _type(qtbot, dialog.name, "XP-TEST")
    assert dialog.ok_button.isEnabled() and dialog.message.isHidden()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    window.bridge.step(0)
    assert "XP-TEST" in shown_names(window) and "XP-CLIENT" not in shown_names(window)


def test_rename_works_while_the_vm_runs(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    window.vm_actions["rename"].trigger()
    dialog = _open(window, ids.RENAME_DIALOG)
    assert isinstance(dialog, RenameVmDialog)
    _type(qtbot, dialog.name, "DC01")
    assert dialog.rename()
    assert window.bridge.api.vm("DC01").state == "Running"


def test_delete_explains_what_is_removed(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "XP-CLIENT")
    click_pane(qtbot, window, ids.ACT_DELETE)
    dialog = _open(window, ids.DELETE_DIALOG)
    assert isinstance(dialog, DeleteVmDialog)
    texts = " ".join(w.text() for w in dialog.findChildren(QWidget)
                     if hasattr(w, "text") and isinstance(w.text(), str))
    assert "its configuration" in texts and "XP-CLIENT.vhd" in texts
    assert "are not deleted" in texts  # an in-memory lab has no files to delete
    assert not dialog.delete_disks.isEnabled()
    assert dialog.delete_disks.toolTip() == NO_DISK_FILES
    qtbot.mouseClick(dialog.findChild(QWidget, ids.DELETE_CANCEL.object_name),
                     Qt.MouseButton.LeftButton)
    assert "XP-CLIENT" in shown_names(window)

    click_pane(qtbot, window, ids.ACT_DELETE)
    dialog = _open(window, ids.DELETE_DIALOG)
    qtbot.mouseClick(dialog.findChild(QWidget, ids.DELETE_OK.object_name),
                     Qt.MouseButton.LeftButton)
    assert "XP-CLIENT" not in shown_names(window)
    assert window.selected_vm_ids() == []
    assert window.statusBar().currentMessage() == "Deleted XP-CLIENT."


def test_delete_mentions_a_saved_state(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    api.wait(api.save("SLES10-WEB01"))
    window.bridge.step(0)
    select(window, "SLES10-WEB01")
    window.vm_actions["delete"].trigger()
    dialog = _open(window, ids.DELETE_DIALOG)
    texts = " ".join(w.text() for w in dialog.findChildren(QWidget)
                     if hasattr(w, "text") and isinstance(w.text(), str))
    assert "its saved state" in texts
    assert isinstance(dialog, DeleteVmDialog) and dialog.delete()
    assert all(v.name != "SLES10-WEB01" for v in api.vms())


def test_delete_lists_the_disk_files_and_deletes_them_as_a_job(
        qtbot: QtBot, file_api: ManagementApi, light_theme: None) -> None:
    from hvlab.gui.app import create_main_window

    file_api.wait(file_api.checkpoint("VM", "one"))
    files = file_api.vm_disk_files("VM")
    assert len(files) == 2
    win = create_main_window(file_api, clock="manual")
    qtbot.addWidget(win)
    try:
        select(win, "VM")
        win.vm_actions["delete"].trigger()
        dialog = _open(win, ids.DELETE_DIALOG)
        assert isinstance(dialog, DeleteVmDialog)
        assert [dialog.file_list.item(i).text() for i in range(dialog.file_list.count())] \
            == files
        assert dialog.delete_disks.isEnabled() and not dialog.delete_disks.isChecked()
        dialog.delete_disks.setChecked(True)
        assert dialog.delete()
        assert win.statusBar().currentMessage().startswith("Deleting VM and its virtual")
        [job] = [j for j in file_api.jobs() if j.kind == "delete-vm-files"]
        file_api.wait(job.id)
        win.bridge.refresh()
        qtbot.waitUntil(lambda: "VM" not in shown_names(win))
        assert not any(Path(f).exists() for f in files)
    finally:
        win.bridge.close()
        win.close()
