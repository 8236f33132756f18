"""VMBus ports and connections: a child sends only on connections it owns, to their port."""

from __future__ import annotations

from pathlib import Path

from hvlab.engine.api import ManagementApi, open_library
from hvlab.engine.config import HardDrive, NetworkAdapter
from hvlab.engine.sim.hypervisor import HvStatus, PortType

from .helpers import boot, make_api


def two_guests() -> ManagementApi:
    api = make_api("ws2008r2", ram_gb=32)
    api.create_switch("LAN", "Private")
    for name in ("Evil", "Victim"):
        api.create_vm(name, hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd")],
                      network_adapters=[NetworkAdapter(switch="LAN")],
                      automatic_start_action="Nothing")
        boot(api, name, 120)
    return api


def connection(api: ManagementApi, vm: str, label: str) -> int:
    return next(c.connection_id for c in api.vmbus_connections(vm) if c.label == label)


def denials(api: ManagementApi, vm: str) -> list[str]:
    return [e.message for e in api.event_log(vm=vm) if e.event_id == 16640]


def test_defect08_child_cannot_post_to_foreign_partition() -> None:
    api = two_guests()
    victim = api.vm("Victim").partition_id
    own_message, own_nic = connection(api, "Evil", "vmbus"), connection(api, "Evil", "nic0")
    their_message, their_nic = connection(api, "Victim", "vmbus"), connection(api, "Victim", "nic0")
    before = {c.partition: dict(c.calls) for c in api.hypercall_counters()}["Victim"]
    attempts = [
        # Another partition's connection: not the caller's to use.
        ("HvPostMessage", {"connection_id": their_message}, None, HvStatus.ACCESS_DENIED,
         "belongs to partition"),
        ("HvSignalEvent", {"connection_id": their_nic}, None, HvStatus.ACCESS_DENIED,
         "belongs to partition"),
        # Its own connection, aimed at another VM or at the root: it leads elsewhere (only
        # to the root's port made for it), so another VM is never reached.
        ("HvPostMessage", {"connection_id": own_message}, "Victim", HvStatus.ACCESS_DENIED,
         f"not to partition {victim}"),
        # No connection, or one that never existed.
        ("HvPostMessage", {}, "root", HvStatus.INVALID_CONNECTION_ID, "no connection id"),
        ("HvSignalEvent", {"connection_id": 99_999}, "Victim", HvStatus.INVALID_CONNECTION_ID,
         "does not exist"),
        # A message on an event connection and the reverse: the port is not of that type.
        ("HvSignalEvent", {"connection_id": own_message}, None, HvStatus.INVALID_PORT_ID,
         "message port"),
        ("HvPostMessage", {"connection_id": own_nic}, None, HvStatus.INVALID_PORT_ID,
         "event port"),
        # Making its own ports or connections needs privileges only the root has.
        ("HvCreatePort", {"sender": 0, "port_type": PortType.MESSAGE}, "Victim",
         HvStatus.ACCESS_DENIED, "CREATE_PORT"),
        ("HvConnectPort", {"port_partition": 0, "port_id": 1}, "Evil", HvStatus.ACCESS_DENIED,
         "CONNECT_PORT"),
    ]
    for call, params, target, status, words in attempts:
        result = api.issue_hypercall("Evil", call, target_vm=target, **params)
        assert result.status is status, (call, params, target, result)
        assert words in result.detail, (call, result.detail)
        logged = denials(api, "Evil")[-1]
        assert call in logged and f"HV_STATUS_{status.name}" in logged and words in logged
    evil = {c.partition: c for c in api.hypercall_counters()}["Evil"]
    assert sum(evil.denied.values()) == len(attempts)
    after = {c.partition: dict(c.calls) for c in api.hypercall_counters()}["Victim"]
    assert after == before, "nothing reached the victim"
    # What a child may do: send on its own connections, which lead to the root.
    sent = api.issue_hypercall("Evil", "HvPostMessage", target_vm="root",
                               connection_id=own_message)
    assert sent.ok and sent.value == 0 and "(vmbus)" in sent.detail
    assert api.issue_hypercall("Evil", "HvSignalEvent", connection_id=own_nic).ok


def test_defect08_issue_hypercall_passes_a_name_parameter() -> None:
    api = two_guests()
    result = api.issue_hypercall("Evil", "HvCreatePartition", name="Rogue")
    assert result.status is HvStatus.ACCESS_DENIED
    assert [c.partition for c in api.hypercall_counters()] == ["Root", "Evil", "Victim"]


def test_the_root_offers_a_port_and_a_connection_per_channel() -> None:
    api = two_guests()
    hv = next(iter(api.lab.hosts.values())).hypervisor
    assert hv is not None
    pid = api.vm("Evil").partition_id
    assert pid is not None
    connections = api.vmbus_connections("Evil")
    channels = api.vmbus_channels("Evil")
    assert {c.label for c in connections} == {"vmbus", *(c.key for c in channels)}
    assert all(c.connection_id is not None for c in channels)
    for c in connections:
        port = hv.root.port(c.port_id)
        assert port is not None and port.sender == pid and c.port_partition == 0
        assert c.port_type == ("Message" if c.label == "vmbus" else "Event")
    assert len({c.connection_id for c in api.vmbus_connections("Victim")}
               | {c.connection_id for c in connections}) == 2 * len(connections), \
        "connection ids are unique across the hypervisor"
    # A channel the configuration no longer has is rescinded: port and connection go.
    heartbeat = connection(api, "Evil", "ic:heartbeat")
    services = set(api.vm("Evil").config.integration_services) - {"heartbeat"}
    api.set_vm("Evil", integration_services=services)
    assert "ic:heartbeat" not in {c.label for c in api.vmbus_connections("Evil")}
    assert api.issue_hypercall("Evil", "HvSignalEvent", connection_id=heartbeat).status \
        is HvStatus.INVALID_CONNECTION_ID
    # The partition's end takes every port the root made for it.
    api.wait(api.turn_off("Evil"))
    assert api.vmbus_connections("Evil") == []
    assert [p for p in hv.root.ports if p.sender == pid] == []


def test_vmbus_traffic_is_counted_only_on_the_connections() -> None:
    api = two_guests()
    api.advance(30)
    calls = {c.partition: c.calls for c in api.hypercall_counters()}["Evil"]
    assert calls["HvPostMessage"] > 0 and calls["HvSignalEvent"] > 0
    hv = next(iter(api.lab.hosts.values())).hypervisor
    assert hv is not None
    pid = api.vm("Evil").partition_id
    assert pid is not None
    hv.partitions[pid].connections = []  # no connections: nothing can have travelled
    calls = {c.partition: c.calls for c in api.hypercall_counters()}["Evil"]
    assert "HvPostMessage" not in calls and "HvSignalEvent" not in calls


def test_connections_survive_a_library_reopen(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True)
    try:
        lib.api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "vm.vhd")])
        boot(lib.api, "VM", 60)
        before = lib.api.vmbus_connections("VM")
    finally:
        lib.close()
    again = open_library(tmp_path / "lib", program="pytest")
    try:
        assert again.api.vmbus_connections("VM") == before
        message = next(c.connection_id for c in before if c.label == "vmbus")
        assert again.api.issue_hypercall("VM", "HvPostMessage", connection_id=message).ok
    finally:
        again.close()
