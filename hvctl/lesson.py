"""``hvctl lesson list|show|play``: the lessons, what each step waits for, and a lesson played
unattended from start to end, for a trainer checking a lesson file from a script.

A lesson plays on a lab of its own built in memory (docs/lessons.md); no library is opened
or changed.  Each step is said with its condition in plain words, the same words the
console's Lesson dock shows (:func:`hvlab.engine.lessons.waiting_for`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hvlab.engine.lessons import Lesson
    from hvlab.hvctl.terminal import Printer


def add_parsers(top: Any, sub: Any) -> None:
    area = sub(top, "lesson", "lessons: list them, show their steps, play one unattended "
                              "(docs/lessons.md)")
    actions = area.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(actions, "list", "list the lessons and exercises that ship with hvlab")
    for name, text in (("show", "show a lesson's steps and what each waits for"),
                       ("play", "play a lesson unattended on a lab of its own, in memory, "
                                "and say how long each step took in simulated time")):
        action = sub(actions, name, text)
        action.add_argument("lesson", metavar="LESSON",
                            help="a shipped lesson's name (hvctl lesson list) or a lesson file")


def _lesson(ref: str) -> Lesson:
    from hvlab.engine.lessons import read_lesson, shipped

    path = Path(ref)
    return read_lesson(path if path.suffix == ".json" or path.is_file() else shipped(ref))


def _steps(lesson: Lesson) -> list[dict[str, Any]]:
    from hvlab.engine.lessons import waiting_for

    return [{"step": i + 1, "title": s.title, "waiting_for": waiting_for(s)}
            for i, s in enumerate(lesson.steps)]


def run(args: argparse.Namespace, out: Printer) -> int:
    from hvlab.engine.lessons import (
        LessonRun,
        exercise_names,
        lesson_names,
        read_exercise,
        shipped,
    )

    if args.command == "list":
        rows = [{"name": n, "kind": "lesson", "title": _lesson(n).title} for n in lesson_names()]
        rows += [{"name": n, "kind": "exercise", "title": read_exercise(shipped(n)).title}
                 for n in exercise_names()]
        width = max(len(r["name"]) for r in rows)
        out.emit(rows, "\n".join(f"{r['name']:<{width}}  {r['kind']:<8}  {r['title']}"
                                 for r in rows))
        return 0
    lesson = _lesson(args.lesson)
    steps = _steps(lesson)
    if args.command == "play":
        took = LessonRun(lesson).play()
        for row, seconds in zip(steps, took, strict=True):
            row["simulated_seconds"] = round(seconds, 1)
    lines = [f"{lesson.title} ({lesson.lab} lab)"]
    for row in steps:
        lines.append(f"  {row['step']}. {row['title']}")
        if row["waiting_for"]:
            lines.append(f"     {row['waiting_for']}")
        if "simulated_seconds" in row:
            lines.append(f"     Done after {row['simulated_seconds']:g} s of simulated time.")
    out.emit({"lesson": lesson.name, "title": lesson.title, "lab": lesson.lab,
              "steps": steps}, "\n".join(lines))
    return 0
