"""The failover cluster: networks and shared storage between hosts, cluster validation and
creation, highly available VMs, quick and live migration, node failure and restore."""

from __future__ import annotations

from collections.abc import Sequence

from hvlab.engine import bounds, fabric
from hvlab.engine.api.cluster_records import (
    ClusterInfo,
    ClusterNodeInfo,
    MigrationInfo,
    NetworkInfo,
    SharedStorageInfo,
)
from hvlab.engine.api.records import host_info
from hvlab.engine.api.surface import ApiCore, command, query
from hvlab.engine.api.types import HostInfo
from hvlab.engine.errors import NotFoundError, ValidationError
from hvlab.engine.jobs import Job
from hvlab.engine.sim.clock import us_to_seconds
from hvlab.engine.vmms import cluster as cl
from hvlab.engine.vmms import failover
from hvlab.engine.vmms import migration as mig


class ClusterCalls(ApiCore):
    """Several hosts working as one: the fabric, the cluster, migrations and failures."""

    # -- networks and storage -------------------------------------------------------------
    @query
    def networks(self) -> list[NetworkInfo]:
        out = []
        for n in self.lab.fabric.networks.values():
            kind = fabric.network_kind(n.kind)
            out.append(NetworkInfo(n.name, n.kind, kind.name, kind.payload_mb_s,
                                   kind.latency_ms, tuple(n.hosts)))
        return out

    @query
    def shared_storage(self) -> list[SharedStorageInfo]:
        out = []
        for s in self.lab.fabric.storage.values():
            kind = fabric.storage_kind(s.kind)
            out.append(SharedStorageInfo(s.name, s.kind, kind.name, s.spindles, s.path,
                                         s.rate_mb_s, tuple(s.hosts)))
        return out

    @command
    def add_network(self, name: str, kind: str, hosts: Sequence[str]) -> NetworkInfo:
        """A network ("1gbe" or "10gbe") joining ``hosts`` (names or ids)."""
        net = cl.add_network(self.lab, name, kind, list(hosts))
        return next(n for n in self.networks() if n.name == net.name)

    @command
    def add_shared_storage(self, name: str, kind: str, spindles: int, path: str,
                           hosts: Sequence[str]) -> SharedStorageInfo:
        """Shared storage ("iscsi-1gbe", "fc-2gb", "fc-4gb") with ``spindles`` disks; VM
        files under ``path`` are on it."""
        spindles = bounds.whole("spindles", "The number of spindles", spindles, 1,
                                fabric.MAX_SPINDLES)
        st = cl.add_storage(self.lab, name, kind, spindles, path, list(hosts))
        return next(s for s in self.shared_storage() if s.name == st.name)

    @command
    def remove_host(self, host: str) -> None:
        """Take a host out of the lab (it must hold no VM and be in no cluster)."""
        self.lab.remove_host(self._host(host))

    @command
    def connect_host(self, host: str, names: Sequence[str]) -> None:
        """Cable a host to the named networks and shared storage."""
        cl.connect(self.lab, self._host(host), list(names))

    # -- the cluster -------------------------------------------------------------------------
    @query
    def validate_cluster(self, hosts: Sequence[str]) -> list[str]:
        """Validate a Configuration: every failure, one by one (empty: it passes)."""
        return cl.validate(self.lab, [self._host(h) for h in hosts])

    @command
    def create_cluster(self, name: str, hosts: Sequence[str], *, quorum: str | None = None,
                       witness: str | None = None) -> ClusterInfo:
        """Create the failover cluster after validating ``hosts``.  ``quorum``:
        "node-majority" or "node-and-disk-majority" (default: node majority for an odd
        number of nodes, else node and disk majority with ``witness`` as the witness disk)."""
        cl.create(self.lab, name, [self._host(h) for h in hosts], quorum, witness)
        return self._cluster_info()

    @command
    def add_cluster_node(self, host: str) -> ClusterInfo:
        cl.add_node(self.lab, self._host(host))
        return self._cluster_info()

    @query
    def cluster(self) -> ClusterInfo | None:
        return None if self.lab.fabric.cluster is None else self._cluster_info()

    def _cluster_info(self) -> ClusterInfo:
        c = cl.require_cluster(self.lab)
        nodes = []
        for node_id in c.nodes:
            h = self.lab.hosts[node_id]
            state = "Down" if node_id in c.down else "Failed" if h.failed else "Up"
            nodes.append(ClusterNodeInfo(h.id, h.name, state, h.max_live_migrations))
        roles = []
        for vm_id, priority in c.roles.items():
            found = self.lab.find_vm(vm_id)
            if found is not None:
                roles.append((vm_id, found[1].name, cl.priority_name(priority), found[0].id))
        up, total = cl.votes(self.lab)
        return ClusterInfo(c.name, tuple(nodes), c.quorum, c.witness, up, total, up * 2 > total,
                           c.csv, tuple(roles))

    @command
    def make_highly_available(self, vm: str, *, priority: str = "medium") -> ClusterInfo:
        """Add the VM to the cluster as a highly available virtual machine (its disks must
        be on shared storage every node reaches)."""
        host, v = self._resolve(vm)
        cl.make_highly_available(self.lab, host, v, priority)
        return self._cluster_info()

    @command
    def set_live_migrations(self, host: str, count: int) -> HostInfo:
        """How many live migrations the node takes part in at once (Hyper-V Settings ▸
        Live Migrations; 2008 R2 allows one)."""
        h = self._host(host)
        if not h.profile.features.live_migration:
            raise ValidationError("count", f"{h.profile.name} has no live migration.")
        top = 1 if h.profile.migration.simultaneous == 1 else 64
        h.max_live_migrations = bounds.whole("count", "Simultaneous live migrations", count,
                                             1, top)
        return host_info(h)

    # -- migrations ------------------------------------------------------------------------
    @query
    def migration_blockers(self, vm: str, to: str, *, live: bool = True) -> list[str]:
        """Why the VM cannot move to node ``to`` now (empty: it can): the console's reason
        for a disabled action and the command's error come from here."""
        host, v = self._resolve(vm)
        return mig.migration_blockers(self.lab, host, v, self._host(to), live)

    @command
    def migrate_vm(self, vm: str, to: str, *, live: bool = True,
                   rate_limit_mbit: tuple[float, float] | None = None) -> Job:
        """Live or quick migration of a highly available VM to node ``to``: a job with
        progress (and Cancel until the blackout or the move of the disk).
        ``rate_limit_mbit``: Clark 2005's dynamic rate limiting (min, max), for teaching;
        Hyper-V uses the whole link."""
        host, v = self._resolve(vm)
        limit = None if rate_limit_mbit is None else fabric.RateLimit(*rate_limit_mbit)
        job = mig.start(self.lab, host, v, self._host(to), live, limit)
        return job.view(self.lab.sim.now_us)

    @query
    def migrations(self, *, active_only: bool = False) -> list[MigrationInfo]:
        """Migrations in flight, then (unless ``active_only``) the last ones finished."""
        items = list(self.lab.migrations.values())
        if not active_only:
            items += list(reversed(self.lab.finished_migrations))
        return [self._migration_info(m) for m in items]

    @query
    def migration(self, job_id: int) -> MigrationInfo:
        for m in (*self.lab.migrations.values(), *reversed(self.lab.finished_migrations)):
            if m.job_id == job_id:
                return self._migration_info(m)
        raise NotFoundError(f"No migration with job id {job_id}.")

    def _migration_info(self, m: mig.Migration) -> MigrationInfo:
        left = m.to_send_mb if m.phase in ("copy", "save", "restore") else \
            m.residual_mb if m.phase == "blackout" else 0.0
        return MigrationInfo(
            m.job_id, m.vm_id, m.vm_name, m.source, m.target, m.live, m.phase, m.pass_number,
            round(left * fabric.PAGES_PER_MB), tuple(m.pass_mb), tuple(m.pass_s), m.residual_mb,
            m.sent_mb, m.memory_mb, m.downtime_s, m.rate_mb_s, us_to_seconds(m.started_us),
            None if m.finished_us is None else us_to_seconds(m.finished_us), m.outcome)

    # -- node failure ------------------------------------------------------------------------
    @command
    def fail_node(self, host: str, *, mode: str = "power-off") -> HostInfo:
        """Power the node off ("power-off") or crash it ("crash"): its VMs stop at once;
        the cluster restarts the highly available ones elsewhere once it notices."""
        h = self._host(host)
        failover.fail_node(self.lab, h, mode)
        return host_info(h)

    @command
    def restore_node(self, host: str) -> Job:
        """Power a failed node on: it boots and rejoins the cluster."""
        h = self._host(host)
        return failover.restore_node(self.lab, h).view(self.lab.sim.now_us)
