"""``hvctl exercise check FILE [LIBRARY ...]``: grade libraries against an exercise file.

Grading only reads: each library is opened, its lab graded and the library closed unchanged;
a folder that holds no library is reported, never made into one.
With several LIBRARY folders (a room's labs) each is graded in turn; one that cannot be
opened (missing, or in use) is reported in its row and the others are still graded.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from hvlab.engine.api import HvError, library_folder

if TYPE_CHECKING:
    from hvlab.engine.lessons import Exercise, Grade
    from hvlab.hvctl.terminal import Printer


def add_parsers(top: Any, sub: Any) -> None:
    area = sub(top, "exercise", "checked exercises (docs/lessons.md)")
    actions = area.add_subparsers(dest="command", metavar="ACTION", required=True)
    check = sub(actions, "check", "grade a library's lab against an exercise file")
    check.add_argument("file", metavar="FILE", help="the exercise (hvlab.exercise JSON)")
    check.add_argument("libraries", metavar="LIBRARY", nargs="*", type=library_folder,
                       help="library folders to grade, each in turn (default: --library, "
                            "else $HVLAB_LIBRARY, else the user data folder)")
    check.add_argument("--hints", action="store_true",
                       help="give the hint of each failed check")


def _grade_one(folder: str | None, exercise: Exercise, hints: bool) -> Grade:
    # Loaded here: the parser (hvctl --help) must not load the simulation.
    from hvlab.engine.api import default_library_path, is_library, open_library
    from hvlab.engine.lessons import grade

    # Grading never creates a library where there was none.
    if not is_library(folder):
        shown = folder if folder is not None else default_library_path()
        raise HvError(f'"{shown}" is not an hvlab library.',
                      ["Grade a library folder that hvlab or hvctl created."])
    with open_library(folder, program="hvctl") as library:
        return grade(library.api, exercise, hints=hints)


def run(args: argparse.Namespace, out: Printer) -> int:
    """Grade and print; exit code 0 when every library could be graded, else 1."""
    from hvlab.engine.lessons import read_exercise

    exercise = read_exercise(args.file)
    if not args.libraries:
        result = _grade_one(getattr(args, "library", None), exercise, args.hints)
        out.emit(result.to_dict(), result.text())
        return 0
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    for folder in args.libraries:
        try:
            result = _grade_one(folder, exercise, args.hints)
        except HvError as err:
            rows.append({"library": folder, "error": err.message})
            lines.append(f"{folder}: {err.message}")
            continue
        rows.append({"library": folder, **result.to_dict()})
        lines.append(f"{folder}: {result.text()}")
    out.emit(rows, "\n".join(lines))
    return 1 if any("error" in r for r in rows) else 0

