"""What a lesson does to its lab itself: one management API command per action.

An action is ``{"call": "start", "args": ["XP-CLIENT"]}``: any method of
:class:`~hvlab.engine.api.ManagementApi` declared a command, or the clock call ``advance``,
with positional ``args`` and keyword ``with``.  ``"refused": true`` says the engine is meant
to refuse it (the lesson shows the refusal); ``"wait": true`` advances the clock until the
job the command started has finished.  Arguments are checked against the method's
signature when the file is read, so a misspelt keyword is reported before a class starts.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from hvlab.engine.api import CallKind, HvError, Job, ManagementApi, declared_calls
from hvlab.engine.lessons.errors import file_error

_KEYS = {"call", "args", "with", "refused", "wait"}
#: The clock calls an action may make (``wait`` needs a job, which an action cannot name).
_CLOCK_CALLS = {"advance"}


def allowed_calls() -> list[str]:
    """The facade calls a lesson may make, by name."""
    return sorted(name for name, kind in declared_calls(ManagementApi).items()
                  if kind is CallKind.COMMAND or name in _CLOCK_CALLS)


@dataclass(frozen=True)
class Action:
    call: str
    args: tuple[Any, ...] = ()
    keywords: dict[str, Any] = field(default_factory=dict)
    refused: bool = False
    wait: bool = False

    def describe(self) -> str:
        words = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.keywords.items()]
        return f"{self.call}({', '.join(words)})"


@dataclass(frozen=True)
class Outcome:
    """What an action did: the engine's refusal (its message), or None when it ran."""

    action: Action
    refusal: str | None


def parse_action(data: Any, where: str) -> Action:
    if not isinstance(data, dict):
        raise file_error(where, "call", 'an action must be an object such as '
                                        '{"call": "start", "args": ["XP-CLIENT"]}.')
    extra = sorted(set(data) - _KEYS)
    if extra:
        raise file_error(where, extra[0], f"'{extra[0]}' is not part of an action "
                                          f"(allowed: {', '.join(sorted(_KEYS))}).")
    call = data.get("call")
    allowed = allowed_calls()
    if call not in allowed:
        raise file_error(where, "call", f"{call!r} is not a command a lesson can make "
                                        f"(known: {', '.join(allowed)}).")
    args = data.get("args", [])
    keywords = data.get("with", {})
    if not isinstance(args, list) or not isinstance(keywords, dict):
        raise file_error(where, "args", "'args' must be a list and 'with' an object.")
    for flag in ("refused", "wait"):
        if not isinstance(data.get(flag, False), bool):
            raise file_error(where, flag, f"'{flag}' must be true or false.")
    try:
        inspect.signature(getattr(ManagementApi, call)).bind(None, *args, **keywords)
    except TypeError as exc:
        raise file_error(where, "args", f"the arguments do not fit {call}: {exc}.") from None
    return Action(call, tuple(args), dict(keywords), bool(data.get("refused", False)),
                  bool(data.get("wait", False)))


def perform(api: ManagementApi, action: Action) -> Outcome:
    """Run ``action``.  A refusal the lesson expects is returned; an unexpected one, or an
    expected one that did not come, raises :class:`HvError` (the lesson and the lab
    disagree, which its author must hear about)."""
    try:
        result = getattr(api, action.call)(*action.args, **action.keywords)
    except HvError as err:
        if action.refused:
            return Outcome(action, err.message)
        raise
    if action.refused:
        raise HvError(f"The lesson expected {action.describe()} to be refused, but it ran.")
    if action.wait and isinstance(result, Job):
        api.wait(result)
    return Outcome(action, None)
