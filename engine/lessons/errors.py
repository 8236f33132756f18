"""What a lesson or exercise file can get wrong, and what a lesson can fail to do."""

from __future__ import annotations

from hvlab.engine.api import HvError, ValidationError


def file_error(where: str, field: str, reason: str) -> ValidationError:
    """A mistake in a lesson or exercise file: ``where`` names the file and the place in it
    (``lessons/memory.json, step 3, until``), ``field`` the key at fault."""
    return ValidationError(field, f"{where}: {reason}")


class LessonStuckError(HvError):
    """A step's condition did not hold within its time limit while the lesson played
    itself: the lesson no longer matches the lab it teaches on."""
