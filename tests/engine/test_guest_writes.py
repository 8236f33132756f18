"""Guest writes are held back and reach each disk file together: a page written many times
goes out once, and the file's bytes do not depend on how the clock was driven."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hvlab.engine import fileguard
from hvlab.engine.api import ManagementApi
from hvlab.engine.config import HardDrive
from hvlab.engine.storage import create_vhd, open_vhd
from hvlab.engine.storage.writeback import PendingWrites

PAGE = 4096


def page(tag: int) -> bytes:
    return bytes([tag]) * PAGE


def test_a_page_written_many_times_reaches_the_file_once(tmp_path: Path) -> None:
    path = tmp_path / "disk.vhd"
    create_vhd(path, 64 * 1024**2)
    with open_vhd(path, writable=True) as disk:
        disk.write_sectors(8, page(1))  # the block exists: what follows is data only
        fileguard.reset_faults()
        disk.write_sectors(8, page(2))
        one_write = fileguard.file_operations()

        held = PendingWrites()
        for tag in (3, 4, 5, 6):
            held.hold(path, 8, page(tag), on_failure=_never)
        assert held.held_bytes == PAGE
        fileguard.reset_faults()
        held.write_out(path, disk)
        assert fileguard.file_operations() == one_write
        assert not held and held.held_bytes == 0
        assert bytes(disk.read_sectors(8, 8)) == page(6)


def test_pages_go_out_in_the_order_they_were_first_written(tmp_path: Path) -> None:
    # A dynamic disk allocates blocks in write order; the order held must be the order seen.
    path = tmp_path / "disk.vhd"
    create_vhd(path, 64 * 1024**2, block_size=512 * 1024, unique_id=bytes(16), timestamp=0)
    direct = tmp_path / "direct.vhd"
    create_vhd(direct, 64 * 1024**2, block_size=512 * 1024, unique_id=bytes(16), timestamp=0)
    writes = [(40960, page(1)), (8, page(2)), (40960, page(3)), (20480, page(4))]
    held = PendingWrites()
    for lba, data in writes:
        held.hold(path, lba, data, on_failure=_never)
    with open_vhd(path, writable=True) as disk:
        held.write_out(path, disk)
    with open_vhd(direct, writable=True) as disk:
        for lba, data in writes:
            disk.write_sectors(lba, data)
    assert path.read_bytes() == direct.read_bytes()


def test_a_failed_write_out_is_reported_once_and_dropped(tmp_path: Path) -> None:
    path = tmp_path / "disk.vhd"
    create_vhd(path, 64 * 1024**2)
    failures: list[BaseException] = []
    held = PendingWrites()
    held.hold(path, 8, page(1), on_failure=failures.append)
    with open_vhd(path) as read_only:
        held.write_out(path, read_only)
    assert len(failures) == 1 and "read-only" in str(failures[0])
    assert not held and held.held_bytes == 0


def test_held_writes_stay_under_their_limit(tmp_path: Path) -> None:
    api = ManagementApi(seed=5, storage_root=tmp_path / "lib")
    api.add_host("HOST", "ws2008r2")
    api.create_vm("VM", hard_drives=[HardDrive("IDE", 0, 0, "vm.vhd")], workload="file-server",
                  guest_is_installed=True)
    held = api.lab.disk_handles._held
    held.limit = 3 * PAGE
    seen: list[int] = []
    hold = held.hold

    def watched(*args: Any, **kwargs: Any) -> None:
        hold(*args, **kwargs)
        seen.append(held.held_bytes)

    held.hold = watched  # type: ignore[method-assign]
    api.wait(api.start("VM"))
    api.advance(150)  # past the boot: the guest runs its workload
    assert len(seen) > 8, "the guest wrote more pages than the limit holds"
    assert max(seen) <= 4 * PAGE  # at most one page over: written out at once
    assert held.held_bytes == 0  # and the clock call wrote out the rest
    api.close()


def _run(tmp_path: Path, steps: list[float]) -> tuple[dict[str, bytes], int]:
    """Two VMs writing to their disks for the given clock calls: the disk files' bytes and
    the file operations the calls cost."""
    api = ManagementApi(seed=11, storage_root=tmp_path)
    api.add_host("HOST", "ws2008r2")
    for name in ("WEB", "FILES"):
        api.create_vm(name, hard_drives=[HardDrive("IDE", 0, 0, f"{name}.vhd")],
                      workload="file-server", guest_is_installed=True)
        api.start(name)
    fileguard.reset_faults()
    for seconds in steps:
        api.advance(seconds)
    operations = fileguard.file_operations()
    api.close()
    return ({p.name: p.read_bytes() for p in sorted((tmp_path / "Virtual Hard Disks").glob(
        "*.vhd"))}, operations)


def test_disk_bytes_are_the_same_however_the_clock_is_driven(tmp_path: Path) -> None:
    one_call, fewer = _run(tmp_path / "one", [120.0])
    ticks, more = _run(tmp_path / "ticks", [0.5] * 240)
    assert one_call.keys() == {"WEB.vhd", "FILES.vhd"}
    assert one_call == ticks
    # Held over the whole call, each disk is opened and each page written once.
    assert fewer < more


def _never(err: BaseException) -> None:
    raise AssertionError(f"no write should fail here: {err}")
