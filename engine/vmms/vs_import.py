"""Moving a Virtual Server 2005 R2 virtual machine to Hyper-V: its ``.vmc`` and ``.vhd``.

Hyper-V cannot import a Virtual Server machine: the virtual hard disk format is the same,
but the configuration file is not, so an administrator rebuilds the VM around the old disk
(Microsoft Press, "Moving from Virtual Server 2005 R2 to Hyper-V",
https://www.microsoftpressstore.com/articles/article.aspx?p=2231765&seqNum=3).  hvlab reads
the ``.vmc`` (XML; the keys Virtual Server's COM API names, e.g. ``hardware/memory/ram_size``
and ``hardware/pci_bus/ide_adapter/ide_controller[@id]/location[@id]/pathname``) and does
that rebuild, saying what changed:

- the disks are copied into the library unchanged; a disk on Virtual Server's SCSI adapter
  (emulated there, so it could boot) moves to IDE, because Hyper-V's SCSI controller is
  synthetic and cannot boot;
- each network adapter becomes a legacy network adapter (emulated, like Virtual Server's):
  without integration services the guest has no driver for a synthetic one;
- Virtual Machine Additions do not work on Hyper-V: the guest has no integration services
  until they are installed from the setup disk.
"""

from __future__ import annotations

import contextlib
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from hvlab.engine import fileguard
from hvlab.engine.config import HardDrive, NetworkAdapter, VmConfig
from hvlab.engine.errors import HvError, ValidationError
from hvlab.engine.guests import get_guest_os
from hvlab.engine.sim.memory import PAGE_MB
from hvlab.engine.vmms import inventory, settings
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime
from hvlab.engine.vmms.vm_files import VHD_FOLDER

#: A .vmc is a few kilobytes; anything far larger is not one.
MAX_VMC_BYTES = 1 << 20
#: The guest a Virtual Server machine most often ran (hvctl --os chooses another).
DEFAULT_GUEST = "ws2003sp2-x86"
IMPORTS_DIR = "imports"
#: The id of the configuration a preview checks; the import gives the VM its own.
PREVIEW_ID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class VmcDisk:
    adapter: str  # "IDE" or "SCSI", on Virtual Server
    number: int
    location: int
    path: Path


@dataclass(frozen=True)
class VmcMachine:
    """What a .vmc says: the name is the file's, as Virtual Server shows it."""

    name: str
    ram_mb: int
    disks: tuple[VmcDisk, ...]
    networks: tuple[str, ...]  # the virtual network of each adapter ("" when none)


def _int(node: ET.Element | None, what: str, source: Path) -> int:
    try:
        return int((node.text or "").strip()) if node is not None else -1
    except ValueError:
        raise ValidationError("vmc", f"'{source}': {what} is not a number.") from None


def _disk_file(location: ET.Element, folder: Path) -> Path | None:
    """The .vhd of a location: its relative path from the .vmc's folder, else the file of
    its absolute (old server's) path's name beside the .vmc."""
    for key in ("pathname/relative", "pathname/absolute"):
        text = (location.findtext(key) or "").strip()
        if not text:
            continue
        parts = PureWindowsPath(text).parts
        if key.endswith("relative") and ".." not in parts:
            candidate = folder.joinpath(*[p for p in parts if p not in (".", "\\")])
        else:
            candidate = folder / PureWindowsPath(text).name
        if candidate.resolve().is_relative_to(folder.resolve()):
            return candidate
    return None


def read_vmc(path: Path) -> VmcMachine:
    """Read and check a Virtual Server .vmc; every problem names the file and why."""
    try:
        if path.stat().st_size > MAX_VMC_BYTES:
            raise ValidationError("vmc", f"'{path}' is too large to be a Virtual Server "
                                         "configuration file.")
        root = ET.fromstring(path.read_bytes())
    except OSError as exc:
        raise ValidationError("vmc", f"'{path}' cannot be read: {exc.strerror or exc}.") from None
    except ET.ParseError as exc:
        raise ValidationError("vmc", f"'{path}' is not a Virtual Server configuration file "
                                     f"(.vmc): {exc}.") from None
    if root.tag != "preferences" or root.find("hardware") is None:
        raise ValidationError("vmc", f"'{path}' is not a Virtual Server configuration file "
                                     "(.vmc): it has no <preferences><hardware> keys.")
    ram = _int(root.find("hardware/memory/ram_size"), "hardware/memory/ram_size", path)
    if ram < 1:
        raise ValidationError("vmc", f"'{path}' gives no memory size "
                                     "(hardware/memory/ram_size).")
    disks: list[VmcDisk] = []
    for adapter, key in (("IDE", "ide_adapter/ide_controller"),
                         ("SCSI", "scsi_adapter/scsi_controller")):
        for controller in root.findall(f"hardware/pci_bus/{key}"):
            for location in controller.findall("location"):
                if _int(location.find("drive_type"), "drive_type", path) != 1:
                    continue  # 1 is a hard disk; CD/DVD drives are not carried over
                file = _disk_file(location, path.parent)
                if file is None:
                    raise ValidationError("vmc", f"'{path}': the {adapter} disk at "
                                                 f"{controller.get('id')}:{location.get('id')} "
                                                 "has no path inside the .vmc's folder.")
                disks.append(VmcDisk(adapter, int(controller.get("id", "0")),
                                     int(location.get("id", "0")), file))
    networks = tuple((c.findtext("virtual_network/name") or "").strip() for c in root.findall(
        "hardware/pci_bus/ethernet_adapter/ethernet_controller"))
    name = re.sub(r"\s+", " ", path.stem).strip() or "Virtual Server VM"
    return VmcMachine(name, ram, tuple(disks), networks)


def plan(host: Host, machine: VmcMachine, guest_os: str,
         where: Callable[[Path], str]) -> tuple[VmConfig, list[str]]:
    """The Hyper-V configuration of ``machine`` (disk paths through ``where``) and each
    change from Virtual Server, one sentence each."""
    guest = get_guest_os(guest_os)
    changes = ["Hyper-V has no importer for Virtual Server machines: hvlab rebuilt the "
               "configuration from the .vmc; the virtual hard disks are used unchanged."]
    ide = [(c, n) for c in (0, 1) for n in (0, 1)]
    drives: list[HardDrive] = []
    taken = {(d.number, d.location) for d in machine.disks if d.adapter == "IDE"}
    free = [slot for slot in ide if slot not in taken]
    scsi = 0
    for disk in sorted(machine.disks, key=lambda d: (d.adapter != "IDE", d.number, d.location)):
        boot = not drives
        if disk.adapter == "IDE":
            drives.append(HardDrive("IDE", disk.number, disk.location, where(disk.path), boot))
        elif free:
            number, location = free.pop(0)
            drives.append(HardDrive("IDE", number, location, where(disk.path), boot))
            changes.append(f"The disk '{disk.path.name}' was on the SCSI adapter, which Virtual "
                           "Server emulates; it is now on IDE controller "
                           f"{number}, location {location}, because Hyper-V's SCSI "
                           "controller is synthetic and cannot boot.")
        else:
            drives.append(HardDrive("SCSI", 0, scsi, where(disk.path), False))
            scsi += 1
            changes.append(f"The disk '{disk.path.name}' is on the synthetic SCSI controller: "
                           "the guest sees it only once integration services are installed.")
    adapters: list[NetworkAdapter] = []
    for network in machine.networks:
        switch = network if network in host.net.switches else None
        adapters.append(NetworkAdapter(legacy=True, switch=switch))
        changes.append(
            "The network adapter is a legacy network adapter (emulated DEC 21140, like "
            "Virtual Server's): a synthetic one needs integration services."
            + ("" if switch else f" No virtual network named '{network or '(none)'}' exists "
                                 "here, so it is not connected."))
    ram = max(-(-machine.ram_mb // PAGE_MB) * PAGE_MB, 32)
    if ram != machine.ram_mb:
        changes.append(f"Memory is {ram} MB (Hyper-V assigns memory in {PAGE_MB} MB units).")
    changes.append("Virtual Machine Additions do not work on Hyper-V: remove them, then "
                   "install integration services (Action ▸ Insert Integration Services Setup "
                   "Disk); until then the guest uses emulated devices only.")
    cfg = VmConfig(id=PREVIEW_ID, name=machine.name, guest_os=guest.id, memory_startup_mb=ram,
                   hard_drives=tuple(drives), network_adapters=tuple(adapters),
                   scsi_controllers=1 if scsi else 0, guest_is_installed=False,
                   notes=f"Moved from Virtual Server 2005 R2 ({machine.name}.vmc).")
    return cfg, changes


def preview(host: Host, vmc: Path, guest_os: str | None) -> tuple[VmConfig, list[str]]:
    """What importing ``vmc`` would create and change; checked completely, nothing written."""
    machine = read_vmc(vmc)
    for disk in machine.disks:
        if not disk.path.is_file():
            raise ValidationError("vmc", f"'{vmc}': the virtual hard disk '{disk.path}' is "
                                         "missing; copy it beside the .vmc.")
    cfg, changes = plan(host, machine, guest_os or DEFAULT_GUEST, os.fspath)
    taken = {v.name.casefold() for v in host.vms.values()}
    if cfg.name.casefold() in taken:
        raise ValidationError("name", f"A virtual machine named '{cfg.name}' already exists "
                                      "on this host.")
    settings.validate(host, cfg)
    return cfg, changes


def copy_disks(root: Path | None, vm_id: str, disks: list[Path],
               progress: Callable[[float], None], cancelled: Callable[[], bool]) -> Path | None:
    """Copy the disks into ``root/imports/<vm id>/`` (nothing for a lab without a folder);
    the folder is removed again if anything fails or the job is cancelled."""
    if root is None:
        return None
    final = root / IMPORTS_DIR / fileguard.id_folder(vm_id, "virtual machine")
    fileguard.mkdir(final, parents=True)
    try:
        total = sum(d.stat().st_size for d in disks) or 1
        done = 0
        for disk in disks:
            if cancelled():
                from hvlab.engine.storage.errors import OperationCancelled

                raise OperationCancelled("The import was cancelled.")
            fileguard.copy_file(disk, final / disk.name)
            done += disk.stat().st_size
            progress(done / total)
    except BaseException:
        with contextlib.suppress(OSError, HvError):
            fileguard.rmtree(final)
        raise
    return final


def finish(host: Host, cfg: VmConfig, final: Path | None, vm_id: str, key: int) -> VmRuntime:
    """Create the VM on the copied disks (engine thread)."""
    root = host.lab.storage_root

    def where(p: str) -> str:
        if final is None or root is None:
            return p
        return Path(os.path.relpath(final / Path(p).name, root / VHD_FOLDER)).as_posix()

    from dataclasses import replace

    drives = tuple(replace(d, path=where(d.path)) for d in cfg.hard_drives)
    if root is not None:  # "Virtual Hard Disks/../imports/…" resolves only if it exists
        fileguard.mkdir(root / VHD_FOLDER, parents=True)
    try:
        return inventory.add_vm(host, replace(cfg, id=vm_id, hard_drives=drives), key)
    except BaseException:
        if final is not None:
            with contextlib.suppress(OSError, HvError):
                fileguard.rmtree(final)
        raise


__all__ = ["VmcMachine", "copy_disks", "finish", "preview", "read_vmc"]

