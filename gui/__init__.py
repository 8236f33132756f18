"""hvlab's desktop console: PySide6 views over the engine's public API."""
