"""The facade's declared surface: every public method is a query, a command or a clock call.

The marks are declarations the rest of hvlab reads instead of keeping lists of names: a
library commits after each command and, on clock calls, when enough simulated time passed
(its :class:`ApiObserver`); a remote server lets read-only clients call queries only.  A
command nested in another command (``rename`` calls ``set_vm``) is reported once, when the
outermost one returns, whether it succeeded or raised: a failed command may still have logged
an event worth keeping.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.errors import FileOperationError, NotFoundError
from hvlab.engine.faults import OperationFaults
from hvlab.engine.names import name_key
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.lab import Lab
from hvlab.engine.vmms.runtime import VmRuntime

F = TypeVar("F", bound=Callable[..., Any])

KIND_ATTRIBUTE = "__hvlab_api_kind__"


class CallKind(Enum):
    """What a facade method does to the lab."""

    QUERY = "query"  # reads; never changes the lab
    COMMAND = "command"  # may change the lab
    CLOCK = "clock"  # moves simulated time (advance, wait)


class ApiObserver(Protocol):
    """Told when a command or a clock call returns (the library commits then)."""

    def after_command(self) -> None: ...

    def after_clock(self) -> None: ...


class CallJournal(Protocol):
    """Told of each outermost command and clock call with its arguments (the rewind
    timeline, :mod:`hvlab.engine.api.timeline`, keeps them to replay)."""

    def before_call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None: ...

    def after_call(self, name: str, seconds: float, clock: bool) -> None: ...


def _mark(kind: CallKind) -> Callable[[F], F]:
    def decorate(fn: F) -> F:
        if kind is CallKind.QUERY:
            setattr(fn, KIND_ATTRIBUTE, kind)
            return fn

        @functools.wraps(fn)
        def call(self: ApiCore, *args: Any, **kwargs: Any) -> Any:
            journal = self._journal if self._depth == 0 else None
            if journal is not None:
                journal.before_call(fn.__name__, args, kwargs)
            began = time.perf_counter()
            self._depth += 1
            try:
                # Confined to the lab's files (hvlab.engine.fileguard); an OS error (a full disk,
                # a read-only folder) in the words of the errors the clients show.
                with fileguard.confined(self.lab.confinement):
                    result = fn(self, *args, **kwargs)
                    if kind is CallKind.CLOCK:
                        # Guest writes held back while the clock ran reach their files
                        # now, so every read after the call sees them.
                        self.lab.disk_handles.write_out()
                    return result
            except OSError as err:
                raise FileOperationError.from_os_error(err) from err
            finally:
                self._depth -= 1
                if journal is not None:
                    journal.after_call(fn.__name__, time.perf_counter() - began,
                                       kind is CallKind.CLOCK)
                if self._depth == 0 and self._observer is not None:
                    if kind is CallKind.CLOCK:
                        self._observer.after_clock()
                    else:
                        self._observer.after_command()

        setattr(call, KIND_ATTRIBUTE, kind)
        return cast(F, call)

    return decorate


query = _mark(CallKind.QUERY)
command = _mark(CallKind.COMMAND)
clock = _mark(CallKind.CLOCK)


def declared_calls(cls: type) -> dict[str, CallKind]:
    """Every public method of a facade class with its declared kind (unmarked: absent)."""
    out: dict[str, CallKind] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = getattr(cls, name)
        kind = getattr(member, KIND_ATTRIBUTE, None)
        if isinstance(kind, CallKind):
            out[name] = kind
    return out


class ApiCore:
    """What every part of the facade shares: the lab, the observer and name resolution."""

    def __init__(self, lab: Lab | None = None, *, seed: int = 0,
                 storage_root: str | Path | None = None,
                 observer: ApiObserver | None = None) -> None:
        """``lab``: drive an existing lab (the library's); else a new, empty in-memory lab
        with ``seed``.  ``storage_root``: the folder real files (virtual hard disks, saved
        states) are kept under; None keeps them where their paths say.  ``observer`` is told
        after every command and clock call."""
        self.lab = lab if lab is not None else Lab(seed)
        if storage_root is not None:
            self.lab.storage_root = Path(storage_root)
        self._observer = observer
        self._depth = 0
        #: The rewind timeline of an in-memory lab, once kept (``keep_timeline``).
        self._journal: CallJournal | None = None
        self.lab.faults = OperationFaults.from_environment()
        #: Bumped by every event but log entries: the VM table's version (a view redraws
        #: only what changed).
        self._version = 0
        self.lab.bus.subscribe(self._on_event)

    @property
    def faults(self) -> OperationFaults:
        """Faults a test author injected (``HVLAB_FAULTS``, ``inject_faults``); the lab
        keeps them, so every job the service starts honours them."""
        return self.lab.faults

    def _on_event(self, event: ev.EngineEvent) -> None:
        if not isinstance(event, ev.LogEntry):
            self._version += 1

    def _host(self, ref: str | None) -> Host:
        if not self.lab.hosts:
            raise NotFoundError("The library has no host.")
        if ref is None:
            return next(iter(self.lab.hosts.values()))
        for h in self.lab.hosts.values():
            if ref in (h.id, h.name) or ref.casefold() == h.name.casefold():
                return h
        raise NotFoundError(f"Hyper-V was unable to find a host named \"{ref}\".")

    def _resolve(self, ref: str) -> tuple[Host, VmRuntime]:
        found = self.lab.find_vm(ref)
        if found is not None:
            return found
        key = name_key(ref)
        matches = [(h, v) for h in self.lab.hosts.values() for v in h.vms.values()
                   if name_key(v.name) == key]
        if not matches:
            raise NotFoundError(f'Hyper-V was unable to find a virtual machine with name "{ref}".')
        if len(matches) > 1:
            raise NotFoundError(f'More than one virtual machine is named "{ref}"; use its id.')
        return matches[0]
