"""What the VM actions do, as the table in :mod:`hvlab.gui.actions` declares it.

One :class:`VmCommands` per window (the main window, each Connect window) receives that
window's :class:`~hvlab.gui.actions.VmActions` and a handler for each :class:`WindowTask` its
actions hand over. A triggered action is one lookup in the table: an
:class:`~hvlab.gui.actions.EngineCommand` is confirmed where Hyper-V Manager asks and then called
once per selected VM; a :class:`~hvlab.gui.actions.WindowCommand` goes to the window's handler.

Lifecycle commands return at once with a job (the engine runs it in simulated time), so
nothing here waits. Errors are shown with :func:`hvlab.gui.dialogs.show_error` in Hyper-V's words;
a failed Start leaves the VM as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs
from hvlab.gui.actions import SPECS, EngineCommand, VmActions, WindowCommand, WindowTask

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi
    from hvlab.gui.bridge import Bridge


class VmCommands(QObject):
    """Runs the VM actions of one window.

    Signals:
        message(str): a one-line result for the window's status bar.
    """

    message = Signal(str)

    def __init__(self, bridge: Bridge, actions: VmActions, window: QWidget,
                 handlers: Mapping[WindowTask, Callable[[str], object]]) -> None:
        super().__init__(window)
        needed = {spec.runs.task for spec in actions.specs()
                  if isinstance(spec.runs, WindowCommand)}
        missing = needed - handlers.keys()
        if missing:
            raise ValueError("the window shows actions it cannot carry out: "
                             + ", ".join(sorted(task.name for task in missing)))
        self._bridge = bridge
        self._window = window
        self._handlers = dict(handlers)
        actions.triggered.connect(self.run)

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
        runs = SPECS[key].runs
        if isinstance(runs, WindowCommand):
            for vm_id in vm_ids[:runs.at_most]:
                self._handlers[runs.task](vm_id)
            return
        question = runs.confirm
        if question is None:
            self.execute(runs, vm_ids)
            return
        what = (f"the virtual machine '{self.name_of(vm_ids[0])}'" if len(vm_ids) == 1
                else f"the {len(vm_ids)} selected virtual machines")
        dialogs.confirm(self._window, question.title, question.question.format(what=what),
                        lambda: self.execute(runs, vm_ids), accept_text=question.button,
                        informative=question.informative)

    def execute(self, command: EngineCommand, vm_ids: Sequence[str]) -> None:
        """Call ``command`` for each VM now, without confirmation; one tick after the batch."""
        api = self.api
        names = {v: self.name_of(v) for v in vm_ids}
        errors: list[HvError] = []
        done: list[str] = []
        try:
            for vm_id in vm_ids:
                try:
                    result = command.call(api, vm_id)
                except HvError as err:
                    errors.append(err)
                    continue
                if isinstance(result, Job) and result.state is JobState.FAILED:
                    # A job that takes no time and failed at once (an injected fault).
                    errors.append(HvError(f"{result.description} {names[vm_id]} failed.",
                                          [result.error] if result.error else []))
                else:
                    done.append(names[vm_id])
        finally:
            self._bridge.refresh()
        if done:
            self.message.emit(f"{command.verb} {', '.join(done)}.")
        if errors:
            first = errors[0]
            more = [f"Also: {e.message}" for e in errors[1:]]
            dialogs.show_error(self._window, first, more)

    def rename_vm(self, vm_id: str, new_name: str) -> None:
        """The VM list's in-place rename."""
        try:
            self._bridge.call(self.api.rename, vm_id, new_name)
        except HvError as err:
            dialogs.show_error(self._window, err)
            return
        self.message.emit(f"Renamed to {new_name}.")
