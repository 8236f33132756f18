"""Every ``hvctl`` command, fuzzed from its own parser: no traceback, a known exit code, and
a failure is a message that is safe to print.

The commands are found by walking the argparse tree, so a new command or option is fuzzed
without touching this file.  Numbers come from each option's own range (its
:class:`hvlab.engine.bounds.Number`) and around it; text is adversarial Unicode.  Paths stay
relative names inside the test's folder: the fuzz must never write outside it.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hvlab.hvctl as cli
from hvlab.engine.bounds import Number
from hvlab.hvctl.arguments import DISK_SIZE_GB, SECONDS_TO_ADVANCE, on_off
from hvlab.hvctl.parser import build_parser

from .helpers import parser_leaves

#: Options of every command that pick the library: fixed to the test's own.
COMMON = {"library", "json", "seed", "empty", "help"}
#: Metavars of arguments that name files or folders.
PATHS = {"PATH", "DEST", "FOLDER", "PARENT", "VHD"}
#: Things the fuzz library holds, so some commands reach past the lookup.
KNOWN_NAMES = ["A", "B", "LAN", "CP", "a", "ide0:0", "scsi0:0", "heartbeat", "small.vhd"]
KNOWN_PATHS = ["small.vhd", "missing.vhd", "export", "copy.vhd", "notes.txt", "."]
#: Options whose in-range values cost real time or disk: the fuzz keeps them small.
SMALL = {SECONDS_TO_ADVANCE: 30.0, DISK_SIZE_GB: 0.01}
ADVERSARIAL_NUMBERS = ["nan", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e9",
                       "99999999999999999999", "-99999999999999999999", "", " ", "0x10",
                       "1_000", "١٢", "1.5", "-0", "+7", "abc", "5\x00", "\u202e5"]
ADVERSARIAL_TEXT = ["", " ", "\x1b[31mred", "a\nb", "a\rb", "\x7f", "\x85", "\u2028", "\u202e",
                    "\u200b", "Cafe\u0301", "x" * 300, "-", "--", "-h", "..", "/", "\\", "'\"",
                    "%s%n", "\udc80", "NUL\x00", "A ", "　"]


#: Commands the fuzz leaves out.  ``serve`` with valid arguments starts a server that runs
#: until Ctrl+C (and listens on the network): it never returns to check, so its bad
#: arguments are tested one by one below instead.
LONG_RUNNING = {("serve",)}
LEAVES = sorted(((path, leaf) for path, leaf in parser_leaves(build_parser())
                 if path not in LONG_RUNNING), key=lambda leaf: leaf[0])


def numbers(kind: Number) -> st.SearchStrategy[str]:
    top = SMALL.get(kind, kind.hi)
    if kind.integer:
        inside = st.integers(int(kind.lo), int(min(top, kind.lo + 10**6))).map(str)
        edges = [kind.lo, min(top, kind.hi), kind.lo - 1, kind.hi + 1]
    else:
        inside = st.floats(kind.lo, top, allow_nan=False).map(repr)
        edges = [kind.lo, top, kind.lo - 0.5, kind.hi * 2]
    edge = st.sampled_from([str(int(e)) if kind.integer else repr(float(e)) for e in edges])
    return st.one_of(inside, edge, st.sampled_from(ADVERSARIAL_NUMBERS))


def words() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KNOWN_NAMES), st.sampled_from(ADVERSARIAL_TEXT),
                     st.text(max_size=20))


def relative_paths() -> st.SearchStrategy[str]:
    safe = st.text(st.characters(categories=["L", "N"]) | st.sampled_from("._- \u202e\x1b"),
                   min_size=1, max_size=12).filter(lambda t: t.strip(". ") != "")
    return st.one_of(st.sampled_from(KNOWN_PATHS), safe)


def value(action: argparse.Action) -> st.SearchStrategy[str]:
    if isinstance(action.type, Number):
        return numbers(action.type)
    if action.type is on_off:
        return st.sampled_from(["on", "off", "yes", "0", "maybe", ""])
    if action.choices is not None:
        return st.one_of(st.sampled_from([str(c) for c in action.choices]), words())
    if action.metavar in PATHS:
        return relative_paths()
    if action.metavar == "NAME=on|off":
        return st.sampled_from(["heartbeat=on", "shutdown=off", "nope=on", "=", "backup"])
    return words()


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    path, leaf = draw(st.sampled_from(LEAVES))
    argv: list[str] = list(path)
    for action in leaf._actions:
        if action.dest in COMMON or isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # a positional: usually given
            if action.nargs == "?" and draw(st.booleans()):
                continue
            if action.required is False and action.nargs != "?" and draw(st.integers(0, 9)) == 0:
                continue  # sometimes missing: a usage error
            argv.append(draw(value(action)))
            continue
        if not action.required and draw(st.integers(0, 2)) != 0:
            continue
        option = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(option)
        else:
            argv += [option, draw(value(action))]
    if draw(st.booleans()):
        argv.append("--json")
    return argv


@pytest.fixture(scope="module")
def fuzz_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library with two VMs, a switch, a small disk and a checkpoint to aim at."""
    root = tmp_path_factory.mktemp("fuzz")
    lib = root / "lib"
    for argv in (["--empty", "host", "show"], ["vm", "new", "A"], ["vm", "new", "B"],
                 ["switch", "new", "LAN", "--type", "Private"],
                 ["vhd", "new", "small.vhd", "--size-gb", "0.01"],
                 ["vm", "checkpoint", "A", "--checkpoint-name", "CP"]):
        assert cli.main(["--library", str(lib), *argv]) == 0, argv
    (root / "notes.txt").write_text("not a disk\n")
    return lib


def check_one(argv: list[str], library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = cli.main(["--library", str(library), *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    lines = err.splitlines()
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("hvctl"), (argv, err)
    elif code == 1:
        assert lines and lines[0].strip(), (argv, err)
    for line in lines + out.splitlines():
        hidden = [ch for ch in line if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")
                  and ch != "\t"]
        assert not hidden, (argv, line)
    if code == 0 and "--json" in argv and not {"-h", "--help"} & set(argv):
        json.loads(out)


def test_the_walk_finds_every_command() -> None:
    paths = {path for path, _ in LEAVES}
    assert len(paths) >= 50
    for expected in (("clock", "advance"), ("vhd", "new"), ("events",), ("vm", "nic", "set"),
                     ("vm", "drive", "add"), ("switch", "new"), ("host", "set")):
        assert expected in paths


def fuzzed(examples: int) -> Callable[..., None]:
    """The property test, run for ``examples`` command lines."""

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(argv=command_lines())
    def test(argv: list[str], fuzz_library: Path, capsys: pytest.CaptureFixture[str],
             monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(fuzz_library.parent)  # relative paths land in the test's folder
        check_one(argv, fuzz_library, capsys)

    return test


test_every_command_survives_adversarial_arguments = fuzzed(60)


@pytest.mark.parametrize("argv", [
    # Found by the property test: argparse quotes unrecognized arguments back.
    ["vm", "new", "--", "--memory", "32", "--host", "a\nb"],
    ["vm", "new", "--", "--memory", "32", "--host", "\x1b[31mred"],
])
def test_usage_errors_quote_arguments_on_one_line_and_escaped(
        argv: list[str], fuzz_library: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(fuzz_library.parent)
    check_one(argv, fuzz_library, capsys)
test_every_command_survives_adversarial_arguments_long_run = pytest.mark.slow(fuzzed(3000))


@pytest.mark.parametrize(("argv", "code", "says"), [
    # Not an address of this computer: a name that cannot resolve, a documentation address.
    (["--listen", "no-such-host.invalid"], 1, "cannot listen on no-such-host.invalid"),
    (["--listen", "203.0.113.9"], 1, "cannot listen on 203.0.113.9"),
    (["--listen", "0.0.0.0", "--no-tls"], 1, "without TLS"),
    (["--port", "70000"], 2, "--port"),
    (["--port", "-1"], 2, "--port"),
    (["--port", "http"], 2, "--port"),
    (["--speed", "nan"], 2, "--speed"),
])
def test_serve_with_bad_arguments_ends_with_a_clear_error(
        argv: list[str], code: int, says: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``serve`` is left out of the fuzz (it would serve forever); what it refuses ends at
    once, with the reason on the first line and no traceback."""
    assert ("serve",) not in {path for path, _ in LEAVES}
    result = cli.main(["--library", str(tmp_path / "lib"), "--empty", "serve", "--port", "0",
                       "--config", str(tmp_path / "config"), *argv])
    out, err = capsys.readouterr()
    assert result == code, (argv, err)
    assert "Traceback" not in err + out
    lines = err.splitlines()
    assert lines and says in lines[0], (argv, err)
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("hvctl serve: error:"), err
