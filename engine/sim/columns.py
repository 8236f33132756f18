"""A structure of numpy arrays with reusable rows: the base of the per-tick tables."""

from __future__ import annotations

from typing import ClassVar

import numpy as np


class ColumnTable:
    """Columns named in ``_COLUMNS`` (name -> dtype), one row per object, rows reused.

    Subclasses declare their columns and annotate them; rows are handed out lowest first so
    tables stay dense, and a released row is zeroed when it is handed out again.
    """

    _COLUMNS: ClassVar[dict[str, type]] = {}

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = 0
        self.size = 0  # one past the highest row ever used
        self._free: list[int] = []
        for name, dtype in self._COLUMNS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))
        self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        for name in self._COLUMNS:
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self._free.extend(range(capacity - 1, self.capacity - 1, -1))
        self.capacity = capacity

    def _allocate(self) -> int:
        """A zeroed row."""
        if not self._free:
            self._grow(max(64, self.capacity * 2))
        row = self._free.pop()
        for name in self._COLUMNS:
            getattr(self, name)[row] = 0
        self.size = max(self.size, row + 1)
        return row

    def _release(self, row: int) -> None:
        self._free.append(row)
        self._free.sort(reverse=True)
