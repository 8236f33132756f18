"""A VM's virtual devices: emulated ones in the worker process, synthetic ones on VMBus.

Generation 1 VMs have the emulated PC: PIIX4 IDE (two controllers, two devices each), the
DEC 21140 legacy network adapter, S3 video, PS/2, floppy and COM ports, plus synthetic SCSI,
network, video and input devices.  Generation 2 VMs are synthetic only.

A synthetic device needs its driver (the VSC) in the guest, which comes with integration
services; without them the guest lists it as an unknown device and it carries nothing.  Each
synthetic device (and each integration service) has a VMBus channel between the VSC in the
child and its VSP in the root, offered when the partition starts and opened when the guest's
integration services start.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvlab.engine.config import VmConfig
from hvlab.engine.guests import INTEGRATION_SERVICES, GuestOs

EMULATED = "emulated"
SYNTHETIC = "synthetic"

#: Guest driver names, by device and guest family.
_WINDOWS = {
    "ide": "Intel(R) 82371AB/EB PCI Bus Master IDE Controller",
    "ide-disk": "Virtual HD ATA Device",
    "scsi": "Microsoft Virtual Machine Bus SCSI Controller",
    "scsi-disk": "Msft Virtual Disk SCSI Disk Device",
    "nic": "Microsoft Virtual Machine Bus Network Adapter",
    "legacy": "Intel 21140-Based PCI Fast Ethernet Adapter (Emulated)",
    "s3": "S3 Trio32/64",
    "video": "Microsoft Virtual Machine Bus Video Device",
    "ps2": "Standard PS/2 Keyboard; PS/2 Compatible Mouse",
    "input": "Microsoft Virtual Machine Bus HID Miniport",
    "floppy": "Standard floppy disk controller",
    "com": "Communications Port",
    "vmbus": "Virtual Machine Bus",
}
_LINUX = {
    "ide": "ata_piix",
    "ide-disk": "sd (ATA Virtual HD)",
    "scsi": "hv_storvsc",
    "scsi-disk": "sd (Msft Virtual Disk)",
    "nic": "hv_netvsc",
    "legacy": "tulip (DEC 21140)",
    "s3": "vesafb",
    "video": "hyperv_fb",
    "ps2": "i8042 (atkbd, psmouse)",
    "input": "hid_hyperv",
    "floppy": "floppy",
    "com": "serial8250",
    "vmbus": "hv_vmbus",
}
#: The root-side service that handles each synthetic device class.
VSP = {
    "scsi": "StorVSP",
    "nic": "NetVSP (VMSwitch)",
    "video": "SynthVid VSP",
    "input": "SynthHid VSP",
}
VSC = {"scsi": "storvsc", "nic": "netvsc", "video": "synthvid", "input": "synthhid"}
#: Integration services talk over VMBus too (the "IC" channels).
IC_VSC = {
    "shutdown": "vmicshutdown",
    "time_sync": "vmictimesync",
    "data_exchange": "vmickvpexchange",
    "heartbeat": "vmicheartbeat",
    "backup": "vmicvss",
    "guest_services": "vmicguestinterface",
}


@dataclass(frozen=True)
class Device:
    """One device as the settings dialog and the guest's Device Manager see it."""

    key: str  # stable within the VM: "ide0", "ide0:1", "scsi0", "scsi0:3", "nic1", ...
    name: str  # Hyper-V Manager's name
    category: str  # storage, network, display, input, system, ports, floppy
    kind: str  # "emulated" or "synthetic"
    guest_driver: str | None  # the guest's driver, None: an unknown device
    handled_by: str  # worker process (emulated) or the root VSP (synthetic)
    fast_path: bool = False  # an IDE disk taking the VMBus path because IS runs

    @property
    def guest_name(self) -> str:
        if self.guest_driver is None:
            return f"Unknown device ({self.name})"
        return self.guest_driver


@dataclass(frozen=True)
class Channel:
    """A VMBus channel between a VSC in the child and a VSP in the root."""

    key: str
    device: str
    vsc: str
    vsp: str
    state: str  # "Offered" or "Open"
    #: The child's connection to the channel's port in the root (None: not offered).
    connection_id: int | None = None


def has_vsc(cfg: VmConfig, guest: GuestOs) -> bool:
    """Whether the guest has the VMBus drivers (integration services installed)."""
    return cfg.guest_is_installed and guest.has_integration_services


def devices_for(cfg: VmConfig, guest: GuestOs, is_running: bool) -> list[Device]:
    """Every device of the VM.  ``is_running``: the guest's integration services are up."""
    names = _LINUX if guest.family == "linux" else _WINDOWS
    vsc = has_vsc(cfg, guest)
    synth_driver = is_running and vsc

    def synthetic(key: str, name: str, category: str, cls: str, driver: str) -> Device:
        return Device(
            key,
            name,
            category,
            SYNTHETIC,
            names[driver] if synth_driver else None,
            f"{VSP[cls]} in the root partition",
        )

    worker = "worker process (vmwp.exe) in the root partition"
    out: list[Device] = []
    if cfg.generation == 1:
        for c in (0, 1):
            out.append(
                Device(f"ide{c}", f"IDE Controller {c}", "storage", EMULATED, names["ide"], worker)
            )
        for d in cfg.hard_drives:
            if d.controller == "IDE":
                out.append(
                    Device(
                        f"ide{d.controller_number}:{d.location}",
                        "Hard Drive",
                        "storage",
                        SYNTHETIC if synth_driver else EMULATED,
                        names["ide-disk"],
                        f"{VSP['scsi']} in the root partition" if synth_driver else worker,
                        fast_path=synth_driver,
                    )
                )
    for c in range(cfg.scsi_controllers):
        out.append(synthetic(f"scsi{c}", "SCSI Controller", "storage", "scsi", "scsi"))
    for d in cfg.hard_drives:
        if d.controller == "SCSI":
            dev = synthetic(
                f"scsi{d.controller_number}:{d.location}",
                "Hard Drive",
                "storage",
                "scsi",
                "scsi-disk",
            )
            out.append(dev)
    for i, nic in enumerate(cfg.network_adapters):
        if nic.legacy:
            out.append(
                Device(
                    f"nic{i}",
                    "Legacy Network Adapter",
                    "network",
                    EMULATED,
                    names["legacy"],
                    worker,
                )
            )
        else:
            out.append(synthetic(f"nic{i}", "Network Adapter", "network", "nic", "nic"))
    if cfg.generation == 1:
        out.append(Device("s3", "Video (S3 Trio)", "display", EMULATED, names["s3"], worker))
        out.append(
            Device("ps2", "PS/2 keyboard and mouse", "input", EMULATED, names["ps2"], worker)
        )
        out.append(Device("floppy", "Diskette Drive", "floppy", EMULATED, names["floppy"], worker))
        for port in (1, 2):
            out.append(
                Device(
                    f"com{port}",
                    f"COM {port}",
                    "ports",
                    EMULATED,
                    f"{names['com']} (COM{port})",
                    worker,
                )
            )
    out.append(synthetic("video", "Synthetic video", "display", "video", "video"))
    out.append(synthetic("input", "Synthetic keyboard and mouse", "input", "input", "input"))
    if synth_driver:
        out.append(
            Device(
                "vmbus",
                "VMBus",
                "system",
                SYNTHETIC,
                names["vmbus"],
                "the hypervisor and the root partition",
            )
        )
    return out


def channels_for(
    cfg: VmConfig, guest: GuestOs, partition: bool, is_running: bool, devices: list[Device]
) -> list[Channel]:
    """VMBus channels: offered while the partition exists, open once the guest's VSCs run."""
    if not partition:
        return []
    open_ = is_running and has_vsc(cfg, guest)
    state = "Open" if open_ else "Offered"
    out = []
    for dev in devices:
        if dev.kind != SYNTHETIC or dev.key == "vmbus":
            continue
        cls = (
            "scsi"
            if dev.key.startswith(("scsi", "ide"))
            else "nic"
            if dev.key.startswith("nic")
            else dev.key
        )
        if ":" in dev.key and dev.key.startswith("scsi"):
            continue  # disks share their controller's channel
        out.append(Channel(dev.key, dev.name, VSC[cls], VSP[cls], state))
    for service, vsc in IC_VSC.items():
        if service in cfg.integration_services and service in guest.services:
            out.append(
                Channel(
                    f"ic:{service}",
                    INTEGRATION_SERVICES[service],
                    vsc,
                    "VMMS integration component",
                    state,
                )
            )
    return out


def offered_channels(cfg: VmConfig, guest: GuestOs) -> list[Channel]:
    """Every channel the root offers a partition with this configuration when it starts
    (whether the guest opens it is up to its integration services)."""
    return channels_for(cfg, guest, True, True, devices_for(cfg, guest, True))
