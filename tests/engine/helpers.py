"""Small builders shared by the engine tests."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from hvlab.engine.api import ManagementApi
from hvlab.engine.config import HardDrive

BOOT_DISK = (HardDrive("IDE", 0, 0, "boot.vhd", bootable=True),)
#: Generation 2 has no IDE controller: it boots from SCSI.
SCSI_BOOT_DISK = (HardDrive("SCSI", 0, 0, "g2.vhdx"),)


def make_api(profile: str = "ws2008r2", *, seed: int = 0, **host: Any) -> ManagementApi:
    api = ManagementApi(seed=seed)
    api.add_host("HOST", profile, **host)
    return api


def new_vm(api: ManagementApi, name: str, **fields: Any) -> str:
    fields.setdefault("hard_drives", BOOT_DISK)
    return api.create_vm(name, **fields).id


def burner(api: ManagementApi, name: str, guest_os: str = "ws2012r2-x64",
           **fields: Any) -> None:
    """A VM that runs the cpu-burner workload, started."""
    new_vm(api, name, workload="cpu-burner", guest_os=guest_os, **fields)
    api.start(name)


def mean_usage_lp(api: ManagementApi, names: list[str], seconds: float = 10.0) -> dict[str, float]:
    """Average CPU each VM got over ``seconds`` of simulated time, in logical processors."""
    lps = api.host().logical_processors
    total = dict.fromkeys(names, 0.0)
    steps = round(seconds / 0.1)
    for _ in range(steps):
        api.advance(0.1)
        for name in names:
            total[name] += api.vm(name).cpu_usage_percent / 100.0 * lps
    return {name: value / steps for name, value in total.items()}


def new_generation2_vm(api: ManagementApi, name: str, guest_os: str, **fields: Any) -> str:
    fields.setdefault("hard_drives", SCSI_BOOT_DISK)
    return api.create_vm(name, generation=2, guest_os=guest_os, **fields).id


def build_web01(api: ManagementApi, **changes: Any) -> None:
    """WEB01 as resources/lessons/exercise-web01.json asks (2 VPs, 20 % reserve, a
    synthetic NIC on External, running), with ``changes`` to make it wrong."""
    from hvlab.engine.api import NetworkAdapter

    fields: dict[str, Any] = {"cpu_count": 2, "cpu_reserve_pct": 20,
                              "network_adapters": [NetworkAdapter(switch="External")],
                              "hard_drives": [HardDrive("IDE", 0, 0, "WEB01.vhd",
                                                        bootable=True)]}
    fields.update(changes)
    api.create_vm("WEB01", **fields)
    api.wait(api.start("WEB01"))


def boot(api: ManagementApi, name: str, seconds: float = 120.0) -> None:
    """Start a VM and let the guest finish booting."""
    api.wait(api.start(name))
    api.advance(seconds)


def parser_leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                  ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command of a parser with subcommands, as (words, its parser): found by
    walking the tree, so a new command is included without naming it."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from parser_leaves(child, (*path, name))


#: Where the cluster helpers put highly available VMs' disks (on the shared storage).
CSV_PATH = r"C:\ClusterStorage\Volume1"


def make_cluster(profile: str = "ws2008r2", nodes: int = 2, *, ram_gb: int = 16,
                 network: str = "1gbe", storage: str = "fc-2gb", spindles: int = 3,
                 seed: int = 0) -> ManagementApi:
    """NODE1..NODEn joined by one network and one shared storage, in a cluster CLUSTER1."""
    api = ManagementApi(seed=seed)
    names = [f"NODE{i + 1}" for i in range(nodes)]
    for name in names:
        api.add_host(name, profile, ram_gb=ram_gb)
    api.add_network("Cluster Network 1", network, names)
    api.add_shared_storage("Cluster Disk 1", storage, spindles, CSV_PATH, names)
    api.create_cluster("CLUSTER1", names)
    return api


def ha_vm(api: ManagementApi, name: str, *, host: str = "NODE1", memory_mb: int = 512,
          workload: str = "idle", priority: str = "medium", start: bool = True,
          **fields: Any) -> str:
    """A highly available VM with its disk on the cluster's shared storage, running."""
    fields.setdefault("hard_drives",
                      (HardDrive("IDE", 0, 0, rf"{CSV_PATH}\{name}\{name}.vhd"),))
    vm_id = api.create_vm(name, host=host, memory_startup_mb=memory_mb, workload=workload,
                          **fields).id
    api.make_highly_available(name, priority=priority)
    if start:
        api.wait(api.start(name))
    return vm_id


def owner(api: ManagementApi, name: str) -> str:
    """The name of the node that owns VM ``name``."""
    vm = api.vm(name)
    return api.host(vm.host_id).name
