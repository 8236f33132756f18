"""Grading a lab against an exercise: a score, and each check passed or failed in plain
words, without the answer unless the learner asks for hints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hvlab.engine.api import ManagementApi, build_lab, load_lab_definition
from hvlab.engine.lessons.actions import perform
from hvlab.engine.lessons.conditions import Context
from hvlab.engine.lessons.formats import Exercise


@dataclass(frozen=True)
class CheckResult:
    id: str
    label: str  # the target, as the exercise states it
    passed: bool
    #: What the lab shows for this check ("WEB01: config cpu count is 1.").
    observed: str
    points: int
    hint: str  # "" unless hints were asked for (and the check failed)


@dataclass(frozen=True)
class Grade:
    exercise: str
    title: str
    points: int
    total: int
    checks: tuple[CheckResult, ...]

    @property
    def score_percent(self) -> float:
        return 100.0 * self.points / self.total if self.total else 0.0

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON ``hvctl exercise check --json`` prints (docs/lessons.md)."""
        return {"exercise": self.exercise, "title": self.title,
                "score_percent": round(self.score_percent, 1), "points": self.points,
                "total": self.total,
                "checks": [{"id": c.id, "label": c.label, "passed": c.passed,
                            "observed": c.observed, "points": c.points,
                            **({"hint": c.hint} if c.hint else {})} for c in self.checks]}

    def text(self) -> str:
        """The grade as lines for a terminal."""
        lines = [f"{self.title}: {self.score_percent:.0f} % ({self.points} of {self.total} "
                 "points)"]
        for c in self.checks:
            lines.append(f"  {'Passed' if c.passed else 'Failed'}: {c.label}")
            if not c.passed:
                lines.append(f"      {c.observed}")
                if c.hint:
                    lines.append(f"      Hint: {c.hint}")
        return "\n".join(lines)


def grade(api: ManagementApi, exercise: Exercise, *, hints: bool = False) -> Grade:
    """Grade ``api``'s lab (read only) against ``exercise``."""
    context = Context(api)
    results = []
    for check in exercise.checks:
        verdict = check.condition.evaluate(context)
        results.append(CheckResult(check.id, check.label, verdict.holds, verdict.observed,
                                   check.points,
                                   check.hint if hints and not verdict.holds else ""))
    return Grade(exercise.name, exercise.title, sum(r.points for r in results if r.passed),
                 sum(r.points for r in results), tuple(results))


def exercise_lab(exercise: Exercise, *, seed: int = 0) -> ManagementApi:
    """A new in-memory lab to practise the exercise on: its lab, then its setup actions."""
    api = ManagementApi(seed=seed)
    if exercise.lab:
        build_lab(api, load_lab_definition(exercise.lab))
    for action in exercise.setup:
        perform(api, action)
    return api
