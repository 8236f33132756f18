"""Adding a VM to a host and deleting it.
"""

from __future__ import annotations

from hvlab.engine import events as ev
from hvlab.engine.config import VmConfig
from hvlab.engine.events import Level
from hvlab.engine.lifecycle import Operation
from hvlab.engine.vmms import rules, settings, tables, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


def add_vm(host: Host, cfg: VmConfig, key: int) -> VmRuntime:
    settings.validate(host, cfg)
    # Its disks first: a disk that cannot be made leaves no half-created VM behind.
    if host.lab.storage_root is not None:
        vm_files.create_missing_disks(host.lab, cfg)
    slot = host.lab.sim.table.add(key, host.index)
    host.lab.sim.history.clear_slot(slot)
    vm = VmRuntime(cfg, slot, key)
    tables.sync_table(host, vm)
    host.vms[cfg.id] = vm
    host.names.note(vm)
    host.log(ev.CH_VMMS, ev.EV_VM_CREATED, Level.INFORMATION,
             f"'{cfg.name}' was created. (Virtual machine ID {cfg.id})", vm)
    host.lab.publish(ev.VmListChanged(host.lab.sim.now_us, host.id, cfg.id, "added"))
    return vm


def delete(host: Host, vm: VmRuntime) -> None:
    rules.require(host, vm, Operation.DELETE)
    host.lab.sim.queue.remove_where(host.id, vm.id)
    del host.vms[vm.id]
    host.names.forget(vm.id)
    host.net.release_macs(vm)
    host.lab.sim.devices.remove_vm(vm.id)
    host.lab.disk_handles.close(
        [p for d in vm.config.hard_drives if (p := vm_files.current_path(host.lab, vm, d))])
    host.lab.sim.table.remove(vm.slot)
    host.log(ev.CH_VMMS, ev.EV_VM_DELETED, Level.INFORMATION,
             f"'{vm.name}' was deleted. (Virtual machine ID {vm.id})", vm)
    host.lab.publish(ev.VmListChanged(host.lab.sim.now_us, host.id, vm.id, "removed"))
