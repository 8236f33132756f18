"""Virtual Machine Connection: one window per VM with its console and its actions.

The console shows what the VM's screen would: firmware, boot loader, the guest's messages
and its services starting, pulled each tick with ``ManagementApi.console(vm, since)`` (only
new lines cross the API). While the VM is Off or Saved the screen shows Hyper-V's message
instead. Several windows may be open; each follows its own VM through the bridge's tick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui import format as fmt
from hvlab.gui.actions import CONNECT_NAMES, CONNECT_SHORTCUTS, VmActions, WindowTask
from hvlab.gui.bars import fill_toolbar, named_action
from hvlab.gui.bridge import Bridge
from hvlab.gui.commands import VmCommands
from hvlab.gui.connect_extras import MediaMenu, full_screen_action, type_clipboard_action
from hvlab.gui.connect_input import ConnectInput
from hvlab.gui.device_manager import add_device_manager
from hvlab.gui.era import relabel
from hvlab.gui.keyboard import PaneKeys
from hvlab.gui.setup_disk import IntegrationSetupAction

if TYPE_CHECKING:
    from hvlab.engine.api import VmTableSnapshot

TITLE = "{name} on {host} - Virtual Machine Connection"
#: Console lines kept in the window (the engine keeps its own, shorter, ring).
MAX_BLOCKS = 5000

_OFF_TEXT = ("The virtual machine '{name}' is turned off.\n\n"
             "To start the virtual machine, select 'Start' from the Action menu.")
_SAVED_TEXT = ("The virtual machine '{name}' is saved.\n\n"
               "To restore it, select 'Start' from the Action menu.")
_DELETED_TEXT = "The virtual machine '{name}' was deleted."


class ConnectWindow(QMainWindow):
    """Virtual Machine Connection for ``vm_id``; ``open_settings(vm_id)`` is what its
    Settings… opens (the main window's dialog, so a VM has one Settings dialog)."""

    def __init__(self, bridge: Bridge, vm_id: str, parent: QWidget | None = None, *,
                 open_settings: Callable[[str], object]) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        dialogs.dress(self, ids.CONNECT_WINDOW, "connect")
        self.bridge = bridge
        self.vm_id = vm_id
        self._serial = 0
        self._state = ""
        self._name = vm_id
        self._host = ""
        self._deleted = False
        self._request = ""  # the status bar's message about the last request, until it ends

        self.vm_actions = VmActions(CONNECT_NAMES, self, shortcuts=CONNECT_SHORTCUTS)
        self.vm_actions.attach(bridge)
        with contextlib.suppress(HvError):  # the VM's host release: "Snapshot" on 2008 R2
            say = bridge.api.host_profile(bridge.api.vm(vm_id).host_id).words.say
            for action in self.vm_actions.actions.values():
                relabel(action, say)
        self.commands = VmCommands(bridge, self.vm_actions, self,
                                   {WindowTask.SETTINGS: open_settings,
                                    WindowTask.CHECKPOINT: self.take_checkpoint})
        self.commands.message.connect(self._show_request)
        self.ctrl_alt_del = named_action(
            self, ids.CONNECT_CTRL_ALT_DEL, "Ctrl+Alt+&Delete", "ctrl-alt-del",
            "Send Ctrl+Alt+Delete to the virtual machine.", shortcut="Ctrl+Alt+End")
        self.ctrl_alt_del.triggered.connect(self.send_ctrl_alt_del)
        self.close_action = named_action(
            self, ids.CONNECT_CLOSE, "E&xit", "exit", "Close this Virtual Machine Connection "
            "window; the virtual machine keeps running.", shortcut="Ctrl+Q")
        self.close_action.triggered.connect(self.close)
        self.zoom_in = named_action(self, ids.CONNECT_ZOOM_IN, "Zoom &In", "zoom-in")
        self.zoom_out = named_action(self, ids.CONNECT_ZOOM_OUT, "Zoom &Out", "zoom-out")
        for action, standard, step in ((self.zoom_in, QKeySequence.StandardKey.ZoomIn, 1),
                                       (self.zoom_out, QKeySequence.StandardKey.ZoomOut, -1)):
            action.setShortcut(standard)
            action.triggered.connect(lambda _=False, s=step: self._zoom(s))
        self.zoom_reset = named_action(self, ids.CONNECT_ZOOM_RESET, "&Zoom to 100%", "view",
                                       "Show the screen's text at its normal size.",
                                       shortcut="Ctrl+0", triggered=lambda: self._zoom(0))

        # -- screen ---------------------------------------------------------------------------
        self.console = QPlainTextEdit()
        ids.apply(self.console, ids.CONNECT_CONSOLE)
        self.console.setProperty("role", "console")
        self.console.setReadOnly(True)
        self.console.setMaximumBlockCount(MAX_BLOCKS)
        self.console.document().setDocumentMargin(10)
        self.console.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setPointSize(max(font.pointSize(), 10))
        self.console.setFont(font)
        self.message = QLabel("")
        self.message.setProperty("role", "console")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAutoFillBackground(True)
        self.message.setMargin(24)
        # The screen holds the keyboard, as in Virtual Machine Connection: the console, or
        # the Off/Saved message (selectable, so that Tab and a screen reader reach it).
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                             | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        for screen in (self.console, self.message):
            screen.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._normal_sizes = (self.console.font().pointSize(), self.message.font().pointSize())
        self._stack = QStackedWidget()
        self._stack.addWidget(self.console)
        self._stack.addWidget(self.message)
        self._stack.currentChanged.connect(lambda _i: self._focus_screen())
        self.setCentralWidget(self._stack)
        self.input = ConnectInput(self, bridge, vm_id, (self.console, self.console.viewport(),
                                                        self.message))

        # -- menus, toolbar, status ---------------------------------------------------------------
        bar = self.menuBar()
        ids.apply(bar, ids.CONNECT_MENU_BAR)
        file_menu = bar.addMenu("&File")
        ids.apply(file_menu, ids.CONNECT_MENU_FILE)
        ids.apply(file_menu.menuAction(), ids.UiName("connectMenuFileAction", "File"))
        a = self.vm_actions.actions
        file_menu.addAction(a["settings"])
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        action_menu = bar.addMenu("&Action")
        ids.apply(action_menu, ids.CONNECT_MENU_ACTION)
        ids.apply(action_menu.menuAction(), ids.UiName("connectMenuActionAction", "Action"))
        action_menu.setToolTipsVisible(True)
        action_menu.addAction(self.ctrl_alt_del)
        action_menu.addSeparator()
        for key in ("start", "turn_off", "shut_down", "save", "pause", "resume", "reset"):
            action_menu.addAction(a[key])
        action_menu.addSeparator()
        action_menu.addAction(a["checkpoint"])
        action_menu.addAction(a["revert"])
        # The setup disk here, and View ▸ Device Manager (gui/device_manager.py) below.
        self.is_disk_action = IntegrationSetupAction(ids.CONNECT_INSERT_IS_DISK, self)
        self.is_disk_action.attach(bridge, follow=vm_id)
        self.is_disk_action.message.connect(lambda t: self.statusBar().showMessage(t, 6000))
        action_menu.addSeparator()
        action_menu.addAction(self.is_disk_action)
        show = self.statusBar().showMessage
        self.media = MediaMenu(self, bridge, vm_id, bar, lambda t: show(t, 6000))
        self.type_clipboard = type_clipboard_action(self, bridge, vm_id, bar,
                                                    lambda t: show(t, 6000))
        view_menu = bar.addMenu("&View")
        ids.apply(view_menu, ids.CONNECT_MENU_VIEW)
        ids.apply(view_menu.menuAction(), ids.UiName("connectMenuViewAction", "View"))
        tb = QToolBar("Virtual machine toolbar", self)
        ids.apply(tb, ids.CONNECT_TOOLBAR)
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        fill_toolbar(tb, [self.ctrl_alt_del, None, a["start"], a["turn_off"], a["shut_down"],
                          a["save"], a["pause"], a["resume"], a["reset"], None, a["settings"]])
        self.addToolBar(tb)
        tb.toggleViewAction().setText("&Toolbar")
        ids.apply(tb.toggleViewAction(), ids.CONNECT_SHOW_TOOLBAR)
        self.full_screen = full_screen_action(self)
        view_menu.addAction(self.full_screen)
        view_menu.addAction(tb.toggleViewAction())
        view_menu.addSeparator()
        view_menu.addAction(self.zoom_in)
        view_menu.addAction(self.zoom_out)
        view_menu.addAction(self.zoom_reset)
        self.device_manager = add_device_manager(self, bridge, vm_id, view_menu)
        status = self.statusBar()
        ids.apply(status, ids.CONNECT_STATUS_BAR)
        self.status_label = QLabel("")
        ids.apply(self.status_label, ids.CONNECT_STATUS)
        status.addPermanentWidget(self.status_label)

        self.keys = PaneKeys(self)  # F10 opens the menu bar here too
        self.vm_actions.set_targets([vm_id])
        self.resize(820, 560)
        bridge.tick.connect(self._on_tick)
        self._on_tick(bridge.snapshot)
        self._focus_screen()

    # -- following the VM -----------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    def console_text(self) -> str:
        return self.console.toPlainText()

    def _on_tick(self, snap: VmTableSnapshot) -> None:
        if self._deleted:
            return
        try:
            i = snap.ids.index(self.vm_id)
        except ValueError:
            self._on_deleted()
            return
        name = snap.names[i]
        state = snap.states[i]
        host = self._host
        if not host or name != self._name:
            try:
                host = self.bridge.api.vm(self.vm_id).host_name
            except HvError:
                host = ""
        if name != self._name or host != self._host:
            self._name, self._host = name, host
            self.setWindowTitle(TITLE.format(name=name, host=host))
        self._pull_console()
        if state != self._state:
            self._state = state
            self.input.on_state(state)
            self._show_screen()
            # "Starting XP-CLIENT." described the request; the state it led to replaces it.
            if self._request and self.statusBar().currentMessage() == self._request:
                self.statusBar().clearMessage()
            self._request = ""
        self.vm_actions.update()
        self.ctrl_alt_del.setEnabled(state == "Running")
        self.type_clipboard.setEnabled(state == "Running")
        uptime = fmt.uptime(float(snap.uptime_seconds[i])) if fmt.shows_live_figures(state) \
            else "—"
        status = snap.statuses[i]
        text = f"Status: {state}" + (f" ({status})" if status else "") + f"   Uptime: {uptime}"
        if self.status_label.text() != text:
            self.status_label.setText(text)

    def _show_request(self, text: str) -> None:
        self._request = text
        self.statusBar().showMessage(text, 6000)

    def _pull_console(self) -> None:
        try:
            serial, lines = self.bridge.api.console(self.vm_id, self._serial)
        except HvError:
            return
        if serial == self._serial:
            return
        self._serial = serial
        if lines:
            self.console.appendPlainText("\n".join(text for _t, text in lines))
            bar = self.console.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _show_screen(self) -> None:
        if self._state == "Off":
            self.message.setText(_OFF_TEXT.format(name=self._name))
            self._stack.setCurrentWidget(self.message)
        elif self._state == "Saved":
            self.message.setText(_SAVED_TEXT.format(name=self._name))
            self._stack.setCurrentWidget(self.message)
        else:
            self._stack.setCurrentWidget(self.console)

    def _focus_screen(self) -> None:
        """Keep the focus on the screen shown when it was on the screen (or nowhere)."""
        focus = self.focusWidget()
        screen = self._stack.currentWidget()
        if screen is not None and (focus is None or self._stack.isAncestorOf(focus)):
            screen.setFocus(Qt.FocusReason.OtherFocusReason)

    def screen_text(self) -> str:
        """What the screen shows now: the console, or the Off/Saved message."""
        if self._stack.currentWidget() is self.message:
            return self.message.text()
        return self.console.toPlainText()

    def _on_deleted(self) -> None:
        self._deleted = True
        self._state = ""
        self.message.setText(_DELETED_TEXT.format(name=self._name))
        self._stack.setCurrentWidget(self.message)
        self.vm_actions.set_targets([])
        self.ctrl_alt_del.setEnabled(False)
        self.type_clipboard.setEnabled(False)
        self.media.update()
        self.status_label.setText("Status: deleted")

    # -- actions that exist only here -------------------------------------------------------------
    def send_ctrl_alt_del(self) -> None:
        try:
            self.bridge.call(self.bridge.api.send_ctrl_alt_del, self.vm_id)
        except HvError as err:
            dialogs.show_error(self, err)
            return
        self._pull_console()
        self.statusBar().showMessage("Ctrl+Alt+Delete was sent to the virtual machine.", 6000)

    def take_checkpoint(self, vm_id: str) -> None:
        """Action ▸ Checkpoint: a checkpoint named as Hyper-V names it."""
        try:
            job = self.bridge.call(self.bridge.api.checkpoint, vm_id)
        except HvError as err:
            dialogs.show_error(self, err)
            return
        if job.error:  # failed at once (an injected fault): nothing was taken
            dialogs.show_error(self, f"The checkpoint of {self._name} was not created.",
                               [job.error])
            return
        self.statusBar().showMessage(f"A checkpoint of {self._name} was created.", 6000)

    def _zoom(self, step: int) -> None:
        """One point larger (1), smaller (-1), or back to the normal size (0)."""
        for widget, normal in ((self.console, self._normal_sizes[0]),
                               (self.message, self._normal_sizes[1])):
            font = widget.font()
            size = normal if step == 0 else font.pointSize() + step
            font.setPointSize(min(max(size, 7), 32))
            widget.setFont(font)

    def closeEvent(self, event: QCloseEvent) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self.bridge.tick.disconnect(self._on_tick)
        super().closeEvent(event)
