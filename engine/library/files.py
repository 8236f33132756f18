"""Library files: atomic writes and self-checking JSON documents.

Every JSON file of a library is an *envelope*::

    {"format": "hvlab.vm-config", "schema": 1, "commit": 12, "sha256": "...", "data": {...}}

``format`` and ``schema`` say what the file is and which layout it has (see
:mod:`hvlab.engine.library.schema`); ``commit`` is the library commit that wrote it; ``sha256`` is
the digest of ``data`` in canonical form (compact separators, keys in written order).  A file
that does not parse, lacks a field or fails its digest is *damaged*: it is never read as
valid, whatever happened to it.

Writes go to a temporary file in the same folder, are flushed and fsynced, renamed over the
target and the folder is fsynced, so the target is always either the old or the new file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvlab.engine import fileguard

TEMP_SUFFIX = ".tmp"
PREVIOUS_SUFFIX = ".prev"


class DamagedFileError(Exception):
    """A library file that cannot be used; ``str()`` names the file and says why."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class Document:
    """A verified envelope: what was in the file, and the raw bytes' commit stamp."""

    path: Path
    format: str
    schema: int
    commit: int | None
    data: dict[str, Any]


def canonical(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


def encode(fmt: str, schema: int, commit: int | None, data: dict[str, Any],
           indent: int | None = None) -> bytes:
    envelope = {"format": fmt, "schema": schema, "commit": commit, "sha256": digest(data),
                "data": data}
    return json.dumps(envelope, indent=indent, ensure_ascii=False).encode("utf-8") + b"\n"


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (no-op where folders cannot be opened)."""
    fileguard.sync_folder(path)


def write_atomic(path: Path, payload: bytes, *, keep_previous: bool = False) -> None:
    """Replace ``path`` with ``payload`` so that a crash leaves the old or the new file.

    With ``keep_previous`` the file being replaced is first renamed to ``<name>.prev``, so
    the version the last commit refers to survives until the next commit is complete.
    """
    fileguard.write_atomic(path, payload, keep_previous=keep_previous,
                           previous=previous_of(path))


def previous_of(path: Path) -> Path:
    return path.with_name(path.name + PREVIOUS_SUFFIX)


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def read_raw(path: Path) -> dict[str, Any]:
    """Parse ``path`` as a JSON object (no envelope check); DamagedFileError if it is not."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DamagedFileError(path, "the file is missing") from None
    except OSError as exc:
        raise DamagedFileError(path, f"the file cannot be read ({exc.strerror})") from None
    if not raw.strip():
        raise DamagedFileError(path, "the file is empty")
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFileError(path, f"the file is not valid JSON ({exc}); it may be "
                                     "truncated") from None
    if not isinstance(doc, dict):
        raise DamagedFileError(path, "the file does not hold a JSON object")
    return doc


def verify(path: Path, doc: dict[str, Any]) -> Document:
    """Check an envelope's fields and digest."""
    for key, kind in (("format", str), ("schema", int), ("data", dict), ("sha256", str)):
        if not isinstance(doc.get(key), kind):
            raise DamagedFileError(path, f"the file has no valid '{key}' field")
    commit = doc.get("commit")
    if commit is not None and not isinstance(commit, int):
        raise DamagedFileError(path, "the file has no valid 'commit' field")
    if digest(doc["data"]) != doc["sha256"]:
        raise DamagedFileError(path, "the checksum does not match the contents; the file "
                                     "was changed or damaged outside hvlab")
    return Document(path, doc["format"], doc["schema"], commit, doc["data"])
