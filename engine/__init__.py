"""hvlab engine: a simulated Hyper-V host, with no GUI.

Clients (the Qt console, ``hvctl``, tests) use :mod:`hvlab.engine.api` only.
"""

#: hvlab's version, its one source: pyproject.toml reads it (setuptools dynamic version).
__version__ = "0.1.0"
