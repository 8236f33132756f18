"""Operation faults a test author injects: a job that fails part-way, a VM that will not
stop, a slow job.

One option says which: the environment variable ``HVLAB_FAULTS`` (read when a
``ManagementApi`` is made, so ``hvlab`` and ``hvctl`` both obey it), or
``ManagementApi.inject_faults(text)`` in process. Entries are separated by commas:

``fail-job:KIND@PERCENT``
    a job of KIND (any of :data:`FAILING_KINDS`) fails when it reaches PERCENT (1 to 99) and
    what it did is undone: a VM goes back to the state it left, a file job removes what it
    wrote, as a cancel does; a job that takes no time (Reset, a checkpoint) fails before it
    changes anything; a host restart is reported Failed but the host still comes back;
``refuse-stop:VM``
    Turn Off and Shut Down of the VM named VM are refused, as for a VM that does not respond;
``slow:KIND*FACTOR``
    jobs of KIND take FACTOR (1 to 100) times as long (KIND: one of :data:`SLOW_KINDS`,
    ``start``, ``save``, ``shut-down``, ``turn-off``, ``pause``, ``resume``, ``reset``).

File faults (a full disk, a crash after N writes) are ``hvlab.engine.fileguard``'s
``HVLAB_FAULT_*`` variables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

ENVIRONMENT = "HVLAB_FAULTS"
#: VM jobs whose length can be stretched.
SLOW_KINDS = ("start", "save", "shut-down", "turn-off", "pause", "resume", "reset")
#: VM jobs that take no simulated time: an injected failure stops them before they act.
INSTANT_KINDS = ("reset", "delete-saved-state", "checkpoint", "apply-checkpoint",
                 "delete-checkpoint")
#: Jobs whose work runs on a file worker: an injected failure stops them as Cancel does.
FILE_KINDS = ("new-vhd", "compact-vhd", "convert-vhd", "expand-vhd", "merge-vhd",
              "reconnect-vhd", "export", "import", "delete-vm-files")
#: Every kind of job the engine runs; ``fail-job`` takes any of them.
FAILING_KINDS = ("start", "save", "shut-down", "turn-off", "pause", "resume", *INSTANT_KINDS,
                 "host-reboot", *FILE_KINDS)
MAX_SLOWDOWN = 100.0


def _fail(entry: str, why: str) -> ValueError:
    return ValueError(f"{ENVIRONMENT}: '{entry}' is not a fault: {why}")


def _kind_and(entry: str, arg: str, separator: str, kinds: tuple[str, ...],
              what: str) -> tuple[str, str]:
    """``KIND<separator>VALUE`` of an entry, KIND checked against ``kinds``."""
    kind, _, value = arg.partition(separator)
    kind = kind.strip().lower()
    if kind not in kinds:
        raise _fail(entry, f"{what} is one of {', '.join(kinds)}")
    return kind, value.strip()


@dataclass(frozen=True)
class OperationFaults:
    """The faults in force: ``fail_at`` job kind → percent, ``refuse_stop`` VM names
    (case-folded), ``slowdown`` job kind → factor."""

    fail_at: Mapping[str, int] = field(default_factory=dict)
    refuse_stop: frozenset[str] = frozenset()
    slowdown: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> OperationFaults:
        fail_at: dict[str, int] = {}
        refuse: set[str] = set()
        slow: dict[str, float] = {}
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                continue
            what, _, arg = entry.partition(":")
            what = what.strip().lower()
            if what == "fail-job":
                kind, percent = _kind_and(entry, arg, "@", FAILING_KINDS, "the job kind")
                if not percent.isdigit() or not 1 <= int(percent) <= 99:
                    raise _fail(entry, "the percent after @ must be a whole number, 1 to 99")
                fail_at[kind] = int(percent)
            elif what == "refuse-stop":
                if not arg.strip():
                    raise _fail(entry, "name the virtual machine after the colon")
                refuse.add(arg.strip().casefold())
            elif what == "slow":
                kind, factor = _kind_and(entry, arg, "*", SLOW_KINDS, "a job that can be slowed")
                try:
                    value = float(factor)
                except ValueError:
                    value = math.nan
                if not 1 <= value <= MAX_SLOWDOWN:
                    raise _fail(entry, f"the factor after * must be 1 to {MAX_SLOWDOWN:g}")
                slow[kind] = value
            else:
                raise _fail(entry, "it starts with fail-job:, refuse-stop: or slow:")
        return cls(fail_at, frozenset(refuse), slow)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> OperationFaults:
        return cls.parse(env.get(ENVIRONMENT, ""))

    def __bool__(self) -> bool:
        return bool(self.fail_at or self.refuse_stop or self.slowdown)

    def fail_time_us(self, kind: str, started_us: int, expected_end_us: int) -> int | None:
        """When a job of ``kind`` running from ``started_us`` to ``expected_end_us`` fails
        (None: it does not)."""
        percent = self.fail_at.get(kind)
        if percent is None or expected_end_us <= started_us:
            return None
        return started_us + math.ceil((expected_end_us - started_us) * percent / 100)

    def fails(self, kind: str) -> bool:
        return kind in self.fail_at

    def file_fails_at(self, kind: str) -> float | None:
        """The fraction of its work at which a file job of ``kind`` fails (None: never)."""
        percent = self.fail_at.get(kind)
        return None if percent is None else percent / 100

    def failure_text(self, kind: str) -> str:
        percent = self.fail_at.get(kind, 0)
        where = "" if kind in INSTANT_KINDS else f" at {percent}%"
        return (f"The operation failed{where}: a fault injected with {ENVIRONMENT} "
                f"(fail-job:{kind}@{percent}).")

    def refuses_stop(self, vm_name: str) -> bool:
        return vm_name.casefold() in self.refuse_stop
