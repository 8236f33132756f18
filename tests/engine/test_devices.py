"""Emulated vs synthetic devices, VMBus, integration services, switches, QoS."""

from __future__ import annotations

import pytest

from hvlab.engine.api import ManagementApi
from hvlab.engine.config import HardDrive, NetworkAdapter
from hvlab.engine.errors import InvalidStateError, ValidationError
from hvlab.engine.sim.hypervisor import HvStatus

from .helpers import make_api, new_generation2_vm

NIC = "Intel(R) 82576 Gigabit Dual Port Network Connection"


def lab() -> ManagementApi:
    api = make_api("ws2008r2", ram_gb=32)
    api.create_switch("External", "External", nic=NIC)
    return api


def qos_lab() -> ManagementApi:
    """The same machine running Windows Server 2012 R2: storage QoS arrived with 2012 R2 and
    bandwidth management with 2012 (2008 R2 refuses both)."""
    api = lab()
    api.set_host(profile="ws2012r2")
    return api


def vm(
    api: ManagementApi,
    name: str,
    *,
    os: str = "ws2008-x64",
    installed: bool = True,
    nics: list[NetworkAdapter] | None = None,
    disk: str = "IDE",
    **fields: object,
) -> None:
    drives = [HardDrive("IDE", 0, 0, f"{name}.vhd")]
    if disk == "SCSI":
        drives.append(HardDrive("SCSI", 0, 0, f"{name}-data.vhd", bootable=False))
    api.create_vm(
        name,
        guest_os=os,
        guest_is_installed=installed,
        hard_drives=drives,
        network_adapters=nics or [],
        **fields,
    )
    api.start(name)


def settle(api: ManagementApi, seconds: float = 120) -> None:
    api.advance(seconds)


def lab_with_a_guest_lacking_integration_services(name: str) -> ManagementApi:
    """A booted Windows Server 2003 guest, integration services not installed, serving web
    traffic through a synthetic adapter it has no driver for."""
    api = lab()
    vm(api, name, os="ws2003sp2-x86", installed=False,
       nics=[NetworkAdapter(switch="External")], workload="web")
    settle(api)
    return api


def io(api: ManagementApi, name: str, key: str):  # type: ignore[no-untyped-def]
    return next(d for d in api.device_io(name) if d.key == key)


def mean_io(api: ManagementApi, name: str, key: str, seconds: float = 10.0) -> dict[str, float]:
    rate = root = peak = 0.0
    steps = round(seconds / 0.1)
    for _ in range(steps):
        api.advance(0.1)
        d = io(api, name, key)
        rate += d.rate
        root += d.root_cpu_percent
        peak = max(peak, d.rate)
    return {"rate": rate / steps, "root": root / steps, "peak": peak}


def _legacy_and_synthetic() -> tuple[ManagementApi, dict[str, float], dict[str, float]]:
    """The same network workload (300 Mbit/s offered) on a legacy and a synthetic adapter."""
    api = lab()
    net = {"workload": "custom", "workload_net_mbit": 300, "workload_cpu_pct": 5}
    vm(api, "Legacy", nics=[NetworkAdapter(legacy=True, switch="External")], **net)
    vm(api, "Synth", nics=[NetworkAdapter(switch="External")], **net)
    settle(api)
    return api, mean_io(api, "Legacy", "nic0"), mean_io(api, "Synth", "nic0")


def test_legacy_adapter_is_capped_at_100_mbit() -> None:
    """The legacy adapter emulates a DEC 21140 10/100 Fast Ethernet card: at most
    100 Mbit/s, where the synthetic adapter carries the whole 300 Mbit/s offered (Hyper-V
    Architecture and "Legacy network adapter", learn.microsoft.com)."""
    api, legacy, synth = _legacy_and_synthetic()
    assert legacy["peak"] <= 100.0 + 1e-9
    assert legacy["rate"] == pytest.approx(100.0, abs=1.0)
    assert synth["rate"] > 250.0
    assert io(api, "Legacy", "nic0").kind == "emulated"
    assert io(api, "Synth", "nic0").kind == "synthetic"


def test_legacy_adapter_costs_ten_times_the_root_cpu_per_packet() -> None:
    """The legacy adapter is emulated in the worker process, several intercepts per packet:
    at least ten times the root CPU per packet of the synthetic adapter over VMBus (Hyper-V
    Architecture, learn.microsoft.com; cost model after Agesen et al., USENIX ATC 2012)."""
    api, legacy, synth = _legacy_and_synthetic()
    per_packet_legacy = legacy["root"] / legacy["rate"]
    per_packet_synth = synth["root"] / synth["rate"]
    assert per_packet_legacy >= 10 * per_packet_synth
    assert io(api, "Legacy", "nic0").intercepts_s > 100 * io(api, "Synth", "nic0").intercepts_s / 3


def test_a_guest_without_integration_services_moves_nothing_on_a_synthetic_adapter() -> None:
    api = lab_with_a_guest_lacking_integration_services("NoIS")
    d = mean_io(api, "NoIS", "nic0")
    assert d["peak"] == 0.0
    assert not io(api, "NoIS", "nic0").carrying
    names = {dev.key: dev.guest_name for dev in api.devices("NoIS")}
    assert names["nic0"].startswith("Unknown device")
    assert api.network_adapters("NoIS")[0].status.startswith("No driver")


def test_ide_with_integration_services_matches_scsi_and_is_emulated_without() -> None:
    api = lab()
    disk = {"workload": "custom", "workload_disk_iops": 2000, "workload_cpu_pct": 5}
    vm(api, "Both", disk="SCSI", **disk)  # an IDE and a SCSI disk share the workload
    vm(api, "IdeNoIS", os="ws2003sp2-x86", installed=False, **disk)
    settle(api)
    ide = mean_io(api, "Both", "ide0:0")
    scsi = mean_io(api, "Both", "scsi0:0")
    emul = mean_io(api, "IdeNoIS", "ide0:0")
    assert ide["rate"] == pytest.approx(scsi["rate"], rel=0.10)
    assert ide["root"] / ide["rate"] == pytest.approx(scsi["root"] / scsi["rate"], rel=0.10)
    assert io(api, "Both", "ide0:0").kind == "synthetic"
    assert io(api, "IdeNoIS", "ide0:0").kind == "emulated"
    assert emul["root"] / emul["rate"] > 5 * ide["root"] / ide["rate"]
    fast = next(d for d in api.devices("Both") if d.key == "ide0:0")
    assert fast.fast_path


def test_storage_qos_maximum_never_exceeded_and_minimum_met_under_contention() -> None:
    api = qos_lab()  # 150 MB/s of storage = 19,200 normalized IOPS
    heavy = {"workload": "custom", "workload_disk_iops": 20000, "workload_cpu_pct": 5}
    api.create_vm("Capped", hard_drives=[HardDrive("IDE", 0, 0, "c.vhd", max_iops=1000)], **heavy)
    api.create_vm("Floor", hard_drives=[HardDrive("IDE", 0, 0, "f.vhd", min_iops=8000)], **heavy)
    api.create_vm("Greedy", hard_drives=[HardDrive("IDE", 0, 0, "g.vhd")], **heavy)
    for name in ("Capped", "Floor", "Greedy"):
        api.start(name)
    settle(api)
    capped = mean_io(api, "Capped", "ide0:0")
    floor = mean_io(api, "Floor", "ide0:0")
    greedy = mean_io(api, "Greedy", "ide0:0")
    assert capped["peak"] <= 1000 + 1e-9
    assert floor["rate"] >= 8000 - 1e-6
    total = capped["rate"] + floor["rate"] + greedy["rate"]
    assert total == pytest.approx(19200, rel=0.01)


def test_network_bandwidth_management() -> None:
    api = qos_lab()
    heavy = {"workload": "custom", "workload_net_mbit": 900, "workload_cpu_pct": 5}
    vm(api, "Max", nics=[NetworkAdapter(switch="External", max_mbit=200)], **heavy)
    vm(api, "Min", nics=[NetworkAdapter(switch="External", min_mbit=600)], **heavy)
    vm(api, "Other", nics=[NetworkAdapter(switch="External")], **heavy)
    settle(api)
    got = {n: mean_io(api, n, "nic0") for n in ("Max", "Min", "Other")}
    assert got["Max"]["peak"] <= 200 + 1e-9
    assert got["Min"]["rate"] >= 600 - 1e-6
    assert sum(g["rate"] for g in got.values()) == pytest.approx(1000, rel=0.01)


def test_mac_pool_exhaustion_fails_the_start_with_hyper_vs_message() -> None:
    api = lab()
    lo = api.host().mac_minimum
    hi = lo[:-2] + "01"
    api.set_host(mac_minimum=lo, mac_maximum=hi)  # two addresses
    for name in ("A", "B", "C"):
        api.create_vm(
            name,
            network_adapters=[NetworkAdapter(switch="External")],
            hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd")],
        )
    api.wait(api.start("A"))
    api.wait(api.start("B"))
    before = (api.vm("C"), api.memory_map())
    with pytest.raises(InvalidStateError) as err:
        api.start("C")
    text = str(err.value)
    assert "Failed to power on with Error 'Attempt to access invalid address'" in text
    assert (api.vm("C"), api.memory_map()) == before
    assert any(e.event_id == 12565 for e in api.event_log(vm="C"))
    macs = {api.network_adapters(n)[0].mac for n in ("A", "B")}
    assert macs == {lo, hi}
    api.wait(api.turn_off("A"))
    with pytest.raises(InvalidStateError):
        api.start("C")  # A keeps its dynamic address while it exists
    api.delete_vm("A")
    api.wait(api.start("C"))
    assert api.network_adapters("C")[0].mac == lo


def test_private_switch_needs_a_peer_on_the_same_vlan() -> None:
    api = lab()
    api.create_switch("Lab", "Private")
    net = {"workload": "custom", "workload_net_mbit": 50, "workload_cpu_pct": 5}
    vm(api, "P1", nics=[NetworkAdapter(switch="Lab", vlan_id=10)], **net)
    settle(api)
    assert mean_io(api, "P1", "nic0", 2)["peak"] == 0.0, "alone on a private switch"
    vm(api, "P2", nics=[NetworkAdapter(switch="Lab", vlan_id=20)], **net)
    settle(api)
    assert mean_io(api, "P1", "nic0", 2)["peak"] == 0.0, "different VLANs do not meet"
    api.set_vm("P2", network_adapters=[NetworkAdapter(switch="Lab", vlan_id=10)])
    assert mean_io(api, "P1", "nic0", 2)["rate"] > 40
    api.create_switch("Host", "Internal")
    vm(api, "I1", nics=[NetworkAdapter(switch="Host")], **net)
    settle(api)
    assert mean_io(api, "I1", "nic0", 2)["rate"] > 40, "the host is on an internal switch"
    assert api.network_adapters("I1")[0].ip_addresses[0].startswith("192.168.137.")


def test_switch_validation_rename_and_removal() -> None:
    api = lab()
    with pytest.raises(ValidationError, match="already bound"):
        api.create_switch("Again", "External", nic=NIC)
    with pytest.raises(ValidationError, match="already exists"):
        api.create_switch("external", "Internal")
    with pytest.raises(ValidationError, match="External, Internal or Private"):
        api.create_switch("X", "Bridge")
    api.create_vm("A", network_adapters=[NetworkAdapter(switch="External")])
    with pytest.raises(ValidationError, match="No virtual switch named"):
        api.create_vm("B", network_adapters=[NetworkAdapter(switch="Nope")])
    api.set_switch("External", new_name="Uplink")
    assert api.vm("A").config.network_adapters[0].switch == "Uplink"
    api.remove_switch("Uplink")
    assert api.vm("A").config.network_adapters[0].switch is None
    assert api.network_adapters("A")[0].status == "Not connected"


def test_integration_services_setup_disk_enlightens_after_a_reboot() -> None:
    api = lab_with_a_guest_lacking_integration_services("W2K3")
    assert not io(api, "W2K3", "nic0").carrying
    assert api.vm("W2K3").heartbeat == "No Contact"
    api.insert_integration_services_disk("W2K3")
    assert "Restart" in api.console("W2K3")[1][-1][1]
    with pytest.raises(InvalidStateError, match="already installed"):
        api.insert_integration_services_disk("W2K3")
    api.reset("W2K3")
    settle(api)
    assert api.vm("W2K3").config.guest_is_installed
    assert api.vm("W2K3").heartbeat == "OK"
    assert io(api, "W2K3", "nic0").carrying
    assert api.kvp("W2K3")["OSName"] == "Windows Server 2003 SP2 x86"
    nt4 = make_api()
    nt4.create_vm(
        "NT4",
        guest_os="nt40-x86",
        memory_startup_mb=128,
        guest_is_installed=False,
        hard_drives=[HardDrive("IDE", 0, 0, "nt.vhd")],
    )
    nt4.wait(nt4.start("NT4"))
    nt4.advance(60)
    with pytest.raises(InvalidStateError, match="No integration services setup disk"):
        nt4.insert_integration_services_disk("NT4")


def test_devices_by_generation_and_vmbus_channels() -> None:
    api = make_api("ws2012r2")
    new_generation2_vm(api, "G2", "ws2012r2-x64", network_adapters=[NetworkAdapter()])
    api.create_vm(
        "G1",
        guest_os="ws2012r2-x64",
        hard_drives=[HardDrive("IDE", 0, 0, "g1.vhd")],
        network_adapters=[NetworkAdapter(legacy=True), NetworkAdapter()],
    )
    g2 = api.devices("G2")
    assert all(d.kind == "synthetic" for d in g2)
    g1 = {d.key: d for d in api.devices("G1")}
    assert g1["ide0"].kind == "emulated" and g1["s3"].kind == "emulated"
    assert g1["nic0"].guest_name == "Intel 21140-Based PCI Fast Ethernet Adapter (Emulated)"
    assert api.vmbus_channels("G1") == []  # no partition, no channels
    api.start("G1")
    api.advance(2)
    offered = api.vmbus_channels("G1")
    assert offered and {c.state for c in offered} == {"Offered"}
    api.advance(120)
    opened = {c.key: c for c in api.vmbus_channels("G1")}
    assert {c.state for c in opened.values()} == {"Open"}
    assert opened["nic1"].vsp.startswith("NetVSP") and opened["nic1"].vsc == "netvsc"
    assert "ic:heartbeat" in opened
    names = {d.key: d.guest_name for d in api.devices("G1")}
    assert names["nic1"] == "Microsoft Virtual Machine Bus Network Adapter"


def test_adding_devices_follows_the_hot_add_rules() -> None:
    api = lab()
    vm(api, "R", nics=[NetworkAdapter(switch="External")])
    settle(api, 5)
    with pytest.raises(ValidationError, match="only when the virtual machine is Off"):
        api.set_vm("R", network_adapters=[NetworkAdapter(switch="External"), NetworkAdapter()])
    api.set_vm("R", network_adapters=[NetworkAdapter(switch=None)])  # reconnect: live
    api.set_vm("R", network_adapters=[NetworkAdapter(switch="External", vlan_id=5)])
    drives = [*api.vm("R").config.hard_drives, HardDrive("SCSI", 0, 1, "data.vhd", False)]
    api.set_vm("R", hard_drives=drives)  # SCSI hot add (2008 R2)
    with pytest.raises(ValidationError, match="IDE drives"):
        api.set_vm("R", hard_drives=[*drives, HardDrive("IDE", 1, 0, "x.vhd", False)])


def test_a_child_still_cannot_issue_privileged_hypercalls() -> None:
    api = lab()
    vm(api, "Guest")
    settle(api, 5)
    assert api.issue_hypercall("Guest", "HvCreatePartition").status is HvStatus.ACCESS_DENIED
    channel = next(c for c in api.vmbus_channels("Guest") if c.connection_id is not None)
    assert api.issue_hypercall("Guest", "HvSignalEvent", connection_id=channel.connection_id).ok


def test_device_counter_sets_follow_the_io() -> None:
    api = lab()
    load = {
        "workload": "custom",
        "workload_net_mbit": 80,
        "workload_disk_iops": 500,
        "workload_cpu_pct": 5,
    }
    vm(
        api,
        "Old",
        os="ws2003sp2-x86",
        installed=False,
        nics=[NetworkAdapter(legacy=True, switch="External")],
        **load,
    )
    vm(api, "New", nics=[NetworkAdapter(switch="External")], **load)
    settle(api, 130)
    sets = {s.name: s for s in api.counter_sets()}
    assert "Old_Legacy Network Adapter_0" in sets["Hyper-V Legacy Network Adapter"].instances
    assert "New_Network Adapter_0" in sets["Hyper-V Virtual Network Adapter"].instances
    assert "Old.vhd" in sets["Hyper-V Virtual Storage Device"].instances
    assert "Old:Ide Controller" in sets["Hyper-V Virtual IDE Controller (Emulated)"].instances
    _, sent = api.counter_history(
        "Hyper-V Legacy Network Adapter", "Bytes Sent/sec", "Old_Legacy Network Adapter_0"
    )
    assert sent[-1] == pytest.approx(80e6 / 8 / 2, rel=0.35)
    _, emulated = api.counter_history(
        "Hyper-V Virtual IDE Controller (Emulated)", "Read Bytes/sec", "Old:Ide Controller"
    )
    _, fast = api.counter_history(
        "Hyper-V Virtual IDE Controller (Emulated)", "Read Bytes/sec", "New:Ide Controller"
    )
    assert emulated[-1] > 0 and fast[-1] == 0.0, "with integration services IDE bypasses it"
    _, norm = api.counter_history(
        "Hyper-V Virtual Storage Device", "Normalized Throughput", "New.vhd"
    )
    assert norm[-1] == pytest.approx(500, rel=0.35)
    _, irq_old = api.counter_history("Hyper-V VMBus", "Interrupts Received/sec", "Old")
    _, irq_new = api.counter_history("Hyper-V VMBus", "Interrupts Received/sec", "New")
    assert irq_old[-1] == 0.0 and irq_new[-1] > 0


def test_vmbus_traffic_is_counted_as_the_childs_hypercalls() -> None:
    api = lab()
    net = {"workload": "custom", "workload_net_mbit": 100, "workload_cpu_pct": 5}
    vm(api, "Synth", nics=[NetworkAdapter(switch="External")], **net)
    vm(api, "Legacy", os="nt40-x86", installed=False, memory_startup_mb=128,
       nics=[NetworkAdapter(legacy=True, switch="External")], **net)
    settle(api, 130)
    counters = {c.partition: c for c in api.hypercall_counters()}
    synth = counters["Synth"].calls
    assert synth.get("HvSignalEvent", 0) > 1000, "one signal per batch of synthetic I/O"
    assert synth.get("HvPostMessage", 0) > 0, "integration components exchange messages"
    assert counters["Legacy"].calls == {}, "an unenlightened guest on emulated devices: none"


def test_vm_info_says_enlightened_and_setup_pending() -> None:
    api = lab()
    vm(api, "W2K3", os="ws2003sp2-x86", installed=False)
    vm(api, "W2K8")
    settle(api, 100)
    assert api.vm("W2K8").enlightened and not api.vm("W2K3").enlightened
    api.insert_integration_services_disk("W2K3")
    assert api.vm("W2K3").integration_setup_pending
    api.set_host(virtualization_enabled=False)
    host = api.host()
    assert host.virtualization_enabled and not host.pending_virtualization_enabled
    assert host.numa_spanning_configurable
