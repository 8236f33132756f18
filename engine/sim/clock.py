"""Simulated time: an integer microsecond clock and a queue of discrete actions.

Nothing in the engine reads wall time.  ``ActionQueue`` orders actions by (time, sequence),
so two runs with the same seed fire the same actions in the same order.  Actions are plain
data (kind, target, data) and are dispatched by kind, which keeps the queue serialisable.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from typing import Any

US_PER_S = 1_000_000


def seconds_to_us(seconds: float) -> int:
    return round(seconds * US_PER_S)


def us_to_seconds(us: int) -> float:
    return us / US_PER_S


@dataclass(frozen=True, order=True)
class ScheduledAction:
    """One discrete step to fire at ``time_us``; ``seq`` breaks ties in scheduling order."""

    time_us: int
    seq: int
    kind: str = field(compare=False)
    host_id: str = field(compare=False)
    target: str = field(compare=False, default="")
    data: dict[str, Any] = field(compare=False, default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ScheduledAction:
        return ScheduledAction(
            int(d["time_us"]),
            int(d["seq"]),
            str(d["kind"]),
            str(d["host_id"]),
            str(d.get("target", "")),
            dict(d.get("data", {})),
        )


class ActionQueue:
    """A min-heap of :class:`ScheduledAction`, ordered by time then sequence."""

    def __init__(self) -> None:
        self._heap: list[ScheduledAction] = []
        self._next_seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(
        self,
        time_us: int,
        kind: str,
        host_id: str,
        target: str = "",
        data: dict[str, Any] | None = None,
    ) -> ScheduledAction:
        action = ScheduledAction(time_us, self._next_seq, kind, host_id, target, data or {})
        self._next_seq += 1
        heapq.heappush(self._heap, action)
        return action

    def peek_time(self) -> int | None:
        return self._heap[0].time_us if self._heap else None

    def pop(self) -> ScheduledAction:
        return heapq.heappop(self._heap)

    def remove_where(self, host_id: str, target: str | None = None) -> int:
        """Drop pending actions of a host (and target); returns how many."""
        keep = [
            a
            for a in self._heap
            if not (a.host_id == host_id and (target is None or a.target == target))
        ]
        removed = len(self._heap) - len(keep)
        if removed:
            heapq.heapify(keep)
            self._heap = keep
        return removed

    def pending(self) -> list[ScheduledAction]:
        return sorted(self._heap)

    def to_dict(self) -> dict[str, Any]:
        return {"next_seq": self._next_seq, "actions": [a.to_dict() for a in self.pending()]}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ActionQueue:
        q = ActionQueue()
        q._next_seq = int(d["next_seq"])
        q._heap = [ScheduledAction.from_dict(a) for a in d["actions"]]
        heapq.heapify(q._heap)
        return q
