"""The guest: firmware, boot loader, operating system start, integration services.

A boot is a plan of steps; each step enters a :class:`GuestPhase` and prints console lines
(what the VM Connection window shows).  The host schedules the steps on the simulated clock.
Phases also set how much CPU and memory the guest asks for (see ``PHASE_CPU``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hvlab.engine.config import BOOT_DEVICES, VmConfig
from hvlab.engine.guests import INTEGRATION_SERVICES, GuestOs


class GuestPhase(enum.IntEnum):
    OFF = 0
    FIRMWARE = 1
    BOOT_LOADER = 2
    OS_STARTING = 3
    SERVICES_STARTING = 4
    READY = 5
    NO_BOOT_DEVICE = 6
    HALTED = 7
    SHUTTING_DOWN = 8

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    GuestPhase.OFF: "Off",
    GuestPhase.FIRMWARE: "Firmware",
    GuestPhase.BOOT_LOADER: "Boot loader",
    GuestPhase.OS_STARTING: "Operating system starting",
    GuestPhase.SERVICES_STARTING: "Integration services starting",
    GuestPhase.READY: "Running",
    GuestPhase.NO_BOOT_DEVICE: "No boot device",
    GuestPhase.HALTED: "Halted",
    GuestPhase.SHUTTING_DOWN: "Shutting down",
}

#: CPU the guest asks for in each phase: (fraction of a virtual processor, on every VP?).
#: Firmware and boot loader run on the boot processor only; a firmware waiting for a boot
#: device sits in a halt loop.
PHASE_CPU: dict[GuestPhase, tuple[float, bool]] = {
    GuestPhase.OFF: (0.0, False),
    GuestPhase.FIRMWARE: (0.95, False),
    GuestPhase.BOOT_LOADER: (0.6, False),
    GuestPhase.OS_STARTING: (0.7, True),
    GuestPhase.SERVICES_STARTING: (0.35, True),
    GuestPhase.READY: (0.04, True),
    GuestPhase.NO_BOOT_DEVICE: (0.01, False),
    GuestPhase.HALTED: (0.0, False),
    GuestPhase.SHUTTING_DOWN: (0.5, True),
}
#: Share of the guest's working set in use in each phase (drives Memory Demand).
PHASE_MEMORY: dict[GuestPhase, float] = {
    GuestPhase.OFF: 0.0,
    GuestPhase.FIRMWARE: 0.02,
    GuestPhase.BOOT_LOADER: 0.05,
    GuestPhase.OS_STARTING: 0.6,
    GuestPhase.SERVICES_STARTING: 0.9,
    GuestPhase.READY: 1.0,
    GuestPhase.NO_BOOT_DEVICE: 0.01,
    GuestPhase.HALTED: 0.3,
    GuestPhase.SHUTTING_DOWN: 0.8,
}


@dataclass(frozen=True)
class BootStep:
    after_s: float  # delay from the previous step
    phase: GuestPhase
    lines: tuple[str, ...]


def integration_services_running(cfg: VmConfig, guest: GuestOs) -> frozenset[str]:
    """Services that will run once the guest is up: offered by the OS, installed, enabled."""
    if not cfg.guest_is_installed or not guest.has_integration_services:
        return frozenset()
    return frozenset(s for s in guest.services if s in cfg.integration_services)


#: Seconds a firmware's PXE client waits for a DHCP offer before it gives up (there is no
#: boot server in the lab). An assumption: real clients take 10-30 s depending on retries.
PXE_WAIT_S = 10.0
#: Seconds the "Press any key to boot from CD or DVD" prompt waits before the firmware moves
#: on to the next device (Windows setup media wait about five seconds).
CD_PROMPT_S = 5.0
#: After a PXE ROM gives up, the BIOS moves on to the next device this much later.
PXE_EXIT_S = 0.5
#: The firmware's own start before it tries the first boot device.
FIRMWARE_S = {1: 2.0, 2: 3.0}
_DEVICE_NAMES = {"CD": "CD", "IDE": "IDE", "LegacyNetworkAdapter": "Legacy Network adapter",
                 "Floppy": "Floppy", "HardDrive": "Hard Drive", "NetworkAdapter": "Network Adapter",
                 "DVD": "DVD"}


def boot_order(cfg: VmConfig) -> tuple[str, ...]:
    """The order in which the firmware tries the boot devices (the configured one, or the
    default of the VM's generation)."""
    return cfg.boot_order or BOOT_DEVICES.get(cfg.generation, ())


def _boot_device(cfg: VmConfig) -> str | None:
    controller = "IDE" if cfg.generation == 1 else "SCSI"
    for d in sorted(cfg.hard_drives, key=lambda d: (d.controller_number, d.location)):
        if d.controller == controller and d.bootable:
            return f"{controller} ({d.controller_number},{d.location})"
    return None


def firmware_lines(cfg: VmConfig) -> tuple[str, ...]:
    order = ", ".join(_DEVICE_NAMES.get(d, d) for d in boot_order(cfg))
    if cfg.generation == 1:
        return (
            "American Megatrends Inc. BIOS 090004 (Hyper-V Virtual Machine)",
            f"Memory test: {cfg.memory_startup_mb * 1024:,} KB OK",
            f"{cfg.cpu_count} virtual processor(s) detected",
            f"Boot order: {order}",
        )
    return (
        "Microsoft Hyper-V UEFI Release v1.0",
        f"{cfg.memory_startup_mb:,} MB memory, {cfg.cpu_count} virtual processor(s)",
        "Secure Boot: enabled (template: Microsoft Windows)" if cfg.secure_boot
        else "Secure Boot: disabled",
        f"Boot order: {order}",
    )


@dataclass(frozen=True)
class _Attempts:
    """What the firmware does before a boot loader runs: the steps it prints while trying
    devices, then the device it boots from (None: it found none) or the lines it stops on."""

    steps: list[BootStep]
    wait: float  # seconds from the last of ``steps`` to the boot loader or the failure
    device: str | None
    failure: tuple[str, ...] = ()


def _bios_attempts(cfg: VmConfig) -> _Attempts:
    """Generation 1: the BIOS tries each device of the startup order in turn."""
    steps: list[BootStep] = []
    delay = FIRMWARE_S[1]
    for kind in boot_order(cfg):
        if kind == "CD" and cfg.dvd_path:
            # The setup media waits for a key; nobody presses one, so the BIOS moves on.
            steps.append(BootStep(delay, GuestPhase.FIRMWARE, (
                "Booting from CD-ROM...", "Press any key to boot from CD or DVD......")))
            delay = CD_PROMPT_S
        elif kind == "IDE":
            device = _boot_device(cfg)
            if device is not None:
                return _Attempts(steps, delay, device)
        elif kind == "LegacyNetworkAdapter" and any(n.legacy for n in cfg.network_adapters):
            steps.append(BootStep(delay, GuestPhase.FIRMWARE, (
                "Intel UNDI, PXE-2.1 (build 082)", "Copyright (C) 1997-2000  Intel Corporation",
                "DHCP...")))
            steps.append(BootStep(PXE_WAIT_S, GuestPhase.FIRMWARE, (
                "PXE-E53: No boot filename received", "PXE-M0F: Exiting Intel PXE ROM.")))
            delay = PXE_EXIT_S
        elif kind == "Floppy" and cfg.diskette_path:
            # A data diskette has no boot sector: the BIOS stops on it, as real ones do.
            return _Attempts(steps, delay, None, (
                "Booting from Floppy...", "Non-system disk or disk error",
                "Replace and strike any key when ready"))
    return _Attempts(steps, delay, None, (
        "Reboot and Select proper Boot device",
        "or Insert Boot Media in selected Boot device and press a key"))


def _uefi_attempts(cfg: VmConfig, guest: GuestOs) -> _Attempts:
    """Generation 2: UEFI tries each boot entry and lists the failures in its summary."""
    steps: list[BootStep] = []
    summary: list[str] = []
    delay = FIRMWARE_S[2]
    for kind in boot_order(cfg):
        if kind == "HardDrive":
            device = _boot_device(cfg)
            if device is None:
                continue
            if cfg.secure_boot and guest.family == "linux":
                # The Microsoft Windows template trusts only Windows' boot loader.
                summary.append(f"{device.replace('SCSI', 'SCSI Disk')}  The signed image's "
                               "hash is not allowed (DB).")
                continue
            return _Attempts(steps, delay, device)
        if kind == "NetworkAdapter" and any(not n.legacy for n in cfg.network_adapters):
            steps.append(BootStep(delay, GuestPhase.FIRMWARE, ("Start PXE over IPv4.",)))
            delay = PXE_WAIT_S
            summary.append("Network Adapter  A boot image was not found.")
        elif kind == "DVD" and cfg.dvd_path:
            steps.append(BootStep(delay, GuestPhase.FIRMWARE, (
                "Press any key to boot from CD or DVD..",)))
            delay = CD_PROMPT_S
            summary.append("SCSI DVD  The boot loader did not load an operating system.")
    lines = ["Virtual Machine Boot Summary"]
    lines += [f"{i}. {text}" for i, text in enumerate(summary, 1)]
    lines += ["No operating system was loaded. Your virtual machine may be configured "
              "incorrectly.",
              "Exit and re-configure your VM or click restart to retry the current boot "
              "sequence again."]
    return _Attempts(steps, delay, None, tuple(lines))


def _loader_lines(guest: GuestOs) -> tuple[str, ...]:
    if guest.family == "linux":
        return ("GRUB loading stage1.5.", f"Booting '{guest.name}'")
    if guest.id.startswith("nt40"):
        return ("OS Loader V4.01", "NTDETECT V4.0 Checking Hardware ...")
    if guest.id.startswith(("winxp", "ws2003")):
        return ("NTLDR", "Starting Windows...")
    return ("Windows Boot Manager", "Starting Windows")


def boot_plan(cfg: VmConfig, guest: GuestOs) -> list[BootStep]:
    """The steps of one boot from power-on, for this configuration and guest."""
    steps = [BootStep(0.0, GuestPhase.FIRMWARE, firmware_lines(cfg))]
    tried = _bios_attempts(cfg) if cfg.generation == 1 else _uefi_attempts(cfg, guest)
    steps += tried.steps
    if tried.device is None:
        steps.append(BootStep(tried.wait, GuestPhase.NO_BOOT_DEVICE, tried.failure))
        return steps
    steps.append(
        BootStep(
            tried.wait, GuestPhase.BOOT_LOADER,
            (f"Booting from {tried.device}...", *_loader_lines(guest))
        )
    )
    kernel = [guest.kernel, f"{cfg.cpu_count} processor(s), {cfg.memory_startup_mb:,} MB memory"]
    if cfg.memory_startup_mb < guest.minimum_ram_mb:
        halt = (
            ("Kernel panic - not syncing: Out of memory and no killable processes...",)
            if guest.family == "linux"
            else (
                "*** STOP: 0x0000007D (0x00000000, 0x00000000, 0x00000000, 0x00000000)",
                "INSTALL_MORE_MEMORY",
            )
        )
        steps.append(BootStep(2.0, GuestPhase.OS_STARTING, tuple(kernel)))
        steps.append(
            BootStep(
                3.0,
                GuestPhase.HALTED,
                (f"{guest.name} needs at least {guest.minimum_ram_mb} MB of memory.", *halt),
            )
        )
        return steps
    if guest.enlightened and cfg.guest_is_installed:
        kernel.append(
            "Hypervisor detected: enlightenments enabled (hypercalls for TLB flush "
            "and long spin waits, synthetic timers)"
        )
    elif guest.enlightened:
        kernel.append("Hypervisor detected")
    steps.append(BootStep(2.0, GuestPhase.OS_STARTING, tuple(kernel)))
    services = integration_services_running(cfg, guest)
    os_s = guest.boot_seconds
    if cfg.guest_is_installed and guest.has_integration_services:
        steps.append(
            BootStep(
                os_s,
                GuestPhase.SERVICES_STARTING,
                (
                    "VMBus: connection to the root partition established",
                    "Starting integration services...",
                ),
            )
        )

        names = [INTEGRATION_SERVICES[s] for s in INTEGRATION_SERVICES if s in services]
        ready_lines = [f"Integration service started: {n}" for n in names]
        ready_after = 4.0
    else:
        ready_lines = ["No integration services: devices run emulated."]
        ready_after = os_s
    ready_lines.append(
        f"{cfg.name.lower().replace(' ', '-')} login:"
        if guest.family == "linux"
        else "Press CTRL+ALT+DELETE to log on"
    )
    steps.append(BootStep(ready_after, GuestPhase.READY, tuple(ready_lines)))
    return steps


def shutdown_lines(guest: GuestOs) -> tuple[str, ...]:
    if guest.family == "linux":
        return (
            "Broadcast message from root: The system is going down for system halt NOW!",
            "Stopping services...",
        )
    return (
        "Shutdown requested by the Hyper-V Operating System Shutdown service",
        "Windows is shutting down...",
    )
