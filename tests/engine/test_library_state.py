"""A saved lab resumes exactly: save, load into fresh objects (or a fresh process), advance
both by the same simulated time, and every VM, the memory maps, the hypervisors and the
event log are identical."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvlab.engine.api import ManagementApi, open_library, populate_demo
from hvlab.engine.api.library import create_library
from hvlab.engine.config import HardDrive
from hvlab.engine.errors import HvError
from hvlab.engine.library.state import KNOWN_ATTRIBUTES, is_scalar, restore_lab, snapshot_lab
from hvlab.engine.sim.hypervisor import Hypervisor
from hvlab.engine.sim.vmtable import VmTable
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.lab import Lab
from hvlab.engine.vmms.runtime import VmRuntime

REPO = Path(__file__).resolve().parents[2]
DISK = [HardDrive("IDE", 0, 0, "disk.vhd")]


def observed(api: ManagementApi) -> dict[str, Any]:
    """What a user can see, plus the complete internal state."""
    return {
        "now_us": api.now_us,
        "vms": [(v.name, v.state, v.guest_phase, v.uptime_seconds, v.memory_assigned_mb,
                 v.memory_demand_mb, v.cpu_usage_percent, v.status, api.console(v.id))
                for v in api.vms()],
        "memory_map": [api.memory_map(h.id) for h in api.hosts()],
        "hypercalls": [api.hypercall_counters(h.id) for h in api.hosts()],
        "jobs": api.jobs(),
        "events": [e.to_dict() for e in api.lab.event_log],
        "snapshot": json.dumps(snapshot_lab(api.lab)),
    }


def busy_demo(seed: int = 7) -> ManagementApi:
    """The demo lab with every kind of state in flight: a saving VM, a paused one, a
    restore under way, a denied hypercall, a failed start and staged host hardware."""
    api = ManagementApi(seed=seed)
    populate_demo(api)
    make_busy(api)
    return api


def make_busy(api: ManagementApi) -> None:
    if hasattr(api, "create_switch"):  # a switch with a connected, running adapter
        api.create_switch("LAB-NET", "Internal")
        api.set_vm("XP-CLIENT", network_adapters=[{"switch": "LAB-NET", "vlan_id": 7}])
    api.start("XP-CLIENT")
    api.advance(0.4)  # XP-CLIENT is Starting
    api.save("W2K8-DC01")
    api.advance(0.1)  # W2K8-DC01 is Saving
    api.pause("SLES10-WEB01")
    with pytest.raises(HvError):
        api.start("SQL-BIG")
    api.issue_hypercall("NT4-LEGACY", "HvCreatePartition")
    api.set_host(ram_gb=48, numa_spanning=False, root_load_pct=70, backup_running=True)
    api.create_vm("NEW-ONE", memory_startup_mb=256, hard_drives=DISK)
    api.advance(3.05)


def continue_run(api: ManagementApi) -> None:
    api.advance(42.5)
    api.resume("SLES10-WEB01")
    api.start("W2K8-DC01")
    api.start("NEW-ONE")
    api.advance(45)
    api.shut_down("W2K8-DC01")
    api.advance(30)
    api.reboot_host()
    api.advance(200)
    api.crash_root_partition()
    api.advance(150)


def test_snapshot_round_trip_in_memory_is_exact() -> None:
    original = busy_demo()
    restored = ManagementApi(restore_lab(json.loads(json.dumps(snapshot_lab(original.lab))),
                                         list(original.lab.event_log)))
    assert observed(restored) == observed(original)
    continue_run(original)
    continue_run(restored)
    assert observed(restored) == observed(original)


def test_library_round_trip_through_files_is_exact(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="test", seed=7)
    api = lib.api
    original = ManagementApi(seed=7)
    populate_demo(original)
    for a in (api, original):
        make_busy(a)
    assert observed(api)["snapshot"] == observed(original)["snapshot"]
    lib.close()

    lib2 = open_library(tmp_path / "lib", program="test")
    assert lib2.messages == []
    resumed = lib2.api
    assert observed(resumed) == observed(original)
    continue_run(original)
    continue_run(resumed)
    assert observed(resumed) == observed(original)
    lib2.close()


_CHILD = """
import json, sys
from hvlab.engine.api import open_library
from hvlab.engine.api.library import create_library
from hvlab.engine.library.state import snapshot_lab
lib = open_library(sys.argv[1], program="child")
api = lib.api
api.advance(float(sys.argv[2]))
api.resume("SLES10-WEB01")
api.advance(100)
out = {"snapshot": snapshot_lab(api.lab), "events": [e.to_dict() for e in api.lab.event_log]}
lib.close()
print(json.dumps(out))
"""


def test_a_fresh_process_resumes_exactly(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="test", seed=11)
    lib.api.start("XP-CLIENT")
    lib.api.advance(0.3)
    lib.api.pause("SLES10-WEB01")
    original = ManagementApi(restore_lab(snapshot_lab(lib.api.lab), list(lib.api.lab.event_log)))
    lib.close()
    child = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "lib"), "2.25"],
                           capture_output=True, text=True, check=True, cwd=REPO)
    theirs = json.loads(child.stdout)
    original.advance(2.25)
    original.resume("SLES10-WEB01")
    original.advance(100)
    assert theirs["snapshot"] == json.loads(json.dumps(snapshot_lab(original.lab)))
    assert theirs["events"] == [e.to_dict() for e in original.lab.event_log]


# -- random operation sequences -------------------------------------------------------------

NAMES = ["A", "B", "C"]
Op = tuple[str, str, float]
ops = st.lists(st.tuples(
    st.sampled_from(["start", "shut_down", "turn_off", "save", "pause", "resume", "reset",
                     "delete_saved_state", "advance", "advance", "advance", "memory",
                     "reboot_host", "crash_root", "delete", "create"]),
    st.sampled_from(NAMES), st.floats(0.01, 40.0)), min_size=1, max_size=30)


def apply(api: ManagementApi, op: Op) -> None:
    kind, name, x = op
    try:
        if kind == "advance":
            api.advance(x)
        elif kind == "memory":
            api.set_vm(name, memory_startup_mb=256 + 2 * int(x * 10))
        elif kind == "reboot_host":
            api.reboot_host()
        elif kind == "crash_root":
            api.crash_root_partition()
        elif kind == "delete":
            api.delete_vm(name)
        elif kind == "create":
            api.create_vm(name, memory_startup_mb=512, hard_drives=DISK,
                          dynamic_memory_enabled=x > 20, memory_maximum_mb=4096)
        else:
            getattr(api, kind)(name)
    except HvError:
        pass


def fresh(api: ManagementApi) -> None:
    api.add_host("H", "ws2008r2", ram_gb=8)
    for n in NAMES:
        api.create_vm(n, memory_startup_mb=1024, hard_drives=DISK,
                      guest_os="ws2008-x64" if n != "C" else "sles10-x64")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=ops, second=ops)
def test_any_sequence_resumes_exactly(first: list[Op], second: list[Op]) -> None:
    plain, mirror = ManagementApi(seed=3), ManagementApi(seed=3)
    fresh(plain)
    fresh(mirror)
    for op in first:
        apply(plain, op)
        apply(mirror, op)
    with tempfile.TemporaryDirectory() as folder:
        create_library(Path(folder) / "lib", mirror.lab, program="test").close()
        reopened = open_library(Path(folder) / "lib", program="test")
        assert reopened.messages == []
        assert observed(reopened.api) == observed(plain)
        for op in second:
            apply(plain, op)
            apply(reopened.api, op)
        resumed = observed(reopened.api)
        reopened.close()
    assert resumed == observed(plain)


# -- the snapshot knows every attribute --------------------------------------------------------


def _attrs(obj: object) -> set[str]:
    """Attributes the snapshot must know by name (a host's scalars are taken generically)."""
    generic = isinstance(obj, (Host, Hypervisor))
    return {k for k, v in vars(obj).items() if not (generic and (is_scalar(v) or v is None))}


@pytest.mark.parametrize("name, build", [
    ("Lab", lambda: Lab(0)),
    ("Simulation", lambda: Lab(0).sim),
    ("Host", lambda: _host()),
    ("Hypervisor", lambda: _host().hypervisor),
    ("VmTable", lambda: VmTable()),
])
def test_snapshot_covers_every_attribute(name: str, build: Callable[[], object]) -> None:
    unknown = _attrs(build()) - KNOWN_ATTRIBUTES[name]
    assert not unknown, (f"engine {name} gained {sorted(unknown)}: add it to "
                         "engine/library/state.py (snapshot and restore) and KNOWN_ATTRIBUTES")


def test_snapshot_covers_every_vm_runtime_field() -> None:
    from hvlab.engine.library.state import _RUNTIME_FIELDS, restore_vm, vm_runtime

    api = busy_demo()
    for host in api.lab.hosts.values():
        for vm in host.vms.values():
            copy = restore_vm(vm.config, json.loads(json.dumps(vm_runtime(vm))))
            for f in _RUNTIME_FIELDS:
                assert getattr(copy, f) == getattr(vm, f), f
    assert isinstance(copy, VmRuntime)


def _host() -> Host:
    api = ManagementApi(seed=0)
    api.add_host("H", "ws2008r2")
    host = next(iter(api.lab.hosts.values()))
    assert isinstance(host.hypervisor, Hypervisor)
    return host


def test_the_hosts_default_folders_are_the_labs_own_in_the_platforms_style(
        tmp_path: Path) -> None:
    """Hyper-V Settings' folders name where the files really are, in this platform's path
    style; the Windows defaults earlier builds stored are read as those folders."""
    import os

    from hvlab.engine.api import ManagementApi
    from hvlab.engine.library.state import OLD_DEFAULT_FOLDERS, apply_host_settings

    api = ManagementApi(seed=0, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008r2")
    try:
        info = api.host()
        assert info.virtual_hard_disk_path == api.vhd_folder()
        assert info.virtual_machine_path == os.fspath(tmp_path / "lib" / "vms")
        host = api.lab.hosts[info.id]
        apply_host_settings(host, {"virtual_machine_path": sorted(OLD_DEFAULT_FOLDERS)[0],
                                   "virtual_hard_disk_path": sorted(OLD_DEFAULT_FOLDERS)[1]})
        assert api.host().virtual_machine_path == os.fspath(tmp_path / "lib" / "vms")
        api.set_host(virtual_hard_disk_path=os.fspath(tmp_path / "disks"))
        assert api.host().virtual_hard_disk_path == os.fspath(tmp_path / "disks")
    finally:
        api.close()


def test_a_file_job_saved_while_running_reads_cancelled_when_the_lab_is_read_back() -> None:
    """A crash between two commits leaves a disk job recorded as running with no worker to
    finish it: read back, it is Cancelled (waiting on it returns at once) and its VM takes
    requests again."""
    from hvlab.engine.jobs import JobRecord
    from hvlab.engine.library.state import INTERRUPTED

    api = ManagementApi()
    populate_demo(api)
    vm = api.vm("XP-CLIENT")
    snapshot = json.loads(json.dumps(snapshot_lab(api.lab)))
    job = JobRecord(99, "new-vhd", "Creating disk", vm.host_id, vm.id, 0, 10**9,
                    cancellable=True, file_progress=0.4, on_worker=True)
    snapshot["jobs"].append(job.to_dict())
    for host in snapshot["hosts"]:
        for v in host["vms"]:
            if v["config"]["id"] == vm.id:
                v["runtime"]["job_id"] = 99
    restored = ManagementApi(restore_lab(snapshot))
    seen = restored.job(99)
    assert (seen.state.value, seen.error) == ("Cancelled", INTERRUPTED)
    assert restored.wait(seen).state.value == "Cancelled"
    restored.start("XP-CLIENT")  # not held by the job that can never finish
    assert restored.vm("XP-CLIENT").state in ("Starting", "Running")


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True])
def test_a_seed_out_of_range_is_refused_before_anything_is_written(tmp_path: Path,
                                                                    seed: Any) -> None:
    from hvlab.engine.errors import ValidationError

    with pytest.raises(ValidationError, match="The seed") as refused:
        open_library(tmp_path / "lib", program="test", seed=seed)
    assert refused.value.field == "seed"
    assert not (tmp_path / "lib").exists()
