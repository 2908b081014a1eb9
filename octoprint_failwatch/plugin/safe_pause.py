"""OctoPrint's part of our pause: the safe sequence in its pause scripts — retract, lift, park, optionally the
heater off — added only to a pause of Failwatch's own, and undone before the print resumes.

This object is registered as OctoPrint's `octoprint.comm.protocol.scripts` and `gcode.sent` hooks; which pause is
ours is `outcomes.actions.PrintAction`'s to say.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..config import FailwatchConfig
from ..outcomes.actions import PrintAction


class SafePause:
    def __init__(self, action: Callable[[], Optional[PrintAction]], config: Callable[[], Optional[FailwatchConfig]]):
        self._action = action  # the session's, once OctoPrint has initialised the plugin
        self._config = config  # the current settings (they change on save)
        self._sent_mode: Optional[str] = None  # the extrusion mode (M82/M83) last sent to the printer
        self._mode_at_pause: Optional[str] = None  # what the resume must restore
        # Whether the pause in force got our safe sequence. Kept here, not asked of the print action at resume:
        # OctoPrint fires PrintResumed (which ends our pause there) before it asks for the resume script, so the
        # action may already say "not ours" when the retraction still has to be undone.
        self._sequence_added = False

    def new_print(self) -> None:
        """A new print: the mode of the last one says nothing of this one's, and no pause of ours is in force."""
        self._sent_mode = None
        self._sequence_added = False

    def track_gcode(self, comm, phase, cmd, cmd_type, gcode, *args, **kwargs):
        """OctoPrint's gcode.sent hook: the extrusion mode in force is known at pause time without reading
        the file (an SD print sends no lines: its mode stays unknown and nothing is retracted)."""
        if gcode in ("M82", "M83"):
            self._sent_mode = "absolute" if gcode == "M82" else "relative"

    def script_hook(self, comm, script_type, script_name, *args, **kwargs):
        """OctoPrint's scripts hook: the safe sequence after our pause, undone before the print resumes."""
        if script_type != "gcode":
            return None
        if script_name == "afterPrintPaused":
            action = self._action()
            if action is None or not action.our_pause:
                return None
            self._mode_at_pause = self._sent_mode
            self._sequence_added = True
            return None, pause_script(self._config(), self._mode_at_pause)
        if script_name == "beforePrintResumed" and self._sequence_added:
            self._sequence_added = False
            temperatures = comm.pause_temperature.as_script_dict()
            target = (temperatures.get(0) or temperatures.get("0") or {}).get("target")
            return resume_script(self._config(), self._mode_at_pause, comm.pause_position, target), None
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
