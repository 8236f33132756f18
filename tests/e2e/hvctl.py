"""Run ``hvctl`` as a separate process, as a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).parent / "hvctl"
#: The installed console script when there is one (what users run), else the module.
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hvlab.hvctl"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.pop("HVLAB_LIBRARY", None)
    return e


def hvctl(library: Path, *args: str, check: bool = True) -> Result:
    proc = subprocess.run([*COMMAND, "--library", str(library), *args], capture_output=True,
                          text=True, cwd=REPO, env=env(), timeout=120)
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    if check and result.code != 0:
        raise AssertionError(f"hvctl {' '.join(args)} exited {result.code}:\n{result.err}")
    return result
