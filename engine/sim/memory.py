"""The host's physical memory map, per NUMA node, without overcommit.

Every megabyte of every node belongs to exactly one owner: the hypervisor, the root
partition, one child partition, or nobody (free).  The map is a sorted list of extents per
node; allocation never hands out memory that has an owner, so the sum of what partitions own
can never exceed the host's RAM.  Sizes are in MB and always whole 2 MB large pages, the
unit Hyper-V backs guest RAM with.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_MB = 2
FREE = "free"
HYPERVISOR = "hypervisor"
ROOT = "root"


def pages_mb(mb: int) -> int:
    """``mb`` rounded up to whole large pages."""
    return -(-mb // PAGE_MB) * PAGE_MB


@dataclass(frozen=True)
class Extent:
    """``size_mb`` MB of node ``node`` starting at ``start_mb`` (node-relative), one owner."""

    node: int
    start_mb: int
    size_mb: int
    owner: str

    @property
    def end_mb(self) -> int:
        return self.start_mb + self.size_mb


class MemoryShortageError(Exception):
    """Raised by :meth:`MemoryMap.allocate`; the caller turns it into the user's message."""

    def __init__(self, needed_mb: int, free_mb: int, largest_node_free_mb: int, spanning: bool):
        self.needed_mb = needed_mb
        self.free_mb = free_mb
        self.largest_node_free_mb = largest_node_free_mb
        self.spanning = spanning
        super().__init__(
            f"need {needed_mb} MB, {free_mb} MB free"
            + ("" if spanning else f", largest NUMA node has {largest_node_free_mb} MB free")
        )


class MemoryMap:
    """Owner of every page range of host RAM."""

    def __init__(self, node_sizes_mb: dict[int, int]) -> None:
        self._nodes: dict[int, list[Extent]] = {
            node: [Extent(node, 0, size, FREE)] for node, size in sorted(node_sizes_mb.items())
        }
        self._sizes = dict(node_sizes_mb)
        # Running totals, so admission checks and the balancer never rescan the extents.
        self._free = dict(node_sizes_mb)
        self._owned: dict[str, int] = {}

    # -- queries ---------------------------------------------------------------------
    @property
    def total_mb(self) -> int:
        return sum(self._sizes.values())

    def nodes(self) -> list[int]:
        return list(self._nodes)

    def node_size_mb(self, node: int) -> int:
        return self._sizes[node]

    def extents(self) -> list[Extent]:
        return [e for node in self._nodes.values() for e in node]

    def free_mb(self, node: int | None = None) -> int:
        return sum(self._free.values()) if node is None else self._free[node]

    def owned_mb(self, owner: str, node: int | None = None) -> int:
        if owner == FREE:
            return self.free_mb(node)
        if node is None:
            return self._owned.get(owner, 0)
        return sum(e.size_mb for e in self._nodes[node] if e.owner == owner)

    def owners(self) -> dict[str, int]:
        out = {o: mb for o, mb in self._owned.items() if mb}
        out[FREE] = self.free_mb()
        return out

    def largest_node_free_mb(self) -> int:
        return max((self.free_mb(n) for n in self._nodes), default=0)

    def fits(self, mb: int, spanning: bool) -> bool:
        mb = pages_mb(mb)
        return self.free_mb() >= mb if spanning else self.largest_node_free_mb() >= mb

    # -- changes ---------------------------------------------------------------------
    def allocate(self, owner: str, mb: int, *, spanning: bool, node: int | None = None) -> None:
        """Give ``mb`` (rounded to pages) of free memory to ``owner``.

        Prefers one node (``node`` if given and it fits, else the one with most free memory);
        spans nodes only when ``spanning`` is true.  Raises :class:`MemoryShortageError` and
        changes nothing when it does not fit.
        """
        if owner == FREE:
            raise ValueError("cannot allocate to 'free'")
        mb = pages_mb(mb)
        if mb <= 0:
            return
        by_free = sorted(self._nodes, key=lambda n: (-self.free_mb(n), n))
        if node is not None and node in self._nodes and self.free_mb(node) >= mb:
            self._take(owner, node, mb)
            return
        if by_free and self.free_mb(by_free[0]) >= mb:
            self._take(owner, by_free[0], mb)
            return
        if not spanning or self.free_mb() < mb:
            raise MemoryShortageError(mb, self.free_mb(), self.largest_node_free_mb(), spanning)
        remaining = mb
        for n in by_free:
            part = min(remaining, self.free_mb(n))
            if part:
                self._take(owner, n, part)
                remaining -= part
            if not remaining:
                break

    def release(self, owner: str, mb: int | None = None) -> int:
        """Free ``mb`` MB of ``owner``'s memory (all of it when None); returns MB freed.

        Partial releases give back the highest addresses first, as a balloon driver would.
        """
        if owner == FREE:
            raise ValueError("cannot release 'free'")
        want = self.owned_mb(owner) if mb is None else min(pages_mb(mb), self.owned_mb(owner))
        if want <= 0:
            return 0
        freed = 0
        for node in sorted(self._nodes, reverse=True):
            extents = self._nodes[node]
            for i in range(len(extents) - 1, -1, -1):
                if freed >= want:
                    break
                e = extents[i]
                if e.owner != owner:
                    continue
                give = min(e.size_mb, want - freed)
                keep = e.size_mb - give
                pieces = []
                if keep:
                    pieces.append(Extent(node, e.start_mb, keep, owner))
                pieces.append(Extent(node, e.start_mb + keep, give, FREE))
                extents[i : i + 1] = pieces
                freed += give
                self._free[node] += give
                self._owned[owner] -= give
            self._coalesce(node)
        return freed

    def _take(self, owner: str, node: int, mb: int) -> None:
        extents = self._nodes[node]
        remaining = mb
        i = 0
        while remaining and i < len(extents):
            e = extents[i]
            if e.owner != FREE:
                i += 1
                continue
            take = min(e.size_mb, remaining)
            pieces = [Extent(node, e.start_mb, take, owner)]
            if e.size_mb > take:
                pieces.append(Extent(node, e.start_mb + take, e.size_mb - take, FREE))
            extents[i : i + 1] = pieces
            remaining -= take
            self._free[node] -= take
            self._owned[owner] = self._owned.get(owner, 0) + take
            i += 1
        if remaining:  # pragma: no cover - guarded by the callers' free checks
            raise AssertionError("memory map accounting is inconsistent")
        self._coalesce(node)

    def _coalesce(self, node: int) -> None:
        merged: list[Extent] = []
        for e in self._nodes[node]:
            if merged and merged[-1].owner == e.owner and merged[-1].end_mb == e.start_mb:
                last = merged.pop()
                e = Extent(node, last.start_mb, last.size_mb + e.size_mb, e.owner)
            merged.append(e)
        self._nodes[node] = merged

    # -- checks and persistence ------------------------------------------------------------
    def check_invariants(self) -> None:
        """Raise AssertionError unless every node is covered exactly once, in order."""
        for node, extents in self._nodes.items():
            pos = 0
            for e in extents:
                assert e.node == node, f"extent on node {e.node} listed under {node}"
                assert e.start_mb == pos, f"gap or overlap at {node}:{pos} MB"
                assert e.size_mb > 0, "empty extent"
                assert e.size_mb % PAGE_MB == 0 or e.end_mb == self._sizes[node]
                pos = e.end_mb
            assert pos == self._sizes[node], f"node {node} covers {pos} of {self._sizes[node]} MB"
            free = sum(e.size_mb for e in extents if e.owner == FREE)
            assert free == self._free[node], f"node {node} free total drifted"
        owned: dict[str, int] = {}
        for e in self.extents():
            if e.owner != FREE:
                owned[e.owner] = owned.get(e.owner, 0) + e.size_mb
        assert owned == {o: mb for o, mb in self._owned.items() if mb}, "owner totals drifted"

    def to_dict(self) -> dict[str, object]:
        return {
            "nodes": {str(n): s for n, s in self._sizes.items()},
            "extents": [[e.node, e.start_mb, e.size_mb, e.owner] for e in self.extents()],
        }

    @staticmethod
    def from_dict(d: dict[str, object]) -> MemoryMap:
        nodes = d["nodes"]
        extents = d["extents"]
        assert isinstance(nodes, dict) and isinstance(extents, list)
        m = MemoryMap({int(k): int(v) for k, v in nodes.items()})
        for node in m._nodes:
            m._nodes[node] = []
        m._owned = {}
        for node, start, size, owner in extents:
            m._nodes[int(node)].append(Extent(int(node), int(start), int(size), str(owner)))
            if owner == FREE:
                continue
            m._owned[str(owner)] = m._owned.get(str(owner), 0) + int(size)
        m._free = {n: sum(e.size_mb for e in ex if e.owner == FREE) for n, ex in m._nodes.items()}
        m.check_invariants()
        return m


def vm_overhead_mb(ram_mb: int) -> int:
    """Per-VM overhead: 32 MB for the first GB of guest RAM plus 8 MB per further GB."""
    extra_gb = max(0, -(-(ram_mb - 1024) // 1024))
    return 32 + 8 * extra_gb
