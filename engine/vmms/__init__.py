"""The management service: what Hyper-V's Virtual Machine Management Service (VMMS) and its
worker processes do for each host, over the simulation core (:mod:`hvlab.engine.sim`).

A :class:`~hvlab.engine.vmms.lab.Lab` holds the hosts; a
:class:`~hvlab.engine.vmms.host.Host` is the record of one server (its hardware, hypervisor,
memory map and VMs); the modules beside them are the service's rules and operations, each a
set of functions over a host and a VM:

- ``rules``: what may change or run in which state (one home for the console and commands);
- ``admission``: whether a VM fits (memory, processors, reserves, MAC addresses);
- ``settings``: changing a VM's configuration;
- ``power``: Start, Turn Off, Shut Down, Save, Pause, Resume, Reset and their jobs;
- ``guest_runner``: the guest's boot plan, console and heartbeat;
- ``integration``: the integration services setup disk;
- ``dynamic_memory``: the Dynamic Memory balancer;
- ``host_power``: host restart, root partition crash and automatic start/stop actions;
- ``vm_files``, ``saved_state``, ``checkpoints``, ``transfer``: the files on disk;
- ``networking``, ``virtual_switches``: virtual switches and MAC addresses;
- ``inventory``: adding and deleting VMs;
- ``tables``, ``partitions``: a VM's rows in the simulation's tables, and its partition
  and VMBus in the hypervisor;
- ``cluster``, ``migration``, ``failover``: the networks and shared storage between the
  hosts, the failover cluster and its highly available VMs, quick and live migration, and
  a node failing and coming back (docs/cluster.md).

``runtime`` holds the records (``VmRuntime``, ``SavedState``, ``Checkpoint``) and
``context`` what a host needs of its lab.  The lab registers the service's handlers with
the simulation's clock (``Lab.__init__``).

The simulation core never imports this package (an import contract checks it).
"""
