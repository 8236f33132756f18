"""Keyboard and mouse in Virtual Machine Connection, as Hyper-V Settings says.

Windows key combinations pressed on the VM's screen go to the VM (``send_keys``, echoed
on its console) when Hyper-V Settings ▸ Keyboard says "Use on the virtual machine", or
"... only when running full-screen" and the window is in Full Screen Mode; otherwise they
are left to the desktop. A click on the screen of a running VM whose integration services
are not running (no synthetic mouse) captures the mouse, as Virtual Machine Connection
does: the pointer is hidden over the screen and the status bar says which key releases it
(Hyper-V Settings ▸ Mouse Release Key). The release key, or the VM leaving Running, frees
it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from hvlab.engine.api import HvError
from hvlab.gui import dialogs
from hvlab.gui import user_settings as us

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

K = Qt.Key
_NAMED = {K.Key_Tab: "Tab", K.Key_Escape: "Esc", K.Key_Return: "Enter", K.Key_Enter: "Enter",
          K.Key_Space: "Space", K.Key_Backspace: "Backspace", K.Key_Delete: "Delete",
          K.Key_Home: "Home", K.Key_End: "End", K.Key_PageUp: "Page Up",
          K.Key_PageDown: "Page Down", K.Key_Left: "Left", K.Key_Right: "Right",
          K.Key_Up: "Up", K.Key_Down: "Down", K.Key_Print: "Print Screen",
          K.Key_Pause: "Pause"}
_MODIFIER_KEYS = {K.Key_Control, K.Key_Alt, K.Key_Shift, K.Key_Meta, K.Key_Super_L,
                  K.Key_Super_R}
M = Qt.KeyboardModifier


def key_name(key: int) -> str:
    """The engine's name of a key (``send_keys``), or "" for one it does not take."""
    if K.Key_A <= key <= K.Key_Z or K.Key_0 <= key <= K.Key_9:
        return chr(key)
    if K.Key_F1 <= key <= K.Key_F12:
        return f"F{key - K.Key_F1 + 1}"
    try:
        return _NAMED.get(K(key), "")
    except ValueError:
        return ""


def combination(event: QKeyEvent) -> str:
    """``Windows+R`` for a key press with the Windows key held, else ""."""
    mods = event.modifiers()
    name = key_name(event.key())
    if not mods & M.MetaModifier or not name:
        return ""
    parts = [text for flag, text in ((M.ControlModifier, "Ctrl"), (M.AltModifier, "Alt"),
                                     (M.ShiftModifier, "Shift"), (M.MetaModifier, "Windows"))
             if mods & flag]
    return "+".join([*parts, name])


class ConnectInput(QObject):
    """Installed on the screens of one Connect window."""

    def __init__(self, window: QMainWindow, bridge: Bridge, vm_id: str,
                 screens: tuple[QWidget, ...]) -> None:
        super().__init__(window)
        self.window = window
        self.bridge = bridge
        self.vm_id = vm_id
        self.screens = screens
        self.captured = False
        self._state = ""
        for screen in screens:
            screen.installEventFilter(self)

    def on_state(self, state: str) -> None:
        self._state = state
        if state != "Running" and self.captured:
            self.release()

    def windows_keys_go_to_vm(self) -> bool:
        mode = us.keyboard_mode()
        return mode == "vm" or (mode == "fullscreen" and self.window.isFullScreen())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._key(event)
        if event.type() == QEvent.Type.MouseButtonPress and self._state == "Running" \
                and not self.captured and self._needs_capture():
            self.capture()
            return True
        return False

    def _key(self, event: QKeyEvent) -> bool:
        if self.captured and self._is_release_key(event):
            self.release()
            return True
        combo = combination(event)
        if not combo or not self.windows_keys_go_to_vm():
            return False  # left to the desktop (Hyper-V Settings ▸ Keyboard)
        try:
            self.bridge.call(self.bridge.api.send_keys, self.vm_id, combo)
        except HvError as err:
            dialogs.show_error(self.window, err)
            return True
        self.window.statusBar().showMessage(f"{combo} was sent to the virtual machine.", 6000)
        return True

    def _is_release_key(self, event: QKeyEvent) -> bool:
        _choice, _text, key = us.mouse_release()
        mods = event.modifiers() & ~M.KeypadModifier
        needed = M.ControlModifier | M.AltModifier
        if key == K.Key_Shift:
            return event.key() == K.Key_Shift and mods & needed == needed
        return event.key() == key and mods == needed

    def _needs_capture(self) -> bool:
        """No synthetic mouse: the guest's integration services are not running."""
        try:
            return self.bridge.api.vm(self.vm_id).heartbeat != "OK"
        except HvError:
            return False

    def capture(self) -> None:
        self.captured = True
        for screen in self.screens:
            screen.setCursor(Qt.CursorShape.BlankCursor)
        _choice, text, _key = us.mouse_release()
        self.window.statusBar().showMessage(f"To release your mouse press {text}.")

    def release(self) -> None:
        self.captured = False
        for screen in self.screens:
            screen.unsetCursor()
        self.window.statusBar().showMessage("The mouse was released.", 4000)
