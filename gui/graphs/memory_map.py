"""The host's physical memory map: one bar per NUMA node, extents coloured by owner.

Drawn with QPainter from ``ManagementApi.memory_map`` (extents in address order), so a
trainer sees where each partition's memory sits, not just how much it has: the
hypervisor and the root at the bottom of node 0, each VM's block on its node, and the free
gaps between them. Hovering an extent names its owner and size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from hvlab.gui import ids
from hvlab.gui.graphs import colours

_BAR_HEIGHT = 22
_ROW_GAP = 6
_SPECIAL = {"hypervisor": "Hypervisor", "root": "Root partition", "free": "Free"}


@dataclass(frozen=True)
class Extent:
    node: int
    start_mb: int
    size_mb: int
    owner: str  # "free", "hypervisor", "root" or a VM name


@dataclass(frozen=True)
class OwnerTotal:
    owner: str
    label: str
    colour: str
    mb: int


def owner_label(owner: str) -> str:
    return _SPECIAL.get(owner, owner)


class MemoryMapBar(QWidget):
    """Bars of host RAM per NUMA node. :meth:`set_map` takes the extents and the VM order
    (for stable colours); it repaints only when something changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.HOST_PERF_MEMORY)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._extents: tuple[Extent, ...] = ()
        self._vm_order: dict[str, int] = {}
        self._node_mb: dict[int, int] = {}
        self._hit: list[tuple[QRect, Extent]] = []

    # -- data -------------------------------------------------------------------------------
    def set_map(self, extents: Sequence[Extent], vm_names: Sequence[str]) -> bool:
        """Show ``extents``; ``vm_names`` in creation order fixes each VM's colour. Returns
        True when the map changed."""
        new = tuple(sorted(extents, key=lambda e: (e.node, e.start_mb)))
        order = {name: i for i, name in enumerate(vm_names)}
        if new == self._extents and order == self._vm_order:
            return False
        nodes_before = len(self._node_mb)
        self._extents = new
        self._vm_order = order
        self._node_mb = {}
        for e in new:
            self._node_mb[e.node] = self._node_mb.get(e.node, 0) + e.size_mb
        if len(self._node_mb) != nodes_before:
            self.updateGeometry()
        self.update()
        return True

    def colour_of(self, owner: str) -> str:
        if owner == "hypervisor":
            return colours.MEMORY_HYPERVISOR
        if owner == "root":
            return colours.MEMORY_ROOT
        if owner == "free":
            return ""
        return colours.vm_memory(self._vm_order.get(owner, len(self._vm_order)))

    def totals(self) -> list[OwnerTotal]:
        """MB per owner: hypervisor, root, the VMs (largest first), free."""
        mb: dict[str, int] = {}
        for e in self._extents:
            mb[e.owner] = mb.get(e.owner, 0) + e.size_mb
        vms = sorted((o for o in mb if o not in _SPECIAL), key=lambda o: (-mb[o], o))
        ordered = [o for o in ("hypervisor", "root") if o in mb] + vms
        ordered += ["free"] if "free" in mb else []
        return [OwnerTotal(o, owner_label(o), self.colour_of(o), mb[o]) for o in ordered]

    @property
    def extents(self) -> tuple[Extent, ...]:
        return self._extents

    # -- painting -----------------------------------------------------------------------------
    def _label_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("Node 0 ") + 4

    def sizeHint(self) -> QSize:
        rows = max(len(self._node_mb), 1)
        return QSize(320, rows * (_BAR_HEIGHT + _ROW_GAP) + _ROW_GAP)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        frame = palette.color(QPalette.ColorRole.Mid)
        free = palette.color(QPalette.ColorRole.Base)
        label_w = self._label_width()
        width = max(self.width() - label_w - 2, 10)
        self._hit = []
        fm = self.fontMetrics()
        for row, (node, total) in enumerate(sorted(self._node_mb.items())):
            top = _ROW_GAP // 2 + row * (_BAR_HEIGHT + _ROW_GAP)
            painter.setPen(text)
            painter.drawText(QRect(0, top, label_w, _BAR_HEIGHT),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             f"Node {node}")
            bar = QRectF(label_w, top, width, _BAR_HEIGHT)
            painter.fillRect(bar, free)
            for e in self._extents:
                if e.node != node:
                    continue
                x0 = bar.left() + e.start_mb / total * width
                x1 = bar.left() + (e.start_mb + e.size_mb) / total * width
                rect = QRectF(x0, bar.top(), max(x1 - x0, 1.0), bar.height()).toAlignedRect()
                self._hit.append((rect, e))
                colour = self.colour_of(e.owner)
                if not colour:
                    continue
                painter.fillRect(rect, QColor(colour))
                name = owner_label(e.owner) if e.owner != "root" else "Root"
                if fm.horizontalAdvance(name) + 6 <= rect.width():
                    painter.setPen(QColor("#ffffff"))
                    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), name)
            painter.setPen(QPen(frame, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(bar.toAlignedRect().adjusted(0, 0, -1, -1))
        painter.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            for rect, e in self._hit:
                if rect.contains(event.pos()):
                    QToolTip.showText(event.globalPos(), self.describe(e), self)
                    return True
            QToolTip.hideText()
            event.ignore()
            return True
        return super().event(event)

    @staticmethod
    def describe(e: Extent) -> str:
        return (f"{owner_label(e.owner)}: {e.size_mb:,} MB on NUMA node {e.node} "
                f"({e.start_mb:,}-{e.start_mb + e.size_mb:,} MB)")
