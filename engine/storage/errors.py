"""Errors of the storage layer, in the words Hyper-V uses for virtual hard disks.

Every problem with a file's structure is a :class:`VhdCorruptError` that names the structure
(``footer``, ``dynamic header``, ``BAT``, ``parent locator 2``, ``block 17`` …) and the field,
so a fuzzed or damaged file is always rejected with a message that says what is wrong.
"""

from __future__ import annotations

import os

from hvlab.engine.errors import HvError, InvalidStateError


def display_path(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)


class VhdError(HvError):
    """Any failure to create, open, read, write or edit a virtual hard disk."""

    code = 32768  # Failed


class VhdCorruptError(VhdError):
    """A structure of the file is not valid VHD (0x80070570: the file is corrupted).

    ``structure`` is what was being read (``"footer"``, ``"dynamic header"``, ``"BAT"``,
    ``"parent locator 3"``, ``"block 12"``) and ``field`` the field that is wrong.
    """

    def __init__(self, path: str | os.PathLike[str], structure: str, field: str,
                 problem: str) -> None:
        self.path = display_path(path)
        self.structure = structure
        self.field = field
        self.problem = problem
        super().__init__(
            f"The virtual hard disk '{self.path}' is corrupt: {structure} {field} {problem}.",
            ("The file or directory is corrupted and unreadable. (0x80070570)",),
        )


class VhdParentError(VhdError):
    """A differencing disk's parent cannot be found or is not the disk it was made from."""


class VhdInUseError(InvalidStateError, VhdError):
    """The operation is not allowed in the disk's current state (saved state, read-only)."""

    code = 32775


class OperationCancelled(VhdError):
    """A disk operation stopped because its job was cancelled; nothing partial was kept."""

    code = 32768

    def __init__(self, what: str) -> None:
        super().__init__(f"The operation was cancelled: {what}.")
