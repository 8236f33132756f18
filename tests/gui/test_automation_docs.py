"""The Python examples of docs/automation.md run as written.

Each example that defines a ``test_`` function is executed and the function called with the
fixtures it names, so the page cannot drift from the code. The AT-SPI example runs in the
AT-SPI driver (tests/gui/atspi_driver.py), which reads it from the page.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "automation.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _examples() -> list[str]:
    return [code for code in BLOCK.findall(DOC.read_text(encoding="utf-8"))
            if re.search(r"^def test_", code, re.M)]


def test_the_page_has_its_examples() -> None:
    assert len(_examples()) >= 2
    assert "# atspi: wait_until_idle" in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", _examples(),
                         ids=lambda code: re.findall(r"^def (test_\w+)", code, re.M)[0])
def test_example_runs(code: str, request: pytest.FixtureRequest) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # the page's own example
    (name,) = [n for n in namespace if n.startswith("test_")]
    function = namespace[name]
    fixtures = {p: request.getfixturevalue(p) for p in inspect.signature(function).parameters}
    function(**fixtures)
