"""Device pages: IDE and SCSI controllers, hard drives, DVD drive, network adapters, COM ports,
diskette drive.

A device page edits one entry of a device list (``hard_drives``, ``network_adapters``). What
may change while the VM runs is asked of the engine per kind of change (placing a disk,
Quality of Service, switch and VLAN, MAC address, removing): each kind is tried alone on the
applied configuration, and a refusal disables those editors with the engine's reason.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HardDrive, NetworkAdapter
from hvlab.gui import ids
from hvlab.gui.forms import caption
from hvlab.gui.settings.fields import Page, message_label, show_message, spin
from hvlab.gui.settings.hardware import free_location, new_drive_path
from hvlab.gui.settings.model import Device, SettingsModel

PROBE_MAC = "00-15-5D-00-00-01"


def _named(widget: QWidget, key: str, field: str, label: str) -> None:
    ids.apply(widget, ids.settings_device_field(key, field, label))


class ControllerPage(Page):
    """IDE Controller 0/1 or a SCSI controller: its drives, Add Hard Drive (and Remove for
    SCSI controllers)."""

    def __init__(self, model: SettingsModel, controller: str, number: int, key: str) -> None:
        ide = controller == "IDE"
        title = f"IDE Controller {number}" if ide else "SCSI Controller"
        text = ("You can add hard drives and CD drives to your IDE controller." if ide else
                "You can add hard drives to your SCSI controller or remove the SCSI controller "
                "from the machine.")
        super().__init__(model, key, title, text)
        self.controller = controller
        self.number = number
        lim = model.profile.limits
        self.locations = (lim.devices_per_ide_controller if ide
                          else lim.devices_per_scsi_controller)
        self.attached = self.text("")
        self.layout_.addWidget(self.attached)
        self.add_drive = QPushButton("Add Hard Drive")
        _named(self.add_drive, key, "addHardDrive", "Add Hard Drive")
        row = QHBoxLayout()
        row.addWidget(QLabel("Select the type of drive you want to attach to the controller "
                             "and then click Add: Hard Drive."))
        row.addStretch(1)
        row.addWidget(self.add_drive)
        self.layout_.addLayout(row)
        self.add_message = message_label(self.add_drive)
        self.layout_.addWidget(self.add_message)
        self.add_drive.clicked.connect(self.add_hard_drive)
        self.remove: QPushButton | None = None
        if not ide:
            self.remove = QPushButton("Remove")
            _named(self.remove, key, "remove", "Remove")
            self.remove_message = message_label(self.remove)
            self.layout_.addWidget(self.text(
                "To remove the controller and all the drives attached to it, click Remove."))
            r = QHBoxLayout()
            r.addStretch(1)
            r.addWidget(self.remove)
            self.layout_.addLayout(r)
            self.layout_.addWidget(self.remove_message)
            self.remove.clicked.connect(self.remove_controller)
        self.layout_.addStretch(1)

    def _drives(self) -> list[HardDrive]:
        return [d.value for d in self.model.device_list("hard_drives")]

    def _new_drive(self) -> HardDrive | None:
        loc = free_location(self._drives(), self.controller, self.number, self.locations)
        if loc is None:
            return None
        return HardDrive(self.controller, self.number, loc,
                         new_drive_path(self.model, self.controller, self.number, loc),
                         bootable=False)

    def add_hard_drive(self) -> str:
        drive = self._new_drive()
        if drive is None:
            reason = f"All {self.locations} locations of this controller are in use."
        else:
            result = self.model.add_device("hard_drives", drive)
            reason = result if isinstance(result, str) else ""
            if isinstance(result, int):
                self.navigate.emit(f"device:hard_drives:{result}")
        show_message(self.add_message, reason)
        return reason

    def _without_this_controller(self) -> list[Device]:
        """The drives once this SCSI controller is gone: its own drives go with it, and
        the controllers after it move down by one."""
        kept = []
        for d in self.model.device_list("hard_drives"):
            v = d.value
            if v.controller == "SCSI" and v.controller_number == self.number:
                continue
            if v.controller == "SCSI" and v.controller_number > self.number:
                v = replace(v, controller_number=v.controller_number - 1)
            kept.append(Device(d.uid, d.origin, v))
        return kept

    def removal_refusal(self) -> str:
        count = int(self.model.value("scsi_controllers")) - 1
        return self.model.scsi_refusal(count, [d.value for d in self._without_this_controller()])

    def remove_controller(self) -> str:
        reason = self.removal_refusal()
        if not reason:
            count = int(self.model.value("scsi_controllers")) - 1
            self.model.set_scsi_controllers(count, self._without_this_controller())
            self.navigate.emit("add_hardware")
        elif self.remove is not None:
            show_message(self.remove_message, reason)
        return reason

    def refresh(self) -> None:
        super().refresh()
        mine = [d for d in self._drives()
                if (d.controller, d.controller_number) == (self.controller, self.number)]
        lines = [f"Location {d.location}: {d.path}" for d in sorted(mine, key=lambda d: d.location)]
        self.attached.setText("Attached: " + ("; ".join(lines) if lines else "nothing") + ".")
        drive = self._new_drive()
        reason = ("All locations are in use." if drive is None
                  else self.model.can_add_device("hard_drives", drive))
        self.add_drive.setEnabled(not reason)
        self.add_drive.setToolTip(reason)
        if self.add_message.text() and not reason:
            show_message(self.add_message, "")
        if self.remove is not None:
            reason = self.removal_refusal()
            self.remove.setEnabled(not reason)
            self.remove.setToolTip(reason)
            show_message(self.remove_message, "", reason)


class DevicePage(Page):
    """A page that edits one device of a device list."""

    list_field = ""

    def __init__(self, model: SettingsModel, uid: int, key: str, title: str,
                 description: str) -> None:
        super().__init__(model, key, title, description)
        self.uid = uid
        self.device_message = message_label()
        self.device_message.setObjectName(f"vmSettings_{key}_message")
        self._loading = False

    @property
    def value(self) -> Any:
        device = self.model.device(self.list_field, self.uid)
        return device.value if device is not None else None

    def has_pending(self) -> bool:
        device = self.model.device(self.list_field, self.uid)
        if device is None:
            return False
        return device.origin is None or \
            getattr(self.model.original, self.list_field)[device.origin] != device.value

    def has_error(self) -> bool:
        return bool(self.model.device_error(self.list_field, self.uid))

    def error_fields(self) -> tuple[str, ...]:
        return (self.list_field,) if self.has_error() else ()

    def send(self, *_args: object) -> None:
        """Record the editors' value as this device's pending value."""
        if not self._loading and self.value is not None:
            self.model.set_device(self.list_field, self.uid, self.read())

    def read(self) -> Any:  # pragma: no cover - every device page overrides it
        raise NotImplementedError

    def write(self, value: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def editors(self) -> list[QWidget]:
        return [w for w in self.findChildren(QWidget)
                if isinstance(w, QAbstractButton | QLineEdit | QComboBox | QSpinBox)]

    def load(self) -> None:
        if self.value is None:
            return
        self._loading = True
        try:
            self.write(self.value)
        finally:
            self._loading = False
        self.refresh()

    def refresh(self) -> None:
        super().refresh()
        show_message(self.device_message, self.model.device_error(self.list_field, self.uid))

    def lock_editors(self, editors: list[QWidget], reason: str) -> None:
        for e in editors:
            e.setEnabled(not reason)
            e.setToolTip(reason)

    def remove_device(self) -> str:
        reason = self.model.remove_device(self.list_field, self.uid)
        if reason:
            show_message(self.device_message, reason)
        else:
            self.navigate.emit("add_hardware")
        return reason


class HardDrivePage(DevicePage):
    list_field = "hard_drives"

    def __init__(self, model: SettingsModel, uid: int, key: str) -> None:
        super().__init__(model, uid, key, "Hard Drive",
                         "You can change how this virtual hard disk is attached to the "
                         "virtual machine.")
        lim = model.profile.limits
        self._locations = {"IDE": lim.devices_per_ide_controller,
                           "SCSI": lim.devices_per_scsi_controller}
        grid = self.grid()
        self.controller = QComboBox()
        _named(self.controller, key, "controller", "Controller")
        if model.generation == 1:
            for n in range(lim.ide_controllers):
                self.controller.addItem(f"IDE Controller {n}", ("IDE", n))
        for n in range(int(model.value("scsi_controllers"))):
            self.controller.addItem(f"SCSI Controller {n}", ("SCSI", n))
        self.location = QComboBox()
        _named(self.location, key, "location", "Location")
        self.add_row(grid, "&Controller:", self.controller, after=self._location_row())
        self.path = QLineEdit()
        _named(self.path, key, "path", "Virtual hard disk")
        self.path.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 40))
        self.add_row(grid, "&Virtual hard disk:", self.path)
        self.place_message = message_label(self.path)
        grid.addWidget(self.place_message, grid.rowCount(), 1)
        # New…, Edit…, Inspect… and Browse… open gui/disks' windows on real files.
        disk_buttons = QHBoxLayout()
        disk_buttons.addStretch(1)
        for field, text, slot in (("newDisk", "&New…", self._new_disk),
                                  ("editDisk", "&Edit…", self._edit_disk),
                                  ("inspectDisk", "I&nspect…", self._inspect_disk),
                                  ("browseDisk", "&Browse…", self._browse_disk)):
            button = QPushButton(text)
            _named(button, key, field, text.replace("&", ""))
            button.clicked.connect(slot)
            disk_buttons.addWidget(button)
        self.layout_.addLayout(disk_buttons)
        self.bootable = QCheckBox("The disk holds an installed operating system (hvlab: the "
                                  "virtual machine can boot from it)")
        _named(self.bootable, key, "bootable", "The disk holds an installed operating system")
        self.layout_.addWidget(self.bootable)
        qos = QGroupBox("Quality of Service")
        q = QVBoxLayout(qos)
        self.qos = QCheckBox("Enable Quality of Service management")
        _named(self.qos, key, "qos", "Enable Quality of Service management")
        q.addWidget(self.qos)
        qgrid = self.grid(q)
        self.min_iops = spin(ids.settings_device_field(key, "minimumIops", "Minimum (IOPS)"))
        self.max_iops = spin(ids.settings_device_field(key, "maximumIops", "Maximum (IOPS)"))
        self.add_row(qgrid, "M&inimum:", self.min_iops, after=QLabel("IOPS"))
        self.add_row(qgrid, "Ma&ximum:", self.max_iops, after=QLabel("IOPS"))
        q.addWidget(self.text("IOPS are normalized to 8 KB; 0 means no minimum or maximum."))
        self.qos_message = message_label(self.qos)
        q.addWidget(self.qos_message)
        self.layout_.addWidget(qos)
        qos.setVisible(model.profile.features.storage_qos)  # storage QoS arrived with 2012 R2
        self.remove = QPushButton("Remove")
        _named(self.remove, key, "remove", "Remove")
        row = QHBoxLayout()
        row.addWidget(QLabel("To remove the virtual hard disk, click Remove. This "
                             "disconnects the disk but does not delete the file."), 1)
        row.addWidget(self.remove)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.device_message)
        self.layout_.addStretch(1)
        self.controller.currentIndexChanged.connect(self._on_controller)
        self.location.currentIndexChanged.connect(self.send)
        self.path.textEdited.connect(self.send)
        self.bootable.toggled.connect(self.send)
        self.qos.toggled.connect(self._on_qos)
        self.min_iops.valueChanged.connect(self.send)
        self.max_iops.valueChanged.connect(self.send)
        self.remove.clicked.connect(self.remove_device)

    def _set_disk(self, path: str) -> None:
        self.path.setText(path)
        self.send()

    def _new_disk(self) -> None:
        from hvlab.gui.disks.dialogs import open_new_disk_wizard

        open_new_disk_wizard(self, self.model.bridge, self._set_disk)

    def _edit_disk(self) -> None:
        from hvlab.gui.disks.dialogs import open_edit_disk_wizard

        open_edit_disk_wizard(self, self.model.bridge, self.path.text().strip())

    def _inspect_disk(self) -> None:
        from hvlab.gui.disks.dialogs import open_inspect_dialog

        open_inspect_dialog(self, self.model.bridge, self.path.text().strip())

    def _browse_disk(self) -> None:
        from hvlab.gui.disks import files

        api = self.model.api
        files.choose_disk(self, "Open", api.vhd_folder(), self._set_disk)

    def _location_row(self) -> QWidget:
        w = QWidget()
        h = QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(caption("&Location:", self.location))
        h.addWidget(self.location)
        h.addStretch(1)
        return w

    def _fill_locations(self, controller: str, selected: int) -> None:
        self.location.blockSignals(True)
        self.location.clear()
        for loc in range(self._locations.get(controller, 1)):
            self.location.addItem(f"{loc}", loc)
        self.location.setCurrentIndex(max(self.location.findData(selected), 0))
        self.location.blockSignals(False)

    def _on_controller(self) -> None:
        data = self.controller.currentData()
        if data is None or self._loading:
            return
        controller, number = data
        others = [d.value for d in self.model.device_list("hard_drives") if d.uid != self.uid]
        loc = free_location(others, controller, number, self._locations[controller])
        self._fill_locations(controller, loc if loc is not None else 0)
        self.send()

    def _on_qos(self, on: bool) -> None:
        if not on:
            self.min_iops.setValue(0)
            self.max_iops.setValue(0)
        self.send()

    def read(self) -> HardDrive:
        controller, number = self.controller.currentData() or ("IDE", 0)
        qos = self.qos.isChecked()
        return HardDrive(controller, number, int(self.location.currentData() or 0),
                         self.path.text(), self.bootable.isChecked(),
                         self.min_iops.value() if qos else 0, self.max_iops.value() if qos else 0)

    def write(self, value: Any) -> None:
        d: HardDrive = value
        for w in self.editors():
            w.blockSignals(True)
        index = self.controller.findData((d.controller, d.controller_number))
        if index < 0:
            self.controller.addItem(f"{d.controller} Controller {d.controller_number}",
                                    (d.controller, d.controller_number))
            index = self.controller.count() - 1
        self.controller.setCurrentIndex(index)
        self._fill_locations(d.controller, d.location)
        self.path.setText(d.path)
        self.bootable.setChecked(d.bootable)
        self.qos.setChecked(bool(d.min_iops or d.max_iops))
        self.min_iops.setValue(d.min_iops)
        self.max_iops.setValue(d.max_iops)
        for w in self.editors():
            w.blockSignals(False)

    def refresh(self) -> None:
        super().refresh()
        m = self.model
        place = m.probe_device("hard_drives", self.uid,
                               lambda v: replace(v, path=v.path + ".moved"))
        self.lock_editors([self.controller, self.location, self.path, self.bootable], place)
        show_message(self.place_message, "", place)
        qos = m.probe_device("hard_drives", self.uid,
                             lambda v: replace(v, min_iops=0 if v.min_iops else 1, max_iops=0))
        self.lock_editors([self.qos], qos)
        for box in (self.min_iops, self.max_iops):
            box.setEnabled(not qos and self.qos.isChecked())
        show_message(self.qos_message, "", qos)
        removal = m.can_remove_device("hard_drives", self.uid)
        self.lock_editors([self.remove], removal)

    def subtitle(self) -> str:
        d = self.value
        return d.path.replace("\\", "/").rsplit("/", 1)[-1] if d is not None else ""


class NetworkAdapterPage(DevicePage):
    list_field = "network_adapters"

    def __init__(self, model: SettingsModel, uid: int, key: str, legacy: bool) -> None:
        title = "Legacy Network Adapter" if legacy else "Network Adapter"
        super().__init__(
            model, uid, key, title,
            "Specify the configuration of the network adapter or remove the network adapter."
            + (" The legacy network adapter is the emulated DEC 21140: it works without "
               "integration services and can boot from the network (PXE)." if legacy else ""))
        self.legacy = legacy
        grid = self.grid()
        self.switch = QComboBox()
        _named(self.switch, key, "switch", "Virtual switch")
        self.switch.addItem("Not connected", None)
        for sw in model.api.switches(model.host.id):
            self.switch.addItem(f"{sw.name} ({sw.type})", sw.name)
        self.switch.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 30))
        self.add_row(grid, "&Virtual switch:", self.switch)
        vlan = QGroupBox("VLAN ID")
        v = QVBoxLayout(vlan)
        self.vlan = QCheckBox("Enable virtual LAN identification")
        _named(self.vlan, key, "vlanEnabled", "Enable virtual LAN identification")
        v.addWidget(self.vlan)
        v.addWidget(self.text("The VLAN identifier specifies the virtual LAN that this virtual "
                              "machine will use for all network communications through this "
                              "network adapter (1 to 4094)."))
        self.vlan_id = spin(ids.settings_device_field(key, "vlanId", "VLAN identifier"))
        self.add_row(self.grid(v), "VLAN &identifier:", self.vlan_id)
        self.layout_.addWidget(vlan)
        self.bandwidth: QCheckBox | None = None
        self.min_mbit = spin(ids.settings_device_field(key, "minimumBandwidth",
                                                       "Minimum bandwidth (Mbps)"))
        self.max_mbit = spin(ids.settings_device_field(key, "maximumBandwidth",
                                                       "Maximum bandwidth (Mbps)"))
        if not legacy and model.profile.features.bandwidth_qos:  # 2012 and later
            bw = QGroupBox("Bandwidth Management")
            b = QVBoxLayout(bw)
            self.bandwidth = QCheckBox("Enable bandwidth management")
            _named(self.bandwidth, key, "bandwidthEnabled", "Enable bandwidth management")
            b.addWidget(self.bandwidth)
            b.addWidget(self.text("Specify how this network adapter utilizes network bandwidth. "
                                  "Both Minimum Bandwidth and Maximum Bandwidth are measured in "
                                  "Megabits per second (0 to 100,000; 0 means none)."))
            bgrid = self.grid(b)
            self.add_row(bgrid, "Mi&nimum bandwidth:", self.min_mbit, after=QLabel("Mbps"))
            self.add_row(bgrid, "Ma&ximum bandwidth:", self.max_mbit, after=QLabel("Mbps"))
            self.layout_.addWidget(bw)
        else:
            for box in (self.min_mbit, self.max_mbit):
                box.setParent(self)
                box.hide()
        self.live_message = message_label(self.switch)
        self.layout_.addWidget(self.live_message)
        mac = QGroupBox("MAC address")
        mv = QVBoxLayout(mac)
        self.dynamic = QRadioButton("Dynamic")
        _named(self.dynamic, key, "macDynamic", "Dynamic")
        self.static = QRadioButton("Static")
        _named(self.static, key, "macStatic", "Static")
        self._mac_group = QButtonGroup(self)
        self._mac_group.addButton(self.dynamic)
        self._mac_group.addButton(self.static)
        self.mac = QLineEdit()
        _named(self.mac, key, "macAddress", "MAC address")
        self.mac.setPlaceholderText("00-15-5D-00-00-00")
        self.mac.setMaximumWidth(self.fontMetrics().horizontalAdvance("00-15-5D-00-00-00") + 30)
        row = QHBoxLayout()
        row.addWidget(self.static)
        row.addWidget(self.mac)
        row.addStretch(1)
        mv.addWidget(self.dynamic)
        mv.addLayout(row)
        self.current_mac = self.text("")
        mv.addWidget(self.current_mac)
        self.mac_message = message_label(self.mac)
        mv.addWidget(self.mac_message)
        self.layout_.addWidget(mac)
        self.remove = QPushButton("Remove")
        _named(self.remove, key, "remove", "Remove")
        r = QHBoxLayout()
        r.addWidget(QLabel("To remove the network adapter from this virtual machine, click "
                           "Remove."), 1)
        r.addWidget(self.remove)
        self.layout_.addLayout(r)
        self.layout_.addWidget(self.device_message)
        self.layout_.addStretch(1)
        self.switch.currentIndexChanged.connect(self.send)
        self.vlan.toggled.connect(self._on_vlan)
        self.vlan_id.valueChanged.connect(self.send)
        if self.bandwidth is not None:
            self.bandwidth.toggled.connect(self._on_bandwidth)
        self.min_mbit.valueChanged.connect(self.send)
        self.max_mbit.valueChanged.connect(self.send)
        self.static.toggled.connect(self._on_static)
        self.mac.textEdited.connect(self.send)
        self.remove.clicked.connect(self.remove_device)

    def _on_vlan(self, on: bool) -> None:
        if on and self.vlan_id.value() == 0:
            self.vlan_id.blockSignals(True)
            self.vlan_id.setValue(2)  # Hyper-V Manager's suggestion when the box is ticked
            self.vlan_id.blockSignals(False)
        self.send()

    def _on_bandwidth(self, on: bool) -> None:
        if not on:
            for box in (self.min_mbit, self.max_mbit):
                box.blockSignals(True)
                box.setValue(0)
                box.blockSignals(False)
        self.send()

    def _on_static(self, on: bool) -> None:
        if on and not self.mac.text():
            self.mac.setText(self._assigned_mac() or PROBE_MAC)
        self.send()

    def _assigned_mac(self) -> str:
        device = self.model.device(self.list_field, self.uid)
        if device is None or device.origin is None:
            return ""
        for adapter in self.model.api.network_adapters(self.model.vm_id):
            if adapter.index == device.origin and adapter.mac.strip("0-"):
                return adapter.mac  # all zeros: none assigned yet (the VM has not started)
        return ""

    def read(self) -> NetworkAdapter:
        bandwidth = self.bandwidth is not None and self.bandwidth.isChecked()
        return NetworkAdapter(
            legacy=self.legacy, switch=self.switch.currentData(),
            static_mac=self.mac.text() if self.static.isChecked() else None,
            vlan_id=self.vlan_id.value() if self.vlan.isChecked() else 0,
            min_mbit=self.min_mbit.value() if bandwidth else 0,
            max_mbit=self.max_mbit.value() if bandwidth else 0)

    def write(self, value: Any) -> None:
        n: NetworkAdapter = value
        for w in self.editors():
            w.blockSignals(True)
        index = self.switch.findData(n.switch)
        if index < 0:
            self.switch.addItem(f"{n.switch} (missing)", n.switch)
            index = self.switch.count() - 1
        self.switch.setCurrentIndex(index)
        self.vlan.setChecked(bool(n.vlan_id))
        self.vlan_id.setValue(n.vlan_id)
        if self.bandwidth is not None:
            self.bandwidth.setChecked(bool(n.min_mbit or n.max_mbit))
        self.min_mbit.setValue(n.min_mbit)
        self.max_mbit.setValue(n.max_mbit)
        self.static.setChecked(n.static_mac is not None)
        self.dynamic.setChecked(n.static_mac is None)
        self.mac.setText(n.static_mac or "")
        for w in self.editors():
            w.blockSignals(False)

    def refresh(self) -> None:
        super().refresh()
        m = self.model
        live = m.probe_device(self.list_field, self.uid,
                              lambda v: replace(v, vlan_id=0 if v.vlan_id else 1))
        self.lock_editors([self.switch, self.vlan], live)
        self.vlan_id.setEnabled(not live and self.vlan.isChecked())
        if self.bandwidth is not None:
            self.lock_editors([self.bandwidth], live)
            on = not live and self.bandwidth.isChecked()
            self.min_mbit.setEnabled(on)
            self.max_mbit.setEnabled(on)
        show_message(self.live_message, "", live)
        mac = m.probe_device(self.list_field, self.uid,
                             lambda v: replace(v, static_mac=None if v.static_mac else PROBE_MAC))
        self.lock_editors([self.dynamic, self.static], mac)
        self.mac.setEnabled(not mac and self.static.isChecked())
        show_message(self.mac_message, "", mac)
        assigned = self._assigned_mac()
        self.current_mac.setText(f"Current address: {assigned}" if assigned else
                                 "A dynamic address is assigned from the host's pool when the "
                                 "virtual machine starts.")
        self.lock_editors([self.remove], m.can_remove_device(self.list_field, self.uid))

    def subtitle(self) -> str:
        n = self.value
        return (n.switch or "Not connected") if n is not None else ""


class MediaPage(Page):
    """A drive or port that holds one path or nothing: DVD Drive, Diskette Drive, COM 1/2."""

    def __init__(self, model: SettingsModel, key: str, title: str, description: str,
                 field: str, names: tuple[ids.UiName, ids.UiName, ids.UiName],
                 choice: str, suggestion: str) -> None:
        super().__init__(model, key, title, description)
        self.fields = (field,)
        self.field = field
        self.suggestion = suggestion
        self.none = QRadioButton("None")
        ids.apply(self.none, names[0])
        self.some = QRadioButton(choice)
        ids.apply(self.some, names[1])
        self.path = QLineEdit()
        ids.apply(self.path, names[2])
        self.path.setMinimumWidth(self.fontMetrics().horizontalAdvance("x" * 40))
        group = QButtonGroup(self)
        group.addButton(self.none)
        group.addButton(self.some)
        self.layout_.addWidget(self.none)
        self.layout_.addWidget(self.some)
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 0)
        row.addWidget(self.path, 1)
        self.layout_.addLayout(row)
        self.binding = self.bind(field, [self.path, self.none, self.some], self._read,
                                 self._write, self.path.textEdited)
        self.layout_.addWidget(self.binding.message)
        self.none.toggled.connect(self._on_choice)

    def _read(self) -> str:
        return self.path.text() if self.some.isChecked() else ""

    def _write(self, value: Any) -> None:
        text = str(value or "")
        self.some.setChecked(bool(text))
        self.none.setChecked(not text)
        self.path.setText(text)

    def _on_choice(self, none: bool) -> None:
        if not none and not self.path.text():
            self.path.setText(self.suggestion)
        self.binding.edited()

    def refresh(self) -> None:
        super().refresh()
        if not self.model.lock(self.field):
            self.path.setEnabled(self.some.isChecked())

    def subtitle(self) -> str:
        value = str(self.model.value(self.field) or "")
        return value.replace("\\", "/").rsplit("/", 1)[-1] if value else "None"


def dvd_page(model: SettingsModel) -> MediaPage:
    where = "IDE Controller 1, location 0" if model.generation == 1 else "SCSI Controller 0"
    page = MediaPage(
        model, "dvd", "DVD Drive",
        f"The DVD drive is attached to {where}. Specify the media to use with it.",
        "dvd_path", (ids.DVD_NONE, ids.DVD_IMAGE, ids.DVD_PATH), "Image file:",
        os.path.join(os.path.expanduser("~"), "ISO", "setup.iso"))
    page.layout_.addWidget(page.text(
        "The media can be changed while the virtual machine runs. hvlab records the image; "
        "the simulated guest does not read it.", note=True))
    page.layout_.addStretch(1)
    return page


def diskette_page(model: SettingsModel) -> MediaPage:
    page = MediaPage(
        model, "diskette", "Diskette Drive",
        "Specify the virtual floppy disk file to use in the diskette drive.",
        "diskette_path", (ids.DISKETTE_NONE, ids.DISKETTE_FILE, ids.DISKETTE_PATH),
        "Virtual floppy disk (.vfd) file:", f"{model.value('name')}.vfd")
    page.layout_.addStretch(1)
    return page


def com_page(model: SettingsModel, number: int) -> MediaPage:
    names = ((ids.COM1_NONE, ids.COM1_PIPE, ids.COM1_PATH) if number == 1
             else (ids.COM2_NONE, ids.COM2_PIPE, ids.COM2_PATH))
    name = str(model.value("name")).replace(" ", "")
    page = MediaPage(
        model, f"com{number}", f"COM {number}",
        "Specify how the virtual COM port communicates: a named pipe on this computer "
        "(\\\\.\\pipe\\name) or on a remote computer (\\\\server\\pipe\\name).",
        f"com{number}_pipe", names, "Named pipe:", f"\\\\.\\pipe\\{name}-com{number}")
    page.layout_.addStretch(1)
    return page
