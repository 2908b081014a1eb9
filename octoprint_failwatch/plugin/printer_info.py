"""What OctoPrint says of the printer, in the words an alert uses: its name and the job's file and progress."""

from __future__ import annotations

from ..printers.base import octoprint_job


def printer_name(settings) -> str:
    """OctoPrint's name for this printer (Settings → Appearance), read at each use so a rename shows at once."""
    return settings.global_get(["appearance", "name"]) or "OctoPrint"


def job_info(printer) -> dict:
    return octoprint_job(printer.get_current_data() or {})
