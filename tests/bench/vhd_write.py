"""VHD write benchmark: 1 GiB written sequentially into a new dynamic VHD by hvlab, against
``qemu-img convert -f raw -O vpc`` of the same raw data, in one run.

Both read the same raw file from the page cache, overlapping reads with writes (qemu with
its thread pool, hvlab with one reader thread), and end with an fsync of the VHD. A third
figure is hvlab's write path alone, from data already in memory. Prints the best of
``--rounds`` and hvlab's speed as a fraction of qemu's (goal: at least 0.8); the two VHDs
must compare identical or the run is void. Run:
``.venv/bin/python tests/bench/vhd_write.py [--size-mib 1024] [--chunk-mib 2] [--rounds 4]``.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hvlab.engine.storage import create_vhd, open_vhd

MiB = 1024 * 1024


def make_raw(path: Path, size: int) -> None:
    """Random data (incompressible, no zero blocks for qemu to skip), written once."""
    rng = np.random.default_rng(2008)
    chunk = rng.integers(0, 256, 64 * MiB, dtype=np.uint8).tobytes()
    with open(path, "wb") as out:
        for done in range(0, size, len(chunk)):
            # Vary each chunk cheaply so no two blocks are alike.
            out.write(chunk[:8] + done.to_bytes(8, "little") + chunk[16:min(len(chunk),
                                                                          size - done)])


def warm(path: Path) -> None:
    with open(path, "rb") as source:
        while source.read(64 * MiB):
            pass


def hvlab_write(raw: Path, vhd: Path, size: int, chunk: int) -> float:
    """File to VHD like qemu-img convert: a reader thread fills buffers while this thread
    writes them into the VHD (qemu overlaps reads and writes with its thread pool too;
    os.preadv/pwritev release the GIL, so the two really run at once)."""
    start = time.perf_counter()
    create_vhd(vhd, size)
    free: queue.Queue[bytearray] = queue.Queue()
    full: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
    for _ in range(4):
        free.put(bytearray(chunk))

    def read_ahead() -> None:
        with open(raw, "rb", buffering=0) as source:
            while True:
                buf = free.get()
                got = source.readinto(buf)
                if not got:
                    full.put(None)
                    return
                full.put((buf, got))

    reader = threading.Thread(target=read_ahead, daemon=True)
    reader.start()
    with open_vhd(vhd, writable=True) as disk:
        lba = 0
        while (item := full.get()) is not None:
            buf, got = item
            disk.write_sectors(lba, memoryview(buf)[:got])
            lba += got // 512
            free.put(buf)
        disk.flush()
    reader.join()
    return time.perf_counter() - start


def hvlab_write_from_memory(data: memoryview, vhd: Path, chunk: int) -> float:
    """The write path alone: the data is already in memory, as a guest's writes are."""
    start = time.perf_counter()
    create_vhd(vhd, len(data))
    with open_vhd(vhd, writable=True) as disk:
        for offset in range(0, len(data), chunk):
            disk.write_sectors(offset // 512, data[offset:offset + chunk])
        disk.flush()
    return time.perf_counter() - start


def qemu_convert(raw: Path, vhd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vpc", str(raw), str(vhd)],
                   check=True)
    with open(vhd, "rb") as done:
        os.fsync(done.fileno())  # qemu flushes on close; make both end durable alike
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=2,
                        help="bytes per write_sectors call (qemu-img uses 2 MiB buffers)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--dir", default=None, help="where to put the files (default: TMPDIR)")
    args = parser.parse_args()
    if shutil.which("qemu-img") is None:
        sys.exit("qemu-img not found: install qemu-utils")
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        raw = Path(folder) / "data.raw"
        make_raw(raw, size)
        ours_times, qemu_times = [], []
        ours, theirs = Path(folder) / "hvlab.vhd", Path(folder) / "qemu.vhd"
        memory_times: list[float] = []
        data = memoryview(raw.read_bytes())
        for round_ in range(args.rounds):
            # Alternate who goes first, and start each from settled page cache: on small
            # VMs the writeback of the previous 1 GiB otherwise lands on the next run.
            order = ("hvlab", "qemu", "memory") if round_ % 2 == 0 else ("qemu", "memory",
                                                                          "hvlab")
            for who in order:
                warm(raw)
                os.sync()
                if who == "hvlab":
                    ours_times.append(hvlab_write(raw, ours, size, args.chunk_mib * MiB))
                elif who == "memory":
                    memory = Path(folder) / "memory.vhd"
                    memory_times.append(hvlab_write_from_memory(data, memory,
                                                                args.chunk_mib * MiB))
                    memory.unlink()
                else:
                    qemu_times.append(qemu_convert(raw, theirs))
            same = subprocess.run(["qemu-img", "compare", "-q", "-f", "vpc", "-F", "vpc",
                                   str(ours), str(theirs)], check=False).returncode == 0
            ours.unlink()
            theirs.unlink()
            if not same:
                sys.exit("the two VHDs differ: the benchmark is void")
        best_ours, best_qemu, best_memory = min(ours_times), min(qemu_times), min(memory_times)
        version = subprocess.run(["qemu-img", "--version"], capture_output=True, text=True,
                                 check=True).stdout.splitlines()[0]
        mib = args.size_mib
        print(f"{mib} MiB sequentially into a new dynamic VHD, {args.chunk_mib} MiB writes, "
              f"fsync at the end, best of {args.rounds}:")
        print(f"  qemu-img convert -O vpc   {best_qemu:6.3f} s {mib / best_qemu:7.1f} MiB/s"
              f"  ({version})")
        print(f"  hvlab, raw file -> VHD    {best_ours:6.3f} s {mib / best_ours:7.1f} MiB/s"
              f"  speed vs qemu {best_qemu / best_ours:.2f} (goal >= 0.80)")
        print(f"  hvlab, memory -> VHD      {best_memory:6.3f} s {mib / best_memory:7.1f} MiB/s"
              f"  speed vs qemu {best_qemu / best_memory:.2f}")

if __name__ == "__main__":
    main()
