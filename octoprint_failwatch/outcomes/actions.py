"""What happens to the print on a confirmed failure: notify only, pause or cancel — safely.

Only a confirmed failure reaches this module (the engine never confirms from its own errors), the
printer must be PRINTING, and by default only one automatic pause happens per print. The pause is
asked for first, before anything is recorded or alerted. Our pause adds a safe sequence to OctoPrint's
pause scripts (retract, lift, park, optionally heater off) and undoes it before the print resumes.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from ..config import FailwatchConfig
from .alerts import ACTION_WORDS
from .dispatch import CANCELLED, NOTIFIED, PAUSED


class PrintAction:
    """What Failwatch does to the print, and the state of its own pause.

    It carries out the configured action on a confirmed failure, remembers which incident a pause of
    ours belongs to, adds the safe sequence to OctoPrint's pause/resume scripts for our pauses only —
    this object is the registered `octoprint.comm.protocol.scripts` hook — and resumes the print when
    the user says the alarm was not a failure.
    """

    def __init__(self, config: Callable[[], FailwatchConfig], logger: logging.Logger, printer=None):
        self._config = config  # the current settings (they change on save)
        self._printer = printer  # OctoPrint's PrinterInterface, or the daemon's printer (printers.base.Printer)
        self._logger = logger
        self._lock = threading.Lock()  # guards the pause state below: API, event and comm threads meet here
        self.auto_pauses_this_print = 0
        self._pausing = False  # our pause is under way or in force: the pause scripts get the safe sequence
        self._incident: Optional[str] = None  # the incident our pause belongs to, while the print is paused
        self._extrusion_mode: Optional[str] = None  # at our pause: what the resume must restore
        self._sent_mode: Optional[str] = None  # the extrusion mode (M82/M83) last sent to the printer

    def attach(self, printer) -> None:
        """OctoPrint hands its printer to a plugin after the hooks are registered."""
        self._printer = printer

    def new_print(self) -> None:
        """A print started or ended: nothing of an earlier print's pause carries over."""
        with self._lock:
            self.auto_pauses_this_print = 0
            self._pausing = False
            self._incident = None
            self._sent_mode = None

    # ----- on a confirmed failure -----

    def describe(self, action: str) -> str:
        """What was done, in the alert's words: through which printer host, and what a long pause does there."""
        words = ACTION_WORDS[action]
        # the daemon's printers say how they are reached ("through Moonraker"); OctoPrint's own printer has no words
        via = getattr(self._printer, "via", "")
        if action == NOTIFIED or not via:
            return words
        note = self._printer.pause_note if action == PAUSED else ""
        return f"{words} {via}" + (f" ({note})" if note else "")

    def on_confirmed_failure(self, test_run: bool) -> str:
        """Carries out the configured action; returns what was done, for alerts and history."""
        config = self._config()
        if test_run or config.failure_action == "notify":
            return NOTIFIED
        state = self._printer.get_state_id()
        if state != "PRINTING":
            self._logger.info("Failwatch: printer is %s, not %s it", state, config.failure_action)
            return NOTIFIED
        if config.failure_action == "cancel" and config.allow_cancel:
            return CANCELLED if self._ask(self._printer.cancel_print, "cancel") else NOTIFIED
        with self._lock:
            if self.auto_pauses_this_print >= config.max_auto_pauses:
                self._logger.info("Failwatch: already paused this print %d time(s), only notifying",
                                  self.auto_pauses_this_print)
                return NOTIFIED
            self.auto_pauses_this_print += 1
            self._extrusion_mode = self._sent_mode
            self._pausing = True
        if self._ask(self._printer.pause_print, "pause"):
            return PAUSED
        with self._lock:
            self.auto_pauses_this_print -= 1
            self._pausing = False
        return NOTIFIED

    def _ask(self, action: Callable[..., None], words: str) -> bool:
        """Asks the printer; a printer that refuses or cannot be reached (the daemon's Moonraker gone) is said in
        the log, and the failure is still recorded and alerted, as only notified."""
        try:
            action(tags={"plugin:failwatch"})
            return True
        except Exception as exc:
            self._logger.warning("Failwatch: could not %s the print: %s", words, exc)
            return False

    def pause_on_request(self, tags: set) -> bool:
        """A pause someone asked Failwatch for (Home Assistant's Pause print): ours, with the safe sequence, so
        Failwatch may resume it on request too; it is no automatic pause and counts towards none."""
        if self._printer.get_state_id() != "PRINTING":
            return False
        with self._lock:
            self._extrusion_mode = self._sent_mode
            self._pausing = True
        self._printer.pause_print(tags=tags)
        return True

    def paused_for(self, incident: Optional[str]) -> None:
        with self._lock:
            self._incident = incident

    # ----- after our pause -----

    def holds_print_for(self, incident: str) -> bool:
        """Whether the print is paused by our pause for this incident."""
        with self._lock:
            return incident == self._incident and self._printer.is_paused()

    def holds_print(self) -> bool:
        """Whether the print is paused by our pause (for any incident)."""
        with self._lock:
            return self._pausing and self._printer.is_paused()

    def user_resumed(self) -> Optional[str]:
        """The print was resumed by the user: the incident our pause belonged to, if it was ours."""
        with self._lock:
            incident, self._incident = self._incident, None
            return incident

    def resume_not_a_failure(self, incident: str) -> bool:
        """'Not a failure' on the incident our pause belongs to resumes the print; True if it did."""
        with self._lock:
            if incident != self._incident or not self._printer.is_paused():
                return False
            self._incident = None  # not a user resume after a real failure
        self._printer.resume_print(tags={"plugin:failwatch"})
        self._logger.info("Failwatch: 'not a failure' for %s, print resumed", incident)
        return True

    def track_gcode(self, comm, phase, cmd, cmd_type, gcode, *args, **kwargs):
        """OctoPrint's gcode.sent hook: the extrusion mode in force is known at pause time without reading
        the file (an SD print sends no lines: its mode stays unknown and nothing is retracted)."""
        if gcode in ("M82", "M83"):
            self._sent_mode = "absolute" if gcode == "M82" else "relative"

    def script_hook(self, comm, script_type, script_name, *args, **kwargs):
        """OctoPrint's scripts hook: the safe sequence after our pause, undone before the print resumes."""
        if script_type != "gcode" or not self._pausing:
            return None
        if script_name == "afterPrintPaused":
            return None, pause_script(self._config(), self._extrusion_mode)
        if script_name == "beforePrintResumed":
            self._pausing = False
            temperatures = comm.pause_temperature.as_script_dict()
            target = (temperatures.get(0) or temperatures.get("0") or {}).get("target")
            return resume_script(self._config(), self._extrusion_mode, comm.pause_position, target), None
        return None


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
