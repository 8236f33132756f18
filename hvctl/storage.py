"""``hvctl`` commands for virtual hard disks, checkpoints, export and import."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hvlab.engine.api import Job, JobState
from hvlab.hvctl import arguments as num
from hvlab.hvctl import output

if TYPE_CHECKING:
    from hvlab.engine.api import Library
    from hvlab.hvctl.terminal import Printer

Sub = Callable[[Any, str, str], argparse.ArgumentParser]
GB = 1024**3


def add_parsers(top: Any, vm_actions: Any, sub: Sub) -> None:
    vhd = sub(top, "vhd", "virtual hard disk files (New-/Get-/Optimize-/Convert-/Resize-/"
                          "Merge-VHD)")
    vs = vhd.add_subparsers(dest="command", metavar="ACTION", required=True)
    new = sub(vs, "new", "create a disk (New-VHD)")
    new.add_argument("path", metavar="PATH", help="relative paths go in the library's "
                                                  "Virtual Hard Disks folder")
    new.add_argument("--size-gb", type=num.DISK_SIZE_GB, default=127.0, metavar="GB")
    new.add_argument("--type", choices=("dynamic", "fixed", "differencing"), default="dynamic")
    new.add_argument("--parent", metavar="PATH", help="differencing: the parent disk")
    new.add_argument("--block-kb", type=num.BLOCK_KB, choices=(512, 2048), default=2048)
    inspect = sub(vs, "inspect", "show a disk (Get-VHD)")
    inspect.add_argument("path", metavar="PATH")
    for name, text in (("compact", "reclaim empty blocks (Optimize-VHD)"),):
        p = sub(vs, name, text)
        p.add_argument("path", metavar="PATH")
    conv = sub(vs, "convert", "write a fixed or dynamic copy (Convert-VHD)")
    conv.add_argument("path", metavar="PATH")
    conv.add_argument("destination", metavar="DEST")
    conv.add_argument("--type", choices=("dynamic", "fixed"), default="dynamic")
    exp = sub(vs, "expand", "grow the maximum size (Resize-VHD)")
    exp.add_argument("path", metavar="PATH")
    exp.add_argument("--size-gb", type=num.DISK_SIZE_GB, required=True, metavar="GB")
    merge = sub(vs, "merge", "merge a differencing disk into its parent or a new disk "
                             "(Merge-VHD)")
    merge.add_argument("path", metavar="PATH")
    merge.add_argument("--into", metavar="DEST", help="a new disk instead of the parent")
    rec = sub(vs, "reconnect", "point a differencing disk at its moved parent "
                               "(Set-VHD -ParentPath)")
    rec.add_argument("path", metavar="PATH")
    rec.add_argument("parent", metavar="PARENT")
    rec.add_argument("--ignore-id-mismatch", action="store_true")

    cp = sub(vm_actions, "checkpoint", "create a checkpoint (Checkpoint-VM)")
    cp.add_argument("name", metavar="NAME")
    cp.add_argument("--checkpoint-name", metavar="TEXT")
    cps = sub(vm_actions, "checkpoints", "list the checkpoints (Get-VMSnapshot)")
    cps.add_argument("name", metavar="NAME")
    ap = sub(vm_actions, "apply-checkpoint", "apply a checkpoint (Restore-VMSnapshot)")
    ap.add_argument("name", metavar="NAME")
    ap.add_argument("checkpoint", metavar="CHECKPOINT", help="id or name")
    rm = sub(vm_actions, "remove-checkpoint", "delete a checkpoint (Remove-VMSnapshot)")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("checkpoint", metavar="CHECKPOINT", help="id or name")
    rm.add_argument("--subtree", action="store_true", help="-IncludeAllChildSnapshots")
    ex = sub(vm_actions, "export", "export to a folder (Export-VM)")
    ex.add_argument("name", metavar="NAME")
    ex.add_argument("folder", metavar="FOLDER")
    im = sub(vm_actions, "import", "import an exported VM (Import-VM)")
    im.add_argument("folder", metavar="FOLDER", help="the exported VM's folder")
    im.add_argument("--mode", choices=("register", "restore", "copy"), default="register",
                    help="register in place (default), restore (copy files, same id) or "
                         "copy (new id)")
    vmc = sub(vm_actions, "import-vmc", "rebuild a Virtual Server 2005 R2 VM (.vmc and its "
             ".vhd) as a Hyper-V VM; prints what changed")
    vmc.add_argument("vmc", metavar="VMC", help="the .vmc file; its .vhd files beside it")
    vmc.add_argument("--os", metavar="ID", help="the guest OS (default ws2003sp2-x86)")
    dk = sub(vm_actions, "disks", "the VM's disk files (current chain and sizes)")
    dk.add_argument("name", metavar="NAME")


def _finish(lib: Library, job: Job) -> Job:
    done = lib.api.wait(job)
    if done.state is not JobState.COMPLETED:
        from hvlab.engine.api import HvError

        raise HvError(f"{done.description} {done.state.value.lower()}.",
                      [done.error] if done.error else [])
    return done


def _info_json(info: Any) -> dict[str, Any]:
    return {"path": info.path, "format": info.format, "type": info.disk_type.name.lower(),
            "file_size": info.file_size, "maximum_size": info.maximum_size,
            "block_size": info.block_size, "blocks_total": info.blocks_total,
            "blocks_allocated": info.blocks_allocated, "parent_path": info.parent_path,
            "parent_found": info.parent_found, "unique_id": str(info.unique_id).upper(),
            "notes": list(info.notes)}


def _info_text(info: Any) -> str:
    return output.fields([
        ("Path", info.path), ("Format", info.format), ("Type", info.disk_type.name.title()),
        ("Current file size", f"{info.file_size:,} bytes"),
        ("Maximum disk size", f"{info.maximum_size:,} bytes"),
        ("Blocks", f"{info.blocks_allocated:,} of {info.blocks_total:,} allocated"),
        ("Parent", info.parent_path or "")])


def _vhd(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    cmd = args.command
    if cmd == "new":
        job = api.new_vhd(args.path, int(args.size_gb * GB), disk_type=args.type,
                          parent=args.parent, block_size=args.block_kb * 1024)
    elif cmd == "compact":
        job = api.compact_vhd(args.path)
    elif cmd == "convert":
        job = api.convert_vhd(args.path, args.destination, args.type)
    elif cmd == "expand":
        job = api.expand_vhd(args.path, int(args.size_gb * GB))
    elif cmd == "merge":
        job = api.merge_vhd(args.path, args.into)
    elif cmd == "reconnect":
        job = api.reconnect_vhd(args.path, args.parent, args.ignore_id_mismatch)
    else:
        job = None
    if job is not None:
        _finish(lib, job)
    target = {"convert": getattr(args, "destination", None),
              "merge": getattr(args, "into", None)}.get(cmd) or args.path
    if cmd == "merge" and not args.into:
        out.emit({"merged": args.path}, f"Merged '{args.path}' into its parent.")
        return 0
    info = api.inspect_vhd(target)
    out.emit(_info_json(info), _info_text(info))
    return 0


def _checkpoints(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    if args.command == "checkpoint":
        api.checkpoint(vm.id, args.checkpoint_name)
    elif args.command == "apply-checkpoint":
        api.apply_checkpoint(vm.id, args.checkpoint)
    elif args.command == "remove-checkpoint":
        api.delete_checkpoint(vm.id, args.checkpoint, subtree=args.subtree)
    current = api.current_checkpoint(vm.id)
    cps = api.checkpoints(vm.id)
    data = [{"id": c.id, "name": c.name, "parent_id": c.parent_id,
             "created_seconds": c.created_seconds, "has_saved_state": c.has_saved_state,
             "now_follows": c.id == current} for c in cps]
    rows = [[c.name, c.id, c.parent_id or "", "yes" if c.has_saved_state else "no",
             "<- Now" if c.id == current else ""] for c in cps]
    words = api.host_profile(vm.host_id).words  # "Snapshot" on 2008 and 2008 R2
    out.emit(data, output.table([words.checkpoint, "Id", "Parent", "Saved state", ""], rows)
             if cps else f"'{vm.name}' has no {words.checkpoints.lower()}.")
    return 0


def _transfer(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    if args.command == "export":
        vm = api.vm(args.name)
        _finish(lib, api.export_vm(vm.id, args.folder))
        out.emit({"exported": vm.name, "folder": args.folder},
                 f"Exported '{vm.name}' to {args.folder}.")
        return 0
    before = {v.id for v in api.vms()}
    changes: list[str] = []
    if args.command == "import-vmc":
        changes = api.virtual_server_changes(args.vmc, args.os)
        _finish(lib, api.import_virtual_server(args.vmc, args.os))
    else:
        _finish(lib, api.import_vm(args.folder, args.mode))
    new = [v for v in api.vms() if v.id not in before]
    data: Any = [output.vm_json(v) for v in new]
    if args.command == "import-vmc":
        data = {"vms": data, "changes": changes}
    out.emit(data, "\n".join([*(f"Imported '{v.name}' ({v.id}), {v.state}." for v in new),
                              *(f"  - {c}" for c in changes)]))
    return 0


def _disks(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    disks = lib.api.vm_disks(args.name)
    out.emit([{"key": d.key, "path": d.path, "base_path": d.base_path, "exists": d.exists,
               "file_size": d.file_size, "chain_file_size": d.chain_file_size,
               "maximum_size": d.maximum_size, "chain_length": d.chain_length} for d in disks],
             output.table(["Drive", "Current file", "Files", "Size on disk", "Maximum"],
                          [[d.key, d.path, d.chain_length, f"{d.chain_file_size:,}",
                            f"{d.maximum_size:,}"] for d in disks]))
    return 0


HANDLERS: dict[tuple[str, str | None], Callable[..., int]] = {
    **{("vhd", name): _vhd for name in ("new", "inspect", "compact", "convert", "expand",
                                         "merge", "reconnect")},
    **{("vm", name): _checkpoints for name in ("checkpoint", "checkpoints", "apply-checkpoint",
                                               "remove-checkpoint")},
    ("vm", "export"): _transfer,
    ("vm", "import"): _transfer,
    ("vm", "import-vmc"): _transfer,
    ("vm", "disks"): _disks,
}
