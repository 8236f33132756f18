"""``hvctl`` commands for several hosts and the failover cluster: hosts, networks, shared
storage, the cluster, highly available VMs, migrations and node failure (docs/cli.md)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hvlab.engine.api import NETWORKS, STORAGE, HvError, Job, JobState, Number, load_profiles
from hvlab.hvctl import arguments as num
from hvlab.hvctl import output

if TYPE_CHECKING:
    from hvlab.engine.api import ClusterInfo, Library, MigrationInfo
    from hvlab.hvctl.terminal import Printer

Sub = Callable[[Any, str, str], argparse.ArgumentParser]
SPINDLES = Number("The number of spindles", 1, 256, why="the disks behind the storage")
LIVE_MIGRATIONS = Number("Simultaneous live migrations", 1, 64,
                         why="2008 R2 allows one; later releases set it per host")


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def add_parsers(top: Any, host_actions: Any, vm_actions: Any, sub: Sub) -> None:
    add = sub(host_actions, "add", "add a host (a cluster node) to the lab")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--profile", required=True, choices=tuple(load_profiles()),
                     help="the host's release (see `hvctl profile list`)")
    add.add_argument("--ram-gb", type=num.HOST_RAM_GB, metavar="N")
    rm = sub(host_actions, "remove", "take a host without VMs out of the lab")
    rm.add_argument("name", metavar="NAME")
    sub(host_actions, "list", "list the lab's hosts")
    lm = sub(host_actions, "live-migrations", "simultaneous live migrations of a node "
                                              "(Set-VMHost -MaximumVirtualMachineMigrations)")
    lm.add_argument("name", metavar="NAME")
    lm.add_argument("count", type=LIVE_MIGRATIONS, metavar="N")

    net = sub(top, "network", "networks joining the hosts")
    ns = net.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(ns, "list", "list the networks")
    nadd = sub(ns, "add", "add a network joining hosts")
    nadd.add_argument("name", metavar="NAME")
    nadd.add_argument("--kind", required=True, choices=tuple(NETWORKS))
    nadd.add_argument("--hosts", required=True, type=_names, metavar="A,B,...")

    st = sub(top, "shared-storage", "shared storage the hosts reach (iSCSI, Fibre Channel)")
    ss = st.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(ss, "list", "list the shared storage")
    sadd = sub(ss, "add", "add shared storage; VM files under PATH are on it")
    sadd.add_argument("name", metavar="NAME")
    sadd.add_argument("--kind", required=True, choices=tuple(STORAGE))
    sadd.add_argument("--spindles", required=True, type=SPINDLES, metavar="N")
    sadd.add_argument("--path", required=True, metavar="PATH",
                      help=r"e.g. C:\ClusterStorage\Volume1")
    sadd.add_argument("--hosts", required=True, type=_names, metavar="A,B,...")

    cl = sub(top, "cluster", "the failover cluster (Failover Cluster Manager)")
    cs = cl.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(cs, "show", "show the cluster, its nodes, quorum and highly available VMs")
    val = sub(cs, "validate", "Validate a Configuration: list every failure")
    val.add_argument("nodes", metavar="NODE", nargs="+")
    new = sub(cs, "create", "validate and create the cluster")
    new.add_argument("name", metavar="NAME")
    new.add_argument("nodes", metavar="NODE", nargs="+")
    new.add_argument("--quorum", choices=("node-majority", "node-and-disk-majority"))
    new.add_argument("--witness", metavar="STORAGE", help="the witness disk")
    an = sub(cs, "add-node", "validate a host and add it to the cluster")
    an.add_argument("node", metavar="NODE")
    con = sub(cs, "connect", "cable a host to networks and shared storage")
    con.add_argument("host", metavar="HOST")
    con.add_argument("names", metavar="NAME", nargs="+")
    sub(cs, "migrations", "migrations in flight and the last ones finished")

    node = sub(top, "node", "a cluster node failing and coming back")
    nds = node.add_subparsers(dest="command", metavar="ACTION", required=True)
    fail = sub(nds, "fail", "power the node off (or crash it): its VMs stop at once")
    fail.add_argument("name", metavar="NAME")
    fail.add_argument("--crash", action="store_true", help="a bugcheck rather than power loss")
    res = sub(nds, "restore", "power the failed node on; it rejoins the cluster")
    res.add_argument("name", metavar="NAME")
    res.add_argument("--wait", action="store_true", help="advance time until it is up")

    ha = sub(vm_actions, "ha", "make a VM highly available (its files on shared storage)")
    ha.add_argument("name", metavar="NAME")
    ha.add_argument("--priority", choices=("high", "medium", "low"), default="medium")
    mig = sub(vm_actions, "migrate", "move a highly available VM to another node "
                                     "(Move-VM; live or quick migration)")
    mig.add_argument("name", metavar="NAME")
    mig.add_argument("--to", required=True, metavar="NODE")
    how = mig.add_mutually_exclusive_group(required=True)
    how.add_argument("--live", action="store_true", help="live migration (2008 R2 and later)")
    how.add_argument("--quick", action="store_true", help="quick migration (save, move, "
                                                          "restore)")
    mig.add_argument("--wait", action="store_true",
                     help="advance simulated time until the migration ends")


def _asdict(record: Any) -> Any:
    return dataclasses.asdict(record)


def _hosts(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    if args.command == "add":
        api.add_host(args.name, args.profile, ram_gb=args.ram_gb)
    elif args.command == "remove":
        api.remove_host(args.name)
    elif args.command == "live-migrations":
        api.set_live_migrations(args.name, args.count)
    hosts = api.hosts()
    cluster = api.cluster()
    states = {n.id: n.state for n in cluster.nodes} if cluster else {}
    out.emit([output.host_json(h) for h in hosts], output.table(
        ["Name", "Profile", "RAM (MB)", "Available (MB)", "VMs", "Cluster node"],
        [[h.name, h.profile_name, f"{h.memory_total_mb:,}", f"{h.memory_available_mb:,}",
          h.vm_count, states.get(h.id, "")] for h in hosts], right=(2, 3, 4)))
    return 0


def _networks(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    names = {h.id: h.name for h in api.hosts()}
    if args.area == "network":
        if args.command == "add":
            api.add_network(args.name, args.kind, args.hosts)
        nets = api.networks()
        out.emit([_asdict(n) for n in nets], output.table(
            ["Network", "Kind", "MB/s", "Hosts"],
            [[n.name, n.kind_name, f"{n.payload_mb_s:,.0f}",
              ", ".join(names[h] for h in n.hosts)] for n in nets], right=(2,)))
        return 0
    if args.command == "add":
        api.add_shared_storage(args.name, args.kind, args.spindles, args.path, args.hosts)
    stores = api.shared_storage()
    out.emit([_asdict(s) for s in stores], output.table(
        ["Storage", "Kind", "Spindles", "MB/s", "Path", "Hosts"],
        [[s.name, s.kind_name, s.spindles, f"{s.rate_mb_s:,.0f}", s.path,
          ", ".join(names[h] for h in s.hosts)] for s in stores], right=(2, 3)))
    return 0


def _cluster_text(lib: Library, c: ClusterInfo) -> str:
    names = {h.id: h.name for h in lib.api.hosts()}
    head = output.fields([
        ("Cluster", c.name), ("Quorum", c.quorum + (f" (witness {c.witness})" if c.witness
                                                    else "")),
        ("Votes", f"{c.votes_present} of {c.votes_total}"
                  + ("" if c.has_quorum else " - quorum lost")),
        ("Cluster Shared Volumes", "yes" if c.cluster_shared_volumes else "no")])
    nodes = output.table(["Node", "State"], [[n.name, n.state] for n in c.nodes])
    roles = output.table(["Highly available VM", "Priority", "Owner"],
                         [[name, priority, names.get(owner, owner)]
                          for _, name, priority, owner in c.roles]) if c.roles else \
        "No highly available virtual machines."
    return f"{head}\n\n{nodes}\n\n{roles}"


def _migration_json(m: MigrationInfo) -> dict[str, Any]:
    data: dict[str, Any] = dataclasses.asdict(m)
    return data


def _migration_text(lib: Library, m: MigrationInfo) -> str:
    names = {h.id: h.name for h in lib.api.hosts()}
    kind = "Live" if m.live else "Quick"
    pairs: list[tuple[str, object]] = [
        ("Migration", f"{kind} migration of '{m.vm_name}' from {names.get(m.source)} to "
                      f"{names.get(m.target)} (job {m.job_id})"),
        ("Phase", m.phase if m.phase != "done" else m.outcome)]
    if m.live:
        pairs.append(("Passes", ", ".join(f"{mb:,.1f} MB" for mb in m.pass_mb) or "-"))
    pairs.append(("Sent", f"{m.sent_mb:,.1f} MB of {m.memory_mb:,.0f} MB memory"))
    if m.finished_s is not None:
        pairs.append(("Total time", f"{m.finished_s - m.started_s:.2f} s"))
        if m.outcome == "completed":
            pairs.append(("Downtime", f"{m.downtime_s * 1000:,.0f} ms"))
    return output.fields(pairs)


def _cluster(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    cmd = args.command
    if cmd == "validate":
        failures = api.validate_cluster(args.nodes)
        out.emit({"passed": not failures, "failures": failures},
                 "\n".join(f"FAILED  {f}" for f in failures) if failures else
                 "Validation passed: the hosts can form a failover cluster.")
        return 1 if failures else 0
    if cmd == "migrations":
        ms = api.migrations()
        out.emit([_migration_json(m) for m in ms],
                 "\n\n".join(_migration_text(lib, m) for m in ms) or "No migrations.")
        return 0
    if cmd == "create":
        api.create_cluster(args.name, args.nodes, quorum=args.quorum, witness=args.witness)
    elif cmd == "add-node":
        api.add_cluster_node(args.node)
    elif cmd == "connect":
        api.connect_host(args.host, args.names)
    cluster = api.cluster()
    if cluster is None:
        out.emit(None, "This lab has no failover cluster.")
        return 0
    out.emit(_asdict(cluster), _cluster_text(lib, cluster))
    return 0


def _node(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    job: Job | None = None
    if args.command == "fail":
        api.fail_node(args.name, mode="crash" if args.crash else "power-off")
        text = (f"The node {args.name} is down; the cluster notices when its heartbeats "
                "stop and restarts its highly available VMs elsewhere.")
    else:
        job = api.restore_node(args.name)
        if args.wait:
            job = api.wait(job)
        text = f"The node {args.name} is starting (job {job.id})." \
            if job.state is JobState.RUNNING else f"The node {args.name} is up."
    h = api.host(args.name)
    out.emit({"host": output.host_json(h), "job": output.job_json(job)}, text)
    return 0


def _vm(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    if args.command == "ha":
        cluster = api.make_highly_available(args.name, priority=args.priority)
        out.emit(_asdict(cluster), f"'{api.vm(args.name).name}' is highly available "
                                   f"(priority {args.priority.title()}).")
        return 0
    job = api.migrate_vm(args.name, args.to, live=args.live)
    if args.wait:
        job = api.wait(job)
    m = api.migration(job.id)
    out.emit({"job": output.job_json(job), "migration": _migration_json(m)},
             _migration_text(lib, m))
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        raise HvError(f"{job.description} {job.state.value.lower()}.",
                      [job.error] if job.error else [])
    return 0


HANDLERS: dict[tuple[str, str | None], Callable[..., int]] = {
    **{("host", name): _hosts for name in ("add", "remove", "list", "live-migrations")},
    **{("network", name): _networks for name in ("add", "list")},
    **{("shared-storage", name): _networks for name in ("add", "list")},
    **{("cluster", name): _cluster for name in ("show", "validate", "create", "add-node",
                                                "connect", "migrations")},
    **{("node", name): _node for name in ("fail", "restore")},
    ("vm", "ha"): _vm,
    ("vm", "migrate"): _vm,
}
