"""Keystrokes from Virtual Machine Connection: Ctrl+Alt+Delete and Clipboard ▸ Type
clipboard text.

Virtual Machine Connection sends them to a running VM through its emulated (or synthetic)
keyboard; typed text is turned into the key presses of a US keyboard, so only what that
keyboard can type goes: printable ASCII, Tab and Enter.  The simulated guest has no input
loop, so it echoes what arrived on its console, where the window shows it.
"""

from __future__ import annotations

from hvlab.engine.errors import InvalidStateError, ValidationError
from hvlab.engine.lifecycle import VmState
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

#: At most this many characters are typed from one clipboard.
MAX_TYPED_CHARACTERS = 4096
_TYPABLE = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\t", "\n"}


def _require_running(host: Host, vm: VmRuntime, what: str) -> None:
    if vm.state is not VmState.RUNNING:
        raise InvalidStateError(
            f"{what} could not be sent to '{vm.name}'.",
            [f"Keystrokes reach a running virtual machine only; '{vm.name}' is "
             f"{vm.state.value}."])


def send_ctrl_alt_del(host: Host, vm: VmRuntime) -> None:
    _require_running(host, vm, "Ctrl+Alt+Delete")
    host.console(vm, "[Ctrl+Alt+Delete]")


#: The modifier keys of a key combination, in the order a combination names them.
MODIFIERS = ("Ctrl", "Alt", "Shift", "Windows")
#: The other keys a combination may end with.
KEYS = frozenset([*(chr(c) for c in range(ord("A"), ord("Z") + 1)), *"0123456789",
                  *(f"F{n}" for n in range(1, 13)), "Tab", "Esc", "Enter", "Space",
                  "Backspace", "Delete", "Home", "End", "Page Up", "Page Down", "Left",
                  "Right", "Up", "Down", "Print Screen", "Pause"])


def send_keys(host: Host, vm: VmRuntime, combination: str) -> str:
    """Press a key combination in the VM, e.g. ``Windows+R`` (modifiers in the order of
    :data:`MODIFIERS`, then one key of :data:`KEYS`); the combination as the guest got it."""
    parts = [p.strip() for p in combination.split("+")]
    key = parts[-1] if parts else ""
    modifiers = parts[:-1]
    if (key not in KEYS or len(set(modifiers)) != len(modifiers)
            or any(m not in MODIFIERS for m in modifiers)
            or modifiers != sorted(modifiers, key=MODIFIERS.index)):
        raise ValidationError("combination", f"'{combination}' is not a key combination: "
                                             "modifiers (Ctrl, Alt, Shift, Windows, in that "
                                             "order) joined by + to one key, e.g. Windows+R.")
    _require_running(host, vm, combination)
    host.console(vm, f"[{combination}]")
    return combination


def type_text(host: Host, vm: VmRuntime, text: str) -> int:
    """Type ``text`` into the VM; the number of characters typed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise ValidationError("text", "The clipboard holds no text to type.")
    if len(text) > MAX_TYPED_CHARACTERS:
        raise ValidationError("text", f"The text to type is {len(text):,} characters long; "
                                      f"at most {MAX_TYPED_CHARACTERS:,} are typed at once.")
    bad = next((c for c in text if c not in _TYPABLE), None)
    if bad is not None:
        raise ValidationError("text", f"The character {bad!r} (U+{ord(bad):04X}) cannot be "
                                      "typed: Type clipboard text types what a US keyboard "
                                      "can (printable ASCII, Tab and Enter).")
    _require_running(host, vm, "The clipboard text")
    for line in text.split("\n"):
        host.console(vm, f"[typed] {line}")
    return len(text)
