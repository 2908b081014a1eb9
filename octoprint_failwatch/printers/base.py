"""The printer a watch follows, behind one small interface: Klipper through Moonraker and an OctoPrint over REST
(the daemon's), and OctoPrint's own printer in the plugin (`plugin/octoprint_printer.py`), so `outcomes.actions`
and the session work on any of them.

A printer says whether it prints or is paused, which job it runs, and pauses, resumes or cancels it. Its state
arrives on a thread of its own (a websocket, a poll) and is handed to `on_change(old, new)`, which must be quick.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum
from typing import Callable, Optional, Protocol
from urllib.parse import urljoin


class PrinterState(str, Enum):
    OFFLINE = "offline"  # not reachable, or its firmware host not ready: what it does is unknown
    IDLE = "idle"  # no print: standby, complete, cancelled, error
    PRINTING = "printing"
    PAUSED = "paused"


StateChange = Callable[[PrinterState, PrinterState], None]


class Printer(Protocol):
    @property
    def name(self) -> str:
        """How logs say it: "Moonraker", "OctoPrint"."""

    @property
    def via(self) -> str:
        """How alerts say an action went: "through Moonraker"; empty for OctoPrint's own printer."""

    @property
    def pause_note(self) -> str:
        """What a long pause does on this printer, for the alert; empty when nothing worth saying."""

    @property
    def state(self) -> PrinterState: ...

    @property
    def problem(self) -> str:
        """Why the state is offline, in words; empty otherwise."""

    @property
    def state_words(self) -> str:
        """The state as the printer's own host says it, for messages: "Printing", "paused"."""

    def start(self, on_change: StateChange) -> None: ...

    def close(self) -> None: ...

    def job(self) -> dict:
        """file, progress (percent), elapsed and left (seconds), z (the nozzle's height, mm); where known also height
        (the part's final height, mm), layer and layers; None or absent when unknown."""

    def temperatures(self) -> dict:
        """Each heater's {"actual", "target"} in °C; empty when the printer does not say."""

    def preview(self) -> Optional[bytes]:
        """The slicer's preview of the finished object of the print under way (a small PNG), or None."""

    def pause_print(self, tags: Optional[set] = None) -> None: ...

    def resume_print(self, tags: Optional[set] = None) -> None: ...

    def cancel_print(self, tags: Optional[set] = None) -> None: ...

    def camera_urls(self) -> tuple[str, str]:
        """The printer's camera: (snapshot URL, stream URL), either empty."""


class PrinterBase:
    """What every printer of the daemon keeps — its state, why it is offline, the thread its state arrives on — and
    how a change of state is said and handed on."""

    name = ""
    via = ""

    def __init__(self, where: str, logger: logging.Logger):
        self._where = where  # its address, secrets masked, for messages
        self._logger = logger
        self._lock = threading.Lock()  # guards the state and the problem, and what a printer keeps beside them
        self._state = PrinterState.OFFLINE
        self._problem = f"connecting to {self.name} at {where}"
        self._on_change: StateChange = lambda old, new: None
        self._closing = threading.Event()

    def start(self, on_change: StateChange) -> None:
        self._on_change = on_change
        threading.Thread(target=self._run, name=f"failwatch-{self.name.lower()}", daemon=True).start()

    def close(self) -> None:
        self._closing.set()

    def _run(self) -> None:
        """Follows the printer until closed (on the thread `start` makes)."""
        raise NotImplementedError

    def _set(self, new: PrinterState, problem: str = "") -> None:
        """The state now, and why it is offline: a new problem is logged once, a change is handed on."""
        with self._lock:
            old, self._state = self._state, new
            said, self._problem = self._problem, problem
        if problem and problem != said:
            self._logger.warning("Failwatch: %s", problem)
        if new != old:
            try:
                self._on_change(old, new)
            except Exception:  # the printer's thread must not die of a bug in whoever listens
                self._logger.exception("Failwatch: handling the printer's change %s -> %s failed", old.value, new.value)

    @property
    def state(self) -> PrinterState:
        return self._state

    @property
    def problem(self) -> str:
        return self._problem

    @property
    def state_words(self) -> str:
        return self.state.value

    @property
    def pause_note(self) -> str:
        return ""

    def temperatures(self) -> dict:
        return {}

    def preview(self) -> Optional[bytes]:
        return None  # a printer that says nothing of the file's preview (Moonraker's does)


class PrinterError(Exception):
    """The printer refused or could not be reached: said in words, never raised into the engine."""


def absolute(base: str, url: str) -> str:
    """A camera URL the printer gave, relative ones made whole against `base`; empty stays empty."""
    return urljoin(base, url) if url else ""


def octoprint_job(data: dict) -> dict:
    """OctoPrint's job data (its printer's current data, or /api/job) in an alert's words."""
    progress = data.get("progress") or {}
    return {
        "file": ((data.get("job") or {}).get("file") or {}).get("name"),
        "progress": progress.get("completion"),
        "elapsed": progress.get("printTime"),
        "left": progress.get("printTimeLeft"),
        "z": data.get("currentZ"),
    }
