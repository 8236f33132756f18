"""Every number a client hands the engine is checked here: finite, the right kind, in range.

The GUI, ``hvctl`` and scripts call the management API directly, so a NaN, an infinity or
a number too large for the clock must be refused where it enters, with a message that
names the setting and its range, before anything changes.  :class:`Number` is the argparse
type of every number option of ``hvctl`` and ``hvlab``: it checks with the same functions,
so a command line is refused as a usage error before a library is opened.  This module
imports nothing heavy, so ``hvlab``'s parser can use it before its first paint.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from numbers import Integral, Real

from hvlab.engine.errors import ValidationError

#: The longest run of simulated time one call may ask for: one simulated day.  It covers
#: every delay the engine schedules (the longest, an Automatic Start Action's delay, is at
#: most 86,400 s) and takes minutes, not weeks, of wall time; a longer run is several calls.
MAX_ADVANCE_SECONDS = 86_400
#: Simulated time a library may reach: a simulated century, far below where the clock's
#: integer microseconds stop being exact as float seconds (2**53 µs is 285 years).
MAX_CLOCK_SECONDS = 100 * 365 * 86_400
#: The fastest a clock running in real time may go (simulated seconds per wall second).  The
#: console's clock advances speed × the wall time since its last tick (at most 2 s), so this
#: keeps one tick under four simulated minutes: a second or two of work for a large lab.
MAX_CLOCK_SPEED = 120


def _shown(value: float, unit: str) -> str:
    u = f" {unit}" if unit else ""
    if isinstance(value, int):
        if abs(value) >= 10**30:
            return f"a number of {len(str(abs(value))):,} digits"
        return f"{value:,}{u}"
    if math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}{u}"
    return f"{value:,.6g}{u}"


def range_text(label: str, lo: float, hi: float, unit: str = "", why: str = "") -> str:
    """``Startup RAM must be between 32 MB and 1,048,576 MB (why)``."""
    because = f" ({why})" if why else ""
    return f"{label} must be between {_shown(lo, unit)} and {_shown(hi, unit)}{because}"


def _out_of_range(field: str, label: str, value: float, lo: float, hi: float,
                  unit: str, why: str) -> ValidationError:
    return ValidationError(field, f"{range_text(label, lo, hi, unit, why)}; "
                                  f"{_shown(value, unit)} is out of range.")


def real(field: str, label: str, value: object, lo: float, hi: float, unit: str = "",
         why: str = "") -> float:
    """``value`` as a float, or :class:`ValidationError` when it is not a finite number in
    ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(field, f"{label} must be a number, not {type(value).__name__}.")
    number: float = int(value) if isinstance(value, Integral) else float(value)
    if isinstance(number, float) and math.isnan(number):
        raise ValidationError(field, f"{range_text(label, lo, hi, unit, why)}; NaN is not a "
                                     "number.")
    if not lo <= number <= hi:
        raise _out_of_range(field, label, number, lo, hi, unit, why)
    return float(number)


def whole(field: str, label: str, value: object, lo: int, hi: int, unit: str = "",
          why: str = "") -> int:
    """``value`` as an int, or :class:`ValidationError` when it is not a whole number in
    ``[lo, hi]`` (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValidationError(field, f"{label} must be a whole number, not "
                                     f"{type(value).__name__}.")
    number = int(value)
    if not lo <= number <= hi:
        raise _out_of_range(field, label, number, lo, hi, unit, why)
    return number


# -- command-line types (hvctl, hvlab) ----------------------------------------------------

_WHOLE = re.compile(r"[+-]?[0-9]+")
#: Longer text is not a number any option takes (and int() refuses over 4,300 digits).
_MAX_DIGITS = 40


def _quoted(text: str) -> str:
    """User text in a message: repr() escapes control and invisible characters."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


@dataclass(frozen=True)
class Number:
    """A range a number must be in (``integer``: a whole number), and the argparse
    ``type`` that parses text into it."""

    label: str
    lo: float
    hi: float
    unit: str = ""
    why: str = ""
    integer: bool = True

    @property
    def __name__(self) -> str:  # argparse names a type by it in some messages
        return "whole number" if self.integer else "number"

    def __call__(self, text: str) -> int | float:
        try:
            return self.check(self.parse(text))
        except ValidationError as err:
            raise argparse.ArgumentTypeError(err.message) from None

    def parse(self, text: str) -> int | float:
        stripped = text.strip()
        limits = range_text(self.label, self.lo, self.hi, self.unit, self.why)
        refusal = ValidationError("", f"{limits}; {_quoted(text)} is not "
                                      f"{'a whole number' if self.integer else 'a number'}.")
        if self.integer:
            if not _WHOLE.fullmatch(stripped):
                raise refusal
            digits = len(stripped.lstrip("+-"))
            if digits > _MAX_DIGITS:
                raise ValidationError("", f"{limits}; a number of {digits:,} digits is out of "
                                          "range.")
            return int(stripped)
        try:
            if len(stripped) > _MAX_DIGITS * 2:
                raise ValueError(stripped)
            return float(stripped)
        except ValueError:
            raise refusal from None

    def check(self, value: object, field: str = "") -> int | float:
        """``value`` checked; :class:`ValidationError` names ``field``."""
        if self.integer:
            return whole(field, self.label, value, int(self.lo), int(self.hi), self.unit,
                         self.why)
        return real(field, self.label, value, self.lo, self.hi, self.unit, self.why)


def library_folder(text: str) -> str:
    """``--library``: an empty path would put a new library in the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the library folder may not be empty")
    return text


SEED = Number("The seed", 0, 2**63 - 1, why="a non-negative 64-bit integer")
