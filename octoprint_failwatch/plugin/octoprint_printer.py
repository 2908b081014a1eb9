"""OctoPrint's own printer behind Failwatch's printer interface (`printers.base.Printer`), so the session acts on
it as on the daemon's Moonraker: its state, its job, its heaters, pause, resume and cancel. OctoPrint tells the
plugin of changes through its events (`FailwatchPlugin.on_event`), so nothing here follows the printer."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..printers.base import PrinterState, octoprint_job
from ..printers.preview import read_preview


class OctoPrintPrinter:
    name = "OctoPrint"
    via = ""  # OctoPrint's own printer: an alert needs no words for how the pause went
    pause_note = ""

    def __init__(self, printer, name_setting, file_manager=None) -> None:
        self._printer = printer  # OctoPrint's PrinterInterface
        self._name_setting = name_setting  # OctoPrint's settings: Settings → Appearance names the printer
        self._file_manager = file_manager  # its analysis of the file says the part's height
        self._facts: tuple = ((None, None), (None, None))  # (file key, (height, preview)), read once a file

    @property
    def state(self) -> PrinterState:
        # only PRINTING is printing for an action: not starting, finishing or cancelling
        if self._printer.get_state_id() == "PRINTING":
            return PrinterState.PRINTING
        if self._printer.is_paused():
            return PrinterState.PAUSED
        return PrinterState.OFFLINE if self._printer.is_closed_or_error() else PrinterState.IDLE

    @property
    def state_words(self) -> str:
        return self._printer.get_state_string()

    @property
    def problem(self) -> str:
        return ""

    def job(self) -> dict:
        job = octoprint_job(self._printer.get_current_data() or {})
        height, preview = self._file_facts()
        return {**job, "height": height, "preview": preview is not None}

    def preview(self) -> Optional[bytes]:
        """The slicer's preview in the file being printed (a file on OctoPrint's disk; an SD print has none)."""
        return self._file_facts()[1]

    def _file_facts(self) -> tuple[Optional[float], Optional[bytes]]:
        """The part's final height (OctoPrint's analysis) and the slicer's preview of the file being printed, read
        once a file (job() is asked several times a second): an SD print has neither, and a file whose analysis
        ends after its print started has no height for that print."""
        file = ((self._printer.get_current_job() or {}).get("file")) or {}
        key = (file.get("origin"), file.get("path"))
        known_key, facts = self._facts
        if key != known_key:
            facts = self._read_facts(*key)
            # one tuple: the threads asking never see the height of one file beside the preview of another
            self._facts = (key, facts)
        return facts

    def _read_facts(self, origin: Optional[str], path: Optional[str]) -> tuple[Optional[float], Optional[bytes]]:
        if self._file_manager is None or origin is None or path is None:
            return None, None
        try:
            metadata = self._file_manager.get_metadata(origin, path) or {}
        except Exception:  # a file gone: nothing known of it
            metadata = {}
        height = ((metadata.get("analysis") or {}).get("dimensions") or {}).get("height")
        preview = None
        if origin == "local":  # a file on OctoPrint's own disk; an SD card's cannot be read
            try:
                preview = read_preview(Path(self._file_manager.path_on_disk(origin, path)))
            except Exception:  # the file is gone: no preview
                preview = None
        return (float(height) if isinstance(height, (int, float)) and height > 0 else None), preview

    def temperatures(self) -> dict:
        return self._printer.get_current_temperatures() or {}

    def pause_print(self, tags: Optional[set] = None) -> None:
        self._printer.pause_print(tags=tags)

    def resume_print(self, tags: Optional[set] = None) -> None:
        self._printer.resume_print(tags=tags)

    def cancel_print(self, tags: Optional[set] = None) -> None:
        self._printer.cancel_print(tags=tags)

    def display_name(self) -> str:
        """OctoPrint's name for this printer (Settings → Appearance), read at each use so a rename shows at once."""
        return self._name_setting.global_get(["appearance", "name"]) or "OctoPrint"
