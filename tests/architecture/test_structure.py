"""The modules of the engine, the console and hvctl import one another without loops, and no
class outgrows one responsibility (500 lines). Both checkers are shown to catch what they
look for."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from tests.architecture.module_graph import cycles, module_graph

REPO = Path(__file__).resolve().parents[2]
#: Above this a class does more than one thing; split it by responsibility.
MAX_CLASS_LINES = 500


def long_classes(root: Path, package: str, limit: int = MAX_CLASS_LINES) -> list[str]:
    """"path:line Class (N lines)" for each class longer than ``limit`` source lines."""
    found: list[str] = []
    for path in sorted((root / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} "
                                 f"({lines} lines)")
    return found


#: Each code folder, with a module whose imports show the graph was read.
FOLDERS = [("gui", "hvlab.gui.main_window"), ("engine", "hvlab.engine.vmms.power"),
           ("hvctl", "hvlab.hvctl.commands")]


@pytest.mark.parametrize("folder, sample", FOLDERS)
def test_modules_import_each_other_without_loops(folder: str, sample: str) -> None:
    graph = module_graph(REPO, folder)
    assert len(graph) > 5 and graph[sample], "the graph was read"
    assert cycles(graph) == []


@pytest.mark.parametrize("folder", [f for f, _ in FOLDERS])
def test_no_class_is_over_500_lines(folder: str) -> None:
    assert long_classes(REPO, folder) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_loop_checker_sees_every_form_of_import(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": """\
            def later() -> None:
                from pkg.sub.c import thing
            """,
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from ..a import name
            thing = 1
            """,
        "pkg/d.py": "import pkg.a\nimport os\n",
        "pkg/e.py": "from . import d\n",
    })
    graph = module_graph(tmp_path, "pkg")
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.sub.c"},
                     "pkg.sub": set(), "pkg.sub.c": {"pkg.a"}, "pkg.d": {"pkg.a"},
                     "pkg.e": {"pkg.d"}}
    # a -> b (module level) -> c (in a function) -> a (for type checkers only)
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]


def test_the_class_size_checker_counts_source_lines(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_CLASS_LINES - 1))
    _write(tmp_path, {"pkg/__init__.py": "",
                      "pkg/m.py": f"class Fits:\n{body}\n\n\nclass TooLong:\n{body}\n    y = 0\n"})
    assert long_classes(tmp_path, "pkg") == [f"pkg/m.py:{MAX_CLASS_LINES + 3} TooLong "
                                             f"({MAX_CLASS_LINES + 1} lines)"]
