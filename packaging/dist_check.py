"""Build hvlab as a user gets it and check that the installed copy works on its own.

``python packaging/dist_check.py`` (what ``make dist-check`` runs):

1. ``python -m build``: an sdist, and a wheel built from that sdist; ``twine check`` both.
2. The wheel installs one import package and carries every file of resources/ as its data,
   the manual pages as data files, and nothing of the checkout.
3. ``pipx install`` of the wheel into a temporary PIPX_HOME outside the checkout, then from
   a clean environment (no venv on PATH, HOME a temporary folder): ``hvctl --version``,
   ``hvctl vm list`` on a temporary library and on the default one (the first start creates
   it in the user data folder), ``hvctl completion bash``, the manual pages linked, the
   console offscreen to its first window, and ``pipx uninstall``, which leaves the library.
4. desktop-file-validate and ``appstreamcli validate --no-net`` on packaging/.

Exits non-zero with the failing step's message; prints each step's time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from import_view import package_dir  # this script's folder is first on sys.path
from render_icons import APP_ID

ROOT = Path(__file__).resolve().parent.parent
CLEAN_PATH = "/usr/bin:/bin"


class CheckFailed(Exception):
    pass


@contextmanager
def step(title: str) -> Iterator[None]:
    started = time.monotonic()
    print(f"-- {title}", flush=True)
    yield
    print(f"   ok ({time.monotonic() - started:.1f} s)", flush=True)


def run(command: Sequence[str | Path], *, env: dict[str, str] | None = None,
        cwd: Path | None = None, expect: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            env=env, cwd=cwd, timeout=600, check=False)
    if result.returncode != expect:
        raise CheckFailed(f"{' '.join(map(str, command))} exited {result.returncode} "
                          f"(expected {expect}):\n{result.stdout}{result.stderr}")
    return result


def build(out: Path) -> tuple[Path, Path]:
    run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"expected one wheel and one sdist in {out}, found "
                          f"{[p.name for p in out.iterdir()]}")
    run([sys.executable, "-m", "twine", "check", "--strict", wheels[0], sdists[0]])
    return wheels[0], sdists[0]


def check_wheel(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    code = [n for n in names if ".dist-info/" not in n and ".data/" not in n]
    top = {n.split("/")[0] for n in code}
    mapped = {name.split(".")[0] for name in package_dir()}
    if top != mapped or len(top) != 1:
        raise CheckFailed(f"the wheel installs the import names {sorted(top)}; it must claim "
                          "exactly one, the package that pyproject.toml's package-dir maps "
                          f"every folder into (now {sorted(mapped)})")
    for name, folder in package_dir().items():
        prefix = name.replace(".", "/") + "/"
        shipped = {n.removeprefix(prefix) for n in code if n.startswith(prefix)}
        tracked = run(["git", "ls-files", folder], cwd=ROOT).stdout.split()
        missing = [t for t in tracked if t.removeprefix(folder + "/") not in shipped]
        if missing:
            raise CheckFailed(f"the wheel lacks {missing[:5]} ({len(missing)} files of "
                              f"{folder}/)")
    for page in ("hvlab.1", "hvctl.1"):
        if not any(n.endswith(f".data/data/share/man/man1/{page}") for n in names):
            raise CheckFailed(f"the wheel lacks the manual page {page}")
    print(f"   wheel: {wheel.name}, {wheel.stat().st_size / 1e6:.2f} MB, "
          f"{len(code)} files under {sorted(top)[0]}/")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's fresh login: no venv, no checkout, nothing of ours."""
    return {"PATH": CLEAN_PATH, "HOME": str(home), "LANG": "C.UTF-8", **extra}


def check_installed(wheel: Path, work: Path) -> None:
    home = work / "home"
    home.mkdir()
    # pip keeps this machine's settings (index, certificates) and its cache.
    pip_settings = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    pip_settings.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    pipx_env = clean_env(home, PIPX_HOME=str(work / "pipx"), PIPX_BIN_DIR=str(work / "bin"),
                         PIPX_MAN_DIR=str(work / "man"), **pip_settings)
    pipx = Path(sys.executable).with_name("pipx")
    run([pipx, "install", "--python", sys.executable, wheel], env=pipx_env)
    bin_dir = work / "bin"
    hvctl, hvlab = bin_dir / "hvctl", bin_dir / "hvlab"
    user = clean_env(home)

    version = run([hvctl, "--version"], env=user, cwd=work).stdout.strip()
    print(f"   hvctl --version: {version}")
    listed = run([hvctl, "--library", work / "lab", "vm", "list"], env=user, cwd=work)
    if "XP-CLIENT" not in listed.stdout:
        raise CheckFailed(f"a new library should hold the demo lab:\n{listed.stdout}")
    run([hvctl, "vm", "start", "SQL-BIG"], env={**user, "HVLAB_LIBRARY": str(work / "lab")},
        cwd=work, expect=1)
    default_library = home / ".local" / "share" / "hvlab" / "library"
    run([hvctl, "vm", "list"], env=user, cwd=work)
    if not (default_library / "library.json").is_file():
        raise CheckFailed(f"the first start did not create {default_library}")
    if not run([hvctl, "completion", "bash"], env=user, cwd=work).stdout.startswith("#"):
        raise CheckFailed("hvctl completion bash printed no script")
    for page in ("hvlab.1", "hvctl.1"):
        if not (work / "man" / "man1" / page).exists():
            raise CheckFailed(f"pipx did not install the manual page {page}")

    started = time.monotonic()
    shown = run([hvlab, "--probe-first-paint", "--clock", "manual"],
                env={**user, "QT_QPA_PLATFORM": "offscreen"}, cwd=work)
    if "FIRST_PAINT" not in shown.stdout or "LAB_PAINT" not in shown.stdout:
        raise CheckFailed(f"the console did not paint its window:\n{shown.stdout}"
                          f"{shown.stderr}")
    print(f"   console offscreen: first window and lab painted, exited in "
          f"{time.monotonic() - started:.1f} s")

    run([pipx, "uninstall", "hvlab"], env=pipx_env)
    if hvctl.exists() or not (default_library / "library.json").is_file():
        raise CheckFailed("pipx uninstall must remove hvctl and leave the user's library")


def validate_desktop_files() -> None:
    for command in (["desktop-file-validate", ROOT / "packaging" / f"{APP_ID}.desktop"],
                    ["appstreamcli", "validate", "--no-net",
                     ROOT / "packaging" / f"{APP_ID}.metainfo.xml"]):
        if shutil.which(str(command[0])) is None:
            raise CheckFailed(f"{command[0]} is missing (the Makefile's SYSTEM_PACKAGES "
                              "installs it)")
        result = run(command)
        remarks = (result.stdout + result.stderr).strip() or "passed, no remarks"
        print(f"   {command[0]}: {remarks}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hvlab-dist-check-") as tmp:
        work = Path(tmp)
        try:
            with step("python -m build (sdist, then the wheel from it); twine check"):
                wheel, _ = build(work / "dist")
            with step("the wheel's contents"):
                check_wheel(wheel)
            with step("pipx install into a clean home; hvctl, the console, uninstall"):
                check_installed(wheel, work)
            with step("desktop-file-validate, appstreamcli validate --no-net"):
                validate_desktop_files()
        except CheckFailed as failure:
            print(f"dist-check failed: {failure}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
