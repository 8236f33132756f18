"""``hvctl`` and host profiles: a lab made on a release, its limits, its words, switching."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.hvctl import hvctl

pytestmark = pytest.mark.e2e


def test_profile_makes_the_library_and_host_show_reports_its_limits(tmp_path: Path) -> None:
    """Windows Server 2008 RTM: 16 LPs, 128 running VMs, 1 TB; KB956710: 24 and 192
    (http://technet.microsoft.com/en-us/library/cc816844(WS.10).aspx)."""
    lib = tmp_path / "lab"
    shown = hvctl(lib, "--profile", "ws2008", "--empty", "host", "show")
    assert "Windows Server 2008 (Hyper-V RTM) (ws2008)" in shown.out
    assert ("Profile limits         : 16 logical processors, 128 running virtual machines, "
            "1,024 GB RAM") in shown.out
    data = hvctl(lib, "--json", "host", "show").json()
    assert data["limits"] == {"logical_processors": 16, "running_vms": 128, "host_ram_gb": 1024}
    kb = hvctl(tmp_path / "kb", "--profile", "ws2008+kb956710", "--json", "host", "show").json()
    assert kb["profile_id"] == "ws2008+kb956710" and kb["limits"]["running_vms"] == 192
    core = hvctl(tmp_path / "core", "--profile", "ws2008+core", "host", "show").out
    assert "Server Core installation (remote management only)" in core
    bad = hvctl(tmp_path / "bad", "--profile", "ws2012r2+kb956710", "host", "show", check=False)
    assert bad.code == 1 and "has no option 'kb956710'" in bad.err
    assert not (tmp_path / "bad").exists()


def test_profile_list_names_the_options(tmp_path: Path) -> None:
    rows = {p["id"]: p for p in hvctl(tmp_path, "--json", "profile", "list").json()}
    assert [o["id"] for o in rows["ws2008"]["options"]] == ["kb956710", "core"]
    assert [o["id"] for o in rows["ws2012r2"]["options"]] == ["core"]


def test_switching_the_host_profile_changes_what_hvctl_allows(tmp_path: Path) -> None:
    """Storage QoS arrived with 2012 R2
    (https://learn.microsoft.com/powershell/module/hyper-v/set-vmharddiskdrive)."""
    lib = tmp_path / "lab"
    hvctl(lib, "--profile", "ws2008r2", "clock", "show")  # the demo lab, VMs running
    busy = hvctl(lib, "host", "set", "--profile", "ws2012r2", check=False)
    assert busy.code == 1 and "must be turned off" in busy.err
    for vm in hvctl(lib, "--json", "vm", "list").json():
        if vm["state"] != "Off":
            hvctl(lib, "vm", "turn-off", vm["name"], "--wait")
    refused = hvctl(lib, "vm", "drive", "set", "W2K8-DC01", "ide0:0", "--max-iops", "800",
                    check=False)
    assert refused.code == 1 and "no storage Quality of Service" in refused.err
    changed = hvctl(lib, "--json", "host", "set", "--profile", "ws2012r2").json()
    assert changed["profile_id"] == "ws2012r2"
    hvctl(lib, "vm", "set", "W2K8-DC01", "--workload", "custom", "--workload-iops", "5000")
    hvctl(lib, "vm", "drive", "set", "W2K8-DC01", "ide0:0", "--max-iops", "800")
    hvctl(lib, "vm", "start", "W2K8-DC01", "--wait")
    hvctl(lib, "clock", "advance", "60")
    drives = hvctl(lib, "--json", "vm", "drive", "list", "W2K8-DC01").json()
    assert drives[0]["max_iops"] == 800 and 0 < drives[0]["iops"] <= 800


def test_import_vmc_rebuilds_the_virtual_server_sample(tmp_path: Path) -> None:
    """(https://www.microsoftpressstore.com/articles/article.aspx?p=2231765&seqNum=3)"""
    from hvlab.engine.resources import resources_dir

    sample = resources_dir() / "virtual-server" / "W2K3-WEB.vmc"
    lib = tmp_path / "lab"
    hvctl(lib, "--profile", "ws2008", "--empty", "host", "show")
    done = hvctl(lib, "vm", "import-vmc", str(sample))
    assert done.out.startswith("Imported 'W2K3-WEB' (")
    assert "Hyper-V's SCSI controller is synthetic and cannot boot" in done.out
    vm = hvctl(lib, "--json", "vm", "show", "W2K3-WEB").json()
    assert vm["config"]["network_adapters"][0]["legacy"] is True
    assert vm["config"]["guest_is_installed"] is False
    again = hvctl(lib, "vm", "import-vmc", str(sample), check=False)
    assert again.code == 1 and "already exists" in again.err
