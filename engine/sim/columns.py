"""A structure of numpy arrays with reusable rows: the base of the per-tick tables."""

from __future__ import annotations

from typing import Any, ClassVar, get_args, get_origin, get_type_hints

import numpy as np


class ColumnTable:
    """Columns of numpy arrays, one row per object, rows reused.

    A subclass declares each column once, as a class annotation ``name: npt.NDArray[dtype]``;
    ``_COLUMNS`` (name -> dtype) is read from those annotations.  Rows are handed out lowest
    first so tables stay dense, and a released row is zeroed when it is handed out again.
    """

    _COLUMNS: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._COLUMNS = {name: _dtype_of(hint) for name, hint in get_type_hints(cls).items()
                        if get_origin(hint) is np.ndarray}

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


def _dtype_of(hint: Any) -> type:
    """The scalar type of ``npt.NDArray[dtype]`` (``ndarray[shape, np.dtype[dtype]]``)."""
    scalar: type = get_args(get_args(hint)[-1])[0]
    return scalar
