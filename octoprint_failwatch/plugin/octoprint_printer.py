"""OctoPrint's own printer behind Failwatch's printer interface (`printers.base.Printer`), so the session acts on
it as on the daemon's Moonraker: its state, its job, its heaters, pause, resume and cancel. OctoPrint tells the
plugin of changes through its events (`FailwatchPlugin.on_event`), so nothing here follows the printer."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..analysis.preview import read_preview
from ..printers.base import PrinterState, octoprint_job


class OctoPrintPrinter:
    name = "OctoPrint"
    via = ""  # OctoPrint's own printer: an alert needs no words for how the pause went
    pause_note = ""

    def __init__(self, printer, name_setting, file_manager=None) -> None:
        self._printer = printer  # OctoPrint's PrinterInterface
        self._name_setting = name_setting  # OctoPrint's settings: Settings → Appearance names the printer
        self._file_manager = file_manager  # its analysis of the file says the part's height
        self._heights: dict[tuple, Optional[float]] = {}  # (origin, path) -> height: the analysis is read once
        self._previews: dict[tuple, Optional[bytes]] = {}  # (origin, path) -> the slicer's preview, read once

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

    def busy(self) -> bool:
        """A print is running (starting and finishing included) or paused."""
        return self._printer.is_printing() or self._printer.is_paused()

    def job(self) -> dict:
        job = octoprint_job(self._printer.get_current_data() or {})
        return {**job, "height": self._height(), "preview": self.preview() is not None}

    def preview(self) -> Optional[bytes]:
        """The slicer's preview in the file being printed (a file on OctoPrint's disk; an SD print has none)."""
        key = self._file_key()
        if self._file_manager is None or key[0] != "local" or key[1] is None:
            return None
        if key not in self._previews:
            try:
                path = Path(self._file_manager.path_on_disk(*key))
            except Exception:  # the file is gone: no preview
                path = None
            self._previews = {key: read_preview(path) if path is not None else None}
        return self._previews[key]

    def _file_key(self) -> tuple:
        file = ((self._printer.get_current_job() or {}).get("file")) or {}
        return file.get("origin"), file.get("path")

    def _height(self) -> Optional[float]:
        """The part's final height from OctoPrint's analysis of the file (None for SD prints, before the analysis)."""
        key = self._file_key()
        if self._file_manager is None or None in key:
            return None
        if key not in self._heights:
            try:
                metadata = self._file_manager.get_metadata(*key) or {}
            except Exception:  # a file gone or an analysis not there yet: asked again next time
                metadata = {}
            height = ((metadata.get("analysis") or {}).get("dimensions") or {}).get("height")
            self._heights = {key: float(height) if isinstance(height, (int, float)) and height > 0 else None}
        return self._heights[key]

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
