"""Playing a lesson on its own in-memory lab: guided (the learner acts, the run notices when
a step's condition holds) or unattended (the run performs the learner's part and drives the
virtual clock itself).

A run never touches a library: it builds the lesson's lab in memory (:func:`lesson_lab`).
It keeps the lab's state at the start of every step, so Reset returns to the lesson's
start and Back to the previous step's start, exactly as it was (the engine is
deterministic: playing on from there replays the same session).  The lab is put back in
place (``ManagementApi.return_to``), so a console showing it keeps showing it.
"""

from __future__ import annotations

from hvlab.engine.api import (
    LabState,
    ManagementApi,
    build_lab,
    load_lab_definition,
    us_to_seconds,
)
from hvlab.engine.lessons.actions import Outcome, perform
from hvlab.engine.lessons.conditions import Context, Verdict
from hvlab.engine.lessons.errors import LessonStuckError
from hvlab.engine.lessons.formats import Lesson, Step

#: How far the unattended player moves the clock between two looks at a step's condition.
TICK_SECONDS = 1.0


def waiting_for(step: Step) -> str:
    """What the step waits for, in plain words, as the console's Lesson dock and ``hvctl
    lesson`` show it: ``Waiting for: XP-CLIENT is Running`` ("" for a step without a
    condition, which ends when the presenter moves on)."""
    return f"Waiting for: {step.until.text()}" if step.until is not None else ""


def lesson_lab(lesson: Lesson, *, seed: int = 0) -> ManagementApi:
    """A new in-memory lab built from the lesson's lab definition (booted and settled)."""
    api = ManagementApi(seed=seed)
    build_lab(api, load_lab_definition(lesson.lab))
    return api


class LessonRun:
    """One lesson being played on :attr:`api`, an in-memory lab (by default a new one built
    from the lesson's lab definition)."""

    def __init__(self, lesson: Lesson, api: ManagementApi | None = None, *,
                 seed: int = 0) -> None:
        self.lesson = lesson
        self.api = api if api is not None else lesson_lab(lesson, seed=seed)
        self.index = 0
        self.finished = False
        #: What the current step's own actions did (refusals the lesson shows).
        self.outcomes: list[Outcome] = []
        self.shown = False
        self.began_us = self.api.now_us
        self.step_started_us = self.api.now_us
        #: The lab at the start of each step entered so far (before its actions).
        self._moments: list[LabState] = []
        self._enter(0)

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def step_count(self) -> int:
        return len(self.lesson.steps)

    def context(self) -> Context:
        return Context(self.api, self.began_us, self.step_started_us)

    def verdict(self) -> Verdict | None:
        """Whether the current step's condition holds now (None: the step has none)."""
        until = self.step.until
        return None if until is None else until.evaluate(self.context())

    def _enter(self, index: int) -> None:
        del self._moments[index:]
        self._moments.append(self.api.capture_state())
        self.index = index
        self.step_started_us = self.api.now_us
        self.shown = False
        self.outcomes = [perform(self.api, a) for a in self.step.actions]

    def next(self) -> None:
        """Move on to the next step (after the last: the lesson is finished)."""
        if self.index + 1 >= self.step_count:
            self.finished = True
            return
        self._enter(self.index + 1)

    def poll(self) -> bool:
        """Guided play: move on when the current step's condition holds.  True if it moved."""
        verdict = self.verdict()
        if self.finished or verdict is None or not verdict.holds:
            return False
        self.next()
        return True

    def show_me(self) -> list[Outcome]:
        """Do the learner's part of the step (once)."""
        if self.shown:
            return []
        self.shown = True
        return [perform(self.api, a) for a in self.step.show_me]

    def _restore(self, moment: LabState, index: int) -> None:
        self.api.return_to(moment)
        self.finished = False
        self._enter(index)

    def reset(self) -> None:
        """Back to the lesson's start: the lab exactly as the lesson began."""
        self._restore(self._moments[0], 0)

    def back(self) -> None:
        """Back to the start of the previous step (of this step, on the first)."""
        self.rewind(max(self.index - 1, 0))

    def rewind(self, index: int) -> None:
        """Back to the start of step ``index`` (one already entered), exactly as the lab
        was then; playing on replays the session from there."""
        if not 0 <= index < len(self._moments):
            raise IndexError(f"step {index + 1} has not been reached")
        self._restore(self._moments[index], index)

    def play_step(self, tick_seconds: float = TICK_SECONDS) -> float:
        """Unattended: do the learner's part, then run the clock until the step's condition
        holds; returns the simulated seconds the step took.  A condition that does not
        hold within the step's time limit raises :class:`LessonStuckError`."""
        self.show_me()
        step = self.step
        deadline = self.step_started_us + round(step.timeout_seconds * 1_000_000)
        while True:
            verdict = self.verdict()
            if verdict is None or verdict.holds:
                return us_to_seconds(self.api.now_us - self.step_started_us)
            if self.api.now_us >= deadline:
                raise LessonStuckError(
                    f"Lesson \"{self.lesson.title}\", step {self.index + 1} "
                    f"(\"{step.title}\"): the condition did not hold within "
                    f"{step.timeout_seconds:g} s.",
                    [waiting_for(step), f"The lab: {verdict.observed}"])
            self.api.advance(min(tick_seconds, us_to_seconds(deadline - self.api.now_us)))

    def play(self, tick_seconds: float = TICK_SECONDS) -> list[float]:
        """Unattended: play every step from the current one to the end; the simulated
        seconds each took."""
        took = []
        while not self.finished:
            took.append(self.play_step(tick_seconds))
            self.next()
        return took
