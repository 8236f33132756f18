"""Whether a VM fits: running-VM and processor limits, CPU reserves, the dynamic MAC
address pool and memory without overcommit.  A Start that would fail raises here, before
anything changes.  A start beyond the supported VP:LP ratio is not refused, only warned
about (:func:`vp_ratio_warning`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hvlab.engine.config import VmConfig
from hvlab.engine.errors import (
    HvError,
    HypervisorNotRunningError,
    MacPoolExhaustedError,
    OutOfMemoryError,
    ResourceLimitError,
)
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.sim.memory import pages_mb, vm_overhead_mb
from hvlab.engine.vmms import rules
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime


@dataclass(frozen=True)
class StartCheck:
    """Can the VM start now?  ``reason`` is None when it can."""

    ok: bool
    reason: str | None
    needed_mb: int
    available_mb: int
    #: A start that is allowed but outside what the profile supports (the VP:LP ratio).
    warning: str | None = None


def memory_needed_mb(host: Host, vm: VmRuntime) -> int:
    ram = vm.config.memory_startup_mb
    if vm.state is VmState.SAVED and vm.saved_state is not None:
        ram = vm.saved_state.memory_mb
    return pages_mb(ram + vm_overhead_mb(ram))


def start_check(host: Host, vm: VmRuntime) -> StartCheck:
    needed = memory_needed_mb(host, vm)
    available = host.memory_available_mb() if host.hypervisor else 0
    try:
        admit(host, vm)
    except OutOfMemoryError as err:
        # The short form: what hvlab adds under Hyper-V's own lines.
        return StartCheck(False, err.shortfall, needed, available)
    except HvError as err:
        return StartCheck(False, " ".join(err.details) or err.message, needed, available)
    return StartCheck(True, None, needed, available, vp_ratio_warning(host, vm))


def vp_ratio_warning(host: Host, vm: VmRuntime) -> str | None:
    """Why starting ``vm`` goes beyond the profile's supported ratio of virtual to logical
    processors (None when it does not).  The ratio is a support statement, not a limit the
    hypervisor enforces: the start goes ahead and the VPs share the LPs (docs/engine.md)."""
    ratio = host.profile.limits.vp_lp_ratio
    if ratio is None or vm.partition_id is not None:
        return None
    running = [v for v in host.vms.values() if v.partition_id is not None and v is not vm]
    vps = sum(v.config.cpu_count for v in running) + vm.config.cpu_count
    lps = host.logical_processors
    if vps <= ratio * lps:
        return None
    return (f"Starting '{vm.name}' gives {vps} virtual processors on {lps} logical "
            f"processors ({vps / lps:.1f}:1), more than the {ratio}:1 that {host.profile.name} "
            "supports. The virtual machine starts; its virtual processors share the logical "
            "processors with the others.")


def admit(host: Host, vm: VmRuntime) -> None:
    """Raise the error a Start would fail with, before anything changes."""
    rules.require(host, vm, Operation.START)
    name = vm.name
    if host.hypervisor is None:
        raise HypervisorNotRunningError(
            f"'{name}' failed to start.",
            ["The virtual machine could not be started because the hypervisor is not "
             "running.", *host.blockers,
             "Change the setting and restart the host to launch the hypervisor."],
        )
    lim = host.profile.limits
    running = [v for v in host.vms.values() if v.partition_id is not None]
    if len(running) >= lim.running_vms:
        raise ResourceLimitError(
            f"'{name}' failed to start.",
            [f"{host.profile.name} runs at most {lim.running_vms} virtual machines at once."],
        )
    vps = sum(v.config.cpu_count for v in running) + vm.config.cpu_count
    if lim.vps_per_host is not None and vps > lim.vps_per_host:
        raise ResourceLimitError(
            f"'{name}' failed to start.",
            [f"{host.profile.name} runs at most {lim.vps_per_host} virtual processors."],
        )
    shortfall = reserve_shortfall(host, vm, vm.config)
    if shortfall is not None:
        raise ResourceLimitError(f"'{name}' failed to start.", [shortfall])
    needed_macs = sum(1 for i, n in enumerate(vm.config.network_adapters)
                      if n.static_mac is None and str(i) not in vm.macs)
    pool = host.net.mac_pool
    if needed_macs > pool.free_count():
        port = (f"Synthetic Ethernet Port (Instance ID {vm.id}): Failed to power on with "
                "Error 'Attempt to access invalid address'.")
        raise MacPoolExhaustedError(
            f"'{name}' failed to start.",
            [port, f"The dynamic MAC address pool ({pool.minimum} to {pool.maximum}, "
                   f"{pool.size} addresses) is exhausted."],
            event_text=port,
        )
    needed = memory_needed_mb(host, vm)
    if not host.memory.fits(needed, host.numa_spanning):
        ram = (vm.saved_state.memory_mb if vm.state is VmState.SAVED and vm.saved_state
               else vm.config.memory_startup_mb)
        available = host.memory_available_mb()
        # The release's own words and code (0x800705AA on 2008, 0x8007000E later).
        title, lines, event_text = host.profile.words.out_of_memory(name, ram, vm.id)
        short = [f"It needs {needed:,} MB (startup RAM plus {needed - ram:,} MB "
                 f"overhead); {available:,} MB is available."]
        if not host.numa_spanning:
            short.append(
                "NUMA spanning is disabled, so the virtual machine must fit in one NUMA "
                f"node; the largest node has {host.memory.largest_node_free_mb():,} MB free."
            )
        raise OutOfMemoryError(title, [*lines, *short], needed_mb=needed,
                               available_mb=available, shortfall=" ".join(short),
                               event_text=event_text)


def reserve_shortfall(host: Host, vm: VmRuntime, cfg: VmConfig) -> str | None:
    """CPU reserve admission: why ``cfg``'s reserve does not fit beside the reserves of
    the other running VMs on the host's LPs (None when it fits)."""
    if cfg.cpu_reserve_pct == 0:
        return None
    others = sum(v.config.cpu_reserve_pct * v.config.cpu_count
                 for v in host.vms.values() if v.partition_id is not None and v is not vm)
    want = cfg.cpu_reserve_pct * cfg.cpu_count
    capacity = 100 * host.logical_processors
    if others + want <= capacity:
        return None
    return (f"The virtual machine reserve cannot be met: it needs {want / 100:.2f} logical "
            f"processors, and {max(capacity - others, 0) / 100:.2f} are unreserved.")
