"""Write the manual pages hvlab.1, hvctl.1 and hvlab-server.1 from the parsers that print
``--help``.

``python packaging/manpages.py [DIR]`` (default packaging/man) renders each parser with
argparse-manpage, adds the sections a parser cannot say (environment, files, see also), and
dates the pages by the newest release in packaging/CHANGELOG.md, so they change only when
their source does.  tests/packaging checks that the pages in the repository are current.
"""

from __future__ import annotations

import datetime
import importlib
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = ROOT / "packaging" / "CHANGELOG.md"

ENVIRONMENT = r"""
.SH ENVIRONMENT
.TP
.B HVLAB_LIBRARY
The library folder to open when \fB\-\-library\fR is not given.
.TP
.B HVLAB_RESOURCES
A folder to read host profiles, the guest catalogue and icons from instead of the installed
ones.
.TP
.B HVLAB_CONFIG
A folder to use instead of the user configuration folder for the server's tokens and
certificate (its \fBserver\fR subfolder) and for the certificates of the servers a client
has trusted.
.TP
.B HVLAB_TOKEN
The access token \fBhvctl \-\-server\fR sends when \fB\-\-token\fR is not given.
.SH FILES
.TP
.I ~/.local/share/hvlab/library
The default library (the user data folder; \fB$XDG_DATA_HOME\fR moves it).  It is created
with the demo lab on first use and is never removed by uninstalling hvlab.
"""

#: program -> (module with build_parser, the NAME line, the SEE ALSO line)
PAGES = {
    "hvlab": ("hvlab.gui.app", "Hyper-V Manager for a simulated lab",
              r"\fBhvctl\fR(1)"),
    "hvctl": ("hvlab.hvctl.parser", "drive an hvlab library from scripts",
              r"\fBhvlab\fR(1)"),
    "hvlab-server": ("hvlab.hvctl.serve", "serve an hvlab library to consoles on the network",
                     r"\fBhvctl\fR(1), \fBhvlab\fR(1)"),
}


def release() -> tuple[str, str]:
    """The newest release in the changelog: (version, ISO date)."""
    found = re.search(r"^## \[(\d[^\]]*)\] - (\d{4}-\d{2}-\d{2})$",
                      CHANGELOG.read_text(encoding="utf-8"), re.M)
    if found is None:
        raise ValueError(f"{CHANGELOG} names no release (## [X.Y.Z] - YYYY-MM-DD)")
    return found.group(1), found.group(2)


def page(program: str) -> str:
    """The manual page of ``program`` as roff text."""
    os.environ["COLUMNS"] = "80"  # argparse wraps usage lines to the terminal's width
    from argparse_manpage.manpage import Manpage

    module, summary, see_also = PAGES[program]
    version, date = release()
    parser = importlib.import_module(module).build_parser()
    manpage = Manpage(parser)
    manpage.date = date.replace("-", r"\-")
    manpage.source = f"hvlab {version}"
    manpage.manual = "hvlab manual"
    manpage.description = summary
    return str(manpage).rstrip("\n") + "\n" + ENVIRONMENT.lstrip("\n") + \
        f".SH SEE ALSO\n{see_also}\n"


def write_pages(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for program in PAGES:
        target = folder / f"{program}.1"
        target.write_text(page(program), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    datetime.date.fromisoformat(release()[1])  # a malformed date fails here, not in man
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "man"
    for path in write_pages(out):
        print(path)
