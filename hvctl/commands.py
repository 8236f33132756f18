"""The ``hvctl`` commands: each maps one command line onto ManagementApi calls."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from hvlab.engine.api import (
    INTEGRATION_SERVICES,
    HardDrive,
    HvError,
    Job,
    JobState,
    ValidationError,
    VmInfo,
    load_catalogue,
    load_profiles,
)
from hvlab.hvctl import cluster, devices, output, storage
from hvlab.hvctl.terminal import UsageError

if TYPE_CHECKING:
    from hvlab.engine.api import Library, ManagementApi
    from hvlab.hvctl.terminal import Printer
from hvlab.engine.api import US_PER_S, seconds_to_us, us_to_seconds

if TYPE_CHECKING:
    from hvlab.engine.api import Library, ManagementApi
    from hvlab.hvctl.terminal import Interrupts, Printer


def catalogue(args: argparse.Namespace, out: Printer) -> None:
    if args.area == "os":
        guests = list(load_catalogue().values())
        out.emit([output.os_json(g) for g in guests], output.table(
            ["Id", "Name", "Arch", "Enlightened", "Integration services", "Generations"],
            [[g.id, g.name, g.architecture, "yes" if g.enlightened else "no",
              g.integration_services, ",".join(map(str, g.generations))] for g in guests]))
    else:
        profiles = list(load_profiles().values())
        out.emit([output.profile_json(p) for p in profiles], output.table(
            ["Id", "Name", "Release", "Generations", "Dynamic Memory", "Running VMs",
             "Options"],
            [[p.id, p.name, p.release, ",".join(map(str, p.generations)),
              "yes" if p.features.dynamic_memory else "no", p.limits.running_vms,
              ", ".join(o.id for o in p.available_options) or "-"]
             for p in profiles], right=(5,)))


def run(library: Library, args: argparse.Namespace, out: Printer,
        interrupts: Interrupts) -> int:
    key = (args.area, getattr(args, "command", None))
    if key == ("clock", "advance"):
        return _clock_advance(library, args, out, interrupts)
    return _HANDLERS[key](library, args, out)


# -- host ------------------------------------------------------------------------------------


def _host_show(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    h = lib.api.host(getattr(args, "name", None))
    out.emit(output.host_json(h), output.host_text(h))
    return 0


def _host_set(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    h = lib.api.set_host(numa_spanning=args.numa_spanning,
                         virtualization_enabled=args.virtualization, nx_enabled=args.nx,
                         ram_gb=args.ram_gb, virtual_machine_path=args.vm_path,
                         virtual_hard_disk_path=args.vhd_path,
                         root_load_pct=args.root_load, backup_running=args.backup,
                         profile=args.set_profile, hypervisor_launch_type=args.launch_type,
                         hyper_v_role=args.hyper_v_role)
    out.emit(output.host_json(h), output.host_text(h))
    return 0


def _host_power(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    job = api.reboot_host() if args.command == "reboot" else api.crash_root_partition()
    if args.wait:
        job = api.wait(job)
    h = api.host()
    text = f"The host {h.name} is restarting (job {job.id})." if h.rebooting else \
        f"The host {h.name} restarted."
    out.emit({"job": output.job_json(job), "host": output.host_json(h)}, text)
    return _job_exit(job)


# -- VMs -----------------------------------------------------------------------------------


def _vm_list(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    vms = lib.api.vms()
    out.emit([output.vm_json(v) for v in vms], output.vm_table(vms))
    return 0


def _vm_show(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    vm = api.vm(args.name)
    ops = api.available_operations(vm.id)
    say = api.host_profile(vm.host_id).words.say
    out.emit(output.vm_detail_json(vm, ops), output.vm_text(vm, ops, say))
    return 0


def _vm_new(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    fields: dict[str, Any] = {}
    for option, name in (("generation", "generation"), ("memory", "memory_startup_mb"),
                         ("cpus", "cpu_count"), ("os", "guest_os"), ("notes", "notes")):
        value = getattr(args, option)
        if value is not None:
            fields[name] = value
    if args.vhd is not None:
        controller = "SCSI" if fields.get("generation", 1) == 2 else "IDE"
        fields["hard_drives"] = [HardDrive(controller, 0, 0, args.vhd, bootable=True)]
    vm = lib.api.create_vm(args.name, host=args.host, **fields)
    out.emit(output.vm_json(vm), f"Created '{vm.name}' ({vm.id}), {vm.state}.")
    return 0


_SET_OPTIONS = (
    ("memory", "memory_startup_mb"), ("dynamic_memory", "dynamic_memory_enabled"),
    ("memory_min", "memory_minimum_mb"), ("memory_max", "memory_maximum_mb"),
    ("memory_buffer", "memory_buffer_pct"), ("memory_weight", "memory_weight"),
    ("cpus", "cpu_count"), ("reserve", "cpu_reserve_pct"), ("limit", "cpu_limit_pct"),
    ("weight", "cpu_weight"), ("notes", "notes"), ("group", "group"), ("os", "guest_os"),
    ("guest_installed", "guest_is_installed"), ("start_action", "automatic_start_action"),
    ("start_delay", "automatic_start_delay_s"), ("stop_action", "automatic_stop_action"),
    ("processor_compatibility", "processor_compatibility"),
)


def _vm_set(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    changes: dict[str, Any] = {}
    for option, name in (*_SET_OPTIONS, *devices.WORKLOAD_OPTIONS):
        value = getattr(args, option)
        if value is not None:
            changes[name] = value
    if args.integration_service:
        services = set(api.vm(args.name).config.integration_services)
        for item in args.integration_service:
            key, _, state = item.partition("=")
            key = key.strip().replace("-", "_")
            if key not in INTEGRATION_SERVICES or state.casefold() not in ("on", "off"):
                raise ValidationError(
                    "integration_services",
                    f"'{item}' is not NAME=on|off with NAME one of "
                    f"{', '.join(INTEGRATION_SERVICES)}.")
            if state.casefold() == "on":
                services.add(key)
            else:
                services.discard(key)
        changes["integration_services"] = services
    if not changes:
        raise UsageError("vm set: give at least one setting to change (see hvctl vm set -h)")
    vm = api.set_vm(args.name, **changes)
    out.emit(output.vm_json(vm), f"'{vm.name}' was changed: "
                                 f"{', '.join(sorted(changes))}.")
    return 0


def _vm_lifecycle(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    if args.command == "remove" and args.delete_disks:
        vm = api.vm(args.name)
        files = api.vm_disk_files(vm.id)
        job = api.wait(api.delete_vm_and_disks(vm.id))  # file work: waited for in any case
        out.emit({"removed": {"name": vm.name, "id": vm.id, "files": files},
                  "job": output.job_json(job)},
                 f"Removed '{vm.name}' and {len(files)} virtual hard disk file(s)."
                 if job.state is JobState.COMPLETED else
                 f"'{vm.name}' was not removed: {job.description} {job.state.value.lower()}.")
        return _job_exit(job)
    if args.command == "remove":
        vm = api.vm(args.name)
        api.delete_vm(vm.id)
        out.emit({"removed": {"name": vm.name, "id": vm.id}}, f"Removed '{vm.name}'.")
        return 0
    operation: Callable[[str], Job] = {
        "start": api.start, "stop": api.shut_down, "turn-off": api.turn_off, "save": api.save,
        "pause": api.pause, "resume": api.resume, "reset": api.reset,
        "remove-saved-state": api.delete_saved_state, "revert": api.revert,
    }[args.command]
    vm_id = api.vm(args.name).id
    if args.command == "start":
        # Allowed but unsupported (beyond the VP:LP ratio): Start-VM's WARNING stream.
        warning = api.start_check(vm_id).warning
        if warning:
            print(f"WARNING: {output.for_terminal(warning)}", file=sys.stderr)
    job = operation(vm_id)
    if args.wait:
        job = api.wait(job)
    vm = api.vm(vm_id)
    out.emit({"job": output.job_json(job), "vm": output.vm_json(vm)}, _job_text(vm, job))
    return _job_exit(job)


def _job_text(vm: VmInfo, job: Job) -> str:
    if job.state is JobState.RUNNING:
        return f"'{vm.name}' is {vm.state}: {job.description} ({job.percent} %, job {job.id})."
    if job.state is JobState.COMPLETED:
        return f"'{vm.name}' is {vm.state}."
    return f"'{vm.name}' is {vm.state}: {job.description} {job.state.value.lower()}."


def _job_exit(job: Job) -> int:
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        raise HvError(f"{job.description} {job.state.value.lower()}.",
                      [job.error] if job.error else [])
    return 0


def _vm_rename(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    old = api.vm(args.name)
    vm = api.rename(old.id, args.new_name)
    out.emit(output.vm_json(vm), f"Renamed '{old.name}' to '{vm.name}'.")
    return 0


def _vm_console(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api: ManagementApi = lib.api
    vm = api.vm(args.name)
    serial, lines = api.console(vm.id)
    data = {"name": vm.name, "id": vm.id, "serial": serial,
            "lines": [{"time_seconds": t, "text": text} for t, text in lines]}
    text = "\n".join(f"[{t:12.3f}] {line}" for t, line in lines) or \
        f"'{vm.name}' has printed nothing yet."
    out.emit(data, text)
    return 0


# -- clock and events --------------------------------------------------------------------------


def _clock(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    api = lib.api
    now = api.now_seconds
    out.emit({"now_seconds": now, "now_us": api.now_us},
             f"Simulated time: {now:.3f} s ({output.duration(now)}).")
    return 0


def _clock_advance(lib: Library, args: argparse.Namespace, out: Printer,
                   interrupts: Interrupts) -> int:
    """``clock advance``: one simulated second at a time, so Ctrl+C stops after a finished
    step and the library's autosave commits as the run goes; progress on a terminal."""
    api = lib.api
    start_us = api.now_us
    target_us = start_us + seconds_to_us(args.seconds)
    progress = ClockProgress(args.seconds, sys.stderr)
    while api.now_us < target_us and not interrupts.requested:
        api.advance(us_to_seconds(min(target_us - api.now_us, US_PER_S)))
        progress.show(us_to_seconds(api.now_us - start_us))
    progress.clear()
    now = api.now_seconds
    advanced = us_to_seconds(api.now_us - start_us)
    stopped = api.now_us < target_us
    out.emit({"now_seconds": now, "now_us": api.now_us, "requested_seconds": args.seconds,
              "advanced_seconds": advanced, "interrupted": stopped},
             f"Simulated time: {now:.3f} s ({output.duration(now)}).")
    if stopped:
        print(f"hvctl: stopped by Ctrl+C after {advanced:,g} of {args.seconds:,g} s; "
              f"simulated time is {now:,.3f} s and the library is saved there.",
              file=sys.stderr)
        return 130
    return 0


class ClockProgress:
    """A progress line on stderr while a clock run is long, on a terminal only (a log or
    a pipe gets nothing; stdout stays clean for --json)."""

    #: Wall seconds between updates, and before the first one.
    EVERY_S = 0.25

    def __init__(self, total_seconds: float, stream: TextIO) -> None:
        self.total = total_seconds
        self.stream = stream
        self.live = stream.isatty()
        self._next = time.monotonic() + self.EVERY_S
        self._width = 0

    def show(self, done_seconds: float) -> None:
        if not self.live or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.EVERY_S
        percent = 100.0 * done_seconds / self.total if self.total else 100.0
        line = (f"Advancing the clock: {done_seconds:,.0f} of {self.total:,.0f} s "
                f"({percent:.0f} %); Ctrl+C stops and saves")
        self._width = max(self._width, len(line))
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()

    def clear(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _events(lib: Library, args: argparse.Namespace, out: Printer) -> int:
    entries = lib.events(vm=args.vm, level=args.level, since_seconds=args.since, last=args.last)
    out.emit([output.event_json(e) for e in entries], output.events_text(entries))
    return 0


Handler = Callable[["Library", argparse.Namespace, "Printer"], int]
_HANDLERS: dict[tuple[str, str | None], Handler] = {
    ("host", "show"): _host_show,
    ("host", "set"): _host_set,
    ("host", "reboot"): _host_power,
    ("host", "crash-root"): _host_power,
    ("vm", "list"): _vm_list,
    ("vm", "show"): _vm_show,
    ("vm", "new"): _vm_new,
    ("vm", "set"): _vm_set,
    ("vm", "rename"): _vm_rename,
    ("vm", "console"): _vm_console,
    ("clock", "show"): _clock,
    ("events", None): _events,
    **devices.HANDLERS,
    **storage.HANDLERS,
    **cluster.HANDLERS,
    **{("vm", name): _vm_lifecycle for name in (
        "start", "stop", "turn-off", "save", "pause", "resume", "reset",
        "remove-saved-state", "remove", "revert")},
}
