"""The details pane's Performance tab: empty until first shown, then the VM's graphs.

Neither pyqtgraph nor numpy is imported here: :mod:`hvlab.gui.graphs.vm_performance` loads the
first time the tab is shown, so the main window still paints before either is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hvlab.gui import ids

if TYPE_CHECKING:
    from hvlab.engine.api import VmInfo
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.graphs.vm_performance import VmPerformanceView


class VmPerformancePage(QWidget):
    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.DETAILS_PERFORMANCE)
        self._bridge = bridge
        self._vm: VmInfo | None = None
        self.view: VmPerformanceView | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._placeholder = QLabel("Loading the graphs…")
        self._placeholder.setProperty("role", "note")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder)

    def show_vm(self, vm: VmInfo | None) -> None:
        """The details pane's VM, each tick (None: nothing selected)."""
        self._vm = vm
        if self.view is not None:
            self.view.show_vm(vm)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._build()

    def _build(self) -> None:
        if self.view is not None:
            return
        from hvlab.gui.graphs.vm_performance import VmPerformanceView

        self.view = VmPerformanceView(self._bridge, self)
        self._layout.removeWidget(self._placeholder)
        self._placeholder.deleteLater()
        self._layout.addWidget(self.view)
        self.view.show()  # a layout would only show it from the event loop
        self.view.show_vm(self._vm)
