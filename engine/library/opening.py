"""Opening a library: create it, or read it back and repair what a crash or damage left.

See :mod:`hvlab.engine.library.library` for the layout and the commit protocol this undoes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path

from hvlab.engine import bounds, fileguard
from hvlab.engine.config import VmConfig
from hvlab.engine.errors import NotFoundError
from hvlab.engine.library import schema
from hvlab.engine.library.errors import LibraryError
from hvlab.engine.library.eventlog import EventLogError, EventLogStore
from hvlab.engine.library.files import (
    DamagedFileError,
    encode,
    fsync_dir,
    is_temporary,
    write_atomic,
)
from hvlab.engine.library.folder import cannot_open, library_folder, take_lock
from hvlab.engine.library.library import (
    _HOST_NAMES,
    _ROOT_NAMES,
    _VM_NAMES,
    AUTOSAVE_SECONDS,
    CONFIG_FILE,
    DAMAGED_SUFFIX,
    EVENTS_FILE,
    HOST_FILE,
    HOSTS_DIR,
    LIBRARY_FILE,
    RUNTIME_FILE,
    STATE_FILE,
    VM_FILE_SUFFIXES,
    VMS_DIR,
    Library,
    Populate,
    set_aside,
)
from hvlab.engine.library.lock import LibraryLock
from hvlab.engine.library.state import (
    Json,
    apply_host_settings,
    attach_vm_off,
    restore_lab,
    runtime_field,
    runtime_problem,
)
from hvlab.engine.profiles import HostHardware, get_profile
from hvlab.engine.sim.noise import spawn_key
from hvlab.engine.sim.simulation import STEP_US
from hvlab.engine.vmms import migration
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.lab import EVENT_LOG_KEEP, Lab
from hvlab.engine.vmms.transfer import IMPORTS_DIR
from hvlab.engine.vmms.vm_files import VHD_FOLDER, chain_problem, create_missing_disks


def open_library(path: str | os.PathLike[str] | None, populate: Populate, *,
                 program: str = "hvlab", seed: int | None = None, empty: bool = False,
                 autosave_seconds: float = AUTOSAVE_SECONDS) -> Library:
    """Open (or create) the library at ``path`` for this process.

    ``path`` defaults to :func:`default_library_path`.  A new library is filled by
    ``populate(lab, empty)`` (the demo lab, or its host only); ``seed`` is used only when
    the library is created.  Raises :class:`LibraryLockedError` when another
    process holds it, :class:`LibraryError` when the folder is not a library or was written
    by a newer hvlab.  Damaged files do not stop the open: see ``Library.messages``.
    """
    if seed is not None:  # checked before anything is written
        seed = bounds.whole("seed", bounds.SEED.label, seed, int(bounds.SEED.lo),
                            int(bounds.SEED.hi), why=bounds.SEED.why)
    folder = library_folder(path)
    if folder.exists() and not folder.is_dir():
        raise LibraryError(f"The library {folder} is not a folder.")
    foreign = folder.is_dir() and any(p.name not in _ROOT_NAMES for p in folder.iterdir())
    if foreign and not (folder / LIBRARY_FILE).exists() and not (folder / STATE_FILE).exists():
        raise LibraryError(f"The folder {folder} is not an hvlab library.",
                           [f"It is not empty and has no {LIBRARY_FILE}. Choose an empty or "
                            "new folder for a new library."])
    with fileguard.confined(fileguard.Confinement(folder)):
        try:
            fileguard.mkdir(folder, parents=True)
        except OSError as exc:
            raise cannot_open(folder, exc) from exc
        lock = take_lock(folder, program)
        library = Library(folder, lock, autosave_seconds=autosave_seconds,
                          populate=populate)
        try:
            _open_locked(library, seed=seed, empty=empty, program=program)
        except BaseException as exc:
            if library._store is not None:
                library._store.close()
            lock.release()
            if isinstance(exc, OSError):
                raise cannot_open(folder, exc) from exc
            raise
    return library


def create_library(path: str | os.PathLike[str], lab: Lab, populate: Populate, *,
                   program: str = "hvlab",
                   autosave_seconds: float = AUTOSAVE_SECONDS) -> Library:
    """Write ``lab`` (built elsewhere, e.g. by a test or a script) as a new library at
    ``path``, which must not exist or be empty, and return it open."""
    folder = Path(path).expanduser().absolute()
    if folder.exists() and any(folder.iterdir()):
        raise LibraryError(f"The folder {folder} is not empty.",
                           ["A new library needs an empty or new folder."])
    with fileguard.confined(fileguard.Confinement(folder)):
        fileguard.mkdir(folder, parents=True)
        lib = Library(folder, LibraryLock(folder, program),
                      autosave_seconds=autosave_seconds, populate=populate)
        try:
            lib._store = EventLogStore(folder / EVENTS_FILE)
            lib._attach(lab)
            # Disks a VM keeps in the library come into being with it, as at its creation.
            for vm in (v for host in lab.hosts.values() for v in host.vms.values()):
                create_missing_disks(lab, replace(vm.config, hard_drives=tuple(
                    d for d in vm.config.hard_drives if not os.path.isabs(d.path))))
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
            if (folder / name).exists():
                fileguard.rmtree(folder / name)
        for name in (EVENTS_FILE, f"{EVENTS_FILE}-wal", f"{EVENTS_FILE}-shm",
                     f"{EVENTS_FILE}-journal"):
            fileguard.unlink(folder / name, missing_ok=True)
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
    except (KeyError, ValueError, TypeError, AttributeError, AssertionError,
            NotFoundError) as exc:
        moved = set_aside(state_path)
        _cold_start(lib, identity, DamagedFileError(
            state_path, f"the file does not describe a lab this version can resume ({exc!r}); "
                        f"it was kept as {moved.name}"))
        return
    lib._attach(lab)
    lib.load_history()
    _clean_orphans(lib, state)
    if not identity:
        _write_identity(lib, lab.seed, program)
    lib._committed_now_us = lab.sim.now_us
    if lib.messages or loaded.upgraded:
        lib._write_commit()
    else:
        lib._dirty = False
    lib._opened_commit = lib._commit


def _own_folders(folder: Path) -> list[Path]:
    """The real (not linked) subfolders of ``folder``: the library never follows a link
    out of itself to clean up."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]


def _remove_temporaries(folder: Path) -> None:
    """Temporary files are writes that never completed: never valid, always removable
    (a library file's, a new disk's in Virtual Hard Disks or a VM folder).  So are the
    staging folders of an import that never finished."""
    disks = folder / VHD_FOLDER
    own = [disks] if disks.is_dir() and not disks.is_symlink() else []
    for parent in (folder, *own, *_own_folders(folder / HOSTS_DIR),
                   *_own_folders(folder / VMS_DIR)):
        for p in parent.iterdir():
            if p.is_file() and not p.is_symlink() and is_temporary(p):
                fileguard.unlink(p, missing_ok=True)
    for p in _own_folders(folder / IMPORTS_DIR):
        if p.name.startswith(".") and p.name.endswith(".importing"):
            fileguard.rmtree(p)


def _open_event_log(lib: Library) -> EventLogStore:
    path = lib.path / EVENTS_FILE
    try:
        return EventLogStore(path)
    except EventLogError as exc:
        if "newer hvlab" in str(exc):
            raise LibraryError(f"The library {lib.path} was written by a newer version of "
                               "hvlab and cannot be opened.", [str(exc)]) from None
        moved = set_aside(path)
        for suffix in ("-wal", "-shm", "-journal"):
            fileguard.unlink(Path(f"{path}{suffix}"), missing_ok=True)
        lib._note(f"{exc}. It was kept as {moved.name} and a new, empty event log was started.")
        return EventLogStore(path)


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
        moved = set_aside(path)
        lib._note(f"{exc}. It was kept as {moved.name} and is written anew from state.json.")
        return {}


def _write_identity(lib: Library, seed: int, program: str) -> None:
    data = {"seed": seed, "created_by": program}
    write_atomic(lib.path / LIBRARY_FILE, encode(schema.LIBRARY, schema.CURRENT[schema.LIBRARY],
                                                 None, data, 2))


def _create(lib: Library, *, seed: int, empty: bool, program: str) -> None:
    lab = Lab(seed)
    lib._attach(lab)
    with lib.batch():
        lib.populate(lab, empty)
    # Last: until library.json exists, an interrupted creation is simply started over.
    _write_identity(lib, seed, program)


def _vm_key(lab: Lab, vm_id: str, limit: int) -> tuple[int, int] | None:
    """(creation index, noise key) of a VM id made by this lab's seed, if it is one."""
    for index in range(limit):
        if lab._new_uuid("vm", index) == vm_id:
            return index, spawn_key(lab.seed, index)
    return None


def _assemble(lib: Library, state: Json, identity: Json) -> Lab:
    """Read every host and VM file the state names and build the lab.  Ids are checked
    before they name a folder (InvalidIdError is a ValueError: the state is not usable)."""
    snap: Json = {k: v for k, v in state.items() if k not in ("hosts", "unavailable")}
    if identity and identity.get("seed") != state.get("seed"):
        lib._note(f"{lib.path / LIBRARY_FILE}: its seed differs from state.json's; "
                  "state.json is used.")
    snap_hosts: list[Json] = []
    lost_runtime: list[tuple[str, VmConfig, Json | None]] = []
    unavailable: list[Json] = []
    retry = [u for u in state.get("unavailable", []) if isinstance(u, dict)]
    for u in retry:
        fileguard.id_folder(u.get("id"), "virtual machine or host")
    for h in state["hosts"]:
        host_id = fileguard.id_folder(h["id"], "host")
        vm_ids = [fileguard.id_folder(v["id"], "virtual machine") for v in h["vms"]]
        hpath = lib._host_dir(host_id) / HOST_FILE
        try:
            settings = _host_settings(lib, hpath, host_id, h["settings_commit"])
        except (DamagedFileError, NotFoundError, KeyError, TypeError, ValueError) as exc:
            lib._note(f"{_reason(hpath, exc)} The host {h.get('name', host_id)} and its "
                      f"{len(vm_ids)} virtual machine(s) were set aside, with all their "
                      "files; they come back when the file is readable again.")
            unavailable.append({"kind": "host", "id": host_id, "name": h.get("name", ""),
                                "vms": vm_ids})
            continue
        vms: list[Json] = []
        for v, vm_id in zip(h["vms"], vm_ids, strict=True):
            folder = lib._vm_dir(vm_id)
            label = v.get("name") or vm_id
            try:
                config = _vm_config(lib, vm_id, v["config_commit"])
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(folder / CONFIG_FILE, exc)} The virtual machine "
                          f"'{label}' was set aside with its files; the other virtual "
                          "machines loaded.")
                unavailable.append({"kind": "vm", "id": vm_id, "name": label,
                                    "host_id": host_id})
                continue
            try:
                runtime = lib._read(folder / RUNTIME_FILE, schema.VM_RUNTIME,
                                    v["runtime_commit"]).data
                runtime = {k: val for k, val in runtime.items() if k != "host_id"}
                configs = [config, *(VmConfig.from_dict(cp["config"])
                                     for cp in runtime.get("checkpoints", [])
                                     if isinstance(cp, dict) and isinstance(cp.get("config"),
                                                                            dict))]
                problem = runtime_problem(runtime) or chain_problem(configs, runtime)
                if problem:
                    raise DamagedFileError(folder / RUNTIME_FILE, problem)
            except (DamagedFileError, KeyError, TypeError, ValueError, AttributeError) as exc:
                lib._note(_runtime_lost(folder / RUNTIME_FILE, exc, config.name))
                lost_runtime.append((host_id, config, None))
                continue
            vms.append({"config": config.to_dict(), "runtime": runtime})
        snap_hosts.append({"settings": settings, "runtime": h["runtime"], "vms": vms})
    snap["hosts"] = snap_hosts
    assert lib._store is not None
    lab = restore_lab(snap, lib._store.recent(EVENT_LOG_KEEP))
    _repair_lab(lab)
    migration.ensure_clock(lab)
    for u in retry:
        if u.get("kind") == "host":
            _retry_host(lib, lab, u, unavailable, lost_runtime)
        elif u.get("kind") == "vm" and u.get("host_id") in lab.hosts:
            folder = lib._vm_dir(str(u["id"]))
            try:
                config = _vm_config(lib, str(u["id"]), None)
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(folder / CONFIG_FILE, exc)} The virtual machine "
                          f"'{u.get('name') or u['id']}' is still set aside.")
                unavailable.append(u)
                continue
            lib._note(f"{folder / CONFIG_FILE}: readable again; the virtual machine "
                      f"'{config.name}' is back, Off.")
            lost_runtime.append((str(u["host_id"]), config, _disk_records(lib, config)))
        else:
            unavailable.append(u)
    for host_id, config, records in lost_runtime:
        host = lab.hosts[host_id]
        found = _vm_key(lab, config.id, lab.vm_counter)
        key = found[1] if found else spawn_key(lab.seed, lab.vm_counter + 1_000_000)
        _attach_off(lab, host, config, key, records)
    lib._unavailable = unavailable
    _skip_ids(lab, _aside_vms(unavailable))
    return lab


def _aside_vms(unavailable: list[Json]) -> list[str]:
    return [str(v) for u in unavailable
            for v in (u.get("vms", []) if u.get("kind") == "host" else [u.get("id")])]


#: What a VM brought back Off keeps of its old runtime: its disks and checkpoints.
_DISK_RECORDS = ("current_disks", "disk_parents", "checkpoints", "current_checkpoint",
                 "checkpoint_counter", "boot_number")


def _runtime_lost(path: Path, exc: Exception, name: str) -> str:
    kept = set_aside(path)
    return (f"{_reason(path, exc)} The virtual machine '{name}' is Off on its configured "
            f"disks; the file was kept as {kept.name} and the disk files in its folder "
            "were left alone.")


def _disk_records(lib: Library, config: VmConfig) -> Json | None:
    """The disks and checkpoints of a VM coming back Off, from its runtime file whatever
    commit wrote it (None when there is none; a damaged one is set aside)."""
    path = lib._vm_dir(config.id) / RUNTIME_FILE
    if not path.exists():
        return None
    try:
        runtime = lib._read(path, schema.VM_RUNTIME, None).data
        configs = [config, *(VmConfig.from_dict(cp["config"])
                             for cp in runtime.get("checkpoints", []) if isinstance(cp, dict))]
        problem = runtime_problem(runtime) or chain_problem(configs, runtime)
        if problem:
            raise DamagedFileError(path, problem)
    except (DamagedFileError, KeyError, TypeError, ValueError, AttributeError) as exc:
        lib._note(_runtime_lost(path, exc, config.name))
        return None
    return {k: runtime[k] for k in _DISK_RECORDS if k in runtime}


def _attach_off(lab: Lab, host: Host, config: VmConfig, key: int,
                records: Json | None) -> None:
    """Add a VM, Off, with the disks and checkpoints its old runtime had (if any); the new
    runtime is written at the next commit, the old version kept as its .prev."""
    vm = attach_vm_off(lab, host, config, key)
    for name, value in (records or {}).items():
        setattr(vm, name, runtime_field(name, value))


def _skip_ids(lab: Lab, vm_ids: list[str]) -> None:
    """New VMs never take the id (and so the folder) of one set aside."""
    limit = 10_000 + 10 * len(vm_ids) + lab.vm_counter
    for vm_id in vm_ids:
        found = _vm_key(lab, vm_id, limit)
        if found is not None:
            lab.vm_counter = max(lab.vm_counter, found[0] + 1)


def _host_settings(lib: Library, path: Path, host_id: str, stamp: int | None) -> Json:
    """A host's settings, checked: its own id, a known profile, valid hardware."""
    settings = lib._read(path, schema.HOST, stamp).data
    if settings.get("id") != host_id:
        raise DamagedFileError(path, f"the file belongs to another host "
                                     f"({str(settings.get('id'))[:80]!r})")
    get_profile(str(settings["profile"]))
    HostHardware.from_dict(settings["hardware"])
    return settings


def _vm_config(lib: Library, vm_id: str, stamp: int | None) -> VmConfig:
    """A VM's configuration, checked: its own id, and a folder inside the library."""
    folder = lib._vm_dir(vm_id)
    real = folder.resolve()
    if real.parent != lib.path.resolve() / VMS_DIR:
        raise DamagedFileError(folder, f"the folder leads out of the library (to {real})")
    path = folder / CONFIG_FILE
    config = VmConfig.from_dict(lib._read(path, schema.VM_CONFIG, stamp, any_valid=True).data)
    if config.id != vm_id:
        raise DamagedFileError(path, f"the file belongs to another virtual machine "
                                     f"({str(config.id)[:80]!r})")
    if not all(isinstance(d.path, str) and d.path and "\0" not in d.path
               for d in config.hard_drives):
        raise DamagedFileError(path, "a hard drive has no valid path")
    return config


def _add_host(lab: Lab, s: Json) -> Host:
    """A host from its settings (host.json), booting afresh."""
    host = lab.add_host(str(s["name"]), get_profile(str(s["profile"])),
                        HostHardware.from_dict(s["hardware"]), host_id=str(s["id"]))
    apply_host_settings(host, s)
    lab.switches_changed()
    return host


def _retry_host(lib: Library, lab: Lab, u: Json, unavailable: list[Json],
                lost_runtime: list[tuple[str, VmConfig, Json | None]]) -> None:
    """A host set aside before: back, with its VMs Off, once its file is readable."""
    host_id = str(u["id"])
    hpath = lib._host_dir(host_id) / HOST_FILE
    try:
        settings = _host_settings(lib, hpath, host_id, None)
        _add_host(lab, settings)
    except (DamagedFileError, NotFoundError, KeyError, TypeError, ValueError) as exc:
        lib._note(f"{_reason(hpath, exc)} The host {u.get('name') or host_id} and its "
                  "virtual machines are still set aside.")
        unavailable.append(u)
        return
    lib._note(f"{hpath}: readable again; the host {settings['name']} is back and its virtual "
              "machines are Off.")
    for vm_id in u.get("vms", []):
        folder = lib._vm_dir(str(vm_id))
        try:
            config = _vm_config(lib, str(vm_id), None)
        except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
            lib._note(f"{_reason(folder / CONFIG_FILE, exc)} That virtual machine is still "
                      "set aside.")
            unavailable.append({"kind": "vm", "id": str(vm_id), "name": str(vm_id),
                                "host_id": host_id})
            continue
        lost_runtime.append((host_id, config, _disk_records(lib, config)))


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
                lab.sim.table.host[vm.slot] = index
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
    for slot in range(lab.sim.table.size):
        if lab.sim.table.used[slot] and slot not in slots:
            lab.sim.table.memory_assigned_mb[slot] = 0
            lab.sim.table.remove(slot)
    for m in list(lab.migrations.values()):
        if m.source not in lab.hosts or m.target not in lab.hosts or m.vm_id not in vm_hosts:
            migration.abort(lab, m, "A host or virtual machine of the migration could not be "
                                    "read.")
    for action in lab.sim.queue.pending():
        # Lab-wide actions (the migrations' clock) name no host.
        if action.host_id and action.host_id not in lab.hosts:
            lab.sim.queue.remove_where(action.host_id)
        elif action.target and action.target not in vm_hosts:
            lab.sim.queue.remove_where(action.host_id, action.target)
    for job in lab.jobs.values():
        if not job.state.finished and (job.host_id not in lab.hosts
                                       or (job.vm_id and job.vm_id not in vm_hosts)):
            lab.cancel_job_record(job, "The virtual machine's files could not be read.",
                                  failed=True)


def _clean_orphans(lib: Library, state: Json) -> None:
    """VM and host folders the state does not name: leftovers of a creation that never
    finished or of a deletion that did.  Ours (named by an id, holding only library files)
    are removed; anything else is reported and left alone."""
    known_vms = {v["id"] for h in state["hosts"] for v in h["vms"]}
    known_vms |= {u["id"] for u in lib._unavailable if u.get("kind") == "vm"}
    known_vms |= {vid for u in lib._unavailable if u.get("kind") == "host"
                  for vid in u.get("vms", [])}
    known_hosts = {h["id"] for h in state["hosts"]}
    known_hosts |= {u["id"] for u in lib._unavailable if u.get("kind") == "host"}
    for sub, known, names in ((VMS_DIR, known_vms, _VM_NAMES),
                              (HOSTS_DIR, known_hosts, _HOST_NAMES)):
        folder = lib.path / sub
        if not folder.is_dir():
            continue
        removed = False

        def ours(name: str, names: frozenset[str] | set[str] = names, sub: str = sub) -> bool:
            return name in names or (sub == VMS_DIR and name.endswith(VM_FILE_SUFFIXES))

        for entry in sorted(folder.iterdir()):
            if entry.name in known:
                if entry.is_symlink() or not entry.is_dir():
                    continue  # reported when the host or VM was read
                for p in entry.iterdir():
                    if sub == VMS_DIR and p.name.endswith(".vsv.tmp") and not p.is_symlink():
                        fileguard.unlink(p, missing_ok=True)  # a saved state cut short
                        continue
                    if not ours(p.name) and DAMAGED_SUFFIX not in p.name:
                        lib._note(f"{p}: not a file of an hvlab library; it was left alone.")
                continue
            if (fileguard.is_uuid(entry.name) and entry.is_dir() and not entry.is_symlink()
                    and all(ours(p.name) and not p.is_symlink() for p in entry.iterdir())):
                fileguard.rmtree(entry)
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
    Folders whose host or VM file cannot be read are set aside, whole, as in a normal open.
    """
    lib._note(f"{why.path}: {why.reason}. The library was rebuilt from its host and virtual "
              "machine files: every virtual machine is Off.")
    if why.path.exists():
        set_aside(why.path)
    assert lib._store is not None
    seed = int(identity.get("seed", 0)) if isinstance(identity.get("seed", 0), int) else 0
    lab = Lab(seed)
    lab.sim.now_us = lib._store.last_now_us()
    lab.sim.step_index = lab.sim.now_us // STEP_US
    lab.event_log.extend(lib._store.recent(EVENT_LOG_KEEP))
    lib._attach(lab)
    lib._suspended += 1
    unavailable: list[Json] = []
    hosts_aside: dict[str, Json] = {}
    try:
        for folder in _own_folders(lib.path / HOSTS_DIR):
            if not fileguard.is_uuid(folder.name):
                continue  # reported by the orphan check of the next open
            path = folder / HOST_FILE
            try:
                _add_host(lab, _host_settings(lib, path, folder.name, None))
            except (DamagedFileError, NotFoundError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(path, exc)} That host was set aside with its files.")
                hosts_aside[folder.name] = {"kind": "host", "id": folder.name, "name": "",
                                            "vms": []}
        configs: list[tuple[str, VmConfig]] = []
        for folder in _own_folders(lib.path / VMS_DIR):
            if not fileguard.is_uuid(folder.name):
                continue
            host_id = ""
            with contextlib.suppress(DamagedFileError, KeyError, TypeError):
                host_id = str(lib._read(folder / RUNTIME_FILE, schema.VM_RUNTIME, None,
                                        any_valid=True).data["host_id"])
            try:
                config = _vm_config(lib, folder.name, None)
            except (DamagedFileError, KeyError, TypeError, ValueError) as exc:
                lib._note(f"{_reason(folder / CONFIG_FILE, exc)} That virtual machine was set "
                          "aside with its files.")
                if host_id in hosts_aside:
                    hosts_aside[host_id]["vms"].append(folder.name)
                else:
                    unavailable.append({"kind": "vm", "id": folder.name, "name": folder.name,
                                        "host_id": host_id})
                continue
            if host_id in hosts_aside:
                hosts_aside[host_id]["vms"].append(config.id)
                continue
            configs.append((host_id, config))
        configs.sort(key=lambda hc: (hc[1].created_us, hc[1].id))
        limit = 10_000 + 10 * len(configs)
        placed = []
        for host_id, config in configs:
            if not lab.hosts:
                placed.append((host_id, config))
                continue
            host = lab.hosts.get(host_id) or next(iter(lab.hosts.values()))
            found = _vm_key(lab, config.id, limit)
            if found is not None:
                lab.vm_counter = max(lab.vm_counter, found[0] + 1)
            key = found[1] if found else spawn_key(seed, limit + len(host.vms))
            _attach_off(lab, host, config, key, _disk_records(lib, config))
    finally:
        lib._suspended -= 1
    lib._attempt = lib._commit = lib._store.max_commit()
    # VMs with no host to run on wait, set aside, for the next open (under the new host).
    unavailable += [{"kind": "vm", "id": c.id, "name": c.name, "host_id": host_id}
                    for host_id, c in placed]
    lib._unavailable = [*hosts_aside.values(), *unavailable]
    _skip_ids(lab, _aside_vms(lib._unavailable))
    if not lab.hosts and not hosts_aside:
        lib._note("No host could be found, so the demo host was added.")
        lib.populate(lab, True)
    first = next(iter(lab.hosts), "")
    for u in unavailable:
        if u["host_id"] not in lab.hosts and u["host_id"] not in hosts_aside:
            u["host_id"] = first
    lib._write_commit()
