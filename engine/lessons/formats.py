"""Lesson and exercise files: versioned JSON that a trainer writes without Python.

Both formats are documented for trainers in docs/lessons.md.  A lesson
(``"format": "hvlab.lesson"``) names the lab it starts from (a lab definition of
``resources/labs``) and its steps; an exercise (``"format": "hvlab.exercise"``) states a
target as checks over the lab.  Reading a file checks every key, every condition and every
action's arguments, so a mistake is reported with the file, the place and the key before a
lesson starts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvlab.engine.api import NotFoundError, lab_names, resources_dir
from hvlab.engine.lessons.actions import Action, parse_action
from hvlab.engine.lessons.conditions import Condition, parse_condition
from hvlab.engine.lessons.errors import file_error

LESSON_FORMAT = "hvlab.lesson"
EXERCISE_FORMAT = "hvlab.exercise"
#: The schema this hvlab reads and writes; a file with another one is refused by name.
SCHEMA = 1
DEFAULT_TIMEOUT_SECONDS = 600.0
DEFAULT_DWELL_SECONDS = 8.0
#: The longest a step may wait for its condition: a simulated day.
MAX_TIMEOUT_SECONDS = 86_400.0

_LESSON_KEYS = {"format", "schema", "title", "summary", "concept", "lab", "sources", "steps"}
_STEP_KEYS = {"title", "narration", "control", "actions", "show_me", "hint", "until",
              "timeout_seconds", "dwell_seconds"}
_EXERCISE_KEYS = {"format", "schema", "title", "statement", "lab", "setup", "checks"}
_CHECK_KEYS = {"id", "label", "condition", "hint", "points"}


@dataclass(frozen=True)
class Step:
    """One step: ``narration`` (rich text) is shown, pointing at ``control`` (an object
    name in the console) if given; the lesson performs ``actions`` when the step begins;
    ``show_me`` is what the learner is asked to do (Show me and the unattended player do
    it); the step ends when ``until`` holds (no condition: when the presenter moves on)."""

    title: str
    narration: str
    control: str = ""
    actions: tuple[Action, ...] = ()
    show_me: tuple[Action, ...] = ()
    hint: str = ""
    until: Condition | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    #: Wall-clock seconds a projector shows the step when the lesson plays itself.
    dwell_seconds: float = DEFAULT_DWELL_SECONDS


@dataclass(frozen=True)
class Lesson:
    name: str  # the file name without .json
    title: str
    summary: str
    concept: str
    lab: str  # a lab definition's name
    sources: tuple[str, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Check:
    id: str
    label: str
    condition: Condition
    hint: str = ""
    points: int = 1


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    statement: str
    lab: str  # "" when the exercise is graded on whatever lab it is given
    setup: tuple[Action, ...]
    checks: tuple[Check, ...]


def lessons_dir() -> Path:
    return resources_dir() / "lessons"


def _read(path: Path, expected_format: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f'The file "{path}" does not exist.') from None
    except (OSError, ValueError) as exc:
        raise file_error(str(path), "file", f"not a readable JSON file ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != expected_format:
        raise file_error(str(path), "format", f'the format must be "{expected_format}".')
    if data.get("schema") != SCHEMA:
        raise file_error(str(path), "schema", f"schema {data.get('schema')!r} is not known; "
                                              f"this hvlab reads schema {SCHEMA}.")
    return data


def _only(data: dict[str, Any], allowed: set[str], where: str, what: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise file_error(where, extra[0], f"'{extra[0]}' is not part of {what} "
                                          f"(allowed: {', '.join(sorted(allowed))}).")


def _text(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise file_error(where, key, f"'{key}' must be {'non-empty ' if required else ''}text.")
    return value


def _seconds(data: dict[str, Any], key: str, default: float, where: str) -> float:
    value = data.get(key, default)
    if (not isinstance(value, (int, float)) or isinstance(value, bool)
            or not math.isfinite(value) or not 0 <= value <= MAX_TIMEOUT_SECONDS):
        raise file_error(where, key, f"'{key}' must be a number of seconds from 0 to "
                                     f"{MAX_TIMEOUT_SECONDS:,.0f}.")
    return float(value)


def _actions(data: dict[str, Any], key: str, where: str) -> tuple[Action, ...]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise file_error(where, key, f"'{key}' must be a list of actions.")
    return tuple(parse_action(a, f"{where}, {key}[{i}]") for i, a in enumerate(items))


def _lab(data: dict[str, Any], where: str, *, required: bool) -> str:
    lab = data.get("lab", "")
    if not isinstance(lab, str) or (required and not lab) or (lab and lab not in lab_names()):
        raise file_error(where, "lab", f"'lab' must name a lab definition "
                                       f"(known: {', '.join(lab_names())}).")
    return lab


def _step(data: Any, where: str) -> Step:
    if not isinstance(data, dict):
        raise file_error(where, "steps", "a step must be an object.")
    _only(data, _STEP_KEYS, where, "a step")
    until = data.get("until")
    return Step(
        title=_text(data, "title", where, required=True),
        narration=_text(data, "narration", where, required=True),
        control=_text(data, "control", where),
        actions=_actions(data, "actions", where),
        show_me=_actions(data, "show_me", where),
        hint=_text(data, "hint", where),
        until=None if until is None else parse_condition(until, f"{where}, until"),
        timeout_seconds=_seconds(data, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, where),
        dwell_seconds=_seconds(data, "dwell_seconds", DEFAULT_DWELL_SECONDS, where))


def read_lesson(path: str | Path) -> Lesson:
    """Read and check a lesson file."""
    path = Path(path)
    data = _read(path, LESSON_FORMAT)
    where = str(path)
    _only(data, _LESSON_KEYS, where, "a lesson")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise file_error(where, "sources", "'sources' must be a list of addresses.")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise file_error(where, "steps", "'steps' must list at least one step.")
    return Lesson(
        name=path.stem, title=_text(data, "title", where, required=True),
        summary=_text(data, "summary", where), concept=_text(data, "concept", where),
        lab=_lab(data, where, required=True), sources=tuple(sources),
        steps=tuple(_step(s, f"{where}, step {i + 1}") for i, s in enumerate(steps)))


def _check(data: Any, where: str) -> Check:
    if not isinstance(data, dict):
        raise file_error(where, "checks", "a check must be an object.")
    _only(data, _CHECK_KEYS, where, "a check")
    points = data.get("points", 1)
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 100:
        raise file_error(where, "points", "'points' must be a whole number from 1 to 100.")
    if "condition" not in data:
        raise file_error(where, "condition", "a check needs a 'condition'.")
    return Check(_text(data, "id", where, required=True), _text(data, "label", where,
                                                                required=True),
                 parse_condition(data["condition"], f"{where}, condition"),
                 _text(data, "hint", where), points)


def read_exercise(path: str | Path) -> Exercise:
    """Read and check an exercise file."""
    path = Path(path)
    data = _read(path, EXERCISE_FORMAT)
    where = str(path)
    _only(data, _EXERCISE_KEYS, where, "an exercise")
    checks = data.get("checks")
    if not isinstance(checks, list) or not checks:
        raise file_error(where, "checks", "'checks' must list at least one check.")
    parsed = tuple(_check(c, f"{where}, check {i + 1}") for i, c in enumerate(checks))
    ids = [c.id for c in parsed]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise file_error(where, "id", f"the check id {twice[0]!r} is used twice.")
    return Exercise(path.stem, _text(data, "title", where, required=True),
                    _text(data, "statement", where, required=True),
                    _lab(data, where, required=False), _actions(data, "setup", where), parsed)


def lesson_names() -> list[str]:
    """The lessons that ship with hvlab, in teaching order (file names sort by it)."""
    return sorted(p.stem for p in lessons_dir().glob("*.json")
                  if json.loads(p.read_text(encoding="utf-8")).get("format") == LESSON_FORMAT)


def exercise_names() -> list[str]:
    return sorted(p.stem for p in lessons_dir().glob("*.json")
                  if json.loads(p.read_text(encoding="utf-8")).get("format") == EXERCISE_FORMAT)


def shipped(name: str) -> Path:
    """The shipped lesson or exercise file called ``name``."""
    path = lessons_dir() / f"{name}.json"
    if path.parent != lessons_dir() or not path.is_file():
        raise NotFoundError(f'No lesson or exercise named "{name}".',
                            [f"Known: {', '.join(lesson_names() + exercise_names())}."])
    return path
