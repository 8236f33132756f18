"""Events, simulated time, jobs and the event log."""

from __future__ import annotations

from collections.abc import Callable

from hvlab.engine import bounds
from hvlab.engine import events as ev
from hvlab.engine.api import snapshots, timeline
from hvlab.engine.api.surface import ApiCore, clock, command, query
from hvlab.engine.bounds import MAX_ADVANCE_SECONDS
from hvlab.engine.errors import InvalidStateError, NotFoundError
from hvlab.engine.faults import OperationFaults
from hvlab.engine.jobs import Job
from hvlab.engine.sim.clock import seconds_to_us, us_to_seconds
from hvlab.engine.vmms import migration, power


class SessionCalls(ApiCore):
    """Subscribe to events, move the clock, follow and cancel jobs."""

    @query
    def subscribe(self, callback: Callable[[ev.EngineEvent], None]) -> Callable[[], None]:
        """Receive every engine event record; returns an unsubscribe function."""
        return self.lab.bus.subscribe(callback)

    @property
    def now_seconds(self) -> float:
        return us_to_seconds(self.lab.sim.now_us)

    @property
    def now_us(self) -> int:
        return self.lab.sim.now_us

    @clock
    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (0 to :data:`MAX_ADVANCE_SECONDS`, a
        simulated day: a longer run is several calls, each a point to save and to stop)."""
        seconds = bounds.real("seconds", "Simulated time to advance", seconds, 0,
                              MAX_ADVANCE_SECONDS, "s")
        self._advance_to(self.lab.sim.now_us + seconds_to_us(seconds))

    def _advance_to(self, target_us: int) -> None:
        """Advance to ``target_us``, failing on the way each job an injected fault stops."""
        while self.faults.fail_at:
            due = [(at, record) for record in self.lab.jobs.values()
                   if not record.state.finished and record.id not in self.lab.files.tasks
                   and (at := self.faults.fail_time_us(record.kind, record.started_us,
                                                       record.expected_end_us)) is not None
                   and at <= target_us]
            if not due:
                break
            at, record = min(due, key=lambda pair: pair[0])
            self.lab.sim.advance_to(max(self.lab.sim.now_us, at))
            if record.state.finished:  # it may have ended on the way
                continue
            failure = self.faults.failure_text(record.kind)
            if not record.vm_id:  # a host restart: reported Failed, the host still comes back
                self.lab.cancel_job_record(record, failure, failed=True)
                host = self.lab.hosts[record.host_id]
                host.log(ev.CH_SYSTEM, ev.EV_HOST_SHUTDOWN, ev.Level.ERROR,
                         f"{record.description} failed. {failure}")
                continue
            host, vm = self._resolve(record.vm_id)
            power.fail(host, vm, record, failure)
        self.lab.sim.advance_to(target_us)

    @command
    def inject_faults(self, text: str) -> None:
        """Replace the injected faults with ``text`` (``HVLAB_FAULTS``' syntax, e.g.
        ``"fail-job:save@40, refuse-stop:XP-CLIENT, slow:start*5"``; "" for none)."""
        self.lab.faults = OperationFaults.parse(text)

    @query
    def capture_state(self) -> snapshots.LabState:
        """This in-memory lab's state now: a moment to come back to (:meth:`return_to`) or
        to build another lab from (:func:`~hvlab.engine.api.restore_state`)."""
        return snapshots.capture_state(self)

    @clock
    def return_to(self, state: snapshots.LabState) -> None:
        """Put this in-memory lab back exactly as it was at ``state``
        (:meth:`capture_state`): the clock goes back too.  Subscribers stay
        and are told of the VMs that came, went or changed.  A lesson's Reset and Back."""
        snapshots.return_to(self, state)

    @query  # the lab is not changed: a library has nothing to commit
    def keep_timeline(self, every_seconds: float = 30.0, *,
                      keyframe_cost_ratio: float = timeline.KEYFRAME_COST_RATIO) -> None:
        """Keep a moment of this in-memory lab every ``every_seconds`` of simulated time from
        now on, to go back to (:meth:`rewind`); cheaply, whatever the lab's size
        (:mod:`hvlab.engine.api.timeline`).  Calling it again starts a new timeline."""
        every = bounds.real("every_seconds", "The time between two moments", every_seconds,
                            1, MAX_ADVANCE_SECONDS, "s")
        ratio = bounds.real("keyframe_cost_ratio", "The keyframe cost ratio",
                            keyframe_cost_ratio, 1, 1e9, "")
        self._journal = None
        self._journal = timeline.Journal(self, every, keyframe_cost_ratio=ratio)

    @query
    def timeline_moments(self) -> list[timeline.Moment]:
        """The moments kept so far (:meth:`keep_timeline`), oldest first."""
        return self._timeline().moments()

    @query
    def timeline_figures(self) -> timeline.TimelineFigures:
        """What keeping the timeline has cost so far: keyframes, calls, memory, time."""
        return self._timeline().figures()

    @clock
    def rewind(self, time_us: int) -> timeline.Moment:
        """Put the lab back exactly as it was at the kept moment at ``time_us`` (one of
        :meth:`timeline_moments`); the later moments are dropped and running the clock
        replays the session.  The counters' history is put back up to that moment."""
        return self._timeline().rewind(time_us)

    def _timeline(self) -> timeline.Journal:
        if not isinstance(self._journal, timeline.Journal):
            raise InvalidStateError("This lab keeps no timeline.",
                                    ["An in-memory lab keeps one once asked "
                                     "(ManagementApi.keep_timeline)."])
        return self._journal

    @clock
    def wait(self, job: Job | int, timeout_seconds: float = 3600.0) -> Job:
        """Advance simulated time until the job finishes (or the timeout passes)."""
        job_id = job if isinstance(job, int) else job.id
        timeout_seconds = bounds.real("timeout_seconds", "The time to wait", timeout_seconds, 0,
                                      MAX_ADVANCE_SECONDS, "s")
        deadline = self.lab.sim.now_us + round(timeout_seconds * 1_000_000)
        while True:
            record = self.lab.job_record(job_id)
            if record is None:
                raise NotFoundError(f"No job with id {job_id}.")
            if record.state.finished or self.lab.sim.now_us >= deadline:
                return record.view(self.lab.sim.now_us)
            if job_id in self.lab.files.tasks:
                # Real file work: wait for the worker (wall time), then apply it; a copy
                # that takes simulated time is applied once the clock has passed its end.
                self.lab.files.wait(job_id)
                self.lab.poll_files()
                if job_id not in self.lab.files.tasks:
                    continue
            target = min(deadline, max(record.expected_end_us, self.lab.sim.now_us + 1))
            self._advance_to(target)

    @query
    def job(self, job_id: int) -> Job:
        record = self.lab.job_record(job_id)
        if record is None:
            raise NotFoundError(f"No job with id {job_id}.")
        return record.view(self.lab.sim.now_us)

    @query
    def jobs(self, *, active_only: bool = False) -> list[Job]:
        return [j.view(self.lab.sim.now_us) for j in self.lab.jobs.values()
                if not (active_only and j.state.finished)]

    @command
    def cancel_job(self, job_id: int) -> Job:
        record = self.lab.job_record(job_id)
        if record is None:
            raise NotFoundError(f"No job with id {job_id}.")
        if not record.state.finished and self.lab.files.cancel(job_id):
            # The worker stops at its next check; the job ends Cancelled when applied.
            self.lab.files.wait(job_id)
            self.lab.poll_files()
            return record.view(self.lab.sim.now_us)
        if record.state.finished or not record.cancellable:
            raise InvalidStateError("The job cannot be cancelled.",
                                    [f"{record.description} is {record.state.value.lower()}"
                                     if record.state.finished else
                                     f"{record.description} cannot be cancelled."])
        if record.kind in migration.KINDS:
            migration.cancel(self.lab, record)
            return record.view(self.lab.sim.now_us)
        host, vm = self._resolve(record.vm_id)
        power.cancel(host, vm, record)
        return record.view(self.lab.sim.now_us)

    @query
    def event_log(self, *, vm: str | None = None, level: str | None = None,
                  since_seconds: float | None = None, last: int | None = None) -> list[ev.LogEntry]:
        """Event log entries held in memory, oldest first, filtered."""
        since_seconds, last = ev.check_query(since_seconds, last)
        vm_id = self._resolve(vm)[1].id if vm is not None else None
        out = [e for e in self.lab.event_log
               if (vm_id is None or e.vm_id == vm_id)
               and (level is None or e.level.value.casefold() == level.casefold())
               and (since_seconds is None or e.time_us >= since_seconds * 1_000_000)]
        return out[-last:] if last else out

    def close(self) -> None:
        """Release files this lab holds open (disk handles, file workers)."""
        self.lab.close()
