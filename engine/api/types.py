"""Immutable snapshots the API hands to clients (plain data; numpy arrays for bulk figures)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hvlab.engine.config import VmConfig
from hvlab.engine.jobs import Job


@dataclass(frozen=True)
class NumaNodeInfo:
    id: int
    ram_mb: int
    free_mb: int


@dataclass(frozen=True)
class HostInfo:
    """A host's summary: hardware, hypervisor state and memory accounting (MB)."""

    id: str
    name: str
    profile_id: str
    profile_name: str
    os_edition: str
    installation: str
    configuration_version: str
    cpu_model: str
    cpu_vendor: str
    cpu_generation: str
    sockets: int
    cores_per_socket: int
    threads_per_core: int
    logical_processors: int
    x64: bool
    virtualization_extensions: str
    virtualization_enabled: bool
    nx_enabled: bool
    hypervisor_running: bool
    hypervisor_blockers: tuple[str, ...]
    pending_reboot: bool
    pending_changes: tuple[str, ...]
    rebooting: bool
    numa_spanning: bool
    numa_nodes: tuple[NumaNodeInfo, ...]
    memory_total_mb: int
    memory_hypervisor_mb: int
    memory_root_mb: int
    memory_vms_mb: int
    memory_free_mb: int
    memory_available_mb: int
    running_vms: int
    vm_count: int
    root_cpu_percent: float
    virtual_machine_path: str
    virtual_hard_disk_path: str
    generations: tuple[int, ...]
    dynamic_memory_supported: bool
    mac_minimum: str = ""
    mac_maximum: str = ""
    nics: tuple[str, ...] = ()
    #: The BIOS switches as they will be after the next restart.
    pending_virtualization_enabled: bool = True
    pending_nx_enabled: bool = True
    #: Whether this profile has the NUMA spanning setting at all.
    numa_spanning_configurable: bool = True
    #: Root-side work switched on by a trainer: a load in percent of the root's processors,
    #: and a backup running in the root partition.
    root_load_pct: int = 0
    backup_running: bool = False
    #: The profile's limits (the release's configuration maximums, options applied).
    max_logical_processors: int = 0
    max_running_vms: int = 0
    max_host_ram_gb: int = 0
    #: A Server Core root partition: Hyper-V Manager connects from another computer.
    remote_management_only: bool = False
    #: The boot configuration's hypervisorlaunchtype (Auto, Off) and the Hyper-V role.
    hypervisor_launch_type: str = "Auto"
    hyper_v_role_installed: bool = True
    #: The same after the next restart.
    pending_launch_type: str = "Auto"
    pending_role_installed: bool = True


@dataclass(frozen=True)
class VmInfo:
    """One VM as Hyper-V Manager's list and details pane show it."""

    id: str
    name: str
    host_id: str
    host_name: str
    state: str
    status: str
    heartbeat: str
    guest_phase: str
    generation: int
    guest_os: str
    guest_os_name: str
    cpu_count: int
    cpu_usage_percent: float
    memory_startup_mb: int
    memory_assigned_mb: int
    memory_demand_mb: int
    uptime_seconds: float
    configuration_version: str
    created_seconds: float
    notes: str
    group: str
    partition_id: int | None
    has_saved_state: bool
    integration_services: tuple[tuple[str, str], ...]
    job: Job | None
    config: VmConfig
    #: The guest uses hypercalls instead of trapping (an enlightened kernel with its
    #: integration services).
    enlightened: bool = False
    #: Integration services were installed from the setup disk; they load at the next boot.
    integration_setup_pending: bool = False
    #: A highly available VM of the failover cluster (Summary ▸ Clustered).
    clustered: bool = False


@dataclass(frozen=True)
class VmTableSnapshot:
    """Every VM of the lab in one bulk read (one per tick for the VM list).

    Rows are in a stable order (creation order).  ``version`` changes whenever the set of
    VMs, a name, a state or a status text changes, so a client can skip re-reading strings.
    """

    time_us: int
    version: int
    ids: tuple[str, ...]
    names: tuple[str, ...]
    host_ids: tuple[str, ...]
    states: tuple[str, ...]
    statuses: tuple[str, ...]
    generations: npt.NDArray[np.int32]
    cpu_counts: npt.NDArray[np.int32]
    cpu_usage_percent: npt.NDArray[np.float64]
    memory_assigned_mb: npt.NDArray[np.int64]
    memory_demand_mb: npt.NDArray[np.float64]
    uptime_seconds: npt.NDArray[np.float64]
    heartbeats: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemoryExtentInfo:
    node: int
    start_mb: int
    size_mb: int
    owner: str  # "free", "hypervisor", "root" or a VM name
    vm_id: str


@dataclass(frozen=True)
class HypercallCounters:
    partition_id: int
    partition: str
    vm_id: str
    calls: dict[str, int]
    denied: dict[str, int]


@dataclass(frozen=True)
class StartCheckInfo:
    ok: bool
    reason: str | None
    needed_mb: int
    available_mb: int
    #: The start is allowed but beyond what the profile supports (the VP:LP ratio).
    warning: str | None = None


@dataclass(frozen=True)
class CounterSetInfo:
    name: str
    counters: tuple[str, ...]
    instances: tuple[str, ...]


@dataclass(frozen=True)
class CounterValue:
    counter_set: str
    counter: str
    instance: str
    value: float

    @property
    def path(self) -> str:
        """The PDH path: ``\\Set(instance)\\Counter``."""
        inst = f"({self.instance})" if self.instance else ""
        return f"\\{self.counter_set}{inst}\\{self.counter}"


@dataclass(frozen=True)
class DeviceIoInfo:
    """What one virtual disk or adapter is doing now."""

    key: str
    name: str
    kind: str  # "emulated" or "synthetic" (the path it takes now)
    carrying: bool
    rate: float
    unit: str  # "IOPS" or "Mbit/s"
    root_cpu_percent: float  # of the whole host
    hypervisor_cpu_percent: float
    intercepts_s: float
    interrupts_s: float


@dataclass(frozen=True)
class AdapterInfo:
    index: int
    name: str
    legacy: bool
    switch: str
    mac: str
    ip_addresses: tuple[str, ...]
    vlan_id: int
    status: str


@dataclass(frozen=True)
class SwitchInfoView:
    name: str
    type: str
    nic: str | None
    allow_management_os: bool
    management_vlan_id: int
    notes: str
    adapters: tuple[str, ...]  # "VM name: Network Adapter n"


@dataclass(frozen=True)
class VmDiskInfo:
    key: str  # "ide0:0"
    path: str  # the file the VM writes now (an .avhd after a checkpoint)
    base_path: str  # the configured disk
    exists: bool
    file_size: int  # bytes of the current file
    chain_file_size: int  # bytes of every file of the chain
    maximum_size: int
    chain_length: int


@dataclass(frozen=True)
class CheckpointInfo:
    id: str
    name: str
    parent_id: str | None
    created_seconds: float
    has_saved_state: bool


@dataclass(frozen=True)
class VmbusConnectionInfo:
    """One of a child partition's VMBus connections (it sends on it)."""

    connection_id: int
    label: str  # "vmbus" (the message connection) or the channel's key ("nic0", "ic:heartbeat")
    port_partition: int  # who receives: the root (0)
    port_id: int
    port_type: str  # "Message" or "Event"
