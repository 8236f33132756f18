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
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hvlab.engine import events as ev
from hvlab.engine import fileguard
from hvlab.engine.library import schema
from hvlab.engine.library.errors import LibraryError
from hvlab.engine.library.eventlog import EventLogStore
from hvlab.engine.library.files import (
    DamagedFileError,
    encode,
    fsync_dir,
    previous_of,
    read_raw,
    verify,
    write_atomic,
)
from hvlab.engine.library.folder import default_library_path as default_library_path
from hvlab.engine.library.historylog import HistoryLog
from hvlab.engine.library.listing import LISTING_FILE, read_listing, write_listing
from hvlab.engine.library.lock import LOCK_NAME, LibraryLock
from hvlab.engine.library.schema import SchemaError
from hvlab.engine.library.state import (
    Json,
    SnapshotCache,
    snapshot_lab,
)
from hvlab.engine.sim.clock import seconds_to_us
from hvlab.engine.sim.counters import History
from hvlab.engine.vmms.lab import Lab
from hvlab.engine.vmms.vm_files import VHD_FOLDER, chain_files, chain_path

#: Fills a new, empty lab: ``populate(lab, host_only)`` (the demo lab, or its host only).
Populate = Callable[[Lab, bool], None]

LIBRARY_FILE = "library.json"
STATE_FILE = "state.json"
HISTORY_FILE = "history.log"
#: Where libraries of earlier versions kept the history (read once, then replaced).
OLD_HISTORY_FILE = "history.npz"
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
               f"{EVENTS_FILE}-shm", f"{EVENTS_FILE}-journal", HOSTS_DIR, VMS_DIR,
               HISTORY_FILE, OLD_HISTORY_FILE, VHD_FOLDER, "imports", LISTING_FILE}
_VM_NAMES = {CONFIG_FILE, RUNTIME_FILE, f"{CONFIG_FILE}.prev", f"{RUNTIME_FILE}.prev"}
#: Files the engine keeps in a VM's folder: checkpoint disks and the saved state.
VM_FILE_SUFFIXES = (".avhd", ".vsv")
_HOST_NAMES = {HOST_FILE, f"{HOST_FILE}.prev"}


def set_aside(path: Path) -> Path:
    """Quarantine a file that cannot be read: rename it to ``<name>.damaged`` (or
    ``.damaged-2`` ...) beside itself, where the user can inspect or repair it.  A damaged
    file is never deleted or overwritten."""
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}-{n}")
    if path.exists():
        fileguard.replace_file(path, target)
        fsync_dir(path.parent)
    return target


@dataclass
class _Loaded:
    data: Json
    stamp: int | None
    upgraded: bool
    schema: int


class Library:
    """An open library on disk: the lab it holds and the commits that keep it.

    Use :func:`open_library`.  Clients get it wrapped with a management API
    (``hvlab.engine.api.open_library``), whose commands and clock calls report to
    :meth:`after_command` and :meth:`after_clock`.  ``messages`` holds what the open found
    and repaired or skipped (a damaged file, an upgraded schema), one sentence each, naming
    the file.
    """

    def __init__(self, path: Path, lock: LibraryLock, *, autosave_seconds: float,
                 populate: Populate) -> None:
        self.path = path
        self.populate = populate
        self.messages: list[str] = []
        #: Silent repairs of an unfinished commit (for tests and diagnostics).
        self.repairs: list[str] = []
        self._lock = lock
        self._autosave_us = seconds_to_us(autosave_seconds)
        self._store: EventLogStore | None = None
        self._lab: Lab | None = None
        self._commit = 0  # the last finished commit
        self._opened_commit = -1  # the commit the library was opened at
        self._attempt = 0  # the last commit number used (finished or not)
        # path -> (stamp, data) of the file on disk, and the stamp the last commit names.
        self._disk: dict[Path, tuple[int | None, Json | None]] = {}
        self._committed: dict[Path, int | None] = {}
        self._pending: list[ev.LogEntry] = []
        self._dirty = True
        self._committed_now_us = -1
        self._history_us = -1  # lab time of the counter history on disk
        self._history = HistoryLog(path / HISTORY_FILE)
        self._unavailable: list[Json] = []
        #: Host and VM ids the last commit had: only what it had, a commit can remove.
        self._live: tuple[set[str], set[str]] = (set(), set())
        self._suspended = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False
        #: What the commits convert again only when it changed.
        self._snapshots = SnapshotCache()
        self._vm_paths: dict[str, tuple[Path, Path]] = {}
        #: The rows of the VM list, written beside the last commit at close (set by the
        #: management API's wrapper; see hvlab.engine.library.listing).
        self.summarize: Callable[[], list[Json]] | None = None

    # -- public -----------------------------------------------------------------------------
    @property
    def lab(self) -> Lab:
        if self._lab is None:  # pragma: no cover - set while opening
            raise LibraryError("The library is not open.")
        return self._lab

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
            # A file job does not outlive the process: each running one is cancelled and
            # removes what it wrote, so the library is saved as it was before it (an export
            # or import is started again after the library is opened; docs/engine.md).
            self.lab.cancel_file_jobs()
            if self._dirty or self._pending or self.lab.sim.now_us != self._committed_now_us:
                self._write_commit()
            if self.lab.sim.now_us != self._history_us:
                self._write_history()
            self._write_listing()
        finally:
            self._closed = True
            self.lab.close()
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

    def events(self, *, vm_id: str | None = None, vm_name: str | None = None,
               level: str | None = None, since_seconds: float | None = None,
               last: int | None = None) -> list[ev.LogEntry]:
        """The event log (every entry kept on disk and those not yet committed), oldest
        first, filtered by VM id or by the name a VM had, level and time."""
        since_seconds, last = ev.check_query(since_seconds, last)
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
        return out[-last:] if last else out

    # -- bus ----------------------------------------------------------------------------------
    def _on_event(self, event: ev.EngineEvent) -> None:
        if isinstance(event, ev.LogEntry):
            self._pending.append(event)
        self._dirty = True

    def _attach(self, lab: Lab) -> None:
        self._lab = lab
        # Virtual hard disks, checkpoint disks and saved states live in the library.
        lab.storage_root = self.path
        lab.retired_files = []
        self._live = (set(lab.hosts), {v for h in lab.hosts.values() for v in h.vms})
        self._unsubscribe = lab.bus.subscribe(self._on_event)

    # -- told by the management API (hvlab.engine.api.surface.ApiObserver) ---------------------
    def after_command(self) -> None:
        """A command returned: commit what it changed.  Every change to the lab publishes an
        event, so a command that published nothing (a refused one, a poll with no finished
        work) writes nothing."""
        if not self._suspended and not self._closed and self._dirty:
            self._write_commit()

    def after_clock(self) -> None:
        """The clock moved: commit when ``autosave_seconds`` passed since the last commit."""
        if self._suspended or self._closed:
            return
        if self.lab.sim.now_us - self._committed_now_us >= self._autosave_us:
            self._write_commit()

    # -- writing --------------------------------------------------------------------------------
    def _vm_dir(self, vm_id: str) -> Path:
        return self.path / VMS_DIR / fileguard.id_folder(vm_id, "virtual machine")

    def _vm_files(self, vm_id: str) -> tuple[Path, Path]:
        """A VM's configuration and runtime files (paths made once per VM: a commit of
        1,024 VMs would otherwise build thousands of them)."""
        paths = self._vm_paths.get(vm_id)
        if paths is None:
            folder = self._vm_dir(vm_id)
            paths = self._vm_paths[vm_id] = (folder / CONFIG_FILE, folder / RUNTIME_FILE)
        return paths

    def _host_dir(self, host_id: str) -> Path:
        return self.path / HOSTS_DIR / fileguard.id_folder(host_id, "host")

    def _files(self) -> contextlib.AbstractContextManager[None]:
        """The library's file confinement (its folder), for work outside a command."""
        confinement = None if self._lab is None else self.lab.confinement
        return fileguard.confined(confinement or fileguard.Confinement(self.path))

    def _put(self, path: Path, fmt: str, data: Json, stamp: int, indent: int | None) -> int | None:
        """Write ``data`` to ``path`` unless it is there already; returns the stamp to record."""
        on_disk = self._disk.get(path)
        if on_disk is not None and on_disk[1] == data and path.exists():
            return on_disk[0]
        if on_disk is None and path.exists():
            # A file this library neither read nor wrote (a damaged one, or one put there
            # by hand) is never overwritten: it is kept beside the new one.
            kept = set_aside(path)
            self.repairs.append(f"{path}: an unknown version was kept as {kept.name}")
        fileguard.mkdir(path.parent, parents=True)
        # Keep the version the last commit names as .prev until this commit is finished;
        # a file from an unfinished attempt is simply overwritten (.prev already holds it).
        keep = on_disk is not None and on_disk[0] == self._committed.get(path)
        write_atomic(path, encode(fmt, schema.CURRENT[fmt], stamp, data, indent),
                     keep_previous=keep)
        self._disk[path] = (stamp, data)
        return stamp

    def _write_commit(self) -> None:
        with self._files():
            self._commit_confined()

    def _commit_confined(self) -> None:
        lab = self.lab
        self._attempt = max(self._attempt, self._commit) + 1
        stamp = self._attempt
        snap = snapshot_lab(lab, self._snapshots)
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
                    config_path, runtime_path = self._vm_files(vm_id)
                    runtime = dict(v["runtime"], host_id=host_id)
                    cstamp = self._put(config_path, schema.VM_CONFIG, cfg, stamp, 2)
                    rstamp = self._put(runtime_path, schema.VM_RUNTIME, runtime, stamp, None)
                    written[config_path] = cstamp
                    written[runtime_path] = rstamp
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
            self._store.append(pending, stamp, lab.sim.now_us)
            try:
                write_atomic(self.path / STATE_FILE,
                             encode(schema.STATE, schema.CURRENT[schema.STATE], stamp, state))
            except BaseException:
                with contextlib.suppress(Exception):
                    self._store.roll_back_after(self._commit)
                raise
        except (OSError, fileguard.PathConfinementError) as exc:
            why = (exc.message if isinstance(exc, fileguard.PathConfinementError)
                   else f"{exc.filename or self.path}: {exc.strerror or exc}")
            raise LibraryError(
                f"The library {self.path} could not be saved.",
                [why, "The last saved state is intact; the changes since are kept in memory "
                      "and written at the next save."],
            ) from exc
        # Committed.  The counters' history is display data: written beside the commit,
        # best effort, and only when time moved (appending the new seconds is cheap).
        if lab.sim.now_us != self._history_us:
            self._write_history()
        self._commit = stamp
        self._committed.update(written)
        del self._pending[:len(pending)]
        self._dirty = False
        self._committed_now_us = lab.sim.now_us
        self._remove_gone(live_hosts, live_vms)
        self._snapshots.keep_only(live_vms)
        for gone in self._vm_paths.keys() - live_vms:
            del self._vm_paths[gone]
        self._remove_retired()

    def _write_listing(self) -> None:
        """The VM list as of the last commit, for readers that need nothing else (best
        effort: without it they open the library the full way).  A library with hosts or
        VMs set aside gets none: every open must try those again and say so."""
        with contextlib.suppress(OSError, fileguard.PathConfinementError), self._files():
            if self.summarize is not None and not self._unavailable and not self.messages:
                # Nothing committed since an open that found the list good: it still is.
                if self._commit != self._opened_commit or read_listing(self.path) is None:
                    write_listing(self.path, self._commit, list(self._committed),
                                  self.summarize())
            elif (self.path / LISTING_FILE).exists():
                fileguard.unlink(self.path / LISTING_FILE, missing_ok=True)

    def _remove_retired(self) -> None:
        """Delete the checkpoint disks the commit just written no longer names."""
        lab = self.lab
        if not lab.retired_files:
            return
        named = {chain for host in lab.hosts.values() for vm in host.vms.values()
                 for chain in chain_files(vm)}
        retired, lab.retired_files = lab.retired_files, []
        for path in retired:
            if chain_path(lab, path) not in named:
                with contextlib.suppress(OSError):
                    fileguard.unlink(path, missing_ok=True)

    def _write_history(self) -> None:
        lab = self.lab
        try:
            with self._files():
                self._history.save(lab.sim.history, lab.sim.table.key, dict(lab.sim.devices.rows))
                if (self.path / OLD_HISTORY_FILE).exists():
                    fileguard.unlink(self.path / OLD_HISTORY_FILE, missing_ok=True)
            self._history_us = lab.sim.now_us
        except (OSError, fileguard.PathConfinementError) as exc:
            self._note(f"{self.path / HISTORY_FILE}: the counter history could not be saved "
                       f"({getattr(exc, 'strerror', None) or exc}); graphs will start "
                       "empty after a reopen.")

    def load_history(self) -> None:
        """Give the reopened lab its saved counter history, if it fits."""
        lab = self.lab
        path = self.path / HISTORY_FILE
        old = self.path / OLD_HISTORY_FILE
        if not path.exists() and old.exists():
            path = old
        if not path.exists():
            return
        rows = dict(lab.sim.devices.rows)
        try:
            if path == old:
                history = History.from_bytes(path.read_bytes(), rows, lab.sim.now_us)
            else:
                history = self._history.load(lab.sim.table.key, rows, lab.sim.now_us)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            with self._files():
                kept = set_aside(path)
            self._note(f"{path}: the counter history could not be read ({exc}); it was kept "
                       f"as {kept.name} and the graphs start empty.")
            return
        lab.sim.replace_history(history)
        self._history_us = lab.sim.now_us

    def _remove_gone(self, live_hosts: set[str], live_vms: set[str]) -> None:
        """Delete the folders of VMs and hosts the previous commit had and this one has not.
        Hosts and VMs set aside because a file of theirs is damaged were never live here,
        so their folders are never touched."""
        keep_vms = live_vms | {u["id"] for u in self._unavailable if u.get("kind") == "vm"}
        keep_vms |= {v for u in self._unavailable if u.get("kind") == "host"
                     for v in u.get("vms", [])}
        keep_hosts = live_hosts | {u["id"] for u in self._unavailable if u.get("kind") == "host"}
        was_hosts, was_vms = self._live
        self._live = (set(live_hosts), set(live_vms))
        for sub, gone in ((VMS_DIR, was_vms - keep_vms), (HOSTS_DIR, was_hosts - keep_hosts)):
            if not gone:
                continue
            folder = self.path / sub
            for path in [p for p in self._disk if p.parent.parent == folder
                         and p.parent.name in gone]:
                self._disk.pop(path, None)
                self._committed.pop(path, None)
            for name in sorted(gone):
                target = folder / fileguard.id_folder(name, sub)
                if target.is_dir() and not target.is_symlink():
                    with contextlib.suppress(OSError):
                        fileguard.rmtree(target)
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
                # The newer file belongs to a commit that never finished: roll it back.  A
                # damaged one was not written by a commit (writes are atomic): keep it.
                if first_error is not None and path.exists():
                    kept = set_aside(path)
                    self._note(f"{first_error.path}: {first_error.reason}; it was kept as "
                               f"{kept.name} and the previous version was used.")
                fileguard.replace_file(prev, path)
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
