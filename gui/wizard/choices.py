"""What the New Virtual Machine Wizard has been told, and the configuration it makes of it.

Plain data, no Qt: the wizard's pages write a :class:`NewVmChoices`; :func:`create_fields`
turns it into ``ManagementApi.create_vm`` fields; :func:`check` asks the engine (a dry run)
and adds the few checks that are the wizard's own (a folder typed, a disk size within what
the profile's VHD format allows), returning one message per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hvlab.engine.api import HardDrive, HvError, NetworkAdapter, ValidationError

DEFAULT_NAME = "New Virtual Machine"
#: Hyper-V's wizard defaults: generation 1, 1024 MB, a 127 GB dynamically expanding disk.
DEFAULT_MEMORY_MB = 1024
DEFAULT_DISK_GB = 127

#: Wizard pages in order (the generation page only where the profile offers generation 2).
PAGES = ("intro", "name", "generation", "memory", "network", "disk", "install", "summary")
PAGE_TITLES = {
    "intro": "Before You Begin",
    "name": "Specify Name and Location",
    "generation": "Specify Generation",
    "memory": "Assign Memory",
    "network": "Configure Networking",
    "disk": "Connect Virtual Hard Disk",
    "install": "Installation Options",
    "summary": "Summary",
}

#: Where a message about a configuration field (or a wizard check) is shown: (page, slot).
SLOTS: dict[str, tuple[str, str]] = {
    "name": ("name", "name"),
    "group": ("name", "group"),
    "location": ("name", "location"),
    "checkpoint_location": ("name", "location"),
    "smart_paging_location": ("name", "location"),
    "generation": ("generation", "generation"),
    "memory_startup_mb": ("memory", "memory"),
    "dynamic_memory_enabled": ("memory", "dynamic"),
    "memory_minimum_mb": ("memory", "memory"),
    "memory_maximum_mb": ("memory", "memory"),
    "memory_buffer_pct": ("memory", "dynamic"),
    "network_adapters": ("network", "switch"),
    "disk_name": ("disk", "disk_name"),
    "disk_location": ("disk", "disk_location"),
    "disk_size": ("disk", "disk_size"),
    "disk_path": ("disk", "disk_path"),
    "hard_drives": ("disk", "disk_name"),
    "guest_os": ("install", "guest_os"),
    "guest_is_installed": ("install", "guest_os"),
    "install_network": ("install", "mode"),
    "image_path": ("install", "image_path"),
    "dvd_path": ("install", "image_path"),
    "boot_order": ("install", "mode"),
}


def join_path(folder: str, name: str) -> str:
    """``folder`` and ``name`` joined the way the folder is written: a Windows-style folder
    (the host's simulated default folders) with a backslash, a real one with a slash."""
    windows = "\\" in folder or re.match(r"[A-Za-z]:", folder) is not None
    sep = "\\" if windows else "/"
    folder = folder.rstrip("\\/")
    return f"{folder}{sep}{name}" if folder else name


@dataclass
class NewVmChoices:
    name: str = DEFAULT_NAME
    group: str = ""
    store_elsewhere: bool = False
    location: str = ""  # folder for the VM when stored elsewhere
    generation: int = 1
    memory_mb: int = DEFAULT_MEMORY_MB
    dynamic_memory: bool = False
    switch: str | None = None  # None: not connected
    disk_mode: str = "new"  # "new", "existing" or "later"
    disk_name: str = ""
    disk_location: str = ""
    disk_size_gb: int = DEFAULT_DISK_GB
    disk_path: str = ""  # an existing disk
    install_mode: str = "later"  # "later", "image" or "network"
    image_path: str = ""
    guest_os: str = "ws2008-x64"

    @property
    def vm_folder(self) -> str:
        return join_path(self.location, self.name) if self.store_elsewhere else ""

    @property
    def new_disk_path(self) -> str:
        return join_path(self.disk_location, self.disk_name)

    @property
    def attached_disk_path(self) -> str:
        return {"new": self.new_disk_path, "existing": self.disk_path}.get(self.disk_mode, "")


def create_fields(c: NewVmChoices, ram_limit_mb: int) -> dict[str, Any]:
    """``create_vm`` fields (all but the name) for the choices.

    ``ram_limit_mb`` (the profile's RAM per VM) becomes Maximum RAM when Dynamic Memory is
    on, as Hyper-V's wizard does; the engine's default maximum is above older profiles'."""
    fields: dict[str, Any] = {
        "generation": c.generation,
        "memory_startup_mb": c.memory_mb,
        "guest_os": c.guest_os,
        "group": c.group,
    }
    if c.dynamic_memory:
        fields["dynamic_memory_enabled"] = True
        fields["memory_minimum_mb"] = min(512, c.memory_mb)
        fields["memory_maximum_mb"] = max(ram_limit_mb, c.memory_mb)
    if c.store_elsewhere:
        # Hyper-V keeps checkpoints and the Smart Paging file with the VM by default.
        fields["checkpoint_location"] = c.vm_folder
        fields["smart_paging_location"] = c.vm_folder
    network = c.install_mode == "network"
    fields["network_adapters"] = [NetworkAdapter(legacy=network and c.generation == 1,
                                                 switch=c.switch)]
    if c.disk_mode != "later":
        controller = "IDE" if c.generation == 1 else "SCSI"
        # hvlab simulates setup: a new disk holds the chosen guest once it is installed from
        # an image or the network; an existing disk is taken to hold it already.
        bootable = c.disk_mode == "existing" or c.install_mode != "later"
        fields["hard_drives"] = [HardDrive(controller, 0, 0, c.attached_disk_path, bootable)]
    if c.install_mode == "image":
        fields["dvd_path"] = c.image_path
        if c.generation == 2:
            fields["boot_order"] = ("DVD", "HardDrive", "NetworkAdapter")
    elif network:
        fields["boot_order"] = (("LegacyNetworkAdapter", "IDE", "CD", "Floppy")
                                if c.generation == 1 else ("NetworkAdapter", "HardDrive", "DVD"))
    return fields


def own_checks(c: NewVmChoices, vhd_max_gb: int) -> dict[str, str]:
    """The wizard's checks of what the engine does not hold (folders, the disk's size)."""
    out: dict[str, str] = {}
    if c.store_elsewhere and not c.location.strip():
        out["location"] = "Type the folder to store the virtual machine in."
    if c.disk_mode == "new":
        if not c.disk_name.strip():
            out["disk_name"] = "Type a name for the virtual hard disk."
        elif not c.disk_name.lower().endswith(".vhd"):
            out["disk_name"] = "hvlab creates VHD files: the name must end in .vhd."
        if not c.disk_location.strip():
            out["disk_location"] = "Type the folder for the virtual hard disk."
        if not 1 <= c.disk_size_gb <= vhd_max_gb:
            out["disk_size"] = (f"The size must be between 1 GB and {vhd_max_gb:,} GB (the "
                                f"largest VHD); {c.disk_size_gb:,} GB is out of range.")
    elif c.disk_mode == "existing" and not c.disk_path.strip():
        out["disk_path"] = "Type the path of the virtual hard disk to use."
    if c.install_mode == "image" and not c.image_path.strip():
        out["image_path"] = "Type the path of the image file (.iso) to install from."
    if c.install_mode == "network" and c.switch is None:
        out["install_network"] = ("To install from the network, connect the network adapter "
                                  "to a virtual switch (Configure Networking).")
    return out


def check(c: NewVmChoices, validate: Callable[..., None], ram_limit_mb: int,
          vhd_max_gb: int, free_name: str) -> dict[str, str]:
    """Every message for the choices: the wizard's own checks, then the engine's, one per
    field (a field the engine refuses is set back to its default to find the next)."""
    errors = own_checks(c, vhd_max_gb)
    fields = create_fields(c, ram_limit_mb)
    name = c.name
    for _ in range(len(fields) + 2):
        try:
            validate(name, **fields)
            break
        except ValidationError as err:
            errors.setdefault(err.field, err.message)
            if err.field == "name" and name != free_name:
                name = free_name
            elif err.field in fields:
                del fields[err.field]
            else:
                break
        except HvError as err:
            errors.setdefault("", err.message)
            break
    return errors
