"""Conditions over a lab's state, read through the management API's records.

A condition names a subject (a VM, a host, or the clock) and a property path into what the
API reports about it, and compares the value::

    {"vm": "XP-CLIENT", "property": "state", "equals": "Running"}
    {"host": "LAB-HOST-01", "property": "root_cpu_percent", "above": 80}
    {"vm": "W2K3-APP01", "property": "devices.nic0.kind", "equals": "synthetic"}
    {"all": [...]}, {"any": [...]}, {"not": {...}}, {"elapsed_seconds": 30}

A VM's path starts at its :class:`~hvlab.engine.api.VmInfo`; its first part may instead name
a view: ``config`` (the settings), ``start_check``, ``devices`` (by key: ``ide0:0``,
``nic0``), ``disks`` (by key), ``checkpoints``, ``adapters``, ``hypercalls`` (its
partition's counters), ``events`` (its event log entries since the lesson began),
``migration`` (its latest migration since the lesson began, in flight or finished) or
``migrations`` (all of them, oldest first).  A host's path starts at
:class:`~hvlab.engine.api.HostInfo`, with the views ``switches`` (by name), ``memory_map``,
``hypercalls`` (by partition name), ``node`` (the host as a node of the failover cluster)
and ``cluster`` (the cluster).  ``count`` after a list or
a mapping is its length.  docs/lessons.md lists them for trainers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from hvlab.engine.api import HvError, ManagementApi, ValidationError, us_to_seconds
from hvlab.engine.lessons.errors import file_error
from hvlab.engine.lessons.wording import OPPOSITES, condition_words, noun, observed_words

#: The comparisons a property test may use, with how a sentence says each.
COMPARISONS: dict[str, str] = {
    "equals": "is", "not_equals": "is not", "above": "is above", "below": "is below",
    "at_least": "is at least", "at_most": "is at most", "contains": "contains",
    "one_of": "is one of",
}
_NUMERIC = {"above", "below", "at_least", "at_most"}
_SUBJECTS = ("vm", "host")
_KEYS = {"vm", "host", "property", "label", *COMPARISONS}


@dataclass(frozen=True)
class Context:
    """What a condition is evaluated against: the lab, and when the lesson (for ``events``)
    and the current step (for ``elapsed_seconds``) began, in simulated microseconds."""

    api: ManagementApi
    since_us: int = 0
    step_started_us: int = 0


@dataclass(frozen=True)
class Verdict:
    """Whether a condition holds, and the plain-words state of the lab behind the answer
    (``"XP-CLIENT: state is Off"``); the condition's own wording is its ``describe()``."""

    holds: bool
    observed: str


class Condition:
    """Base of the condition kinds below."""

    label: str = ""

    def evaluate(self, context: Context) -> Verdict:
        raise NotImplementedError

    def describe(self) -> str:
        """The condition in plain words, as a target (``XP-CLIENT is Running``; see
        :mod:`hvlab.engine.lessons.wording`)."""
        raise NotImplementedError

    def text(self) -> str:
        """What the learner reads: the condition's ``label`` if the file gives one, else
        :meth:`describe`."""
        return self.label or self.describe()


class _Missing(Exception):
    """A property path that leads nowhere in the lab as it is now."""


class _NoSubject(Exception):
    """The VM or host named does not exist (yet): the engine's own words."""


def _views_of_vm(api: ManagementApi, ref: str, since_us: int) -> dict[str, Callable[[], Any]]:
    def hypercalls() -> Any:
        info = api.vm(ref)
        for row in api.hypercall_counters(info.host_id):
            if row.vm_id == info.id:
                return row
        raise _Missing(f"{ref} has no running partition")

    def migrations() -> list[Any]:
        # Its migrations since the lesson began, oldest first, nodes named as the learner
        # knows them (the API's record names them by id).
        vm_id = api.vm(ref).id
        found = [m for m in api.migrations()
                 if m.vm_id == vm_id and round(m.started_s * 1_000_000) >= since_us]
        found.sort(key=lambda m: m.job_id)
        return [dataclasses.replace(m, source=_host_name(api, m.source),
                                    target=_host_name(api, m.target)) for m in found]

    def migration() -> Any:
        found = migrations()
        if not found:
            raise _Missing(f"{ref} has not been migrated since the lesson began")
        return found[-1]

    return {
        "config": lambda: api.vm(ref).config,
        "start_check": lambda: api.start_check(ref),
        "devices": lambda: {d.key: d for d in api.device_io(ref)},
        "disks": lambda: {d.key: d for d in api.vm_disks(ref)},
        "checkpoints": lambda: api.checkpoints(ref),
        "adapters": lambda: api.network_adapters(ref),
        "hypercalls": hypercalls,
        "events": lambda: [e for e in api.event_log(vm=ref) if e.time_us >= since_us],
        "migration": migration,
        "migrations": migrations,
    }


def _host_name(api: ManagementApi, host_id: str) -> str:
    try:
        return api.host(host_id).name
    except HvError:  # a host removed since: its id is all there is
        return host_id


def _views_of_host(api: ManagementApi, ref: str | None) -> dict[str, Callable[[], Any]]:
    def cluster() -> Any:
        info = api.cluster()
        if info is None:
            raise _Missing("the lab has no failover cluster")
        return info

    def node() -> Any:
        host_id = api.host(ref).id
        for n in cluster().nodes:
            if n.id == host_id:
                return n
        raise _Missing(f"{api.host(ref).name} is not a node of the cluster")

    return {
        "switches": lambda: {s.name: s for s in api.switches(ref)},
        "memory_map": lambda: api.memory_map(ref),
        "hypercalls": lambda: {c.partition: c for c in api.hypercall_counters(ref)},
        "node": node,
        "cluster": cluster,
    }


def _step(value: Any, part: str) -> Any:
    if part == "count" and isinstance(value, (list, tuple, dict, frozenset, set)):
        return len(value)
    if isinstance(value, Mapping):
        if part in value:
            return value[part]
        for key in value:  # names are case-insensitive, as in Hyper-V
            if isinstance(key, str) and key.casefold() == part.casefold():
                return value[key]
        raise _Missing(f"there is no {part!r}")
    if isinstance(value, (list, tuple)) and part.isdigit():
        if int(part) < len(value):
            return value[int(part)]
        raise _Missing(f"there is no item {part}")
    if (dataclasses.is_dataclass(value) and not isinstance(value, type)
            and (part in {f.name for f in dataclasses.fields(value)}
                 or hasattr(type(value), part))):
        return getattr(value, part)
    raise _Missing(f"{part!r} is not a property here")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def _same(actual: Any, expected: Any) -> bool:
    actual = _plain(actual)
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.casefold() == expected.casefold()
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if isinstance(actual, (int, float)) and isinstance(expected, (int, float)):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return bool(actual == expected)


def compare(comparison: str, actual: Any, expected: Any) -> bool:
    """Does ``actual`` pass ``comparison`` against ``expected``?"""
    actual = _plain(actual)
    if comparison == "equals":
        return _same(actual, expected)
    if comparison == "not_equals":
        return not _same(actual, expected)
    if comparison == "one_of":
        return any(_same(actual, e) for e in expected)
    if comparison == "contains":
        if isinstance(actual, str):
            return str(expected).casefold() in actual.casefold()
        return any(_same(a, expected) for a in actual)
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return False
    return bool({"above": actual > expected, "below": actual < expected,
                 "at_least": actual >= expected, "at_most": actual <= expected}[comparison])


@dataclass(frozen=True)
class PropertyTest(Condition):
    """``subject``'s ``path`` passes ``comparison`` against ``expected``."""

    kind: str  # "vm" or "host"
    name: str | None  # None: the lab's only (first) host
    path: tuple[str, ...]
    comparison: str
    expected: Any
    label: str = ""

    def describe(self) -> str:
        return condition_words(self.kind, self.name, self.path, self.comparison,
                               self.expected)

    def opposite(self) -> str:
        """This test negated, in words (``XP-CLIENT is not Running``)."""
        if self.comparison in OPPOSITES:
            return condition_words(self.kind, self.name, self.path,
                                   OPPOSITES[self.comparison], self.expected)
        return f"it is not so that {self.describe()}"

    def read(self, context: Context) -> Any:
        """The property's value now (raises ``_NoSubject`` when the VM or host does not
        exist, ``_Missing`` when the path leads nowhere)."""
        api = context.api
        try:
            if self.kind == "vm":
                assert self.name is not None
                value: Any = api.vm(self.name)
                views = _views_of_vm(api, self.name, context.since_us)
            else:
                value = api.host(self.name)
                views = _views_of_host(api, self.name)
            parts = list(self.path)
            if parts[0] in views:
                value = views[parts.pop(0)]()
            for part in parts:
                value = _step(value, part)
        except HvError as err:  # no such VM or host (yet): the condition does not hold
            raise _NoSubject(err.message) from None
        return value

    def evaluate(self, context: Context) -> Verdict:
        try:
            actual = self.read(context)
        except _NoSubject as why:
            return Verdict(False, str(why))
        except _Missing as why:
            return Verdict(False, f"{noun(self.kind, self.name, self.path)}: {why}.")
        return Verdict(compare(self.comparison, actual, self.expected),
                       observed_words(self.kind, self.name, self.path, actual))


@dataclass(frozen=True)
class AllOf(Condition):
    items: tuple[Condition, ...]
    label: str = ""

    def describe(self) -> str:
        return _joined([c.text() for c in self.items], "and")

    def evaluate(self, context: Context) -> Verdict:
        verdicts = [c.evaluate(context) for c in self.items]
        failed = [v.observed for v in verdicts if not v.holds]
        return Verdict(not failed, " ".join(failed or [v.observed for v in verdicts]))


@dataclass(frozen=True)
class AnyOf(Condition):
    items: tuple[Condition, ...]
    label: str = ""

    def describe(self) -> str:
        return _joined([c.text() for c in self.items], "or")

    def evaluate(self, context: Context) -> Verdict:
        verdicts = [c.evaluate(context) for c in self.items]
        held = [v.observed for v in verdicts if v.holds]
        return Verdict(bool(held), " ".join(held or [v.observed for v in verdicts]))


@dataclass(frozen=True)
class NotCondition(Condition):
    item: Condition
    label: str = ""

    def describe(self) -> str:
        item = self.item
        if isinstance(item, PropertyTest) and not item.label:
            return item.opposite()
        return f"it is not so that {item.text()}"

    def evaluate(self, context: Context) -> Verdict:
        verdict = self.item.evaluate(context)
        return Verdict(not verdict.holds, verdict.observed)


@dataclass(frozen=True)
class Elapsed(Condition):
    """At least ``seconds`` of simulated time have passed since the step began."""

    seconds: float
    label: str = ""

    def describe(self) -> str:
        return f"{self.seconds:g} s of simulated time have passed since the step began"

    def evaluate(self, context: Context) -> Verdict:
        passed = us_to_seconds(context.api.now_us - context.step_started_us)
        return Verdict(passed >= self.seconds, f"{passed:g} s have passed.")


def _joined(texts: list[str], joiner: str) -> str:
    """``a and b``, ``a, b and c``."""
    if len(texts) == 1:
        return texts[0]
    return f"{', '.join(texts[:-1])} {joiner} {texts[-1]}"


def read_property(api: ManagementApi, kind: str, name: str | None, path: str) -> Any:
    """The value of a VM's (``kind`` "vm") or host's ("host") property ``path`` now, as
    plain data (an enum as its value); a path that leads nowhere raises a ValidationError
    in words."""
    test = PropertyTest(kind, name, tuple(path.split(".")), "equals", None)
    try:
        return _plain(test.read(Context(api)))
    except _NoSubject as why:
        raise ValidationError(kind, str(why)) from None
    except _Missing as why:
        raise ValidationError("property", f"{name}: {path}: {why}.") from None


def read_vm_property(api: ManagementApi, vm: str, path: str) -> Any:
    """:func:`read_property` of a VM."""
    return read_property(api, "vm", vm, path)


def parse_condition(data: Any, where: str) -> Condition:
    """Read a condition (see the module docstring); a mistake raises a ValidationError that
    names ``where`` and the key."""
    if not isinstance(data, dict):
        raise file_error(where, "condition", "a condition must be an object such as "
                                             '{"vm": "NAME", "property": "state", '
                                             '"equals": "Running"}.')
    label = data.get("label", "")
    if not isinstance(label, str):
        raise file_error(where, "label", "'label' must be text.")
    for key, build in (("all", AllOf), ("any", AnyOf)):
        if key in data:
            _only(data, {key, "label"}, where)
            items = data[key]
            if not isinstance(items, list) or not items:
                raise file_error(where, key, f"'{key}' must list at least one condition.")
            return build(tuple(parse_condition(c, f"{where}, {key}[{i}]")
                               for i, c in enumerate(items)), label)
    if "not" in data:
        _only(data, {"not", "label"}, where)
        return NotCondition(parse_condition(data["not"], f"{where}, not"), label)
    if "elapsed_seconds" in data:
        _only(data, {"elapsed_seconds", "label"}, where)
        seconds = data["elapsed_seconds"]
        if not _number(seconds) or not 0 <= seconds <= 86_400:
            raise file_error(where, "elapsed_seconds",
                             "'elapsed_seconds' must be a number of seconds from 0 to 86,400.")
        return Elapsed(float(seconds), label)
    return _parse_test(data, label, where)


def _parse_test(data: dict[str, Any], label: str, where: str) -> PropertyTest:
    _only(data, _KEYS, where)
    subjects = [k for k in _SUBJECTS if k in data]
    if len(subjects) != 1:
        raise file_error(where, "vm", "a condition names one subject: \"vm\" (a VM's name) or "
                                      "\"host\" (a host's name, or null for the only host); "
                                      "or combines conditions with all, any or not.")
    kind = subjects[0]
    name = data[kind]
    if not (isinstance(name, str) and name) and not (kind == "host" and name is None):
        raise file_error(where, kind, f"'{kind}' must be a name.")
    path = data.get("property")
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        raise file_error(where, "property", "'property' must be a path such as \"state\" or "
                                            "\"config.cpu_count\".")
    comparisons = [k for k in COMPARISONS if k in data]
    if len(comparisons) != 1:
        raise file_error(where, "property", "a condition has exactly one comparison: "
                                            f"{', '.join(COMPARISONS)}.")
    comparison = comparisons[0]
    expected = data[comparison]
    if comparison in _NUMERIC and not _number(expected):
        raise file_error(where, comparison, f"'{comparison}' compares with a number.")
    if comparison == "one_of" and not isinstance(expected, list):
        raise file_error(where, comparison, "'one_of' takes a list of values.")
    return PropertyTest(kind, name, tuple(path.split(".")), comparison, expected, label)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _only(data: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        raise file_error(where, extra[0], f"'{extra[0]}' is not part of this condition "
                                          f"(allowed here: {', '.join(sorted(allowed))}).")

