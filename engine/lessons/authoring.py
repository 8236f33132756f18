"""Writing an exercise from a lab: the trainer builds the target lab, picks which properties
of which VMs and hosts count, and gets an exercise whose checks hold on that lab.

A pick names a VM and one of :data:`VM_PROPERTIES`, or a host and one of
:data:`HOST_PROPERTIES` or of a virtual switch's :data:`SWITCH_PROPERTIES`
(``switches.External.type``; :func:`host_properties` lists a host's).
:func:`exercise_from_lab` reads the picked values through the management API and returns
the exercise as data (``hvlab.exercise`` JSON, docs/lessons.md); the console's New Exercise
from This Lab… and scripts write it to a file.  Reading it back with
:func:`~hvlab.engine.lessons.read_exercise` and grading the same lab gives 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hvlab.engine.api import ManagementApi, ValidationError
from hvlab.engine.lessons.conditions import read_property
from hvlab.engine.lessons.formats import EXERCISE_FORMAT, SCHEMA

#: The VM properties an exercise can be written from, with how a check's label says them.
VM_PROPERTIES: dict[str, str] = {
    "state": "{vm} is {value}",
    "config.cpu_count": "{vm} has {value} virtual processors",
    "config.cpu_reserve_pct": "{vm} reserves {value} % of its processors",
    "config.cpu_limit_pct": "{vm} is limited to {value} % of its processors",
    "config.cpu_weight": "{vm} has a processor relative weight of {value}",
    "config.memory_startup_mb": "{vm} has {value} MB of startup RAM",
    "config.guest_os": "{vm} runs guest operating system {value}",
    "config.guest_is_installed": "{vm} has integration services installed: {value}",
    "config.network_adapters.count": "{vm} has {value} network adapters",
    "config.network_adapters.0.switch": "{vm}'s first network adapter is on {value}",
    "config.network_adapters.0.legacy": "{vm}'s first network adapter is a legacy one: {value}",
    "config.automatic_start_action": "{vm}'s automatic start action is {value}",
    "config.group": "{vm} is in group {value}",
}

#: The host properties an exercise can be written from: settings a learner changes in Hyper-V
#: Settings and the BIOS, and what follows from them.
HOST_PROPERTIES: dict[str, str] = {
    "hypervisor_running": "The hypervisor runs on {host}: {value}",
    "virtualization_enabled": "{host} has hardware-assisted virtualization enabled: {value}",
    "nx_enabled": "{host} has hardware DEP (NX/XD) enabled: {value}",
    "pending_virtualization_enabled": "{host} has hardware-assisted virtualization enabled "
                                      "after its next restart: {value}",
    "pending_nx_enabled": "{host} has hardware DEP (NX/XD) enabled after its next restart: "
                          "{value}",
    "pending_reboot": "{host} has changes waiting for a restart: {value}",
    "numa_spanning": "{host} allows NUMA spanning: {value}",
    "memory_total_mb": "{host} has {value} MB of RAM",
    "virtual_machine_path": "{host} keeps new virtual machines in {value}",
    "virtual_hard_disk_path": "{host} keeps new virtual hard disks in {value}",
    "mac_minimum": "{host}'s MAC address range starts at {value}",
    "mac_maximum": "{host}'s MAC address range ends at {value}",
    "vm_count": "{host} has {value} virtual machines",
    "running_vms": "{host} runs {value} virtual machines",
    "switches.count": "{host} has {value} virtual switches",
}
#: The properties of each virtual switch of a host (``switches.<name>.<property>``).
SWITCH_PROPERTIES: dict[str, str] = {
    "name": "{host} has a virtual switch named {switch}",
    "type": "{host}'s virtual switch {switch} is of type {value}",
    "nic": "{host}'s virtual switch {switch} is bound to {value}",
    "allow_management_os": "{host}'s virtual switch {switch} is shared with the management "
                           "operating system: {value}",
}


@dataclass(frozen=True)
class Pick:
    """One property that counts: ``subject`` is ``"vm"`` or ``"host"``, ``name`` the VM's
    or host's name, ``prop`` a path of :data:`VM_PROPERTIES`, :data:`HOST_PROPERTIES` or
    ``switches.<switch>.<one of SWITCH_PROPERTIES>``; ``hint`` is shown on request when the
    check fails."""

    subject: str
    name: str
    prop: str
    hint: str = ""


def host_properties(api: ManagementApi, host: str | None = None) -> list[str]:
    """The properties an exercise can check on ``host``: :data:`HOST_PROPERTIES`, then each
    virtual switch's."""
    return [*HOST_PROPERTIES, *(f"switches.{s.name}.{p}" for s in api.switches(host)
                                for p in SWITCH_PROPERTIES)]


def _label(api: ManagementApi, pick: Pick) -> tuple[str, str, Any]:
    """(the subject's name as the lab writes it, the check's label, the value now)."""
    if pick.subject == "vm":
        if pick.prop not in VM_PROPERTIES:
            raise ValidationError("property", f"'{pick.prop}' is not a property an exercise "
                                              f"can check (known: {', '.join(VM_PROPERTIES)}).")
        name = api.vm(pick.name).name  # the engine's words when there is no such VM
        template = VM_PROPERTIES[pick.prop]
    elif pick.subject == "host":
        name = api.host(pick.name).name
        parts = pick.prop.split(".")
        if pick.prop in HOST_PROPERTIES:
            template = HOST_PROPERTIES[pick.prop]
        elif len(parts) == 3 and parts[0] == "switches" and parts[2] in SWITCH_PROPERTIES:
            template = SWITCH_PROPERTIES[parts[2]].replace("{switch}", parts[1])
        else:
            raise ValidationError("property", f"'{pick.prop}' is not a host property an "
                                              "exercise can check (known: "
                                              f"{', '.join(HOST_PROPERTIES)}, and "
                                              "switches.NAME.{"
                                              f"{','.join(SWITCH_PROPERTIES)}}}).")
    else:
        raise ValidationError("subject", f"'{pick.subject}' is not a subject: a pick names a "
                                         "\"vm\" or a \"host\".")
    value = read_property(api, pick.subject, name, pick.prop)
    if isinstance(value, (list, tuple)) or not isinstance(value, (str, int, float, bool)):
        raise ValidationError("property", f"{name} has no single value for '{pick.prop}'.")
    return name, template.format(vm=name, host=name, value=_words(value)), value


def exercise_from_lab(api: ManagementApi, *, title: str, statement: str,
                      picks: Sequence[Pick | tuple[str, str]],
                      hints: Mapping[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """An exercise (as data) whose checks are ``picks`` — :class:`Pick`, or (VM name,
    property of :data:`VM_PROPERTIES`) — with the values they have in ``api``'s lab now;
    ``hints`` gives a hint per (VM name, property) pick."""
    if not title.strip() or not statement.strip():
        raise ValidationError("title", "An exercise needs a title and a statement.")
    if not picks:
        raise ValidationError("checks", "Pick at least one property to check.")
    checks = []
    for item in picks:
        pick = item if isinstance(item, Pick) else Pick(
            "vm", item[0], item[1], (hints or {}).get((item[0], item[1]), ""))
        name, label, value = _label(api, pick)
        prefix = "" if pick.subject == "vm" else "host-"
        check: dict[str, Any] = {
            "id": f"{prefix}{name}-{pick.prop}".lower().replace(".", "-").replace("_", "-"),
            "label": label,
            "condition": {pick.subject: name, "property": pick.prop, "equals": value}}
        if pick.hint.strip():
            check["hint"] = pick.hint
        checks.append(check)
    ids = [c["id"] for c in checks]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValidationError("checks", f"The property {twice[0]!r} is picked twice.")
    return {"format": EXERCISE_FORMAT, "schema": SCHEMA, "title": title,
            "statement": statement, "checks": checks}


def _words(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

