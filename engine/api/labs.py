"""Lab definitions: a lab described as data (``resources/labs/*.json``) and built through
the management API, so every value goes through the same checks as a user's command.

A definition names hosts (profile and hardware), their virtual switches and their VMs (any
:class:`~hvlab.engine.config.VmConfig` field, plus ``boot_disk`` for a bootable disk named after the
VM and ``running`` to start it), and how long the clock runs afterwards so running VMs have
booted.  docs/engine.md ("Lab definitions") describes the format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvlab.engine.api.management import ManagementApi
from hvlab.engine.errors import HvError, NotFoundError, ValidationError
from hvlab.engine.resources import resources_dir

FORMAT = "hvlab.lab-definition"
SCHEMA = 1
_HOST_KEYS = {"name", "profile", "ram_gb", "sockets", "cores_per_socket", "threads_per_core",
              "switches", "vms"}
_SWITCH_KEYS = {"name", "type", "nic", "allow_management_os", "notes"}
_TOP_KEYS = {"format", "schema", "title", "description", "settle_seconds", "hosts",
             "networks", "shared_storage", "cluster"}
_NETWORK_KEYS = {"name", "kind", "hosts"}
_STORAGE_KEYS = {"name", "kind", "spindles", "path", "hosts"}
_CLUSTER_KEYS = {"name", "nodes", "quorum", "witness"}


@dataclass(frozen=True)
class LabDefinition:
    """A parsed lab definition (see the module docstring)."""

    name: str
    title: str
    description: str
    settle_seconds: float
    hosts: tuple[dict[str, Any], ...]
    #: Networks and shared storage joining the hosts, and the failover cluster over them.
    networks: tuple[dict[str, Any], ...] = ()
    shared_storage: tuple[dict[str, Any], ...] = ()
    cluster: dict[str, Any] | None = None


def _labs_dir() -> Path:
    return resources_dir() / "labs"


def lab_names() -> list[str]:
    """The lab definitions that ship with hvlab (file names without ``.json``)."""
    return sorted(p.stem for p in _labs_dir().glob("*.json"))


def _unknown(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise ValidationError(extra[0], f"{where}: '{extra[0]}' is not part of a lab definition "
                                        f"(allowed: {', '.join(sorted(allowed))}).")


def load_lab_definition(name: str) -> LabDefinition:
    """Read and check ``resources/labs/<name>.json``."""
    path = _labs_dir() / f"{name}.json"
    if path.parent != _labs_dir() or not path.is_file():
        raise NotFoundError(f'No lab definition named "{name}".',
                            [f"Known: {', '.join(lab_names())}."])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("lab", f"{path}: not a readable lab definition ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError("format", f"{path}: the format must be \"{FORMAT}\".")
    if data.get("schema") != SCHEMA:
        raise ValidationError("schema", f"{path}: schema {data.get('schema')} is not known; "
                                        f"this hvlab reads schema {SCHEMA}.")
    _unknown(str(path), data, _TOP_KEYS)
    hosts = data.get("hosts", [])
    for host in hosts:
        _unknown(f"{path}: host {host.get('name', '?')}", host, _HOST_KEYS)
        for switch in host.get("switches", []):
            _unknown(f"{path}: switch {switch.get('name', '?')}", switch, _SWITCH_KEYS)
    for net in data.get("networks", []):
        _unknown(f"{path}: network {net.get('name', '?')}", net, _NETWORK_KEYS)
    for st in data.get("shared_storage", []):
        _unknown(f"{path}: shared storage {st.get('name', '?')}", st, _STORAGE_KEYS)
    if data.get("cluster") is not None:
        _unknown(f"{path}: cluster", data["cluster"], _CLUSTER_KEYS)
    return LabDefinition(name, str(data.get("title", name)), str(data.get("description", "")),
                         float(data.get("settle_seconds", 0)), tuple(hosts),
                         tuple(data.get("networks", [])), tuple(data.get("shared_storage", [])),
                         data.get("cluster"))


def build_lab(api: ManagementApi, definition: LabDefinition, *, hosts_only: bool = False,
              settle_seconds: float | None = None) -> None:
    """Add the definition's hosts, switches and VMs to ``api``'s lab, start the VMs marked
    running, and run the clock ``settle_seconds`` (default: the definition's).  With
    ``hosts_only`` only the hosts and their switches are added (and the clock stays)."""
    for host in definition.hosts:
        info = api.add_host(host["name"], host["profile"], ram_gb=host.get("ram_gb"),
                            sockets=host.get("sockets"),
                            cores_per_socket=host.get("cores_per_socket"),
                            threads_per_core=host.get("threads_per_core"))
        for switch in host.get("switches", []):
            nic = switch.get("nic")
            api.create_switch(switch["name"], switch["type"], host=info.id,
                              nic=info.nics[nic] if isinstance(nic, int) else nic,
                              allow_management_os=switch.get("allow_management_os", True),
                              notes=switch.get("notes", ""))
    if hosts_only:
        return
    for net in definition.networks:
        api.add_network(net["name"], net["kind"], net["hosts"])
    for st in definition.shared_storage:
        api.add_shared_storage(st["name"], st["kind"], st["spindles"], st["path"], st["hosts"])
    if definition.cluster is not None:
        c = definition.cluster
        api.create_cluster(c["name"], c["nodes"], quorum=c.get("quorum"),
                           witness=c.get("witness"))
    to_start: list[str] = []
    for host in definition.hosts:
        for spec in host.get("vms", []):
            fields = dict(spec)
            name = fields.pop("name")
            running = bool(fields.pop("running", False))
            priority = fields.pop("highly_available", None)
            boot_disk = fields.pop("boot_disk", False)
            if boot_disk:
                controller = "IDE" if int(fields.get("generation", 1)) == 1 else "SCSI"
                folder = f"{boot_disk}/" if isinstance(boot_disk, str) else ""
                fields["hard_drives"] = [{"controller": controller, "controller_number": 0,
                                          "location": 0, "path": f"{folder}{name}.vhd",
                                          "bootable": True}]
            try:
                vm = api.create_vm(name, host=host["name"], **fields)
            except HvError as err:
                raise ValidationError(getattr(err, "field", "vms"),
                                      f"Lab definition {definition.name}, VM {name}: "
                                      f"{err.message}") from None
            if priority is not None:
                api.make_highly_available(vm.id, priority=str(priority))
            if running:
                to_start.append(vm.id)
    for vm_id in to_start:
        api.start(vm_id)
    settle = definition.settle_seconds if settle_seconds is None else settle_seconds
    if to_start and settle:
        api.advance(settle)
