"""The printer the daemon watches, behind one small interface (OctoPrint's own printer object in the plugin has
the same methods, so `outcomes.actions.PrintAction` works on either).

A printer says whether it prints or is paused, which job it runs, and pauses, resumes or cancels it. Its state
arrives on a thread of its own (a websocket, a poll) and is handed to `on_change(old, new)`, which must be quick.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Callable, Optional, Protocol


class PrinterState(str, Enum):
    OFFLINE = "offline"  # not reachable, or its firmware host not ready: what it does is unknown
    IDLE = "idle"  # no print: standby, complete, cancelled, error
    PRINTING = "printing"
    PAUSED = "paused"


# OctoPrint's state ids, which PrintAction asks for
STATE_IDS = {PrinterState.PRINTING: "PRINTING", PrinterState.PAUSED: "PAUSED", PrinterState.IDLE: "OPERATIONAL",
             PrinterState.OFFLINE: "OFFLINE"}

StateChange = Callable[[PrinterState, PrinterState], None]


class Printer(Protocol):
    name: str  # how logs say it: "Moonraker", "OctoPrint"
    via: str  # how alerts say an action went: "through Moonraker"

    @property
    def state(self) -> PrinterState: ...

    @property
    def problem(self) -> str:
        """Why the state is offline, in words; empty otherwise."""

    def start(self, on_change: StateChange) -> None: ...

    def close(self) -> None: ...

    def job(self) -> dict:
        """file, progress (percent), elapsed (seconds)."""

    def pause_print(self, tags: Optional[set] = None) -> None: ...

    def resume_print(self, tags: Optional[set] = None) -> None: ...

    def cancel_print(self, tags: Optional[set] = None) -> None: ...

    def camera_urls(self) -> tuple[str, str]:
        """The printer's camera: (snapshot URL, stream URL), either empty."""


class PrinterBase:
    """What every printer keeps (its state, and why it is offline) and what PrintAction asks of it in OctoPrint's
    words, answered from that state."""

    _state = PrinterState.OFFLINE
    _problem = ""

    @property
    def state(self) -> PrinterState:
        return self._state

    @property
    def problem(self) -> str:
        return self._problem

    def get_state_id(self) -> str:
        return STATE_IDS[self.state]

    def is_printing(self) -> bool:
        return self.state == PrinterState.PRINTING

    def is_paused(self) -> bool:
        return self.state == PrinterState.PAUSED


class PrinterError(Exception):
    """The printer refused or could not be reached: said in words, never raised into the engine."""


def tell(on_change: StateChange, old: PrinterState, new: PrinterState, logger: logging.Logger) -> None:
    """Hands a change of state on; the printer's thread must not die of a bug in whoever listens."""
    try:
        on_change(old, new)
    except Exception:
        logger.exception("Failwatch: handling the printer's change %s -> %s failed", old.value, new.value)
