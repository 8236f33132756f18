"""Small builders shared by the engine tests."""

from __future__ import annotations

from typing import Any

from engine.api import ManagementApi
from engine.config import HardDrive

BOOT_DISK = (HardDrive("IDE", 0, 0, "boot.vhd", bootable=True),)


def make_api(profile: str = "ws2008r2", *, seed: int = 0, **host: Any) -> ManagementApi:
    api = ManagementApi(seed=seed)
    api.add_host("HOST", profile, **host)
    return api


def new_vm(api: ManagementApi, name: str, **fields: Any) -> str:
    fields.setdefault("hard_drives", BOOT_DISK)
    return api.create_vm(name, **fields).id


def boot(api: ManagementApi, name: str, seconds: float = 120.0) -> None:
    """Start a VM and let the guest finish booting."""
    api.wait(api.start(name))
    api.advance(seconds)
