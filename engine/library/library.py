"""The library: a lab on disk, opened by one process at a time.

Layout (see docs/library.md)::

    library.json                 identity: seed, who created it
    library.lock                 flock; names the holder (program, pid)
    state.json                   the commit record: clock, queue, jobs, per-VM table,
                                 host runtime, and the commit stamp of every host/VM file
    hosts/<host id>/host.json    a host's profile and settings
    vms/<vm id>/config.json      a VM's configuration
    vms/<vm id>/runtime.json     a VM's runtime: state, guest phase, saved state, console
    events.sqlite                the event log

A *commit* writes the host and VM files that changed (each stamped with the commit number,
the replaced version kept as ``<name>.prev``), then the event log rows, then ``state.json``,
whose atomic rename is the commit point.  Opening reads ``state.json`` and takes each file
at the stamp it names, from the file or its ``.prev``; anything newer belongs to a commit
that never finished and is rolled back.  So after a crash at any instant the library opens
in the state of its last finished commit.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from engine import events as ev
from engine.api import ManagementApi
from engine.clock import seconds_to_us
from engine.config import VmConfig
from engine.errors import NotFoundError
from engine.lab import EVENT_LOG_KEEP, STEP_US, Lab
from engine.library import schema
from engine.library.errors import LibraryError, LibraryLockedError
from engine.library.eventlog import EventLogError, EventLogStore
from engine.library.files import (
    DamagedFileError,
    encode,
    fsync_dir,
    is_temporary,
    previous_of,
    read_raw,
    verify,
    write_atomic,
)
from engine.library.lock import LOCK_NAME, LibraryLock, LockHeldError
from engine.library.schema import SchemaError
from engine.library.state import (
    Json,
    attach_vm_off,
    restore_lab,
    snapshot_lab,
)
from engine.noise import spawn_key
from engine.profiles import HostHardware, get_profile

LIBRARY_FILE = "library.json"
STATE_FILE = "state.json"
EVENTS_FILE = "events.sqlite"
HOSTS_DIR = "hosts"
VMS_DIR = "vms"
HOST_FILE = "host.json"
CONFIG_FILE = "config.json"
RUNTIME_FILE = "runtime.json"
DAMAGED_SUFFIX = ".damaged"

#: Simulated seconds between automatic commits while only the clock moves.
AUTOSAVE_SECONDS = 30.0

_ROOT_NAMES = {LIBRARY_FILE, STATE_FILE, LOCK_NAME, EVENTS_FILE, f"{EVENTS_FILE}-wal",
               f"{EVENTS_FILE}-shm", f"{EVENTS_FILE}-journal", HOSTS_DIR, VMS_DIR}
_VM_NAMES = {CONFIG_FILE, RUNTIME_FILE, f"{CONFIG_FILE}.prev", f"{RUNTIME_FILE}.prev"}
_HOST_NAMES = {HOST_FILE, f"{HOST_FILE}.prev"}


def default_library_path() -> Path:
    """``$HVLAB_LIBRARY``, else ``<user data dir>/hvlab/library`` (platformdirs)."""
    override = os.environ.get("HVLAB_LIBRARY")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("hvlab")) / "library"


@dataclass
class _Loaded:
    data: Json
    stamp: int | None
    upgraded: bool
    schema: int


class Library:
    """An open library.  Use :func:`open_library`; the lab is driven through :attr:`api`.

    ``messages`` holds what the open found and repaired or skipped (a damaged file, an
    upgraded schema), one sentence each, naming the file.
    """

    def __init__(self, path: Path, lock: LibraryLock, *, autosave_seconds: float) -> None:
        self.path = path
        self.messages: list[str] = []
        #: Silent repairs of an unfinished commit (for tests and diagnostics).
        self.repairs: list[str] = []
        self._lock = lock
        self._autosave_us = seconds_to_us(autosave_seconds)
        self._store: EventLogStore | None = None
        self._api: LibraryApi | None = None
        self._commit = 0  # the last finished commit
        self._attempt = 0  # the last commit number used (finished or not)
        # path -> (stamp, data) of the file on disk, and the stamp the last commit names.
        self._disk: dict[Path, tuple[int | None, Json | None]] = {}
        self._committed: dict[Path, int | None] = {}
        self._pending: list[ev.LogEntry] = []
        self._dirty = True
        self._committed_now_us = -1
        self._unavailable: list[Json] = []
        self._suspended = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    # -- public -----------------------------------------------------------------------------
    @property
    def api(self) -> LibraryApi:
        if self._api is None:  # pragma: no cover - set by open_library
            raise LibraryError("The library is not open.")
        return self._api

    @property
    def lab(self) -> Lab:
        return self.api.lab

    @property
    def commit_number(self) -> int:
        return self._commit

    @property
    def closed(self) -> bool:
        return self._closed

    def commit(self) -> None:
        """Write everything that changed since the last commit; durable when it returns."""
        if self._closed:
            raise LibraryError(f"The library {self.path} is closed.")
        self._write_commit()

    def close(self) -> None:
        """Commit what is left and release the lock.  Safe to call twice."""
        if self._closed:
            return
        try:
            if self._dirty or self._pending or self.lab.now_us != self._committed_now_us:
                self._write_commit()
        finally:
            self._closed = True
            if self._unsubscribe is not None:
                self._unsubscribe()
            if self._store is not None:
                self._store.close()
            self._lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Run several commands and commit once at the end (e.g. building the demo)."""
        self._suspended += 1
        try:
            yield
        finally:
            self._suspended -= 1
        if not self._suspended:
            self._write_commit()

    def events(self, *, vm: str | None = None, level: str | None = None,
               since_seconds: float | None = None, last: int | None = None) -> list[ev.LogEntry]:
        """The event log (every entry kept on disk), oldest first, filtered.

        ``vm`` is a VM name or id; a VM deleted since is matched by the name it had.
        """
        vm_id: str | None = None
        vm_name: str | None = None
        if vm is not None:
            try:
                vm_id = self.api.vm(vm).id
            except NotFoundError:
                vm_name = vm
        since_us = None if since_seconds is None else seconds_to_us(since_seconds)
        assert self._store is not None
        stored = self._store.query(vm_id=vm_id, vm_name=vm_name, level=level, since_us=since_us,
                                   last=last or None)
        rows = [*stored, *self._pending]

        def keep(e: ev.LogEntry) -> bool:
            return ((vm_id is None or e.vm_id == vm_id)
                    and (vm_name is None or e.vm_name.casefold() == vm_name.casefold())
                    and (level is None or e.level.value.casefold() == level.casefold())
                    and (since_us is None or e.time_us >= since_us))

        out = [e for e in rows if keep(e)]
        if vm_name is not None and not out:
            # Neither a VM now nor one in the log: the engine's own wording.
            self.api.vm(vm_name)
        return out[-last:] if last else out

    # -- bus ----------------------------------------------------------------------------------
    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.LogEntry):
            self._pending.append(event)
        self._dirty = True

    def _attach(self, lab: Lab) -> None:
        self._api = LibraryApi(lab, self)
        self._unsubscribe = lab.bus.subscribe(self._on_event)

    def _after_command(self) -> None:
        if not self._suspended and not self._closed:
            self._write_commit()

    def _after_time(self) -> None:
        if self._suspended or self._closed:
            return
        if self.lab.now_us - self._committed_now_us >= self._autosave_us:
            self._write_commit()

    # -- writing --------------------------------------------------------------------------------
    def _vm_dir(self, vm_id: str) -> Path:
        return self.path / VMS_DIR / vm_id

    def _host_dir(self, host_id: str) -> Path:
        return self.path / HOSTS_DIR / host_id

    def _put(self, path: Path, fmt: str, data: Json, stamp: int, indent: int | None) -> int | None:
        """Write ``data`` to ``path`` unless it is there already; returns the stamp to record."""
        on_disk = self._disk.get(path)
        if on_disk is not None and on_disk[1] == data and path.exists():
            return on_disk[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        # Keep the version the last commit names as .prev until this commit is finished;
        # a file from an unfinished attempt is simply overwritten (.prev already holds it).
        keep = on_disk is not None and on_disk[0] == self._committed.get(path)
        write_atomic(path, encode(fmt, schema.CURRENT[fmt], stamp, data, indent),
                     keep_previous=keep)
        self._disk[path] = (stamp, data)
        return stamp

    def _write_commit(self) -> None:
        lab = self.lab
        self._attempt = max(self._attempt, self._commit) + 1
        stamp = self._attempt
        snap = snapshot_lab(lab)
        written: dict[Path, int | None] = {}
        live_vms: set[str] = set()
        live_hosts: set[str] = set()
        try:
            hosts_out = []
            for h in snap["hosts"]:
                settings = h["settings"]
                host_id = settings["id"]
                live_hosts.add(host_id)
                hpath = self._host_dir(host_id) / HOST_FILE
                hstamp = self._put(hpath, schema.HOST, settings, stamp, 2)
                written[hpath] = hstamp
                vm_entries = []
                for v in h["vms"]:
                    cfg = v["config"]
                    vm_id = cfg["id"]
                    live_vms.add(vm_id)
                    folder = self._vm_dir(vm_id)
                    runtime = dict(v["runtime"], host_id=host_id)
                    cstamp = self._put(folder / CONFIG_FILE, schema.VM_CONFIG, cfg, stamp, 2)
                    rstamp = self._put(folder / RUNTIME_FILE, schema.VM_RUNTIME, runtime, stamp,
                                       None)
                    written[folder / CONFIG_FILE] = cstamp
                    written[folder / RUNTIME_FILE] = rstamp
                    vm_entries.append({"id": vm_id, "name": cfg["name"], "config_commit": cstamp,
                                       "runtime_commit": rstamp})
                hosts_out.append({"id": host_id, "name": settings["name"],
                                  "settings_commit": hstamp, "runtime": h["runtime"],
                                  "vms": vm_entries})
            state = {k: v for k, v in snap.items() if k != "hosts"}
            state["hosts"] = hosts_out
            state["unavailable"] = list(self._unavailable)
            assert self._store is not None
            pending = list(self._pending)
            self._store.append(pending, stamp, lab.now_us)
            try:
                write_atomic(self.path / STATE_FILE,
                             encode(schema.STATE, schema.CURRENT[schema.STATE], stamp, state))
            except BaseException:
                with contextlib.suppress(Exception):
                    self._store.roll_back_after(self._commit)
                raise
        except OSError as exc:
            raise LibraryError(
                f"The library {self.path} could not be saved.",
                [f"{exc.filename or self.path}: {exc.strerror or exc}",
                 "The last saved state is intact; the changes since are kept in memory and "
                 "written at the next save."],
            ) from exc
        # Committed.
        self._commit = stamp
        self._committed.update(written)
        del self._pending[:len(pending)]
        self._dirty = False
        self._committed_now_us = lab.now_us
        self._remove_gone(live_hosts, live_vms)

    def _remove_gone(self, live_hosts: set[str], live_vms: set[str]) -> None:
        """Delete the folders of VMs and hosts the committed state no longer has."""
        keep_vms = live_vms | {u["id"] for u in self._unavailable if u.get("kind") == "vm"}
        keep_hosts = live_hosts | {u["id"] for u in self._unavailable if u.get("kind") == "host"}
        for sub, keep in ((VMS_DIR, keep_vms), (HOSTS_DIR, keep_hosts)):
            folder = self.path / sub
            gone = [p for p in list(self._disk) if p.parent.parent == folder
                    and p.parent.name not in keep]
            for path in gone:
                self._disk.pop(path, None)
                self._committed.pop(path, None)
            for name in {p.parent.name for p in gone}:
                shutil.rmtree(folder / name, ignore_errors=True)
            if gone:
                fsync_dir(folder)

    # -- reading --------------------------------------------------------------------------------
    def _note(self, text: str) -> None:
        self.messages.append(text)

    def _read(self, path: Path, fmt: str, expected: int | None, *,
              any_valid: bool = False) -> _Loaded:
        """The version of ``path`` that commit stamp ``expected`` refers to.

        Looks at the file and its ``.prev``.  A ``.prev`` that matches is put back in place
        (the newer file came from an unfinished commit).  ``any_valid`` accepts a valid file
        whatever its stamp (a file restored or copied in by hand).
        """
        prev = previous_of(path)
        first_error: DamagedFileError | None = None
        valid: list[tuple[Path, _Loaded]] = []
        chosen: tuple[Path, _Loaded] | None = None
        for candidate in (path, prev):
            if not candidate.exists():
                if candidate is path:
                    first_error = DamagedFileError(path, "the file is missing")
                continue
            try:
                loaded = self._parse(candidate, fmt)
            except DamagedFileError as exc:
                if candidate is path:
                    first_error = exc
                continue
            valid.append((candidate, loaded))
            if expected is None or loaded.stamp == expected:
                chosen = (candidate, loaded)
                break
        if chosen is None and any_valid and valid and valid[0][0] is path:
            # A valid file with another stamp: put back by hand (a backup, a copy).  One
            # from a commit that never finished is not taken: its .prev would have matched.
            stamp = valid[0][1].stamp
            if stamp is None or stamp <= self._commit:
                chosen = valid[0]
                self._note(f"{path}: it is not the version the library last saved "
                           f"(commit {stamp}, expected {expected}); it was used as it is.")
        if chosen is not None:
            candidate, loaded = chosen
            if candidate is prev:
                # The newer file belongs to a commit that never finished: roll it back.
                os.replace(prev, path)
                fsync_dir(path.parent)
                self.repairs.append(f"{path}: rolled back to commit {loaded.stamp}")
            self._note_upgrade(path, fmt, loaded)
            self._disk[path] = (loaded.stamp, None if loaded.upgraded else loaded.data)
            self._committed[path] = loaded.stamp
            return loaded
        if valid and first_error is None:
            raise DamagedFileError(path, f"the file is from commit {valid[0][1].stamp}, not "
                                         f"commit {expected} that state.json names")
        raise first_error or DamagedFileError(path, "the file is missing")

    def _parse(self, path: Path, fmt: str) -> _Loaded:
        """Read, verify and upgrade one file (no message: the caller decides)."""
        raw = read_raw(path)
        bare = schema.sniff_v0(raw, fmt)
        if bare is not None:
            data, stamp, version = bare[2], None, 0
        else:
            doc = verify(path, raw)
            if doc.format != fmt:
                raise DamagedFileError(path, f"the file holds '{doc.format}', not '{fmt}'")
            data, stamp, version = doc.data, doc.commit, doc.schema
        try:
            data, old = schema.upgrade(fmt, version, data)
        except SchemaError as exc:
            raise DamagedFileError(path, str(exc)) from None
        return _Loaded(data, stamp, old != schema.CURRENT[fmt], old)

    def _note_upgrade(self, path: Path, fmt: str, loaded: _Loaded) -> None:
        if loaded.upgraded:
            self._note(f"{path}: upgraded from schema {loaded.schema} to schema "
                       f"{schema.CURRENT[fmt]}; it is rewritten in the new layout.")


# -- opening -------------------------------------------------------------------------------------


def open_library(path: str | os.PathLike[str] | None = None, *, program: str = "hvlab",
                 seed: int | None = None, empty: bool = False,
                 autosave_seconds: float = AUTOSAVE_SECONDS) -> Library:
    """Open (or create) the library at ``path`` for this process.

    ``path`` defaults to :func:`default_library_path`.  A new library gets the demo lab
    (:func:`engine.demo.populate_demo`), or the demo host only with ``empty``; ``seed`` is
    used only when the library is created.  Raises :class:`LibraryLockedError` when another
    process holds it, :class:`LibraryError` when the folder is not a library or was written
    by a newer hvlab.  Damaged files do not stop the open: see ``Library.messages``.
    """
    folder = Path(path).expanduser() if path is not None else default_library_path()
    folder = folder.absolute()
    if folder.exists() and not folder.is_dir():
        raise LibraryError(f"The library {folder} is not a folder.")
    foreign = folder.is_dir() and any(p.name not in _ROOT_NAMES for p in folder.iterdir())
    if foreign and not (folder / LIBRARY_FILE).exists() and not (folder / STATE_FILE).exists():
        raise LibraryError(f"The folder {folder} is not an hvlab library.",
                           [f"It is not empty and has no {LIBRARY_FILE}. Choose an empty or "
                            "new folder for a new library."])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = LibraryLock(folder, program)
    except LockHeldError as held:
        raise LibraryLockedError(
            str(held), ["Close that program first, or open another library with --library."],
            program=held.program, pid=held.pid) from None
    except OSError as exc:
        raise LibraryError(f"The library {folder} cannot be opened.",
                           [f"{exc.filename or folder}: {exc.strerror or exc}"]) from exc
    library = Library(folder, lock, autosave_seconds=autosave_seconds)
    try:
        _open_locked(library, seed=seed, empty=empty, program=program)
    except BaseException:
        if library._store is not None:
            library._store.close()
        lock.release()
        raise
    return library


def create_library(path: str | os.PathLike[str], lab: Lab, *, program: str = "hvlab",
                   autosave_seconds: float = AUTOSAVE_SECONDS) -> Library:
    """Write ``lab`` (built elsewhere, e.g. by a test or a script) as a new library at
    ``path``, which must not exist or be empty, and return it open."""
    folder = Path(path).expanduser().absolute()
    if folder.exists() and any(folder.iterdir()):
        raise LibraryError(f"The folder {folder} is not empty.",
                           ["A new library needs an empty or new folder."])
    folder.mkdir(parents=True, exist_ok=True)
    lib = Library(folder, LibraryLock(folder, program), autosave_seconds=autosave_seconds)
    try:
        lib._store = EventLogStore(folder / EVENTS_FILE)
        lib._attach(lab)
        lib._pending = list(lab.event_log)
        lib._write_commit()
        _write_identity(lib, lab.seed, program)
    except BaseException:
        lib.close()
        raise
    return lib


def _open_locked(lib: Library, *, seed: int | None, empty: bool, program: str) -> None:
    folder = lib.path
    _remove_temporaries(folder)
    if not (folder / LIBRARY_FILE).exists() and not (folder / STATE_FILE).exists():
        # New, or a creation that never finished (library.json is written last): start over.
        for name in (HOSTS_DIR, VMS_DIR):
            shutil.rmtree(folder / name, ignore_errors=True)
        for name in (EVENTS_FILE, f"{EVENTS_FILE}-wal", f"{EVENTS_FILE}-shm",
                     f"{EVENTS_FILE}-journal"):
            (folder / name).unlink(missing_ok=True)
        lib._store = _open_event_log(lib)
        _create(lib, seed=seed or 0, empty=empty, program=program)
        return
    lib._store = _open_event_log(lib)
    identity = _read_identity(lib)
    state_path = folder / STATE_FILE
    try:
        loaded = lib._parse(state_path, schema.STATE)
        lib._note_upgrade(state_path, schema.STATE, loaded)
    except DamagedFileError as exc:
        if "newer hvlab" in exc.reason:
            raise LibraryError(f"The library {folder} was written by a newer version of "
                               "hvlab and cannot be opened.", [str(exc)]) from None
        _cold_start(lib, identity, exc)
        return
    state = loaded.data
    lib._commit = lib._attempt = loaded.stamp or 0
    rolled = lib._store.roll_back_after(lib._commit)
    del rolled  # rows of an unfinished commit: the resumed lab records them again
    try:
        lab = _assemble(lib, state, identity)
    except (KeyError, ValueError, TypeError, AssertionError, NotFoundError) as exc:
        moved = _move_aside(state_path)
        _cold_start(lib, identity, DamagedFileError(
            state_path, f"the file does not describe a lab this version can resume ({exc!r}); "
                        f"it was kept as {moved.name}"))
        return
    lib._attach(lab)
    _clean_orphans(lib, state)
    if not identity:
        _write_identity(lib, lab.seed, program)
    lib._committed_now_us = lab.now_us
    if lib.messages or loaded.upgraded:
        lib._write_commit()
    else:
        lib._dirty = False


def _remove_temporaries(folder: Path) -> None:
    """Temporary files are writes that never completed: never valid, always removable."""
    for parent in (folder, *(p for sub in (HOSTS_DIR, VMS_DIR) if (folder / sub).is_dir()
                             for p in (folder / sub).iterdir() if p.is_dir())):
        for p in parent.iterdir():
            if p.is_file() and is_temporary(p):
                p.unlink(missing_ok=True)


def _open_event_log(lib: Library) -> EventLogStore:
    path = lib.path / EVENTS_FILE
    try:
        return EventLogStore(path)
    except EventLogError as exc:
        if "newer hvlab" in str(exc):
            raise LibraryError(f"The library {lib.path} was written by a newer version of "
                               "hvlab and cannot be opened.", [str(exc)]) from None
        moved = _move_aside(path)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        lib._note(f"{exc}. It was kept as {moved.name} and a new, empty event log was started.")
        return EventLogStore(path)


def _move_aside(path: Path) -> Path:
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}-{n}")
    if path.exists():
        os.replace(path, target)
        fsync_dir(path.parent)
    return target


def _read_identity(lib: Library) -> Json:
    path = lib.path / LIBRARY_FILE
    if not path.exists():
        return {}  # the first commit finished, writing library.json did not: written anew
    try:
        loaded = lib._parse(path, schema.LIBRARY)
        lib._note_upgrade(path, schema.LIBRARY, loaded)
        if loaded.upgraded:
            write_atomic(path, encode(schema.LIBRARY, schema.CURRENT[schema.LIBRARY], None,
                                      loaded.data, 2))
        return loaded.data
    except DamagedFileError as exc:
        if "newer hvlab" in exc.reason:
            raise LibraryError(f"The library {lib.path} was written by a newer version of "
                               "hvlab and cannot be opened.", [str(exc)]) from None
        lib._note(f"{exc}. It is written anew from state.json.")
        return {}


def _write_identity(lib: Library, seed: int, program: str) -> None:
    data = {"seed": seed, "created_by": program}
    write_atomic(lib.path / LIBRARY_FILE, encode(schema.LIBRARY, schema.CURRENT[schema.LIBRARY],
                                                 None, data, 2))


def _create(lib: Library, *, seed: int, empty: bool, program: str) -> None:
    from engine.demo import populate_demo

    lab = Lab(seed)
    lib._attach(lab)
    with lib.batch():
        populate_demo(lib.api, empty=empty)
    # Last: until library.json exists, an interrupted creation is simply started over.
    _write_identity(lib, seed, program)


def _vm_key(lab: Lab, vm_id: str, limit: int) -> tuple[int, int] | None:
    """(creation index, noise key) of a VM id made by this lab's seed, if it is one."""
    for index in range(limit):
        if lab._new_uuid("vm", index) == vm_id:
            return index, spawn_key(lab.seed, index)
    return None


def _assemble(lib: Library, state: Json, identity: Json) -> Lab:
    """Read every host and VM file the state names and build the lab."""
    snap: Json = {k: v for k, v in state.items() if k not in ("hosts", "unavailable")}
    if identity and identity.get("seed") != state.get("seed"):
        lib._note(f"{lib.path / LIBRARY_FILE}: its seed differs from state.json's; "
                  "state.json is used.")
    snap_hosts: list[Json] = []
    lost_runtime: list[tuple[str, VmConfig, int | None]] = []
    unavailable: list[Json] = []
    retry = [u for u in state.get("unavailable", []) if isinstance(u, dict)]
    for h in state["hosts"]:
        host_id = str(h["id"])
        hpath = lib._host_dir(host_id) / HOST_FILE
        try:
            settings = lib._read(hpath, schema.HOST, h["settings_commit"]).data
            get_profile(str(settings["profile"]))
            HostHardware.from_dict(settings["hardware"])
        except (DamagedFileError, NotFoundError, KeyError, TypeError, ValueError) as exc:
            lib._note(f"{_reason(hpath, exc)} The host {h.get('name', host_id)} and its "
                      f"{len(h['vms'])} virtual machine(s) were skipped; the rest of the "
                      "library loaded.")
            unavailable.append({"kind": "host", "id": host_id, "name": h.get("name", ""),
                                "vms": [v["id"] for v in h["vms"]]})
            continue
        vms: list[Json] = []
        for v in h["vms"]:
            vm_id = str(v["id"])
            folder = lib._vm_dir(vm_id)
            label = v.get("name") or vm_id
            try:
                cfg_data = lib._read(folder / CONFIG_FILE, schema.VM_CONFIG, v["config_commit"],
                                     any_valid=True).data
                config = VmConfig.from_dict(cfg_data)
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(folder / CONFIG_FILE, exc)} The virtual machine "
                          f"'{label}' was skipped; the other virtual machines loaded.")
                unavailable.append({"kind": "vm", "id": vm_id, "name": label,
                                    "host_id": host_id})
                continue
            try:
                runtime = lib._read(folder / RUNTIME_FILE, schema.VM_RUNTIME,
                                    v["runtime_commit"]).data
                runtime = {k: val for k, val in runtime.items() if k != "host_id"}
            except DamagedFileError as exc:
                lib._note(f"{_reason(folder / RUNTIME_FILE, exc)} The virtual machine "
                          f"'{config.name}' is Off; its running state was lost.")
                lost_runtime.append((host_id, config, None))
                continue
            vms.append({"config": config.to_dict(), "runtime": runtime})
        snap_hosts.append({"settings": settings, "runtime": h["runtime"], "vms": vms})
    snap["hosts"] = snap_hosts
    assert lib._store is not None
    lab = restore_lab(snap, lib._store.recent(EVENT_LOG_KEEP))
    _repair_lab(lab)
    for u in retry:
        if u.get("kind") == "vm" and u.get("host_id") in lab.hosts:
            folder = lib._vm_dir(str(u["id"]))
            try:
                config = VmConfig.from_dict(
                    lib._read(folder / CONFIG_FILE, schema.VM_CONFIG, None).data)
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(folder / CONFIG_FILE, exc)} The virtual machine "
                          f"'{u.get('name') or u['id']}' is still skipped.")
                unavailable.append(u)
                continue
            lib._note(f"{folder / CONFIG_FILE}: readable again; the virtual machine "
                      f"'{config.name}' is back, Off.")
            lost_runtime.append((str(u["host_id"]), config, None))
        elif u.get("kind") == "host":
            hpath = lib._host_dir(str(u["id"])) / HOST_FILE
            if hpath.exists():
                lib._note(f"{hpath}: the host {u.get('name') or u['id']} was skipped "
                          "before; remove its folder or repair the file and restore it "
                          "from a backup of the whole library.")
            unavailable.append(u)
        else:
            unavailable.append(u)
    for host_id, config, _ in lost_runtime:
        host = lab.hosts[host_id]
        found = _vm_key(lab, config.id, lab.vm_counter)
        key = found[1] if found else spawn_key(lab.seed, lab.vm_counter + 1_000_000)
        attach_vm_off(lab, host, config, key)
        lib._disk.pop(lib._vm_dir(config.id) / RUNTIME_FILE, None)
    lib._unavailable = unavailable
    return lab


def _reason(path: Path, exc: Exception) -> str:
    if isinstance(exc, DamagedFileError):
        return f"{exc.path}: {exc.reason}."
    return f"{path}: the contents are not valid ({exc!r})."


def _repair_lab(lab: Lab) -> None:
    """Make a lab whole after hosts or VMs were skipped: renumber hosts, free partitions,
    memory and table slots nobody owns, drop their queued actions and fail their jobs."""
    vm_hosts: dict[str, str] = {}
    for index, host in enumerate(lab.hosts.values()):
        if host.index != index:
            host.index = index
            for vm in host.vms.values():
                lab.table.host[vm.slot] = index
        for vm in host.vms.values():
            vm_hosts[vm.id] = host.id
        hv = host.hypervisor
        used = {vm.partition_id for vm in host.vms.values() if vm.partition_id is not None}
        if hv is not None:
            for pid in [p for p in hv.partitions if p != hv.ROOT_ID and p not in used]:
                del hv.partitions[pid]
        live = {p.memory_owner for p in hv.partitions.values()} if hv is not None else set()
        for owner in list(host.memory.owners()):
            if owner.startswith("partition:") and owner not in live:
                host.memory.release(owner)
    slots = {vm.slot for host in lab.hosts.values() for vm in host.vms.values()}
    for slot in range(lab.table.size):
        if lab.table.used[slot] and slot not in slots:
            lab.table.memory_assigned_mb[slot] = 0
            lab.table.remove(slot)
    for action in lab.queue.pending():
        if action.host_id not in lab.hosts:
            lab.queue.remove_where(action.host_id)
        elif action.target and action.target not in vm_hosts:
            lab.queue.remove_where(action.host_id, action.target)
    for job in lab.jobs.values():
        if not job.state.finished and (job.host_id not in lab.hosts
                                       or (job.vm_id and job.vm_id not in vm_hosts)):
            lab.cancel_job_record(job, "The virtual machine's files could not be read.",
                                  failed=True)


def _clean_orphans(lib: Library, state: Json) -> None:
    """VM and host folders the state does not name: leftovers of a creation that never
    finished or of a deletion that did.  Ours are removed; anything else is reported."""
    known_vms = {v["id"] for h in state["hosts"] for v in h["vms"]}
    known_vms |= {u["id"] for u in lib._unavailable if u.get("kind") == "vm"}
    known_vms |= {vid for u in lib._unavailable if u.get("kind") == "host"
                  for vid in u.get("vms", [])}
    known_hosts = {h["id"] for h in state["hosts"]}
    for sub, known, names in ((VMS_DIR, known_vms, _VM_NAMES),
                              (HOSTS_DIR, known_hosts, _HOST_NAMES)):
        folder = lib.path / sub
        if not folder.is_dir():
            continue
        removed = False
        for entry in sorted(folder.iterdir()):
            if entry.name in known:
                for p in entry.iterdir():
                    if p.name not in names:
                        lib._note(f"{p}: not a file of an hvlab library; it was left alone.")
                continue
            if entry.is_dir() and all(p.name in names for p in entry.iterdir()):
                shutil.rmtree(entry, ignore_errors=True)
                removed = True
            else:
                lib._note(f"{entry}: not part of this library; it was left alone.")
        if removed:
            fsync_dir(folder)
    for p in sorted(lib.path.iterdir()):
        if p.name not in _ROOT_NAMES and DAMAGED_SUFFIX not in p.name:
            lib._note(f"{p}: not a file of an hvlab library; it was left alone.")


def _cold_start(lib: Library, identity: Json, why: DamagedFileError) -> None:
    """Rebuild a lab from the host and VM files alone when state.json is unusable.

    Hosts boot afresh and every VM is Off (running and saved state is lost); the clock
    continues from the last commit's time kept in the event log, so it never runs backwards.
    """
    lib._note(f"{why.path}: {why.reason}. The library was rebuilt from its host and virtual "
              "machine files: every virtual machine is Off.")
    if why.path.exists():
        _move_aside(why.path)
    assert lib._store is not None
    seed = int(identity.get("seed", 0))
    lab = Lab(seed)
    lab.now_us = lib._store.last_now_us()
    lab.step_index = lab.now_us // STEP_US
    lab.event_log.extend(lib._store.recent(EVENT_LOG_KEEP))
    lib._attach(lab)
    lib._suspended += 1
    try:
        hosts_dir = lib.path / HOSTS_DIR
        for folder in sorted(hosts_dir.iterdir()) if hosts_dir.is_dir() else []:
            path = folder / HOST_FILE
            try:
                s = lib._read(path, schema.HOST, None).data
                host = lab.add_host(str(s["name"]), get_profile(str(s["profile"])),
                                    HostHardware.from_dict(s["hardware"]), host_id=str(s["id"]))
            except (DamagedFileError, NotFoundError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(path, exc)} That host was skipped.")
                continue
            pending = s.get("pending_hardware")
            host.pending_hardware = None if pending is None else HostHardware.from_dict(pending)
            host.numa_spanning = bool(s.get("numa_spanning", True))
            host.virtual_machine_path = str(s.get("virtual_machine_path",
                                                  host.virtual_machine_path))
            host.virtual_hard_disk_path = str(s.get("virtual_hard_disk_path",
                                                    host.virtual_hard_disk_path))
        configs: list[tuple[str, VmConfig]] = []
        vms_dir = lib.path / VMS_DIR
        for folder in sorted(vms_dir.iterdir()) if vms_dir.is_dir() else []:
            path = folder / CONFIG_FILE
            try:
                config = VmConfig.from_dict(lib._read(path, schema.VM_CONFIG, None).data)
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(path, exc)} That virtual machine was skipped.")
                continue
            host_id = ""
            with contextlib.suppress(DamagedFileError, KeyError):
                host_id = str(lib._read(folder / RUNTIME_FILE, schema.VM_RUNTIME, None,
                                        any_valid=True).data["host_id"])
            configs.append((host_id, config))
        configs.sort(key=lambda hc: (hc[1].created_us, hc[1].id))
        limit = 10_000 + 10 * len(configs)
        for host_id, config in configs:
            if not lab.hosts:
                lib._note(f"{lib._vm_dir(config.id)}: no host to put '{config.name}' on; "
                          "skipped.")
                continue
            host = lab.hosts.get(host_id) or next(iter(lab.hosts.values()))
            found = _vm_key(lab, config.id, limit)
            if found is not None:
                lab.vm_counter = max(lab.vm_counter, found[0] + 1)
            key = found[1] if found else spawn_key(seed, limit + len(host.vms))
            attach_vm_off(lab, host, config, key)
            lib._disk.pop(lib._vm_dir(config.id) / RUNTIME_FILE, None)
    finally:
        lib._suspended -= 1
    lib._attempt = lib._commit = lib._store.max_commit()
    if not lab.hosts:
        from engine.demo import populate_demo

        lib._note("No host could be read, so the demo host was added.")
        populate_demo(lib.api, empty=True, settle_seconds=0.0)
    lib._write_commit()


T = TypeVar("T")


class LibraryApi(ManagementApi):
    """The management API of a library's lab: each command is committed before it returns.

    Reads never write.  ``advance``/``wait`` commit when ``autosave_seconds`` of simulated
    time passed since the last commit; :meth:`Library.close` commits the rest.
    """

    def __init__(self, lab: Lab, library: Library) -> None:
        super().__init__(lab)
        self.library = library
        self._depth = 0


#: ManagementApi methods that only read: never followed by a commit.
READS = frozenset({
    "subscribe", "profiles", "guest_os_list", "hosts", "host", "memory_map", "vms", "vm",
    "locked_fields", "available_operations", "start_check", "console", "job", "jobs",
    "hypercall_counters", "event_log", "vm_table",
})
#: Methods that only move simulated time: committed by the autosave rule.
TIME = frozenset({"advance", "wait"})


def _committing(fn: Callable[..., T], after: str) -> Callable[..., T]:
    @functools.wraps(fn)
    def method(self: LibraryApi, *args: Any, **kwargs: Any) -> T:
        self._depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._depth -= 1
            if self._depth == 0:
                lib = self.library
                if after == "time":
                    lib._after_time()
                else:
                    lib._after_command()

    return method


# Every public command of ManagementApi, including ones added later, commits after it runs;
# only the listed reads do not.
for _name, _member in list(vars(ManagementApi).items()):
    if _name.startswith("_") or _name in READS or not callable(_member):
        continue
    if isinstance(_member, (staticmethod, classmethod)):
        continue
    setattr(LibraryApi, _name, _committing(cast(Callable[..., Any], _member),
                                           "time" if _name in TIME else "command"))
