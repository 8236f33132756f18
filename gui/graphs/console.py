"""Where the performance views plug into the main window (which imports only this).

:class:`PerformanceViews` owns the entry points: View ▸ Host Performance (a dock with
:class:`~hvlab.gui.graphs.dashboard.HostDashboard`), View ▸ Performance Monitor…, Help ▸ Demos ▸
CPU Contention, the VM list's CPU History column, and it feeds all of them from the bridge's
tick. It is given only what it works with: the window that holds its dock, the VM list whose
column it paints, the host tree (which host to show) and the CPU History column's action.
The details pane's Performance tab is :mod:`hvlab.gui.graphs.vm_page`.

Neither pyqtgraph nor numpy is imported here: the graphs' modules load on first show, so the
main window still paints before the lab and pyqtgraph are loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTableView

from hvlab.gui import ids
from hvlab.gui.icons import icon
from hvlab.gui.lab_part import LabPart
from hvlab.gui.vmlist import COLUMN_INDEX

if TYPE_CHECKING:
    from hvlab.engine.api import VmTableSnapshot
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.graphs.dashboard import HostDashboard
    from hvlab.gui.graphs.perfmon import PerformanceMonitor
    from hvlab.gui.graphs.sparkline import CpuHistoryRing, CpuSparklineDelegate
    from hvlab.gui.host_tree import HostTree

#: The VM list column the sparkline delegate paints.
SPARKLINE_COLUMN = COLUMN_INDEX["cpu_history"]


class PerformanceViews(LabPart, QObject):
    """The console's performance entry points and their feed from the bridge.

    Signals:
        lab_requested(ManagementApi): a demo's lab, to show in a window of its own.
    """

    lab_requested = Signal(object)

    def __init__(self, window: QMainWindow, vm_list: QTableView, hosts: HostTree,
                 cpu_history_column: QAction) -> None:
        super().__init__(window)
        self._window = window
        self._vm_list = vm_list
        self._hosts = hosts
        self._cpu_history_column = cpu_history_column
        self.dashboard: HostDashboard | None = None
        self.perfmon: PerformanceMonitor | None = None

        self.dock = QDockWidget("Host Performance", window)
        ids.apply(self.dock, ids.HOST_PERF_DOCK)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._on_dock_visibility)
        self._dock_sized = False
        self.dashboard_action = self.dock.toggleViewAction()
        self.dashboard_action.setText("Host &Performance")
        self.dashboard_action.setIcon(icon("host-performance"))
        self.dashboard_action.setStatusTip(
            "Show how the host's logical processors and memory are used, over time.")
        self.dashboard_action.setToolTip("Host Performance: logical processors stacked by "
                                         "guest, hypervisor and root; the memory map.")
        ids.apply(self.dashboard_action, ids.ACT_SHOW_HOST_PERFORMANCE)
        self.perfmon_action = QAction(icon("performance-monitor"), "Performance &Monitor…",
                                      window)
        self.perfmon_action.setIconText("Performance Monitor…")
        ids.apply(self.perfmon_action, ids.ACT_PERFORMANCE_MONITOR)
        self.perfmon_action.setStatusTip(
            "Graph Hyper-V performance counters and save them as a PDH-CSV log.")
        self.perfmon_action.triggered.connect(self.open_perfmon)
        self.contention_action = QAction(icon("demo"), "&CPU Contention", window)
        ids.apply(self.contention_action, ids.ACT_DEMO_CONTENTION)
        self.contention_action.setStatusTip(
            "Open, in a window of its own, a host with 2 logical processors and three CPU "
            "burners weighted 100/200/400, and watch them share it (your lab is not changed).")
        self.contention_action.triggered.connect(self.load_contention_demo)
        self.wait_for_lab([self.dashboard_action, self.perfmon_action, self.contention_action])

        # The CPU History column's ring and delegate come with the lab (attach).
        self.cpu_ring: CpuHistoryRing | None = None
        self.sparkline: CpuSparklineDelegate | None = None

    # -- menus ----------------------------------------------------------------------------------
    def add_to_view_menu(self, menu: QMenu) -> None:
        menu.addAction(self.dashboard_action)
        menu.addAction(self.perfmon_action)

    def add_demos_menu(self, menu: QMenu) -> QMenu:
        demos = QMenu("&Demos", menu)
        ids.apply(demos, ids.MENU_DEMOS)
        ids.apply(demos.menuAction(), ids.MENU_DEMOS_ACTION)
        demos.setToolTipsVisible(True)
        demos.addAction(self.contention_action)
        menu.addSeparator()
        menu.addMenu(demos)
        return demos

    # -- the lab ---------------------------------------------------------------------------------
    def attach(self, bridge: Bridge) -> None:
        from hvlab.gui.graphs.sparkline import CpuHistoryRing, CpuSparklineDelegate

        super().attach(bridge)
        self.cpu_ring = CpuHistoryRing()
        self.sparkline = CpuSparklineDelegate(self.cpu_ring, self._vm_list)
        self._vm_list.setItemDelegateForColumn(SPARKLINE_COLUMN, self.sparkline)
        bridge.tick.connect(self._on_tick)
        bridge.host_changed.connect(self._on_host_changed)
        self._on_tick(bridge.snapshot)
        from hvlab.gui.graphs.demos import is_contention_lab

        if is_contention_lab(bridge.api):  # the contention demo: show what it is for
            QTimer.singleShot(0, self.show_contention)

    def _on_tick(self, snap: VmTableSnapshot) -> None:
        if self.cpu_ring is not None and self.cpu_ring.update(snap):
            self._repaint_sparklines()
        if self.dashboard is not None:
            self.dashboard.on_tick(snap)
        if self.perfmon is not None:
            self.perfmon.on_tick(snap)

    def _repaint_sparklines(self) -> None:
        view = self._vm_list
        if view.isColumnHidden(SPARKLINE_COLUMN):
            return
        x = view.columnViewportPosition(SPARKLINE_COLUMN)
        viewport = view.viewport()
        view.viewport().update(QRect(x, 0, view.columnWidth(SPARKLINE_COLUMN),
                                     viewport.height()))

    def _on_host_changed(self, _host: str, _what: str) -> None:
        if self.dashboard is not None:
            self.dashboard.reload_hosts()

    # -- the views ---------------------------------------------------------------------------------
    def show_dashboard(self, host_id: str | None = None) -> HostDashboard:
        """Show the Host Performance dock (building it the first time)."""
        dashboard = self._ensure_dashboard()
        self.dock.show()
        self.dock.raise_()
        if host_id:
            dashboard.set_host(host_id)
        return dashboard

    def _ensure_dashboard(self) -> HostDashboard:
        if self.dashboard is None:
            from hvlab.gui.graphs.dashboard import HostDashboard

            self.dashboard = HostDashboard(self.bridge, self.dock)
            self.dashboard.on_tick(self.bridge.snapshot)
            self.dock.setWidget(self.dashboard)
        return self.dashboard

    def _on_dock_visibility(self, visible: bool) -> None:
        if not visible or self._bridge is None:
            return
        self._ensure_dashboard()
        if not self._dock_sized and not self.dock.isFloating():
            self._dock_sized = True
            self._window.resizeDocks([self.dock], [17 * self._window.fontMetrics().height()],
                                     Qt.Orientation.Vertical)

    def open_perfmon(self) -> PerformanceMonitor:
        """Show the Performance Monitor window (one per console)."""
        if self.perfmon is None:
            from hvlab.gui.graphs.perfmon import PerformanceMonitor

            self.perfmon = PerformanceMonitor(self.bridge, self._window)
            host = self.bridge.api.host(self._hosts.selected_host_id() or None)
            self.perfmon.add_counter(
                f"\\\\{host.name}\\Hyper-V Hypervisor Logical Processor(_Total)"
                "\\% Total Run Time")
        self.perfmon.show()
        self.perfmon.raise_()
        self.perfmon.activateWindow()
        return self.perfmon

    def load_contention_demo(self) -> None:
        """Help ▸ Demos ▸ CPU Contention: the contention lab, built in memory, for a window
        of its own (:attr:`lab_requested`); the lab open here is not changed."""
        from hvlab.gui.graphs.demos import contention_lab

        self.lab_requested.emit(contention_lab())

    def show_contention(self) -> None:
        """The contention lab's window: its host, the CPU History column and the dashboard."""
        host_id = self.bridge.api.host().id
        self._hosts.select_key(("host", host_id))
        self._cpu_history_column.setChecked(True)
        self.show_dashboard(host_id)
        message = ("CPU contention demo: three 2-VP CPU burners weighted 100, 200 and 400 "
                   "share 2 logical processors.")
        if not self.bridge.running:
            message += " The clock is stopped: step it (F8) or set it running to watch."
        self._window.statusBar().showMessage(message, 15000)
