"""The hosts without OctoPrint: the standalone daemon (`service.py`) and the `failwatch` command (`cli.py`) with
its `once`, `evaluate` (`evaluation/`), `detect`, `incidents` and `label` commands (`commands.py`). Each adapts the
environment variables — and, with PRINTER_URL, a printer — to the same session the plugin uses."""
