"""The integration services setup disk: installing the services in a guest that can
take them (they load at its next restart).
"""

from __future__ import annotations

from hvlab.engine import events as ev
from hvlab.engine.errors import InvalidStateError
from hvlab.engine.events import Level
from hvlab.engine.vmms import rules
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


def insert_integration_services_disk(host: Host, vm: VmRuntime) -> None:
    """Action ▸ Insert Integration Services Setup Disk: the guest installs them and needs
    a restart; at the next boot the VMBus drivers load."""
    blocker = rules.integration_setup_blocker(host, vm)
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
        host.console(vm, line)
    host.log(ev.CH_VMMS, ev.EV_VM_IS_SETUP, Level.INFORMATION,
             f"Integration services were installed in '{vm.name}'; they load at its next "
             "restart.", vm)
