"""The virtual machine actions: one table says what each is, when it applies, what it does.

:data:`VM_ACTIONS` declares every VM action once: its text, icon and shortcut, the engine
:class:`~hvlab.engine.api.Operation` whose rule enables it, and what triggering it does (``runs``):
an :class:`EngineCommand` (one API call per selected VM, confirmed first where Hyper-V
Manager asks) or a :class:`WindowCommand` (handed to the window: a window or dialog to open,
or the Checkpoints pane). :class:`hvlab.gui.commands.VmCommands` carries out either with one
lookup in this table.

One :class:`VmActions` set exists per window (the main window, each Connect window). Its
QActions appear in that window's menu bar, toolbar, Actions pane and context menu. Whether
an action is enabled, and the tooltip that says why not, come from
``ManagementApi.available_operations`` for the selected VMs; the GUI keeps no rules of its
own about which state allows what.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from hvlab.engine.api import HvError, Operation
from hvlab.gui import format as fmt
from hvlab.gui import ids
from hvlab.gui.icons import icon

if TYPE_CHECKING:  # hvlab.engine.api imports numpy; the window paints before it is loaded
    from hvlab.engine.api import ManagementApi
    from hvlab.gui.bridge import Bridge


class WindowTask(enum.Enum):
    """What an action hands to its window because it is more than one engine call: a window
    or dialog to open, or the Checkpoints pane, which follows the checkpoint's job."""

    CONNECT = enum.auto()
    SETTINGS = enum.auto()
    CHECKPOINT = enum.auto()
    EXPORT = enum.auto()
    RENAME = enum.auto()
    DELETE = enum.auto()


@dataclass(frozen=True)
class Confirmation:
    """The question Hyper-V Manager asks first; ``question`` has ``{what}`` for the VMs."""

    title: str
    question: str
    informative: str
    button: str


@dataclass(frozen=True)
class EngineCommand:
    """One API call per selected VM; ``verb`` starts the status line ("Starting VM1.")."""

    call: Callable[[ManagementApi, str], object]
    verb: str
    confirm: Confirmation | None = None


@dataclass(frozen=True)
class WindowCommand:
    """Handed to the window's handler for ``task``, once per selected VM up to ``at_most``."""

    task: WindowTask
    at_most: int = 1


@dataclass(frozen=True)
class VmActionSpec:
    key: str
    text: str
    icon: str
    shortcut: str
    operation: Operation | None  # the engine's rule for enablement (None: always allowed)
    multi: bool  # may act on several selected VMs at once
    tip: str  # what it does (tooltip when enabled)
    runs: EngineCommand | WindowCommand  # what triggering it does


#: At most this many Connect windows open from one multi-selection.
MAX_CONNECT_AT_ONCE = 8

_LOST = "If you {verb} the virtual machine, any unsaved data in it will be lost."

#: The VM block, in Hyper-V Manager's order. Shortcuts follow Virtual Machine Connection's
#: Action menu (Ctrl+S Start, Ctrl+T Turn Off, Ctrl+D Shut Down, Ctrl+P Pause, Ctrl+E Reset,
#: Ctrl+N Checkpoint), except Save: Ctrl+A selects all VMs in the main window's list, so Save
#: is Ctrl+Shift+S there and Ctrl+A only in a Connect window. docs/console.md lists them all.
VM_ACTIONS: tuple[VmActionSpec, ...] = (
    VmActionSpec("connect", "&Connect…", "connect", "Ctrl+Return", None, True,
                 "Open a Virtual Machine Connection window to the virtual machine.",
                 WindowCommand(WindowTask.CONNECT, at_most=MAX_CONNECT_AT_ONCE)),
    VmActionSpec("settings", "S&ettings…", "settings", "", None, False,
                 "Show the virtual machine's settings.", WindowCommand(WindowTask.SETTINGS)),
    VmActionSpec("start", "&Start", "start", "Ctrl+S", Operation.START, True,
                 "Start the virtual machine.",
                 EngineCommand(lambda api, vm: api.start(vm), "Starting")),
    VmActionSpec("turn_off", "T&urn Off…", "turn-off", "Ctrl+T", Operation.TURN_OFF, True,
                 "Turn off the virtual machine, like pulling its power cord.",
                 EngineCommand(lambda api, vm: api.turn_off(vm), "Turning off", Confirmation(
                     "Turn Off Machine", "Are you sure you want to turn off {what}?",
                     _LOST.format(verb="turn off"), "Turn Off"))),
    VmActionSpec("shut_down", "Shut &Down…", "shut-down", "Ctrl+D", Operation.SHUT_DOWN, True,
                 "Ask the guest operating system to shut down.",
                 EngineCommand(lambda api, vm: api.shut_down(vm), "Shutting down", Confirmation(
                     "Shut Down Machine", "Are you sure you want to shut down {what}?",
                     "The guest operating system is asked to shut down through the "
                     "Operating System Shutdown integration service.", "Shut Down"))),
    VmActionSpec("save", "Sa&ve", "save", "Ctrl+Shift+S", Operation.SAVE, True,
                 "Save the virtual machine's memory and state to disk and stop it.",
                 EngineCommand(lambda api, vm: api.save(vm), "Saving")),
    VmActionSpec("pause", "&Pause", "pause", "Ctrl+P", Operation.PAUSE, True,
                 "Pause the virtual machine; it keeps its memory.",
                 EngineCommand(lambda api, vm: api.pause(vm), "Pausing")),
    VmActionSpec("resume", "&Resume", "resume", "Ctrl+R", Operation.RESUME, True,
                 "Resume the paused virtual machine.",
                 EngineCommand(lambda api, vm: api.resume(vm), "Resuming")),
    VmActionSpec("reset", "Rese&t", "reset", "Ctrl+E", Operation.RESET, True,
                 "Reset the virtual machine, like pressing its reset button.",
                 EngineCommand(lambda api, vm: api.reset(vm), "Resetting", Confirmation(
                     "Reset Machine", "Are you sure you want to reset {what}?",
                     _LOST.format(verb="reset"), "Reset"))),
    VmActionSpec("checkpoint", "Chec&kpoint", "checkpoint", "Ctrl+N", Operation.CHECKPOINT, False,
                 "Take a checkpoint of the virtual machine.",
                 WindowCommand(WindowTask.CHECKPOINT)),
    VmActionSpec("revert", "Re&vert…", "apply-checkpoint", "", Operation.REVERT, False,
                 "Return the virtual machine to its last checkpoint (the one it runs from).",
                 EngineCommand(lambda api, vm: api.revert(vm), "Reverting", Confirmation(
                     "Revert Virtual Machine", "Are you sure you want to revert {what}?",
                     "The virtual machine returns to the state of its last checkpoint; "
                     "whatever it did since then is lost.", "Revert"))),
    VmActionSpec("export", "E&xport…", "export", "", Operation.EXPORT, False,
                 "Export the virtual machine to a folder: its configuration, virtual hard "
                 "disks, checkpoints and saved state.", WindowCommand(WindowTask.EXPORT)),
    VmActionSpec("delete_saved_state", "Delete Saved State…", "delete-saved-state", "",
                 Operation.DELETE_SAVED_STATE, False,
                 "Discard the saved state; the virtual machine is then Off.",
                 EngineCommand(lambda api, vm: api.delete_saved_state(vm),
                               "Deleting the saved state of", Confirmation(
                                   "Delete Saved State",
                                   "Are you sure you want to delete the saved state of {what}?",
                                   "The virtual machine starts from scratch the next time, as "
                                   "if it had been turned off.", "Delete"))),
    VmActionSpec("rename", "Rena&me…", "rename", "F2", Operation.RENAME, False,
                 "Rename the virtual machine.", WindowCommand(WindowTask.RENAME)),
    VmActionSpec("delete", "De&lete…", "delete", "Del", Operation.DELETE, False,
                 "Delete the virtual machine's configuration (its virtual hard disks stay).",
                 WindowCommand(WindowTask.DELETE)),
)
SPECS = {s.key: s for s in VM_ACTIONS}

MAIN_NAMES: dict[str, ids.UiName] = {
    "connect": ids.ACT_CONNECT, "settings": ids.ACT_SETTINGS, "start": ids.ACT_START,
    "turn_off": ids.ACT_TURN_OFF, "shut_down": ids.ACT_SHUT_DOWN, "save": ids.ACT_SAVE,
    "pause": ids.ACT_PAUSE, "resume": ids.ACT_RESUME, "reset": ids.ACT_RESET,
    "checkpoint": ids.ACT_CHECKPOINT, "export": ids.ACT_EXPORT,
    "delete_saved_state": ids.ACT_DELETE_SAVED_STATE, "revert": ids.ACT_REVERT,
    "rename": ids.ACT_RENAME, "delete": ids.ACT_DELETE,
}
#: Where a Connect window's shortcut differs from the main window's.
CONNECT_SHORTCUTS = {"save": "Ctrl+A"}

CONNECT_NAMES: dict[str, ids.UiName] = {
    "settings": ids.CONNECT_SETTINGS, "start": ids.CONNECT_START,
    "turn_off": ids.CONNECT_TURN_OFF, "shut_down": ids.CONNECT_SHUT_DOWN,
    "save": ids.CONNECT_SAVE, "pause": ids.CONNECT_PAUSE, "resume": ids.CONNECT_RESUME,
    "reset": ids.CONNECT_RESET, "checkpoint": ids.CONNECT_CHECKPOINT,
    "revert": ids.CONNECT_REVERT,
}

NO_SELECTION = "Select a virtual machine first."
ONE_ONLY = "{label} works on one virtual machine at a time; select only one."


def plain(text: str) -> str:
    """Menu text without its mnemonic: the accessible name and the tooltip's first words."""
    return text.replace("&", "")


@dataclass(frozen=True)
class Enablement:
    enabled: bool
    tooltip: str


def enablement(api: ManagementApi, spec: VmActionSpec, vm_ids: Sequence[str],
               names: dict[str, str],
               ops: dict[str, dict[Operation, str | None]]) -> Enablement:
    """Whether ``spec`` applies to all of ``vm_ids`` now, and the tooltip that says so.

    ``ops`` caches ``available_operations`` per VM id for one update; ``names`` maps ids to
    VM names for the messages.
    """
    label = plain(spec.text).rstrip("…")
    if not vm_ids:
        return Enablement(False, NO_SELECTION)
    if len(vm_ids) > 1 and not spec.multi:
        return Enablement(False, ONE_ONLY.format(label=label))
    if spec.operation is not None:
        for vm_id in vm_ids:
            reason = ops[vm_id].get(spec.operation)
            if reason is not None:
                prefix = f"{names.get(vm_id, vm_id)}: " if len(vm_ids) > 1 else ""
                return Enablement(False, prefix + reason)
    tip = spec.tip
    if spec.operation is Operation.START:
        tip = f"{tip} {start_fit_text(api, vm_ids, names)}"
    elif len(vm_ids) > 1:
        tip = f"{tip} ({len(vm_ids)} virtual machines)"
    return Enablement(True, tip)


def start_fit_text(api: ManagementApi, vm_ids: Sequence[str], names: dict[str, str]) -> str:
    """The memory pre-check: "Needs 2,088 MB; 26,764 MB available — it fits now."."""
    try:
        checks = [api.start_check(v) for v in vm_ids]
    except HvError:
        return ""
    if not checks:
        return ""
    needed = sum(c.needed_mb for c in checks)
    available = checks[0].available_mb
    fits = needed <= available and all(c.ok for c in checks)
    text = fmt.fit_text(needed, available)
    if len(checks) > 1:
        text = f"Together they need {needed:,} MB; {available:,} MB available"
    if fits:
        warning = next((c.warning for c in checks if c.warning), None)
        text = f"{text} — it fits now." if len(checks) == 1 else f"{text} — they fit now."
        return f"{text} Warning: {warning}" if warning else text
    blocked = next((c.reason for c in checks if not c.ok and c.reason), "")
    single = len(checks) == 1
    verdict = "it does not fit now." if single else "they do not all fit now."
    return f"{text} — {verdict}" + (f" {blocked}" if blocked and not single else "")


class VmActions(QObject):
    """The QActions of the VM block for one window, enabled for the current targets.

    Built before the lab when the window paints first; disabled until :meth:`attach`.

    Signals:
        triggered(str key, list vm_ids): the user chose an action for these VMs.
    """

    triggered = Signal(str, list)

    def __init__(self, names: dict[str, ids.UiName], parent: QObject,
                 shortcuts: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self._bridge: Bridge | None = None
        self._targets: list[str] = []
        self._target_names: dict[str, str] = {}
        self.actions: dict[str, QAction] = {}
        for spec in VM_ACTIONS:
            if spec.key not in names:
                continue
            action = QAction(icon(spec.icon), spec.text, parent)
            action.setIconText(plain(spec.text))  # keep the "…" on buttons
            ids.apply(action, names[spec.key])
            shortcut = (shortcuts or {}).get(spec.key, spec.shortcut)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(spec.tip)
            action.setEnabled(False)
            action.triggered.connect(lambda _=False, key=spec.key: self._on_triggered(key))
            self.actions[spec.key] = action
        self.update()

    def __getitem__(self, key: str) -> QAction:
        return self.actions[key]

    def specs(self) -> list[VmActionSpec]:
        """The table rows of the actions this window shows."""
        return [SPECS[key] for key in self.actions]

    def attach(self, bridge: Bridge) -> None:
        """Enable from the engine behind ``bridge`` from now on."""
        self._bridge = bridge
        self.update()

    @property
    def targets(self) -> list[str]:
        return list(self._targets)

    def set_targets(self, vm_ids: Sequence[str], names: dict[str, str] | None = None) -> None:
        self._targets = list(vm_ids)
        if names is not None:
            self._target_names = names
        self.update()

    def update(self) -> None:
        """Re-read the engine's available operations for the targets."""
        if not self._targets or self._bridge is None:
            for action in self.actions.values():
                action.setEnabled(False)
                action.setToolTip(f"{plain(action.text())}: {NO_SELECTION}")
                action.setStatusTip(NO_SELECTION)
            return
        api = self._bridge.api
        ops: dict[str, dict[Operation, str | None]] = {}
        live: list[str] = []
        for vm_id in self._targets:
            try:
                ops[vm_id] = api.available_operations(vm_id)
                live.append(vm_id)
            except HvError:
                continue  # deleted since it was selected
        for key, action in self.actions.items():
            state = enablement(api, SPECS[key], live, self._target_names, ops)
            action.setEnabled(state.enabled)
            tip = f"{plain(action.text())}: {state.tooltip}"
            shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if shortcut:
                tip += f" ({shortcut})"
            action.setToolTip(tip)
            action.setStatusTip(state.tooltip)

    def _on_triggered(self, key: str) -> None:
        if self._targets:
            self.triggered.emit(key, list(self._targets))
