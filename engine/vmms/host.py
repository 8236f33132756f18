"""One Hyper-V host as the management service keeps it: its hardware and edition, its
hypervisor and memory map, its VMs, and the figures the simulation leaves on it each tick.

The host is a record with the few operations that only touch itself (booting, logging, a
VM's state change, the console); the service's rules and operations over it live in the
modules beside this one (see :mod:`hvlab.engine.vmms`).  It satisfies the simulation's
:class:`~hvlab.engine.sim.simulation.Machine`.
"""

from __future__ import annotations

from hvlab.engine import events as ev
from hvlab.engine.events import Level
from hvlab.engine.guest import GuestPhase
from hvlab.engine.guests import GuestOs, get_guest_os
from hvlab.engine.lifecycle import LEGAL_TRANSITIONS, VmState
from hvlab.engine.profiles import HostHardware, HostProfile
from hvlab.engine.sim.counters import HostSample, root_vps
from hvlab.engine.sim.hypervisor import (
    HvStatus,
    HypercallSpec,
    Hypervisor,
    Partition,
    launch_blockers,
)
from hvlab.engine.sim.memory import MemoryMap
from hvlab.engine.vmms.context import LabContext
from hvlab.engine.vmms.networking import HostNetworking
from hvlab.engine.vmms.runtime import VmRuntime
from hvlab.engine.vmms.vm_names import NamesExcept, VmNames

#: A backup running in the root partition (the lab's assumption, no published figure): one
#: root VP reading and compressing, and a quarter of the host's storage bandwidth.
BACKUP_CPU_LP = 1.0
BACKUP_STORAGE_SHARE = 0.25

#: Why the hypervisor is not running when the role is missing or its launch is disabled.
ROLE_MISSING = ("The Hyper-V role is not installed: Windows runs directly on the hardware, "
                "with no hypervisor beneath it. Install the role and restart the server.")
LAUNCH_DISABLED_EVENT = ("Hyper-V launch aborted due to auto-launch being disabled in the "
                         "registry.")
LAUNCH_DISABLED = (LAUNCH_DISABLED_EVENT[:-1] + " (the boot configuration has "
                   "hypervisorlaunchtype Off: bcdedit /set hypervisorlaunchtype auto, then "
                   "restart).")


class Host:
    """A physical server with the Hyper-V role."""

    def __init__(self, lab: LabContext, host_id: str, name: str, index: int, profile: HostProfile,
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
        # Hyper-V Settings' default folders; "" is the lab's own (vm_files.host_folders).
        self.virtual_machine_path = ""
        self.virtual_hard_disk_path = ""
        self.rebooting = False
        #: The node failed (powered off or crashed) and has not been restored.
        self.failed = False
        #: Live migrations this node takes part in at once (Hyper-V Settings ▸ Live
        #: Migrations; fixed at one on 2008 R2).
        self.max_live_migrations = profile.migration.simultaneous
        self.boot_count = 0
        #: The boot configuration's ``hypervisorlaunchtype`` (Auto or Off) and whether the
        #: Hyper-V role is installed, now and after the next restart (both need one).
        self.launch_type = "Auto"
        self.launch_type_next = "Auto"
        self.role_installed = True
        self.role_installed_next = True
        self.vms: dict[str, VmRuntime] = {}
        self.net = HostNetworking(host_id)
        #: The VMs' names by the key they are compared by (derived from ``vms``).
        self.names = VmNames()
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
        #: Root-side work a trainer switches on (Hyper-V Settings ▸ Root Partition Load):
        #: a load in percent of the root's processors, and a backup running in the root.
        self.root_load_pct = 0
        self.backup_running = False
        #: What that root-side work got of the processors in the last tick (LPs).
        self.root_load_cpu_lp = 0.0
        if boot:
            self._boot()

    @property
    def logical_processors(self) -> int:
        """LPs the hypervisor schedules: the hardware's, capped by the edition's limits."""
        return self.logical_processors_under(self.profile)

    def logical_processors_under(self, profile: HostProfile) -> int:
        """The LPs this machine would give the hypervisor under ``profile``."""
        hw = self.hardware
        lim = profile.limits
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
        """Power on: rebuild the memory map and launch the hypervisor if the role is
        installed, the boot configuration launches it and the CPU allows it."""
        if self.pending_hardware is not None:
            self.hardware = self.pending_hardware
            self.pending_hardware = None
        self.memory = MemoryMap(self._usable_nodes())
        role_arrives = self.role_installed_next and not self.role_installed
        self.launch_type, self.role_installed = self.launch_type_next, self.role_installed_next
        self.blockers = launch_blockers(self.hardware)
        self.boot_count += 1
        self.rebooting = False
        self.hypervisor = None
        if not self.role_installed:  # nothing to launch, nothing logged
            self.blockers = [ROLE_MISSING]
        elif self.blockers:
            hw = self.hardware
            event_id = ev.EV_HV_LAUNCH_FAILED_CPU
            if hw.virtualization_extensions and not hw.virtualization_enabled:
                event_id = ev.EV_HV_LAUNCH_FAILED_VMX
            elif not hw.nx_enabled:
                event_id = ev.EV_HV_LAUNCH_FAILED_NX
            self.log(ev.CH_SYSTEM, event_id, Level.ERROR,
                     "Hypervisor launch failed; " + " ".join(self.blockers))
        elif self.launch_type == "Off":
            self.blockers = [LAUNCH_DISABLED]
            self.log(ev.CH_SYSTEM, ev.EV_HV_LAUNCH_DISABLED, Level.ERROR, LAUNCH_DISABLED_EVENT)
        else:
            self.hypervisor = Hypervisor(
                self.memory, self.profile.memory.hypervisor_mb, self.root_reserve_mb,
                on_denied=self.on_hypercall_denied,
            )
            if role_arrives:
                self.log(ev.CH_SYSTEM, ev.EV_ROLE_INSTALLED, Level.INFORMATION,
                         "The Hyper-V role was installed: the hypervisor now starts first, "
                         "and the Windows installation runs on it as the root (parent) "
                         "partition.")
            self.log(ev.CH_SYSTEM, ev.EV_HV_STARTED, Level.INFORMATION,
                     "Hyper-V successfully started: the hypervisor is running and the root "
                     "partition owns the devices.")
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "booted"))

    def set_boot_configuration(self, launch_type: str | None,
                               role_installed: bool | None) -> None:
        """Stage ``hypervisorlaunchtype`` (Auto or Off) and installing or removing the
        Hyper-V role; both apply at the next restart."""
        if launch_type is not None:
            self.launch_type_next = launch_type
        if role_installed is not None:
            self.role_installed_next = role_installed
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "hardware"))

    def set_hardware(self, hardware: HostHardware) -> None:
        """Stage new hardware settings (BIOS switches, RAM); they take effect at reboot."""
        self.pending_hardware = hardware if hardware != self.hardware else None
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "hardware"))

    def set_folders(self, virtual_machine_path: str | None,
                    virtual_hard_disk_path: str | None) -> None:
        """The default folders for new VM files and new virtual hard disks."""
        if virtual_machine_path is not None:
            self.virtual_machine_path = virtual_machine_path
        if virtual_hard_disk_path is not None:
            self.virtual_hard_disk_path = virtual_hard_disk_path
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "settings"))

    def set_mac_range(self, minimum: str, maximum: str) -> None:
        """The dynamic MAC address pool (validated by the caller)."""
        self.net.set_mac_range(minimum, maximum)
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "settings"))

    @property
    def root_load_lp(self) -> float:
        """The root-side work the trainer switched on wants, in logical processors: the load
        on each root VP, and a backup's reading and compressing on one."""
        vps = root_vps(self.logical_processors)
        backup = BACKUP_CPU_LP if self.backup_running else 0.0
        return min(self.root_load_pct / 100 * vps + backup, float(vps))

    def set_root_load(self, percent: int | None, backup: bool | None) -> None:
        """Switch root-side work on or off (the caller checked the range)."""
        if percent is not None:
            self.root_load_pct = percent
        if backup is not None:
            self.backup_running = backup
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "settings"))

    def set_numa_spanning(self, enabled: bool) -> None:
        self.numa_spanning = enabled
        self.lab.publish(ev.HostChanged(self.lab.sim.now_us, self.id, "settings"))

    def log(self, channel: str, event_id: int, level: Level, message: str,
            vm: VmRuntime | None = None) -> None:
        self.lab.record(ev.LogEntry(self.lab.sim.now_us, channel, event_id, level, message,
                                    self.id, vm.id if vm else "", vm.name if vm else ""))

    def on_hypercall_denied(self, caller: Partition, spec: HypercallSpec,
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

    def set_state(self, vm: VmRuntime, new: VmState, reason: str) -> None:
        old = vm.state
        if old is new:
            return
        if (old, new) not in LEGAL_TRANSITIONS:
            raise AssertionError(f"illegal transition {old.value} -> {new.value} for {vm.name}")
        vm.state = new
        table = self.lab.sim.table
        table.active[vm.slot] = new in (VmState.RUNNING, VmState.STARTING, VmState.STOPPING,
                                        VmState.PAUSING, VmState.RESUMING)
        self.lab.publish(ev.VmStateChanged(self.lab.sim.now_us, self.id, vm.id, vm.name,
                                           old.value, new.value, reason))

    def guest_of(self, vm: VmRuntime) -> GuestOs:
        return get_guest_os(vm.config.guest_os)

    def other_names(self, exclude: str | None) -> NamesExcept:
        """The name keys of the host's VMs but ``exclude``'s (``key in ...``)."""
        return self.names.others(self.vms, exclude)

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

    @property
    def storage_iops(self) -> float:
        """Normalized IOPS (8 KB) the host's storage delivers to the VMs (a backup running
        in the root reads part of it)."""
        share = 1.0 - BACKUP_STORAGE_SHARE if self.backup_running else 1.0
        return self.hardware.storage_mb_per_s * 1024 / 8 * share

    def memory_available_mb(self) -> int:
        return self.memory.free_mb() if self.numa_spanning else self.memory.largest_node_free_mb()

    def console(self, vm: VmRuntime, line: str) -> None:
        vm.console.append((self.lab.sim.now_us, line))
        vm.console_serial += 1

    def enter_phase(self, vm: VmRuntime, phase: GuestPhase, lines: tuple[str, ...]) -> None:
        vm.phase = phase
        self.lab.sim.table.phase[vm.slot] = int(phase)
        for line in lines:
            self.console(vm, line)
