"""OctoPrint's side: the plugin class (`failwatch_plugin.py`) and the rooms only OctoPrint needs — its hooks, the
HTTP API, the settings form, its printer behind Failwatch's printer interface, the safe pause, the tab's recent
checks. Everything else is the session's (`session/`), shared with the daemon."""
