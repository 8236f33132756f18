"""Delete a virtual machine together with its virtual hard disks, as a job.

Hyper-V Manager's Delete keeps a VM's disks; hvlab's Delete dialog offers to delete them
too.  The files are the VM's own: each drive's disk and every checkpoint differencing disk
of its chains, leaving out any file another VM uses.  The job moves each file aside (with
progress and Cancel); only when all are aside is the VM deleted and are the files retired
(deleted now, or by the library after its next commit).  A cancelled or failed job puts
every file back, so the VM and its disks stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from hvlab.engine import fileguard
from hvlab.engine.jobs import JobRecord
from hvlab.engine.lifecycle import Operation
from hvlab.engine.storage.errors import OperationCancelled
from hvlab.engine.vmms import inventory, rules, vm_files
from hvlab.engine.vmms.host import Host
from hvlab.engine.vmms.runtime import VmRuntime

KIND = rules.DELETE_FILES_KIND
ASIDE_SUFFIX = ".deleting"


def _files_of(host: Host, vm: VmRuntime) -> set[Path]:
    lab = host.lab
    files = {p for d in vm.config.hard_drives if (p := vm_files.base_path(lab, d)) is not None}
    files |= {vm_files.chain_file(lab, stored) for stored in vm_files.chain_files(vm)}
    return {Path(p).absolute() for p in files}


def disk_files(host: Host, vm: VmRuntime, every_vm: Iterable[tuple[Host, VmRuntime]]
               ) -> list[Path]:
    """The disk files Delete would remove with ``vm``: its own (no other of ``every_vm``
    uses them), that exist, sorted."""
    others: set[Path] = set()
    for other_host, other in every_vm:
        if other.id != vm.id:
            others |= _files_of(other_host, other)
    return sorted(p for p in _files_of(host, vm) - others if p.is_file())


def _move_aside(files: list[Path], progress: Callable[[float], None],
                cancelled: Callable[[], bool]) -> list[Path]:
    """On the file worker: rename each file to its aside name; all back on any stop."""
    moved: list[tuple[Path, Path]] = []
    try:
        for number, path in enumerate(files, 1):
            if cancelled():
                raise OperationCancelled("The deletion was cancelled.")
            aside = path.with_name(path.name + ASIDE_SUFFIX)
            fileguard.replace_file(path, aside)
            moved.append((path, aside))
            progress(number / len(files))
    except BaseException:
        for path, aside in reversed(moved):
            fileguard.replace_file(aside, path)
        raise
    return [aside for _path, aside in moved]


def delete_with_disks(host: Host, vm: VmRuntime, every_vm: Iterable[tuple[Host, VmRuntime]]
                      ) -> JobRecord:
    """Start the job that deletes ``vm`` and :func:`disk_files` (see the module's doc)."""
    rules.require(host, vm, Operation.DELETE)  # also refused while it is being deleted
    lab = host.lab
    files = disk_files(host, vm, every_vm)
    lab.disk_handles.close([p for d in vm.config.hard_drives
                            if (p := vm_files.current_path(lab, vm, d)) is not None])
    lab.disk_handles.close()

    def apply(asides: list[Path]) -> None:
        if vm.job_id == job.id:
            vm.job_id = None
        inventory.delete(host, vm)
        for aside in asides:
            lab.retire_file(aside)

    asides = [p.with_name(p.name + ASIDE_SUFFIX) for p in files]
    with fileguard.granted(*files, *asides):  # the worker keeps these grants
        job = lab.new_file_job(KIND, f"Deleting {vm.name} and its virtual hard disks",
                               host.id, vm.id,
                               lambda progress, cancelled: _move_aside(files, progress,
                                                                        cancelled),
                               apply)
    vm.job_id = job.id
    return job
