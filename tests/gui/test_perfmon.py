"""Performance Monitor: Add Counters, remove, highlight, freeze, scale, duration, and the
PDH-CSV 4.0 export checked byte by byte and against the engine's history."""

from __future__ import annotations

import csv
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from hvlab.engine.sim.counters import SET_DM_VM, SET_HYPERVISOR, SET_LP, SET_VP
from hvlab.gui import ids
from hvlab.gui.graphs import pdh
from hvlab.gui.graphs.add_counters import ALL_INSTANCES, AddCountersDialog
from hvlab.gui.graphs.pdh import CounterPath
from hvlab.gui.graphs.perfmon import PerformanceMonitor, fitting_scale
from hvlab.gui.main_window import MainWindow
from tests.gui.test_accessibility import duplicate_names, unnamed

HOST = "LAB-HOST-01"
LP_TOTAL = CounterPath(HOST, SET_LP, "% Total Run Time", "_Total")


def _open(window: MainWindow) -> PerformanceMonitor:
    action = window.findChild(QAction, ids.ACT_PERFORMANCE_MONITOR.object_name)
    assert action is not None
    action.trigger()
    perfmon = window.performance.perfmon
    assert perfmon is not None and perfmon.isVisible()
    return perfmon


def _raw_y(perfmon: PerformanceMonitor, path: CounterPath) -> np.ndarray:
    return np.asarray(perfmon.trace(path).curve.getOriginalDataset()[1])


def _add_with_dialog(qtbot: QtBot, perfmon: PerformanceMonitor, counter_set: str,
                     counters: list[str], instances: list[str]) -> AddCountersDialog:
    dialog = perfmon.open_add_counters()
    dialog.select(counter_set, counters, instances)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    return dialog


def test_opens_with_lp_total_and_draws_the_engine_history(window: MainWindow) -> None:
    perfmon = _open(window)
    assert perfmon.paths() == [LP_TOTAL]
    window.bridge.step(4)
    times, values = window.bridge.api.counter_history(SET_LP, "% Total Run Time")
    np.testing.assert_array_equal(_raw_y(perfmon, LP_TOTAL), values)
    x_range = perfmon.graph.getPlotItem().vb.viewRange()[0]
    assert x_range == [times[-1] - 100, times[-1]]
    assert perfmon.value_labels["Last"].text() == f"{values[-1]:,.3f}"
    assert perfmon.value_labels["Duration"].text() == "1:40"


def test_add_counters_dialog_adds_and_removes(window: MainWindow, qtbot: QtBot) -> None:
    perfmon = _open(window)
    dialog = _add_with_dialog(qtbot, perfmon, SET_VP, ["% Total Run Time", "Hypercalls/sec"],
                              ["W2K8-DC01:Hv VP 0", "W2K8-DC01:Hv VP 1"])
    assert len(dialog.counters()) == 1 + 4  # the graph's counter is listed too
    # A single-instance object: selecting the object adds all of its counters.
    dialog.select(SET_HYPERVISOR)
    assert not dialog.instances.isEnabled()
    assert dialog.add_selected() == 5
    # <All instances> of Dynamic Memory VM: the four running VMs.
    dialog.select(SET_DM_VM, ["Physical Memory"], [ALL_INSTANCES])
    assert dialog.add_selected() == 4
    assert dialog.add_selected() == 0  # no duplicates
    dialog.select_added([CounterPath(HOST, SET_VP, "Hypercalls/sec", "W2K8-DC01:Hv VP 1")])
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    ok = dialog.findChild(type(dialog.add_button), ids.ADD_COUNTERS_OK.object_name)
    assert ok is not None
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    paths = perfmon.paths()
    assert len(paths) == 1 + 3 + 5 + 4
    assert CounterPath(HOST, SET_HYPERVISOR, "Partitions") in paths
    assert str(CounterPath(HOST, SET_HYPERVISOR, "Partitions")) == \
        "\\\\LAB-HOST-01\\Hyper-V Hypervisor\\Partitions"
    assert CounterPath(HOST, SET_VP, "Hypercalls/sec", "W2K8-DC01:Hv VP 1") not in paths
    assert perfmon.legend.topLevelItemCount() == len(paths)

    # Removing in the dialog removes from the graph; so does Delete on the legend.
    dialog = perfmon.open_add_counters()
    dialog.select_added([LP_TOTAL])
    dialog.remove_selected()
    dialog.accept()
    assert LP_TOTAL not in perfmon.paths()
    target = CounterPath(HOST, SET_HYPERVISOR, "Hypercalls/sec")
    perfmon.select(target)
    perfmon.delete_action.trigger()
    assert target not in perfmon.paths()
    assert len(perfmon.paths()) == len(paths) - 2
    assert len(perfmon.graph.getPlotItem().listDataItems()) == len(paths) - 2


def test_cancel_keeps_the_graph_as_it_was(window: MainWindow, qtbot: QtBot) -> None:
    perfmon = _open(window)
    dialog = _add_with_dialog(qtbot, perfmon, SET_HYPERVISOR, [], [])
    assert len(dialog.counters()) == 6
    dialog.reject()
    assert perfmon.paths() == [LP_TOTAL]


def test_highlight_freeze_scale_and_duration(window: MainWindow) -> None:
    api = window.bridge.api
    perfmon = _open(window)
    partitions = CounterPath(HOST, SET_HYPERVISOR, "Hypercalls/sec")
    perfmon.add_counter(partitions)
    perfmon.select(partitions)

    perfmon.highlight_action.setChecked(True)
    assert perfmon.trace(partitions).curve.opts["pen"].width() == 3
    assert perfmon.trace(LP_TOTAL).curve.opts["pen"].width() == 1
    perfmon.select(LP_TOTAL)  # the highlight follows the selection
    assert perfmon.trace(LP_TOTAL).curve.opts["pen"].width() == 3
    assert perfmon.trace(partitions).curve.opts["pen"].width() == 1
    perfmon.highlight_action.setChecked(False)
    assert perfmon.trace(LP_TOTAL).curve.opts["pen"].width() == 1

    # Hypercalls/sec is in the hundreds: its default scale brings it under 100.
    trace = perfmon.trace(partitions)
    assert trace.scale == fitting_scale(float(trace.values.max())) < 1
    assert trace.item.text(2) == f"{trace.scale:.7f}".rstrip("0")
    perfmon.select(partitions)
    perfmon.set_scale_selected(10.0)
    np.testing.assert_array_equal(_raw_y(perfmon, partitions), trace.values * 10.0)
    perfmon.scale_selected_action.trigger()
    assert trace.scale == fitting_scale(float(trace.values.max()))

    # Freeze: no new samples are read until it is released.
    perfmon.freeze_action.setChecked(True)
    frozen = trace.times.copy()
    window.bridge.step(5)
    np.testing.assert_array_equal(trace.times, frozen)
    perfmon.freeze_action.setChecked(False)
    assert trace.times[-1] == api.counter_history(SET_HYPERVISOR, "Hypercalls/sec", "")[0][-1]
    assert trace.times[-1] == frozen[-1] + 5

    # Hide a counter with its Show box; change the duration.
    perfmon.set_visible(partitions, False)
    assert not trace.curve.isVisible() and not trace.visible
    perfmon.set_duration(600)
    assert perfmon.duration_box.currentText() == "600 seconds"
    lo, hi = perfmon.graph.getPlotItem().vb.viewRange()[0]
    assert hi - lo == 600 and hi == trace.times[-1]
    assert perfmon.value_labels["Duration"].text() == "10:00"


# -- PDH-CSV 4.0 ----------------------------------------------------------------------------------
_ROW = re.compile(r'^"[^"]*"(,"[^"]*")*\r\n$')
_STAMP = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{3}$")


def _parse_independently(path: Path) -> tuple[list[str], list[datetime], list[list[str]]]:
    """Read the file the way another tool would: bytes, CSV, the PDH-CSV 4.0 rules."""
    raw = path.read_bytes()
    lines = raw.decode("utf-8").splitlines(keepends=True)
    for line in lines:
        assert _ROW.match(line), f"not a fully quoted CRLF row: {line!r}"
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    header = rows[0]
    assert header[0] == "(PDH-CSV 4.0) (Coordinated Universal Time)(0)"
    stamps = []
    for row in rows[1:]:
        assert len(row) == len(header)
        assert _STAMP.match(row[0]), row[0]
        stamps.append(datetime.strptime(row[0], "%m/%d/%Y %H:%M:%S.%f").replace(tzinfo=UTC))
    return header[1:], stamps, [row[1:] for row in rows[1:]]


def test_export_is_pdh_csv_4_and_matches_the_engine_history(
        window: MainWindow, tmp_path: Path) -> None:
    api = window.bridge.api
    perfmon = _open(window)
    wanted = [
        CounterPath(HOST, SET_HYPERVISOR, "Partitions"),
        CounterPath(HOST, SET_VP, "% Total Run Time", "W2K8-DC01:Hv VP 1"),
        CounterPath(HOST, SET_DM_VM, "Physical Memory", "SLES10-WEB01"),
        CounterPath(HOST, "Hyper-V Dynamic Memory Balancer", "Available Memory",
                    "System Balancer"),
        CounterPath(HOST, "Hyper-V Virtual Storage Device", "Read Bytes/sec", "W2K8-DC01.vhd"),
    ]
    for path in wanted:
        perfmon.add_counter(path)
    api.start("XP-CLIENT")
    window.bridge.step(30)
    out = tmp_path / "hvlab.csv"
    rows = perfmon.save_csv(out)

    paths, stamps, cells = _parse_independently(out)
    assert paths == [str(p) for p in [LP_TOTAL, *wanted]]
    assert paths[0] == "\\\\LAB-HOST-01\\Hyper-V Hypervisor Logical Processor(_Total)" \
                       "\\% Total Run Time"
    assert paths[1] == "\\\\LAB-HOST-01\\Hyper-V Hypervisor\\Partitions"
    epoch = datetime(2010, 1, 1, tzinfo=UTC)
    for k, path in enumerate([LP_TOTAL, *wanted]):
        times, values = api.counter_history(path.counter_set, path.counter, path.instance,
                                            path.computer)
        assert rows == len(times) == len(stamps) == 120  # 90 s of demo + 30 s
        assert stamps == [epoch + timedelta(seconds=float(t)) for t in times]
        exported = np.array([float(row[k]) for row in cells])
        np.testing.assert_array_equal(exported, values)  # exactly, not approximately
    assert stamps[-1] == datetime(2010, 1, 1, 0, 2, 0, tzinfo=UTC)

    # Our reader agrees with the independent one.
    log = pdh.read_file(out)
    assert log.paths == (LP_TOTAL, *wanted) and log.zone == "Coordinated Universal Time"
    assert log.bias_minutes == 0 and log.times[-1] == 120.0


def test_export_leaves_blanks_where_an_instance_has_no_sample(
        window: MainWindow, tmp_path: Path) -> None:
    api = window.bridge.api
    perfmon = _open(window)
    vp = CounterPath(HOST, SET_VP, "% Total Run Time", "NT4-LEGACY:Hv VP 0")
    perfmon.add_counter(vp)
    window.bridge.step(2)
    api.turn_off("NT4-LEGACY")
    window.bridge.step(5)
    assert not perfmon.trace(vp).available
    out = tmp_path / "gone.csv"
    perfmon.save_csv(out)
    text = out.read_text(encoding="utf-8")
    last = text.splitlines()[-1]
    assert last.endswith(',"' + pdh.MISSING + '"')
    log = pdh.read_file(out)
    column = log.columns[1]
    assert math.isnan(column[-1]) and not math.isnan(column[0])
    assert sum(math.isnan(v) for v in column) == 5


@pytest.mark.parametrize("seconds, text", [
    (0.0, "01/01/2010 00:00:00.000"), (90.0, "01/01/2010 00:01:30.000"),
    (86_400 * 40 + 3_661.25, "02/10/2010 01:01:01.250"),
])
def test_time_stamps_map_from_the_documented_epoch(seconds: float, text: str) -> None:
    assert pdh.format_time(seconds) == text
    assert pdh.parse_time(text) == seconds


def test_values_read_back_exactly() -> None:
    rng = np.random.default_rng(6)
    values = np.concatenate([rng.random(200) * 10.0 ** rng.integers(-12, 12, 200),
                             [0.0, 1e-30, 123456789012345678.0, 100.0, 2.5]])
    for v in values:
        text = pdh.format_value(float(v))
        assert "e" not in text.lower()
        assert float(text) == v
    assert pdh.format_value(math.nan) == " "


def test_counter_paths_round_trip() -> None:
    for path in (LP_TOTAL, CounterPath(HOST, SET_HYPERVISOR, "Partitions"),
                 CounterPath(HOST, "Hyper-V Virtual IDE Controller (Emulated)",
                             "Read Bytes/sec", "W2K8-DC01:Ide Controller")):
        assert CounterPath.parse(str(path)) == path


def test_perfmon_and_add_counters_are_fully_named(window: MainWindow) -> None:
    perfmon = _open(window)
    dialog = perfmon.open_add_counters()
    assert unnamed(perfmon) == []
    assert duplicate_names(perfmon) == []
    assert unnamed(dialog) == []
    dialog.reject()
    for a in perfmon.findChildren(QAction):
        if a.text() and not a.objectName().startswith(("qt_", "_q_")):
            assert ids.accessible_name(a) == a.text().replace("&", ""), a.objectName()
