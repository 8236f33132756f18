"""The client surface: one door (``hvlab.engine.api``) whose names all resolve, and a facade whose
every public method says whether it reads, commands or moves the clock."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import hvlab.engine.api
from hvlab.engine.api import CallKind, ManagementApi, declared_calls

DOOR = Path(hvlab.engine.api.__file__)


def test_every_public_facade_method_is_declared() -> None:
    declared = declared_calls(ManagementApi)
    public = {name for name, member in inspect.getmembers(ManagementApi)
              if not name.startswith("_") and callable(member)}
    # close() ends this facade's use of files; it is not an operation on the lab.
    assert public - set(declared) == {"close"}
    assert declared["vms"] is CallKind.QUERY
    assert declared["start"] is CallKind.COMMAND
    assert declared["advance"] is CallKind.CLOCK


def test_the_door_lists_each_name_once_and_every_name_resolves() -> None:
    tree = ast.parse(DOOR.read_text(encoding="utf-8"))
    typed: list[str] = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and node.module
                and node.module.startswith("hvlab.engine.")):
            typed.extend(alias.name for alias in node.names)
    assert sorted(typed) == hvlab.engine.api.__all__  # the typed names are the lazily loaded ones
    for name in hvlab.engine.api.__all__:
        assert getattr(hvlab.engine.api, name) is not None, name
    with pytest.raises(AttributeError):
        _ = hvlab.engine.api.Lab  # type: ignore[attr-defined]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def after_command(self) -> None:
        self.calls.append("command")

    def after_clock(self) -> None:
        self.calls.append("clock")


def test_the_observer_hears_each_outermost_call_once_even_when_it_fails() -> None:
    seen = Recorder()
    api = ManagementApi(seed=1, observer=seen)
    api.add_host("H", "ws2008r2")
    api.create_vm("A")
    api.vms()  # a query: not reported
    api.rename("A", "B")  # rename runs set_vm inside: reported once
    api.advance(1)
    with pytest.raises(hvlab.engine.api.NotFoundError):
        api.start("nobody")
    assert seen.calls == ["command", "command", "command", "clock", "command"]


def test_options_are_constructor_parameters(tmp_path: Path) -> None:
    api = ManagementApi(seed=5, storage_root=tmp_path / "lib")
    api.add_host("H", "ws2008r2")
    assert api.vhd_folder().startswith(str(tmp_path / "lib"))
