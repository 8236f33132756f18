"""Moving a running VM to another node of the cluster: quick migration (save, move the
disk's ownership, restore) and live migration (a skeleton VM on the target, pre-copy passes
of memory, a short blackout for the last pages).

A migration is a job that runs on the clock: the lab calls :func:`on_tick` at each phase
boundary and at least every 100 ms while one is in flight.  Transfers that share a node's
network adapter (live) or a storage path (quick) share its rate evenly.  The figures come
from :mod:`hvlab.engine.fabric`; docs/cluster.md explains the model and its sources.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from hvlab.engine import events as ev
from hvlab.engine import fabric
from hvlab.engine.errors import (
    HvError,
    InvalidStateError,
    NotSupportedError,
    OutOfMemoryError,
    ResourceLimitError,
)
from hvlab.engine.events import Level
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.sim.clock import seconds_to_us, us_to_seconds
from hvlab.engine.sim.hypervisor import HvStatus
from hvlab.engine.sim.memory import pages_mb, vm_overhead_mb
from hvlab.engine.vmms import cluster as cl
from hvlab.engine.vmms import guest_runner, partitions, power, rules, saved_state, tables
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime
from hvlab.engine.workloads import WORKLOADS

LIVE, QUICK = rules.MIGRATION_JOBS
KINDS = rules.MIGRATION_JOBS
TICK_US = 100_000


@dataclass
class Migration:
    """One migration in flight (and, once finished, its figures)."""

    job_id: int
    vm_id: str
    vm_name: str
    source: str
    target: str
    live: bool
    #: live: setup, copy, blackout; quick: save, move, restore; then done.
    phase: str
    #: The network (live) or shared storage (quick) it moves over.
    link: str
    memory_mb: float
    max_passes: int
    rate_limit: list[float] | None = None
    phase_left_s: float = 0.0
    to_send_mb: float = 0.0
    pass_elapsed_s: float = 0.0
    pass_size_mb: float = 0.0
    pass_mb: list[float] = field(default_factory=list)
    pass_s: list[float] = field(default_factory=list)
    sent_mb: float = 0.0
    residual_mb: float = 0.0
    downtime_s: float = 0.0
    rate_mb_s: float = 0.0
    clark_mbit: float = 0.0
    target_partition: int | None = None
    last_us: int = 0
    started_us: int = 0
    finished_us: int | None = None
    outcome: str = ""

    @property
    def pass_number(self) -> int:
        return len(self.pass_mb) + (1 if self.phase == "copy" else 0)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Migration:
        known = {f.name for f in dataclasses.fields(Migration)}
        return Migration(**{k: v for k, v in d.items() if k in known})


class MigrationLab(cl.FabricLab, Protocol):
    migrations: dict[int, Migration]
    finished_migrations: list[Migration]

    def job_record(self, job_id: int) -> JobRecord | None: ...

    def new_job(self, kind: str, description: str, host_id: str, vm_id: str, seconds: float,
                cancellable: bool) -> JobRecord: ...

    def finish_job(self, job: JobRecord, error: str | None = None) -> None: ...

    def cancel_job_record(self, job: JobRecord, reason: str, failed: bool = False) -> None: ...


# -- checks ---------------------------------------------------------------------------------

def busy_blocker(lab: MigrationLab, vm: VmRuntime) -> str | None:
    if any(m.vm_id == vm.id for m in lab.migrations.values()):
        return "The virtual machine is being migrated to another node."
    return None


def _node_count(lab: MigrationLab, host: Host) -> int:
    return sum(1 for m in lab.migrations.values()
               if m.live and host.id in (m.source, m.target))


def migration_blockers(lab: MigrationLab, host: Host, vm: VmRuntime, target: Host,
                       live: bool) -> list[str]:
    """Why ``vm`` cannot be migrated from ``host`` to ``target`` now (empty: it can), in
    the cluster's words.  The console's enablement and the command both ask this."""
    cluster = lab.fabric.cluster
    kind = "Live migration" if live else "Quick migration"
    out: list[str] = []
    if live and not host.profile.features.live_migration:
        return [f"{host.profile.name} does not support live migration. Virtual machines "
                "move between nodes by quick migration (Move this service or application "
                "to another node)."]
    if not live and not host.profile.features.quick_migration:
        return [f"{host.profile.name} does not include failover clustering, so it has no "
                "quick migration."]
    if cluster is None:
        return ["This lab has no failover cluster."]
    if vm.id not in cluster.roles:
        return [f"'{vm.name}' is not a highly available virtual machine."]
    if target.id == host.id:
        return [f"'{vm.name}' is already on {host.name}."]
    for node in (host, target):
        if node.id not in cluster.nodes:
            out.append(f"{node.name} is not a node of the cluster {cluster.name}.")
        elif node.id in cluster.down or node.hypervisor is None:
            out.append(f"The node {node.name} is down.")
    if out:
        return out
    if (reason := busy_blocker(lab, vm)) is not None:
        return [reason]
    if live and vm.state is not VmState.RUNNING:
        return [f"{kind} needs a running virtual machine; '{vm.name}' is {vm.state.value}."]
    if not live and vm.state not in (VmState.RUNNING, VmState.PAUSED, VmState.OFF,
                                     VmState.SAVED):
        return [f"{kind} is not available while the virtual machine is {vm.state.value}."]
    if vm.job_id is not None:
        return ["Another operation on the virtual machine is in progress."]
    if live:
        for node in (host, target):
            limit = node.max_live_migrations
            if _node_count(lab, node) >= limit:
                out.append(f"The node {node.name} is already taking part in "
                           f"{'a live migration' if limit == 1 else f'{limit} live migrations'}"
                           f"; {node.profile.name} allows {limit} at a time.")
        if not _common_network(lab, host, target):
            out.append(f"No network connects {host.name} and {target.name}.")
        if host.hardware.cpu_vendor != target.hardware.cpu_vendor:
            out.append(f"The processors of {host.name} ({host.hardware.cpu_vendor}) and "
                       f"{target.name} ({target.hardware.cpu_vendor}) come from different "
                       "vendors.")
        elif (host.hardware.cpu_generation != target.hardware.cpu_generation
              and not vm.config.processor_compatibility):
            out.append(f"'{vm.name}' uses processor features that {target.name} "
                       f"({target.hardware.cpu_model}) lacks. Turn the virtual machine off and "
                       "select \"Migrate to a physical computer with a different processor "
                       "version\" (Settings ▸ Processor ▸ Compatibility).")
    else:
        storage = cl.storage_of(lab, vm)
        if storage is None or target.id not in storage.hosts:
            out.append(f"{target.name} cannot reach the storage that holds '{vm.name}'.")
    missing = sorted({n.switch for n in vm.config.network_adapters
                      if n.switch and n.switch not in target.net.switches})
    if missing:
        out.append(f"The virtual switch {', '.join(repr(s) for s in missing)} that "
                   f"'{vm.name}' is connected to does not exist on {target.name}.")
    if vm.state in (VmState.RUNNING, VmState.PAUSED):
        needed = _needed_mb(host, vm)
        available = target.memory_available_mb()
        if needed > available:
            out.append(f"{target.name} does not have enough memory for '{vm.name}': it needs "
                       f"{needed} MB and {available} MB is available.")
        running = sum(1 for v in target.vms.values() if v.partition_id is not None)
        if running >= target.profile.limits.running_vms:
            out.append(f"{target.name} already runs {running} virtual machines, the most "
                       f"{target.profile.name} allows.")
    return out


def _common_network(lab: MigrationLab, a: Host, b: Host) -> cl.Network | None:
    nets = [n for n in lab.fabric.networks.values() if a.id in n.hosts and b.id in n.hosts]
    return max(nets, key=lambda n: fabric.network_kind(n.kind).payload_mb_s, default=None)


def _assigned_mb(host: Host, vm: VmRuntime) -> int:
    return int(host.lab.sim.table.memory_assigned_mb[vm.slot]) or vm.config.memory_startup_mb


def _needed_mb(host: Host, vm: VmRuntime) -> int:
    ram = _assigned_mb(host, vm)
    return pages_mb(ram + vm_overhead_mb(ram))


# -- starting -------------------------------------------------------------------------------

def start(lab: MigrationLab, host: Host, vm: VmRuntime, target: Host, live: bool,
          rate_limit: fabric.RateLimit | None = None) -> JobRecord:
    kind = "Live migration" if live else "Quick migration"
    blockers = migration_blockers(lab, host, vm, target, live)
    if blockers:
        err: type[HvError] = InvalidStateError
        if live and not host.profile.features.live_migration:
            err = NotSupportedError
        elif any("enough memory" in b for b in blockers):
            err = OutOfMemoryError
        elif any("allows" in b for b in blockers):
            err = ResourceLimitError
        host.log(cl.CH_HIGH_AVAILABILITY, cl.EV_MIGRATION_FAILED, Level.ERROR,
                 f"{kind} of '{vm.name}' to {target.name} did not start: {blockers[0]}", vm)
        raise err(f"{kind} of '{vm.name}' to {target.name} failed.", blockers)
    now = host.lab.sim.now_us
    desc = f"{kind} to {target.name}"
    if live:
        net = _common_network(lab, host, target)
        assert net is not None
        passes = host.profile.migration.max_passes
        memory = float(_assigned_mb(host, vm))
        # The skeleton VM on the target: its memory is reserved first (nothing else has
        # changed if that fails).
        skeleton = _create_partition(target, vm, int(memory))
        job = lab.new_job(LIVE, desc, host.id, vm.id, fabric.LIVE_SETUP_S, True)
        m = Migration(job.id, vm.id, vm.name, host.id, target.id, True, "setup", net.name,
                      memory, passes,
                      None if rate_limit is None else [rate_limit.min_mbit,
                                                       rate_limit.max_mbit,
                                                       rate_limit.step_mbit],
                      phase_left_s=fabric.LIVE_SETUP_S, target_partition=skeleton,
                      last_us=now, started_us=now)
    else:
        storage = cl.storage_of(lab, vm)
        assert storage is not None
        running = vm.state in (VmState.RUNNING, VmState.PAUSED)
        memory = float(_assigned_mb(host, vm)) if running else 0.0
        job = lab.new_job(QUICK, desc, host.id, vm.id, 0.0, running)
        m = Migration(job.id, vm.id, vm.name, host.id, target.id, False,
                      "save" if running else "move", storage.name, memory, 0,
                      to_send_mb=memory, last_us=now, started_us=now,
                      phase_left_s=0.0 if running else fabric.storage_kind(storage.kind).fixed_s)
        if running:
            guest_runner.freeze_guest(host, vm)
            vm.state_before_job = vm.state
            host.set_state(vm, VmState.SAVING, "quick migration")
    vm.job_id = job.id
    first = not lab.migrations
    lab.migrations[job.id] = m
    _estimate(lab, m, job)
    host.log(ev.CH_VMMS, cl.EV_MIGRATED, Level.INFORMATION,
             f"{kind} of '{vm.name}' from {host.name} to {target.name} started.", vm)
    if first:
        _schedule_tick(lab)
    return job


def _create_partition(host: Host, vm: VmRuntime, ram_mb: int) -> int:
    hv = host.hypervisor
    assert hv is not None
    root = hv.ROOT_ID
    pid = int(hv.hypercall(root, "HvCreatePartition", name=vm.name).value)
    hv.hypercall(root, "HvInitializePartition", pid)
    mapped = hv.hypercall(root, "HvMapGpaPages", pid, mb=pages_mb(ram_mb + vm_overhead_mb(ram_mb)),
                          spanning=host.numa_spanning)
    if mapped.status is not HvStatus.SUCCESS:
        hv.hypercall(root, "HvDeletePartition", pid)
        raise OutOfMemoryError(f"'{vm.name}' could not be placed on {host.name}.", [mapped.detail])
    hv.hypercall(root, "HvCreateVp", pid, count=vm.config.cpu_count)
    return pid


def _delete_partition(host: Host, pid: int | None) -> None:
    hv = host.hypervisor
    if pid is not None and hv is not None and pid in hv.partitions:
        hv.hypercall(hv.ROOT_ID, "HvUnmapGpaPages", pid)
        hv.hypercall(hv.ROOT_ID, "HvDeletePartition", pid)


# -- the clock ------------------------------------------------------------------------------

def ensure_clock(lab: MigrationLab) -> None:
    """Migrations in flight have their clock action queued (a lab read back from files
    written before the action was kept gets it again)."""
    if lab.migrations and not any(a.kind == "migration_tick"
                                  for a in lab.sim.queue.pending()):
        _schedule_tick(lab)


def _schedule_tick(lab: MigrationLab) -> None:
    sim = lab.sim
    if not lab.migrations:
        return
    due = sim.now_us + TICK_US
    for m in lab.migrations.values():
        left = _boundary_s(lab, m)
        if left is not None:
            due = min(due, sim.now_us + max(1, seconds_to_us(left)))
    sim.queue.schedule(due, "migration_tick", "", "", {})


def _boundary_s(lab: MigrationLab, m: Migration) -> float | None:
    """Seconds to this migration's next phase boundary at its present rate."""
    if m.phase in ("setup", "move", "blackout"):
        return m.phase_left_s
    rate = m.rate_mb_s or _rate(lab, m)
    return m.to_send_mb / rate if rate > 0 else None


def _rates(lab: MigrationLab) -> None:
    for m in lab.migrations.values():
        m.rate_mb_s = _rate(lab, m)


def _transferring(m: Migration) -> bool:
    return m.phase in ("copy", "blackout", "save", "restore")


def _rate(lab: MigrationLab, m: Migration) -> float:
    active = [o for o in lab.migrations.values() if _transferring(o) or o is m]
    if m.live:
        payload = fabric.network_kind(lab.fabric.networks[m.link].kind).payload_mb_s
        share = max(sum(1 for o in active if o.live and o.link == m.link and end in
                        (o.source, o.target)) for end in (m.source, m.target))
        rate = payload / max(share, 1)
        if m.rate_limit is not None:
            cap = m.rate_limit[1] if m.phase == "blackout" else m.clark_mbit or m.rate_limit[0]
            rate = min(rate, fabric.mbit_to_mb_s(cap))
        return rate
    storage = lab.fabric.storage[m.link]
    share = sum(1 for o in active if not o.live and o.link == m.link)
    return storage.rate_mb_s / max(share, 1)


def on_tick(lab: MigrationLab) -> None:
    now = lab.sim.now_us
    _rates(lab)
    for job_id, m in list(lab.migrations.items()):
        if job_id not in lab.migrations:
            continue
        budget = us_to_seconds(now - m.last_us)
        m.last_us = now
        _advance(lab, m, budget)
        if job_id in lab.migrations:
            job = lab.job_record(job_id)
            if job is not None:
                _estimate(lab, m, job)
    _schedule_tick(lab)


def _advance(lab: MigrationLab, m: Migration, budget: float) -> None:
    eps = 1e-9
    while budget > eps and m.job_id in lab.migrations:
        if m.phase in ("setup", "move", "blackout"):
            used = min(budget, m.phase_left_s)
            m.phase_left_s -= used
            budget -= used
            if m.phase_left_s <= eps:
                _phase_done(lab, m)
            continue
        rate = m.rate_mb_s if m.rate_mb_s > 0 else _rate(lab, m)
        send = min(m.to_send_mb, rate * budget)
        used = send / rate if rate > 0 else budget
        m.to_send_mb -= send
        m.sent_mb += send
        m.pass_elapsed_s += used
        budget -= used
        if m.to_send_mb <= eps:
            _phase_done(lab, m)
            m.rate_mb_s = _rate(lab, m)
    if m.job_id in lab.migrations and m.phase in ("setup", "move", "blackout") \
            and m.phase_left_s <= eps:
        _phase_done(lab, m)


def _found(lab: MigrationLab, m: Migration) -> tuple[Host, VmRuntime, Host]:
    found = lab.find_vm(m.vm_id)
    assert found is not None
    return found[0], found[1], lab.hosts[m.target]


def _phase_done(lab: MigrationLab, m: Migration) -> None:
    host, vm, target = _found(lab, m)
    if m.phase == "setup":
        m.phase = "copy"
        m.to_send_mb = m.pass_size_mb = m.memory_mb
        m.pass_elapsed_s = 0.0
        if m.rate_limit is not None:
            m.clark_mbit = m.rate_limit[0]
    elif m.phase == "copy":
        _end_pass(lab, m, host, vm)
    elif m.phase == "blackout":
        _switch_over(lab, m, host, vm, target)
    elif m.phase == "save":
        saved_state.save_now(host, vm)
        storage = lab.fabric.storage[m.link]
        m.phase = "move"
        m.phase_left_s = fabric.storage_kind(storage.kind).fixed_s
        job = lab.job_record(m.job_id)
        if job is not None:
            job.cancellable = False
    elif m.phase == "move":
        _move_ownership(lab, host, vm, target)
        if vm.state is VmState.SAVED:
            _begin_restore(lab, m, target, vm)
        else:
            _finish(lab, m, target, vm, None)
    elif m.phase == "restore":
        m.downtime_s = us_to_seconds(lab.sim.now_us - m.started_us)
        power.on_job_done(target, vm, m.job_id, Operation.START)
        _finish(lab, m, target, vm, None, job_done=True)


def _end_pass(lab: MigrationLab, m: Migration, host: Host, vm: VmRuntime) -> None:
    elapsed = m.pass_elapsed_s
    m.pass_mb.append(m.pass_size_mb)
    m.pass_s.append(elapsed)
    t = host.lab.sim.table
    kind = WORKLOADS[vm.config.workload]
    dirty = min(m.memory_mb, fabric.dirtied_mb(elapsed, float(t.wl_dirty[vm.slot]),
                                                fabric.wws_mb(m.memory_mb, kind.wws_pct)))
    passes = len(m.pass_mb)
    stop = passes >= m.max_passes
    if m.rate_limit is None:
        stop = stop or dirty <= fabric.RESIDUAL_MB
    else:
        observed = dirty * 8 / elapsed if elapsed > 0 else 0.0
        next_mbit = max(m.rate_limit[0], observed + m.rate_limit[2])
        stop = (stop or dirty * fabric.PAGES_PER_MB < fabric.CLARK_MIN_PAGES
                or next_mbit > m.rate_limit[1]
                or m.sent_mb + dirty > fabric.CLARK_MAX_FACTOR * m.memory_mb)
        m.clark_mbit = next_mbit
    if stop:
        m.residual_mb = dirty
        m.phase = "blackout"
        rate = _rate(lab, m)
        m.phase_left_s = dirty / rate + fabric.SWITCHOVER_S
        m.downtime_s = m.phase_left_s
        m.sent_mb += dirty
        guest_runner.freeze_guest(host, vm)
        job = lab.job_record(m.job_id)
        if job is not None:
            job.cancellable = False
    else:
        m.to_send_mb = m.pass_size_mb = dirty
        m.pass_elapsed_s = 0.0


def _move_ownership(lab: MigrationLab, host: Host, vm: VmRuntime, target: Host) -> None:
    """The VM's record goes to ``target`` (its partition, if any, must already be there or
    gone)."""
    sim = host.lab.sim
    guest_runner.freeze_guest(host, vm)
    sim.queue.remove_where(host.id, vm.id)
    for mac in vm.macs.values():
        host.net.mac_pool.release(mac)
        target.net.mac_pool.leased.add(mac)
    del host.vms[vm.id]
    target.vms[vm.id] = vm
    sim.table.host[vm.slot] = target.index
    tables.sync_table(target, vm)
    lab.publish(ev.VmListChanged(sim.now_us, host.id, vm.id, "removed"))
    lab.publish(ev.VmListChanged(sim.now_us, target.id, vm.id, "added"))


def _begin_restore(lab: MigrationLab, m: Migration, target: Host, vm: VmRuntime) -> None:
    assert vm.saved_state is not None
    ram = vm.saved_state.memory_mb
    try:
        pid = _create_partition(target, vm, ram)
    except OutOfMemoryError as err:
        _finish(lab, m, target, vm, f"'{vm.name}' could not be restored on {target.name}: "
                                    f"{' '.join(err.details)}")
        return
    vm.partition_id = pid
    partitions.sync_vmbus(target, vm)
    target.lab.sim.table.memory_assigned_mb[vm.slot] = ram
    vm.state_before_job = VmState.SAVED
    target.set_state(vm, VmState.STARTING, "quick migration")
    m.phase = "restore"
    m.to_send_mb = float(ram)


def _switch_over(lab: MigrationLab, m: Migration, host: Host, vm: VmRuntime,
                 target: Host) -> None:
    ram = int(host.lab.sim.table.memory_assigned_mb[vm.slot])
    partitions.destroy_partition(host, vm)
    _move_ownership(lab, host, vm, target)
    vm.partition_id = m.target_partition
    m.target_partition = None
    target.lab.sim.table.memory_assigned_mb[vm.slot] = ram
    partitions.sync_vmbus(target, vm)
    guest_runner.thaw_guest(target, vm)
    _finish(lab, m, target, vm, None)


def _finish(lab: MigrationLab, m: Migration, node: Host, vm: VmRuntime, error: str | None,
            job_done: bool = False) -> None:
    job = lab.job_record(m.job_id)
    m.finished_us = lab.sim.now_us
    m.phase = "done"
    m.outcome = "failed" if error else "completed"
    lab.migrations.pop(m.job_id, None)
    lab.finished_migrations.append(m)
    del lab.finished_migrations[:-50]
    if vm.job_id == m.job_id:
        vm.job_id = None
        vm.state_before_job = None
    if job is not None and not job_done and not job.state.finished:
        lab.finish_job(job, error)
    kind = "Live migration" if m.live else "Quick migration"
    if error:
        node.log(cl.CH_HIGH_AVAILABILITY, cl.EV_MIGRATION_FAILED, Level.ERROR, error, vm)
    else:
        node.log(ev.CH_VMMS, cl.EV_MIGRATED, Level.INFORMATION,
                 f"{kind} of '{vm.name}' to {node.name} completed in "
                 f"{us_to_seconds(m.finished_us - m.started_us):.1f} s; the virtual machine "
                 f"was unreachable for {m.downtime_s * 1000:.0f} ms.", vm)


def _estimate(lab: MigrationLab, m: Migration, job: JobRecord) -> None:
    """The job's progress and expected end (never before the next tick)."""
    now = lab.sim.now_us
    if m.live:
        done = {"setup": 0.03, "blackout": 0.97}.get(m.phase)
        if done is None:
            first = m.memory_mb - (m.to_send_mb if len(m.pass_mb) == 0 else 0.0)
            done = 0.05 + 0.85 * min(first / m.memory_mb, 1.0) if m.memory_mb else 0.9
            if m.pass_mb:
                done = min(0.95, 0.9 + 0.005 * len(m.pass_mb))
    else:
        total = 2 * m.memory_mb or 1.0
        done = {"save": (m.memory_mb - m.to_send_mb) / total * 0.9,
                "move": 0.45, "restore": 0.5 + (m.memory_mb - m.to_send_mb) / total * 0.9,
                }.get(m.phase, 0.99)
    job.file_progress = max(0.0, min(done, 0.99))
    left = _boundary_s(lab, m) or 0.0
    job.expected_end_us = max(now + TICK_US, now + seconds_to_us(left))


# -- cancelling and aborting ----------------------------------------------------------------

def cancel(lab: MigrationLab, job: JobRecord) -> None:
    """Cancel a migration before its point of no return: the VM runs on where it was, its
    memory on the target freed."""
    m = lab.migrations.get(job.id)
    if m is None or job.state.finished or not job.cancellable:
        raise InvalidStateError("The job cannot be cancelled.",
                                [f"{job.description} cannot be cancelled now."])
    host, vm, target = _found(lab, m)
    abort(lab, m, "The operation was cancelled.", cancelled=True)
    host.log(cl.CH_HIGH_AVAILABILITY, cl.EV_MIGRATION_FAILED, Level.WARNING,
             f"The migration of '{vm.name}' to {target.name} was cancelled; the virtual machine "
             f"is still running on {host.name}.", vm)


def abort(lab: MigrationLab, m: Migration, reason: str, cancelled: bool = False) -> None:
    """Stop a migration: the VM stays with the node that owns it (running if it was)."""
    found = lab.find_vm(m.vm_id)
    job = lab.job_record(m.job_id)
    target = lab.hosts.get(m.target)
    if m.live and target is not None:
        _delete_partition(target, m.target_partition)
        m.target_partition = None
    lab.migrations.pop(m.job_id, None)
    m.phase = "done"
    m.outcome = "cancelled" if cancelled else "failed"
    m.finished_us = lab.sim.now_us
    lab.finished_migrations.append(m)
    if found is not None:
        host, vm = found
        if vm.job_id == m.job_id:
            if vm.state is VmState.SAVING and host.hypervisor is not None:
                previous = vm.state_before_job or VmState.RUNNING
                host.set_state(vm, previous, "migration cancelled")
                if previous is VmState.RUNNING:
                    guest_runner.thaw_guest(host, vm)
            elif m.live and vm.state is VmState.RUNNING:
                guest_runner.thaw_guest(host, vm)
            vm.job_id = None
            vm.state_before_job = None
    if job is not None and not job.state.finished:
        lab.cancel_job_record(job, reason, failed=not cancelled)


def abort_involving(lab: MigrationLab, host: Host, reason: str) -> None:
    """A node went down: every migration to or from it stops, but a quick migration whose
    VM is already restoring on another node no longer needs its source."""
    for m in [m for m in lab.migrations.values() if host.id in (m.source, m.target)]:
        if not (m.phase == "restore" and host.id == m.source):
            abort(lab, m, reason)

