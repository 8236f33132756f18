"""An exercise's grade in the console: the score, each check passed or failed with what the
lab shows, and the hints only when the learner asks for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.gui import ids

if TYPE_CHECKING:
    from hvlab.engine.lessons import Grade

_PASSED, _FAILED = QColor("#1a7f37"), QColor("#cf222e")


class GradeDialog(QDialog):
    """``grade`` and ``with_hints`` (the same grade with the hints of failed checks)."""

    def __init__(self, parent: QWidget | None, grade: Grade, with_hints: Grade) -> None:
        super().__init__(parent)
        ids.apply(self, ids.GRADE_DIALOG)
        self.setWindowTitle(f"Exercise: {grade.title}")
        self._grade, self._with_hints = grade, with_hints
        layout = QVBoxLayout(self)
        self.score = QLabel(f"<h2>{grade.score_percent:.0f} %</h2>{grade.points} of "
                            f"{grade.total} points")
        ids.apply(self.score, ids.GRADE_SCORE)
        self.table = QTableWidget(len(grade.checks), 3)
        ids.apply(self.table, ids.GRADE_CHECKS)
        self.table.setHorizontalHeaderLabels(["Result", "Check", "What the lab shows"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.hints = QCheckBox("Show &hints for the failed checks")
        ids.apply(self.hints, ids.GRADE_HINTS)
        self.hints.toggled.connect(self._fill)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for widget in (self.score, self.table, self.hints, buttons):
            layout.addWidget(widget, 1 if widget is self.table else 0)
        self._fill(False)
        self.resize(900, 420)

    def _fill(self, hints: bool) -> None:
        grade = self._with_hints if hints else self._grade
        for row, check in enumerate(grade.checks):
            result = QTableWidgetItem("Passed" if check.passed else "Failed")
            result.setForeground(_PASSED if check.passed else _FAILED)
            shown = "" if check.passed else check.observed
            if check.hint:
                shown += f"\nHint: {check.hint}"
            for column, item in enumerate((result, QTableWidgetItem(check.label),
                                           QTableWidgetItem(shown))):
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
