"""Ready-made scenarios for the performance views, built through the API only (no Qt).

**CPU contention**: host CONTENTION-DEMO has 2 logical processors (1 socket × 2 cores, no
hyper-threading) and three 2-VP VMs running the cpu-burner workload with relative weights
100, 200 and 400. Together they ask for 6 LPs of 2, so the scheduler shares the LPs by
weight: about 1/7, 2/7 and 4/7 of what is left after the root partition and the
hypervisor, i.e. roughly 14 %, 28 % and 56 % of the host in the CPU Usage column.

``hvlab --demo contention`` opens a lab with only this host (see :func:`contention_lab`);
Help ▸ Demos ▸ CPU Contention adds it to the lab already open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hvlab.engine.api import ManagementApi

CONTENTION_HOST = "CONTENTION-DEMO"
#: (VM name, relative weight).
CONTENTION_VMS = (("BURN-W100", 100), ("BURN-W200", 200), ("BURN-W400", 400))
CONTENTION_NOTES = ("CPU contention demo: a cpu-burner with relative weight {weight} on a "
                    "host with 2 logical processors shared by three 2-VP burners.")
#: Simulated seconds after which the burners have booted and compete (for --demo).
SETTLE_SECONDS = 120.0


def add_contention_demo(api: ManagementApi, *, start: bool = True) -> str:
    """Add the contention host and (unless ``start`` is False) start its three VMs; a second
    call adds nothing. Returns the host id."""
    from hvlab.engine.api import HardDrive

    existing = [h for h in api.hosts() if h.name == CONTENTION_HOST]
    if existing:
        return existing[0].id
    host = api.add_host(CONTENTION_HOST, "ws2008r2", ram_gb=8, sockets=1, cores_per_socket=2,
                        threads_per_core=1)
    vm_ids = []
    for name, weight in CONTENTION_VMS:
        vm = api.create_vm(name, host=host.id, guest_os="ws2008-x64", memory_startup_mb=1024,
                           cpu_count=2, cpu_weight=weight, workload="cpu-burner",
                           group="CPU contention", notes=CONTENTION_NOTES.format(weight=weight),
                           hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd", bootable=True)])
        vm_ids.append(vm.id)
    for vm_id in vm_ids if start else ():
        api.start(vm_id)
    return host.id


def contention_lab(seed: int = 0) -> ManagementApi:
    """A lab holding only the contention host, its burners booted and competing."""
    from hvlab.engine.api import ManagementApi

    api = ManagementApi(seed=seed)
    add_contention_demo(api)
    api.advance(SETTLE_SECONDS)
    return api


def is_contention_lab(api: ManagementApi) -> bool:
    """True for the lab :func:`contention_lab` builds (the console then opens the dashboard)."""
    return [h.name for h in api.hosts()] == [CONTENTION_HOST]
