"""Hyper-V Settings ▸ Root Partition Load: work in the root partition, for trainers.

Not a page of Hyper-V's own dialog: hvlab adds it so that a trainer can make the root
partition busy (a load on its processors, a backup running in it) and show that emulated
devices, serviced by the worker processes in the root, slow down while synthetic ones
hardly do.  The page edits two host settings, ``root_load_pct`` and ``backup_running``,
which ``hvctl host set --root-load/--backup`` sets through the same engine call.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from hvlab.engine.api import HostInfo
from hvlab.gui import ids

TITLE = "Root Partition Load"
INTRO = (
    "For trainers: make the root partition busy. Emulated devices (the legacy network "
    "adapter, IDE without integration services) are serviced by each virtual machine's "
    "worker process in the root partition, so they slow down when its processors are busy; "
    "synthetic devices, handled by the VSPs in the root's kernel, hardly do. Host "
    "Performance shows the root's share of the processors.")


class RootLoadPage(QWidget):
    """The two settings and the root's CPU as the last tick left it."""

    def __init__(self, info: HostInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        label = QLabel("&Load on the root partition's processors:")
        self.load = QSpinBox()
        ids.apply(self.load, ids.HOST_ROOT_LOAD)
        self.load.setRange(0, 100)
        self.load.setSuffix(" %")
        label.setBuddy(self.load)
        row.addWidget(label)
        row.addWidget(self.load)
        row.addStretch(1)
        layout.addLayout(row)
        self.backup = QCheckBox("A &backup is running in the root partition")
        ids.apply(self.backup, ids.HOST_BACKUP)
        self.backup.setToolTip("One root processor reads and compresses, and the backup "
                               "reads a quarter of the host's storage bandwidth.")
        layout.addWidget(self.backup)
        self.cpu = QLabel("")
        ids.apply(self.cpu, ids.HOST_ROOT_CPU)
        layout.addWidget(self.cpu)
        self.load_fields(info)

    def values(self) -> dict[str, Any]:
        return {"root_load_pct": self.load.value(), "backup_running": self.backup.isChecked()}

    @staticmethod
    def loaded(info: HostInfo) -> dict[str, Any]:
        return {"root_load_pct": info.root_load_pct, "backup_running": info.backup_running}

    def load_fields(self, info: HostInfo) -> None:
        self.load.setValue(info.root_load_pct)
        self.backup.setChecked(info.backup_running)
        self.show_cpu(info)

    def show_cpu(self, info: HostInfo) -> None:
        text = (f"The root partition uses {info.root_cpu_percent:.1f} % of the host's "
                f"{info.logical_processors} logical processors.")
        if self.cpu.text() != text:
            self.cpu.setText(text)
