"""The clock as a teaching tool: run until a time or an event, and step back in time.

:func:`run_until` moves an in-memory or library lab's clock until a moment, a condition
(``root CPU above 80 %``, a VM reaching a state) or any VM's state change, whichever comes
first.  :class:`Timeline` keeps moments of an in-memory lab as its clock runs (every
``every_seconds`` of simulated time) so a presenter can step back to one: the lab is put back
in place exactly as it was, and running on from there replays the session (the engine is
deterministic, so the same commands at the same moments give the same lab, to the byte).
"""

from __future__ import annotations

from dataclasses import dataclass

from hvlab.engine.api import (
    MAX_ADVANCE_SECONDS,
    EngineEvent,
    LabState,
    ManagementApi,
    ValidationError,
    VmStateChanged,
    us_to_seconds,
)
from hvlab.engine.lessons.conditions import Condition, Context

#: The most moments a timeline keeps (the oldest are dropped first): two hours at 30 s.
MAX_MOMENTS = 240


@dataclass(frozen=True)
class RunStop:
    """Why :func:`run_until` stopped: ``"time"``, ``"condition"`` or ``"state change"``,
    when (simulated seconds), and what happened in words."""

    reason: str
    at_seconds: float
    detail: str


def run_until(api: ManagementApi, *, seconds: float, condition: Condition | None = None,
              on_state_change: bool = False, tick_seconds: float = 1.0) -> RunStop:
    """Advance the clock by at most ``seconds``, in ``tick_seconds`` steps, stopping early
    when ``condition`` holds or (``on_state_change``) a VM changes state."""
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
    try:
        while True:
            if condition is not None:
                verdict = condition.evaluate(context)
                if verdict.holds:
                    return RunStop("condition", api.now_seconds, verdict.observed)
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
    """Moments of an in-memory lab, captured as its clock runs (see the module docstring)."""

    def __init__(self, api: ManagementApi, every_seconds: float = 30.0) -> None:
        self.api = api
        self.every_us = round(every_seconds * 1_000_000)
        self.moments: list[LabState] = [api.capture_state()]

    def observe(self) -> LabState | None:
        """Capture a moment if ``every_seconds`` passed since the last one (call it after
        the clock moved); returns it.  Stepping back before the newest drops the later ones."""
        now = self.api.now_us
        while self.moments and self.moments[-1].time_us > now:
            self.moments.pop()  # the clock went back: those moments did not happen (yet)
        if self.moments and now - self.moments[-1].time_us < self.every_us:
            return None
        moment = self.api.capture_state()
        self.moments.append(moment)
        del self.moments[:-MAX_MOMENTS]
        return moment

    def rewind(self, moment: LabState) -> None:
        """Put the lab back to ``moment`` (one of :attr:`moments`); later ones are dropped."""
        self.api.return_to(moment)
        self.moments = [m for m in self.moments if m.time_us <= moment.time_us]
