"""A host's virtual switches: create, change, delete, look up.
"""

from __future__ import annotations

from hvlab.engine import events as ev
from hvlab.engine.errors import InvalidStateError, NotFoundError
from hvlab.engine.events import Level
from hvlab.engine.lifecycle import VmState
from hvlab.engine.names import name_key
from hvlab.engine.switches import VirtualSwitch
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.networking import renamed_switch


def create_switch(host: Host, switch: VirtualSwitch) -> None:
    host.net.validate_switch(switch, host.hardware)
    host.net.switches[switch.name] = switch
    host.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
             f"The virtual switch '{switch.name}' ({switch.type.value}) was created.")
    host.lab.switches_changed()


def set_switch(host: Host, name: str, switch: VirtualSwitch) -> None:
    old = find_switch(host, name)
    name = old.name
    host.net.validate_switch(switch, host.hardware, replacing=name)
    if old.type is not switch.type and any(
            n.switch == name for v in host.vms.values() for n in v.config.network_adapters
            if v.state is not VmState.OFF):
        raise InvalidStateError(
            f"The virtual switch '{name}' could not be changed.",
            ["Running virtual machines are connected to it; changing the connection type "
             "may disrupt network connectivity. Turn them off first."])
    del host.net.switches[name]
    host.net.switches[switch.name] = switch
    if switch.name != name:
        for vm in host.vms.values():
            vm.config = renamed_switch(vm.config, name, switch.name)
    host.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
             f"The virtual switch '{name}' was changed.")
    host.lab.switches_changed()


def remove_switch(host: Host, name: str) -> None:
    name = find_switch(host, name).name
    del host.net.switches[name]
    for vm in host.vms.values():
        vm.config = renamed_switch(vm.config, name, None)
    host.log(ev.CH_VMMS, ev.EV_SWITCH, Level.INFORMATION,
             f"The virtual switch '{name}' was deleted; its adapters are not connected.")
    host.lab.switches_changed()


def find_switch(host: Host, name: str) -> VirtualSwitch:
    """The switch named ``name`` (exactly, else by :func:`hvlab.engine.names.name_key`)."""
    found = host.net.switches.get(name)
    if found is not None:
        return found
    key = name_key(name)
    for sw in host.net.switches.values():
        if name_key(sw.name) == key:
            return sw
    raise NotFoundError(
            f'Hyper-V was unable to find a virtual switch with name "{name}".')
