"""Hardware pages: Add Hardware, BIOS / Firmware, Memory, Processor (Compatibility, NUMA).

Fields and ranges follow Hyper-V's Settings dialog; what is
allowed comes from the engine, so the ranges in the descriptions are read from the host's
profile, never checked here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
)

from hvlab.engine.api import BOOT_DEVICES, HardDrive, NetworkAdapter
from hvlab.gui import ids
from hvlab.gui.forms import named_button
from hvlab.gui.settings.fields import Page, message_label, show_message, spin
from hvlab.gui.settings.model import SettingsModel

#: The BIOS's and firmware's names of the boot devices.
BOOT_LABELS = {
    "CD": "CD",
    "IDE": "IDE",
    "LegacyNetworkAdapter": "Legacy Network adapter",
    "Floppy": "Floppy",
    "HardDrive": "Hard Drive",
    "NetworkAdapter": "Network Adapter",
    "DVD": "DVD Drive",
}

#: Add Hardware: (key, title, generation 1 only).
ADDABLE = (
    ("scsi", "SCSI Controller", False),
    ("nic", "Network Adapter", False),
    ("legacy_nic", "Legacy Network Adapter", True),
)


def ram_limit_mb(model: SettingsModel) -> int:
    return model.profile.limits.ram_per_vm_mb.get(model.generation, 0)


class AddHardwarePage(Page):
    """Adds SCSI controllers and network adapters within the profile's limits.

    Signals:
        added(str kind, int uid): a device was added (uid 0 for a SCSI controller).
    """

    added = Signal(str, int)

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "add_hardware", "Add Hardware",
            "You can use this setting to add devices to your virtual machine. Select the "
            "devices you want to add and click the Add button.")
        self.list = QListWidget()
        ids.apply(self.list, ids.ADD_HARDWARE_LIST)
        for key, title, gen1_only in ADDABLE:
            if gen1_only and model.generation != 1:
                continue
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.list.addItem(item)
        self.list.setMaximumHeight(self.list.sizeHintForRow(0) * 4 + 8)
        self.add_button = named_button("Add", ids.ADD_HARDWARE_ADD)
        self.message = message_label(self.add_button)
        self.explain = self.text("")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_button)
        self.layout_.addWidget(self.list)
        self.layout_.addLayout(row)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.explain)
        self.layout_.addStretch(1)
        self.list.currentRowChanged.connect(lambda _r: self.refresh())
        self.add_button.clicked.connect(self.add_selected)
        self.list.setCurrentRow(0)

    def selected(self) -> str:
        item = self.list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def select(self, kind: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == kind:
                self.list.setCurrentRow(row)

    def refusal(self, kind: str) -> str:
        """Why a device of this kind cannot be added now ("" if it can)."""
        m = self.model
        if kind == "scsi":
            return m.scsi_refusal(int(m.value("scsi_controllers")) + 1,
                                  [d.value for d in m.device_list("hard_drives")])
        return m.can_add_device("network_adapters", NetworkAdapter(legacy=kind == "legacy_nic"))

    def add_selected(self) -> str:
        """Add one device of the selected kind; returns "" or the engine's refusal."""
        kind = self.selected()
        if not kind:
            return ""
        m = self.model
        if kind == "scsi":
            reason = self.refusal(kind)
            if not reason:
                m.set_scsi_controllers(int(m.value("scsi_controllers")) + 1)
                self.added.emit(kind, 0)
        else:
            result = m.add_device("network_adapters", NetworkAdapter(legacy=kind == "legacy_nic"))
            reason = result if isinstance(result, str) else ""
            if isinstance(result, int):
                self.added.emit(kind, result)
        show_message(self.message, reason)
        return reason

    def refresh(self) -> None:
        super().refresh()
        kind = self.selected()
        reason = self.refusal(kind) if kind else ""
        self.add_button.setEnabled(not reason)
        self.add_button.setToolTip(reason)
        lim = self.model.profile.limits
        m = self.model
        nics = [d.value for d in m.device_list("network_adapters")]
        legacy = sum(1 for n in nics if n.legacy)
        counts = [f"SCSI controllers: {m.value('scsi_controllers')} of {lim.scsi_controllers}",
                  f"network adapters: {len(nics) - legacy} of {lim.synthetic_nics}"]
        if m.generation == 1:
            counts.append(f"legacy network adapters: {legacy} of {lim.legacy_nics}")
        self.explain.setText(f"This virtual machine has {'; '.join(counts)} "
                             f"({m.profile.name} allows the second number).")
        show_message(self.message, "", reason)


class BootOrderPage(Page):
    """BIOS (generation 1: Num Lock, startup order) or Firmware (generation 2: boot order,
    Secure Boot). hvlab stores these; its simulated firmware does not follow them yet."""

    fields = ("boot_order", "num_lock", "secure_boot")

    def __init__(self, model: SettingsModel) -> None:
        gen1 = model.generation == 1
        super().__init__(
            model, "bios" if gen1 else "firmware", "BIOS" if gen1 else "Firmware",
            "" if gen1 else "Specify the boot order of the virtual machine's firmware.")
        self.default = BOOT_DEVICES[model.generation]
        if gen1:
            self.num_lock = QCheckBox("Num Lock")
            ids.apply(self.num_lock, ids.NUM_LOCK)
            b = self.bind_check("num_lock", self.num_lock)
            self.layout_.addWidget(self.num_lock)
            self.layout_.addWidget(b.message)
            self.layout_.addWidget(self.text(
                "Startup order: specify the order in which the BIOS checks devices for an "
                "operating system. Select a device and move it up or down."))
        self.order = QListWidget()
        ids.apply(self.order, ids.STARTUP_ORDER if gen1 else ids.BOOT_ORDER)
        self.order.setMaximumHeight(self.order.fontMetrics().height() * 7)
        self.up = named_button("Move Up", ids.BOOT_MOVE_UP)
        self.down = named_button("Move Down", ids.BOOT_MOVE_DOWN)
        row = QHBoxLayout()
        row.addWidget(self.order, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        buttons.addStretch(1)
        row.addLayout(buttons)
        self.layout_.addLayout(row)
        order = self.bind("boot_order", [self.order, self.up, self.down], self._read_order,
                          self._write_order)
        self.layout_.addWidget(order.message)
        self.up.clicked.connect(lambda: self._move(-1))
        self.down.clicked.connect(lambda: self._move(1))
        if not gen1:
            self.secure_boot = QCheckBox("Enable Secure Boot")
            ids.apply(self.secure_boot, ids.SECURE_BOOT)
            b = self.bind_check("secure_boot", self.secure_boot)
            group = QGroupBox("Secure Boot")
            v = QVBoxLayout(group)
            v.addWidget(self.secure_boot)
            v.addWidget(b.message)
            v.addWidget(self.text("Secure Boot lets only signed boot loaders start. Template: "
                                  "Microsoft Windows."))
            self.layout_.addWidget(group)
        self.layout_.addWidget(self.text(
            "hvlab keeps these settings in the configuration; the simulated firmware does not "
            "follow them yet. They can be changed only while the virtual machine is Off.",
            note=True))
        self.layout_.addStretch(1)

    def _read_order(self) -> tuple[str, ...]:
        order = tuple(str(self.order.item(i).data(Qt.ItemDataRole.UserRole))
                      for i in range(self.order.count()))
        return () if order == self.default else order

    def _write_order(self, value: object) -> None:
        order = tuple(value) if isinstance(value, tuple) and value else self.default
        self.order.clear()
        for key in order:
            item = QListWidgetItem(BOOT_LABELS.get(key, key))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.order.addItem(item)
        self.order.setCurrentRow(0)

    def _move(self, step: int) -> None:
        row = self.order.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.order.count():
            return
        item = self.order.takeItem(row)
        self.order.insertItem(target, item)
        self.order.setCurrentRow(target)
        self.model.set("boot_order", self._read_order())

    def subtitle(self) -> str:
        order = self.model.value("boot_order") or self.default
        return f"Boot from {BOOT_LABELS.get(order[0], order[0])}"


class MemoryPage(Page):
    fields = ("memory_startup_mb", "dynamic_memory_enabled", "memory_minimum_mb",
              "memory_maximum_mb", "memory_buffer_pct", "memory_weight")

    def __init__(self, model: SettingsModel) -> None:
        limit = ram_limit_mb(model)
        super().__init__(
            model, "memory", "Memory",
            f"Specify the amount of memory that this virtual machine can use: from 32 MB to "
            f"{limit:,} MB on {model.profile.name}, in multiples of 2 MB.")
        grid = self.grid()
        self.startup = spin(ids.STARTUP_RAM, " MB")
        self.startup.setSingleStep(256)
        b = self.bind_spin("memory_startup_mb", self.startup)
        self.add_row(grid, "&RAM:", self.startup, b)
        self.fit = self.text("")
        self.layout_.addWidget(self.fit)

        self.dynamic = QCheckBox("Enable Dynamic Memory")
        ids.apply(self.dynamic, ids.DYNAMIC_MEMORY)
        self.minimum = spin(ids.MINIMUM_RAM, " MB")
        self.minimum.setSingleStep(256)
        self.maximum = spin(ids.MAXIMUM_RAM, " MB")
        self.maximum.setSingleStep(256)
        self.buffer = spin(ids.MEMORY_BUFFER, " %")
        group = QGroupBox("Dynamic Memory")
        v = QVBoxLayout(group)
        if model.host.dynamic_memory_supported:
            dyn = self.bind_check("dynamic_memory_enabled", self.dynamic)
            self.dynamic.toggled.connect(self._on_dynamic_toggled)
            v.addWidget(self.dynamic)
            v.addWidget(dyn.message)
            v.addWidget(self.text(
                "You can allow the amount of memory available to this virtual machine to "
                "change dynamically within the range you set."))
            dgrid = self.grid(v)
            self._dynamic_bindings = [
                self.bind_spin("memory_minimum_mb", self.minimum),
                self.bind_spin("memory_maximum_mb", self.maximum),
                self.bind_spin("memory_buffer_pct", self.buffer),
            ]
            for label, box, binding in zip(("M&inimum RAM:", "Ma&ximum RAM:", "Memory &buffer:"),
                                           (self.minimum, self.maximum, self.buffer),
                                           self._dynamic_bindings, strict=True):
                self.add_row(dgrid, label, box, binding)
            v.addWidget(self.text(
                "Specify the percentage of memory that Hyper-V should try to reserve as a "
                "buffer (5 to 2000 %). Hyper-V uses the percentage and the current demand for "
                "memory to determine an amount of memory for the buffer."))
        else:
            self._dynamic_bindings = []
            for hidden in (self.dynamic, self.minimum, self.maximum, self.buffer):
                hidden.setParent(group)
                hidden.hide()
            v.addWidget(self.text(
                f"{model.profile.name} does not support Dynamic Memory (it arrived with "
                "Windows Server 2008 R2 SP1).", note=True))
        self.layout_.addWidget(group)

        weight_group = QGroupBox("Memory weight")
        w = QVBoxLayout(weight_group)
        w.addWidget(self.text(
            "Specify how to prioritize the availability of memory for this virtual machine "
            "compared to other virtual machines on this computer."))
        self.weight = QSlider(Qt.Orientation.Horizontal)
        ids.apply(self.weight, ids.MEMORY_WEIGHT)
        self.weight.setRange(0, 100)
        self.weight.setTickInterval(10)
        self.weight.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.weight.setPageStep(10)
        row = QHBoxLayout()
        row.addWidget(QLabel("Low"))
        row.addWidget(self.weight, 1)
        row.addWidget(QLabel("High"))
        self.weight_value = QLabel("")
        self.weight_value.setMinimumWidth(self.fontMetrics().horizontalAdvance("100 ") + 4)
        row.addWidget(self.weight_value)
        w.addLayout(row)
        wb = self.bind_slider("memory_weight", self.weight)
        w.addWidget(wb.message)
        self.layout_.addWidget(weight_group)
        self.layout_.addStretch(1)

    def _on_dynamic_toggled(self, on: bool) -> None:
        # Hyper-V offers the per-VM maximum of the host's version as the default Maximum RAM;
        # the engine's default (1 TB, WS2012+) is above what older profiles allow.
        limit = ram_limit_mb(self.model)
        if on and int(self.model.value("memory_maximum_mb")) > limit:
            self.model.set("memory_maximum_mb", limit)
            self.maximum.blockSignals(True)
            self.maximum.setValue(limit)
            self.maximum.blockSignals(False)

    def refresh(self) -> None:
        dynamic = bool(self.model.value("dynamic_memory_enabled"))
        for b in self._dynamic_bindings:
            b.disabled_reason = "" if dynamic else "Enable Dynamic Memory to set this."
        super().refresh()
        self.weight_value.setText(str(self.weight.value()))
        m = self.model
        startup = int(m.value("memory_startup_mb"))
        check = m.api.memory_check(startup, m.host.id)
        state = m.info.state
        if state != "Off":
            text = (f"The virtual machine is {state} with {m.info.memory_assigned_mb:,} MB "
                    f"assigned (demand {m.info.memory_demand_mb:,} MB).")
        elif check.ok:
            text = (f"To start, it needs {check.needed_mb:,} MB (startup RAM plus overhead); "
                    f"{check.available_mb:,} MB is available now, so it fits.")
        else:
            text = f"It would not start now. {check.reason}"
        self.fit.setText(text)

    def subtitle(self) -> str:
        return f"{int(self.model.value('memory_startup_mb')):,} MB"


class ProcessorPage(Page):
    fields = ("cpu_count", "cpu_reserve_pct", "cpu_limit_pct", "cpu_weight")

    def __init__(self, model: SettingsModel) -> None:
        lps = model.host.logical_processors
        vps = min(model.profile.limits.vps_per_vm.get(model.generation, 1), lps)
        super().__init__(
            model, "processor", "Processor",
            f"You can modify the number of virtual processors based on the number of "
            f"processors on the physical computer: 1 to {vps} here ({lps} logical processors, "
            f"{model.profile.name}).")
        grid = self.grid()
        self.count = spin(ids.PROCESSOR_COUNT)
        self.add_row(grid, "&Number of virtual processors:", self.count,
                     self.bind_spin("cpu_count", self.count))
        group = QGroupBox("Resource control")
        v = QVBoxLayout(group)
        v.addWidget(self.text(
            "You can use resource controls to balance resources among virtual machines."))
        rgrid = self.grid(v)
        self.reserve = spin(ids.PROCESSOR_RESERVE)
        self.limit = spin(ids.PROCESSOR_LIMIT)
        self.weight = spin(ids.PROCESSOR_WEIGHT)
        self.reserve_share = QLabel("")
        self.limit_share = QLabel("")
        self.add_row(rgrid, "Virtual machine &reserve (percentage):", self.reserve,
                     self.bind_spin("cpu_reserve_pct", self.reserve))
        self.add_row(rgrid, "Percent of total system resources:", self.reserve_share)
        self.add_row(rgrid, "Virtual machine &limit (percentage):", self.limit,
                     self.bind_spin("cpu_limit_pct", self.limit))
        self.add_row(rgrid, "Percent of total system resources:", self.limit_share)
        self.add_row(rgrid, "Relative &weight:", self.weight,
                     self.bind_spin("cpu_weight", self.weight))
        v.addWidget(self.text(
            "The reserve guarantees each virtual processor that share of one logical "
            "processor (0 to 100 %); the limit caps it (0 to 100 %); the relative weight "
            "(1 to 10,000, default 100) shares what is left when processors are busy."))
        self.layout_.addWidget(group)
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        super().refresh()
        lps = max(self.model.host.logical_processors, 1)
        vps = self.count.value()
        for box, label in ((self.reserve, self.reserve_share), (self.limit, self.limit_share)):
            # Hyper-V's read-only figure: the percentage × virtual processors ÷ host LPs.
            share = box.value() * vps / lps
            label.setText(f"{share:.2f}".rstrip("0").rstrip(".") + " %")

    def subtitle(self) -> str:
        n = int(self.model.value("cpu_count"))
        return f"{n} Virtual processor{'s' if n != 1 else ''}"


class CompatibilityPage(Page):
    """Processor ▸ Compatibility: the check box a live migration between nodes with
    different processor generations needs (docs/cluster.md); it changes only while the VM
    is off (the engine's hot-add rule)."""

    fields = ("processor_compatibility",)

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "compatibility", "Compatibility",
            "You can limit the processor features that this virtual machine can use. This "
            "improves compatibility with different processor versions of the same vendor.")
        self.box = QCheckBox("Migrate to a physical computer with a different processor version")
        ids.apply(self.box, ids.COMPATIBILITY)
        b = self.bind_check("processor_compatibility", self.box)
        self.layout_.addWidget(self.box)
        self.layout_.addWidget(b.message)
        self.layout_.addWidget(self.text(
            "A live migration to a node whose processor is of another generation is refused "
            "unless this is selected. The virtual machine must be turned off to change it.",
            note=True))
        self.layout_.addStretch(1)


class NumaPage(Page):
    """Read-only: the NUMA topology the host's hardware gives the virtual machine."""

    def __init__(self, model: SettingsModel) -> None:
        super().__init__(
            model, "numa", "NUMA",
            "The NUMA topology of a virtual machine follows the host's hardware.")
        self.summary = self.text("")
        self.layout_.addWidget(self.summary)
        self.layout_.addWidget(self.text(
            "Read-only in hvlab: the engine places memory by the host's nodes and its NUMA "
            "spanning setting (Hyper-V Settings), not by per-VM NUMA limits.", note=True))
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        h = self.model.host
        per_node_lp = h.cores_per_socket * h.threads_per_core
        biggest = max((n.ram_mb for n in h.numa_nodes), default=h.memory_total_mb)
        ram = int(self.model.value("memory_startup_mb"))
        vps = int(self.model.value("cpu_count"))
        nodes = max(1, -(-vps // max(per_node_lp, 1)), -(-ram // max(biggest, 1)))
        self.summary.setText(
            f"This virtual machine is configured with {vps} processor(s) and {ram:,} MB of "
            f"memory, which fits in {nodes} NUMA node(s).\n\n"
            f"Maximum processors per node: {per_node_lp}\n"
            f"Maximum memory per node: {biggest:,} MB\n"
            f"Host NUMA nodes: {len(h.numa_nodes)}; NUMA spanning is "
            f"{'allowed' if h.numa_spanning else 'not allowed'}.")


def new_drive_path(model: SettingsModel, controller: str, number: int, location: int) -> str:
    name = str(model.value("name"))
    return f"{name}_{controller.lower()}{number}_{location}.vhd"


def free_location(drives: list[HardDrive], controller: str, number: int,
                  locations: int) -> int | None:
    used = {d.location for d in drives if (d.controller, d.controller_number)
            == (controller, number)}
    return next((loc for loc in range(locations) if loc not in used), None)
