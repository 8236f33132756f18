"""Typed errors with the words an administrator sees.

Each error carries a one-line ``message`` (what Hyper-V Manager puts in bold at the top of
its error dialog) and ``details`` (the lines under it).  ``str(error)`` joins them, which is
what ``hvctl`` prints on stderr.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping, Sequence
from typing import TypeVar

_Entry = TypeVar("_Entry")


class HvError(Exception):
    """Base class of every error the management API raises."""

    #: The Hyper-V/WMI return code family this error corresponds to.
    code: int = 32768  # Failed

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        self.message = message
        self.details: tuple[str, ...] = tuple(details)
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return "\n".join((self.message, *self.details))


class ValidationError(HvError):
    """Configuration values outside what the host profile allows.

    ``field`` names the first wrong configuration field (as in
    :class:`hvlab.engine.config.VmConfig`) and ``message`` says why; ``fields`` maps every wrong
    field to its reason, so a form can mark them all from one check.
    """

    code = 32773  # Invalid parameter

    def __init__(self, field: str, message: str,
                 fields: Mapping[str, str] | None = None) -> None:
        self.field = field
        self.fields: dict[str, str] = dict(fields) if fields else {field: message}
        others = [f"{name}: {text}" for name, text in self.fields.items() if name != field]
        super().__init__(message, others)

    @classmethod
    def for_fields(cls, fields: Mapping[str, str]) -> ValidationError:
        """One error for several fields (``fields`` must not be empty)."""
        field, message = next(iter(fields.items()))
        return cls(field, message, fields)


class InvalidStateError(HvError):
    """The operation is not legal in the VM's current state (WMI 32775)."""

    code = 32775


class OutOfMemoryError(HvError):
    """Not enough free host memory, without overcommit (0x8007000E).

    Besides Hyper-V's lines it carries the figures (MB) and hvlab's own sentence about them
    (``shortfall``), for the start check and the event log.
    """

    code = 32778

    def __init__(self, message: str, details: Sequence[str] = (), *, needed_mb: int = 0,
                 available_mb: int = 0, shortfall: str = "", event_text: str = "") -> None:
        self.needed_mb = needed_mb
        self.available_mb = available_mb
        #: "It needs N MB (startup RAM plus M MB overhead); K MB is available." (and more)
        self.shortfall = shortfall
        #: The line the worker process writes to the event log.
        self.event_text = event_text
        super().__init__(message, details)


class MacPoolExhaustedError(InvalidStateError):
    """No dynamic MAC address is left for a network adapter (event 12565)."""

    def __init__(self, message: str, details: Sequence[str] = (), *,
                 event_text: str = "") -> None:
        #: The line the worker process writes to the event log.
        self.event_text = event_text
        super().__init__(message, details)


class HypervisorNotRunningError(HvError):
    """The hypervisor did not launch at host boot, so no child partition can exist."""

    code = 32777  # Not available


class NotFoundError(HvError):
    """No VM, host or job with that name or id."""

    code = 32773


def look_up(catalogue: Mapping[str, _Entry], key: str, what: str, *,
            known: str = "Known") -> _Entry:
    """``catalogue[key]``; an unknown key is a :class:`NotFoundError` naming ``what`` and
    listing the keys that are known."""
    try:
        return catalogue[key]
    except KeyError:
        raise NotFoundError(f"No {what} named '{key}'.",
                            [f"{known}: {', '.join(catalogue)}."]) from None


class AccessDeniedError(HvError):
    """A partition without the privilege issued a privileged hypercall (WMI 32769)."""

    code = 32769


class NotSupportedError(HvError):
    """The host profile does not offer this feature (WMI 32770)."""

    code = 32770


class ResourceLimitError(HvError):
    """A configuration maximum of the host profile would be exceeded."""

    code = 32778


class DiskAttachError(HvError):
    """A virtual hard disk of the VM is missing, is not a virtual hard disk or is damaged,
    so the VM cannot start.  ``path`` is the file that failed."""

    def __init__(self, message: str, details: Sequence[str] = (), *, path: str = "") -> None:
        self.path = path
        super().__init__(message, details)


#: Windows' words (and HRESULT) for the errors a file operation meets most.
_OS_ERROR_TEXT = {
    errno.ENOSPC: "There is not enough space on the disk. (0x80070070)",
    errno.EDQUOT: "There is not enough space on the disk. (0x80070070)",
    errno.EACCES: "Access is denied. (0x80070005)",
    errno.EPERM: "Access is denied. (0x80070005)",
    errno.EROFS: "The media is write protected. (0x80070013)",
    errno.ENOENT: "The system cannot find the path specified. (0x80070003)",
    errno.EIO: "The request could not be performed because of an I/O device error. "
               "(0x8007045D)",
}


class FileOperationError(HvError):
    """A file could not be read or written (a full disk, a read-only folder).  ``path`` and
    ``errno`` say which file and why."""

    def __init__(self, path: str, error: int | None, text: str) -> None:
        self.path = path
        self.errno = error
        super().__init__(f"The operation failed on '{path}': {text}",
                         ["Nothing was changed by the part of the operation that failed."])

    @classmethod
    def from_os_error(cls, err: OSError) -> FileOperationError:
        path = str(err.filename) if err.filename is not None else "(unknown file)"
        text = _OS_ERROR_TEXT.get(err.errno or 0) or f"{err.strerror or err}."
        return cls(path, err.errno, text)
