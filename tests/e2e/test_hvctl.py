"""``hvctl`` as a process: every command, its --json shape and its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.hvctl import REPO, env, hvctl
from tests.layout import import_name

pytestmark = pytest.mark.e2e

VM_LIST_KEYS = {"name", "id", "state", "generation", "memory_startup_mb", "memory_assigned_mb",
                "cpu_count", "cpu_usage_percent", "uptime_seconds", "status"}
JOB_KEYS = {"id", "kind", "description", "state", "percent", "cancellable", "error", "vm_id",
            "host_id", "started_seconds", "expected_end_seconds", "finished_seconds"}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A new library with the demo lab (created by the first command)."""
    lib = tmp_path / "demo"
    hvctl(lib, "clock", "show")
    return lib


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    lib = tmp_path / "empty"
    hvctl(lib, "--empty", "clock", "show")
    return lib


def test_round_trip_across_processes(empty: Path) -> None:
    hvctl(empty, "vm", "new", "WEB", "--memory", "1024", "--cpus", "2", "--vhd", "web.vhd")
    hvctl(empty, "vm", "new", "DB", "--memory", "2048", "--os", "ws2008-x64", "--vhd", "db.vhd")
    hvctl(empty, "vm", "new", "SPARE", "--generation", "1", "--notes", "stays off")
    hvctl(empty, "vm", "start", "WEB", "--wait")
    hvctl(empty, "vm", "start", "DB")
    hvctl(empty, "clock", "advance", "125.5")
    first = {v["name"]: v for v in hvctl(empty, "vm", "list", "--json").json()}
    clock = hvctl(empty, "clock", "show", "--json").json()
    # A new process: same VMs, states and uptimes; time stood still in between.
    again = {v["name"]: v for v in hvctl(empty, "--json", "vm", "list").json()}
    assert hvctl(empty, "clock", "show", "--json").json() == clock
    assert set(again) == {"WEB", "DB", "SPARE"}
    for name, vm in first.items():
        assert again[name]["state"] == vm["state"]
        assert int(again[name]["uptime_seconds"]) == int(vm["uptime_seconds"])
    assert again["WEB"]["state"] == again["DB"]["state"] == "Running"
    assert again["SPARE"]["state"] == "Off"
    assert again["WEB"]["uptime_seconds"] == 125.5  # Running since --wait returned
    hvctl(empty, "clock", "advance", "10")
    later = {v["name"]: v for v in hvctl(empty, "vm", "list", "--json").json()}
    assert later["DB"]["uptime_seconds"] == pytest.approx(first["DB"]["uptime_seconds"] + 10)


def test_vm_list_and_show_shapes(demo: Path) -> None:
    rows = hvctl(demo, "vm", "list", "--json").json()
    assert isinstance(rows, list) and len(rows) == 6
    for row in rows:
        assert set(row) >= VM_LIST_KEYS
    text = hvctl(demo, "vm", "list").out
    assert "W2K8-DC01" in text and "Running" in text and "Operating normally" in text
    show = hvctl(demo, "vm", "show", "W2K8-DC01", "--json").json()
    assert set(show) >= VM_LIST_KEYS
    assert show["config"]["memory_startup_mb"] == 2048
    assert show["available_operations"]["start"] is not None
    assert show["available_operations"]["shut-down"] is None
    assert {"name": "Heartbeat", "status": "OK"} in show["integration_services"]
    assert "Integration services:" in hvctl(demo, "vm", "show", "w2k8-dc01").out


def test_vm_new_and_set(empty: Path) -> None:
    made = hvctl(empty, "vm", "new", "APP", "--generation", "2", "--memory", "2048", "--cpus",
                 "2", "--os", "ws2012r2-x64", "--notes", "hello", "--json", check=False)
    if made.code:  # the 2008 R2 host has no generation 2
        assert "generation 1 virtual machines only" in made.err
        made = hvctl(empty, "vm", "new", "APP", "--memory", "2048", "--cpus", "2", "--notes",
                     "hello", "--json")
    vm = made.json()
    assert vm["name"] == "APP" and vm["state"] == "Off" and vm["cpu_count"] == 2
    changed = hvctl(empty, "vm", "set", "APP", "--memory", "4096", "--cpus", "4", "--reserve",
                    "10", "--limit", "80", "--weight", "200", "--notes", "changed", "--json")
    assert changed.json()["memory_startup_mb"] == 4096
    cfg = hvctl(empty, "vm", "show", "APP", "--json").json()["config"]
    assert (cfg["cpu_count"], cfg["cpu_reserve_pct"], cfg["cpu_limit_pct"],
            cfg["cpu_weight"], cfg["notes"]) == (4, 10, 80, 200, "changed")
    hvctl(empty, "vm", "set", "APP", "--dynamic-memory", "on", "--memory-min", "512",
          "--memory-max", "8192", "--integration-service", "guest_services=on",
          "--start-action", "Start", "--stop-action", "TurnOff", "--group", "Apps")
    cfg = hvctl(empty, "vm", "show", "APP", "--json").json()["config"]
    assert cfg["dynamic_memory_enabled"] and "guest_services" in cfg["integration_services"]
    assert cfg["automatic_stop_action"] == "TurnOff" and cfg["group"] == "Apps"
    bad = hvctl(empty, "vm", "set", "APP", "--reserve", "90", "--limit", "50", check=False)
    assert bad.code == 1 and bad.out == ""
    assert "Virtual machine reserve (90%) cannot be greater than the virtual machine limit" \
        in bad.err
    dup = hvctl(empty, "vm", "new", "app", check=False)
    assert dup.code == 1 and "already exists" in dup.err
    unknown_os = hvctl(empty, "vm", "new", "X", "--os", "beos", check=False)
    assert unknown_os.code == 1 and "No guest operating system named 'beos'" in unknown_os.err


def test_lifecycle_commands(demo: Path) -> None:
    def run(action: str, name: str) -> dict[str, object]:
        data = hvctl(demo, "vm", action, name, "--wait", "--json").json()
        assert set(data["job"]) >= JOB_KEYS and set(data["vm"]) >= VM_LIST_KEYS
        assert data["job"]["state"] == "Completed"
        return data["vm"]

    # Each step: an action on a VM and the state it leaves, or None for a minute of the
    # clock (the guest boots, so that Shut Down has an operating system to ask).
    steps: list[tuple[str, str, str] | None] = [
        ("start", "XP-CLIENT", "Running"), None,
        ("pause", "XP-CLIENT", "Paused"), ("resume", "XP-CLIENT", "Running"),
        ("save", "XP-CLIENT", "Saved"), ("start", "XP-CLIENT", "Running"),
        ("reset", "XP-CLIENT", "Running"), None,
        ("stop", "XP-CLIENT", "Off"), ("turn-off", "W2K8-DC01", "Off"),
        ("save", "SLES10-WEB01", "Saved"), ("remove-saved-state", "SLES10-WEB01", "Off"),
    ]
    for step in steps:
        if step is None:
            hvctl(demo, "clock", "advance", "60")
            continue
        action, name, state = step
        assert run(action, name)["state"] == state, step
    removed = hvctl(demo, "vm", "remove", "XP-CLIENT", "--json").json()
    assert removed["removed"]["name"] == "XP-CLIENT"
    assert "XP-CLIENT" not in {v["name"] for v in hvctl(demo, "vm", "list", "--json").json()}
    # Without --wait the job is still running when hvctl returns, and says so.
    text = hvctl(demo, "vm", "start", "W2K8-DC01").out
    assert "is Starting" in text and "job" in text


def test_stop_needs_the_shutdown_service(demo: Path) -> None:
    r = hvctl(demo, "vm", "stop", "NT4-LEGACY", check=False)
    assert r.code == 1
    assert r.err.splitlines()[0] == "'NT4-LEGACY' failed to shut down."
    assert "Operating System Shutdown integration service" in r.err


def test_memory_admission_failure_prints_hyper_v_sentence(demo: Path) -> None:
    r = hvctl(demo, "vm", "start", "SQL-BIG", check=False)
    assert r.code == 1 and r.out == ""
    assert r.err.splitlines()[0] == "'SQL-BIG' failed to start."
    assert ("Not enough memory in the system to start the virtual machine SQL-BIG with ram "
            "size 28672 megabytes.") in r.err
    events = hvctl(demo, "events", "--vm", "SQL-BIG", "--json").json()
    assert [e["event_id"] for e in events][-2:] == [12030, 3122]
    for name in ("W2K8-DC01", "W2K3-APP01", "SLES10-WEB01"):
        hvctl(demo, "vm", "turn-off", name, "--wait")
    assert hvctl(demo, "vm", "start", "SQL-BIG", "--wait", "--json").json()["vm"]["state"] \
        == "Running"


def test_rename_console_clock_and_events(demo: Path) -> None:
    renamed = hvctl(demo, "vm", "rename", "XP-CLIENT", "XP-DESK", "--json").json()
    assert renamed["name"] == "XP-DESK"
    assert hvctl(demo, "vm", "show", "XP-CLIENT", check=False).code == 1
    console = hvctl(demo, "vm", "console", "NT4-LEGACY", "--json").json()
    assert console["name"] == "NT4-LEGACY" and console["serial"] >= len(console["lines"]) > 0
    assert console["lines"][-1]["text"] == "Press CTRL+ALT+DELETE to log on"
    assert "Press CTRL+ALT+DELETE" in hvctl(demo, "vm", "console", "NT4-LEGACY").out
    before = hvctl(demo, "clock", "show", "--json").json()
    after = hvctl(demo, "clock", "advance", "2.5", "--json").json()
    assert after["now_us"] == before["now_us"] + 2_500_000
    assert "Simulated time" in hvctl(demo, "clock", "show").out
    events = hvctl(demo, "events", "--json").json()
    assert {"time_seconds", "time_us", "channel", "event_id", "level", "message", "host_id",
            "vm_id", "vm_name"} <= set(events[0])
    assert any(e["event_id"] == 13004 for e in events)  # the rename
    last = hvctl(demo, "events", "--last", "2", "--json").json()
    assert last == events[-2:]
    mine = hvctl(demo, "events", "--vm", "W2K8-DC01", "--json").json()
    assert mine and {e["vm_name"] for e in mine} == {"W2K8-DC01"}
    assert [e["level"] for e in hvctl(demo, "events", "--level", "information",
                                      "--json").json()] != []
    assert hvctl(demo, "events", "--since", "1e9", "--json").json() == []
    assert "18500" in hvctl(demo, "events").out


def test_host_commands(empty: Path) -> None:
    host = hvctl(empty, "host", "show", "--json").json()
    assert host["name"] == "LAB-HOST-01" and host["logical_processors"] == 8
    assert host["memory_total_mb"] == 32768 and host["hypervisor_running"]
    staged = hvctl(empty, "host", "set", "--ram-gb", "48", "--numa-spanning", "off",
                   "--vm-path", "D:\\VMs", "--json").json()
    assert staged["pending_reboot"] and staged["memory_total_mb"] == 32768
    assert not staged["numa_spanning"] and staged["virtual_machine_path"] == "D:\\VMs"
    rebooted = hvctl(empty, "host", "reboot", "--wait", "--json").json()
    assert set(rebooted["job"]) >= JOB_KEYS
    assert rebooted["host"]["memory_total_mb"] == 48 * 1024
    hvctl(empty, "host", "set", "--virtualization", "off")
    hvctl(empty, "host", "reboot", "--wait")
    down = hvctl(empty, "host", "show", "--json").json()
    assert not down["hypervisor_running"] and down["hypervisor_blockers"]
    hvctl(empty, "vm", "new", "NOPE")
    r = hvctl(empty, "vm", "start", "NOPE", check=False)
    assert r.code == 1 and "hypervisor is not running" in r.err
    hvctl(empty, "host", "set", "--virtualization", "on", "--nx", "on")
    hvctl(empty, "host", "reboot", "--wait")
    hvctl(empty, "vm", "start", "NOPE", "--wait")
    crashed = hvctl(empty, "host", "crash-root", "--json").json()
    assert crashed["host"]["rebooting"]
    assert "restarting" in hvctl(empty, "host", "show").out
    assert [e["event_id"] for e in hvctl(empty, "events", "--level", "Critical",
                                         "--json").json()][:1] == [1001]


def test_catalogues(tmp_path: Path) -> None:
    oses = hvctl(tmp_path / "unused", "os", "list", "--json").json()
    assert {"ws2008-x64", "nt40-x86", "sles10-x64"} <= {o["id"] for o in oses}
    assert "Windows NT" in hvctl(tmp_path / "unused", "os", "list").out
    profiles = hvctl(tmp_path / "unused", "profile", "list", "--json").json()
    assert "ws2008r2" in {p["id"] for p in profiles}
    assert "ws2008r2" in hvctl(tmp_path / "unused", "profile", "list").out
    assert not (tmp_path / "unused").exists()  # catalogues need no library


def test_not_found_and_usage_errors(demo: Path) -> None:
    r = hvctl(demo, "vm", "show", "NOBODY", check=False)
    assert (r.code, r.err.strip()) == (
        1, 'Hyper-V was unable to find a virtual machine with name "NOBODY".')
    assert hvctl(demo, "vm", "start", "NOBODY", check=False).code == 1
    for args in ([], ["vm"], ["vm", "fly", "X"], ["vm", "new"], ["vm", "set", "X"],
                 ["vm", "new", "X", "--memory", "lots"], ["clock", "advance"],
                 ["host", "set", "--nx", "maybe"], ["events", "--level", "loud"]):
        r = hvctl(demo, *args, check=False)
        assert r.code == 2, args
        assert r.out == "" and ("usage" in r.err.lower() or "error" in r.err), args


def test_a_held_library_is_refused_naming_the_holder(demo: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom hvlab.engine.api import open_library\n"
         f"lib = open_library({str(demo)!r}, program='hold-test')\n"
         "print('ready', flush=True)\nsys.stdin.read()\nlib.close()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env(),
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "ready"
            r = hvctl(demo, "vm", "list", check=False)
            assert r.code == 1 and r.out == ""
            assert f"in use by hold-test (process {holder.pid})" in r.err
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
    assert hvctl(demo, "vm", "list").code == 0


def test_a_truncated_vm_config_is_reported_and_the_rest_loads(demo: Path) -> None:
    vm_id = hvctl(demo, "vm", "show", "XP-CLIENT", "--json").json()["id"]
    config = demo / "vms" / vm_id / "config.json"
    config.write_bytes(config.read_bytes()[:100])
    r = hvctl(demo, "vm", "list", "--json")
    assert str(config) in r.err and "XP-CLIENT" in r.err and "warning" in r.err
    names = {v["name"] for v in r.json()}
    assert names == {"W2K8-DC01", "W2K3-APP01", "NT4-LEGACY", "SLES10-WEB01", "SQL-BIG"}


def test_library_from_the_environment_and_help(tmp_path: Path) -> None:
    from tests.e2e.hvctl import COMMAND

    e = env()
    e["HVLAB_LIBRARY"] = str(tmp_path / "from-env")
    proc = subprocess.run([*COMMAND, "vm", "list", "--json"], capture_output=True, text=True,
                          cwd=REPO, env=e, timeout=120)
    assert proc.returncode == 0 and len(proc.stdout) > 2
    assert (tmp_path / "from-env" / "library.json").exists()
    helped = subprocess.run([*COMMAND, "--help"], capture_output=True, text=True, cwd=REPO,
                            env=e, timeout=120)
    assert helped.returncode == 0 and "vm" in helped.stdout


def test_hvctl_never_imports_qt(tmp_path: Path) -> None:
    forbidden = ("PySide6", "shiboken6", "pyqtgraph", import_name("gui"))
    code = ("import sys\nfrom hvctl import main\n"
            f"main(['--library', {str(tmp_path / 'q')!r}, 'vm', 'list'])\n"
            f"bad = [m for m in sys.modules if any(m == p or m.startswith(p + '.') "
            f"for p in {forbidden!r})]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env(),
                   capture_output=True, timeout=120)
