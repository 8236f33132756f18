"""``hvctl`` commands for counters, virtual switches, adapters, drives and integration
services (issues 6 and 7).  Each maps onto ManagementApi calls, like the rest of hvctl."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hvlab.engine.api import (
    INTEGRATION_SERVICES,
    WORKLOADS,
    HardDrive,
    NetworkAdapter,
    NotFoundError,
    ValidationError,
)
from hvlab.hvctl import arguments as num
from hvlab.hvctl import output

if TYPE_CHECKING:
    from hvlab.engine.api import Library
    from hvlab.hvctl.terminal import Printer

Sub = Callable[[Any, str, str], argparse.ArgumentParser]


def add_parsers(top: Any, vm_actions: Any, vm_set: argparse.ArgumentParser, sub: Sub) -> None:
    """Add this module's commands to the hvctl parser."""
    vm_set.add_argument("--workload", choices=tuple(WORKLOADS),
                        help="the guest's workload (custom takes the numbers below)")
    vm_set.add_argument("--workload-cpu", type=num.setting("workload_cpu_pct"), metavar="PCT",
                        help="custom workload: CPU per virtual processor")
    vm_set.add_argument("--workload-iops", type=num.setting("workload_disk_iops"), metavar="N",
                        help="custom workload: disk IOPS (8 KB)")
    vm_set.add_argument("--workload-net", type=num.setting("workload_net_mbit"), metavar="MBIT",
                        help="custom workload")
    vm_set.add_argument("--workload-dirty", type=num.setting("workload_dirty_pages"),
                        metavar="PAGES",
                        help="custom workload: pages written per second")

    adapter = num.adapter_index()
    counters = sub(top, "counters", "performance counters (Get-Counter)")
    counters.add_argument("--set", dest="counter_set", metavar="NAME",
                          help="only this counter set, e.g. 'Hyper-V Hypervisor'")
    counters.add_argument("--host", metavar="NAME")

    switch = sub(top, "switch", "virtual switches (Get-/New-/Set-/Remove-VMSwitch)")
    ss = switch.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(ss, "list", "list the virtual switches (Get-VMSwitch)")
    new = sub(ss, "new", "create a virtual switch (New-VMSwitch)")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--type", required=True, choices=("External", "Internal", "Private"),
                     type=str.capitalize)
    new.add_argument("--nic", metavar="ADAPTER", help="the host's network adapter (External)")
    new.add_argument("--management-os", type=num.on_off, default=True, metavar="on|off",
                     help="share the adapter with the management OS (default on)")
    new.add_argument("--vlan", type=num.VLAN, default=0, metavar="ID",
                     help="VLAN of the management OS on this switch")
    new.add_argument("--notes", default="", metavar="TEXT")
    sset = sub(ss, "set", "change a virtual switch (Set-VMSwitch, Rename-VMSwitch)")
    sset.add_argument("name", metavar="NAME")
    sset.add_argument("--name", dest="new_name", metavar="NEW")
    sset.add_argument("--type", choices=("External", "Internal", "Private"), type=str.capitalize)
    sset.add_argument("--nic", metavar="ADAPTER")
    sset.add_argument("--management-os", type=num.on_off, metavar="on|off")
    sset.add_argument("--vlan", type=num.VLAN, metavar="ID")
    sset.add_argument("--notes", metavar="TEXT")
    rm = sub(ss, "remove", "delete a virtual switch (Remove-VMSwitch)")
    rm.add_argument("name", metavar="NAME")

    nic = sub(vm_actions, "nic", "network adapters (Add-/Remove-/Connect-/Set-VMNetworkAdapter)")
    ns = nic.add_subparsers(dest="nic_command", metavar="ACTION", required=True)
    nl = sub(ns, "list", "list the VM's adapters with MAC, IP and status")
    nl.add_argument("name", metavar="NAME")
    na = sub(ns, "add", "add an adapter (Add-VMNetworkAdapter)")
    na.add_argument("name", metavar="NAME")
    na.add_argument("--legacy", action="store_true", help="the emulated DEC 21140 (Gen 1)")
    na.add_argument("--switch", metavar="SWITCH")
    na.add_argument("--vlan", type=num.VLAN, default=0, metavar="ID")
    na.add_argument("--static-mac", metavar="MAC")
    nr = sub(ns, "remove", "remove an adapter (Remove-VMNetworkAdapter)")
    nr.add_argument("name", metavar="NAME")
    nr.add_argument("index", type=adapter, metavar="INDEX")
    nc = sub(ns, "connect", "connect an adapter to a switch, or --none (Connect-VMNetworkAdapter)")
    nc.add_argument("name", metavar="NAME")
    nc.add_argument("index", type=adapter, metavar="INDEX")
    nc.add_argument("switch", nargs="?", metavar="SWITCH")
    nc.add_argument("--none", action="store_true", help="disconnect")
    nset = sub(ns, "set", "VLAN, bandwidth, MAC (Set-VMNetworkAdapter[Vlan])")
    nset.add_argument("name", metavar="NAME")
    nset.add_argument("index", type=adapter, metavar="INDEX")
    nset.add_argument("--vlan", type=num.VLAN, metavar="ID",
                      help="0 turns VLAN identification off")
    nset.add_argument("--min-mbit", type=num.setting("min_mbit"), metavar="MBPS")
    nset.add_argument("--max-mbit", type=num.setting("max_mbit"), metavar="MBPS")
    nset.add_argument("--static-mac", metavar="MAC")
    nset.add_argument("--dynamic-mac", action="store_true")

    drive = sub(vm_actions, "drive", "virtual hard drives (Add-/Remove-/Set-VMHardDiskDrive)")
    ds = drive.add_subparsers(dest="drive_command", metavar="ACTION", required=True)
    dl = sub(ds, "list", "list the VM's drives with their live I/O")
    dl.add_argument("name", metavar="NAME")
    dadd = sub(ds, "add", "attach a drive (Add-VMHardDiskDrive)")
    dadd.add_argument("name", metavar="NAME")
    dadd.add_argument("--controller", choices=("IDE", "SCSI"), type=str.upper, default="SCSI")
    dadd.add_argument("--number", type=num.controller_number(), default=0, metavar="N")
    dadd.add_argument("--location", type=num.controller_location(), required=True,
                      metavar="N")
    dadd.add_argument("--path", required=True, metavar="VHD")
    dadd.add_argument("--bootable", action="store_true")
    drm = sub(ds, "remove", "detach a drive (Remove-VMHardDiskDrive)")
    drm.add_argument("name", metavar="NAME")
    drm.add_argument("drive", metavar="KEY", help="e.g. scsi0:1 or ide0:0")
    dset = sub(ds, "set", "storage QoS (Set-VMHardDiskDrive -MinimumIOPS/-MaximumIOPS)")
    dset.add_argument("name", metavar="NAME")
    dset.add_argument("drive", metavar="KEY")
    dset.add_argument("--min-iops", type=num.setting("min_iops"), metavar="N")
    dset.add_argument("--max-iops", type=num.setting("max_iops"), metavar="N")

    integ = sub(vm_actions, "integration",
                "integration services (Get-/Enable-/Disable-VMIntegrationService)")
    its = integ.add_subparsers(dest="is_command", metavar="ACTION", required=True)
    il = sub(its, "list", "list the services and their status")
    il.add_argument("name", metavar="NAME")
    for action in ("enable", "disable"):
        p = sub(its, action, f"{action} one service")
        p.add_argument("name", metavar="NAME")
        p.add_argument("service", metavar="SERVICE",
                       help=", ".join(k.replace("_", "-") for k in INTEGRATION_SERVICES))
    ii = sub(its, "install", "insert the Integration Services Setup Disk (applies at reboot)")
    ii.add_argument("name", metavar="NAME")

    dev = sub(vm_actions, "devices", "the guest's devices and VMBus channels")
    dev.add_argument("name", metavar="NAME")


def _drive_key(d: HardDrive) -> str:
    return f"{d.controller.lower()}{d.controller_number}:{d.location}"


def _counters(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    values = lib.api.counter_values(host=args.host, counter_set=args.counter_set)
    data = [{"set": v.counter_set, "counter": v.counter, "instance": v.instance,
             "path": v.path, "value": round(v.value, 3)} for v in values]
    out.emit(data, output.table(["Counter", "Value"],
                                [[v.path, f"{v.value:,.2f}"] for v in values], right=(1,)))
    return 0


def _switch_json(s: Any) -> dict[str, Any]:
    return {"name": s.name, "type": s.type, "nic": s.nic,
            "allow_management_os": s.allow_management_os,
            "management_vlan_id": s.management_vlan_id, "notes": s.notes,
            "adapters": list(s.adapters)}


def _switch(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    if args.command == "new":
        sw = api.create_switch(args.name, args.type, nic=args.nic,
                               allow_management_os=args.management_os,
                               management_vlan_id=args.vlan, notes=args.notes)
        out.emit(_switch_json(sw), f"Created the {sw.type} switch '{sw.name}'.")
    elif args.command == "set":
        sw = api.set_switch(args.name, new_name=args.new_name, switch_type=args.type,
                            nic=args.nic, allow_management_os=args.management_os,
                            management_vlan_id=args.vlan, notes=args.notes)
        out.emit(_switch_json(sw), f"Changed the switch '{sw.name}'.")
    elif args.command == "remove":
        api.remove_switch(args.name)
        out.emit({"removed": args.name}, f"Removed the switch '{args.name}'.")
    else:
        switches = api.switches()
        out.emit([_switch_json(s) for s in switches], output.table(
            ["Name", "Type", "Adapter", "Management OS", "Connected"],
            [[s.name, s.type, s.nic or "", "yes" if s.allow_management_os else "no",
              len(s.adapters)] for s in switches]))
    return 0


def _nic(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    adapters = list(vm.config.network_adapters)
    action = args.nic_command
    if action != "list" and action != "add" and not 0 <= args.index < len(adapters):
        raise NotFoundError(f"'{vm.name}' has no network adapter {args.index}.",
                            [f"It has {len(adapters)} (numbered from 0)."])
    if action == "add":
        adapters.append(NetworkAdapter(legacy=args.legacy, switch=args.switch,
                                       vlan_id=args.vlan, static_mac=args.static_mac))
    elif action == "remove":
        del adapters[args.index]
    elif action == "connect":
        if args.none == (args.switch is not None):
            raise ValidationError("switch", "Give a switch name, or --none to disconnect.")
        adapters[args.index] = dataclasses.replace(adapters[args.index], switch=args.switch)
    elif action == "set":
        changes: dict[str, Any] = {}
        for option, name in (("vlan", "vlan_id"), ("min_mbit", "min_mbit"),
                             ("max_mbit", "max_mbit"), ("static_mac", "static_mac")):
            if getattr(args, option) is not None:
                changes[name] = getattr(args, option)
        if args.dynamic_mac:
            changes["static_mac"] = None
        adapters[args.index] = dataclasses.replace(adapters[args.index], **changes)
    if action != "list":
        api.set_vm(vm.id, network_adapters=adapters)
    info = api.network_adapters(vm.id)
    data = [{"index": a.index, "name": a.name, "legacy": a.legacy, "switch": a.switch or None,
             "mac": a.mac, "ip_addresses": list(a.ip_addresses), "vlan_id": a.vlan_id,
             "status": a.status} for a in info]
    out.emit(data, output.table(
        ["#", "Adapter", "Switch", "MAC", "IP", "VLAN", "Status"],
        [[a.index, a.name, a.switch or "Not connected", a.mac, ", ".join(a.ip_addresses),
          a.vlan_id or "", a.status] for a in info]))
    return 0


def _drive(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    drives = list(vm.config.hard_drives)
    action = args.drive_command
    if action in ("remove", "set"):
        keys = [_drive_key(d) for d in drives]
        if args.drive.casefold() not in keys:
            raise NotFoundError(f"'{vm.name}' has no drive {args.drive}.",
                                [f"Its drives: {', '.join(keys) or 'none'}."])
        i = keys.index(args.drive.casefold())
        if action == "remove":
            del drives[i]
        else:
            changes = {k: v for k, v in (("min_iops", args.min_iops),
                                         ("max_iops", args.max_iops)) if v is not None}
            drives[i] = dataclasses.replace(drives[i], **changes)
    elif action == "add":
        drives.append(HardDrive(args.controller, args.number, args.location, args.path,
                                bootable=args.bootable))
    if action != "list":
        api.set_vm(vm.id, hard_drives=drives)
    vm = api.vm(vm.id)
    live = {d.key: d for d in api.device_io(vm.id)}
    data = []
    rows = []
    for d in vm.config.hard_drives:
        key = _drive_key(d)
        io = live.get(key)
        data.append({"key": key, "controller": d.controller, "number": d.controller_number,
                     "location": d.location, "path": d.path, "bootable": d.bootable,
                     "min_iops": d.min_iops, "max_iops": d.max_iops,
                     "path_kind": io.kind if io else None,
                     "iops": round(io.rate, 1) if io else 0.0})
        rows.append([key, d.path, d.min_iops or "", d.max_iops or "",
                     io.kind if io else "", f"{io.rate:,.0f}" if io else "0"])
    out.emit(data, output.table(["Drive", "Path", "Min IOPS", "Max IOPS", "Path", "IOPS"], rows))
    return 0


def _integration(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    action = args.is_command
    if action in ("enable", "disable"):
        key = args.service.casefold().replace("-", "_").replace(" ", "_")
        by_label = {label.casefold(): k for k, label in INTEGRATION_SERVICES.items()}
        key = by_label.get(args.service.casefold(), key)
        if key not in INTEGRATION_SERVICES:
            raise ValidationError(
                "integration_services",
                f"'{args.service}' is not an integration service; use one of "
                f"{', '.join(k.replace('_', '-') for k in INTEGRATION_SERVICES)}.")
        services = set(vm.config.integration_services)
        (services.add if action == "enable" else services.discard)(key)
        vm = api.set_vm(vm.id, integration_services=services)
    elif action == "install":
        api.insert_integration_services_disk(vm.id)
        vm = api.vm(vm.id)
    data = [{"name": label, "enabled": status != "Disabled", "status": status}
            for label, status in vm.integration_services]
    out.emit(data, output.table(["Service", "Status"],
                                [[label, status] for label, status in vm.integration_services]))
    return 0


def _devices(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    devices = api.devices(vm.id)
    channels = api.vmbus_channels(vm.id)
    data = {"devices": [{"key": d.key, "name": d.name, "category": d.category, "kind": d.kind,
                         "guest_name": d.guest_name, "handled_by": d.handled_by,
                         "fast_path": d.fast_path} for d in devices],
            "vmbus_channels": [{"key": c.key, "device": c.device, "vsc": c.vsc, "vsp": c.vsp,
                                "state": c.state, "connection_id": c.connection_id}
                               for c in channels]}
    text = output.table(["Device", "Kind", "Guest sees", "Handled by"],
                        [[d.name, d.kind, d.guest_name, d.handled_by] for d in devices])
    if channels:
        text += "\n\nVMBus channels\n" + output.table(
            ["Channel", "VSC (child)", "VSP (root)", "State", "Connection"],
            [[c.device, c.vsc, c.vsp, c.state, c.connection_id or ""] for c in channels])
    out.emit(data, text)
    return 0


HANDLERS: dict[tuple[str, str | None], Callable[..., int]] = {
    ("counters", None): _counters,
    **{("switch", name): _switch for name in ("list", "new", "set", "remove")},
    ("vm", "nic"): _nic,
    ("vm", "drive"): _drive,
    ("vm", "integration"): _integration,
    ("vm", "devices"): _devices,
}
WORKLOAD_OPTIONS = (("workload", "workload"), ("workload_cpu", "workload_cpu_pct"),
                    ("workload_iops", "workload_disk_iops"), ("workload_net", "workload_net_mbit"),
                    ("workload_dirty", "workload_dirty_pages"))
