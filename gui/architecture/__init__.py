"""The live architecture view (View ▸ Architecture): what the simulated host is made of.

``model`` reads the engine and lays out a diagram as plain data; ``scene`` draws it with
QGraphicsScene items it reuses from tick to tick; ``window`` is the window with its menus and
exports; ``export`` writes PNG and SVG. docs/architecture-view.md shows and explains it.
"""

from hvlab.gui.architecture.window import ArchitectureView, ArchitectureWindow

__all__ = ["ArchitectureView", "ArchitectureWindow"]
