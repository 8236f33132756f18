"""Every interactive widget and action of the disk, checkpoint, export and import windows has
an objectName and an accessible name from gui/ids.py.

Uses the walker of test_accessibility.py. Each wizard is walked on every page it can show
(pages that depend on a choice are made current first) and while its job runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.disks import dialogs as disk_dialogs
from hvlab.gui.disks.import_export import ExportVmDialog, ImportVmWizard
from hvlab.gui.disks.sizes import GB
from hvlab.gui.disks.wizard import StepWizard
from hvlab.gui.main_window import MainWindow
from tests.gui.helpers import select
from tests.gui.test_accessibility import duplicate_names, unnamed


@pytest.fixture
def api(file_api: ManagementApi) -> ManagementApi:
    return file_api


@pytest.fixture
def disks(api: ManagementApi, tmp_path: Path) -> dict[str, Path]:
    """One disk of each kind, and a differencing disk whose parent moved away."""
    out = {"fixed": tmp_path / "fixed.vhd", "dynamic": tmp_path / "dynamic.vhd"}
    api.wait(api.new_vhd(str(out["fixed"]), 64 * 1024**2, disk_type="fixed"))
    api.wait(api.new_vhd(str(out["dynamic"]), GB))
    out["child"] = tmp_path / "child.vhd"
    api.wait(api.new_vhd(str(out["child"]), 0, disk_type="differencing",
                         parent=str(out["dynamic"])))
    lost = tmp_path / "lost.vhd"
    api.wait(api.new_vhd(str(lost), GB))
    out["orphan"] = tmp_path / "orphan.vhd"
    api.wait(api.new_vhd(str(out["orphan"]), 0, disk_type="differencing", parent=str(lost)))
    lost.rename(tmp_path / "moved.vhd")
    return out


def clean(widget: QWidget) -> None:
    assert unnamed(widget) == []
    assert duplicate_names(widget) == []


def close(widget: QWidget) -> None:
    if shiboken6.isValid(widget):
        widget.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def walk_pages(wizard: StepWizard) -> None:
    for page in wizard.visible_pages():
        wizard.go_to(page)
        clean(wizard)


def test_new_disk_wizard(qtbot: QtBot, api: ManagementApi, bridge: Bridge, disks: dict[str, Path],
                         tmp_path: Path) -> None:
    wizard = disk_dialogs.open_new_disk_wizard(None, bridge, folder=str(tmp_path))
    walk_pages(wizard)
    wizard.type_page.buttons["differencing"].setChecked(True)
    wizard.configure_page.parent_path.setText(str(disks["dynamic"]))
    walk_pages(wizard)
    # While the job runs: the progress bar and Cancel.
    wizard.type_page.buttons["fixed"].setChecked(True)
    wizard.configure_page.size_box.setValue(20)
    wizard.go_to(wizard.summary)
    wizard.finish()
    assert wizard.watcher() is not None
    clean(wizard)
    wizard.reject()  # cancels the job
    close(wizard)


@pytest.mark.parametrize("kind", ["fixed", "dynamic", "child", "orphan"])
def test_edit_disk_wizard_on_every_action_page(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                                               disks: dict[str, Path], kind: str) -> None:
    wizard = disk_dialogs.open_edit_disk_wizard(None, bridge, str(disks[kind]))
    offered = wizard.action_page.offered()
    for action in offered:
        wizard.go_to(wizard.action_page)
        wizard.action_page.buttons[action].setChecked(True)
        walk_pages(wizard)
    close(wizard)


@pytest.mark.parametrize("kind", ["fixed", "dynamic", "child", "orphan"])
def test_inspect_dialog(qtbot: QtBot, api: ManagementApi, bridge: Bridge, disks: dict[str, Path],
                        kind: str) -> None:
    dialog = disk_dialogs.open_inspect_dialog(None, bridge, str(disks[kind]))
    assert dialog is not None
    clean(dialog)
    assert dialog.picture.accessibleDescription()
    close(dialog)


def test_export_dialog_and_import_wizard(window: MainWindow, tmp_path: Path) -> None:
    vm = window.bridge.api.vm("VM").id
    dialog = ExportVmDialog(window.bridge, vm, window)
    clean(dialog)
    close(dialog)
    wizard = ImportVmWizard(window.bridge, window, str(tmp_path))
    walk_pages(wizard)
    close(wizard)


def test_main_window_with_checkpoints_and_storage(window: MainWindow, qtbot: QtBot) -> None:
    select(window, "VM")
    window.vm_actions["checkpoint"].trigger()
    window.details.tabs.setCurrentWidget(window.details.storage)
    assert window.details.storage.topLevelItemCount() == 1
    first = window.bridge.api.checkpoints("VM")[0].id
    window.checkpoints.select(first)
    clean(window)
    for action in window.checkpoints.actions_list:
        assert ids.accessible_name(action) == action.text().replace("&", "")
    window.checkpoints.apply_action.trigger()
    box = window.findChild(QMessageBox, ids.CHECKPOINT_APPLY_DIALOG.object_name)
    assert box is not None
    clean(box)
    box.reject()
