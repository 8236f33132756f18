"""Virtual Machine Connection's menus beyond the VM actions: Media (insert and eject a DVD
image or a virtual floppy disk), Clipboard ▸ Type clipboard text, and View ▸ Full Screen
Mode and zoom.

Inserting and ejecting change the VM's ``dvd_path`` / ``diskette_path`` with ``set_vm``, so
the engine's settings rule decides (a generation 2 VM has no diskette drive, a file must
have the right extension); typed text and Ctrl+Alt+Delete go through the engine's
``type_text`` and ``send_ctrl_alt_del``, which echo on the VM's console.  Each refusal is
shown in Hyper-V's words.  The Media menu is brought up to date when it opens and after
each change.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import named_action
from hvlab.gui.disks import files

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: The drives of the Media menu: the VM setting each changes, and its words.
DRIVES = (("dvd_path", "&DVD Drive", "DVD image", ids.CONNECT_MENU_DVD, ids.CONNECT_DVD_INSERT,
           ids.CONNECT_DVD_EJECT),
          ("diskette_path", "D&iskette Drive", "virtual floppy disk", ids.CONNECT_MENU_DISKETTE,
           ids.CONNECT_DISKETTE_INSERT, ids.CONNECT_DISKETTE_EJECT))
NO_DISKETTE = "Generation 2 virtual machines have no diskette drive."


class MediaMenu:
    """Media ▸ DVD Drive / Diskette Drive ▸ Insert Disk…, Eject for one VM."""

    def __init__(self, window: QMainWindow, bridge: Bridge, vm_id: str, bar: QMenuBar,
                 message: Callable[[str], None]) -> None:
        self.window = window
        self.bridge = bridge
        self.vm_id = vm_id
        self._message = message
        self.menu = bar.addMenu("&Media")
        ids.apply(self.menu, ids.CONNECT_MENU_MEDIA)
        ids.apply(self.menu.menuAction(), ids.UiName("connectMenuMediaAction", "Media"))
        self.menu.setToolTipsVisible(True)
        self.insert: dict[str, QAction] = {}
        self.eject: dict[str, QAction] = {}
        self.drive_menus: dict[str, QMenu] = {}
        for field, title, what, menu_name, insert_name, eject_name in DRIVES:
            sub = self.menu.addMenu(title)
            ids.apply(sub, menu_name)
            ids.apply(sub.menuAction(), ids.UiName(f"{menu_name.object_name}Action",
                                                   menu_name.accessible_name))
            sub.setToolTipsVisible(True)
            self.drive_menus[field] = sub
            self.insert[field] = named_action(
                window, insert_name, "&Insert Disk…", "disk", f"Insert a {what} into the "
                "drive.", triggered=self._chooser(field, what))
            self.eject[field] = named_action(
                window, eject_name, "&Eject", "delete", f"Remove the {what} from the drive.",
                triggered=self._ejector(field))
            sub.addAction(self.insert[field])
            sub.addAction(self.eject[field])
        self.menu.aboutToShow.connect(self.update)
        self.update()

    def _chooser(self, field: str, what: str) -> Callable[[], None]:
        return lambda: self.choose(field, what)

    def _ejector(self, field: str) -> Callable[[], object]:
        return lambda: self.set_media(field, "")

    def update(self) -> None:
        """Texts and enablement from the VM's configuration now."""
        try:
            info = self.bridge.api.vm(self.vm_id)
        except HvError:
            for action in (*self.insert.values(), *self.eject.values()):
                action.setEnabled(False)
            return
        for field, *_rest in DRIVES:
            path = getattr(info.config, field)
            no_drive = field == "diskette_path" and info.config.generation != 1
            self.drive_menus[field].menuAction().setEnabled(not no_drive)
            self.drive_menus[field].menuAction().setToolTip(NO_DISKETTE if no_drive else "")
            self.insert[field].setEnabled(not no_drive)
            self.eject[field].setEnabled(bool(path) and not no_drive)
            self.eject[field].setToolTip(f"Eject {os.path.basename(path)} from the drive."
                                         if path else "The drive is empty.")

    def choose(self, field: str, what: str) -> None:
        def chosen(path: str) -> None:
            self.set_media(field, path)

        files.choose_media(self.window, f"Insert a {what}", os.path.expanduser("~"), field,
                           chosen)

    def set_media(self, field: str, path: str) -> bool:
        """Insert ``path`` into the drive of ``field`` ("" ejects); False when refused."""
        try:
            self.bridge.call(self.bridge.api.set_vm, self.vm_id, **{field: path})
        except HvError as err:
            dialogs.show_error(self.window, err)
            return False
        finally:
            self.update()
        drive = "DVD drive" if field == "dvd_path" else "diskette drive"
        text = (f"Inserted {os.path.basename(path)} into the {drive}." if path
                else f"Ejected the {drive}'s media.")
        self._message(text)
        return True


def type_clipboard_action(window: QMainWindow, bridge: Bridge, vm_id: str, bar: QMenuBar,
                          message: Callable[[str], None]) -> QAction:
    """Clipboard ▸ Type clipboard text: the clipboard's text as key presses."""
    menu = bar.addMenu("&Clipboard")
    ids.apply(menu, ids.CONNECT_MENU_CLIPBOARD)
    ids.apply(menu.menuAction(), ids.UiName("connectMenuClipboardAction", "Clipboard"))
    menu.setToolTipsVisible(True)

    def type_text() -> None:
        text = QGuiApplication.clipboard().text()
        try:
            typed = bridge.call(bridge.api.type_text, vm_id, text)
        except HvError as err:
            dialogs.show_error(window, err)
            return
        message(f"Typed {typed:,} characters from the clipboard.")

    action = named_action(window, ids.CONNECT_TYPE_CLIPBOARD, "&Type clipboard text",
                          "rename", "Type the clipboard's text into the virtual machine, as "
                          "key presses of a US keyboard.", shortcut="Ctrl+Alt+V",
                          triggered=type_text)
    menu.addAction(action)
    return action


def full_screen_action(window: QMainWindow) -> QAction:
    """View ▸ Full Screen Mode (Ctrl+Alt+Pause, as in Virtual Machine Connection, where the
    Break key is Pause): the window fills the screen; the same keys bring it back."""
    action = named_action(window, ids.CONNECT_FULL_SCREEN, "&Full Screen Mode", "view",
                          "Show the virtual machine's screen on the whole screen.",
                          shortcut="Ctrl+Alt+Pause")
    action.setCheckable(True)

    def toggle(on: bool) -> None:
        if on:
            window.setWindowState(window.windowState() | Qt.WindowState.WindowFullScreen)
        else:
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowFullScreen)

    action.toggled.connect(toggle)
    return action
