"""Virtual Machine Connection windows: console text, actions, following the VM's state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import select


def _connect(qtbot: QtBot, window: MainWindow, name: str) -> ConnectWindow:
    select(window, name)
    window.vm_actions["connect"].trigger()
    vm_id = window.bridge.api.vm(name).id
    connect = window.vm_windows.connect_windows()[vm_id]
    assert isinstance(connect, ConnectWindow)
    qtbot.waitExposed(connect)
    return connect


def test_connect_shows_boot_text_and_follows_state(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    connect = _connect(qtbot, window, "XP-CLIENT")
    assert connect.windowTitle() == "XP-CLIENT on LAB-HOST-01 - Virtual Machine Connection"
    assert "The virtual machine 'XP-CLIENT' is turned off." in connect.screen_text()
    assert "To start the virtual machine, select 'Start' from the Action menu." in \
        connect.screen_text()
    assert connect.status_label.text().startswith("Status: Off")

    connect.vm_actions["start"].trigger()  # Action ▸ Start
    assert connect.state == "Starting"
    assert connect.statusBar().currentMessage() == "Starting XP-CLIENT."
    window.bridge.step(3)
    assert connect.state != "Starting"
    assert connect.statusBar().currentMessage() == "", "no state the VM has left"
    text = connect.screen_text()
    assert "BIOS" in text and "Booting from IDE (0,0)..." in text
    window.bridge.step(90)
    assert connect.state == "Running"
    assert "Windows XP" in connect.screen_text()
    assert "Uptime: 00:01:" in connect.status_label.text()

    connect.vm_actions["pause"].trigger()
    window.bridge.step(1)
    assert connect.state == "Paused"
    assert connect.vm_actions["resume"].isEnabled()
    assert not connect.vm_actions["pause"].isEnabled()

    connect.vm_actions["turn_off"].trigger()
    assert shown.confirmations == ["Turn Off Machine"]
    window.bridge.step(2)
    assert connect.state == "Off"
    assert "is turned off" in connect.screen_text()
    assert shown.errors == []


def test_connect_action_menu_has_the_vm_actions(qtbot: QtBot, window: MainWindow) -> None:
    connect = _connect(qtbot, window, "W2K8-DC01")
    menu = connect.findChild(type(connect.menuBar().actions()[0].menu()),
                             ids.CONNECT_MENU_ACTION.object_name)
    assert menu is not None
    texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    expected = ["Ctrl+Alt+Delete", "Start", "Turn Off…", "Shut Down…", "Save", "Pause",
                "Resume", "Reset"]
    # In this order; later issues may add entries (e.g. the integration services disk).
    assert [t for t in texts if t in expected] == expected
    assert connect.vm_actions["save"].shortcut().toString() == "Ctrl+A"
    assert connect.ctrl_alt_del.shortcut().toString() == "Ctrl+Alt+End"


def test_ctrl_alt_delete_reaches_the_console(qtbot: QtBot, window: MainWindow) -> None:
    connect = _connect(qtbot, window, "W2K8-DC01")
    assert connect.ctrl_alt_del.isEnabled()
    button = connect.findChild(QToolButton, ids.tool_button(ids.CONNECT_CTRL_ALT_DEL).object_name)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert connect.console_text().endswith("[Ctrl+Alt+Delete]")
    assert "Ctrl+Alt+Delete was sent" in connect.statusBar().currentMessage()


def test_several_windows_each_follow_their_own_vm(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, shown: DialogRecorder) -> None:
    dc = _connect(qtbot, window, "W2K8-DC01")
    web = _connect(qtbot, window, "SLES10-WEB01")
    assert len(window.vm_windows.connect_windows()) == 2
    web.vm_actions["save"].trigger()
    window.bridge.step(10)
    assert web.state == "Saved"
    assert "is saved" in web.screen_text()
    assert dc.state == "Running"
    assert "Press CTRL+ALT+DELETE to log on" in dc.screen_text()
    # Connect again brings the existing window forward instead of opening a second one.
    select(window, "W2K8-DC01")
    window.vm_actions["connect"].trigger()
    assert len(window.vm_windows.connect_windows()) == 2


def test_reset_from_the_connect_window_reboots_the_guest(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    connect = _connect(qtbot, window, "SLES10-WEB01")
    connect.vm_actions["reset"].trigger()
    assert shown.confirmations == ["Reset Machine"]
    window.bridge.step(1)
    assert "--- The virtual machine was reset ---" in connect.console_text()


def test_a_deleted_vm_leaves_the_window_saying_so(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    connect = _connect(qtbot, window, "XP-CLIENT")
    api.delete_vm("XP-CLIENT")
    window.bridge.step(0)
    assert connect.screen_text() == "The virtual machine 'XP-CLIENT' was deleted."
    assert not connect.vm_actions["start"].isEnabled()
