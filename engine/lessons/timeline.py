"""The clock as a teaching tool: run until a time or an event, and step back in time.

:func:`run_until` moves an in-memory or library lab's clock until a moment, a condition
(``root CPU above 80 %``, a VM reaching a state) or any VM's state change, whichever comes
first.  :class:`Timeline` has the engine keep moments of an in-memory lab as its clock runs
(every ``every_seconds`` of simulated time) so a presenter can step back to one: the lab is
put back in place exactly as it was, with its graphs up to then, and running on from there
replays the session (the engine is deterministic, so the same commands at the same moments
give the same lab, to the byte).  How the engine keeps them cheaply:
:mod:`hvlab.engine.api.timeline`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvlab.engine.api import (
    MAX_ADVANCE_SECONDS,
    EngineEvent,
    ManagementApi,
    Moment,
    ValidationError,
    VmStateChanged,
    us_to_seconds,
)
from hvlab.engine.lessons.conditions import Condition, Context, parse_condition

#: The values Run Until… can stop on when they cross a threshold: (subject, property).
THRESHOLDS: tuple[tuple[str, str], ...] = (
    ("host", "root_cpu_percent"), ("host", "memory_available_mb"), ("host", "memory_free_mb"),
    ("host", "running_vms"), ("vm", "cpu_usage_percent"), ("vm", "memory_assigned_mb"))


def threshold(kind: str, name: str, path: str, *, above: bool, value: float) -> Condition:
    """The condition "``name``'s ``path`` rises above (or falls below) ``value``" for
    :func:`run_until` (one of :data:`THRESHOLDS`)."""
    if (kind, path) not in THRESHOLDS:
        raise ValidationError("property", f"Run Until stops on one of: "
                                          f"{', '.join(p for _, p in THRESHOLDS)}.")
    return parse_condition({kind: name, "property": path,
                            ("above" if above else "below"): value}, "Run Until")


@dataclass(frozen=True)
class RunStop:
    """Why :func:`run_until` stopped: ``"time"``, ``"condition"`` or ``"state change"``,
    when (simulated seconds), and what happened in words."""

    reason: str
    at_seconds: float
    detail: str


def run_until(api: ManagementApi, *, seconds: float, condition: Condition | None = None,
              on_state_change: bool = False, tick_seconds: float = 1.0,
              crossing: bool = False) -> RunStop:
    """Advance the clock by at most ``seconds``, in ``tick_seconds`` steps, stopping early
    when ``condition`` holds or (``on_state_change``) a VM changes state.  ``crossing``:
    stop only when the condition comes to hold, after a look at which it did not (a value
    crossing a threshold, not one already past it)."""
    if not 0 < seconds <= MAX_ADVANCE_SECONDS:
        raise ValidationError("seconds", "The time to run must be more than 0 s and at most "
                                         f"{MAX_ADVANCE_SECONDS:,.0f} s (a simulated day).")
    changes: list[VmStateChanged] = []

    def on_event(event: EngineEvent) -> None:
        if isinstance(event, VmStateChanged):
            changes.append(event)

    unsubscribe = api.subscribe(on_event) if on_state_change else None
    context = Context(api, api.now_us, api.now_us)
    deadline = api.now_us + round(seconds * 1_000_000)
    armed = not crossing
    try:
        while True:
            if condition is not None:
                verdict = condition.evaluate(context)
                if verdict.holds and armed:
                    return RunStop("condition", api.now_seconds, verdict.observed)
                armed = armed or not verdict.holds
            if changes:
                first = changes[0]
                name = next((v.name for v in api.vms() if v.id == first.vm_id), first.vm_id)
                return RunStop("state change", api.now_seconds,
                               f"{name} went from {first.old} to {first.new}.")
            if api.now_us >= deadline:
                return RunStop("time", api.now_seconds, "")
            api.advance(min(tick_seconds, us_to_seconds(deadline - api.now_us)))
    finally:
        if unsubscribe is not None:
            unsubscribe()


class Timeline:
    """The moments of an in-memory lab to step back to, kept by the engine as its clock runs
    (``ManagementApi.keep_timeline``: cheap whatever the lab's size, with the counters'
    history).  Creating one starts the lab's timeline; a library's lab cannot have one
    (its disks are files): that raises the engine's NotSupportedError."""

    def __init__(self, api: ManagementApi, every_seconds: float = 30.0, *,
                 keyframe_cost_ratio: float | None = None) -> None:
        self.api = api
        if keyframe_cost_ratio is None:
            api.keep_timeline(every_seconds)
        else:
            api.keep_timeline(every_seconds, keyframe_cost_ratio=keyframe_cost_ratio)

    @property
    def moments(self) -> list[Moment]:
        """The kept moments, oldest first (one every ``every_seconds``, the last 240: the
        engine's ``hvlab.engine.api.timeline.MAX_MOMENTS``)."""
        return self.api.timeline_moments()

    def rewind(self, moment: Moment) -> None:
        """Put the lab back to ``moment`` (one of :attr:`moments`); later ones are dropped
        and running the clock replays the session."""
        self.api.rewind(moment.time_us)
