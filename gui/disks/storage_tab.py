"""The Storage tab of the details pane: each hard drive's file and its real size on disk.

hvlab's disks are real VHD files, so the tab shows what Windows Explorer would: the file the
VM writes now (an .avhd after a checkpoint), its current size, the disk's maximum size, and
how many files the checkpoint chain holds. Read from ``ManagementApi.vm_disks`` while the tab
is visible: when the selected VM changes, when the lab changed, and at most every
:data:`REFRESH_MS` otherwise (file sizes change as the guest writes).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from hvlab.engine.api import HvError
from hvlab.gui import ids
from hvlab.gui.disks.sizes import size_text, size_with_bytes
from hvlab.gui.forms import flat_list

if TYPE_CHECKING:
    from hvlab.gui.bridge import Bridge

#: Wall milliseconds between two reads of the same VM's files.
REFRESH_MS = 2000
COLUMNS = ("Drive", "File", "Current File Size", "Maximum Disk Size", "Checkpoint Chain")


def drive_label(key: str) -> str:
    """``ide0:1`` → ``IDE 0:1``; ``scsi0:3`` → ``SCSI 0:3``."""
    head = key.rstrip("0123456789:")
    return f"{head.upper()} {key[len(head):]}" if head else key


class VmStorageTab(QTreeWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        fm = self.fontMetrics()
        flat_list(self, ids.DETAILS_STORAGE, COLUMNS, [
            max(chars * fm.averageCharWidth(), fm.horizontalAdvance(title) + 28)
            for chars, title in zip((9, 28, 12, 12, 16), COLUMNS, strict=True)])
        self._bridge = bridge
        self._vm_id: str | None = None
        self._version: object = None
        self._rows: tuple[object, ...] = ()
        self._clock = QElapsedTimer()

    def show_vm(self, vm_id: str | None, version: object = None) -> None:
        """Called every tick for the focused VM; reads files only when worth it."""
        changed = vm_id != self._vm_id or version != self._version
        self._vm_id, self._version = vm_id, version
        if not self.isVisible():
            if changed:
                self._rows = ()  # re-read when shown
            return
        if changed or not self._clock.isValid() or self._clock.elapsed() >= REFRESH_MS:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        self._clock.start()
        if self._vm_id is None:
            self._fill([])
            return
        try:
            disks = self._bridge.api.vm_disks(self._vm_id)
        except HvError:
            disks = []
        rows: list[tuple[str, ...]] = []
        for d in disks:
            if not d.exists:
                rows.append((drive_label(d.key), os.path.basename(d.path) or d.path,
                             "File not found", "—", "—", d.path))
                continue
            chain = ("—" if d.chain_length <= 1 else
                     f"{d.chain_length} files, {size_text(d.chain_file_size)}")
            rows.append((drive_label(d.key), os.path.basename(d.path), size_text(d.file_size),
                         size_text(d.maximum_size), chain, d.path, str(d.file_size),
                         str(d.maximum_size), d.base_path))
        self._fill(rows)

    def _fill(self, rows: list[tuple[str, ...]]) -> None:
        key = tuple(rows)
        if key == self._rows:
            return
        self._rows = key
        self.clear()
        if not rows:
            item = QTreeWidgetItem(["This virtual machine has no virtual hard disks."])
            item.setFirstColumnSpanned(True)
            self.addTopLevelItem(item)
            return
        for row in rows:
            item = QTreeWidgetItem(list(row[:5]))
            path = row[5]
            tip = path
            if len(row) > 8 and row[8] != path:
                tip += f"\nA checkpoint's differencing disk; the configured disk is {row[8]}."
            item.setToolTip(1, tip)
            if len(row) > 7:
                item.setToolTip(2, size_with_bytes(int(row[6])))
                item.setToolTip(3, size_with_bytes(int(row[7])))
            self.addTopLevelItem(item)
        self.setColumnWidth(1, max(self.columnWidth(1), self.sizeHintForColumn(1) + 12))

    def cell(self, row: int, column: str) -> str:
        item = self.topLevelItem(row)
        return item.text(COLUMNS.index(column)) if item is not None else ""
