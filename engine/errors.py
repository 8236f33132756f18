"""Typed errors with the words an administrator sees.

Each error carries a one-line ``message`` (what Hyper-V Manager puts in bold at the top of
its error dialog) and ``details`` (the lines under it).  ``str(error)`` joins them, which is
what ``hvctl`` prints on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence


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
    """A configuration value outside what the host profile allows.

    ``field`` names the configuration field (as in :class:`engine.config.VmConfig`).
    """

    code = 32773  # Invalid parameter

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class InvalidStateError(HvError):
    """The operation is not legal in the VM's current state (WMI 32775)."""

    code = 32775


class OutOfMemoryError(HvError):
    """Not enough free host memory, without overcommit (0x8007000E)."""

    code = 32778


class HypervisorNotRunningError(HvError):
    """The hypervisor did not launch at host boot, so no child partition can exist."""

    code = 32777  # Not available


class NotFoundError(HvError):
    """No VM, host or job with that name or id."""

    code = 32773


class AccessDeniedError(HvError):
    """A partition without the privilege issued a privileged hypercall (WMI 32769)."""

    code = 32769


class NotSupportedError(HvError):
    """The host profile does not offer this feature (WMI 32770)."""

    code = 32770


class ResourceLimitError(HvError):
    """A configuration maximum of the host profile would be exceeded."""

    code = 32778
