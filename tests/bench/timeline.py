"""Rewind timeline benchmark: what keeping moments to go back to costs, on the demo lab and on
1,024 running VMs, against capturing the whole lab at every moment (docs/engine.md, "The
rewind timeline").

Run: ``.venv/bin/python tests/bench/timeline.py [--seconds N]``.

For each lab the clock runs ``N`` simulated seconds (default 600) in 1 s steps, as the
console's engine thread runs it, with a command every 45 s, while the lab keeps a timeline
(a moment every 30 s).  Printed:

- a whole capture (``capture_state``): wall time and size: what keeping every moment cost
  before (one capture per moment);
- with the timeline: keyframes taken, calls journalled, the wall time spent keeping it
  against the engine's time, and the memory it holds (keyframes and counter archive);
- a rewind to the oldest moment and to the middle one: its wall time, and whether the lab
  then equals, to the byte, the state captured at that moment during the run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hvlab.engine.api import ManagementApi, build_lab, load_lab_definition
from tests.bench.engine_step import running_lab


def demo_lab() -> ManagementApi:
    api = ManagementApi(seed=0)
    build_lab(api, load_lab_definition("demo"))
    return api


def _mb(size: int) -> str:
    return f"{size / 1_048_576:8.2f} MB"


def measure(label: str, api: ManagementApi, seconds: int) -> None:
    print(f"{label}: {len(api.vms())} VMs, {seconds} simulated seconds in 1 s steps")
    t0 = time.perf_counter()
    whole = api.capture_state()
    capture_s = time.perf_counter() - t0
    moments = seconds // 30
    print(f"  one whole capture: {capture_s * 1000:9.1f} ms, {_mb(len(whole.data))}; "
          f"at every moment: {capture_s * moments:7.2f} s and {_mb(len(whole.data) * moments)}"
          f" for {moments} moments")
    api.keep_timeline(30.0)
    names = [v.name for v in api.vms()]
    kept: dict[int, bytes] = {}
    t0 = time.perf_counter()
    for second in range(seconds):
        if second % 45 == 44:
            api.set_vm(names[second % len(names)], notes=f"changed at {second} s")
        api.advance(1.0)
        if second == seconds // 2 - 1:
            pause = time.perf_counter()
            kept[api.now_us] = api.capture_state().data  # for the check, not timed
            t0 += time.perf_counter() - pause
    run_s = time.perf_counter() - t0
    figures = api.timeline_figures()
    engine_s = run_s - figures.keeping_seconds
    print(f"  run with the timeline: {run_s:7.2f} s wall, of which keeping it "
          f"{figures.keeping_seconds:6.2f} s ({100 * figures.keeping_seconds / engine_s:5.1f} % "
          f"of the engine's {engine_s:.2f} s); before: {100 * capture_s * moments / engine_s:6.1f}"
          f" %")
    print(f"  holds {figures.moments} moments from {figures.keyframes} keyframes "
          f"({figures.keyframes_taken} taken), {figures.calls} calls; keyframes "
          f"{_mb(figures.keyframe_bytes)}, counter archive {_mb(figures.archive_bytes)}")
    moments_now = api.timeline_moments()
    middle = next(m for m in moments_now if m.time_us in kept)
    t0 = time.perf_counter()
    api.rewind(middle.time_us)
    middle_s = time.perf_counter() - t0
    same = api.capture_state().data == kept[middle.time_us]
    t0 = time.perf_counter()
    api.rewind(moments_now[0].time_us)
    oldest_s = time.perf_counter() - t0
    print(f"  rewind to the middle moment: {middle_s:6.2f} s (byte-identical: {same}); to the "
          f"oldest: {oldest_s:6.2f} s; graphs after it: "
          f"{len(api.host_history()['times'])} samples")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600)
    args = parser.parse_args()
    measure("demo lab", demo_lab(), args.seconds)
    measure("1,024 running VMs", running_lab(1024), args.seconds)


if __name__ == "__main__":
    main()
