"""The VM Settings dialog: pending edits, Apply as one change set, locks, devices, closing.

The demo host is Windows Server 2008 R2 SP1 (8 synthetic and 4 legacy network adapters,
4 SCSI controllers per VM; adding devices only while Off). XP-CLIENT and SQL-BIG are Off,
W2K8-DC01 runs.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLabel,
    QMessageBox,
    QRadioButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from hvlab.gui import ids
from hvlab.gui.main_window import MainWindow
from hvlab.gui.settings import prompts
from hvlab.gui.settings.dialog import VmSettingsDialog
from hvlab.gui.settings.hardware import AddHardwarePage
from tests.gui.helpers import select, type_text


def open_settings(qtbot: QtBot, window: MainWindow, vm_name: str) -> VmSettingsDialog:
    select(window, vm_name)
    window.vm_actions["settings"].trigger()
    found = [d for d in window.findChildren(VmSettingsDialog) if d.isVisible()]
    assert len(found) == 1
    qtbot.waitExposed(found[0])
    return found[0]


def named(top: QWidget, name: ids.UiName | str) -> QWidget:
    object_name = name if isinstance(name, str) else name.object_name
    widget = top.findChild(QWidget, object_name)
    assert widget is not None, object_name
    return widget


def click(qtbot: QtBot, top: QWidget, name: ids.UiName | str) -> None:
    widget = named(top, name)
    assert widget.isEnabled(), f"{widget.objectName()} is disabled: {widget.toolTip()}"
    pos = QPoint(6, widget.height() // 2) if isinstance(widget, QCheckBox | QRadioButton) \
        else widget.rect().center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def retype(qtbot: QtBot, top: QWidget, name: ids.UiName | str, text: str) -> None:
    widget = named(top, name)
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    type_text(qtbot, widget, text)


def message(top: QWidget, name: ids.UiName | str) -> str:
    object_name = name if isinstance(name, str) else name.object_name
    label = top.findChild(QLabel, f"{object_name}_message")
    assert label is not None, object_name
    return label.text() if not label.isHidden() else ""


def test_settings_shows_the_generation_1_page_tree(qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    assert d.windowTitle() == "Settings for XP-CLIENT on LAB-HOST-01"
    assert d.page_keys() == [
        "add_hardware", "bios", "memory", "processor", "compatibility", "numa", "ide0",
        "disk0", "ide1", "dvd", "scsi0", "com1", "com2", "diskette", "name",
        "integration_services", "checkpoints", "automatic_start", "automatic_stop",
        "guest"]  # no Smart Paging on 2008 R2 (tests/gui/test_profile_era.py)
    assert not d.apply_button.isEnabled()


def test_change_memory_and_processor_then_apply(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "1536")
    assert d.apply_button.isEnabled()
    assert d.page("memory").has_pending()
    d.show_page("processor")
    retype(qtbot, d, ids.PROCESSOR_COUNT, "2")
    retype(qtbot, d, ids.PROCESSOR_LIMIT, "50")
    retype(qtbot, d, ids.PROCESSOR_WEIGHT, "200")
    # Hyper-V's read-only figure: 50 % × 2 VPs ÷ 8 LPs.
    assert d.page("processor").limit_share.text() == "12.5 %"  # type: ignore[attr-defined]
    assert api.vm("XP-CLIENT").config.memory_startup_mb == 512  # nothing applied yet
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    cfg = api.vm("XP-CLIENT").config
    assert (cfg.memory_startup_mb, cfg.cpu_count, cfg.cpu_limit_pct, cfg.cpu_weight) == \
        (1536, 2, 50, 200)
    assert not d.apply_button.isEnabled() and d.isVisible()
    assert not d.page("memory").has_pending()
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert not d.isVisible()


def test_apply_is_one_change_set(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    calls: list[dict[str, object]] = []
    real = api.set_vm

    def spy(ref: str, **changes: object) -> object:
        calls.append(changes)
        return real(ref, **changes)

    api.set_vm = spy  # type: ignore[method-assign]
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "1024")
    d.show_page("name")
    retype(qtbot, d, ids.VM_NOTES, "Test client")
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert calls == [{"memory_startup_mb": 1024, "notes": "Test client"}]


@pytest.mark.parametrize(
    ("page", "field", "typed", "words"),
    [
        ("memory", ids.STARTUP_RAM, "70000", "between 32 MB and 65,536 MB"),
        ("processor", ids.PROCESSOR_COUNT, "5", "between 1 and 4"),
        ("processor", ids.PROCESSOR_WEIGHT, "20000", "between 1 and 10,000"),
        ("name", ids.VM_NAME, "W2K8-DC01", "already exists"),
        ("name", ids.VM_NAME, "XP\u202eTNEILC", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("automatic_start", ids.START_DELAY, "99999", "between 0 seconds and 86,400"),
    ],
)
def test_each_field_shows_the_engines_message_and_keeps_the_input(
        qtbot: QtBot, window: MainWindow, page: str, field: ids.UiName, typed: str,
        words: str) -> None:
    api = window.bridge.api
    before = api.vm("XP-CLIENT").config
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page(page)
    retype(qtbot, d, field, typed)
    assert words in message(d, field)
    assert d.page(page).has_error()
    # Another page, and back: what was typed is still there, with its message.
    d.show_page("guest")
    d.show_page(page)
    widget = named(d, field)
    assert typed in widget.text()  # type: ignore[attr-defined]
    assert words in message(d, field)
    # Apply goes to the engine, which refuses the whole change set: nothing changes.
    d.show_page("guest")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    assert "The changes were not applied" in d.banner_text() and words in d.banner_text()
    assert d.current_key() == page  # the page of the refused field is shown
    assert api.vm("XP-CLIENT").config == before
    assert d.isVisible() and d.apply_button.isEnabled()


def test_an_engine_refusal_names_the_field_and_changes_nothing(
        qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("processor")
    retype(qtbot, d, ids.PROCESSOR_RESERVE, "60")
    retype(qtbot, d, ids.PROCESSOR_LIMIT, "50")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "1024")  # valid, but it goes with the rest or not at all
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert d.isVisible()
    assert "Virtual machine reserve:" in d.banner_text()
    assert "cannot be greater than the virtual machine limit" in d.banner_text()
    assert d.current_key() == "processor"
    cfg = api.vm("XP-CLIENT").config
    assert (cfg.memory_startup_mb, cfg.cpu_reserve_pct) == (512, 0)


def test_a_running_vms_locked_fields_are_disabled_with_the_reason(
        qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    locked = api.locked_fields("W2K8-DC01")
    d = open_settings(qtbot, window, "W2K8-DC01")
    for page, field, name in (("processor", "cpu_count", ids.PROCESSOR_COUNT),
                              ("memory", "memory_startup_mb", ids.STARTUP_RAM),
                              ("memory", "dynamic_memory_enabled", ids.DYNAMIC_MEMORY),
                              ("automatic_stop", "automatic_stop_action", ids.STOP_SAVE),
                              ("checkpoints", "checkpoint_location", ids.CHECKPOINT_LOCATION),
                              ("bios", "boot_order", ids.STARTUP_ORDER),
                              ("guest", "guest_os", ids.GUEST_OS)):
        d.show_page(page)
        widget = named(d, name)
        assert not widget.isEnabled(), name.object_name
        assert widget.toolTip() == locked[field]
        assert locked[field] in message(d, name)
    # Fields Hyper-V changes live stay editable, and apply while it runs.
    d.show_page("processor")
    assert named(d, ids.PROCESSOR_LIMIT).isEnabled()
    retype(qtbot, d, ids.PROCESSOR_LIMIT, "80")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    assert api.vm("W2K8-DC01").config.cpu_limit_pct == 80


def test_locks_follow_the_vms_state_while_the_dialog_is_open(
        qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("processor")
    retype(qtbot, d, ids.PROCESSOR_WEIGHT, "300")
    assert named(d, ids.PROCESSOR_COUNT).isEnabled()
    window.bridge.call(window.bridge.api.start, "XP-CLIENT")
    window.bridge.step(60)
    assert not named(d, ids.PROCESSOR_COUNT).isEnabled()
    assert named(d, ids.PROCESSOR_WEIGHT).text() == "300"  # type: ignore[attr-defined]
    assert d.apply_button.isEnabled()


def test_cancel_discards(qtbot: QtBot, window: MainWindow, shown: object) -> None:
    api = window.bridge.api
    before = api.vm("XP-CLIENT").config
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "2048")
    click(qtbot, d, ids.VM_SETTINGS_CANCEL)
    assert not d.isVisible()
    assert api.vm("XP-CLIENT").config == before
    assert window.findChild(QMessageBox, ids.UNAPPLIED_DIALOG.object_name) is None


def _prompt(window: MainWindow) -> QMessageBox:
    found = [b for b in window.findChildren(QMessageBox, ids.UNAPPLIED_DIALOG.object_name)
             if b.isVisible()]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(("answer", "closed", "memory"),
                         [("Apply", True, 2048), ("Discard", True, 512),
                          ("Cancel", False, 512)])
def test_closing_with_unapplied_edits_asks(qtbot: QtBot, window: MainWindow, answer: str,
                                           closed: bool, memory: int) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "2048")
    qtbot.keyClick(d, Qt.Key.Key_Escape)
    box = _prompt(window)
    assert "XP-CLIENT" in box.text()
    button = box.findChild(QAbstractButton, f"{ids.UNAPPLIED_DIALOG.object_name}_{answer}")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert d.isVisible() != closed
    assert api.vm("XP-CLIENT").config.memory_startup_mb == memory
    if not closed:
        assert d.model.pending == {"memory_startup_mb": 2048}


def test_closing_without_edits_does_not_ask(qtbot: QtBot, window: MainWindow,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(prompts, "ask_unapplied",
                        lambda parent, name, on_answer: asked.append(name))
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.close()
    assert not d.isVisible() and asked == []


def test_an_edit_back_to_the_applied_value_is_not_pending(qtbot: QtBot,
                                                          window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("processor")
    retype(qtbot, d, ids.PROCESSOR_WEIGHT, "250")
    assert d.apply_button.isEnabled()
    retype(qtbot, d, ids.PROCESSOR_WEIGHT, "100")
    assert not d.apply_button.isEnabled()


def _add(qtbot: QtBot, d: VmSettingsDialog, kind: str) -> str:
    d.show_page("add_hardware")
    page = d.page("add_hardware")
    assert isinstance(page, AddHardwarePage)
    page.select(kind)
    page.refresh()
    if not page.add_button.isEnabled():
        return page.add_button.toolTip()
    click(qtbot, d, ids.ADD_HARDWARE_ADD)
    return ""


def test_add_and_remove_a_network_adapter(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    assert _add(qtbot, d, "nic") == ""
    assert d.current_key() == "nic0"  # the new adapter's page is shown
    assert "nic0" in d.page_keys()
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    assert len(api.vm("XP-CLIENT").config.network_adapters) == 1
    d.show_page("nic0")
    click(qtbot, d, "vmSettings_nic0_remove")
    assert "nic0" not in d.page_keys()
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert api.vm("XP-CLIENT").config.network_adapters == ()


def test_network_adapters_beyond_the_profiles_limits_are_refused(
        qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    for _ in range(8):
        assert _add(qtbot, d, "nic") == ""
    reason = _add(qtbot, d, "nic")
    assert "Network adapters must be between 0 and 8; 9 is out of range." in reason
    for _ in range(4):
        assert _add(qtbot, d, "legacy_nic") == ""
    assert "between 0 and 4" in _add(qtbot, d, "legacy_nic")
    page = d.page("add_hardware")
    assert isinstance(page, AddHardwarePage)
    assert "between 0 and 4" in page.add_selected()  # the engine refuses a forced add too
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    adapters = api.vm("XP-CLIENT").config.network_adapters
    assert (sum(not n.legacy for n in adapters), sum(n.legacy for n in adapters)) == (8, 4)


def test_add_and_remove_scsi_controllers_within_the_limit(qtbot: QtBot,
                                                         window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    for n in range(3):
        assert _add(qtbot, d, "scsi") == ""
        assert d.current_key() == f"scsi{n + 1}"
    assert "SCSI controllers must be between 0 and 4; 5 is out of range." in _add(qtbot, d,
                                                                                    "scsi")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    assert api.vm("XP-CLIENT").config.scsi_controllers == 4
    # A drive on the second controller; removing the first moves it to controller 0.
    d.show_page("scsi1")
    click(qtbot, d, "vmSettings_scsi1_addHardDrive")
    d.show_page("scsi0")
    click(qtbot, d, "vmSettings_scsi0_remove")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    cfg = api.vm("XP-CLIENT").config
    assert cfg.scsi_controllers == 3
    assert [(h.controller, h.controller_number) for h in cfg.hard_drives] == \
        [("IDE", 0), ("SCSI", 0)]


def test_adding_hardware_to_a_running_vm_is_refused_with_the_engines_reason(
        qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "W2K8-DC01")
    reason = _add(qtbot, d, "nic")
    assert "can be added or removed only when the virtual machine is Off" in reason
    assert "only when the virtual machine is Off" in _add(qtbot, d, "scsi")
    d.show_page("ide0")
    assert not named(d, "vmSettings_ide0_addHardDrive").isEnabled()
    d.show_page("disk0")
    assert not named(d, "vmSettings_disk0_remove").isEnabled()
    assert not named(d, "vmSettings_disk0_path").isEnabled()
    # Storage QoS (which changes live) arrived with 2012 R2: the demo's 2008 R2 has none.
    assert not named(d, "vmSettings_disk0_qos").isVisibleTo(d)


def test_network_adapter_fields(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    api.create_switch("Lab", "Internal")
    d = open_settings(qtbot, window, "NT4-LEGACY")  # running, one legacy adapter
    assert "legacyNic0" in d.page_keys()
    d.show_page("legacyNic0")
    key = "vmSettings_legacyNic0"
    switch = named(d, f"{key}_switch")
    assert switch.isEnabled()  # the switch and VLAN change while the VM runs
    switch.setCurrentIndex(switch.findData("Lab"))  # type: ignore[attr-defined]
    click(qtbot, d, f"{key}_vlanEnabled")
    retype(qtbot, d, f"{key}_vlanId", "5000")
    assert "VLAN ID must be between 1 and 4,094" in message(d, key)
    assert d.page("legacyNic0").has_error()
    retype(qtbot, d, f"{key}_vlanId", "10")
    assert message(d, key) == ""
    assert not named(d, f"{key}_macStatic").isEnabled()  # the MAC only while Off
    assert "Off" in message(d, f"{key}_macAddress")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    [nic] = api.vm("NT4-LEGACY").config.network_adapters
    assert (nic.legacy, nic.switch, nic.vlan_id) == (True, "Lab", 10)


def test_a_static_mac_address_is_validated(qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    _add(qtbot, d, "nic")
    click(qtbot, d, "vmSettings_nic0_macStatic")
    retype(qtbot, d, "vmSettings_nic0_macAddress", "00-15-5D-XX")
    assert "is not a MAC address" in message(d, "vmSettings_nic0")
    retype(qtbot, d, "vmSettings_nic0_macAddress", "00-15-5D-0A-0B-0C")
    click(qtbot, d, ids.VM_SETTINGS_OK)
    [nic] = window.bridge.api.vm("XP-CLIENT").config.network_adapters
    assert nic.static_mac == "00-15-5D-0A-0B-0C"


def test_dynamic_memory_fields(qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    assert not named(d, ids.MINIMUM_RAM).isEnabled()
    click(qtbot, d, ids.DYNAMIC_MEMORY)
    assert named(d, ids.MINIMUM_RAM).isEnabled()
    # Hyper-V's default maximum on this profile is its per-VM limit.
    assert named(d, ids.MAXIMUM_RAM).value() == 65536  # type: ignore[attr-defined]
    retype(qtbot, d, ids.MINIMUM_RAM, "1024")
    assert "Minimum RAM must be between 32 MB and 512 MB" in message(d, ids.MINIMUM_RAM)
    retype(qtbot, d, ids.MINIMUM_RAM, "256")
    retype(qtbot, d, ids.MEMORY_BUFFER, "50")
    click(qtbot, d, ids.VM_SETTINGS_OK)
    cfg = window.bridge.api.vm("XP-CLIENT").config
    assert (cfg.dynamic_memory_enabled, cfg.memory_minimum_mb, cfg.memory_maximum_mb,
            cfg.memory_buffer_pct) == (True, 256, 65536, 50)


def test_bios_startup_order_and_media(qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("bios")
    order = named(d, ids.STARTUP_ORDER)
    order.setCurrentRow(1)  # type: ignore[attr-defined]
    click(qtbot, d, ids.BOOT_MOVE_UP)
    click(qtbot, d, ids.NUM_LOCK)
    d.show_page("dvd")
    click(qtbot, d, ids.DVD_IMAGE)
    retype(qtbot, d, ids.DVD_PATH, "D:\\setup.img")
    assert ".iso" in message(d, ids.DVD_PATH)
    retype(qtbot, d, ids.DVD_PATH, "D:\\setup.iso")
    d.show_page("com1")
    click(qtbot, d, ids.COM1_PIPE)
    assert named(d, ids.COM1_PATH).text() == "\\\\.\\pipe\\XP-CLIENT-com1"  # type: ignore
    click(qtbot, d, ids.VM_SETTINGS_OK)
    cfg = window.bridge.api.vm("XP-CLIENT").config
    assert cfg.boot_order == ("IDE", "CD", "LegacyNetworkAdapter", "Floppy")
    assert (cfg.num_lock, cfg.dvd_path, cfg.com1_pipe) == \
        (True, "D:\\setup.iso", "\\\\.\\pipe\\XP-CLIENT-com1")


def test_management_pages(qtbot: QtBot, window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("integration_services")
    click(qtbot, d, ids.settings_service("backup", "Backup (volume shadow copy)"))
    click(qtbot, d, ids.settings_service("time_sync", "Time synchronization"))
    d.show_page("automatic_start")
    click(qtbot, d, ids.START_ALWAYS)
    retype(qtbot, d, ids.START_DELAY, "30")
    d.show_page("automatic_stop")
    click(qtbot, d, ids.STOP_SHUT_DOWN)
    d.show_page("guest")
    assert not named(d, ids.WORKLOAD_CPU).isEnabled()
    workload = named(d, ids.WORKLOAD)
    workload.setCurrentIndex(workload.findData("custom"))  # type: ignore[attr-defined]
    assert named(d, ids.WORKLOAD_CPU).isEnabled()
    retype(qtbot, d, ids.WORKLOAD_CPU, "40")
    click(qtbot, d, ids.VM_SETTINGS_OK)
    cfg = window.bridge.api.vm("XP-CLIENT").config
    assert "backup" not in cfg.integration_services
    assert "time_sync" not in cfg.integration_services
    assert (cfg.automatic_start_action.value, cfg.automatic_start_delay_s,
            cfg.automatic_stop_action.value) == ("Start", 30, "ShutDown")
    assert (cfg.workload, cfg.workload_cpu_pct) == ("custom", 40)


def test_renaming_in_settings_updates_the_title_after_apply(qtbot: QtBot,
                                                            window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("name")
    retype(qtbot, d, ids.VM_NAME, "XP-CLIENT-2")
    click(qtbot, d, ids.VM_SETTINGS_APPLY)
    assert d.windowTitle() == "Settings for XP-CLIENT-2 on LAB-HOST-01"


def test_a_second_settings_request_raises_the_open_dialog(qtbot: QtBot,
                                                         window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    assert window.vm_windows.open_settings(d.vm_id) is d


def test_deleting_the_vm_while_its_settings_are_open(qtbot: QtBot,
                                                    window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")
    window.bridge.call(window.bridge.api.delete_vm, "XP-CLIENT")
    assert "was deleted" in d.banner_text()
    assert not d.ok_button.isEnabled()
    d.close()
    assert not d.isVisible()


def test_generation_2_has_firmware_and_no_legacy_devices(qtbot: QtBot, window: MainWindow,
                                                        light_theme: None) -> None:
    from hvlab.engine.api import ManagementApi
    from hvlab.gui.bridge import Bridge

    api = ManagementApi(seed=0)
    api.add_host("HOST-2012", "ws2012r2")
    api.create_vm("UEFI01", generation=2, guest_os="ws2012r2-x64",
                  hard_drives=[{"controller": "SCSI", "controller_number": 0, "location": 0,
                                "path": "UEFI01.vhd"}])
    bridge = Bridge(api, clock="manual")
    d = VmSettingsDialog(bridge, api.vm("UEFI01").id)
    qtbot.addWidget(d)
    d.show()
    keys = d.page_keys()
    assert keys[:6] == ["add_hardware", "firmware", "memory", "processor", "compatibility",
                        "numa"]
    assert "scsi0" in keys and "dvd" in keys and "disk0" in keys
    assert not {"bios", "ide0", "ide1", "com1", "com2", "diskette"} & set(keys)
    page = d.page("add_hardware")
    assert isinstance(page, AddHardwarePage)
    assert [page.list.item(i).text() for i in range(page.list.count())] == \
        ["SCSI Controller", "Network Adapter"]
    d.show_page("firmware")
    click(qtbot, d, ids.SECURE_BOOT)
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert api.vm("UEFI01").config.secure_boot is False
    bridge.close()


def test_one_engine_check_marks_every_wrong_field(qtbot: QtBot, window: MainWindow,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edit costs one dry run, however many fields are wrong, and every wrong field
    gets its own message."""
    d = open_settings(qtbot, window, "XP-CLIENT")
    api = window.bridge.api
    calls: list[dict[str, object]] = []
    check = api.vm_change_errors

    def counted(ref: str, **changes: object) -> dict[str, str]:
        calls.append(changes)
        return check(ref, **changes)

    monkeypatch.setattr(api, "vm_change_errors", counted)
    d.model.set_many({"memory_startup_mb": 70000, "cpu_weight": 0, "cpu_count": 99})
    assert len(calls) == 1
    assert set(d.model.errors) == {"memory_startup_mb", "cpu_weight", "cpu_count"}
    assert all(d.model.errors.values())


def test_the_vm_selector_switches_vm_without_closing(qtbot: QtBot, window: MainWindow) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    names = [d.selector.itemText(i) for i in range(d.selector.count())]
    assert names == sorted((v.name for v in api.vms()), key=str.casefold)
    assert d.selector.currentText() == "XP-CLIENT"
    d.show_page("memory")
    d.selector.choose(api.vm("SQL-BIG").id)
    assert d.isVisible() and d.vm_id == api.vm("SQL-BIG").id
    assert d.windowTitle() == "Settings for SQL-BIG on LAB-HOST-01"
    assert d.selector.currentText() == "SQL-BIG" and d.current_key() == "memory"
    assert d.model.value("memory_startup_mb") == api.vm("SQL-BIG").config.memory_startup_mb
    # The Settings action for SQL-BIG now raises this dialog, not a second one.
    assert window.vm_windows.open_settings(api.vm("SQL-BIG").id) is d


@pytest.mark.parametrize(("answer", "switched", "memory"),
                         [("Apply", True, 2048), ("Discard", True, 512),
                          ("Cancel", False, 512)])
def test_switching_vm_with_unapplied_edits_asks_first(
        qtbot: QtBot, window: MainWindow, answer: str, switched: bool, memory: int) -> None:
    api = window.bridge.api
    d = open_settings(qtbot, window, "XP-CLIENT")
    d.show_page("memory")
    retype(qtbot, d, ids.STARTUP_RAM, "2048")
    d.selector.choose(api.vm("SQL-BIG").id)
    box = _prompt(window)
    assert "XP-CLIENT" in box.text()
    assert d.selector.currentText() == "XP-CLIENT", "the list waits for the answer"
    button = box.findChild(QAbstractButton, f"{ids.UNAPPLIED_DIALOG.object_name}_{answer}")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert d.isVisible()
    assert d.selector.currentText() == ("SQL-BIG" if switched else "XP-CLIENT")
    assert (d.vm_id == api.vm("SQL-BIG").id) == switched
    assert api.vm("XP-CLIENT").config.memory_startup_mb == memory
    if not switched:
        assert d.model.pending == {"memory_startup_mb": 2048}, "nothing typed is lost"
    else:
        assert not d.model.has_pending()


def test_processor_compatibility_changes_while_the_vm_is_off(qtbot: QtBot,
                                                            window: MainWindow) -> None:
    d = open_settings(qtbot, window, "XP-CLIENT")  # Off in the demo lab
    d.show_page("compatibility")
    click(qtbot, d, ids.COMPATIBILITY)
    click(qtbot, d, ids.VM_SETTINGS_OK)
    assert window.bridge.api.vm("XP-CLIENT").config.processor_compatibility
    d = open_settings(qtbot, window, "W2K8-DC01")  # Running: the box is locked
    d.show_page("compatibility")
    assert not named(d, ids.COMPATIBILITY).isEnabled()
    d.close()
