"""File formats of a library, their schema versions, and the migrations between them.

Each JSON file names its ``format`` and ``schema``.  Reading a file runs the registered
migrations one version at a time up to :data:`CURRENT`; the upgraded file is written back
at the next commit.  A file newer than this build knows is refused with a message rather
than guessed at, and never rewritten.

Schema 0 is the layout of early development builds: the bare data object, with no envelope,
commit stamp or checksum.  Its migrations wrap the data and add what schema 1 needs.  Add a
migration for every change of a format's layout, as ``@migration(FORMAT, from_version)``.
"""

from __future__ import annotations

import ntpath
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any

Json = dict[str, Any]

LIBRARY = "hvlab.library"
STATE = "hvlab.state"
HOST = "hvlab.host"
VM_CONFIG = "hvlab.vm-config"
VM_RUNTIME = "hvlab.vm-runtime"
LOCK = "hvlab.lock"

#: The schema each format is written in by this build.
CURRENT: dict[str, int] = {LIBRARY: 1, STATE: 1, HOST: 1, VM_CONFIG: 2, VM_RUNTIME: 2}
#: The event log's SQLite ``PRAGMA user_version`` this build writes.
EVENT_LOG_SCHEMA = 1

Migration = Callable[[Json], Json]
MIGRATIONS: dict[tuple[str, int], Migration] = {}


class SchemaError(Exception):
    """A file whose schema this build cannot read (too new, or no migration path)."""


def migration(fmt: str, from_version: int) -> Callable[[Migration], Migration]:
    """Register ``fn`` to turn ``fmt`` data of schema ``from_version`` into the next one."""

    def register(fn: Migration) -> Migration:
        key = (fmt, from_version)
        if key in MIGRATIONS:
            raise ValueError(f"two migrations for {fmt} schema {from_version}")
        MIGRATIONS[key] = fn
        return fn

    return register


def upgrade(fmt: str, schema: int, data: Json) -> tuple[Json, int]:
    """Run the migrations of ``fmt`` from ``schema`` to the current one.

    Returns the data and the schema it came in with.  Raises :class:`SchemaError` for an
    unknown format, a schema newer than this build, or a missing migration step.
    """
    if fmt not in CURRENT:
        raise SchemaError(f"unknown file format '{fmt}'")
    target = CURRENT[fmt]
    if schema > target:
        raise SchemaError(f"it was written by a newer hvlab (schema {schema}; this version "
                          f"reads up to schema {target})")
    version = schema
    while version < target:
        step = MIGRATIONS.get((fmt, version))
        if step is None:
            raise SchemaError(f"no migration from schema {version} of {fmt}")
        data = step(data)
        version += 1
    return data, schema


def sniff_v0(doc: Json, expected_format: str) -> tuple[str, int, Json] | None:
    """Recognise a schema-0 file (bare data, no envelope) of ``expected_format``."""
    if "format" in doc or "sha256" in doc:
        return None
    keys = _V0_KEYS.get(expected_format)
    if keys is None or not keys <= doc.keys():
        return None
    return expected_format, 0, doc


#: Fields every schema-0 document of a format had (how a bare file is recognised).
_V0_KEYS: dict[str, set[str]] = {
    LIBRARY: {"seed"},
    STATE: {"now_us", "hosts"},
    HOST: {"id", "name", "profile", "hardware"},
    VM_CONFIG: {"id", "name", "schema"},
    VM_RUNTIME: {"state", "slot", "key"},
}


@migration(LIBRARY, 0)
def _library_0_to_1(data: Json) -> Json:
    out = dict(data)
    out.setdefault("created_by", "hvlab (development build)")
    return out


@migration(STATE, 0)
def _state_0_to_1(data: Json) -> Json:
    # Schema 0 kept no commit stamps: each host and VM entry now names the commit its files
    # were written at (None: any valid file is accepted, as for a fresh import).
    out = dict(data)
    out.setdefault("unavailable", [])
    hosts = []
    for h in data["hosts"]:
        h = dict(h)
        h.setdefault("settings_commit", None)
        runtime = dict(h["runtime"])
        if "scalars" not in runtime:
            runtime["scalars"] = {k: runtime.pop(k) for k in
                                  ("boot_count", "rebooting", "root_cpu_lp") if k in runtime}
        hv = runtime.get("hypervisor")
        if isinstance(hv, dict) and "scalars" not in hv:
            hv = dict(hv)
            hv["scalars"] = {"_next_id": hv.pop("next_id")}
            runtime["hypervisor"] = hv
        h["runtime"] = runtime
        h["vms"] = [{"id": v["id"] if isinstance(v, dict) else v,
                     "config_commit": None, "runtime_commit": None}
                    for v in h["vms"]]
        hosts.append(h)
    out["hosts"] = hosts
    return out


@migration(HOST, 0)
def _host_0_to_1(data: Json) -> Json:
    out = dict(data)
    out.setdefault("pending_hardware", None)
    return out


@migration(VM_CONFIG, 0)
def _vm_config_0_to_1(data: Json) -> Json:
    # Schema 0 was VmConfig.to_dict() written bare; its own "schema" key stays inside.
    return dict(data)


@migration(VM_RUNTIME, 0)
def _vm_runtime_0_to_1(data: Json) -> Json:
    out = dict(data)
    out.setdefault("console_serial", len(out.get("console", [])))
    return out


# -- schema 2: paths inside the library are kept relative to it --------------------------------

#: A folder only a library makes: ``vms/<id>`` or ``imports/<id>`` (the id in UUID form).
_LIBRARY_FOLDER = re.compile(r"[/\\](?:vms|imports)[/\\][0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}"
                             r"[0-9A-Fa-f]{12}(?=[/\\])")


def _is_absolute(path: str) -> bool:
    return posixpath.isabs(path) or ntpath.isabs(path)


def _old_root(paths: Iterator[str]) -> str | None:
    """The folder the library was in when it wrote these absolute paths, found from a path
    into a folder only a library makes (its own VM or import folders)."""
    for path in paths:
        if isinstance(path, str) and _is_absolute(path):
            matches = list(_LIBRARY_FOLDER.finditer(path))
            if matches:
                return path[:matches[-1].start()]
    return None


def _under(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` (POSIX separators), or None when it is not under it."""
    for sep in ("/", "\\"):
        if path.startswith(root + sep):
            return path[len(root) + 1:].replace("\\", "/")
    return None


def _drive_paths(config: Json) -> Iterator[str]:
    for drive in config.get("hard_drives", []) or []:
        if isinstance(drive, dict) and isinstance(drive.get("path"), str):
            yield drive["path"]


def _relative_drives(config: Json) -> Json:
    """Configured disks a library copied in (``<library>/imports/<id>/...``) become relative
    to its Virtual Hard Disks folder, as every disk inside it is."""
    root = _old_root(p for p in _drive_paths(config) if "imports" in p)
    if root is None:
        return config
    drives = []
    for drive in config["hard_drives"]:
        rest = _under(drive.get("path", ""), root) if isinstance(drive, dict) else None
        if rest is not None and rest.startswith("imports/"):
            drive = dict(drive, path="../" + rest)
        drives.append(drive)
    return dict(config, hard_drives=drives)


@migration(VM_CONFIG, 1)
def _vm_config_1_to_2(data: Json) -> Json:
    return _relative_drives(data)


@migration(VM_RUNTIME, 1)
def _vm_runtime_1_to_2(data: Json) -> Json:
    # Checkpoint disks, current disks and chain links were absolute: a copied library wrote
    # into the original.  Those inside the library become relative to it.
    out = dict(data)
    current = out.get("current_disks") or {}
    links = out.get("disk_parents") or {}
    checkpoints = out.get("checkpoints") or []
    every = [*current.values(), *links, *links.values(),
             *(v for cp in checkpoints if isinstance(cp, dict)
               for v in (cp.get("disks") or {}).values())]
    root = _old_root(iter(every))

    def rel(path: Any) -> Any:
        if root is None or not isinstance(path, str):
            return path
        inside = _under(path, root)
        return path if inside is None else inside

    out["current_disks"] = {k: rel(v) for k, v in current.items()}
    out["disk_parents"] = {rel(c): rel(p) for c, p in links.items()}
    out["checkpoints"] = [
        dict(cp, disks={k: rel(v) for k, v in (cp.get("disks") or {}).items()},
             config=_relative_drives(cp["config"]) if isinstance(cp.get("config"), dict)
             else cp.get("config"))
        if isinstance(cp, dict) else cp for cp in checkpoints]
    return out
