"""``hvctl completion SHELL`` prints a script generated from hvctl's parser, and each shell
completes hvctl's commands with it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.hvctl import COMMAND, env


def _script(shell: str, folder: Path) -> Path:
    result = subprocess.run([*COMMAND, "completion", shell], capture_output=True, text=True,
                            env=env(), timeout=60, check=True)
    path = folder / f"hvctl.{shell}"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing (the Makefile's SYSTEM_PACKAGES installs it)")
        pytest.skip(f"{name} is not installed (make test installs it as root)")
    return path


def test_bash_completes_areas_actions_and_options(tmp_path: Path) -> None:
    script = _script("bash", tmp_path)
    probe = f"""
source {script}
function_name=$(complete -p hvctl | sed -E 's/.*-F ([^ ]+).*/\\1/')
complete_line() {{
    COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
    read -r -a COMP_WORDS <<< "$1"
    [[ "$1" == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
    COMPREPLY=()
    "$function_name" hvctl "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"
    echo "$1=> ${{COMPREPLY[*]}}"
}}
complete_line "hvctl v"
complete_line "hvctl vm sta"
complete_line "hvctl completion "
"""
    out = subprocess.run([_shell("bash"), "--norc", "-c", probe], capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert set(out[0].split("=> ")[1].split()) == {"vm", "vhd"}
    assert out[1].split("=> ")[1].split() == ["start"]
    assert set(out[2].split("=> ")[1].split()) == {"bash", "zsh", "fish"}


def test_fish_completes_areas_and_actions(tmp_path: Path) -> None:
    script = _script("fish", tmp_path)
    probe = f"source {script}; complete -C 'hvctl v'; echo SPLIT; complete -C 'hvctl vm sta'"
    out = subprocess.run([_shell("fish"), "--no-config", "-c", probe], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    areas, actions = out.split("SPLIT\n")
    assert {line.split("\t")[0] for line in areas.splitlines()} == {"vm", "vhd"}
    assert [line.split("\t")[0] for line in actions.splitlines()] == ["start"]


def test_zsh_script_is_a_completion_function_zsh_can_parse(tmp_path: Path) -> None:
    script = _script("zsh", tmp_path)
    assert script.read_text(encoding="utf-8").startswith("#compdef hvctl")
    subprocess.run([_shell("zsh"), "--no-rcs", "-n", str(script)], check=True, timeout=60)


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = subprocess.run([*COMMAND, "completion", "tcsh"], capture_output=True, text=True,
                            env=env(), timeout=60)
    assert result.returncode == 2
    assert "invalid choice: 'tcsh'" in result.stderr
