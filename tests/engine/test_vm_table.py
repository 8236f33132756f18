"""The bulk VM table: what changes only with an event is gathered once per version, what
moves with time (job progress, uptime, CPU) is read at every call."""

from __future__ import annotations

from hvlab.engine.api import ManagementApi


def small_lab() -> ManagementApi:
    api = ManagementApi(seed=2)
    api.add_host("HOST", "ws2008r2")
    for name in ("ALPHA", "BRAVO"):
        api.create_vm(name, memory_startup_mb=512, guest_is_installed=True)
    return api


def test_names_states_and_rows_follow_every_change() -> None:
    api = small_lab()
    first = api.vm_table()
    assert first.names == ("ALPHA", "BRAVO") and first.states == ("Off", "Off")
    api.rename("ALPHA", "ALPHA-2")
    api.start("BRAVO")
    api.create_vm("CHARLIE", memory_startup_mb=512, group="Late")
    table = api.vm_table()
    assert table.version != first.version
    assert table.names == ("ALPHA-2", "BRAVO", "CHARLIE")
    assert table.states[1] != "Off" and table.groups[2] == "Late"
    assert len(table.cpu_counts) == len(table.uptime_seconds) == 3
    api.delete_vm("CHARLIE")
    assert api.vm_table().names == ("ALPHA-2", "BRAVO")


def test_what_moves_with_time_is_read_at_every_call() -> None:
    api = small_lab()
    first, again = api.vm_table(), api.vm_table()
    assert again.ids is first.ids  # nothing happened: the rows are reused
    api.start("ALPHA")
    statuses = set()
    for _ in range(40):
        api.advance(0.25)
        table = api.vm_table()
        info = api.vm("ALPHA")
        # Job progress, heartbeat and uptime as the VM's own record has them, every time.
        assert table.statuses[0] == info.status and table.heartbeats[0] == info.heartbeat
        assert table.uptime_seconds[0] == info.uptime_seconds
        statuses.add(table.statuses[0])
    assert len(statuses) > 2
