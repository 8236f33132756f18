"""Conditions in plain words, for the learner: what a lesson step waits for ("XP-CLIENT is
Running", "the root partition's processor use on LAB-HOST-01 is above 80 %") and what an
exercise check saw ("integration services are not installed in W2K3-APP01").

A property path is matched against :data:`PHRASES` (``*`` matches one part of the path: a
device key, a switch name, a partition, an index) and said with the phrase found: a noun
("W2K8-DC01's processor reserve") that the comparison and the value follow, with the
value's unit, or for a yes/no property the sentence for yes and the one for no.  A path the
table does not know is said with its parts as words.  The console's Lesson dock,
``hvctl lesson`` and the exercise grade all say conditions through this module (one home),
via :meth:`hvlab.engine.lessons.Condition.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

#: How a sentence says each comparison, after the noun.
VERBS: dict[str, str] = {
    "equals": "is", "not_equals": "is not", "above": "is above", "below": "is below",
    "at_least": "is at least", "at_most": "is at most", "contains": "includes",
    "one_of": "is",
}
#: The comparison that says the opposite (for ``{"not": ...}``).
OPPOSITES: dict[str, str] = {
    "equals": "not_equals", "not_equals": "equals", "above": "at_most", "at_most": "above",
    "below": "at_least", "at_least": "below",
}


@dataclass(frozen=True)
class Phrase:
    """How a property is said.  ``noun`` (or, for a yes/no property, ``yes`` and ``no``)
    is a template: ``{who}`` is the VM or host, ``{0}``, ``{1}`` … the parts of the path
    the ``*`` of the pattern matched, said as words (a device key as ``disk ide0:0``, an
    index as its number counted from 1)."""

    noun: str = ""
    unit: str = ""
    yes: str = ""
    no: str = ""


def _p(noun: str, unit: str = "") -> Phrase:
    return Phrase(noun, unit)


def _yn(yes: str, no: str) -> Phrase:
    return Phrase(yes=yes, no=no)


#: (subject kind, path pattern) -> phrase; the first pattern that matches is used.
PHRASES: dict[tuple[str, str], Phrase] = {
    ("vm", "state"): _p("{who}"),
    ("vm", "name"): _p("{who}'s name"),
    ("vm", "heartbeat"): _p("{who}'s heartbeat"),
    ("vm", "cpu_usage_percent"): _p("{who}'s processor use", " %"),
    ("vm", "memory_assigned_mb"): _p("the memory assigned to {who}", " MB"),
    ("vm", "memory_demand_mb"): _p("{who}'s memory demand", " MB"),
    ("vm", "uptime_seconds"): _p("{who}'s uptime", " s"),
    ("vm", "has_saved_state"): _yn("{who} has a saved state", "{who} has no saved state"),
    ("vm", "enlightened"): _yn("{who}'s guest uses hypercalls (enlightened)",
                               "{who}'s guest is not enlightened"),
    ("vm", "integration_setup_pending"): _yn(
        "integration services are installed in {who} and load at its next boot",
        "no integration services setup is waiting in {who}"),
    ("vm", "config.cpu_count"): _p("{who}'s number of virtual processors"),
    ("vm", "config.cpu_reserve_pct"): _p("{who}'s processor reserve", " %"),
    ("vm", "config.cpu_limit_pct"): _p("{who}'s processor limit", " %"),
    ("vm", "config.cpu_weight"): _p("{who}'s processor relative weight"),
    ("vm", "config.memory_startup_mb"): _p("{who}'s startup RAM", " MB"),
    ("vm", "config.guest_os"): _p("{who}'s guest operating system"),
    ("vm", "config.guest_is_installed"): _yn("integration services are installed in {who}",
                                             "integration services are not installed in {who}"),
    ("vm", "config.network_adapters.count"): _p("{who}'s number of network adapters"),
    ("vm", "config.network_adapters.*.switch"): _p(
        "the virtual switch of {who}'s network adapter {0}"),
    ("vm", "config.network_adapters.*.legacy"): _yn(
        "{who}'s network adapter {0} is a legacy (emulated) one",
        "{who}'s network adapter {0} is a synthetic one"),
    ("vm", "config.automatic_start_action"): _p("{who}'s automatic start action"),
    ("vm", "config.automatic_stop_action"): _p("{who}'s automatic stop action"),
    ("vm", "config.group"): _p("{who}'s group"),
    ("vm", "config.notes"): _p("{who}'s notes"),
    ("vm", "config.*"): _p("{who}'s setting {0}"),
    ("vm", "start_check.ok"): _yn("{who} can start now", "{who} cannot start now"),
    ("vm", "start_check.needed_mb"): _p("the memory {who} needs to start", " MB"),
    ("vm", "start_check.available_mb"): _p("the memory available to start {who}", " MB"),
    ("vm", "devices.*.kind"): _p("{who}'s {0}"),
    ("vm", "devices.*.carrying"): _yn("{who}'s {0} is carrying I/O", "{who}'s {0} is idle"),
    ("vm", "devices.*.intercepts_s"): _p("the rate of intercepts caused by {who}'s {0}", "/s"),
    ("vm", "devices.*.root_cpu_percent"): _p(
        "the root partition's processor use for {who}'s {0}", " %"),
    ("vm", "devices.*.rate"): _p("the I/O rate of {who}'s {0}"),
    ("vm", "disks.count"): _p("{who}'s number of virtual hard disks"),
    ("vm", "disks.*.chain_length"): _p("the number of files in the chain of {who}'s {0}"),
    ("vm", "checkpoints.count"): _p("{who}'s number of checkpoints"),
    ("vm", "checkpoints.*.has_saved_state"): _yn("{who}'s checkpoint {0} holds a saved state",
                                                 "{who}'s checkpoint {0} holds no saved state"),
    ("vm", "checkpoints.*.name"): _p("the name of {who}'s checkpoint {0}"),
    ("vm", "adapters.count"): _p("{who}'s number of network adapters"),
    ("vm", "adapters.*.switch"): _p("the virtual switch of {who}'s network adapter {0}"),
    ("vm", "hypercalls.calls.*"): _p("the number of {0} hypercalls {who} has made"),
    ("vm", "hypercalls.denied.*"): _p("the number of {0} hypercalls refused to {who}"),
    ("vm", "events.count"): _p("the number of events logged for {who} since the lesson began"),
    ("vm", "host_name"): _p("the host that owns {who}"),
    ("vm", "clustered"): _yn("{who} is highly available (clustered)",
                             "{who} is not highly available"),
    ("vm", "migrations.count"): _p("the number of times {who} has been migrated since the "
                                   "lesson began"),
    ("vm", "migration.phase"): _p("the phase of {who}'s migration"),
    ("vm", "migration.outcome"): _p("the outcome of {who}'s migration"),
    ("vm", "migration.live"): _yn("{who}'s migration is a live migration",
                                  "{who}'s migration is a quick migration"),
    ("vm", "migration.downtime_s"): _p("the downtime of {who}'s migration", " s"),
    ("vm", "migration.pass_number"): _p("the number of memory copy passes of {who}'s "
                                        "migration"),
    ("vm", "migration.pass_mb.count"): _p("the number of finished memory copy passes of "
                                          "{who}'s migration"),
    ("vm", "migration.pages_left"): _p("the number of pages {who}'s migration has left "
                                       "to copy"),
    ("vm", "migration.sent_mb"): _p("the memory {who}'s migration has sent", " MB"),
    ("vm", "migration.source"): _p("the node {who}'s migration started from"),
    ("vm", "migration.target"): _p("the node {who}'s migration goes to"),
    ("host", "hypervisor_running"): _yn("the hypervisor is running on {who}",
                                        "the hypervisor is not running on {who}"),
    ("host", "x64"): _yn("{who}'s processors are x64", "{who}'s processors are not x64"),
    ("host", "virtualization_enabled"): _yn(
        "hardware-assisted virtualization is enabled in {who}'s BIOS",
        "hardware-assisted virtualization is disabled in {who}'s BIOS"),
    ("host", "nx_enabled"): _yn("hardware DEP (NX/XD) is enabled in {who}'s BIOS",
                                "hardware DEP (NX/XD) is disabled in {who}'s BIOS"),
    ("host", "pending_virtualization_enabled"): _yn(
        "hardware-assisted virtualization will be enabled in {who}'s BIOS after a restart",
        "hardware-assisted virtualization will be disabled in {who}'s BIOS after a restart"),
    ("host", "pending_nx_enabled"): _yn(
        "hardware DEP (NX/XD) will be enabled in {who}'s BIOS after a restart",
        "hardware DEP (NX/XD) will be disabled in {who}'s BIOS after a restart"),
    ("host", "pending_reboot"): _yn("{who} has changes waiting for a restart",
                                    "{who} has no changes waiting for a restart"),
    ("host", "rebooting"): _yn("{who} is restarting", "{who} is not restarting"),
    ("host", "numa_spanning"): _yn("NUMA spanning is allowed on {who}",
                                   "NUMA spanning is not allowed on {who}"),
    ("host", "hypervisor_blockers"): _p("what keeps the hypervisor from running on {who}"),
    ("host", "running_vms"): _p("the number of running virtual machines on {who}"),
    ("host", "vm_count"): _p("the number of virtual machines on {who}"),
    ("host", "root_cpu_percent"): _p("the root partition's processor use on {who}", " %"),
    ("host", "memory_total_mb"): _p("{who}'s RAM", " MB"),
    ("host", "memory_vms_mb"): _p("the memory held by virtual machines on {who}", " MB"),
    ("host", "memory_free_mb"): _p("the free memory on {who}", " MB"),
    ("host", "memory_available_mb"): _p("the memory available to virtual machines on {who}",
                                        " MB"),
    ("host", "virtual_machine_path"): _p("{who}'s default folder for virtual machines"),
    ("host", "virtual_hard_disk_path"): _p("{who}'s default folder for virtual hard disks"),
    ("host", "mac_minimum"): _p("the lowest MAC address {who} gives out"),
    ("host", "mac_maximum"): _p("the highest MAC address {who} gives out"),
    ("host", "switches.count"): _p("the number of virtual switches on {who}"),
    ("host", "switches.*.name"): _p("the name of the virtual switch {0} on {who}"),
    ("host", "switches.*.type"): _p("the type of the virtual switch {0} on {who}"),
    ("host", "switches.*.nic"): _p("the physical network adapter of the virtual switch {0} "
                                   "on {who}"),
    ("host", "switches.*.allow_management_os"): _yn(
        "the management operating system shares the virtual switch {0} on {who}",
        "the management operating system does not share the virtual switch {0} on {who}"),
    ("host", "memory_map.count"): _p("the number of extents in {who}'s memory map"),
    ("host", "node.state"): _p("{who}'s state in the failover cluster"),
    ("host", "cluster.has_quorum"): _yn("the failover cluster of {who} has quorum",
                                        "the failover cluster of {who} has lost quorum"),
    ("host", "cluster.votes_present"): _p("the number of quorum votes present in the "
                                          "failover cluster of {who}"),
    ("host", "hypercalls.*.calls.*"): _p("the number of {1} hypercalls {0} on {who} has made"),
    ("host", "hypercalls.*.denied.*"): _p("the number of {1} hypercalls refused to {0} on {who}"),
}


def _match(pattern: str, path: Sequence[str]) -> list[str] | None:
    parts = pattern.split(".")
    if len(parts) != len(path):
        return None
    wild: list[str] = []
    for want, have in zip(parts, path, strict=True):
        if want == "*":
            wild.append(have)
        elif want != have:
            return None
    return wild


def _part_words(part: str, parent: str) -> str:
    """A matched part of a path as words: an index counts from 1, a device key names its
    kind, a partition is "the root partition" or "VM's partition"."""
    if part.isdigit():
        return str(int(part) + 1)
    if parent == "devices":
        if part.startswith("nic"):
            return f"network adapter {part}"
        return f"disk {part}"
    if parent == "hypercalls" and part.casefold() == "root":
        return "the root partition"
    if parent == "hypercalls":
        return f"{part}'s partition"
    if parent == "config":
        return part.replace("_", " ")
    return part


def value_words(value: Any, unit: str = "", joiner: str = "or") -> str:
    """A value as a sentence says it: yes/no, 1,000 with its unit, a list as "A, B or C"
    (``joiner``: "and" for what a list holds)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if abs(value) >= 100 else f"{value:,.3g}{unit}"
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [value_words(v, unit) for v in (sorted(value) if isinstance(value, (set,
                 frozenset)) else value)]
        if not items:
            return "(none)"
        return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {joiner} {items[-1]}"
    if value is None:
        return "(none)"
    return str(value)


def _phrase(kind: str, path: Sequence[str]) -> tuple[Phrase, list[str]] | None:
    for (subject, pattern), phrase in PHRASES.items():
        if subject != kind:
            continue
        wild = _match(pattern, path)
        if wild is not None:
            parents = [path[i - 1] if i else "" for i, p in enumerate(pattern.split("."))
                       if p == "*"]
            return phrase, [_part_words(w, parent) for w, parent in zip(wild, parents,
                                                                       strict=True)]
    return None


def _who(kind: str, name: str | None) -> str:
    return name if name is not None else ("the host" if kind == "host" else "the VM")


def _sentence(template: str, text: str, capital: bool) -> str:
    """``text`` with a capital letter if asked and it begins with a word of the template
    (a name is left as it is written)."""
    if capital and not template.startswith("{"):
        return text[:1].upper() + text[1:]
    return text


def noun(kind: str, name: str | None, path: Sequence[str]) -> str:
    """The property as a noun ("W2K8-DC01's processor reserve"); a yes/no property's noun
    is its path in words."""
    who = _who(kind, name)
    found = _phrase(kind, path)
    if found is not None and found[0].noun:
        return found[0].noun.format(*found[1], who=who)
    return f"{who}: {' '.join(p.replace('_', ' ') for p in path)}"


def _template(kind: str, path: Sequence[str]) -> str:
    found = _phrase(kind, path)
    return found[0].noun if found is not None and found[0].noun else "{who}"


def condition_words(kind: str, name: str | None, path: Sequence[str], comparison: str,
                    expected: Any, *, capital: bool = False) -> str:
    """The test "``name``'s ``path`` ``comparison`` ``expected``" as words without a full
    stop, to follow "Waiting for:" or to join with others: ``XP-CLIENT is Running``,
    ``hardware-assisted virtualization is enabled in LAB-HOST-01's BIOS`` (``capital``:
    as a sentence)."""
    who = _who(kind, name)
    found = _phrase(kind, path)
    if found is not None and found[0].yes and isinstance(expected, bool) \
            and comparison in ("equals", "not_equals"):
        phrase, wild = found
        template = phrase.yes if expected is (comparison == "equals") else phrase.no
        return _sentence(template, template.format(*wild, who=who), capital)
    unit = found[0].unit if found is not None else ""
    shown = value_words(expected, unit)
    if comparison == "contains" and isinstance(expected, str):
        shown = f"“{expected}”"
    return _sentence(_template(kind, path), f"{noun(kind, name, path)} {VERBS[comparison]} "
                                            f"{shown}", capital)


def observed_words(kind: str, name: str | None, path: Sequence[str], actual: Any) -> str:
    """What the lab shows for the property, as a sentence with a full stop: ``XP-CLIENT is
    Off.``, ``Integration services are not installed in W2K3-APP01.``"""
    if isinstance(actual, Enum):
        actual = actual.value
    if isinstance(actual, bool):
        return condition_words(kind, name, path, "equals", actual, capital=True) + "."
    found = _phrase(kind, path)
    unit = found[0].unit if found is not None else ""
    return _sentence(_template(kind, path), f"{noun(kind, name, path)} is "
                                            f"{value_words(actual, unit, 'and')}.", True)
