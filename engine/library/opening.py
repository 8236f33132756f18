"""Opening a library: create it, or read it back and repair what a crash or damage left.

See :mod:`engine.library.library` for the layout and the commit protocol this undoes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

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
    write_atomic,
)
from engine.library.library import (
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
    default_library_path,
)
from engine.library.lock import LibraryLock, LockHeldError
from engine.library.state import Json, attach_vm_off, restore_lab
from engine.noise import spawn_key
from engine.profiles import HostHardware, get_profile


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
    library = Library(folder, lock, autosave_seconds=autosave_seconds, populate=populate)
    try:
        _open_locked(library, seed=seed, empty=empty, program=program)
    except BaseException:
        if library._store is not None:
            library._store.close()
        lock.release()
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
    folder.mkdir(parents=True, exist_ok=True)
    lib = Library(folder, LibraryLock(folder, program), autosave_seconds=autosave_seconds,
                  populate=populate)
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
    lib.load_history()
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
        def ours(name: str, names: frozenset[str] | set[str] = names, sub: str = sub) -> bool:
            return name in names or (sub == VMS_DIR and name.endswith(VM_FILE_SUFFIXES))

        for entry in sorted(folder.iterdir()):
            if entry.name in known:
                for p in entry.iterdir():
                    if sub == VMS_DIR and p.name.endswith(".vsv.tmp"):
                        p.unlink(missing_ok=True)  # a saved state cut short by a crash
                        continue
                    if not ours(p.name):
                        lib._note(f"{p}: not a file of an hvlab library; it was left alone.")
                continue
            if entry.is_dir() and all(ours(p.name) for p in entry.iterdir()):
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
        lib._note("No host could be read, so the demo host was added.")
        lib.populate(lab, True)
    lib._write_commit()


