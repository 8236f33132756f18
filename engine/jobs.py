"""Jobs: long operations that take simulated time (``Msvm_ConcreteJob`` in Hyper-V)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class JobState(enum.StrEnum):
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def finished(self) -> bool:
        return self is not JobState.RUNNING


@dataclass(frozen=True)
class Job:
    """An immutable view of a job.  ``percent`` is 0..100; times in simulated µs."""

    id: int
    kind: str
    description: str
    host_id: str
    vm_id: str
    state: JobState
    percent: int
    cancellable: bool
    error: str | None
    started_us: int
    expected_end_us: int
    finished_us: int | None


@dataclass
class JobRecord:
    """The engine's mutable record behind a :class:`Job`."""

    id: int
    kind: str
    description: str
    host_id: str
    vm_id: str
    started_us: int
    expected_end_us: int
    cancellable: bool = False
    state: JobState = JobState.RUNNING
    error: str | None = None
    finished_us: int | None = None
    #: File jobs (real disk work on a worker thread) report progress as a fraction (so do
    #: migrations, whose progress is their copy's).
    file_progress: float | None = None
    #: Work on the file worker thread, which a lab read back does not have.
    on_worker: bool = False

    def percent(self, now_us: int) -> int:
        if self.state is JobState.COMPLETED:
            return 100
        if self.file_progress is not None:
            done = self.file_progress
            span = self.expected_end_us - self.started_us
            if span > 0:  # a copy that takes simulated time: no further than the clock
                end = self.finished_us if self.finished_us is not None else now_us
                done = min(done, (end - self.started_us) / span)
            return max(0, min(99, int(100 * done)))
        if self.state.finished:
            end = self.finished_us or now_us
        else:
            end = now_us
        span = self.expected_end_us - self.started_us
        if span <= 0:
            return 0  # a job that takes no time and did not complete did nothing
        return max(0, min(99, int(100 * (end - self.started_us) / span)))

    def view(self, now_us: int) -> Job:
        return Job(
            self.id,
            self.kind,
            self.description,
            self.host_id,
            self.vm_id,
            self.state,
            self.percent(now_us),
            self.cancellable and not self.state.finished,
            self.error,
            self.started_us,
            self.expected_end_us,
            self.finished_us,
        )

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        # A file job's progress is read from its worker thread; it is not part of the lab.
        # That it is a file job is: read back, a running one has no worker to finish it.
        del record["file_progress"], record["on_worker"]
        if self.on_worker:
            record["file"] = True
        record["state"] = self.state.value
        return record

    @staticmethod
    def from_dict(d: dict[str, Any]) -> JobRecord:
        return JobRecord(
            int(d["id"]),
            str(d["kind"]),
            str(d["description"]),
            str(d["host_id"]),
            str(d["vm_id"]),
            int(d["started_us"]),
            int(d["expected_end_us"]),
            bool(d["cancellable"]),
            JobState(d["state"]),
            d.get("error"),
            None if d.get("finished_us") is None else int(d["finished_us"]),
            0.0 if d.get("file") else None,
            bool(d.get("file", False)),
        )
