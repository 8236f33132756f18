"""The failover cluster in the console: the tree of the cluster and its nodes, Live Migrate
and Quick Migrate with the reasons they are disabled, a migration's job followed phase by
phase to its chart and downtime, Cancel, and a node failure seen in the list."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi, build_lab, load_lab_definition
from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from hvlab.gui.migration_dialog import MigrationDialog
from tests.gui.conftest import DialogRecorder, shown_window
from tests.gui.helpers import cell, click_pane, pane_button, select


@pytest.fixture(scope="module")
def _pristine_cluster_lab() -> ManagementApi:
    api = ManagementApi(seed=0)
    build_lab(api, load_lab_definition("cluster"))
    return api


@pytest.fixture
def cluster_window(qtbot: QtBot, _pristine_cluster_lab: ManagementApi,
                   light_theme: None) -> Iterator[MainWindow]:
    """The main window over the sample two-node cluster lab (manual clock)."""
    yield from shown_window(qtbot, copy.deepcopy(_pristine_cluster_lab))


def owner(window: MainWindow, vm: str) -> str:
    api = window.bridge.api
    return api.host(api.vm(vm).host_id).name


def tree_texts(window: MainWindow) -> list[str]:
    out = []
    stack = [window.tree.topLevelItem(i) for i in range(window.tree.topLevelItemCount())]
    while stack:
        item = stack.pop(0)
        if item is not None:
            out.append(item.text(0))
            stack.extend(item.child(i) for i in range(item.childCount()))
    return out


def open_dialog(qtbot: QtBot, window: MainWindow, action: ids.UiName) -> MigrationDialog:
    click_pane(qtbot, window, action)
    dialog = window.findChild(MigrationDialog, ids.MIGRATE_DIALOG.object_name)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_tree_shows_the_cluster_and_its_nodes(cluster_window: MainWindow) -> None:
    assert tree_texts(cluster_window) == ["hvlab", "CLUSTER1 (Failover Cluster)", "NODE1",
                                          "NODE2"]
    cluster_item = cluster_window.tree.topLevelItem(0).child(0)  # type: ignore[union-attr]
    assert [cluster_item.child(i).text(0) for i in range(cluster_item.childCount())] == [
        "NODE1", "NODE2"]


def test_without_a_cluster_the_migrations_say_why(window: MainWindow) -> None:
    select(window, "W2K8-DC01")  # the demo lab: one host, no cluster
    button = pane_button(window, ids.ACT_LIVE_MIGRATE)
    assert not button.isEnabled()
    assert "The lab has no failover cluster." in button.toolTip()
    assert not pane_button(window, ids.ACT_FAIL_NODE).isEnabled()


def test_migration_actions_say_why_they_are_disabled(cluster_window: MainWindow) -> None:
    select(cluster_window, "WEB01")
    assert pane_button(cluster_window, ids.ACT_LIVE_MIGRATE).isEnabled()
    cluster_window.bridge.call(cluster_window.bridge.api.turn_off, "WEB01")
    cluster_window.bridge.step(1)
    live = pane_button(cluster_window, ids.ACT_LIVE_MIGRATE)
    assert not live.isEnabled() and "needs a running virtual machine" in live.toolTip()
    assert pane_button(cluster_window, ids.ACT_QUICK_MIGRATE).isEnabled()


def test_a_live_migration_from_the_console(qtbot: QtBot, cluster_window: MainWindow) -> None:
    select(cluster_window, "WEB01")
    dialog = open_dialog(qtbot, cluster_window, ids.ACT_LIVE_MIGRATE)
    assert dialog.target.currentText() == "NODE2" and dialog.start_button.isEnabled()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.job_id is not None and dialog.cancel_button.isEnabled()
    phases = set()
    bridge = cluster_window.bridge

    def done() -> bool:
        bridge.step(0.2)
        phases.add(dialog.phase.text().split(":")[0])
        return dialog.outcome_label.isVisible()

    qtbot.waitUntil(done, timeout=10_000)
    assert {"Setting up the virtual machine on the destination node", "Pass 1"} <= phases
    assert "the virtual machine was unreachable for" in dialog.outcome_label.text()
    assert dialog.chart is not None and dialog.chart.objectName() == "migrateChart"
    assert owner(cluster_window, "WEB01") == "NODE2"
    assert cell(cluster_window, "WEB01", "state") == "Running"
    assert cluster_window.bridge.api.vm("WEB01").clustered  # Summary ▸ Clustered: Yes
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)


def test_a_cancelled_migration_leaves_the_vm_on_its_node(qtbot: QtBot,
                                                         cluster_window: MainWindow) -> None:
    select(cluster_window, "SQL01")
    dialog = open_dialog(qtbot, cluster_window, ids.ACT_LIVE_MIGRATE)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    cluster_window.bridge.step(4)
    assert dialog.phase.text().startswith("Pass 1:")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    cluster_window.bridge.step(0.1)
    assert dialog.outcome_label.text() == "The operation was cancelled."
    assert owner(cluster_window, "SQL01") == "NODE1"


def test_a_node_failure_from_the_console(qtbot: QtBot, cluster_window: MainWindow,
                                         shown: DialogRecorder) -> None:
    api = cluster_window.bridge.api
    assert cluster_window.tree.select_key(("host", api.host("NODE1").id))
    click_pane(qtbot, cluster_window, ids.ACT_FAIL_NODE)
    assert shown.confirmations == ["Simulate Node Failure"]
    cluster_window.tree.select_key(("root",))
    qtbot.waitUntil(lambda: cell(cluster_window, "WEB01", "state") == "Off")
    cluster_window.bridge.step(6)
    qtbot.waitUntil(lambda: "NODE1 (Down)" in tree_texts(cluster_window))
    cluster_window.bridge.step(30)
    qtbot.waitUntil(lambda: cell(cluster_window, "WEB01", "state") == "Running")
    assert owner(cluster_window, "WEB01") == "NODE2"
    assert cluster_window.tree.select_key(("host", api.host("NODE1").id))
    click_pane(qtbot, cluster_window, ids.ACT_RESTORE_NODE)
    cluster_window.bridge.step(95)
    qtbot.waitUntil(lambda: "NODE1" in tree_texts(cluster_window))
