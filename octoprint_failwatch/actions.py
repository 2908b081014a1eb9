"""What happens to the print on a confirmed failure: notify only, pause or cancel — safely.

Only a confirmed failure reaches this module (the engine never confirms from its own errors), the
printer must be PRINTING, and by default only one automatic pause happens per print. Our pause
adds a safe sequence to OctoPrint's pause scripts (retract, lift, park, optionally heater off) and
undoes it before the print resumes.
"""

from __future__ import annotations

import logging
from typing import Optional

from .config import FailwatchConfig

NOTIFIED = "notified"
PAUSED = "paused"
CANCELLED = "cancelled"


class PrintActions:
    def __init__(self, printer, logger: logging.Logger):
        self._printer = printer
        self._logger = logger
        self.auto_pauses_this_print = 0

    def new_print(self) -> None:
        self.auto_pauses_this_print = 0

    def on_confirmed_failure(self, config: FailwatchConfig, test_run: bool) -> str:
        """Carries out the configured action; returns what was done, for alerts and history."""
        if test_run or config.failure_action == "notify":
            return NOTIFIED
        state = self._printer.get_state_id()
        if state != "PRINTING":
            self._logger.info("Failwatch: printer is %s, not %s it", state, config.failure_action)
            return NOTIFIED
        if config.failure_action == "cancel" and config.allow_cancel:
            self._printer.cancel_print(tags={"plugin:failwatch"})
            return CANCELLED
        if self.auto_pauses_this_print >= config.max_auto_pauses:
            self._logger.info("Failwatch: already paused this print %d time(s), only notifying",
                              self.auto_pauses_this_print)
            return NOTIFIED
        self.auto_pauses_this_print += 1
        self._printer.pause_print(tags={"plugin:failwatch"})
        return PAUSED


def extrusion_mode(gcode_path: str, upto: int) -> Optional[str]:
    """'absolute' (M82) or 'relative' (M83): the last one set in the file before byte `upto`, else None."""
    mode = None
    try:
        with open(gcode_path, "rb") as handle:
            for line in handle.read(max(0, upto)).splitlines():
                command = line.split(b";", 1)[0].strip().upper()
                if command == b"M82":
                    mode = "absolute"
                elif command == b"M83":
                    mode = "relative"
    except OSError:
        return None
    return mode


def pause_script(config: FailwatchConfig, mode: Optional[str]) -> list[str]:
    """G-code after our pause: retract (only when the extrusion mode is known), lift, park, heater off."""
    lines = []
    if config.pause_retract_mm and mode:
        lines += ["M83", f"G1 E-{config.pause_retract_mm:g} F2400"]
    if config.pause_lift_mm:
        lines += ["G91", f"G1 Z{config.pause_lift_mm:g} F600", "G90"]
    if config.pause_park:
        lines.append(f"G1 X{config.pause_park_x:g} Y{config.pause_park_y:g} F6000")
    if config.pause_hotend_off:
        lines.append("M104 S0")
    return lines


def resume_script(config: FailwatchConfig, mode: Optional[str], position, hotend_target: Optional[float]) -> list[str]:
    """G-code before resuming our pause: reheat, return to the pause position, undo the retraction."""
    lines = []
    if config.pause_hotend_off and hotend_target:
        lines.append(f"M109 S{hotend_target:g}")
    if position is not None and position.x is not None and position.y is not None:
        lines += ["G90", f"G1 X{position.x:g} Y{position.y:g} F6000"]
        if position.z is not None:
            lines.append(f"G1 Z{position.z:g} F600")
    if config.pause_retract_mm and mode:
        lines += ["M83", f"G1 E{config.pause_retract_mm:g} F2400"]
        if mode == "absolute":
            lines.append("M82")
            if position is not None and position.e is not None:
                lines.append(f"G92 E{position.e:g}")
    if position is not None and position.f is not None:
        lines.append(f"G1 F{position.f:g}")
    return lines
