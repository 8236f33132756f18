"""The host dashboard, the details pane's Performance tab, the VM list's CPU sparkline and
the CPU contention demo.

Graphs are checked against the engine's history through the API, so a test fails when a
curve shows anything but the engine's figures. The clock is manual: tests step it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hvlab.engine.api import SET_VP, ManagementApi
from hvlab.gui import ids
from hvlab.gui.app import build_parser, open_lab
from hvlab.gui.graphs import sparkline
from hvlab.gui.graphs.console import SPARKLINE_COLUMN
from hvlab.gui.graphs.dashboard import stacked_percent
from hvlab.gui.graphs.demos import CONTENTION_HOST, CONTENTION_VMS, contention_lab
from hvlab.gui.graphs.vm_performance import vp_instance
from hvlab.gui.main_window import MainWindow
from hvlab.gui.theme import Theme
from tests.gui.helpers import select
from tests.gui.test_accessibility import duplicate_names, unnamed


def _action(window: MainWindow, name: ids.UiName) -> QAction:
    action = window.findChild(QAction, name.object_name)
    assert action is not None, name.object_name
    return action


def _raw(item: object) -> tuple[np.ndarray, np.ndarray]:
    """The data a curve was given (not its clipped, downsampled display copy)."""
    get = getattr(item, "getOriginalDataset", None) or item.getData  # type: ignore[attr-defined]
    x, y = get()
    if x is None or y is None:
        return np.zeros(0), np.zeros(0)
    return np.asarray(x), np.asarray(y)


# -- the dashboard ---------------------------------------------------------------------------
def test_dashboard_opens_from_the_view_menu_and_draws_the_host_history(
        window: MainWindow) -> None:
    api = window.bridge.api
    assert window.performance.dashboard is None  # nothing built until asked for
    _action(window, ids.ACT_SHOW_HOST_PERFORMANCE).trigger()
    dashboard = window.performance.dashboard
    assert dashboard is not None and window.performance.dock.isVisible()
    window.bridge.step(5)

    history = api.host_history()
    x, guest, hv, root = stacked_percent(history)
    for curve, expected in ((dashboard.guest_curve, guest), (dashboard.hv_curve, hv),
                            (dashboard.root_curve, root)):
        cx, cy = _raw(curve)
        np.testing.assert_array_equal(cx, x)
        np.testing.assert_array_equal(cy, expected)
    assert x[-1] == 0 and len(x) == len(history["times"])
    lps = history["lps"]
    np.testing.assert_allclose(guest, history["guest_lp"] / lps * 100)
    assert (root <= 100.0 + 1e-9).all() and (np.diff(np.vstack([guest, hv, root]), axis=0)
                                            >= -1e-12).all()
    assert "of 8 LPs" in dashboard.cpu_legend.text()

    # The memory map is the engine's, extent by extent, and every owner is in the legend.
    engine_map = [(e.node, e.start_mb, e.size_mb, e.owner) for e in api.memory_map()]
    shown = [(e.node, e.start_mb, e.size_mb, e.owner) for e in dashboard.memory_map.extents]
    assert shown == sorted(engine_map, key=lambda e: (e[0], e[1]))
    legend = dashboard.memory_legend.text()
    for owner in ("Hypervisor", "Root partition", "W2K8-DC01", "NT4-LEGACY", "Free"):
        assert owner in legend
    totals = {t.owner: t.mb for t in dashboard.memory_map.totals()}
    assert sum(totals.values()) == api.host().memory_total_mb
    assert totals["free"] == api.host().memory_free_mb

    _, running = _raw(dashboard.running_curve)
    np.testing.assert_array_equal(running, history["running_vms"])
    assert "4 of 6" in dashboard.running_title.text()


def test_dashboard_redraws_once_per_simulated_second_and_not_while_hidden(
        window: MainWindow) -> None:
    dashboard = window.performance.show_dashboard()
    before = dashboard.redraws
    window.bridge.step(0.3)
    window.bridge.step(0.3)
    window.bridge.step(0.3)  # crosses one second boundary at most
    assert dashboard.redraws - before <= 1
    window.bridge.step(1)
    assert dashboard.redraws > before
    window.performance.dock.hide()
    hidden_at = dashboard.redraws
    window.bridge.step(5)
    assert dashboard.redraws == hidden_at
    window.performance.dock.show()
    assert dashboard.redraws == hidden_at + 1  # catches up at once when shown


def test_dashboard_window_and_memory_follow_the_engine(window: MainWindow) -> None:
    api = window.bridge.api
    dashboard = window.performance.show_dashboard()
    dashboard.set_window(100)
    assert dashboard.cpu_plot.getPlotItem().vb.viewRange()[0] == [-100.0, 0.0]
    api.start("XP-CLIENT")
    window.bridge.step(30)
    assert "XP-CLIENT" in {e.owner for e in dashboard.memory_map.extents}
    assert "5 of 6" in dashboard.running_title.text()


# -- the per-VM Performance tab -----------------------------------------------------------------
def test_performance_tab_draws_each_virtual_processor_memory_disk_and_network(
        window: MainWindow) -> None:
    api = window.bridge.api
    select(window, "W2K8-DC01")
    details = window.details
    assert [details.tabs.tabText(i) for i in range(details.tabs.count())][-1] == "Performance"
    assert details.performance.view is None  # built on first show
    details.tabs.setCurrentWidget(details.performance)
    view = details.performance.view
    assert view is not None
    window.bridge.step(3)

    assert len(view.vp_curves) == 2
    for k, curve in enumerate(view.vp_curves):
        times, values = api.counter_history(SET_VP, "% Total Run Time",
                                            vp_instance("W2K8-DC01", k))
        cx, cy = _raw(curve)
        np.testing.assert_array_equal(cy, values)
        np.testing.assert_array_equal(cx, times - times[-1])
    history = api.vm_history("W2K8-DC01")
    for curve, series in ((view.assigned_curve, "memory_assigned_mb"),
                          (view.demand_curve, "memory_demand_mb"),
                          (view.disk_curve, "disk_iops"), (view.network_curve, "net_mbit")):
        np.testing.assert_array_equal(_raw(curve)[1], history[series])
    assert "VP 1" in view.cpu.title.text()

    # Another VM: one VP, one curve.
    select(window, "NT4-LEGACY")
    window.bridge.step(0)
    assert len(view.vp_curves) == 1
    # Off: no partition, no virtual processor counters.
    api.turn_off("NT4-LEGACY")
    window.bridge.step(2)
    assert "Not running" in view.cpu.title.text()
    assert len(_raw(view.vp_curves[0])[1]) == 0


def test_graphs_follow_a_theme_change(window: MainWindow, qapp: QApplication) -> None:
    """Every plot of the Performance tab and the dashboard takes the new colours, whatever
    order Qt updates the widgets' palettes in."""
    select(window, "W2K8-DC01")
    window.details.tabs.setCurrentWidget(window.details.performance)
    view = window.details.performance.view
    dashboard = window.performance.show_dashboard()
    assert view is not None
    plots = [*view.plots(), *dashboard.plots()]
    light = {p.backgroundBrush().color().name() for p in plots}
    try:
        window.set_theme(Theme.DARK)
        qapp.processEvents()  # the palette change reaches each widget as an event
        dark = {p.backgroundBrush().color().name() for p in plots}
        base = qapp.palette().color(QPalette.ColorRole.Base).name()
        assert dark == {base} != light
    finally:
        window.set_theme(Theme.LIGHT)


# -- the sparkline column ------------------------------------------------------------------------
def test_cpu_history_ring_keeps_true_time_at_any_step(api: ManagementApi) -> None:
    ring = sparkline.CpuHistoryRing(seconds=10)
    snap = api.vm_table()
    assert ring.update(snap)
    row = snap.ids.index(api.vm("W2K8-DC01").id)
    off = snap.ids.index(api.vm("XP-CLIENT").id)
    api.advance(3)
    snap = api.vm_table()
    assert ring.update(snap)
    series = ring.series(snap.ids[row])
    assert series is not None
    # The three seconds stepped over hold the new value; older slots are unknown.
    np.testing.assert_array_equal(series[-3:], np.float32(snap.cpu_usage_percent[row]))
    assert np.isnan(series[:6]).all()
    assert not ring.update(api.vm_table())  # same second: no repaint needed
    off_series = ring.series(snap.ids[off])
    assert off_series is not None and np.isnan(off_series).all()  # Off: no line
    api.advance(25)
    ring.update(api.vm_table())
    assert np.isfinite(ring.series(snap.ids[row])).all()  # type: ignore[arg-type]


def _line_pixels(window: MainWindow, vm_name: str) -> int:
    view = window.vm_list
    row = window.model.row_of(window.bridge.api.vm(vm_name).id)
    rect = view.visualRect(window.model.index(row, SPARKLINE_COLUMN))
    image = view.viewport().grab(rect).toImage()
    link = view.palette().link().color()
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = QColor(image.pixel(x, y))
            if abs(c.red() - link.red()) + abs(c.green() - link.green()) + \
                    abs(c.blue() - link.blue()) < 60:
                count += 1
    return count


def test_sparkline_column_renders_from_view_columns(window: MainWindow, qtbot: QtBot) -> None:
    column_action = window.column_actions["cpu_history"]
    assert column_action.text() == "CPU History" and not column_action.isChecked()
    assert window.vm_list.isColumnHidden(SPARKLINE_COLUMN)
    column_action.trigger()
    assert not window.vm_list.isColumnHidden(SPARKLINE_COLUMN)
    window.vm_list.setColumnWidth(SPARKLINE_COLUMN, 120)
    window.vm_list.scrollTo(window.model.index(0, SPARKLINE_COLUMN))
    window.bridge.api.set_vm("W2K8-DC01", workload="cpu-burner")
    for _ in range(20):
        window.bridge.step(1)
    delegate = window.performance.sparkline
    painted = delegate.paints
    window.vm_list.viewport().repaint()
    assert delegate.paints > painted
    assert _line_pixels(window, "W2K8-DC01") > 20
    assert _line_pixels(window, "XP-CLIENT") == 0  # Off: no line
    tip = delegate.tooltip(window.bridge.api.vm("W2K8-DC01").id)
    assert tip.startswith("CPU Usage, last 60 s: minimum")
    # Sorting by the sparkline column sorts by CPU Usage.
    window.vm_list.sortByColumn(SPARKLINE_COLUMN, window.vm_list.horizontalHeader()
                                .sortIndicatorOrder().DescendingOrder)
    assert window.model.vm_id_at(0) == window.bridge.api.vm("W2K8-DC01").id


# -- the contention demo ---------------------------------------------------------------------------
def test_contention_demo_from_the_help_menu_shares_by_weight(window: MainWindow) -> None:
    mine = window.bridge.api.capture_state().data
    _action(window, ids.ACT_DEMO_CONTENTION).trigger()
    # The demo opens in a window of its own, on an in-memory lab: the lab open here (the
    # user's library) is not changed.
    assert window.bridge.api.capture_state().data == mine
    [demo] = window.lab_windows.windows
    assert isinstance(demo, MainWindow)
    QApplication.processEvents()  # the window shows its host and dashboard once painted
    api = demo.bridge.api
    host = api.host(CONTENTION_HOST)
    assert [h.name for h in api.hosts()] == [CONTENTION_HOST]
    assert host.logical_processors == 2
    dashboard = demo.performance.dashboard
    assert dashboard is not None and dashboard.host_id == host.id
    assert demo.tree.selected_host_id() == host.id
    assert not demo.vm_list.isColumnHidden(SPARKLINE_COLUMN)
    demo.bridge.step(30)
    usage = {name: api.vm(name).cpu_usage_percent for name, _ in CONTENTION_VMS}
    low, mid, high = (usage[name] for name, _ in CONTENTION_VMS)
    assert mid / low == pytest.approx(2.0, rel=0.1)
    assert high / low == pytest.approx(4.0, rel=0.1)
    assert 90.0 <= low + mid + high + api.host(host.id).root_cpu_percent <= 100.0
    assert "Guest 9" in dashboard.cpu_legend.text()  # the two LPs are (nearly) all guest time
    demo.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.lab_windows.windows == []


def test_demo_contention_option_builds_only_the_contention_lab() -> None:
    api = open_lab(build_parser().parse_args(["--demo", "contention", "--seed", "3"]))
    assert [h.name for h in api.hosts()] == [CONTENTION_HOST]
    assert sorted(v.name for v in api.vms()) == sorted(n for n, _ in CONTENTION_VMS)
    assert {v.state for v in api.vms()} == {"Running"}
    assert [v.config.cpu_weight for v in api.vms()] == [w for _, w in CONTENTION_VMS]
    assert contention_lab(3).now_seconds == api.now_seconds


# -- automation names ------------------------------------------------------------------------------
def test_performance_views_are_fully_named(window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    window.performance.show_dashboard()
    window.details.tabs.setCurrentWidget(window.details.performance)
    window.bridge.step(1)
    assert unnamed(window) == []
    assert duplicate_names(window) == []
    for action in (ids.ACT_SHOW_HOST_PERFORMANCE, ids.ACT_PERFORMANCE_MONITOR,
                   ids.ACT_DEMO_CONTENTION):
        assert ids.accessible_name(_action(window, action)) == action.accessible_name
    pane = window.actions_pane.buttons
    assert ids.ACT_SHOW_HOST_PERFORMANCE.object_name in pane
    assert ids.ACT_PERFORMANCE_MONITOR.object_name in pane
