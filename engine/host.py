"""One Hyper-V host: its hardware, hypervisor, root partition and management service.

``Host`` plays the part of the Virtual Machine Management Service (VMMS) in the root
partition: it keeps the VM configurations, runs the lifecycle state machine, turns each
operation into hypercalls (a running VM is a child partition) and into jobs that take
simulated time.  Every refusal raises before anything changes.
"""

from __future__ import annotations

import contextlib
import copy
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hvlab.engine import events as ev
from hvlab.engine import vmdisks
from hvlab.engine.config import (
    EDITABLE_FIELDS,
    FieldErrors,
    StartAction,
    StopAction,
    VmConfig,
    check_config,
)
from hvlab.engine.devices import has_vsc, offered_channels
from hvlab.engine.errors import (
    DiskAttachError,
    HvError,
    HypervisorNotRunningError,
    InvalidStateError,
    MacPoolExhaustedError,
    NotFoundError,
    OutOfMemoryError,
    ResourceLimitError,
    ValidationError,
)
from hvlab.engine.events import Level
from hvlab.engine.guest import (
    BootStep,
    GuestPhase,
    boot_plan,
    integration_services_running,
    shutdown_lines,
)
from hvlab.engine.guests import GuestOs, get_guest_os
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import (
    LEGAL_TRANSITIONS,
    PARTITION_STATES,
    Operation,
    VmState,
    state_reason,
)
from hvlab.engine.names import name_key
from hvlab.engine.networking import HostNetworking, renamed_switch
from hvlab.engine.profiles import HostHardware, HostProfile
from hvlab.engine.sim import iomodel
from hvlab.engine.sim.counters import HostSample, root_vps
from hvlab.engine.sim.hypervisor import (
    Connection,
    HvStatus,
    HypercallSpec,
    Hypervisor,
    Partition,
    PortType,
    launch_blockers,
)
from hvlab.engine.sim.memory import MemoryMap, pages_mb, vm_overhead_mb
from hvlab.engine.switches import VirtualSwitch
from hvlab.engine.workloads import WORKLOADS

if TYPE_CHECKING:
    from hvlab.engine.lab import Lab

CONSOLE_LINES = 400
_HEARTBEAT_STATES = frozenset(
    {VmState.RUNNING, VmState.STOPPING, VmState.SAVING, VmState.PAUSING}
)
HOST_BOOT_S = 90.0
TURN_OFF_S = 0.5
PAUSE_S = 0.3
RESUME_S = 0.3


@dataclass(frozen=True)
class StartCheck:
    """Can the VM start now?  ``reason`` is None when it can."""

    ok: bool
    reason: str | None
    needed_mb: int
    available_mb: int


@dataclass
class VmRuntime:
    """The management service's live record of one VM (never handed to clients)."""

    config: VmConfig
    slot: int
    key: int
    state: VmState = VmState.OFF
    partition_id: int | None = None
    phase: GuestPhase = GuestPhase.OFF
    plan_index: int = -1
    guest_epoch: int = 0
    guest_due_us: int | None = None
    guest_frozen_left_us: int | None = None
    uptime_base_us: int = 0
    running_since_us: int | None = None
    job_id: int | None = None
    state_before_job: VmState | None = None
    saved_state: dict[str, Any] | None = None
    was_running: bool = False
    console: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=CONSOLE_LINES))
    console_serial: int = 0
    #: Dynamic MAC addresses leased to adapters, by adapter index (as a string).
    macs: dict[str, str] = field(default_factory=dict)
    #: Integration services were installed from the setup disk; they load at the next boot.
    is_setup_pending: bool = False
    #: Real files: each drive's current disk when it is not the configured one (an .avhd
    #: after a checkpoint), and the parent of each .avhd this VM made.
    current_disks: dict[str, str] = field(default_factory=dict)
    disk_parents: dict[str, str] = field(default_factory=dict)
    #: Checkpoints (oldest first) and the one the running state ("Now") follows.
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    current_checkpoint: str | None = None
    checkpoint_counter: int = 0
    #: The guest's memory contents while a partition exists (hvlab.engine.vmdisks.memory_record).
    memory_record: dict[str, Any] | None = None
    boot_number: int = 0
    #: The guest runs the Heartbeat service once it is up (derived from the configuration).
    has_heartbeat: bool = False
    #: Integration components the guest runs once it is up (each a VMBus channel).
    ic_channels: int = 0

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def name(self) -> str:
        return self.config.name

    def uptime_us(self, now_us: int) -> int:
        if self.running_since_us is None:
            return self.uptime_base_us
        return self.uptime_base_us + now_us - self.running_since_us


class Host:
    """A physical server with the Hyper-V role."""

    def __init__(self, lab: Lab, host_id: str, name: str, index: int, profile: HostProfile,
                 hardware: HostHardware | None = None, *, boot: bool = True) -> None:
        """``boot=False`` builds the host powered off, with no log entry or event: the
        library restores a saved host that way and then sets its runtime state."""
        self.lab = lab
        self.id = host_id
        self.name = name
        self.index = index
        self.profile = profile
        self.hardware = hardware or profile.hardware
        self.pending_hardware: HostHardware | None = None
        self.numa_spanning = True
        self.virtual_machine_path = r"C:\ProgramData\Microsoft\Windows\Hyper-V"
        self.virtual_hard_disk_path = r"C:\Users\Public\Documents\Hyper-V\Virtual Hard Disks"
        self.rebooting = False
        self.boot_count = 0
        self.vms: dict[str, VmRuntime] = {}
        self.net = HostNetworking(host_id)
        self._dm_vms: list[VmRuntime] | None = None  # Dynamic Memory VMs, rebuilt on change
        self.hypervisor: Hypervisor | None = None
        self.blockers: list[str] = []
        self.memory = MemoryMap(self._usable_nodes())
        #: What the processors did in the last tick, in logical processors.
        self.root_cpu_lp = 0.0
        self.hypervisor_cpu_lp = 0.0
        self.guest_cpu_lp = 0.0
        #: CPU the last tick's I/O cost (charged in the next tick), in logical processors.
        self.io_root_lp = 0.0
        self.io_hypervisor_lp = 0.0
        if boot:
            self._boot()

    # -- hardware and boot ---------------------------------------------------------------
    @property
    def logical_processors(self) -> int:
        """LPs the hypervisor schedules: the hardware's, capped by the edition's limits."""
        hw = self.hardware
        lim = self.profile.limits
        sockets = hw.sockets if lim.sockets is None else min(hw.sockets, lim.sockets)
        return min(sockets * hw.cores_per_socket * hw.threads_per_core, lim.logical_processors)

    def _usable_nodes(self) -> dict[int, int]:
        """NUMA node sizes in MB, capped in node order at the edition's host RAM limit."""
        cap = self.profile.limits.host_ram_gb * 1024
        nodes: dict[int, int] = {}
        for node in self.hardware.numa_nodes:
            take = min(node.ram_mb, cap)
            if take > 0:
                nodes[node.id] = take
            cap -= take
        return nodes

    @property
    def root_reserve_mb(self) -> int:
        return self.profile.memory.root_reserve_mb(self.memory.total_mb)

    def _boot(self) -> None:
        """Power on: rebuild the memory map and launch the hypervisor if the CPU allows it."""
        if self.pending_hardware is not None:
            self.hardware = self.pending_hardware
            self.pending_hardware = None
        self.memory = MemoryMap(self._usable_nodes())
        self.blockers = launch_blockers(self.hardware)
        self.boot_count += 1
        self.rebooting = False
        if self.blockers:
            self.hypervisor = None
            hw = self.hardware
            event_id = ev.EV_HV_LAUNCH_FAILED_CPU
            if hw.virtualization_extensions and not hw.virtualization_enabled:
                event_id = ev.EV_HV_LAUNCH_FAILED_VMX
            elif not hw.nx_enabled:
                event_id = ev.EV_HV_LAUNCH_FAILED_NX
            self.log(ev.CH_SYSTEM, event_id, Level.ERROR,
                     "Hypervisor launch failed; " + " ".join(self.blockers))
        else:
            self.hypervisor = Hypervisor(
                self.memory, self.profile.memory.hypervisor_mb, self.root_reserve_mb,
                on_denied=self._on_hypercall_denied,
            )
            self.log(ev.CH_SYSTEM, ev.EV_HV_STARTED, Level.INFORMATION,
                     "Hyper-V successfully started: the hypervisor is running and the root "
                     "partition owns the devices.")
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "booted"))

    def set_hardware(self, hardware: HostHardware) -> None:
        """Stage new hardware settings (BIOS switches, RAM); they take effect at reboot."""
        self.pending_hardware = hardware if hardware != self.hardware else None
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "hardware"))

    def set_folders(self, virtual_machine_path: str | None,
                    virtual_hard_disk_path: str | None) -> None:
        """The default folders for new VM files and new virtual hard disks."""
        if virtual_machine_path is not None:
            self.virtual_machine_path = virtual_machine_path
        if virtual_hard_disk_path is not None:
            self.virtual_hard_disk_path = virtual_hard_disk_path
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "settings"))

    def set_mac_range(self, minimum: str, maximum: str) -> None:
        """The dynamic MAC address pool (validated by the caller)."""
        self.net.set_mac_range(minimum, maximum)
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "settings"))

    def set_numa_spanning(self, enabled: bool) -> None:
        self.numa_spanning = enabled
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "settings"))

    # -- logging and events -------------------------------------------------------------
    def log(self, channel: str, event_id: int, level: Level, message: str,
            vm: VmRuntime | None = None) -> None:
        self.lab.record(ev.LogEntry(self.lab.now_us, channel, event_id, level, message,
                                    self.id, vm.id if vm else "", vm.name if vm else ""))

    def _on_hypercall_denied(self, caller: Partition, spec: HypercallSpec,
                             target: int | None, status: HvStatus, reason: str) -> None:
        vm = self._vm_by_partition(caller.id)
        who = f"'{vm.name}' (partition {caller.id})" if vm else f"partition {caller.id}"
        on = f" on partition {target}" if target is not None else ""
        self.log(ev.CH_HYPERVISOR, ev.EV_HV_ACCESS_DENIED, Level.WARNING,
                 f"The hypervisor denied hypercall {spec.name} (0x{spec.code:04X}){on} from "
                 f"{who}: {reason}. HV_STATUS_{status.name} was returned and nothing "
                 "changed.", vm)

    def _vm_by_partition(self, partition_id: int) -> VmRuntime | None:
        for vm in self.vms.values():
            if vm.partition_id == partition_id:
                return vm
        return None

    def _set_state(self, vm: VmRuntime, new: VmState, reason: str) -> None:
        old = vm.state
        if old is new:
            return
        if (old, new) not in LEGAL_TRANSITIONS:
            raise AssertionError(f"illegal transition {old.value} -> {new.value} for {vm.name}")
        vm.state = new
        table = self.lab.table
        table.active[vm.slot] = new in (VmState.RUNNING, VmState.STARTING, VmState.STOPPING,
                                        VmState.PAUSING, VmState.RESUMING)
        self.lab.publish(ev.VmStateChanged(self.lab.now_us, self.id, vm.id, vm.name,
                                           old.value, new.value, reason))

    # -- configuration ---------------------------------------------------------------------
    def guest_of(self, vm: VmRuntime) -> GuestOs:
        return get_guest_os(vm.config.guest_os)

    def _other_names(self, exclude: str | None) -> set[str]:
        return {name_key(v.name) for v in self.vms.values() if v.id != exclude}

    def guest_of_config(self, cfg: VmConfig) -> GuestOs:
        return get_guest_os(cfg.guest_os)

    def validate(self, cfg: VmConfig, exclude: str | None = None) -> None:
        """Raise :class:`ValidationError` naming every field of a whole configuration (a new
        or imported VM, ``exclude`` its own id) that the host refuses, its disks included."""
        errors = FieldErrors()
        check_config(errors, cfg, self.profile, self.guest_of_config(cfg),
                     self.logical_processors, self._other_names(exclude), set(self.net.switches))
        errors.attempt(vmdisks.check_attachments, self.lab, cfg.hard_drives)
        errors.raise_if_any()

    def add_vm(self, cfg: VmConfig, key: int) -> VmRuntime:
        self.validate(cfg)
        # Its disks first: a disk that cannot be made leaves no half-created VM behind.
        if self.lab.storage_root is not None:
            vmdisks.create_missing_disks(self.lab, cfg)
        slot = self.lab.table.add(key, self.index)
        self.lab.history.clear_slot(slot)
        vm = VmRuntime(cfg, slot, key)
        self._sync_table(vm)
        self.vms[cfg.id] = vm
        self._dm_vms = None
        self.log(ev.CH_VMMS, ev.EV_VM_CREATED, Level.INFORMATION,
                 f"'{cfg.name}' was created. (Virtual machine ID {cfg.id})", vm)
        self.lab.publish(ev.VmListChanged(self.lab.now_us, self.id, cfg.id, "added"))
        return vm

    def sample(self, lps: float, hypercalls_s: float, intercepts_s: float) -> HostSample:
        """This tick's host-wide figures, for the counter history."""
        hv = self.hypervisor
        partitions = len(hv.partitions) if hv is not None else 0
        vps = hv.child_vps if hv is not None else 0
        return HostSample(
            lps=lps, guest_lp=self.guest_cpu_lp, hypervisor_lp=self.hypervisor_cpu_lp,
            root_lp=self.root_cpu_lp, memory_total_mb=float(self.memory.total_mb),
            memory_free_mb=float(self.memory.free_mb()),
            memory_available_mb=float(self.memory_available_mb() if hv is not None else 0),
            running_vms=float(max(partitions - 1, 0)), partitions=float(partitions),
            virtual_processors=float(vps + root_vps(int(lps)) if hv is not None else 0),
            hypercalls_s=hypercalls_s, intercepts_s=intercepts_s,
        )

    def _sync_table(self, vm: VmRuntime) -> None:
        """Copy what the per-tick step needs from the configuration into the VM's row."""
        t = self.lab.table
        cfg = vm.config
        guest = self.guest_of(vm)
        slot = vm.slot
        t.vps[slot] = cfg.cpu_count
        t.working_set_mb[slot] = guest.working_set_mb
        t.phase[slot] = int(vm.phase)
        t.enlightened[slot] = guest.enlightened and cfg.guest_is_installed
        t.reserve[slot] = cfg.cpu_reserve_pct / 100.0
        t.limit[slot] = cfg.cpu_limit_pct / 100.0
        t.weight[slot] = float(cfg.cpu_weight)
        kind = WORKLOADS[cfg.workload]
        custom = cfg.workload == "custom"
        t.wl_cpu[slot] = cfg.workload_cpu_pct / 100.0 if custom else kind.cpu
        t.wl_swing[slot] = kind.swing
        t.wl_period[slot] = kind.period_s
        t.wl_burst[slot] = kind.burst
        t.wl_disk[slot] = cfg.workload_disk_iops if custom else kind.disk_iops
        t.wl_net[slot] = cfg.workload_net_mbit if custom else kind.net_mbit
        t.wl_dirty[slot] = cfg.workload_dirty_pages if custom else kind.dirty_pages
        t.wl_ws[slot] = kind.working_set
        t.wl_jitter[slot] = kind.jitter
        t.vsc[slot] = has_vsc(cfg, guest)
        services = integration_services_running(cfg, guest)
        vm.has_heartbeat = "heartbeat" in services
        vm.ic_channels = len(services)
        t.ic_channels[slot] = len(services)
        self._sync_devices(vm)
        self._sync_vmbus(vm)

    def resync(self, vm: VmRuntime) -> None:
        """Copy the VM's configuration into the lab's per-tick tables again."""
        self._sync_table(vm)

    @property
    def storage_iops(self) -> float:
        """Normalized IOPS (8 KB) the host's storage delivers."""
        return self.hardware.storage_mb_per_s * 1024 / 8

    def _sync_devices(self, vm: VmRuntime) -> None:
        """The VM's disks and adapters as rows of the lab's I/O table."""
        rows: list[tuple[str, int, float, float, int, int]] = []
        for d in vm.config.hard_drives:
            cls = iomodel.IDE_DISK if d.controller == "IDE" else iomodel.SCSI_DISK
            key = f"{d.controller.lower()}{d.controller_number}:{d.location}"
            rows.append((key, cls, float(d.min_iops), float(d.max_iops), -1, 0))
        for i, nic in enumerate(vm.config.network_adapters):
            cls = iomodel.LEGACY_NIC if nic.legacy else iomodel.SYNTHETIC_NIC
            switch = self.lab.switch_index(self.id, nic.switch)
            rows.append((f"nic{i}", cls, float(nic.min_mbit), float(nic.max_mbit), switch,
                         nic.vlan_id))
        self.lab.devices.sync_vm(vm.id, vm.slot, self.index, rows, self.hardware.cpu_ghz,
                                 self.profile.io_costs)

    def field_lock(self, vm: VmRuntime, name: str, new_value: Any = None) -> str | None:
        """Why field ``name`` cannot change now (None if it can), from the hot-add rules."""
        if vm.state.transitional:
            return (f"Settings cannot be changed while the virtual machine is "
                    f"{vm.state.value}.")
        if vm.state is VmState.OFF:
            return None
        state = vm.state.value
        if name in ("hard_drives", "network_adapters") and new_value is not None:
            return self._device_lock(vm, name, new_value)
        rule = self.profile.hot_add_rule(name)
        if rule == "always":
            return None
        if rule == "static":
            if not vm.config.dynamic_memory_enabled:
                return None
            return f"Startup RAM cannot be changed while the virtual machine is {state} " \
                   "with Dynamic Memory enabled."
        if rule == "gen2":
            if vm.config.generation == 2:
                return None
            return f"This setting can be changed on a generation 1 virtual machine only " \
                   f"when it is Off; it is {state}."
        if rule in ("decrease", "increase") and vm.state is not VmState.SAVED:
            if new_value is None:
                return None
            old = getattr(vm.config, name)
            lowered = rule == "decrease" and new_value <= old
            if lowered or (rule == "increase" and new_value >= old):
                return None
            direction = "lowered" if rule == "decrease" else "raised"
            return f"While the virtual machine is {state} this value can only be {direction}."
        return f"This setting can be changed only when the virtual machine is Off; it is {state}."

    def _device_lock(self, vm: VmRuntime, name: str, new: Any) -> str | None:
        """Devices: QoS, switch, VLAN and bandwidth change live; adding or removing a device
        follows the profile's rule for that kind of device."""
        state = vm.state.value
        off_only = ("This setting can be changed only when the virtual machine is Off; "
                    f"it is {state}.")
        if name == "network_adapters":
            def shape(adapters: Any) -> list[tuple[bool, str | None]]:
                return [(n.legacy, n.static_mac) for n in adapters]

            if shape(new) == shape(vm.config.network_adapters):
                return None
            rule = self.profile.hot_add_rule("network_adapters")
            legacy_changed = [n.legacy for n in new if n.legacy] != [
                n.legacy for n in vm.config.network_adapters if n.legacy]
            if rule == "gen2" and vm.config.generation == 2 and not legacy_changed:
                return None
            return ("Network adapters can be added or removed only when the virtual machine is "
                    f"Off; it is {state}." if rule != "always" else None)

        def place(drives: Any, controller: str) -> set[tuple[int, int, str]]:
            return {(d.controller_number, d.location, d.path) for d in drives
                    if d.controller == controller}

        if place(new, "IDE") != place(vm.config.hard_drives, "IDE"):
            return ("IDE drives can be added or removed only when the virtual machine is Off; "
                    f"it is {state}.")
        scsi_changed = place(new, "SCSI") != place(vm.config.hard_drives, "SCSI")
        if scsi_changed and self.profile.hot_add_rule("scsi_hard_drives") != "always":
            return off_only
        return None

    def locked_fields(self, vm: VmRuntime) -> dict[str, str]:
        out = {}
        for name in sorted(EDITABLE_FIELDS):
            reason = self.field_lock(vm, name)
            if reason is not None:
                out[name] = reason
        return out

    def change_errors(self, vm: VmRuntime, changes: dict[str, Any]) -> dict[str, str]:
        """Every reason the change set cannot be applied now, by field (empty: it can).

        The one settings rule: ranges and limits of the profile, the locks of the VM's
        state (hot-add rules), and, for a running VM, CPU reserve admission.  ``set_vm`` and
        the Settings dialog's live check both ask it.
        """
        errors = FieldErrors()
        for name in sorted(set(changes) - EDITABLE_FIELDS):
            errors.add(name, f"'{name}' is not a setting that can be changed.")
        known = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
        for name, value in known.items():
            if value == getattr(vm.config, name):
                continue
            reason = self.field_lock(vm, name, value)
            if reason is not None:
                errors.add(name, reason)
        try:
            new = replace(vm.config, **known)
        except TypeError as exc:  # pragma: no cover - guarded by EDITABLE_FIELDS
            errors.add(sorted(known)[0], str(exc))
            return errors.by_field
        check_config(errors, new, self.profile, self.guest_of_config(new),
                     self.logical_processors, self._other_names(vm.id), set(self.net.switches))
        if new.hard_drives != vm.config.hard_drives:
            errors.attempt(vmdisks.check_attachments, self.lab, new.hard_drives,
                           vm.config.hard_drives)
        if (vm.state in PARTITION_STATES and "cpu_reserve_pct" not in errors.by_field
                and (new.cpu_reserve_pct, new.cpu_count) != (vm.config.cpu_reserve_pct,
                                                             vm.config.cpu_count)):
            shortfall = self._reserve_shortfall(vm, new)
            if shortfall is not None:
                errors.add("cpu_reserve_pct", shortfall)
        return errors.by_field

    def set_vm(self, vm: VmRuntime, changes: dict[str, Any]) -> VmConfig:
        """Apply a change set atomically: all fields or none (:meth:`change_errors`)."""
        errors = self.change_errors(vm, changes)
        if errors:
            raise ValidationError.for_fields(errors)
        new = replace(vm.config, **changes)
        old_name = vm.config.name
        vm.config = new
        self._dm_vms = None
        self._sync_table(vm)
        if new.name != old_name:
            self.log(ev.CH_VMMS, ev.EV_VM_RENAMED, Level.INFORMATION,
                     f"'{old_name}' was renamed to '{new.name}'. (Virtual machine ID {vm.id})", vm)
        changed = sorted(k for k, v in changes.items() if v is not None)
        self.log(ev.CH_VMMS, ev.EV_VM_CONFIG, Level.INFORMATION,
                 f"'{new.name}' configuration changed: {', '.join(changed)}.", vm)
        self.lab.publish(ev.VmListChanged(self.lab.now_us, self.id, vm.id, "config"))
        return new

    # -- virtual switches -----------------------------------------------------------------
    def create_switch(self, switch: VirtualSwitch) -> None:
        self.net.validate_switch(switch, self.hardware)
        self.net.switches[switch.name] = switch
        self.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
                 f"The virtual switch '{switch.name}' ({switch.type.value}) was created.")
        self.lab.switches_changed()

    def set_switch(self, name: str, switch: VirtualSwitch) -> None:
        old = self.switch(name)
        name = old.name
        self.net.validate_switch(switch, self.hardware, replacing=name)
        if old.type is not switch.type and any(
                n.switch == name for v in self.vms.values() for n in v.config.network_adapters
                if v.state is not VmState.OFF):
            raise InvalidStateError(
                f"The virtual switch '{name}' could not be changed.",
                ["Running virtual machines are connected to it; changing the connection type "
                 "may disrupt network connectivity. Turn them off first."])
        del self.net.switches[name]
        self.net.switches[switch.name] = switch
        if switch.name != name:
            for vm in self.vms.values():
                vm.config = renamed_switch(vm.config, name, switch.name)
        self.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
                 f"The virtual switch '{name}' was changed.")
        self.lab.switches_changed()

    def remove_switch(self, name: str) -> None:
        name = self.switch(name).name
        del self.net.switches[name]
        for vm in self.vms.values():
            vm.config = renamed_switch(vm.config, name, None)
        self.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
                 f"The virtual switch '{name}' was deleted; its adapters are not connected.")
        self.lab.switches_changed()

    def switch(self, name: str) -> VirtualSwitch:
        """The switch named ``name`` (exactly, else by :func:`hvlab.engine.names.name_key`)."""
        found = self.net.switches.get(name)
        if found is not None:
            return found
        key = name_key(name)
        for sw in self.net.switches.values():
            if name_key(sw.name) == key:
                return sw
        raise NotFoundError(
                f'Hyper-V was unable to find a virtual switch with name "{name}".')

    # -- integration services setup disk -------------------------------------------------------
    def integration_setup_blocker(self, vm: VmRuntime) -> str | None:
        guest = self.guest_of(vm)
        if vm.config.guest_is_installed or vm.is_setup_pending:
            return "Integration services are already installed in the guest."
        if guest.integration_services != "installable":
            return f"No integration services setup disk exists for {guest.name}."
        if vm.state is not VmState.RUNNING or vm.phase is not GuestPhase.READY:
            return "The guest operating system must be running to install integration services."
        return None

    def insert_integration_services_disk(self, vm: VmRuntime) -> None:
        """Action ▸ Insert Integration Services Setup Disk: the guest installs them and needs
        a restart; at the next boot the VMBus drivers load."""
        blocker = self.integration_setup_blocker(vm)
        if blocker is not None:
            raise InvalidStateError(
                f"The integration services setup disk could not be inserted into '{vm.name}'.",
                [blocker])
        vm.is_setup_pending = True
        for line in ("Integration services setup disk inserted (vmguest.iso)",
                     "Installing Hyper-V integration services: VMBus, storage, network, "
                     "video and input drivers; heartbeat, shutdown, time synchronization",
                     "Setup completed. Restart the virtual machine to complete the "
                     "installation."):
            self._console(vm, line)
        self.log(ev.CH_VMMS, ev.EV_VM_IS_SETUP, Level.INFORMATION,
                 f"Integration services were installed in '{vm.name}'; they load at its next "
                 "restart.", vm)

    # -- availability --------------------------------------------------------------------
    def shutdown_blocker(self, vm: VmRuntime) -> str | None:
        guest = self.guest_of(vm)
        if not guest.has_integration_services:
            return (f"Shut Down needs the guest's Operating System Shutdown integration "
                    f"service, which does not exist for {guest.name}.")
        if not vm.config.guest_is_installed:
            return ("Shut Down needs the guest's Operating System Shutdown integration service; "
                    "integration services are not installed in the guest.")
        if "shutdown" not in guest.services or "shutdown" not in vm.config.integration_services:
            return ("Shut Down needs the guest's Operating System Shutdown integration service, "
                    "which is turned off in the virtual machine's settings.")
        if vm.phase is not GuestPhase.READY:
            return ("Shut Down needs the guest's Operating System Shutdown integration service, "
                    "which has not started yet.")
        return None

    def available_operations(self, vm: VmRuntime) -> dict[Operation, str | None]:
        """Each operation mapped to None (available now) or the reason it is not."""
        return {op: self.operation_blocker(vm, op) for op in Operation}

    def operation_blocker(self, vm: VmRuntime, op: Operation) -> str | None:
        """Why ``op`` cannot be requested for ``vm`` now, or None when it can."""
        if self.rebooting:
            return "The host is restarting."
        reason = state_reason(op, vm.state)
        if reason is None and op is Operation.SHUT_DOWN:
            reason = self.shutdown_blocker(vm)
        if reason is None and op is Operation.CHECKPOINT:
            reason = self.checkpoint_blocker(vm)
        return reason

    def checkpoint_blocker(self, vm: VmRuntime) -> str | None:
        """Why no further checkpoint can be taken (the per-VM limit), or None."""
        limit = self.profile.limits.checkpoints_per_vm
        if len(vm.checkpoints) >= limit:
            return f"A virtual machine can have at most {limit} checkpoints."
        return None

    def _require(self, vm: VmRuntime, op: Operation) -> None:
        if self.rebooting:
            raise InvalidStateError(
                f"'{vm.name}' failed to change state.",
                [f"The host {self.name} is restarting; try again when it is running."],
            )
        reason = state_reason(op, vm.state)
        if reason is not None:
            raise InvalidStateError(
                f"'{vm.name}' failed to change state.",
                ["The operation cannot be performed while the object is in its current state.",
                 reason],
            )

    # -- memory admission ---------------------------------------------------------------
    def memory_needed_mb(self, vm: VmRuntime) -> int:
        ram = vm.config.memory_startup_mb
        if vm.state is VmState.SAVED and vm.saved_state is not None:
            ram = int(vm.saved_state["memory_mb"])
        return pages_mb(ram + vm_overhead_mb(ram))

    def memory_available_mb(self) -> int:
        return self.memory.free_mb() if self.numa_spanning else self.memory.largest_node_free_mb()

    def start_check(self, vm: VmRuntime) -> StartCheck:
        needed = self.memory_needed_mb(vm)
        available = self.memory_available_mb() if self.hypervisor else 0
        try:
            self._admission(vm)
        except OutOfMemoryError as err:
            # The short form: what hvlab adds under Hyper-V's own lines.
            return StartCheck(False, err.shortfall, needed, available)
        except HvError as err:
            return StartCheck(False, " ".join(err.details) or err.message, needed, available)
        return StartCheck(True, None, needed, available)

    def _admission(self, vm: VmRuntime) -> None:
        """Raise the error a Start would fail with, before anything changes."""
        self._require(vm, Operation.START)
        name = vm.name
        if self.hypervisor is None:
            raise HypervisorNotRunningError(
                f"'{name}' failed to start.",
                ["The virtual machine could not be started because the hypervisor is not "
                 "running.", *self.blockers,
                 "Change the setting and restart the host to launch the hypervisor."],
            )
        lim = self.profile.limits
        running = [v for v in self.vms.values() if v.partition_id is not None]
        if len(running) >= lim.running_vms:
            raise ResourceLimitError(
                f"'{name}' failed to start.",
                [f"{self.profile.name} runs at most {lim.running_vms} virtual machines at once."],
            )
        vps = sum(v.config.cpu_count for v in running) + vm.config.cpu_count
        if lim.vp_lp_ratio is not None and vps > lim.vp_lp_ratio * self.logical_processors:
            raise ResourceLimitError(
                f"'{name}' failed to start.",
                [f"Starting it would give {vps} virtual processors on {self.logical_processors} "
                 f"logical processors; {self.profile.name} supports at most "
                 f"{lim.vp_lp_ratio} virtual processors per logical processor."],
            )
        if lim.vps_per_host is not None and vps > lim.vps_per_host:
            raise ResourceLimitError(
                f"'{name}' failed to start.",
                [f"{self.profile.name} runs at most {lim.vps_per_host} virtual processors."],
            )
        shortfall = self._reserve_shortfall(vm, vm.config)
        if shortfall is not None:
            raise ResourceLimitError(f"'{name}' failed to start.", [shortfall])
        needed_macs = sum(1 for i, n in enumerate(vm.config.network_adapters)
                          if n.static_mac is None and str(i) not in vm.macs)
        pool = self.net.mac_pool
        if needed_macs > pool.free_count():
            port = (f"Synthetic Ethernet Port (Instance ID {vm.id}): Failed to power on with "
                    "Error 'Attempt to access invalid address'.")
            raise MacPoolExhaustedError(
                f"'{name}' failed to start.",
                [port, f"The dynamic MAC address pool ({pool.minimum} to {pool.maximum}, "
                       f"{pool.size} addresses) is exhausted."],
                event_text=port,
            )
        needed = self.memory_needed_mb(vm)
        if not self.memory.fits(needed, self.numa_spanning):
            ram = (int(vm.saved_state["memory_mb"]) if vm.state is VmState.SAVED and vm.saved_state
                   else vm.config.memory_startup_mb)
            available = self.memory_available_mb()
            event_text = (f"Not enough memory in the system to start the virtual machine {name} "
                          f"with ram size {ram} megabytes. (Virtual machine ID {vm.id})")
            short = [f"It needs {needed:,} MB (startup RAM plus {needed - ram:,} MB "
                     f"overhead); {available:,} MB is available."]
            if not self.numa_spanning:
                short.append(
                    "NUMA spanning is disabled, so the virtual machine must fit in one NUMA "
                    f"node; the largest node has {self.memory.largest_node_free_mb():,} MB free."
                )
            details = [
                f"Not enough memory in the system to start the virtual machine {name}.",
                "Could not initialize memory: Not enough memory resources are available to "
                "complete this operation. (0x8007000E).",
                event_text,
                *short,
            ]
            raise OutOfMemoryError(f"'{name}' failed to start.", details, needed_mb=needed,
                                   available_mb=available, shortfall=" ".join(short),
                                   event_text=event_text)

    def _reserve_shortfall(self, vm: VmRuntime, cfg: VmConfig) -> str | None:
        """CPU reserve admission: why ``cfg``'s reserve does not fit beside the reserves of
        the other running VMs on the host's LPs (None when it fits)."""
        if cfg.cpu_reserve_pct == 0:
            return None
        others = sum(v.config.cpu_reserve_pct * v.config.cpu_count
                     for v in self.vms.values() if v.partition_id is not None and v is not vm)
        want = cfg.cpu_reserve_pct * cfg.cpu_count
        capacity = 100 * self.logical_processors
        if others + want <= capacity:
            return None
        return (f"The virtual machine reserve cannot be met: it needs {want / 100:.2f} logical "
                f"processors, and {max(capacity - others, 0) / 100:.2f} are unreserved.")

    # -- operations -------------------------------------------------------------------------
    def start(self, vm: VmRuntime) -> JobRecord:
        try:
            self._admission(vm)
        except MacPoolExhaustedError as err:
            self.log(ev.CH_WORKER, ev.EV_VM_MAC_EXHAUSTED, Level.ERROR, err.event_text, vm)
            raise
        except (OutOfMemoryError, HypervisorNotRunningError, ResourceLimitError) as err:
            self.log(ev.CH_WORKER, ev.EV_VM_FAILED_START, Level.ERROR,
                     f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})", vm)
            if isinstance(err, OutOfMemoryError):
                self.log(ev.CH_WORKER, ev.EV_VM_OUT_OF_MEMORY, Level.ERROR, err.event_text, vm)
            elif isinstance(err, HypervisorNotRunningError):
                self.log(ev.CH_WORKER, ev.EV_VM_HYPERVISOR_DOWN, Level.ERROR,
                         " ".join(err.details), vm)
            raise
        try:
            vmdisks.check_disks(self.lab, vm)
        except DiskAttachError as err:
            self.log(ev.CH_WORKER, ev.EV_VM_FAILED_START, Level.ERROR,
                     f"'{vm.name}' failed to start. (Virtual machine ID {vm.id})", vm)
            self.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                     f"{err.details[1]} (Virtual machine ID {vm.id})", vm)
            raise
        from_saved = vm.state is VmState.SAVED
        if from_saved:
            on_disk = vmdisks.read_saved_state(self.lab, vm)  # raises if damaged
            if on_disk is not None:
                vm.saved_state = on_disk
        hv = self.hypervisor
        assert hv is not None
        root = hv.ROOT_ID
        pid = hv.hypercall(root, "HvCreatePartition", name=vm.name).value
        hv.hypercall(root, "HvInitializePartition", pid)
        mapped = hv.hypercall(root, "HvMapGpaPages", pid, mb=self.memory_needed_mb(vm),
                              spanning=self.numa_spanning)
        if mapped.status is not HvStatus.SUCCESS:  # pragma: no cover - admission checked it
            hv.hypercall(root, "HvDeletePartition", pid)
            raise OutOfMemoryError(f"'{vm.name}' failed to start.", [mapped.detail])
        hv.hypercall(root, "HvCreateVp", pid, count=vm.config.cpu_count)
        vm.partition_id = pid
        self._sync_vmbus(vm)
        self.net.lease_macs(vm)
        ram = int(vm.saved_state["memory_mb"]) if from_saved and vm.saved_state else \
            vm.config.memory_startup_mb
        self.lab.table.memory_assigned_mb[vm.slot] = ram
        if from_saved:
            seconds = 0.5 + ram / self.hardware.storage_mb_per_s
            desc = "Restoring"
        else:
            seconds = 0.8 + ram / 8192
            desc = "Starting"
        job = self._begin_job(vm, Operation.START, desc, seconds)
        self._set_state(vm, VmState.STARTING, "restore" if from_saved else "start")
        return job

    def turn_off(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.TURN_OFF)
        self._freeze_guest(vm)
        job = self._begin_job(vm, Operation.TURN_OFF, "Turning off", TURN_OFF_S)
        self._set_state(vm, VmState.STOPPING, "turn off")
        return job

    def shut_down(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.SHUT_DOWN)
        blocker = self.shutdown_blocker(vm)
        if blocker is not None:
            raise InvalidStateError(f"'{vm.name}' failed to shut down.", [blocker])
        guest = self.guest_of(vm)
        self._cancel_guest_steps(vm)
        self._enter_phase(vm, GuestPhase.SHUTTING_DOWN, shutdown_lines(guest))
        job = self._begin_job(vm, Operation.SHUT_DOWN, "Shutting down", guest.shutdown_seconds)
        self._set_state(vm, VmState.STOPPING, "shut down")
        return job

    def save(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.SAVE)
        self._freeze_guest(vm)
        assigned = int(self.lab.table.memory_assigned_mb[vm.slot])
        seconds = 0.5 + assigned / self.hardware.storage_mb_per_s
        job = self._begin_job(vm, Operation.SAVE, "Saving", seconds, cancellable=True)
        self._set_state(vm, VmState.SAVING, "save")
        return job

    def pause(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.PAUSE)
        self._freeze_guest(vm)
        job = self._begin_job(vm, Operation.PAUSE, "Pausing", PAUSE_S)
        self._set_state(vm, VmState.PAUSING, "pause")
        return job

    def resume(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.RESUME)
        job = self._begin_job(vm, Operation.RESUME, "Resuming", RESUME_S)
        self._set_state(vm, VmState.RESUMING, "resume")
        return job

    def reset(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.RESET)
        job = self._begin_job(vm, Operation.RESET, "Resetting", 0.0)
        self._finish_job(job)
        self._set_state(vm, VmState.RUNNING, "reset")
        self._console(vm, "--- The virtual machine was reset ---")
        self._start_guest(vm)
        self.log(ev.CH_WORKER_OP, ev.EV_VM_RESET, Level.INFORMATION,
                 f"'{vm.name}' was reset. (Virtual machine ID {vm.id})", vm)
        return job

    def delete_saved_state(self, vm: VmRuntime) -> JobRecord:
        self._require(vm, Operation.DELETE_SAVED_STATE)
        job = self._begin_job(vm, Operation.DELETE_SAVED_STATE, "Deleting saved state", 0.0)
        self._finish_job(job)
        self.discard_saved_state(vm)
        return job

    def discard_saved_state(self, vm: VmRuntime) -> None:
        vm.saved_state = None
        vm.uptime_base_us = 0
        vmdisks.remove_saved_state(self.lab, vm)
        self._enter_phase(vm, GuestPhase.OFF, ())
        self._set_state(vm, VmState.OFF, "saved state deleted")

    def power_off(self, vm: VmRuntime, reason: str) -> None:
        """Turn the VM off at once (the partition is destroyed; the guest gets no say)."""
        self._kill(vm, reason)

    def replace_config(self, vm: VmRuntime, cfg: VmConfig) -> None:
        """A whole configuration from a checkpoint or an import (validated by the caller)."""
        vm.config = cfg
        self._dm_vms = None
        self._sync_table(vm)
        self.lab.publish(ev.VmListChanged(self.lab.now_us, self.id, vm.id, "config"))

    def restore_saved_state_record(self, vm: VmRuntime, record: dict[str, Any]) -> None:
        """An Off VM takes a saved state (a checkpoint applied): it becomes Saved."""
        vm.saved_state = record
        vm.phase = GuestPhase(int(record["phase"]))
        self._sync_table(vm)
        try:
            vmdisks.write_saved_state(self.lab, vm, record)
        except OSError as err:
            self.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                     f"'{vm.name}': the saved state file could not be written: {err}", vm)
        self._set_state(vm, VmState.SAVED, "checkpoint applied")

    def rename(self, vm: VmRuntime, new_name: str) -> None:
        self._require(vm, Operation.RENAME)
        self.set_vm(vm, {"name": new_name})

    def delete(self, vm: VmRuntime) -> None:
        self._require(vm, Operation.DELETE)
        self.lab.queue.remove_where(self.id, vm.id)
        del self.vms[vm.id]
        self._dm_vms = None
        self.net.release_macs(vm)
        self.lab.devices.remove_vm(vm.id)
        self.lab.disk_handles.close(
            [p for d in vm.config.hard_drives if (p := vmdisks.current_path(self.lab, vm, d))])
        self.lab.table.remove(vm.slot)
        self.log(ev.CH_VMMS, ev.EV_VM_DELETED, Level.INFORMATION,
                 f"'{vm.name}' was deleted. (Virtual machine ID {vm.id})", vm)
        self.lab.publish(ev.VmListChanged(self.lab.now_us, self.id, vm.id, "removed"))

    def cancel(self, vm: VmRuntime, job: JobRecord, failure: str | None = None) -> None:
        """Cancel a cancellable job (a Save): the VM returns to where it was. With a
        ``failure`` the job ends Failed with it, undone the same way."""
        previous = vm.state_before_job or VmState.RUNNING
        self.lab.cancel_job_record(job, failure or "The operation was cancelled.",
                                   failed=failure is not None)
        vm.job_id = None
        self._set_state(vm, previous, "save failed" if failure else "save cancelled")
        if previous is VmState.RUNNING:
            self._thaw_guest(vm)
        if failure:
            self.log(ev.CH_WORKER_OP, ev.EV_VM_SAVE_CANCELLED, Level.ERROR,
                     f"'{vm.name}' could not save its state. {failure} (Virtual machine ID "
                     f"{vm.id})", vm)
            return
        self.log(ev.CH_WORKER_OP, ev.EV_VM_SAVE_CANCELLED, Level.INFORMATION,
                 f"Saving '{vm.name}' was cancelled. (Virtual machine ID {vm.id})", vm)

    # -- jobs -------------------------------------------------------------------------------
    def _begin_job(self, vm: VmRuntime, op: Operation, desc: str, seconds: float,
                   cancellable: bool = False) -> JobRecord:
        job = self.lab.new_job(op.value, desc, self.id, vm.id, seconds, cancellable)
        vm.job_id = job.id
        vm.state_before_job = vm.state
        if seconds > 0:
            self.lab.queue.schedule(job.expected_end_us, "job_done", self.id, vm.id,
                                    {"job": job.id, "op": op.value})
        return job

    def _finish_job(self, job: JobRecord, error: str | None = None) -> None:
        self.lab.finish_job(job, error)
        vm = self.vms.get(job.vm_id)
        if vm is not None and vm.job_id == job.id:
            vm.job_id = None
            vm.state_before_job = None

    def on_job_done(self, vm: VmRuntime, job_id: int, op: Operation) -> None:
        job = self.lab.job_record(job_id)
        if job is None or job.state.finished or vm.job_id != job_id:
            return  # cancelled or superseded
        self._finish_job(job)
        now = self.lab.now_us
        if op is Operation.START:
            restored = vm.saved_state is not None
            if restored:
                saved = vm.saved_state
                assert saved is not None
                vm.uptime_base_us = int(saved["uptime_us"])
                vm.phase = GuestPhase(int(saved["phase"]))
                vm.plan_index = int(saved["plan_index"])
                vm.guest_frozen_left_us = saved["frozen_left_us"]
                vm.boot_number = int(saved.get("boot_number", vm.boot_number))
                vm.memory_record = copy.deepcopy(saved.get("memory_record"))
                vm.saved_state = None
                vmdisks.remove_saved_state(self.lab, vm)
                self._sync_table(vm)
            vm.running_since_us = now
            self._set_state(vm, VmState.RUNNING, "restored" if restored else "started")
            if restored:
                self._console(vm, "--- Restored from saved state ---")
                self._thaw_guest(vm)
            else:
                self._start_guest(vm)
            self.log(ev.CH_VMMS, ev.EV_VM_STARTED, Level.INFORMATION,
                     f"'{vm.name}' started successfully. (Virtual machine ID {vm.id})", vm)
        elif op in (Operation.TURN_OFF, Operation.SHUT_DOWN):
            self._destroy_partition(vm)
            vm.uptime_base_us = 0
            vm.running_since_us = None
            self._enter_phase(vm, GuestPhase.OFF, ())
            how = "turned off" if op is Operation.TURN_OFF else "shut down"
            self._set_state(vm, VmState.OFF, how)
            if op is Operation.SHUT_DOWN:
                self.log(ev.CH_WORKER_OP, ev.EV_VM_SHUT_DOWN, Level.INFORMATION,
                         f"'{vm.name}' was shut down by the guest operating system. "
                         f"(Virtual machine ID {vm.id})", vm)
            else:
                self.log(ev.CH_WORKER_OP, ev.EV_VM_TURNED_OFF, Level.INFORMATION,
                         f"'{vm.name}' was turned off. (Virtual machine ID {vm.id})", vm)
        elif op is Operation.SAVE:
            self._save_now(vm)
            self.log(ev.CH_WORKER_OP, ev.EV_VM_SAVED, Level.INFORMATION,
                     f"'{vm.name}' was saved successfully. (Virtual machine ID {vm.id})", vm)
        elif op is Operation.PAUSE:
            self._set_state(vm, VmState.PAUSED, "paused")
            self.log(ev.CH_WORKER_OP, ev.EV_VM_PAUSED, Level.INFORMATION,
                     f"'{vm.name}' was paused. (Virtual machine ID {vm.id})", vm)
        elif op is Operation.RESUME:
            self._set_state(vm, VmState.RUNNING, "resumed")
            self._thaw_guest(vm)
            self.log(ev.CH_WORKER_OP, ev.EV_VM_RESUMED, Level.INFORMATION,
                     f"'{vm.name}' was resumed. (Virtual machine ID {vm.id})", vm)

    def capture_saved_state(self, vm: VmRuntime) -> dict[str, Any]:
        """The VM's device state and memory record as a Save would write them."""
        now = self.lab.now_us
        left = vm.guest_frozen_left_us
        if vm.guest_due_us is not None:
            left = max(vm.guest_due_us - now, 0)
        return {
            "memory_mb": int(self.lab.table.memory_assigned_mb[vm.slot]),
            "uptime_us": vm.uptime_us(now),
            "phase": int(vm.phase),
            "plan_index": vm.plan_index,
            "frozen_left_us": left,
            "saved_us": now,
            "boot_number": vm.boot_number,
            "memory_record": copy.deepcopy(vm.memory_record),
        }

    def _save_now(self, vm: VmRuntime) -> None:
        """Write the saved state and tear the partition down (memory is freed)."""
        vm.saved_state = self.capture_saved_state(vm)
        try:
            vmdisks.write_saved_state(self.lab, vm, vm.saved_state)
        except OSError as err:
            self.log(ev.CH_WORKER, ev.EV_VM_STORAGE, Level.ERROR,
                     f"'{vm.name}': the saved state file could not be written: {err}", vm)
        vm.memory_record = None
        vm.running_since_us = None
        vm.uptime_base_us = 0
        self._destroy_partition(vm)
        self._set_state(vm, VmState.SAVED, "saved")
        self._console(vm, "--- Saved ---")

    def _sync_vmbus(self, vm: VmRuntime) -> None:
        """Offer the partition its VMBus: a message port in the root for the VMBus and an
        event port per channel, each with the child's connection to it (HvCreatePort and
        HvConnectPort by the root); rescind what the configuration no longer has."""
        hv = self.hypervisor
        pid = vm.partition_id
        if hv is None or pid is None or pid not in hv.partitions:
            return
        root, child = hv.root, hv.partitions[pid]
        wanted = {"vmbus": PortType.MESSAGE}
        wanted.update((c.key, PortType.EVENT)
                      for c in offered_channels(vm.config, self.guest_of(vm)))
        have = {p.label: p for p in root.ports if p.sender == pid}
        for label in [label for label in have if label not in wanted]:
            for c in [c for c in child.connections if c.port_id == have[label].id]:
                hv.hypercall(hv.ROOT_ID, "HvDisconnectPort", pid, connection_id=c.id)
            hv.hypercall(hv.ROOT_ID, "HvDeletePort", hv.ROOT_ID, port_id=have[label].id)
        for label, kind in wanted.items():
            if label in have:
                continue
            port = hv.hypercall(hv.ROOT_ID, "HvCreatePort", hv.ROOT_ID, sender=pid,
                                port_type=kind, label=label)
            hv.hypercall(hv.ROOT_ID, "HvConnectPort", pid, port_partition=hv.ROOT_ID,
                         port_id=port.value)

    def vmbus_connections(self, vm: VmRuntime) -> list[Connection]:
        """The child's connections (it sends on them), in the order they were made."""
        hv = self.hypervisor
        if hv is None or vm.partition_id is None or vm.partition_id not in hv.partitions:
            return []
        return list(hv.partitions[vm.partition_id].connections)

    def vmbus_hypercalls(self, vm: VmRuntime) -> dict[str, int]:
        """The child's VMBus traffic as hypercalls: one HvSignalEvent per batch of synthetic
        I/O, one HvPostMessage a second per running integration component (accumulated
        per tick in the VM table, since the partition was created).  The traffic travels
        on the child's connections, so a partition without them has none."""
        t = self.lab.table
        labels = {c.label for c in self.vmbus_connections(vm)}
        out = {}
        signals, messages = int(t.vmbus_signals[vm.slot]), int(t.vmbus_messages[vm.slot])
        if signals and labels - {"vmbus"}:  # on the channels' event connections
            out["HvSignalEvent"] = signals
        if messages and "vmbus" in labels:  # on the VMBus message connection
            out["HvPostMessage"] = messages
        return out

    def _destroy_partition(self, vm: VmRuntime) -> None:
        if vm.partition_id is not None and self.hypervisor is not None:
            hv = self.hypervisor
            hv.hypercall(hv.ROOT_ID, "HvUnmapGpaPages", vm.partition_id)
            hv.hypercall(hv.ROOT_ID, "HvDeletePartition", vm.partition_id)
        vm.partition_id = None
        self.lab.table.memory_assigned_mb[vm.slot] = 0
        self.lab.table.vmbus_signals[vm.slot] = 0.0
        self.lab.table.vmbus_messages[vm.slot] = 0.0

    # -- guest ------------------------------------------------------------------------------
    def _console(self, vm: VmRuntime, line: str) -> None:
        vm.console.append((self.lab.now_us, line))
        vm.console_serial += 1

    def _enter_phase(self, vm: VmRuntime, phase: GuestPhase, lines: tuple[str, ...]) -> None:
        vm.phase = phase
        self.lab.table.phase[vm.slot] = int(phase)
        for line in lines:
            self._console(vm, line)

    def _plan(self, vm: VmRuntime) -> list[BootStep]:
        return boot_plan(vm.config, self.guest_of(vm))

    def _start_guest(self, vm: VmRuntime) -> None:
        vm.boot_number += 1
        vm.memory_record = vmdisks.memory_record(vm, vm.config.memory_startup_mb)
        if vm.is_setup_pending:
            # Integration services installed from the setup disk load at this boot.
            vm.is_setup_pending = False
            vm.config = replace(vm.config, guest_is_installed=True)
            self._sync_table(vm)
            self.lab.publish(ev.VmListChanged(self.lab.now_us, self.id, vm.id, "config"))
        self._cancel_guest_steps(vm)
        vm.plan_index = -1
        self._guest_step(vm)

    def _guest_step(self, vm: VmRuntime) -> None:
        """Enter the next step of the boot plan and schedule the one after it."""
        plan = self._plan(vm)
        vm.plan_index += 1
        if vm.plan_index >= len(plan):
            vm.guest_due_us = None
            return
        step = plan[vm.plan_index]
        self._enter_phase(vm, step.phase, step.lines)
        if vm.plan_index + 1 < len(plan):
            self._schedule_guest(vm, round(plan[vm.plan_index + 1].after_s * 1_000_000))
        else:
            vm.guest_due_us = None

    def _schedule_guest(self, vm: VmRuntime, delay_us: int) -> None:
        vm.guest_epoch += 1
        vm.guest_due_us = self.lab.now_us + delay_us
        self.lab.queue.schedule(vm.guest_due_us, "guest_step", self.id, vm.id,
                                {"epoch": vm.guest_epoch})

    def on_guest_step(self, vm: VmRuntime, epoch: int) -> None:
        if epoch != vm.guest_epoch or vm.guest_due_us is None:
            return
        self._guest_step(vm)

    def _cancel_guest_steps(self, vm: VmRuntime) -> None:
        vm.guest_epoch += 1
        vm.guest_due_us = None
        vm.guest_frozen_left_us = None

    def _freeze_guest(self, vm: VmRuntime) -> None:
        """Stop the guest's clock (pause, save): the pending boot step waits."""
        if vm.guest_due_us is not None:
            vm.guest_frozen_left_us = max(vm.guest_due_us - self.lab.now_us, 0)
            vm.guest_epoch += 1
            vm.guest_due_us = None

    def _thaw_guest(self, vm: VmRuntime) -> None:
        if vm.guest_frozen_left_us is not None:
            left = vm.guest_frozen_left_us
            vm.guest_frozen_left_us = None
            self._schedule_guest(vm, left)

    def heartbeat(self, vm: VmRuntime) -> str:
        """The Heartbeat column: OK, No Contact, or empty when the VM is not running."""
        if vm.state not in _HEARTBEAT_STATES:
            return ""
        if vm.has_heartbeat and vm.phase is GuestPhase.READY:
            return "OK"
        return "No Contact"

    # -- host power -------------------------------------------------------------------------
    def reboot(self) -> JobRecord:
        """Restart the host: apply each VM's Automatic Stop Action, then power cycle."""
        if self.rebooting:
            raise InvalidStateError(f"The host {self.name} is already restarting.")
        for vm in self.vms.values():
            if vm.state in PARTITION_STATES:
                self._apply_stop_action(vm)
        self.log(ev.CH_SYSTEM, ev.EV_HOST_SHUTDOWN, Level.INFORMATION,
                 f"The host {self.name} is restarting (planned).")
        return self._power_cycle("Restarting the host")

    def crash_root(self) -> JobRecord:
        """The root partition bugchecks: every child partition dies with it; the host reboots."""
        if self.rebooting:
            raise InvalidStateError(f"The host {self.name} is already restarting.")
        self.log(ev.CH_SYSTEM, ev.EV_BUGCHECK, Level.CRITICAL,
                 "The computer has rebooted from a bugcheck. The root partition (management "
                 "operating system) stopped, taking every child partition with it.")
        for vm in self.vms.values():
            vm.was_running = vm.state in PARTITION_STATES and vm.state is not VmState.STOPPING
            if vm.state in PARTITION_STATES:
                self._kill(vm, "the root partition crashed")
                self.log(ev.CH_WORKER, ev.EV_VM_ROOT_CRASH, Level.CRITICAL,
                         f"'{vm.name}' was turned off because the root partition (management "
                         f"operating system) stopped unexpectedly. (Virtual machine ID {vm.id})",
                         vm)
        return self._power_cycle("Restarting the host after a root partition crash")

    def _abort_job(self, vm: VmRuntime, reason: str) -> None:
        if vm.job_id is not None:
            job = self.lab.job_record(vm.job_id)
            if job is not None and not job.state.finished:
                self.lab.cancel_job_record(job, reason, failed=True)
            vm.job_id = None
            vm.state_before_job = None

    def _apply_stop_action(self, vm: VmRuntime) -> None:
        """Planned host shutdown: Save, Turn Off or Shut Down, at once."""
        action = vm.config.automatic_stop_action
        vm.was_running = vm.state is not VmState.STOPPING
        self._abort_job(vm, "The host is shutting down.")
        if vm.state in (VmState.STARTING, VmState.STOPPING):
            self._kill(vm, "host shutdown")
            return
        if vm.state is VmState.PAUSING:
            self._set_state(vm, VmState.PAUSED, "host shutdown")
        elif vm.state is VmState.RESUMING:
            self._set_state(vm, VmState.RUNNING, "host shutdown")
        if action is StopAction.SAVE:
            if vm.state is not VmState.SAVING:
                self._freeze_guest(vm)
                self._set_state(vm, VmState.SAVING, "automatic stop action")
            self._save_now(vm)
        elif action is StopAction.SHUT_DOWN and self.shutdown_blocker(vm) is None:
            self._kill(vm, "shut down by the Automatic Stop Action")
        else:
            self._kill(vm, "turned off by the Automatic Stop Action")

    def _kill(self, vm: VmRuntime, reason: str) -> None:
        """The partition is gone at once (power off, crash); the guest gets no say."""
        self._abort_job(vm, f"The virtual machine was turned off: {reason}.")
        restoring = vm.state is VmState.STARTING and vm.saved_state is not None
        self._cancel_guest_steps(vm)
        self._destroy_partition(vm)
        vm.running_since_us = None
        vm.uptime_base_us = 0
        self._enter_phase(vm, GuestPhase.OFF, ())
        self._console(vm, f"--- Powered off: {reason} ---")
        # A restore in progress leaves the saved state on disk intact: back to Saved.
        self._set_state(vm, VmState.SAVED if restoring else VmState.OFF, reason)

    def _power_cycle(self, description: str) -> JobRecord:
        self.lab.queue.remove_where(self.id)
        if self.hypervisor is not None:
            self.hypervisor.shutdown()
        self.hypervisor = None
        self.rebooting = True
        job = self.lab.new_job("host-reboot", description, self.id, "", HOST_BOOT_S, False)
        self.lab.queue.schedule(job.expected_end_us, "host_boot", self.id, "", {"job": job.id})
        self.lab.publish(ev.HostChanged(self.lab.now_us, self.id, "rebooting"))
        return job

    def on_host_boot(self, job_id: int) -> None:
        self._boot()
        job = self.lab.job_record(job_id)
        if job is not None and not job.state.finished:
            self.lab.finish_job(job)
        for vm in self.vms.values():
            action = vm.config.automatic_start_action
            if action is StartAction.START or (
                action is StartAction.START_IF_RUNNING and vm.was_running
            ):
                self.lab.queue.schedule(
                    self.lab.now_us + vm.config.automatic_start_delay_s * 1_000_000,
                    "auto_start", self.id, vm.id, {"boot": self.boot_count})
            vm.was_running = False

    def on_auto_start(self, vm: VmRuntime, boot: int) -> None:
        if boot != self.boot_count or vm.state not in (VmState.OFF, VmState.SAVED):
            return
        # A failure is in the event log, which is all Hyper-V's automatic start does with it.
        with contextlib.suppress(HvError):
            self.start(vm)

    # -- guest activity on real files ------------------------------------------------------
    def guest_activity(self, second: int) -> None:
        """Once a simulated second: running guests write to their disks (bounded) and
        dirty their memory (a run per 10 s of uptime)."""
        t = self.lab.table
        now = self.lab.now_us
        files = self.lab.storage_root is not None
        for vm in self._running_ready():
            if files:
                iops = float(t.disk_iops[vm.slot])
                if iops > 0:
                    vmdisks.guest_writes(self.lab, self, vm, second, iops)
            uptime_s = vm.uptime_us(now) // 1_000_000
            if uptime_s % 10 == 0 and uptime_s:
                vmdisks.dirty_memory(vm, int(uptime_s))

    def _running_ready(self) -> list[VmRuntime]:
        return [v for v in self.vms.values()
                if v.state is VmState.RUNNING and v.phase is GuestPhase.READY]

    # -- dynamic memory ---------------------------------------------------------------------
    def balance_memory(self) -> None:
        """Dynamic Memory balancer: move RAM toward each VM's demand plus buffer.

        Runs only for running VMs whose guest has integration services up (the balloon
        driver).  Grows only into free memory: never overcommits.  Higher memory weight
        goes first when memory is short.
        """
        hv = self.hypervisor
        if hv is None:
            return
        t = self.lab.table
        if self._dm_vms is None:
            self._dm_vms = [v for v in self.vms.values() if v.config.dynamic_memory_enabled]
        candidates = [
            v for v in self._dm_vms
            if v.state is VmState.RUNNING
            and v.partition_id is not None and v.phase is GuestPhase.READY
            and v.config.guest_is_installed
        ]
        candidates.sort(key=lambda v: (-v.config.memory_weight, v.config.name))
        for vm in candidates:
            cfg = vm.config
            # The balancer acts on smoothed pressure, not on one tick's demand.
            demand = float(t.memory_demand_avg_mb[vm.slot])
            target = pages_mb(int(demand * (1 + cfg.memory_buffer_pct / 100)))
            target = max(cfg.memory_minimum_mb, min(cfg.memory_maximum_mb, target))
            assigned = int(t.memory_assigned_mb[vm.slot])
            # Hysteresis, as the real balancer has: small swings of demand move nothing.
            slack = max(64, assigned // 10)
            below_minimum = target > assigned and assigned < cfg.memory_minimum_mb
            if target > assigned + slack or below_minimum:
                grow = min(target - assigned, self.memory_available_mb())
                grow -= grow % 2
                if grow > 0 and hv.hypercall(hv.ROOT_ID, "HvMapGpaPages", vm.partition_id,
                                             mb=grow, spanning=self.numa_spanning).ok:
                    t.memory_assigned_mb[vm.slot] = assigned + grow
            elif target < assigned - 2 * slack:
                shrink = min(assigned - target, max(64, (assigned - target) // 4))
                shrink -= shrink % 2
                freed = hv.hypercall(hv.ROOT_ID, "HvUnmapGpaPages", vm.partition_id,
                                     mb=shrink).value
                t.memory_assigned_mb[vm.slot] = assigned - freed
