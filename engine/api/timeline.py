"""Rewind for an in-memory lab: moments to go back to, kept cheaply, with their graphs.

Keeping the lab's whole state (:func:`~hvlab.engine.api.snapshots.capture_state`, the
library's serialisation) at every moment costs in proportion to the lab: with 1,024 running
VMs a capture takes longer than the simulated 30 s between two moments takes to run.  A
:class:`Journal` keeps instead

- **keyframes**: the whole state, taken rarely: when the timeline starts, after the lab was
  put back by someone else (a lesson's Back), and once the engine has worked
  ``keyframe_cost_ratio`` times as long as the last capture took, so keeping the timeline
  costs at most about 1/ratio of the engine's time, whatever the lab's size;
- **calls**: every command and clock call made since the keyframe, in order, with its
  arguments (the facade reports each outermost call, :mod:`hvlab.engine.api.surface`);
- **moments**: a mark every ``every_seconds`` of simulated time: the keyframe and how many
  of its calls lead to it;
- **counter samples**: the 1 s history samples between two marks, in an archive bounded to
  :data:`HISTORY_BUDGET_BYTES`, so the graphs of a lab put back show the history up to that
  moment.

Going back to a moment restores its keyframe and makes its calls again.  The engine is
deterministic, so the lab is then exactly as it was at that moment, to the byte (a test
compares a run with its replay).  A rewind costs the replay: at most about the engine time
between two keyframes.
"""

from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hvlab.engine.api import snapshots
from hvlab.engine.errors import NotFoundError
from hvlab.engine.faults import OperationFaults
from hvlab.engine.sim.clock import us_to_seconds
from hvlab.engine.sim.counters import DEV_SERIES, HISTORY_SAMPLES, HOST_SERIES, VM_SERIES, History

if TYPE_CHECKING:
    from hvlab.engine.api.surface import ApiCore
    from hvlab.engine.vmms.lab import Lab

#: The most moments a timeline keeps (the oldest are dropped first): two hours at 30 s.
MAX_MOMENTS = 240
#: A keyframe is taken once the engine has worked this many times as long as the last took.
KEYFRAME_COST_RATIO = 10.0
#: The most memory the archive of counter samples may hold; the oldest samples go first.
HISTORY_BUDGET_BYTES = 128 * 1024 * 1024
#: Calls that are the timeline's own business, never replayed.
_NOT_JOURNALLED = frozenset({"keep_timeline", "rewind", "return_to"})


@dataclass(frozen=True)
class Moment:
    """A moment of the session the lab can go back to (:meth:`ManagementApi.rewind`)."""

    time_us: int

    @property
    def time_seconds(self) -> float:
        return us_to_seconds(self.time_us)


@dataclass(frozen=True)
class TimelineFigures:
    """What a timeline holds and has cost: ``keyframes`` kept now (``keyframes_taken`` in
    all), ``calls`` journalled, the bytes of the keyframes and of the counter archive, and
    the wall seconds spent capturing keyframes and archiving samples."""

    moments: int
    keyframes: int
    keyframes_taken: int
    calls: int
    keyframe_bytes: int
    archive_bytes: int
    keeping_seconds: float


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass
class _Segment:
    """A keyframe and the calls made after it."""

    keyframe: snapshots.LabState
    faults: OperationFaults
    calls: list[_Call] = field(default_factory=list)


@dataclass(frozen=True)
class _Mark:
    time_us: int
    segment: _Segment
    calls: int  # how many of the segment's calls lead to this moment


@dataclass(frozen=True)
class _Chunk:
    """Counter samples of one interval, in the layout the lab had then."""

    times_us: npt.NDArray[np.int64]
    slot_keys: npt.NDArray[np.uint64]
    device_rows: dict[tuple[str, str], int]
    vm: dict[str, npt.NDArray[np.float32]]  # [sample, slot]
    dev: dict[str, npt.NDArray[np.float32]]  # [sample, row]
    host: dict[str, npt.NDArray[np.float64]]  # [host, sample]

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for part in (self.vm, self.dev, self.host)
                       for a in part.values()) + self.times_us.nbytes + self.slot_keys.nbytes)

    def until(self, time_us: int) -> _Chunk:
        keep = self.times_us <= time_us
        return _Chunk(self.times_us[keep], self.slot_keys, self.device_rows,
                      {k: v[keep] for k, v in self.vm.items()},
                      {k: v[keep] for k, v in self.dev.items()},
                      {k: v[:, keep] for k, v in self.host.items()})


def _safe_copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except (TypeError, copy.Error):  # a callable or a handle: kept as it is
        return value


class Journal:
    """The timeline of one in-memory lab (see the module docstring)."""

    def __init__(self, api: ApiCore, every_seconds: float = 30.0, *,
                 keyframe_cost_ratio: float = KEYFRAME_COST_RATIO) -> None:
        self.api = api
        self.every_us = round(every_seconds * 1_000_000)
        self.ratio = keyframe_cost_ratio
        self.replaying = False
        self.segments: list[_Segment] = []
        self.marks: list[_Mark] = []
        self.chunks: list[_Chunk] = []
        self._archived_us = -1  # the newest sample time in the archive
        self._work_s = 0.0  # engine time spent in calls since the last keyframe
        self._capture_s = 0.0  # what the last keyframe cost
        #: Figures for benchmarks: keyframes taken, and the time they and the archive took.
        self.keyframes_taken = 0
        self.keeping_s = 0.0
        self._archive()
        self._keyframe()
        self.marks.append(_Mark(self.lab.sim.now_us, self.segments[-1], 0))

    @property
    def lab(self) -> Lab:
        return self.api.lab

    def moments(self) -> list[Moment]:
        return [Moment(m.time_us) for m in self.marks]

    def figures(self) -> TimelineFigures:
        return TimelineFigures(len(self.marks), len(self.segments), self.keyframes_taken,
                               sum(len(s.calls) for s in self.segments),
                               sum(len(s.keyframe.data) for s in self.segments),
                               self.archive_bytes, self.keeping_s)

    @property
    def archive_bytes(self) -> int:
        return sum(c.nbytes for c in self.chunks)

    # -- keeping -----------------------------------------------------------------------------
    def _keyframe(self) -> None:
        began = time.perf_counter()
        state = snapshots.capture_state(self.api)
        self._capture_s = time.perf_counter() - began
        self.keeping_s += self._capture_s
        self.segments.append(_Segment(state, copy.deepcopy(self.lab.faults)))
        self._work_s = 0.0
        self.keyframes_taken += 1

    def before_call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """The facade is about to make an outermost call: journal it, with a copy of its
        arguments as they are now; before the lab is put back by another's hand, archive
        the samples it has (they would be lost with it)."""
        if self.replaying:
            return
        if name == "return_to":
            self._archive()
        elif name not in _NOT_JOURNALLED:
            self.segments[-1].calls.append(_Call(name, _safe_copy(args), _safe_copy(kwargs)))

    def after_call(self, name: str, seconds: float, clock: bool) -> None:
        """The facade's report of an outermost command or clock call that just returned (or
        raised), ``seconds`` of engine time after it began."""
        if self.replaying:
            return
        if name == "return_to":  # put back by someone else (a lesson's Back or Reset)
            self._put_back()
            return
        if name in _NOT_JOURNALLED:
            return
        self._work_s += seconds
        if clock and self.lab.sim.now_us - self.marks[-1].time_us >= self.every_us:
            self._mark()

    def _mark(self) -> None:
        began = time.perf_counter()
        self._archive()
        self.keeping_s += time.perf_counter() - began
        if self._work_s >= self.ratio * self._capture_s:
            self._keyframe()
        segment = self.segments[-1]
        self.marks.append(_Mark(self.lab.sim.now_us, segment, len(segment.calls)))
        del self.marks[:-MAX_MOMENTS]
        oldest = self.marks[0].segment
        while self.segments[0] is not oldest:
            self.segments.pop(0)
        self._trim_archive(self.marks[0].time_us - HISTORY_SAMPLES * 1_000_000)

    def _put_back(self) -> None:
        """The lab went back to an earlier time by another's hand: the moments after it did
        not happen (yet); the graphs get the history up to then; a keyframe starts here."""
        now = self.lab.sim.now_us
        # A moment at this very time is replaced by the keyframe taken now (one per time).
        self.marks = [m for m in self.marks if m.time_us < now]
        self._cut_archive(now)
        self.lab.sim.replace_history(self._history_until(now))
        self._keyframe()
        self.marks.append(_Mark(now, self.segments[-1], 0))
        self._drop_unmarked_segments()

    def _drop_unmarked_segments(self) -> None:
        used = {id(m.segment) for m in self.marks}
        last = self.segments[-1]
        self.segments = [s for s in self.segments if id(s) in used or s is last]

    # -- going back --------------------------------------------------------------------------
    def rewind(self, time_us: int) -> Moment:
        """Put the lab back to the kept moment at ``time_us``, exactly as it was."""
        index = next((i for i, m in enumerate(self.marks) if m.time_us == time_us), None)
        if index is None:
            raise NotFoundError(f"No moment at {us_to_seconds(time_us):g} s is kept.",
                                ["Rewind to one of the moments the timeline lists."])
        mark = self.marks[index]
        self._archive()  # the samples up to now, so the graphs can be rebuilt up to then
        self.replaying = True
        try:
            snapshots.return_to(self.api, mark.segment.keyframe)
            self.lab.faults = copy.deepcopy(mark.segment.faults)
            self.lab.sim.replace_history(self._history_until(mark.segment.keyframe.time_us))
            for call in mark.segment.calls[:mark.calls]:
                # A call that failed the first time fails again, to the same effect.
                with contextlib.suppress(Exception):
                    getattr(self.api, call.name)(*call.args, **call.kwargs)
        finally:
            self.replaying = False
        del mark.segment.calls[mark.calls:]
        del self.marks[index + 1:]
        self._drop_unmarked_segments()
        while self.segments[-1] is not mark.segment:
            self.segments.pop()
        self._cut_archive(mark.time_us)
        self._work_s = 0.0
        return Moment(mark.time_us)

    # -- the counter samples -----------------------------------------------------------------
    def _archive(self) -> None:
        """Copy the samples taken since the last look into the archive."""
        history = self.lab.sim.history
        order = (history.head - history.count + np.arange(history.count)) % history.samples
        fresh = order[history.times_us[order] > self._archived_us]
        if not len(fresh):
            return
        table, devices = self.lab.sim.table, self.lab.sim.devices
        slots = min(table.size, history.capacity)
        rows = min(max(devices.rows.values(), default=-1) + 1, history.dev_capacity)
        self.chunks.append(_Chunk(
            history.times_us[fresh].copy(), table.key[:slots].copy(), dict(devices.rows),
            {n: history.vm[n][fresh, :slots].copy() for n in VM_SERIES},
            {n: history.dev[n][fresh, :rows].copy() for n in DEV_SERIES},
            {n: history.host[n][:, fresh].copy() for n in HOST_SERIES}))
        self._archived_us = int(history.times_us[fresh[-1]])
        self._trim_archive(None)

    def _trim_archive(self, older_than_us: int | None) -> None:
        """Drop chunks no kept moment needs, and the oldest beyond the budget."""
        if older_than_us is not None:
            self.chunks = [c for c in self.chunks
                           if len(c.times_us) and int(c.times_us[-1]) >= older_than_us]
        total = self.archive_bytes
        while len(self.chunks) > 1 and total > HISTORY_BUDGET_BYTES:
            total -= self.chunks.pop(0).nbytes

    def _cut_archive(self, time_us: int) -> None:
        """Forget the samples after ``time_us`` (the lab went back before them)."""
        self.chunks = [c.until(time_us) for c in self.chunks
                       if len(c.times_us) and int(c.times_us[0]) <= time_us]
        self._archived_us = min(self._archived_us, time_us)

    def _history_until(self, time_us: int) -> History:
        """The counter history the lab had at ``time_us``, in its layout now: the newest
        samples of the archive up to then (a VM slot or device row that meant something else
        then stays empty)."""
        history = History()
        table, devices = self.lab.sim.table, self.lab.sim.devices
        history._grow_vms(max(history.capacity, table.capacity))
        need_rows = max(devices.rows.values(), default=-1) + 1
        history._grow_devs(max(history.dev_capacity, need_rows))
        history._ensure_hosts(len(self.lab.hosts))
        picked: list[tuple[_Chunk, npt.NDArray[np.int64]]] = []
        left = history.samples
        for chunk in reversed(self.chunks):
            if left == 0:
                break
            index = np.flatnonzero(chunk.times_us <= time_us)[-left:]
            if len(index):
                picked.append((chunk, index))
                left -= len(index)
        ring = 0
        for chunk, index in reversed(picked):
            span = slice(ring, ring + len(index))
            history.times_us[span] = chunk.times_us[index]
            slots = min(len(chunk.slot_keys), table.size)
            same = np.flatnonzero(chunk.slot_keys[:slots] == table.key[:slots])
            for name in VM_SERIES:
                history.vm[name][span, same] = chunk.vm[name][index][:, same]
            for key, row in devices.rows.items():
                was = chunk.device_rows.get(key)
                if was is not None and was < chunk.dev[DEV_SERIES[0]].shape[1]:
                    for name in DEV_SERIES:
                        history.dev[name][span, row] = chunk.dev[name][index, was]
            hosts = min(chunk.host[HOST_SERIES[0]].shape[0], len(self.lab.hosts))
            for name in HOST_SERIES:
                history.host[name][:hosts, span] = chunk.host[name][:hosts][:, index]
            ring += len(index)
        history.count = ring
        history.head = ring % history.samples
        return history
