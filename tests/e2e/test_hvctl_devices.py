"""``hvctl`` for counters, workloads, switches, adapters, drives and integration services."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.hvctl import hvctl

pytestmark = pytest.mark.e2e

NIC = "Intel(R) 82576 Gigabit Dual Port Network Connection"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    lib = tmp_path / "demo"
    hvctl(lib, "clock", "show")
    return lib


def test_counters_survive_between_processes(demo: Path) -> None:
    hvctl(demo, "clock", "advance", "30")
    rows = hvctl(demo, "--json", "counters", "--set", "Hyper-V Hypervisor").json()
    values = {r["counter"]: r["value"] for r in rows}
    assert values["Logical Processors"] == 8 and values["Partitions"] == 5
    assert values["Hypercalls/sec"] > 0
    assert {"set", "counter", "instance", "path", "value"} <= set(rows[0])
    lp = hvctl(demo, "--json", "counters", "--set",
               "Hyper-V Hypervisor Logical Processor").json()
    assert {r["instance"] for r in lp} >= {"_Total", "Hv LP 0", "Hv LP 7"}
    bad = hvctl(demo, "counters", "--set", "No Such Set", check=False)
    assert bad.code == 1 and "No counter set named" in bad.err


def test_switches_adapters_and_network_io(demo: Path) -> None:
    assert [s["name"] for s in hvctl(demo, "--json", "switch", "list").json()] == ["External"]
    hvctl(demo, "switch", "remove", "External")  # the demo's; its adapters are unplugged
    created = hvctl(demo, "--json", "switch", "new", "Ext", "--type", "external", "--nic",
                    NIC).json()
    assert created["type"] == "External" and created["nic"] == NIC
    dup = hvctl(demo, "switch", "new", "Ext2", "--type", "External", "--nic", NIC, check=False)
    assert dup.code == 1 and "already bound" in dup.err
    live = hvctl(demo, "vm", "nic", "add", "W2K8-DC01", "--switch", "Ext", check=False)
    assert live.code == 1 and "only when the virtual machine is Off" in live.err
    hvctl(demo, "vm", "turn-off", "W2K8-DC01", "--wait")
    hvctl(demo, "vm", "nic", "remove", "W2K8-DC01", "0")  # the demo's adapter
    hvctl(demo, "vm", "nic", "add", "W2K8-DC01", "--switch", "Ext", "--vlan", "12")
    hvctl(demo, "vm", "set", "W2K8-DC01", "--workload", "custom", "--workload-net", "150",
          "--workload-iops", "300")
    hvctl(demo, "vm", "start", "W2K8-DC01", "--wait")
    hvctl(demo, "clock", "advance", "90")
    adapters = hvctl(demo, "--json", "vm", "nic", "list", "W2K8-DC01").json()
    assert adapters[0]["switch"] == "Ext" and adapters[0]["vlan_id"] == 12
    assert adapters[0]["mac"].startswith("00-15-5D-") and adapters[0]["status"] == "OK"
    assert adapters[0]["ip_addresses"]
    capped = hvctl(demo, "vm", "nic", "set", "W2K8-DC01", "0", "--max-mbit", "50", check=False)
    assert capped.code == 1 and "no bandwidth management" in capped.err  # 2012 and later
    hvctl(demo, "clock", "advance", "5")
    rows = hvctl(demo, "--json", "counters", "--set", "Hyper-V Virtual Network Adapter").json()
    sent = next(r["value"] for r in rows if r["counter"] == "Bytes/sec"
                and r["instance"].startswith("W2K8-DC01"))
    assert 0 < sent <= 150e6 / 8 * 1.001
    switches = hvctl(demo, "--json", "switch", "list").json()
    assert switches[0]["adapters"] == ["W2K8-DC01: Network Adapter 0"]
    hvctl(demo, "vm", "nic", "connect", "W2K8-DC01", "0", "--none")
    hvctl(demo, "switch", "set", "Ext", "--name", "Uplink")
    hvctl(demo, "switch", "remove", "Uplink")
    assert hvctl(demo, "--json", "switch", "list").json() == []
    missing = hvctl(demo, "vm", "nic", "set", "W2K8-DC01", "7", "--vlan", "1", check=False)
    assert missing.code == 1 and "has no network adapter 7" in missing.err


def test_drives_qos_and_integration_services(demo: Path) -> None:
    hvctl(demo, "vm", "set", "W2K8-DC01", "--workload", "custom", "--workload-iops", "5000")
    qos = hvctl(demo, "vm", "drive", "set", "W2K8-DC01", "ide0:0", "--max-iops", "800",
                check=False)
    assert qos.code == 1 and "no storage Quality of Service" in qos.err  # 2012 R2 and later
    hvctl(demo, "clock", "advance", "10")
    drives = hvctl(demo, "--json", "vm", "drive", "list", "W2K8-DC01").json()
    assert drives[0]["max_iops"] == 0 and drives[0]["iops"] > 0
    assert drives[0]["path_kind"] == "synthetic"
    hvctl(demo, "vm", "drive", "add", "W2K8-DC01", "--controller", "scsi", "--location", "1",
          "--path", "data.vhd")  # SCSI hot add on 2008 R2
    ide = hvctl(demo, "vm", "drive", "add", "W2K8-DC01", "--controller", "ide", "--number", "1",
                "--location", "0", "--path", "x.vhd", check=False)
    assert ide.code == 1 and "IDE drives" in ide.err
    hvctl(demo, "vm", "drive", "remove", "W2K8-DC01", "scsi0:1")
    services = hvctl(demo, "--json", "vm", "integration", "disable", "W2K8-DC01",
                     "heartbeat").json()
    assert {"name": "Heartbeat", "enabled": False, "status": "Disabled"} in services
    hvctl(demo, "vm", "integration", "enable", "W2K8-DC01", "heartbeat")
    hvctl(demo, "vm", "integration", "install", "W2K3-APP01")
    hvctl(demo, "vm", "reset", "W2K3-APP01")
    hvctl(demo, "clock", "advance", "90")
    devices = hvctl(demo, "--json", "vm", "devices", "W2K3-APP01").json()
    assert {c["state"] for c in devices["vmbus_channels"]} == {"Open"}
    nt4 = hvctl(demo, "--json", "vm", "devices", "NT4-LEGACY").json()
    assert any(d["guest_name"].startswith("Unknown device") for d in nt4["devices"])
    nope = hvctl(demo, "vm", "integration", "install", "NT4-LEGACY", check=False)
    assert nope.code == 1 and "No integration services setup disk" in nope.err
    bad = hvctl(demo, "vm", "integration", "enable", "W2K8-DC01", "telepathy", check=False)
    assert bad.code == 1 and "is not an integration service" in bad.err
    usage = hvctl(demo, "vm", "set", "W2K8-DC01", "--workload", "mining", check=False)
    assert usage.code == 2
