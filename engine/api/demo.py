"""The demo lab a first start opens: one host and VMs chosen to teach.

LAB-HOST-01 is a Windows Server 2008 R2 SP1 server with 2 sockets x 4 cores and 32 GB, and
an External virtual switch on its first network adapter.
Its VMs show the contrasts trainers need: an enlightened guest with integration services, a
guest without them installed, one on emulated devices only, a Linux guest, and SQL-BIG,
which does not fit in memory while the others run.
"""

from __future__ import annotations

from typing import Any

from engine.api.management import ManagementApi
from engine.config import HardDrive, NetworkAdapter

DEMO_HOST = "LAB-HOST-01"


def _disk(name: str, generation: int = 1) -> list[HardDrive]:
    controller = "IDE" if generation == 1 else "SCSI"
    return [HardDrive(controller, 0, 0, f"{name}.vhd", bootable=True)]


DEMO_VMS: list[dict[str, Any]] = [
    dict(
        name="W2K8-DC01",
        guest_os="ws2008-x64",
        memory_startup_mb=2048,
        cpu_count=2,
        group="Infrastructure",
        running=True,
        workload="web",
        network_adapters=[NetworkAdapter(switch="External")],
        notes="Enlightened Windows Server 2008 x64 with integration services: synthetic "
        "devices over VMBus, graceful Shut Down, heartbeat.",
    ),
    dict(
        name="W2K3-APP01",
        guest_os="ws2003sp2-x86",
        memory_startup_mb=1024,
        cpu_count=1,
        group="Legacy applications",
        running=True,
        guest_is_installed=False,
        workload="file-server",
        network_adapters=[NetworkAdapter(switch="External")],
        notes="Windows Server 2003 SP2 without integration services installed: emulated "
        "devices, no heartbeat, Shut Down unavailable until they are installed.",
    ),
    dict(
        name="NT4-LEGACY",
        guest_os="nt40-x86",
        memory_startup_mb=128,
        cpu_count=1,
        group="Legacy applications",
        running=True,
        guest_is_installed=False,
        network_adapters=[NetworkAdapter(legacy=True, switch="External")],
        workload="custom",
        workload_cpu_pct=8,
        workload_net_mbit=60,
        workload_disk_iops=150,
        notes="Windows NT 4.0: no integration services exist, so only emulated devices "
        "(IDE, legacy network adapter) work.",
    ),
    dict(
        name="SLES10-WEB01",
        guest_os="sles10-x64",
        memory_startup_mb=1024,
        cpu_count=2,
        group="Web",
        running=True,
        guest_is_installed=True,
        workload="web",
        network_adapters=[NetworkAdapter(switch="External")],
        notes="SUSE Linux Enterprise Server 10 with the Linux Integration Components.",
    ),
    dict(
        name="XP-CLIENT",
        guest_os="winxpsp3-x86",
        memory_startup_mb=512,
        cpu_count=1,
        group="Clients",
        running=False,
        guest_is_installed=True,
        notes="Windows XP SP3 test client.",
    ),
    dict(
        name="SQL-BIG",
        guest_os="ws2008-x64",
        memory_startup_mb=28672,
        cpu_count=4,
        group="Databases",
        running=False,
        notes="Needs 28 GB: it does not fit while the other VMs run. Try Start to see "
        "Hyper-V's out-of-memory message; stop the others and it fits.",
    ),
]


def populate_demo(api: ManagementApi, *, empty: bool = False, settle_seconds: float = 90.0) -> None:
    """Add the demo host (and unless ``empty``, its VMs) to an empty lab.

    Running VMs are started and the clock advanced by ``settle_seconds`` so they have
    finished booting when the console first shows them.
    """
    api.add_host(
        DEMO_HOST, "ws2008r2", ram_gb=32, sockets=2, cores_per_socket=4, threads_per_core=1
    )
    api.create_switch(
        "External",
        "External",
        nic=api.host(DEMO_HOST).nics[0],
        host=DEMO_HOST,
        notes="Bound to the host's first network adapter, shared with the management OS.",
    )
    if empty:
        return
    for spec in DEMO_VMS:
        spec = dict(spec)
        running = spec.pop("running")
        generation = int(spec.get("generation", 1))
        api.create_vm(host=DEMO_HOST, hard_drives=_disk(spec["name"], generation), **spec)
        if running:
            api.start(spec["name"])
    api.advance(settle_seconds)
