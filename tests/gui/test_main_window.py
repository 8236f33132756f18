"""The main window driven like a user: Actions pane, list, details, errors, multi-select."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDialog, QPushButton
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import cell, click_pane, pane_button, select, shown_names


def test_demo_lab_is_listed_with_hyper_v_columns(window: MainWindow) -> None:
    assert shown_names(window) == ["W2K8-DC01", "W2K3-APP01", "NT4-LEGACY", "SLES10-WEB01",
                                   "XP-CLIENT", "SQL-BIG"]
    header = [window.model.headerData(i, Qt.Orientation.Horizontal) for i in range(7)]
    assert header == ["Name", "State", "CPU Usage", "Assigned Memory", "Uptime", "Status",
                      "Generation"]
    assert cell(window, "W2K8-DC01", "state") == "Running"
    assert cell(window, "W2K8-DC01", "memory") == "2048 MB"
    assert cell(window, "W2K8-DC01", "status") == "Operating normally"
    assert cell(window, "W2K8-DC01", "uptime").startswith("00:01:")
    assert cell(window, "XP-CLIENT", "memory") == ""  # Off: blank, as Hyper-V Manager
    assert window.tree.topLevelItem(0).text(0) == "hvlab"
    assert window.tree.topLevelItem(0).child(0).text(0) == "LAB-HOST-01"


def test_start_pause_resume_save_turn_off_through_the_actions_pane(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    step = window.bridge.step
    select(window, "XP-CLIENT")
    assert window.details.header.text() == "XP-CLIENT"

    click_pane(qtbot, window, ids.ACT_START)
    assert cell(window, "XP-CLIENT", "state") == "Starting"
    assert cell(window, "XP-CLIENT", "status").startswith("Starting (")
    step(5)
    assert cell(window, "XP-CLIENT", "state") == "Running"
    assert cell(window, "XP-CLIENT", "memory") == "512 MB"
    assert window.details.memory.values["Assigned Memory"].text() == "512 MB"
    step(60)  # the guest boots and its heartbeat starts
    assert cell(window, "XP-CLIENT", "status") == "Operating normally"
    assert window.details.summary.values["Heartbeat"].text() == "OK"

    click_pane(qtbot, window, ids.ACT_PAUSE)
    assert cell(window, "XP-CLIENT", "state") == "Pausing"
    step(1)
    assert cell(window, "XP-CLIENT", "state") == "Paused"
    assert not pane_button(window, ids.ACT_PAUSE).isEnabled()

    click_pane(qtbot, window, ids.ACT_RESUME)
    step(1)
    assert cell(window, "XP-CLIENT", "state") == "Running"

    click_pane(qtbot, window, ids.ACT_SAVE)
    assert cell(window, "XP-CLIENT", "state") == "Saving"
    assert cell(window, "XP-CLIENT", "status").startswith("Saving (")
    step(10)
    assert cell(window, "XP-CLIENT", "state") == "Saved"
    assert cell(window, "XP-CLIENT", "uptime") == ""

    click_pane(qtbot, window, ids.ACT_START)  # restore from the saved state
    step(10)
    assert cell(window, "XP-CLIENT", "state") == "Running"

    click_pane(qtbot, window, ids.ACT_TURN_OFF)
    assert shown.confirmations == ["Turn Off Machine"]
    step(2)
    assert cell(window, "XP-CLIENT", "state") == "Off"
    assert window.bridge.api.vm("XP-CLIENT").state == "Off"
    assert shown.errors == []


def test_declining_the_confirmation_leaves_the_vm_running(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    shown.answer = False
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_TURN_OFF)
    window.bridge.step(5)
    assert shown.confirmations == ["Turn Off Machine"]
    assert cell(window, "W2K8-DC01", "state") == "Running"


def test_shortcuts_are_shown_in_menus_and_work(qtbot: QtBot, window: MainWindow,
                                               shown: DialogRecorder) -> None:
    start = window.vm_actions["start"]
    assert start.shortcut().toString() == "Ctrl+S"
    assert window.vm_actions["turn_off"].shortcut().toString() == "Ctrl+T"
    assert "(Ctrl+S)" in start.toolTip()
    select(window, "XP-CLIENT")
    window.vm_list.setFocus()
    start.trigger()
    assert cell(window, "XP-CLIENT", "state") == "Starting"


def test_multi_select_starts_several_vms_at_once(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, shown: DialogRecorder) -> None:
    for name in ("W2K3-APP01", "NT4-LEGACY"):
        api.turn_off(name)
    window.bridge.step(5)
    select(window, "W2K3-APP01", "NT4-LEGACY", "XP-CLIENT")
    assert window.actions_pane.vm_header.text() == "3 virtual machines"
    start = window.vm_actions["start"]
    assert start.isEnabled()
    assert "Together they need" in start.toolTip()
    assert not window.vm_actions["rename"].isEnabled()
    assert "one virtual machine at a time" in window.vm_actions["rename"].toolTip()

    click_pane(qtbot, window, ids.ACT_START)
    for name in ("W2K3-APP01", "NT4-LEGACY", "XP-CLIENT"):
        assert cell(window, name, "state") == "Starting"
    window.bridge.step(5)
    for name in ("W2K3-APP01", "NT4-LEGACY", "XP-CLIENT"):
        assert cell(window, name, "state") == "Running"

    # Several running VMs: pause, save and turn off apply to all of them.
    click_pane(qtbot, window, ids.ACT_PAUSE)
    window.bridge.step(1)
    assert {cell(window, n, "state") for n in ("W2K3-APP01", "NT4-LEGACY", "XP-CLIENT")} == \
        {"Paused"}
    click_pane(qtbot, window, ids.ACT_SAVE)
    window.bridge.step(10)
    assert {cell(window, n, "state") for n in ("W2K3-APP01", "NT4-LEGACY", "XP-CLIENT")} == \
        {"Saved"}
    assert shown.errors == []


def test_mixed_selection_disables_start_and_names_the_vm_that_blocks_it(
        window: MainWindow) -> None:
    select(window, "W2K8-DC01", "XP-CLIENT")
    start = window.vm_actions["start"]
    assert not start.isEnabled()
    assert "W2K8-DC01: Start is not available while the virtual machine is Running" in \
        start.toolTip()
    assert pane_button(window, ids.ACT_START).toolTip() == start.toolTip()


def test_start_says_whether_the_vm_fits(window: MainWindow) -> None:
    select(window, "XP-CLIENT")
    start = window.vm_actions["start"]
    assert "Needs 544 MB; 26,764 MB available — it fits now." in start.toolTip()
    assert window.fit_label.text() == \
        "Start XP-CLIENT: Needs 544 MB; 26,764 MB available — it fits now."
    select(window, "SQL-BIG")
    assert start.isEnabled()  # the engine allows the request; admission refuses it
    assert "Needs 28,920 MB; 26,764 MB available — it does not fit now." in start.toolTip()
    assert "does not fit" in window.fit_label.text()


def test_a_vm_that_does_not_fit_shows_the_error_and_stays_off(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    select(window, "SQL-BIG")
    click_pane(qtbot, window, ids.ACT_START)
    assert shown.error_messages() == ["'SQL-BIG' failed to start."]
    details = shown.errors[0][1]
    assert "Not enough memory in the system to start the virtual machine SQL-BIG" in details
    assert "(0x8007000E)" in details
    window.bridge.step(5)
    assert cell(window, "SQL-BIG", "state") == "Off"
    assert window.bridge.api.vm("SQL-BIG").state == "Off"


def test_the_real_error_box_shows_message_bold_and_details(
        qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QMessageBox

    select(window, "SQL-BIG")
    click_pane(qtbot, window, ids.ACT_START)
    box = window.findChild(QMessageBox, ids.ERROR_DIALOG.object_name)
    assert box is not None and box.isVisible()
    assert box.text() == "<b>&#x27;SQL-BIG&#x27; failed to start.</b>"
    assert "Not enough memory" in box.informativeText()
    box.close()


def test_selection_survives_ticks_and_sorting(window: MainWindow, api: ManagementApi) -> None:
    select(window, "NT4-LEGACY", "SLES10-WEB01")
    before = window.selected_vm_ids()
    window.vm_list.sortByColumn(2, window.vm_list.horizontalHeader().sortIndicatorOrder())
    for _ in range(5):
        window.bridge.step(1)
    assert sorted(window.selected_vm_ids()) == sorted(before)
    window.vm_list.sortByColumn(0, window.vm_list.horizontalHeader().sortIndicatorOrder())
    assert sorted(window.selected_vm_ids()) == sorted(before)


def test_sorting_happens_in_the_model(window: MainWindow) -> None:
    window.vm_list.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # Assigned Memory
    names = shown_names(window)
    assert names[0] == "W2K8-DC01"  # 2048 MB
    assert names[-2:] == ["XP-CLIENT", "SQL-BIG"] or set(names[-2:]) == {"XP-CLIENT", "SQL-BIG"}
    window.vm_list.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert shown_names(window) == sorted(shown_names(window), key=str.casefold)
    assert window.model.layout_changes + window.model.resets >= 1


def test_each_tick_emits_one_ranged_data_changed(qtbot: QtBot, window: MainWindow) -> None:
    emitted: list[tuple[int, int, int, int]] = []

    def record(tl: QModelIndex, br: QModelIndex, _roles: object) -> None:
        emitted.append((tl.row(), tl.column(), br.row(), br.column()))

    window.model.dataChanged.connect(record)
    for _ in range(3):
        window.bridge.step(1)
    rows = window.model.rowCount()
    assert len(emitted) == 3  # one per tick, never one per row
    for top, left, bottom, right in emitted:
        # All rows; the band of columns whose text changed: CPU Usage to Uptime at least.
        assert (top, bottom) == (0, rows - 1)
        assert left <= 2 and right >= 4


def test_a_tick_that_changes_nothing_emits_nothing(window: MainWindow) -> None:
    emitted: list[object] = []
    window.model.dataChanged.connect(lambda *args: emitted.append(args))
    window.bridge.step(0)
    assert emitted == []


def test_rename_in_place_and_delete(qtbot: QtBot, window: MainWindow,
                                    shown: DialogRecorder) -> None:
    select(window, "XP-CLIENT")
    index = window.model.index(window.model.row_of(window.bridge.api.vm("XP-CLIENT").id), 0)
    assert window.model.setData(index, "XP-CLIENT-2") is False  # the tick shows the new name
    window.bridge.step(0)
    assert "XP-CLIENT-2" in shown_names(window)
    assert window.details.header.text() == "XP-CLIENT-2"

    index = window.model.index(window.model.row_of(window.bridge.api.vm("XP-CLIENT-2").id), 0)
    window.model.setData(index, "W2K8-DC01")  # a duplicate name: the engine refuses
    assert len(shown.errors) == 1

    click_pane(qtbot, window, ids.ACT_DELETE)  # the Delete dialog (gui/settings/vm_dialogs.py)
    [dialog] = [d for d in window.findChildren(QDialog, ids.DELETE_DIALOG.object_name)
                if d.isVisible()]
    delete = dialog.findChild(QPushButton, ids.DELETE_OK.object_name)
    assert delete is not None
    qtbot.mouseClick(delete, Qt.MouseButton.LeftButton)
    assert "XP-CLIENT-2" not in shown_names(window)
    assert window.selected_vm_ids() == []
    assert not window.vm_actions["start"].isEnabled()


def test_checkpoint_action_fills_the_checkpoints_pane(window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    assert "no snapshots" in window.checkpoint_note.text()  # the demo host is 2008 R2
    checkpoint = window.vm_actions["checkpoint"]
    assert checkpoint.isEnabled()
    checkpoint.trigger()
    rows = window.checkpoints.tree_shape()
    assert len(rows) == 2 and rows[1] == (1, "Now"), "Now hangs under the new checkpoint"


def test_details_tabs_show_memory_and_networking(window: MainWindow) -> None:
    select(window, "NT4-LEGACY")
    tabs = window.details.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Summary", "Memory", "Networking",
                                                              "Storage", "Performance"]
    assert window.details.memory.values["Startup Memory"].text() == "128 MB"
    net = window.details.networking
    assert net.topLevelItem(0).text(0) == "Legacy Network Adapter"


def test_optional_columns_can_be_added(window: MainWindow) -> None:
    group_col = 11
    assert window.vm_list.isColumnHidden(group_col)
    window.column_actions["group"].trigger()
    assert not window.vm_list.isColumnHidden(group_col)
    assert cell(window, "W2K8-DC01", "group") == "Infrastructure"
    assert cell(window, "W2K8-DC01", "heartbeat") == "OK"
    assert cell(window, "W2K8-DC01", "configuration_version") == "3.0"
    assert cell(window, "W2K8-DC01", "memory_demand").endswith(" MB")
    assert set(window.column_actions) == {"state", "cpu", "memory", "uptime", "status",
                                          "generation", "memory_demand", "heartbeat", "notes",
                                          "configuration_version", "group", "cpu_history"}


def test_group_filter_in_the_tree_and_search(qtbot: QtBot, window: MainWindow) -> None:
    groups = [window.tree.topLevelItem(0).child(0).child(i).text(0)
              for i in range(window.tree.topLevelItem(0).child(0).childCount())]
    assert groups == ["Clients (1)", "Databases (1)", "Infrastructure (1)",
                      "Legacy applications (2)", "Web (1)"]
    host = window.bridge.api.host().id
    assert window.tree.select_key(("group", host, "Legacy applications"))
    assert shown_names(window) == ["W2K3-APP01", "NT4-LEGACY"]
    assert window.count_label.text() == "2 of 6 shown"

    window.bridge.step(1)  # the filter holds across ticks
    assert shown_names(window) == ["W2K3-APP01", "NT4-LEGACY"]

    qtbot.keyClicks(window.search, "nt4")
    assert shown_names(window) == ["NT4-LEGACY"]
    # The count follows the search at once, with the clock stopped (no tick).
    assert window.count_label.text() == "1 of 6 shown"
    window.search.clear()
    assert window.count_label.text() == "2 of 6 shown"
    assert window.tree.select_key(("root",))
    assert len(shown_names(window)) == 6
    qtbot.keyClicks(window.search, "sql")
    assert shown_names(window) == ["SQL-BIG"]
    window.search.clear()
    qtbot.keyClicks(window.search, "web")  # matches the group, not the name
    assert shown_names(window) == ["SLES10-WEB01"]


def test_a_new_group_appears_in_the_tree(window: MainWindow, api: ManagementApi) -> None:
    api.set_vm("XP-CLIENT", group="Test lab")
    window.bridge.step(0)
    host_item = window.tree.topLevelItem(0).child(0)
    texts = [host_item.child(i).text(0) for i in range(host_item.childCount())]
    assert "Test lab (1)" in texts and "Clients (1)" not in texts


def test_jobs_panel_lists_a_save_and_cancels_it(qtbot: QtBot, window: MainWindow,
                                                shown: DialogRecorder) -> None:
    select(window, "W2K8-DC01")
    click_pane(qtbot, window, ids.ACT_SAVE)
    assert window.jobs_button.text() == "1 job running"
    qtbot.mouseClick(window.jobs_button, Qt.MouseButton.LeftButton)
    assert window.jobs_panel.isVisible()
    window.bridge.step(0.2)
    [job_id] = window.jobs_panel.active_job_ids()
    item = window.jobs_panel.tree.topLevelItem(0)
    assert item.text(0) == "Saving" and item.text(1) == "W2K8-DC01"
    cancel = window.jobs_panel.cancel_button(job_id)
    assert cancel is not None and cancel.objectName() == f"jobCancel_{job_id}"
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert cell(window, "W2K8-DC01", "state") == "Running"
    assert window.jobs_button.text() == "No jobs running"
    assert window.jobs_panel.tree.topLevelItem(0).text(3) == "Cancelled"
    assert shown.errors == []


def test_new_virtual_machine_wizard_creates_a_vm(qtbot: QtBot, window: MainWindow) -> None:
    # The wizard itself is tested in test_wizard.py; here: it is wired to the window.
    from hvlab.gui.wizard.wizard import NewVmWizard

    dialog = window.host_actions.open_new_vm()
    assert isinstance(dialog, NewVmWizard)
    dialog.name_panel.name.setText("LAB-NEW01")
    dialog.memory.memory.setValue(768)
    dialog.name_panel.group.setEditText("Test lab")
    assert dialog.finish()
    vm = window.bridge.api.vm("LAB-NEW01")
    assert (vm.memory_startup_mb, vm.group, vm.state) == (768, "Test lab", "Off")
    assert "LAB-NEW01" in shown_names(window)
    assert window.selected_vm_ids() == [vm.id]


def test_new_virtual_machine_wizard_shows_the_engine_error(window: MainWindow) -> None:
    from hvlab.gui.wizard.wizard import NewVmWizard

    dialog = window.host_actions.open_new_vm()
    assert isinstance(dialog, NewVmWizard)
    dialog.name_panel.name.setText("W2K8-DC01")
    assert dialog.finish() is None
    assert dialog.isVisible()
    assert "already exists" in dialog.banner_text()
    dialog.close()


def test_settings_opens_the_settings_dialog(window: MainWindow) -> None:
    select(window, "W2K8-DC01")
    window.vm_actions["settings"].trigger()
    dialog = window.findChild(QDialog, ids.VM_SETTINGS_DIALOG.object_name)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Settings for W2K8-DC01 on LAB-HOST-01"
    dialog.close()


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_theme_switch(window: MainWindow, theme: str) -> None:
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from hvlab.gui.theme import Theme

    window.theme_actions[Theme(theme)].trigger()
    colour = QApplication.palette().color(QPalette.ColorRole.Window)
    assert (colour.lightness() < 100) == (theme == "dark")


def test_menus_toolbar_context_menu_and_pane_share_the_same_actions(window: MainWindow) -> None:
    from PySide6.QtWidgets import QMenu

    start = window.vm_actions["start"]
    action_menu = window.findChild(QMenu, ids.MENU_ACTION.object_name)
    assert action_menu is not None
    assert start in action_menu.actions()
    assert start in window.menus.context_menu.actions()
    assert start in window.menus.main_toolbar.actions()
    assert pane_button(window, ids.ACT_START).defaultAction() is start
    assert start.shortcut().toString() in start.toolTip()


def test_vms_without_a_group_have_their_own_tree_item(window: MainWindow,
                                                       api: ManagementApi) -> None:
    api.create_vm("LAB-LOOSE", memory_startup_mb=512)
    window.bridge.step(0)
    host = api.host().id
    assert window.tree.select_key(("group", host, "(No group)"))
    assert shown_names(window) == ["LAB-LOOSE"]
    assert window.list_header.text() == "Virtual Machines — no group"
