"""The firmware walks the VM's boot order: setup media that waits for a key, PXE that finds
no boot server, a data diskette that stops a BIOS, Secure Boot that refuses a Linux loader.

Each test checks what the VM Connection window shows and when the boot loader starts, so a
wrong order costs the simulated seconds it would cost on Hyper-V.
"""

from __future__ import annotations

from hvlab.engine.api import ManagementApi
from hvlab.engine.config import HardDrive, NetworkAdapter, VmConfig
from hvlab.engine.guest import (
    CD_PROMPT_S,
    FIRMWARE_S,
    PXE_WAIT_S,
    BootStep,
    GuestPhase,
    boot_order,
    boot_plan,
)
from hvlab.engine.guests import load_catalogue

from .helpers import BOOT_DISK, make_api, new_vm

LEGACY = (NetworkAdapter(legacy=True),)
SCSI_DISK = (HardDrive("SCSI", 0, 0, "g2.vhdx"),)


def plan(os_id: str = "ws2008-x64", **fields: object) -> list[BootStep]:
    cfg = VmConfig(id="X", name="X", guest_os=os_id, **fields)  # type: ignore[arg-type]
    return boot_plan(cfg, load_catalogue()[os_id])


def loader_after(steps: list[BootStep]) -> float:
    """Seconds from power-on to the boot loader."""
    total = 0.0
    for step in steps:
        total += step.after_s
        if step.phase is GuestPhase.BOOT_LOADER:
            return total
    raise AssertionError("the boot loader never runs")


def lines(steps: list[BootStep]) -> list[str]:
    return [line for step in steps for line in step.lines]


def console(api: ManagementApi, name: str) -> list[str]:
    return [line for _, line in api.console(name)[1]]


def test_the_default_order_boots_the_ide_disk_after_the_firmware() -> None:
    steps = plan(hard_drives=BOOT_DISK, network_adapters=LEGACY)
    assert boot_order(VmConfig(id="X", name="X")) == ("CD", "IDE", "LegacyNetworkAdapter",
                                                      "Floppy")
    assert "Boot order: CD, IDE, Legacy Network adapter, Floppy" in lines(steps)
    assert loader_after(steps) == FIRMWARE_S[1]
    assert not any("PXE" in line for line in lines(steps)), "the disk comes before the NIC"


def test_setup_media_waits_for_a_key_then_the_bios_moves_on() -> None:
    steps = plan(hard_drives=BOOT_DISK, dvd_path="setup.iso")
    text = lines(steps)
    assert text.index("Press any key to boot from CD or DVD......") < text.index(
        "Booting from IDE (0,0)...")
    assert loader_after(steps) == FIRMWARE_S[1] + CD_PROMPT_S


def test_pxe_first_costs_the_dhcp_wait_before_the_disk_boots() -> None:
    order = ("LegacyNetworkAdapter", "IDE", "CD", "Floppy")
    steps = plan(hard_drives=BOOT_DISK, network_adapters=LEGACY, boot_order=order)
    text = lines(steps)
    assert "Boot order: Legacy Network adapter, IDE, CD, Floppy" in text
    assert text.index("PXE-E53: No boot filename received") < text.index(
        "Booting from IDE (0,0)...")
    assert loader_after(steps) == FIRMWARE_S[1] + PXE_WAIT_S + 0.5
    # Without a legacy adapter there is nothing to try on the network: no delay.
    assert loader_after(plan(hard_drives=BOOT_DISK, boot_order=order)) == FIRMWARE_S[1]


def test_a_data_diskette_first_stops_the_bios() -> None:
    steps = plan(hard_drives=BOOT_DISK, diskette_path="data.vfd",
                 boot_order=("Floppy", "IDE", "CD", "LegacyNetworkAdapter"))
    assert steps[-1].phase is GuestPhase.NO_BOOT_DEVICE
    assert "Non-system disk or disk error" in steps[-1].lines
    # Last in the order (the default) it is never reached.
    assert loader_after(plan(hard_drives=BOOT_DISK, diskette_path="data.vfd")) == FIRMWARE_S[1]


def test_no_boot_device_after_pxe_through_the_api() -> None:
    api = make_api()
    api.create_vm("Diskless", network_adapters=LEGACY)
    api.wait(api.start("Diskless"))
    api.advance(FIRMWARE_S[1] + 1)
    assert api.vm("Diskless").guest_phase == "Firmware"  # still waiting for DHCP
    assert console(api, "Diskless")[-1] == "DHCP..."
    api.advance(PXE_WAIT_S + 1)
    assert api.vm("Diskless").guest_phase == "No boot device"
    text = console(api, "Diskless")
    assert text[-3:] == ["PXE-M0F: Exiting Intel PXE ROM.", "Reboot and Select proper Boot device",
                         "or Insert Boot Media in selected Boot device and press a key"]


def test_the_boot_order_set_through_the_api_delays_the_guest() -> None:
    api = make_api()
    new_vm(api, "Default", network_adapters=LEGACY)
    new_vm(api, "PxeFirst", network_adapters=LEGACY,
           boot_order=("LegacyNetworkAdapter", "IDE", "CD", "Floppy"))
    for name in ("Default", "PxeFirst"):
        api.start(name)
    api.advance(8)
    assert api.vm("Default").guest_phase != "Firmware"
    assert api.vm("PxeFirst").guest_phase == "Firmware"
    api.advance(120)
    assert api.vm("PxeFirst").heartbeat == "OK", "it boots from the disk in the end"


def test_uefi_secure_boot_refuses_a_linux_loader_until_it_is_turned_off() -> None:
    api = make_api("ws2019")
    api.create_vm("Ubuntu", generation=2, guest_os="ubuntu2004-x64", hard_drives=SCSI_DISK)
    api.wait(api.start("Ubuntu"))
    api.advance(30)
    assert api.vm("Ubuntu").guest_phase == "No boot device"
    text = console(api, "Ubuntu")
    assert "Secure Boot: enabled (template: Microsoft Windows)" in text
    assert "1. SCSI Disk (0,0)  The signed image's hash is not allowed (DB)." in text
    api.wait(api.turn_off("Ubuntu"))
    api.set_vm("Ubuntu", secure_boot=False)
    api.wait(api.start("Ubuntu"))
    api.advance(120)
    assert api.vm("Ubuntu").heartbeat == "OK"
    assert "Secure Boot: disabled" in console(api, "Ubuntu")


def test_uefi_tries_the_network_first_when_told_to() -> None:
    steps = plan("ws2019-x64", generation=2, hard_drives=SCSI_DISK,
                 network_adapters=(NetworkAdapter(),),
                 boot_order=("NetworkAdapter", "HardDrive", "DVD"))
    text = lines(steps)
    assert text.index("Start PXE over IPv4.") < text.index("Booting from SCSI (0,0)...")
    assert loader_after(steps) == FIRMWARE_S[2] + PXE_WAIT_S
    # Nothing bootable at all: the boot summary lists every device that was tried.
    steps = plan("ws2019-x64", generation=2, network_adapters=(NetworkAdapter(),),
                 dvd_path="setup.iso", boot_order=("DVD", "NetworkAdapter", "HardDrive"))
    assert steps[-1].phase is GuestPhase.NO_BOOT_DEVICE
    assert steps[-1].lines[1:3] == (
        "1. SCSI DVD  The boot loader did not load an operating system.",
        "2. Network Adapter  A boot image was not found.")
