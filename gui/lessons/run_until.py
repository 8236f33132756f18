"""Clock ▸ Run Until…: how long to run the clock at most, and what stops it early: nothing,
a VM changing state, or a value (the root partition's processor use, a VM's processor use,
free memory …) rising above or falling below a threshold.

The values are the engine's :data:`hvlab.engine.lessons.THRESHOLDS`, each said in the plain
words the lessons use; the run itself is :func:`hvlab.engine.lessons.run_until`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QWidget,
)

from hvlab.gui import dialogs, ids

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi
    from hvlab.engine.lessons import Condition

#: What can stop the run early, in the order the list shows them.
STOP_NOTHING, STOP_STATE_CHANGE, STOP_THRESHOLD = range(3)


class RunUntilDialog(QDialog):
    def __init__(self, parent: QWidget | None, api: ManagementApi, *,
                 state_change: bool = False) -> None:
        super().__init__(parent)
        ids.apply(self, ids.RUN_UNTIL_DIALOG)
        self.setWindowTitle("Run Until")
        self._api = api
        self.seconds = QDoubleSpinBox()
        ids.apply(self.seconds, ids.RUN_UNTIL_SECONDS)
        self.seconds.setRange(1.0, 86_400.0)
        self.seconds.setDecimals(0)
        self.seconds.setValue(60.0)
        self.seconds.setSuffix(" s")
        self.stop = QComboBox()
        ids.apply(self.stop, ids.RUN_UNTIL_STOP)
        self.stop.addItems(["Nothing: run the whole time", "A virtual machine changes state",
                            "A value rises above or falls below a threshold"])
        self.stop.setCurrentIndex(STOP_STATE_CHANGE if state_change else STOP_NOTHING)
        self.subject = QComboBox()
        ids.apply(self.subject, ids.RUN_UNTIL_SUBJECT)
        for host in api.hosts():
            self.subject.addItem(f"Host {host.name}", ("host", host.name))
        for vm in api.vms():
            self.subject.addItem(vm.name, ("vm", vm.name))
        self.value = QComboBox()
        ids.apply(self.value, ids.RUN_UNTIL_PROPERTY)
        self.direction = QComboBox()
        ids.apply(self.direction, ids.RUN_UNTIL_DIRECTION)
        self.direction.addItems(["rises above", "falls below"])
        self.threshold = QDoubleSpinBox()
        ids.apply(self.threshold, ids.RUN_UNTIL_THRESHOLD)
        self.threshold.setRange(-1e9, 1e9)
        self.threshold.setDecimals(1)
        self.threshold.setValue(80.0)
        crossing = QHBoxLayout()
        crossing.addWidget(self.direction)
        crossing.addWidget(self.threshold, 1)
        form = QFormLayout(self)
        form.addRow("Run for at &most:", self.seconds)
        form.addRow("&Stop early when:", self.stop)
        form.addRow("&Host or VM:", self.subject)
        form.addRow("&Value:", self.value)
        form.addRow("&Crosses:", crossing)
        buttons, _ok, _cancel = dialogs.ok_cancel((ids.RUN_UNTIL_OK, ids.RUN_UNTIL_CANCEL))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.subject.currentIndexChanged.connect(self._fill_values)
        self.stop.currentIndexChanged.connect(self._enable)
        self._fill_values()
        self._enable()

    def _fill_values(self) -> None:
        from hvlab.engine.lessons import THRESHOLDS, property_words

        kind, name = self.subject.currentData() or ("host", None)
        self.value.clear()
        for subject, path in THRESHOLDS:
            if subject == kind:
                words = property_words(kind, name, path.split("."))
                self.value.addItem(words[:1].upper() + words[1:], path)

    def _enable(self) -> None:
        on = self.stop.currentIndex() == STOP_THRESHOLD
        for widget in (self.subject, self.value, self.direction, self.threshold):
            widget.setEnabled(on)

    @property
    def on_state_change(self) -> bool:
        return self.stop.currentIndex() == STOP_STATE_CHANGE

    def condition(self) -> Condition | None:
        """The threshold to stop on, if that is what was chosen."""
        from hvlab.engine.lessons import threshold

        if self.stop.currentIndex() != STOP_THRESHOLD or self.subject.currentData() is None:
            return None
        kind, name = self.subject.currentData()
        return threshold(kind, name, self.value.currentData(),
                         above=self.direction.currentIndex() == 0,
                         value=self.threshold.value())
