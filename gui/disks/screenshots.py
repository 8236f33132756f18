"""Take the screenshots of docs/disks.md: ``python -m hvlab.gui.disks.screenshots docs/img``.

Run under Xvfb at 1280×800 so they look like a real desktop::

    xvfb-run -a -s '-screen 0 1280x800x24' \\
        .venv/bin/python -m hvlab.gui.disks.screenshots docs/img

The lab is the demo lab (seed 0) with its files in a temporary folder, on a manual clock.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QSplitter

from hvlab.engine.api import HardDrive, ManagementApi, populate_demo
from hvlab.gui import ids
from hvlab.gui.app import create_main_window
from hvlab.gui.disks.dialogs import open_inspect_dialog, open_new_disk_wizard
from hvlab.gui.disks.sizes import GB
from hvlab.gui.shots import save, settle, start
from hvlab.gui.theme import Theme


def _picture_disk(api: ManagementApi, path: Path) -> None:
    """A 2 GB dynamic disk with an installed system at the start, a few scattered files and
    some blocks only partly written: the kinds of square the picture shows.  Written as a
    guest would, through a VM the disk is attached to, which is then removed."""
    api.wait(api.new_vhd(str(path), 2 * GB))
    block = 2 * 1024 * 1024
    api.create_vm("DISK-PICTURE", hard_drives=[HardDrive("IDE", 0, 0, str(path))])
    api.guest_write("DISK-PICTURE", "ide0:0", 0, b"\x5a" * (56 * block))
    for n, b in enumerate(range(120, 1000, 37)):
        api.guest_write("DISK-PICTURE", "ide0:0", b * block // 512,
                        b"\x11" * (block if n % 3 else block // 4))
    for b in range(300, 330, 2):
        api.guest_write("DISK-PICTURE", "ide0:0", b * block // 512, b"\x22" * (block // 2))
    api.delete_vm("DISK-PICTURE")


def main(argv: list[str] | None = None) -> int:
    app, out = start(argv, __doc__)
    folder = Path(tempfile.mkdtemp(prefix="hvlab-shots-"))
    try:
        api = ManagementApi(seed=0, storage_root=folder / "Library")
        populate_demo(api)
        window = create_main_window(api, clock="manual", theme=Theme.LIGHT)

        # The New Virtual Hard Disk Wizard at Choose Disk Type.
        wizard = open_new_disk_wizard(None, window.bridge)
        wizard.go_to(wizard.type_page)
        settle(app, 10)
        save(wizard, out / "disk-new-wizard.png")
        wizard.close()

        # Inspect Disk with its block allocation picture.
        disk = folder / "Library" / "Virtual Hard Disks" / "Data.vhd"
        _picture_disk(api, disk)
        dialog = open_inspect_dialog(None, window.bridge, str(disk))
        assert dialog is not None
        dialog.resize(660, 640)
        settle(app, 10)
        save(dialog, out / "disk-inspect.png")
        dialog.close()

        # The Checkpoints pane: a small tree with a branch, Now after an Apply.
        window.resize(1280, 800)
        window.show()
        vm = api.vm("W2K8-DC01").id
        for name in ("Clean install", "Domain promoted", "Before SP2"):
            api.checkpoint(vm, name)
            window.bridge.step(60)
        second = api.checkpoints(vm)[1].id
        api.apply_checkpoint(vm, second)
        api.checkpoint(vm, "Test: new GPO")
        window.bridge.step(5)
        window.vm_list.select_ids([vm])
        line = window.fontMetrics().height()
        centre = window.findChild(QSplitter, ids.SPLIT_CENTRE.object_name)
        assert centre is not None
        centre.setSizes([14 * line, 9 * line, 11 * line])  # room for the tree
        window.details.tabs.setCurrentWidget(window.details.storage)
        window.bridge.refresh()
        window.checkpoints.select(second)
        settle(app, 10)
        # The Actions pane scrolls: show the VM block and the checkpoint block under it.
        window.actions_pane.verticalScrollBar().setValue(
            window.actions_pane.verticalScrollBar().maximum())
        settle(app, 10)
        save(window, out / "checkpoint-pane.png")
        window.close()
        api.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
