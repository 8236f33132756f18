"""The VM's configuration copied into the simulation's per-tick tables (the VM table's row
and the I/O model's device rows): what the step reads every 100 ms.
"""

from __future__ import annotations

from hvlab.engine.devices import has_vsc
from hvlab.engine.guest import integration_services_running
from hvlab.engine.sim import iomodel
from hvlab.engine.vmms import partitions
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime
from hvlab.engine.workloads import WORKLOADS


def sync_table(host: Host, vm: VmRuntime) -> None:
    """Copy what the per-tick step needs from the configuration into the VM's row."""
    t = host.lab.sim.table
    cfg = vm.config
    guest = host.guest_of(vm)
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
    sync_devices(host, vm)
    partitions.sync_vmbus(host, vm)


def sync_devices(host: Host, vm: VmRuntime) -> None:
    """The VM's disks and adapters as rows of the lab's I/O table."""
    rows: list[tuple[str, int, float, float, int, int]] = []
    for d in vm.config.hard_drives:
        cls = iomodel.IDE_DISK if d.controller == "IDE" else iomodel.SCSI_DISK
        key = f"{d.controller.lower()}{d.controller_number}:{d.location}"
        rows.append((key, cls, float(d.min_iops), float(d.max_iops), -1, 0))
    for i, nic in enumerate(vm.config.network_adapters):
        cls = iomodel.LEGACY_NIC if nic.legacy else iomodel.SYNTHETIC_NIC
        switch = host.lab.switch_index(host.id, nic.switch)
        rows.append((f"nic{i}", cls, float(nic.min_mbit), float(nic.max_mbit), switch,
                     nic.vlan_id))
    host.lab.sim.devices.sync_vm(vm.id, vm.slot, host.index, rows, host.hardware.cpu_ghz,
                             host.profile.io_costs)
