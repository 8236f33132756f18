"""The management API: the one facade every client uses (Hyper-V's WMI provider).

Plain data in, plain data out.  Commands take VM names or ids and values; lifecycle
commands return a :class:`~engine.jobs.Job`.  Reads return immutable snapshots from
:mod:`engine.views`.  No engine object is handed out, so a remote transport can wrap this
class later without changes to its clients.

Units: memory in MB, CPU in percent, time in seconds of simulated time (``*_us`` fields are
microseconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from engine import bounds, counters, vmdisks
from engine import events as ev
from engine.bounds import MAX_ADVANCE_SECONDS
from engine.clock import us_to_seconds
from engine.config import (
    EDITABLE_FIELDS,
    HardDrive,
    NetworkAdapter,
    StartAction,
    StopAction,
    VmConfig,
)
from engine.devices import Channel, Device, channels_for, devices_for
from engine.errors import HvError, InvalidStateError, NotFoundError, ValidationError
from engine.guest import integration_services_running
from engine.guests import INTEGRATION_SERVICES, GuestOs, load_catalogue
from engine.host import Host, VmRuntime
from engine.hypervisor import HypercallResult
from engine.jobs import Job
from engine.lab import Lab
from engine.lifecycle import Operation, VmState
from engine.memory import FREE, HYPERVISOR, ROOT, pages_mb, vm_overhead_mb
from engine.names import check_text, name_key
from engine.profiles import (
    MAX_HOST_RAM_GB,
    HostHardware,
    HostProfile,
    get_profile,
    load_profiles,
)
from engine.storage_api import StorageApi
from engine.switches import SwitchType, VirtualSwitch, validate_mac_range
from engine.views import (
    AdapterInfo,
    CounterSetInfo,
    CounterValue,
    DeviceIoInfo,
    HostInfo,
    HypercallCounters,
    MemoryExtentInfo,
    NumaNodeInfo,
    StartCheckInfo,
    SwitchInfoView,
    VmbusConnectionInfo,
    VmInfo,
    VmTableSnapshot,
)

__all__ = ["HvError", "Job", "ManagementApi", "Operation", "VmState"]


class ManagementApi(StorageApi):
    """Facade over a :class:`~engine.lab.Lab`."""

    def __init__(self, lab: Lab | None = None, *, seed: int = 0) -> None:
        self.lab = lab if lab is not None else Lab(seed)
        self._version = 0
        self.lab.bus.subscribe(self._on_event)

    def _on_event(self, event: ev.EngineEvent) -> None:
        if not isinstance(event, ev.LogEntry):
            self._version += 1

    def close(self) -> None:
        """Release files this lab holds open (disk handles, file workers)."""
        self.lab.close()

    # -- events and time ----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ev.EngineEvent], None]) -> Callable[[], None]:
        """Receive every engine event record; returns an unsubscribe function."""
        return self.lab.bus.subscribe(callback)

    @property
    def now_seconds(self) -> float:
        return us_to_seconds(self.lab.now_us)

    @property
    def now_us(self) -> int:
        return self.lab.now_us

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (0 to :data:`MAX_ADVANCE_SECONDS`, a
        simulated day: a longer run is several calls, each a point to save and to stop)."""
        self.lab.advance(bounds.real("seconds", "Simulated time to advance", seconds, 0,
                                     MAX_ADVANCE_SECONDS, "s"))

    def wait(self, job: Job | int, timeout_seconds: float = 3600.0) -> Job:
        """Advance simulated time until the job finishes (or the timeout passes)."""
        job_id = job if isinstance(job, int) else job.id
        timeout_seconds = bounds.real("timeout_seconds", "The time to wait", timeout_seconds, 0,
                                      MAX_ADVANCE_SECONDS, "s")
        deadline = self.lab.now_us + round(timeout_seconds * 1_000_000)
        while True:
            record = self.lab.job_record(job_id)
            if record is None:
                raise NotFoundError(f"No job with id {job_id}.")
            if record.state.finished or self.lab.now_us >= deadline:
                return record.view(self.lab.now_us)
            if job_id in self.lab.files.tasks:
                # Real file work: wait for the worker (wall time), then apply it.
                self.lab.files.wait(job_id)
                self.lab.poll_files()
                continue
            target = min(deadline, max(record.expected_end_us, self.lab.now_us + 1))
            self.lab.advance_to(target)

    # -- catalogue ----------------------------------------------------------------------------
    def profiles(self) -> list[HostProfile]:
        return list(load_profiles().values())

    def guest_os_list(self) -> list[GuestOs]:
        return list(load_catalogue().values())

    # -- hosts ----------------------------------------------------------------------------------
    def add_host(self, name: str, profile_id: str, *, ram_gb: int | None = None,
                 sockets: int | None = None, cores_per_socket: int | None = None,
                 threads_per_core: int | None = None) -> HostInfo:
        profile = get_profile(profile_id)
        hw = _custom_hardware(profile.hardware, ram_gb, sockets, cores_per_socket, threads_per_core)
        host = self.lab.add_host(name, profile, hw)
        return self.host(host.id)

    def hosts(self) -> list[HostInfo]:
        return [self._host_info(h) for h in self.lab.hosts.values()]

    def host(self, ref: str | None = None) -> HostInfo:
        return self._host_info(self._host(ref))

    def _host(self, ref: str | None) -> Host:
        if not self.lab.hosts:
            raise NotFoundError("The library has no host.")
        if ref is None:
            return next(iter(self.lab.hosts.values()))
        for h in self.lab.hosts.values():
            if ref in (h.id, h.name) or ref.casefold() == h.name.casefold():
                return h
        raise NotFoundError(f"Hyper-V was unable to find a host named \"{ref}\".")

    def set_host(self, ref: str | None = None, *, numa_spanning: bool | None = None,
                 virtualization_enabled: bool | None = None, nx_enabled: bool | None = None,
                 ram_gb: int | None = None, virtual_machine_path: str | None = None,
                 virtual_hard_disk_path: str | None = None, mac_minimum: str | None = None,
                 mac_maximum: str | None = None) -> HostInfo:
        """Change host settings.  NUMA spanning and folders apply now; hardware (BIOS
        switches, RAM) is staged and applies at the next host restart, as on a real server."""
        host = self._host(ref)
        for field, label, text in (
                ("virtual_machine_path", "The virtual machine path", virtual_machine_path),
                ("virtual_hard_disk_path", "The virtual hard disk path", virtual_hard_disk_path)):
            if text is not None:  # checked first: a refused change set changes nothing
                check_text(field, label, text)
        if numa_spanning is not None:
            if not host.profile.features.numa_spanning_setting and not numa_spanning:
                raise ValidationError("numa_spanning",
                                      f"{host.profile.name} has no NUMA spanning setting.")
            host.set_numa_spanning(numa_spanning)
        if mac_minimum is not None or mac_maximum is not None:
            lo = (mac_minimum or host.net.mac_pool.minimum).upper()
            hi = (mac_maximum or host.net.mac_pool.maximum).upper()
            validate_mac_range(lo, hi)
            host.net.set_mac_range(lo, hi)
        if virtual_machine_path is not None:
            host.virtual_machine_path = virtual_machine_path
        if virtual_hard_disk_path is not None:
            host.virtual_hard_disk_path = virtual_hard_disk_path
        if virtualization_enabled is not None or nx_enabled is not None or ram_gb is not None:
            hw = host.pending_hardware or host.hardware
            if virtualization_enabled is not None:
                hw = replace(hw, virtualization_enabled=virtualization_enabled)
            if nx_enabled is not None:
                hw = replace(hw, nx_enabled=nx_enabled)
            if ram_gb is not None:
                hw = hw.with_ram_gb(bounds.whole("ram_gb", "Host RAM", ram_gb, 1, MAX_HOST_RAM_GB,
                                                 "GB"))
            host.set_hardware(hw)
        return self._host_info(host)

    def reboot_host(self, ref: str | None = None) -> Job:
        """Restart the host; staged hardware changes apply when it comes back."""
        host = self._host(ref)
        return host.reboot().view(self.lab.now_us)

    def crash_root_partition(self, ref: str | None = None) -> Job:
        """Demonstrate the parent dependency: the root bugchecks and takes every VM down."""
        host = self._host(ref)
        return host.crash_root().view(self.lab.now_us)

    def _host_info(self, h: Host) -> HostInfo:
        hw = h.hardware
        owners = h.memory.owners()
        vm_mb = sum(mb for owner, mb in owners.items() if owner not in (FREE, HYPERVISOR, ROOT))
        pending: list[str] = []
        if h.pending_hardware is not None:
            new = h.pending_hardware
            if new.virtualization_enabled != hw.virtualization_enabled:
                pending.append("Hardware virtualization "
                               + ("enabled" if new.virtualization_enabled else "disabled"))
            if new.nx_enabled != hw.nx_enabled:
                pending.append("NX " + ("enabled" if new.nx_enabled else "disabled"))
            if new.ram_mb != hw.ram_mb:
                pending.append(f"RAM {new.ram_mb // 1024} GB")
        return HostInfo(
            id=h.id, name=h.name, profile_id=h.profile.id, profile_name=h.profile.name,
            os_edition=h.profile.os_edition, installation=h.profile.installation,
            configuration_version=h.profile.configuration_version,
            cpu_model=hw.cpu_model, cpu_vendor=hw.cpu_vendor, cpu_generation=hw.cpu_generation,
            sockets=hw.sockets, cores_per_socket=hw.cores_per_socket,
            threads_per_core=hw.threads_per_core, logical_processors=h.logical_processors,
            x64=hw.x64, virtualization_extensions=hw.virtualization_extensions,
            virtualization_enabled=hw.virtualization_enabled, nx_enabled=hw.nx_enabled,
            hypervisor_running=h.hypervisor is not None,
            hypervisor_blockers=tuple(h.blockers), pending_reboot=bool(pending),
            pending_changes=tuple(pending), rebooting=h.rebooting,
            numa_spanning=h.numa_spanning,
            numa_nodes=tuple(NumaNodeInfo(n, h.memory.node_size_mb(n), h.memory.free_mb(n))
                             for n in h.memory.nodes()),
            memory_total_mb=h.memory.total_mb,
            memory_hypervisor_mb=owners.get(HYPERVISOR, 0), memory_root_mb=owners.get(ROOT, 0),
            memory_vms_mb=vm_mb, memory_free_mb=owners.get(FREE, 0),
            memory_available_mb=h.memory_available_mb() if h.hypervisor else 0,
            running_vms=sum(1 for v in h.vms.values() if v.partition_id is not None),
            vm_count=len(h.vms),
            root_cpu_percent=100.0 * h.root_cpu_lp / max(h.logical_processors, 1),
            virtual_machine_path=h.virtual_machine_path,
            virtual_hard_disk_path=h.virtual_hard_disk_path,
            generations=h.profile.generations,
            dynamic_memory_supported=h.profile.features.dynamic_memory,
            mac_minimum=h.net.mac_pool.minimum, mac_maximum=h.net.mac_pool.maximum,
            nics=tuple(n.name for n in hw.nics),
            pending_virtualization_enabled=(h.pending_hardware or hw).virtualization_enabled,
            pending_nx_enabled=(h.pending_hardware or hw).nx_enabled,
            numa_spanning_configurable=h.profile.features.numa_spanning_setting,
        )

    def memory_map(self, ref: str | None = None) -> list[MemoryExtentInfo]:
        """Every extent of host RAM with its owner (VM names for child partitions)."""
        host = self._host(ref)
        by_owner = {f"partition:{v.partition_id}": v for v in host.vms.values()
                    if v.partition_id is not None}
        out = []
        for e in host.memory.extents():
            vm = by_owner.get(e.owner)
            out.append(MemoryExtentInfo(e.node, e.start_mb, e.size_mb,
                                        vm.name if vm else e.owner, vm.id if vm else ""))
        return out

    # -- VMs: create, read, change -------------------------------------------------------------
    def create_vm(self, name: str, *, host: str | None = None, **fields: Any) -> VmInfo:
        """Create a VM (Off).  ``fields`` are :class:`~engine.config.VmConfig` fields."""
        h = self._host(host)
        fields = _coerce_fields(fields)
        vm_id, key = self.lab.new_vm_identity()
        cfg = self._new_config(name, fields, vm_id)
        vm = h.add_vm(cfg, key)
        return self._vm_info(h, vm)

    def _new_config(self, name: str, fields: dict[str, Any], vm_id: str) -> VmConfig:
        """The configuration ``create_vm`` builds from coerced ``fields`` (not yet validated
        against the host)."""
        bad = set(fields) - set(VmConfig.__dataclass_fields__) | {"id", "created_us"} & set(fields)
        if bad:
            field = sorted(bad)[0]
            raise ValidationError(field, f"'{field}' is not a virtual machine setting.")
        if "guest_is_installed" not in fields:
            os_id = fields.get("guest_os", VmConfig.__dataclass_fields__["guest_os"].default)
            catalogue = load_catalogue()
            if os_id in catalogue:
                fields["guest_is_installed"] = catalogue[os_id].integration_services == "builtin"
        try:
            return VmConfig(id=vm_id, name=name, created_us=self.lab.now_us, **fields)
        except TypeError as exc:
            raise ValidationError("name", str(exc)) from None

    def vms(self, host: str | None = None) -> list[VmInfo]:
        hosts = [self._host(host)] if host is not None else list(self.lab.hosts.values())
        return [self._vm_info(h, v) for h in hosts for v in h.vms.values()]

    def vm(self, ref: str) -> VmInfo:
        return self._vm_info(*self._resolve(ref))

    def _resolve(self, ref: str) -> tuple[Host, VmRuntime]:
        found = self.lab.find_vm(ref)
        if found is not None:
            return found
        key = name_key(ref)
        matches = [(h, v) for h in self.lab.hosts.values() for v in h.vms.values()
                   if name_key(v.name) == key]
        if not matches:
            raise NotFoundError(f'Hyper-V was unable to find a virtual machine with name "{ref}".')
        if len(matches) > 1:
            raise NotFoundError(f'More than one virtual machine is named "{ref}"; use its id.')
        return matches[0]

    def set_vm(self, ref: str, **changes: Any) -> VmInfo:
        """Apply a change set atomically: every field is validated (range and hot-add rules
        for the VM's state) before any changes; an error names the field."""
        host, vm = self._resolve(ref)
        host.set_vm(vm, _coerce_fields(changes))
        return self._vm_info(host, vm)

    # -- dry runs: what a wizard or settings page checks as the user types -------------------
    def validate_new_vm(self, name: str, *, host: str | None = None, **fields: Any) -> None:
        """Raise the :class:`ValidationError` that ``create_vm(name, host=host, **fields)``
        would raise, naming the field; create nothing (no VM id is used up)."""
        h = self._host(host)
        cfg = self._new_config(name, _coerce_fields(fields), "")
        h.validate(cfg)
        vmdisks.check_attachments(self.lab, cfg.hard_drives)

    def validate_vm_changes(self, ref: str, **changes: Any) -> None:
        """Raise the :class:`ValidationError` that ``set_vm(ref, **changes)`` would raise
        (ranges, and the hot-add rules for the VM's current state); change nothing."""
        host, vm = self._resolve(ref)
        changes = _coerce_fields(changes)
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            name = sorted(unknown)[0]
            raise ValidationError(name, f"'{name}' is not a setting that can be changed.")
        for name, value in changes.items():
            if value == getattr(vm.config, name):
                continue
            reason = host.field_lock(vm, name, value)
            if reason is not None:
                raise ValidationError(name, reason)
        host.validate(replace(vm.config, **changes), exclude=vm.id)
        if "hard_drives" in changes:
            vmdisks.check_attachments(self.lab, changes["hard_drives"], vm.config.hard_drives)

    def memory_check(self, memory_startup_mb: int, host: str | None = None) -> StartCheckInfo:
        """Would a new VM with ``memory_startup_mb`` of startup RAM fit in the host's memory
        now?  Memory only (startup RAM + overhead against what is available, MB);
        :meth:`start_check` is the full check for an existing VM."""
        h = self._host(host)
        # A question, not a setting: any whole number is answered (a size no host holds
        # does not fit), but NaN, infinity or a fraction is refused.
        memory_startup_mb = bounds.whole("memory_startup_mb", "Startup RAM", memory_startup_mb,
                                         0, 2**53, "MB")
        needed = pages_mb(memory_startup_mb + vm_overhead_mb(memory_startup_mb))
        if h.hypervisor is None:
            reason = " ".join(["The hypervisor is not running.", *h.blockers])
            return StartCheckInfo(False, reason, needed, 0)
        available = h.memory_available_mb()
        if h.memory.fits(needed, h.numa_spanning):
            return StartCheckInfo(True, None, needed, available)
        return StartCheckInfo(
            False, f"It needs {needed:,} MB (startup RAM plus {needed - memory_startup_mb:,} MB "
                   f"overhead); {available:,} MB is available.", needed, available)

    def locked_fields(self, ref: str) -> dict[str, str]:
        """Fields that cannot change in the VM's current state, with the reason."""
        host, vm = self._resolve(ref)
        return host.locked_fields(vm)

    def available_operations(self, ref: str) -> dict[Operation, str | None]:
        """Each lifecycle operation: None when available now, else the reason it is not."""
        host, vm = self._resolve(ref)
        return host.available_operations(vm)

    def start_check(self, ref: str) -> StartCheckInfo:
        """Would Start succeed now?  Memory needed (startup RAM + overhead) and available."""
        host, vm = self._resolve(ref)
        c = host.start_check(vm)
        return StartCheckInfo(c.ok, c.reason, c.needed_mb, c.available_mb)

    def console(self, ref: str, since_serial: int = 0) -> tuple[int, list[tuple[float, str]]]:
        """Console lines (simulated time, text) newer than ``since_serial``, and the serial."""
        _, vm = self._resolve(ref)
        since_serial = bounds.whole("since_serial", "The console serial", since_serial, 0,
                                    2**63 - 1)
        lines = list(vm.console)
        new = vm.console_serial - since_serial
        if since_serial > 0:
            lines = lines[-new:] if 0 < new <= len(lines) else ([] if new <= 0 else lines)
        return vm.console_serial, [(us_to_seconds(t), text) for t, text in lines]

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, ref: str) -> Job:
        return self._op(ref, Host.start)

    def turn_off(self, ref: str) -> Job:
        return self._op(ref, Host.turn_off)

    def shut_down(self, ref: str) -> Job:
        return self._op(ref, Host.shut_down)

    def save(self, ref: str) -> Job:
        return self._op(ref, Host.save)

    def pause(self, ref: str) -> Job:
        return self._op(ref, Host.pause)

    def resume(self, ref: str) -> Job:
        return self._op(ref, Host.resume)

    def reset(self, ref: str) -> Job:
        return self._op(ref, Host.reset)

    def delete_saved_state(self, ref: str) -> Job:
        return self._op(ref, Host.delete_saved_state)

    def _op(self, ref: str, method: Callable[[Host, VmRuntime], Any]) -> Job:
        host, vm = self._resolve(ref)
        record = method(host, vm)
        view: Job = record.view(self.lab.now_us)
        return view

    def rename(self, ref: str, new_name: str) -> VmInfo:
        host, vm = self._resolve(ref)
        host.rename(vm, new_name)
        return self._vm_info(host, vm)

    def delete_vm(self, ref: str) -> None:
        host, vm = self._resolve(ref)
        host.delete(vm)

    # -- jobs -------------------------------------------------------------------------------------
    def job(self, job_id: int) -> Job:
        record = self.lab.job_record(job_id)
        if record is None:
            raise NotFoundError(f"No job with id {job_id}.")
        return record.view(self.lab.now_us)

    def jobs(self, *, active_only: bool = False) -> list[Job]:
        return [j.view(self.lab.now_us) for j in self.lab.jobs.values()
                if not (active_only and j.state.finished)]

    def cancel_job(self, job_id: int) -> Job:
        record = self.lab.job_record(job_id)
        if record is None:
            raise NotFoundError(f"No job with id {job_id}.")
        if not record.state.finished and self.lab.files.cancel(job_id):
            # The worker stops at its next check; the job ends Cancelled when applied.
            self.lab.files.wait(job_id)
            self.lab.poll_files()
            return record.view(self.lab.now_us)
        if record.state.finished or not record.cancellable:
            raise InvalidStateError("The job cannot be cancelled.",
                                    [f"{record.description} is {record.state.value.lower()}"
                                     if record.state.finished else
                                     f"{record.description} cannot be cancelled."])
        host, vm = self._resolve(record.vm_id)
        host.cancel(vm, record)
        return record.view(self.lab.now_us)

    # -- hypercalls and counters -----------------------------------------------------------------
    def issue_hypercall(self, ref: str, call: str, /, target_vm: str | None = None,
                        **params: Any) -> HypercallResult:
        """Have the guest in VM ``ref`` issue hypercall ``call`` with ``params`` (a training
        demonstration: a child partition trying a privileged call, or a message on a
        connection it does not own, is refused, counted and logged).  ``target_vm`` names
        the VM acted on, or the one a message is meant for; ``"root"`` is the root."""
        host, vm = self._resolve(ref)
        if host.hypervisor is None or vm.partition_id is None:
            raise InvalidStateError(f"'{vm.name}' has no running partition to issue a hypercall.")
        target: int | None = None
        if target_vm is not None and target_vm.casefold() == "root":
            target = host.hypervisor.ROOT_ID
        elif target_vm is not None:
            _, tvm = self._resolve(target_vm)
            target = tvm.partition_id if tvm.partition_id is not None else -1
        return host.hypervisor.hypercall(vm.partition_id, call, target, **params)

    def vmbus_connections(self, ref: str) -> list[VmbusConnectionInfo]:
        """The VM's VMBus connections while its partition exists: the VMBus message
        connection and one event connection per offered channel, each to a port the root
        made for this partition (the ids HvPostMessage and HvSignalEvent take)."""
        host, vm = self._resolve(ref)
        hv = host.hypervisor
        out = []
        for c in host.vmbus_connections(vm):  # none without a hypervisor
            receiver = hv.partitions.get(c.port_partition) if hv is not None else None
            port = receiver.port(c.port_id) if receiver is not None else None
            out.append(VmbusConnectionInfo(c.id, c.label, c.port_partition, c.port_id,
                                           port.type if port is not None else ""))
        return out

    def hypercall_counters(self, host: str | None = None) -> list[HypercallCounters]:
        h = self._host(host)
        if h.hypervisor is None:
            return []
        out = []
        for p in h.hypervisor.partitions.values():
            vm = next((v for v in h.vms.values() if v.partition_id == p.id), None)
            calls = dict(p.hypercalls)
            if vm is not None:
                for name, count in h.vmbus_hypercalls(vm).items():
                    calls[name] = calls.get(name, 0) + count
            out.append(HypercallCounters(p.id, p.name, vm.id if vm else "", calls,
                                         dict(p.denied)))
        return out

    def event_log(self, *, vm: str | None = None, level: str | None = None,
                  since_seconds: float | None = None, last: int | None = None) -> list[ev.LogEntry]:
        """Event log entries held in memory, oldest first, filtered."""
        since_seconds, last = ev.check_query(since_seconds, last)
        vm_id = self._resolve(vm)[1].id if vm is not None else None
        out = [e for e in self.lab.event_log
               if (vm_id is None or e.vm_id == vm_id)
               and (level is None or e.level.value.casefold() == level.casefold())
               and (since_seconds is None or e.time_us >= since_seconds * 1_000_000)]
        return out[-last:] if last else out

    # -- devices, VMBus and integration services ---------------------------------------------
    def devices(self, ref: str) -> list[Device]:
        """The VM's devices as its settings and the guest's Device Manager show them."""
        host, vm = self._resolve(ref)
        return devices_for(vm.config, host.guest_of(vm), self._is_up(host, vm))

    def _is_up(self, host: Host, vm: VmRuntime) -> bool:
        return vm.partition_id is not None and vm.phase.name == "READY"

    def vmbus_channels(self, ref: str) -> list[Channel]:
        """VMBus channels of a running VM: offered by the root, open once the guest's VSCs
        (integration services) run."""
        host, vm = self._resolve(ref)
        up = self._is_up(host, vm)
        guest = host.guest_of(vm)
        ids = {c.label: c.id for c in host.vmbus_connections(vm)}
        return [replace(c, connection_id=ids.get(c.key))
                for c in channels_for(vm.config, guest, vm.partition_id is not None, up,
                                      devices_for(vm.config, guest, up))]

    def device_io(self, ref: str) -> list[DeviceIoInfo]:
        """Live I/O of the VM's disks and network adapters, with what it costs the root."""
        host, vm = self._resolve(ref)
        d = self.lab.devices
        lps = max(host.logical_processors, 1)
        names = {dev.key: dev.name for dev in self.devices(ref)}
        out = []
        for (vm_id, key), row in sorted(d.rows.items()):
            if vm_id != vm.id:
                continue
            nic = key.startswith("nic")
            legacy = nic and vm.config.network_adapters[int(key[3:])].legacy
            out.append(DeviceIoInfo(
                key=key, name=names.get(key, "Legacy Network Adapter" if legacy else key),
                kind="emulated" if d.emulated[row] or legacy else "synthetic",
                carrying=bool(d.carrying[row]), rate=float(d.rate[row]),
                unit="Mbit/s" if nic else "IOPS",
                root_cpu_percent=100.0 * float(d.root_lp[row]) / lps,
                hypervisor_cpu_percent=100.0 * float(d.hv_lp[row]) / lps,
                intercepts_s=float(d.intercepts_s[row]),
                interrupts_s=float(d.interrupts_s[row])))
        return out

    def network_adapters(self, ref: str) -> list[AdapterInfo]:
        host, vm = self._resolve(ref)
        up = self._is_up(host, vm)
        running = integration_services_running(vm.config, host.guest_of(vm))
        kvp = up and "data_exchange" in running
        out = []
        for i, nic in enumerate(vm.config.network_adapters):
            row = self.lab.devices.row(vm.id, f"nic{i}")
            carrying = row is not None and bool(self.lab.devices.carrying[row])
            ip = host.net.ip_address(vm, i) if kvp and nic.switch else ""
            if nic.switch is None:
                status = "Not connected"
            elif vm.partition_id is None:
                status = ""
            elif not nic.legacy and not (up and vm.config.guest_is_installed):
                status = "No driver in the guest (integration services)"
            else:
                status = "OK" if carrying or up else "Degraded"
            out.append(AdapterInfo(i, "Legacy Network Adapter" if nic.legacy else
                                   "Network Adapter", nic.legacy, nic.switch or "",
                                   host.net.mac_of(vm, i), (ip,) if ip else (), nic.vlan_id,
                                   status))
        return out

    def kvp(self, ref: str) -> dict[str, str]:
        """Data Exchange (KVP) items the guest publishes; empty unless the service runs."""
        host, vm = self._resolve(ref)
        guest = host.guest_of(vm)
        if not (self._is_up(host, vm)
                and "data_exchange" in integration_services_running(vm.config, guest)):
            return {}
        ips = [ip for a in self.network_adapters(ref) for ip in a.ip_addresses]
        return {"FullyQualifiedDomainName": vm.name.lower(), "OSName": guest.name,
                "OSVersion": guest.kernel, "IntegrationServicesVersion": "6.1.7601.17514",
                "NetworkAddressIPv4": ";".join(ips)}

    def insert_integration_services_disk(self, ref: str) -> None:
        """Action ▸ Insert Integration Services Setup Disk (takes effect at the next boot)."""
        host, vm = self._resolve(ref)
        host.insert_integration_services_disk(vm)

    def integration_setup_blocker(self, ref: str) -> str | None:
        host, vm = self._resolve(ref)
        return host.integration_setup_blocker(vm)

    # -- virtual switches ----------------------------------------------------------------------
    def switches(self, host: str | None = None) -> list[SwitchInfoView]:
        h = self._host(host)
        out = []
        for sw in h.net.switches.values():
            adapters = tuple(f"{v.name}: {'Legacy ' if n.legacy else ''}Network Adapter {i}"
                             for v in h.vms.values()
                             for i, n in enumerate(v.config.network_adapters)
                             if n.switch == sw.name)
            out.append(SwitchInfoView(sw.name, sw.type.value, sw.nic, sw.allow_management_os,
                                      sw.management_vlan_id, sw.notes, adapters))
        return out

    def create_switch(self, name: str, switch_type: str, *, nic: str | None = None,
                      allow_management_os: bool = True, management_vlan_id: int = 0,
                      notes: str = "", host: str | None = None) -> SwitchInfoView:
        """New-VMSwitch: External (bound to ``nic``), Internal or Private."""
        h = self._host(host)
        switch = VirtualSwitch(name, _switch_type(switch_type), nic, allow_management_os,
                               management_vlan_id, notes)
        h.create_switch(switch)
        return next(s for s in self.switches(h.id) if s.name == switch.name)

    def set_switch(self, name: str, *, new_name: str | None = None,
                   switch_type: str | None = None, nic: str | None = None,
                   allow_management_os: bool | None = None,
                   management_vlan_id: int | None = None, notes: str | None = None,
                   host: str | None = None) -> SwitchInfoView:
        h = self._host(host)
        old = h.switch(name)
        kind = old.type if switch_type is None else _switch_type(switch_type)
        new = VirtualSwitch(
            new_name or old.name, kind,
            (nic if nic is not None else old.nic) if kind is SwitchType.EXTERNAL else None,
            old.allow_management_os if allow_management_os is None else allow_management_os,
            old.management_vlan_id if management_vlan_id is None else management_vlan_id,
            old.notes if notes is None else notes)
        h.set_switch(name, new)
        return next(s for s in self.switches(h.id) if s.name == new.name)

    def remove_switch(self, name: str, host: str | None = None) -> None:
        self._host(host).remove_switch(name)

    # -- performance counters ------------------------------------------------------------
    def _vm_refs(self, h: Host) -> list[counters.VmRef]:
        rows = self.lab.devices.rows
        out = []
        for v in h.vms.values():
            if v.partition_id is None:
                continue
            devs = []
            for d in v.config.hard_drives:
                key = f"{d.controller.lower()}{d.controller_number}:{d.location}"
                if (v.id, key) in rows:
                    devs.append(counters.DeviceRef(key, rows[(v.id, key)], False, d.path))
            for i, n in enumerate(v.config.network_adapters):
                if (v.id, f"nic{i}") in rows:
                    devs.append(counters.DeviceRef(f"nic{i}", rows[(v.id, f"nic{i}")],
                                                   n.legacy, ""))
            out.append(counters.VmRef(v.name, v.slot, v.config.cpu_count, tuple(devs)))
        return out

    def counter_sets(self, host: str | None = None) -> list[CounterSetInfo]:
        """Counter sets with their counters and current instances (perfmon's Add Counters)."""
        h = self._host(host)
        refs = self._vm_refs(h)
        return [CounterSetInfo(name, names, counters.instances(name, h.logical_processors, refs))
                for name, names in counters.COUNTERS.items()]

    def counter_history(self, counter_set: str, counter: str, instance: str = "_Total",
                        host: str | None = None) -> tuple[Any, Any]:
        """(times in simulated seconds, values) of one counter: 1 s samples, newest last."""
        h = self._host(host)
        try:
            values = counters.series(self.lab.history, h.index, counter_set, counter, instance,
                                     self._vm_refs(h))
        except KeyError as exc:
            raise NotFoundError(str(exc.args[0]) if exc.args else str(exc)) from None
        return self.lab.history.times_s(), values

    def counter_values(self, host: str | None = None,
                       counter_set: str | None = None) -> list[CounterValue]:
        """The newest sample of every counter instance (of one set, if given)."""
        out = []
        for info in self.counter_sets(host):
            if counter_set is not None and info.name.casefold() != counter_set.casefold():
                continue
            for counter in info.counters:
                for instance in info.instances:
                    _, values = self.counter_history(info.name, counter, instance, host)
                    out.append(CounterValue(info.name, counter, instance,
                                            float(values[-1]) if len(values) else 0.0))
        if counter_set is not None and not out:
            known = ", ".join(counters.COUNTERS)
            raise NotFoundError(f"No counter set named '{counter_set}'.", [f"Known: {known}."])
        return out

    def vm_history(self, ref: str) -> dict[str, Any]:
        """A VM's 1 s history: ``times`` (simulated s) and series named as in
        ``engine.counters.VM_SERIES`` (CPU in LPs, memory in MB, I/O rates)."""
        _, vm = self._resolve(ref)
        out: dict[str, Any] = {"times": self.lab.history.times_s()}
        for name in counters.VM_SERIES:
            out[name] = self.lab.history.vm_series(vm.slot, name)
        return out

    def host_history(self, host: str | None = None) -> dict[str, Any]:
        """A host's 1 s history: ``times`` and ``engine.counters.HOST_SERIES``."""
        h = self._host(host)
        out: dict[str, Any] = {"times": self.lab.history.times_s()}
        for name in counters.HOST_SERIES:
            out[name] = self.lab.history.host_series(h.index, name)
        return out

    # -- bulk snapshot ---------------------------------------------------------------------
    def vm_table(self) -> VmTableSnapshot:
        """All VMs in one read: what the VM list needs each tick (one pass over the VMs)."""
        now = self.lab.now_us
        t = self.lab.table
        ids: list[str] = []
        names: list[str] = []
        host_ids: list[str] = []
        states: list[str] = []
        statuses: list[str] = []
        heartbeats: list[str] = []
        groups: list[str] = []
        slots: list[int] = []
        generations: list[int] = []
        lps: list[float] = []
        uptimes: list[float] = []
        for h in self.lab.hosts.values():
            host_lps = float(max(h.logical_processors, 1))
            for v in h.vms.values():
                ids.append(v.id)
                names.append(v.config.name)
                host_ids.append(h.id)
                states.append(v.state.value)
                beat = h.heartbeat(v)
                heartbeats.append(beat)
                statuses.append(self._status(h, v, beat))
                groups.append(v.config.group)
                slots.append(v.slot)
                generations.append(v.config.generation)
                lps.append(host_lps)
                uptimes.append(v.uptime_us(now) / 1e6)
        index = np.array(slots, dtype=np.int64)
        return VmTableSnapshot(
            time_us=now,
            version=self._version,
            ids=tuple(ids),
            names=tuple(names),
            host_ids=tuple(host_ids),
            states=tuple(states),
            statuses=tuple(statuses),
            generations=np.array(generations, dtype=np.int32),
            cpu_counts=t.vps[index].copy(),
            cpu_usage_percent=100.0 * t.cpu_usage_lp[index] / np.array(lps),
            memory_assigned_mb=t.memory_assigned_mb[index].copy(),
            memory_demand_mb=t.memory_demand_mb[index].copy(),
            uptime_seconds=np.array(uptimes, dtype=np.float64),
            heartbeats=tuple(heartbeats),
            groups=tuple(groups),
        )

    def _status(self, host: Host, vm: VmRuntime, beat: str | None = None) -> str:
        """The Status column: a running job's progress, else the heartbeat's verdict."""
        if vm.job_id is not None:
            job = self.lab.job_record(vm.job_id)
            if job is not None and not job.state.finished:
                return f"{job.description} ({job.percent(self.lab.now_us)}%)"
        beat = host.heartbeat(vm) if beat is None else beat
        return "Operating normally" if beat == "OK" else ""

    def _vm_info(self, host: Host, vm: VmRuntime) -> VmInfo:
        t = self.lab.table
        cfg = vm.config
        guest = host.guest_of(vm)
        job = None
        if vm.job_id is not None:
            record = self.lab.job_record(vm.job_id)
            job = record.view(self.lab.now_us) if record is not None else None
        services = []
        running = host.heartbeat(vm) != "" and vm.phase.name == "READY"
        for key, label in INTEGRATION_SERVICES.items():
            if key not in cfg.integration_services:
                status = "Disabled"
            elif not guest.has_integration_services or key not in guest.services:
                status = "Not available for this guest"
            elif not cfg.guest_is_installed:
                status = "Not installed in the guest"
            elif running:
                status = "OK"
            else:
                status = "No Contact" if vm.partition_id is not None else ""
            services.append((label, status))
        return VmInfo(
            id=vm.id, name=vm.name, host_id=host.id, host_name=host.name,
            state=vm.state.value, status=self._status(host, vm), heartbeat=host.heartbeat(vm),
            guest_phase=vm.phase.label, generation=cfg.generation, guest_os=cfg.guest_os,
            guest_os_name=guest.name, cpu_count=cfg.cpu_count,
            cpu_usage_percent=float(100.0 * t.cpu_usage_lp[vm.slot]
                                    / max(host.logical_processors, 1)),
            memory_startup_mb=cfg.memory_startup_mb,
            memory_assigned_mb=int(t.memory_assigned_mb[vm.slot]),
            memory_demand_mb=int(t.memory_demand_mb[vm.slot]),
            uptime_seconds=vm.uptime_us(self.lab.now_us) / 1e6,
            configuration_version=host.profile.configuration_version,
            created_seconds=cfg.created_us / 1e6, notes=cfg.notes, group=cfg.group,
            partition_id=vm.partition_id, has_saved_state=vm.saved_state is not None,
            integration_services=tuple(services), job=job, config=cfg,
            enlightened=bool(self.lab.table.enlightened[vm.slot]),
            integration_setup_pending=vm.is_setup_pending,
        )


def _switch_type(value: str) -> SwitchType:
    for t in SwitchType:
        if value.casefold() == t.value.casefold():
            return t
    raise ValidationError("switch_type", "The switch type must be External, Internal or Private.")


def _custom_hardware(hw: HostHardware, ram_gb: int | None, sockets: int | None,
                     cores: int | None, threads: int | None) -> HostHardware:
    if sockets is not None:
        hw = replace(hw, sockets=bounds.whole("sockets", "Sockets", sockets, 1, 64))
    if cores is not None:
        hw = replace(hw, cores_per_socket=bounds.whole("cores_per_socket", "Cores per socket",
                                                       cores, 1, 128))
    if threads is not None:
        hw = replace(hw, threads_per_core=bounds.whole("threads_per_core", "Threads per core",
                                                       threads, 1, 2))
    if ram_gb is not None:
        hw = hw.with_ram_gb(bounds.whole("ram_gb", "Host RAM", ram_gb, 1, MAX_HOST_RAM_GB, "GB"))
    return hw


def _coerce_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Accept plain JSON-ish values for enum, set and device fields."""
    out = dict(fields)
    if "automatic_start_action" in out:
        try:
            out["automatic_start_action"] = StartAction(out["automatic_start_action"])
        except ValueError:
            raise ValidationError("automatic_start_action",
                                  "Automatic Start Action must be Nothing, StartIfRunning or "
                                  "Start.") from None
    if "automatic_stop_action" in out:
        try:
            out["automatic_stop_action"] = StopAction(out["automatic_stop_action"])
        except ValueError:
            raise ValidationError(
                "automatic_stop_action", "Automatic Stop Action must be Save, TurnOff or ShutDown."
            ) from None
    if "integration_services" in out:
        out["integration_services"] = frozenset(out["integration_services"])
    if "boot_order" in out:
        out["boot_order"] = tuple(out["boot_order"])
    if "hard_drives" in out:
        out["hard_drives"] = tuple(d if isinstance(d, HardDrive) else HardDrive(**d)
                                   for d in out["hard_drives"])
    if "network_adapters" in out:
        out["network_adapters"] = tuple(n if isinstance(n, NetworkAdapter) else NetworkAdapter(**n)
                                        for n in out["network_adapters"])
    for key in ("memory_startup_mb", "memory_minimum_mb", "memory_maximum_mb", "cpu_count",
                "cpu_reserve_pct", "cpu_limit_pct", "cpu_weight", "memory_buffer_pct",
                "memory_weight", "generation", "automatic_start_delay_s", "scsi_controllers",
                "workload_cpu_pct", "workload_disk_iops", "workload_net_mbit",
                "workload_dirty_pages"):
        if key in out and (not isinstance(out[key], int) or isinstance(out[key], bool)):
            raise ValidationError(key, f"'{key}' must be a whole number.")
    return out
