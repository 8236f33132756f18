"""The one rule for the names an administrator gives things: VMs, checkpoints, switches, groups.

A name is kept in Unicode normal form C, so "é" typed as one code point or as "e" and a
combining accent is one name; surrounding white space is trimmed, except from a VM's name,
which refuses it (it names the VM's folder, and Windows folder names cannot end in a space).
Characters that
change how text is shown rather than what it says are refused: control characters (C0, DEL,
C1 such as NEL), the line and paragraph separators, bidirectional overrides, isolates and
marks, zero-width and other invisible format characters, and unpaired surrogates (bytes
that were not UTF-8).  They make two names look alike, reorder what a list shows, or send a
terminal escape to whoever prints the name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hvlab.engine.errors import ValidationError

#: Unicode general categories refused anywhere in a name: control (Cc), format (Cf: bidi
#: controls, zero-width characters, soft hyphen), line and paragraph separators (Zl, Zp),
#: surrogates (Cs) and unassigned code points (Cn).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"})


@dataclass(frozen=True)
class NameKind:
    """What is being named: the words of its messages and its length limit."""

    field: str
    label: str  # "The virtual machine name"
    max_length: int
    may_be_empty: bool = False
    #: Surrounding white space is removed (True) or refused (False).
    trim: bool = True
    #: Characters refused besides the invisible ones (a VM's name becomes a folder name).
    reserved: str = ""


VM_NAME = NameKind("name", "The virtual machine name", 100, trim=False,
                   reserved='\\/:*?"<>|')
CHECKPOINT_NAME = NameKind("name", "A checkpoint name", 100)
SWITCH_NAME = NameKind("name", "The virtual switch name", 100)
GROUP_NAME = NameKind("group", "The group name", 64, may_be_empty=True)


def normalize(text: str, kind: NameKind) -> str:
    """The stored form of a name: NFC, trimmed where ``kind`` trims."""
    text = unicodedata.normalize("NFC", text)
    return text.strip() if kind.trim else text


def name_key(text: str) -> str:
    """What two names are compared by: equal for names that differ only in case or in how
    an accented letter was composed."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def describe(ch: str) -> str:
    """A character as ``U+202E (RIGHT-TO-LEFT OVERRIDE)``: safe to print, whatever it is."""
    name = unicodedata.name(ch, "")
    if not name:
        name = {"Cc": "a control character", "Cs": "an unpaired surrogate, not UTF-8 text",
                "Cn": "an unassigned code point"}.get(unicodedata.category(ch), "no name")
    return f"U+{ord(ch):04X} ({name})"


def refused_character(text: str) -> str | None:
    """The first character the rule refuses, or None."""
    for ch in text:
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            return ch
    return None


def check_name(text: object, kind: NameKind) -> str:
    """``text`` in its stored form, or :class:`ValidationError` naming the field, the
    character and why."""
    if not isinstance(text, str):
        raise ValidationError(kind.field, f"{kind.label} must be text.")
    bad = refused_character(text)
    if bad is not None:
        raise ValidationError(
            kind.field,
            f"{kind.label} cannot contain {describe(bad)}: control, bidirectional and "
            "zero-width characters change how a name is shown, not what it says.")
    name = normalize(text, kind)
    if name != name.strip() and name.strip():
        raise ValidationError(kind.field, f"{kind.label} cannot start or end with a space.")
    if not name.strip() and not kind.may_be_empty:
        raise ValidationError(kind.field, f"{kind.label} must be 1 to {kind.max_length} "
                                          "characters; it cannot be empty.")
    if len(name) > kind.max_length:
        low = 0 if kind.may_be_empty else 1
        raise ValidationError(kind.field, f"{kind.label} must be {low} to {kind.max_length} "
                                          f"characters; it has {len(name):,}.")
    if kind.reserved and any(ch in kind.reserved for ch in name):
        raise ValidationError(kind.field, f"{kind.label} cannot contain any of these "
                                          f"characters: {' '.join(kind.reserved)}")
    return name


def check_text(field: str, label: str, text: object) -> None:
    """Free text (notes, paths): any character but an unpaired surrogate, which is not
    Unicode text and cannot be saved as UTF-8 (a file name in bytes that were not UTF-8
    reaches Python that way)."""
    if not isinstance(text, str):
        raise ValidationError(field, f"{label} must be text.")
    bad = next((ch for ch in text if 0xD800 <= ord(ch) <= 0xDFFF), None)
    if bad is not None:
        raise ValidationError(field, f"{label} cannot contain {describe(bad)}.")


#: Simulated second 0 on the calendar.  A simulated host keeps UTC as its local time, so
#: this is also the hosts' local time (docs/performance.md, docs/engine.md).
SIM_EPOCH = datetime(2010, 1, 1, tzinfo=UTC)


def sim_local_time(now_us: int) -> datetime:
    """The hosts' local calendar time at simulated microsecond ``now_us``."""
    return SIM_EPOCH + timedelta(microseconds=now_us)


def checkpoint_name(vm_name: str, now_us: int) -> str:
    """The name Hyper-V gives a checkpoint taken without one: the VM's name and the host's
    local time in the en-US short date and long time, ``SQL - (1/2/2010 - 10:42:17 AM)``
    (the name's length limit cuts a long VM name, never the time)."""
    when = sim_local_time(now_us)
    hour = when.hour % 12 or 12
    stamp = (f" - ({when.month}/{when.day}/{when.year} - "
             f"{hour}:{when.minute:02d}:{when.second:02d} {'AM' if when.hour < 12 else 'PM'})")
    return vm_name[:CHECKPOINT_NAME.max_length - len(stamp)] + stamp
