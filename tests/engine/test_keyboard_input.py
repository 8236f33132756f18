"""Keystrokes from Virtual Machine Connection: Ctrl+Alt+Delete and Type clipboard text."""

from __future__ import annotations

import pytest

from hvlab.engine.errors import InvalidStateError, ValidationError

from .helpers import boot, make_api, new_vm


def test_typed_text_reaches_a_running_guests_console() -> None:
    api = make_api()
    new_vm(api, "A")
    with pytest.raises(InvalidStateError, match="Keystrokes reach a running virtual machine"):
        api.type_text("A", "dir")
    boot(api, "A")
    serial, _ = api.console("A", 0)
    assert api.type_text("A", "dir c:\\\r\nexit") == 12
    api.send_ctrl_alt_del("A")
    _, lines = api.console("A", serial)
    assert [text for _t, text in lines] == ["[typed] dir c:\\", "[typed] exit",
                                           "[Ctrl+Alt+Delete]"]


@pytest.mark.parametrize(("text", "why"), [
    ("", "no text to type"),
    ("x" * 4097, "at most 4,096 are typed at once"),
    ("caf\u00e9", "U+00E9) cannot be typed"),
])
def test_what_cannot_be_typed_is_refused_by_field(text: str, why: str) -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A")
    serial, _ = api.console("A", 0)
    with pytest.raises(ValidationError) as refused:
        api.type_text("A", text)
    assert refused.value.field == "text" and why in refused.value.message
    assert api.console("A", serial)[0] == serial, "nothing typed"


def test_a_key_combination_reaches_the_guest_and_a_bad_one_is_refused() -> None:
    api = make_api()
    new_vm(api, "A")
    boot(api, "A")
    serial, _ = api.console("A", 0)
    assert api.send_keys("A", "Windows+R") == "Windows+R"
    assert api.send_keys("A", "Ctrl+Shift+Esc") == "Ctrl+Shift+Esc"
    assert [t for _s, t in api.console("A", serial)[1]] == ["[Windows+R]", "[Ctrl+Shift+Esc]"]
    for bad in ("Windows", "Windows+Ctrl+R", "Hyper+R", "Ctrl+Ctrl+A", ""):
        with pytest.raises(ValidationError) as refused:
            api.send_keys("A", bad)
        assert refused.value.field == "combination"
