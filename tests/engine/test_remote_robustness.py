"""The server under abuse (docs/remote.md, "Reliability"): malformed and oversized messages,
floods, clients that vanish mid-job, and a server killed with SIGKILL.

The fuzzers use hypothesis; after every message a probe request on the same connection must
be answered, and every message in between must be a JSON-RPC response, so a server that
crashed, hung or wrote garbage fails the example.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from hvlab.engine.api import JobState, open_library
from hvlab.engine.remote import Access, KnownServers, RemoteEngine, RunningServer
from hvlab.engine.remote.protocol import MAX_MESSAGE_BYTES, api_methods
from tests.engine.remote_helpers import PATIENCE_S, call, client, proxy, raw, serve


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    folder = tmp_path_factory.mktemp("remote")
    server = serve(folder)
    try:
        yield server, folder
    finally:
        server.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["$t", "$m", "$b", "$f", "$e", "$d", "$a", "$s", "$u", "*", "ref",
                         "name", "x"]) | st.text(max_size=8), inner, max_size=4),
    max_leaves=25)
REQUESTS = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0"]),
     "method": st.sampled_from([*sorted(api_methods()), "hvlab.subscribe", "hvlab.watch",
                                "hvlab.events", "nope"]),
     "params": JSON},
    optional={"id": st.integers(-5, 5) | st.text(max_size=5) | st.none() | st.booleans()})
MESSAGES = (st.text(max_size=200) | st.binary(max_size=200) | JSON.map(json.dumps)
            | REQUESTS.map(json.dumps))


def _probe(connection: Any) -> None:
    """Ask for the clock; everything before its answer must be a JSON-RPC response."""
    connection.send(json.dumps({"jsonrpc": "2.0", "id": "probe", "method": "now_us"}))
    while True:
        reply = json.loads(connection.recv(timeout=PATIENCE_S))
        assert reply.get("jsonrpc") == "2.0", reply
        if reply.get("id") == "probe" and "method" not in reply:
            assert isinstance(reply["result"], int), reply
            return
        assert "method" in reply or "result" in reply or (
            isinstance(reply.get("error"), dict) and isinstance(reply["error"]["code"], int)
            and isinstance(reply["error"]["message"], str)), reply


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(MESSAGES, min_size=1, max_size=4))
def test_malformed_messages_get_errors_and_the_server_carries_on(
        shared: tuple[RunningServer, Path], messages: list[str | bytes]) -> None:
    server, _ = shared
    connection = raw(server, server.new_tokens[Access.READ_ONLY])
    try:
        for message in messages:
            connection.send(message)
        _probe(connection)
    finally:
        connection.close()


@pytest.mark.parametrize("message", [
    "{", "[]", "[{}]", "null", '"x"', "{}", '{"jsonrpc": "2.0"}',
    '{"jsonrpc": "2.0", "id": 1, "method": 5}',
    '{"jsonrpc": "2.0", "id": 1, "method": "vm", "params": 7}',
    '{"jsonrpc": "2.0", "id": 1, "method": "vm", "params": [{"$d": ["Popen", {}]}]}',
    '{"jsonrpc": "2.0", "id": 1, "method": "vm", "params": [{"$a": ["|O", [1], "AA=="]}]}',
    '{"jsonrpc": "2.0", "id": 1, "method": "__class__", "params": []}',
    '{"jsonrpc": "2.0", "id": 1, "method": "close", "params": []}',
    '{"jsonrpc": "2.0", "id": 1, "method": "vm", "params": ' + "[" * 100_000 + "]" * 100_000
    + "}",
])
def test_each_malformed_request_gets_the_json_rpc_error(shared: tuple[RunningServer, Path],
                                                         message: str) -> None:
    server, _ = shared
    connection = raw(server, server.new_tokens[Access.READ_ONLY])
    try:
        connection.send(message)
        reply = json.loads(connection.recv(timeout=PATIENCE_S))
        assert reply["error"]["code"] in (-32700, -32600, -32601, -32602), reply
        _probe(connection)
    finally:
        connection.close()


def test_an_oversized_message_closes_that_connection_only(
        shared: tuple[RunningServer, Path]) -> None:
    server, folder = shared
    other = client(server, folder, Access.READ_ONLY)
    big = raw(server, server.new_tokens[Access.READ_ONLY], max_size=None)
    try:
        with pytest.raises(ConnectionClosed) as closed:
            # The server may close while the message is still being sent, or after.
            big.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "vm",
                                 "params": ["x" * MAX_MESSAGE_BYTES]}))
            big.recv(timeout=PATIENCE_S)
        # 1009, message too big; unless the socket was gone before its close frame arrived.
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1009
        assert proxy(other).vm("XP-CLIENT").name == "XP-CLIENT"
    finally:
        big.close()
        other.close()


def test_a_flood_delays_another_client_by_one_request_at_most(
        shared: tuple[RunningServer, Path]) -> None:
    """A flooder pipelines thousands of requests; another client's request, sent once the
    flood is under way, is answered before the flooder gets more than a handful of answers
    (the server serves each connection one request at a time, in turn on the engine)."""
    server, _ = shared
    token = server.new_tokens[Access.READ_ONLY]
    flooder, victim = raw(server, token), raw(server, token)
    total = 3000
    answered = 0
    started, done = threading.Event(), threading.Event()

    def flood() -> None:
        for i in range(total):
            flooder.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "vm_table"}))
            if i == 100:
                started.set()

    def drain() -> None:
        nonlocal answered
        while answered < total:
            json.loads(flooder.recv(timeout=PATIENCE_S * 3))
            answered += 1
        done.set()

    threads = [threading.Thread(target=flood), threading.Thread(target=drain)]
    try:
        for t in threads:
            t.start()
        assert started.wait(PATIENCE_S)
        before = answered
        reply = call(victim, "vm", ["XP-CLIENT"], ident=7)
        during = answered - before
        assert reply["result"]["$d"][1]["name"] == "XP-CLIENT"
        assert not done.is_set(), "the flood ended before the victim's answer: too small"
        assert during < 200, f"the victim waited behind {during} of the flooder's requests"
    finally:
        for t in threads:
            t.join()
        flooder.close()
        victim.close()


def test_a_client_that_vanishes_mid_job_leaves_the_job_and_the_server_running(
        tmp_path: Path) -> None:
    server = serve(tmp_path)
    watcher = client(server, tmp_path, Access.READ_ONLY)
    try:
        quitter = raw(server, server.new_tokens[Access.READ_WRITE])
        started = call(quitter, "start", ["XP-CLIENT"])
        job_id = started["result"]["$d"][1]["id"]
        # A long clock call in flight, then the socket goes away without a close frame.
        quitter.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "advance",
                                 "params": [120]}))
        quitter.socket.close()
        view = proxy(watcher)
        job = view.job(job_id)  # answered once the engine is done with the advance
        assert job.state is JobState.COMPLETED
        assert view.vm("XP-CLIENT").state == "Running"
        assert server.thread._thread.is_alive()
        other = client(server, tmp_path)
        assert proxy(other).vm("XP-CLIENT").state == "Running"
        other.close()
    finally:
        watcher.close()
        server.close()


HVCTL_SERVE = [sys.executable, "-m", "hvlab.hvctl", "serve"]
#: The hvlab-server program (its console script runs this).
HVLAB_SERVER = [sys.executable, "-c", "import sys; from hvlab.hvctl.serve import main; "
                "sys.exit(main())"]


def _start_process(folder: Path, program: list[str] = HVCTL_SERVE,
                   ) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    env = {**os.environ, "HVLAB_CONFIG": str(folder / "config")}
    with (folder / "stderr.txt").open("w") as errors:
        process = subprocess.Popen(
            [*program, "--library", str(folder / "library"),
             "--listen", "127.0.0.1", "--port", "0", "--speed", "10"],
            stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    text = "".join(lines)
    url = re.search(r"address: (\S+)", text)
    tokens = dict(re.findall(r"(read-write|read-only):\s+(\S+)", text))
    assert url and tokens, text + (folder / "stderr.txt").read_text()
    return process, url.group(1), tokens


def test_sigkill_of_the_server_loses_no_vm_a_client_saw_created(tmp_path: Path) -> None:
    """Out of process, two clients at once: every VM whose creation a client saw succeed
    is in the library after the server is killed; the library opens without repair."""
    process, url, tokens = _start_process(tmp_path)
    seen: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    killed = threading.Event()
    #: What went wrong in a client before the kill (after it, errors are expected).
    errors: list[BaseException] = []

    def create(prefix: str) -> None:
        engine: RemoteEngine | None = None
        try:
            engine = RemoteEngine(url, tokens["read-write"],
                                  known=KnownServers(tmp_path / prefix), reconnect=False)
            api = proxy(engine)
            for i in range(200):
                if stop.is_set():
                    return
                name = f"{prefix}-{i}"
                api.create_vm(name, memory_startup_mb=64)
                with lock:
                    seen.append(name)
        except Exception as err:  # after the kill: that VM was never seen
            if not killed.is_set():
                errors.append(err)
        finally:
            if engine is not None:
                engine.close()

    threads = [threading.Thread(target=create, args=(p,)) for p in ("A", "B")]
    try:
        for t in threads:
            t.start()
        watcher = RemoteEngine(url, tokens["read-only"], known=KnownServers(tmp_path / "w"))
        ticks: list[Any] = []
        got_tick = threading.Event()
        watcher.listen_ticks(lambda tick: (ticks.append(tick), got_tick.set()))
        assert got_tick.wait(PATIENCE_S), "the out-of-process server runs its clock"
        for _ in range(2000):  # until both clients created some VMs
            with lock:
                if sum(n.startswith("A") for n in seen) >= 5 and sum(
                        n.startswith("B") for n in seen) >= 5:
                    break
            assert not errors, errors  # a client failed before the kill: no point waiting
            got_tick.clear()
            got_tick.wait(1)
        killed.set()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(PATIENCE_S)
        stop.set()
        watcher.close()
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
        for t in threads:
            t.join()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    with lock:
        created = list(seen)
    assert sum(n.startswith("A") for n in created) >= 5
    assert sum(n.startswith("B") for n in created) >= 5
    with open_library(tmp_path / "library") as library:
        names = {vm.name for vm in library.api.vms()}
    missing = [n for n in created if n not in names]
    assert missing == []


def test_sigterm_stops_the_server_after_its_final_save(tmp_path: Path) -> None:
    """(hvlab-server, the program of its own, serves as `hvctl serve` does.)"""
    process, url, tokens = _start_process(tmp_path, HVLAB_SERVER)
    try:
        engine = RemoteEngine(url, tokens["read-write"], known=KnownServers(tmp_path / "c"),
                              reconnect=False)
        proxy(engine).create_vm("Kept", memory_startup_mb=64)
        engine.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(PATIENCE_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert "the library is saved" in (tmp_path / "stderr.txt").read_text()
    with open_library(tmp_path / "library") as library:  # the lock was released
        assert "Kept" in {vm.name for vm in library.api.vms()}
