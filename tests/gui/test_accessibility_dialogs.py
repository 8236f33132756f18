"""The wizard, every settings page, and the Rename and Delete dialogs are fully named.

Uses the walker of the console's accessibility test: it fails on any interactive widget or
action without an objectName and an accessible name, and on duplicate objectNames.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings.dialog import VmSettingsDialog
from hvlab.gui.settings.hardware import AddHardwarePage
from hvlab.gui.wizard import wizard as wizard_module
from hvlab.gui.wizard.wizard import NewVmWizard
from tests.gui.helpers import select
from tests.gui.test_accessibility import duplicate_names, unnamed


@pytest.fixture(autouse=True)
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "hvlab.ini")
    monkeypatch.setattr(wizard_module, "wizard_settings",
                        lambda: QSettings(path, QSettings.Format.IniFormat))


def assert_named(top: QWidget) -> None:
    assert unnamed(top) == []
    assert duplicate_names(top) == []


def test_the_wizard_is_fully_named_on_every_page_and_in_expert_mode(
        qtbot: QtBot, window: MainWindow) -> None:
    window.bridge.api.create_switch("Lab", "Internal")
    w = window.host_actions.open_new_vm()
    assert isinstance(w, NewVmWizard)
    for key in w.keys:
        assert w.go_to(key)
        assert_named(w)
    w.set_expert(True)
    assert_named(w)
    w.close()


def test_the_generation_2_wizard_is_fully_named(qtbot: QtBot, light_theme: None) -> None:
    api = ManagementApi(seed=0)
    api.add_host("HOST-2012", "ws2012r2")
    bridge = Bridge(api, clock="manual")
    w = NewVmWizard(bridge, None, [])
    qtbot.addWidget(w)
    w.show()
    for key in w.keys:
        w.go_to(key)
        assert_named(w)
    bridge.close()


def _every_page(d: VmSettingsDialog) -> list[str]:
    keys = d.page_keys()
    for key in keys:
        d.show_page(key)
        assert d.current_key() == key
        assert_named(d)
    return keys


def test_every_settings_page_of_a_generation_1_vm_is_named(qtbot: QtBot,
                                                           window: MainWindow) -> None:
    select(window, "XP-CLIENT")
    dialog = window.vm_windows.open_settings(window.bridge.api.vm("XP-CLIENT").id)
    assert isinstance(dialog, VmSettingsDialog)
    add = dialog.page("add_hardware")
    assert isinstance(add, AddHardwarePage)
    for kind in ("nic", "nic", "legacy_nic", "scsi"):
        add.select(kind)
        assert add.add_selected() == ""
    dialog.show_page("scsi1")
    dialog.page("scsi1").add_hard_drive()  # type: ignore[attr-defined]
    keys = _every_page(dialog)
    for key in ("nic0", "nic1", "legacyNic0", "scsi0", "scsi1", "disk0", "disk1", "dvd",
                "com1", "com2", "diskette", "bios", "guest"):
        assert key in keys
    dialog.close()


def test_every_settings_page_of_a_running_vm_is_named(qtbot: QtBot,
                                                      window: MainWindow) -> None:
    dialog = window.vm_windows.open_settings(window.bridge.api.vm("NT4-LEGACY").id)
    assert isinstance(dialog, VmSettingsDialog)
    assert "legacyNic0" in _every_page(dialog)


def test_every_settings_page_of_a_generation_2_vm_is_named(qtbot: QtBot,
                                                           light_theme: None) -> None:
    api = ManagementApi(seed=0)
    api.add_host("HOST-2012", "ws2012r2")
    api.create_vm("UEFI01", generation=2, guest_os="ws2012r2-x64",
                  network_adapters=[{"switch": None}],
                  hard_drives=[{"controller": "SCSI", "controller_number": 0, "location": 0,
                                "path": "UEFI01.vhd"}])
    bridge = Bridge(api, clock="manual")
    d = VmSettingsDialog(bridge, api.vm("UEFI01").id)
    qtbot.addWidget(d)
    d.show()
    assert "firmware" in _every_page(d)
    bridge.close()


def test_the_unapplied_changes_question_is_named(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.vm_windows.open_settings(window.bridge.api.vm("XP-CLIENT").id)
    assert isinstance(dialog, VmSettingsDialog)
    dialog.model.set("notes", "changed")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    [box] = [b for b in window.findChildren(QMessageBox, ids.UNAPPLIED_DIALOG.object_name)
             if b.isVisible()]
    assert_named(box)
    box.reject()


@pytest.mark.parametrize("opener", ["open_rename", "open_delete"])
def test_rename_and_delete_are_named(window: MainWindow, opener: str) -> None:
    dialog = getattr(window.vm_windows, opener)(window.bridge.api.vm("XP-CLIENT").id)
    assert dialog is not None
    assert_named(dialog)
    dialog.close()
