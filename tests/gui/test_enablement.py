"""Action enablement comes from the engine: in every VM state, each action is enabled exactly
when ``available_operations`` says so, and a disabled one shows the engine's reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from hvlab.engine.api import ManagementApi
from hvlab.gui.actions import SPECS
from hvlab.gui.connect_window import ConnectWindow
from hvlab.gui.main_window import MainWindow
from tests.gui.helpers import select

VM = "W2K8-DC01"  # running and booted in the demo lab, with integration services


def _off(api: ManagementApi) -> None:
    api.turn_off(VM)
    api.advance(5)


def _running(api: ManagementApi) -> None:
    pass


def _paused(api: ManagementApi) -> None:
    api.pause(VM)
    api.advance(2)


def _saved(api: ManagementApi) -> None:
    api.save(VM)
    api.advance(20)


#: How to bring VM into each state Hyper-V Manager shows (transitional ones: the command
#: without advancing the manual clock).
STATES: dict[str, Callable[[ManagementApi], None]] = {
    "Off": _off,
    "Starting": lambda api: (_off(api), api.start(VM)),
    "Running": _running,
    "Stopping": lambda api: api.turn_off(VM),
    "Saving": lambda api: api.save(VM),
    "Saved": _saved,
    "Pausing": lambda api: api.pause(VM),
    "Paused": _paused,
    "Resuming": lambda api: (_paused(api), api.resume(VM)),
}


@pytest.mark.parametrize("state", list(STATES))
def test_enablement_matches_the_engine_in_every_state(
        qtbot: QtBot, window: MainWindow, api: ManagementApi, state: str) -> None:
    STATES[state](api)
    window.bridge.step(0)
    assert api.vm(VM).state == state
    select(window, VM)
    connect = window.vm_windows.open_connect(api.vm(VM).id)
    assert isinstance(connect, ConnectWindow)
    ops = api.available_operations(VM)
    checked = 0
    for actions in (window.vm_actions, connect.vm_actions):
        for key, action in actions.actions.items():
            op = SPECS[key].operation
            if op is None:
                continue
            reason = ops[op]
            assert action.isEnabled() == (reason is None), (key, state, reason)
            if reason is not None:
                assert reason in action.toolTip(), (key, action.toolTip())
            checked += 1
    assert checked >= 17  # the main window's 10 lifecycle actions and the Connect window's 7
    # Connect… and Settings… work in every state; the Actions pane mirrors the actions.
    assert window.vm_actions["connect"].isEnabled()
    assert window.vm_actions["settings"].isEnabled()
    for key, action in window.vm_actions.actions.items():
        button = window.actions_pane.buttons[action.objectName()]
        assert button.isEnabled() == action.isEnabled(), key
