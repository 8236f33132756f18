"""The VM list as the last close left it: ``vm-list.cache``, read without opening the lab.

``hvctl vm list`` only shows what the library's last commit holds, so rebuilding the whole
lab (the simulation, numpy, every host and VM) to print it costs far more than the list
itself.  When a library is closed, the rows of its VM list are written beside the commit
(best effort, like the counter history), with what they were taken from: the number of the
commit (``state.json``'s own) and the size and modification time of every file that commit
names.  A reader that holds the lock uses the rows only when all of that is still so; any
difference (a later commit, a crash, a file changed or damaged by hand, a cache of another
build) makes it return None, and the caller opens the library the full way, which reports
and repairs what it finds.  The cache is never part of a commit: deleting it loses nothing.

This module imports only the lock and the file helpers, so that reading the list stays
cheap (docs/performance.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from hvlab.engine.library.files import write_atomic
from hvlab.engine.library.schema import CURRENT, STATE

LISTING_FILE = "vm-list.cache"
LISTING_FORMAT = "hvlab.vm-list"
LISTING_SCHEMA = 1
#: The commit record's name (hvlab.engine.library.library.STATE_FILE; not imported, so that
#: reading the list loads nothing of the lab).
_STATE_FILE = "state.json"
#: ``encode`` writes the envelope's fields in this order on the first line.  Only a
#: ``state.json`` of this build's schema counts: one another build wrote is for the full
#: open to upgrade or refuse.
_STATE_HEAD = re.compile(
    rb'^\{"format": "hvlab\.state", "schema": %d, "commit": (\d+),' % CURRENT[STATE])

Json = dict[str, Any]


def state_commit(folder: Path) -> int | None:
    """The commit number in ``state.json``'s envelope, read from its first bytes only."""
    try:
        with open(folder / _STATE_FILE, "rb") as f:
            head = f.read(160)
    except OSError:
        return None
    match = _STATE_HEAD.match(head)
    return int(match.group(1)) if match else None


def _stamp(folder: Path, names: list[str]) -> list[list[int]] | None:
    """(size, mtime_ns) of each file, None when one is missing."""
    base = os.path.join(folder, "")
    out = []
    try:
        for name in names:
            st = os.stat(base + name)  # a string: thousands of Path objects cost more
            out.append([st.st_size, st.st_mtime_ns])
    except OSError:
        return None
    return out


def write_listing(folder: Path, commit: int, files: list[Path], rows: list[Json]) -> None:
    """Write the rows of the VM list as of ``commit`` (just finished), with the stamps of
    ``files`` (every file that commit names) and of ``state.json``.  Raises OSError.

    The file is a header line (format, schema, commit, the SHA-256 of the rest) and the
    data as one line of JSON: the checksum is taken over the bytes as written, so neither
    side converts the rows twice."""
    prefix = len(str(folder)) + 1
    names = [_STATE_FILE, *sorted(str(p)[prefix:] for p in files)]
    stamps = _stamp(folder, names)
    if stamps is None or state_commit(folder) != commit:
        return
    body = json.dumps({"state_commit": commit, "files": names, "stamps": stamps,
                       "rows": rows}, ensure_ascii=False, separators=(",", ":")).encode()
    head = json.dumps({"format": LISTING_FORMAT, "schema": LISTING_SCHEMA, "commit": commit,
                       "sha256": hashlib.sha256(body).hexdigest()}).encode()
    write_atomic(folder / LISTING_FILE, head + b"\n" + body + b"\n")


def read_listing(folder: Path) -> list[Json] | None:
    """The rows the last close wrote, if they still describe the library; else None.  The
    caller holds the library's lock."""
    try:
        raw = (folder / LISTING_FILE).read_bytes()
        head_line, _, body = raw.partition(b"\n")
        head = json.loads(head_line)
        if not (isinstance(head, dict) and head.get("format") == LISTING_FORMAT
                and head.get("schema") == LISTING_SCHEMA and isinstance(head.get("commit"), int)
                and head.get("sha256") == hashlib.sha256(body.rstrip(b"\n")).hexdigest()):
            return None
        data = json.loads(body)
    except (OSError, ValueError):
        return None
    commit = head["commit"]
    if not isinstance(data, dict) or data.get("state_commit") != commit:
        return None
    names, stamps, rows = data.get("files"), data.get("stamps"), data.get("rows")
    if not (isinstance(names, list) and isinstance(rows, list)
            and all(isinstance(n, str) and not os.path.isabs(n) and ".." not in n.split("/")
                    for n in names)
            and all(isinstance(r, dict) for r in rows)):
        return None
    if state_commit(folder) != commit or _stamp(folder, names) != stamps:
        return None
    return rows
