"""Virtual Switch Manager: create each switch type, rename, remove, errors, MAC range.

The dialog keeps edits pending until Apply or OK, so each test checks both what the dialog
shows and what the engine holds afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi, NetworkAdapter
from hvlab.gui import ids
from hvlab.gui.bridge import Bridge
from hvlab.gui.main_window import MainWindow
from hvlab.gui.switch_manager import DISRUPT_TITLE, SwitchManagerDialog
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import click_pane


@pytest.fixture(autouse=True)
def _demo_without_its_switch(api: ManagementApi) -> None:
    """These tests build their own switches: start from a host with none."""
    api.remove_switch("External")


@pytest.fixture
def dialog(qtbot: QtBot, bridge: Bridge, light_theme: None) -> Iterator[SwitchManagerDialog]:
    d = SwitchManagerDialog(bridge)  # deletes itself on close (WA_DeleteOnClose)
    d.show()
    qtbot.waitExposed(d)
    yield d
    if shiboken6.isValid(d):
        d.close()


def _create(qtbot: QtBot, dialog: SwitchManagerDialog, kind: str, name: str) -> None:
    """New virtual network switch ▸ <kind> ▸ Create Virtual Switch, then type the name."""
    dialog.tree.setCurrentItem(dialog._new_item)
    items = dialog.new_page.new_type.findItems(kind, Qt.MatchFlag.MatchExactly)
    dialog.new_page.new_type.setCurrentItem(items[0])
    qtbot.mouseClick(dialog.new_page.create_button, Qt.MouseButton.LeftButton)
    assert dialog.stack.currentWidget() is dialog.switch_page
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, name)


def test_create_each_type_pending_until_apply(qtbot: QtBot, dialog: SwitchManagerDialog,
                                              api: ManagementApi,
                                              shown: DialogRecorder) -> None:
    assert not dialog.apply_button.isEnabled()
    nic = api.host().nics[0]
    _create(qtbot, dialog, "External", "Corp LAN")
    assert dialog.external.isChecked() and dialog.nic_combo.isEnabled()
    assert dialog.nic_combo.currentText() == nic
    assert dialog.allow_os.isChecked()
    _create(qtbot, dialog, "Internal", "Host only")
    assert dialog.internal.isChecked() and not dialog.nic_combo.isEnabled()
    _create(qtbot, dialog, "Private", "Lab isolated")
    assert dialog.private.isChecked()
    assert not dialog.vlan_enabled.isEnabled()  # no management OS adapter on a private switch
    assert dialog.switch_names() == ["Corp LAN", "Host only", "Lab isolated"]
    assert api.switches() == []  # nothing reaches the engine before Apply
    assert dialog.apply_button.isEnabled()

    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    # The external switch is bound to a physical adapter: Hyper-V warns first.
    assert shown.confirmations == [DISRUPT_TITLE]
    assert shown.errors == []
    got = {s.name: (s.type, s.nic, s.allow_management_os) for s in api.switches()}
    assert got == {"Corp LAN": ("External", nic, True), "Host only": ("Internal", None, True),
                   "Lab isolated": ("Private", None, True)}
    assert not dialog.apply_button.isEnabled()
    assert "Corp LAN" in dialog._switches_root.child(1).text(0)
    assert nic in dialog._switches_root.child(1).text(0)


def test_rename_notes_vlan_and_type_change(qtbot: QtBot, dialog: SwitchManagerDialog,
                                          api: ManagementApi, bridge: Bridge,
                                          shown: DialogRecorder) -> None:
    api.create_switch("Internal1", "Internal")
    bridge.step(0)  # the dialog follows the engine while nothing is pending
    assert dialog.select_switch("Internal1")
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "Backend")
    qtbot.keyClicks(dialog.notes_edit, "Database traffic")
    dialog.vlan_enabled.setChecked(True)
    dialog.vlan_id.setValue(42)
    assert dialog.apply_button.isEnabled()
    assert dialog._switches_root.child(1).text(0).startswith("Backend\n")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert shown.confirmations == []  # an internal switch: no warning
    (sw,) = api.switches()
    assert (sw.name, sw.notes, sw.management_vlan_id) == ("Backend", "Database traffic", 42)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))  # OK closed it


def test_changing_an_external_switch_warns_and_cancel_keeps_it(
        qtbot: QtBot, dialog: SwitchManagerDialog, api: ManagementApi, bridge: Bridge,
        shown: DialogRecorder) -> None:
    api.create_switch("Uplink", "External", nic=api.host().nics[0])
    bridge.step(0)
    dialog.select_switch("Uplink")
    dialog.nic_combo.setCurrentText(api.host().nics[1])
    shown.answer = False  # the user says No to "may disrupt network connectivity"
    dialog.apply()
    assert shown.confirmations == [DISRUPT_TITLE]
    assert api.switches()[0].nic == api.host().nics[0]
    assert dialog.apply_button.isEnabled()  # still pending
    shown.answer = True
    dialog.apply()
    assert api.switches()[0].nic == api.host().nics[1]


def test_remove_and_connected_adapters(qtbot: QtBot, dialog: SwitchManagerDialog,
                                       api: ManagementApi, bridge: Bridge,
                                       shown: DialogRecorder) -> None:
    api.create_switch("Private1", "Private")
    api.set_vm("NT4-LEGACY", network_adapters=[NetworkAdapter(legacy=True, switch="Private1")])
    bridge.step(0)
    dialog.select_switch("Private1")
    texts = [dialog.adapters.item(i).text() for i in range(dialog.adapters.count())]
    assert texts == ["NT4-LEGACY: Legacy Network Adapter 0"]
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.switch_names() == []
    assert [s.name for s in api.switches()] == ["Private1"]
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert api.switches() == []
    assert api.network_adapters("NT4-LEGACY")[0].switch == ""
    assert shown.errors == []


def test_engine_errors_name_the_field(qtbot: QtBot, dialog: SwitchManagerDialog,
                                      api: ManagementApi, bridge: Bridge,
                                      shown: DialogRecorder) -> None:
    api.create_switch("Lab", "Private")
    bridge.step(0)
    _create(qtbot, dialog, "Internal", "lab")  # names are compared without case
    dialog.apply()
    (message, details) = shown.errors[0]
    assert message == "A virtual switch named 'lab' already exists."
    assert "Field: Name" in details
    assert dialog.stack.currentWidget() is dialog.switch_page
    assert dialog.name_edit.text() == "lab"
    assert dialog.error_label.isVisibleTo(dialog)
    assert dialog.error_label.text().startswith("Name: ")
    assert dialog.apply_button.isEnabled()  # the edit stays pending for the user to fix
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "Lab 2")
    dialog.apply()
    assert sorted(s.name for s in api.switches()) == ["Lab", "Lab 2"]


def test_second_external_switch_on_the_same_nic_is_refused(
        qtbot: QtBot, dialog: SwitchManagerDialog, api: ManagementApi,
        shown: DialogRecorder) -> None:
    _create(qtbot, dialog, "External", "A")
    _create(qtbot, dialog, "External", "B")
    assert dialog.nic_combo.currentText() == api.host().nics[1]  # the free one is proposed
    dialog.nic_combo.setCurrentText(api.host().nics[0])
    dialog.apply()
    assert len(shown.errors) == 1
    message, details = shown.errors[0]
    assert "is already bound to the external switch 'A'" in message
    assert "Field: External network" in details
    assert [s.name for s in api.switches()] == ["A"]


def test_mac_address_range(qtbot: QtBot, dialog: SwitchManagerDialog, api: ManagementApi,
                           shown: DialogRecorder) -> None:
    dialog.show_mac_range()
    assert dialog.stack.currentWidget() is dialog.mac_page
    lo, hi = api.host().mac_minimum, api.host().mac_maximum
    assert (dialog.mac_page.mac_min.text(), dialog.mac_page.mac_max.text()) == (lo, hi)
    assert dialog.mac_page.mac_size.text() == "256 addresses."
    prefix = lo[:-2]
    dialog.mac_page.mac_max.clear()
    qtbot.keyClicks(dialog.mac_page.mac_max, prefix + "0F")
    assert dialog.mac_page.mac_size.text() == "16 addresses."
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert api.host().mac_maximum == prefix + "0F"
    assert not dialog.apply_button.isEnabled()

    # Below the minimum: the engine refuses and the dialog names the field.
    dialog.mac_page.mac_min.clear()
    qtbot.keyClicks(dialog.mac_page.mac_min, prefix + "80")
    dialog.apply()
    message, details = shown.errors[0]
    assert message == "The maximum MAC address is below the minimum."
    assert "Field: Maximum (MAC Address Range)" in details
    assert dialog.mac_page.mac_error.isVisibleTo(dialog)
    assert api.host().mac_minimum == lo


def test_opened_from_the_actions_pane(qtbot: QtBot, window: MainWindow,
                                      shown: DialogRecorder) -> None:
    host_menu = window.findChild(QMenu, "menuHost")
    assert window.host_actions.switch_manager_action in host_menu.actions()
    click_pane(qtbot, window, ids.ACT_SWITCH_MANAGER)
    dialog = window.findChild(SwitchManagerDialog, ids.SWITCH_DIALOG.object_name)
    assert isinstance(dialog, SwitchManagerDialog)
    assert window.host_actions.open_switch_manager() is dialog  # one dialog at a time
    # The demo host runs 2008 R2, whose Hyper-V Manager names it Virtual Network Manager.
    assert dialog.windowTitle() == "Virtual Network Manager for LAB-HOST-01"
    _create(qtbot, dialog, "Private", "Isolated")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [s.name for s in window.bridge.api.switches()] == ["Isolated"]
    assert shown.errors == []
