"""Lessons and checked exercises: the training side of hvlab.

A lesson (``resources/lessons/*.json``) plays on an in-memory copy of a lab, guided or
unattended (:class:`LessonRun`); an exercise states a target that :func:`grade` checks a lab
against.  This package is a client of the engine like the console: it reads and drives the
lab through :mod:`hvlab.engine.api` only (an import contract in pyproject.toml holds it to
that).  docs/lessons.md documents the file formats for trainers.
"""

from hvlab.engine.lessons.actions import Action, Outcome, allowed_calls, perform
from hvlab.engine.lessons.authoring import (
    HOST_PROPERTIES,
    SWITCH_PROPERTIES,
    VM_PROPERTIES,
    Pick,
    exercise_from_lab,
    host_properties,
)
from hvlab.engine.lessons.conditions import (
    COMPARISONS,
    Condition,
    Context,
    Verdict,
    parse_condition,
    read_property,
    read_vm_property,
)
from hvlab.engine.lessons.errors import LessonStuckError
from hvlab.engine.lessons.formats import (
    SCHEMA,
    Check,
    Exercise,
    Lesson,
    Step,
    exercise_names,
    lesson_names,
    lessons_dir,
    read_exercise,
    read_lesson,
    shipped,
)
from hvlab.engine.lessons.grading import CheckResult, Grade, exercise_lab, grade
from hvlab.engine.lessons.player import LessonRun, lesson_lab, waiting_for
from hvlab.engine.lessons.timeline import THRESHOLDS, RunStop, Timeline, run_until, threshold
from hvlab.engine.lessons.wording import noun as property_words

__all__ = [
    "COMPARISONS", "HOST_PROPERTIES", "SCHEMA", "SWITCH_PROPERTIES", "THRESHOLDS",
    "VM_PROPERTIES", "Action",
    "Check", "CheckResult", "Condition", "Context", "Exercise", "Grade", "Lesson", "LessonRun",
    "LessonStuckError", "Outcome", "Pick", "RunStop", "Step", "Timeline", "Verdict",
    "allowed_calls", "exercise_from_lab", "exercise_lab", "exercise_names", "grade",
    "host_properties", "lesson_lab", "lesson_names", "lessons_dir", "parse_condition",
    "perform", "property_words", "read_exercise", "read_lesson", "read_property",
    "read_vm_property", "run_until", "shipped", "threshold", "waiting_for",
]
