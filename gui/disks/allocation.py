"""The block allocation picture of a virtual hard disk (hvlab's addition to Inspect Disk).

A grid painted with QPainter: one square per block of the disk, or per run of blocks when
the disk has more blocks than fit (each square then shows the mean fill of its run). An
empty square is a block the file does not hold; a full one a block whose sectors are all
written in this file; shades between are partly written blocks (differencing disks hold
single sectors). The fill comes from ``VhdInfo.block_fill`` (0.0–1.0 per block).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from hvlab.gui import ids
from hvlab.gui.disks.sizes import size_text

#: Squares are at least this many pixels wide (and at most MAX_CELL); runs of blocks
#: share a square when the disk has more blocks than fit.
MIN_CELL = 6
MAX_CELL = 16
#: Colours of an allocated block (full) and the outline of the grid.
FULL = QColor("#1e88e5")
PARTIAL_FLOOR = 0.4  # a block with one written sector still shows clearly


def layout_grid(cells_needed: int, width: int, height: int) -> tuple[int, int, int, int]:
    """(blocks per square, squares, columns, square size in px) for ``cells_needed`` blocks
    in a ``width``×``height`` area."""
    width, height = max(width, MIN_CELL), max(height, MIN_CELL)
    capacity = max(1, (width // MIN_CELL) * (height // MIN_CELL))
    per_cell = max(1, math.ceil(cells_needed / capacity))
    cells = max(1, math.ceil(cells_needed / per_cell))
    size = min(MAX_CELL, max(MIN_CELL, int(math.sqrt(width * height / cells))))
    while size > MIN_CELL:
        cols = max(1, width // size)
        if math.ceil(cells / cols) * size <= height:
            break
        size -= 1
    cols = max(1, min(cells, width // size))
    return per_cell, cells, cols, size


def squares(fill: npt.NDArray[np.float32], per_cell: int) -> npt.NDArray[np.float32]:
    """Mean fill of each run of ``per_cell`` blocks (the last run may be shorter)."""
    n = fill.size
    cells = math.ceil(n / per_cell) if n else 0
    padded = np.zeros(cells * per_cell, dtype=np.float32)
    padded[:n] = fill
    sums = padded.reshape(cells, per_cell).sum(axis=1)
    counts = np.full(cells, per_cell, dtype=np.float32)
    if cells and n % per_cell:
        counts[-1] = n % per_cell
    out: npt.NDArray[np.float32] = (sums / np.maximum(counts, 1)).astype(np.float32)
    return out


class AllocationPicture(QWidget):
    """Paints ``block_fill``; :attr:`per_cell` and :attr:`cells` say how it is drawn.

    Signals:
        scale_changed(str): what one square stands for ("One square per 4 blocks (8 MB)").
    """

    scale_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.INSPECT_DISK_PICTURE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(300, 180)
        self._fill: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._block_size = 0
        self.per_cell = 1
        self.cells = 0
        self._scale_sent = False

    def sizeHint(self) -> QSize:
        return QSize(520, 200)

    def set_fill(self, fill: npt.NDArray[np.float32], block_size: int) -> None:
        self._fill = np.asarray(fill, dtype=np.float32)
        self._block_size = block_size
        self._update_description()
        self._update_scale()
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_scale()

    def scale_text(self) -> str:
        if self.per_cell == 1:
            return "One square per block"
        return (f"One square per {self.per_cell:,} blocks "
                f"({size_text(self.per_cell * self._block_size)})")

    def _update_scale(self) -> None:
        area = self.grid_rect()
        before = (self.per_cell, self.cells)
        self.per_cell, self.cells, _cols, _size = layout_grid(
            max(1, self._fill.size), area.width(), area.height())
        if (self.per_cell, self.cells) != before or not self._scale_sent:
            self._scale_sent = True
            self.scale_changed.emit(self.scale_text())

    @property
    def fill(self) -> npt.NDArray[np.float32]:
        return self._fill

    def _update_description(self) -> None:
        n = self._fill.size
        allocated = int(np.count_nonzero(self._fill))
        self.setAccessibleDescription(
            f"{allocated:,} of {n:,} blocks of {size_text(self._block_size)} hold data.")
        self.setToolTip(self.accessibleDescription())

    def grid_rect(self) -> QRect:
        return self.rect().adjusted(1, 1, -1, -1)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = self.grid_rect()
        pal = self.palette()
        empty = pal.base().color()
        line = pal.mid().color()
        painter.fillRect(self.rect(), pal.window().color())
        n = self._fill.size
        if n == 0:
            painter.setPen(pal.text().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No blocks")
            return
        per_cell, cells, cols, size = layout_grid(n, area.width(), area.height())
        values = squares(self._fill, per_cell)
        rows = math.ceil(cells / cols)
        # One pixel per square, scaled up without smoothing: crisp squares at any count.
        shade = np.where(values > 0, PARTIAL_FLOOR + (1 - PARTIAL_FLOOR) * values, 0.0)
        e = np.array([empty.red(), empty.green(), empty.blue()], dtype=np.float32)
        f = np.array([FULL.red(), FULL.green(), FULL.blue()], dtype=np.float32)
        rgb = e + (f - e) * shade[:, None]
        pixels = np.zeros((rows * cols, 4), dtype=np.uint8)
        pixels[:cells, 0] = rgb[:, 2]  # QImage Format_ARGB32 is BGRA in memory
        pixels[:cells, 1] = rgb[:, 1]
        pixels[:cells, 2] = rgb[:, 0]
        pixels[:cells, 3] = 255
        image = QImage(pixels.tobytes(), cols, rows, cols * 4, QImage.Format.Format_ARGB32)
        target = QRect(area.left(), area.top(), cols * size, rows * size)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(target, image)
        painter.setPen(QPen(line, 1))
        # Grid lines around the squares that exist (the last row may be short).
        left, top = target.left(), target.top()
        last = cells - (rows - 1) * cols  # squares in the last row
        step = size if size >= 6 else 0  # small squares: an outline only
        for r in range(rows + 1):
            width = cols if r < rows else last
            y = top + r * size
            if step or r in (0, rows) or (r == rows - 1 and last < cols):
                painter.drawLine(left, y, left + width * size, y)
        for c in range(cols + 1):
            x = left + c * size
            depth = rows if c <= last else rows - 1
            if step or c in (0, cols, last):
                painter.drawLine(x, top, x, top + depth * size)
        painter.end()
