"""Snapshots of engine objects as the records clients get (see :mod:`hvlab.engine.api.types`)."""

from __future__ import annotations

from hvlab.engine.api.types import HostInfo, NumaNodeInfo, VmInfo
from hvlab.engine.guests import INTEGRATION_SERVICES
from hvlab.engine.sim.memory import FREE, HYPERVISOR, ROOT
from hvlab.engine.vmms import guest_runner, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.lab import Lab
from hvlab.engine.vmms.runtime import VmRuntime


def host_info(h: Host) -> HostInfo:
    hw = h.hardware
    folders = vm_files.host_folders(h.lab, h.virtual_machine_path, h.virtual_hard_disk_path)
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
    if h.launch_type_next != h.launch_type:
        pending.append(f"hypervisorlaunchtype {h.launch_type_next}")
    if h.role_installed_next != h.role_installed:
        pending.append("Hyper-V role " + ("installed" if h.role_installed_next else "removed"))
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
        virtual_machine_path=folders[0],
        virtual_hard_disk_path=folders[1],
        generations=h.profile.generations,
        dynamic_memory_supported=h.profile.features.dynamic_memory,
        mac_minimum=h.net.mac_pool.minimum, mac_maximum=h.net.mac_pool.maximum,
        nics=tuple(n.name for n in hw.nics),
        pending_virtualization_enabled=(h.pending_hardware or hw).virtualization_enabled,
        pending_nx_enabled=(h.pending_hardware or hw).nx_enabled,
        numa_spanning_configurable=h.profile.features.numa_spanning_setting,
        root_load_pct=h.root_load_pct, backup_running=h.backup_running,
        max_logical_processors=h.profile.limits.logical_processors,
        max_running_vms=h.profile.limits.running_vms,
        max_host_ram_gb=h.profile.limits.host_ram_gb,
        remote_management_only=not h.profile.features.local_management,
        hypervisor_launch_type=h.launch_type, hyper_v_role_installed=h.role_installed,
        pending_launch_type=h.launch_type_next, pending_role_installed=h.role_installed_next,
    )


def vm_status(lab: Lab, host: Host, vm: VmRuntime, beat: str | None = None) -> str:
    """The Status column: a running job's progress, else the heartbeat's verdict."""
    if vm.job_id is not None:
        job = lab.job_record(vm.job_id)
        if job is not None and not job.state.finished:
            return f"{job.description} ({job.percent(lab.sim.now_us)}%)"
    beat = guest_runner.heartbeat(host, vm) if beat is None else beat
    return "Operating normally" if beat == "OK" else ""


def vm_info(lab: Lab, host: Host, vm: VmRuntime) -> VmInfo:
    t = lab.sim.table
    cfg = vm.config
    guest = host.guest_of(vm)
    job = None
    if vm.job_id is not None:
        record = lab.job_record(vm.job_id)
        job = record.view(lab.sim.now_us) if record is not None else None
    services = []
    running = guest_runner.heartbeat(host, vm) != "" and vm.phase.name == "READY"
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
        state=vm.state.value, status=vm_status(lab, host, vm),
        heartbeat=guest_runner.heartbeat(host, vm),
        guest_phase=vm.phase.label, generation=cfg.generation, guest_os=cfg.guest_os,
        guest_os_name=guest.name, cpu_count=cfg.cpu_count,
        cpu_usage_percent=float(100.0 * t.cpu_usage_lp[vm.slot]
                                / max(host.logical_processors, 1)),
        memory_startup_mb=cfg.memory_startup_mb,
        memory_assigned_mb=int(t.memory_assigned_mb[vm.slot]),
        memory_demand_mb=int(t.memory_demand_mb[vm.slot]),
        uptime_seconds=vm.uptime_us(lab.sim.now_us) / 1e6,
        configuration_version=host.profile.configuration_version,
        created_seconds=cfg.created_us / 1e6, notes=cfg.notes, group=cfg.group,
        partition_id=vm.partition_id, has_saved_state=vm.saved_state is not None,
        integration_services=tuple(services), job=job, config=cfg,
        enlightened=bool(lab.sim.table.enlightened[vm.slot]),
        integration_setup_pending=vm.is_setup_pending,
        clustered=lab.fabric.cluster is not None and vm.id in lab.fabric.cluster.roles,
    )
