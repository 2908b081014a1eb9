"""OctoPrint's side: the plugin class and the rooms it wires (API, watch, feedback, Test now...)."""

from .failwatch_plugin import FailwatchPlugin

__all__ = ["FailwatchPlugin"]
