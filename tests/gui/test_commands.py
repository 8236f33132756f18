"""The VM actions' table says what each action does, and VmCommands does exactly that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui.actions import (
    CONNECT_NAMES,
    MAIN_NAMES,
    MAX_CONNECT_AT_ONCE,
    VM_ACTIONS,
    EngineCommand,
    VmActions,
    WindowCommand,
    WindowTask,
)
from hvlab.gui.bridge import Bridge
from hvlab.gui.commands import VmCommands
from tests.gui.conftest import DialogRecorder


class _Recorder:
    """Stands in for the API: records the name of each method called."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Callable[[str], None]:
        return lambda vm: self.calls.append((name, vm))


def test_each_engine_command_calls_the_operation_that_enables_it() -> None:
    for spec in VM_ACTIONS:
        if not isinstance(spec.runs, EngineCommand):
            continue
        assert spec.operation is not None, spec.key
        api: Any = _Recorder()
        spec.runs.call(api, "vm-1")
        assert api.calls == [(spec.operation.value.replace("-", "_"), "vm-1")], spec.key


def test_every_window_task_has_an_action_and_connect_is_the_only_one_for_many() -> None:
    tasks = [s.runs.task for s in VM_ACTIONS if isinstance(s.runs, WindowCommand)]
    assert sorted(t.name for t in tasks) == sorted(t.name for t in WindowTask)
    many = {s.key for s in VM_ACTIONS
            if isinstance(s.runs, WindowCommand) and s.runs.at_most > 1}
    assert many == {"connect"}


def test_a_window_must_handle_every_task_its_actions_hand_over(
        qtbot: QtBot, bridge: Bridge) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    actions = VmActions(MAIN_NAMES, holder)
    with pytest.raises(ValueError, match="CHECKPOINT, CONNECT, DELETE"):
        VmCommands(bridge, actions, holder, {WindowTask.SETTINGS: print,
                                             WindowTask.EXPORT: print,
                                             WindowTask.RENAME: print})
    # A Connect window shows Settings and Checkpoint among the window tasks.
    connect_actions = VmActions(CONNECT_NAMES, holder)
    with pytest.raises(ValueError, match="CHECKPOINT"):
        VmCommands(bridge, connect_actions, holder, {WindowTask.SETTINGS: print})
    VmCommands(bridge, connect_actions, holder, {WindowTask.SETTINGS: print,
                                                 WindowTask.CHECKPOINT: print})


def test_dispatch_is_the_table(qtbot: QtBot, api: ManagementApi, bridge: Bridge,
                               shown: DialogRecorder) -> None:
    holder = QWidget()
    qtbot.addWidget(holder)
    actions = VmActions(MAIN_NAMES, holder)
    opened: list[tuple[WindowTask, str]] = []
    commands = VmCommands(bridge, actions, holder, {
        task: (lambda vm, t=task: opened.append((t, vm))) for task in WindowTask})
    messages: list[str] = []
    commands.message.connect(messages.append)

    many = [f"vm-{i}" for i in range(MAX_CONNECT_AT_ONCE + 3)]
    actions.triggered.emit("connect", many)
    assert opened == [(WindowTask.CONNECT, v) for v in many[:MAX_CONNECT_AT_ONCE]]
    opened.clear()
    actions.triggered.emit("delete", ["vm-0"])
    assert opened == [(WindowTask.DELETE, "vm-0")]

    running = [v.id for v in api.vms() if v.state == "Running"][:2]
    actions.triggered.emit("turn_off", running)  # confirmed first, as Hyper-V Manager asks
    assert shown.confirmations == ["Turn Off Machine"]
    bridge.step(5)
    assert {api.vm(v).state for v in running} == {"Off"}
    assert messages == [f"Turning off {', '.join(api.vm(v).name for v in running)}."]
