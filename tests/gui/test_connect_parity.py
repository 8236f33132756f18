"""Virtual Machine Connection as the real tool has it: Media, Clipboard, Checkpoint and
Revert in the Action menu, full screen and zoom; Revert… in the main window too."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.disks import files
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import select


def _connect(qtbot: QtBot, window: MainWindow, name: str) -> ConnectWindow:
    connect = window.vm_windows.open_connect(window.bridge.api.vm(name).id)
    assert isinstance(connect, ConnectWindow)
    qtbot.waitExposed(connect)
    return connect


def _menu_texts(connect: ConnectWindow, name: ids.UiName) -> list[str]:
    menu = connect.findChild(QMenu, name.object_name)
    assert menu is not None, name.object_name
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_the_menu_bar_is_the_real_tools(qtbot: QtBot, window: MainWindow) -> None:
    connect = _connect(qtbot, window, "W2K8-DC01")
    bar = [a.text().replace("&", "") for a in connect.menuBar().actions()]
    assert bar[:5] == ["File", "Action", "Media", "Clipboard", "View"]
    assert _menu_texts(connect, ids.CONNECT_MENU_ACTION)[:11] == [
        "Ctrl+Alt+Delete", "Start", "Turn Off…", "Shut Down…", "Save", "Pause", "Resume",
        "Reset", "Snapshot", "Revert…", "Insert Integration Services Setup Disk"]  # 2008 R2
    assert _menu_texts(connect, ids.CONNECT_MENU_MEDIA) == ["DVD Drive", "Diskette Drive"]
    assert _menu_texts(connect, ids.CONNECT_MENU_CLIPBOARD) == ["Type clipboard text"]
    view = _menu_texts(connect, ids.CONNECT_MENU_VIEW)
    assert view[:5] == ["Full Screen Mode", "Toolbar", "Zoom In", "Zoom Out", "Zoom to 100%"]


def test_media_inserts_and_ejects_a_dvd_image_and_a_diskette(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    api = window.bridge.api
    connect = _connect(qtbot, window, "W2K8-DC01")
    media = connect.media
    assert not media.eject["dvd_path"].isEnabled()
    image = tmp_path / "tools.iso"
    image.write_bytes(b"\0" * 2048)
    monkeypatch.setattr(files, "choose_media",
                        lambda _p, _t, _d, _f, chosen: chosen(str(image)))
    media.insert["dvd_path"].trigger()
    assert api.vm("W2K8-DC01").config.dvd_path == str(image)
    assert media.eject["dvd_path"].isEnabled()
    assert media.eject["dvd_path"].toolTip() == "Eject tools.iso from the drive."
    assert connect.statusBar().currentMessage() == "Inserted tools.iso into the DVD drive."
    media.eject["dvd_path"].trigger()
    assert api.vm("W2K8-DC01").config.dvd_path == ""
    assert not media.eject["dvd_path"].isEnabled()
    # A file of the wrong kind is refused in the engine's words; nothing changes.
    assert not media.set_media("diskette_path", str(image))
    assert shown.errors and "must be a .vfd file" in " ".join(shown.errors[0])
    assert api.vm("W2K8-DC01").config.diskette_path == ""
    floppy = tmp_path / "boot.vfd"
    assert media.set_media("diskette_path", str(floppy))
    assert media.eject["diskette_path"].isEnabled()


def test_type_clipboard_text_reaches_the_console(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    connect = _connect(qtbot, window, "W2K8-DC01")
    QGuiApplication.clipboard().setText("ipconfig /all")
    assert connect.type_clipboard.isEnabled()
    connect.type_clipboard.trigger()
    assert connect.console_text().endswith("[typed] ipconfig /all")
    assert connect.statusBar().currentMessage() == "Typed 13 characters from the clipboard."
    QGuiApplication.clipboard().setText("caf\u00e9")
    connect.type_clipboard.trigger()
    assert shown.errors and "cannot be typed" in shown.errors[0][0]
    off = _connect(qtbot, window, "XP-CLIENT")
    assert not off.type_clipboard.isEnabled() and not off.ctrl_alt_del.isEnabled()


def test_checkpoint_and_revert_from_the_connect_window(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    api = window.bridge.api
    connect = _connect(qtbot, window, "XP-CLIENT")
    revert = connect.vm_actions["revert"]
    assert not revert.isEnabled()
    assert "no checkpoint to revert to" in revert.toolTip()
    connect.vm_actions["checkpoint"].trigger()
    [cp] = api.checkpoints("XP-CLIENT")
    assert cp.name.startswith("XP-CLIENT - (1/1/2010 - ")
    assert connect.statusBar().currentMessage() == "A checkpoint of XP-CLIENT was created."
    assert revert.isEnabled()
    api.set_vm("XP-CLIENT", notes="changed after the checkpoint")
    window.bridge.refresh()
    revert.trigger()
    assert shown.confirmations == ["Revert Virtual Machine"]
    assert api.vm("XP-CLIENT").config.notes != "changed after the checkpoint"
    assert shown.errors == []


def test_revert_is_in_the_main_windows_vm_menus(qtbot: QtBot, window: MainWindow,
                                                shown: DialogRecorder) -> None:
    api = window.bridge.api
    notes = api.vm("XP-CLIENT").config.notes
    select(window, "XP-CLIENT")
    revert = window.vm_actions["revert"]
    assert revert.objectName() == ids.ACT_REVERT.object_name and not revert.isEnabled()
    api.checkpoint("XP-CLIENT", "before")
    api.set_vm("XP-CLIENT", notes="later")
    window.bridge.refresh()
    select(window, "XP-CLIENT")
    assert revert.isEnabled()
    assert revert in window.menus.context_menu.actions()  # right-click a VM
    revert.trigger()
    assert shown.confirmations == ["Revert Virtual Machine"]
    assert api.vm("XP-CLIENT").config.notes == notes


def test_full_screen_and_zoom(qtbot: QtBot, window: MainWindow) -> None:
    connect = _connect(qtbot, window, "W2K8-DC01")
    size = connect.console.font().pointSize()
    connect.zoom_in.trigger()
    connect.zoom_in.trigger()
    assert connect.console.font().pointSize() == size + 2
    connect.zoom_reset.trigger()
    assert connect.console.font().pointSize() == size
    assert connect.full_screen.shortcut().toString() == "Ctrl+Alt+Pause"
    connect.full_screen.trigger()
    assert connect.windowState() & connect.windowState().WindowFullScreen
    connect.full_screen.trigger()
    assert not connect.windowState() & connect.windowState().WindowFullScreen
