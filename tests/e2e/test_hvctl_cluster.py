"""``hvctl`` for several hosts and the failover cluster: hosts, networks, storage, the
cluster, highly available VMs, migrations and node failure, across separate runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.hvctl import hvctl

pytestmark = pytest.mark.e2e


def test_a_cluster_from_the_command_line(tmp_path: Path) -> None:
    lib = tmp_path / "lab"
    hvctl(lib, "--empty", "host", "show")
    hosts = hvctl(lib, "--json", "host", "add", "NODE2", "--profile", "ws2008r2",
                  "--ram-gb", "16").json()
    assert [h["name"] for h in hosts] == ["LAB-HOST-01", "NODE2"]
    refused = hvctl(lib, "cluster", "validate", "LAB-HOST-01", "NODE2", check=False)
    assert refused.code == 1 and "FAILED  Validate Storage" in refused.out
    hvctl(lib, "network", "add", "LM", "--kind", "1gbe", "--hosts", "LAB-HOST-01,NODE2")
    hvctl(lib, "shared-storage", "add", "SAN", "--kind", "fc-2gb", "--spindles", "3",
          "--path", "ClusterStorage/Volume1", "--hosts", "LAB-HOST-01,NODE2")
    assert hvctl(lib, "--json", "cluster", "validate", "LAB-HOST-01", "NODE2").json() == {
        "passed": True, "failures": []}
    cluster = hvctl(lib, "--json", "cluster", "create", "CL", "LAB-HOST-01", "NODE2").json()
    assert cluster["quorum"] == "node-and-disk-majority"
    hvctl(lib, "vm", "new", "WEB", "--memory", "512", "--vhd", "ClusterStorage/Volume1/W.vhd")
    hvctl(lib, "vm", "ha", "WEB", "--priority", "high")
    hvctl(lib, "vm", "start", "WEB", "--wait")
    # Started without --wait, the live migration continues in the next runs' clock.
    started = hvctl(lib, "--json", "vm", "migrate", "WEB", "--to", "NODE2", "--live").json()
    assert started["migration"]["phase"] == "setup"
    busy = hvctl(lib, "vm", "migrate", "WEB", "--to", "NODE2", "--quick", check=False)
    assert busy.code == 1 and "being migrated" in busy.err
    hvctl(lib, "clock", "advance", "10")
    done = hvctl(lib, "--json", "cluster", "migrations").json()[0]
    assert done["outcome"] == "completed" and done["downtime_s"] < 0.1
    roles = hvctl(lib, "--json", "cluster", "show").json()["roles"]
    node2 = hvctl(lib, "--json", "host", "show", "NODE2").json()["id"]
    assert roles[0][1] == "WEB" and roles[0][3] == node2
    quick = hvctl(lib, "--json", "vm", "migrate", "WEB", "--to", "LAB-HOST-01", "--quick",
                  "--wait").json()
    assert quick["job"]["state"] == "Completed" and quick["migration"]["live"] is False
    hvctl(lib, "node", "fail", "LAB-HOST-01")
    hvctl(lib, "clock", "advance", "30")
    show = hvctl(lib, "--json", "cluster", "show").json()
    assert [n["state"] for n in show["nodes"]] == ["Down", "Up"]
    assert show["roles"][0][3] == node2
    assert hvctl(lib, "--json", "node", "restore", "LAB-HOST-01", "--wait").json()["job"][
        "state"] == "Completed"
    removed = hvctl(lib, "host", "remove", "NODE2", check=False)
    assert removed.code == 1 and "holds 1 virtual machines" in removed.err
