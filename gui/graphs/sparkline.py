"""The VM list's optional "CPU History" column: a sparkline per row, painted with QPainter.

No pyqtgraph in the list: a graphics scene per cell would cost far more than the cell.
:class:`CpuHistoryRing` keeps the last :data:`SECONDS` seconds of every VM's CPU Usage in one
numpy array, filled from the bulk snapshot of each tick (one vectorised write, whatever the
number of VMs); :class:`CpuSparklineDelegate` draws a row's ring, and only rows on screen are
painted. The scale is fixed, 0-100 % of the host, the same unit as the CPU Usage column.

numpy is imported inside the methods: this module loads with the main window, before the
lab (and numpy) are, so that the window paints first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from hvlab.gui import format as fmt
from hvlab.gui.vmlist import VM_ID_ROLE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from hvlab.engine.api import VmTableSnapshot

#: Seconds of history a sparkline shows.
SECONDS = 60


class CpuHistoryRing:
    """The last :data:`SECONDS` whole simulated seconds of CPU Usage (% of host) per VM.

    Slot ``s % SECONDS`` holds second ``s``. When a tick jumps several seconds (fast
    forward, a manual step) the skipped seconds take the new value, so the time axis stays
    true at any clock speed. Off and Saved VMs have no value (NaN): no line is drawn.
    """

    def __init__(self, seconds: int = SECONDS) -> None:
        self.seconds = seconds
        self._rows: dict[str, int] = {}
        self._ids: tuple[str, ...] = ()
        self._data: npt.NDArray[np.float32] | None = None
        self.last_second: int | None = None

    def update(self, snap: VmTableSnapshot) -> bool:
        """Take a tick's snapshot; True when a new second began (the column needs a repaint)."""
        import numpy as np

        n = self.seconds
        if self._data is None or snap.ids != self._ids:
            self._remap(snap.ids)
        assert self._data is not None
        live = np.fromiter((fmt.shows_live_figures(s) for s in snap.states), dtype=bool,
                           count=len(snap.states))
        values = np.where(live, snap.cpu_usage_percent, np.nan).astype(np.float32)
        second = int(snap.time_us // 1_000_000)
        last = self.last_second
        if last is None or second - last >= n or second < last:
            if last is None or second < last:
                self._data[:] = np.nan
            else:
                self._data[:, :] = values[:, None]
            self._data[:, second % n] = values
        elif second > last:
            slots = np.arange(last + 1, second + 1) % n
            self._data[:, slots] = values[:, None]
        else:
            self._data[:, second % n] = values
        self.last_second = second
        return last is None or second != last

    def _remap(self, ids: tuple[str, ...]) -> None:
        import numpy as np

        new = np.full((len(ids), self.seconds), np.nan, dtype=np.float32)
        if self._data is not None:
            for row, vm_id in enumerate(ids):
                old = self._rows.get(vm_id)
                if old is not None:
                    new[row] = self._data[old]
        self._data = new
        self._ids = ids
        self._rows = {vm_id: row for row, vm_id in enumerate(ids)}

    def series(self, vm_id: str) -> npt.NDArray[np.float32] | None:
        """Oldest to newest (NaN where unknown), or None for an unknown VM."""
        import numpy as np

        row = self._rows.get(vm_id)
        if row is None or self._data is None or self.last_second is None:
            return None
        order = (self.last_second + 1 + np.arange(self.seconds)) % self.seconds
        out: npt.NDArray[np.float32] = self._data[row, order]
        return out


class CpuSparklineDelegate(QStyledItemDelegate):
    """Paints :class:`CpuHistoryRing` rows in one column of the VM list."""

    def __init__(self, ring: CpuHistoryRing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ring = ring
        self.paints = 0  # rows painted, for tests and the benchmark

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)  # background, selection, focus (no text)
        values = self.ring.series(str(index.data(VM_ID_ROLE)))
        if values is None:
            return
        self.paints += 1
        rect: QRect = option.rect.adjusted(4, 3, -4, -3)
        if rect.width() < 8 or rect.height() < 4:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        colour = QColor(palette.highlightedText().color() if selected
                        else palette.link().color())
        n = len(values)
        step = (rect.width() - 1) / max(n - 1, 1)
        bottom = rect.bottom()
        height = rect.height() - 1
        line = QPolygonF()
        runs: list[QPolygonF] = []
        for i, v in enumerate(values.tolist()):
            if v != v:  # NaN: the VM was off; break the line
                if line.size():
                    runs.append(line)
                    line = QPolygonF()
                continue
            y = bottom - min(max(v, 0.0), 100.0) / 100.0 * height
            line.append(QPointF(rect.left() + i * step, y))
        if line.size():
            runs.append(line)
        if not runs:
            return
        painter.save()
        baseline = QColor(colour)
        baseline.setAlpha(70)
        painter.setPen(QPen(baseline, 1))
        painter.drawLine(rect.left(), bottom, rect.right(), bottom)
        fill = QColor(colour)
        fill.setAlpha(60)
        for run in runs:
            area = QPolygonF(run)
            area.append(QPointF(run.last().x(), bottom))
            area.append(QPointF(run.first().x(), bottom))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawPolygon(area)
            painter.setPen(QPen(colour, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPolyline(run)
        painter.restore()

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView,
                  option: QStyleOptionViewItem,
                  index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return super().helpEvent(event, view, option, index)
        QToolTip.showText(event.globalPos(), self.tooltip(str(index.data(VM_ID_ROLE))), view)
        return True

    def tooltip(self, vm_id: str) -> str:
        import numpy as np

        values = self.ring.series(vm_id)
        if values is None or not np.isfinite(values).any():
            return "No CPU usage recorded in the last minute."
        seen: Any = values[np.isfinite(values)]
        return (f"CPU Usage, last {self.ring.seconds} s: minimum {fmt.cpu_percent(seen.min())}, "
                f"average {fmt.cpu_percent(seen.mean())}, maximum {fmt.cpu_percent(seen.max())}")
