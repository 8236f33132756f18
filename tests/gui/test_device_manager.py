"""Device Manager in the Connect window, and Insert Integration Services Setup Disk.

W2K3-APP01 is Windows Server 2003 without integration services: its synthetic devices are
unknown devices until the setup disk is inserted and the guest restarts; NT4-LEGACY can
never have them; W2K8-DC01 has them built in.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.device_manager import OTHER, DeviceManagerPanel
from hvlab.gui.main_window import MainWindow
from tests.gui.conftest import DialogRecorder
from tests.gui.helpers import select

SYNTHETIC_SCSI = "Microsoft Virtual Machine Bus SCSI Controller"


def _device_manager(qtbot: QtBot, window: MainWindow, name: str) -> tuple[ConnectWindow,
                                                                        DeviceManagerPanel]:
    connect = window.vm_windows.open_connect(window.bridge.api.vm(name).id)
    assert isinstance(connect, ConnectWindow)
    qtbot.waitExposed(connect)
    toggle = connect.device_manager.toggleViewAction()
    assert toggle.text().replace("&", "") == "Device Manager"
    assert toggle in connect.findChild(QMenu, "connectMenuView").actions()
    toggle.trigger()  # View ▸ Device Manager
    assert connect.device_manager.isVisible()
    return connect, connect.device_manager.panel


def test_unknown_devices_until_setup_disk_and_restart(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    connect, panel = _device_manager(qtbot, window, "W2K3-APP01")
    cats = panel.categories()
    assert sorted(cats[OTHER]) == ["Unknown device (Network Adapter)",
                                   "Unknown device (SCSI Controller)",
                                   "Unknown device (Synthetic keyboard and mouse)",
                                   "Unknown device (Synthetic video)"]
    assert cats["IDE ATA/ATAPI controllers"] == [
        "Intel(R) 82371AB/EB PCI Bus Master IDE Controller"] * 2
    assert cats["Display adapters"] == ["S3 Trio32/64"]
    assert "Storage controllers" not in cats
    assert panel.driver_of("Virtual HD ATA Device").startswith("Emulated by the worker process")
    assert "4 devices have no driver" in panel.summary.text()
    assert "Insert Integration Services Setup Disk" in panel.summary.text()

    # Action ▸ Insert Integration Services Setup Disk, enabled by the engine.
    action = connect.is_disk_action
    assert action in connect.findChild(QMenu, "connectMenuAction").actions()
    assert action.isEnabled(), action.toolTip()
    action.trigger()
    assert not action.isEnabled()
    assert "already installed" in action.toolTip()
    assert "restart the virtual machine" in connect.statusBar().currentMessage()
    window.bridge.step(1)
    assert len(panel.categories()[OTHER]) == 4  # the drivers load only at the next boot

    connect.vm_actions["reset"].trigger()
    assert shown.confirmations == ["Reset Machine"]
    for _ in range(24):
        window.bridge.step(10)
        if OTHER not in panel.categories():
            break
    cats = panel.categories()
    assert OTHER not in cats, cats
    assert cats["Storage controllers"] == [SYNTHETIC_SCSI]
    assert cats["Display adapters"] == ["Microsoft Virtual Machine Bus Video Device",
                                        "S3 Trio32/64"]
    assert cats["System devices"] == ["Virtual Machine Bus"]
    assert panel.driver_of(SYNTHETIC_SCSI) == "Synthetic: VMBus to the StorVSP in the root " \
                                              "partition"
    # With integration services the IDE disk takes the VMBus fast path.
    assert "fast path" in panel.driver_of("Virtual HD ATA Device")
    assert panel.summary.text().endswith("every device has a driver.")
    assert shown.errors == []


def test_legacy_guest_and_stopped_vm(qtbot: QtBot, window: MainWindow) -> None:
    connect, panel = _device_manager(qtbot, window, "NT4-LEGACY")
    cats = panel.categories()
    assert cats["Network adapters"] == ["Intel 21140-Based PCI Fast Ethernet Adapter (Emulated)"]
    assert cats["Keyboards"] == ["Standard PS/2 Keyboard"]
    assert cats["Mice and other pointing devices"] == ["PS/2 Compatible Mouse"]
    assert not connect.is_disk_action.isEnabled()
    assert "No integration services setup disk exists for Windows NT 4.0" in \
        connect.is_disk_action.toolTip()
    assert "No integration services setup disk exists" in panel.summary.text()

    off, off_panel = _device_manager(qtbot, window, "XP-CLIENT")
    assert off_panel.categories() == {}
    assert "is not running" in off_panel.message.text()
    assert not off.is_disk_action.isEnabled()


def test_enlightened_guest_lists_vmbus_drivers(qtbot: QtBot, window: MainWindow) -> None:
    connect, panel = _device_manager(qtbot, window, "W2K8-DC01")
    cats = panel.categories()
    assert OTHER not in cats
    assert cats["Storage controllers"] == [SYNTHETIC_SCSI]
    assert cats["Human Interface Devices"] == ["Microsoft Virtual Machine Bus HID Miniport"]
    assert "already installed" in connect.is_disk_action.toolTip()


def test_main_window_action_follows_the_selection(
        qtbot: QtBot, window: MainWindow, shown: DialogRecorder) -> None:
    action = window.is_disk_action
    assert action in window.menus.context_menu.actions()
    select(window, "NT4-LEGACY")
    assert not action.isEnabled()
    select(window, "W2K3-APP01")
    assert action.isEnabled(), action.toolTip()
    select(window, "W2K3-APP01", "NT4-LEGACY")
    assert not action.isEnabled()
    assert "only one" in action.toolTip()
    select(window, "W2K3-APP01")
    action.trigger()
    assert not action.isEnabled()
    assert shown.errors == []
