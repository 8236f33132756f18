"""Inspect Disk: the Virtual Hard Disk Properties dialog, as Hyper-V Manager shows it.

Hyper-V's fields (Format, Type, Location, File Name, Current File Size, Maximum Disk Size,
Parent with Inspect Parent), plus hvlab's picture of which blocks the file holds
(:class:`hvlab.gui.disks.allocation.AllocationPicture`) and the disk's identity.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import dialogs, ids
from hvlab.gui import format as fmt
from hvlab.gui.disks.allocation import FULL, PARTIAL_FLOOR, AllocationPicture
from hvlab.gui.disks.sizes import size_text, size_with_bytes
from hvlab.gui.disks.wizard import error_style, wrapped
from hvlab.gui.forms import named_button
from hvlab.gui.icons import icon

if TYPE_CHECKING:
    from hvlab.engine.api import VhdInfo

TYPE_NAMES = {"FIXED": "Fixed size virtual hard disk",
              "DYNAMIC": "Dynamically expanding virtual hard disk",
              "DIFFERENCING": "Differencing virtual hard disk"}
VHD_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def type_name(info: VhdInfo) -> str:
    return TYPE_NAMES.get(info.disk_type.name, info.disk_type.name.title())


#: Disks the lab makes itself (a VM's disk, checkpoints) carry the simulated clock as their
#: time stamp, so that runs repeat; those stamps are small. Disks made in the wizards carry
#: the wall clock. Below this (10 years after 2000), a stamp is the simulated clock.
SIMULATED_STAMPS_BELOW = 10 * 365 * 86_400


def created_text(seconds_since_2000: int) -> str:
    if 0 <= seconds_since_2000 < SIMULATED_STAMPS_BELOW:
        return f"{fmt.sim_time(seconds_since_2000)} (simulated clock)"
    when = VHD_EPOCH + dt.timedelta(seconds=int(seconds_since_2000))
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _swatch(colour: QColor, border: QColor) -> QLabel:
    pixmap = QPixmap(QSize(12, 12))
    pixmap.fill(colour)
    painter = QPainter(pixmap)
    painter.setPen(border)
    painter.drawRect(0, 0, 11, 11)
    painter.end()
    label = QLabel()
    label.setPixmap(pixmap)
    return label


class InspectDiskDialog(QDialog):
    """Shows one :class:`VhdInfo`. ``open_parent`` and ``open_edit`` are what Inspect Parent
    and Edit… do (the caller decides how dialogs are opened)."""

    def __init__(self, info: VhdInfo, parent: QWidget | None = None, *,
                 open_parent: Callable[[str], object] | None = None,
                 open_edit: Callable[[str], object] | None = None) -> None:
        super().__init__(parent)
        dialogs.dress(self, ids.INSPECT_DISK_DIALOG, "inspect-disk",
                      "Virtual Hard Disk Properties")
        self.info = info
        self._open_parent = open_parent
        self._open_edit = open_edit

        badge = QLabel()
        badge.setPixmap(icon("disk").pixmap(QSize(40, 40)))
        badge.setAlignment(Qt.AlignmentFlag.AlignTop)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(5)
        self.values: dict[str, QLabel] = {}
        rows = [
            ("Format", info.format),
            ("Type", type_name(info)),
            ("Location", os.path.dirname(info.path)),
            ("File Name", os.path.basename(info.path)),
            ("Current File Size", size_text(info.file_size)),
            ("Maximum Disk Size", size_text(info.maximum_size)),
        ]
        if info.parent_path is not None or info.disk_type.name == "DIFFERENCING":
            parent_text = info.parent_path or "(not recorded)"
            if not info.parent_found:
                parent_text += "  — not found"
            rows.append(("Parent", parent_text))
        for row, (label, value) in enumerate(rows):
            name = QLabel(f"{label}:")
            name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            text = QLabel(value)
            text.setWordWrap(label in ("Location", "Parent"))
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if label == "Current File Size":
                text.setToolTip(size_with_bytes(info.file_size))
            elif label == "Maximum Disk Size":
                text.setToolTip(size_with_bytes(info.maximum_size))
            if label == "Parent" and not info.parent_found:
                text.setStyleSheet(error_style())
            grid.addWidget(name, row, 0)
            grid.addWidget(text, row, 1)
            self.values[label] = text
        grid.setColumnStretch(1, 1)
        top = QHBoxLayout()
        top.setSpacing(14)
        top.addWidget(badge)
        top.addLayout(grid, 1)

        # hvlab: the block allocation picture and the disk's identity.
        group = QGroupBox("Block allocation")
        gl = QVBoxLayout(group)
        self.picture = AllocationPicture()
        self.picture.set_fill(info.block_fill, info.block_size)
        total, allocated = info.blocks_total, info.blocks_allocated
        share = 100.0 * allocated / total if total else 0.0
        if info.disk_type.name == "FIXED":
            summary = (f"A fixed size disk holds every block: {total:,} squares of "
                       f"{size_text(info.block_size)} make up its {size_text(info.maximum_size)}.")
        else:
            summary = (f"{allocated:,} of {total:,} blocks of {size_text(info.block_size)} are "
                       f"in the file ({share:.1f} %); the rest read as zeros"
                       + (" or come from the parent." if info.disk_type.name == "DIFFERENCING"
                          else "."))
        self.summary_label = wrapped(summary)
        pal = self.palette()
        legend = QHBoxLayout()
        legend.setSpacing(6)
        partial = QColor(FULL)
        base = pal.base().color()
        mix = PARTIAL_FLOOR + (1 - PARTIAL_FLOOR) * 0.4
        partial.setRgbF(base.redF() + (FULL.redF() - base.redF()) * mix,
                        base.greenF() + (FULL.greenF() - base.greenF()) * mix,
                        base.blueF() + (FULL.blueF() - base.blueF()) * mix)
        for colour, meaning in ((FULL, "All sectors written"), (partial, "Partly written"),
                                (base, "Not in the file")):
            legend.addWidget(_swatch(colour, pal.mid().color()))
            legend.addWidget(QLabel(meaning))
            legend.addSpacing(10)
        legend.addStretch(1)
        self.scale_label = QLabel(self.picture.scale_text())
        self.picture.scale_changed.connect(self.scale_label.setText)
        legend.addWidget(self.scale_label)
        gl.addWidget(self.summary_label)
        gl.addWidget(self.picture, 1)
        gl.addLayout(legend)

        ident = QGridLayout()
        ident.setHorizontalSpacing(14)
        for row, (label, value) in enumerate((
                ("Identifier", str(info.unique_id).upper()),
                ("Created", created_text(info.created)),
                ("Created by", info.creator),
                ("Block size", size_text(info.block_size) if info.disk_type.name != "FIXED"
                 else "— (fixed size)"))):
            name = QLabel(f"{label}:")
            text = QLabel(value)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            ident.addWidget(name, row, 0)
            ident.addWidget(text, row, 1)
            self.values[label] = text
        ident.setColumnStretch(1, 1)
        self.notes = wrapped("\n".join(info.notes))
        self.notes.setStyleSheet(error_style())
        self.notes.setVisible(bool(info.notes))

        self.inspect_parent = named_button("&Inspect Parent", ids.INSPECT_DISK_PARENT)
        self.inspect_parent.setVisible(info.disk_type.name == "DIFFERENCING")
        self.inspect_parent.setEnabled(info.parent_found and open_parent is not None)
        if not info.parent_found:
            self.inspect_parent.setToolTip("The parent cannot be found. Use Edit… to reconnect "
                                           "the disk to its parent.")
        self.inspect_parent.clicked.connect(self._on_inspect_parent)
        self.edit = named_button("&Edit…", ids.INSPECT_DISK_EDIT)
        self.edit.setToolTip("Open the Edit Virtual Hard Disk Wizard for this disk.")
        self.edit.setVisible(open_edit is not None)
        self.edit.clicked.connect(self._on_edit)
        close = named_button("Close", ids.INSPECT_DISK_CLOSE)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.inspect_parent)
        buttons.addWidget(self.edit)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(group, 1)
        layout.addLayout(ident)
        layout.addWidget(self.notes)
        layout.addLayout(buttons)
        self.resize(640, 620)

    def _on_inspect_parent(self) -> None:
        if self._open_parent is not None and self.info.parent_path:
            self._open_parent(self.info.parent_path)

    def _on_edit(self) -> None:
        if self._open_edit is not None:
            self._open_edit(self.info.path)
