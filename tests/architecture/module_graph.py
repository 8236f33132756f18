"""A package's import graph, read from its sources with ``ast``, and the loops in it.

Every import counts, wherever it is written: at the top of a module, inside a function (the
console imports many modules only when first needed) and under ``if TYPE_CHECKING:``. A
loop that only type checkers see is still a loop for a reader, and the first function-level
import that closes it turns it into an import-order bug.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.layout import CODE_FOLDERS, import_name


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a folder under ``root``) by its dotted import name (the
    folder is installed under the name pyproject.toml maps it to); a package's
    ``__init__.py`` is the package's own name."""
    prefix = import_name(package) if package in CODE_FOLDERS else package
    out: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root / package).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((prefix, *parts))] = path
    return out


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
              known: dict[str, Path]) -> Iterator[str]:
    """The modules of ``known`` that one import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in known:  # "import a.b.c" of a name inside a.b
                name = name.rpartition(".")[0]
            if name:
                yield name
        return
    if node.level:  # relative: from its own package upwards
        base = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        if submodule in known:  # "from hvlab.gui import ids": the module hvlab.gui.ids
            yield submodule
        elif source in known:  # "from hvlab.gui.actions import VmActions"
            yield source


def module_graph(root: Path, package: str) -> dict[str, set[str]]:
    """For each module of ``package``, the modules of the same package it imports."""
    known = module_names(root, package)
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(_imported(node, module, is_package, known))
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops: each set of modules that reach one another, sorted (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)
