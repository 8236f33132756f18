"""Performance graphs: the host dashboard, the per-VM Performance tab, the VM list's CPU
sparkline and the Performance Monitor window.

Import rule (the first-paint budget, docs/development.md): pyqtgraph costs about 0.3-0.5 s to
import, so only the modules that draw with it import it (``style``, ``dashboard``,
``vm_performance``, ``perfmon``), and nothing loads them until a graph is first shown.
:mod:`hvlab.gui.graphs.console` (what the main window imports at start-up) imports neither
pyqtgraph nor numpy. Data comes from :class:`~hvlab.engine.api.ManagementApi` only, pulled on the
bridge's ``tick`` and redrawn once per new 1-second history sample.
"""
