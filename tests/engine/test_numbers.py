"""Numbers are finite and in range where they enter: hvctl's parser and the engine's API."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pytest

import hvlab.hvctl as cli
from hvlab.engine.api import open_library
from hvlab.engine.bounds import Number
from hvlab.engine.errors import ValidationError
from hvlab.hvctl.parser import build_parser

from .helpers import make_api, new_vm, parser_leaves

#: The 18 command lines that ended in ValueError or OverflowError tracebacks.
NUMBER_CASES = [
    *(["clock", "advance", v] for v in ("nan", "inf", "1e400", "NaN", "Infinity", "1e309")),
    *(["vhd", "new", "d.vhd", "--size-gb", v] for v in ("nan", "inf", "1e400")),
    *(["vhd", "expand", "d.vhd", "--size-gb", v] for v in ("nan", "inf", "1e400")),
    *(["events", "--since", v] for v in ("nan", "inf", "1e400")),
    *(["events", "--last", v] for v in ("99999999999999999999", "9223372036854775808",
                                        "1" + "0" * 30)),
]
#: Negative ones argparse took for unknown options, and a negative count that was exit 1.
NEGATIVE_CASES = [["clock", "advance", "-inf"], ["clock", "advance", "-1e400"],
                  ["vhd", "new", "d.vhd", "--size-gb", "-inf"], ["events", "--since", "-inf"],
                  ["events", "--last", "-99999999999999999999"]]
OPTION = {"advance": "SECONDS", "--size-gb": "--size-gb", "--since": "--since",
          "--last": "--last"}


@pytest.mark.parametrize("argv", NUMBER_CASES + NEGATIVE_CASES,
                         ids=[" ".join(a) for a in NUMBER_CASES + NEGATIVE_CASES])
def test_defect06_numbers_nan_inf_overflow_are_usage_errors(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(NUMBER_CASES) == 18
    library = tmp_path / "lib"
    assert cli.main(["--library", str(library), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    [line] = err.splitlines()
    option = next(OPTION[a] for a in argv if a in OPTION)
    assert line.startswith(f"hvctl {argv[0]}") and f"argument {option}:" in line
    assert " must be between " in line, "the range is named"
    assert not library.exists(), "refused before the library was opened"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1.0, 1e12, 10**400, True])
def test_defect06_the_engine_refuses_non_finite_and_out_of_range_numbers(bad: Any) -> None:
    api = make_api()
    new_vm(api, "VM")
    job = api.start("VM")
    before = api.now_us
    calls = [lambda: api.advance(bad), lambda: api.wait(job, bad),
             lambda: api.event_log(since_seconds=bad),
             lambda: api.event_log(last=bad if not isinstance(bad, float) else 10**30),
             lambda: api.set_host(ram_gb=bad), lambda: api.memory_check(bad),
             lambda: api.console("VM", bad), lambda: api.new_vhd("x.vhd", bad),
             lambda: api.add_host("H2", "ws2008r2", sockets=bad)]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert api.now_us == before, "the clock did not move"
    assert api.host().pending_changes == ()
    api.advance(1.0)  # and still works
    assert api.now_us == before + 1_000_000


def test_defect06_the_library_event_query_refuses_them_too(tmp_path: Path) -> None:
    lib = open_library(tmp_path / "lib", program="pytest", empty=True)
    try:
        for kwargs in ({"since_seconds": math.nan}, {"since_seconds": math.inf},
                       {"last": 10**20}, {"last": -1}):
            with pytest.raises(ValidationError):
                lib.events(**kwargs)  # type: ignore[arg-type]
    finally:
        lib.close()


def test_every_number_option_of_every_command_is_checked_when_parsed() -> None:
    """The class of defect: an option parsed with a bare int or float takes NaN, infinity
    and numbers of any size.  Every number option must be an hvlab.engine.bounds.Number."""
    parser = build_parser()
    options = [a for _, leaf in parser_leaves(parser) for a in leaf._actions] + parser._actions
    numbers = [a for a in options if isinstance(a.type, Number)]
    assert len(numbers) >= 30
    assert not [a.dest for a in options if a.type in (int, float)]
    for action in numbers:
        kind = action.type
        assert isinstance(kind, Number)
        assert math.isfinite(kind.lo) and math.isfinite(kind.hi) and kind.lo <= kind.hi
        for text in ("nan", "inf", "1e400", str(kind.hi * 10 + 1), "99999999999999999999"):
            with pytest.raises(argparse.ArgumentTypeError, match="must be between"):
                kind(text)
