"""The ``hvctl`` command line (argparse).  docs/cli.md is its manual."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from hvlab.engine.api import MAX_ADVANCE_SECONDS, __version__
from hvlab.hvctl import arguments as num
from hvlab.hvctl import cluster, devices, serve, storage
from hvlab.hvctl.output import for_terminal
from hvlab.hvctl.quick import common

#: The shells ``hvctl completion`` writes a script for (shtab generates them from this parser).
COMPLETION_SHELLS = ("bash", "zsh", "fish")

LIFECYCLE = {
    "start": "start the VM (Start-VM)",
    "stop": "shut the guest down through its Operating System Shutdown service (Stop-VM)",
    "turn-off": "power the VM off at once (Stop-VM -TurnOff)",
    "save": "save the VM's state and free its memory (Save-VM)",
    "pause": "pause the VM (Suspend-VM)",
    "resume": "resume a paused VM (Resume-VM)",
    "reset": "hard reset (Restart-VM)",
    "remove-saved-state": "discard the saved state (Remove-VMSavedState)",
    "remove": "delete the VM (Remove-VM)",
    "revert": "apply the checkpoint the VM runs from (VM Connection's Revert)",
}


#: What argparse takes as a negative number rather than an option: its own ``-5`` and
#: ``-.5``, and also exponents, infinities and NaN, so the number's type can refuse them.
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^-(inf|infinity|nan)$",
                              re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (``hvctl vm new: error: …``), exit code 2, as scripts and
    the property tests expect; ``-h`` still prints the whole usage.  A value such as
    ``-inf`` or ``-1e400`` is a number to check, not an unknown option."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        # argparse quotes the user's own words ("unrecognized arguments: …"): escape what
        # could move the cursor or recolour the terminal, and keep the error one line.
        one_line = for_terminal(message).replace("\n", "\\n")
        self.exit(2, f"{self.prog}: error: {one_line}\n")


def build_parser() -> argparse.ArgumentParser:
    leaf = common(suppress=True)
    parser = _Parser(
        prog="hvctl", parents=[common(suppress=False)],
        description="Drive an hvlab library from scripts, like the Hyper-V PowerShell module.",
        epilog="Exit codes: 0 success, 1 error (message on stderr), 2 usage error.")
    parser.add_argument("--version", action="version", version=f"hvctl (hvlab) {__version__}")
    top = parser.add_subparsers(dest="area", metavar="COMMAND", required=True)

    def sub(group: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = group.add_parser(name, help=help_text, parents=[leaf],
                                                      description=help_text)
        return p

    # host
    host = sub(top, "host", "the Hyper-V host")
    hs = host.add_subparsers(dest="command", metavar="ACTION", required=True)
    hshow = sub(hs, "show", "show the host (Get-VMHost)")
    hshow.add_argument("name", metavar="NAME", nargs="?",
                       help="which host (default: the lab's first)")
    hset = sub(hs, "set", "change host settings (Set-VMHost; BIOS and RAM apply at restart)")
    hset.add_argument("--numa-spanning", type=num.on_off, metavar="on|off")
    hset.add_argument("--virtualization", type=num.on_off, metavar="on|off",
                      help="hardware virtualization in the BIOS (applies at restart)")
    hset.add_argument("--nx", type=num.on_off, metavar="on|off",
                      help="no-execute protection in the BIOS (applies at restart)")
    hset.add_argument("--ram-gb", type=num.HOST_RAM_GB, metavar="N",
                      help="installed RAM (applies at restart)")
    hset.add_argument("--vm-path", metavar="PATH", help="default folder for VM files")
    hset.add_argument("--vhd-path", metavar="PATH", help="default folder for virtual hard disks")
    hset.add_argument("--root-load", type=num.ROOT_LOAD_PCT, metavar="PERCENT",
                      help="trainer: load the root partition's processors (0-100)")
    hset.add_argument("--backup", type=num.on_off, metavar="on|off",
                      help="trainer: a backup running in the root partition")
    hset.add_argument("--launch-type", choices=("auto", "off"), type=str.lower,
                      help="the boot configuration's hypervisorlaunchtype (bcdedit; applies "
                      "at restart)")
    hset.add_argument("--hyper-v-role", type=num.on_off, metavar="on|off",
                      help="install or remove the Hyper-V role (applies at restart)")
    hset.add_argument("--profile", dest="set_profile", metavar="ID",
                      help="run another release on the host (every VM must be Off), e.g. "
                      "ws2012r2 or ws2008+kb956710")
    for name, text in (("reboot", "restart the host; staged changes apply"),
                       ("crash-root", "crash the root partition (bugcheck) and restart")):
        p = sub(hs, name, text)
        p.add_argument("--wait", action="store_true", help="advance time until the host is up")

    # vm
    vm = sub(top, "vm", "virtual machines")
    vs = vm.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(vs, "list", "list the VMs (Get-VM)")
    show = sub(vs, "show", "show one VM (Get-VM NAME | Format-List *)")
    show.add_argument("name", metavar="NAME")
    new = sub(vs, "new", "create a VM, Off (New-VM)")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--generation", type=num.GENERATION, metavar="N")
    new.add_argument("--memory", type=num.ram_mb("Startup RAM"), metavar="MB",
                     help="startup RAM")
    new.add_argument("--cpus", type=num.processors(), metavar="N")
    new.add_argument("--os", metavar="ID", help="guest operating system (see `hvctl os list`)")
    new.add_argument("--notes", metavar="TEXT")
    new.add_argument("--vhd", metavar="PATH",
                     help="attach a bootable disk holding an installed OS (New-VM -VHDPath)")
    new.add_argument("--host", metavar="NAME")
    vset = sub(vs, "set", "change VM settings (Set-VM, Set-VMProcessor, Set-VMMemory)")
    vset.add_argument("name", metavar="NAME")
    vset.add_argument("--memory", type=num.ram_mb("Startup RAM"), metavar="MB",
                      help="startup RAM")
    vset.add_argument("--dynamic-memory", type=num.on_off, metavar="on|off")
    vset.add_argument("--memory-min", type=num.ram_mb("Minimum RAM"), metavar="MB")
    vset.add_argument("--memory-max", type=num.ram_mb("Maximum RAM"), metavar="MB")
    vset.add_argument("--memory-buffer", type=num.setting("memory_buffer_pct"), metavar="PCT")
    vset.add_argument("--memory-weight", type=num.setting("memory_weight"), metavar="N")
    vset.add_argument("--cpus", type=num.processors(), metavar="N")
    vset.add_argument("--reserve", type=num.setting("cpu_reserve_pct"), metavar="PCT",
                      help="processor reserve")
    vset.add_argument("--limit", type=num.setting("cpu_limit_pct"), metavar="PCT",
                      help="processor limit")
    vset.add_argument("--weight", type=num.setting("cpu_weight"), metavar="N",
                      help="processor relative weight")
    vset.add_argument("--processor-compatibility", type=num.on_off, metavar="on|off",
                      help="migrate to a physical computer with a different processor "
                           "version (while the VM is off)")
    vset.add_argument("--notes", metavar="TEXT")
    vset.add_argument("--group", metavar="TEXT")
    vset.add_argument("--os", metavar="ID")
    vset.add_argument("--guest-installed", type=num.on_off, metavar="on|off",
                      help="integration services installed in the guest")
    vset.add_argument("--integration-service", action="append", metavar="NAME=on|off",
                      help="enable or disable one integration service (repeatable)")
    vset.add_argument("--start-action", choices=("Nothing", "StartIfRunning", "Start"))
    vset.add_argument("--start-delay", type=num.setting("automatic_start_delay_s"),
                      metavar="SECONDS")
    vset.add_argument("--stop-action", choices=("Save", "TurnOff", "ShutDown"))
    for name, text in LIFECYCLE.items():
        p = sub(vs, name, text)
        p.add_argument("name", metavar="NAME")
        p.add_argument("--wait", action="store_true",
                       help="advance simulated time until the job ends")
        if name == "remove":
            p.add_argument("--delete-disks", action="store_true",
                           help="also delete the VM's own virtual hard disk files, as a job")
    rename = sub(vs, "rename", "rename a VM (Rename-VM)")
    rename.add_argument("name", metavar="OLD")
    rename.add_argument("new_name", metavar="NEW")
    console = sub(vs, "console", "print the VM's console text (what VM Connection shows)")
    console.add_argument("name", metavar="NAME")

    devices.add_parsers(top, vs, vset, sub)
    storage.add_parsers(top, vs, sub)
    cluster.add_parsers(top, hs, vs, sub)

    # clock
    clock = sub(top, "clock", "the simulated clock")
    cs = clock.add_subparsers(dest="command", metavar="ACTION", required=True)
    sub(cs, "show", "show simulated time")
    adv = sub(cs, "advance", "move simulated time forward")
    adv.add_argument("seconds", type=num.SECONDS_TO_ADVANCE, metavar="SECONDS",
                     help=f"at most {MAX_ADVANCE_SECONDS:,} (a simulated day); "
                          "Ctrl+C stops at the last finished step and saves it")

    # events, catalogues
    events = sub(top, "events", "the event log (Get-WinEvent on the Hyper-V channels)")
    events.add_argument("--vm", metavar="NAME")
    events.add_argument("--level", choices=("Information", "Warning", "Error", "Critical"),
                        type=str.capitalize)
    events.add_argument("--since", type=num.SINCE_SECONDS, metavar="SECONDS",
                        help="only entries at or after this simulated time")
    events.add_argument("--last", type=num.LAST_ENTRIES, metavar="N",
                        help="only the newest N entries")
    osp = sub(top, "os", "guest operating systems")
    osp.add_subparsers(dest="command", metavar="ACTION", required=True).add_parser(
        "list", help="list the guest OS catalogue", parents=[leaf])
    prof = sub(top, "profile", "host profiles")
    prof.add_subparsers(dest="command", metavar="ACTION", required=True).add_parser(
        "list", help="list the host profiles", parents=[leaf])

    # checked exercises
    from hvlab.hvctl import exercise

    exercise.add_parsers(top, sub)
    from hvlab.hvctl import lesson

    lesson.add_parsers(top, sub)

    # the server (docs/remote.md)
    serve.add_parser(top, sub)

    # shell completion, from this parser
    comp = top.add_parser(
        "completion", help="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script for SHELL on stdout. Load it in the shell's "
        "start-up file, e.g. bash: eval \"$(hvctl completion bash)\"; zsh: "
        "hvctl completion zsh > ~/.zfunc/_hvctl; fish: hvctl completion fish > "
        "~/.config/fish/completions/hvctl.fish.")
    comp.add_argument("shell", choices=COMPLETION_SHELLS, metavar="SHELL",
                      help="one of " + ", ".join(COMPLETION_SHELLS))
    return parser
