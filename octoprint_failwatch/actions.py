"""What happens to the print on a confirmed failure: notify only, pause or cancel — safely.

Only a confirmed failure reaches this module (the engine never confirms from its own errors), the
printer must be PRINTING, and by default only one automatic pause happens per print. Our pause
adds a safe sequence to OctoPrint's pause scripts (retract, lift, park, optionally heater off) and
undoes it before the print resumes.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from .config import FailwatchConfig
from .dispatch import CANCELLED, NOTIFIED, PAUSED


class PrintAction:
    """What Failwatch does to the print, and the state of its own pause.

    It carries out the configured action on a confirmed failure, remembers which incident a pause of
    ours belongs to, adds the safe sequence to OctoPrint's pause/resume scripts for our pauses only —
    this object is the registered `octoprint.comm.protocol.scripts` hook — and resumes the print when
    the user says the alarm was not a failure.
    """

    def __init__(self, config: Callable[[], FailwatchConfig], logger: logging.Logger, printer=None,
                 file_manager=None):
        self._config = config  # the current settings (they change on save)
        self._printer = printer  # OctoPrint's PrinterInterface
        self._file_manager = file_manager
        self._logger = logger
        self._lock = threading.Lock()  # guards the pause state below: API, event and comm threads meet here
        self.auto_pauses_this_print = 0
        self._pausing = False  # our pause is under way or in force: the pause scripts get the safe sequence
        self._incident: Optional[str] = None  # the incident our pause belongs to, while the print is paused
        self._extrusion_mode: Optional[str] = None

    def attach(self, printer, file_manager) -> None:
        """OctoPrint hands its printer and file manager to a plugin after the hooks are registered."""
        self._printer = printer
        self._file_manager = file_manager

    def new_print(self) -> None:
        """A print started or ended: nothing of an earlier print's pause carries over."""
        with self._lock:
            self.auto_pauses_this_print = 0
            self._pausing = False
            self._incident = None

    # ----- on a confirmed failure -----

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
            self._printer.cancel_print(tags={"plugin:failwatch"})
            return CANCELLED
        with self._lock:
            if self.auto_pauses_this_print >= config.max_auto_pauses:
                self._logger.info("Failwatch: already paused this print %d time(s), only notifying",
                                  self.auto_pauses_this_print)
                return NOTIFIED
            self.auto_pauses_this_print += 1
            self._extrusion_mode = self._current_extrusion_mode()
            self._pausing = True
        self._printer.pause_print(tags={"plugin:failwatch"})
        return PAUSED

    def paused_for(self, incident: Optional[str]) -> None:
        with self._lock:
            self._incident = incident

    def _current_extrusion_mode(self) -> Optional[str]:
        data = self._printer.get_current_data() or {}
        job_file = (data.get("job") or {}).get("file") or {}
        if self._file_manager is None or job_file.get("origin") != "local" or not job_file.get("path"):
            return None
        path = self._file_manager.path_on_disk("local", job_file["path"])
        return extrusion_mode(path, (data.get("progress") or {}).get("filepos") or 0)

    # ----- after our pause -----

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
