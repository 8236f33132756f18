"""File ▸ Connect to Server… (gui/servers.py): the console connects to an hvlab server run in
this process, shows its lab in a window of its own with its own clock controls, starts a VM
there, and survives losing the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from hvlab.engine.remote import Access, RunningServer
from hvlab.gui import ids
from hvlab.gui.app import create_main_window
from hvlab.gui.main_window import MainWindow
from hvlab.gui.servers import ConnectDialog, RemoteServer, ServerConsoles
from tests.engine.remote_helpers import serve
from tests.gui.conftest import DialogRecorder

WAIT_MS = 20_000


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningServer]:
    monkeypatch.setenv("HVLAB_CONFIG", str(tmp_path / "console-config"))
    running = serve(tmp_path / "server")
    yield running
    running.close()


@pytest.fixture
def console(qtbot: QtBot, light_theme: None,
            server: RunningServer) -> Iterator[tuple[MainWindow, ServerConsoles]]:
    """(After the server, so that it is closed before the server stops.)"""
    window = create_main_window()
    servers = ServerConsoles(window)
    qtbot.addWidget(window)
    window.show()
    yield window, servers
    servers.close_all()
    window.close()


def _connect(qtbot: QtBot, servers: ServerConsoles, address: str, token: str) -> ConnectDialog:
    servers.action.trigger()
    dialog = servers.dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.address, address)
    qtbot.keyClicks(dialog.token, token)
    dialog.findChild(object, ids.CONNECT_SERVER_OK.object_name).click()  # type: ignore[union-attr]
    return dialog


def _connected(qtbot: QtBot, servers: ServerConsoles, server: RunningServer,
               access: Access = Access.READ_WRITE) -> RemoteServer:
    _connect(qtbot, servers, server.url, server.new_tokens[access])
    qtbot.waitUntil(lambda: server.url in servers.servers, timeout=WAIT_MS)
    remote = servers.servers[server.url]
    qtbot.addWidget(remote.window)
    return remote


def test_file_menu_offers_connect_to_server(console: tuple[MainWindow, ServerConsoles]) -> None:
    window, servers = console
    file_menu = window.findChild(QMenu, ids.MENU_FILE.object_name)
    assert file_menu is not None and file_menu.actions()[0] is servers.action
    assert ids.accessible_name(servers.action) == "Connect to Server…"


def test_the_console_connects_and_starts_a_vm_on_the_server(
        qtbot: QtBot, console: tuple[MainWindow, ServerConsoles],
        server: RunningServer) -> None:
    window, servers = console
    remote = _connected(qtbot, servers, server)
    # Listed in the local window's tree, beside the local lab.
    item = window.tree.server_item(server.url)
    assert item is not None and item.text(0) == remote.name
    assert [item.child(i).text(0) for i in range(item.childCount())] == ["LAB-HOST-01"]
    # The server's own window, its own clock: pick the VM and start it there.
    rw = remote.window
    qtbot.waitUntil(lambda: rw.windowTitle() == f"Hyper-V Manager — LAB-HOST-01 on "
                                                f"{remote.name}", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "XP-CLIENT" in [rw.model.vm_id_at(r) and rw.model.index(r, 0).data()
                                            for r in range(rw.model.rowCount())],
                    timeout=WAIT_MS)
    row = [rw.model.index(r, 0).data() for r in range(rw.model.rowCount())].index("XP-CLIENT")
    rw.vm_list.select_ids([rw.model.vm_id_at(row)])
    qtbot.waitUntil(lambda: rw.vm_actions["start"].isEnabled(), timeout=WAIT_MS)
    rw.vm_actions["start"].trigger()
    rw.clock.speed_actions[10.0].trigger()  # the server's clock, not the local one
    qtbot.waitUntil(lambda: server.engine.speed == 10.0, timeout=WAIT_MS)
    assert window.bridge.speed != 10.0 or window.bridge.mode == "manual"
    qtbot.waitUntil(lambda: server.engine.request("vm", ("XP-CLIENT",), {}).state == "Running",
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Running" in rw.model.index(row, 1).data(), timeout=WAIT_MS)


def test_a_refused_token_is_shown_and_nothing_is_added(
        qtbot: QtBot, console: tuple[MainWindow, ServerConsoles],
        server: RunningServer) -> None:
    _, servers = console
    dialog = _connect(qtbot, servers, server.url, "wrong")
    qtbot.waitUntil(lambda: "required permission" in dialog.status.text(), timeout=WAIT_MS)
    assert servers.servers == {} and dialog.isVisible()
    assert dialog.address.text() == server.url  # what was typed is kept


def test_a_read_only_connection_leaves_the_clock_to_the_trainer(
        qtbot: QtBot, console: tuple[MainWindow, ServerConsoles],
        server: RunningServer) -> None:
    _, servers = console
    remote = _connected(qtbot, servers, server, Access.READ_ONLY)
    assert not any(a.isEnabled() for a in remote.window.clock.speed_actions.values())
    assert "read-only" in remote.window.findChild(
        object, ids.SERVER_STATUS.object_name).text()  # type: ignore[union-attr]


def test_a_lost_server_shows_in_the_tree_and_the_console_reconnects(
        qtbot: QtBot, console: tuple[MainWindow, ServerConsoles], server: RunningServer,
        tmp_path: Path, shown: DialogRecorder) -> None:
    window, servers = console
    remote = _connected(qtbot, servers, server)
    rw = remote.window
    qtbot.waitUntil(lambda: rw.model.rowCount() == 6, timeout=WAIT_MS)
    names = [rw.model.index(r, 0).data() for r in range(rw.model.rowCount())]
    rw.vm_list.select_ids([rw.model.vm_id_at(names.index("XP-CLIENT"))])  # Off
    qtbot.waitUntil(lambda: rw.vm_actions["start"].isEnabled(), timeout=WAIT_MS)
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    server.close()
    qtbot.waitUntil(lambda: "connection lost" in window.tree.server_item(
        server.url).text(0), timeout=WAIT_MS)  # type: ignore[union-attr]
    assert "Reconnecting" in rw.statusBar().currentMessage()
    # A command meanwhile says why it cannot run; the window keeps what it showed.
    rw.vm_actions["start"].trigger()
    qtbot.waitUntil(lambda: any("was lost" in m for m in shown.error_messages()),
                    timeout=WAIT_MS)
    assert rw.model.rowCount() == 6
    again = serve(tmp_path / "server", port=port)
    try:
        qtbot.waitUntil(lambda: window.tree.server_item(server.url).text(0) == remote.name,
                        timeout=WAIT_MS)  # type: ignore[union-attr]
        assert remote.connected
        assert "XP-CLIENT" in [vm.name for vm in remote.bridge.api.vms()]
    finally:
        servers.close_all()
        again.close()


def test_the_select_computer_dialog_and_a_server_window_are_fully_named(
        qtbot: QtBot, console: tuple[MainWindow, ServerConsoles],
        server: RunningServer) -> None:
    from tests.gui.test_accessibility import duplicate_names, unnamed

    _, servers = console
    dialog = servers.open_dialog()
    qtbot.addWidget(dialog)
    assert unnamed(dialog) == [] and duplicate_names(dialog) == []
    dialog.close()
    remote = _connected(qtbot, servers, server)
    assert unnamed(remote.window) == [] and duplicate_names(remote.window) == []
