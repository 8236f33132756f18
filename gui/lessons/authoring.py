"""New Exercise from This Lab…: a trainer captures the lab in front as an exercise's target.

The dialog lists the lab's hosts (their settings and each virtual switch) and VMs with the
properties an exercise can check (and their values now); the trainer ticks the ones that
count, writes the title, the statement and a hint per check, and saves the exercise file
(``hvlab.exercise`` JSON, docs/lessons.md). The checks hold on the lab as it is, so grading
it gives 100 %.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi
    from hvlab.engine.lessons import Pick

_PICK = Qt.ItemDataRole.UserRole  # (subject, name, property) of a property row


class ExerciseAuthoringDialog(QDialog):
    def __init__(self, parent: QWidget | None, api: ManagementApi) -> None:
        super().__init__(parent)
        ids.apply(self, ids.AUTHOR_DIALOG)
        self.setWindowTitle("New Exercise from This Lab")
        self._api = api
        self._hints: dict[tuple[str, str, str], str] = {}
        self.title = QLineEdit()
        ids.apply(self.title, ids.AUTHOR_TITLE)
        self.statement = QPlainTextEdit()
        ids.apply(self.statement, ids.AUTHOR_STATEMENT)
        self.statement.setFixedHeight(self.fontMetrics().height() * 4)
        self.tree = QTreeWidget()
        ids.apply(self.tree, ids.AUTHOR_PROPERTIES)
        self.tree.setHeaderLabels(["Host or virtual machine, and property", "Value now"])
        self._fill(api)
        self.tree.resizeColumnToContents(0)
        self.hint = QLineEdit()
        ids.apply(self.hint, ids.AUTHOR_HINT)
        self.hint.setPlaceholderText("A hint for the selected property (optional)")
        self.hint.textEdited.connect(self._on_hint_edited)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        for button, name in ((QDialogButtonBox.StandardButton.Save, ids.AUTHOR_SAVE),
                             (QDialogButtonBox.StandardButton.Cancel, ids.AUTHOR_CANCEL)):
            widget = buttons.button(button)
            assert widget is not None
            ids.apply(widget, name)
        buttons.accepted.connect(self.ask_save)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&Title:", self.title)
        form.addRow("&Statement:", self.statement)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.resize(760, 620)

    def _fill(self, api: ManagementApi) -> None:
        """A branch per host (its settings, then its virtual switches') and per VM."""
        from hvlab.engine.lessons import VM_PROPERTIES, host_properties

        for host in api.hosts():
            self._branch(f"Host {host.name}", host.profile_name, "host", host.name,
                         host_properties(api, host.name))
        for vm in api.vms():
            self._branch(vm.name, vm.state, "vm", vm.name, list(VM_PROPERTIES))

    def _branch(self, title: str, summary: str, subject: str, name: str,
                props: list[str]) -> None:
        from hvlab.engine.lessons import read_property

        parent_item = QTreeWidgetItem(self.tree, [title, summary])
        parent_item.setData(0, _PICK, None)
        for prop in props:
            try:
                value = read_property(self._api, subject, name, prop)
            except HvError:
                continue  # no such value here (a VM without a network adapter)
            item = QTreeWidgetItem(parent_item, [prop, str(value)])
            item.setData(0, _PICK, (subject, name, prop))
            item.setCheckState(0, Qt.CheckState.Unchecked)

    def _on_current_changed(self, item: QTreeWidgetItem | None, _old: object) -> None:
        pick = item.data(0, _PICK) if item is not None else None
        self.hint.setEnabled(pick is not None)
        self.hint.setText(self._hints.get(tuple(pick), "") if pick else "")

    def _on_hint_edited(self, text: str) -> None:
        item = self.tree.currentItem()
        pick = item.data(0, _PICK) if item is not None else None
        if pick:
            self._hints[tuple(pick)] = text

    def picks(self) -> list[Pick]:
        """The ticked properties, hosts first, each with its hint."""
        from hvlab.engine.lessons import Pick

        out = []
        for i in range(self.tree.topLevelItemCount()):
            branch = self.tree.topLevelItem(i)
            if branch is None:
                continue
            for j in range(branch.childCount()):
                child = branch.child(j)
                if child is not None and child.checkState(0) == Qt.CheckState.Checked:
                    subject, name, prop = child.data(0, _PICK)
                    out.append(Pick(subject, name, prop,
                                    self._hints.get((subject, name, prop), "")))
        return out

    def exercise_data(self) -> dict[str, Any]:
        """The exercise as data (raises the engine's ValidationError for what is missing)."""
        from hvlab.engine.lessons import exercise_from_lab

        return exercise_from_lab(self._api, title=self.title.text(),
                                 statement=self.statement.toPlainText(), picks=self.picks())

    def ask_save(self) -> None:
        try:
            data = self.exercise_data()
        except HvError as err:
            dialogs.show_error(self, err)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save Exercise", "exercise.json",
                                              "Exercises (*.json)")
        if path:
            self.save(Path(path), data)

    def save(self, path: Path, data: dict[str, Any]) -> None:
        try:
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        except OSError as err:
            dialogs.show_error(self, f"The exercise could not be saved to {path}: "
                                     f"{err.strerror}.")
            return
        self.accept()
