"""What the VM actions do: confirm where Hyper-V Manager asks, call the API, report errors.

Shared by the main window and the Connect windows. Lifecycle commands return at once with a
job (the engine runs it in simulated time), so nothing here waits. Errors are shown with
:func:`gui.dialogs.show_error` in Hyper-V's words; a failed Start leaves the VM as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from engine.api import HvError
from gui import dialogs

if TYPE_CHECKING:
    from engine.api import ManagementApi
    from gui.bridge import Bridge

#: At most this many Connect windows open from one multi-selection.
MAX_CONNECT_AT_ONCE = 8

_LIFECYCLE = {
    "start": ("start", "Starting"),
    "turn_off": ("turn_off", "Turning off"),
    "shut_down": ("shut_down", "Shutting down"),
    "save": ("save", "Saving"),
    "pause": ("pause", "Pausing"),
    "resume": ("resume", "Resuming"),
    "reset": ("reset", "Resetting"),
    "delete_saved_state": ("delete_saved_state", "Deleting the saved state of"),
}

#: (title, question, informative text, button) for actions Hyper-V Manager confirms.
_CONFIRM = {
    "turn_off": ("Turn Off Machine",
                 "Are you sure you want to turn off {what}?",
                 "If you turn off the virtual machine, any unsaved data in it will be lost.",
                 "Turn Off"),
    "shut_down": ("Shut Down Machine",
                  "Are you sure you want to shut down {what}?",
                  "The guest operating system is asked to shut down through the Operating "
                  "System Shutdown integration service.",
                  "Shut Down"),
    "reset": ("Reset Machine",
              "Are you sure you want to reset {what}?",
              "If you reset the virtual machine, any unsaved data in it will be lost.",
              "Reset"),
    "delete_saved_state": ("Delete Saved State",
                           "Are you sure you want to delete the saved state of {what}?",
                           "The virtual machine starts from scratch the next time, as if it "
                           "had been turned off.",
                           "Delete"),
    "delete": ("Delete Selected Virtual Machine",
               "Are you sure you want to delete {what}?",
               "Its configuration is deleted. Its virtual hard disks are not deleted.",
               "Delete"),
}


class VmCommands(QObject):
    """Runs VM actions for one window.

    Signals:
        message(str): a one-line result for the window's status bar.
    """

    message = Signal(str)

    def __init__(self, bridge: Bridge, parent: QWidget,
                 open_connect: Callable[[str], object],
                 open_settings: Callable[[str], object],
                 rename: Callable[[str], object] | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._window = parent
        self._open_connect = open_connect
        self._open_settings = open_settings
        self._rename = rename

    @property
    def api(self) -> ManagementApi:
        return self._bridge.api

    def name_of(self, vm_id: str) -> str:
        try:
            return self.api.vm(vm_id).name
        except HvError:
            return vm_id

    def run(self, key: str, vm_ids: Sequence[str]) -> None:
        """Perform action ``key`` on ``vm_ids`` (confirming first where Hyper-V does)."""
        vm_ids = list(vm_ids)
        if not vm_ids:
            return
        if key == "connect":
            for vm_id in vm_ids[:MAX_CONNECT_AT_ONCE]:
                self._open_connect(vm_id)
            return
        if key == "settings":
            self._open_settings(vm_ids[0])
            return
        if key == "rename":
            if self._rename is not None:
                self._rename(vm_ids[0])
            return
        if key == "checkpoint":
            return  # disabled until checkpoints exist
        if key in _CONFIRM:
            title, question, informative, button = _CONFIRM[key]
            what = (f"the virtual machine '{self.name_of(vm_ids[0])}'" if len(vm_ids) == 1
                    else f"the {len(vm_ids)} selected virtual machines")
            dialogs.confirm(self._window, title, question.format(what=what),
                            lambda: self.execute(key, vm_ids), accept_text=button,
                            informative=informative)
            return
        self.execute(key, vm_ids)

    def execute(self, key: str, vm_ids: Sequence[str]) -> None:
        """Perform ``key`` now, without confirmation; one tick after the whole batch."""
        api = self.api
        names = {v: self.name_of(v) for v in vm_ids}
        errors: list[HvError] = []
        done: list[str] = []
        try:
            for vm_id in vm_ids:
                try:
                    if key == "delete":
                        api.delete_vm(vm_id)
                    else:
                        getattr(api, _LIFECYCLE[key][0])(vm_id)
                    done.append(names[vm_id])
                except HvError as err:
                    errors.append(err)
        finally:
            self._bridge.refresh()
        if done:
            verb = "Deleted" if key == "delete" else _LIFECYCLE[key][1]
            self.message.emit(f"{verb} {', '.join(done)}.")
        if errors:
            first = errors[0]
            more = [f"Also: {e.message}" for e in errors[1:]]
            dialogs.show_error(self._window, first, more)

    def rename_vm(self, vm_id: str, new_name: str) -> None:
        try:
            self._bridge.call(self.api.rename, vm_id, new_name)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return
        self.message.emit(f"Renamed to {new_name}.")
