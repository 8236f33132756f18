"""Hyper-V Settings…: folders, NUMA spanning, BIOS switches, restart and root crash."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui import ids
from hvlab.gui.host_settings import HostSettingsDialog, staged_bios
from hvlab.gui.main_window import MainWindow
from hvlab.gui.notices import WarningNotice
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import cell, click_pane, select

#: A little more than the simulated host's restart (90 s in engine/host.py).
HOST_BOOT_SECONDS = 95


def _open(qtbot: QtBot, window: MainWindow) -> HostSettingsDialog:
    click_pane(qtbot, window, ids.ACT_HOST_SETTINGS)
    dialog = window.findChild(HostSettingsDialog, ids.HOST_SETTINGS_DIALOG.object_name)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_folders_and_numa_spanning_apply(qtbot: QtBot, window: MainWindow,
                                         api: ManagementApi) -> None:
    dialog = _open(qtbot, window)
    assert dialog.windowTitle() == "Hyper-V Settings for LAB-HOST-01"
    assert not dialog.apply_button.isEnabled()
    dialog.vhd_folder.setText(r"D:\Hyper-V\Disks")
    dialog.numa.setChecked(False)
    assert dialog.apply_button.isEnabled()
    assert set(dialog.pending_edits()) == {"virtual_hard_disk_path", "numa_spanning"}
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    host = api.host()
    assert host.virtual_hard_disk_path == r"D:\Hyper-V\Disks"
    assert host.numa_spanning is False
    assert not dialog.apply_button.isEnabled()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not dialog.isVisible()


def test_summary_shows_hardware_and_memory(qtbot: QtBot, window: MainWindow) -> None:
    dialog = _open(qtbot, window)
    dialog.show_page("hardware")
    text = dialog.summary.text()
    assert "Windows Server 2008 R2 SP1" in text
    assert "8 logical processors" in text
    assert "Running" in text
    assert "26,764 MB" in text
    dialog.close()


def test_disabling_virtualization_is_staged_until_restart_and_explained(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, shown: DialogRecorder) -> None:
    dialog = _open(qtbot, window)
    dialog.show_page("hardware")
    dialog.virtualization.setChecked(False)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "Pending until the host restarts: Hardware virtualization disabled." in \
        dialog.pending.text()
    assert api.host().hypervisor_running  # not until the restart

    qtbot.mouseClick(dialog.restart, Qt.MouseButton.LeftButton)
    assert shown.confirmations == ["Restart Host"]
    assert api.host().rebooting
    assert "The host is restarting." in dialog.summary.text()
    assert not dialog.restart.isEnabled()
    window.bridge.step(HOST_BOOT_SECONDS)
    host = api.host()
    assert not host.rebooting and not host.hypervisor_running
    assert "Not running." in dialog.summary.text()
    for blocker in host.hypervisor_blockers:
        assert blocker.replace("'", "&#x27;") in dialog.summary.text() or \
            blocker in dialog.summary.text()
    assert not dialog.virtualization.isChecked()
    dialog.close()

    # Starting a VM now fails with the hypervisor's reason, and the VM stays Off.
    select(window, "XP-CLIENT")
    click_pane(qtbot, window, ids.ACT_START)
    assert shown.error_messages() == ["'XP-CLIENT' failed to start."]
    assert "hypervisor is not running" in shown.errors[0][1]
    assert cell(window, "XP-CLIENT", "state") == "Off"


def test_root_partition_crash_takes_every_vm_down(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, shown: DialogRecorder) -> None:
    window.host_actions.crash_action.trigger()
    assert shown.confirmations == ["Simulate Root Partition Crash"]
    assert {cell(window, n, "state") for n in ("W2K8-DC01", "W2K3-APP01", "NT4-LEGACY",
                                                "SLES10-WEB01")} == {"Off"}
    assert not window.host_actions.crash_action.isEnabled()  # the host is restarting
    assert "already" not in window.host_actions.crash_action.toolTip()
    window.bridge.step(HOST_BOOT_SECONDS)
    assert api.host().hypervisor_running
    assert window.host_actions.crash_action.isEnabled()


def test_staged_bios_values_come_from_the_typed_fields(api: ManagementApi) -> None:
    api.set_host(virtualization_enabled=False)
    host = api.host()
    assert staged_bios(host) == (False, True)
    # The sentences are for people: reworded or absent, the staged values stay the same.
    assert staged_bios(dataclasses.replace(host, pending_changes=())) == (False, True)
    running = dataclasses.replace(host, pending_virtualization_enabled=True,
                                  pending_nx_enabled=False)
    assert staged_bios(running) == (True, False)


def test_root_partition_load_page_sets_the_load_and_the_root_cpu_follows(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    """The trainer's control for root-side work: the same engine call as hvctl host set
    --root-load/--backup (set_host); the page shows the root's CPU as the clock runs."""
    dialog = _open(qtbot, window)
    dialog.show_page("root-load")
    page = dialog.root_load
    assert page.load.objectName() == ids.HOST_ROOT_LOAD.object_name
    assert page.load.accessibleName() == ids.HOST_ROOT_LOAD.accessible_name
    assert page.backup.accessibleName() == ids.HOST_BACKUP.accessible_name
    assert page.isVisibleTo(dialog) and dialog.stack.currentWidget().isVisible()
    idle = api.host().root_cpu_percent
    assert idle < 10.0
    assert not dialog.apply_button.isEnabled()
    page.load.setValue(100)
    page.backup.setChecked(True)
    assert dialog.pending_edits() == {"root_load_pct": 100, "backup_running": True}
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    host = api.host()
    assert (host.root_load_pct, host.backup_running) == (100, True)
    assert not dialog.apply_button.isEnabled()
    window.bridge.step(5)
    busy = api.host().root_cpu_percent
    assert busy > 60.0
    qtbot.waitUntil(lambda: f"uses {busy:.1f} %" in page.cpu.text())
    page.load.setValue(0)
    page.backup.setChecked(False)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert (api.host().root_load_pct, api.host().backup_running) == (0, False)


def test_a_start_beyond_the_supported_vp_ratio_is_warned_in_the_status_bar(
        qtbot: QtBot, window: MainWindow, api: ManagementApi) -> None:
    """Beyond 8 virtual processors per logical processor the start goes ahead, and the
    console shows the warning the management service logged (and the fit label, before)."""
    lps = api.host().logical_processors
    running = sum(v.cpu_count for v in api.vms() if v.state == "Running")
    for i in range(8 * lps - running):
        api.create_vm(f"Filler{i}", cpu_count=1, memory_startup_mb=32)
        api.start(f"Filler{i}")
    window.bridge.step(1)
    api.create_vm("OneTooMany", cpu_count=1, memory_startup_mb=32)
    window.bridge.step(1)
    select(window, "OneTooMany")
    qtbot.waitUntil(lambda: "Warning:" in window.fit_label.text())
    assert "more than the 8:1 that" in window.fit_label.text()
    click_pane(qtbot, window, ids.ACT_START)
    notice = window.findChild(WarningNotice, ids.STATUS_WARNING.object_name)
    assert notice is not None
    qtbot.waitUntil(lambda: notice.full_text.startswith("Warning: "))
    assert notice.isVisible()
    assert "logical processors" in notice.full_text and notice.toolTip() == notice.full_text
    window.bridge.step(2)
    assert cell(window, "OneTooMany", "state") in ("Starting", "Running")
