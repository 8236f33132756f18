"""What ``hvctl`` prints: the stable ``--json`` shapes and the text tables.

The JSON shapes are a public contract (docs/cli.md): keys are only ever added, never
renamed or removed.  Units are in the key names (``_mb``, ``_seconds``, ``_percent``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: `hvctl vm list` loads none of these (no numpy)
    from hvlab.engine.api import (
        GuestOs,
        HostInfo,
        HostProfile,
        Job,
        LogEntry,
        Operation,
        VmInfo,
        VmListRow,
    )

Json = dict[str, Any]


#: What never reaches the terminal raw: controls (escape sequences), format characters (bidi
#: overrides, zero-width), line and paragraph separators.  Tab and newline are layout.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escaped(text: str, form: str) -> str:
    if text.isprintable():
        return text
    return "".join(form.format(ord(ch)) if ch not in "\n\t"
                   and unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def for_terminal(text: str) -> str:
    """Text with every hidden character shown as an escape (``\\x1b``, ``\\u202e``): what
    a library or an argument holds can never move the cursor, recolour or reorder the
    terminal."""
    return "\n".join(_escaped(line, "\\u{:04x}") for line in text.split("\n"))


def json_for_terminal(text: str) -> str:
    """JSON text with the hidden characters json.dumps leaves raw (DEL, C1, bidi, U+2028)
    written as ``\\uXXXX`` escapes: the same JSON, safe to print."""
    return _escaped(text, "\\u{:04x}")


def _round(x: float, digits: int = 3) -> float:
    return round(float(x), digits)


def job_json(job: Job | None) -> Json | None:
    if job is None:
        return None
    return {
        "id": job.id,
        "kind": job.kind,
        "description": job.description,
        "state": job.state.value,
        "percent": job.percent,
        "cancellable": job.cancellable,
        "error": job.error,
        "vm_id": job.vm_id,
        "host_id": job.host_id,
        "started_seconds": job.started_us / 1e6,
        "expected_end_seconds": job.expected_end_us / 1e6,
        "finished_seconds": None if job.finished_us is None else job.finished_us / 1e6,
    }


def vm_json(vm: VmInfo | VmListRow) -> Json:
    """One row of ``vm list`` (Get-VM's default columns and a few more)."""
    return {
        "name": vm.name,
        "id": vm.id,
        "state": vm.state,
        "status": vm.status,
        "generation": vm.generation,
        "memory_startup_mb": vm.memory_startup_mb,
        "memory_assigned_mb": vm.memory_assigned_mb,
        "memory_demand_mb": vm.memory_demand_mb,
        "cpu_count": vm.cpu_count,
        "cpu_usage_percent": _round(vm.cpu_usage_percent, 2),
        "uptime_seconds": _round(vm.uptime_seconds),
        "heartbeat": vm.heartbeat,
        "guest_os": vm.guest_os,
        "guest_phase": vm.guest_phase,
        "host": vm.host_name,
        "group": vm.group,
    }


def vm_detail_json(vm: VmInfo, operations: dict[Operation, str | None]) -> Json:
    """``vm show``: the list row plus details, configuration and available operations."""
    config = vm.config.to_dict()
    config.pop("schema", None)
    return {
        **vm_json(vm),
        "host_id": vm.host_id,
        "guest_os_name": vm.guest_os_name,
        "configuration_version": vm.configuration_version,
        "created_seconds": vm.created_seconds,
        "notes": vm.notes,
        "partition_id": vm.partition_id,
        "has_saved_state": vm.has_saved_state,
        "integration_services": [{"name": n, "status": s} for n, s in vm.integration_services],
        "job": job_json(vm.job),
        "available_operations": {op.value: reason for op, reason in operations.items()},
        "config": config,
    }


def host_json(h: HostInfo) -> Json:
    return {
        "name": h.name, "id": h.id, "profile_id": h.profile_id, "profile_name": h.profile_name,
        "os_edition": h.os_edition, "installation": h.installation,
        "configuration_version": h.configuration_version,
        "cpu_model": h.cpu_model, "cpu_vendor": h.cpu_vendor, "cpu_generation": h.cpu_generation,
        "sockets": h.sockets, "cores_per_socket": h.cores_per_socket,
        "threads_per_core": h.threads_per_core, "logical_processors": h.logical_processors,
        "x64": h.x64, "virtualization_extensions": h.virtualization_extensions,
        "virtualization_enabled": h.virtualization_enabled, "nx_enabled": h.nx_enabled,
        "hypervisor_running": h.hypervisor_running,
        "hypervisor_blockers": list(h.hypervisor_blockers),
        "pending_reboot": h.pending_reboot, "pending_changes": list(h.pending_changes),
        "rebooting": h.rebooting, "numa_spanning": h.numa_spanning,
        "numa_nodes": [{"id": n.id, "ram_mb": n.ram_mb, "free_mb": n.free_mb}
                       for n in h.numa_nodes],
        "memory_total_mb": h.memory_total_mb, "memory_hypervisor_mb": h.memory_hypervisor_mb,
        "memory_root_mb": h.memory_root_mb, "memory_vms_mb": h.memory_vms_mb,
        "memory_free_mb": h.memory_free_mb, "memory_available_mb": h.memory_available_mb,
        "running_vms": h.running_vms, "vm_count": h.vm_count,
        "root_cpu_percent": _round(h.root_cpu_percent, 2),
        "root_load_pct": h.root_load_pct, "backup_running": h.backup_running,
        "virtual_machine_path": h.virtual_machine_path,
        "virtual_hard_disk_path": h.virtual_hard_disk_path,
        "generations": list(h.generations),
        "dynamic_memory_supported": h.dynamic_memory_supported,
        "limits": {"logical_processors": h.max_logical_processors,
                   "running_vms": h.max_running_vms, "host_ram_gb": h.max_host_ram_gb},
        "remote_management_only": h.remote_management_only,
        "hypervisor_launch_type": h.hypervisor_launch_type,
        "hyper_v_role_installed": h.hyper_v_role_installed,
    }


def event_json(e: LogEntry) -> Json:
    return {"time_seconds": e.time_us / 1e6, **e.to_dict()}


def os_json(g: GuestOs) -> Json:
    return {
        "id": g.id, "name": g.name, "family": g.family, "architecture": g.architecture,
        "enlightened": g.enlightened, "integration_services": g.integration_services,
        "generations": list(g.generations), "minimum_ram_mb": g.minimum_ram_mb,
    }


def profile_json(p: HostProfile) -> Json:
    lim = p.limits
    return {
        "id": p.id, "name": p.name, "os_edition": p.os_edition, "release": p.release,
        "configuration_version": p.configuration_version, "installation": p.installation,
        "generations": list(p.generations), "dynamic_memory": p.features.dynamic_memory,
        "live_migration": p.features.live_migration,
        "max_running_vms": lim.running_vms,
        "max_vps_per_vm": {str(k): v for k, v in lim.vps_per_vm.items()},
        "max_ram_per_vm_mb": {str(k): v for k, v in lim.ram_per_vm_mb.items()},
        "max_host_ram_gb": lim.host_ram_gb, "max_logical_processors": lim.logical_processors,
        "options": [{"id": o.id, "name": o.name, "description": o.description}
                    for o in p.available_options],
    }


# -- text ------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """Hyper-V Manager's uptime format: ``d.hh:mm:ss`` (days only when there are some)."""
    total = int(seconds)
    days, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    text = f"{h:02d}:{m:02d}:{s:02d}"
    return f"{days}.{text}" if days else text


def table(headers: Sequence[str], rows: Sequence[Sequence[object]],
          right: Sequence[int] = ()) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if i in right else v.ljust(w)
                 for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def vm_table(vms: Sequence[VmInfo | VmListRow]) -> str:
    if not vms:
        return "No virtual machines."
    return table(
        ["Name", "State", "CPU Usage", "Assigned Memory", "Uptime", "Status"],
        [[v.name, v.state, f"{round(v.cpu_usage_percent)} %",
          f"{v.memory_assigned_mb:,} MB" if v.memory_assigned_mb else "",
          duration(v.uptime_seconds) if v.uptime_seconds else "", v.status] for v in vms],
        right=(2, 3),
    )


def fields(pairs: Sequence[tuple[str, object]]) -> str:
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)} : {v}" for k, v in pairs)


def vm_text(vm: VmInfo, operations: dict[Operation, str | None],
            say: Callable[[str], str] = str) -> str:
    """``say``: the host release's words (``HostProfile.words.say``) for the action names."""
    cfg = vm.config
    memory = f"{vm.memory_startup_mb:,} MB startup"
    if cfg.dynamic_memory_enabled:
        memory += (f", Dynamic Memory {cfg.memory_minimum_mb:,}–{cfg.memory_maximum_mb:,} MB, "
                   f"buffer {cfg.memory_buffer_pct} %")
    pairs: list[tuple[str, object]] = [
        ("Name", vm.name), ("Id", vm.id), ("Host", vm.host_name), ("State", vm.state),
        ("Status", vm.status), ("Heartbeat", vm.heartbeat or "-"),
        ("Guest", f"{vm.guest_os_name} ({vm.guest_phase})"),
        ("Generation", vm.generation), ("Configuration version", vm.configuration_version),
        ("Processors", f"{vm.cpu_count} (reserve {cfg.cpu_reserve_pct} %, limit "
                       f"{cfg.cpu_limit_pct} %, weight {cfg.cpu_weight})"),
        ("CPU usage", f"{vm.cpu_usage_percent:.1f} %"),
        ("Memory", memory),
        ("Assigned memory", f"{vm.memory_assigned_mb:,} MB"),
        ("Memory demand", f"{vm.memory_demand_mb:,} MB"),
        ("Uptime", duration(vm.uptime_seconds)),
        ("Saved state", "yes" if vm.has_saved_state else "no"),
        ("Automatic actions", f"start {cfg.automatic_start_action.value}, "
                              f"stop {cfg.automatic_stop_action.value}"),
        ("Group", vm.group or "-"),
        ("Notes", vm.notes or "-"),
    ]
    lines = [fields(pairs), "", "Integration services:"]
    lines += [f"  {n}: {s or '-'}" for n, s in vm.integration_services]
    if vm.job is not None and not vm.job.state.finished:
        lines += ["", f"Job {vm.job.id}: {vm.job.description} ({vm.job.percent} %)"]
    available = [say(op.label) for op, reason in operations.items() if reason is None]
    lines += ["", "Available actions: " + (", ".join(available) or "none")]
    return "\n".join(lines)


def host_text(h: HostInfo) -> str:
    pairs: list[tuple[str, object]] = [
        ("Name", h.name), ("Profile", f"{h.profile_name} ({h.profile_id})"),
        ("Operating system", f"{h.os_edition}, {h.installation} installation"
                             + (" (remote management only)" if h.remote_management_only
                                else "")),
        ("Profile limits", f"{h.max_logical_processors:,} logical processors, "
                           f"{h.max_running_vms:,} running virtual machines, "
                           f"{h.max_host_ram_gb:,} GB RAM"),
        ("Processor", f"{h.cpu_model}: {h.sockets} socket(s) x {h.cores_per_socket} core(s) x "
                      f"{h.threads_per_core} thread(s) = {h.logical_processors} logical "
                      "processors"),
        ("Virtualization", f"{h.virtualization_extensions or 'none'} "
                           f"{'enabled' if h.virtualization_enabled else 'disabled'}; NX "
                           f"{'enabled' if h.nx_enabled else 'disabled'}"),
        ("Hyper-V role", ("installed" if h.hyper_v_role_installed else "not installed")
         + f"; hypervisorlaunchtype {h.hypervisor_launch_type}"),
        ("Hypervisor", "running" if h.hypervisor_running else
         ("restarting" if h.rebooting else "not running")),
        ("NUMA spanning", "enabled" if h.numa_spanning else "disabled"),
        ("NUMA nodes", ", ".join(f"node {n.id}: {n.ram_mb:,} MB ({n.free_mb:,} MB free)"
                                 for n in h.numa_nodes) or "-"),
        ("Memory", f"{h.memory_total_mb:,} MB total: hypervisor {h.memory_hypervisor_mb:,}, "
                   f"root {h.memory_root_mb:,}, VMs {h.memory_vms_mb:,}, free "
                   f"{h.memory_free_mb:,}"),
        ("Available for VMs", f"{h.memory_available_mb:,} MB"),
        ("Virtual machines", f"{h.vm_count} ({h.running_vms} with a running partition)"),
        ("Root partition", f"{h.root_cpu_percent:.1f} % CPU; load {h.root_load_pct} %, "
                           f"backup {'running' if h.backup_running else 'not running'}"),
        ("Virtual machine path", h.virtual_machine_path),
        ("Virtual hard disk path", h.virtual_hard_disk_path),
    ]
    lines = [fields(pairs)]
    for b in h.hypervisor_blockers:
        lines.append(f"  ! {b}")
    if h.pending_changes:
        lines.append("Pending until the host restarts: " + "; ".join(h.pending_changes))
    return "\n".join(lines)


def events_text(entries: Sequence[LogEntry]) -> str:
    if not entries:
        return "No events."
    prefix = "Microsoft-Windows-Hyper-V-"
    return table(
        ["Time (s)", "Level", "Event ID", "Source", "Message"],
        [[f"{e.time_us / 1e6:.3f}", e.level.value, e.event_id,
          e.channel.removeprefix(prefix), e.message] for e in entries],
        right=(0, 2),
    )
