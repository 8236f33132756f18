"""Hosts: catalogues, hardware and settings, power, memory map, switches, hypercalls."""

from __future__ import annotations

from dataclasses import replace

from hvlab.engine import bounds
from hvlab.engine.api.records import host_info
from hvlab.engine.api.surface import ApiCore, command, query
from hvlab.engine.api.types import HostInfo, HypercallCounters, MemoryExtentInfo, SwitchInfoView
from hvlab.engine.api.values import custom_hardware, parse_switch_type
from hvlab.engine.errors import ValidationError
from hvlab.engine.guests import GuestOs, load_catalogue
from hvlab.engine.jobs import Job
from hvlab.engine.names import check_text
from hvlab.engine.profiles import (
    MAX_HOST_RAM_GB,
    HostProfile,
    get_profile,
    load_profiles,
    profile_choices,
)
from hvlab.engine.switches import SwitchType, VirtualSwitch, validate_mac_range
from hvlab.engine.vmms import host_power, host_profile, partitions, virtual_switches


class HostCalls(ApiCore):
    """Hosts and what belongs to a host."""

    @query
    def profiles(self) -> list[HostProfile]:
        return list(load_profiles().values())

    @query
    def profile(self, spec: str) -> HostProfile:
        """A profile by id, with options joined by ``+`` (``ws2008+kb956710+core``)."""
        return get_profile(spec)

    @query
    def profile_choices(self) -> list[HostProfile]:
        """Every profile a host may run: each release, alone and with its options."""
        return profile_choices()

    @query
    def host_profile(self, ref: str | None = None) -> HostProfile:
        """The profile the host runs, options applied: its limits, features and words (the
        one record the console and hvctl read for the release's vocabulary)."""
        return self._host(ref).profile

    @query
    def guest_os_list(self) -> list[GuestOs]:
        return list(load_catalogue().values())

    @command
    def add_host(self, name: str, profile_id: str, *, ram_gb: int | None = None,
                 sockets: int | None = None, cores_per_socket: int | None = None,
                 threads_per_core: int | None = None) -> HostInfo:
        profile = get_profile(profile_id)
        hw = custom_hardware(profile.hardware, ram_gb, sockets, cores_per_socket, threads_per_core)
        host = self.lab.add_host(name, profile, hw)
        return self.host(host.id)

    @query
    def hosts(self) -> list[HostInfo]:
        return [host_info(h) for h in self.lab.hosts.values()]

    @query
    def host(self, ref: str | None = None) -> HostInfo:
        return host_info(self._host(ref))

    @command
    def set_host(self, ref: str | None = None, *, numa_spanning: bool | None = None,
                 virtualization_enabled: bool | None = None, nx_enabled: bool | None = None,
                 ram_gb: int | None = None, virtual_machine_path: str | None = None,
                 virtual_hard_disk_path: str | None = None, mac_minimum: str | None = None,
                 mac_maximum: str | None = None, root_load_pct: int | None = None,
                 backup_running: bool | None = None, profile: str | None = None,
                 hypervisor_launch_type: str | None = None,
                 hyper_v_role: bool | None = None) -> HostInfo:
        """Change host settings.  NUMA spanning, folders and root-side load apply now;
        hardware (BIOS switches, RAM) is staged and applies at the next host restart, as on
        a real server.  ``root_load_pct`` (0-100, of the root's processors) and
        ``backup_running`` are the trainer's root-side work (docs/engine.md).
        ``profile`` (an id with options, ``ws2008+kb956710``) changes the release the host
        runs: every VM must be Off and fit it (``host_profile.change_profile``).
        ``hypervisor_launch_type`` (``bcdedit /set hypervisorlaunchtype``, Auto or Off) and
        ``hyper_v_role`` (installing or removing the role) apply at the next restart."""
        host = self._host(ref)
        if root_load_pct is not None:
            root_load_pct = bounds.whole("root_load_pct", "Root partition load", root_load_pct,
                                         0, 100, "%")
        if backup_running is not None and not isinstance(backup_running, bool):
            raise ValidationError("backup_running",
                                  "Backup running must be true or false, not "
                                  f"{type(backup_running).__name__}.")
        launch = None
        if hypervisor_launch_type is not None:
            launch = {"auto": "Auto", "off": "Off"}.get(hypervisor_launch_type.strip().lower())
            if launch is None:
                raise ValidationError(
                    "hypervisor_launch_type", "The hypervisor launch type must be Auto or Off "
                    f"(bcdedit /set hypervisorlaunchtype), not '{hypervisor_launch_type}'.")
        if profile is not None:
            host_profile.change_profile(host, get_profile(profile))
        if launch is not None or hyper_v_role is not None:
            host.set_boot_configuration(launch, hyper_v_role)
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
            host.set_mac_range(lo, hi)
        if virtual_machine_path is not None or virtual_hard_disk_path is not None:
            host.set_folders(virtual_machine_path, virtual_hard_disk_path)
        if root_load_pct is not None or backup_running is not None:
            host.set_root_load(root_load_pct, backup_running)
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
        return host_info(host)

    @command
    def reboot_host(self, ref: str | None = None) -> Job:
        """Restart the host; staged hardware changes apply when it comes back."""
        host = self._host(ref)
        return host_power.reboot(host).view(self.lab.sim.now_us)

    @command
    def crash_root_partition(self, ref: str | None = None) -> Job:
        """Demonstrate the parent dependency: the root bugchecks and takes every VM down."""
        host = self._host(ref)
        return host_power.crash_root(host).view(self.lab.sim.now_us)

    @query
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

    @query
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

    @command
    def create_switch(self, name: str, switch_type: str, *, nic: str | None = None,
                      allow_management_os: bool = True, management_vlan_id: int = 0,
                      notes: str = "", host: str | None = None) -> SwitchInfoView:
        """New-VMSwitch: External (bound to ``nic``), Internal or Private."""
        h = self._host(host)
        switch = VirtualSwitch(name, parse_switch_type(switch_type), nic, allow_management_os,
                               management_vlan_id, notes)
        virtual_switches.create_switch(h, switch)
        return next(s for s in self.switches(h.id) if s.name == switch.name)

    @command
    def set_switch(self, name: str, *, new_name: str | None = None,
                   switch_type: str | None = None, nic: str | None = None,
                   allow_management_os: bool | None = None,
                   management_vlan_id: int | None = None, notes: str | None = None,
                   host: str | None = None) -> SwitchInfoView:
        h = self._host(host)
        old = virtual_switches.find_switch(h, name)
        kind = old.type if switch_type is None else parse_switch_type(switch_type)
        new = VirtualSwitch(
            new_name or old.name, kind,
            (nic if nic is not None else old.nic) if kind is SwitchType.EXTERNAL else None,
            old.allow_management_os if allow_management_os is None else allow_management_os,
            old.management_vlan_id if management_vlan_id is None else management_vlan_id,
            old.notes if notes is None else notes)
        virtual_switches.set_switch(h, name, new)
        return next(s for s in self.switches(h.id) if s.name == new.name)

    @command
    def remove_switch(self, name: str, host: str | None = None) -> None:
        virtual_switches.remove_switch(self._host(host), name)

    @query
    def hypercall_counters(self, host: str | None = None) -> list[HypercallCounters]:
        h = self._host(host)
        if h.hypervisor is None:
            return []
        out = []
        for p in h.hypervisor.partitions.values():
            vm = next((v for v in h.vms.values() if v.partition_id == p.id), None)
            calls = dict(p.hypercalls)
            if vm is not None:
                for name, count in partitions.vmbus_hypercalls(h, vm).items():
                    calls[name] = calls.get(name, 0) + count
            out.append(HypercallCounters(p.id, p.name, vm.id if vm else "", calls,
                                         dict(p.denied)))
        return out
