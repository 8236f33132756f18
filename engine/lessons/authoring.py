"""Writing an exercise from a lab: the trainer builds the target lab, picks which properties
of which VMs count, and gets an exercise whose checks hold on that lab.

:func:`exercise_from_lab` reads the picked values through the management API and returns
the exercise as data (``hvlab.exercise`` JSON, docs/lessons.md); the console's New Exercise
from This Lab… and scripts write it to a file.  Reading it back with
:func:`~hvlab.engine.lessons.read_exercise` and grading the same lab gives 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hvlab.engine.api import ManagementApi, ValidationError
from hvlab.engine.lessons.conditions import read_vm_property
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


def exercise_from_lab(api: ManagementApi, *, title: str, statement: str,
                      picks: Sequence[tuple[str, str]],
                      hints: Mapping[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """An exercise (as data) whose checks are ``picks`` — (VM name, property of
    :data:`VM_PROPERTIES`) — with the values they have in ``api``'s lab now; ``hints``
    gives a hint per pick."""
    if not title.strip() or not statement.strip():
        raise ValidationError("title", "An exercise needs a title and a statement.")
    if not picks:
        raise ValidationError("checks", "Pick at least one property to check.")
    checks = []
    for vm, prop in picks:
        if prop not in VM_PROPERTIES:
            raise ValidationError("property", f"'{prop}' is not a property an exercise can "
                                              f"check (known: {', '.join(VM_PROPERTIES)}).")
        name = api.vm(vm).name  # the engine's words when there is no such VM
        value = read_vm_property(api, name, prop)
        if isinstance(value, (list, tuple)) or not isinstance(value, (str, int, float, bool)):
            raise ValidationError("property", f"{name} has no single value for '{prop}'.")
        check: dict[str, Any] = {
            "id": f"{name}-{prop}".lower().replace(".", "-").replace("_", "-"),
            "label": VM_PROPERTIES[prop].format(vm=name, value=_words(value)),
            "condition": {"vm": name, "property": prop, "equals": value}}
        hint = (hints or {}).get((vm, prop), "")
        if hint:
            check["hint"] = hint
        checks.append(check)
    return {"format": EXERCISE_FORMAT, "schema": SCHEMA, "title": title,
            "statement": statement, "checks": checks}


def _words(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)

