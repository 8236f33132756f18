"""Hyper-V Settings' user pages and what they change in Virtual Machine Connection:
Keyboard (where Windows key combinations go), Mouse Release Key, Reset Check Boxes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui import user_settings as us
from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.host_settings import HostSettingsDialog
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import click_pane


def _open(qtbot: QtBot, window: MainWindow) -> HostSettingsDialog:
    click_pane(qtbot, window, ids.ACT_HOST_SETTINGS)
    [dialog] = [d for d in window.findChildren(HostSettingsDialog) if d.isVisible()]
    return dialog


def _connect(qtbot: QtBot, window: MainWindow, name: str) -> ConnectWindow:
    connect = window.vm_windows.open_connect(window.bridge.api.vm(name).id)
    assert isinstance(connect, ConnectWindow)
    qtbot.waitExposed(connect)
    return connect


def test_the_dialog_has_the_users_pages(qtbot: QtBot, window: MainWindow) -> None:
    dialog = _open(qtbot, window)
    pages = dialog.findChild(QListWidget, ids.HOST_SETTINGS_PAGES.object_name)
    assert pages is not None
    titles = [pages.item(i).text() for i in range(pages.count())]
    assert titles[-3:] == ["Keyboard", "Mouse Release Key", "Reset Check Boxes"]
    dialog.show_page("keyboard")
    assert dialog.user.keyboard_buttons["vm"].isChecked(), "Hyper-V's default"
    assert dialog.user.release.currentText() == "CTRL+ALT+LEFT ARROW"
    assert not dialog.apply_button.isEnabled()
    dialog.user.keyboard_buttons["physical"].setChecked(True)
    dialog.user.release.setCurrentIndex(2)
    assert dialog.apply_button.isEnabled()
    dialog.reject()  # Cancel: nothing saved
    assert us.keyboard_mode() == "vm" and us.mouse_release()[0] == "left"
    dialog = _open(qtbot, window)
    dialog.user.keyboard_buttons["physical"].setChecked(True)
    dialog.user.release.setCurrentIndex(2)
    assert dialog.apply()
    assert us.keyboard_mode() == "physical" and us.mouse_release()[0] == "space"
    assert not dialog.apply_button.isEnabled()


@pytest.mark.parametrize(("mode", "full_screen", "sent"), [
    ("vm", False, True), ("physical", False, False), ("fullscreen", False, False),
    ("fullscreen", True, True)])
def test_windows_key_combinations_go_where_the_keyboard_page_says(
        qtbot: QtBot, window: MainWindow, mode: str, full_screen: bool, sent: bool) -> None:
    us.user_settings().setValue(us.KEYBOARD_KEY, mode)
    connect = _connect(qtbot, window, "W2K8-DC01")
    if full_screen:
        connect.full_screen.trigger()
    before = connect.console_text()
    qtbot.keyClick(connect.console, Qt.Key.Key_R, Qt.KeyboardModifier.MetaModifier)
    window.bridge.refresh()
    assert connect.console_text().endswith("[Windows+R]") == sent
    if not sent:
        assert connect.console_text() == before


def test_the_mouse_is_captured_without_integration_services_and_released_by_its_key(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    us.user_settings().setValue(us.MOUSE_RELEASE_KEY, "right")
    enlightened = _connect(qtbot, window, "W2K8-DC01")  # integration services running
    qtbot.mouseClick(enlightened.console.viewport(), Qt.MouseButton.LeftButton)
    assert not enlightened.input.captured
    api = window.bridge.api
    legacy = next(v.name for v in api.vms() if v.state == "Running" and v.heartbeat != "OK")
    connect = _connect(qtbot, window, legacy)
    qtbot.mouseClick(connect.console.viewport(), Qt.MouseButton.LeftButton)
    assert connect.input.captured
    assert connect.statusBar().currentMessage() == \
        "To release your mouse press CTRL+ALT+RIGHT ARROW."
    ctrl_alt = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    qtbot.keyClick(connect.console, Qt.Key.Key_Left, ctrl_alt)  # not this user's key
    assert connect.input.captured
    qtbot.keyClick(connect.console, Qt.Key.Key_Right, ctrl_alt)
    assert not connect.input.captured
    assert connect.statusBar().currentMessage() == "The mouse was released."


def test_reset_check_boxes_shows_the_hidden_wizard_page_again(
        qtbot: QtBot, window: MainWindow) -> None:
    settings = us.user_settings()
    settings.setValue(us.SKIP_INTRO_KEY, True)
    dialog = _open(qtbot, window)
    dialog.show_page("reset")
    assert dialog.user.reset.isEnabled()
    qtbot.mouseClick(dialog.user.reset, Qt.MouseButton.LeftButton)
    assert us.hidden_check_boxes() == []
    assert dialog.user.reset_result.text() == "1 hidden page(s) will be shown again."
    assert not dialog.user.reset.isEnabled()
