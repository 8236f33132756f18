"""Guards against the PySide6 6.12.0 crash on Python 3.11.

PySide6 6.12.0 on Python 3.11 aborts the whole process ("Fatal Python error: bool_dealloc")
after a few hundred QAbstractItemModel.dataChanged emits. The VM list emits one ranged
dataChanged per tick, so hvlab would die within minutes; pyproject.toml keeps PySide6 below
6.12 on Python < 3.12. These tests emit far more than that, in the pytest process itself,
so a bad PySide6 takes the test run down instead of a user's lab.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView

ROWS = 100
COLUMNS = 10
EMITS = 10_000

_Index = QModelIndex | QPersistentModelIndex


class _Grid(QAbstractTableModel):
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else ROWS

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else COLUMNS

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return index.row() * COLUMNS + index.column()
        return None


@pytest.fixture
def grid(qapp: QApplication) -> _Grid:
    return _Grid()


def _full_range(model: _Grid) -> tuple[QModelIndex, QModelIndex]:
    return model.index(0, 0), model.index(ROWS - 1, COLUMNS - 1)


def test_many_full_range_data_changed_emits(grid: _Grid) -> None:
    seen: list[int] = []
    grid.dataChanged.connect(lambda top_left, bottom_right, roles: seen.append(len(roles)))
    view = QTableView()  # a C++ receiver too, as the VM list has
    view.setModel(grid)
    top_left, bottom_right = _full_range(grid)

    for _ in range(EMITS):
        grid.dataChanged.emit(top_left, bottom_right)

    assert len(seen) == EMITS
    assert set(seen) == {0}


def test_many_data_changed_emits_with_roles(grid: _Grid) -> None:
    seen: list[list[int]] = []
    grid.dataChanged.connect(lambda top_left, bottom_right, roles: seen.append(list(roles)))
    view = QTableView()
    view.setModel(grid)
    top_left, bottom_right = _full_range(grid)
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole]

    for _ in range(EMITS):
        grid.dataChanged.emit(top_left, bottom_right, roles)

    assert len(seen) == EMITS
    assert seen[-1] == roles


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the crash is seen on Python 3.11 only")
def test_pyside6_older_than_6_12_on_python_311() -> None:
    import PySide6

    assert PySide6.__version_info__[:2] < (6, 12), (
        f"PySide6 {PySide6.__version__} on Python 3.11 crashes on repeated dataChanged; "
        "pyproject.toml should keep it below 6.12"
    )
