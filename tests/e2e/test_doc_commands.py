"""The commands the documentation shows do what it says, run against a temporary library.

- README.md: every line of a code block whose info string is ``sh runnable``
  (docs/development.md describes the marker), run from the repository root.
- docs/cli.md: every line of its ``sh`` blocks, and every ``$ hvctl …`` example of its
  ``text`` blocks, whose printed lines must match the documentation's (``…`` stands for
  any text).

A command must exit 0, unless a trailing comment says ``# exit N``; the ``text`` examples
are the documented failures and exit 1 (or the ``# exit N`` after them).
``export HVLAB_LIBRARY=…`` is pointed at a temporary folder, and ``hvctl`` is this
checkout's (the venv running the tests).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from hvlab.engine.api import open_library
from tests.layout import REPO

pytestmark = pytest.mark.e2e

EXPECTED_EXIT = re.compile(r"#\s*exit (\d+)\b")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # of the opening fence, 1-based
    info: str
    lines: tuple[str, ...]

    def where(self, offset: int = 0) -> str:
        return f"{self.doc}:{self.line + 1 + offset}"


def blocks(doc: str) -> list[Block]:
    """The fenced code blocks of ``doc`` (a path relative to the repository)."""
    found, current, start, info = [], None, 0, ""
    for number, text in enumerate((REPO / doc).read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^```(.*)$", text)
        if fence and current is None:
            current, start, info = [], number, fence.group(1).strip()
        elif fence:
            found.append(Block(doc, start, info, tuple(current)))
            current = None
        elif current is not None:
            current.append(text)
    return found


def commands(block: Block) -> list[tuple[int, str, int]]:
    """(offset in the block, command, expected exit code) for each command line."""
    found = []
    for offset, text in enumerate(block.lines):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        expected = EXPECTED_EXIT.search(text)
        found.append((offset, text, int(expected.group(1)) if expected else 0))
    return found


def _environment(library: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HVLAB_LIBRARY"] = str(library)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_block(block: Block, library: Path) -> None:
    """Run the block's commands in one shell, in order, each against its expected code."""
    script = ["set -u"]
    for offset, text, expected in commands(block):
        command = re.sub(r"^export HVLAB_LIBRARY=\S+", "export HVLAB_LIBRARY=\"$DOC_LIBRARY\"",
                         text.strip())
        script.append(
            f"{command}\ncode=$?\nif [ $code -ne {expected} ]; then echo "
            f"{shlex.quote(block.where(offset))}: exited $code, the doc says {expected}: "
            f"{shlex.quote(text.strip())} >&2; exit 1; fi")
    env = _environment(library) | {"DOC_LIBRARY": str(library)}
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr


def _runnable(doc: str, info: str) -> list[Block]:
    return [b for b in blocks(doc) if b.info == info and commands(b)]


README_BLOCKS = _runnable("README.md", "sh runnable")
CLI_BLOCKS = _runnable("docs/cli.md", "sh")


def test_the_docs_have_runnable_examples() -> None:
    # Guards the tests below against passing on a renamed marker or a rewritten page.
    assert README_BLOCKS and CLI_BLOCKS
    assert any("hvctl" in text for b in README_BLOCKS for _, text, _ in commands(b))


@pytest.mark.parametrize("block", README_BLOCKS + CLI_BLOCKS, ids=lambda b: b.where(-1))
def test_documented_commands_exit_as_documented(block: Block, tmp_path: Path) -> None:
    run_block(block, tmp_path / "lab")


@dataclass(frozen=True)
class Example:
    where: str
    command: str
    output: tuple[str, ...]


def cli_error_examples() -> list[Example]:
    """The ``$ hvctl …`` examples of docs/cli.md's text blocks, with the lines each prints."""
    found: list[Example] = []
    for block in blocks("docs/cli.md"):
        if block.info != "text":
            continue
        for offset, text in enumerate(block.lines):
            if text.startswith("$ hvctl"):
                found.append(Example(block.where(offset), text[2:], ()))
            elif text.strip() and found:
                last = found[-1]
                found[-1] = Example(last.where, last.command, (*last.output, text))
    return found


def _pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in line.split("…")) + r"\Z")


@pytest.mark.parametrize("example", cli_error_examples(), ids=lambda e: e.where)
def test_documented_error_messages(example: Example, tmp_path: Path) -> None:
    command, _, note = example.command.partition("#")
    home = tmp_path / "home"
    env = _environment(tmp_path / "lab") | {"HOME": str(home)}
    holder = None
    if "while hvlab has the library open" in note:
        # The example's library is the default one, and the doc's HOME is /home/me.
        env.pop("HVLAB_LIBRARY")
        env.pop("XDG_DATA_HOME", None)
        library = home / ".local" / "share" / "hvlab" / "library"
        holder = open_library(library, program="hvlab")
    try:
        result = subprocess.run(shlex.split(command), cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
    finally:
        if holder is not None:
            holder.close()
    wanted = EXPECTED_EXIT.search(example.command)
    assert result.returncode == (int(wanted.group(1)) if wanted else 1), (example.where,
                                                                           result.stderr)
    printed = result.stderr.replace(str(home), "/home/me").replace(
        f"(process {os.getpid()})", "(process 4242)").splitlines()
    assert len(printed) == len(example.output), (example.where, printed)
    for doc_line, line in zip(example.output, printed, strict=True):
        assert _pattern(doc_line).match(line), (example.where, doc_line, line)


def test_the_error_examples_were_found() -> None:
    examples = cli_error_examples()
    assert [e.command.split("#")[0].strip() for e in examples] == [
        "hvctl clock advance nan", "hvctl vm start SQL-BIG", "hvctl vm show NOBODY",
        "hvctl host set --root-load 150", "hvctl vm list --server 127.0.0.1:1 --token x",
        "hvctl vm list", "hvctl vm migrate W2K8-DC01 --to LAB-HOST-01 --live",
        "hvctl cluster validate LAB-HOST-01 NOBODY"]
