"""File ▸ Connect to Server…: hvlab servers beside the local lab (docs/remote.md).

Each server the console connects to gets its own Hyper-V Manager window over a bridge whose
engine is the server's connection (:class:`~hvlab.engine.remote.RemoteEngine`), so every
view, dialog and command works there as on the local lab, with the server's own clock
controls.  The local window's tree lists the servers under the local lab; picking one
raises its window.  A lost connection shows in the tree and in the server window's status
bar; the connection is made again by itself, and the window then reads everything again
(nothing it showed is trusted across the gap).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hvlab.engine.api import HvError
from hvlab.gui import dialogs, ids
from hvlab.gui.bars import first_in_file_menu

if TYPE_CHECKING:
    from hvlab.engine.remote import RemoteEngine
    from hvlab.gui.bridge import Bridge
    from hvlab.gui.main_window import MainWindow
    from hvlab.gui.remote_clock import RemoteClock


class _StatusRelay(QObject):
    """Carries the connection's status from its reader thread to the GUI thread."""

    changed = Signal(bool, str)


@dataclass
class RemoteServer:
    """One connected server: its connection, bridge and window."""

    url: str
    engine: RemoteEngine
    clock: RemoteClock
    bridge: Bridge
    window: MainWindow
    connected: bool = True
    message: str = ""
    relay: _StatusRelay = field(default_factory=_StatusRelay)

    @property
    def name(self) -> str:
        return self.engine.name

    @property
    def label(self) -> str:
        return self.name if self.connected else f"{self.name} (connection lost)"


class ServerConsoles(QObject):
    """The servers the local window is connected to; adds File ▸ Connect to Server….

    Signals:
        changed(): a server was added or removed, or its connection was lost or made again.
    """

    changed = Signal()
    _connected = Signal(object, object)  # (dialog, RemoteEngine | HvError), to the GUI thread

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.servers: dict[str, RemoteServer] = {}
        self.action = QAction("Connect to &Server…", window)
        ids.apply(self.action, ids.ACT_CONNECT_SERVER)
        self.action.setStatusTip("Connect to an hvlab server and manage its lab in a window "
                                 "of its own.")
        self.action.triggered.connect(self.open_dialog)
        first_in_file_menu(window, self.action, separator=True)  # before File ▸ New
        window.tree.server_activated.connect(self.show_server)
        self._connected.connect(self._on_connected, Qt.ConnectionType.QueuedConnection)
        self.dialog: ConnectDialog | None = None

    # -- connecting ---------------------------------------------------------------------------
    def open_dialog(self) -> ConnectDialog:
        dialog = ConnectDialog(self, self.window)
        self.dialog = dialog
        dialog.show()
        return dialog

    def begin_connect(self, dialog: ConnectDialog, address: str, token: str,
                      fingerprint: str | None) -> None:
        """Connect on a worker thread (a network round trip is longer than a blink); the
        dialog shows progress and may be cancelled meanwhile."""

        def work() -> None:
            from hvlab.engine.remote import RemoteEngine

            result: RemoteEngine | HvError
            try:
                result = RemoteEngine(address, token or None, fingerprint=fingerprint)
            except HvError as err:
                result = err
            self._connected.emit(dialog, result)

        threading.Thread(target=work, name="hvlab-connect", daemon=True).start()

    def _on_connected(self, dialog: ConnectDialog, result: RemoteEngine | HvError) -> None:
        if isinstance(result, HvError):
            dialog.failed(result)
            return
        if dialog.cancelled:
            result.close()
            return
        dialog.accept()
        self.add(result)

    def add(self, engine: RemoteEngine) -> RemoteServer:
        """Show ``engine``'s lab in a window of its own and list it in the tree."""
        from hvlab.gui.bridge import Bridge
        from hvlab.gui.main_window import WINDOW_TITLE, MainWindow
        from hvlab.gui.remote_clock import RemoteClock

        existing = self.servers.get(engine.url)
        if existing is not None:
            engine.close()
            self.show_server(existing.url)
            return existing
        clock = RemoteClock(engine)
        running = clock.speed > 0
        # The bridge takes the server's clock as it is: running at its speed, or stopped.
        bridge = Bridge(engine=clock,  # type: ignore[arg-type]
                        clock="realtime" if running else "manual",
                        speed=clock.speed if running else 1.0)
        window = MainWindow(note=f"Connected to the hvlab server {engine.name}.")
        window.server_name = engine.name
        window.setWindowTitle(f"{WINDOW_TITLE} on {engine.name}")
        bridge.setParent(window)
        window.attach(bridge)
        status = QLabel("")
        ids.apply(status, ids.SERVER_STATUS)
        window.statusBar().addPermanentWidget(status)
        server = RemoteServer(engine.url, engine, clock, bridge, window)
        server.relay.changed.connect(lambda up, text: self._on_status(server, status, up, text))
        engine.listen_status(server.relay.changed.emit)
        self._set_status_label(server, status)
        if engine.read_only:
            for action in (*window.clock.speed_actions.values(), window.clock.step_action):
                action.setEnabled(False)
                action.setToolTip("This connection is read-only: the trainer runs the clock.")
        window.installEventFilter(self)
        self.servers[engine.url] = server
        bridge.host_changed.connect(lambda *_: self._update_tree())  # a host added, renamed
        window.show()
        self._update_tree()
        return server

    def _on_status(self, server: RemoteServer, label: QLabel, connected: bool,
                   message: str) -> None:
        server.connected, server.message = connected, message
        self._set_status_label(server, label)
        server.window.statusBar().showMessage(message if connected else
                                              f"{message} Reconnecting…")
        if connected:
            server.window.refresh_all()  # read everything again
        self._update_tree()

    @staticmethod
    def _set_status_label(server: RemoteServer, label: QLabel) -> None:
        access = "read-only" if server.engine.read_only else "read-write"
        label.setText(f"{server.name}: {'connected' if server.connected else 'connection lost'}"
                      f" ({access})")

    def show_server(self, url: str) -> None:
        server = self.servers.get(url)
        if server is not None:
            server.window.show()
            server.window.raise_()
            server.window.activateWindow()

    def disconnect_server(self, url: str) -> None:
        server = self.servers.pop(url, None)
        if server is None:
            return
        server.clock.detaching = True
        server.bridge.close()
        self._update_tree()

    def close_all(self) -> None:
        for url in list(self.servers):
            server = self.servers[url]
            self.disconnect_server(url)
            server.window.close()

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.Close:
            for url, server in list(self.servers.items()):
                if server.window is watched:
                    self.disconnect_server(url)
        return False

    def _update_tree(self) -> None:
        entries = []
        for s in self.servers.values():
            access = "read-only" if s.engine.read_only else "read-write"
            tip = f"hvlab server at {s.url} ({access})" + ("" if s.connected
                                                          else f": {s.message}")
            entries.append((s.url, s.label, s.connected, tip, self._host_names(s)))
        self.window.tree.set_servers(entries)
        self.changed.emit()

    @staticmethod
    def _host_names(server: RemoteServer) -> list[str]:
        try:
            return [h.name for h in server.bridge.api.hosts()]
        except HvError:  # lost before it was ever read: the server alone
            return []


class ConnectDialog(QDialog):
    """Select Computer: the server's name or address, the access token and, optionally,
    the certificate fingerprint the server printed."""

    def __init__(self, servers: ServerConsoles, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        ids.apply(self, ids.CONNECT_SERVER)
        self.setWindowTitle("Select Computer")
        self._servers = servers
        self.cancelled = False
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Connect to an hvlab server: the name or address of the "
                                "computer that runs “hvctl serve”, and the token it gave."))
        form = QFormLayout()
        self.address = QLineEdit()
        ids.apply(self.address, ids.CONNECT_SERVER_ADDRESS)
        self.address.setPlaceholderText("TRAINER-PC, 192.168.1.10:8765 or wss://host:8765/")
        self.token = QLineEdit()
        ids.apply(self.token, ids.CONNECT_SERVER_TOKEN)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.fingerprint = QLineEdit()
        ids.apply(self.fingerprint, ids.CONNECT_SERVER_FINGERPRINT)
        self.fingerprint.setPlaceholderText("optional: SHA-256, as the server printed it")
        form.addRow("&Another computer:", self.address)
        form.addRow("Access &token:", self.token)
        form.addRow("Certificate &fingerprint:", self.fingerprint)
        layout.addLayout(form)
        self.status = dialogs.status_label(ids.CONNECT_SERVER_STATUS)
        layout.addWidget(self.status)
        self.buttons, _ok, _cancel = dialogs.ok_cancel((ids.CONNECT_SERVER_OK,
                                                        ids.CONNECT_SERVER_CANCEL))
        self.buttons.accepted.connect(self._connect)
        self.buttons.rejected.connect(self._cancel)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self) -> QWidget:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert button is not None
        return button

    def _connect(self) -> None:
        address = self.address.text().strip()
        if not address:
            self.status.setText("Type the name or address of the server.")
            self.address.setFocus()
            return
        self.cancelled = False
        self.ok_button.setEnabled(False)
        self.status.setText(f"Connecting to {address}…")
        fingerprint = self.fingerprint.text().strip() or None
        self._servers.begin_connect(self, address, self.token.text().strip(), fingerprint)

    def _cancel(self) -> None:
        self.cancelled = True
        self.reject()

    def failed(self, err: HvError) -> None:
        """The connection was refused or could not be made: say why, keep what was typed."""
        self.ok_button.setEnabled(True)
        self.status.setText(err.text)
