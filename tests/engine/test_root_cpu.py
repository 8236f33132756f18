"""Emulated I/O is bound by the root partition's CPU; root-side load; the VP:LP ratio is a
support statement; weight, reserve and limit apply per virtual processor.

Each test is one rule of docs/engine.md ("The root partition's CPU and emulated I/O",
"CPU scheduler, workloads and counters"), with its public source in the docstring.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from hvlab.engine.api import ManagementApi, open_library
from hvlab.engine.config import HardDrive, NetworkAdapter
from hvlab.engine.errors import ValidationError

from . import helpers
from .helpers import make_api, mean_usage_lp, new_vm

NIC = "Intel(R) 82576 Gigabit Dual Port Network Connection"
ROOT_VP = "Hyper-V Hypervisor Root Virtual Processor"
NET = {"workload": "custom", "workload_net_mbit": 300, "workload_cpu_pct": 5}


def lab(**host: object) -> ManagementApi:
    host.setdefault("ram_gb", 32)
    api = make_api("ws2008r2", **host)
    api.create_switch("External", "External", nic=NIC)
    return api


def vm(api: ManagementApi, name: str, *, os: str = "ws2008-x64", installed: bool = True,
       nics: list[NetworkAdapter] | None = None, scsi: bool = False, **fields: object) -> None:
    drives = [HardDrive("IDE", 0, 0, f"{name}.vhd")]
    if scsi:
        drives.append(HardDrive("SCSI", 0, 0, f"{name}-data.vhd", bootable=False))
    api.create_vm(name, guest_os=os, guest_is_installed=installed, hard_drives=drives,
                  network_adapters=nics or [], **fields)
    api.start(name)


def mean_io(api: ManagementApi, name: str, key: str, seconds: float = 10.0) -> dict[str, float]:
    """Average rate and root CPU (% of the host's LPs) of one device over ``seconds``."""
    rate = root = 0.0
    steps = round(seconds / 0.1)
    for _ in range(steps):
        api.advance(0.1)
        d = next(d for d in api.device_io(name) if d.key == key)
        rate += d.rate
        root += d.root_cpu_percent
    return {"rate": rate / steps, "root": root / steps}


def network_lab() -> ManagementApi:
    """A legacy and a synthetic adapter on one host, each asked for 300 Mbit/s."""
    api = lab()
    vm(api, "Legacy", nics=[NetworkAdapter(legacy=True, switch="External")], **NET)
    vm(api, "Synth", nics=[NetworkAdapter(switch="External")], **NET)
    api.advance(120)
    return api


def root_vp_total(api: ManagementApi) -> float:
    return float(api.counter_history(ROOT_VP, "% Total Run Time")[1][-1])


def test_root_load_at_100_percent_cuts_legacy_5x_and_keeps_synthetic_at_70_percent() -> None:
    """With the root held at 100 % by a root-side load, the legacy adapter moves at least 5x
    less, while the synthetic adapter keeps at least 70 % of its throughput.

    Source: an emulated device is serviced by the VM's worker process in the root, with
    calls back and forth between parent and child and user/kernel context switches, while a
    synthetic device goes over VMBus to a VSP in the root kernel (Microsoft, "Hyper-V
    Architecture", learn.microsoft.com/virtualization/hyper-v-on-windows/reference/
    hyper-v-architecture; "emulated devices ... lower performance")."""
    api = network_lab()
    idle_legacy = mean_io(api, "Legacy", "nic0")["rate"]
    idle_synth = mean_io(api, "Synth", "nic0")["rate"]
    api.set_host(root_load_pct=100)
    api.advance(2)
    assert root_vp_total(api) >= 95.0
    busy_legacy = mean_io(api, "Legacy", "nic0")["rate"]
    busy_synth = mean_io(api, "Synth", "nic0")["rate"]
    assert idle_legacy == pytest.approx(100.0, abs=1.0)
    assert busy_legacy <= idle_legacy / 5
    assert busy_synth >= 0.7 * idle_synth
    # And it comes back when the load stops.
    api.set_host(root_load_pct=0)
    api.advance(2)
    assert mean_io(api, "Legacy", "nic0")["rate"] == pytest.approx(idle_legacy, rel=0.02)


def test_legacy_throughput_falls_in_proportion_to_a_busy_root() -> None:
    """The busier the root, the slower the emulated device: the worker waits for a root VP
    at each of the five or so intercepts of a packet (perf-fidelity cost model after Agesen
    et al., USENIX ATC 2012; Hyper-V Architecture, learn.microsoft.com)."""
    api = network_lab()
    rates = []
    for load in (0, 80, 90, 95, 100):
        api.set_host(root_load_pct=load)
        api.advance(1)
        rates.append(mean_io(api, "Legacy", "nic0", 3)["rate"])
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(rates))
    assert rates[0] == pytest.approx(100.0, abs=1.0)  # the link, not the root, limits it
    # Once the wait dominates, halving the root's idle time (20 % -> 10 %) halves the rate.
    assert rates[1] == pytest.approx(2 * rates[2], rel=0.1)
    assert rates[4] <= rates[0] / 5


def test_emulated_ide_costs_more_root_cpu_per_io_and_is_limited_by_a_busy_root() -> None:
    """Emulated IDE (a guest without integration services) costs measurably more root CPU
    per I/O than synthetic storage, and slows down the same way when the root is busy.

    Source: "IDE and SCSI devices both offer equally fast I/O performance when integration
    services are installed" (Microsoft Hyper-V documentation); without them the IDE
    controller is emulated in the worker process (Hyper-V Architecture, learn.microsoft.com)."""
    api = lab()
    disk = {"workload": "custom", "workload_disk_iops": 3000, "workload_cpu_pct": 5}
    vm(api, "Emulated", os="ws2003sp2-x86", installed=False, **disk)
    vm(api, "Synthetic", scsi=True, **disk)  # the IDE disk takes the fast path, as SCSI does
    api.advance(120)
    emu = mean_io(api, "Emulated", "ide0:0")
    syn = mean_io(api, "Synthetic", "scsi0:0")
    assert emu["rate"] == pytest.approx(3000, rel=0.1)
    assert emu["root"] / emu["rate"] >= 5 * syn["root"] / syn["rate"]
    api.set_host(root_load_pct=100)
    api.advance(2)
    busy_emu = mean_io(api, "Emulated", "ide0:0")
    busy_syn = mean_io(api, "Synthetic", "scsi0:0")
    assert busy_emu["rate"] <= emu["rate"] / 3
    assert busy_syn["rate"] >= 0.9 * syn["rate"]


def test_enough_emulated_vms_saturate_the_root_by_themselves() -> None:
    """With a fast enough switch, enough VMs on legacy adapters fill the root partition's
    processors with device emulation alone, and then share them: each moves less than its
    100 Mbit/s (cost model: perf-fidelity §4, about 30,000 cycles per emulated packet)."""
    api = make_api("ws2008r2", sockets=1, cores_per_socket=2, threads_per_core=1, ram_gb=32)
    api.create_switch("Lab", "Private")
    names = [f"Emu{i:02d}" for i in range(30)]
    for name in names:
        new_vm(api, name, memory_startup_mb=512, guest_os="ws2008-x64", guest_is_installed=True,
               workload="custom", workload_net_mbit=100, workload_cpu_pct=2,
               network_adapters=[NetworkAdapter(legacy=True, switch="Lab")])
        api.start(name)
    api.advance(150)
    rates = [mean_io(api, name, "nic0", 2)["rate"] for name in names[:3]]
    root = api.counter_history(ROOT_VP, "% Total Run Time")[1][-5:]
    assert api.host().root_load_pct == 0
    assert min(root) >= 99.0 and max(root) <= 100.0 + 1e-9
    assert api.host().root_cpu_percent <= 100.0 + 1e-9
    assert all(40.0 < r < 90.0 for r in rates)


def test_root_cpu_is_never_shown_above_100_percent() -> None:
    """Root-side load, a backup and emulated I/O together never take the root partition
    past its processors (one root VP per logical processor): the counters stay <= 100 %
    ("Hyper-V Hypervisor Root Virtual Processor", learn.microsoft.com, Detecting
    bottlenecks in a virtualized environment)."""
    api = network_lab()
    api.set_host(root_load_pct=100, backup_running=True)
    api.advance(5)
    for counter in ("% Total Run Time", "% Guest Run Time"):
        assert max(api.counter_history(ROOT_VP, counter)[1]) <= 100.0 + 1e-9
    lp = api.counter_history("Hyper-V Hypervisor Logical Processor", "% Total Run Time")[1]
    assert max(lp) <= 100.0 + 1e-9
    assert api.host().root_cpu_percent <= 100.0 + 1e-9


def test_a_backup_in_the_root_takes_a_root_vp_and_a_quarter_of_the_storage() -> None:
    """A backup running in the root partition keeps a root VP busy (so emulated I/O waits,
    as under any root-side load) and reads from the host's storage, so the VMs' storage
    throughput shrinks (the backup's size is the lab's assumption, docs/engine.md)."""
    api = lab(sockets=1, cores_per_socket=1, threads_per_core=1)
    disk = {"workload": "custom", "workload_disk_iops": 30000, "workload_cpu_pct": 5}
    vm(api, "Synthetic", scsi=True, **disk)
    api.advance(120)
    before = mean_io(api, "Synthetic", "scsi0:0")["rate"] + \
        mean_io(api, "Synthetic", "ide0:0")["rate"]
    api.set_host(backup_running=True)
    assert api.host().backup_running
    api.advance(2)
    after = mean_io(api, "Synthetic", "scsi0:0")["rate"] + \
        mean_io(api, "Synthetic", "ide0:0")["rate"]
    assert after == pytest.approx(0.75 * before, rel=0.05)
    assert root_vp_total(api) >= 90.0  # the backup's thread on the only root VP


def test_root_load_is_checked_and_kept_by_the_library(tmp_path: Path) -> None:
    """The root-side load is a host setting: checked (0-100 %), applied at once and kept
    when the library is reopened."""
    lib = open_library(tmp_path / "lib", program="test", seed=3)
    api = lib.api
    before = api.host()
    with pytest.raises(ValidationError) as err:
        api.set_host(root_load_pct=101)
    assert err.value.field == "root_load_pct"
    assert "0" in str(err.value) and "100" in str(err.value)
    assert api.host() == before  # nothing changed
    api.set_host(root_load_pct=60, backup_running=True)
    api.advance(3)
    busy = root_vp_total(api)
    assert busy >= 60.0
    lib.close()
    lib2 = open_library(tmp_path / "lib", program="test")
    h = lib2.api.host()
    assert (h.root_load_pct, h.backup_running) == (60, True)
    lib2.api.advance(3)
    assert root_vp_total(lib2.api) >= 60.0
    lib2.close()


# -- the scheduler: per-VP semantics and the VP:LP ratio ----------------------------------------


def burner(api: ManagementApi, name: str, **fields: object) -> None:
    """A 2008 guest with integration services, burning CPU."""
    helpers.burner(api, name, guest_os="ws2008-x64", guest_is_installed=True, **fields)


def test_weight_reserve_and_limit_apply_per_virtual_processor() -> None:
    """Reserve, limit (cap) and weight are set per VM and applied to each of its virtual
    processors: reserve and limit are fractions of one LP per VP, and every VP carries the
    VM's weight, so under contention a 4-VP VM gets four times a 1-VP VM of equal weight.

    Sources: Hyper-V's partition properties "CPU Reserve", "CPU Cap" and "CPU Weight"
    (Windows Driver Kit, Hyper-V partition properties, MSDN library ff538568, ff538550,
    ff538581); Set-VMProcessor (learn.microsoft.com/powershell/module/hyper-v/
    set-vmprocessor)."""
    api = make_api("ws2008r2", sockets=1, cores_per_socket=4, threads_per_core=1, ram_gb=32)
    burner(api, "Four", cpu_count=4)
    burner(api, "One", cpu_count=1)
    burner(api, "Other", cpu_count=1)
    api.advance(120)
    names = ["Four", "One", "Other"]
    got = mean_usage_lp(api, names)
    total = sum(got.values())
    # Weights 100 on 4 + 1 + 1 VPs: 4/6 of the processors (per VM it would be under 1/2).
    assert got["Four"] / total == pytest.approx(4 / 6, abs=0.02)
    assert got["One"] == pytest.approx(got["Other"], rel=0.02)
    # Limit 10 % of each VP: the 4-VP VM gets 0.4 LP; the others get all they ask for.
    api.set_vm("Four", cpu_limit_pct=10)
    got = mean_usage_lp(api, names)
    assert got["Four"] == pytest.approx(0.4, abs=0.01)
    assert got["One"] == pytest.approx(1.0, abs=0.02)
    # Reserve 40 % of One's single VP, with weight 1 against 10,000 on each of Four's VPs:
    # One still gets 0.4 LP, and no more.
    api.set_vm("Four", cpu_limit_pct=100, cpu_weight=10000)
    api.set_vm("One", cpu_reserve_pct=40, cpu_weight=1)
    got = mean_usage_lp(api, names)
    assert got["One"] == pytest.approx(0.4, abs=0.01)


def test_beyond_the_supported_vp_lp_ratio_a_vm_starts_with_a_warning() -> None:
    """Windows Server 2008 supports 8 virtual processors per logical processor; it is a
    support statement, not a limit: the start goes ahead with a warning in the event log,
    and the VPs share the LPs ("Requirements and Limits for Virtual Machines and Hyper-V
    in Windows Server 2008 R2", TechNet: "8 virtual processors per logical processor")."""
    api = make_api("ws2008", sockets=1, cores_per_socket=2, threads_per_core=1, ram_gb=32)
    names = [f"VM{i:02d}" for i in range(17)]  # 17 VPs on 2 LPs: 8.5:1
    for name in names[:-1]:
        burner(api, name, memory_startup_mb=512)
    last = names[-1]
    new_vm(api, last, workload="cpu-burner", guest_os="ws2008-x64", guest_is_installed=True,
           memory_startup_mb=512)
    check = api.start_check(last)
    assert check.ok
    assert check.warning is not None and "8:1" in check.warning
    assert api.start_check(names[0]).warning is None  # running: nothing to start
    api.start(last)
    api.advance(120)
    assert api.vm(last).state == "Running"
    warning = [e for e in api.event_log(vm=last) if e.level.value == "Warning"]
    assert len(warning) == 1
    assert warning[0].event_id == 18525
    assert "17 virtual processors on 2 logical processors" in warning[0].message
    # The scheduler's contention follows: 17 burners share what the root leaves of 2 LPs.
    got = mean_usage_lp(api, names)
    assert 1.85 <= sum(got.values()) <= 2.0  # the root and the hypervisor take the rest
    assert max(got.values()) == pytest.approx(min(got.values()), rel=0.05)
