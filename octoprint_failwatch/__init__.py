"""OctoPrint-Failwatch: watches a print through a camera, verifies what a vision model says, alerts and pauses.

The layers, each a folder, imports running one way (plugin, daemon -> session -> outcomes -> engine -> analysis,
sources, printers -> shared): `plugin/` OctoPrint's side and `daemon/` the standalone daemon and its commands, the
hosts; `session/` the one assembly of a watch both use; `outcomes/` what follows a verdict, `engine/` the state
machine, `analysis/` the model calls, `sources/` the cameras, `printers/` the printers; `config.py`, `frame.py` and
`redaction.py` are shared by all. See docs/architecture.md.
This module holds only what OctoPrint reads: the plugin's metadata and `__plugin_load__`.
"""

# version, author, licence, description and URL come from the package metadata (pyproject.toml)
__plugin_name__ = "Failwatch"
__plugin_pythoncompat__ = ">=3.9,<4"


def __plugin_load__():
    global __plugin_implementation__, __plugin_hooks__
    # OctoPrint is imported only by OctoPrint's side, not by the daemon
    from .plugin import hooks
    from .plugin.failwatch_plugin import FailwatchPlugin

    __plugin_implementation__ = FailwatchPlugin()
    __plugin_hooks__ = {
        "octoprint.access.permissions": hooks.permissions,
        "octoprint.events.register_custom_events": hooks.custom_events,
        "octoprint.plugin.softwareupdate.check_config": hooks.update_information,
        "octoprint.server.sockjs.emit": hooks.may_receive,
        "octoprint.comm.protocol.scripts": __plugin_implementation__.safe_pause.script_hook,
        "octoprint.comm.protocol.gcode.sent": __plugin_implementation__.safe_pause.track_gcode,
    }
