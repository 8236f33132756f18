"""Export and import take simulated time proportional to the data they copy, at the host's
storage rate (the profile's hardware ``storage_mb_per_s``), with progress and Cancel
(docs/engine.md, "Export and import take time").

Source: Microsoft Learn, "Export and import virtual machines" (Hyper-V Manager's Export and
Import copy the virtual machine's files, the virtual hard disks being the bulk of them); the
time of a file copy is its size divided by the storage's sequential rate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hvlab.engine.api import JobState, ManagementApi, open_library
from hvlab.engine.config import HardDrive
from hvlab.engine.vmms.transfer import MB, transfer_seconds
from tests.engine.untrusted import ok

SECTOR = 512
WRITE = 4 * 1024 * 1024  # 4 MB of guest data, so the disk is big enough to take time


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ManagementApi]:
    api = ManagementApi(seed=5, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008")
    api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "VM.vhd")])
    for n in range(4):  # 16 MB written across the disk
        api.guest_write("VM", "ide0:0", n * 1_000_000, bytes([n + 1]) * WRITE)
    yield api
    api.close()


def _files(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}


def test_four_gb_at_100_mb_per_s_takes_forty_seconds() -> None:
    """The figure of docs/engine.md: a 4 GB virtual machine copied at 100 MB/s."""
    seconds = transfer_seconds(4 * 1024**3, 100)
    assert seconds == pytest.approx(40, rel=0.05)
    assert transfer_seconds(4 * 1024**3, 400) == pytest.approx(seconds / 4)


def test_export_takes_the_bytes_over_the_hosts_storage_rate(api: ManagementApi,
                                                             tmp_path: Path) -> None:
    rate = api.host_profile().hardware.storage_mb_per_s
    assert rate == 120  # Windows Server 2008's reference server (resources/profiles)
    disk = Path(api.vm_disks("VM")[0].path)
    size = disk.stat().st_size
    assert size > 16 * 1024 * 1024
    start = api.now_seconds
    job = api.export_vm("VM", str(tmp_path / "out"))
    took = (job.expected_end_us - job.started_us) / 1e6
    assert took == pytest.approx(size / (rate * MB), rel=1e-6)
    assert took > 0.13  # 16 MB or more at 120 MB/s
    # The real copy is done (wall time); half-way through the simulated time the job
    # runs at about half and nothing is in place yet.
    api.lab.files.wait(job.id)
    api.poll()
    assert api.job(job.id).percent == 0
    api.advance(took / 2)
    half = api.job(job.id)
    assert half.state is JobState.RUNNING
    assert 40 <= half.percent <= 50
    assert not (tmp_path / "out" / "VM").exists()
    done = api.wait(job)
    assert done.state is JobState.COMPLETED, done.error
    assert done.finished_us is not None
    assert (done.finished_us - job.started_us) / 1e6 == pytest.approx(took, rel=0.05)
    assert api.now_seconds - start == pytest.approx(took, rel=0.05)
    assert _files(tmp_path / "out" / "VM")["Virtual Hard Disks/VM.vhd"] == size


def test_cancel_during_the_wait_removes_what_the_export_wrote(api: ManagementApi,
                                                              tmp_path: Path) -> None:
    job = api.export_vm("VM", str(tmp_path / "out"))
    api.advance(0.01)
    cancelled = api.cancel_job(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert _files(tmp_path / "out") == {}, "no export and no temporary folder is left"
    api.advance(5)
    assert api.job(job.id).state is JobState.CANCELLED
    assert not (tmp_path / "out" / "VM").exists()


def test_import_takes_time_and_cancel_leaves_the_library_as_it_was(api: ManagementApi,
                                                                   tmp_path: Path) -> None:
    rate = api.host_profile().hardware.storage_mb_per_s
    assert api.wait(api.export_vm("VM", str(tmp_path / "out"))).error is None
    exported = tmp_path / "out" / "VM"
    size = sum(_files(exported / "Virtual Hard Disks").values())
    library = api.lab.storage_root
    assert library is not None
    before = _files(library)
    job = api.import_vm(str(exported), "copy")
    took = (job.expected_end_us - job.started_us) / 1e6
    assert took == pytest.approx(size / (rate * MB), rel=1e-6)
    api.advance(took / 4)
    assert api.job(job.id).state is JobState.RUNNING
    assert api.job(job.id).percent <= 25
    assert api.cancel_job(job.id).state is JobState.CANCELLED
    api.advance(1)
    assert _files(library) == before
    assert [v.name for v in api.vms()] == ["VM"]
    # Register copies nothing the library keeps (no checkpoints): it takes no time.
    assert api.import_vm(str(exported), "register").expected_end_us \
        == api.job(api.jobs()[-1].id).started_us
    again = api.wait(api.jobs()[-1].id)
    assert again.state is JobState.FAILED  # the same id as VM: Register keeps it
    copy = api.wait(api.import_vm(str(exported), "copy"))
    assert copy.state is JobState.COMPLETED, copy.error
    assert (copy.finished_us or 0) - copy.started_us == pytest.approx(took * 1e6, rel=0.05)
    assert sorted(v.name for v in api.vms()) == ["VM", "VM (2)"]


def test_a_library_closed_during_an_export_cancels_it_and_keeps_the_library(
        tmp_path: Path) -> None:
    """The choice of docs/engine.md: a copy does not outlive the process; closing the
    library cancels it (what it wrote is removed) and the reopened library says so."""
    library = open_library(tmp_path / "lib", program="hvctl", empty=True, profile="ws2008")
    api = library.api
    api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "VM.vhd")])
    api.guest_write("VM", "ide0:0", 0, b"\x01" * WRITE)
    job = api.export_vm("VM", str(tmp_path / "out"))
    library.close()
    assert _files(tmp_path / "out") == {}
    again = open_library(tmp_path / "lib", program="hvctl")
    try:
        record = again.api.job(job.id)
        assert record.state is JobState.CANCELLED
        assert record.error == "The operation was cancelled."
        assert [v.name for v in again.api.vms()] == ["VM"]
        assert again.api.vm("VM").state == "Off"
    finally:
        again.close()


def test_hvctl_export_advances_the_simulated_clock(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    ok(lib, "--profile", "ws2008", "--empty", "vm", "new", "VM", "--vhd", "VM.vhd")
    before = json.loads(ok(lib, "--json", "clock", "show"))
    ok(lib, "vm", "export", "VM", str(tmp_path / "out"))
    after = json.loads(ok(lib, "--json", "clock", "show"))
    disk = next((tmp_path / "out" / "VM" / "Virtual Hard Disks").glob("*.vhd"))
    expected = disk.stat().st_size / (120 * MB)
    elapsed = after["now_seconds"] - before["now_seconds"]
    assert elapsed == pytest.approx(expected, rel=0.05, abs=0.002)
    assert elapsed > 0
