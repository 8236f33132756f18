"""The hvlab server and its client transport (docs/remote.md), in process: two clients at
once, access, errors that keep their type, certificates, tokens, streams, reconnection and
``hvctl --server``."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hvlab.engine.api import (
    AccessDeniedError,
    JobState,
    ManagementApi,
    NotFoundError,
    Operation,
    ValidationError,
    VmState,
)
from hvlab.engine.remote import (
    Access,
    ConnectionLostError,
    KnownServers,
    RemoteEngine,
    RunningServer,
    codec,
)
from hvlab.engine.remote.security import TOKENS_FILE, certificate_fingerprint
from hvlab.hvctl import main as hvctl
from tests.engine.remote_helpers import Waiter, client, proxy, running, serve


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with running(tmp_path) as started:
        yield started


@pytest.fixture
def writer_and_watcher(server: RunningServer,
                       tmp_path: Path) -> Iterator[tuple[RemoteEngine, RemoteEngine]]:
    """Two clients of ``server``: one read-write, one read-only."""
    writer, watcher = client(server, tmp_path), client(server, tmp_path, Access.READ_ONLY)
    try:
        yield writer, watcher
    finally:
        writer.close()
        watcher.close()


def test_two_clients_share_one_lab(
        writer_and_watcher: tuple[RemoteEngine, RemoteEngine]) -> None:
    writer, watcher = writer_and_watcher
    seen = Waiter()
    watcher.listen(seen)
    api, view = proxy(writer), proxy(watcher)
    created = api.create_vm("Shared", memory_startup_mb=512)
    assert view.vm("Shared") == created
    seen.until(lambda items: any(getattr(e, "vm_id", "") == created.id
                                 and getattr(e, "change", "") == "added" for e in items),
               "the watcher to hear of the new VM")
    # Both at once, from two threads each: every answer is the right one.
    errors: list[BaseException] = []

    def hammer(engine_api: ManagementApi, name: str) -> None:
        try:
            for _ in range(25):
                assert engine_api.vm(name).name == name
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(a, n))
               for a in (api, view) for n in ("Shared", "XP-CLIENT")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_read_only_clients_are_refused_and_nothing_changes(server: RunningServer,
        tmp_path: Path) -> None:
    watcher = client(server, tmp_path, Access.READ_ONLY)
    try:
        view = proxy(watcher)
        before = view.vms()
        now = view.now_us
        with pytest.raises(AccessDeniedError, match="read-only: create_vm changes the lab"):
            view.create_vm("Nope")
        with pytest.raises(AccessDeniedError, match="required permission"):
            view.advance(10)
        with pytest.raises(AccessDeniedError):
            watcher.run_clock(60)
        assert view.vms() == before and view.now_us == now
        assert watcher.read_only
    finally:
        watcher.close()


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_client_without_a_valid_token_is_refused(server: RunningServer, tmp_path: Path,
                                                   token: str | None) -> None:
    with pytest.raises(AccessDeniedError, match="required permission to connect") as caught:
        RemoteEngine(server.url, token, known=KnownServers(tmp_path / "client"))
    assert ("no access token" in str(caught.value)) == (token is None)


def test_engine_errors_arrive_with_their_type_and_fields(server: RunningServer,
        tmp_path: Path) -> None:
    writer = client(server, tmp_path)
    try:
        api = proxy(writer)
        with pytest.raises(ValidationError) as caught:
            api.create_vm("Tiny", memory_startup_mb=3, cpu_count=99)
        assert set(caught.value.fields) >= {"memory_startup_mb", "cpu_count"}
        assert caught.value.field == "memory_startup_mb"
        with pytest.raises(NotFoundError, match='virtual machine with name "Ghost"'):
            api.vm("Ghost")
        with pytest.raises(TypeError, match="unexpected keyword"):
            api.vm("XP-CLIENT", colour="blue")
        assert api.vms()  # the connection is still there
    finally:
        writer.close()


def test_every_kind_of_answer_survives_the_round_trip(server: RunningServer,
        tmp_path: Path) -> None:
    writer = client(server, tmp_path, watch_counters=False)
    try:
        api = proxy(writer)
        local = ManagementApi(seed=1)
        ops = api.available_operations("XP-CLIENT")
        assert all(isinstance(k, Operation) for k in ops)
        table = api.vm_table()
        assert table.cpu_usage_percent.dtype == np.float64 and len(table.ids) == 6
        assert api.vm("XP-CLIENT").state == VmState.OFF.value
        job = api.start("XP-CLIENT")
        assert isinstance(job.state, JobState)
        assert api.wait(job).state is JobState.COMPLETED
        for value in (local.profiles(), local.guest_os_list(), local.capture_state(),
                      local.event_log(), {"a": b"\x00\xff", "$x": float("nan")}):
            again = codec.decode(json.loads(json.dumps(codec.encode(value))))
            assert repr(again) == repr(value)
    finally:
        writer.close()


def test_the_certificate_is_pinned(server: RunningServer,
        tmp_path: Path) -> None:
    token = server.new_tokens[Access.READ_ONLY]
    known = KnownServers(tmp_path / "pinned")
    good = certificate_fingerprint(tmp_path / "config" / "server.crt")
    assert good == server.fingerprint
    RemoteEngine(server.url, token, fingerprint=good.lower(), known=known).close()
    with pytest.raises(AccessDeniedError, match="not the expected one"):
        RemoteEngine(server.url, token, fingerprint="AB" * 32, known=known)
    # Trust on first use, then insist on it.
    RemoteEngine(server.url, token, known=known).close()
    (known.path).write_text(json.dumps({server.url: "00:" * 31 + "00"}))
    with pytest.raises(AccessDeniedError, match="has changed"):
        RemoteEngine(server.url, token, known=known)


def test_tokens_are_made_once_and_kept_as_hashes(tmp_path: Path) -> None:
    with running(tmp_path) as first:
        made = dict(first.new_tokens)
        assert set(made) == set(Access)
    stored = (tmp_path / "config" / TOKENS_FILE).read_text()
    assert not any(token in stored for token in made.values())
    assert os.stat(tmp_path / "config" / TOKENS_FILE).st_mode & 0o077 == 0
    with running(tmp_path) as second:
        assert second.new_tokens == {}
        second.new_tokens.update(made)  # the old tokens still open the lab
        client(second, tmp_path).close()
    with running(tmp_path, new_tokens=True) as third, pytest.raises(AccessDeniedError):
        RemoteEngine(third.url, made[Access.READ_WRITE], known=KnownServers(tmp_path / "c"))


def test_ticks_and_histories_are_streamed(server: RunningServer,
        tmp_path: Path) -> None:
    writer, watcher = client(server, tmp_path), client(server, tmp_path, Access.READ_ONLY)
    checker = client(server, tmp_path, watch_counters=False)
    try:
        ticks = Waiter()
        watcher.listen_ticks(ticks)
        view, fresh = proxy(watcher), proxy(checker)
        counter_set = fresh.counter_sets()[0]
        counter = (counter_set.name, counter_set.counters[0], counter_set.instances[0])
        calls = {"host_history": lambda api: api.host_history(),
                 "vm_history": lambda api: api.vm_history("W2K8-DC01"),
                 "counter_history": lambda api: dict(zip(
                     ("times", "values"), api.counter_history(*counter), strict=True))}
        first = {name: read(view) for name, read in calls.items()}
        sent = []
        original = watcher.submit
        watcher.submit = lambda *a: sent.append(a[0]) or original(*a)
        writer.run_clock(30)
        ticks.until(lambda items: len(items) >= 3 and items[-1].speed == 30, "ticks at 30x")

        def grown(_: object) -> bool:
            return all(read(view)["times"][-1] >= first[name]["times"][-1] + 3
                       for name, read in calls.items())

        ticks.until(grown, "three more seconds of every history")
        writer.run_clock(0)
        assert not set(calls) & set(sent)  # streamed, not asked for again
        for name, read in calls.items():
            streamed, truth = read(view), read(fresh)
            common = np.intersect1d(streamed["times"], truth["times"])
            assert len(common) > 3
            for series in truth:
                np.testing.assert_array_equal(
                    streamed[series][np.isin(streamed["times"], common)],
                    truth[series][np.isin(truth["times"], common)], err_msg=f"{name} {series}")
    finally:
        for engine in (writer, watcher, checker):
            engine.close()


def test_a_history_that_is_gone_raises_the_engines_error(
        writer_and_watcher: tuple[RemoteEngine, RemoteEngine]) -> None:
    writer, watcher = writer_and_watcher
    ticks = Waiter()
    watcher.listen_ticks(ticks)
    view = proxy(watcher)
    assert len(view.vm_history("XP-CLIENT")["times"]) > 0
    proxy(writer).delete_vm("XP-CLIENT")
    writer.run_clock(30)

    def refused(_: object) -> bool:
        try:
            view.vm_history("XP-CLIENT")
        except NotFoundError:
            return True
        return False

    ticks.until(refused, "the deleted VM's history to be refused")


def test_a_lost_connection_is_reported_and_made_again(tmp_path: Path) -> None:
    server = serve(tmp_path)
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    watcher = client(server, tmp_path, Access.READ_ONLY)
    status = Waiter()
    watcher.listen_status(lambda connected, message: status((connected, message)))
    try:
        server.close()
        status.until(lambda items: any(not c for c, _ in items), "the loss to be reported")
        with pytest.raises(ConnectionLostError, match="was lost"):
            proxy(watcher).vms()
        server = serve(tmp_path, port=port)
        status.until(lambda items: items[-1][0], "the connection to be made again")
        assert "XP-CLIENT" in [vm.name for vm in proxy(watcher).vms()]
    finally:
        watcher.close()
        server.close()


def test_hvctl_runs_commands_on_a_server(server: RunningServer, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVLAB_CONFIG", str(tmp_path / "hvctl"))
    token = server.new_tokens[Access.READ_WRITE]
    assert hvctl(["--server", server.url, "--token", token, "vm", "new", "Scripted",
                  "--memory", "256", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "Scripted"
    for command in (["vhd", "new", "remote.vhd", "--size-gb", "1"], ["vhd", "inspect",
                                                                    "remote.vhd"]):
        assert hvctl(["--server", server.url, "--token", token, "--json", *command]) == 0
        made = json.loads(capsys.readouterr().out)
    assert made["path"].endswith("remote.vhd") and len(made["unique_id"]) == 36
    monkeypatch.setenv("HVLAB_TOKEN", server.new_tokens[Access.READ_ONLY])
    assert hvctl(["vm", "list", "--json", "--server", server.url]) == 0
    assert "Scripted" in [vm["name"] for vm in json.loads(capsys.readouterr().out)]
    assert hvctl(["--server", server.url, "vm", "start", "Scripted"]) == 1
    assert "read-only" in capsys.readouterr().err
    assert hvctl(["--server", server.url, "events", "--last", "1", "--json"]) == 0
    assert "'Scripted' was created" in json.loads(capsys.readouterr().out)[0]["message"]
    assert hvctl(["--server", server.url, "--library", str(tmp_path), "vm", "list"]) == 2


def test_a_client_of_another_protocol_version_is_refused(server: RunningServer) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    from hvlab.engine.remote.security import client_context

    with pytest.raises(InvalidStatus) as refused:
        connect(server.url, ssl=client_context(), subprotocols=["hvlab.v0"],  # type: ignore[list-item]
                additional_headers={"Authorization":
                                    f"Bearer {server.new_tokens[Access.READ_ONLY]}"},
                open_timeout=20).__enter__()
    assert refused.value.response.status_code == 426
    assert b"speaks protocol hvlab.v1" in refused.value.response.body


def test_the_server_methods_check_their_params(server: RunningServer, tmp_path: Path) -> None:
    from tests.engine.remote_helpers import call, raw

    connection = raw(server, server.new_tokens[Access.READ_ONLY])
    try:
        for method, params in (("hvlab.watch", {"streams": [["disk", "x"]]}),
                               ("hvlab.watch", {"streams": [["vm", None]]}),
                               ("hvlab.watch", {"streams": [["counter", "x", None, "y", None]]}),
                               ("hvlab.watch", {"streams": [["counter", "x"]]}),
                               ("hvlab.events", {"colour": "red"}),
                               ("now_us", [1])):
            reply = call(connection, method, params)
            assert reply["error"]["code"] == -32602, (method, reply)
        watched = call(connection, "hvlab.watch", {"streams": [["host", None]]})
        assert watched["result"] == [["host", None]]
        assert call(connection, "hvlab.run_clock", [10])["error"]["code"] == -32001
    finally:
        connection.close()


def test_every_field_of_every_protocol_record_has_a_type_the_codec_writes() -> None:
    """A record that gains a field of a new kind (a UUID, a date) must teach the codec it:
    every leaf type of every record and enum the surface names is one the codec knows."""
    import dataclasses
    import enum
    import sys
    import typing
    import uuid

    known = {type(None), bool, int, float, str, bytes, tuple, list, dict, set, frozenset,
             uuid.UUID, np.ndarray, typing.Any}

    def leaves(tp: object) -> set[object]:
        args = typing.get_args(tp)
        origin = typing.get_origin(tp)
        found = {origin} if origin in (tuple, list, dict, set, frozenset) else set()
        if origin is np.ndarray:
            return {np.ndarray}
        if not args:
            return {tp}
        for arg in args:
            if arg is not Ellipsis:
                found |= leaves(arg)
        return found

    registry = codec.registry()
    unknown = []
    for tp in registry.values():
        if not dataclasses.is_dataclass(tp):
            continue
        hints = typing.get_type_hints(tp, vars(sys.modules[tp.__module__]))
        for f in dataclasses.fields(tp):
            for leaf in leaves(hints[f.name]):
                if leaf in known or (isinstance(leaf, type) and (
                        issubclass(leaf, enum.Enum) or dataclasses.is_dataclass(leaf))
                        and registry.get(leaf.__name__) is leaf):
                    continue
                unknown.append(f"{tp.__name__}.{f.name}: {leaf}")
    assert unknown == []
    assert {"VhdInfo", "VmConfig", "VmTableSnapshot", "LabState"} <= set(registry)


def test_a_port_in_use_is_refused_in_words_and_the_library_is_released(
        server: RunningServer, tmp_path: Path) -> None:
    from hvlab.engine.api import HvError, open_library
    from tests.engine.remote_helpers import serve as serve_on

    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(HvError, match=f"cannot listen on 127.0.0.1:{port}"):
        serve_on(tmp_path / "second", port=port)
    with open_library(tmp_path / "second" / "library"):  # the lock was released
        pass
