"""The simulated machine: the clock and its action queue, the per-VM table and the CPU
scheduler, the I/O model, the hypervisor with its partitions and the physical memory map,
and the counters' history.

Nothing here knows the management service (``hvlab.engine.vmms``): the clock calls the
handlers the service registers, by the kind of action, and never names the service.  An
import-linter contract in pyproject.toml keeps it so.
"""
