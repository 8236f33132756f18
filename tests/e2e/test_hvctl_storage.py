"""``hvctl`` for virtual hard disks, checkpoints, export and import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.hvctl import hvctl

pytestmark = pytest.mark.e2e


def test_disks_checkpoints_export_import(tmp_path: Path) -> None:
    lib = tmp_path / "lab"
    hvctl(lib, "clock", "show")
    disks = hvctl(lib, "--json", "vm", "disks", "XP-CLIENT").json()
    assert disks[0]["exists"] and disks[0]["chain_length"] == 1
    made = hvctl(lib, "--json", "vhd", "new", "data.vhd", "--size-gb", "4").json()
    assert made["type"] == "dynamic" and made["file_size"] < 1024 * 1024
    fixed = hvctl(lib, "--json", "vhd", "new", "small.vhd", "--size-gb", "0.05", "--type",
                  "fixed").json()
    assert fixed["type"] == "fixed" and fixed["file_size"] > 50 * 1024**2
    grown = hvctl(lib, "--json", "vhd", "expand", "data.vhd", "--size-gb", "8").json()
    assert grown["maximum_size"] >= 8 * 1024**3
    cps = hvctl(lib, "--json", "vm", "checkpoint", "XP-CLIENT", "--checkpoint-name",
                "clean").json()
    assert cps[0]["name"] == "clean" and cps[0]["now_follows"]
    assert hvctl(lib, "--json", "vm", "disks", "XP-CLIENT").json()[0]["chain_length"] == 2
    refused = hvctl(lib, "vhd", "compact", "XP-CLIENT.vhd", check=False)
    assert refused.code == 1 and "part of the checkpoints" in refused.err
    hvctl(lib, "vm", "export", "XP-CLIENT", str(tmp_path / "out"))
    imported = hvctl(lib, "--json", "vm", "import", str(tmp_path / "out" / "XP-CLIENT"),
                     "--mode", "copy").json()
    assert imported[0]["name"] == "XP-CLIENT (2)"
    assert hvctl(lib, "--json", "vm", "checkpoints", "XP-CLIENT (2)").json()[0]["name"] == "clean"
    hvctl(lib, "vm", "remove-checkpoint", "XP-CLIENT", "clean")
    assert hvctl(lib, "--json", "vm", "checkpoints", "XP-CLIENT").json() == []
    assert hvctl(lib, "--json", "vm", "disks", "XP-CLIENT").json()[0]["chain_length"] == 1
    bad = hvctl(lib, "vm", "import", str(tmp_path), check=False)
    assert bad.code == 1 and "is not a virtual machine export" in bad.err
