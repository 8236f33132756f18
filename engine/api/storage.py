"""The storage part of the management API: disks, checkpoints, export and import.

Part of :class:`hvlab.engine.api.ManagementApi`.  Disk operations run on a worker thread and
return a Job (percent, Cancel); they complete at the next ``advance``/``poll`` after the work
is done, and ``wait`` blocks for them.  Checkpoint operations change small files and run
at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvlab.engine import bounds, fileguard
from hvlab.engine import storage as vhds
from hvlab.engine.api.surface import ApiCore, command, query
from hvlab.engine.api.types import CheckpointInfo, VmDiskInfo
from hvlab.engine.api.values import parse_disk_type
from hvlab.engine.errors import HvError, InvalidStateError, ValidationError
from hvlab.engine.jobs import Job
from hvlab.engine.lifecycle import Operation, VmState
from hvlab.engine.vmms import checkpoints, power, rules, vm_files, vm_removal, vs_import
from hvlab.engine.vmms.transfer import (
    discard_export,
    do_import,
    export_bytes,
    import_bytes,
    place_export,
    plan_export,
    read_import,
    stage_export,
    transfer_seconds,
)

if TYPE_CHECKING:
    from hvlab.engine.vmms.host import Host
    from hvlab.engine.vmms.runtime import VmRuntime


#: The smallest disk New-VHD makes here: 1 MiB (hvctl's --size-gb takes 0.001 GB).
MIN_DISK_SIZE = 1024**2


class StorageCalls(ApiCore):
    """Disks, checkpoints, export and import (see hvlab.engine.vmms)."""

    # -- files -----------------------------------------------------------------------------
    @query
    def vhd_folder(self) -> str:
        """Where new virtual hard disks go by default (the library's VHD folder)."""
        folder = vm_files.vhd_folder(self.lab)
        if folder is None:
            return os.getcwd()
        return os.fspath(folder)

    def _path(self, path: str) -> str:
        resolved = vm_files.resolve(self.lab, path)
        return os.fspath(resolved) if resolved is not None else os.path.abspath(path)

    def _users(self, path: str) -> list[tuple[VmRuntime, str]]:
        """VMs using the file, and how (current disk, checkpoint chain)."""
        target = os.path.realpath(path)
        out = []
        for host in self.lab.hosts.values():
            for vm in host.vms.values():
                files = {os.path.realpath(os.fspath(p)): "attached" for d in vm.config.hard_drives
                         if (p := vm_files.current_path(self.lab, vm, d)) is not None}
                for link in vm_files.chain_files(vm):
                    files.setdefault(os.path.realpath(vm_files.chain_file(self.lab, link)),
                                     "checkpoints")
                for d in vm.config.hard_drives:
                    b = vm_files.base_path(self.lab, d)
                    if b is not None and vm.checkpoints:
                        files[os.path.realpath(os.fspath(b))] = "checkpoints"
                if target in files:
                    out.append((vm, files[target]))
        return out

    def _require_editable(self, path: str, action: str) -> None:
        for vm, how in self._users(path):
            if how == "checkpoints":
                raise InvalidStateError(
                    f"The virtual hard disk '{path}' cannot be {action}.",
                    [f"It is part of the checkpoints of the virtual machine '{vm.name}'; "
                     "editing it would break the differencing disks that depend on it. "
                     "Delete the checkpoints first."])
            if vm.state is not VmState.OFF:
                raise InvalidStateError(
                    f"The virtual hard disk '{path}' cannot be {action}.",
                    [f"It is in use by the virtual machine '{vm.name}', which is "
                     f"{vm.state.value}. Turn it off (or delete its saved state) first."])

    def _file_job(self, kind: str, description: str, work: Any, on_done: Any = None,
                  vm_id: str = "", *, host: Host | None = None, seconds: float = 0.0,
                  discard: Any = None) -> Job:
        lab = self.lab
        if host is None:
            host = next(iter(lab.hosts.values())) if lab.hosts else None
        job = lab.new_file_job(kind, description, host.id if host else "", vm_id, work, on_done,
                               seconds=seconds, discard=discard)
        return job.view(lab.sim.now_us)

    @command
    def poll(self) -> None:
        """Apply finished file work without moving simulated time."""
        self.lab.poll_files()

    @command
    def new_vhd(self, path: str, size_bytes: int = vm_files.DEFAULT_DISK_BYTES, *,
                disk_type: str | vhds.DiskType = "dynamic", parent: str | None = None,
                block_size: int = vhds.DEFAULT_BLOCK_SIZE) -> Job:
        """New-VHD: a fixed disk is written in the background (progress, Cancel)."""
        kind = parse_disk_type(disk_type)
        target = self._path(path)
        if not target.lower().endswith((".vhd", ".avhd")):
            raise ValidationError("path", "A virtual hard disk file name ends in .vhd.")
        if os.path.exists(target):
            raise ValidationError("path", f"The file '{target}' already exists.")
        if kind is not vhds.DiskType.DIFFERENCING:
            size_bytes = bounds.whole("size_bytes", "The size of a VHD", size_bytes,
                                      MIN_DISK_SIZE, vhds.MAX_DISK_SIZE, "bytes")
        parent_path = self._path(parent) if parent is not None else None
        if kind is vhds.DiskType.DIFFERENCING and (parent_path is None
                                              or not os.path.exists(parent_path)):
            raise ValidationError("parent", "A differencing disk needs an existing parent disk.")
        folder = os.path.dirname(target) or "."
        with fileguard.granted(folder):  # the user named this file for New-VHD
            try:
                fileguard.mkdir(folder, parents=True)
            except OSError as exc:
                raise ValidationError("path", f"The folder for '{target}' cannot be created: "
                                              f"{exc.strerror or exc}.") from None

            def work(progress: Any, cancelled: Any) -> vhds.VhdInfo:
                return vhds.new_disk(target, size_bytes, disk_type=kind, block_size=block_size,
                                parent=parent_path, progress=lambda p: progress(p / 100),
                                cancelled=cancelled)

            return self._file_job("new-vhd", f"Creating {os.path.basename(target)}", work)

    @query
    def inspect_vhd(self, path: str) -> vhds.VhdInfo:
        """Inspect Disk: format, type, sizes, parent and the block allocation."""
        return vhds.inspect_disk(self._path(path))

    @command
    def compact_vhd(self, path: str) -> Job:
        target = self._path(path)
        self._require_editable(target, "compacted")
        self.lab.disk_handles.close([Path(target)])
        with fileguard.granted(os.path.dirname(target)):  # rebuilt beside itself
            return self._file_job("compact-vhd", f"Compacting {os.path.basename(target)}",
                                  lambda progress, cancelled: vhds.compact_disk(
                                      target, progress=lambda p: progress(p / 100),
                                      cancelled=cancelled))

    @command
    def convert_vhd(self, source: str, destination: str,
                    disk_type: str | vhds.DiskType = "dynamic") -> Job:
        src, dst = self._path(source), self._path(destination)
        self._require_editable(src, "converted")
        kind = parse_disk_type(disk_type)
        with fileguard.granted(os.path.dirname(dst)):
            return self._file_job("convert-vhd", f"Converting {os.path.basename(src)}",
                                  lambda progress, cancelled: vhds.convert_disk(
                                      src, dst, disk_type=kind,
                                      progress=lambda p: progress(p / 100),
                                      cancelled=cancelled))

    @command
    def expand_vhd(self, path: str, new_size_bytes: int) -> Job:
        target = self._path(path)
        self._require_editable(target, "expanded")
        new_size_bytes = bounds.whole("new_size_bytes", "The new size of a VHD", new_size_bytes,
                                      MIN_DISK_SIZE, vhds.MAX_DISK_SIZE, "bytes")
        with fileguard.granted(target):
            return self._file_job("expand-vhd", f"Expanding {os.path.basename(target)}",
                                  lambda progress, cancelled: vhds.expand_disk(
                                      target, new_size_bytes,
                                      progress=lambda p: progress(p / 100),
                                      cancelled=cancelled))

    @command
    def merge_vhd(self, child: str, destination: str | None = None) -> Job:
        src = self._path(child)
        self._require_editable(src, "merged")
        dst = self._path(destination) if destination is not None else None
        # The child goes, and its data into its parent or the new disk named.
        try:
            parent = vhds.inspect_disk(src).parent_path
        except HvError:
            parent = None  # the job reports what is wrong with the disk
        named = [src, dst and os.path.dirname(dst), None if dst else parent]
        with fileguard.granted(*[p for p in named if p]):
            return self._file_job("merge-vhd", f"Merging {os.path.basename(src)}",
                                  lambda progress, cancelled: vhds.merge_disk(
                                      src, dst, progress=lambda p: progress(p / 100),
                                      cancelled=cancelled))

    @command
    def reconnect_vhd(self, child: str, parent: str, ignore_id_mismatch: bool = False) -> Job:
        src, par = self._path(child), self._path(parent)
        self._require_editable(src, "reconnected")
        with fileguard.granted(src):
            return self._file_job("reconnect-vhd", f"Reconnecting {os.path.basename(src)}",
                                  lambda progress, cancelled: vhds.reconnect_disk(
                                      src, par, ignore_id_mismatch=ignore_id_mismatch))

    # -- a VM's disks -------------------------------------------------------------------------
    @query
    def vm_disks(self, ref: str) -> list[VmDiskInfo]:
        """Each drive's files: current and configured, with real file sizes."""
        _, vm = self._resolve(ref)
        out = []
        for d in vm.config.hard_drives:
            cur = vm_files.current_path(self.lab, vm, d)
            base = vm_files.base_path(self.lab, d)
            exists = cur is not None and cur.exists()
            chain, size, maximum = 0, 0, 0
            link = vm.current_disks.get(vm_files.drive_key(d)) or (
                vm_files.chain_path(self.lab, base) if base is not None else "")
            seen: set[str] = set()
            while link and link not in seen and (f := vm_files.chain_file(self.lab, link)).exists():
                seen.add(link)
                chain += 1
                size += f.stat().st_size
                link = vm.disk_parents.get(link, "")
            if exists and cur is not None:
                try:
                    maximum = vhds.inspect_disk(cur).maximum_size
                except HvError:  # a damaged file still lists, its size unknown
                    maximum = 0
            out.append(VmDiskInfo(vm_files.drive_key(d), os.fspath(cur) if cur else d.path,
                                  os.fspath(base) if base else d.path, exists,
                                  os.path.getsize(cur) if exists and cur else 0, size,
                                  maximum, chain))
        return out

    @query
    def guest_read(self, ref: str, drive: str, lba: int, sectors: int) -> bytes:
        """What the guest reads from a drive (through its checkpoint chain)."""
        _, vm = self._resolve(ref)
        return vm_files.read_drive(self.lab, vm, drive, lba, sectors)

    @command
    def guest_write(self, ref: str, drive: str, lba: int, data: bytes) -> None:
        """Write to a drive as the guest would (training demos and tests)."""
        _, vm = self._resolve(ref)
        vm_files.write_drive(self.lab, vm, drive, lba, data)

    # -- deleting a VM with its disks ------------------------------------------------------
    @query
    def vm_disk_files(self, ref: str) -> list[str]:
        """The virtual hard disk files :meth:`delete_vm_and_disks` would delete with the
        VM: each drive's disk and its checkpoints' differencing disks, that exist and that no
        other VM uses (sorted)."""
        host, vm = self._resolve(ref)
        return [str(p) for p in vm_removal.disk_files(host, vm, self._every_vm())]

    @command
    def delete_vm_and_disks(self, ref: str) -> Job:
        """Delete the VM and :meth:`vm_disk_files`, as a job with progress and Cancel: the
        VM goes only when every file is aside; a cancelled or failed job keeps them all."""
        host, vm = self._resolve(ref)
        return vm_removal.delete_with_disks(host, vm, self._every_vm()).view(self.lab.sim.now_us)

    def _every_vm(self) -> list[tuple[Host, VmRuntime]]:
        return [(h, v) for h in self.lab.hosts.values() for v in h.vms.values()]

    # -- checkpoints --------------------------------------------------------------------------
    @command
    def checkpoint(self, ref: str, name: str | None = None) -> Job:
        """Checkpoint-VM."""
        host, vm = self._resolve(ref)
        if (failed := self._injected_failure(host, vm, "checkpoint",
                                             "Creating checkpoint")) is not None:
            return failed
        record = checkpoints.take_checkpoint(host, vm, name)
        return self._instant_job(host, vm, "checkpoint", f"Creating checkpoint {record.name}")

    def _injected_failure(self, host: Host, vm: VmRuntime, kind: str,
                          description: str) -> Job | None:
        """The job, already Failed, when an injected fault fails ``kind`` (nothing done)."""
        record = power.injected_failure(host, vm, kind, description)
        if record is None:
            return None
        self.lab.publish_vm_changed(host, vm)
        return record.view(self.lab.sim.now_us)

    def _instant_job(self, host: Host, vm: VmRuntime, kind: str, description: str) -> Job:
        job = self.lab.new_job(kind, description, host.id, vm.id, 0.0, False)
        self.lab.finish_job(job)
        self.lab.publish_vm_changed(host, vm)
        return job.view(self.lab.sim.now_us)

    @query
    def checkpoints(self, ref: str) -> list[CheckpointInfo]:
        _, vm = self._resolve(ref)
        return [CheckpointInfo(cp.id, cp.name, cp.parent, cp.created_us / 1e6,
                               cp.saved_state is not None) for cp in vm.checkpoints]

    @query
    def current_checkpoint(self, ref: str) -> str | None:
        """The checkpoint the VM's running state ("Now") follows."""
        _, vm = self._resolve(ref)
        return vm.current_checkpoint

    @command
    def apply_checkpoint(self, ref: str, checkpoint_id: str) -> Job:
        host, vm = self._resolve(ref)
        checkpoints.find_checkpoint(vm, checkpoint_id)
        if (failed := self._injected_failure(host, vm, "apply-checkpoint",
                                             "Applying checkpoint")) is not None:
            return failed
        checkpoints.apply_checkpoint(host, vm, checkpoint_id)
        return self._instant_job(host, vm, "apply-checkpoint", "Applying checkpoint")

    @command
    def revert(self, ref: str) -> Job:
        """Revert: apply the checkpoint the VM's running state follows ("Now"'s parent), as
        Virtual Machine Connection's Action ▸ Revert does; what it did since is lost."""
        host, vm = self._resolve(ref)
        reason = rules.operation_blocker(host, vm, Operation.REVERT)
        if reason is not None or vm.current_checkpoint is None:
            raise InvalidStateError(f"Cannot revert '{vm.name}'.",
                                    [reason or rules.NO_CHECKPOINT_TO_REVERT])
        return self.apply_checkpoint(ref, vm.current_checkpoint)

    @command
    def rename_checkpoint(self, ref: str, checkpoint_id: str, name: str) -> None:
        host, vm = self._resolve(ref)
        checkpoints.rename_checkpoint(host, vm, checkpoint_id, name)
        self.lab.publish_vm_changed(host, vm)

    @command
    def delete_checkpoint(self, ref: str, checkpoint_id: str, subtree: bool = False) -> Job:
        host, vm = self._resolve(ref)
        checkpoints.find_checkpoint(vm, checkpoint_id)
        if (failed := self._injected_failure(host, vm, "delete-checkpoint",
                                             "Deleting checkpoint")) is not None:
            return failed
        checkpoints.delete_checkpoint(host, vm, checkpoint_id, subtree)
        return self._instant_job(host, vm, "delete-checkpoint",
                                 "Deleting checkpoint subtree" if subtree else
                                 "Deleting checkpoint")

    # -- export and import -----------------------------------------------------------------
    @command
    def export_vm(self, ref: str, folder: str) -> Job:
        """Export-VM: configuration, disks, checkpoints and saved state into ``folder``.
        The job takes the simulated time of copying the files at the host's storage rate;
        a Cancel before then removes what it wrote."""
        host, vm = self._resolve(ref)
        self.lab.disk_handles.close()
        target, copies, manifest = plan_export(self.lab, host, vm, Path(folder))
        vm_id = vm.id
        seconds = transfer_seconds(export_bytes(copies), host.hardware.storage_mb_per_s)
        with fileguard.granted(folder):  # the one folder outside the library it may write
            return self._file_job("export", f"Exporting {vm.name}",
                                  lambda progress, cancelled: stage_export(
                                      target, copies, manifest, vm_id, progress, cancelled),
                                  lambda tmp: place_export(tmp, target), vm_id=vm_id,
                                  host=host, seconds=seconds, discard=discard_export)

    @query
    def virtual_server_changes(self, vmc_path: str, guest_os: str | None = None,
                               host: str | None = None) -> list[str]:
        """What importing a Virtual Server 2005 R2 machine (``.vmc`` beside its ``.vhd``)
        changes, one sentence each; checked completely, nothing written."""
        return vs_import.preview(self._host(host), Path(vmc_path), guest_os)[1]

    @command
    def import_virtual_server(self, vmc_path: str, guest_os: str | None = None,
                              host: str | None = None) -> Job:
        """Rebuild a Virtual Server 2005 R2 machine as a Hyper-V VM: its disks are copied
        into the library (progress, Cancel), then the VM is created with legacy network
        adapters and no integration services (engine/vmms/vs_import.py)."""
        h = self._host(host)
        cfg, changes = vs_import.preview(h, Path(vmc_path), guest_os)
        vm_id, key = self.lab.new_vm_identity()
        disks = [Path(d.path) for d in cfg.hard_drives]
        root = self.lab.storage_root

        def work(progress: Any, cancelled: Any) -> Path | None:
            return vs_import.copy_disks(root, vm_id, disks, progress, cancelled)

        def apply(final: Path | None) -> None:
            vm = vs_import.finish(h, cfg, final, vm_id, key)
            from hvlab.engine import events as ev
            from hvlab.engine.events import Level

            for change in changes:
                h.log(ev.CH_VMMS, ev.EV_VM_IMPORT, Level.INFORMATION,
                      f"'{vm.name}' (from Virtual Server 2005 R2): {change}", vm)

        return self._file_job("import", f"Importing {cfg.name} from Virtual Server", work,
                              apply)

    @command
    def import_vm(self, folder: str, mode: str = "register", host: str | None = None) -> Job:
        """Import-VM: Register in place, Restore (same id) or Copy (new id).  The folder is
        validated completely first; a refused import writes nothing.  The job takes the
        simulated time of copying what the import copies into the library at the host's
        storage rate; the files are copied when it has passed, so a Cancel before then
        leaves the library as it was."""
        h = self._host(host)
        source = Path(folder)
        manifest, config = read_import(source)
        new_id, key = self.lab.new_vm_identity()
        lab = self.lab
        seconds = transfer_seconds(import_bytes(source, manifest, config, mode),
                                   h.hardware.storage_mb_per_s)

        def work(progress: Any, cancelled: Any) -> None:
            progress(1.0)  # checked already; the copy is applied when the time has passed

        def apply(_: Any) -> None:
            vm = do_import(lab, h, source, mode, manifest, config, new_id, key)
            from hvlab.engine import events as ev
            from hvlab.engine.events import Level

            h.log(ev.CH_VMMS, ev.EV_VM_IMPORT, Level.INFORMATION,
                  f"'{vm.name}' was imported ({mode}) from '{source}'.", vm)

        return self._file_job("import", f"Importing {config.name}", work, apply, host=h,
                              seconds=seconds, discard=lambda _: None)
