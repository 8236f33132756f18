"""Action ▸ Host ▸ Import Virtual Server Machine…: a Virtual Server 2005 R2 ``.vmc`` rebuilt
as a Hyper-V VM (the engine's ``import_virtual_server``; docs/engine.md, "Moving a Virtual
Server 2005 R2 machine"). The console shows what the move changes (SCSI boot disk to IDE,
legacy network adapters, no integration services) and asks before the disks are copied; the
copy is a job with progress and Cancel in the Jobs panel.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QWidget

from hvlab.engine.api import HvError, Job, JobState
from hvlab.gui import dialogs
from hvlab.gui.bridge import Bridge
from hvlab.gui.disks.jobs import when_done

TITLE = "Import Virtual Server Machine"


def import_virtual_server(window: QWidget, bridge: Bridge, on_done: Callable[[str], None],
                          vmc: str | None = None) -> None:
    """Ask for a .vmc (unless given), show what changes, and import it once confirmed;
    ``on_done(vm_name)`` after the VM exists."""
    if vmc is None:
        vmc, _ = QFileDialog.getOpenFileName(window, TITLE, "",
                                             "Virtual Server configuration (*.vmc)")
        if not vmc:
            return
    try:
        changes = bridge.api.virtual_server_changes(vmc)
    except HvError as err:
        dialogs.show_error(window, err, title=TITLE)
        return

    def start() -> None:
        try:
            job = bridge.call(bridge.api.import_virtual_server, vmc)
        except HvError as err:
            dialogs.show_error(window, err, title=TITLE)
            return

        def ended(done: Job) -> None:
            bridge.refresh()
            if done.state is JobState.COMPLETED:
                on_done(done.description.removeprefix("Importing ").removesuffix(
                    " from Virtual Server"))
            elif done.error:
                dialogs.show_error(window, done.error, title=TITLE)

        when_done(bridge, job, window, ended)

    dialogs.confirm(window, TITLE, "Rebuild this Virtual Server 2005 R2 machine as a Hyper-V "
                    "virtual machine? Its virtual hard disks are copied into the lab unchanged.",
                    start, accept_text="Import",
                    informative="\n".join(f"• {change}" for change in changes))
